"""Closing votes exactly once: one at a time (timer, skip, decide) or in a batch at start."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.domain import (
    CampaignStatus,
    CloseHow,
    Decision,
    NewAudit,
    NewClose,
    NewDecision,
)
from bot.store.checks import check_close
from bot.store.errors import (
    AlreadyClosed,
    NotFound,
    StoreError,
    TallyChanged,
)
from bot.store.sqlite.ballots import tally_of
from bot.store.sqlite.base import SqliteBase
from bot.store.sqlite.connection import GuardedConnection
from bot.store.sqlite.crews import count_crew_choices
from bot.store.sqlite.decisions import insert_decision
from bot.store.sqlite.mappers import (
    decision_from_row,
    decision_params,
    optional_us,
)
from bot.store.sqlite.statements import (
    CLOSE_DECISION,
    COUNTS_IN,
    GET_DECISION,
    INSERT_AUDIT,
    INSERT_DECISION,
    OPEN_IN,
    OPEN_OF,
    UPDATE_CAMPAIGN_AFTER_CLOSE,
)
from bot.store.times import to_us


async def guild_of(db: GuardedConnection, campaign_id: int) -> int:
    """The guild a campaign runs in (for the audit row a close writes)."""
    rows = list(
        await db.execute_fetchall(
            "SELECT guild_id FROM campaigns WHERE id = :id", {"id": campaign_id}
        )
    )
    return int(rows[0][0])


class CloseTables(SqliteBase):
    """Closing `decisions`, and what moves on in the same transaction (part of SqliteStore)."""

    async def close_decision(
        self,
        decision_id: int,
        *,
        closed_at: datetime,
        outcome: str | None,
        how: CloseHow | str,
        campaign_state_json: str,
        campaign_status: CampaignStatus | str,
        status_reason: str | None = None,
        ended_at: datetime | None = None,
        next_decision: NewDecision | None = None,
        audit: NewAudit | None = None,
        expect_tally: Mapping[str, int] | None = None,
        view_json: str | None = None,
    ) -> Decision | None:
        """Close a vote exactly once and move the campaign on, in ONE transaction.

        The first caller (timer, skip, decide, end, in this process or another, before or
        after a restart) wins: `UPDATE ... WHERE closed_at IS NULL` must change one row, or
        AlreadyClosed is raised and nothing is written. In the same transaction the
        campaign gets its new state, status and `status_reason`, the next vote (if any) is
        opened, and `audit` (a moderator's skip or decide) is logged.

        `expect_tally`, when given, is the tally the caller computed its outcome from; if a
        ballot landed since, TallyChanged is raised (nothing written) so the caller recounts.
        `view_json`, when given, marks the close not yet shown (see `unshown_closes`) and
        keeps what it did, for whoever shows it.
        Returns the next decision, or None when there is none. NotFound for an unknown id;
        ValueError when `outcome` is not one of the offered choices.
        """
        how = CloseHow(how)
        status = CampaignStatus(campaign_status)
        check_close(how, outcome, status, ended_at, next_decision)
        async with self._write() as db:
            cursor = await db.execute(
                CLOSE_DECISION,
                {
                    "closed_at": to_us(closed_at),
                    "outcome": outcome,
                    "how": how.value,
                    "id": decision_id,
                    "shown": int(view_json is None),
                    "view": view_json,
                },
            )
            rows = list(await db.execute_fetchall(GET_DECISION, {"id": decision_id}))
            if not rows:
                raise NotFound(f"no decision {decision_id}")
            if cursor.rowcount != 1:
                raise AlreadyClosed(decision_id)
            closed = decision_from_row(rows[0])
            if outcome is not None and outcome not in closed.choices:
                raise ValueError(f"{outcome!r} is not offered by decision {decision_id}")
            if expect_tally is not None:
                tally = await tally_of(db, decision_id)
                if tally != dict(expect_tally):
                    raise TallyChanged(decision_id, tally)
            await db.execute(
                UPDATE_CAMPAIGN_AFTER_CLOSE,
                {
                    "state": campaign_state_json,
                    "s": status.value,
                    "r": status_reason,
                    "e": optional_us(ended_at),
                    "id": closed.campaign_id,
                },
            )
            if outcome is not None and how is not CloseHow.NO_QUORUM:
                await count_crew_choices(db, [(closed.campaign_id, closed.scene_id, outcome)])
            following = None
            if next_decision is not None:
                following = await insert_decision(
                    db, closed.campaign_id, closed.seq + 1, next_decision
                )
            if audit is not None:
                await db.execute(
                    INSERT_AUDIT,
                    {
                        "guild_id": (await guild_of(db, closed.campaign_id)),
                        "campaign_id": closed.campaign_id,
                        "actor_id": audit.actor_id,
                        "action": audit.action,
                        "detail": audit.detail,
                        "at": to_us(audit.at),
                    },
                )
        return following

    async def close_decisions(self, closes: Sequence[NewClose]) -> dict[int, Decision | None]:
        """Close many votes in ONE transaction (the overdue votes at start), each exactly
        once as `close_decision` would, with no audit row (the timer closes them).

        Returns, for each vote it closed, its next decision (None when there is none). A vote
        already closed, or whose tally is no longer its `expect_tally`, is left out with
        nothing written for it: the caller closes it on its own. The batch costs a handful
        of round trips whatever its size (reads by key over the batch's ids, then one
        `executemany` per statement), which is what makes 10,000 closes take well under 2 s.
        """
        for close in closes:
            check_close(
                close.how, close.outcome, close.campaign_status, close.ended_at, close.next_decision
            )
        if not closes:
            return {}
        async with self._write() as db:
            ids = json.dumps(sorted({close.decision_id for close in closes}))
            rows = await db.execute_fetchall(OPEN_OF, {"ids": ids})
            found = {r[0]: (r[1], r[2], tuple(json.loads(r[3]))) for r in rows}
            scenes = {r[0]: r[4] for r in rows}
            tallies: dict[int, dict[str, int]] = {
                d: dict.fromkeys(choices, 0) for d, (_, _, choices) in found.items()
            }
            for decision_id, choice_id, n in await db.execute_fetchall(COUNTS_IN, {"ids": ids}):
                if choice_id in tallies.get(decision_id, {}):
                    tallies[decision_id][choice_id] = n
            keep = [
                close
                for close in closes
                if close.decision_id in found
                and tallies[close.decision_id] == dict(close.expect_tally)
                and (close.outcome is None or close.outcome in found[close.decision_id][2])
            ]
            if not keep:
                return {}
            cursor = await db.executemany(
                CLOSE_DECISION,
                [
                    {
                        "closed_at": to_us(c.closed_at),
                        "outcome": c.outcome,
                        "how": c.how.value,
                        "id": c.decision_id,
                        "shown": int(c.view_json is None),
                        "view": c.view_json,
                    }
                    for c in keep
                ],
            )
            if cursor.rowcount != len(keep):  # cannot happen inside the transaction
                raise StoreError(f"closed {cursor.rowcount} of {len(keep)} votes; rolled back")
            await db.executemany(
                UPDATE_CAMPAIGN_AFTER_CLOSE,
                [
                    {
                        "state": c.campaign_state_json,
                        "s": c.campaign_status.value,
                        "r": c.status_reason,
                        "e": optional_us(c.ended_at),
                        "id": found[c.decision_id][0],
                    }
                    for c in keep
                ],
            )
            opening = [c for c in keep if c.next_decision is not None]
            await db.executemany(
                INSERT_DECISION,
                [
                    decision_params(
                        found[c.decision_id][0], found[c.decision_id][1] + 1, c.next_decision
                    )
                    for c in opening
                    if c.next_decision is not None
                ],
            )
            await count_crew_choices(
                db,
                [
                    (found[c.decision_id][0], scenes[c.decision_id], c.outcome)
                    for c in keep
                    if c.outcome is not None and c.how is not CloseHow.NO_QUORUM
                ],
            )
            campaigns = json.dumps(sorted(found[c.decision_id][0] for c in opening))
            opened = {
                row["campaign_id"]: decision_from_row(row)
                for row in await db.execute_fetchall(OPEN_IN, {"ids": campaigns})
            }
        return {c.decision_id: opened.get(found[c.decision_id][0]) for c in keep}
