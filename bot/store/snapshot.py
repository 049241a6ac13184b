"""One guild's data at one moment, as `Store.guild_snapshot` reads it for an export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain import Campaign, Decision, GuildSettings


@dataclass(frozen=True, slots=True)
class GuildSnapshot:
    """A guild's rules, campaigns, decisions and ballot counts, read in one transaction.

    `settings` is None when the guild never changed the defaults. `campaigns` run oldest
    first, `decisions` by campaign then seq; `tallies` maps each decision id to its counts
    per offered choice in button order, zeros included. No member id is in here.
    """

    schema_version: int
    settings: GuildSettings | None
    campaigns: tuple[Campaign, ...]
    decisions: tuple[Decision, ...]
    tallies: Mapping[int, Mapping[str, int]]
