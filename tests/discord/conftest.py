"""The real bot, unmodified, against SimCord's in-memory Discord."""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
import simcord

from bot.app import DeckBot, create_bot
from bot.config import Settings
from tests.postgres import postgres_url

__all__ = ["postgres_url"]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    shutil.copytree(ROOT / "docs" / "example-story", folder / "derelict")
    return folder


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module marked `pytest.mark.backends("sqlite", "postgres")` runs each of its tests on
    each backend; the rest run on SQLite only (PostgreSQL's runs skip, saying why, where no
    server is reachable: tests/postgres.py)."""
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", marker.args, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend the bot runs on: SQLite unless the module asks for more."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def settings(
    tmp_path: Path, content: Path, backend: str, request: pytest.FixtureRequest
) -> Settings:
    database = (
        tmp_path / "deck.db" if backend == "sqlite" else request.getfixturevalue(f"{backend}_url")
    )
    # A tally refresh interval above SimCord's 5 s settle window: it runs on virtual time.
    return Settings(
        database=database,
        content_dir=content,
        tally_refresh_seconds=6.0,
        _env_file=None,
    )


async def close_bot(bot: DeckBot) -> None:
    """SimCord never calls connect(), where AutoShardedClient makes the queue close() uses."""
    if not hasattr(bot, "_AutoShardedClient__queue"):
        bot._AutoShardedClient__queue = asyncio.PriorityQueue()
    if not bot.is_closed():
        await bot.close()


@dataclass
class World:
    env: simcord.Env
    settings: Settings
    bot: DeckBot
    guild: object
    channel: object
    mod: object
    members: list

    async def restart(self) -> DeckBot:
        """A new bot on the same database, as after a crash or a deploy."""
        old = self.bot
        await close_bot(old)
        self.bot = create_bot(self.settings)
        await self.env.restart_bot(self.bot)
        return self.bot


#: SimCord's default: how long (real seconds) each action may take to settle.
SETTLE_SECONDS = 5.0


@pytest.fixture
async def world(settings: Settings, request: pytest.FixtureRequest):
    """A guild with a channel, a moderator and five members. A test whose actions are slow
    on a loaded machine (a story at Discord's limits) takes a longer settle window with
    `@pytest.mark.settle(seconds)`; its timers must then be longer than that window, or each
    action waits them out in real time (see SimCord's `Env(settle_timeout=...)`)."""
    marker = request.node.get_closest_marker("settle")
    bot = create_bot(settings)
    env = simcord.Env(
        bot, shard_count=1, settle_timeout=marker.args[0] if marker else SETTLE_SECONDS
    )
    await env.start()
    guild = env.create_guild(name="Deck")
    channel = guild.create_text_channel("bridge")
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(env.create_user("captain"), roles=[mods])
    members = [guild.add_member(env.create_user(f"crew{i}")) for i in range(5)]
    state = World(env, settings, bot, guild, channel, mod, members)
    try:
        yield state
    finally:
        await close_bot(state.bot)
        await env.shutdown()


@pytest.fixture(autouse=True)
def no_discord_errors(caplog):
    """Errors inside a button callback are only logged by discord.py: fail on any."""
    caplog.set_level(logging.WARNING)
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    bad = [
        r for r in records if r.levelno >= logging.ERROR and r.name.startswith(("discord", "bot"))
    ]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad]
