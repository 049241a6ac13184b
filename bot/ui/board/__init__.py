"""The board: the keeper of each campaign's messages, in line with its votes.

It posts scene messages, answers vote clicks, refreshes live tallies (at most once per
interval per message, however many clicks arrive), writes results on closed votes and posts
what comes next. When the bot cannot post (channel gone, permission missing), the campaign is
paused with the reason instead of failing over and over.

One job a module:
- `messages`: finding a campaign's channel, posting with retries (or pausing), reading a message
- `renders`: the rendered scene of each open vote, so a tally refresh swaps one field
- `tallies`: one edit of a vote's message at a time, and the debounced tally refresh
- `scenes`: posting a vote's scene message and an ending's epilogue
- `closes`: marking a closed vote's message and posting what comes next
- `sweep`: what was committed but never shown: the sweep and a start's overdue closes
- `clicks`: a vote click, and a `deck:` custom id no button of ours claims
- `board`: `Board`, which wires them and is what the cogs and the bot call
"""

from __future__ import annotations

from .board import Board

__all__ = ["Board"]
