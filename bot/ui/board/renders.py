"""The rendered scene of each open vote, so that a tally refresh swaps one field.

A full redraw reads the decision, the campaign (its state decoded and checked) and the
server's settings, then renders the whole scene. Between clicks only the counts change, so
the board keeps what it last sent per open vote and a refresh after clicks only swaps the
Tally field for the live counts. An entry is replaced by every full redraw (pause, resume,
an extension) and dropped when its vote closes or ends, when its server's settings change
(blind, say) and when the bot leaves the server: nothing is kept for a vote that is over.
"""

from __future__ import annotations

import json
from collections.abc import KeysView, Mapping
from dataclasses import dataclass

import discord

from bot.campaign import CampaignInfo, OpenVote
from bot.story.lines import ChoiceLine, choice_lines
from bot.ui import embeds

#: A choice line as kept: label, advocate, odds text, pitch (a tuple is a fraction of a
#: dataclass instance's size, and thousands of votes may be kept).
_Line = tuple[str, str, str | None, str | None]


@dataclass(slots=True)
class Rendered:
    """An open vote's scene embed as last sent (its JSON, compact), and what a new tally
    needs."""

    campaign_id: int
    guild_id: int
    message_id: int
    embed: bytes  # `Embed.to_dict()` as UTF-8 JSON
    lines: tuple[_Line, ...]
    choices: tuple[str, ...]  # the choice ids, in button order
    blind: bool

    def with_tally(self, tally: Mapping[str, int]) -> discord.Embed:
        """The kept embed with its Tally field showing these counts (hidden when blind)."""
        counts = None if self.blind else [tally.get(choice, 0) for choice in self.choices]
        embed = discord.Embed.from_dict(json.loads(self.embed))
        return embeds.retally(embed, [ChoiceLine(*line) for line in self.lines], counts)


class Renders:
    """The kept render of each open vote this process redrew, by decision id."""

    def __init__(self) -> None:
        self._kept: dict[int, Rendered] = {}

    def keys(self) -> KeysView[int]:
        """The votes something is kept for."""
        return self._kept.keys()

    def get(self, decision_id: int) -> Rendered | None:
        """The kept render of a vote, if any."""
        return self._kept.get(decision_id)

    def render(self, campaign: CampaignInfo, vote: OpenVote) -> discord.Embed:
        """The whole scene embed of an open vote just read (under its edit lock), kept for
        its next tally refresh once its message is known."""
        embed = embeds.scene_embed(vote, campaign.story_title)
        if vote.message_id is not None:
            self._kept[vote.decision_id] = Rendered(
                campaign_id=campaign.id,
                guild_id=campaign.guild_id,
                message_id=vote.message_id,
                embed=json.dumps(embed.to_dict(), separators=(",", ":")).encode(),
                lines=tuple(
                    (line.label, line.by, line.odds, line.pitch)
                    for line in choice_lines(vote.choices)
                ),
                choices=tuple(choice.id for choice in vote.choices),
                blind=vote.tally is None,
            )
        return embed

    def drop(self, decision_id: int) -> None:
        """The vote closed (or is no longer open)."""
        self._kept.pop(decision_id, None)

    def drop_message(self, message_id: int | None) -> None:
        """The vote on this message ended (rare: a scan is fine)."""
        if message_id is None:
            return
        for decision_id in [d for d, kept in self._kept.items() if kept.message_id == message_id]:
            del self._kept[decision_id]

    def drop_guild(self, guild_id: int) -> None:
        """The server's settings changed, or it removed the bot (rare: a scan is fine)."""
        for decision_id in [d for d, kept in self._kept.items() if kept.guild_id == guild_id]:
            del self._kept[decision_id]
