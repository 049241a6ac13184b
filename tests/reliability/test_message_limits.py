"""Property: every message the bot renders stays within Discord's limits, for any state of
any story the checker accepts and any tally.

Discord refuses (400, code 50035) a message past its limits, and a refused scene or reply is
a vote nobody sees. The limits: content 2,000 characters; embed title 256, description
4,096, 25 fields of name 256 and value 1,024 (never empty), footer 2,048, author 256, 6,000
in all; 25 buttons, label 80, custom id 100.

The stories: the real ones (Claim Jumpers, the Derelict) and "Maximal", built here with
every field at the longest the checker allows (titles 256, texts 4,096, 25 choices of 80,
names 256, 30 shown variables, results 1,024): the checker's limits must be enough on their
own. States come from random play; tallies, ids, times and counts are drawn at random.
The last test plays Maximal end to end through SimCord, which checks every message the
bot sends against the same limits.
"""

from __future__ import annotations

import functools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.campaign import (
    BallotCast,
    CampaignInfo,
    Closed,
    Epilogue,
    Extended,
    OpenVote,
    Recap,
    RecapEntry,
    Status,
    VoteResult,
    Waiting,
)
from bot.store import CampaignStatus, CloseHow, GuildSettings, TieBreak
from bot.story import Story, StoryState, VoteInfo, check_story, load_story
from bot.story.lines import (
    FIELD_LIMIT,
    MESSAGE_LIMIT,
    ODDS_TEXT_LIMIT,
    ChoiceLine,
    choice_lines,
    message_overhead,
    pitch_field,
    tally_field,
    worst_lengths,
)
from bot.story.model import PITCH_LIMIT, CrewMember
from bot.ui import embeds
from bot.ui.views import vote_view
from tests.properties import examples

from .helpers import World, buttons, claim_errors, scenes

ROOT = Path(__file__).resolve().parents[2]
MAX_ID = 2**63 - 1
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _fitting_text(title: str, speaker: str, lines: list[ChoiceLine]) -> int:
    """The longest scene text the checker allows beside these choices."""
    lengths = worst_lengths(lines)
    if max(lengths.values()) > FIELD_LIMIT:
        return -1
    member = CrewMember(id="x", name=speaker, role="R".ljust(100, "r"), colour="#3fa7d6")
    spare = MESSAGE_LIMIT - message_overhead(title, MAXIMAL_TITLE, member) - sum(lengths.values())
    return min(4096, spare)


MAXIMAL_TITLE = "Maximal ".ljust(256, "m")
LONG_NAME = "Crew 0 ".ljust(256, "n")
VOTE_ODDS = "0.5 if vote_unanimous else (0.3 if vote_narrow else 0.4)"


def maximal_story() -> dict[str, Any]:
    """A story with every field at the longest the checker accepts. The vote message's
    limits trade against each other: scene s0 has 25 choices with the longest labels that
    fit beside a 4,096-character text; s1 has the longest names, labels and pitches and the
    longest text beside them; s2 has rolls whose odds depend on the vote."""
    crew = [
        {"id": "c0", "name": LONG_NAME, "role": "R".ljust(100, "r"), "colour": "#3fa7d6"},
        {"id": "c1", "name": "Ana", "role": "Pilot", "colour": "#3fa7d6"},
        {"id": "c2", "name": "Bo", "role": "Cook", "colour": "#3fa7d6"},
    ]
    variables = {
        f"v{i}": {
            "type": "int",
            "initial": 999_999_999,
            "min": -999_999_999,
            "max": 999_999_999,
            "label": f"Gauge {i} ".ljust(40, "l"),
            "unit": "u" * 10,
            "show": True,
        }
        for i in range(30)
    }
    titles = [f"Scene {n} ".ljust(256, "t") for n in range(3)]
    # s0: 25 choices by Ana and Bo, labels as long as a full text leaves room for.
    label = 80
    while True:
        lines = [ChoiceLine(f"s0 c{i} ".ljust(label, "x"), ("Ana", "Bo")[i % 2]) for i in range(25)]
        if _fitting_text(titles[0], LONG_NAME, lines) >= 4096:
            break
        label -= 1
    s0 = [
        {
            "id": f"s0-c{i}",
            "label": line.label,
            "by": ("c1", "c2")[i % 2],
            "goto": ["s1", "s2", "e0", "e1"][i % 4],
            "result": "r" * 1024,
        }
        for i, line in enumerate(lines)
    ]
    s1 = [
        {
            "id": f"s1-c{i}",
            "label": f"s1 choice {i} ".ljust(80, "x"),
            "by": "c0",
            "pitch": f"Pitch {i} ".ljust(PITCH_LIMIT, "p"),
            "goto": ["s2", "e0"][i],
            "result": "r" * 1024,
        }
        for i in range(2)
    ]
    s1_lines = [ChoiceLine(c["label"], LONG_NAME, None, c["pitch"]) for c in s1]
    s2 = [
        {
            "id": f"s2-c{i}",
            "label": f"s2 choice {i} ".ljust(80, "x"),
            "by": "c1",
            "pitch": f"Pitch {i} ".ljust(PITCH_LIMIT, "p"),
            "roll": {"odds": VOTE_ODDS, "success": "e0", "failure": ["e1", "s0"][i % 2]},
            "result": "r" * 1024,
        }
        for i in range(3)
    ]
    s2_lines = [ChoiceLine(c["label"], "Ana", "x" * ODDS_TEXT_LIMIT, c["pitch"]) for c in s2]
    texts = [
        4096,
        _fitting_text(titles[1], LONG_NAME, s1_lines),
        _fitting_text(titles[2], LONG_NAME, s2_lines),
    ]
    scene_list = [
        {
            "id": f"s{n}",
            "title": titles[n],
            "speaker": "c0",
            "text": f"Text {n} ".ljust(texts[n], "w"),
            "choices": choices,
            "no_decision": {"goto": "e0", "result": "n" * 1024},
        }
        for n, choices in enumerate((s0, s1, s2))
    ]
    endings = [
        {
            "id": e,
            "title": f"End {e} ".ljust(256, "e"),
            "speaker": "c1",
            "text": f"Ending {e} ".ljust(4096, "z"),
        }
        for e in ("e0", "e1")
    ]
    return {
        "story": {
            "id": "maximal",
            "title": MAXIMAL_TITLE,
            "summary": "S".ljust(SUMMARY_MAX, "s"),
            "start": "s0",
        },
        "crew": crew,
        "variables": variables,
        "scenes": scene_list,
        "endings": endings,
    }


SUMMARY_MAX = 1500


def write_maximal(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(maximal_story(), sort_keys=False, width=10**6)
    (folder / "story.yaml").write_text(text, encoding="utf-8")
    return folder


@functools.cache
def stories() -> tuple[Story, ...]:
    folder = write_maximal(Path(tempfile.mkdtemp(prefix="maximal-")) / "maximal")
    maximal, problems = check_story(folder)
    assert maximal is not None and not problems, problems
    real = [
        load_story(ROOT / "content" / "claim-jumpers"),
        load_story(ROOT / "docs" / "example-story"),
    ]
    return (*real, maximal)


# -- the limits ---------------------------------------------------------------------------------


def check_content(text: str | None) -> None:
    assert text is None or len(text) <= 2000, len(text or "")


def check_embed(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert 0 < len(data.get("title", "x")) <= 256
    assert len(data.get("description", "")) <= 4096
    fields = data.get("fields", [])
    assert len(fields) <= 25
    for item in fields:
        assert 0 < len(item["name"].strip()) <= 256, item["name"]
        assert 0 < len(item["value"].strip()) <= 1024, (item["name"], len(item["value"]))
    assert len(data.get("footer", {}).get("text", "")) <= 2048
    assert len(data.get("author", {}).get("name", "")) <= 256
    assert len(embed) <= 6000, len(embed)


def check_view(view: discord.ui.View) -> None:
    items = view.children
    assert len(items) <= 25
    for item in items:
        assert isinstance(item, discord.ui.DynamicItem | discord.ui.Button)
        button = item.item if isinstance(item, discord.ui.DynamicItem) else item
        assert button.label is not None and 0 < len(button.label) <= 80
        assert button.custom_id is not None and len(button.custom_id) <= 100
    assert len(view.to_components()) <= 5


# -- random states -----------------------------------------------------------------------------

counts = st.integers(0, 10**9)
#: Ballots on one choice: up to the seven digits the checker measures.
ballots = st.integers(0, 10**7 - 1)
texts = st.text(min_size=1, max_size=2500)


@st.composite
def played(draw: st.DrawFn) -> tuple[Story, StoryState, list[Any]]:
    story = draw(st.sampled_from(stories()))
    state = story.new_state(draw(st.integers(0, 2**31 - 1)))
    turns = []
    for _ in range(draw(st.integers(0, 40))):
        if state.ended:
            break
        offered = story.offered(state)
        vote = VoteInfo({c.id: draw(st.integers(0, 50)) for c in offered}, "majority")
        if offered and draw(st.integers(0, 9)):
            choice = offered[draw(st.integers(0, len(offered) - 1))]
            turns.append(story.play(state, choice.id, vote))
        elif story.scenes[state.scene].no_decision is not None:
            turns.append(story.play_no_decision(state, VoteInfo({}, "no_decision")))
        else:
            break
    return story, state, turns


def info(draw: st.DrawFn, story: Story) -> CampaignInfo:
    return CampaignInfo(
        id=draw(st.integers(1, MAX_ID)),
        guild_id=draw(st.integers(1, MAX_ID)),
        channel_id=draw(st.integers(1, MAX_ID)),
        story_id=story.id,
        story_title=story.title,
        status=draw(st.sampled_from(list(CampaignStatus))),
        status_reason=draw(st.none() | texts),
        started_at=T0,
        ended_at=None,
    )


def when(draw: st.DrawFn) -> datetime | None:
    return draw(st.none() | st.integers(0, 10**9).map(lambda s: T0 + timedelta(seconds=s)))


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(played(), st.data())
def test_every_rendered_message_is_within_discords_limits(run, data) -> None:
    story, state, turns = run
    draw = data.draw
    campaign = info(draw, story)
    view = story.view(state)
    path = list(state.path) * draw(st.integers(1, 30))  # long campaigns too
    recap = Recap(
        campaign,
        tuple(
            RecapEntry(
                scene_title=(
                    story.scenes.get(step["scene"]) or story.endings[step["to"]]
                ).source.title
                if step["scene"] in story.scenes
                else step["scene"],
                choice_label=draw(st.none() | st.text(max_size=80)),
                how=step["how"],
                tally={"a": draw(counts)},
                labels={},
                roll=step["roll"],
            )
            for step in path
        ),
        view.title,
        state.ended,
    )
    check_embed(embeds.recap_embed(recap))
    many = [info(draw, story) for _ in range(draw(st.integers(0, 100)))]
    check_embed(embeds.campaigns_embed(many))
    check_embed(
        embeds.settings_embed(
            GuildSettings(
                guild_id=1,
                vote_seconds=draw(st.integers(10, 604_800)),
                tie_break=draw(st.sampled_from(list(TieBreak))),
                quorum=draw(st.integers(1, 1_000_000)),
                blind=draw(st.booleans()),
                voter_role_id=draw(st.none() | st.integers(1, MAX_ID)),
                moderator_role_id=draw(st.none() | st.integers(1, MAX_ID)),
            )
        )
    )
    if state.ended:
        decisions = len(state.path)
        epilogue = Epilogue(
            scene=view,
            ending_id=state.scene,
            endings_total=len(story.endings),
            decisions=decisions,
            ballots=draw(counts),
            turnouts=tuple(draw(counts) for _ in range(decisions)),
            margins=tuple(draw(st.none() | counts) for _ in range(decisions)),
        )
        discovered = draw(st.none() | st.tuples(counts, counts))
        check_embed(embeds.epilogue_embed(epilogue, campaign, discovered))
        return

    choices = view.choices
    blind = draw(st.booleans())
    tally = {c.id: draw(ballots) for c in choices}
    deadline = when(draw)
    vote = OpenVote(
        campaign_id=campaign.id,
        decision_id=draw(st.integers(1, MAX_ID)),
        seq=draw(st.integers(1, 10**6)),
        scene=view,
        choices=choices,
        deadline=deadline,
        remaining=None
        if deadline
        else draw(st.none() | st.integers(0, 10**7).map(lambda s: timedelta(seconds=s))),
        tally=None if blind else tally,
        message_id=draw(st.none() | st.integers(1, MAX_ID)),
        waiting_for_moderator=draw(st.booleans()),
    )
    scene = embeds.scene_embed(vote, story.title)
    check_embed(scene)
    # Nothing a member needs is cut or dropped: every choice with who argues for it, its
    # odds, its count, and every pitch, exactly as the checker measured them.
    shown = {item.name: item.value for item in scene.fields}
    lines = choice_lines(choices)
    if choices:
        counted = None if blind else [tally[c.id] for c in choices]
        assert shown["Tally"] == tally_field(lines, counted)
        assert shown.get("The crew argue", "") == pitch_field(lines)
    check_view(vote_view(vote))
    check_embed(embeds.status_embed(Status(campaign, view, vote, draw(counts))))

    labels = {c.id: c.label for c in choices}
    outcome = draw(st.none() | st.sampled_from([c.id for c in choices])) if choices else None
    result = VoteResult(
        decision_id=vote.decision_id,
        seq=vote.seq,
        scene_title=view.title,
        tally=tally,
        labels=labels,
        outcome=outcome,
        outcome_label=labels.get(outcome) if outcome else None,
        how=draw(st.sampled_from(list(CloseHow))),
        turn=turns[-1] if turns else None,
        message_id=vote.message_id,
    )
    check_embed(embeds.closed_scene_embed(scene, result))
    closed = Closed(campaign, result, None, None, draw(st.none() | st.text(max_size=300)))
    check_content(embeds.closed_notice(closed))
    leaders = tuple(c.id for c in choices if draw(st.booleans())) or tuple(labels)
    check_content(
        embeds.waiting_text(Waiting(campaign, vote.decision_id, tally, leaders, labels, None))
    )
    check_content(
        embeds.extended_text(
            Extended(campaign, vote.decision_id, deadline or T0, None, draw(counts), draw(counts))
        )
    )
    if choices:
        pick = draw(st.sampled_from(choices))
        check_content(
            embeds.ballot_reply(
                BallotCast(
                    decision_id=vote.decision_id,
                    campaign_id=campaign.id,
                    choice_id=pick.id,
                    choice_label=pick.label,
                    deadline=deadline,
                    changed_from=draw(st.none() | st.sampled_from(list(labels.values()))),
                    blind=blind,
                )
            )
        )


# -- Maximal, end to end -----------------------------------------------------------------------

MAXIMAL_SETTLE = 30.0  # real seconds an action may take
MAXIMAL_REFRESH = 40.0  # virtual seconds between tally redraws: past the settle window


@pytest.mark.settle(MAXIMAL_SETTLE)
async def test_the_longest_story_plays_through_simcords_limit_checks(world: World, caplog) -> None:
    """SimCord refuses any message past Discord's limits as Discord does (400, 50035): the
    campaign must start, vote, tie, close and recap without one refusal.

    Every message here is at Discord's limits, and 25 members click: on a loaded machine an
    action takes seconds, so the settle window is long and the tally refresh longer still
    (a refresh due inside the window would be waited out, or fire in real time mid-click)."""
    write_maximal(world.settings.content_dir / "maximal")
    world.settings = world.settings.model_copy(update={"tally_refresh_seconds": MAXIMAL_REFRESH})
    await world.restart()
    crew = [world.guild.add_member(world.env.create_user(f"deck{i}")) for i in range(25)]
    await world.mod.slash(world.channel, "settings set", tie_break="moderator")
    started = await world.mod.slash(world.channel, "campaign start", story="maximal")
    assert started.acknowledged and "begins" in started.response.content
    scene = world.channel.last_message
    labels = buttons(scene)
    assert len(labels) == 25
    for member, label in zip(crew, labels, strict=True):  # a 25-way tie
        click = await member.click(scene, label=label)
        assert click.acknowledged and click.response.content.startswith("You voted")
    await world.env.advance_time(MAXIMAL_REFRESH + 1)  # the tally redraw
    for command in ("campaign status", "campaign recap", "campaign list", "settings show"):
        shown = await world.mod.slash(world.channel, command)
        assert shown.acknowledged and shown.response.embeds, command
    await world.env.advance_time(121)
    assert world.channel.last_message.content.startswith("The vote tied between")
    decided = await world.mod.slash(world.channel, "campaign decide", choice="s0-c0")
    assert decided.acknowledged
    assert len(scenes(world)) == 2
    await world.members[0].click(scenes(world)[-1], label=buttons(scenes(world)[-1])[1])
    await world.env.advance_time(121)
    recap = await world.mod.slash(world.channel, "campaign recap")
    assert recap.acknowledged and recap.response.embeds
    refused = [
        r
        for r in caplog.records
        if "50035" in r.getMessage() or "Invalid Form Body" in r.getMessage()
    ]
    assert not refused, [r.getMessage() for r in refused]
    assert not claim_errors(caplog, "")


def test_a_summary_too_long_for_the_start_message_is_refused(tmp_path: Path) -> None:
    data = maximal_story()
    data["story"]["summary"] = "S" * (SUMMARY_MAX + 1)
    folder = tmp_path / "maximal"
    folder.mkdir()
    (folder / "story.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    story, problems = check_story(folder)
    assert story is None
    assert [(p.line, p.message) for p in problems] == [
        (4, "story.summary: 1501 characters; Discord allows at most 1500")
    ]
