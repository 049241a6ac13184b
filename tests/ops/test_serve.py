"""SIGTERM and Ctrl-C stop the bot cleanly: the store is closed and the process exits 0."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_closes_the_bot_and_the_store(tmp_path: Path, sig: signal.Signals) -> None:
    database = tmp_path / "deck.db"
    child = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "ops" / "serve_child.py"),
            str(database),
            str(ROOT / "content"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        child.send_signal(sig)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert "STOPPED" in out
    assert "stop signal received; closing" in err
    assert "not-a-real-token" not in out + err
    # The store was closed: the WAL was checkpointed and removed, and the file is whole.
    assert not Path(f"{database}-wal").exists()
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
