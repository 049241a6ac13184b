"""Resident memory per running campaign: one process holding 10,000 campaigns with open votes,
against the same process holding none.

Each measurement is a fresh process running the real bot (`bot.app.create_bot`, network
stubbed as in bench/dispatch.py) on a database of `--campaigns` running campaigns (bench/
restart.py builds it), measured at two moments after a full garbage collection:

- started: `setup_hook` done, every open vote's deadline scheduled (what a restart holds)
- clicked: then one ballot on every vote through `CampaignService.cast` and the debounced
  tally refresh of every vote's message, 1,000 votes at a time (what an active bot holds:
  the click check, the counts, the refresh's bookkeeping); measured once the refreshes ran

The cost per campaign is (RSS with N - RSS with none) / N at the same moment. The guilds are
not in discord.py's cache in either process: that is the cost of being in a guild, campaign
or not.

Run: `python bench/memory.py [--repeat 3] [--campaigns 10000]`. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch import Outbox, close, machine, stubbed_bot  # noqa: E402
from restart import CHANNEL0, MESSAGE0, build, guild_of, scene_message  # noqa: E402

WAVE = 1000  # votes clicked (and refreshed) at a time


def rss_kb() -> int:
    with Path("/proc/self/status").open(encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def settled_rss() -> int:
    gc.collect()
    return rss_kb()


async def child(database: Path, content: Path, campaigns: int) -> dict[str, float]:
    from bot.config import Settings

    settings = Settings(database=database, content_dir=content, _env_file=None)
    bot, stub = stubbed_bot(settings, Outbox(keep_times=False))
    stub.message_for = scene_message
    stub.guild_of = guild_of
    await bot._async_setup_hook()
    await bot.setup_hook()
    assert bot.scheduler.pending == campaigns
    started = settled_rss()
    for first in range(0, campaigns, WAVE):  # activity comes in waves, not all at once
        casts = [
            bot.campaigns.cast(
                guild_id=guild_of(CHANNEL0 + n), decision_id=n + 1, choice_index=0, member_id=7
            )
            for n in range(first, min(first + WAVE, campaigns))
        ]
        for cast in await asyncio.gather(*casts):
            n = cast.decision_id - 1
            bot.board.tally_changed(cast.decision_id, CHANNEL0 + n, MESSAGE0 + cast.decision_id)
        del casts
        # this wave's debounced refreshes run (each waits the interval, then edits); `wait`
        # keeps no reference to them afterwards (gather's result would keep them alive)
        refreshes = list(bot.board.tallies._refreshes.values())
        if refreshes:
            await asyncio.wait(refreshes)
        del refreshes
    clicked = settled_rss()
    held = bot.campaigns.ballots.held
    await close(bot)
    return {"started_kb": started, "clicked_kb": clicked, "counts_held": held}


def run(folder: Path, content: Path, template: Path, campaigns: int, repeat: int) -> dict:
    database = folder / f"run-{campaigns}-{repeat}.db"
    shutil.copyfile(template, database)
    command = [sys.executable, __file__, "--campaigns", str(campaigns)]
    out = subprocess.run(
        [*command, "--child", str(database), str(content)],
        check=True,
        capture_output=True,
        text=True,
    )
    database.unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "CONTENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(child(Path(args.child[0]), Path(args.child[1]), args.campaigns))
        print(json.dumps(result))
        return
    print(machine())
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix="bench-memory-") as tmp:
        folder = Path(tmp)
        content = folder / "content"
        shutil.copytree(ROOT / "content", content)
        shutil.copytree(ROOT / "docs" / "example-story", content / "derelict")
        full, empty = folder / "full.db", folder / "empty.db"
        build(full, content, args.campaigns, 0)
        build(empty, content, 0, 0)
        with_runs, without_runs = [], []
        for repeat in range(args.repeat):  # interleaved, so drift hits both alike
            without_runs.append(run(folder, content, empty, 0, repeat))
            with_runs.append(run(folder, content, full, args.campaigns, repeat))
            print(f"  repeat {repeat + 1}: {without_runs[-1]} {with_runs[-1]}", file=sys.stderr)
    print(f"{args.campaigns:,} running campaigns with open votes vs none; {args.repeat} runs each")
    for moment, what in (("started", "after setup_hook"), ("clicked", "after a click on each")):
        key = f"{moment}_kb"
        none = statistics.median(r[key] for r in without_runs)
        held = statistics.median(r[key] for r in with_runs)
        each = (held - none) * 1024 / args.campaigns
        print(
            f"  {what:22}: {none / 1024:6.1f} MB with none, {held / 1024:6.1f} MB with"
            f" {args.campaigns:,}: {each:,.0f} bytes each (goal < 5 KB)"
        )


if __name__ == "__main__":
    main()
