"""How fast the SQLite store takes the click path, and what a group commit would buy.

Run: `python bench/sqlite_limits.py [--clicks N] [--voters N]`. It writes to a temporary
folder on the same disk as the working directory (fsync cost is the disk's, so run it
where `data/` lives) and prints one line per figure. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import CampaignStatus, NewBallot, NewDecision
from bot.store import Store

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CHOICES = tuple(f"choice-{n}" for n in range(5))


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


async def _decision(store: Store, channel: int) -> int:
    _, decision = await store.create_campaign(
        1, channel, "bench", "h", "{}", 0, T0, NewDecision("s", CHOICES, T0, at(120_000))
    )
    assert decision is not None
    return decision.id


async def bench_mode(folder: Path, synchronous: str, clicks: int, voters: int) -> None:
    path = folder / f"bench-{synchronous.lower()}.db"
    async with Store.open(path, synchronous=synchronous) as store:
        # one member clicking after another: the latency a member waits for "counted"
        decision = await _decision(store, 1)
        latencies = []
        for member in range(clicks):
            started = time.perf_counter()
            await store.cast_ballot(decision, member, CHOICES[member % 5], at(member))
            latencies.append(time.perf_counter() - started)
        latencies.sort()
        p50 = statistics.median(latencies) * 1e3
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1e3
        print(
            f"{synchronous:6} cast_ballot one at a time : {clicks / sum(latencies):8.0f}/s"
            f"  p50 {p50:.2f} ms  p99 {p99:.2f} ms"
        )

        # everyone clicking at once: one commit each, serialised on the connection
        decision = await _decision(store, 2)
        started = time.perf_counter()
        await asyncio.gather(
            *(store.cast_ballot(decision, m, CHOICES[m % 5], at(m)) for m in range(clicks))
        )
        elapsed = time.perf_counter() - started
        print(f"{synchronous:6} cast_ballot {clicks} at once   : {clicks / elapsed:8.0f}/s")

        # the same clicks in batches of 50: what a group commit would reach
        decision = await _decision(store, 3)
        started = time.perf_counter()
        for first in range(0, clicks, 50):
            await store.cast_ballots(
                [
                    NewBallot(decision, m, CHOICES[m % 5], at(m))
                    for m in range(first, min(first + 50, clicks))
                ]
            )
        elapsed = time.perf_counter() - started
        print(f"{synchronous:6} cast_ballots batches of 50 : {clicks / elapsed:8.0f}/s")

        # a big vote: tally and close with `voters` ballots
        decision = await _decision(store, 4)
        for first in range(0, voters, 500):
            await store.cast_ballots(
                [
                    NewBallot(decision, m, CHOICES[m % 5], at(m))
                    for m in range(first, min(first + 500, voters))
                ]
            )
        started = time.perf_counter()
        rounds = 50
        for _ in range(rounds):
            tally = await store.tally(decision)
        per_tally = (time.perf_counter() - started) / rounds * 1e3
        print(f"{synchronous:6} tally of {voters} ballots    : {per_tally:8.2f} ms")
        started = time.perf_counter()
        await store.close_decision(
            decision,
            closed_at=at(200_000),
            outcome=max(tally, key=tally.__getitem__),
            how="timer",
            campaign_state_json="{}",
            campaign_status=CampaignStatus.RUNNING,
            next_decision=NewDecision("t", CHOICES, at(200_000), at(320_000)),
            expect_tally=tally,
        )
        close_ms = (time.perf_counter() - started) * 1e3
        print(f"{synchronous:6} close_decision (+tally)   : {close_ms:8.2f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--voters", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        for mode in ("FULL", "NORMAL"):
            await bench_mode(Path(folder), mode, args.clicks, args.voters)


if __name__ == "__main__":
    asyncio.run(main())
