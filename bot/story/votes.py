"""How the channel voted on a decision, and what a story reads of it.

`VoteInfo.summary()` gives the `vote_*` names a story's expressions read; the vote kinds and
their sample votes are what the odds shown before a vote are computed from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: How a decision was reached, as stories read it in `vote_how`.
HOW_START = "start"
HOW_MAJORITY = "majority"
HOW_TIE = "tie"
HOW_DECIDED = "decided"
HOW_NO_DECISION = "no_decision"


#: The shares a story should read votes by (docs/content-format.md gives the thresholds).
UNITED_SHARE = 0.9
NARROW_MARGIN_SHARE = 0.1


@dataclass(frozen=True)
class VoteInfo:
    """How the channel voted on one decision: ballots per choice and how it was settled."""

    counts: Mapping[str, int] = field(default_factory=dict)
    how: str = HOW_MAJORITY

    @property
    def turnout(self) -> int:
        """Ballots cast."""
        return sum(self.counts.values())

    def summary(self, previous_turnout: int = 0) -> dict[str, Any]:
        """What a story can read of this vote: counts, shares that scale with the channel,
        unanimity and how it was settled. `previous_turnout` is the last vote's ballots."""
        ranked = [*sorted(self.counts.values(), reverse=True), 0, 0]
        turnout = self.turnout
        margin = ranked[0] - ranked[1]
        share = ranked[0] / turnout if turnout else 0.0
        margin_share = margin / turnout if turnout else 0.0
        return {
            "vote_turnout": turnout,
            "vote_margin": margin,
            "vote_share": share,
            "vote_margin_share": margin_share,
            "vote_turnout_ratio": turnout / previous_turnout if previous_turnout else 1.0,
            "vote_unanimous": turnout >= 2 and ranked[0] == turnout,
            "vote_united": turnout >= 2 and share >= UNITED_SHARE,
            "vote_narrow": self.how == HOW_TIE
            or (
                self.how == HOW_MAJORITY
                and turnout >= 3
                and (margin <= 1 or margin_share <= NARROW_MARGIN_SHARE)
            ),
            "vote_how": self.how,
        }


#: The kinds of vote a shown percentage distinguishes, most agreed first. A story whose odds
#: read the vote only through `vote_unanimous`, `vote_united` and `vote_narrow` shows exactly
#: the odds it rolls.
KIND_UNANIMOUS = "unanimous"
KIND_UNITED = "united"
KIND_NARROW = "narrow"
KIND_CLEAR = "clear"
VOTE_KINDS = (KIND_UNANIMOUS, KIND_UNITED, KIND_NARROW, KIND_CLEAR)


def vote_kind(summary: Mapping[str, Any]) -> str:
    """Which kind of vote a `VoteInfo.summary()` describes, for the odds shown before it."""
    if summary["vote_unanimous"]:
        return KIND_UNANIMOUS
    if summary["vote_united"]:
        return KIND_UNITED
    if summary["vote_narrow"]:
        return KIND_NARROW
    return KIND_CLEAR


def _sample_votes() -> dict[str, tuple[VoteInfo, ...]]:
    """Votes of each kind won by choice "x", in small and large channels."""
    tie = HOW_TIE
    votes = {
        KIND_UNANIMOUS: (VoteInfo({"x": 2}), VoteInfo({"x": 10}), VoteInfo({"x": 200})),
        KIND_UNITED: (VoteInfo({"x": 9, "y": 1}), VoteInfo({"x": 190, "y": 6, "z": 4})),
        KIND_NARROW: (
            VoteInfo({"x": 2, "y": 1}),
            VoteInfo({"x": 16, "y": 14}),
            VoteInfo({"x": 1, "y": 1}, tie),
            VoteInfo({"x": 30, "y": 30}, tie),
        ),
        KIND_CLEAR: (VoteInfo({"x": 1}), VoteInfo({"x": 3, "y": 1}), VoteInfo({"x": 70, "y": 30})),
    }
    for kind, samples in votes.items():
        assert all(vote_kind(v.summary()) == kind for v in samples), kind
    return votes


SAMPLE_VOTES = _sample_votes()


@dataclass(frozen=True)
class OddsCase:
    """The odds a choice rolls after one kind of vote (low == high unless the vote's exact
    split matters beyond its kind)."""

    kind: str
    low: float
    high: float


START_VOTE: dict[str, Any] = VoteInfo({}, HOW_START).summary()
