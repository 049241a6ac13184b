"""The story graph as a PNG picture, drawn by Graphviz's `dot` program.

Apart from `graph.py` because this is the one place in `bot/story` that runs another
program. The author's `python -m bot graph --format png` and the Discord map command share
it. `render_png` blocks until `dot` finishes: async callers run it with `asyncio.to_thread`.
"""

from __future__ import annotations

import shutil
import subprocess

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_TIMEOUT = 60.0
_STDERR_SHOWN = 500


class RenderError(Exception):
    """The picture could not be drawn; the message says why in plain words."""


class GraphvizMissing(RenderError):
    """No `dot` on the PATH: Graphviz is an operating-system package, not a Python one."""

    def __init__(self) -> None:
        """The one message an author or operator needs: what to install."""
        super().__init__("Graphviz's `dot` is not installed; install the graphviz package")


class GraphvizFailed(RenderError):
    """`dot` ran but gave no picture (bad input, a crash or a time-out)."""


def render_png(dot_text: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Draw DOT text (from `graph.to_dot`) as PNG bytes with `dot -Tpng`, no shell involved."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing
    try:
        result = subprocess.run(
            [dot, "-Tpng"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise GraphvizFailed(f"`dot` took more than {timeout:g} s") from error
    except OSError as error:
        raise GraphvizFailed(f"could not run {dot}: {error.strerror or error}") from error
    if result.returncode != 0 or not result.stdout.startswith(PNG_SIGNATURE):
        detail = result.stderr.decode("utf-8", "replace").strip()[:_STDERR_SHOWN]
        raise GraphvizFailed(
            f"`dot` exited with status {result.returncode}" + (f": {detail}" if detail else "")
        )
    return result.stdout
