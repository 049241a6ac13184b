"""A restart with 100,000 open votes of which 10,000 fell due while the bot was down: how
long until the overdue ones are committed closed, how long until they are all shown, and
how fast clicks on the other votes are answered while they are shown.

The database holds `--votes` running campaigns (default 100,000, in 20,000 guilds of 5
channels; the schema allows one open vote per campaign), each with its vote open and its scene
message posted; `--overdue` of them (default 10,000) are past their deadline, with a few
ballots each. Each repeat starts a fresh process on a fresh copy of the file (the OS file
cache stays warm), builds the real bot (`bot.app.create_bot`) with its network stubbed
(bench/dispatch.py's StubHTTP), and times its `setup_hook`: open the store, load and check the
stories, register buttons and commands, close the overdue votes in batches
(`CampaignService.close_overdue_votes`), read every open deadline and schedule it. Then the
Board shows the closes in the background (mark the scene message closed, post the next
scene), while clicks arrive at `--rate` on 1,000 other open votes through bench/dispatch.py's
click path (an INTERACTION_CREATE payload fed to discord.py's parser, answered through the
stub webhook adapter); their click-to-answer times are measured until the backlog is shown.

Mode "before" (the baseline, in its own processes) runs the same start with the batch close
switched off: the scheduler closes every overdue vote one by one, as before issue 15 item 4.

Run: `python bench/restart.py [--repeat 3] [--votes 100000] [--overdue 10000] [--rate 500]
[--no-baseline]`. Not part of the test run.
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


def click_targets(votes: int, overdue: int, count: int) -> list:
    """Open votes that are not overdue, one per guild, to click while the backlog posts."""
    from dispatch import Vote

    found = []
    for n in range(overdue + (-overdue % CHANNELS_PER_GUILD), votes, CHANNELS_PER_GUILD):
        channel_id, decision_id = CHANNEL0 + n, n + 1
        message = scene_message(channel_id, MESSAGE0 + decision_id)
        found.append(Vote(guild_of(channel_id), channel_id, decision_id, message))
        if len(found) == count:
            break
    return found


async def child(
    database: Path, content: Path, votes: int, overdue: int, rate: float, mode: str
) -> dict[str, float]:
    """One start of the bot on `database`: the timings, as JSON on stdout. `mode` "now" is
    the bot as it is; "before" closes every overdue vote one by one through the scheduler,
    as before issue 15 item 4."""
    from dispatch import (
        MEMBER0,
        Feeder,
        click_payload,
        guild_payload,
        lag_monitor,
        member_payload,
        pct,
    )

    from bot.campaign import Backlog, CampaignService
    from bot.config import Settings
    from bot.store import SqliteStore, Store

    settings = Settings(database=database, content_dir=content, _env_file=None)
    outbox = Outbox()
    bot, stub = stubbed_bot(settings, outbox)
    stub.message_for = scene_message
    stub.guild_of = guild_of

    marks: dict[str, float] = {"batches": 0}
    load = bot.scheduler.load

    def timed_load(deadlines: list) -> None:
        load(deadlines)
        marks["scheduled"] = time.perf_counter()
        marks["deadlines"] = len(deadlines)

    bot.scheduler.load = timed_load  # type: ignore[method-assign]
    close_batch = SqliteStore.close_decisions

    async def timed_batch(store: Store, closes: list) -> dict:
        done = await close_batch(store, closes)
        marks["committed"] = time.perf_counter()
        marks["batches"] += 1
        return done

    SqliteStore.close_decisions = timed_batch  # type: ignore[method-assign]
    closed = 0
    all_closed = asyncio.Event()
    on_due = bot.board.on_vote_due
    if mode == "before":

        async def one_by_one(service: CampaignService) -> Backlog:
            return Backlog(service.clock())  # nothing batched: the scheduler closes each

        CampaignService.close_overdue_votes = one_by_one  # type: ignore[method-assign]

        async def counted(decision_id: int) -> None:
            nonlocal closed
            await on_due(decision_id)
            closed += 1
            marks["committed"] = time.perf_counter()  # the close commits before its showing
            if closed >= overdue:
                all_closed.set()

        bot.board.on_vote_due = counted  # type: ignore[method-assign]

    targets = click_targets(votes, overdue, 1000)
    members = [member_payload(MEMBER0 + 1 + n) for n in range(20_000)]
    rng = random.Random(7)

    started = time.perf_counter()
    await bot._async_setup_hook()
    await bot.setup_hook()
    marks["setup_done"] = time.perf_counter()
    state = bot._connection
    for vote in targets:
        state._add_guild_from_data(guild_payload(vote.guild_id, vote.channel_id))

    def backlog_done() -> bool:
        if mode == "before":
            return all_closed.is_set()
        return bot.board.backlog is None or bot.board.backlog.done()

    feeder = Feeder(bot, outbox)
    lags: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.create_task(lag_monitor(lags, stop))
    clicks_from = time.perf_counter()
    fed = 0
    while not backlog_done() and time.perf_counter() - clicks_from < 600:
        due = int((time.perf_counter() - clicks_from) * rate)
        while fed < due:  # as Discord sends them: JSON text with a fresh interaction id
            vote, member = rng.choice(targets), rng.choice(members)
            feeder.feed(json.dumps(click_payload(vote, member, rng.randrange(2))))
            fed += 1
        await asyncio.sleep(0.001)
    marks["shown"] = time.perf_counter()
    if mode == "before":
        await asyncio.wait_for(all_closed.wait(), timeout=600)
        marks["shown"] = time.perf_counter()
    for _ in range(300):  # the last answers
        if len(feeder.latencies()) >= fed:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await monitor
    latencies = feeder.latencies()
    pending = bot.scheduler.pending
    await close(bot)
    db = sqlite3.connect(database)
    closed_rows = db.execute(
        "SELECT count(*) FROM decisions WHERE seq = 1 AND closed_at IS NOT NULL"
    ).fetchone()[0]
    db.close()
    return {
        "committed_s": marks.get("committed", marks["setup_done"]) - started,
        "scheduled_s": marks["scheduled"] - started,
        "deadlines": marks["deadlines"],
        "setup_hook_s": marks["setup_done"] - started,
        "shown_after_s": marks["shown"] - marks["setup_done"],
        "batches": marks["batches"],
        "closed": closed_rows,
        "pending": pending,
        "posts": outbox.requests["POST /channels/{channel_id}/messages"],
        "edits": outbox.requests["PATCH /channels/{channel_id}/messages/{message_id}"],
        "clicks": fed,
        "answered": len(latencies),
        "counted": outbox.answers["counted"],
        "click_p50_ms": pct(latencies, 0.5) * 1e3,
        "click_p99_ms": pct(latencies, 0.99) * 1e3,
        "click_max_ms": max(latencies, default=float("nan")) * 1e3,
        "lag_p99_ms": pct(lags, 0.99) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0, help="clicks/s while it posts")
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_false", help="skip the 'before' runs"
    )
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "CONTENT"), help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(
            child(
                Path(args.child[0]),
                Path(args.child[1]),
                args.votes,
                args.overdue,
                args.rate,
                args.mode,
            )
        )
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
            f" {time.perf_counter() - started:.1f} s; clicks on 1,000 other open votes at"
            f" {args.rate:,.0f}/s while the backlog posts"
        )
        modes = ["now", "before"] if args.baseline else ["now"]
        runs: dict[str, list[dict]] = {mode: [] for mode in modes}
        for repeat in range(args.repeat):
            for mode in modes:
                database = folder / f"run-{repeat}-{mode}.db"
                shutil.copyfile(template, database)
                command = [sys.executable, __file__, "--votes", str(args.votes)]
                command += ["--overdue", str(args.overdue), "--rate", str(args.rate)]
                out = subprocess.run(
                    [*command, "--mode", mode, "--child", str(database), str(content)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                runs[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
                database.unlink()
                print(f"  repeat {repeat + 1} {mode}: {runs[mode][-1]}", file=sys.stderr)

    for mode, done in runs.items():

        def med(key: str, done: list[dict] = done) -> float:
            return statistics.median(r[key] for r in done)

        def span(key: str, done: list[dict] = done) -> str:
            return f"min {min(r[key] for r in done):.2f}, max {max(r[key] for r in done):.2f}"

        print(f"{mode}:")
        print(
            f"  setup_hook start -> the {args.overdue:,} overdue votes committed closed:"
            f" median {med('committed_s'):.2f} s ({span('committed_s')};"
            f" {med('closed'):,.0f} closed, in {med('batches'):.0f} batch transactions;"
            f" goal < 2 s)"
        )
        print(
            f"  every deadline scheduled at {med('scheduled_s'):.2f} s"
            f" ({med('deadlines'):,.0f} deadlines); whole setup_hook {med('setup_hook_s'):.2f} s"
        )
        print(
            f"  then every close shown within {med('shown_after_s'):.2f} s"
            f" ({span('shown_after_s')}; {med('posts'):,.0f} messages posted,"
            f" {med('edits'):,.0f} edits: closes and the clicked votes' tally refreshes)"
        )
        print(
            f"  meanwhile {med('clicks'):,.0f} clicks, {med('answered'):,.0f} answered"
            f" ({med('counted'):,.0f} counted): click-to-answer p50 {med('click_p50_ms'):.1f} ms,"
            f" p99 {med('click_p99_ms'):.1f} ms (max {med('click_max_ms'):.0f}; goal p99"
            f" < 3,000 ms); loop lag p99 {med('lag_p99_ms'):.1f} ms"
        )


if __name__ == "__main__":
    main()
