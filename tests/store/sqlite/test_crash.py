"""Kill a writer process with SIGKILL mid-run: the file is intact and holds every commit."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.store import Store

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[3]
REPORTED_BEFORE_KILL = 300
LINE_TIMEOUT = 60  # a bound on a stuck child, never a pause


async def _run_until_reported(db_path: Path, synchronous: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        str(db_path),
        synchronous,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    lines: list[list[str]] = []
    try:
        while sum(line[0] == "ballot" for line in lines) < REPORTED_BEFORE_KILL:
            raw = await asyncio.wait_for(child.stdout.readline(), LINE_TIMEOUT)
            if not raw:
                error = (await child.stderr.read()).decode()
                pytest.fail(f"the writer stopped on its own:\n{error}")
            lines.append(raw.decode().split())
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    return lines


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
async def test_a_killed_writer_loses_no_reported_commit(db_path: Path, synchronous: str) -> None:
    async with Store.open(db_path):
        pass  # the schema exists before the child starts
    reported = await _run_until_reported(db_path, synchronous)

    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        raw.close()

    async with Store.open(db_path) as store:
        assert await store.pragma("integrity_check") == "ok"
        closes = [(int(r[1]), int(r[2])) for r in reported if r[0] == "closed"]
        assert closes, "the writer closed no vote before the kill"
        for closed_id, next_id in closes:
            closed = await store.get_decision(closed_id)
            following = await store.get_decision(next_id)
            assert closed is not None and not closed.is_open
            assert following is not None and following.seq == closed.seq + 1
        for _, decision_id, member_id, choice in (r for r in reported if r[0] == "ballot"):
            ballot = await store.ballot_of(int(decision_id), int(member_id))
            assert ballot is not None and ballot.choice_id == choice

        # whatever was in flight at the kill either happened whole or not at all
        [campaign] = await store.list_campaigns(1)
        history = await store.decisions_of(campaign.id)
        assert [d.seq for d in history] == list(range(1, len(history) + 1))
        assert [d.is_open for d in history] == [False] * (len(history) - 1) + [True]
        assert len(history) - 1 >= len(closes)
        # and the file takes new writes
        assert await store.cast_ballot(history[-1].id, 10**9, "hold", history[-1].opened_at)
