"""How other crews chose, with 100,000 campaigns in the file: the read behind an epilogue or a
recap, the upgrade that counts what was decided before, and what counting adds to a close.

The file holds `--campaigns` campaigns of Claim Jumpers (default 100,000, in 20,000 guilds),
each with `--decisions` closed decisions along a random playthrough. It is built at the
schema version before the counts existed, with plain SQL; opening it with the store applies
the crew_choices migration, which counts every closed decision once (timed). Then, on the upgraded file:

- `crew_choices` for a whole path (the read an epilogue or a recap makes), timed `--reads`
  times, against the same figures counted straight from the decisions table (what the read
  would cost without the counters);
- `close_decision` of a fresh vote, with the server sharing (counts updated in the same
  transaction) and not sharing, timed `--closes` times each.

Run: `python bench/crews.py [--campaigns 100000] [--decisions 12] [--reads 2000]`.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch import machine  # noqa: E402

from bot.domain import CampaignStatus, CloseHow, NewDecision  # noqa: E402
from bot.store import Store, load_migrations  # noqa: E402
from bot.store.sqlite.migrate import migrate  # noqa: E402
from bot.story import load_story  # noqa: E402

GUILDS = 20_000
GUILD0 = 800_000_000_000_000_000
CHANNEL0 = 810_000_000_000_000_000

#: The same figures straight from the decisions, as a read would have to without counters.
UNCOUNTED = """
SELECT d.scene_id, d.outcome, COUNT(*), COUNT(DISTINCT c.guild_id)
FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
WHERE c.story_id = :story AND d.outcome IS NOT NULL
  AND d.scene_id IN (SELECT value FROM json_each(:scenes))
GROUP BY d.scene_id, d.outcome
"""


def to_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def playthrough(story, rng: random.Random, decisions: int) -> list[tuple[str, tuple, str]]:
    """(scene, offered choice ids, chosen id) along a random run of the real story."""
    state = story.new_state(rng.randrange(2**31))
    steps = []
    while not state.ended and len(steps) < decisions:
        offered = [c.id for c in story.offered(state)]
        if not offered:
            break
        choice = rng.choice(offered)
        steps.append((state.scene, tuple(offered), choice))
        story.play(state, choice, None)
    return steps


def build(path: Path, campaigns: int, decisions: int) -> list[list[str]]:
    """A file from before the counts, with closed decisions; returns a few paths to read."""

    migrations = load_migrations()
    [counts] = [m.version for m in migrations if m.name.endswith("_crew_choices.sql")]

    async def schema() -> None:
        async with aiosqlite.connect(path, isolation_level=None) as db:
            await migrate(db, migrations, target=counts - 1)

    asyncio.run(schema())
    story = load_story(ROOT / "content" / "claim-jumpers")
    rng = random.Random(1)
    now = datetime.now(UTC)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    campaign_rows, decision_rows, paths = [], [], []
    decision_id = 0
    for n in range(campaigns):
        steps = playthrough(story, rng, decisions)
        if len(paths) < 50:
            paths.append([scene for scene, _, _ in steps])
        campaign_rows.append(
            (n + 1, GUILD0 + n % GUILDS, CHANNEL0 + n, story.id, story.content_hash, 1, 0, 1)
        )
        for seq, (scene, offered, choice) in enumerate(steps, start=1):
            decision_id += 1
            at = to_us(now - timedelta(minutes=200 - seq))
            decision_rows.append(
                (decision_id, n + 1, seq, scene, json.dumps(offered), at, at, at, choice)
            )
    db.executemany(
        "INSERT INTO campaigns (id, guild_id, channel_id, story_id, story_hash, status,"
        " state_json, seed, started_at, ended_at) VALUES (?, ?, ?, ?, ?, 'ended', '{}', ?, ?, ?)",
        campaign_rows,
    )
    db.executemany(
        "INSERT INTO decisions (id, campaign_id, seq, scene_id, choices, opened_at, deadline,"
        " closed_at, outcome, how) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'timer')",
        decision_rows,
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    print(f"built: {campaigns:,} campaigns, {decision_id:,} closed decisions")
    return paths


def summary(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"{name:<34} mean {statistics.fmean(samples) * 1e3:8.3f} ms"
        f"   p99 {p99 * 1e3:8.3f} ms   ({len(samples)} runs)"
    )


async def measure(path: Path, paths: list[list[str]], reads: int, closes: int) -> None:
    started = time.perf_counter()
    store = await Store.open(path)
    print(
        f"open + the crew_choices migration (counts every closed decision): {time.perf_counter() - started:.2f} s"
    )
    try:
        samples = []
        for n in range(reads):
            scenes = paths[n % len(paths)]
            t = time.perf_counter()
            await store.crew_choices("claim-jumpers", scenes)
            samples.append(time.perf_counter() - t)
        summary("crew_choices for a whole path", samples)

        raw = sqlite3.connect(path)
        samples = []
        for n in range(max(1, reads // 50)):
            scenes = json.dumps(paths[n % len(paths)])
            t = time.perf_counter()
            raw.execute(UNCOUNTED, {"story": "claim-jumpers", "scenes": scenes}).fetchall()
            samples.append(time.perf_counter() - t)
        raw.close()
        summary("the same, counted from decisions", samples)

        now = datetime.now(UTC)
        for sharing in (True, False):
            await store.update_settings(GUILD0, share_choices=sharing)
            samples = []
            for n in range(closes):
                _, decision = await store.create_campaign(
                    GUILD0,
                    CHANNEL0 - 1 - n - (0 if sharing else closes),
                    "claim-jumpers",
                    "h",
                    "{}",
                    1,
                    now,
                    NewDecision("offer", ("pod", "torch"), now, now + timedelta(minutes=2)),
                )
                assert decision is not None
                t = time.perf_counter()
                await store.close_decision(
                    decision.id,
                    closed_at=now,
                    outcome="pod",
                    how=CloseHow.TIMER,
                    campaign_state_json="{}",
                    campaign_status=CampaignStatus.ENDED,
                    ended_at=now,
                )
                samples.append(time.perf_counter() - t)
            summary(f"close_decision, sharing {'on' if sharing else 'off'}", samples)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=12)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--closes", type=int, default=300)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-crews-") as scratch:
        path = Path(scratch) / "deck.db"
        paths = build(path, args.campaigns, args.decisions)
        asyncio.run(measure(path, paths, args.reads, args.closes))


if __name__ == "__main__":
    main()
