"""The campaign use cases against a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import pytest

from bot.campaign import CampaignService, Closed, Extended, Waiting, errors
from bot.domain import CampaignStatus, CloseHow, TieBreak
from bot.store import Store
from bot.story import load_story

from .conftest import CHANNEL, GUILD, MOD, ROOT, Harness


async def start(h: Harness, story: str = "derelict", channel: int = CHANNEL):
    return await h.service.start(guild_id=GUILD, channel_id=channel, story_id=story, actor_id=MOD)


async def vote(h: Harness, decision_id: int, member: int, index: int, roles=()):
    return await h.service.cast(
        guild_id=GUILD,
        decision_id=decision_id,
        choice_index=index,
        member_id=member,
        role_ids=roles,
    )


async def test_start_opens_the_first_vote(harness: Harness) -> None:
    started = await start(harness)
    assert started.campaign.status is CampaignStatus.RUNNING
    assert started.campaign.story_title == "The Derelict"
    vote_ = started.vote
    assert vote_ is not None and vote_.seq == 1
    assert vote_.scene.title == "The Airlock"
    assert [c.id for c in vote_.choices] == ["force", "hack"]
    assert vote_.deadline == harness.clock() + timedelta(seconds=120)
    assert vote_.tally == {"force": 0, "hack": 0}
    assert harness.scheduler.deadline_of(vote_.decision_id) == vote_.deadline


async def test_start_is_refused_when_busy_or_unknown(harness: Harness) -> None:
    await start(harness)
    with pytest.raises(errors.ChannelBusy):
        await start(harness)
    with pytest.raises(
        errors.UnknownStory, match=re.escape("no story called 'nope'. Stories here: coin, derelict")
    ):
        await start(harness, "nope", channel=CHANNEL + 1)


async def test_ballots_count_once_per_member_and_can_change(harness: Harness) -> None:
    started = await start(harness)
    decision = started.vote.decision_id
    first = await vote(harness, decision, 1, 0)
    assert first.choice_label == "Force the door with the winch" and first.changed_from is None
    changed = await vote(harness, decision, 1, 1)
    assert changed.changed_from == "Force the door with the winch"
    await vote(harness, decision, 2, 1)
    assert await harness.service.tally(decision) == {"force": 0, "hack": 2}


async def test_ballots_refused_with_reasons(harness: Harness) -> None:
    started = await start(harness)
    decision = started.vote.decision_id
    with pytest.raises(errors.ChoiceNotOffered):
        await vote(harness, decision, 1, 2)
    with pytest.raises(errors.UnknownVote):
        await vote(harness, decision + 99, 1, 0)
    with pytest.raises(errors.UnknownVote):  # a button of another guild's vote
        await harness.service.cast(
            guild_id=GUILD + 1, decision_id=decision, choice_index=0, member_id=1
        )
    await harness.service.update_settings(
        guild_id=GUILD, actor_id=MOD, changes={"voter_role_id": 77}
    )
    with pytest.raises(errors.NotAVoter):
        await vote(harness, decision, 1, 0, roles=[5])
    await vote(harness, decision, 1, 0, roles=[5, 77])
    await harness.service.pause(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    with pytest.raises(errors.CampaignPaused):
        await vote(harness, decision, 2, 0, roles=[77])
    await harness.service.resume(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    harness.clock.advance(121)
    with pytest.raises(errors.VoteClosed):  # past the deadline, before the timer closed it
        await vote(harness, decision, 2, 0, roles=[77])
    await harness.service.close_due(decision)
    with pytest.raises(errors.VoteClosed):
        await vote(harness, decision, 2, 0, roles=[77])
    assert await harness.service.tally(decision) == {"force": 1, "hack": 0}


async def test_timer_close_takes_the_majority_and_opens_the_next_vote(harness: Harness) -> None:
    started = await start(harness)
    decision = started.vote.decision_id
    for member, index in [(1, 0), (2, 0), (3, 1)]:
        await vote(harness, decision, member, index)
    assert await harness.service.close_due(decision) is None  # not due yet
    harness.clock.advance(120)
    closed = await harness.service.close_due(decision)
    assert isinstance(closed, Closed)
    assert closed.result.outcome == "force" and closed.result.how is CloseHow.TIMER
    assert closed.result.tally == {"force": 2, "hack": 1}
    assert closed.next_vote is not None and closed.next_vote.scene.title == "The Cargo Hold"
    assert closed.next_vote.seq == 2
    assert "5 hours left" in closed.next_vote.scene.text
    assert harness.scheduler.deadline_of(decision) is None
    assert harness.scheduler.deadline_of(closed.next_vote.decision_id) == closed.next_vote.deadline
    assert await harness.service.close_due(decision) is None  # closed once only


async def test_skip_and_decide_are_audited(harness: Harness) -> None:
    started = await start(harness)
    await vote(harness, started.vote.decision_id, 1, 1)
    skipped = await harness.service.skip(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    assert isinstance(skipped, Closed) and skipped.result.how is CloseHow.SKIP
    assert skipped.result.outcome == "hack"
    if skipped.next_vote is None or skipped.next_vote.scene.id != "hold":
        return
    decided = await harness.service.decide(
        guild_id=GUILD, channel_id=CHANNEL, choice_id="Back to our ship", actor_id=MOD
    )
    assert decided.result.how is CloseHow.DECIDE and decided.result.outcome == "leave"
    actions = [(a.action, a.actor_id) for a in await harness.store.audit_log(GUILD)]
    assert ("decide", MOD) in actions and ("skip", MOD) in actions


async def test_decide_refuses_a_choice_not_offered(harness: Harness) -> None:
    await start(harness)
    with pytest.raises(errors.ChoiceNotOffered, match="'bridge' is not one of the choices"):
        await harness.service.decide(
            guild_id=GUILD, channel_id=CHANNEL, choice_id="bridge", actor_id=MOD
        )


async def test_pause_keeps_the_time_left(harness: Harness) -> None:
    started = await start(harness)
    harness.clock.advance(50)
    paused = await harness.service.pause(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    assert paused.campaign.status is CampaignStatus.PAUSED
    assert paused.vote.remaining == timedelta(seconds=70) and paused.vote.deadline is None
    assert harness.scheduler.deadline_of(started.vote.decision_id) is None
    with pytest.raises(errors.AlreadyPaused):
        await harness.service.pause(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    harness.clock.advance(5000)
    assert await harness.service.close_due(started.vote.decision_id) is None
    resumed = await harness.service.resume(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    assert resumed.vote.deadline == harness.clock() + timedelta(seconds=70)
    with pytest.raises(errors.NotPaused):
        await harness.service.resume(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    harness.clock.advance(69)
    assert await harness.service.close_due(started.vote.decision_id) is None
    harness.clock.advance(1)
    assert isinstance(await harness.service.close_due(started.vote.decision_id), Closed)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [(TieBreak.FIRST, "left"), (TieBreak.RANDOM, None), (TieBreak.MODERATOR, None)],
)
async def test_tie_rules(harness: Harness, rule: TieBreak, expected: str | None) -> None:
    await harness.service.update_settings(
        guild_id=GUILD, actor_id=MOD, changes={"tie_break": rule.value}
    )
    started = await start(harness, "coin")
    decision = started.vote.decision_id
    await vote(harness, decision, 1, 0)
    await vote(harness, decision, 2, 1)
    harness.clock.advance(120)
    outcome = await harness.service.close_due(decision)
    if rule is TieBreak.MODERATOR:
        assert isinstance(outcome, Waiting) and outcome.leaders == ("left", "right")
        assert outcome.campaign.status is CampaignStatus.WAITING
        with pytest.raises(errors.WaitingForModerator):
            await vote(harness, decision, 3, 0)
        decided = await harness.service.decide(
            guild_id=GUILD, channel_id=CHANNEL, choice_id="right", actor_id=MOD
        )
        assert (
            decided.result.outcome == "right" and decided.campaign.status is CampaignStatus.RUNNING
        )
        return
    assert isinstance(outcome, Closed) and outcome.result.how is CloseHow.TIE
    if expected:
        assert outcome.result.outcome == expected
    else:
        campaign = await harness.store.get_campaign(outcome.campaign.id)
        import random

        assert outcome.result.outcome == random.Random(f"{campaign.seed}:1:tie").choice(
            ["left", "right"]
        )
        state = json.loads(campaign.state_json)
        assert state["last_vote"]["vote_how"] == "tie"


async def test_quorum_extends_once_then_takes_the_first_choice(harness: Harness) -> None:
    await harness.service.update_settings(guild_id=GUILD, actor_id=MOD, changes={"quorum": 3})
    started = await start(harness, "coin")
    decision = started.vote.decision_id
    await vote(harness, decision, 1, 1)
    harness.clock.advance(120)
    extended = await harness.service.close_due(decision)
    assert isinstance(extended, Extended) and extended.turnout == 1 and extended.quorum == 3
    assert harness.scheduler.deadline_of(decision) == harness.clock() + timedelta(seconds=120)
    harness.clock.advance(120)
    closed = await harness.service.close_due(decision)
    assert isinstance(closed, Closed) and closed.result.how is CloseHow.NO_QUORUM
    assert closed.result.outcome == "left"


async def test_quorum_not_met_takes_the_scenes_no_decision_outcome(harness: Harness) -> None:
    await harness.service.update_settings(guild_id=GUILD, actor_id=MOD, changes={"quorum": 2})
    started = await start(harness)
    harness.clock.advance(120)
    closed = await harness.service.close_due(started.vote.decision_id)
    assert isinstance(closed, Closed) and closed.result.how is CloseHow.NO_DECISION
    assert closed.result.outcome is None
    assert closed.result.turn.result == "Nobody moves, and the suits tick away an hour of air."
    assert closed.next_vote.scene.id == "airlock" and closed.next_vote.seq == 2


async def test_blind_votes_hide_the_tally(harness: Harness) -> None:
    await harness.service.update_settings(guild_id=GUILD, actor_id=MOD, changes={"blind": True})
    started = await start(harness)
    assert started.vote.tally is None
    cast = await vote(harness, started.vote.decision_id, 1, 0)
    assert cast.blind
    status = await harness.service.status(guild_id=GUILD, channel_id=CHANNEL)
    assert status.vote.tally is None


async def test_a_campaign_plays_to_an_ending_with_an_epilogue(harness: Harness) -> None:
    started = await start(harness)
    decision = started.vote.decision_id
    plan = {"airlock": "force", "hold": "leave", "leaving": "go"}
    closed = None
    for _ in range(20):
        current = await harness.service.status(guild_id=GUILD, channel_id=CHANNEL)
        index = [c.id for c in current.vote.choices].index(plan[current.scene.id])
        await vote(harness, decision, 1, index)
        closed = await harness.service.skip(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
        if closed.epilogue is not None:
            break
        decision = closed.next_vote.decision_id
    assert closed is not None and closed.epilogue is not None
    assert closed.campaign.status is CampaignStatus.ENDED
    assert closed.epilogue.ending_id in {"home", "adrift"}
    assert closed.epilogue.decisions == 3 and closed.epilogue.endings_total == 3
    assert closed.epilogue.turnouts == (1, 1, 1)
    with pytest.raises(errors.NoCampaign):
        await harness.service.status(guild_id=GUILD, channel_id=CHANNEL)
    recap = await harness.service.recap(guild_id=GUILD, channel_id=CHANNEL)
    assert recap.ended and [e.choice_label for e in recap.entries] == [
        "Force the door with the winch",
        "Back to our ship",
        "Cross the tether",
    ]
    listed = await harness.service.campaigns(GUILD)
    assert [c.status for c in listed] == [CampaignStatus.ENDED]


async def test_end_keeps_the_campaign_readable(harness: Harness) -> None:
    started = await start(harness)
    ended = await harness.service.end(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    assert ended.campaign.status is CampaignStatus.ENDED
    assert harness.scheduler.deadline_of(started.vote.decision_id) is None
    with pytest.raises(errors.VoteClosed):
        await vote(harness, started.vote.decision_id, 1, 0)
    assert (await harness.service.recap(guild_id=GUILD, channel_id=CHANNEL)).entries == ()
    await start(harness)  # the channel is free again


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"vote_seconds": 9},
            "vote_seconds must be a whole number of seconds from 10 to 604,800 (7 days)",
        ),
        (
            {"vote_seconds": 604_801},
            "vote_seconds must be a whole number of seconds from 10 to 604,800",
        ),
        ({"quorum": -1}, "quorum must be a whole number from 1 to 1,000,000"),
        ({"quorum": 1_000_001}, "quorum must be a whole number from 1 to 1,000,000"),
        ({"tie_break": "coin"}, "tie_break must be one of: random, first, moderator"),
        ({"blind": "yes"}, "blind must be true or false"),
        ({"quorum": 2, "vote_seconds": 5}, "vote_seconds must be"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(
    harness: Harness, changes, message
) -> None:
    with pytest.raises(errors.InvalidSetting, match=re.escape(message)):
        await harness.service.update_settings(guild_id=GUILD, actor_id=MOD, changes=changes)
    settings = await harness.service.settings(GUILD)
    assert (settings.vote_seconds, settings.quorum) == (120, 1)


async def test_good_settings_are_saved_and_audited(harness: Harness) -> None:
    updated = await harness.service.update_settings(
        guild_id=GUILD,
        actor_id=MOD,
        changes={"vote_seconds": 10, "quorum": 1_000_000, "tie_break": "first"},
    )
    assert (updated.vote_seconds, updated.quorum, updated.tie_break) == (
        10,
        1_000_000,
        TieBreak.FIRST,
    )
    assert (await harness.store.audit_log(GUILD))[0].action == "settings"


async def test_concurrent_timer_skip_and_decide_close_once(harness: Harness) -> None:
    started = await start(harness)
    decision = started.vote.decision_id
    await vote(harness, decision, 1, 0)
    harness.clock.advance(120)
    results = await asyncio.gather(
        harness.service.close_due(decision),
        harness.service.skip(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD),
        harness.service.decide(guild_id=GUILD, channel_id=CHANNEL, choice_id="hack", actor_id=MOD),
        return_exceptions=True,
    )
    closes = [r for r in results if isinstance(r, Closed)]
    assert len(closes) == 1
    assert all(
        r is None or isinstance(r, Closed | errors.VoteClosed | errors.NoOpenVote) for r in results
    )
    decisions = await harness.store.decisions_of(closes[0].campaign.id)
    assert [d.seq for d in decisions if d.closed_at is not None] == [1]
    assert len([d for d in decisions if d.closed_at is None]) == 1


async def test_restart_finds_open_votes_and_overdue_ones(harness: Harness, stories) -> None:
    started = await start(harness)
    await vote(harness, started.vote.decision_id, 1, 1)
    await harness.store.close()
    harness.clock.advance(500)  # the bot was down past the deadline
    store = await Store.open(harness.path)
    try:
        service = CampaignService(store, stories, harness.clock, harness.scheduler)
        report = await service.resume_open_votes()
        assert report.scheduled == 1 and report.overdue == [started.vote.decision_id]
        closed = await service.close_due(started.vote.decision_id)
        assert isinstance(closed, Closed) and closed.result.outcome == "hack"
    finally:
        harness.store = store  # the fixture closes it


async def test_a_story_edit_that_removes_the_scene_pauses_the_campaign(
    harness: Harness, tmp_path
) -> None:
    started = await start(harness)
    edited = (
        (ROOT / "docs" / "example-story" / "story.yaml")
        .read_text()
        .replace("id: airlock", "id: outer-door")
    )
    edited = edited.replace("start: airlock", "start: outer-door").replace(
        "goto: airlock", "goto: outer-door"
    )
    edited = edited.replace("failure: airlock", "failure: outer-door")
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "story.yaml").write_text(edited)
    harness.service.stories = {"derelict": load_story(folder)}
    harness.clock.advance(120)
    assert await harness.service.close_due(started.vote.decision_id) is None
    campaign = await harness.store.get_campaign(started.campaign.id)
    assert campaign.status is CampaignStatus.PAUSED
    assert "scene 'airlock' no longer exists" in campaign.status_reason
    decision = await harness.store.get_decision(started.vote.decision_id)
    assert decision.is_open


async def test_a_story_edit_that_keeps_the_scene_keeps_playing(harness: Harness, tmp_path) -> None:
    started = await start(harness)
    edited = (
        (ROOT / "docs" / "example-story" / "story.yaml")
        .read_text()
        .replace("The Cargo Hold", "The Hold")
    )
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "story.yaml").write_text(edited)
    harness.service.stories = {"derelict": load_story(folder)}
    await vote(harness, started.vote.decision_id, 1, 0)
    harness.clock.advance(120)
    closed = await harness.service.close_due(started.vote.decision_id)
    assert isinstance(closed, Closed) and closed.next_vote.scene.title == "The Hold"
