"""Who is a moderator: Manage Server, or the role the server named."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from .tree import NotModerator

if TYPE_CHECKING:
    from bot.app import DeckBot


async def is_moderator(interaction: discord.Interaction[DeckBot]) -> bool:
    """Checked when a moderator command runs (hiding it is not enough)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if interaction.permissions.manage_guild:
        return True
    settings = await interaction.client.campaigns.settings(interaction.guild_id)
    roles = getattr(interaction.user, "roles", [])
    if settings.moderator_role_id is not None and any(
        role.id == settings.moderator_role_id for role in roles
    ):
        return True
    raise NotModerator()


moderator_only = app_commands.check(is_moderator)
