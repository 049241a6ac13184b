"""Closing votes on PostgreSQL, each at most once, and the counts of how crews chose.

A close is `UPDATE decisions ... WHERE id = $n AND closed_at IS NULL RETURNING ...` inside a
transaction: any number of processes may race, and PostgreSQL's row lock makes every one but
the first find the row closed (no row returned: AlreadyClosed, nothing written). The same
transaction moves the campaign on, opens the next vote, counts the crews' choice and writes
the audit row.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

import asyncpg

from bot.domain import (
    CampaignStatus,
    CloseHow,
    CrewChoices,
    Decision,
    NewAudit,
    NewClose,
    NewDecision,
)
from bot.store.checks import check_close
from bot.store.errors import AlreadyClosed, NotFound, StoreError, TallyChanged
from bot.store.postgres import rows
from bot.store.postgres.ballots import COUNTS_IN, tally_in
from bot.store.postgres.base import PostgresBase
from bot.store.postgres.campaigns import insert_decision
from bot.store.postgres.guilds import INSERT_AUDIT
from bot.store.times import to_us

CLOSE_DECISION = f"""
UPDATE decisions SET closed_at = $1, outcome = $2, how = $3, remaining_us = NULL,
       close_shown = $4, close_view = $5
 WHERE id = $6 AND closed_at IS NULL
RETURNING {rows.DECISION_COLUMNS}
"""

UPDATE_CAMPAIGN = (
    "UPDATE campaigns SET state_json = $1, status = $2, status_reason = $3, ended_at = $4 "
    "WHERE id = $5 RETURNING guild_id"
)

# The batch close: lock the batch's open votes in id order, then one statement per table.
OPEN_OF = """
SELECT id, campaign_id, seq, choices, scene_id FROM decisions
 WHERE id = ANY($1::bigint[]) AND closed_at IS NULL
 ORDER BY id
   FOR UPDATE
"""

CLOSE_MANY = """
UPDATE decisions AS d
   SET closed_at = u.closed_at, outcome = u.outcome, how = u.how, remaining_us = NULL,
       close_shown = u.shown, close_view = u.view::json
  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::text[])
       AS u (id, closed_at, outcome, how, shown, view)
 WHERE d.id = u.id AND d.closed_at IS NULL
RETURNING d.id
"""

UPDATE_CAMPAIGNS = """
UPDATE campaigns AS c
   SET state_json = u.state::json, status = u.status, status_reason = u.reason,
       ended_at = u.ended_at
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
       AS u (id, state, status, reason, ended_at)
 WHERE c.id = u.id
"""

OPEN_MANY = f"""
INSERT INTO decisions (campaign_id, seq, scene_id, choices, opened_at, deadline, remaining_us)
SELECT n.campaign_id, n.seq, n.scene_id, n.choices::json, n.opened_at, n.deadline, n.remaining
  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
              $7::bigint[])
       AS n (campaign_id, seq, scene_id, choices, opened_at, deadline, remaining)
RETURNING {rows.DECISION_COLUMNS}
"""

CAMPAIGN_SHARING = """
SELECT c.id, c.story_id, c.guild_id, coalesce(s.share_choices, true) AS sharing
  FROM campaigns AS c LEFT JOIN guild_settings AS s ON s.guild_id = c.guild_id
 WHERE c.id = ANY($1::bigint[])
"""

# A server counts once per decision: whichever close inserts its crew_servers row first
# counts it, even when two processes close votes of the same server at once.
NEW_CREW_SERVERS = """
INSERT INTO crew_servers (story_id, scene_id, guild_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
ON CONFLICT DO NOTHING
RETURNING story_id, scene_id
"""

COUNT_CREW_CHOICES = """
INSERT INTO crew_choices (story_id, scene_id, choice_id, crews)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
ON CONFLICT (story_id, scene_id, choice_id)
DO UPDATE SET crews = crew_choices.crews + excluded.crews
"""

COUNT_CREW_SERVERS = """
INSERT INTO crew_reach (story_id, scene_id, servers)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
ON CONFLICT (story_id, scene_id) DO UPDATE SET servers = crew_reach.servers + excluded.servers
"""

CREW_REACH = (
    "SELECT scene_id, servers FROM crew_reach WHERE story_id = $1 AND scene_id = ANY($2::text[])"
)
CREW_COUNTS = (
    "SELECT scene_id, choice_id, crews FROM crew_choices "
    "WHERE story_id = $1 AND scene_id = ANY($2::text[])"
)


async def count_crew_choices(
    db: asyncpg.Connection, closes: Sequence[tuple[int, str, str]]
) -> None:
    """Add closed votes' outcomes, (campaign id, scene id, choice id) each, to the counts of
    how crews chose, leaving out servers that do not share; inside the closing transaction,
    in a handful of statements however many votes it closed (keys in sorted order, so two
    transactions never wait on each other in a circle)."""
    if not closes:
        return
    found = await db.fetch(CAMPAIGN_SHARING, sorted({campaign_id for campaign_id, _, _ in closes}))
    campaigns = {r["id"]: (r["story_id"], r["guild_id"]) for r in found if r["sharing"]}
    choices: Counter[tuple[str, str, str]] = Counter()
    reached: set[tuple[str, str, int]] = set()
    for campaign_id, scene_id, choice_id in closes:
        if campaign_id in campaigns:
            story_id, guild_id = campaigns[campaign_id]
            choices[story_id, scene_id, choice_id] += 1
            reached.add((story_id, scene_id, guild_id))
    if not choices:
        return
    keys = sorted(reached)
    new = await db.fetch(NEW_CREW_SERVERS, *map(list, zip(*keys, strict=True)))
    counted = sorted(choices.items())
    await db.execute(
        COUNT_CREW_CHOICES,
        [story for (story, _, _), _ in counted],
        [scene for (_, scene, _), _ in counted],
        [choice for (_, _, choice), _ in counted],
        [n for _, n in counted],
    )
    servers = sorted(Counter((r["story_id"], r["scene_id"]) for r in new).items())
    if servers:
        await db.execute(
            COUNT_CREW_SERVERS,
            [story for (story, _), _ in servers],
            [scene for (_, scene), _ in servers],
            [n for _, n in servers],
        )


class Closing(PostgresBase):
    """Closing votes (one or a batch) and reading how the crews chose."""

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

        The first caller wins; every other gets AlreadyClosed and nothing is written.
        `expect_tally`: the tally the caller decided from; TallyChanged if a ballot landed
        since. `view_json` marks the close not yet shown. Returns the next decision, or None.
        NotFound for an unknown id; ValueError when `outcome` is not offered.
        """
        how = CloseHow(how)
        status = CampaignStatus(campaign_status)
        check_close(how, outcome, status, ended_at, next_decision)
        async with self._write() as db:
            row = await db.fetchrow(
                CLOSE_DECISION,
                to_us(closed_at),
                outcome,
                how.value,
                view_json is None,
                view_json,
                decision_id,
            )
            if row is None:
                if await db.fetchval("SELECT id FROM decisions WHERE id = $1", decision_id):
                    raise AlreadyClosed(decision_id)
                raise NotFound(f"no decision {decision_id}")
            closed = rows.decision(row)
            if outcome is not None and outcome not in closed.choices:
                raise ValueError(f"{outcome!r} is not offered by decision {decision_id}")
            if expect_tally is not None:
                tally = await tally_in(db, decision_id)
                if tally != dict(expect_tally):
                    raise TallyChanged(decision_id, tally)
            guild_id = await db.fetchval(
                UPDATE_CAMPAIGN,
                campaign_state_json,
                status.value,
                status_reason,
                rows.optional_us(ended_at),
                closed.campaign_id,
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
                    guild_id,
                    closed.campaign_id,
                    audit.actor_id,
                    audit.action,
                    audit.detail,
                    to_us(audit.at),
                )
        return following

    async def close_decisions(self, closes: Sequence[NewClose]) -> dict[int, Decision | None]:
        """Close many votes in ONE transaction (the overdue votes at start), each at most
        once as `close_decision` would, with no audit row.

        Returns, for each vote it closed, its next decision (None when there is none). A vote
        already closed, or whose tally is no longer its `expect_tally`, is left out with
        nothing written for it. A handful of statements whatever the batch's size.
        """
        for close in closes:
            check_close(
                close.how,
                close.outcome,
                close.campaign_status,
                close.ended_at,
                close.next_decision,
            )
        if not closes:
            return {}
        async with self._write() as db:
            ids = sorted({close.decision_id for close in closes})
            locked = await db.fetch(OPEN_OF, ids)
            found = {
                r["id"]: (r["campaign_id"], r["seq"], tuple(json.loads(r["choices"])))
                for r in locked
            }
            scenes = {r["id"]: r["scene_id"] for r in locked}
            tallies = {d: dict.fromkeys(choices, 0) for d, (_, _, choices) in found.items()}
            for row in await db.fetch(COUNTS_IN, ids):
                if row["choice_id"] in tallies.get(row["decision_id"], {}):
                    tallies[row["decision_id"]][row["choice_id"]] = int(row["n"])
            keep = [
                c
                for c in closes
                if c.decision_id in found
                and tallies[c.decision_id] == dict(c.expect_tally)
                and (c.outcome is None or c.outcome in found[c.decision_id][2])
            ]
            if not keep:
                return {}
            changed = await db.fetch(
                CLOSE_MANY,
                [c.decision_id for c in keep],
                [to_us(c.closed_at) for c in keep],
                [c.outcome for c in keep],
                [c.how.value for c in keep],
                [c.view_json is None for c in keep],
                [c.view_json for c in keep],
            )
            if len(changed) != len(keep):  # the rows are locked: cannot happen
                raise StoreError(f"closed {len(changed)} of {len(keep)} votes; rolled back")
            await db.execute(
                UPDATE_CAMPAIGNS,
                [found[c.decision_id][0] for c in keep],
                [c.campaign_state_json for c in keep],
                [c.campaign_status.value for c in keep],
                [c.status_reason for c in keep],
                [rows.optional_us(c.ended_at) for c in keep],
            )
            await count_crew_choices(
                db,
                [
                    (found[c.decision_id][0], scenes[c.decision_id], c.outcome)
                    for c in keep
                    if c.outcome is not None and c.how is not CloseHow.NO_QUORUM
                ],
            )
            opening = [
                rows.decision_values(
                    found[c.decision_id][0], found[c.decision_id][1] + 1, c.next_decision
                )
                for c in keep
                if c.next_decision is not None
            ]
            opened: dict[int, Decision] = {}
            if opening:
                for row in await db.fetch(OPEN_MANY, *map(list, zip(*opening, strict=True))):
                    opened[row["campaign_id"]] = rows.decision(row)
        return {c.decision_id: opened.get(found[c.decision_id][0]) for c in keep}

    async def crew_choices(
        self, story_id: str, scene_ids: Collection[str]
    ) -> dict[str, CrewChoices]:
        """How the crews of every sharing server chose at these decisions of a story, by
        scene id (scenes no sharing server has decided are left out)."""
        wanted = sorted(set(scene_ids))
        async with self._snapshot() as db:
            reach = await db.fetch(CREW_REACH, story_id, wanted)
            counts = await db.fetch(CREW_COUNTS, story_id, wanted)
        crews: dict[str, dict[str, int]] = {}
        for row in counts:
            crews.setdefault(row["scene_id"], {})[row["choice_id"]] = int(row["crews"])
        return {
            row["scene_id"]: CrewChoices(
                int(row["servers"]), MappingProxyType(crews.get(row["scene_id"], {}))
            )
            for row in reach
        }
