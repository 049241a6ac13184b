"""The one place where command errors become private, plain-words replies."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.campaign import errors
from bot.ui.replies import interaction_name as _name

log = logging.getLogger(__name__)


class NotModerator(app_commands.CheckFailure):
    """The member lacks Manage Server and the server's moderator role."""


class Refused(app_commands.CheckFailure):
    """A command the Discord layer itself refuses (a limit, not a campaign rule); its message
    is the private reply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DuplicateInteraction(app_commands.CheckFailure):
    """Discord delivered this interaction before (a gateway replay); it was handled then."""


class RecentInteractions:
    """The ids of the interactions handled lately, so that a replayed one is not run twice.

    Replays come within a gateway session, seconds apart, so a bounded window suffices."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: dict[int, None] = {}

    def first_time(self, interaction_id: int) -> bool:
        """True the first time an id is seen; False for a replay."""
        if interaction_id in self._ids:
            return False
        self._ids[interaction_id] = None
        if len(self._ids) > self.size:
            del self._ids[next(iter(self._ids))]
        return True


async def reply_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer once, privately: a response if none was sent yet, else a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


class DeckTree(app_commands.CommandTree[Any]):
    """The command tree with the bot's single error handler and replay guard."""

    def __init__(self, client: discord.Client, **options: Any) -> None:
        super().__init__(client, **options)
        self.recent = RecentInteractions()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Run each interaction once, however often the gateway delivers it."""
        if not self.recent.first_time(interaction.id):
            raise DuplicateInteraction()
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Turn every refusal into one private reply; log what is a bug."""
        original = getattr(error, "original", error)
        if isinstance(error, DuplicateInteraction):
            log.info("ignored a replayed interaction %s", interaction.id)
            return
        if isinstance(original, errors.StorageUnavailable):  # the operator's to fix: say so
            log.error("command %s could not save: %s", _name(interaction), original.reason)
            text = original.message
        elif isinstance(original, (errors.CampaignError, Refused)):
            text = original.message
        elif isinstance(error, NotModerator):
            text = "Only moderators (Manage Server, or this server's moderator role) can do that."
        elif isinstance(error, app_commands.NoPrivateMessage):
            text = "Command Deck's commands work in a server's text channels, not in DMs."
        elif isinstance(error, app_commands.TransformerError):
            text = f"'{error.value}' is not a valid value for that option."
        elif isinstance(error, app_commands.CheckFailure):
            text = "You can't use that command here."
        else:
            log.error("command %s failed", _name(interaction), exc_info=original)
            text = "Something went wrong on our side; nothing was changed. Please try again."
        try:
            await reply_privately(interaction, text)
        except discord.HTTPException as exc:
            log.warning("could not tell the member why their command failed: %s", exc)
