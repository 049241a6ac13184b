"""`python -m bot play`: a story in the terminal, picked by hand, at random or by a crowd."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import IntPrompt
from rich.table import Table

from bot.story import Story, StoryState, Turn, VoteInfo
from bot.story.expressions import format_value
from bot.story.lines import choice_lines, percent, ship_line, speaker_line


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
