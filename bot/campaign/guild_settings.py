"""A server's voting rules; a change drops its votes' checks so clicks see the new rules."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.domain import GuildSettings

from . import errors
from .context import USE_CASE_LOG, Context
from .rules import check_settings

log = logging.getLogger(USE_CASE_LOG)


class GuildRules:
    """Reading and changing a server's voting rules."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def settings(self, guild_id: int) -> GuildSettings:
        """This server's voting rules."""
        return await self._ctx.store.get_settings(guild_id)

    @errors.storage_refusals
    async def update_settings(
        self, *, guild_id: int, actor_id: int, changes: Mapping[str, object]
    ) -> GuildSettings:
        """Change some voting rules; every value is checked first and a bad one changes none."""
        ctx = self._ctx
        checked = check_settings(changes)
        if not checked:
            return await ctx.store.get_settings(guild_id)
        updated = await ctx.store.update_settings(guild_id, **checked)
        ctx.checks.forget_guild(guild_id)
        detail = ", ".join(f"{k}={v}" for k, v in checked.items())
        await ctx.store.add_audit(guild_id, None, actor_id, "settings", detail, ctx.clock())
        log.info("guild %s settings changed by %s: %s", guild_id, actor_id, detail)
        return updated
