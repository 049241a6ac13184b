"""Answering an interaction whose change is already committed."""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)


def interaction_name(interaction: discord.Interaction[Any]) -> str:
    """The command's name for the logs ("?" for a button)."""
    return interaction.command.qualified_name if interaction.command else "?"


async def answer(interaction: discord.Interaction[Any], *args: Any, **kwargs: Any) -> bool:
    """Answer a command whose change is already committed. If Discord fails the answer, the
    change stands and the work goes on (the member sees "interaction failed"): logged as a
    warning, never an error that would skip what follows."""
    try:
        await interaction.response.send_message(*args, **kwargs)
    except discord.HTTPException as exc:
        log.warning("could not answer /%s: %s", interaction_name(interaction), exc)
        return False
    return True
