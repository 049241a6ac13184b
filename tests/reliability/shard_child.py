"""One bot process of tests/reliability/test_shard_processes.py: the real bot (`create_bot`)
with `SHARD_COUNT=2` and its own `SHARD_IDS`, in its own SimCord world (the servers Discord
would route to its shard), on the PostgreSQL database the other process uses too.

The test drives it one step at a time, a JSON object a line on stdin, and it answers each
step with one JSON line on stdout once the step has settled: `{"ok": true, ...}` or
`{"ok": false, "error": "..."}`. Steps: `start` (a campaign in every channel that has none
running), `click` (three members vote on every open vote), `skip` and `decide` (a moderator
closes the first, resp. second, server's vote), `advance` (`seconds` of virtual time),
`restart` (a new bot on the same database, as after a deploy), `report` (every message of
every channel with its vote buttons, the errors logged, the REST calls made) and `quit`.

Its clock starts `shard * 1000` s after the other's: its snowflakes (channel ids, which the
database keeps unique per running campaign) differ from the other world's, and the other
process's votes look overdue, or far off, from here, so a process that acted on votes of
servers that are not on its shards would close them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

import discord
import simcord

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.app import create_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.discord.conftest import close_bot  # noqa: E402

SHARD_COUNT = 2
GUILDS = 3
STORY = "derelict"


class ErrorLog(logging.Handler):
    """Every ERROR (or worse) that discord.py or the bot logs: the test expects none."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("discord", "bot")):
            self.lines.append(f"{record.name}: {record.getMessage()}")


def vote_ids(message: discord.Message) -> list[str]:
    return [
        child.custom_id
        for row in message.components
        for child in row.children  # type: ignore[attr-defined]
        if (child.custom_id or "").startswith("deck:vote:")
    ]


def open_vote(channel: Any) -> discord.Message | None:
    """The channel's vote message whose buttons still work, if any."""
    for message in reversed(channel.history()):
        buttons = [c for row in message.components for c in row.children]
        if vote_ids(message) and not all(c.disabled for c in buttons):
            return message
    return None


class Process:
    """The bot of one shard and the servers on it."""

    def __init__(self, settings: Settings, shard: int) -> None:
        self.settings = settings
        self.bot = create_bot(settings)
        self.env = simcord.Env(self.bot)
        self.shard = shard
        self.places: list[tuple[Any, Any, Any, list[Any]]] = []

    async def open(self) -> None:
        await self.env.start()
        # Slash commands belong to the application, not to a process: the first process
        # synced them and recorded so in the shared database, so this one skips the sync.
        # Real Discord would show them in every server; this world is separate, so it is
        # told of them here.
        await self.bot.tree.sync()
        await self.env.advance_time(self.shard * 1000)
        for number in range(GUILDS):
            guild = self.env.create_guild(name=f"shard{self.shard}-{number}", shard_id=self.shard)
            channel = guild.create_text_channel("bridge")
            mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
            mod = guild.add_member(self.env.create_user(f"captain{number}"), roles=[mods])
            crew = [guild.add_member(self.env.create_user(f"crew{number}-{i}")) for i in range(3)]
            self.places.append((guild, channel, mod, crew))

    async def step(self, do: str, seconds: float = 0.0) -> dict[str, Any]:
        if do == "start":
            started = 0
            for _guild, channel, mod, _crew in self.places:
                if open_vote(channel) is None:
                    result = await mod.slash(channel, "campaign start", story=STORY)
                    assert result.acknowledged and not result.ephemeral, result
                    started += 1
            return {"started": started}
        if do == "click":
            clicks = 0
            for _guild, channel, _mod, crew in self.places:
                message = open_vote(channel)
                if message is None:
                    continue
                first = vote_ids(message)[0]
                for member in crew:
                    result = await member.click(message, custom_id=first)
                    assert result.acknowledged, result
                    clicks += 1
            return {"clicks": clicks}
        if do in ("skip", "decide"):
            guild, channel, mod, _crew = self.places[0 if do == "skip" else 1]
            if open_vote(channel) is None:
                return {"closed": False}
            if do == "skip":
                result = await mod.slash(channel, "campaign skip")
            else:
                choices = await self.bot.campaigns.open_choices(
                    guild_id=guild.id, channel_id=channel.id
                )
                result = await mod.slash(channel, "campaign decide", choice=min(choices))
            assert result.acknowledged and result.ephemeral, result
            return {"closed": True, "said": result.response.content}
        if do == "advance":
            await self.env.advance_time(seconds)
            return {}
        if do == "restart":
            await close_bot(self.bot)
            self.bot = create_bot(self.settings)
            await self.env.restart_bot(self.bot)
            return {}
        if do == "report":
            return {
                "guilds": [guild.id for guild, *_ in self.places],
                "channels": {
                    str(channel.id): [
                        [
                            m.id,
                            vote_ids(m),
                            all(c.disabled for r in m.components for c in r.children),
                        ]
                        for m in channel.history()
                    ]
                    for _guild, channel, _mod, _crew in self.places
                },
                "requests": [f"{r.method} {r.path}" for r in self.env.http_requests],
            }
        raise ValueError(f"unknown step {do!r}")

    async def close(self) -> None:
        await close_bot(self.bot)
        await self.env.shutdown()


async def main(database: str, content: Path, shard: int) -> None:
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    settings = Settings(
        database=database,
        content_dir=content,
        shard_count=SHARD_COUNT,
        shard_ids=[shard],
        tally_refresh_seconds=6.0,
        _env_file=None,
    )
    process = Process(settings, shard)
    await process.open()
    print(json.dumps({"ok": True, "ready": shard}), flush=True)
    try:
        while line := await asyncio.to_thread(sys.stdin.readline):
            order = json.loads(line)
            if order["do"] == "quit":
                break
            try:
                answer = {"ok": True, **await process.step(order["do"], order.get("seconds", 0))}
            except Exception:  # reported to the test, which fails on it
                answer = {"ok": False, "error": traceback.format_exc()}
            answer["errors"] = errors.lines
            print(json.dumps(answer), flush=True)
    finally:
        await process.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])))
