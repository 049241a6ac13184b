"""The command line: run the bot, or preview it in a browser without Discord; check, play,
simulate and graph stories; back up, export and check the bot's data.

Every command returns an exit code: 0 for success, 1 when what it checked has problems,
2 for a usage error (bad arguments or bad settings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress
from rich.prompt import IntPrompt
from rich.table import Table

from bot.campaign.rules import VOTE_SECONDS_MAX, VOTE_SECONDS_MIN
from bot.config import Settings, SettingsError, load_settings
from bot.store import Store, StoreError
from bot.store._export import backup_database, export_guild
from bot.story import (
    Story,
    StoryState,
    Turn,
    VoteInfo,
    check_stories,
    check_story,
    load_stories,
)
from bot.story.analyse import (
    DEFAULT_BUDGET,
    DEFAULT_SAMPLE_RUNS,
    Analysis,
    AnalysisError,
    analyse,
    check_variables,
)
from bot.story.expressions import format_value
from bot.story.graph import to_dot, to_mermaid
from bot.story.lines import choice_lines, percent, ship_line, speaker_line
from bot.story.loader import display_path, story_folders
from bot.story.render import RenderError, render_png
from bot.story.simulate import (
    DEFAULT_STEP_LIMIT,
    SimulationReport,
    Strategy,
    StrategyError,
    simulate,
)

OPS_COMMANDS = frozenset({"backup", "export", "health"})
PREVIEW_MAX_MEMBERS = 20
PREVIEW_MAX_CROWD = 200
DEFAULT_STORY = "claim-jumpers"


def _parser() -> argparse.ArgumentParser:
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

    sub.add_parser(
        "health",
        parents=[database, content],
        help="exit 0 if the database opens and the stories load, else 1; prints one line",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
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
    story = _open_story(args.story, content, console)
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
    return cmd_export(database, args.guild, args.output, console, errors)


# -- preview ------------------------------------------------------------------------------


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
    story = _open_story(name, content, console)
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


# -- check --------------------------------------------------------------------------------


def cmd_check(paths: list[Path], content: Path, console: Console) -> int:
    """Check the given story folders (default: every story under `content`)."""
    folders = paths or story_folders(content)
    if not folders:
        console.print(f"No stories found under {display_path(content)}/")
        return 1
    failed = 0
    for folder, (story, problems) in check_stories(folders).items():
        for problem in problems:
            console.print(escape(str(problem)))
        if story is None:
            failed += 1
            console.print(f"{display_path(folder)}: {len(problems)} problem(s)")
        else:
            console.print(
                f"{story.id}: ok ({len(story.scenes)} scenes, {len(story.endings)} endings,"
                f" {len(story.variables)} variables)",
                soft_wrap=True,
            )
    return 1 if failed else 0


def _open_story(name: str, content: Path, console: Console) -> Story | None:
    """A story by id (under `content`) or by folder path; problems printed when it fails."""
    path = Path(name)
    if not path.exists():
        loaded = load_stories(content)
        if name in loaded.stories:
            return loaded.stories[name]
        path = content / name
        if not path.exists():
            known = ", ".join(sorted(loaded.stories)) or "none"
            console.print(f"No story '{escape(name)}' (stories under {content}: {known})")
            return None
    story, problems = check_story(path)
    for problem in problems:
        console.print(escape(str(problem)))
    if story is None:
        console.print(f"{display_path(path)} does not pass `python -m bot check`.")
    return story


# -- play ---------------------------------------------------------------------------------


def _show_scene(story: Story, state: StoryState, console: Console) -> None:
    view = story.view(state)
    speaker = view.speaker
    subtitle = speaker_line(speaker) if speaker else None
    colour = speaker.colour if speaker else "white"
    console.print(
        Panel(
            escape(view.text.strip()),
            title=escape(view.title),
            subtitle=escape(subtitle) if subtitle else None,
            border_style=colour,
        ),
        soft_wrap=False,
    )
    ship = ship_line(view, " | ")
    if ship.strip():
        console.print(escape(ship), soft_wrap=False)


def _value(story: Story, name: str, value: Any) -> str:
    var = story.variables.get(name)
    return format_value(value) + (var.unit if var is not None and var.type == "int" else "")


def _show_turn(story: Story, turn: Turn, console: Console) -> None:
    """What a decision did, as a player reads it: labels, not names; only what changed."""
    if turn.result:
        console.print(f"[italic]{escape(turn.result)}[/italic]", soft_wrap=False)
    for change in turn.changes:
        if change.before == change.after:
            continue
        var = story.variables.get(change.name)
        label = (var.label if var is not None else None) or change.name
        before, after = (
            _value(story, change.name, change.before),
            _value(story, change.name, change.after),
        )
        console.print(f"  {escape(label)}: {escape(before)} -> {escape(after)}", soft_wrap=False)
    if turn.roll is not None:
        verdict = "success" if turn.roll.success else "failure"
        console.print(f"  roll at {round(turn.roll.odds * 100)}%: {verdict}")


def crowd_vote(rng: random.Random, size: int, winner: str, offered: Sequence[str]) -> VoteInfo:
    """How a channel of `size` members might have voted, won by `winner`: a turnout of half
    the channel or more, split at random, the winner's count the highest (a tie is broken
    for it)."""
    turnout = rng.randint(max(1, (size + 1) // 2), size)
    weights = [rng.random() ** 2 for _ in offered]
    counts = dict.fromkeys(offered, 0)
    for choice in rng.choices(list(offered), weights=weights, k=turnout):
        counts[choice] += 1
    leader = max(counts, key=lambda c: counts[c])
    counts[winner], counts[leader] = counts[leader], counts[winner]
    tied = sum(1 for n in counts.values() if n == counts[winner]) > 1
    return VoteInfo({c: n for c, n in counts.items() if n}, "tie" if tied else "majority")


def _show_crowd(
    story: Story, state: StoryState, vote: VoteInfo, size: int, console: Console
) -> None:
    """The simulated split and the shares the story will read of it."""
    labels = {c.id: c.label for c in story.offered(state)}
    ranked = sorted(vote.counts.items(), key=lambda item: -item[1])
    split = "; ".join(f"{n} for {labels.get(c, c)}" for c, n in ranked)
    previous = state.last_vote.get("vote_turnout", 0)
    summary = vote.summary(previous)
    how = ", a tie broken for the winner" if vote.how == "tie" else ""
    against = (
        f"{percent(summary['vote_turnout_ratio'])} of the {previous} who voted last time"
        if previous
        else "(the first vote)"
    )
    console.print(
        escape(f"  The crew of {size} voted ({vote.turnout} ballots{how}): {split}"),
        soft_wrap=False,
    )
    console.print(
        escape(
            f"  Share {percent(summary['vote_share'])}, margin"
            f" {percent(summary['vote_margin_share'])}, turnout {against}"
            + (", narrow" if summary["vote_narrow"] else "")
            + (", united" if summary["vote_united"] else "")
        ),
        soft_wrap=False,
    )


def cmd_play(
    story: Story, seed: int | None, auto: bool, console: Console, crowd: int | None = None
) -> int:
    """Play in the terminal: a number picks a choice; `--auto` picks at random. With
    `crowd`, each pick is voted by a simulated channel of that many members."""
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    crowd_rng = random.Random(f"{seed}:crowd")
    state = story.new_state(seed)
    console.print(f"[bold]{escape(story.title)}[/bold] (seed {seed})", soft_wrap=False)
    while not state.ended:
        _show_scene(story, state, console)
        view = story.view(state)
        scene = story.scenes[state.scene]
        numbers: list[str] = []
        # A grid, so a choice wider than the terminal wraps under its own text, not its number.
        menu = Table.grid(padding=(0, 1))
        menu.add_column(justify="right", min_width=4)
        menu.add_column()
        for number, (choice, line) in enumerate(
            zip(view.choices, choice_lines(view.choices), strict=True), start=1
        ):
            odds = f" ({line.odds})" if line.odds else ""
            menu.add_row(
                f"{number}.",
                f"{escape(choice.label)}{escape(odds)} [dim]({escape(line.by)})[/dim]",
            )
            if line.pitch:
                menu.add_row("", f"[dim]{escape(line.by)}: {escape(line.pitch)}[/dim]")
            numbers.append(str(number))
        if scene.no_decision is not None:
            menu.add_row("0.", "Nobody decides (let the vote run out)")
            numbers.append("0")
        console.print(menu)
        if auto:
            picked = rng.choice(numbers)
            console.print(f"> {picked}")
        else:
            try:
                picked = str(IntPrompt.ask("Your choice", choices=numbers, console=console))
            except (EOFError, KeyboardInterrupt):
                console.print("\nLeaving the story. Goodbye.")
                return 0
        if picked == "0":
            turn = story.play_no_decision(state)
        else:
            choice_id = view.choices[int(picked) - 1].id
            vote = None
            if crowd is not None:
                offered = [c.id for c in view.choices]
                vote = crowd_vote(crowd_rng, crowd, choice_id, offered)
                _show_crowd(story, state, vote, crowd, console)
            turn = story.play(state, choice_id, vote)
        _show_turn(story, turn, console)
    _show_scene(story, state, console)
    title = story.endings[state.scene].source.title
    console.print(
        f"[bold]The end: {escape(title)}[/bold] ({state.turn} decisions).", soft_wrap=False
    )
    return 0


# -- simulate -----------------------------------------------------------------------------


def print_report(report: SimulationReport, story: Story, console: Console) -> None:
    """The simulation report as tables and lists."""
    finished = len(report.lengths)
    console.print(
        f"{report.story_id}: {report.runs} runs from seed {report.seed}; {finished} reached an"
        f" ending; average {report.average:.1f} decisions, longest {report.longest}."
    )
    table = Table(title="Endings")
    table.add_column("ending")
    table.add_column("runs", justify="right")
    table.add_column("share", justify="right")
    for ending_id in story.endings:
        count = report.endings.get(ending_id, 0)
        table.add_row(ending_id, str(count), f"{100 * count / report.runs:.1f}%")
    console.print(table)
    console.print(_decisions_table(report.decisions, finished, "runs"))
    console.print(
        f"Scenes reached: {len(story.scenes) - len(report.unreached_scenes)} of {len(story.scenes)}"
    )
    for scene_id in report.unreached_scenes:
        console.print(f"  never reached: scene '{scene_id}'")
    for ending_id in report.unreached_endings:
        console.print(f"  never reached: ending '{ending_id}'")
    total_choices = sum(len(s.choices) for s in story.scenes.values())
    console.print(
        f"Choices taken: {total_choices - len(report.unreached_choices)} of {total_choices}"
    )
    for scene_id, choice_id in report.unreached_choices:
        console.print(f"  never taken: '{choice_id}' in scene '{scene_id}'")
    if report.loops:
        console.print(
            f"Loops: {len(report.loops)} run(s) passed the step limit; first seed {report.loops[0]}"
        )
    for dead in report.dead_ends[:10]:
        console.print(f"Dead end: seed {dead.seed} at scene '{dead.scene}': {dead.message}")
    for error in report.errors[:10]:
        console.print(f"Error: seed {error.seed} at scene '{error.scene}': {escape(error.message)}")
    hidden = (
        len(report.errors)
        + len(report.dead_ends)
        - min(10, len(report.errors))
        - min(10, len(report.dead_ends))
    )
    if hidden > 0:
        console.print(f"... and {hidden} more")
    console.print("FAILED" if report.failed else "OK")


def _decisions_table(decisions: dict[int, float], total: float, unit: str) -> Table:
    """How many decisions runs take to end: per count, the runs and the running total."""
    table = Table(title="Decisions to an ending")
    table.add_column("decisions", justify="right")
    table.add_column(unit, justify="right")
    table.add_column("share", justify="right")
    table.add_column("ended by then", justify="right")
    running = 0.0
    for count, weight in sorted(decisions.items()):
        running += weight
        if weight * 1000 < total:  # below 0.1%: folded into the running total
            continue
        shown = f"{weight:.4f}" if unit == "odds" else str(round(weight))
        share = weight / total if total else 0.0
        table.add_row(str(count), shown, f"{100 * share:.1f}%", f"{100 * running / total:.1f}%")
    return table


def cmd_simulate(
    story: Story, runs: int, seed: int, max_steps: int, as_json: bool, console: Console
) -> int:
    """Random playthroughs; exit 1 on errors or dead ends."""
    errors = Console(stderr=True)
    with Progress(console=errors, transient=True, disable=runs < 2000) as progress:
        task = progress.add_task("simulating", total=runs)
        report = simulate(
            story,
            runs,
            seed,
            step_limit=max_steps,
            progress=lambda done: progress.update(task, completed=done),
        )
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_report(report, story, console)
    return 1 if report.failed else 0


# -- analyse ------------------------------------------------------------------------------


def cmd_analyse(story: Story, args: argparse.Namespace, console: Console, errors: Console) -> int:
    """The odds a strategy gives; exit 2 for an unknown choice or variable, 1 if the story
    breaks while being analysed."""
    if args.budget < 1 or args.runs < 1 or args.max_steps < 1:
        errors.print("--budget, --runs and --max-steps must be at least 1")
        return 2
    items = [item.strip() for spec in args.prefer for item in spec.split(",") if item.strip()]
    try:
        strategy = Strategy.parse(story, items, unanimous=args.unanimous)
        check_variables(story, args.state)
    except (StrategyError, AnalysisError) as error:
        errors.print(escape(str(error)))
        return 2
    try:
        analysis = analyse(
            story,
            strategy,
            args.state,
            step_limit=args.max_steps,
            budget=args.budget,
            runs=args.runs,
            seed=args.seed,
        )
    except AnalysisError as error:
        errors.print(f"The analysis stopped: {escape(str(error))}")
        return 1
    if args.json:
        sys.stdout.write(json.dumps(analysis.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_analysis(analysis, story, console)
    return 0


def _share(analysis: Analysis, share: float) -> str:
    interval = analysis.interval(share)
    if interval is None:
        return f"{100 * share:.2f}%"
    low, high = interval
    return f"{100 * share:.1f}% ({100 * low:.1f}-{100 * high:.1f})"


def print_analysis(analysis: Analysis, story: Story, console: Console) -> None:
    """The analysis as tables: endings, decisions, the tracked variables, each choice."""
    console.print(f"{analysis.story_id}: {escape(str(analysis.strategy))}.")
    if analysis.exact:
        dropped = ""
        if analysis.dropped:
            dropped = f"; {analysis.dropped:.1e} of the runs still going left out"
        console.print(
            f"Exact: {analysis.states:,} (decision, state) pairs explored of a budget of"
            f" {analysis.budget:,}; step limit {analysis.step_limit}{dropped}."
        )
    else:
        console.print(
            f"Sampled: the state graph has more than {analysis.budget:,} (decision, state)"
            f" pairs (the budget), so {analysis.runs:,} runs were sampled instead;"
            " 95% Wilson intervals in brackets."
        )
    table = Table(title="Endings")
    table.add_column("ending")
    table.add_column("odds", justify="right")
    for ending_id, share in analysis.endings.items():
        table.add_row(escape(ending_id), _share(analysis, share))
    console.print(table)
    console.print(_decisions_table(analysis.decisions, 1.0, "odds"))
    for name, values in analysis.variables.items():
        table = Table(title=f"Final {name}")
        table.add_column("value", justify="right")
        table.add_column("odds", justify="right")
        table.add_column("ends at")
        for value, share in values.items():
            ends = analysis.variable_endings[name].get(value, {})
            where = ", ".join(f"{e} {100 * p:.0f}%" for e, p in ends.items() if p >= 0.005)
            table.add_row(escape(str(value)), _share(analysis, share), escape(where))
        console.print(table)
    table = Table(title="Where the runs through each choice end")
    table.add_column("scene")
    table.add_column("choice")
    table.add_column("taken", justify="right")
    table.add_column("endings of the runs that took it")
    for odds in analysis.choices:
        ends = ", ".join(f"{e} {100 * p:.0f}%" for e, p in odds.endings.items() if p >= 0.005)
        table.add_row(odds.scene, odds.choice, _share(analysis, odds.taken), escape(ends))
    console.print(table)


# -- graph --------------------------------------------------------------------------------


def cmd_graph(story: Story, fmt: str, output: Path | None, console: Console) -> int:
    """Write the story's graph; a PNG needs Graphviz, and its absence is said, not raised."""
    if fmt == "png":
        try:
            picture = render_png(to_dot(story))
        except RenderError as error:
            console.print(escape(str(error)))
            return 1
        target = output if output is not None else Path(f"{story.id}.png")
        target.write_bytes(picture)
        console.print(f"wrote {escape(display_path(target))}")
        return 0
    text = to_mermaid(story) if fmt == "mermaid" else to_dot(story)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {display_path(output)}")
    return 0


# -- operations ---------------------------------------------------------------------------


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def cmd_backup(database: Path, target: Path, force: bool, console: Console, errors: Console) -> int:
    """Copy the live database with SQLite's online backup; never overwrite without --force."""
    try:
        # A worker thread, as the bot would run it, so the same call never blocks a loop.
        asyncio.run(asyncio.to_thread(backup_database, database, target, overwrite=force))
    except FileExistsError:
        errors.print(f"{escape(str(target))} exists; pass --force to overwrite it")
        return 1
    except FileNotFoundError:
        errors.print(f"No database at {escape(str(database))}")
        return 1
    except (OSError, ValueError, sqlite3.Error) as error:
        errors.print(f"Backup failed: {escape(str(error))}")
        return 1
    console.print(f"backed up {escape(str(database))} to {escape(str(target))} ({_size(target)})")
    return 0


async def _export(database: Path, guild_id: int) -> dict[str, Any]:
    async with Store.open(database) as store:
        return await export_guild(store, guild_id)


def cmd_export(
    database: Path, guild_id: int, output: Path | None, console: Console, errors: Console
) -> int:
    """One guild's data as JSON: campaigns, decisions and ballot counts, no member ids."""
    if guild_id <= 0:
        errors.print("--guild must be a server id (a positive whole number)")
        return 2
    if not database.is_file():  # opening would create an empty one
        errors.print(f"No database at {escape(str(database))}")
        return 1
    try:
        data = asyncio.run(_export(database, guild_id))
    except (StoreError, OSError, sqlite3.Error) as error:
        errors.print(f"Export failed: {escape(str(error))}")
        return 1
    data = {**data, "exported_at": datetime.now(UTC).isoformat()}
    campaigns = data["campaigns"]
    if not campaigns:
        errors.print(f"Guild {guild_id} has no campaigns in {escape(str(database))}")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return 0
    output.write_text(text, encoding="utf-8")
    decisions = sum(len(c["decisions"]) for c in campaigns)
    console.print(
        f"wrote {escape(display_path(output))}: {len(campaigns)} campaign(s),"
        f" {decisions} decision(s)"
    )
    return 0


async def _database_health(database: Path, synchronous: str) -> tuple[str | None, str]:
    """(failure, fact): whether the bot could open the file, and its schema version."""
    try:
        async with Store.open(database, synchronous=synchronous) as store:
            check = await store.pragma("quick_check")
            version = await store.pragma("user_version")
    except (StoreError, OSError, ValueError, sqlite3.Error) as error:
        return f"database {database} does not open: {error}", ""
    if check != "ok":
        return f"database {database} fails quick_check: {check}", ""
    return None, f"database {database} ok (schema {version})"


def cmd_health(database: Path | None, content: Path | None, console: Console) -> int:
    """One line and an exit code for Docker's HEALTHCHECK and for people.

    Unhealthy (1): bad settings, a database that does not open or fails `quick_check`, or no
    story that loads. A broken story next to working ones is a warning: the bot serves the
    others, as it does at start.
    """
    failures: list[str] = []
    facts: list[str] = []
    warnings: list[str] = []
    try:
        settings = load_settings()
    except SettingsError as error:
        bad = "; ".join(line.strip() for line in str(error).splitlines()[1:])
        console.print(escape(f"unhealthy: {bad}"))
        return 1
    settings = _with(settings, database, content)
    if settings.database.is_file():  # opening would create an empty one
        failure, fact = asyncio.run(
            _database_health(settings.database, settings.sqlite_synchronous)
        )
        failures.extend([failure] if failure else [])
        facts.extend([fact] if fact else [])
    else:
        failures.append(f"no database at {settings.database}")
    folder = settings.content_dir
    loaded = load_stories(folder)
    for where, problems in loaded.problems.items():
        warnings.append(f"story {where} is broken ({len(problems)} problem(s))")
    if not folder.is_dir():
        failures.append(f"no content folder {folder}")
    elif not loaded.stories:
        failures.append(f"no story loads under {folder}")
    else:
        count = len(loaded.stories)
        names = ", ".join(sorted(loaded.stories))
        facts.append(f"{count} {'story' if count == 1 else 'stories'} ({names})")
    status = "unhealthy" if failures else "healthy, with warnings" if warnings else "healthy"
    console.print(escape(f"{status}: " + "; ".join([*failures, *facts, *warnings])))
    return 1 if failures else 0


def _with(settings: Settings, database: Path | None, content: Path | None) -> Settings:
    """The settings with the command line's overrides applied."""
    changes: dict[str, Path] = {}
    if database is not None:
        changes["database"] = database
    if content is not None:
        changes["content_dir"] = content
    return settings.model_copy(update=changes)
