"""A close that reaches an ending, committed but never shown: the sweep shows it, epilogue
and all (issue 15 item 2, for the last vote of a story)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fork_story import fork_content

from .helpers import World, again, disabled

FETCH_MESSAGE = "/channels/*/messages/*"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return fork_content(tmp_path)


async def test_an_ending_whose_showing_fails_is_shown_by_the_sweep(world: World) -> None:
    started = await world.mod.slash(world.channel, "campaign start", story="fork")
    assert started.acknowledged
    scene = world.channel.last_message
    await world.members[0].click(scene, label="Take the left lane")
    world.env.inject_error("GET", FETCH_MESSAGE, status=500, times=1)
    await world.env.advance_time(121)  # closes; marking the message closed fails
    assert not any(disabled(again(world, scene)))
    await world.env.advance_time(60)  # the sweep
    assert all(disabled(again(world, scene)))
    ending = world.channel.last_message
    assert ending.embeds[0].title == "Home by the Left"
    assert ending.embeds[0].author.name == "The Fork: the end"
