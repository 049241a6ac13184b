"""Fuzz the story loader: whatever is in the files, `check_story` either loads the story or
reports each problem as `file:line: message` (a real file of the story, a line inside it);
it never raises.

Three sources of input, all from hypothesis: YAML dumped from random structures built of the
story format's own keys (so they get deep into the checker), random text (so they break the
YAML parser in every way), and random mutations of Claim Jumpers (a line deleted, duplicated,
moved, re-indented or given a new value; the file cut short; junk inserted).
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
