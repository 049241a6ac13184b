"""/campaign: start, watch and steer a campaign in this channel.

Each command parses its options, calls one use case and renders the result; refusals are
raised as `CampaignError` and answered privately by the tree's error handler.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.campaign import Closed
from bot.story.graph import to_dot
from bot.story.render import RenderError, render_png
from bot.ui import embeds
from bot.ui.replies import answer

from ..permissions import is_moderator, moderator_only
from ._map_limits import MapLimits, MapRefused

if TYPE_CHECKING:
    from bot.app import DeckBot

Interaction = discord.Interaction["DeckBot"]


def _where(interaction: Interaction) -> tuple[int, int]:
    if interaction.guild_id is None or interaction.channel_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id, interaction.channel_id


async def _shown_shortly(interaction: Interaction) -> None:
    """The change is committed but the channel could not be shown it yet: say so, never
    "nothing was changed"; the board's sweep shows it within a minute."""
    text = (
        "Done, and saved. Discord did not take the channel's update just now;"
        " it will show there within a minute."
    )
    try:
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException as exc:
        logging.getLogger(__name__).warning("could not tell the member: %s", exc)


@app_commands.guild_only()
class CampaignCog(commands.GroupCog, group_name="campaign", group_description="Story campaigns"):
    """Story campaigns decided by the channel's votes."""

    def __init__(self, bot: DeckBot) -> None:
        self.bot = bot
        self.maps = MapLimits(discord.utils.utcnow)
        super().__init__()

    async def cog_unload(self) -> None:
        """Stop the map's drawing threads."""
        self.maps.close()

    # -- moderators --------------------------------------------------------------------------

    @app_commands.command(name="start")
    @app_commands.describe(story="The story to play in this channel")
    @moderator_only
    async def start(self, interaction: Interaction, story: str) -> None:
        """Start a campaign of a story in this channel (moderators)."""
        guild_id, channel_id = _where(interaction)
        started = await self.bot.campaigns.start(
            guild_id=guild_id, channel_id=channel_id, story_id=story, actor_id=interaction.user.id
        )
        await answer(
            interaction,
            f"**{started.campaign.story_title}** begins. {started.summary}\n"
            "Vote with the buttons; you can change your vote until it closes.",
        )
        if started.vote is not None:
            if not await self.bot.board.post(started.campaign, started.vote):
                await _shown_shortly(interaction)
        elif started.epilogue is not None:
            await self.bot.board.post_epilogue(started.campaign, started.epilogue)

    @start.autocomplete("story")
    async def _stories(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.casefold()
        return [
            app_commands.Choice(
                name=embeds.clip(f"{story.title} ({story.id})", 100), value=story.id
            )
            for story in self.bot.stories.values()
            if needle in story.id.casefold() or needle in story.title.casefold()
        ][:25]

    @app_commands.command(name="pause")
    @moderator_only
    async def pause(self, interaction: Interaction) -> None:
        """Freeze the open vote's clock (moderators)."""
        guild_id, channel_id = _where(interaction)
        change = await self.bot.campaigns.pause(
            guild_id=guild_id, channel_id=channel_id, actor_id=interaction.user.id
        )
        left = embeds.format_span(change.vote.remaining) if change.vote.remaining else "no time"
        await answer(
            interaction,
            f"{interaction.user.mention} paused the campaign with {left} left on the vote.",
        )
        await self.bot.board.refresh_now(
            change.vote.decision_id, channel_id, change.vote.message_id
        )

    @app_commands.command(name="resume")
    @moderator_only
    async def resume(self, interaction: Interaction) -> None:
        """Restart the vote with the time that was left (moderators)."""
        guild_id, channel_id = _where(interaction)
        change = await self.bot.campaigns.resume(
            guild_id=guild_id, channel_id=channel_id, actor_id=interaction.user.id
        )
        if change.vote.waiting_for_moderator:
            then = "The vote is tied: a moderator settles it with `/campaign decide`."
        elif change.vote.deadline is not None:
            then = f"The vote closes {discord.utils.format_dt(change.vote.deadline, 'R')}."
        else:
            then = ""
        await answer(
            interaction, f"{interaction.user.mention} resumed the campaign. {then}".rstrip()
        )
        if change.vote.message_id is None:
            if not await self.bot.board.post(change.campaign, change.vote):
                await _shown_shortly(interaction)
        else:
            await self.bot.board.refresh_now(
                change.vote.decision_id, channel_id, change.vote.message_id
            )

    @app_commands.command(name="skip")
    @moderator_only
    async def skip(self, interaction: Interaction) -> None:
        """Close the open vote now, counting the votes cast so far (moderators)."""
        guild_id, channel_id = _where(interaction)
        outcome = await self.bot.campaigns.skip(
            guild_id=guild_id, channel_id=channel_id, actor_id=interaction.user.id
        )
        await answer(interaction, "You closed the vote.", ephemeral=True)
        if not await self.bot.board.show(outcome):
            await _shown_shortly(interaction)

    @app_commands.command(name="decide")
    @app_commands.describe(choice="The choice to take, whatever the votes say")
    @moderator_only
    async def decide(self, interaction: Interaction, choice: str) -> None:
        """Close the open vote with a choice of your own; it is logged (moderators)."""
        guild_id, channel_id = _where(interaction)
        closed: Closed = await self.bot.campaigns.decide(
            guild_id=guild_id, channel_id=channel_id, choice_id=choice, actor_id=interaction.user.id
        )
        await answer(interaction, f"Decided: **{closed.result.outcome_label}**.", ephemeral=True)
        if not await self.bot.board.show(closed):
            await _shown_shortly(interaction)

    @decide.autocomplete("choice")
    async def _open_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or interaction.channel_id is None:
            return []
        choices = await self.bot.campaigns.open_choices(
            guild_id=interaction.guild_id, channel_id=interaction.channel_id
        )
        needle = current.casefold()
        return [
            app_commands.Choice(name=embeds.clip(label, 100), value=choice_id)
            for choice_id, label in choices.items()
            if needle in label.casefold() or needle in choice_id
        ][:25]

    @app_commands.command(name="end")
    @moderator_only
    async def end(self, interaction: Interaction) -> None:
        """End the campaign in this channel; it stays in /campaign list (moderators)."""
        guild_id, channel_id = _where(interaction)
        ended = await self.bot.campaigns.end(
            guild_id=guild_id, channel_id=channel_id, actor_id=interaction.user.id
        )
        await answer(
            interaction,
            f"{interaction.user.mention} ended **{ended.campaign.story_title}** after"
            f" {ended.decisions} decisions.",
        )
        await self.bot.board.close_buttons(channel_id, ended.closed_message_id, guild_id=guild_id)

    # -- everyone ----------------------------------------------------------------------------

    @app_commands.command(name="status")
    async def status(self, interaction: Interaction) -> None:
        """The current scene, the ship's state and the open vote."""
        guild_id, channel_id = _where(interaction)
        status = await self.bot.campaigns.status(guild_id=guild_id, channel_id=channel_id)
        await answer(interaction, embed=embeds.status_embed(status), ephemeral=True)

    @app_commands.command(name="recap")
    async def recap(self, interaction: Interaction) -> None:
        """The story so far: each decision, its votes and what happened."""
        guild_id, channel_id = _where(interaction)
        recap = await self.bot.campaigns.recap(guild_id=guild_id, channel_id=channel_id)
        await answer(interaction, embed=embeds.recap_embed(recap), ephemeral=True)

    @app_commands.command(name="map")
    @app_commands.describe(full="Show every scene's title, not only those seen (moderators)")
    async def map(self, interaction: Interaction, full: bool = False) -> None:
        """A picture of the story: the way this campaign took in bold, unseen scenes dimmed."""
        guild_id, channel_id = _where(interaction)
        if full:
            await is_moderator(interaction)
        campaign, story, journey = await self.bot.housekeeping.journey(guild_id, channel_id)
        self.maps.check_free()
        self.maps.admit(guild_id, interaction.user.id)
        await interaction.response.defer(ephemeral=full, thinking=True)
        text = to_dot(story, journey=journey, reveal=full)
        try:
            picture = await self.maps.render(render_png, text)
        except MapRefused as exc:  # the last free slot was taken while this one deferred
            await interaction.followup.send(exc.message, ephemeral=True)
            return
        except RenderError as exc:
            await interaction.followup.send(f"The map cannot be drawn here: {exc}.", ephemeral=True)
            return
        name = f"{story.id}-map.png"
        await interaction.followup.send(
            f"**{campaign.story_title}**: the way this campaign has taken so far.",
            file=discord.File(io.BytesIO(picture), filename=name),
            ephemeral=full,
        )

    @app_commands.command(name="list")
    async def list_campaigns(self, interaction: Interaction) -> None:
        """This server's campaigns: channel, story, status, started."""
        guild_id, _ = _where(interaction)
        campaigns = await self.bot.campaigns.campaigns(guild_id)
        await answer(interaction, embed=embeds.campaigns_embed(campaigns), ephemeral=True)
