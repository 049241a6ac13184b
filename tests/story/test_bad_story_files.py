"""Story files that used to take the loader down or point at the wrong place (issue 15,
items 5 to 8): each is refused as `file:line: message` for its own story, and the other
stories still load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.story import check_story, load_stories

from .helpers import TINY, write_story


def replace(old: str, new: str, base: str = TINY) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


def with_condition(expression: str) -> str:
    """TINY with `if: <expression>` on its one choice (line 23)."""
    return replace(
        "        goto: done", f"        if: {json.dumps(expression)}\n        goto: done"
    )


def with_odds(expression: str) -> str:
    """TINY whose one choice rolls `odds: <expression>` (line 23)."""
    roll = f"        roll: {{odds: {json.dumps(expression)}, success: done, failure: done}}"
    return replace("        goto: done", roll)


def with_define(*lines: str) -> str:
    """TINY with a `define:` block (its first name on line 16) used by the scene's text."""
    block = "define:\n" + "".join(f"  {line}\n" for line in lines)
    return replace("scenes:", block + "scenes:")


BLOCK_VARIABLES = """\
variables:
  fuel:
    type: int
    initial: 3
    min: 0
    max: 5
  lit:
    type: bool
    initial: false
  mood: {type: text, initial: calm}
"""


def with_block_variables(old: str, new: str) -> str:
    """TINY with its variables written one key a line (fuel's keys on lines 13 to 16, lit's
    on 18 and 19), `old` replaced by `new` in them."""
    start = TINY.index("variables:")
    end = TINY.index("scenes:")
    return TINY[:start] + replace(old, new, BLOCK_VARIABLES) + TINY[end:]


BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

#: Each definition twice the one before: 2**17 copies of `fuel` once expanded.
DOUBLING = ["d0: fuel + fuel"] + [f"d{n}: d{n - 1} + d{n - 1}" for n in range(1, 17)]

CASES = {
    # -- 5: no exception from the expression library leaves the loader ------------------
    "a condition that is only a comment": (
        with_condition("# later"),
        [
            "s/story.yaml:23: expression '# later': empty expression"
            " (everything after a '#' is a comment)"
        ],
    ),
    "two statements in a condition": (
        with_condition("fuel > 1; lit"),
        [
            "s/story.yaml:23: expression 'fuel > 1; lit': one expression only"
            " (a ';' or a line break starts another)"
        ],
    ),
    "constant odds that divide by zero": (
        with_odds("1/0"),
        ["s/story.yaml:23: odds '1/0' fail when always: division by zero"],
    ),
    "constant odds of the wrong type": (
        with_odds("'a' < 1"),
        [
            "s/story.yaml:23: odds ''a' < 1' fail when always:"
            " '<' not supported between instances of 'str' and 'int'"
        ],
    ),
    "an expression nested too deeply": (
        with_condition("not " * 240 + "lit"),
        [
            "s/story.yaml:23: expression '" + "not " * 20 + "…': nested 241 deep;"
            " an expression is nested at most 100 deep"
        ],
    ),
    "a very long expression": (
        with_condition("1+" * 3000 + "1"),
        [
            "s/story.yaml:23: expression '" + "1+" * 40 + "…': 6001 characters;"
            " an expression has at most 1,000"
        ],
    ),
    # -- 6: budgets for YAML values, aliases, definitions and numbers --------------------
    "nested aliases (a YAML bomb)": (
        BOMB,
        [
            "s/story.yaml:5: YAML error: aliases here expand to more than 10,000 values;"
            " write the values out or use fewer aliases"
        ],
    ),
    "a definition that doubles each line": (
        # d7 would be 1,023 parts: d0 is 6 (with the ast's own nodes), each next 2 + twice it.
        with_define(*DOUBLING),
        [
            "s/story.yaml:23: expression 'd6 + d6': 1023 parts once its definitions are put in;"
            " an expression has at most 1,000"
        ],
    ),
    "definitions nested inside each other": (
        with_define("d0: not lit", *(f"d{n}: not d{n - 1}" for n in range(1, 200))),
        [
            "s/story.yaml:115: expression 'not d98': nested 101 deep once its definitions are"
            " put in; an expression is nested at most 100 deep"
        ],
    ),
    "a 5,000-digit integer in YAML": (
        replace("max: 5}", "max: " + "9" * 5000 + "}"),
        [
            "s/story.yaml:12: YAML error: the number 99999999999999999999… has 5000 digits;"
            " a story's numbers have at most 15"
        ],
    ),
    "a 5,000-digit hexadecimal integer in YAML": (
        replace("max: 5}", "max: 0x" + "f" * 5000 + "}"),
        [
            "s/story.yaml:12: YAML error: the number 0xffffffffffffffffff… has 5000 digits;"
            " a story's numbers have at most 15"
        ],
    ),
    "a 900-digit integer in an expression": (
        with_condition("fuel < " + "9" * 900),
        [
            "s/story.yaml:23: expression 'fuel < " + "9" * 73 + "…': the number"
            " 99999999999999999999… has 900 digits; a story's numbers have at most 15"
        ],
    ),
    "a date that does not exist": (
        replace("title: One", "title: 2024-02-30"),
        [
            "s/story.yaml:17: YAML error: 2024-02-30 reads as a date but is not one"
            " (day is out of range for month): put it in quotes"
        ],
    ),
    # -- 7: errors that point at the right place -----------------------------------------
    "an unclosed quote": (
        replace("title: One", 'title: "One'),
        [
            "s/story.yaml:17: YAML error: the quoted value that starts here is never closed"
            " (found unexpected end of stream)"
        ],
    ),
    "an unquoted colon in a label": (
        replace("label: Go", "label: Go: now"),
        [
            "s/story.yaml:21: YAML error: mapping values are not allowed in this context"
            " (a ': ' inside a value starts a mapping: put the value in quotes)"
        ],
    ),
    "an initial value of the wrong type": (
        with_block_variables("initial: 3", "initial: three"),
        ["s/story.yaml:14: variables.fuel.initial: initial value 'three' is not of type int"],
    ),
    "an initial value out of bounds": (
        with_block_variables("initial: 3", "initial: 9"),
        ["s/story.yaml:14: variables.fuel.initial: initial value 9 is outside 0..5"],
    ),
    "bounds on a bool": (
        with_block_variables("    initial: false\n", "    initial: false\n    max: 1\n"),
        ["s/story.yaml:20: variables.lit.max: min and max only apply to int variables, not bool"],
    ),
    "min above max": (
        with_block_variables("min: 0", "min: 7"),
        ["s/story.yaml:15: variables.fuel.min: min 7 is greater than max 5"],
    ),
    "a key valid elsewhere but not here": (
        replace("    text: The end.", "    text: The end.\n    choices: []"),
        [
            "s/story.yaml:28: unknown key 'choices' in endings[0]"
            " (keys here: id, title, speaker, text, effects, ship)"
        ],
    ),
    "a misspelt key suggests a key of its own place": (
        replace("    text: The end.", "    speeker: ana\n    text: The end."),
        ["s/story.yaml:27: unknown key 'speeker' (did you mean 'speaker'?) in endings[0]"],
    ),
    "an unknown variable in a text": (
        replace("Fuel {fuel}.", "Fuel {fuell}."),
        ["s/story.yaml:18: text: in '{fuell}': unknown variable 'fuell' (did you mean 'fuel'?)"],
    ),
    "an unknown variable in effects": (
        replace("        goto: done", "        effects: {add: {fuell: 1}}\n        goto: done"),
        ["s/story.yaml:23: add: unknown variable 'fuell' (did you mean 'fuel'?)"],
    ),
    "an unknown variable in a set": (
        replace("        goto: done", "        effects: {set: {moood: x}}\n        goto: done"),
        ["s/story.yaml:23: set: unknown variable 'moood' (did you mean 'mood'?)"],
    ),
    # -- 8: a result over more than one line ---------------------------------------------
    "a result over two lines": (
        replace(
            "        goto: done",
            "        result: |\n          One.\n          Two.\n        goto: done",
        ),
        ["s/story.yaml:23: scenes[0].choices[0].result: a result is one line; this one has 2"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_story_file_is_reported_at_its_line(name: str, tmp_path: Path, monkeypatch) -> None:
    text, expected = CASES[name]
    monkeypatch.chdir(tmp_path)
    story, problems = check_story(write_story(Path("s"), text))
    assert story is None
    assert [str(p) for p in problems] == expected


def test_a_one_line_result_block_is_taken(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = replace(
        "        goto: done",
        "        result: >-\n          One\n          line.\n        goto: done",
    )
    story, problems = check_story(write_story(Path("s"), text))
    assert problems == [] and story is not None


def test_a_non_utf8_byte_is_reported_at_its_line_and_column(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("s")
    folder.mkdir()
    (folder / "story.yaml").write_bytes(replace("title: One", "title: On\xe9").encode("latin-1"))
    story, problems = check_story(folder)
    assert story is None
    assert [str(p) for p in problems] == [
        "s/story.yaml:17: column 14: byte 0xe9 is not UTF-8; save the file as UTF-8"
    ]


def test_a_bad_expression_leaves_the_other_stories_loaded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("content/good"), TINY)
    write_story(Path("content/bad"), with_condition("# later").replace("id: tiny", "id: bad"))
    result = load_stories(Path("content"))
    assert list(result.stories) == ["tiny"]
    assert [str(p) for p in result.problems["content/bad"]] == [
        "content/bad/story.yaml:23: expression '# later': empty expression"
        " (everything after a '#' is a comment)"
    ]


def test_check_reports_a_bad_expression_and_the_good_story(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("content/good"), TINY)
    write_story(Path("content/bad"), with_condition("# later").replace("id: tiny", "id: bad"))
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "content/bad/story.yaml:23: expression '# later': empty expression"
        " (everything after a '#' is a comment)",
        "content/bad: 1 problem(s)",
        "tiny: ok (1 scenes, 1 endings, 3 variables)",
    ]


def test_two_stories_with_one_id_are_both_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("content/first"), TINY)
    write_story(Path("content/second"), TINY)
    write_story(Path("content/other"), TINY.replace("id: tiny", "id: other"))
    result = load_stories(Path("content"))
    assert list(result.stories) == ["other"]
    assert {where: [str(p) for p in problems] for where, problems in result.problems.items()} == {
        "content/first": [
            "content/first/story.yaml:2: story id 'tiny' is also the id of content/second"
            " (story ids must be unique)"
        ],
        "content/second": [
            "content/second/story.yaml:2: story id 'tiny' is also the id of content/first"
            " (story ids must be unique)"
        ],
    }
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "content/first/story.yaml:2: story id 'tiny' is also the id of content/second"
        " (story ids must be unique)",
        "content/first: 1 problem(s)",
        "other: ok (1 scenes, 1 endings, 3 variables)",
        "content/second/story.yaml:2: story id 'tiny' is also the id of content/first"
        " (story ids must be unique)",
        "content/second: 1 problem(s)",
    ]


def test_the_yaml_value_budget_counts_every_value(tmp_path: Path, monkeypatch) -> None:
    """Past the budget a file is refused even with no alias in it (the budget is 250,000):
    TINY and `junk:` hold 77 values, each item three, so the 250,001st is on line 83,336."""
    monkeypatch.chdir(tmp_path)
    text = TINY + "junk:\n" + "".join(f"  - [{n}, {n}]\n" for n in range(90_000))
    story, problems = check_story(write_story(Path("s"), text))
    assert story is None
    assert [str(p) for p in problems] == [
        "s/story.yaml:83336: YAML error: more than 250,000 values in one file;"
        " split the story into several files"
    ]


def test_a_control_character_is_reported_at_its_line_and_column(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    story, problems = check_story(write_story(Path("s"), replace("title: One", "title: O\x01ne")))
    assert story is None
    assert [str(p) for p in problems] == [
        "s/story.yaml:17: column 13: character U+0001 is not allowed in YAML"
        " (control characters are not allowed)"
    ]


def test_a_file_past_the_size_budget_is_refused_unread(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = TINY + "# " + "x" * 8_000_000 + "\n"  # 467 + 2 + 8,000,000 + 1 bytes
    story, problems = check_story(write_story(Path("s"), text))
    assert story is None
    assert [str(p) for p in problems] == [
        "s/story.yaml:1: 8,000,470 bytes; a story file is at most 8,000,000: split it"
    ]
