"""Many votes fell due while the bot was down (issue 15, item 4): at start they are closed in
batches (one `Store.close_decisions` transaction for many votes, not a close each), each
exactly once, and their next scenes are posted oldest deadline first; the votes that need
more than a plain close (a quorum extension, a tie left to a moderator) still get it."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from bot.app import create_bot
from bot.store import SqliteStore, Store
from tests.discord.conftest import close_bot

from .helpers import World, disabled, field

FORCE = "Force the door with the winch"
HACK = "Wake the door's own controller"


class CloseCounter:
    """Counts the real store's closes, batched and one by one (the store still runs them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.batches: list[int] = []  # the size of each close_decisions call
        self.single = 0
        batch, single = SqliteStore.close_decisions, SqliteStore.close_decision

        async def close_decisions(store: Store, closes, *args, **kwargs):
            self.batches.append(len(closes))
            return await batch(store, closes, *args, **kwargs)

        async def close_decision(store: Store, *args, **kwargs):
            self.single += 1
            return await single(store, *args, **kwargs)

        monkeypatch.setattr(SqliteStore, "close_decisions", close_decisions)
        monkeypatch.setattr(SqliteStore, "close_decision", close_decision)


def history(channel) -> list[discord.Message]:
    return list(channel.history())


def now(channel, message: discord.Message) -> discord.Message:
    """The message as it is now."""
    return next(m for m in history(channel) if m.id == message.id)


def scene_messages(channel, title: str) -> list[discord.Message]:
    return [m for m in history(channel) if m.embeds and m.embeds[0].title == title]


async def start_in(world: World, channel) -> discord.Message:
    result = await world.mod.slash(channel, "campaign start", story="derelict")
    assert result.acknowledged and not result.ephemeral, result
    return channel.last_message


async def restart_after(world: World, seconds: float) -> None:
    """The bot is down for `seconds`, then a new bot starts on the same database."""
    await close_bot(world.bot)
    await world.env.advance_time(seconds)
    world.bot = create_bot(world.settings)
    await world.env.restart_bot(world.bot)


async def test_many_overdue_votes_close_once_in_a_batch_and_post_oldest_deadline_first(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels = [world.channel, *(world.guild.create_text_channel(f"deck-{i}") for i in range(5))]
    scenes = {}
    for channel in channels:
        scenes[channel.id] = await start_in(world, channel)
        await world.members[0].click(scenes[channel.id], label=FORCE)
        if channel is world.channel:  # paused now, resumed last: its deadline comes last,
            await world.mod.slash(channel, "campaign pause")  # though its vote is the oldest
        await world.env.advance_time(6)
    await world.mod.slash(world.channel, "campaign resume")
    by_deadline = [*channels[1:], world.channel]

    # One overdue close shown at a time, so the order of the posts is exactly the order of
    # the deadlines (with BACKLOG_CONCURRENCY=n a post may overtake n - 1 older ones).
    world.settings = world.settings.model_copy(update={"backlog_concurrency": 1})
    counter = CloseCounter(monkeypatch)
    await restart_after(world, 600)

    assert counter.single == 0  # no vote closed on its own
    assert counter.batches == [len(channels)]  # all in one transaction
    for channel in channels:
        old = now(channel, scenes[channel.id])
        assert all(disabled(old))
        assert field(old, "Decided").count(f"**{FORCE}** (the vote closed on time; 1 vote)") == 1
        assert len(scene_messages(channel, "The Cargo Hold")) == 1, [
            (
                m.id,
                m.content,
                m.embeds and m.embeds[0].title,
                bool(m.components),
                m.interaction_metadata,
            )
            for m in history(channel)
        ]  # posted once
    posted = [scene_messages(channel, "The Cargo Hold")[0] for channel in by_deadline]
    assert [m.id for m in posted] == sorted(m.id for m in posted)  # oldest deadline first
    # Shown once: the sweep's later rounds add nothing, and the new votes work.
    await world.env.advance_time(61)
    assert all(len(scene_messages(channel, "The Cargo Hold")) == 1 for channel in channels)
    click = await world.members[1].click(posted[0], label="Tag another crate")
    assert click.response.content.startswith("You voted")


@pytest.fixture
def content(content: Path) -> Path:
    """The example story with no "nobody moved" outcome at the airlock: too few votes there
    extend the vote once (the quorum rule) instead of taking that outcome."""
    story = content / "derelict" / "story.yaml"
    text = story.read_text()
    cut = (
        "    no_decision:\n"
        "      result: Nobody moves, and the suits tick away an hour of air.\n"
        "      effects:\n"
        "        add: {oxygen: -1}\n"
        "      goto: airlock\n"
    )
    assert cut in text
    story.write_text(text.replace(cut, "", 1))
    return content


async def test_overdue_votes_needing_an_extension_or_a_moderator_get_it_at_start(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.mod.slash(world.channel, "settings set", quorum=2, tie_break="moderator")
    plain, tied, short = (
        world.channel,
        world.guild.create_text_channel("tied"),
        world.guild.create_text_channel("short"),
    )
    scenes = {channel.id: await start_in(world, channel) for channel in (plain, tied, short)}
    await world.members[0].click(scenes[plain.id], label=FORCE)
    await world.members[1].click(scenes[plain.id], label=FORCE)
    await world.members[0].click(scenes[tied.id], label=FORCE)
    await world.members[1].click(scenes[tied.id], label=HACK)
    await world.members[0].click(scenes[short.id], label=FORCE)

    counter = CloseCounter(monkeypatch)
    await restart_after(world, 600)

    assert counter.batches == [1]  # only the plain close went in the batch
    assert "(the vote closed on time; 2 votes)" in field(now(plain, scenes[plain.id]), "Decided")
    assert len(scene_messages(plain, "The Cargo Hold")) == 1

    assert tied.last_message.content == (
        f"The vote tied between **{FORCE}** and **{HACK}**. A moderator settles it with"
        " `/campaign decide`."
    )
    decided = await world.mod.slash(tied, "campaign decide", choice="hack")
    assert decided.response.content == f"Decided: **{HACK}**."

    assert short.last_message.content.startswith("Only 1 vote(s) so far; this server needs 2.")
    assert not any(disabled(now(short, scenes[short.id])))  # open, for its one extension
    await world.env.advance_time(121)
    assert all(disabled(now(short, scenes[short.id])))
    assert counter.batches == [1]  # the later closes went one by one
