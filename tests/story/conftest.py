"""Fixtures for the story engine tests."""

from __future__ import annotations

import pytest

from bot.story import Story, load_story

from .helpers import EXAMPLE


@pytest.fixture
def example() -> Story:
    return load_story(EXAMPLE)
