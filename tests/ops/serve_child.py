"""Runs bot.serve.serve() with the Discord connection replaced by a wait, for the stop test.

Everything else is the real thing: settings, the bot, setup_hook (store, stories, commands
fingerprint, scheduler), and the signal handling. Prints READY once set up.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot import serve
from bot.app import DeckBot
from bot.config import Settings


async def _login(self: DeckBot, token: str) -> None:
    self.tree.sync = _no_sync  # type: ignore[method-assign]
    await self.setup_hook()
    print("READY", flush=True)


async def _no_sync(*args: object, **kwargs: object) -> list:
    return []


async def _connect(self: DeckBot, *, reconnect: bool = True) -> None:
    await asyncio.Event().wait()


def main() -> None:
    database, content = Path(sys.argv[1]), Path(sys.argv[2])
    DeckBot.login = _login  # type: ignore[method-assign]
    DeckBot.connect = _connect  # type: ignore[method-assign]
    settings = Settings(database=database, content_dir=content, _env_file=None)
    serve.configure_logging("INFO")
    asyncio.run(serve.serve(settings, "not-a-real-token"))
    print("STOPPED", flush=True)


if __name__ == "__main__":
    main()
