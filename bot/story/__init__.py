"""The story engine: load, check and play YAML stories. Knows nothing of Discord."""

from .loader import (
    LoadResult,
    StoryError,
    check_stories,
    check_story,
    load_stories,
    load_story,
)
from .runtime import (
    ChoiceView,
    NoOutcome,
    NotOffered,
    SceneView,
    Story,
    StoryOver,
    StoryRuntimeError,
    StoryState,
    Turn,
    VoteInfo,
)
from .source import Problem

__all__ = [
    "ChoiceView",
    "LoadResult",
    "NoOutcome",
    "NotOffered",
    "Problem",
    "SceneView",
    "Story",
    "StoryError",
    "StoryOver",
    "StoryRuntimeError",
    "StoryState",
    "Turn",
    "VoteInfo",
    "check_stories",
    "check_story",
    "load_stories",
    "load_story",
]
