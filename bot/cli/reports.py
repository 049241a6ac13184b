"""`simulate` and `analyse`: run a story many times, or work out its odds, and print the tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from bot.story import Story
from bot.story.analyse import Analysis, AnalysisError, analyse, check_variables
from bot.story.simulate import SimulationReport, Strategy, StrategyError, simulate


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


def _decisions_table(decisions: Mapping[int, float], total: float, unit: str) -> Table:
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
            by_ending = analysis.variable_endings[name].get(value, {})
            where = ", ".join(f"{e} {100 * p:.0f}%" for e, p in by_ending.items() if p >= 0.005)
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
