"""The bot: wires the store, the stories, the scheduler and the cogs together.

`create_bot(settings)` returns an unstarted `AutoShardedBot`; everything async happens in
`setup_hook` (open the store, load and check the stories, register the persistent buttons,
sync the slash commands when they changed, reschedule every open vote), and `close` undoes it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from datetime import datetime, timedelta

import discord
from discord.ext import commands, tasks

from bot.campaign import CampaignService, DeadlineScheduler, Housekeeping
from bot.cogs.campaign import CampaignCog
from bot.cogs.settings import SettingsCog
from bot.cogs.tree import DeckTree, RecentInteractions
from bot.config import Settings
from bot.domain import Shards
from bot.store import Store, StoreUnavailable
from bot.store.postgres_url import PostgresUrl
from bot.story import Story, load_stories
from bot.ui.board import Board
from bot.ui.views import BUTTONS

log = logging.getLogger(__name__)

#: How often the data of servers that removed the bot is checked against the grace period.
PURGE_EVERY_HOURS = 6
#: The key under which the synced command set's fingerprint is kept.
COMMANDS_META = "synced_commands"


def clock() -> datetime:
    """The bot's one clock: discord.py's aware UTC now (which SimCord moves in tests)."""
    return discord.utils.utcnow()


class DeckBot(commands.AutoShardedBot):
    """Command Deck. Slash commands and buttons only: no privileged intents."""

    def __init__(self, settings: Settings) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channels and guild membership; not privileged
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=DeckTree,
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,  # type: ignore[arg-type]  # None: every shard
            help_command=None,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
        )
        tree = self.tree
        assert isinstance(tree, DeckTree)
        #: The interactions handled lately, so that a replayed one is not run twice.
        self.recent: RecentInteractions = tree.recent
        self.settings = settings
        self.stories: dict[str, Story] = {}
        self.scheduler = DeadlineScheduler(clock)
        self.board = Board(self)
        self._store: Store | None = None
        self._campaigns: CampaignService | None = None
        self._housekeeping: Housekeeping | None = None

    @property
    def store(self) -> Store:
        """The open store (after setup_hook)."""
        if self._store is None:
            raise RuntimeError("the store is not open yet")
        return self._store

    @property
    def campaigns(self) -> CampaignService:
        """The campaign use cases (after setup_hook)."""
        if self._campaigns is None:
            raise RuntimeError("the bot is not set up yet")
        return self._campaigns

    @property
    def housekeeping(self) -> Housekeeping:
        """Start-up repairs and guild departures (after setup_hook)."""
        if self._housekeeping is None:
            raise RuntimeError("the bot is not set up yet")
        return self._housekeeping

    async def setup_hook(self) -> None:
        """Open the store, load stories, register buttons and commands, resume votes."""
        database = self.settings.database
        if not isinstance(database, PostgresUrl):  # a file: its folder may need making
            database.parent.mkdir(parents=True, exist_ok=True)
        self._store = await Store.open(database, synchronous=self.settings.sqlite_synchronous)
        loaded = load_stories(self.settings.content_dir)
        for folder, problems in loaded.problems.items():
            log.error(
                "story %s left out: %d problem(s); first: %s", folder, len(problems), problems[0]
            )
        self.stories = loaded.stories
        log.info("stories loaded: %s", ", ".join(sorted(self.stories)) or "none")
        self._campaigns = CampaignService(
            self._store,
            self.stories,
            clock,
            self.scheduler,
            ballot_window_s=self.settings.ballot_batch_ms / 1000,
            hold_unposted=True,
            shards=self._own_shards(),
            max_campaigns_per_server=self.settings.max_campaigns_per_server,
        )
        self._housekeeping = Housekeeping(self._store, self.stories, clock, self._campaigns)
        self.scheduler.set_handler(self.board.on_vote_due)
        self.add_dynamic_items(*BUTTONS)
        await self.add_cog(CampaignCog(self))
        await self.add_cog(SettingsCog(self))
        await self.sync_commands()
        self.scheduler.start()
        overdue = await self._campaigns.close_overdue_votes()  # in batches, committed unshown
        opened = [vote.id for vote in overdue.opened]
        self.board.show_backlog(overdue.closed, opened, overdue.closed_at)
        report = await self._campaigns.resume_open_votes()
        log.info(
            "open votes rescheduled: %d (%d overdue, closing one by one now)",
            report.scheduled,
            len(report.overdue),
        )
        self.purge_departed_guilds.start()
        gc.freeze()  # what start-up loaded stays: full GCs skip it (docs/performance.md)

    def _own_shards(self) -> Shards | None:
        """The shards this process serves when SHARD_IDS splits them over processes (None:
        every shard is here): it schedules, sweeps and posts for their guilds only."""
        if self.settings.shard_ids is None or self.settings.shard_count is None:
            return None
        return Shards(self.settings.shard_count, frozenset(self.settings.shard_ids))

    async def on_ready(self) -> None:
        """Once connected: start the sweep, which shows the closes never shown and posts the
        votes never posted (a crash or an outage between a commit and the channel), so nobody
        waits on a vote they can't see."""
        await self.housekeeping.guilds_present([guild.id for guild in self.guilds])
        if not self.board.sweeper.is_running():
            self.board.sweeper.start()  # its first round runs now; then every minute

    async def on_interaction(self, interaction: discord.Interaction[DeckBot]) -> None:
        """Every interaction (after discord.py routed it): a click on a `deck:` id that no
        button of ours claims gets a private answer from the board."""
        await self.board.on_interaction(interaction)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server: keep its data for the grace period."""
        self.board.guild_left(guild.id)
        await self.housekeeping.guild_left(guild.id)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A server seen again after a reconnect: it did not leave after all."""
        await self.housekeeping.guilds_present([guild.id])

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added (back) to a server: its data, if still kept, is no longer to be deleted."""
        await self.housekeeping.guild_joined(guild.id)

    @tasks.loop(hours=PURGE_EVERY_HOURS)
    async def purge_departed_guilds(self) -> None:
        """Every few hours: delete the data of servers that removed the bot longer ago than
        the grace period. A failed round is logged and the next one runs as planned."""
        try:
            await self.housekeeping.purge(timedelta(days=self.settings.guild_data_days))
        except StoreUnavailable as exc:
            log.warning("purging departed servers' data failed (%s); retrying later", exc)
        except Exception:
            log.exception("purging departed servers' data failed; retrying later")

    def _command_fingerprint(self, guild: discord.abc.Snowflake | None) -> str:
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        text = json.dumps(
            {"guild": guild.id if guild else None, "commands": payload}, sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync_commands(self) -> bool:
        """Sync the slash commands only when they changed since the last sync (to the
        development guild when one is set, where changes show at once)."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        fingerprint = self._command_fingerprint(guild)
        if await self.store.get_meta(COMMANDS_META) == fingerprint:
            log.info("slash commands unchanged; not syncing")
            return False
        await self.tree.sync(guild=guild)
        await self.store.set_meta(COMMANDS_META, fingerprint)
        log.info("slash commands synced%s", f" to guild {guild.id}" if guild else "")
        return True

    async def close(self) -> None:
        """Stop timers, disconnect, then close the store (open votes keep their deadlines)."""
        self.purge_departed_guilds.cancel()
        await self.scheduler.stop()
        await self.board.stop()
        await super().close()
        if self._campaigns is not None:
            await self._campaigns.close()  # ballots waiting for their commit are written
        if self._store is not None:
            await self._store.close()
            self._store = None
        gc.unfreeze()  # a closed bot's objects can be collected again


def create_bot(settings: Settings) -> DeckBot:
    """An unstarted bot for these settings."""
    return DeckBot(settings)
