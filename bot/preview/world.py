"""The preview's server: a guild with `#bridge`, a moderator, members and a crowd, the real
bot inside SimCord, and a campaign running in the channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import simcord
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle

from bot.app import COMMANDS_META, DeckBot, create_bot
from bot.config import Settings
from bot.store import Store

from .crowd import Crowd

SERVER_NAME = "Command Deck preview"
CHANNEL_NAME = "bridge"
BOT_NAME = "Command Deck"
#: SimCord waits this long for the bot to settle after each action. It is kept below the
#: tally refresh interval, so a pending refresh is left to the clock instead of holding up
#: every click for the whole interval.
SETTLE_SECONDS = 2.0
TALLY_REFRESH_SECONDS = 3.0


class PreviewError(Exception):
    """The preview could not set up its channel (the message says what went wrong)."""


@dataclass(frozen=True)
class PreviewOptions:
    """What `python -m bot preview` was asked for."""

    story: str  # a story id the bot loads from `content`
    content: Path
    database: Path
    members: int = 5
    crowd: int = 0
    seed: int = 0
    vote_seconds: int = 30


@dataclass
class PreviewWorld:
    """The running preview: SimCord, the bot, the channel and the people in it."""

    options: PreviewOptions
    env: simcord.Env
    bot: DeckBot
    channel: ChannelHandle
    moderator: MemberActor
    members: list[MemberActor]
    crowd: Crowd
    story_id: str  # the campaign's story (a resumed one keeps its own)
    resumed: bool  # the database already had this channel's campaign

    @property
    def viewers(self) -> list[MemberActor]:
        """Whom the page can be viewed as: the moderator first, then the members."""
        return [self.moderator, *self.members]


def preview_settings(options: PreviewOptions) -> Settings:
    """The bot's settings for a preview: given in full, so no `.env` or environment variable
    (a development guild, a shard count) can point the bot somewhere SimCord is not."""
    return Settings(
        database=options.database,
        content_dir=options.content,
        tally_refresh_seconds=TALLY_REFRESH_SECONDS,
        dev_guild_id=None,
        shard_count=None,
        shard_ids=None,
        _env_file=None,  # type: ignore[call-arg]
    )


async def _prepare_database(
    path: Path, guild_id: int, channel_id: int, vote_seconds: int
) -> tuple[str | None, datetime | None]:
    """Ready the database before the bot opens it: the server's vote length, and, for a kept
    one, a new SimCord, which remembers no commands and no messages from the last run (the
    bot syncs its commands again and re-posts the open vote). Returns the story of the
    channel's campaign when it has not ended (the preview resumes it), else None, and when
    its open vote was opened: the clock must not start before it."""
    async with Store.open(path) as store:
        await store.update_settings(guild_id, vote_seconds=vote_seconds)
        await store.set_meta(COMMANDS_META, "")
        await store.forget_vote_messages()
        campaign = await store.active_campaign_in_channel(channel_id)
        if campaign is None:
            return None, None
        vote = await store.open_decision_for(campaign.id)
        return campaign.story_id, vote.opened_at if vote is not None else None


async def close_bot(bot: DeckBot) -> None:
    """Close the bot. SimCord never calls `connect()`, where AutoShardedClient creates the
    queue its `close()` writes to, so give it one first."""
    if not hasattr(bot, "_AutoShardedClient__queue"):
        bot._AutoShardedClient__queue = asyncio.PriorityQueue()  # type: ignore[attr-defined]
    if not bot.is_closed():
        await bot.close()


@asynccontextmanager
async def open_world(options: PreviewOptions) -> AsyncIterator[PreviewWorld]:
    """Build the server, start the real bot in SimCord, start (or resume) the campaign."""
    bot = create_bot(preview_settings(options))
    env = simcord.Env(bot, shard_count=1, settle_timeout=SETTLE_SECONDS, check_errors=False)
    # Built before the clock moves: SimCord makes ids from its clock, so the same options
    # give the same server, channel and people every run and a kept database finds its
    # campaign again.
    guild = env.create_guild(name=SERVER_NAME)
    channel = guild.create_text_channel(CHANNEL_NAME, topic="Where the crew decides")
    mods = guild.create_role("Moderators", permissions=discord.Permissions(manage_guild=True))
    moderator = guild.add_member(
        env.create_user("moderator", global_name="Moderator"), roles=[mods]
    )
    members = [
        guild.add_member(env.create_user(f"member{n}", global_name=f"Member {n}"))
        for n in range(1, options.members + 1)
    ]
    crowd = [
        guild.add_member(env.create_user(f"crowd{n}", global_name=f"Crowd {n}"))
        for n in range(1, options.crowd + 1)
    ]
    resumed_story, opened_at = await _prepare_database(
        options.database, guild.id, channel.id, options.vote_seconds
    )
    env.backend.edit_bot_profile(BOT_NAME)  # not SimCord's "TestBot"
    # SimCord's clock starts at a fixed date; from here it shows the wall clock's time, so
    # the page's "closes in 25 seconds" is true and a resumed vote's deadline is honoured
    # (never earlier than the resumed vote's opening: a clock that ran back would hide it).
    start_at = datetime.now(UTC)
    if opened_at is not None:
        start_at = max(start_at, opened_at + timedelta(seconds=1))
    ahead = (start_at - env.now()).total_seconds()
    if ahead > 0:
        env.backend.advance_clock(ahead)
    await env.start()
    try:
        world = PreviewWorld(
            options,
            env,
            bot,
            channel,
            moderator,
            members,
            Crowd(env, channel, crowd, options.seed, lambda: _vote_seconds(bot, guild.id)),
            resumed_story or options.story,
            resumed_story is not None,
        )
        await _set_up_channel(world)
        yield world
    finally:
        await close_bot(bot)
        await env.shutdown()


async def _vote_seconds(bot: DeckBot, guild_id: int) -> int:
    return (await bot.campaigns.settings(guild_id)).vote_seconds


async def _set_up_channel(world: PreviewWorld) -> None:
    """As the moderator, start the campaign (unless one is resumed)."""
    options = world.options
    if world.resumed:
        return
    result = await world.moderator.slash(world.channel, "campaign start", story=options.story)
    if not result.acknowledged or result.ephemeral:
        said = result.response.content if result.response is not None else "no answer"
        raise PreviewError(f"the bot did not start '{options.story}': {said}")
