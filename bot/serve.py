"""Running the bot for real: logging, the token, and a clean stop on SIGTERM or Ctrl-C.

A stop closes the bot (timers cancelled, the gateway closed) and then the store, after any
ballot in flight has committed; open votes keep their deadlines for the next start. A start
that cannot log in (no network, a refused token, Discord failing) says so in one line and
exits 1, and so does one whose database does not open (PostgreSQL unreachable, a schema
newer than the code): an operator reads the cause, not a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import aiohttp
import discord

from bot.app import create_bot
from bot.config import Settings
from bot.store import StoreError

log = logging.getLogger(__name__)

NO_TOKEN = """\
DISCORD_TOKEN is not set, so the bot cannot log in to Discord.

Get a token: https://discord.com/developers/applications -> New Application -> Bot ->
Reset Token. Put it in the environment or in a .env file beside the project:

    DISCORD_TOKEN=your-token-here

To try the bot without Discord or a token, preview it in a browser (the real bot, in a
simulated channel):

    python -m bot preview

or play a story in the terminal: python -m bot play claim-jumpers
"""


#: discord.py's records that tell an operator of this bot nothing: it has no voice, and how
#: it logs in is not news (a failed login has its own line, a good one "logged in").
_NOISE = (
    "PyNaCl is not installed, voice will NOT be supported",
    "davey is not installed, voice will NOT be supported",
    "logging in using static token",
)


def _not_noise(record: logging.LogRecord) -> bool:
    return not (record.name == "discord.client" and record.msg in _NOISE)


def configure_logging(level: str) -> None:
    """One line per record on stderr; discord.py's own loggers at the same level."""
    discord.utils.setup_logging(level=getattr(logging, level), root=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_not_noise)


def _unreachable(exc: aiohttp.ClientConnectionError) -> str:
    """Why Discord could not be reached, in the words of the system."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"{exc.host}:{exc.port}: {exc.os_error.strerror or exc.os_error}"
    return str(exc) or type(exc).__name__


async def serve(settings: Settings, token: str) -> None:
    """Run until Discord disconnects for good or a stop signal arrives."""
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on every platform
            loop.add_signal_handler(sig, stopping.set)
    async with bot:
        runner = asyncio.create_task(bot.start(token), name="discord")
        stopper = asyncio.create_task(stopping.wait(), name="stop-signal")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("stop signal received; closing")
        await bot.close()
        for task in (runner, stopper):
            task.cancel()
        await asyncio.gather(runner, stopper, return_exceptions=True)
        if runner in done and runner.exception() is not None:
            raise runner.exception()  # type: ignore[misc]


def run(settings: Settings) -> int:
    """`python -m bot run`: exit 2 without a token, else serve until stopped."""
    if settings.discord_token is None:
        print(NO_TOKEN)
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings, settings.require_token()))
    except discord.LoginFailure:
        log.error("Discord refused the token (DISCORD_TOKEN): check it in the developer portal")
        return 1
    except aiohttp.ClientConnectionError as exc:
        log.error("cannot reach Discord: %s; check the network", _unreachable(exc))
        return 1
    except discord.DiscordServerError as exc:
        log.error("Discord answered HTTP %s at login; try again later", exc.status)
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Discord asked for privileged intents; Command Deck needs none")
        return 1
    except StoreError as exc:  # unreachable PostgreSQL, a newer schema, an unusable file
        log.error("cannot open the database (DATABASE): %s", exc)
        return 1
    return 0
