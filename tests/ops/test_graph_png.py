"""`python -m bot graph STORY --format png`: a picture from Graphviz, or a plain word that it
is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.story.render import PNG_SIGNATURE, GraphvizFailed, GraphvizMissing, render_png
from tests.markers import needs_dot


@needs_dot
def test_png_to_a_named_file(content: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "map.png"
    assert (
        main(["graph", "tiny", "--content", str(content), "--format", "png", "--output", str(out)])
        == 0
    )
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert capsys.readouterr().out.startswith("wrote ")


@needs_dot
def test_png_defaults_to_the_story_id(content: Path, clean_settings: Path) -> None:
    assert main(["--content", str(content), "graph", str(content / "tiny"), "--format", "png"]) == 0
    assert (clean_settings / "tiny.png").read_bytes().startswith(PNG_SIGNATURE)


@needs_dot
def test_bad_dot_text_is_a_render_error() -> None:
    with pytest.raises(GraphvizFailed, match="syntax error"):
        render_png("digraph { this is not dot")


def test_without_graphviz_it_says_so(
    content: Path, clean_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GraphvizMissing):
        render_png("digraph { a -> b }")
    assert main(["graph", "tiny", "--content", str(content), "--format", "png"]) == 1
    assert capsys.readouterr().out == (
        "Graphviz's `dot` is not installed; install the graphviz package\n"
    )
    assert list(clean_settings.iterdir()) == []
