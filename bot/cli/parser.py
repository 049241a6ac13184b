"""The command line's arguments: every command, its options and their help."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.campaign.rules import VOTE_SECONDS_MAX, VOTE_SECONDS_MIN
from bot.cli.preview import PREVIEW_MAX_CROWD, PREVIEW_MAX_MEMBERS
from bot.story.analyse import DEFAULT_BUDGET, DEFAULT_SAMPLE_RUNS
from bot.story.simulate import DEFAULT_STEP_LIMIT


def build_parser() -> argparse.ArgumentParser:
    """`python -m bot`'s parser: one sub-command a job, `run` when none is given."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Command Deck: story campaigns decided by votes."
    )
    content_help = "the stories folder (default: CONTENT_DIR from the settings, else content/)"
    parser.add_argument("--content", type=Path, default=None, help=content_help)
    # The same option after the command name too; SUPPRESS keeps it from hiding the global one.
    content = argparse.ArgumentParser(add_help=False)
    content.add_argument("--content", type=Path, default=argparse.SUPPRESS, help=content_help)
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database", type=Path, default=None, help="the SQLite file (default: DATABASE setting)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="run the Discord bot (the default; needs DISCORD_TOKEN)")

    preview = sub.add_parser(
        "preview",
        parents=[content],
        help="try the bot in a browser: the real bot in a simulated channel, no token",
    )
    preview.add_argument(
        "story",
        nargs="?",
        help="a story id under the content folder, or a story folder"
        " (default: claim-jumpers, else the first story)",
    )
    preview.add_argument(
        "--members",
        type=int,
        default=5,
        help=f"members the page can be viewed as, besides the moderator"
        f" (0 to {PREVIEW_MAX_MEMBERS}; default 5)",
    )
    preview.add_argument(
        "--crowd",
        type=int,
        default=0,
        help=f"simulated members who vote by themselves on each scene"
        f" (0 to {PREVIEW_MAX_CROWD}; default 0)",
    )
    preview.add_argument("--seed", type=int, default=0, help="the crowd's random seed (default 0)")
    preview.add_argument(
        "--vote-seconds",
        type=int,
        default=30,
        help=f"how long a vote stays open, {VOTE_SECONDS_MIN} to {VOTE_SECONDS_MAX} (default 30)",
    )
    preview.add_argument(
        "--port", type=int, default=0, help="the page's port on 127.0.0.1 (default: a free one)"
    )
    preview.add_argument(
        "--no-browser", action="store_true", help="print the address without opening a browser"
    )
    preview.add_argument(
        "--database",
        type=Path,
        default=None,
        help="keep the campaign in this SQLite file; the same option again resumes it"
        " (default: a temporary file, removed at exit)",
    )

    check = sub.add_parser(
        "check", parents=[content], help="check stories; print every problem as file:line"
    )
    check.add_argument("paths", nargs="*", type=Path, help="story folders (default: all)")

    play = sub.add_parser("play", parents=[content], help="play a story in the terminal")
    play.add_argument("story", help="a story id under the content folder, or a story folder")
    play.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    play.add_argument("--auto", action="store_true", help="pick choices at random, print the run")
    play.add_argument(
        "--crowd",
        type=int,
        default=None,
        metavar="N",
        help="each pick is voted by a simulated channel of N members (your choice wins)",
    )

    sim = sub.add_parser(
        "simulate", parents=[content], help="random playthroughs: coverage, endings, loops, errors"
    )
    sim.add_argument("story", help="a story id under the content folder, or a story folder")
    sim.add_argument("--runs", type=int, default=1000, help="number of playthroughs")
    sim.add_argument("--seed", type=int, default=0, help="seed of the first run")
    sim.add_argument(
        "--max-steps", type=int, default=DEFAULT_STEP_LIMIT, help="decisions before a loop"
    )
    sim.add_argument("--json", action="store_true", help="print one JSON object, no tables")

    ana = sub.add_parser(
        "analyse",
        parents=[content],
        help="the odds of each ending for a strategy, exact where the story is small enough",
    )
    ana.add_argument("story", help="a story id under the content folder, or a story folder")
    ana.add_argument(
        "--prefer",
        action="append",
        default=[],
        metavar="CHOICE_ID,...",
        help="take these choices whenever offered (CHOICE or SCENE:CHOICE), random otherwise",
    )
    ana.add_argument(
        "--unanimous",
        action="store_true",
        help="the channel votes as one for the preferred choices (default: random tallies)",
    )
    ana.add_argument(
        "--state",
        nargs="+",
        action="extend",
        default=[],
        metavar="VAR",
        help="also give the odds of these variables' final values",
    )
    ana.add_argument(
        "--budget",
        type=int,
        default=DEFAULT_BUDGET,
        help="most (decision, state) pairs to explore before sampling instead",
    )
    ana.add_argument(
        "--runs", type=int, default=DEFAULT_SAMPLE_RUNS, help="runs to sample over the budget"
    )
    ana.add_argument("--seed", type=int, default=0, help="seed of the first sampled run")
    ana.add_argument(
        "--max-steps", type=int, default=DEFAULT_STEP_LIMIT, help="decisions before a loop"
    )
    ana.add_argument("--json", action="store_true", help="print one JSON object, no tables")

    graph = sub.add_parser(
        "graph", parents=[content], help="the story's graph as Mermaid, Graphviz DOT or a PNG"
    )
    graph.add_argument("story", help="a story id under the content folder, or a story folder")
    graph.add_argument("--format", choices=("mermaid", "dot", "png"), default="mermaid")
    graph.add_argument(
        "--output", type=Path, help="write to this file (default: stdout; for png, STORY.png)"
    )

    backup = sub.add_parser(
        "backup", parents=[database], help="a consistent copy of the live database"
    )
    backup.add_argument("path", type=Path, help="the copy to write")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")

    export = sub.add_parser(
        "export",
        parents=[database],
        help="one server's campaigns, decisions and ballot counts as JSON",
    )
    export.add_argument("--guild", type=int, required=True, help="the server (guild) id")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")

    migrate = sub.add_parser(
        "migrate-db",
        parents=[database],
        help="copy a stopped bot's SQLite database into an empty PostgreSQL database",
    )
    migrate.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://user:password@host:port/dbname"
    )

    sub.add_parser(
        "health",
        parents=[database, content],
        help="exit 0 if the database opens and the stories load, else 1; prints one line",
    )
    return parser
