"""`python -m bot health`: one line, exit 0 when the bot could start, else 1 with the reason."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store, load_migrations
from tests.story.helpers import TINY, write_story

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = len(load_migrations())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "command-deck.db"
    asyncio.run(_create(path))
    return path


async def _create(path: Path) -> None:
    async with Store.open(path):
        pass


def _health(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["health", *args])
    return code, capsys.readouterr().out.splitlines()


def test_healthy(db: Path, content: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _health(capsys, "--database", str(db), "--content", str(content))
    assert code == 0
    assert lines == [f"healthy: database {db} ok (schema {SCHEMA}); 1 story (tiny)"]


def test_settings_give_the_paths(
    db: Path, content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE", str(db))
    monkeypatch.setenv("CONTENT_DIR", str(content))
    code, lines = _health(capsys)
    assert code == 0, lines
    assert lines[0].startswith("healthy: ")


def test_a_broken_story_is_a_warning(
    db: Path, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_story(content / "broken", TINY.replace("id: tiny", "id: broken").replace("by: ana", ""))
    code, lines = _health(capsys, "--database", str(db), "--content", str(content))
    assert code == 0
    [line] = lines
    assert line.startswith("healthy, with warnings: ")
    assert "1 story (tiny)" in line
    assert "is broken (1 problem(s))" in line


def test_no_story_is_a_failure(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, lines = _health(capsys, "--database", str(db), "--content", str(empty))
    assert code == 1
    assert lines == [f"unhealthy: no story loads under {empty}; database {db} ok (schema {SCHEMA})"]
    code, lines = _health(capsys, "--database", str(db), "--content", str(tmp_path / "nowhere"))
    assert code == 1
    assert f"no content folder {tmp_path / 'nowhere'}" in lines[0]


def test_only_broken_stories_is_a_failure(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "content"
    write_story(content / "broken", TINY.replace("goto: done", "goto: nowhere"))
    code, lines = _health(capsys, "--database", str(db), "--content", str(content))
    assert code == 1
    assert lines[0].startswith("unhealthy: no story loads under ")
    assert "is broken" in lines[0]


def test_a_missing_database_is_a_failure_and_is_not_created(
    tmp_path: Path, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "data" / "none.db"
    code, lines = _health(capsys, "--database", str(missing), "--content", str(content))
    assert code == 1
    assert lines == [f"unhealthy: no database at {missing}; 1 story (tiny)"]
    assert not missing.exists()


def test_a_damaged_database_is_a_failure(
    tmp_path: Path, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 200)
    code, lines = _health(capsys, "--database", str(junk), "--content", str(content))
    assert code == 1
    [line] = lines
    assert line.startswith(f"unhealthy: database {junk} does not open: file is not a database")


def test_bad_settings_are_a_failure(
    db: Path, content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setenv("BALLOT_BATCH_MS", "500")
    code, lines = _health(capsys, "--database", str(db), "--content", str(content))
    assert code == 1
    [line] = lines
    assert line.startswith("unhealthy: LOG_LEVEL: got 'loud'")
    assert "; BALLOT_BATCH_MS: got '500'" in line


def test_as_docker_runs_it(db: Path, content: Path, clean_settings: Path) -> None:
    env = {**os.environ, "DATABASE": str(db), "CONTENT_DIR": str(content)}
    env["PYTHONPATH"] = str(ROOT)
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        capture_output=True,
        text=True,
        env=env,
        cwd=clean_settings,
        timeout=60,
    )
    assert (ok.returncode, ok.stdout.count("\n")) == (0, 1), ok.stderr
    env["CONTENT_DIR"] = str(clean_settings)  # no story here
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        capture_output=True,
        text=True,
        env=env,
        cwd=clean_settings,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stdout.startswith("unhealthy: no story loads under ")
