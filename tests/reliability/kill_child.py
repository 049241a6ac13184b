"""A worker for the SIGKILL trials, started once as a fork server.

Run as `python kill_child.py`. It imports everything and loads the real stories once, then
reads commands on stdin, one per trial:

    run <database> <seed> <synchronous> <clock_seconds>

For each it forks a worker that plays campaigns through the real `CampaignService` on that
file, as the bot would after a start: it reschedules every open vote (closing the overdue
ones at once), then runs a seeded mix of starts, ballots, timer closes, skips, decides,
pauses, resumes, ends and settings changes until it is killed. Like the bot it holds a vote whose scene was
never posted (`hold_unposted`), "posts" each new vote (`set_message`, what the Board does once
Discord took the message) and at start posts, late, the votes a kill left unposted, as
`on_ready` does. The fork server prints

    PID <pid>                       the worker is starting (open, migrate, resume)
    DONE <pid> <status>             the worker is gone (status -9: SIGKILL)

and the worker prints, each line flushed:

    TRY <action> ...                before calling a use case
    ACK <action> ...                AFTER the use case returned (its commit is done)
    NO <action> <reason>            the use case refused (nothing changed)

Forking after the imports keeps a trial's start at a few milliseconds, so hundreds of kills
fit in a test run. The parent kills the worker with SIGKILL at a seeded point and checks
the file against everything acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.campaign import (
    CampaignService,
    Closed,
    DeadlineScheduler,
    Extended,
    Housekeeping,
    ManualClock,
    Waiting,
)
from bot.campaign.errors import CampaignError
from bot.store import Store
from bot.story import Story, load_story

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
#: guild id -> its channels; two guilds so that a mix-up between them would show.
CHANNELS = {1: (11, 12, 13, 14), 2: (21, 22)}
MEMBERS = range(1, 31)
MOD = 999
STORY_IDS = ("claim-jumpers", "derelict")


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load() -> dict[str, Story]:
    stories = [
        load_story(ROOT / "content" / "claim-jumpers"),
        load_story(ROOT / "docs" / "example-story"),
    ]
    return {story.id: story for story in stories}


def describe(outcome: object) -> str:
    if isinstance(outcome, Closed):
        return "close"
    if isinstance(outcome, Extended):
        return "extend"
    if isinstance(outcome, Waiting):
        return "wait"
    return "none"


async def post(
    service: CampaignService, decision_id: int, rng: random.Random, *, late: bool = False
) -> None:
    """What the Board does once Discord took a vote's scene message: remember it."""
    message_id = rng.randrange(1, 2**62)
    say(f"TRY post {decision_id} {message_id}")
    await service.set_message(decision_id, message_id, late=late)
    say(f"ACK post {decision_id} {message_id}")


async def post_next(service: CampaignService, outcome: object, rng: random.Random) -> None:
    if isinstance(outcome, Closed) and outcome.next_vote is not None:
        await post(service, outcome.next_vote.decision_id, rng)


async def start_up(
    service: CampaignService, housekeeping: Housekeeping, rng: random.Random
) -> None:
    """What the bot does at start: reschedule every open vote and close the overdue ones
    (setup_hook and the scheduler), then post the votes never posted (on_ready)."""
    report = await service.resume_open_votes()
    say(f"RESUMED {report.scheduled} {len(report.overdue)}")
    for decision_id in report.overdue:
        say(f"TRY due {decision_id}")
        outcome = await service.close_due(decision_id)
        say(f"ACK due {decision_id} {describe(outcome)}")
        await post_next(service, outcome, rng)
    for _, vote in await housekeeping.unposted_votes():
        await post(service, vote.decision_id, rng, late=True)


async def open_votes(service: CampaignService) -> list[tuple[int, int, object, object]]:
    """(guild, channel, campaign, open decision) for every channel with a live campaign."""
    found = []
    for guild_id, channels in CHANNELS.items():
        for channel_id in channels:
            campaign = await service.store.active_campaign_in_channel(channel_id)
            if campaign is None:
                continue
            decision = await service.store.open_decision_for(campaign.id)
            found.append((guild_id, channel_id, campaign, decision))
    return found


async def step(service: CampaignService, clock: ManualClock, rng: random.Random) -> None:
    live = await open_votes(service)
    busy = {channel for _, channel, _, _ in live}
    free = [(g, c) for g, cs in CHANNELS.items() for c in cs if c not in busy]
    roll = rng.random()
    if free and (not live or roll < 0.08):
        guild_id, channel_id = rng.choice(free)
        story_id = rng.choice(STORY_IDS)
        say(f"TRY start {channel_id}")
        started = await service.start(
            guild_id=guild_id, channel_id=channel_id, story_id=story_id, actor_id=MOD
        )
        vote = started.vote.decision_id if started.vote else 0
        say(f"ACK start {started.campaign.id} {vote}")
        if vote:
            await post(service, vote, rng)
        return
    guild_id, channel_id, campaign, decision = rng.choice(live)
    roll = rng.random()
    if decision is not None and roll < 0.60:
        member = rng.choice(MEMBERS)
        index = rng.randrange(len(decision.choices))
        choice = decision.choices[index]
        say(f"TRY ballot {decision.id} {member} {choice}")
        await service.cast(
            guild_id=guild_id, decision_id=decision.id, choice_index=index, member_id=member
        )
        say(f"ACK ballot {decision.id} {member} {choice}")
    elif decision is not None and roll < 0.75:
        if decision.deadline is not None:
            clock.now = max(clock.now, decision.deadline + timedelta(seconds=1))
        say(f"TRY due {decision.id}")
        outcome = await service.close_due(decision.id)
        say(f"ACK due {decision.id} {describe(outcome)}")
        await post_next(service, outcome, rng)
    elif roll < 0.83:
        say(f"TRY skip {decision.id if decision else 0}")
        outcome = await service.skip(guild_id=guild_id, channel_id=channel_id, actor_id=MOD)
        closed = outcome.result.decision_id if isinstance(outcome, Closed) else outcome.decision_id
        say(f"ACK skip {closed} {describe(outcome)}")
        await post_next(service, outcome, rng)
    elif decision is not None and roll < 0.87:
        choice = rng.choice(decision.choices)
        say(f"TRY decide {decision.id} {choice}")
        decided = await service.decide(
            guild_id=guild_id, channel_id=channel_id, choice_id=choice, actor_id=MOD
        )
        say(f"ACK decide {decided.result.decision_id} {choice}")
        await post_next(service, decided, rng)
    elif roll < 0.91:
        say(f"TRY pause {campaign.id}")
        await service.pause(guild_id=guild_id, channel_id=channel_id, actor_id=MOD)
        say(f"ACK pause {campaign.id}")
    elif roll < 0.96:
        say(f"TRY resume {campaign.id}")
        await service.resume(guild_id=guild_id, channel_id=channel_id, actor_id=MOD)
        say(f"ACK resume {campaign.id}")
    elif roll < 0.98:
        say(f"TRY end {campaign.id}")
        await service.end(guild_id=guild_id, channel_id=channel_id, actor_id=MOD)
        say(f"ACK end {campaign.id}")
    else:
        changes = {
            "quorum": rng.choice((1, 1, 2, 3)),
            "tie_break": rng.choice(("random", "first", "moderator")),
        }
        say(f"TRY settings {guild_id}")
        await service.update_settings(guild_id=guild_id, actor_id=MOD, changes=changes)
        say(f"ACK settings {guild_id} {changes['quorum']} {changes['tie_break']}")


async def work(
    path: Path | str, seed: int, synchronous: str, start: float, stories: dict[str, Story]
) -> None:
    clock = ManualClock(T0 + timedelta(seconds=start))
    rng = random.Random(seed)
    async with Store.open(path, synchronous=synchronous) as store:
        scheduler = DeadlineScheduler(clock)  # never started: this worker closes votes itself
        service = CampaignService(store, stories, clock, scheduler, hold_unposted=True)
        housekeeping = Housekeeping(store, stories, clock, service)
        await start_up(service, housekeeping, rng)
        say("READY")
        for _ in range(100_000):
            clock.advance(rng.choice((0, 0, 1, 5)))
            try:
                await step(service, clock, rng)
            except CampaignError as exc:
                say(f"NO {type(exc).__name__}")


def serve() -> None:
    stories = load()
    say("LOADED")
    for line in sys.stdin:
        command, path, seed, synchronous, start = line.split()
        assert command == "run"
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                database = path if "://" in path else Path(path)  # a PostgreSQL URL, or a file
                asyncio.run(work(database, int(seed), synchronous, float(start), stories))
            except BaseException:  # a worker that stops on its own fails the test
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
                code = 3
            os._exit(code)
        say(f"PID {pid}")
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        say(f"DONE {pid} {code}")


if __name__ == "__main__":
    serve()
