"""The story checker: merges a story's files, compiles every expression and refuses
anything that would break or mislead at play time, each problem with its file and line.

This module merges and compiles; the rules that depend on the state (odds that leave 0..1,
a scene whose choices can all close at once, a text that outgrows Discord's limit) are
decided over boundary values of the variables, in `boundaries`.
"""

from __future__ import annotations

import difflib
import functools
from collections import deque
from dataclasses import dataclass
from typing import Any

from simpleeval import SimpleEval

from .boundaries import check_boundaries, evaluate
from .compiled import (
    Adds,
    CompiledChoice,
    CompiledEnding,
    CompiledOutcome,
    CompiledScene,
    Sets,
    WhenBlocks,
)
from .expressions import (
    RESERVED_NAMES,
    Definition,
    Expression,
    ExpressionError,
    Template,
    TemplateError,
    compile_expression,
    compile_template,
    did_you_mean,
    new_evaluator,
    shown,
)
from .model import (
    NAME_PATTERN,
    ConditionalEffects,
    CrewMember,
    Effects,
    Ending,
    Node,
    Outcome,
    Scene,
    StoryFile,
    StoryMeta,
    Variable,
)
from .runtime import Story
from .source import Problem


@dataclass
class _Placed:
    file: str
    node: Any


class _Builder:
    """One pass over a merged story: checks everything and compiles what passes."""

    def __init__(self, files: list[tuple[str, StoryFile]], content_hash: str, display: str):
        self.files = files
        self.content_hash = content_hash
        self.display = display
        self.problems: list[Problem] = []
        self.meta: tuple[str, StoryMeta] | None = None
        self.crew: dict[str, _Placed] = {}
        self.variables: dict[str, _Placed] = {}
        self.definitions: dict[str, Definition] = {}
        self.broken_definitions: set[str] = set()
        self.places: dict[str, _Placed] = {}
        self.scenes: dict[str, _Placed] = {}
        self.endings: dict[str, _Placed] = {}
        self.evaluator: SimpleEval = new_evaluator()
        self.compiled: list[Expression] = []
        # The same expression text compiles the same way wherever it appears.
        self._compiled_by_source: dict[str, Expression] = {}

    def error(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    # -- merging --------------------------------------------------------------------------

    def _add(
        self, table: dict[str, _Placed], kind: str, key: str, placed: _Placed, line: int
    ) -> bool:
        first = table.get(key)
        if first is not None:
            where = f"{first.file}:{first.node.line if isinstance(first.node, Node) else 1}"
            self.error(placed.file, line, f"duplicate {kind} id '{key}' (first at {where})")
            return False
        table[key] = placed
        return True

    def merge(self) -> None:
        for file, story_file in self.files:
            if story_file.story is not None:
                if self.meta is None:
                    self.meta = (file, story_file.story)
                else:
                    self.error(
                        file,
                        story_file.line_of("story"),
                        f"a second 'story:' block (the first is in {self.meta[0]})",
                    )
            for member in story_file.crew:
                self._add(self.crew, "crew", member.id, _Placed(file, member), member.line)
            for name, var in story_file.variables.items():
                line = story_file.variable_line(name)
                if not NAME_PATTERN.fullmatch(name):
                    self.error(file, line, f"variable name '{name}' must be letters, digits and _")
                    continue
                if name in RESERVED_NAMES:
                    self.error(file, line, f"'{name}' is a reserved name and cannot be a variable")
                    continue
                if name in self.variables:
                    self.error(
                        file,
                        line,
                        f"duplicate variable '{name}' (first in {self.variables[name].file})",
                    )
                    continue
                self.variables[name] = _Placed(file, var)
            for scene in story_file.scenes:
                if self._add(self.places, "scene", scene.id, _Placed(file, scene), scene.line):
                    self.scenes[scene.id] = self.places[scene.id]
            for ending in story_file.endings:
                if self._add(self.places, "ending", ending.id, _Placed(file, ending), ending.line):
                    self.endings[ending.id] = self.places[ending.id]
        if self.meta is None:
            first_file = self.files[0][0] if self.files else self.display
            self.error(
                first_file, 1, "no file declares the 'story:' block (id, title, summary, start)"
            )

    # -- compiling ------------------------------------------------------------------------

    @functools.cached_property
    def var_decls(self) -> dict[str, Variable]:
        """The variables by name; read after merging, when they no longer change."""
        return {name: placed.node for name, placed in self.variables.items()}

    @functools.cached_property
    def place_ids(self) -> frozenset[str]:
        """Every scene and ending id; read after merging."""
        return frozenset(self.places)

    def expression(self, source: str | float, file: str, line: int) -> Expression | None:
        known = self._compiled_by_source.get(str(source))
        if known is not None:
            return known
        try:
            compiled = compile_expression(
                str(source),
                self.var_decls,
                self.place_ids,
                self.definitions,
            )
        except ExpressionError as exc:
            if exc.name not in self.broken_definitions:  # else its own problem says why
                self.error(file, line, f"expression '{shown(str(source))}': {exc}")
            return None
        self.compiled.append(compiled)
        self._compiled_by_source[str(source)] = compiled
        return compiled

    def template(self, text: str, file: str, node: Node, key: str) -> Template | None:
        try:
            compiled = compile_template(
                text,
                self.var_decls,
                self.place_ids,
                self._compiled_by_source,
                self.definitions,
            )
        except TemplateError as exc:
            line = node.value_line_of(key) + text[: exc.offset].count("\n")
            if exc.name not in self.broken_definitions:  # else its own problem says why
                self.error(file, line, f"{key}: {exc}")
            return None
        self.compiled.extend(compiled.expressions)
        return compiled

    def crew_member(
        self, member_id: str | None, file: str, node: Node, key: str
    ) -> CrewMember | None:
        if member_id is None:
            return None
        placed = self.crew.get(member_id)
        if placed is None:
            self.error(file, node.line_of(key), f"{key}: unknown crew member '{member_id}'")
            return None
        member: CrewMember = placed.node
        return member

    def effects(self, outcome: Outcome, file: str) -> None:
        effects = outcome.effects
        self._effect_block(effects, file)
        for block in effects.when:
            self._effect_block(block, file)

    def _effect_block(self, effects: Effects | ConditionalEffects, file: str) -> None:
        for name, _delta in effects.add.items():
            var = self.variables.get(name)
            if var is None:
                hint = did_you_mean(name, self.variables)
                self.error(file, effects.line_of("add"), f"add: unknown variable '{name}'{hint}")
            elif var.node.type != "int":
                self.error(
                    file,
                    effects.line_of("add"),
                    f"add: '{name}' is {var.node.type}; only int variables can be added to",
                )
        for name, value in effects.set_.items():
            problem = self._set_problem(name, value)
            if problem is not None:
                self.error(file, effects.line_of("set"), f"set: {problem}")

    def _set_problem(self, name: str, value: Any) -> str | None:
        placed = self.variables.get(name)
        if placed is None:
            return f"unknown variable '{name}'" + did_you_mean(name, self.variables)
        var: Variable = placed.node
        expected = {"int": int, "bool": bool, "text": str}[var.type]
        if type(value) is not expected:
            return f"'{name}' is {var.type}, not {value!r}"
        if var.type == "int" and not var.min <= value <= var.max:  # type: ignore[operator]
            return f"{name}={value} is outside {var.min}..{var.max}"
        return None

    def flat_effects(self, effects: Effects | ConditionalEffects) -> tuple[Adds, Sets]:
        """Effects as tuples for play; only called once they passed `effects`."""
        adds = []
        for name, delta in effects.add.items():
            var = self.variables.get(name)
            if var is not None and var.node.type == "int":
                adds.append((name, delta, var.node.min, var.node.max))
        sets = tuple(effects.set_.items())
        return tuple(adds), sets

    def conditional_effects(self, outcome: Outcome, file: str) -> WhenBlocks:
        """The `when:` blocks, each with its compiled condition, for play."""
        return self.conditional_effects_of(outcome.effects, file)

    def conditional_effects_of(self, effects: Effects, file: str) -> WhenBlocks:
        """The `when:` blocks of `effects`, each with its compiled condition."""
        blocks = []
        for block in effects.when:
            condition = self.expression(block.if_, file, block.line_of("if"))
            if condition is not None:
                blocks.append((condition, *self.flat_effects(block)))
        return tuple(blocks)

    def target(self, target: str, file: str, node: Node, key: str) -> None:
        if target not in self.places:
            hint = difflib.get_close_matches(target, list(self.places), n=3)
            extra = f" (known: {', '.join(hint)})" if hint else ""
            self.error(file, node.line_of(key), f"{key}: no scene or ending '{target}'{extra}")

    def _constant_odds(self, odds: Expression, file: str, roll: Node) -> float | None:
        """Odds that read nothing are folded to a number, checked here once."""
        try:
            value = evaluate(self.evaluator, odds, {})
        except Exception as exc:  # any failure of an author's expression is a finding
            message = f"odds '{shown(odds.source)}' fail when always: {exc}"
            self.error(file, roll.line_of("odds"), message)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.error(file, roll.line_of("odds"), f"odds {odds.source} are outside 0..1")
            return None
        return float(value)

    def outcome(self, outcome: Outcome, file: str) -> CompiledOutcome:
        self.effects(outcome, file)
        odds: Expression | float | None = None
        if outcome.roll is not None:
            roll = outcome.roll
            self.target(roll.success, file, roll, "success")
            self.target(roll.failure, file, roll, "failure")
            if isinstance(roll.odds, float | int):
                odds = float(roll.odds)
                if not 0 <= odds <= 1:
                    self.error(file, roll.line_of("odds"), f"odds {roll.odds} are outside 0..1")
            else:
                odds = self.expression(roll.odds, file, roll.line_of("odds"))
                if isinstance(odds, Expression) and not odds.names and not odds.visits:
                    odds = self._constant_odds(odds, file, roll)
        else:
            assert outcome.goto is not None
            self.target(outcome.goto, file, outcome, "goto")
        result = None
        if outcome.result is not None:
            result = self.template(outcome.result, file, outcome, "result")
        adds, sets = self.flat_effects(outcome.effects)
        when = self.conditional_effects(outcome, file)
        return CompiledOutcome(outcome, result, odds, adds, sets, when)

    def scene(self, file: str, scene: Scene) -> CompiledScene | None:
        speaker = self.crew_member(scene.speaker, file, scene, "speaker")
        text = self.template(scene.text, file, scene, "text")
        choices: list[CompiledChoice] = []
        seen: dict[str, int] = {}
        for index, choice in enumerate(scene.choices):
            if choice.id in seen:
                self.error(
                    file,
                    choice.line,
                    f"duplicate choice id '{choice.id}' in scene '{scene.id}'"
                    f" (first at line {seen[choice.id]})",
                )
                continue
            seen[choice.id] = choice.line
            by = self.crew_member(choice.by, file, choice, "by")
            condition = None
            if choice.if_ is not None:
                condition = self.expression(choice.if_, file, choice.line_of("if"))
            compiled = self.outcome(choice, file)
            if by is not None:
                choices.append(
                    CompiledChoice(
                        index, choice.id, choice.label, by, condition, compiled, choice.pitch
                    )
                )
        no_decision = None
        if scene.no_decision is not None:
            no_decision = self.outcome(scene.no_decision, file)
        if text is None or len(choices) != len(scene.choices):
            return None
        return CompiledScene(
            scene, text, speaker, tuple(choices), {c.id: c for c in choices}, no_decision
        )

    def ending(self, file: str, ending: Ending) -> CompiledEnding | None:
        speaker = self.crew_member(ending.speaker, file, ending, "speaker")
        text = self.template(ending.text, file, ending, "text")
        self._effect_block(ending.effects, file)
        for block in ending.effects.when:
            self._effect_block(block, file)
        adds, sets = self.flat_effects(ending.effects)
        # The ending's effects play like an outcome's that leads to the ending itself.
        effects = CompiledOutcome(
            Outcome.model_construct(effects=ending.effects, goto=ending.id),
            None,
            None,
            adds,
            sets,
            self.conditional_effects_of(ending.effects, file),
        )
        ship: Template | str | None = None
        if ending.ship is False:
            ship = ""
        elif isinstance(ending.ship, str):
            ship = self.template(ending.ship, file, ending, "ship")
            if ship is None:
                return None
        if text is None:
            return None
        return CompiledEnding(ending, text, speaker, effects, ship)

    # -- rules over the whole graph -------------------------------------------------------

    def reachability(self, start: str) -> None:
        seen = {start}
        queue = deque([start])
        while queue:
            place = self.places[queue.popleft()].node
            if isinstance(place, Scene):
                outcomes: list[Outcome] = list(place.choices)
                if place.no_decision is not None:
                    outcomes.append(place.no_decision)
                for outcome in outcomes:
                    for target in outcome.targets():
                        if target in self.places and target not in seen:
                            seen.add(target)
                            queue.append(target)
        for place_id, placed in self.places.items():
            if place_id not in seen:
                kind = "scene" if isinstance(placed.node, Scene) else "ending"
                self.error(
                    placed.file,
                    placed.node.line,
                    f"{kind} '{place_id}' cannot be reached from the start '{start}'",
                )

    def define(self) -> None:
        """Compile the `define:` names in file order; each may use the ones before it."""
        for file, story_file in self.files:
            for name, source in story_file.define.items():
                line = story_file.define_line(name)
                if not NAME_PATTERN.fullmatch(name) or name in RESERVED_NAMES:
                    self.error(
                        file,
                        line,
                        f"define: '{name}' cannot be a name (reserved or not an identifier)",
                    )
                    continue
                if name in self.variables or name in self.definitions:
                    self.error(file, line, f"define: '{name}' is already a variable or definition")
                    continue
                compiled = self.expression(source, file, line)
                if compiled is None:
                    self.broken_definitions.add(name)
                else:
                    self.definitions[name] = Definition.of(compiled)

    def build(self) -> Story | None:
        self.merge()
        self.define()
        scenes: dict[str, CompiledScene] = {}
        endings: dict[str, CompiledEnding] = {}
        for scene_id, placed in self.scenes.items():
            compiled = self.scene(placed.file, placed.node)
            if compiled is not None:
                scenes[scene_id] = compiled
        for ending_id, placed in self.endings.items():
            compiled_ending = self.ending(placed.file, placed.node)
            if compiled_ending is not None:
                endings[ending_id] = compiled_ending
        meta = self.meta
        if meta is not None:
            file, story = meta
            if story.start not in self.scenes:
                self.error(file, story.line_of("start"), f"start: no scene '{story.start}'")
            elif not self.problems:  # on a graph with broken links, this would only add noise
                self.reachability(story.start)
        if self.problems:
            return None
        title = meta[1].title if meta else ""
        self.problems.extend(
            check_boundaries(
                {i: (self.scenes[i].file, s) for i, s in scenes.items()},
                {i: (self.endings[i].file, e) for i, e in endings.items()},
                self.var_decls,
                self.compiled,
                title,
            )
        )
        if self.problems or meta is None:
            return None
        story = meta[1]
        return Story(
            id=story.id,
            title=story.title,
            summary=story.summary,
            start=story.start,
            crew={k: p.node for k, p in self.crew.items()},
            variables=self.var_decls,
            scenes=scenes,
            endings=endings,
            content_hash=self.content_hash,
            files=tuple(file for file, _ in self.files),
        )


def build_story(
    files: list[tuple[str, StoryFile]], content_hash: str, display: str
) -> tuple[Story | None, list[Problem]]:
    """Merge, compile and check a story's validated files."""
    builder = _Builder(files, content_hash, display)
    story = builder.build()
    return story, builder.problems
