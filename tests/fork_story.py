"""The smallest story with an ending: one vote, two ways home (for tests that need to reach
an ending in one close)."""

from pathlib import Path

FORK = """\
story:
  id: fork
  title: The Fork
  summary: One vote, two ways home.
  start: fork
crew:
  - id: jax
    name: Jax
    role: Captain
    colour: "#3fa7d6"
variables:
  fuel:
    type: int
    initial: 3
    min: 0
    max: 3
scenes:
  - id: fork
    title: The Fork
    speaker: jax
    text: Two lanes open ahead of the ship.
    choices:
      - id: left
        label: Take the left lane
        by: jax
        goto: left-home
      - id: right
        label: Take the right lane
        by: jax
        goto: right-home
endings:
  - id: left-home
    title: Home by the Left
    speaker: jax
    text: The left lane was quiet.
  - id: right-home
    title: Home by the Right
    speaker: jax
    text: The right lane was quick.
"""


def fork_content(tmp_path: Path) -> Path:
    """A content folder holding only the fork."""
    folder = tmp_path / "content" / "fork"
    folder.mkdir(parents=True)
    (folder / "story.yaml").write_text(FORK)
    return folder.parent
