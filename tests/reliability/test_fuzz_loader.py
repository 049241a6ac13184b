"""Fuzz the story loader: whatever is in the files, `check_story` either loads the story or
reports each problem as `file:line: message` (a real file of the story, a line inside it);
it never raises.

Four sources of input, all from hypothesis: YAML dumped from random structures built of the
story format's own keys (so they get deep into the checker), random text (so they break the
YAML parser in every way), random mutations of Claim Jumpers (a line deleted, duplicated,
moved, re-indented or given a new value; the file cut short; junk inserted), and random
expressions put where a story has them (a condition, odds, a definition, a text's `{...}`), so
that whatever simpleeval and Python's parser make of them, the loader answers in words.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.story import Problem, check_story
from tests.properties import examples

ROOT = Path(__file__).resolve().parents[2]
CLAIM_JUMPERS = ROOT / "content" / "claim-jumpers"
FUZZ = settings(
    max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

KEYS = [
    "story", "id", "title", "summary", "start", "crew", "name", "role", "colour",
    "variables", "type", "initial", "min", "max", "label", "unit", "show", "define",
    "scenes", "text", "speaker", "choices", "by", "if", "goto", "roll", "odds", "success",
    "failure", "effects", "add", "set", "when", "result", "no_decision", "endings",
]  # fmt: skip
IDS = ["s0", "s1", "e0", "ana", "fuel", "int", "bool", "text", "#112233", "fuel > 1", "{fuel}"]


def check(folder: Path) -> None:
    """The loader's contract on one story folder."""
    story, problems = check_story(folder)
    assert (story is None) == bool(problems), problems
    files = {str(p.resolve()): p for p in folder.rglob("*.yaml")}
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.message and "\n" not in str(problem).split(": ", 1)[0]
        path = Path(problem.file).resolve()
        assert path == folder.resolve() or str(path) in files, problem
        assert problem.line >= 1, problem
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            lines = len(re.findall("\r\n|[\r\n\x85\u2028\u2029]", text)) + 1  # YAML's breaks
            assert problem.line <= lines, (problem, lines)
        assert str(problem).startswith(f"{problem.file}:{problem.line}: ")


@contextmanager
def story_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "story"
        folder.mkdir()
        yield folder


scalars = (
    st.sampled_from(IDS)
    | st.text(max_size=30)
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
structures = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=40,
)


@st.composite
def story_like(draw: st.DrawFn) -> dict[str, Any]:
    """A mapping shaped roughly like a story file, with random holes and junk."""
    scene = st.fixed_dictionaries(
        {"id": st.sampled_from(IDS), "title": scalars, "text": scalars},
        optional={
            "choices": st.lists(
                st.fixed_dictionaries(
                    {"id": scalars, "label": scalars, "by": scalars},
                    optional={
                        "goto": scalars,
                        "if": scalars,
                        "effects": structures,
                        "roll": structures,
                        "result": scalars,
                    },
                ),
                max_size=4,
            ),
            "no_decision": structures,
            "speaker": scalars,
        },
    )
    return draw(
        st.fixed_dictionaries(
            {},
            optional={
                "story": st.fixed_dictionaries(
                    {"id": scalars, "title": scalars, "summary": scalars, "start": scalars}
                ),
                "crew": st.lists(structures, max_size=3),
                "variables": st.dictionaries(st.sampled_from(IDS), structures, max_size=3),
                "define": st.dictionaries(st.sampled_from(IDS), scalars, max_size=3),
                "scenes": st.lists(scene, max_size=4),
                "endings": st.lists(structures, max_size=3),
                "junk": structures,
            },
        )
    )


@FUZZ
@given(st.lists(story_like() | structures, min_size=1, max_size=3))
def test_random_yaml_structures_load_or_report_file_and_line(documents: list[Any]) -> None:
    with story_folder() as folder:
        for number, document in enumerate(documents):
            text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
            (folder / f"{number:02d}.yaml").write_text(text, encoding="utf-8")
        check(folder)


@FUZZ
@given(st.lists(st.text(max_size=400) | st.binary(max_size=200), min_size=1, max_size=2))
def test_random_text_loads_or_reports_file_and_line(contents: list[str | bytes]) -> None:
    with story_folder() as folder:
        for number, content in enumerate(contents):
            path = folder / f"{number:02d}.yaml"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        check(folder)


@st.composite
def mutation(draw: st.DrawFn, lines: list[str]) -> list[str]:
    lines = list(lines)
    kind = draw(
        st.sampled_from(
            ["delete", "duplicate", "value", "indent", "dedent", "swap", "insert", "cut"]
        )
    )
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    if not lines:
        return [draw(st.text(max_size=40))]
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "value" and ": " in lines[i]:
        key, _, _ = lines[i].partition(": ")
        value = draw(
            scalars.map(
                lambda v: (
                    yaml.safe_dump(v).splitlines()[0] if yaml.safe_dump(v).splitlines() else ""
                )
            )
        )
        lines[i] = f"{key}: {value}"
    elif kind == "indent":
        lines[i] = " " * draw(st.integers(1, 4)) + lines[i]
    elif kind == "dedent":
        lines[i] = lines[i][draw(st.integers(1, 4)) :]
    elif kind == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "insert":
        lines.insert(i, draw(st.text(max_size=40)))
    elif kind == "cut":
        lines = lines[:i]
    return lines


@st.composite
def mutated_claim_jumpers(draw: st.DrawFn) -> tuple[str, str]:
    files = sorted(p.name for p in CLAIM_JUMPERS.glob("*.yaml"))
    name = draw(st.sampled_from(files))
    lines = (CLAIM_JUMPERS / name).read_text(encoding="utf-8").split("\n")
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(mutation(lines))
    return name, "\n".join(lines)


@FUZZ
@given(mutated_claim_jumpers())
def test_mutated_claim_jumpers_loads_or_reports_file_and_line(change: tuple[str, str]) -> None:
    name, text = change
    with story_folder() as folder:
        shutil.copytree(CLAIM_JUMPERS, folder, dirs_exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        check(folder)


def test_a_yaml_error_at_the_end_of_a_file_points_at_its_last_line() -> None:
    """libyaml puts the end of a file with no final newline on the line after it."""
    with story_folder() as folder:
        (folder / "story.yaml").write_text("story:\n  id: [unclosed", encoding="utf-8")
        story, problems = check_story(folder)
    assert story is None
    assert [(p.line, p.message) for p in problems] == [
        (2, "YAML error: did not find expected ',' or ']'")
    ]


#: What expressions are made of: the story's names, numbers from tiny to far past the
#: budget, and operators, calls and forms the checker allows or must refuse.
ATOMS = [
    "fuel", "lit", "mood", "turn", "vote_share", "vote_how", "nope", "d0", "d1", "True",
    "None", "visits('one')", "visits('nowhere')", "'calm'", "''", "0", "1", "0.5", "1e400",
    "9" * 20, "0x" + "f" * 4000, "x.y", "[1]", "lambda: 1", "__import__('os')",
]  # fmt: skip
BINARY = ["+", "-", "*", "/", "//", "%", "**", "<<", "and", "or", "==", "<", ">=", "!=", "in"]
UNARY = ["not ", "-", "+", "~"]
CALLS = ["pct", "min", "max", "abs", "round", "visits", "len", "int"]
#: Put before or after a whole expression: comments, separators, line breaks, deep nesting.
AROUND = ["", "", "", "# ", "# later", "; ", " ;1", "\n", "\n1", "(", ")", "not " * 300]

expression_trees = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: (
        st.tuples(inner, st.sampled_from(BINARY), inner).map(" ".join)
        | st.tuples(st.sampled_from(UNARY), inner).map("".join)
        | inner.map(lambda e: f"({e})")
        | st.tuples(st.sampled_from(CALLS), st.lists(inner, max_size=3)).map(
            lambda call: f"{call[0]}({', '.join(call[1])})"
        )
        | st.tuples(inner, inner, inner).map(lambda e: f"{e[0]} if {e[1]} else {e[2]}")
    ),
    max_leaves=12,
)
expressions = st.tuples(st.sampled_from(AROUND), expression_trees, st.sampled_from(AROUND)).map(
    "".join
) | st.text(max_size=30)


def _expression_story(condition: str, odds: str, definition: str, text: str) -> str:
    story = {
        "story": {"id": "x", "title": "X", "summary": "X.", "start": "one"},
        "crew": [{"id": "ana", "name": "Ana", "role": "Pilot", "colour": "#112233"}],
        "variables": {
            "fuel": {"type": "int", "initial": 3, "min": 0, "max": 5},
            "lit": {"type": "bool", "initial": False},
            "mood": {"type": "text", "initial": "calm"},
        },
        "define": {"d0": definition, "d1": "d0 and lit"},
        "scenes": [
            {
                "id": "one",
                "title": "One",
                "text": f"Fuel {{{text}}}.",
                "choices": [
                    {"id": "go", "label": "Go", "by": "ana", "if": condition, "goto": "done"},
                    {
                        "id": "try",
                        "label": "Try",
                        "by": "ana",
                        "roll": {"odds": odds, "success": "done", "failure": "one"},
                    },
                ],
                "no_decision": {"goto": "done"},
            }
        ],
        "endings": [{"id": "done", "title": "Done", "text": "The end."}],
    }
    return yaml.safe_dump(story, sort_keys=False, allow_unicode=True)


@FUZZ
@given(expressions, expressions, expressions, expressions)
def test_random_expressions_load_or_report_file_and_line(
    condition: str, odds: str, definition: str, text: str
) -> None:
    with story_folder() as folder:
        story = _expression_story(condition, odds, definition, text)
        (folder / "story.yaml").write_text(story, encoding="utf-8", errors="surrogatepass")
        check(folder)
