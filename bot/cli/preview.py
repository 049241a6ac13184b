"""`python -m bot preview`: check the options and the story, then run the preview."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.campaign.rules import VOTE_SECONDS_MAX, VOTE_SECONDS_MIN
from bot.cli.stories import open_story
from bot.story import load_stories
from bot.story.loader import display_path

PREVIEW_MAX_MEMBERS = 20
PREVIEW_MAX_CROWD = 200
DEFAULT_STORY = "claim-jumpers"


def _preview_usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the preview's options, if anything."""
    if not 0 <= args.members <= PREVIEW_MAX_MEMBERS:
        return f"--members must be from 0 to {PREVIEW_MAX_MEMBERS} (got {args.members})"
    if not 0 <= args.crowd <= PREVIEW_MAX_CROWD:
        return f"--crowd must be from 0 to {PREVIEW_MAX_CROWD} (got {args.crowd})"
    if not VOTE_SECONDS_MIN <= args.vote_seconds <= VOTE_SECONDS_MAX:
        return (
            f"--vote-seconds must be from {VOTE_SECONDS_MIN} to {VOTE_SECONDS_MAX}"
            f" (got {args.vote_seconds})"
        )
    if not 0 <= args.port <= 65535:
        return f"--port must be from 0 to 65535 (got {args.port})"
    return None


def cmd_preview(args: argparse.Namespace, content: Path, console: Console, errors: Console) -> int:
    """`python -m bot preview`: checks first (usage 2; runtime missing 2; a story that fails
    the checker or a busy port 1), then the preview until Ctrl-C or SIGTERM (0)."""
    problem = _preview_usage_problem(args)
    if problem is not None:
        errors.print(problem)
        return 2
    from bot.preview.runtime import INSTALL_COMMAND, missing_runtime

    missing = missing_runtime()
    if missing:
        errors.print(
            escape(
                f"The preview needs SimCord's page runtime ({', '.join(missing)} missing)."
                f" Install it from the project folder with:\n\n    {INSTALL_COMMAND}\n"
            )
        )
        return 2
    name = args.story
    if name is None:
        stories = load_stories(content).stories
        if not stories:
            console.print(f"No stories found under {escape(display_path(content))}/")
            return 1
        name = DEFAULT_STORY if DEFAULT_STORY in stories else sorted(stories)[0]
    story = open_story(name, content, console)
    if story is None:
        return 1
    # Everything that needs SimCord and discord.py's client comes after the checks.
    from bot.preview.session import PortBusy, port_is_free, run_preview
    from bot.preview.world import PreviewError, PreviewOptions

    if not port_is_free(args.port):
        errors.print(str(PortBusy(args.port)))
        return 1
    with tempfile.TemporaryDirectory(prefix="command-deck-preview-") as scratch:
        folder = Path(name)
        if folder.is_dir():  # an author's own folder: the bot loads it from a copy
            content = Path(scratch) / "content"
            shutil.copytree(folder, content / folder.resolve().name)
        database = args.database if args.database is not None else Path(scratch) / "preview.db"
        options = PreviewOptions(
            story=story.id,
            content=content,
            database=database,
            members=args.members,
            crowd=args.crowd,
            seed=args.seed,
            vote_seconds=args.vote_seconds,
        )
        if args.database is not None:
            console.print(
                f"The campaign is kept in {escape(str(database))}: the same --database resumes it."
            )
        else:
            console.print("The database is temporary, removed at exit (--database FILE keeps it).")
        discord_logging(logging.WARNING)
        try:
            asyncio.run(
                run_preview(options, port=args.port, open_browser=not args.no_browser, out=_say)
            )
        except PortBusy as busy:
            errors.print(str(busy))
            return 1
        except PreviewError as error:
            errors.print(f"The preview could not start: {escape(str(error))}")
            return 1
        except KeyboardInterrupt:
            pass  # Ctrl-C before the preview was up: nothing to stop yet
    console.print("Preview stopped.")
    return 0


def _say(line: str) -> None:
    """A line for the terminal, as is (no markup, no wrapping: the address stays whole)."""
    print(line, flush=True)


def discord_logging(level: int) -> None:
    """Log records on stderr, discord.py's too, from `level` up."""
    import discord.utils

    discord.utils.setup_logging(level=level, root=True)
