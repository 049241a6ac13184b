"""Entry points: create_bot, and `python -m bot` without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from discord.ext import commands

from bot.app import create_bot
from bot.config import Settings

from .conftest import ROOT


def test_create_bot_returns_an_unstarted_sharded_bot(tmp_path: Path) -> None:
    bot = create_bot(Settings(database=tmp_path / "x.db", content_dir=tmp_path, _env_file=None))
    assert isinstance(bot, commands.AutoShardedBot)
    assert not bot.is_ready() and not bot.is_closed()
    assert not bot.intents.members and not bot.intents.message_content and not bot.intents.presences


@pytest.mark.parametrize("args", [[], ["run"]])
def test_without_a_token_it_says_how_to_get_one_and_exits_2(
    tmp_path: Path, args: list[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "DISCORD_TOKEN is not set" in result.stdout
    assert "https://discord.com/developers/applications" in result.stdout
    assert "python -m bot play claim-jumpers" in result.stdout
