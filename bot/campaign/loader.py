"""The one loader of a campaign's story and state; it only reads, so reading never pauses."""

from __future__ import annotations

import json
from collections.abc import Mapping

from bot.domain import Campaign
from bot.story import Story, StoryRuntimeError, StoryState

from . import errors
from .records import Loaded


class Unplayable(errors.StoryUnavailable):
    """The campaign's story is not loaded or no longer fits its state. The message says so
    to whoever asked; `fault` is the reason a campaign paused for it is given."""

    def __init__(self, reason: str, fault: str) -> None:
        super().__init__(reason)
        self.fault = fault


def load(stories: Mapping[str, Story], campaign: Campaign) -> Loaded:
    """The campaign's story and state, checked to fit each other; raises `Unplayable`."""
    story = stories.get(campaign.story_id)
    if story is None:
        raise Unplayable(
            f"its story '{campaign.story_id}' is not loaded.",
            f"its story '{campaign.story_id}' is not loaded (see the bot's log).",
        )
    try:
        state = StoryState.from_json(json.loads(campaign.state_json))
        story.check_state(state)
    except (StoryRuntimeError, ValueError) as exc:
        raise Unplayable(
            f"the story no longer fits this campaign ({exc}).",
            f"the story changed and no longer fits this campaign ({exc}).",
        ) from exc
    return Loaded(campaign, story, state)
