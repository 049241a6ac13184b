"""The ballots table: one ballot per member and vote, and the tallies read from it."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime

from bot.domain import (
    Ballot,
    Decision,
    NewBallot,
)
from bot.store.errors import (
    StoreError,
)
from bot.store.sqlite.base import SqliteBase
from bot.store.sqlite.connection import GuardedConnection
from bot.store.sqlite.statements import (
    BALLOT_OF,
    BALLOTS_IN,
    CAST_BALLOT,
    COUNTS_IN,
    OPEN_CHOICES_OF,
    TALLY,
)
from bot.store.times import from_us, to_us


async def tally_of(db: GuardedConnection, decision_id: int) -> dict[str, int]:
    """`tally` on a connection the caller already holds (inside a close's transaction)."""
    rows = await db.execute_fetchall(TALLY, {"decision_id": decision_id})
    return {r["choice_id"]: r["n"] for r in rows}


class BallotTables(SqliteBase):
    """`ballots` (part of SqliteStore)."""

    async def cast_ballot(
        self, decision_id: int, member_id: int, choice_id: str, cast_at: datetime
    ) -> bool:
        """Record (or replace) a member's ballot; True only once it is committed.

        False, with nothing written, when the decision is closed or unknown or does not
        offer `choice_id`: the check is part of the INSERT, so a ballot cannot slip in after
        a close. The latest call wins. The campaign's status is not checked here: whether a
        paused or waiting vote takes ballots is the rules layer's call.
        """
        params = {
            "decision_id": decision_id,
            "member_id": member_id,
            "choice_id": choice_id,
            "cast_at": to_us(cast_at),
        }
        async with self._lock:
            cursor = await self._db.execute(CAST_BALLOT, params)
            return cursor.rowcount == 1

    async def cast_ballots(self, ballots: Sequence[NewBallot]) -> list[bool]:
        """Record a batch of ballots in one transaction (one commit), in order.

        Each result is what `cast_ballot` would have returned for that ballot at that point;
        a later ballot of the same member in the batch replaces an earlier one.

        Why it looks this way: each statement sent through aiosqlite costs a round trip to
        its thread, so the batch takes four whatever its size (BEGIN, which of its votes are
        open and what they offer, every accepted ballot in one `executemany` of the same
        conditional INSERT, COMMIT). Inside the IMMEDIATE transaction nothing else can close
        a vote, so the open check and the INSERT agree; the INSERT still checks on its own.
        """
        results: list[bool] = []
        if not ballots:
            return results
        async with self._write() as db:
            ids = json.dumps(sorted({ballot.decision_id for ballot in ballots}))
            rows = await db.execute_fetchall(OPEN_CHOICES_OF, {"ids": ids})
            offered = {r[0]: frozenset(json.loads(r[1])) for r in rows if r[1] is not None}
            accepted = []
            for ballot in ballots:
                ok = ballot.choice_id in offered.get(ballot.decision_id, ())
                results.append(ok)
                if ok:
                    accepted.append(
                        {
                            "decision_id": ballot.decision_id,
                            "member_id": ballot.member_id,
                            "choice_id": ballot.choice_id,
                            "cast_at": to_us(ballot.cast_at),
                        }
                    )
            if accepted:
                cursor = await db.executemany(CAST_BALLOT, accepted)
                if cursor.rowcount != len(accepted):  # cannot happen inside the transaction
                    raise StoreError(
                        f"wrote {cursor.rowcount} of {len(accepted)} ballots; rolled back"
                    )
        return results

    async def ballots_in(self, decision_ids: Collection[int]) -> dict[int, dict[int, str]]:
        """Every current ballot of some decisions: decision -> member -> choice id.

        Read to rebuild the in-memory counts of open votes after a restart (one query for
        all of them, each decision found by its key).
        """
        found: dict[int, dict[int, str]] = {decision_id: {} for decision_id in decision_ids}
        if not found:
            return found
        rows = await self._fetchall(BALLOTS_IN, {"ids": json.dumps(sorted(found))})
        for decision_id, member_id, choice_id in rows:
            found[decision_id][member_id] = choice_id
        return found

    async def tally(self, decision_id: int) -> dict[str, int]:
        """Ballots per offered choice, in button order, zeros included ({} if unknown)."""
        async with self._lock:
            return await tally_of(self._db, decision_id)

    async def tallies(self, decisions: Collection[Decision]) -> dict[int, dict[str, int]]:
        """Ballots per offered choice of many votes in one query, in button order with
        zeros (what `tally` gives for each)."""
        found = {d.id: dict.fromkeys(d.choices, 0) for d in decisions}
        if not found:
            return found
        for decision_id, choice_id, n in await self._fetchall(
            COUNTS_IN, {"ids": json.dumps(sorted(found))}
        ):
            if choice_id in found[decision_id]:
                found[decision_id][choice_id] = n
        return found

    async def ballot_of(self, decision_id: int, member_id: int) -> Ballot | None:
        """One member's current ballot in a decision (to tell them what they chose), or None."""
        row = await self._fetchone(BALLOT_OF, {"decision_id": decision_id, "member_id": member_id})
        if row is None:
            return None
        return Ballot(row[0], row[1], row[2], from_us(row[3]))
