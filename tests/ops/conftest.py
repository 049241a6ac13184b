"""Fixtures for the operator tests: a clean environment, real files in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings, env_name
from tests.story.helpers import TINY, write_story


@pytest.fixture(autouse=True)
def clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No setting leaks in from the shell or a developer's .env: each test starts in an
    empty folder with none of the variables set."""
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A content folder with one small story that passes its check."""
    folder = tmp_path / "content"
    write_story(folder / "tiny", TINY)
    return folder
