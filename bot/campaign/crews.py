"""How other crews chose: this channel's decisions set beside the counts of every server that
shares them. Only counts leave a server, and none is shown until enough servers reached the
decision that no single one can be picked out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.store import GuildSettings, Store
from bot.story import Story

from .results import CrewComparison

#: The fewest servers that must have reached a decision before its figure is shown.
MIN_SERVERS = 5


async def compare_with_crews(
    store: Store, story: Story, settings: GuildSettings, path: Sequence[Mapping[str, Any]]
) -> tuple[CrewComparison | None, ...]:
    """For each step of a campaign's path, how the crews of every sharing server chose at
    the same decision (None where no choice was made, too few servers reached it, or this
    server does not share). One read for the whole path."""
    if not settings.share_choices or not path:
        return (None,) * len(path)
    counts = await store.crew_choices(story.id, {str(step["scene"]) for step in path})
    compared: list[CrewComparison | None] = []
    for step in path:
        found = counts.get(str(step["scene"]))
        choice = step.get("choice")
        if found is None or choice is None or found.servers < MIN_SERVERS:
            compared.append(None)
            continue
        scene = story.scenes.get(str(step["scene"]))
        labels = {c.id: c.label for c in scene.choices} if scene is not None else {}
        compared.append(
            CrewComparison(
                choice_label=labels.get(choice, choice),
                same=found.crews.get(choice, 0),
                crews=sum(found.crews.values()),
                servers=found.servers,
            )
        )
    return tuple(compared)
