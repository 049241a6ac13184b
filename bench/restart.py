"""A restart with 100,000 open votes: how long until every deadline is scheduled, and how long
until the overdue ones (the bot was down past their deadline) are closed.

The database holds `--votes` running campaigns (default 100,000, in 20,000 guilds of 5
channels; the schema allows one open vote per campaign), each with its vote open and its scene
message posted; `--overdue` of them are past their deadline, with a few ballots each. Each
repeat starts a fresh process on a fresh copy of the file (the OS file cache stays warm),
builds the real bot (`bot.app.create_bot`) with its network stubbed (bench/dispatch.py's
StubHTTP), and times its `setup_hook`: open the store, load and check the stories, register
buttons and commands, read every open deadline and schedule it. Then the scheduler closes the
overdue votes through the Board, as the live bot does: close in the store, mark the scene
message closed, post the next scene.

Run: `python bench/restart.py [--repeat 5] [--votes 100000] [--overdue 1000]`.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch import Outbox, close, machine, message_payload, stubbed_bot  # noqa: E402

CHANNELS_PER_GUILD = 5
GUILD0 = 800_000_000_000_000_000
CHANNEL0 = 810_000_000_000_000_000
MESSAGE0 = 820_000_000_000_000_000  # the scene message of decision d is MESSAGE0 + d


def to_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def build(path: Path, content: Path, votes: int, overdue: int) -> None:
    """Fill the file with plain SQL in one transaction (the store made the schema)."""
    from bot.store import Store
    from bot.story import load_story

    async def schema() -> None:
        async with Store.open(path):
            pass

    asyncio.run(schema())
    story = load_story(content / "derelict")
    now = datetime.now(UTC)
    rng = random.Random(1)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    campaigns, decisions, ballots = [], [], []
    for n in range(votes):
        campaign_id = decision_id = n + 1
        guild = GUILD0 + n // CHANNELS_PER_GUILD
        state = story.new_state(rng.randrange(2**31))
        campaigns.append(
            (
                campaign_id,
                guild,
                CHANNEL0 + n,
                story.id,
                story.content_hash,
                json.dumps(state.to_json()),
                rng.randrange(2**31),
                to_us(now - timedelta(hours=1)),
            )
        )
        if n < overdue:  # the bot was down when these were due
            deadline = now - timedelta(seconds=rng.uniform(1, 600))
            for member in range(5):
                ballots.append((decision_id, member + 1, ("force", "hack")[member % 2], 0))
        else:
            deadline = now + timedelta(seconds=rng.uniform(600, 7 * 86_400))
        choices = json.dumps([c.id for c in story.offered(state)])
        decisions.append(
            (
                decision_id,
                campaign_id,
                state.scene,
                choices,
                MESSAGE0 + decision_id,
                to_us(now - timedelta(minutes=30)),
                to_us(deadline),
            )
        )
    db.executemany(
        "INSERT INTO campaigns (id, guild_id, channel_id, story_id, story_hash, status,"
        " state_json, seed, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
        campaigns,
    )
    db.executemany(
        "INSERT INTO decisions (id, campaign_id, seq, scene_id, choices, message_id, opened_at,"
        " deadline) VALUES (?, ?, 1, ?, ?, ?, ?, ?)",
        decisions,
    )
    db.executemany("INSERT INTO ballots VALUES (?, ?, ?, ?)", ballots)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def guild_of(channel_id: int) -> int:
    return GUILD0 + (channel_id - CHANNEL0) // CHANNELS_PER_GUILD


def scene_message(channel_id: int, message_id: int) -> dict:
    """The vote's scene message as Discord would return it: one embed, two vote buttons."""
    decision_id = message_id - MESSAGE0
    message = message_payload(channel_id, message_id, None)
    message["embeds"] = [
        {"type": "rich", "title": "The Airlock", "description": "The door.", "fields": []}
    ]
    message["components"] = [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 1,
                    "label": label,
                    "custom_id": f"deck:vote:{decision_id}:{index}",
                }
                for index, label in enumerate(("Force the door", "Wake the controller"))
            ],
        }
    ]
    return message


async def child(database: Path, content: Path, overdue: int) -> dict[str, float]:
    """One start of the bot on `database`: the timings, as JSON on stdout."""
    from bot.config import Settings

    settings = Settings(database=database, content_dir=content, _env_file=None)
    outbox = Outbox()
    bot, stub = stubbed_bot(settings, outbox)
    stub.message_for = scene_message
    stub.guild_of = guild_of

    marks: dict[str, float] = {}
    load = bot.scheduler.load

    def timed_load(deadlines: list) -> None:
        load(deadlines)
        marks["scheduled"] = time.perf_counter()
        marks["count"] = len(deadlines)

    bot.scheduler.load = timed_load  # type: ignore[method-assign]
    closed = 0
    rendered = asyncio.Event()
    on_due = bot.board.on_vote_due

    async def counted(decision_id: int) -> None:
        nonlocal closed
        await on_due(decision_id)
        closed += 1
        marks["last_closed"] = time.perf_counter()
        if closed >= overdue:
            rendered.set()

    bot.board.on_vote_due = counted  # type: ignore[method-assign]
    started = time.perf_counter()
    await bot._async_setup_hook()
    await bot.setup_hook()
    marks["setup_done"] = time.perf_counter()
    if overdue:
        await asyncio.wait_for(rendered.wait(), timeout=600)
    else:
        marks["last_closed"] = marks["scheduled"]
    pending = bot.scheduler.pending
    await close(bot)
    return {
        "scheduled_s": marks["scheduled"] - started,
        "setup_hook_s": marks["setup_done"] - started,
        "closed_after_s": marks["last_closed"] - marks["scheduled"],
        "deadlines": marks["count"],
        "pending": pending,
        "posts": outbox.requests["POST /channels/{channel_id}/messages"],
        "edits": outbox.requests["PATCH /channels/{channel_id}/messages/{message_id}"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=1000)
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "CONTENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(child(Path(args.child[0]), Path(args.child[1]), args.overdue))
        print(json.dumps(result))
        return
    print(machine())
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix="bench-restart-") as tmp:
        folder = Path(tmp)
        content = folder / "content"
        shutil.copytree(ROOT / "content", content)
        shutil.copytree(ROOT / "docs" / "example-story", content / "derelict")
        template = folder / "template.db"
        started = time.perf_counter()
        build(template, content, args.votes, args.overdue)
        size = template.stat().st_size / 1e6
        print(
            f"{args.votes:,} open votes in {args.votes // CHANNELS_PER_GUILD:,} guilds,"
            f" {args.overdue:,} overdue with 5 ballots each; {size:.0f} MB file built in"
            f" {time.perf_counter() - started:.1f} s"
        )
        runs = []
        for repeat in range(args.repeat):
            database = folder / f"run-{repeat}.db"
            shutil.copyfile(template, database)
            command = [sys.executable, __file__, "--overdue", str(args.overdue)]
            out = subprocess.run(
                [*command, "--child", str(database), str(content)],
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            database.unlink()
            print(f"  repeat {repeat + 1}: {runs[-1]}", file=sys.stderr)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(
        f"setup_hook start -> every deadline scheduled: median {med('scheduled_s'):.2f} s"
        f" (min {min(r['scheduled_s'] for r in runs):.2f}, max"
        f" {max(r['scheduled_s'] for r in runs):.2f}; {med('deadlines'):,.0f} deadlines;"
        f" whole setup_hook {med('setup_hook_s'):.2f} s; goal < 2 s)"
    )
    print(
        f"then the {args.overdue:,} overdue votes closed and shown within: median"
        f" {med('closed_after_s'):.2f} s (min {min(r['closed_after_s'] for r in runs):.2f},"
        f" max {max(r['closed_after_s'] for r in runs):.2f};"
        f" {med('edits'):,.0f} messages marked closed, {med('posts'):,.0f} next scenes posted;"
        " goal < 5 s)"
    )


if __name__ == "__main__":
    main()
