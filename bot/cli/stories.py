"""The author's basic tools: check stories, open one by id or folder, write its graph."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.story import Story, check_stories, check_story, load_stories
from bot.story.graph import to_dot, to_mermaid
from bot.story.loader import display_path, story_folders
from bot.story.render import RenderError, render_png


def cmd_check(paths: list[Path], content: Path, console: Console) -> int:
    """Check the given story folders (default: every story under `content`)."""
    folders = paths or story_folders(content)
    if not folders:
        console.print(f"No stories found under {display_path(content)}/")
        return 1
    failed = 0
    for folder, (story, problems) in check_stories(folders).items():
        for problem in problems:
            console.print(escape(str(problem)))
        if story is None:
            failed += 1
            console.print(f"{display_path(folder)}: {len(problems)} problem(s)")
        else:
            console.print(
                f"{story.id}: ok ({len(story.scenes)} scenes, {len(story.endings)} endings,"
                f" {len(story.variables)} variables)",
                soft_wrap=True,
            )
    return 1 if failed else 0


def open_story(name: str, content: Path, console: Console) -> Story | None:
    """A story by id (under `content`) or by folder path; problems printed when it fails."""
    path = Path(name)
    if not path.exists():
        loaded = load_stories(content)
        if name in loaded.stories:
            return loaded.stories[name]
        path = content / name
        if not path.exists():
            known = ", ".join(sorted(loaded.stories)) or "none"
            console.print(f"No story '{escape(name)}' (stories under {content}: {known})")
            return None
    story, problems = check_story(path)
    for problem in problems:
        console.print(escape(str(problem)))
    if story is None:
        console.print(f"{display_path(path)} does not pass `python -m bot check`.")
    return story


def cmd_graph(story: Story, fmt: str, output: Path | None, console: Console) -> int:
    """Write the story's graph; a PNG needs Graphviz, and its absence is said, not raised."""
    if fmt == "png":
        try:
            picture = render_png(to_dot(story))
        except RenderError as error:
            console.print(escape(str(error)))
            return 1
        target = output if output is not None else Path(f"{story.id}.png")
        target.write_bytes(picture)
        console.print(f"wrote {escape(display_path(target))}")
        return 0
    text = to_mermaid(story) if fmt == "mermaid" else to_dot(story)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {display_path(output)}")
    return 0
