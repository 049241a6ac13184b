"""Ballots on PostgreSQL: casting one or a batch (the group commit), tallies, one's own ballot.

No ballot lands after a close. A close changes the decision's row; every ballot's INSERT
reads that row `FOR SHARE`, so it waits for a close in flight and then sees it closed, and a
close waits for the ballots already inserting, then counts them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg

from bot.domain import Ballot, Decision, NewBallot
from bot.store.errors import StoreError
from bot.store.postgres import rows
from bot.store.postgres.base import PostgresBase
from bot.store.times import to_us

# Conditional upsert: no row is written unless the decision is open and offers the choice.
CAST_BALLOT = """
INSERT INTO ballots (decision_id, member_id, choice_id, cast_at)
SELECT d.id, $2, $3, $4
  FROM decisions AS d
 WHERE d.id = $1
   AND d.closed_at IS NULL
   AND EXISTS (SELECT 1 FROM json_array_elements_text(d.choices) AS c (value)
                WHERE c.value = $3)
   FOR SHARE OF d
ON CONFLICT (decision_id, member_id)
DO UPDATE SET choice_id = excluded.choice_id, cast_at = excluded.cast_at
"""

# The batch, in ONE statement (one round trip, its own transaction): lock its open votes
# (ordered, so two batches never wait on each other in a circle) and return what they offer;
# of each member's ballots in the batch on a vote, the latest that vote offers is written.
CAST_BALLOTS = """
WITH open AS (
    SELECT d.id, d.choices FROM decisions AS d
     WHERE d.id = ANY($1::bigint[]) AND d.closed_at IS NULL
     ORDER BY d.id
       FOR SHARE
), latest AS (
    SELECT DISTINCT ON (b.decision_id, b.member_id)
           b.decision_id, b.member_id, b.choice_id, b.cast_at
      FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[])
           WITH ORDINALITY AS b (decision_id, member_id, choice_id, cast_at, ord)
      JOIN open AS o ON o.id = b.decision_id
     WHERE EXISTS (SELECT 1 FROM json_array_elements_text(o.choices) AS c (value)
                    WHERE c.value = b.choice_id)
     ORDER BY b.decision_id, b.member_id, b.ord DESC
), written AS (
    INSERT INTO ballots (decision_id, member_id, choice_id, cast_at)
    SELECT decision_id, member_id, choice_id, cast_at FROM latest
    ON CONFLICT (decision_id, member_id)
    DO UPDATE SET choice_id = excluded.choice_id, cast_at = excluded.cast_at
    RETURNING 1
)
SELECT o.id, o.choices, (SELECT count(*) FROM written) AS written FROM open AS o
"""

BALLOT_OF = (
    "SELECT decision_id, member_id, choice_id, cast_at FROM ballots "
    "WHERE decision_id = $1 AND member_id = $2"
)

# Every offered choice in button order, with its count (0 when nobody chose it).
TALLY = """
SELECT c.value AS choice_id, coalesce(t.n, 0) AS n
  FROM decisions AS d
 CROSS JOIN LATERAL json_array_elements_text(d.choices) WITH ORDINALITY AS c (value, ord)
  LEFT JOIN (SELECT choice_id, count(*) AS n FROM ballots
              WHERE decision_id = $1 GROUP BY choice_id) AS t
         ON t.choice_id = c.value
 WHERE d.id = $1
 ORDER BY c.ord
"""

COUNTS_IN = """
SELECT decision_id, choice_id, count(*) AS n FROM ballots
 WHERE decision_id = ANY($1::bigint[])
 GROUP BY decision_id, choice_id
"""


async def tally_in(db: asyncpg.Connection, decision_id: int) -> dict[str, int]:
    """The tally of one vote, read on the caller's connection (inside its transaction)."""
    return {r["choice_id"]: int(r["n"]) for r in await db.fetch(TALLY, decision_id)}


class BallotRows(PostgresBase):
    """Casting ballots and counting them."""

    async def cast_ballot(
        self, decision_id: int, member_id: int, choice_id: str, cast_at: datetime
    ) -> bool:
        """Record (or replace) a member's ballot; True only once it is committed.

        False, with nothing written, when the decision is closed or unknown or does not
        offer `choice_id`: the check is part of the INSERT. The latest call wins.
        """
        moment = to_us(cast_at)
        async with self._connection() as db:  # one statement: committed when it returns
            status = await db.execute(CAST_BALLOT, decision_id, member_id, choice_id, moment)
        return rows.row_count(status) == 1

    async def cast_ballots(self, ballots: Sequence[NewBallot]) -> list[bool]:
        """Record a batch of ballots in one transaction (one commit), in order.

        Each result is what `cast_ballot` would have returned for that ballot at that point;
        a later ballot of the same member in the batch replaces an earlier one. One round
        trip whatever the batch's size: a single statement locks the batch's open votes,
        writes every accepted ballot and returns what the votes offer, and commits on its
        own (all of it or, on any error or a lost connection, none of it).
        """
        if not ballots:
            return []
        async with self._connection() as db:
            found = await db.fetch(
                CAST_BALLOTS,
                sorted({b.decision_id for b in ballots}),
                [b.decision_id for b in ballots],
                [b.member_id for b in ballots],
                [b.choice_id for b in ballots],
                [to_us(b.cast_at) for b in ballots],
            )
        offered = {r["id"]: frozenset(json.loads(r["choices"])) for r in found}
        results = [b.choice_id in offered.get(b.decision_id, ()) for b in ballots]
        pairs = zip(ballots, results, strict=True)
        accepted = {(b.decision_id, b.member_id) for b, ok in pairs if ok}
        written = int(found[0]["written"]) if found else 0
        if written != len(accepted):  # the votes were locked by the statement: cannot
            raise StoreError(f"wrote {written} of {len(accepted)} ballots")
        return results

    async def ballots_in(self, decision_ids: Collection[int]) -> dict[int, dict[int, str]]:
        """Every current ballot of some decisions: decision -> member -> choice id."""
        found: dict[int, dict[int, str]] = {decision_id: {} for decision_id in decision_ids}
        if not found:
            return found
        async with self._connection() as db:
            for row in await db.fetch(
                "SELECT decision_id, member_id, choice_id FROM ballots "
                "WHERE decision_id = ANY($1::bigint[])",
                sorted(found),
            ):
                found[row["decision_id"]][row["member_id"]] = row["choice_id"]
        return found

    async def tally(self, decision_id: int) -> dict[str, int]:
        """Ballots per offered choice, in button order, zeros included ({} if unknown)."""
        async with self._connection() as db:
            return await tally_in(db, decision_id)

    async def tallies(self, decisions: Collection[Decision]) -> dict[int, dict[str, int]]:
        """Ballots per offered choice of many votes in one query, in button order with
        zeros (what `tally` gives for each)."""
        found = {d.id: dict.fromkeys(d.choices, 0) for d in decisions}
        if not found:
            return found
        async with self._connection() as db:
            counted = await db.fetch(COUNTS_IN, sorted(found))
        for row in counted:
            if row["choice_id"] in found[row["decision_id"]]:
                found[row["decision_id"]][row["choice_id"]] = int(row["n"])
        return found

    async def ballot_of(self, decision_id: int, member_id: int) -> Ballot | None:
        """One member's current ballot in a decision (to tell them what they chose), or None."""
        async with self._connection() as db:
            row = await db.fetchrow(BALLOT_OF, decision_id, member_id)
        return None if row is None else rows.ballot(row)
