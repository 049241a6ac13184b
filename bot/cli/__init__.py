"""The command line: run the bot, or preview it in a browser without Discord; check, play,
simulate and graph stories; back up, export and check the bot's data.

Every command returns an exit code: 0 for success, 1 when what it checked has problems,
2 for a usage error (bad arguments or bad settings).
"""

from bot.cli.dispatch import main

__all__ = ["main"]
