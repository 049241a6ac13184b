"""Two bot processes, shards 0 and 1 of 2, on one PostgreSQL database (issue 17): each runs
the real bot in its own SimCord world (shard_child.py) holding the servers Discord would
route to it. Votes close on timers, by skips and by decides, clicks arrive, and each process
restarts in turn while the other keeps working; their clocks differ, so each sees the other's
votes as overdue or far off. Afterwards every vote was closed exactly once, every scene was
posted exactly once and in its own process's world, and neither process logged an error or
reached for a server that is not on its shards."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.postgres import postgres_url
from tests.reliability.invariants import check_campaign, rows_of

__all__ = ["postgres_url"]

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("shard_child.py")
STEP_TIMEOUT = 120  # a bound on a stuck process, never a pause
VOTE_SECONDS = 120  # the example story's vote


class ShardProcess:
    """One shard_child.py process and its error output."""

    def __init__(self, process: asyncio.subprocess.Process, errors: Path) -> None:
        self.process = process
        self.errors = errors

    @classmethod
    async def start(cls, url: str, content: Path, shard: int, folder: Path) -> ShardProcess:
        errors = folder / f"shard{shard}.err"
        with errors.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(CHILD),
                url,
                str(content),
                str(shard),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        child = cls(process, errors)
        assert (await child.answer())["ready"] == shard
        return child

    async def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), STEP_TIMEOUT)
        if not raw:
            pytest.fail(f"a shard process stopped:\n{self.errors.read_text()}")
        answer: dict[str, Any] = json.loads(raw)
        assert answer["ok"], answer.get("error")
        assert not answer.get("errors"), answer["errors"]
        return answer

    async def do(self, step: str, seconds: float = 0.0) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"do": step, "seconds": seconds}).encode() + b"\n")
        await self.process.stdin.drain()
        return await self.answer()

    async def stop(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.write(b'{"do": "quit"}\n')
            await self.process.stdin.drain()
            await asyncio.wait_for(self.process.wait(), STEP_TIMEOUT)


async def both(*steps: Any) -> list[dict[str, Any]]:
    """Run one step in each process at the same time."""
    return list(await asyncio.gather(*steps))


async def decisions_by_guild(url: str) -> dict[int, list[Any]]:
    db = await asyncpg.connect(url)
    try:
        rows = await db.fetch(
            "SELECT c.guild_id, d.id, d.closed_at, d.message_id FROM decisions d"
            " JOIN campaigns c ON c.id = d.campaign_id ORDER BY d.id"
        )
    finally:
        await db.close()
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row["guild_id"], []).append(row)
    return found


async def test_two_shard_processes_on_one_postgres_close_and_post_each_vote_once(
    postgres_url: str, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "docs" / "example-story", content / "derelict")
    zero = await ShardProcess.start(postgres_url, content, 0, tmp_path)
    one = await ShardProcess.start(postgres_url, content, 1, tmp_path)
    try:
        await both(zero.do("start"), one.do("start"))
        await both(zero.do("click"), one.do("click"))
        # Shard 1's clock is 1,000 s ahead: shard 0's votes look long overdue to it as it
        # starts again, while shard 0's own timers close them.
        await both(zero.do("advance", VOTE_SECONDS + 1), one.do("restart"))
        await both(zero.do("skip"), one.do("skip"))
        await both(zero.do("decide"), one.do("decide"))
        await both(zero.do("click"), one.do("click"))
        # Shard 0 starts again with shard 1's votes far ahead of its clock, then its clock
        # passes theirs while shard 1 keeps to its own timers.
        await both(zero.do("restart"), one.do("advance", VOTE_SECONDS + 1))
        await both(zero.do("advance", 1_500), one.do("click"))
        for _ in range(3):
            await both(zero.do("start"), one.do("start"))
            await both(zero.do("click"), one.do("click"))
            await both(zero.do("advance", VOTE_SECONDS + 1), one.do("advance", VOTE_SECONDS + 1))
        await both(zero.do("restart"), one.do("restart"))
        await both(zero.do("advance", VOTE_SECONDS + 1), one.do("advance", VOTE_SECONDS + 1))
        await both(zero.do("advance", 61), one.do("advance", 61))  # a housekeeping sweep each
        reports = await both(zero.do("report"), one.do("report"))
    finally:
        await both(zero.stop(), one.stop())

    found = await rows_of(postgres_url)
    assert found is not None
    for campaign in found.campaigns:
        check_campaign(campaign, [r for r in found.decisions if r["campaign_id"] == campaign["id"]])
    decisions = await decisions_by_guild(postgres_url)
    for shard, report in enumerate(reports):
        others = {str(d["id"]) for g in reports[1 - shard]["guilds"] for d in decisions[g]}
        posted = Counter(
            (message_id, custom_id.split(":")[2])
            for messages in report["channels"].values()
            for message_id, custom_ids, _shut in messages
            for custom_id in custom_ids[:1]
        )
        shut = {
            message_id: closed
            for messages in report["channels"].values()
            for message_id, _ids, closed in messages
        }
        by_decision = Counter(decision for _message, decision in posted)
        mine = [d for g in report["guilds"] for d in decisions[g]]
        for d in mine:
            assert by_decision[str(d["id"])] == 1, f"shard {shard}: vote {d['id']} posted " + (
                f"{by_decision[str(d['id'])]} times"
            )
            assert (d["message_id"], str(d["id"])) in posted, f"shard {shard}: vote {d['id']}"
            assert shut[d["message_id"]] == (d["closed_at"] is not None), (
                f"shard {shard}: vote {d['id']}'s message does not show whether it closed"
            )
        assert not others & set(by_decision), f"shard {shard} posted the other shard's votes"
        assert sum(by_decision.values()) == len(mine)
        # enough happened: each server's campaign closed a vote at every step above
        assert sum(d["closed_at"] is not None for d in mine) >= 5 * len(report["guilds"])
