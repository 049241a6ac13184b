"""What a vote message says about each choice, in words: who argues for it, their pitch and
the odds it rolls.

Shared by the checker, which measures these lines against Discord's limits for every scene,
and by the Discord layer and the terminal, which show them: what is counted is what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .model import CrewMember
from .views import ChoiceView, SceneView
from .votes import KIND_CLEAR, KIND_NARROW, KIND_UNANIMOUS, KIND_UNITED, OddsCase

#: An embed field's value: Discord refuses more.
FIELD_LIMIT = 1024
BAR_WIDTH = 8
#: The checker measures counts of this many digits (more ballots than any channel casts).
COUNT_DIGITS = 7
#: A whole embed: Discord refuses more. The vote message's other parts at their longest:
#: the author line, the Vote field (its clock text) and the footer's decision number.
MESSAGE_LIMIT = 6000
AUTHOR_LIMIT = 256
CLOCK_TEXT_LIMIT = 60
DECISION_DIGITS = 7
HIDDEN_NOTE = "*Hidden until the vote closes.*"

_KIND_WORDS = {
    KIND_UNANIMOUS: "if the crew is unanimous",
    KIND_UNITED: "if 90% or more of the crew back it",
    KIND_NARROW: "on a narrow vote",
}


def percent(value: float) -> str:
    """`0.4` is `40%`."""
    return f"{round(value * 100)}%"


def _case_text(case: OddsCase) -> str:
    low, high = percent(case.low), percent(case.high)
    return low if low == high else f"{low[:-1]}–{high}"


def _joined(parts: Sequence[tuple[str, str]], otherwise: str) -> str:
    return ", ".join(f"{value} {words}" for value, words in parts) + f", else {otherwise}"


def odds_text(cases: Sequence[OddsCase]) -> str | None:
    """The odds as a member reads them: `40%`, or `55% if the crew is unanimous, else 40%`
    when the vote changes them. None for a choice without a roll."""
    if not cases:
        return None
    texts = {case.kind: _case_text(case) for case in cases}
    otherwise = texts[KIND_CLEAR]
    if len(set(texts.values())) == 1:
        return otherwise
    # Read in order, the first that fits applies: a unanimous crew is also a united one.
    parts: list[tuple[str, str]] = []
    if texts[KIND_UNANIMOUS] != texts[KIND_UNITED]:
        parts.append((texts[KIND_UNANIMOUS], _KIND_WORDS[KIND_UNANIMOUS]))
    for kind in (KIND_UNITED, KIND_NARROW):
        if texts[kind] != otherwise:
            parts.append((texts[kind], _KIND_WORDS[kind]))
    return _joined(parts, otherwise)


#: The longest `odds_text` can be: every kind different, each a range.
ODDS_TEXT_LIMIT = len(_joined([("100–100%", words) for words in _KIND_WORDS.values()], "100–100%"))
#: The longest odds that do not depend on the vote: `100%`.
FIXED_ODDS_LIMIT = 4


@dataclass(frozen=True)
class ChoiceLine:
    """One choice as the vote message lists it."""

    label: str
    by: str
    odds: str | None = None
    pitch: str | None = None


def choice_lines(choices: Sequence[ChoiceView]) -> list[ChoiceLine]:
    """The offered choices as the vote message lists them."""
    return [
        ChoiceLine(choice.label, choice.by.name, odds_text(choice.odds_cases), choice.pitch)
        for choice in choices
    ]


def speaker_line(member: CrewMember) -> str:
    """`Kayla, Comms`, but `Captain Jax` when the role is already in the name."""
    if re.search(rf"\b{re.escape(member.role)}\b", member.name, re.IGNORECASE):
        return member.name
    return f"{member.name}, {member.role}"


def ship_line(scene: SceneView, separator: str = " · ") -> str:
    """The ship's compact state (`Exotic matter 30kg · Hull 100%`), an ending's own line, or
    "" when there is nothing to show."""
    if scene.ship is not None:
        return scene.ship
    return separator.join(str(item) for item in scene.status)


def tally_line(line: ChoiceLine, count: int | None, total: int) -> str:
    """`` `  3` ████ Take the pod. — **Sofia** · 40%``; without a count while the vote is blind."""
    head = ""
    if count is not None:
        bar = "█" * round(BAR_WIDTH * count / total) if total else ""
        head = f"`{count:>3}` {bar} "
    odds = f" · {line.odds}" if line.odds else ""
    return f"{head}{line.label} — **{line.by}**{odds}"


def tally_field(lines: Sequence[ChoiceLine], counts: Sequence[int] | None) -> str:
    """The Tally field: one line per choice with who argues for it; counts unless blind."""
    if counts is None:
        rows = [tally_line(line, None, 0) for line in lines]
        return "\n".join([*rows, HIDDEN_NOTE])
    total = sum(counts)
    return "\n".join(
        tally_line(line, count, total) for line, count in zip(lines, counts, strict=True)
    )


def pitch_field(lines: Sequence[ChoiceLine]) -> str:
    """The crew's pitches, one line each in the advocate's voice; empty when none has one."""
    return "\n".join(f"**{line.by}**: {line.pitch}" for line in lines if line.pitch)


def message_overhead(title: str, story_title: str, speaker: CrewMember | None) -> int:
    """The most characters a vote message spends besides its text, Tally, pitches and ship
    line (which goes first when the message is too long)."""
    author = min(AUTHOR_LIMIT, len(speaker_line(speaker))) if speaker is not None else 0
    footer = len(f"{story_title} · decision ") + DECISION_DIGITS
    names = len("Vote") + len("Tally") + len(PITCHES_NAME)
    return len(title) + author + footer + names + CLOCK_TEXT_LIMIT


PITCHES_NAME = "The crew argue"


def worst_lengths(lines: Sequence[ChoiceLine]) -> Mapping[str, int]:
    """The most characters the Tally and pitch fields can take for these choices."""
    most = 10**COUNT_DIGITS - 1
    # Each line at its widest (the longest count and a full bar): more than any real tally.
    counted = "\n".join(tally_line(line, most, most) for line in lines)
    blind = tally_field(lines, None)
    return {"tally": max(len(counted), len(blind)), "pitches": len(pitch_field(lines))}
