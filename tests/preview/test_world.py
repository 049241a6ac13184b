"""The preview's world through SimCord on virtual time: the crowd's ballots and a resume."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.preview.crowd import final_choices, plan_crowd, vote_buttons
from bot.preview.world import PreviewOptions, PreviewWorld, open_world


@given(
    seed=st.integers(),
    scene=st.integers(0, 50),
    voters=st.integers(1, 40),
    choices=st.integers(1, 5),
    window=st.floats(1, 3600),
)
def test_every_crowd_member_votes_within_the_window_and_changes_their_mind_once_at_most(
    seed, scene, voters, choices, window
) -> None:
    plan = plan_crowd(seed, scene, voters, choices, window)
    assert plan == plan_crowd(seed, scene, voters, choices, window)  # seeded
    assert all(0 <= click.at <= window and 0 <= click.choice < choices for click in plan)
    assert [click.at for click in plan] == sorted(click.at for click in plan)
    per_voter: dict[int, list[int]] = {}
    for click in plan:
        per_voter.setdefault(click.voter, []).append(click.choice)
    assert set(per_voter) == set(range(voters))
    for picks in per_voter.values():
        assert len(picks) in (1, 2)
        if len(picks) == 2:
            assert picks[0] != picks[1]


def test_some_of_the_crowd_change_their_mind() -> None:
    plan = plan_crowd(0, 0, 40, 3, 15.0)
    assert 40 < len(plan) < 80


def scenes(world: PreviewWorld) -> list[discord.Message]:
    return [m for m in world.channel.history() if vote_buttons(m)]


async def test_the_closed_vote_counts_exactly_the_crowds_last_choices(content: Path, tmp_path):
    options = PreviewOptions(
        story="claim-jumpers",
        content=content,
        database=tmp_path / "deck.db",
        members=0,
        crowd=9,
        seed=4,
        vote_seconds=30,
    )
    async with open_world(options) as world:
        (scene,) = scenes(world)
        choices = len(vote_buttons(scene))
        plan = plan_crowd(4, 0, 9, choices, 15.0)
        for _ in range(16):  # the first half of the vote, a second at a time
            await world.crowd.run_due()
            await world.env.advance_time(1)
        await world.crowd.run_due()
        assert world.crowd.clicks == len(plan) > 9  # some changed their mind
        await world.env.advance_time(20)  # the vote closes on its timer
        closed = next(m for m in world.channel.history() if m.id == scene.id)
        assert all(button.disabled for button in vote_buttons(closed))
        decision_id = 1
        tally = await world.bot.store.tally(decision_id)
        expected = Counter(final_choices(plan).values())
        assert list(tally.values()) == [expected.get(i, 0) for i in range(choices)]
        assert sum(tally.values()) == 9


async def test_a_kept_database_resumes_the_campaign_where_it_was(content: Path, tmp_path):
    options = PreviewOptions(
        story="derelict", content=content, database=tmp_path / "kept.db", vote_seconds=30
    )
    async with open_world(options) as world:
        assert not world.resumed
        (first,) = scenes(world)
        assert first.embeds[0].title == "The Airlock"
        await world.members[0].click(first, label="Force the door with the winch")
        await world.env.advance_time(31)
        second = scenes(world)[-1]
        assert second.embeds[0].title == "The Cargo Hold"
        labels = [button.label for button in vote_buttons(second)]

    async with open_world(options) as again:
        assert again.resumed
        assert again.story_id == "derelict"
        history = again.channel.history()
        assert not any("begins" in (m.content or "") for m in history)  # not started anew
        (reposted,) = scenes(again)
        assert reposted.embeds[0].title == "The Cargo Hold"
        assert [button.label for button in vote_buttons(reposted)] == labels
        click = await again.members[1].click(reposted, label=labels[0])
        assert click.acknowledged and click.ephemeral
        assert click.response.content.startswith(f"You voted **{labels[0]}**")
