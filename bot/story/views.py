"""What playing a story shows and reports: the scene as offered, and what a decision did."""

from __future__ import annotations

from dataclasses import dataclass

from .expressions import format_value
from .model import CrewMember, Value
from .votes import OddsCase


@dataclass(frozen=True)
class ChoiceView:
    """A choice as offered: its position in the scene, label, who argues for it, its odds.

    `odds` is what a clear majority for it would roll; `odds_cases` has the odds after each
    kind of vote, computed after the choice's own effects (empty without a roll)."""

    index: int
    id: str
    label: str
    by: CrewMember
    odds: float | None
    pitch: str | None = None
    odds_cases: tuple[OddsCase, ...] = ()

    def odds_for(self, kind: str) -> OddsCase | None:
        """The odds shown for a vote of `kind`, or None without a roll."""
        return next((case for case in self.odds_cases if case.kind == kind), None)


@dataclass(frozen=True)
class StatusItem:
    """One value on a scene's compact status line."""

    name: str
    label: str
    value: Value
    unit: str

    def __str__(self) -> str:
        return f"{self.label} {format_value(self.value)}{self.unit}"


@dataclass(frozen=True)
class SceneView:
    """What to show for the current point of the story."""

    id: str
    title: str
    text: str
    speaker: CrewMember | None
    choices: tuple[ChoiceView, ...]
    status: tuple[StatusItem, ...]
    ending: bool
    has_no_decision: bool
    #: An ending's own ship line: None shows `status`, "" hides the line.
    ship: str | None = None


@dataclass(frozen=True)
class Change:
    """One variable moved by an effect."""

    name: str
    before: Value
    after: Value


@dataclass(frozen=True)
class RollResult:
    """A chance roll: the odds, the number drawn and whether it succeeded."""

    odds: float
    drawn: float
    success: bool


@dataclass(frozen=True)
class Turn:
    """What one decision did: the choice, effects, roll and where the story went."""

    scene: str
    choice: str | None
    how: str
    result: str | None
    changes: tuple[Change, ...]
    roll: RollResult | None
    to: str
    ended: bool
