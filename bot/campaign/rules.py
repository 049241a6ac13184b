"""The rules of a vote, as pure functions: how a tally becomes an outcome, and which
setting values are allowed. No I/O, so every rule is tested on its own and by property."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.store import CloseHow, TieBreak

from .errors import InvalidSetting

VOTE_SECONDS_MIN = 10
VOTE_SECONDS_MAX = 7 * 24 * 3600
QUORUM_MIN = 1
QUORUM_MAX = 1_000_000


class Next(StrEnum):
    """What a vote that ended needs next."""

    CLOSE = "close"  # close with the verdict's outcome and how
    EXTEND = "extend"  # quorum not met: give the vote its one extension
    WAIT = "wait"  # a tie under the 'moderator' rule: leave it for /campaign decide


@dataclass(frozen=True)
class Verdict:
    """The rules' answer for a vote: what happens next, with which outcome and how."""

    next: Next
    outcome: str | None = None
    how: CloseHow | None = None


def settle(
    tally: Mapping[str, int],
    offered: Sequence[str],
    *,
    closer: CloseHow,
    tie_break: TieBreak,
    quorum: int,
    extended: bool,
    has_no_decision: bool,
    tie_seed: str,
) -> Verdict:
    """Decide a vote that the timer (or a moderator's skip) ended.

    - Fewer ballots than the quorum: the scene's no-decision outcome if it has one; else the
      vote is extended once; after that the first offered choice is taken.
    - One choice has the most ballots: it wins (`how` is the closer: timer or skip).
    - A tie among the top choices: `random` picks one with a generator seeded by the
      campaign (a replay picks the same), `first` takes the earliest in the story file,
      `moderator` waits for /campaign decide.
    """
    turnout = sum(tally.get(choice, 0) for choice in offered)
    if turnout < quorum or not offered:
        if has_no_decision or not offered:
            return Verdict(Next.CLOSE, None, CloseHow.NO_DECISION)
        if not extended:
            return Verdict(Next.EXTEND)
        return Verdict(Next.CLOSE, offered[0], CloseHow.NO_QUORUM)
    best = max(tally.get(choice, 0) for choice in offered)
    leaders = [choice for choice in offered if tally.get(choice, 0) == best]
    if len(leaders) == 1:
        return Verdict(Next.CLOSE, leaders[0], closer)
    if tie_break is TieBreak.MODERATOR:
        return Verdict(Next.WAIT)
    if tie_break is TieBreak.FIRST:
        return Verdict(Next.CLOSE, leaders[0], CloseHow.TIE)
    return Verdict(Next.CLOSE, random.Random(tie_seed).choice(leaders), CloseHow.TIE)


_SETTINGS = (
    "vote_seconds",
    "tie_break",
    "quorum",
    "blind",
    "share_choices",
    "voter_role_id",
    "moderator_role_id",
)


def check_setting(name: str, value: Any) -> Any:
    """The value a setting may take, normalised; InvalidSetting naming what it accepts."""
    if name == "vote_seconds":
        if type(value) is not int or not VOTE_SECONDS_MIN <= value <= VOTE_SECONDS_MAX:
            raise InvalidSetting(
                "vote_seconds",
                f"a whole number of seconds from {VOTE_SECONDS_MIN} to {VOTE_SECONDS_MAX:,}"
                " (7 days)",
            )
        return value
    if name == "quorum":
        if type(value) is not int or not QUORUM_MIN <= value <= QUORUM_MAX:
            raise InvalidSetting("quorum", f"a whole number from {QUORUM_MIN} to {QUORUM_MAX:,}")
        return value
    if name == "tie_break":
        try:
            return TieBreak(value)
        except ValueError:
            raise InvalidSetting(
                "tie_break", "one of: " + ", ".join(rule.value for rule in TieBreak)
            ) from None
    if name in ("blind", "share_choices"):
        if type(value) is not bool:
            raise InvalidSetting(name, "true or false")
        return value
    if name in ("voter_role_id", "moderator_role_id"):
        if value is not None and (type(value) is not int or value <= 0):
            raise InvalidSetting(name.removesuffix("_id"), "a role of this server, or none")
        return value
    raise InvalidSetting(name, "one of the settings: " + ", ".join(_SETTINGS))


def check_settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Every change checked; the first bad one refuses them all."""
    return {name: check_setting(name, value) for name, value in changes.items()}
