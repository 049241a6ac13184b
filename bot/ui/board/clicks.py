"""A vote click, and a `deck:` custom id that no button of ours claims.

The vote button (`bot.ui.views.VoteButton`) claims only its own id shape; a forged, damaged
or outdated `deck:` id is answered here instead, privately, changing nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING

import discord

from bot.campaign import errors
from bot.ui import embeds
from bot.ui.replies import answer
from bot.ui.views import OURS_PREFIX, claimed

from .tallies import Tallies

if TYPE_CHECKING:
    from bot.app import DeckBot

log = logging.getLogger(__name__)


class RoleIds(Collection[int]):
    """A member's role ids, looked up only if a check asks (a server with a voter role):
    discord.py's `Member.roles` builds and sorts the member's roles on every call."""

    def __init__(self, member: discord.User | discord.Member) -> None:
        self._member = member
        self._ids: list[int] | None = None

    def _read(self) -> list[int]:
        if self._ids is None:
            roles = self._member.roles if isinstance(self._member, discord.Member) else []
            self._ids = [role.id for role in roles]
        return self._ids

    def __contains__(self, role_id: object) -> bool:
        return role_id in self._read()

    def __iter__(self) -> Iterator[int]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


class Clicks:
    """What a click on one of our buttons does."""

    def __init__(self, bot: DeckBot, tallies: Tallies) -> None:
        self.bot = bot
        self.tallies = tallies

    async def vote(
        self, interaction: discord.Interaction[DeckBot], decision_id: int, choice_index: int
    ) -> None:
        """A vote click: record the ballot (committed), then answer privately."""
        if not self.bot.recent.first_time(interaction.id):
            log.info("ignored a replayed click %s", interaction.id)
            return
        if interaction.guild_id is None:
            await answer(interaction, "Votes happen in a server.", ephemeral=True)
            return
        try:
            cast = await self.bot.campaigns.cast(
                guild_id=interaction.guild_id,
                decision_id=decision_id,
                choice_index=choice_index,
                member_id=interaction.user.id,
                role_ids=RoleIds(interaction.user),
            )
        except errors.CampaignError as exc:
            await answer(interaction, exc.message, ephemeral=True)
            return
        # The ballot is committed; if the answer fails, the member only loses the reply.
        await answer(interaction, embeds.ballot_reply(cast), ephemeral=True)
        if not cast.blind and interaction.message is not None and interaction.channel_id:
            self.tallies.changed(decision_id, interaction.channel_id, interaction.message.id)

    async def unclaimed(self, interaction: discord.Interaction[DeckBot]) -> None:
        """Any interaction (the bot's `on_interaction`): a component whose `deck:` id no
        button of ours claims (no handler runs for it) gets a private answer rather than
        "This interaction failed"; nothing is read or changed."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: Mapping[str, object] = interaction.data or {}
        custom_id = data.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id.startswith(OURS_PREFIX):
            return
        if claimed(custom_id) or not self.bot.recent.first_time(interaction.id):
            return
        log.info("refused a click on an unknown custom id %.100r", custom_id)
        await answer(interaction, errors.UnknownVote().message, ephemeral=True)
