"""The checker's rules for what a vote message carries beside each choice (issue 13): who
argues for it, its pitch and its odds, counted against Discord's limits."""

from __future__ import annotations

from pathlib import Path

from bot.story import check_story

from .helpers import TINY, write_story


def choices(count: int, label: int, pitch: int | None = None) -> str:
    lines = []
    for i in range(count):
        lines.append(f"      - id: c{i}\n        label: {f'Choice {i} '.ljust(label, 'x')}\n")
        lines.append("        by: ana\n")
        if pitch is not None:
            lines.append(f"        pitch: {f'Pitch {i} '.ljust(pitch, 'p')}\n")
        lines.append("        goto: done\n")
    return "".join(lines)


def story_with(tmp_path: Path, body: str) -> tuple[object, list[str]]:
    head, tail = TINY.split("    choices:\n")
    text = head + "    choices:\n" + body + tail[tail.index("endings:") :]
    story, problems = check_story(write_story(tmp_path / "s", text))
    return story, [f"{p.line}: {p.message}" for p in problems]


def test_a_pitch_is_one_line(tmp_path: Path) -> None:
    body = choices(1, 10) + "        pitch: |\n          One.\n          Two.\n"
    body = body.replace("        goto: done\n        pitch", "        pitch").replace(
        "          Two.\n", "          Two.\n        goto: done\n"
    )
    story, problems = story_with(tmp_path, body)
    assert story is None
    assert problems == [
        "23: scenes[0].choices[0].pitch: a pitch is one line: write it without line breaks"
    ]


def test_a_pitch_longer_than_200_characters_is_refused(tmp_path: Path) -> None:
    story, problems = story_with(tmp_path, choices(1, 10, pitch=201))
    assert story is None
    assert problems == [
        "23: scenes[0].choices[0].pitch: 201 characters; Discord allows at most 200"
    ]


def test_choices_that_overflow_the_tally_field_are_refused_at_the_scene(tmp_path: Path) -> None:
    story, problems = story_with(tmp_path, choices(12, 80))
    assert story is None
    assert problems == [
        "19: scene 'one': its Tally field (each choice's label, who argues for it and its odds)"
        " can reach 1319 characters on the vote message; Discord allows 1024: shorten labels,"
        " names or pitches, or offer fewer choices"
    ]
    fewer, problems = story_with(tmp_path, choices(9, 80))
    assert fewer is not None and not problems


def test_pitches_that_overflow_their_field_are_refused(tmp_path: Path) -> None:
    story, problems = story_with(tmp_path, choices(6, 20, pitch=200))
    assert story is None
    assert problems == [
        "19: scene 'one': its pitches field (each advocate's name and pitch) can reach 1259"
        " characters on the vote message; Discord allows 1024: shorten labels, names or"
        " pitches, or offer fewer choices"
    ]


def test_a_message_too_long_in_all_is_refused(tmp_path: Path) -> None:
    story, problems = story_with(tmp_path, choices(5, 80, pitch=190))
    assert story is not None and not problems  # each field fits, and with a short text all
    long_text = TINY.replace("text: Fuel {fuel}.", "text: " + "w" * 4096).replace(
        "title: One", "title: " + "T" * 256
    )
    head, tail = long_text.split("    choices:\n")
    text = head + "    choices:\n" + choices(5, 80, pitch=190) + tail[tail.index("endings:") :]
    story, found = check_story(write_story(tmp_path / "long", text))
    assert story is None
    assert [p.message for p in found] == [
        "scene 'one': its vote message (text, choices with who argues for each, pitches, title"
        " and footer) can reach 6006 characters; Discord allows 6000 in all: shorten the text,"
        " labels or pitches"
    ]
