"""`main`: parse the command line, read the settings a command needs, run the command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from bot.cli.migrate_db import cmd_migrate_db
from bot.cli.operations import cmd_backup, cmd_export, cmd_health
from bot.cli.parser import build_parser
from bot.cli.play import cmd_play
from bot.cli.preview import cmd_preview
from bot.cli.reports import cmd_analyse, cmd_simulate
from bot.cli.stories import cmd_check, cmd_graph, open_story
from bot.config import SettingsError, load_settings

OPS_COMMANDS = frozenset({"backup", "export", "health", "migrate-db"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    if args.command in (None, "run"):
        return _run_bot(errors)
    if args.command in OPS_COMMANDS:
        return _main_ops(args, console, errors)
    content = args.content
    if content is None:
        try:
            content = load_settings().content_dir
        except SettingsError as error:
            errors.print(escape(str(error)))
            return 2
    if args.command == "check":
        return cmd_check(args.paths, content, console)
    if args.command == "preview":
        return cmd_preview(args, content, console, errors)
    story = open_story(args.story, content, console)
    if story is None:
        return 1
    if args.command == "play":
        if args.crowd is not None and not 1 <= args.crowd <= 1_000_000:
            console.print("--crowd must be a number of members from 1 to 1,000,000")
            return 2
        return cmd_play(story, args.seed, args.auto, console, args.crowd)
    if args.command == "simulate":
        if args.runs < 1 or args.max_steps < 1:
            console.print("--runs and --max-steps must be at least 1")
            return 2
        return cmd_simulate(story, args.runs, args.seed, args.max_steps, args.json, console)
    if args.command == "analyse":
        return cmd_analyse(story, args, console, errors)
    return cmd_graph(story, args.format, args.output, console)


def _run_bot(errors: Console) -> int:
    """`python -m bot` and `python -m bot run`."""
    try:
        settings = load_settings()
    except SettingsError as error:
        errors.print(escape(str(error)))
        return 2
    from bot.serve import run  # only the bot itself needs discord.py's whole client

    return run(settings)


def _main_ops(args: argparse.Namespace, console: Console, errors: Console) -> int:
    """The operator's commands: settings are read only when an option does not override them,
    so a backup still runs when an unrelated setting is broken (health reads them all)."""
    if args.command == "health":
        return cmd_health(args.database, args.content, console)
    database = args.database
    if database is None:
        try:
            database = load_settings().database
        except SettingsError as error:
            errors.print(escape(str(error)))
            return 2
    if args.command == "backup":
        return cmd_backup(database, args.path, args.force, console, errors)
    if args.command == "migrate-db":
        return cmd_migrate_db(database, args.to, console, errors)
    return cmd_export(database, args.guild, args.output, console, errors)
