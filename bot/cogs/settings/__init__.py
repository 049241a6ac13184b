"""The settings feature: /settings show and /settings set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import SettingsCog

if TYPE_CHECKING:
    from bot.app import DeckBot

__all__ = ["SettingsCog", "setup"]


async def setup(bot: DeckBot) -> None:
    """Load the feature into the bot."""
    await bot.add_cog(SettingsCog(bot))
