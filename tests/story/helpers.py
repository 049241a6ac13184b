"""Stories and helpers shared by the story engine tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example-story"

TINY = """\
story:
  id: tiny
  title: Tiny
  summary: A tiny story.
  start: one
crew:
  - id: ana
    name: Ana
    role: Pilot
    colour: "#112233"
variables:
  fuel: {type: int, initial: 3, min: 0, max: 5}
  lit: {type: bool, initial: false}
  mood: {type: text, initial: calm}
scenes:
  - id: one
    title: One
    text: Fuel {fuel}.
    choices:
      - id: go
        label: Go
        by: ana
        goto: done
endings:
  - id: done
    title: Done
    text: The end.
"""


def write_story(folder: Path, text: str, name: str = "story.yaml") -> Path:
    """Write one YAML file of a story into `folder` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder
