"""The real serve loop in a child process: SIGTERM and Ctrl-C stop the bot cleanly (the store
is closed, exit 0); a start that cannot log in says why in one line and exits 1."""

from __future__ import annotations

import http.server
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok3n-not-real"


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


# -- logging in fails --------------------------------------------------------------------------


class _Discord(http.server.BaseHTTPRequestHandler):
    """Answers every request with the status the test chose, as Discord's API would."""

    status = 500

    def do_GET(self) -> None:
        body = json.dumps({"message": f"{self.status}: test", "code": 0}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[Callable[[int], str]]:
    """A local 'Discord' answering every request with one status; gives its API base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(status: int) -> str:
        handler = type("Handler", (_Discord,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api/v10"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_in(base: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot` with a token, against the API at `base`."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ops" / "login_child.py"), base],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "DISCORD_TOKEN": TOKEN,
            "DATABASE": str(tmp_path / "deck.db"),
            "CONTENT_DIR": str(ROOT / "content"),
        },
    )


def _only_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a person sees (no voice warning, no traceback), which hides the token."""
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    assert TOKEN not in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "base",
    [
        pytest.param("https://discord.invalid/api/v10", id="name-does-not-resolve"),
        pytest.param("closed-port", id="connection-refused"),
    ],
)
def test_no_network_at_start_is_one_line_and_exit_1(tmp_path: Path, base: str) -> None:
    if base == "closed-port":
        base = f"http://127.0.0.1:{_closed_port()}/api/v10"
    result = _log_in(base, tmp_path)
    assert result.returncode == 1
    line = _only_line(result)
    assert "cannot reach Discord: " in line
    assert line.endswith("; check the network")


def test_a_rejected_token_is_one_line_and_exit_1(
    tmp_path: Path, answering: Callable[[int], str]
) -> None:
    result = _log_in(answering(401), tmp_path)
    assert result.returncode == 1
    assert "Discord refused the token (DISCORD_TOKEN)" in _only_line(result)


def test_discord_failing_at_login_is_one_line_and_exit_1(
    tmp_path: Path, answering: Callable[[int], str]
) -> None:
    # 503 is raised at once; 500, 502, 504 are first retried by discord.py for 25 s, then
    # end in the same DiscordServerError.
    result = _log_in(answering(503), tmp_path)
    assert result.returncode == 1
    line = _only_line(result)
    assert "Discord answered HTTP 503 at login" in line
    assert line.endswith("; try again later")
