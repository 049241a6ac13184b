"""Discord's REST API fails: 500s and 429s on the next scene, the tally edit and the
interaction responses. The story never advances twice and never gets stuck; the next scene
goes out when Discord answers again (bounded retries with a growing wait: 6 s, 30 s,
120 s), after which the campaign pauses and says why.

SimCord turns an injected fault into the `discord.HTTPException` discord.py would raise
(a 429 arrives as a plain HTTPException, not as discord.py's own rate-limit wait)."""

from __future__ import annotations

import pytest

from .helpers import (
    World,
    again,
    campaign_line,
    claim_errors,
    disabled,
    field,
    scenes,
    start,
)

CALLBACK = "/interactions/*/*/callback"


def posts(world: World) -> int:
    return len(
        [r for r in world.env.http_requests if r.method == "POST" and r.path.endswith("/messages")]
    )


async def long_votes(world: World) -> None:
    """Votes longer than the retry window (6 + 30 + 120 s), so the retries are all we see."""
    result = await world.mod.slash(world.channel, "settings set", vote_seconds=600)
    assert result.response.content == "Saved."


@pytest.mark.parametrize("status", [429, 502])
async def test_the_next_scene_is_posted_once_when_discord_answers_again(
    world: World, status: int
) -> None:
    await long_votes(world)
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", "/channels/*/messages", status=status, times=3)
    before = posts(world)
    await world.mod.slash(world.channel, "campaign skip")
    assert all(disabled(again(world, scene)))  # closed once, at once
    assert world.channel.last_message.id == scene.id
    await world.env.advance_time(6 + 30)
    assert world.channel.last_message.id == scene.id  # three refusals so far
    await world.env.advance_time(120)
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    assert posts(world) - before == 4  # three refused, one posted: bounded, never doubled
    assert await campaign_line(world) == "running"


async def test_429_for_good_pauses_then_resume_posts_the_scene_once(world: World) -> None:
    await long_votes(world)
    scene = await start(world)
    world.env.inject_error("POST", "/channels/*/messages", status=429, times=4)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.mod.slash(world.channel, "campaign skip")
    await world.env.advance_time(6 + 30 + 120 + 1)
    line = await campaign_line(world)
    assert line == "paused: Discord kept refusing its next message (HTTP 429).", line
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock"]
    resumed = await world.mod.slash(world.channel, "campaign resume")
    assert "resumed the campaign" in resumed.response.content
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    hold = scenes(world)[-1]
    click = await world.members[1].click(hold, label="Tag another crate")
    assert click.response.content.startswith("You voted **Tag another crate**")
    await world.env.advance_time(600)  # it kept the time it had left
    assert all(disabled(again(world, hold)))
    assert "**Tag another crate** (the vote closed on time; 1 vote)" in field(
        again(world, hold), "Decided"
    )


async def test_a_vote_posted_late_gets_its_full_time(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", "/channels/*/messages", status=503, times=3)
    await world.env.advance_time(121)
    await world.env.advance_time(6 + 30 + 120)  # posted on the fourth attempt
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    hold = scenes(world)[-1]
    assert not any(disabled(hold))
    click = await world.members[0].click(hold, label="Tag another crate")
    assert click.response.content.startswith("You voted")


@pytest.mark.parametrize("status", [429, 500])
async def test_a_failed_tally_edit_is_redrawn_by_the_next_refresh(
    world: World, status: int
) -> None:
    scene = await start(world)
    world.env.inject_error("PATCH", "/channels/*/messages/*", status=status)
    await world.members[0].click(scene, label="Wake the door's own controller")
    await world.env.advance_time(7)  # this refresh fails (a warning)
    assert "`  0`" in field(again(world, scene), "Tally")
    await world.members[1].click(scene, label="Wake the door's own controller")
    await world.env.advance_time(7)
    assert "`  2` ████████ Wake the door's own controller" in field(again(world, scene), "Tally")


@pytest.mark.parametrize("status", [429, 500])
async def test_a_failed_click_answer_still_counts_the_ballot_once(
    world: World, status: int
) -> None:
    scene = await start(world)
    world.env.inject_error("POST", CALLBACK, status=status)
    lost = await world.members[0].click(scene, label="Wake the door's own controller")
    assert not lost.acknowledged  # the member saw "interaction failed"...
    retry = await world.members[0].click(scene, label="Wake the door's own controller")
    # ...but the ballot was committed before the answer: clicking again changes nothing
    assert retry.response.content.startswith("You voted **Wake the door's own controller**")
    await world.env.advance_time(121)
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")


@pytest.mark.parametrize("command", ["campaign skip", "campaign decide"])
async def test_a_failed_command_answer_still_moves_the_story_on_once(
    world: World, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", CALLBACK, status=500)
    options = {"choice": "force"} if command == "campaign decide" else {}
    await world.mod.slash(world.channel, command, **options)
    logged = claim_errors(caplog, "")
    assert all(disabled(again(world, scene)))
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    assert not any(disabled(scenes(world)[-1]))
    status = await world.mod.slash(world.channel, "campaign status")
    assert status.response.embeds[0].fields[-2].name == "Vote 2"
    assert not logged


async def test_a_failed_start_answer_still_posts_the_first_scene(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.env.inject_error("POST", CALLBACK, status=500)
    await world.mod.slash(world.channel, "campaign start", story="derelict")
    logged = claim_errors(caplog, "")
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock"]
    await world.members[0].click(scenes(world)[0], label="Force the door with the winch")
    await world.env.advance_time(121)
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    assert not logged
