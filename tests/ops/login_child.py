"""Runs `python -m bot` with discord.py's REST base URL pointed elsewhere, for the login tests.

Everything is the real thing (the command line, the settings from the environment, logging,
the bot, discord.py's HTTP client and its retries); only the address of Discord's API is the
first argument: a server in the test that answers 401 or 5xx, a closed port, or a host that
cannot resolve.
"""

from __future__ import annotations

import sys

from discord.http import Route

from bot.cli import main

if __name__ == "__main__":
    Route.BASE = sys.argv[1]
    raise SystemExit(main([]))
