"""Each checker rule: a story that breaks it, and the exact `file:line: message` it gets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.story import check_story, load_stories

from .helpers import TINY, write_story


def replace(old: str, new: str, base: str = TINY) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


CHOICE_GO = """\
      - id: go
        label: Go
        by: ana
        goto: done
"""

CASES = {
    "yaml syntax": (
        replace("title: One", "title: [One"),
        # libyaml and PyYAML's pure parser word this one differently.
        [
            "s/story.yaml:18: YAML error: did not find expected ',' or ']'"
            if yaml.__with_libyaml__
            else "s/story.yaml:18: YAML error: expected ',' or ']', but got ':'"
        ],
    ),
    "recursive alias": (
        "story: &a\n  - *a\n",
        ["s/story.yaml:1: YAML error: an alias refers to itself"],
    ),
    "foreign tag": (
        replace("title: One", "title: !!python/object:os.system {}"),
        ["s/story.yaml:17: YAML error: unsupported tag tag:yaml.org,2002:python/object:os.system"],
    ),
    "duplicate yaml key": (
        replace("    title: One\n", "    title: One\n    title: Two\n"),
        ["s/story.yaml:18: YAML error: duplicate key 'title' (first at line 17)"],
    ),
    "unknown key with hint": (
        replace("        label: Go", "        lable: Go"),
        [
            "s/story.yaml:20: missing key 'label' in scenes[0].choices[0]",
            "s/story.yaml:21: unknown key 'lable' (did you mean 'label'?) in scenes[0].choices[0]",
        ],
    ),
    "missing key": (
        replace("    title: Done\n", ""),
        ["s/story.yaml:25: missing key 'title' in endings[0]"],
    ),
    "wrong type": (
        replace("label: Go", "label: [Go]"),
        ["s/story.yaml:21: scenes[0].choices[0].label: should be a valid string"],
    ),
    "yaml boolean where a string is needed": (
        replace("id: go", "id: on"),
        [
            "s/story.yaml:20: scenes[0].choices[0].id: should be a valid string (YAML reads yes/no/on/off/true/false as a boolean: put it in quotes)"
        ],
    ),
    "bad id": (
        replace("id: go", "id: Go Now"),
        [
            "s/story.yaml:20: scenes[0].choices[0].id: 'Go Now' is not a valid id: use lowercase letters, digits, '-' and '_', starting with a letter or digit"
        ],
    ),
    "goto and roll": (
        replace(
            "        goto: done\n",
            "        goto: done\n        roll: {odds: 0.5, success: done, failure: done}\n",
        ),
        ["s/story.yaml:20: scenes[0].choices[0]: needs exactly one of 'goto' or 'roll'"],
    ),
    "duplicate scene id": (
        replace(
            "endings:",
            "  - id: one\n    title: Again\n    text: x\n    choices:\n" + CHOICE_GO + "endings:",
        ),
        ["s/story.yaml:24: duplicate scene id 'one' (first at s/story.yaml:16)"],
    ),
    "duplicate choice id": (
        replace(CHOICE_GO, CHOICE_GO + CHOICE_GO),
        ["s/story.yaml:24: duplicate choice id 'go' in scene 'one' (first at line 20)"],
    ),
    "unknown target": (
        replace("goto: done", "goto: dnoe"),
        ["s/story.yaml:23: goto: no scene or ending 'dnoe' (known: done)"],
    ),
    "unknown crew": (
        replace("by: ana", "by: bob"),
        ["s/story.yaml:22: by: unknown crew member 'bob'"],
    ),
    "unknown start": (
        replace("start: one", "start: zero"),
        ["s/story.yaml:5: start: no scene 'zero'"],
    ),
    "unreachable scene": (
        replace(
            "endings:",
            "  - id: two\n    title: Two\n    text: x\n    choices:\n" + CHOICE_GO + "endings:",
        ),
        ["s/story.yaml:24: scene 'two' cannot be reached from the start 'one'"],
    ),
    "scene without a way out": (
        replace(CHOICE_GO, "").replace("    choices:\n", "    choices: []\n"),
        [
            "s/story.yaml:19: scenes[0].choices: a scene needs at least one choice (a scene with no way out is an ending)"
        ],
    ),
    "unknown variable in condition": (
        replace("        by: ana\n", "        by: ana\n        if: fule > 1\n"),
        ["s/story.yaml:23: expression 'fule > 1': unknown variable 'fule' (did you mean 'fuel'?)"],
    ),
    "condition does not compile": (
        replace("        by: ana\n", "        by: ana\n        if: fuel >\n"),
        ["s/story.yaml:23: expression 'fuel >': does not compile: invalid syntax"],
    ),
    "forbidden expression": (
        replace("        by: ana\n", '        by: ana\n        if: "fuel.__class__"\n'),
        ["s/story.yaml:23: expression 'fuel.__class__': Attribute is not allowed in an expression"],
    ),
    "unknown variable in text": (
        replace("text: Fuel {fuel}.", "text: Fuel {fule}."),
        ["s/story.yaml:18: text: in '{fule}': unknown variable 'fule' (did you mean 'fuel'?)"],
    ),
    "unknown scene in visits": (
        replace("text: Fuel {fuel}.", "text: \"{visits('nowhere')}\""),
        ["s/story.yaml:18: text: in '{visits('nowhere')}': visits() names unknown scene 'nowhere'"],
    ),
    "unmatched brace": (
        replace("text: Fuel {fuel}.", "text: Fuel {fuel."),
        ["s/story.yaml:18: text: unmatched '{' in text (write '{{' for a literal brace)"],
    ),
    "expression fails on some state": (
        replace("text: Fuel {fuel}.", "text: Ratio {10 // fuel}."),
        [
            "s/story.yaml:18: text substitution '10 // fuel' fails when fuel=0: integer division or modulo by zero"
        ],
    ),
    "add to a bool": (
        replace("        goto: done\n", "        effects: {add: {lit: 1}}\n        goto: done\n"),
        ["s/story.yaml:23: add: 'lit' is bool; only int variables can be added to"],
    ),
    "set wrong type": (
        replace(
            "        goto: done\n", "        effects: {set: {fuel: high}}\n        goto: done\n"
        ),
        ["s/story.yaml:23: set: 'fuel' is int, not 'high'"],
    ),
    "set out of bounds": (
        replace("        goto: done\n", "        effects: {set: {fuel: 9}}\n        goto: done\n"),
        ["s/story.yaml:23: set: fuel=9 is outside 0..5"],
    ),
    "effect on unknown variable": (
        replace("        goto: done\n", "        effects: {add: {feul: 1}}\n        goto: done\n"),
        ["s/story.yaml:23: add: unknown variable 'feul' (did you mean 'fuel'?)"],
    ),
    "initial of wrong type": (
        replace("lit: {type: bool, initial: false}", "lit: {type: bool, initial: 0}"),
        ["s/story.yaml:13: variables.lit.initial: initial value 0 is not of type bool"],
    ),
    "reserved variable name": (
        replace("  lit: {type: bool", "  turn: {type: bool"),
        ["s/story.yaml:13: 'turn' is a reserved name and cannot be a variable"],
    ),
    "constant odds out of range": (
        replace(
            "        goto: done\n", "        roll: {odds: 1.5, success: done, failure: done}\n"
        ),
        ["s/story.yaml:23: odds 1.5 are outside 0..1"],
    ),
    "odds expression out of range": (
        replace(
            "        goto: done\n",
            "        roll: {odds: 'fuel / 4', success: done, failure: done}\n",
        ),
        ["s/story.yaml:23: odds 'fuel / 4' can be 1.25, outside 0..1 (when fuel=5)"],
    ),
    "all choices can close": (
        replace("        by: ana\n", "        by: ana\n        if: fuel > 1\n"),
        [
            "s/story.yaml:19: scene 'one': every choice can be closed at once (when fuel=0) and the scene has no no_decision outcome"
        ],
    ),
    "label over 80": (
        replace("label: Go", "label: " + "G" * 81),
        ["s/story.yaml:21: scenes[0].choices[0].label: 81 characters; Discord allows at most 80"],
    ),
    "title over 256": (
        replace("title: One", "title: " + "T" * 257),
        ["s/story.yaml:17: scenes[0].title: 257 characters; Discord allows at most 256"],
    ),
    "more than 25 choices": (
        replace(CHOICE_GO, "".join(CHOICE_GO.replace("id: go", f"id: go{i}") for i in range(26))),
        ["s/story.yaml:19: scenes[0].choices: 26 choices; Discord shows at most 25 buttons"],
    ),
    "text over 4096 after substitution": (
        replace(
            "  mood: {type: text, initial: calm}",
            "  mood: {type: text, initial: calm}\n  note: {type: text, initial: x}",
        )
        .replace("text: Fuel {fuel}.", 'text: "' + "x" * 4000 + '{note}"')
        .replace(
            "        goto: done\n",
            "        effects: {set: {note: '" + "y" * 100 + "'}}\n        goto: done\n",
        ),
        ["s/story.yaml:19: text can reach 4100 characters after substitution; Discord allows 4096"],
    ),
    "definition with an unknown variable": (
        replace("scenes:", "define:\n  low: fule < 2\nscenes:"),
        ["s/story.yaml:16: expression 'fule < 2': unknown variable 'fule' (did you mean 'fuel'?)"],
    ),
    "definition shadowing a variable": (
        replace("scenes:", "define:\n  fuel: lit\nscenes:"),
        ["s/story.yaml:16: define: 'fuel' is already a variable or definition"],
    ),
    "definition with a reserved name": (
        replace("scenes:", "define:\n  turn: lit\nscenes:"),
        ["s/story.yaml:16: define: 'turn' cannot be a name (reserved or not an identifier)"],
    ),
    "conditional effect with a bad condition": (
        replace(
            "        goto: done\n",
            "        effects:\n          when:\n            - if: fule > 1\n              add: {fuel: 1}\n        goto: done\n",
        ),
        ["s/story.yaml:25: expression 'fule > 1': unknown variable 'fule' (did you mean 'fuel'?)"],
    ),
    "conditional effect of the wrong type": (
        replace(
            "        goto: done\n",
            "        effects:\n          when:\n            - if: fuel > 1\n              add: {lit: 1}\n        goto: done\n",
        ),
        ["s/story.yaml:26: add: 'lit' is bool; only int variables can be added to"],
    ),
    "no story block": (
        TINY.split("crew:", 1)[1].join(["crew:", ""]),
        ["s/story.yaml:1: no file declares the 'story:' block (id, title, summary, start)"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_reports_file_line_and_message(name: str, tmp_path: Path, monkeypatch) -> None:
    text, expected = CASES[name]
    monkeypatch.chdir(tmp_path)
    story, problems = check_story(write_story(Path("s"), text))
    assert story is None
    assert [str(p) for p in problems] == expected


def test_tiny_story_passes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    story, problems = check_story(write_story(Path("s"), TINY))
    assert problems == []
    assert story is not None and story.id == "tiny"


def test_no_decision_outcome_makes_closable_scene_legal(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = replace("        by: ana\n", "        by: ana\n        if: fuel > 1\n")
    text = replace("endings:", "    no_decision: {goto: done}\nendings:", text)
    story, problems = check_story(write_story(Path("s"), text))
    assert problems == [] and story is not None


def test_files_merge_and_duplicates_across_files_are_reported(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_story(Path("s"), TINY, "a.yaml")
    write_story(folder, "endings:\n  - id: done\n    title: Again\n    text: x\n", "b.yaml")
    _story, problems = check_story(folder)
    assert [str(p) for p in problems] == [
        "s/b.yaml:2: duplicate ending id 'done' (first at s/a.yaml:25)"
    ]


def test_second_file_adds_scenes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_story(Path("s"), replace("goto: done", "goto: two"), "a.yaml")
    write_story(
        folder,
        "scenes:\n  - id: two\n    title: Two\n    text: x\n    choices:\n" + CHOICE_GO,
        "b.yaml",
    )
    story, problems = check_story(folder)
    assert problems == [] and story is not None
    assert set(story.scenes) == {"one", "two"}


def test_one_broken_story_does_not_stop_the_others(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("content/good"), TINY)
    write_story(Path("content/bad"), replace("goto: done", "goto: nowhere"))
    result = load_stories(Path("content"))
    assert list(result.stories) == ["tiny"]
    assert [str(p) for p in result.problems["content/bad"]] == [
        "content/bad/story.yaml:23: goto: no scene or ending 'nowhere'"
    ]
