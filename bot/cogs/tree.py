"""The one place where command errors become private, plain-words replies."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.campaign import errors
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)


class NotModerator(app_commands.CheckFailure):
    """The member lacks Manage Server and the server's moderator role."""


async def reply_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer once, privately: a response if none was sent yet, else a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def _name(interaction: discord.Interaction[Any]) -> str:
    return interaction.command.qualified_name if interaction.command else "?"


class DeckTree(app_commands.CommandTree[Any]):
    """The command tree with the bot's single error handler."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Turn every refusal into one private reply; log what is a bug."""
        original = getattr(error, "original", error)
        if isinstance(original, errors.CampaignError):
            text = original.message
        elif isinstance(original, StoreUnavailable):  # the operator's to fix: say so, once
            log.error("command %s could not save: %s", _name(interaction), original)
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
