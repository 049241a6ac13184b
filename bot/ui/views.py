"""The vote buttons: persistent `DynamicItem`s whose custom id carries only ids.

`deck:vote:<decision id>:<choice index>` survives restarts; every click is checked against
the store by the campaign layer, so a stale or forged id is refused politely. The button
claims only that shape: discord.py runs every dynamic item whose template matches a custom
id, so a template that took all of `deck:` would also run for any other button of ours. A
`deck:` id that no button claims (an older format, a forged or damaged id) is answered by the
board's `on_interaction` instead of going unanswered ("This interaction failed").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.campaign import OpenVote

if TYPE_CHECKING:
    from bot.app import DeckBot

#: Every custom id of ours starts so; each button below claims its own shape only.
OURS_PREFIX = "deck:"
VOTE_TEMPLATE = r"deck:vote:(?P<decision>[0-9]{1,19}):(?P<choice>[0-9]{1,2})"
VOTE_PATTERN = re.compile(VOTE_TEMPLATE)
#: A label longer than this gets a row of its own (or shares one with few others).
LONG_LABEL = 25
#: Discord's most action rows on a message.
ROWS = 5
#: Vote ids are SQLite integers: a longer number names no vote (and cannot be looked up).
_MAX_ID = 2**63 - 1


def vote_custom_id(decision_id: int, choice_index: int) -> str:
    """The custom id of one vote button."""
    return f"deck:vote:{decision_id}:{choice_index}"


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    """One choice of one vote. The click goes to the board's `handle_vote`."""

    def __init__(
        self,
        decision_id: int,
        choice_index: int,
        *,
        label: str = "Vote",
        disabled: bool = False,
        chosen: bool = False,
        row: int | None = None,
    ) -> None:
        style = discord.ButtonStyle.success if chosen else discord.ButtonStyle.primary
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style if not disabled or chosen else discord.ButtonStyle.secondary,
                custom_id=vote_custom_id(decision_id, choice_index),
                disabled=disabled,
                row=row,
            ),
            row=row,
        )
        self.decision_id = decision_id
        self.choice_index = choice_index

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> VoteButton:
        """Rebuild the button from its custom id (the ids are checked when it is used); a
        decision id past SQLite's integers becomes vote 0, which the vote handler refuses as
        unknown."""
        if int(match["decision"]) > _MAX_ID:
            return cls(0, 0)
        return cls(int(match["decision"]), int(match["choice"]))

    # discord.py types the callback for any client; ours runs only in DeckBot, whose board
    # it calls directly.
    async def callback(  # type: ignore[override]
        self, interaction: discord.Interaction[DeckBot]
    ) -> None:
        """Hand the click to the board."""
        await interaction.client.board.handle_vote(interaction, self.decision_id, self.choice_index)


#: The persistent buttons the bot registers (`Client.add_dynamic_items`).
BUTTONS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (VoteButton,)


def claimed(custom_id: str) -> bool:
    """Whether one of our buttons claims this custom id (discord.py runs it for the click)."""
    return any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in BUTTONS)


def button_rows(labels: list[str]) -> list[int | None]:
    """The row of each button. Short labels share rows (five to a row, as Discord packs them);
    when any label is longer than `LONG_LABEL`, the buttons are spread over all five rows,
    one per row for up to five choices, so no label is cut or pushed off a narrow screen."""
    if not any(len(label) > LONG_LABEL for label in labels):
        return [None] * len(labels)
    per_row = -(-len(labels) // ROWS)
    return [index // per_row for index in range(len(labels))]


def vote_view(
    vote: OpenVote, *, disabled: bool = False, chosen: str | None = None
) -> discord.ui.View:
    """The buttons of a vote, one per offered choice, in the story's order."""
    view = discord.ui.View(timeout=None)
    rows = button_rows([choice.label for choice in vote.choices])
    for index, (choice, row) in enumerate(zip(vote.choices, rows, strict=True)):
        view.add_item(
            VoteButton(
                vote.decision_id,
                index,
                label=choice.label,
                disabled=disabled,
                chosen=chosen == choice.id,
                row=row,
            )
        )
    return view


def closed_view(message: discord.Message, chosen_index: int | None) -> discord.ui.View:
    """The message's buttons, disabled, the winner highlighted."""
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(message.components[:ROWS]):
        for component in getattr(row, "children", [row]):
            custom_id = getattr(component, "custom_id", None)
            match = VOTE_PATTERN.fullmatch(custom_id or "")
            if match is None:
                continue
            index = int(match["choice"])
            view.add_item(
                VoteButton(
                    int(match["decision"]),
                    index,
                    label=getattr(component, "label", None) or "Vote",
                    disabled=True,
                    chosen=index == chosen_index,
                    row=number,  # the rows the vote had
                )
            )
    return view
