"""The checker's rules that depend on the state: odds that leave 0..1, a scene whose
choices can all close at once, a text that outgrows Discord's limit.

Each is decided by evaluating the expressions over boundary values of the variables they
read: every bound, every initial value, each constant the story compares against and its
neighbours. When the combinations are too many, a fixed random sample of them is used, so the
result is the same on every run.
"""

from __future__ import annotations

import ast
import itertools
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simpleeval import SimpleEval

from .compiled import CompiledEnding, CompiledOutcome, CompiledScene
from .expressions import VOTE_HOW, Expression, Template, format_value, new_evaluator
from .lines import (
    FIELD_LIMIT,
    FIXED_ODDS_LIMIT,
    MESSAGE_LIMIT,
    ODDS_TEXT_LIMIT,
    ChoiceLine,
    message_overhead,
    worst_lengths,
)
from .model import DESCRIPTION_LIMIT, Node, Outcome, Scene, Variable
from .source import Problem

#: The most combinations of values an expression is evaluated on before sampling.
SAMPLE_LIMIT = 512
#: A result line is shown in an embed field, whose value Discord caps at 1,024.
RESULT_LIMIT = 1024

_BUILTIN_SAMPLES: dict[str, tuple[Any, ...]] = {
    "turn": (0, 1, 40),
    "vote_turnout": (0, 1, 2, 7),
    "vote_margin": (0, 1, 3),
    "vote_share": (0.0, 0.5, 0.9, 1.0),
    "vote_margin_share": (0.0, 0.1, 0.5, 1.0),
    "vote_turnout_ratio": (0.0, 0.5, 1.0, 3.0),
    "vote_unanimous": (False, True),
    "vote_united": (False, True),
    "vote_narrow": (False, True),
    "vote_how": VOTE_HOW,
}


@dataclass
class _Samples:
    """The values each name is tried with."""

    values: dict[str, tuple[Any, ...]]
    places: frozenset[str]
    cache: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def combos(
        self, names: Iterable[str], visits: Iterable[str], here: str
    ) -> list[dict[str, Any]]:
        """Assignments of sample values to `names` and to `visits(...)` of the scenes read."""
        names = sorted(names)
        visits = sorted(visits)
        key = ("|".join(names) + "#" + "|".join(visits), here if here in visits else "")
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        axes: list[tuple[str, tuple[Any, ...]]] = [(n, self.values[n]) for n in names]
        axes += [(f"@{v}", (1, 2, 3) if v == here else (0, 1, 2, 3)) for v in visits]
        total = 1
        for _, values in axes:
            total *= len(values)
        keys = [k for k, _ in axes]
        if total <= SAMPLE_LIMIT:
            rows = [
                dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(v for _, v in axes))
            ]
        else:
            rng = random.Random(key[0])
            rows = [{k: rng.choice(v) for k, v in axes} for _ in range(SAMPLE_LIMIT)]
            # Always include the all-minimum and all-maximum corners.
            rows.append({k: v[0] for k, v in axes})
            rows.append({k: v[-1] for k, v in axes})
        self.cache[key] = rows
        return rows


def _describe(combo: Mapping[str, Any]) -> str:
    parts = []
    for key, value in combo.items():
        name = f"visits('{key[1:]}')" if key.startswith("@") else key
        shown = repr(value) if isinstance(value, str) else format_value(value)
        parts.append(f"{name}={shown}")
    return ", ".join(parts) if parts else "always"


def evaluate(evaluator: SimpleEval, expression: Expression, combo: Mapping[str, Any]) -> Any:
    """`expression`'s value with the names and `visits(...)` counts of `combo`."""
    evaluator.names = {k: v for k, v in combo.items() if not k.startswith("@")}
    evaluator.functions["visits"] = lambda scene: combo.get(f"@{scene}", 0)
    return expression.evaluate(evaluator)


def _samples(
    compiled: Iterable[Expression],
    variables: Mapping[str, Variable],
    scenes: Iterable[Scene],
    places: frozenset[str],
) -> _Samples:
    """The values each name is tried with: the bounds, initial values and the constants the
    story's expressions compare against, with their neighbours."""
    values: dict[str, set[Any]] = {}
    numbers: set[int] = set()
    for expression in compiled:
        for node in ast.walk(expression.tree):
            if isinstance(node, ast.Constant) and type(node.value) is int:
                numbers.update((node.value - 1, node.value, node.value + 1))
    set_values: dict[str, set[Any]] = {}
    for scene in scenes:
        for outcome in _outcomes(scene):
            for name, value in outcome.effects.set_.items():
                set_values.setdefault(name, set()).add(value)
    for name, var in variables.items():
        if var.type == "int":
            assert var.min is not None and var.max is not None
            bounded = {n for n in numbers if var.min <= n <= var.max}
            values[name] = {var.min, var.max, var.initial} | bounded
        elif var.type == "bool":
            values[name] = {False, True}
        else:
            values[name] = {var.initial} | set_values.get(name, set())
    ordered = {name: tuple(sorted(vals, key=_sort_key)) for name, vals in values.items()}
    ordered.update(_BUILTIN_SAMPLES)
    return _Samples(ordered, places)


def check_boundaries(
    scenes: Mapping[str, tuple[str, CompiledScene]],
    endings: Mapping[str, tuple[str, CompiledEnding]],
    variables: Mapping[str, Variable],
    compiled: Sequence[Expression],
    story_title: str,
) -> list[Problem]:
    """The state-dependent problems of a story that passed every other check; `scenes` and
    `endings` map each id to its file and compiled place."""
    places = frozenset(scenes) | frozenset(endings)
    samples = _samples(compiled, variables, (s.source for _, s in scenes.values()), places)
    checks = _BoundaryChecks()
    checks.run(scenes, endings, samples, story_title)
    return checks.problems


class _BoundaryChecks:
    """One sweep over a compiled story's expressions, collecting what fails."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.evaluator: SimpleEval = new_evaluator()
        # The same expression text sweeps the same way wherever it appears.
        self._sweeps: dict[tuple[str, str], list[tuple[dict[str, Any], Any]]] = {}

    def error(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def run(
        self,
        scenes: Mapping[str, tuple[str, CompiledScene]],
        endings: Mapping[str, tuple[str, CompiledEnding]],
        samples: _Samples,
        story_title: str,
    ) -> None:
        """Every scene's and ending's texts, conditions and odds, in the story's order."""
        for scene_id, (file, scene) in scenes.items():
            source = scene.source
            text = self.text_length(
                scene.text, samples, scene_id, file, source, "text", DESCRIPTION_LIMIT
            )
            for choice in scene.choices:
                if choice.condition is not None:
                    where = (file, source.choices[choice.index], "if")
                    self.check_expression(choice.condition, samples, scene_id, where, "condition")
            outcomes = [c.outcome for c in scene.choices]
            if scene.no_decision is not None:
                outcomes.append(scene.no_decision)
            for outcome in outcomes:
                self.check_odds(outcome, samples, scene_id, file)
                if outcome.result is not None:
                    self.text_length(
                        outcome.result,
                        samples,
                        scene_id,
                        file,
                        outcome.source,
                        "result",
                        RESULT_LIMIT,
                    )
            self.check_closed(scene, samples, file)
            self.check_vote_message(scene, file, text, story_title)
        for ending_id, (ending_file, ending) in endings.items():
            if isinstance(ending.ship, Template):
                self.text_length(
                    ending.ship,
                    samples,
                    ending_id,
                    ending_file,
                    ending.source,
                    "ship",
                    FIELD_LIMIT,
                )
            self.text_length(
                ending.text,
                samples,
                ending_id,
                ending_file,
                ending.source,
                "text",
                DESCRIPTION_LIMIT,
            )

    def evaluate(self, expression: Expression, combo: Mapping[str, Any]) -> Any:
        return evaluate(self.evaluator, expression, combo)

    def sweep(
        self, expression: Expression, samples: _Samples, here: str
    ) -> list[tuple[dict[str, Any], Any]]:
        """Each sample assignment with the expression's value (or the exception it raised).

        The same expression text gives the same sweep wherever it appears (unless it counts
        visits of the scene it is in), so each is evaluated once per story.
        """
        key = (expression.source, here if here in expression.visits else "")
        known = self._sweeps.get(key)
        if known is not None:
            return known
        results: list[tuple[dict[str, Any], Any]] = []
        for combo in samples.combos(expression.names, expression.visits, here):
            try:
                results.append((combo, self.evaluate(expression, combo)))
            except Exception as exc:  # any failure of an author's expression is a finding
                results.append((combo, exc))
        self._sweeps[key] = results
        return results

    def check_expression(
        self,
        expression: Expression,
        samples: _Samples,
        here: str,
        where: tuple[str, Node, str],
        what: str,
    ) -> int:
        """Evaluate on every sample; report failures at `where` (file, node, key); return the
        longest printed value."""
        longest = 0
        for combo, value in self.sweep(expression, samples, here):
            if isinstance(value, Exception):
                file, node, key = where
                self.error(
                    file,
                    node.value_line_of(key),
                    f"{what} '{expression.source}' fails when {_describe(combo)}: {value}",
                )
                return longest
            longest = max(longest, len(format_value(value)))
        return longest

    def check_odds(self, outcome: CompiledOutcome, samples: _Samples, here: str, file: str) -> None:
        if not isinstance(outcome.odds, Expression):
            return
        assert outcome.source.roll is not None
        line = outcome.source.roll.line_of("odds")
        for combo, value in self.sweep(outcome.odds, samples, here):
            if isinstance(value, Exception):
                self.error(
                    file,
                    line,
                    f"odds '{outcome.odds.source}' fail when {_describe(combo)}: {value}",
                )
                return
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                self.error(
                    file,
                    line,
                    f"odds '{outcome.odds.source}' can be {value!r}, outside 0..1"
                    f" (when {_describe(combo)})",
                )
                return

    def text_length(
        self,
        template: Template,
        samples: _Samples,
        here: str,
        file: str,
        node: Node,
        key: str,
        limit: int,
    ) -> int:
        length = sum(len(part) for part in template.parts if isinstance(part, str))
        for expression in template.expressions:
            length += self.check_expression(
                expression, samples, here, (file, node, key), f"{key} substitution"
            )
        if length > limit:
            self.error(
                file,
                node.line_of(key),
                f"{key} can reach {length} characters after substitution; Discord allows {limit}",
            )
        return length

    def check_closed(self, scene: CompiledScene, samples: _Samples, file: str) -> None:
        if scene.no_decision is not None or any(c.condition is None for c in scene.choices):
            return
        conditions = [c.condition for c in scene.choices if c.condition is not None]
        names = frozenset().union(*(c.names for c in conditions))
        visits = frozenset().union(*(c.visits for c in conditions))
        here = scene.source.id
        for combo in samples.combos(names, visits, here):
            try:
                if not any(self.evaluate(condition, combo) for condition in conditions):
                    self.error(
                        file,
                        scene.source.line_of("choices"),
                        f"scene '{here}': every choice can be closed at once"
                        f" (when {_describe(combo)}) "
                        "and the scene has no no_decision outcome",
                    )
                    return
            except Exception:
                continue

    def check_vote_message(
        self, scene: CompiledScene, file: str, text_length: int, story_title: str
    ) -> None:
        """The vote message lists every choice with who argues for it, its odds and its
        pitch: counted at their longest, as if every choice were open at once, in their
        fields and in the whole message."""
        lines = []
        for choice in scene.choices:
            odds = None
            if choice.outcome.odds is not None:
                odds = "x" * (ODDS_TEXT_LIMIT if choice.outcome.reads_vote else FIXED_ODDS_LIMIT)
            lines.append(ChoiceLine(choice.label, choice.by.name, odds, choice.pitch))
        lengths = worst_lengths(lines)
        what = {
            "tally": "its Tally field (each choice's label, who argues for it and its odds)",
            "pitches": "its pitches field (each advocate's name and pitch)",
        }
        for key, length in lengths.items():
            if length > FIELD_LIMIT:
                self.error(
                    file,
                    scene.source.line_of("choices"),
                    f"scene '{scene.source.id}': {what[key]} can reach {length} characters on"
                    f" the vote message; Discord allows {FIELD_LIMIT}: shorten labels, names"
                    " or pitches, or offer fewer choices",
                )
                return
        total = (
            text_length
            + sum(lengths.values())
            + message_overhead(scene.source.title, story_title, scene.speaker)
        )
        if total > MESSAGE_LIMIT:
            self.error(
                file,
                scene.source.line_of("choices"),
                f"scene '{scene.source.id}': its vote message (text, choices with who argues"
                f" for each, pitches, title and footer) can reach {total} characters; Discord"
                f" allows {MESSAGE_LIMIT} in all: shorten the text, labels or pitches",
            )


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def _outcomes(scene: Scene) -> list[Outcome]:
    outcomes: list[Outcome] = list(scene.choices)
    if scene.no_decision is not None:
        outcomes.append(scene.no_decision)
    return outcomes
