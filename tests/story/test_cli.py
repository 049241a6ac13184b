"""The author's command line: exit codes and what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.story import load_story
from bot.story.simulate import simulate

from .helpers import EXAMPLE, ROOT, TINY, write_story

LOOPING = TINY.replace(
    "        goto: done\n",
    "        goto: done\n      - id: again\n        label: Again\n        by: ana\n        goto: one\n",
).replace("text: Fuel {fuel}.", "text: \"Fuel {fuel}, {1 // (visits('one') - 5)}.\"")

STUCK = TINY.replace(
    "        goto: done\n",
    "        if: visits('one') < 5\n        goto: one\n"
    "      - id: out\n        label: Out\n        by: ana\n        if: visits('one') < 3\n"
    "        goto: done\n",
)


def test_check_passes_and_summarises(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("content/tiny"), TINY)
    assert main(["check"]) == 0
    assert capsys.readouterr().out == "tiny: ok (1 scenes, 1 endings, 3 variables)\n"


def test_check_reports_every_problem_and_exits_1(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("content/good"), TINY)
    write_story(
        Path("content/bad"),
        TINY.replace("goto: done", "goto: nowhere").replace("by: ana", "by: bob"),
    )
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "content/bad/story.yaml:22: by: unknown crew member 'bob'",
        "content/bad/story.yaml:23: goto: no scene or ending 'nowhere'",
        "content/bad: 2 problem(s)",
        "tiny: ok (1 scenes, 1 endings, 3 variables)",
    ]


def test_check_of_an_empty_content_folder_fails(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    assert "No stories found under content/" in capsys.readouterr().out


def test_play_auto_prints_a_whole_run(capsys) -> None:
    assert main(["play", str(EXAMPLE), "--seed", "5", "--auto"]) == 0
    out = capsys.readouterr().out
    assert "The Derelict (seed 5)" in out
    assert "The Airlock" in out
    assert "The end: " in out


def test_play_refuses_bad_input_and_leaves_cleanly_on_eof() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "play", str(EXAMPLE), "--seed", "1"],
        input="7\nabc\n1\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Please select one of the available options") == 1
    assert result.stdout.count("Please enter a valid integer number") == 1
    assert "Air: 6h -> 5h" in result.stdout  # choice 1 (force) was taken
    assert "The Cargo Hold" in result.stdout
    assert "Leaving the story. Goodbye." in result.stdout


def _play(*args: str, columns: int) -> str:
    """`python -m bot play ...` with its output piped, as to a file, at `columns` wide."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "play", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "COLUMNS": str(columns)},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _words(text: str) -> list[str]:
    return [word.strip("│╭╮╰╯─") for word in text.split() if word.strip("│╭╮╰╯─")]


@pytest.mark.parametrize("columns", [80, 200])
def test_play_wraps_every_paragraph_at_the_width_piped(columns: int) -> None:
    out = _play("claim-jumpers", "--seed", "3", "--auto", "--crowd", "30", columns=columns)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns
    story = load_story(ROOT / "content" / "claim-jumpers")
    first = story.view(story.new_state(3)).text
    # Every word of the first scene is printed, in order: nothing cut at the edge.
    words = _words(out)
    start = words.index("proximity") - 1
    assert words[start : start + len(first.split())] == first.split()
    choice = next(line for line in lines if line.startswith("  1. Broadcast our registration"))
    assert "(Captain Jax)" in choice or "(Captain" in choice  # wrapped, not cut


def test_a_choice_wider_than_the_terminal_wraps_under_its_own_text() -> None:
    out = _play("claim-jumpers", "--seed", "3", "--auto", columns=50)
    lines = out.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("  1. Broadcast our")))
    assert lines[first + 1].startswith("     claim on file"), lines[first : first + 2]


def test_play_shows_labels_real_changes_and_the_endings_title() -> None:
    out = _play("claim-jumpers", "--seed", "3", "--auto", columns=80)
    assert "Jumpers' patience: 4 -> 3" in out and "Standing with the independents: 0 -> 1" in out
    assert "  patience:" not in out and "pod_ready" not in out
    changes = [line.strip() for line in out.splitlines() if " -> " in line]
    assert changes and all(a != b for a, b in (c.split(": ", 1)[1].split(" -> ") for c in changes))
    assert "The end: Back to Zero (11 decisions)." in out
    assert "ending '" not in out
    # The card shows the ship after the ending: the jumpers have every gram.
    assert out.splitlines()[-2].startswith("Exotic matter 0kg")


def test_play_shows_each_advocate_pitch_and_the_odds_after_the_vote() -> None:
    out = _play("claim-jumpers", "--seed", "3", "--auto", columns=200)
    assert "  1. Sofia's way: into the pod. Alive beats rich. (Sofia)" in out
    assert "     Sofia: I've watched a crew die for cargo once. I'm not doing it twice." in out
    assert "Close in and put the torch through the nearest one (Wrench)" in out
    assert "Bluff: a Belt Authority cutter is on its way (35%) (Kayla)" in out


def test_play_crowd_draws_a_split_the_pick_wins_and_the_story_reads_it() -> None:
    out = _play("claim-jumpers", "--seed", "3", "--auto", "--crowd", "30", columns=200)
    assert (
        "The crew of 30 voted (29 ballots): 20 for Say nothing yet. Record their drive signatures"
        " first; 9 for Warm up the fusion torch before we answer anything"
    ) in out
    assert "Share 69%, margin 38%, turnout (the first vote)" in out
    assert "turnout 66% of the 29 who voted last time" in out
    again = _play("claim-jumpers", "--seed", "3", "--auto", "--crowd", "30", columns=200)
    assert again == out  # the split is drawn from the seed


@pytest.mark.parametrize("crowd", ["0", "-3", "1000001"])
def test_play_refuses_a_crowd_of_no_one(crowd: str, capsys) -> None:
    assert main(["play", str(EXAMPLE), "--auto", "--crowd", crowd]) == 2
    assert "--crowd must be a number of members from 1 to 1,000,000" in capsys.readouterr().out


def test_play_unknown_story(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("content/tiny"), TINY)
    assert main(["play", "nope"]) == 1
    assert "No story 'nope' (stories under content: tiny)" in capsys.readouterr().out


def test_simulate_reports_coverage_and_endings(capsys) -> None:
    assert main(["simulate", str(EXAMPLE), "--runs", "300", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "derelict: 300 runs from seed 1; 300 reached an ending" in out
    assert "Scenes reached: 4 of 4" in out
    assert "Choices taken: 9 of 9" in out
    assert out.rstrip().endswith("OK")


def test_simulate_finds_a_runtime_error_with_its_seed(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write_story(Path("s"), LOOPING)
    assert main(["simulate", "s", "--runs", "200", "--seed", "3"]) == 1
    out = capsys.readouterr().out
    assert "Error: seed" in out and "integer division or modulo by zero" in out
    seed = int(out.split("Error: seed ")[1].split()[0])
    report = simulate(load_story(Path("s")), 1, seed)
    assert report.errors and report.errors[0].seed == seed
    assert out.rstrip().endswith("FAILED")


def test_simulate_finds_a_dead_end(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_story(Path("s"), STUCK)
    report = simulate(load_story(folder), 50, 0)
    assert report.dead_ends and report.dead_ends[0].scene == "one"
    assert main(["simulate", "s", "--runs", "50"]) == 1
    dead = report.dead_ends[0]
    assert (
        f"Dead end: seed {dead.seed} at scene 'one': no choice is open" in capsys.readouterr().out
    )


def test_simulate_reports_loops(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    loop = TINY.replace("goto: done", "goto: one").replace(
        "endings:", "    no_decision: {goto: done}\nendings:"
    )
    write_story(Path("s"), loop)
    assert main(["simulate", "s", "--runs", "50", "--max-steps", "20"]) == 0
    assert "Loops:" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_draws_every_scene_choice_and_roll(fmt: str, capsys) -> None:
    assert main(["graph", str(EXAMPLE), "--format", fmt]) == 0
    out = capsys.readouterr().out
    for title in ("The Airlock", "The Cargo Hold", "Home with the Haul", "Adrift", "Picked Up"):
        assert title in out
    assert "Wake the door's own controller" in out
    assert "min(0.95, 0.35 + 0.1 * oxygen)" in out  # the roll's odds
    assert "60%" in out
    if fmt == "mermaid":
        assert out.startswith("flowchart TD")
    else:
        assert out.startswith('digraph "derelict" {') and out.rstrip().endswith("}")


def test_content_format_doc_shows_the_example_story_verbatim() -> None:
    doc = (ROOT / "docs" / "content-format.md").read_text(encoding="utf-8")
    example = (EXAMPLE / "story.yaml").read_text(encoding="utf-8")
    assert "```yaml\n" + example + "```" in doc
