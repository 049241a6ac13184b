"""The operator's view of a PostgreSQL database: `health` connects and checks the schema
version, `export` reads it like a file, `backup` points to pg_dump; and a start whose database
does not open says why in one line and exits 1: the server unreachable (host and port named,
never the password) or its schema newer than the code (both versions named). The start runs
the real `serve.run` in a child process, logging in replaced by the set-up the bot runs after
it."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.cli import main
from bot.store.postgres import PostgresStore, PostgresUrl, load_migrations
from tests.postgres import postgres_url
from tests.store.helpers import GUILD, start

__all__ = ["postgres_url"]

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys
from bot import serve
from bot.app import DeckBot
from bot.config import Settings

async def _login(self, token):
    await self.setup_hook()

DeckBot.login = _login
settings = Settings(
    discord_token="tok3n-not-real", database=sys.argv[1], content_dir=sys.argv[2], _env_file=None
)
sys.exit(serve.run(settings))
"""


def _start(database: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, database, str(ROOT / "content")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_is_one_line_naming_host_and_port() -> None:
    port = _free_port()
    done = _start(f"postgresql://deck:s3cret-pw@127.0.0.1:{port}/deck")
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"PostgreSQL at 127.0.0.1:{port}: connection refused" in lines[0]
    assert "s3cret-pw" not in done.stdout + done.stderr


async def test_a_database_of_newer_code_is_refused_naming_both_versions(postgres_url: str) -> None:
    latest = len(load_migrations())
    async with PostgresStore.open(postgres_url):
        pass
    db = await asyncpg.connect(postgres_url)
    try:
        await db.execute(
            "INSERT INTO schema_version (version, name) VALUES ($1, 'newer')", latest + 1
        )
    finally:
        await db.close()
    done = await asyncio.to_thread(_start, postgres_url)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"schema version {latest + 1}, newer than this code's {latest}" in lines[0]
    password = urlsplit(postgres_url).password
    assert password is None or password not in done.stderr


async def _newer(url: str) -> int:
    """Make the database one schema version newer than the code; returns that version."""
    newer = len(load_migrations()) + 1
    async with PostgresStore.open(url):
        pass
    db = await asyncpg.connect(url)
    try:
        await db.execute("INSERT INTO schema_version (version, name) VALUES ($1, 'newer')", newer)
    finally:
        await db.close()
    return newer


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def test_health_connects_and_checks_the_schema_version(
    postgres_url: str,
    content: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE", postgres_url)
    monkeypatch.setenv("CONTENT_DIR", str(content))
    code, out, _ = await asyncio.to_thread(_run, capsys, "health")
    masked = PostgresUrl(postgres_url).masked()
    assert code == 0, out
    assert out.splitlines() == [
        f"healthy: database {masked} ok (schema {len(load_migrations())}); 1 story (tiny)"
    ]
    password = urlsplit(postgres_url).password
    assert password is None or password not in out

    newer = await _newer(postgres_url)
    code, out, _ = await asyncio.to_thread(_run, capsys, "health")
    assert code == 1
    assert f"schema version {newer}, newer than this code's {newer - 1}" in out


def test_health_of_an_unreachable_server_names_host_and_port(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    monkeypatch.setenv("DATABASE", f"postgresql://deck:s3cret-pw@127.0.0.1:{port}/deck")
    monkeypatch.setenv("CONTENT_DIR", str(content))
    code, out, err = _run(capsys, "health")
    assert code == 1
    assert f"PostgreSQL at 127.0.0.1:{port}: connection refused" in out
    assert "s3cret-pw" not in out + err


async def test_export_reads_postgres_and_backup_points_to_pg_dump(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with PostgresStore.open(postgres_url) as store:
        await start(store)
    monkeypatch.setenv("DATABASE", postgres_url)
    code, out, err = await asyncio.to_thread(_run, capsys, "export", "--guild", str(GUILD))
    assert code == 0, err
    [campaign] = json.loads(out)["campaigns"]
    assert campaign["story_id"] == "claim-jumpers"
    code, out, err = await asyncio.to_thread(_run, capsys, "backup", str(tmp_path / "copy.db"))
    assert code == 1
    assert "pg_dump" in err
