"""SIGKILL at random moments while ballots, closes and campaign starts run: 200 trials.

A fork server (kill_child.py) starts a worker per trial on the same database file; the worker
plays several campaigns through the real use cases and reports each action only after the
use case returned. The test kills it with SIGKILL after a seeded number of acknowledgements
(so the kill lands wherever the worker happens to be: inside a commit, between two, during
start-up and its overdue closes), then checks the file before the next trial starts on it:

- `PRAGMA integrity_check` is ok and no foreign key dangles;
- every acknowledged ballot, close, start and end is there (a member's ballot may only have
  been replaced by the one they were casting when the kill came);
- no decision is closed twice or left half-advanced: each campaign's decisions run 1..n
  with only the last one open, and the story state's path matches the closed decisions
  one for one (a double close would add a step or a second next vote), with the open
  vote on the scene the state is at;
- a fresh service's `resume_open_votes()` schedules exactly the open votes of running
  campaigns, each at its stored deadline.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.campaign import CampaignService, DeadlineScheduler, ManualClock
from bot.store import Store
from tests.postgres import postgres_url, with_database
from tests.reliability.invariants import Rows, check_campaign, rows_of

__all__ = ["postgres_url"]

CHILD = Path(__file__).with_name("kill_child.py")
ROOT = Path(__file__).resolve().parents[2]
TRIALS = 200
SERVERS = 2  # two fork servers on two files, one per core
SEED = 20260108
LINE_TIMEOUT = 60  # a bound on a stuck worker, never a pause


@dataclass
class Ledger:
    """Everything acknowledged on one database file, across all its trials."""

    ballots: dict[tuple[int, int], str] = field(default_factory=dict)
    #: ballots that were being cast when a kill came: they may or may not have committed
    maybe: dict[tuple[int, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    pending: list[str] | None = None
    closed: set[int] = field(default_factory=set)
    started: dict[int, int] = field(default_factory=dict)
    ended: set[int] = field(default_factory=set)
    posted: dict[int, int] = field(default_factory=dict)
    acks: int = 0
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kills: int = 0

    def take(self, words: list[str]) -> None:
        kind, action, *rest = words
        self.pending = words if kind == "TRY" else None
        if kind != "ACK":
            return
        self.acks += 1
        if action == "ballot":
            decision, member, choice = int(rest[0]), int(rest[1]), rest[2]
            self.ballots[(decision, member)] = choice
            self.maybe.pop((decision, member), None)
        elif (action in ("due", "skip") and rest[1] == "close") or action == "decide":
            self.closed.add(int(rest[0]))
        elif action == "start":
            self.started[int(rest[0])] = int(rest[1])
        elif action == "end":
            self.ended.add(int(rest[0]))
        elif action == "post":
            self.posted[int(rest[0])] = int(rest[1])


class ForkServer:
    """One kill_child.py process; each `trial` forks a worker and kills it."""

    def __init__(self, process: asyncio.subprocess.Process, errors: Path) -> None:
        self.process = process
        self.errors = errors

    @classmethod
    async def start(cls, errors: Path) -> ForkServer:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with errors.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(CHILD),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
                env=env,
            )
        server = cls(process, errors)
        assert (await server.line()) == ["LOADED"], server.errors.read_text()
        return server

    async def line(self) -> list[str]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), LINE_TIMEOUT)
        if not raw:
            pytest.fail(f"the fork server stopped:\n{self.errors.read_text()}")
        return raw.decode().split()

    async def trial(
        self,
        db: Path | str,
        seed: int,
        synchronous: str,
        clock: float,
        kill_after: tuple[str, int],
        ledger: Ledger,
    ) -> None:
        """Run one worker; SIGKILL it after its n-th line of a kind: ("ACK", n) lands between
        or early in use cases, ("TRY", n) as one begins; n = -1 kills it as it starts (while
        it opens the file and closes the overdue votes)."""
        trigger, count = kill_after
        assert self.process.stdin is not None
        self.process.stdin.write(f"run {db} {seed} {synchronous} {clock}\n".encode())
        await self.process.stdin.drain()
        pid = None
        seen = 0
        killed = False
        while True:
            words = await self.line()
            if words[0] == "PID":
                pid = int(words[1])
            elif words[0] == "DONE":
                assert int(words[1]) == pid
                status = int(words[2])
                assert status == -signal.SIGKILL, (
                    f"the worker stopped on its own ({status}):\n{self.errors.read_text()}"
                )
                break
            elif words[0] in ("TRY", "ACK", "NO"):
                ledger.take(words)
                seen += words[0] == trigger
            if not killed and pid is not None and seen > count:
                os.kill(pid, signal.SIGKILL)
                killed = True
        ledger.kills += 1
        if ledger.pending is not None:  # the kill came inside this use case
            ledger.in_flight[ledger.pending[1]] += 1
            if ledger.pending[1] == "ballot":
                decision, member, choice = ledger.pending[2:]
                ledger.maybe[(int(decision), int(member))].add(choice)
            ledger.pending = None

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()


def check_file(found: Rows | None, ledger: Ledger) -> list[tuple[int, int]]:
    """Every invariant of a database after a kill; returns the open, running votes with
    their deadlines (what a start must reschedule)."""
    if found is None:  # killed before the first migration committed
        assert not ledger.acks
        return []
    ballots = {(r["decision_id"], r["member_id"]): r["choice_id"] for r in found.ballots}
    for key, choice in ledger.ballots.items():
        allowed = {choice, *ledger.maybe.get(key, ())}
        assert ballots.get(key) in allowed, f"acknowledged ballot {key}={choice} lost"
    decisions = defaultdict(list)
    for r in found.decisions:
        decisions[r["campaign_id"]].append(r)
    by_id = {r["id"]: r for rows in decisions.values() for r in rows}
    for decision_id in ledger.closed:
        assert by_id[decision_id]["closed_at"] is not None, f"acknowledged close {decision_id} lost"
    campaigns = {r["id"]: r for r in found.campaigns}
    for campaign_id, first in ledger.started.items():
        assert campaign_id in campaigns, f"acknowledged start {campaign_id} lost"
        assert first == 0 or by_id[first]["seq"] == 1
    for campaign_id in ledger.ended:
        assert campaigns[campaign_id]["status"] == "ended"
    for decision_id, message_id in ledger.posted.items():
        assert by_id[decision_id]["message_id"] == message_id, "acknowledged post lost"
    running_votes = []
    for campaign_id, campaign in campaigns.items():
        rows = decisions[campaign_id]
        running_votes += check_campaign(campaign, rows)
    return sorted(running_votes)


async def check_resume(db: Path | str, expected: list[tuple[int, int]]) -> None:
    """A start after the kill schedules every open vote of a running campaign."""
    clock = ManualClock()
    scheduler = DeadlineScheduler(clock)
    async with Store.open(db) as store:
        service = CampaignService(store, {}, clock, scheduler)
        report = await service.resume_open_votes()
    assert report.scheduled == len(expected) == scheduler.pending
    for decision_id, deadline_us in expected:
        scheduled = scheduler.deadline_of(decision_id)
        assert scheduled is not None, f"open vote {decision_id} not rescheduled"
        assert round(scheduled.timestamp() * 1_000_000) == deadline_us


async def run_trials(
    server: ForkServer, db: Path | str, trials: range, rng: random.Random
) -> Ledger:
    ledger = Ledger()
    for trial in trials:
        kill_after = (rng.choice(("ACK", "TRY")), rng.choice((-1, 0, 1, 2, *range(3, 40))))
        synchronous = rng.choice(("FULL", "NORMAL"))
        # Each start is a day after the last: every vote left open is overdue and closes
        # as the worker starts, as after a real outage.
        await server.trial(
            db, rng.randrange(2**31), synchronous, trial * 86_400.0, kill_after, ledger
        )
        expected = check_file(await rows_of(db), ledger)
        await check_resume(db, expected)
    return ledger


async def test_two_hundred_kills_lose_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    servers = [await ForkServer.start(tmp_path / f"server{i}.err") for i in range(SERVERS)]
    try:
        per_server = TRIALS // SERVERS
        ledgers = await asyncio.gather(
            *(
                run_trials(
                    server,
                    tmp_path / f"deck{i}.db",
                    range(per_server),
                    random.Random(rng.randrange(2**31)),
                )
                for i, server in enumerate(servers)
            )
        )
    finally:
        for server in servers:
            await server.stop()
    kills = sum(ledger.kills for ledger in ledgers)
    assert kills >= TRIALS
    acks = sum(ledger.acks for ledger in ledgers)
    closes = sum(len(ledger.closed) for ledger in ledgers)
    starts = sum(len(ledger.started) for ledger in ledgers)
    inside = defaultdict(int)
    for ledger in ledgers:
        for action, count in ledger.in_flight.items():
            inside[action] += count
    print(
        f"{kills} kills; {acks} acknowledged actions ({closes} closes, {starts} starts) all"
        f" found; kills inside a use case: {dict(sorted(inside.items()))}"
    )
    assert closes and starts


async def test_two_hundred_kills_on_postgresql_lose_nothing_acknowledged(
    postgres_url: str, tmp_path: Path
) -> None:
    """The same trials with the workers on PostgreSQL (issue 17): two fork servers, each on
    its own database of the test server (the second made beside the fixture's own)."""
    import asyncpg

    second = postgres_url.rsplit("/", 1)[1] + "_b"
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{second}"')  # a name made here, never input
    databases = [postgres_url, with_database(postgres_url, second)]
    rng = random.Random(SEED + 1)
    servers = [await ForkServer.start(tmp_path / f"pg{i}.err") for i in range(len(databases))]
    try:
        ledgers = await asyncio.gather(
            *(
                run_trials(
                    server, db, range(TRIALS // SERVERS), random.Random(rng.randrange(2**31))
                )
                for server, db in zip(servers, databases, strict=True)
            )
        )
    finally:
        for server in servers:
            await server.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{second}" WITH (FORCE)')
        await admin.close()
    assert sum(ledger.kills for ledger in ledgers) >= TRIALS
    assert sum(len(ledger.closed) for ledger in ledgers)
    assert sum(len(ledger.started) for ledger in ledgers)
