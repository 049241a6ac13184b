"""Ballots per second through the campaign use case, durable (synchronous=FULL).

Many concurrent members click on a few thousand open votes; each click runs
`CampaignService.cast`, which returns only once the transaction holding the ballot committed.
Four ways of writing are measured in the same run, on fresh copies of the same database:

- group 2 ms: the group commit with the default 2 ms window (what the bot runs)
- group 0 ms: the group commit with no window (batches form while the previous one commits)
- 1 per commit: the same new click path (cached checks, counts in memory), but every ballot
  committed on its own by the store's one-statement `cast_ballot` (autocommit)
- before: the click path as it was before issue 7 (five queries and one commit per click)

Two loads: closed loop (`--members` members clicking as fast as their answers come back:
the most each way can take) and open loop (clicks arrive at `--rate` a second whatever
happens: the latency a member sees at that rate; only the group commits are run, the others
cannot keep up). Time-to-committed is from the click's arrival to `cast` returning.

Run: `python bench/ballots.py [--repeat 5] [--seconds 4] [--votes 3000]`. It writes to a
temporary folder in the working directory (run it where `data/` lives: fsync is the disk's).
With `--postgres URL` (a database on a server whose user may CREATE DATABASE) it measures
the PostgreSQL store instead: a template database is built once and each run gets a copy
(CREATE DATABASE ... TEMPLATE), dropped after. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402
import asyncpg  # noqa: E402
from machine import describe  # noqa: E402

from bot.campaign import BallotCast, CampaignService, ManualClock, errors  # noqa: E402
from bot.campaign.records import choice_labels  # noqa: E402
from bot.domain import CampaignStatus, NewBallot  # noqa: E402
from bot.store import SqliteStore, Store  # noqa: E402
from bot.store.postgres import PostgresStore  # noqa: E402
from bot.story import Story, load_story  # noqa: E402

Cast = Callable[..., Awaitable[BallotCast]]
CHANNELS_PER_GUILD = 10


def machine() -> str:
    return (
        f"{describe()} (this process may use {len(os.sched_getaffinity(0))});"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" aiosqlite {aiosqlite.__version__}"
    )


def pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


async def legacy_cast(
    service: CampaignService,
    *,
    guild_id: int,
    decision_id: int,
    choice_index: int,
    member_id: int,
    role_ids: Collection[int] = (),
) -> BallotCast:
    """`CampaignService.cast` as it was before issue 7 (commit 9c5cd4c): the decision, the
    campaign, the settings and the member's previous ballot read on every click, then one
    commit per ballot."""
    store = service.store
    decision = await store.get_decision(decision_id)
    if decision is None:
        raise errors.UnknownVote()
    campaign = await store.get_campaign(decision.campaign_id)
    if campaign is None or campaign.guild_id != guild_id:
        raise errors.UnknownVote()
    if not decision.is_open:
        raise errors.VoteClosed()
    if campaign.status is CampaignStatus.PAUSED:
        raise errors.CampaignPaused()
    if campaign.status is CampaignStatus.WAITING:
        raise errors.WaitingForModerator()
    if not 0 <= choice_index < len(decision.choices):
        raise errors.ChoiceNotOffered()
    now = service.clock()
    if decision.deadline is not None and now >= decision.deadline:
        raise errors.VoteClosed()
    settings = await store.get_settings(guild_id)
    if settings.voter_role_id is not None and settings.voter_role_id not in role_ids:
        raise errors.NotAVoter()
    choice_id = decision.choices[choice_index]
    previous = await store.ballot_of(decision_id, member_id)
    if not await store.cast_ballot(decision_id, member_id, choice_id, now):
        raise errors.VoteClosed()
    labels = choice_labels(service.stories, campaign.story_id, decision)
    changed_from = None
    if previous is not None and previous.choice_id != choice_id:
        changed_from = labels.get(previous.choice_id, previous.choice_id)
    return BallotCast(
        decision_id=decision_id,
        campaign_id=campaign.id,
        choice_id=choice_id,
        choice_label=labels.get(choice_id, choice_id),
        deadline=decision.deadline,
        changed_from=changed_from,
        blind=settings.blind,
    )


async def build(path: Path | str, story: Story, votes: int) -> list[tuple[int, int]]:
    """A database with `votes` running campaigns, each with its first vote open."""
    opened: list[tuple[int, int]] = []
    async with Store.open(path, synchronous="NORMAL") as store:
        service = CampaignService(store, {story.id: story}, ManualClock())  # time stands still
        for n in range(votes):
            guild = 1 + n // CHANNELS_PER_GUILD
            started = await service.start(
                guild_id=guild, channel_id=10_000 + n, story_id=story.id, actor_id=1
            )
            assert started.vote is not None
            opened.append((guild, started.vote.decision_id))
        await service.close()
    return opened


class _OneByOne:
    """A store with every "batch" (of one, see `make`) written by `cast_ballot`: one
    statement in its own implicit transaction, the fastest way to commit one ballot."""

    async def cast_ballots(self, ballots: Sequence[NewBallot]) -> list[bool]:
        return [
            await self.cast_ballot(b.decision_id, b.member_id, b.choice_id, b.cast_at)  # type: ignore[attr-defined]
            for b in ballots
        ]


class OneByOne(_OneByOne, SqliteStore):
    """SQLite, one commit per ballot."""


class OneByOnePostgres(_OneByOne, PostgresStore):
    """PostgreSQL, one commit per ballot."""


class PostgresCopies:
    """Databases on one PostgreSQL server: a template built once, a fresh copy per run."""

    def __init__(self, url: str, template: str = "bench_ballots_template") -> None:
        self.url = url
        self.template_name = template
        self.template = self.named(template)

    def named(self, name: str) -> str:
        head, _, _ = self.url.rpartition("/")
        return f"{head}/{name}"

    async def _admin(self, statement: str) -> None:
        admin = await asyncpg.connect(self.url)
        try:
            await admin.execute(statement)
        finally:
            await admin.close()

    async def create_template(self) -> None:
        await self._admin(f"DROP DATABASE IF EXISTS {self.template_name} WITH (FORCE)")
        await self._admin(f"CREATE DATABASE {self.template_name}")

    async def copy(self, name: str) -> str:
        await self._admin(f"CREATE DATABASE {name} TEMPLATE {self.template_name}")
        return self.named(name)

    async def drop(self, name: str) -> None:
        await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    async def drop_template(self) -> None:
        await self.drop(self.template_name)


def make(service: CampaignService, mode: str) -> Cast:
    if mode == "before":
        return lambda **kw: legacy_cast(service, **kw)
    if mode == "1 per commit":
        service.ballots.max_batch = 1
    return service.cast


def opening(path: Path | str, mode: str) -> Any:
    if mode != "1 per commit":
        return Store.open(path, synchronous="FULL")
    kind = OneByOnePostgres if isinstance(path, str) else OneByOne
    return kind.open(path, synchronous="FULL")


def service_for(store: Store, story: Story, mode: str) -> CampaignService:
    window = 0.002 if mode == "group 2 ms" else 0.0
    return CampaignService(store, {story.id: story}, ManualClock(), ballot_window_s=window)


async def warm(cast: Cast, votes: list[tuple[int, int]]) -> None:
    """One click on every vote first: what a running bot has loaded after its first minute."""
    for first in range(0, len(votes), 500):
        await asyncio.gather(
            *(
                cast(guild_id=g, decision_id=d, choice_index=0, member_id=1)
                for g, d in votes[first : first + 500]
            )
        )


async def closed_loop(
    path: Path | str,
    story: Story,
    votes: list[tuple[int, int]],
    mode: str,
    members: int,
    seconds: float,
) -> dict[str, float]:
    async with opening(path, mode) as store:
        service = service_for(store, story, mode)
        cast = make(service, mode)
        await warm(cast, votes)
        batches_before = service.ballots.batches
        latencies: list[float] = []
        done = total = 0
        stop = False
        rng = random.Random(7)

        async def member() -> None:
            nonlocal done, total
            while not stop:
                guild, decision = votes[rng.randrange(len(votes))]
                started = time.perf_counter()
                await cast(
                    guild_id=guild,
                    decision_id=decision,
                    choice_index=rng.randrange(2),
                    member_id=rng.randrange(2, 10_000_000),
                )
                latencies.append(time.perf_counter() - started)
                done += 1
                total += 1

        tasks = [asyncio.create_task(member()) for _ in range(members)]
        await asyncio.sleep(0.5)  # ramp up
        done, latencies[:] = 0, []
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        counted, elapsed, window = done, time.perf_counter() - started, sorted(latencies)
        stop = True
        await asyncio.gather(*tasks)
        batches = service.ballots.batches - batches_before
        await service.close()
    return {
        "rate": counted / elapsed,
        "p50": pct(window, 0.50) * 1e3,
        "p99": pct(window, 0.99) * 1e3,
        "per_batch": total / batches if batches else 1.0,
    }


async def open_loop(
    path: Path | str,
    story: Story,
    votes: list[tuple[int, int]],
    mode: str,
    rate: float,
    seconds: float,
) -> dict[str, float]:
    async with opening(path, mode) as store:
        service = service_for(store, story, mode)
        cast = make(service, mode)
        await warm(cast, votes)
        batches_before = service.ballots.batches
        latencies: list[float] = []
        rng = random.Random(11)
        running: set[asyncio.Task[None]] = set()

        async def click(arrived: float) -> None:
            guild, decision = votes[rng.randrange(len(votes))]
            await cast(
                guild_id=guild,
                decision_id=decision,
                choice_index=rng.randrange(2),
                member_id=rng.randrange(2, 10_000_000),
            )
            latencies.append(time.perf_counter() - arrived)

        started = time.perf_counter()
        issued = 0
        total = int(rate * seconds)
        while issued < total:
            now = time.perf_counter()
            due = min(total, int((now - started) * rate)) - issued
            for n in range(due):
                # spread the arrivals of this tick over it, as they would come in
                arrived = started + (issued + n) / rate
                task = asyncio.create_task(click(arrived))
                running.add(task)
                task.add_done_callback(running.discard)
            issued += due
            await asyncio.sleep(0.0005)
        await asyncio.gather(*running)
        elapsed = time.perf_counter() - started
        batches = service.ballots.batches - batches_before
        await service.close()
    window = sorted(latencies)
    return {
        "rate": len(window) / elapsed,
        "p50": pct(window, 0.50) * 1e3,
        "p99": pct(window, 0.99) * 1e3,
        "per_batch": len(window) / batches if batches else 1.0,
    }


def summary(name: str, runs: list[dict[str, float]]) -> str:
    rate = statistics.median(r["rate"] for r in runs)
    p50 = statistics.median(r["p50"] for r in runs)
    p99 = statistics.median(r["p99"] for r in runs)
    per_batch = statistics.median(r["per_batch"] for r in runs)
    low, high = min(r["rate"] for r in runs), max(r["rate"] for r in runs)
    return (
        f"  {name:13} {rate:9,.0f} ballots/s (min {low:,.0f}, max {high:,.0f})"
        f"  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  {per_batch:6.1f} ballots/commit"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--votes", type=int, default=3000)
    parser.add_argument("--members", type=int, default=1000, help="closed-loop concurrency")
    parser.add_argument(
        "--rates", default="10000,20000", help="open-loop clicks per second, comma-separated"
    )
    parser.add_argument(
        "--postgres", metavar="URL", help="measure PostgreSQL on this server instead of SQLite"
    )
    parser.add_argument(
        "--compare",
        metavar="URL",
        help="group commit on SQLite and on PostgreSQL at this server, taking turns in one run",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    if args.postgres:
        await main_postgres(args, rates)
        return
    if args.compare:
        await main_compare(args, rates)
        return
    print(machine())
    story = load_story(ROOT / "docs" / "example-story")
    modes = ["group 2 ms", "group 0 ms", "1 per commit", "before"]
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix="bench-ballots-") as tmp:
        folder = Path(tmp)
        template = folder / "template.db"
        started = time.perf_counter()
        votes = await build(template, story, args.votes)
        print(
            f"{len(votes)} open votes in {len(votes) // CHANNELS_PER_GUILD} guilds,"
            f" built in {time.perf_counter() - started:.1f} s; synchronous=FULL;"
            f" {args.repeat} repeats of {args.seconds:g} s, modes interleaved"
        )
        closed: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
        opened = {(m, r): [] for r in rates for m in modes[:2]}
        for repeat in range(args.repeat):
            for mode in modes:
                copy = folder / f"run-{repeat}-{mode.replace(' ', '-')}.db"
                shutil.copyfile(template, copy)
                closed[mode].append(
                    await closed_loop(copy, story, votes, mode, args.members, args.seconds)
                )
                copy.unlink()
            for mode, rate in opened:
                copy = folder / f"open-{repeat}-{mode.replace(' ', '-')}.db"
                shutil.copyfile(template, copy)
                opened[mode, rate].append(
                    await open_loop(copy, story, votes, mode, rate, args.seconds)
                )
                copy.unlink()
            print(f"  repeat {repeat + 1} done", file=sys.stderr)
        print(f"closed loop, {args.members} members clicking (the most each way takes):")
        for mode in modes:
            print(summary(mode, closed[mode]))
        base = statistics.median(r["rate"] for r in closed["1 per commit"])
        before = statistics.median(r["rate"] for r in closed["before"])
        for mode in modes[:2]:
            rate = statistics.median(r["rate"] for r in closed[mode])
            print(
                f"  {mode}: {rate / base:.1f}x one commit per ballot, {rate / before:.1f}x before"
                " (goal >= 2x)"
            )
        for rate in rates:
            print(f"open loop, clicks arriving at {rate:,.0f}/s (goal: 10,000/s with p99 < 20 ms):")
            for mode in modes[:2]:
                print(summary(mode, opened[mode, rate]))


async def main_postgres(args: argparse.Namespace, rates: list[float]) -> None:
    """The same runs on PostgreSQL: a template database, a copy of it per run."""
    print(machine())
    story = load_story(ROOT / "docs" / "example-story")
    modes = ["group 2 ms", "group 0 ms", "1 per commit", "before"]
    server = PostgresCopies(args.postgres)
    await server.create_template()
    started = time.perf_counter()
    votes = await build(server.template, story, args.votes)
    print(
        f"PostgreSQL: {len(votes)} open votes in {len(votes) // CHANNELS_PER_GUILD} guilds,"
        f" built in {time.perf_counter() - started:.1f} s; synchronous_commit=on;"
        f" {args.repeat} repeats of {args.seconds:g} s, modes interleaved"
    )
    closed: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    opened: dict[tuple[str, float], list[dict[str, float]]] = {
        (m, r): [] for r in rates for m in modes[:2]
    }
    try:
        for repeat in range(args.repeat):
            for mode in modes:
                name = f"bench_run_{repeat}_{mode.replace(' ', '_')}"
                url = await server.copy(name)
                closed[mode].append(
                    await closed_loop(url, story, votes, mode, args.members, args.seconds)
                )
                await server.drop(name)
            for mode, rate in opened:
                name = f"bench_open_{repeat}_{mode.replace(' ', '_')}"
                url = await server.copy(name)
                opened[mode, rate].append(
                    await open_loop(url, story, votes, mode, rate, args.seconds)
                )
                await server.drop(name)
            print(f"  repeat {repeat + 1} done", file=sys.stderr)
    finally:
        await server.drop_template()
    report(args.members, closed, opened, rates, "")


def report(
    members: int,
    closed: dict[str, list[dict[str, float]]],
    opened: dict[tuple[str, float], list[dict[str, float]]],
    rates: list[float],
    goal: str,
) -> None:
    """The closed-loop line of each mode, then the open-loop lines of each rate."""
    print(f"closed loop, {members} members clicking (the most each way takes):")
    for name, runs in closed.items():
        print(summary(name, runs))
    for rate in rates:
        print(f"open loop, clicks arriving at {rate:,.0f}/s{goal}:")
        for (name, at), runs in opened.items():
            if at == rate:
                print(summary(name, runs))


def remove(path: Path) -> None:
    path.unlink()


async def main_compare(args: argparse.Namespace, rates: list[float]) -> None:
    """Issue 17: the bot's group commit (2 ms window) on both backends in one run, SQLite and
    PostgreSQL taking turns in each repeat so that both see the same machine."""
    print(machine())
    story = load_story(ROOT / "docs" / "example-story")
    mode = "group 2 ms"
    server = PostgresCopies(args.compare)
    await server.create_template()
    backends = ["SQLite", "PostgreSQL"]
    closed: dict[str, list[dict[str, float]]] = {b: [] for b in backends}
    opened: dict[tuple[str, float], list[dict[str, float]]] = {
        (b, r): [] for r in rates for b in backends
    }
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix="bench-ballots-") as tmp:
        template = Path(tmp) / "template.db"
        votes = await build(template, story, args.votes)
        assert votes == await build(server.template, story, args.votes)
        print(
            f"{len(votes)} open votes in {len(votes) // CHANNELS_PER_GUILD} guilds on each;"
            " SQLite synchronous=FULL (WAL), PostgreSQL synchronous_commit=on (loopback);"
            f" {args.repeat} repeats of {args.seconds:g} s, backends taking turns"
        )

        async def fresh(backend: str, name: str) -> Path | str:
            if backend == "PostgreSQL":
                return await server.copy(name)
            shutil.copyfile(template, Path(tmp) / f"{name}.db")
            return Path(tmp) / f"{name}.db"

        async def drop(where: Path | str, name: str) -> None:
            if isinstance(where, str):
                await server.drop(name)
            else:
                remove(where)

        try:
            for repeat in range(args.repeat):
                for backend in backends:
                    name = f"bench_cmp_closed_{repeat}"
                    where = await fresh(backend, name)
                    result = await closed_loop(where, story, votes, mode, args.members, 2.0)
                    closed[backend].append(result)
                    await drop(where, name)
                    for rate in rates:
                        name = f"bench_cmp_open_{repeat}_{int(rate)}"
                        where = await fresh(backend, name)
                        result = await open_loop(where, story, votes, mode, rate, args.seconds)
                        opened[backend, rate].append(result)
                        await drop(where, name)
                print(f"  repeat {repeat + 1} done", file=sys.stderr)
        finally:
            await server.drop_template()
    report(args.members, closed, opened, rates, " (goal on PostgreSQL: all, p99 < 50 ms)")
    for label, pg, lite in [
        ("closed loop", closed["PostgreSQL"], closed["SQLite"]),
        *[(f"{r:,.0f}/s", opened["PostgreSQL", r], opened["SQLite", r]) for r in rates],
    ]:
        ratio = statistics.median(x["rate"] for x in pg) / statistics.median(
            x["rate"] for x in lite
        )
        print(f"  PostgreSQL / SQLite, {label}: {ratio:.2f} of the ballots a second")


if __name__ == "__main__":
    asyncio.run(main())
