"""/settings: this server's voting rules (moderators)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.campaign import errors
from bot.campaign.rules import QUORUM_MAX, QUORUM_MIN, VOTE_SECONDS_MAX, VOTE_SECONDS_MIN
from bot.ui import embeds
from bot.ui.replies import answer

from ..permissions import moderator_only

if TYPE_CHECKING:
    from bot.app import DeckBot

Interaction = discord.Interaction["DeckBot"]


def _role_id(interaction: Interaction, name: str, role: discord.Role) -> int | None:
    """A role option: refused from another server; @everyone clears the setting.

    discord.py builds a resolved role with the interaction's guild, so `role.guild` cannot
    tell; the role must be one the server has."""
    guild = interaction.guild
    if role.guild.id != interaction.guild_id or guild is None or guild.get_role(role.id) is None:
        raise errors.InvalidSetting(name, "a role of this server")
    return None if role.is_default() else role.id


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SettingsCog(commands.GroupCog, group_name="settings", group_description="Voting rules"):
    """This server's voting rules."""

    def __init__(self, bot: DeckBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show")
    @moderator_only
    async def show(self, interaction: Interaction) -> None:
        """Show this server's voting rules (moderators)."""
        assert interaction.guild_id is not None
        settings = await self.bot.campaigns.settings(interaction.guild_id)
        await answer(interaction, embed=embeds.settings_embed(settings), ephemeral=True)

    @app_commands.command(name="set")
    @app_commands.describe(
        vote_seconds="How long a vote stays open: 10 to 604800 seconds (7 days)",
        tie_break="How a tie is settled",
        quorum="Fewest votes for a result: 1 to 1000000",
        blind="Hide the tally until the vote closes",
        share_choices="Compare this server's choices with other servers' (counts only)",
        voter_role="Only this role may vote (@everyone: anyone)",
        moderator_role="This role may run moderator commands (@everyone: Manage Server only)",
    )
    @app_commands.choices(
        tie_break=[
            app_commands.Choice(name="random (seeded per campaign)", value="random"),
            app_commands.Choice(name="first (the earlier choice in the story)", value="first"),
            app_commands.Choice(name="moderator (wait for /campaign decide)", value="moderator"),
        ]
    )
    @moderator_only
    async def set_(
        self,
        interaction: Interaction,
        vote_seconds: app_commands.Range[int, VOTE_SECONDS_MIN, VOTE_SECONDS_MAX] | None = None,
        tie_break: app_commands.Choice[str] | None = None,
        quorum: app_commands.Range[int, QUORUM_MIN, QUORUM_MAX] | None = None,
        blind: bool | None = None,
        share_choices: bool | None = None,
        voter_role: discord.Role | None = None,
        moderator_role: discord.Role | None = None,
    ) -> None:
        """Change this server's voting rules; only the options given change (moderators)."""
        assert interaction.guild_id is not None
        changes: dict[str, Any] = {}
        if vote_seconds is not None:
            changes["vote_seconds"] = vote_seconds
        if tie_break is not None:
            changes["tie_break"] = tie_break.value
        if quorum is not None:
            changes["quorum"] = quorum
        if blind is not None:
            changes["blind"] = blind
        if share_choices is not None:
            changes["share_choices"] = share_choices
        if voter_role is not None:
            changes["voter_role_id"] = _role_id(interaction, "voter_role", voter_role)
        if moderator_role is not None:
            changes["moderator_role_id"] = _role_id(interaction, "moderator_role", moderator_role)
        if not changes:
            raise errors.InvalidSetting("/settings set", "given at least one option")
        settings = await self.bot.campaigns.update_settings(
            guild_id=interaction.guild_id, actor_id=interaction.user.id, changes=changes
        )
        self.bot.board.settings_changed(interaction.guild_id)
        await answer(interaction, "Saved.", embed=embeds.settings_embed(settings), ephemeral=True)
