"""Embeds and replies rendered from the campaign layer's results.

Every function here is pure: plain data in, a `discord.Embed` or a string out. Each embed is
kept inside Discord's limits (field values 1,024, total 6,000), trimming the least important
text first, never the scene itself (the story checker already holds it to 4,096).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import discord

from bot.campaign import (
    BallotCast,
    CampaignInfo,
    Closed,
    CrewComparison,
    Epilogue,
    Extended,
    OpenVote,
    Recap,
    Status,
    VoteResult,
    Waiting,
)
from bot.domain import CampaignStatus, CloseHow, GuildSettings
from bot.story import SceneView
from bot.story.lines import (
    PITCHES_NAME,
    ChoiceLine,
    choice_lines,
    pitch_field,
    ship_line,
    speaker_line,
    tally_field,
)

FIELD_LIMIT = 1024
TITLE_LIMIT = 256
CONTENT_LIMIT = 2000
TOTAL_LIMIT = 6000
NEUTRAL = discord.Colour(0x5865F2)
TALLY_NAME = "Tally"

HOW_WORDS = {
    CloseHow.TIMER: "the vote closed on time",
    CloseHow.SKIP: "a moderator closed the vote early",
    CloseHow.DECIDE: "a moderator decided",
    CloseHow.TIE: "a tie, settled by the server's tie rule",
    CloseHow.NO_QUORUM: "too few votes: the first choice was taken",
    CloseHow.NO_DECISION: "no decision: the crew hesitated",
    CloseHow.ENDED: "the campaign was ended",
}
STATUS_WORDS = {
    CampaignStatus.RUNNING: "running",
    CampaignStatus.PAUSED: "paused",
    CampaignStatus.WAITING: "waiting for a moderator",
    CampaignStatus.ENDED: "ended",
}


def clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters, marked when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def colour_of(scene: SceneView) -> discord.Colour:
    """The speaking crew member's colour, or the neutral one."""
    if scene.speaker is None:
        return NEUTRAL
    return discord.Colour(int(scene.speaker.colour.lstrip("#"), 16))


def status_line(scene: SceneView) -> str:
    """The ship's compact state (`Exotic matter 30kg · Hull 100%`), or an ending's own line;
    "" when there is none to show."""
    return ship_line(scene)


def _add_ship(embed: discord.Embed, scene: SceneView) -> None:
    line = status_line(scene)
    if line.strip():
        embed.add_field(name="Ship", value=clip(line, FIELD_LIMIT), inline=False)


def _tally_value(lines: Sequence[ChoiceLine], counts: Sequence[int] | None) -> str:
    value = tally_field(lines, counts) if lines else "no choices"
    return clip(value, FIELD_LIMIT)


def _add_choices(embed: discord.Embed, vote: OpenVote) -> None:
    """Each choice with who argues for it and its odds (and the count unless blind), then
    the advocates' pitches. The checker keeps both within a field's 1,024 characters."""
    lines = choice_lines(vote.choices)
    counts = None if vote.tally is None else [vote.tally.get(c.id, 0) for c in vote.choices]
    embed.add_field(name=TALLY_NAME, value=_tally_value(lines, counts), inline=False)
    pitches = pitch_field(lines)
    if pitches:
        embed.add_field(name=PITCHES_NAME, value=clip(pitches, FIELD_LIMIT), inline=False)


def retally(
    embed: discord.Embed, lines: Sequence[ChoiceLine], counts: Sequence[int] | None
) -> discord.Embed:
    """A scene embed (`scene_embed`'s, changed in place) with its Tally field showing these
    counts (`lines`: the vote's `choice_lines`; None: blind); the rest as it was rendered."""
    for index, item in enumerate(embed.fields):
        if item.name == TALLY_NAME:
            embed.set_field_at(
                index, name=TALLY_NAME, value=_tally_value(lines, counts), inline=False
            )
            break
    return fit(embed, first="Ship")


def tally_lines(tally: Mapping[str, int], labels: Mapping[str, str], order: Sequence[str]) -> str:
    """One line per choice with its votes, most important first when space runs out."""
    total = sum(tally.values())
    lines = []
    for choice in order:
        count = tally.get(choice, 0)
        bar = "█" * round(8 * count / total) if total else ""
        lines.append(f"`{count:>3}` {bar} {labels.get(choice, choice)}")
    return clip("\n".join(lines) or "no choices", FIELD_LIMIT)


def fit(embed: discord.Embed, first: str | None = None) -> discord.Embed:
    """Drop fields until the embed is within Discord's 6,000 characters: the field named
    `first` (the least needed), then trailing ones."""
    if len(embed) > TOTAL_LIMIT and first is not None:
        for index, item in enumerate(embed.fields):
            if item.name == first:
                embed.remove_field(index)
                break
    while len(embed) > TOTAL_LIMIT and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed


def _clock_text(deadline: datetime | None, remaining: timedelta | None, waiting: bool) -> str:
    if waiting:
        return "Tied: waiting for a moderator's /campaign decide"
    if deadline is not None:
        return f"Closes {discord.utils.format_dt(deadline, 'R')}"
    if remaining is not None:
        return f"Paused with {format_span(remaining)} left"
    return "Closed"


def format_span(span: timedelta) -> str:
    """`1 h 5 min`, `2 min 30 s`, `45 s`."""
    seconds = max(0, round(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{secs} s" if secs or not (hours or minutes) else "")
    return " ".join(p for p in parts if p)


def scene_embed(vote: OpenVote, story_title: str) -> discord.Embed:
    """The scene message of an open vote."""
    scene = vote.scene
    embed = discord.Embed(title=scene.title, description=scene.text, colour=colour_of(scene))
    if scene.speaker is not None:
        embed.set_author(name=clip(speaker_line(scene.speaker), 256))
    _add_ship(embed, scene)
    embed.add_field(
        name="Vote",
        value=_clock_text(vote.deadline, vote.remaining, vote.waiting_for_moderator),
        inline=False,
    )
    _add_choices(embed, vote)
    embed.set_footer(text=clip(f"{story_title} · decision {vote.seq}", 2048))
    # Who argues for what is the heart of the message: the ship line goes first.
    return fit(embed, first="Ship")


def result_text(result: VoteResult) -> str:
    """How a vote ended, in one or two lines."""
    how = HOW_WORDS.get(result.how, result.how.value)
    if result.outcome_label is not None:
        text = f"**{result.outcome_label}** ({how}; {result.turnout} vote"
        text += "s)" if result.turnout != 1 else ")"
    else:
        text = f"{how.capitalize()} ({result.turnout} votes)."
    if result.turn is not None and result.turn.roll is not None:
        roll = result.turn.roll
        verdict = "it worked" if roll.success else "it failed"
        text += f"\nChance {round(roll.odds * 100)}%: {verdict}."
    if result.turn is not None and result.turn.result:
        text += f"\n*{result.turn.result}*"
    return clip(text, FIELD_LIMIT)


def closed_scene_embed(original: discord.Embed, result: VoteResult) -> discord.Embed:
    """The scene message once its vote closed: final counts and how it was decided."""
    embed = original.copy()
    embed.clear_fields()
    for field in original.fields:
        if field.name == "Ship":
            embed.add_field(name=field.name, value=field.value or "-", inline=False)
    embed.add_field(name="Decided", value=result_text(result), inline=False)
    order = list(result.labels)
    embed.add_field(
        name="Final tally", value=tally_lines(result.tally, result.labels, order), inline=False
    )
    return fit(embed)


def epilogue_embed(
    epilogue: Epilogue, campaign: CampaignInfo, discovered: tuple[int, int] | None = None
) -> discord.Embed:
    """The ending, with the campaign's summary and the server's discoveries."""
    scene = epilogue.scene
    embed = discord.Embed(title=scene.title, description=scene.text, colour=colour_of(scene))
    embed.set_author(name=clip(f"{campaign.story_title}: the end", 256))
    _add_ship(embed, scene)
    turnout = ", ".join(str(n) for n in epilogue.turnouts) or "none"
    summary = (
        f"{epilogue.decisions} decisions, {epilogue.ballots} votes in all.\n"
        f"Turnout per decision: {turnout}.\n"
        f"One of {epilogue.endings_total} endings this story has."
    )
    closest = _closest_vote(epilogue)
    if closest:
        summary += f"\n{closest}"
    if discovered is not None:
        summary += f"\nEndings discovered in this server: {discovered[0]} of {discovered[1]}."
    embed.add_field(name="Campaign", value=clip(summary, FIELD_LIMIT), inline=False)
    others = [
        f"{number}. {crew_line(compared)}"
        for number, compared in enumerate(epilogue.crews, start=1)
        if compared is not None
    ]
    if others:
        embed.add_field(
            name="How other crews chose", value=clip("\n".join(others), FIELD_LIMIT), inline=False
        )
    embed.set_footer(text=f"Campaign #{campaign.id}")
    return fit(embed)


def crew_line(compared: CrewComparison) -> str:
    """ "you chose “Pod it”, as did 61% of 140 crews": counts only, never a server's name."""
    label = clip(compared.choice_label, 60)
    return (
        f"you chose “{label}”, as did {compared.share:.0%} of {compared.crews:,} crews"
        f" in {compared.servers:,} servers"
    )


def _closest_vote(epilogue: Epilogue) -> str | None:
    """The decision the crew split on most: the smallest winning margin with two or more votes."""
    best: tuple[int, int] | None = None
    for number, margin in enumerate(epilogue.margins, start=1):
        if margin is not None and (best is None or margin < best[1]):
            best = (number, margin)
    if best is None:
        return None
    number, margin = best
    if margin == 0:
        return f"Closest vote: decision {number}, a tie."
    return f"Closest vote: decision {number}, won by {margin} vote{'s' if margin != 1 else ''}."


def ballot_reply(cast: BallotCast) -> str:
    """The private answer to a click."""
    until = (
        f" You can change it until {discord.utils.format_dt(cast.deadline, 'T')}"
        f" ({discord.utils.format_dt(cast.deadline, 'R')})."
        if cast.deadline is not None
        else ""
    )
    stop = "" if cast.choice_label.rstrip("*_ ").endswith((".", "!", "?", "…")) else "."
    if cast.changed_from is not None:
        return (
            f"You changed your vote from **{cast.changed_from}** to **{cast.choice_label}**"
            f"{stop}{until}"
        )
    return f"You voted **{cast.choice_label}**{stop}{until}"


def extended_text(extended: Extended) -> str:
    """Said in the channel when a vote is extended for want of votes."""
    return (
        f"Only {extended.turnout} vote(s) so far; this server needs {extended.quorum}. "
        f"The vote stays open until {discord.utils.format_dt(extended.deadline, 'R')}."
    )


def waiting_text(waiting: Waiting) -> str:
    """Said in the channel when a tie waits for a moderator."""
    names = " and ".join(f"**{waiting.labels.get(c, c)}**" for c in waiting.leaders)
    if len(names) > CONTENT_LIMIT - 100:  # up to 25 labels of 80: past a message's 2,000
        names = f"{len(waiting.leaders)} choices"
    return f"The vote tied between {names}. A moderator settles it with `/campaign decide`."


def status_embed(status: Status) -> discord.Embed:
    """/campaign status: the scene, the ship and the open vote."""
    scene = status.scene
    campaign = status.campaign
    embed = discord.Embed(
        title=clip(f"{campaign.story_title}: {scene.title}", TITLE_LIMIT),
        description=clip(scene.text, 1500),
        colour=colour_of(scene),
    )
    state = STATUS_WORDS[campaign.status]
    if campaign.status_reason and campaign.status is not CampaignStatus.RUNNING:
        state += f": {campaign.status_reason}"
    embed.add_field(name="Campaign", value=clip(state, FIELD_LIMIT), inline=False)
    _add_ship(embed, scene)
    vote = status.vote
    if vote is not None:
        embed.add_field(
            name=f"Vote {vote.seq}",
            value=_clock_text(vote.deadline, vote.remaining, vote.waiting_for_moderator),
            inline=False,
        )
        _add_choices(embed, vote)
    embed.set_footer(text=f"{status.decisions_taken} decisions so far")
    return fit(embed)


def recap_embed(recap: Recap) -> discord.Embed:
    """/campaign recap: each decision, its votes and what happened."""
    lines = []
    for number, entry in enumerate(recap.entries, start=1):
        votes = sum(entry.tally.values())
        what = entry.choice_label or "no decision"
        roll = (
            ""
            if entry.roll is None
            else (" (the gamble paid off)" if entry.roll else " (the gamble failed)")
        )
        lines.append(f"**{number}. {entry.scene_title}**: {what}, {votes} vote(s){roll}")
        if entry.crews is not None:
            lines.append(f"   Other crews: {crew_line(entry.crews)}")
    where = "Ended at" if recap.ended else "Now at"
    lines.append(f"{where}: **{recap.current_title}**")
    text = "\n".join(lines)
    if len(text) > 4000:
        text = "…\n" + text[-3990:]
    return discord.Embed(
        title=clip(f"{recap.campaign.story_title}: the story so far", TITLE_LIMIT),
        description=text,
        colour=NEUTRAL,
    )


def campaigns_embed(campaigns: Sequence[CampaignInfo]) -> discord.Embed:
    """/campaign list: this server's campaigns."""
    lines = [
        f"<#{c.channel_id}> · **{c.story_title}** · {STATUS_WORDS[c.status]} · started "
        f"{discord.utils.format_dt(c.started_at, 'd')}"
        for c in campaigns[:40]
    ]
    text = "\n".join(lines) if lines else "No campaigns yet. Start one with `/campaign start`."
    return discord.Embed(title="Campaigns", description=clip(text, 4000), colour=NEUTRAL)


def settings_embed(settings: GuildSettings) -> discord.Embed:
    """/settings show: the server's voting rules."""
    embed = discord.Embed(title="Voting rules", colour=NEUTRAL)
    embed.add_field(name="vote_seconds", value=f"{settings.vote_seconds} s")
    embed.add_field(name="tie_break", value=settings.tie_break.value)
    embed.add_field(name="quorum", value=str(settings.quorum))
    embed.add_field(name="blind", value="yes" if settings.blind else "no")
    embed.add_field(name="share_choices", value="yes" if settings.share_choices else "no")
    voter = f"<@&{settings.voter_role_id}>" if settings.voter_role_id else "everyone"
    moderator = (
        f"<@&{settings.moderator_role_id}>" if settings.moderator_role_id else "Manage Server only"
    )
    embed.add_field(name="voter_role", value=voter)
    embed.add_field(name="moderator_role", value=moderator)
    return embed


def closed_notice(closed: Closed) -> str | None:
    """A line for the channel when the story could not go on."""
    if closed.paused_reason:
        return (
            f"The campaign is paused: {closed.paused_reason} A moderator can /campaign resume it."
        )
    return None
