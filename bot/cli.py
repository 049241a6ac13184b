"""The command line: check, play, simulate and graph stories (and, later, run the bot).

Every command returns an exit code: 0 for success, 1 when what it checked has problems,
2 for a usage error.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress
from rich.prompt import IntPrompt
from rich.table import Table

from bot.story import Story, StoryState, Turn, check_story, load_stories
from bot.story.graph import to_dot, to_mermaid
from bot.story.loader import display_path, story_folders
from bot.story.simulate import DEFAULT_STEP_LIMIT, SimulationReport, simulate

DEFAULT_CONTENT = Path("content")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Command Deck: story campaigns decided by votes."
    )
    parser.add_argument(
        "--content", type=Path, default=DEFAULT_CONTENT, help="the stories folder (content/)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check stories; print every problem as file:line")
    check.add_argument("paths", nargs="*", type=Path, help="story folders (default: all)")

    play = sub.add_parser("play", help="play a story in the terminal")
    play.add_argument("story", help="a story id under the content folder, or a story folder")
    play.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    play.add_argument("--auto", action="store_true", help="pick choices at random, print the run")

    sim = sub.add_parser("simulate", help="random playthroughs: coverage, endings, loops, errors")
    sim.add_argument("story", help="a story id under the content folder, or a story folder")
    sim.add_argument("--runs", type=int, default=1000, help="number of playthroughs")
    sim.add_argument("--seed", type=int, default=0, help="seed of the first run")
    sim.add_argument(
        "--max-steps", type=int, default=DEFAULT_STEP_LIMIT, help="decisions before a loop"
    )

    graph = sub.add_parser("graph", help="the story's graph as Mermaid or Graphviz DOT")
    graph.add_argument("story", help="a story id under the content folder, or a story folder")
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.add_argument("--output", type=Path, help="write to this file instead of stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "check":
        return cmd_check(args.paths, args.content, console)
    story = _open_story(args.story, args.content, console)
    if story is None:
        return 1
    if args.command == "play":
        return cmd_play(story, args.seed, args.auto, console)
    if args.command == "simulate":
        if args.runs < 1 or args.max_steps < 1:
            console.print("--runs and --max-steps must be at least 1")
            return 2
        return cmd_simulate(story, args.runs, args.seed, args.max_steps, console)
    return cmd_graph(story, args.format, args.output, console)


# -- check --------------------------------------------------------------------------------


def cmd_check(paths: list[Path], content: Path, console: Console) -> int:
    """Check the given story folders (default: every story under `content`)."""
    folders = paths or story_folders(content)
    if not folders:
        console.print(f"No stories found under {display_path(content)}/")
        return 1
    failed = 0
    for folder in folders:
        story, problems = check_story(folder)
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
    subtitle = f"{speaker.name}, {speaker.role}" if speaker else None
    colour = speaker.colour if speaker else "white"
    console.print(
        Panel(
            escape(view.text.strip()),
            title=escape(view.title),
            subtitle=escape(subtitle) if subtitle else None,
            border_style=colour,
        )
    )
    if view.status:
        console.print(" | ".join(escape(str(item)) for item in view.status))


def _show_turn(turn: Turn, console: Console) -> None:
    if turn.result:
        console.print(f"[italic]{escape(turn.result)}[/italic]")
    for change in turn.changes:
        console.print(f"  {change.name}: {change.before} -> {change.after}")
    if turn.roll is not None:
        verdict = "success" if turn.roll.success else "failure"
        console.print(f"  roll at {round(turn.roll.odds * 100)}%: {verdict}")


def cmd_play(story: Story, seed: int | None, auto: bool, console: Console) -> int:
    """Play in the terminal: a number picks a choice; `--auto` picks at random."""
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    state = story.new_state(seed)
    console.print(f"[bold]{escape(story.title)}[/bold] (seed {seed})")
    while not state.ended:
        _show_scene(story, state, console)
        view = story.view(state)
        scene = story.scenes[state.scene]
        numbers: list[str] = []
        for number, choice in enumerate(view.choices, start=1):
            odds = f" ({round(choice.odds * 100)}%)" if choice.odds is not None else ""
            console.print(f"  {number}. {escape(choice.label)}{odds} [dim]({choice.by.name})[/dim]")
            numbers.append(str(number))
        if scene.no_decision is not None:
            console.print("  0. Nobody decides (let the vote run out)")
            numbers.append("0")
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
            turn = story.play(state, view.choices[int(picked) - 1].id)
        _show_turn(turn, console)
    _show_scene(story, state, console)
    console.print(f"[bold]The end[/bold] ({state.turn} decisions, ending '{state.scene}').")
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


def cmd_simulate(story: Story, runs: int, seed: int, max_steps: int, console: Console) -> int:
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
    print_report(report, story, console)
    return 1 if report.failed else 0


# -- graph --------------------------------------------------------------------------------


def cmd_graph(story: Story, fmt: str, output: Path | None, console: Console) -> int:
    """Write the story's graph."""
    text = to_mermaid(story) if fmt == "mermaid" else to_dot(story)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {display_path(output)}")
    return 0
