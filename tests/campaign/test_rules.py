"""The vote rules by property: any tally, any settings."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bot.campaign.rules import Next, settle
from bot.domain import CloseHow, TieBreak

CHOICES = ["a", "b", "c", "d"]

tallies = st.lists(st.integers(0, 6), min_size=1, max_size=4).map(
    lambda counts: dict(zip(CHOICES, counts, strict=False))
)


@given(
    tally=tallies,
    rule=st.sampled_from(list(TieBreak)),
    quorum=st.integers(1, 10),
    extended=st.booleans(),
    has_no_decision=st.booleans(),
    closer=st.sampled_from([CloseHow.TIMER, CloseHow.SKIP]),
    seed=st.integers(0, 1000),
)
def test_settle_follows_the_rules(
    tally, rule, quorum, extended, has_no_decision, closer, seed
) -> None:
    offered = list(tally)
    verdict = settle(
        tally,
        offered,
        closer=closer,
        tie_break=rule,
        quorum=quorum,
        extended=extended,
        has_no_decision=has_no_decision,
        tie_seed=str(seed),
    )
    turnout = sum(tally.values())
    best = max(tally.values())
    leaders = [c for c in offered if tally[c] == best]
    if turnout < quorum:
        if has_no_decision:
            assert (verdict.next, verdict.outcome, verdict.how) == (
                Next.CLOSE,
                None,
                CloseHow.NO_DECISION,
            )
        elif not extended:
            assert verdict.next is Next.EXTEND
        else:
            assert (verdict.outcome, verdict.how) == (offered[0], CloseHow.NO_QUORUM)
    elif len(leaders) == 1:
        assert (verdict.next, verdict.outcome, verdict.how) == (Next.CLOSE, leaders[0], closer)
    elif rule is TieBreak.MODERATOR:
        assert verdict.next is Next.WAIT
    elif rule is TieBreak.FIRST:
        assert (verdict.outcome, verdict.how) == (leaders[0], CloseHow.TIE)
    else:
        assert verdict.how is CloseHow.TIE and verdict.outcome in leaders
        assert verdict.outcome == random.Random(str(seed)).choice(leaders)  # replayable


def test_random_ties_spread_over_the_leaders() -> None:
    picks = {
        settle(
            {"a": 2, "b": 2, "c": 1},
            ["a", "b", "c"],
            closer=CloseHow.TIMER,
            tie_break=TieBreak.RANDOM,
            quorum=1,
            extended=False,
            has_no_decision=False,
            tie_seed=f"{seed}:1:tie",
        ).outcome
        for seed in range(50)
    }
    assert picks == {"a", "b"}
