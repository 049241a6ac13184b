"""The campaign feature: /campaign commands, vote buttons and the scene messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import CampaignCog

if TYPE_CHECKING:
    from bot.app import DeckBot

__all__ = ["CampaignCog", "setup"]


async def setup(bot: DeckBot) -> None:
    """Load the feature into the bot."""
    await bot.add_cog(CampaignCog(bot))
