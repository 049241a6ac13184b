"""The repository: every SQL statement of the bot, behind one aiosqlite connection."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Collection, Generator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Self

import aiosqlite

from bot.domain import (
    OUTCOMELESS,
    AuditEntry,
    Ballot,
    Campaign,
    CampaignStatus,
    CloseHow,
    CrewChoices,
    Decision,
    GuildSettings,
    NewAudit,
    NewBallot,
    NewClose,
    NewDecision,
    OpenDeadline,
    Shards,
    TieBreak,
)
from bot.store._guard import GuardedConnection
from bot.store._migrate import load_migrations, migrate
from bot.store._records import (
    AlreadyClosed,
    CampaignEnded,
    ChannelBusy,
    GuildFull,
    NotFound,
    SchemaError,
    StoreError,
    TallyChanged,
    duration_us,
    from_us,
    to_us,
)

SYNCHRONOUS_MODES = frozenset({"FULL", "NORMAL", "EXTRA"})
BUSY_TIMEOUT_MS = 5000
MIN_SQLITE = (3, 37, 0)  # STRICT tables

_CAMPAIGN_COLUMNS = (
    "id, guild_id, channel_id, story_id, story_hash, status, status_reason, state_json, seed, "
    "started_at, ended_at"
)
_DECISION_COLUMNS = (
    "id, campaign_id, seq, scene_id, choices, message_id, opened_at, deadline, remaining_us, "
    "extended, closed_at, outcome, how"
)
_SETTING_NAMES = tuple(f.name for f in fields(GuildSettings) if f.name != "guild_id")

# --- the click path: a button press runs these (EXPLAIN QUERY PLAN is tested) ---------------

GET_DECISION = f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE id = :id"

# Conditional upsert: no row is written unless the decision is open and offers the choice.
# The WHERE clause also settles SQLite's INSERT ... SELECT ... ON CONFLICT parsing ambiguity.
CAST_BALLOT = """
INSERT INTO ballots (decision_id, member_id, choice_id, cast_at)
SELECT d.id, :member_id, :choice_id, :cast_at
  FROM decisions AS d
 WHERE d.id = :decision_id
   AND d.closed_at IS NULL
   AND EXISTS (SELECT 1 FROM json_each(d.choices) AS c WHERE c.value = :choice_id)
ON CONFLICT (decision_id, member_id)
DO UPDATE SET choice_id = excluded.choice_id, cast_at = excluded.cast_at
"""

BALLOT_OF = """
SELECT decision_id, member_id, choice_id, cast_at
  FROM ballots WHERE decision_id = :decision_id AND member_id = :member_id
"""

# Every offered choice in button order, with its count (0 when nobody chose it).
TALLY = """
SELECT c.value AS choice_id, coalesce(t.n, 0) AS n
  FROM decisions AS d
  JOIN json_each(d.choices) AS c
  LEFT JOIN (SELECT choice_id, count(*) AS n FROM ballots
              WHERE decision_id = :decision_id GROUP BY choice_id) AS t
         ON t.choice_id = c.value
 WHERE d.id = :decision_id
 ORDER BY c.key
"""

OPEN_DECISION_FOR = (
    f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE campaign_id = :campaign_id "
    "AND closed_at IS NULL"
)

ACTIVE_CAMPAIGN_IN_CHANNEL = (
    f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE channel_id = :channel_id "
    "AND status <> 'ended'"
)

GET_CAMPAIGN = f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = :id"

# Whether campaign `c` is in a guild on this process's shards: `:shards` lists them as
# ",0,3," (NULL: every shard), `:shard_count` is how many there are (Discord's rule).
ON_MY_SHARDS = (
    "(:shards IS NULL OR instr(:shards, ',' || ((c.guild_id >> 22) % :shard_count) || ',') > 0)"
)

# CROSS JOIN fixes the loop order (SQLite honours it): walk the open-deadline index, then
# look each campaign up by id, whatever the statistics say about the tables' sizes.
OPEN_DEADLINES = f"""
SELECT d.id, d.deadline
  FROM decisions AS d CROSS JOIN campaigns AS c ON c.id = d.campaign_id
 WHERE d.closed_at IS NULL AND d.deadline IS NOT NULL AND d.deadline <= :due_by
   AND c.status = 'running' AND {ON_MY_SHARDS}
 ORDER BY d.deadline, d.id
"""

CLOSE_DECISION = """
UPDATE decisions SET closed_at = :closed_at, outcome = :outcome, how = :how, remaining_us = NULL,
       close_shown = :shown, close_view = :view
 WHERE id = :id AND closed_at IS NULL
"""

# The group commit (bot/campaign/ballots.py) runs these once per batch of ballots: walk the
# batch's decision ids and look each decision (or its ballots) up by key. The scalar subquery
# and the CROSS JOIN fix that order whatever the statistics say about small tables.
OPEN_CHOICES_OF = """
SELECT j.value AS id,
       (SELECT d.choices FROM decisions AS d WHERE d.id = j.value AND d.closed_at IS NULL)
           AS choices
  FROM json_each(:ids) AS j
"""

BALLOTS_IN = """
SELECT b.decision_id, b.member_id, b.choice_id
  FROM json_each(:ids) AS j CROSS JOIN ballots AS b ON b.decision_id = j.value
"""

# The batch close at start (`close_decisions`): the batch's open votes, their ballot counts
# and the votes it opened, each walked from the batch's ids and found by key.
OPEN_OF = """
SELECT d.id, d.campaign_id, d.seq, d.choices, d.scene_id
  FROM json_each(:ids) AS j CROSS JOIN decisions AS d ON d.id = j.value
 WHERE d.closed_at IS NULL
"""

COUNTS_IN = """
SELECT b.decision_id, b.choice_id, count(*) AS n
  FROM json_each(:ids) AS j CROSS JOIN ballots AS b ON b.decision_id = j.value
 GROUP BY b.decision_id, b.choice_id
"""

OPEN_IN = f"""
SELECT {", ".join("d." + c.strip() for c in _DECISION_COLUMNS.split(","))}
  FROM json_each(:ids) AS j CROSS JOIN decisions AS d ON d.campaign_id = j.value
 WHERE d.closed_at IS NULL
"""

# The overdue votes at start, read in bulk: each vote found by key from the batch's ids,
# then its campaign by key (the campaign's columns prefixed with c_).
VOTES_WITH_CAMPAIGNS = f"""
SELECT {", ".join("d." + c.strip() for c in _DECISION_COLUMNS.split(","))},
       {", ".join(f"c.{c.strip()} AS c_{c.strip()}" for c in _CAMPAIGN_COLUMNS.split(","))}
  FROM json_each(:ids) AS j
       CROSS JOIN decisions AS d ON d.id = j.value
       CROSS JOIN campaigns AS c ON c.id = d.campaign_id
 WHERE d.closed_at IS NULL
"""

CAMPAIGN_SHARING = """
SELECT c.id, c.story_id, c.guild_id, COALESCE(s.share_choices, 1) AS sharing
  FROM json_each(:ids) AS j CROSS JOIN campaigns AS c ON c.id = j.value
  LEFT JOIN guild_settings AS s ON s.guild_id = c.guild_id
"""

KNOWN_CREW_SERVERS = """
SELECT k.value ->> 0 AS story_id, k.value ->> 1 AS scene_id, k.value ->> 2 AS guild_id
  FROM json_each(:keys) AS k CROSS JOIN crew_servers AS s
    ON s.story_id = k.value ->> 0 AND s.scene_id = k.value ->> 1 AND s.guild_id = k.value ->> 2
"""

COUNT_CREW_CHOICE = """
INSERT INTO crew_choices (story_id, scene_id, choice_id, crews)
VALUES (:story, :scene, :choice, :n)
ON CONFLICT DO UPDATE SET crews = crews + excluded.crews
"""

COUNT_CREW_SERVER = """
INSERT INTO crew_reach (story_id, scene_id, servers) VALUES (:story, :scene, :n)
ON CONFLICT DO UPDATE SET servers = servers + excluded.servers
"""

CREW_REACH = """
SELECT scene_id, servers FROM crew_reach
WHERE story_id = :story AND scene_id IN (SELECT value FROM json_each(:scenes))
"""

CREW_COUNTS = """
SELECT scene_id, choice_id, crews FROM crew_choices
WHERE story_id = :story AND scene_id IN (SELECT value FROM json_each(:scenes))
"""

#: The statements the batched ballot writer runs, by name (their plans are tested too).
BATCH_QUERIES: Mapping[str, str] = MappingProxyType(
    {"open_choices_of": OPEN_CHOICES_OF, "ballots_in": BALLOTS_IN}
)

#: The statements a click or the timer runs, by name; tests read their query plans.
HOT_QUERIES: Mapping[str, str] = MappingProxyType(
    {
        "get_decision": GET_DECISION,
        "cast_ballot": CAST_BALLOT,
        "ballot_of": BALLOT_OF,
        "tally": TALLY,
        "open_decision_for": OPEN_DECISION_FOR,
        "active_campaign_in_channel": ACTIVE_CAMPAIGN_IN_CHANNEL,
        "get_campaign": GET_CAMPAIGN,
        "open_deadlines": OPEN_DEADLINES,
        "close_decision": CLOSE_DECISION,
        "campaign_sharing": CAMPAIGN_SHARING,
        "known_crew_servers": KNOWN_CREW_SERVERS,
        "count_crew_choice": COUNT_CREW_CHOICE,
        "count_crew_server": COUNT_CREW_SERVER,
        "crew_reach": CREW_REACH,
        "crew_counts": CREW_COUNTS,
    }
)

# --- the rest ----------------------------------------------------------------------------------

INSERT_DECISION = """
INSERT INTO decisions (campaign_id, seq, scene_id, choices, opened_at, deadline, remaining_us)
VALUES (:campaign_id, :seq, :scene_id, :choices, :opened_at, :deadline, :remaining_us)
"""

INSERT_AUDIT = """
INSERT INTO audit_log (guild_id, campaign_id, actor_id, action, detail, at)
VALUES (:guild_id, :campaign_id, :actor_id, :action, :detail, :at)
"""


class _Prefixed:
    """A row's columns named with a prefix, read as if the prefix were not there (a
    campaign's columns in a joined row)."""

    def __init__(self, row: sqlite3.Row, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getitem__(self, name: str) -> Any:
        return self._row[self._prefix + name]


def _campaign(row: sqlite3.Row | _Prefixed) -> Campaign:
    return Campaign(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        story_id=row["story_id"],
        story_hash=row["story_hash"],
        status=CampaignStatus(row["status"]),
        status_reason=row["status_reason"],
        state_json=row["state_json"],
        seed=row["seed"],
        started_at=from_us(row["started_at"]),
        ended_at=None if row["ended_at"] is None else from_us(row["ended_at"]),
    )


def _decision(row: sqlite3.Row) -> Decision:
    return Decision(
        id=row["id"],
        campaign_id=row["campaign_id"],
        seq=row["seq"],
        scene_id=row["scene_id"],
        choices=tuple(json.loads(row["choices"])),
        message_id=row["message_id"],
        opened_at=from_us(row["opened_at"]),
        deadline=None if row["deadline"] is None else from_us(row["deadline"]),
        remaining=(
            None if row["remaining_us"] is None else timedelta(microseconds=row["remaining_us"])
        ),
        extended=bool(row["extended"]),
        closed_at=None if row["closed_at"] is None else from_us(row["closed_at"]),
        outcome=row["outcome"],
        how=None if row["how"] is None else CloseHow(row["how"]),
    )


def _audit(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        campaign_id=row["campaign_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        detail=row["detail"],
        at=from_us(row["at"]),
    )


def _optional_us(moment: datetime | None) -> int | None:
    return None if moment is None else to_us(moment)


def _decision_params(campaign_id: int, seq: int, new: NewDecision) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "seq": seq,
        "scene_id": new.scene_id,
        "choices": json.dumps(list(new.choices)),
        "opened_at": to_us(new.opened_at),
        "deadline": _optional_us(new.deadline),
        "remaining_us": None if new.remaining is None else duration_us(new.remaining),
    }


def _before(moment: datetime | None) -> int:
    return to_us(moment) if moment is not None else 2**63 - 1


def _shard_params(shards: Shards | None) -> dict[str, Any]:
    if shards is None:
        return {"shards": None, "shard_count": 1}
    listed = "," + ",".join(map(str, sorted(shards.ids))) + ","
    return {"shards": listed, "shard_count": shards.count}


def _check_ending(status: CampaignStatus, ended_at: datetime | None) -> None:
    if (status is CampaignStatus.ENDED) != (ended_at is not None):
        raise ValueError("ended_at is required for status 'ended' and only for it")


async def _switch_to_wal(db: aiosqlite.Connection) -> list[sqlite3.Row]:
    """`PRAGMA journal_mode = WAL`, retried: switching a new file's journal does not wait on
    the busy handler, so two processes creating one file at once can see 'database is
    locked' for a moment."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            return list(await db.execute_fetchall("PRAGMA journal_mode = WAL"))
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


WAL_ATTEMPTS = 20


class Store:
    """Command Deck's persistence: one SQLite file, one connection, SQL only here.

    Every method runs as one unit on the connection: an asyncio lock keeps two coroutines'
    statements from interleaving inside one transaction. Writes that span statements run
    in `BEGIN IMMEDIATE` so a second process on the same file waits (busy timeout) rather
    than deadlocking. A method returns after its COMMIT.
    """

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        """Wrap an open, migrated connection; use `Store.open` instead."""
        self._db = GuardedConnection(db)  # a read-only or full file: StoreUnavailable
        self._lock = asyncio.Lock()
        self.path = path

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, synchronous: str = "FULL") -> _Opening:
        """Open (creating and migrating) the database file: `await` it or `async with` it.

        `synchronous` FULL (default) makes every commit durable against power loss; NORMAL
        is faster and still loses nothing when only the process dies (WAL mode).
        """
        return _Opening(cls, Path(path), synchronous)

    @classmethod
    async def _connect(cls, path: Path, synchronous: str) -> Self:
        mode = synchronous.upper()
        if mode not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {sorted(SYNCHRONOUS_MODES)}")
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise SchemaError(
                f"SQLite {sqlite3.sqlite_version} is too old; "
                f"{'.'.join(map(str, MIN_SQLITE))} or newer is needed"
            )
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            journal = await _switch_to_wal(db)
            if str(journal[0][0]).lower() != "wal":
                raise SchemaError(f"could not switch {path} to WAL (got {journal[0][0]})")
            await db.execute(f"PRAGMA synchronous = {mode}")  # validated above
            await migrate(db, load_migrations())  # leaves foreign_keys ON
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        """Close the connection (and its worker thread) after pending work finishes."""
        async with self._lock:
            await self._db.close()

    async def __aenter__(self) -> Self:
        """Use an opened store as a context manager."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close on leaving the block."""
        await self.close()

    async def pragma(self, name: str) -> Any:
        """Read one PRAGMA's value (for checks and diagnostics)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a pragma name: {name!r}")
        async with self._lock:
            rows = list(await self._db.execute_fetchall(f"PRAGMA {name}"))
        return rows[0][0] if rows else None

    # --- transaction helpers -----------------------------------------------------------------

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the connection for one IMMEDIATE transaction; commit, or roll back on error.

        A cancelled caller still leaves the connection clean: a statement already sent runs
        on the connection's thread anyway, so the rollback is queued behind it, and that
        includes the BEGIN itself (hence inside the try). Rolling back with no transaction
        open is a no-op. A caller cancelled while its COMMIT was in flight may find the
        change made; the exactly-once checks make a retry safe.
        """
        async with self._lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.rollback()
                raise

    async def _fetchall(self, sql: str, params: Mapping[str, Any]) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, params))

    async def _fetchone(self, sql: str, params: Mapping[str, Any]) -> sqlite3.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    # --- guild settings ----------------------------------------------------------------------

    async def get_settings(self, guild_id: int) -> GuildSettings:
        """The guild's voting rules, or the defaults when it never changed them."""
        row = await self._fetchone(
            "SELECT * FROM guild_settings WHERE guild_id = :g", {"g": guild_id}
        )
        return GuildSettings(guild_id) if row is None else self._settings(row)

    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some rules and return them all; the values were checked by the rules layer.

        Unknown names raise TypeError; the table's CHECKs refuse nonsense (IntegrityError).
        """
        unknown = set(changes) - set(_SETTING_NAMES)
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        if "tie_break" in changes:
            changes["tie_break"] = TieBreak(changes["tie_break"]).value
        for flag in ("blind", "share_choices"):
            if flag in changes:
                changes[flag] = int(bool(changes[flag]))
        names = [n for n in _SETTING_NAMES if n in changes]  # fixed names, never user text
        columns = "".join(f", {n}" for n in names)
        values = "".join(f", :{n}" for n in names)
        updates = ", ".join(f"{n} = excluded.{n}" for n in names) or "guild_id = guild_id"
        async with self._write() as db:
            await db.execute(
                f"INSERT INTO guild_settings (guild_id{columns}) VALUES (:guild_id{values}) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {updates}",
                {"guild_id": guild_id, **changes},
            )
            rows = list(
                await db.execute_fetchall(
                    "SELECT * FROM guild_settings WHERE guild_id = :g", {"g": guild_id}
                )
            )
        return self._settings(rows[0])

    @staticmethod
    def _settings(row: sqlite3.Row) -> GuildSettings:
        return GuildSettings(
            guild_id=row["guild_id"],
            vote_seconds=row["vote_seconds"],
            tie_break=TieBreak(row["tie_break"]),
            quorum=row["quorum"],
            blind=bool(row["blind"]),
            voter_role_id=row["voter_role_id"],
            moderator_role_id=row["moderator_role_id"],
            share_choices=bool(row["share_choices"]),
        )

    # --- campaigns ---------------------------------------------------------------------------

    async def create_campaign(
        self,
        guild_id: int,
        channel_id: int,
        story_id: str,
        story_hash: str,
        state_json: str,
        seed: int,
        started_at: datetime,
        first_decision: NewDecision | None,
        *,
        live_limit: int | None = None,
    ) -> tuple[Campaign, Decision | None]:
        """Start a running campaign and open its first vote, together or not at all.

        Raises ChannelBusy when the channel has a campaign that has not ended (the partial
        unique index enforces it even against another process), GuildFull when the guild
        already has `live_limit` campaigns that have not ended (counted inside the same
        IMMEDIATE transaction, so two starts cannot both take the last place). `seed` must fit
        in a signed 64-bit integer; `state_json` must be valid JSON (CHECK).
        """
        async with self._write() as db:
            busy = list(
                await db.execute_fetchall(
                    "SELECT id FROM campaigns WHERE channel_id = :c AND status <> 'ended'",
                    {"c": channel_id},
                )
            )
            if busy:
                raise ChannelBusy(channel_id, busy[0]["id"])
            if live_limit is not None:
                [(live,)] = await db.execute_fetchall(
                    "SELECT count(*) FROM campaigns WHERE guild_id = :g AND status <> 'ended'",
                    {"g": guild_id},
                )
                if live >= live_limit:
                    raise GuildFull(guild_id, live_limit)
            cursor = await db.execute(
                "INSERT INTO campaigns (guild_id, channel_id, story_id, story_hash, status, "
                "state_json, seed, started_at) VALUES (:guild_id, :channel_id, :story_id, "
                ":story_hash, 'running', :state_json, :seed, :started_at)",
                {
                    "guild_id": guild_id,
                    "channel_id": channel_id,
                    "story_id": story_id,
                    "story_hash": story_hash,
                    "state_json": state_json,
                    "seed": seed,
                    "started_at": to_us(started_at),
                },
            )
            campaign_id = cursor.lastrowid
            assert campaign_id is not None
            decision = None
            if first_decision is not None:
                decision = await self._insert_decision(db, campaign_id, 1, first_decision)
            rows = list(await db.execute_fetchall(GET_CAMPAIGN, {"id": campaign_id}))
        return _campaign(rows[0]), decision

    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        """A campaign by id, or None."""
        row = await self._fetchone(GET_CAMPAIGN, {"id": campaign_id})
        return None if row is None else _campaign(row)

    async def active_campaign_in_channel(self, channel_id: int) -> Campaign | None:
        """The channel's campaign that has not ended (running, paused or waiting), or None."""
        row = await self._fetchone(ACTIVE_CAMPAIGN_IN_CHANNEL, {"channel_id": channel_id})
        return None if row is None else _campaign(row)

    async def list_campaigns(self, guild_id: int) -> list[Campaign]:
        """The guild's campaigns, newest first."""
        rows = await self._fetchall(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE guild_id = :g "
            "ORDER BY started_at DESC, id DESC",
            {"g": guild_id},
        )
        return [_campaign(r) for r in rows]

    async def set_campaign_status(
        self,
        campaign_id: int,
        status: CampaignStatus | str,
        reason: str | None = None,
        ended_at: datetime | None = None,
    ) -> Campaign:
        """Move a campaign to `status` with an optional reason (why it is paused).

        Ending closes its open vote, if any, with how='ended' in the same transaction, so an
        ended campaign never leaves a timer behind. An ended campaign cannot change again
        (CampaignEnded). To pause or resume a campaign with an open vote use
        `pause_decision` / `resume_decision`, which also stop and restart the vote's clock.
        """
        new_status = CampaignStatus(status)
        _check_ending(new_status, ended_at)
        async with self._write() as db:
            rows = list(await db.execute_fetchall(GET_CAMPAIGN, {"id": campaign_id}))
            if not rows:
                raise NotFound(f"no campaign {campaign_id}")
            if rows[0]["status"] == CampaignStatus.ENDED:
                raise CampaignEnded(f"campaign {campaign_id} has ended")
            if new_status is CampaignStatus.ENDED:
                await db.execute(
                    "UPDATE decisions SET closed_at = :at, how = 'ended', remaining_us = NULL "
                    "WHERE campaign_id = :c AND closed_at IS NULL",
                    {"at": _optional_us(ended_at), "c": campaign_id},
                )
            await db.execute(
                "UPDATE campaigns SET status = :s, status_reason = :r, ended_at = :e "
                "WHERE id = :id",
                {
                    "s": new_status.value,
                    "r": reason,
                    "e": _optional_us(ended_at),
                    "id": campaign_id,
                },
            )
            rows = list(await db.execute_fetchall(GET_CAMPAIGN, {"id": campaign_id}))
        return _campaign(rows[0])

    # --- decisions ---------------------------------------------------------------------------

    async def _insert_decision(
        self, db: aiosqlite.Connection, campaign_id: int, seq: int, new: NewDecision
    ) -> Decision:
        cursor = await db.execute(INSERT_DECISION, _decision_params(campaign_id, seq, new))
        rows = list(await db.execute_fetchall(GET_DECISION, {"id": cursor.lastrowid}))
        return _decision(rows[0])

    async def get_decision(self, decision_id: int) -> Decision | None:
        """A decision by id, open or closed, or None."""
        row = await self._fetchone(GET_DECISION, {"id": decision_id})
        return None if row is None else _decision(row)

    async def open_decision_for(self, campaign_id: int) -> Decision | None:
        """The campaign's open vote (there is at most one), or None."""
        row = await self._fetchone(OPEN_DECISION_FOR, {"campaign_id": campaign_id})
        return None if row is None else _decision(row)

    async def decisions_of(self, campaign_id: int) -> list[Decision]:
        """Every decision of a campaign in order, for the recap."""
        rows = await self._fetchall(
            f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE campaign_id = :c ORDER BY seq",
            {"c": campaign_id},
        )
        return [_decision(r) for r in rows]

    async def set_message_id(self, decision_id: int, message_id: int) -> bool:
        """Remember the scene message that carries the vote's buttons; False if unknown."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE decisions SET message_id = :m WHERE id = :id",
                {"m": message_id, "id": decision_id},
            )
            return cursor.rowcount == 1

    async def pause_decision(
        self, decision_id: int, remaining: timedelta, *, reason: str | None = None
    ) -> bool:
        """Freeze an open, running vote's clock with `remaining` left; the campaign is paused.

        False (nothing changed) when the vote is closed, unknown or has no running clock.
        """
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = NULL, remaining_us = :r "
                "WHERE id = :id AND closed_at IS NULL AND deadline IS NOT NULL",
                {"r": duration_us(remaining), "id": decision_id},
            )
            if cursor.rowcount != 1:
                return False
            await self._set_status_of(db, decision_id, CampaignStatus.PAUSED, reason)
        return True

    async def resume_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Restart a paused vote's clock to fire at `deadline`; the campaign runs again.

        False (nothing changed) when the vote is closed, unknown or not paused.
        """
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = :d, remaining_us = NULL "
                "WHERE id = :id AND closed_at IS NULL AND remaining_us IS NOT NULL",
                {"d": to_us(deadline), "id": decision_id},
            )
            if cursor.rowcount != 1:
                return False
            await self._set_status_of(db, decision_id, CampaignStatus.RUNNING, None)
        return True

    async def move_deadline(self, decision_id: int, deadline: datetime) -> bool:
        """Give a running vote a later deadline (its scene was posted late); False when the
        vote is closed, paused or unknown."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = :d "
                "WHERE id = :id AND closed_at IS NULL AND deadline IS NOT NULL",
                {"d": to_us(deadline), "id": decision_id},
            )
            return cursor.rowcount == 1

    async def wait_for_moderator(self, decision_id: int, *, reason: str | None = None) -> bool:
        """Leave the vote open with no clock and mark the campaign waiting (tie rule
        'moderator'); `/campaign decide` then closes it. False when the vote is closed."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = NULL, remaining_us = NULL "
                "WHERE id = :id AND closed_at IS NULL",
                {"id": decision_id},
            )
            if cursor.rowcount != 1:
                return False
            await self._set_status_of(db, decision_id, CampaignStatus.WAITING, reason)
        return True

    async def _set_status_of(
        self,
        db: aiosqlite.Connection,
        decision_id: int,
        status: CampaignStatus,
        reason: str | None,
    ) -> None:
        await db.execute(
            "UPDATE campaigns SET status = :s, status_reason = :r "
            "WHERE id = (SELECT campaign_id FROM decisions WHERE id = :d)",
            {"s": status.value, "r": reason, "d": decision_id},
        )

    async def extend_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Give an open vote its one extension (quorum rule); False if closed or extended."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE decisions SET deadline = :d, extended = 1 "
                "WHERE id = :id AND closed_at IS NULL AND extended = 0",
                {"d": to_us(deadline), "id": decision_id},
            )
            return cursor.rowcount == 1

    async def open_deadlines(
        self, shards: Shards | None = None, *, due_by: datetime | None = None
    ) -> list[OpenDeadline]:
        """Every open vote of a running campaign with its deadline, soonest first (only in
        the guilds of `shards`, and only those due by `due_by`, when given).

        Read at start to reschedule the timers; a deadline in the past fires at once.
        """
        due = {"due_by": 2**63 - 1 if due_by is None else to_us(due_by)}
        rows = await self._fetchall(OPEN_DEADLINES, {**_shard_params(shards), **due})
        return [OpenDeadline(r[0], from_us(r[1])) for r in rows]

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
        _check_ending(status, ended_at)
        if (how in OUTCOMELESS) != (outcome is None):
            raise ValueError(f"how={how.value!r} and outcome={outcome!r} do not go together")
        if next_decision is not None and status is CampaignStatus.ENDED:
            raise ValueError("an ended campaign opens no next decision")
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
            closed = _decision(rows[0])
            if outcome is not None and outcome not in closed.choices:
                raise ValueError(f"{outcome!r} is not offered by decision {decision_id}")
            if expect_tally is not None:
                tally = await self._tally(db, decision_id)
                if tally != dict(expect_tally):
                    raise TallyChanged(decision_id, tally)
            await db.execute(
                "UPDATE campaigns SET state_json = :state, status = :s, status_reason = :r, "
                "ended_at = :e WHERE id = :id",
                {
                    "state": campaign_state_json,
                    "s": status.value,
                    "r": status_reason,
                    "e": _optional_us(ended_at),
                    "id": closed.campaign_id,
                },
            )
            if outcome is not None and how is not CloseHow.NO_QUORUM:
                await self._count_crew_choices(db, [(closed.campaign_id, closed.scene_id, outcome)])
            following = None
            if next_decision is not None:
                following = await self._insert_decision(
                    db, closed.campaign_id, closed.seq + 1, next_decision
                )
            if audit is not None:
                await db.execute(
                    INSERT_AUDIT,
                    {
                        "guild_id": (await self._guild_of(db, closed.campaign_id)),
                        "campaign_id": closed.campaign_id,
                        "actor_id": audit.actor_id,
                        "action": audit.action,
                        "detail": audit.detail,
                        "at": to_us(audit.at),
                    },
                )
        return following

    async def votes_with_campaigns(
        self, decision_ids: Collection[int]
    ) -> list[tuple[Decision, Campaign]]:
        """Open votes by id, each with its campaign, in one query (the overdue votes at
        start, read in bulk rather than a vote at a time); closed or unknown ids are left
        out."""
        if not decision_ids:
            return []
        rows = await self._fetchall(VOTES_WITH_CAMPAIGNS, {"ids": json.dumps(sorted(decision_ids))})
        return [(_decision(row), _campaign(_Prefixed(row, "c_"))) for row in rows]

    async def settings_of(self, guild_ids: Collection[int]) -> dict[int, GuildSettings]:
        """The voting rules of many guilds in one query (defaults for those never changed)."""
        found = {guild_id: GuildSettings(guild_id) for guild_id in guild_ids}
        if not found:
            return found
        rows = await self._fetchall(
            "SELECT s.* FROM json_each(:ids) AS j CROSS JOIN guild_settings AS s "
            "ON s.guild_id = j.value",
            {"ids": json.dumps(sorted(found))},
        )
        for row in rows:
            found[row["guild_id"]] = self._settings(row)
        return found

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
            _check_ending(close.campaign_status, close.ended_at)
            if (close.how in OUTCOMELESS) != (close.outcome is None):
                raise ValueError(f"how={close.how.value!r} and outcome={close.outcome!r}")
            if close.next_decision is not None and close.campaign_status is CampaignStatus.ENDED:
                raise ValueError("an ended campaign opens no next decision")
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
                "UPDATE campaigns SET state_json = :state, status = :s, status_reason = :r, "
                "ended_at = :e WHERE id = :id",
                [
                    {
                        "state": c.campaign_state_json,
                        "s": c.campaign_status.value,
                        "r": c.status_reason,
                        "e": _optional_us(c.ended_at),
                        "id": found[c.decision_id][0],
                    }
                    for c in keep
                ],
            )
            opening = [c for c in keep if c.next_decision is not None]
            await db.executemany(
                INSERT_DECISION,
                [
                    _decision_params(
                        found[c.decision_id][0], found[c.decision_id][1] + 1, c.next_decision
                    )
                    for c in opening
                    if c.next_decision is not None
                ],
            )
            await self._count_crew_choices(
                db,
                [
                    (found[c.decision_id][0], scenes[c.decision_id], c.outcome)
                    for c in keep
                    if c.outcome is not None and c.how is not CloseHow.NO_QUORUM
                ],
            )
            campaigns = json.dumps(sorted(found[c.decision_id][0] for c in opening))
            opened = {
                row["campaign_id"]: _decision(row)
                for row in await db.execute_fetchall(OPEN_IN, {"ids": campaigns})
            }
        return {c.decision_id: opened.get(found[c.decision_id][0]) for c in keep}

    @staticmethod
    async def _count_crew_choices(
        db: aiosqlite.Connection, closes: Sequence[tuple[int, str, str]]
    ) -> None:
        """Add closed votes' outcomes, (campaign id, scene id, choice id) each, to the counts
        of how crews chose, leaving out servers that do not share; inside the closing
        transaction, in a handful of statements however many votes it closed."""
        campaign_ids = json.dumps(sorted({campaign_id for campaign_id, _, _ in closes}))
        campaigns = {
            row["id"]: (row["story_id"], row["guild_id"])
            for row in await db.execute_fetchall(CAMPAIGN_SHARING, {"ids": campaign_ids})
            if row["sharing"]
        }
        choices: Counter[tuple[str, str, str]] = Counter()
        reached: set[tuple[str, str, int]] = set()
        for campaign_id, scene_id, choice_id in closes:
            if campaign_id in campaigns:
                story_id, guild_id = campaigns[campaign_id]
                choices[story_id, scene_id, choice_id] += 1
                reached.add((story_id, scene_id, guild_id))
        if not choices:
            return
        keys = json.dumps(sorted(reached))
        known = {
            (row["story_id"], row["scene_id"], int(row["guild_id"]))
            for row in await db.execute_fetchall(KNOWN_CREW_SERVERS, {"keys": keys})
        }
        new = sorted(reached - known)
        servers = Counter((story_id, scene_id) for story_id, scene_id, _ in new)
        await db.executemany(
            COUNT_CREW_CHOICE,
            [
                {"story": story, "scene": scene, "choice": choice, "n": n}
                for (story, scene, choice), n in choices.items()
            ],
        )
        await db.executemany(
            "INSERT INTO crew_servers (story_id, scene_id, guild_id) VALUES (?, ?, ?)", new
        )
        await db.executemany(
            COUNT_CREW_SERVER,
            [{"story": story, "scene": scene, "n": n} for (story, scene), n in servers.items()],
        )

    async def crew_choices(
        self, story_id: str, scene_ids: Collection[str]
    ) -> dict[str, CrewChoices]:
        """How the crews of every sharing server chose at these decisions of a story, by
        scene id (scenes no sharing server has decided are left out). Primary-key reads
        only, whatever the number of campaigns."""
        wanted = json.dumps(sorted(set(scene_ids)))
        params = {"story": story_id, "scenes": wanted}
        reach = await self._fetchall(CREW_REACH, params)
        counts = await self._fetchall(CREW_COUNTS, params)
        crews: dict[str, dict[str, int]] = {}
        for row in counts:
            crews.setdefault(row["scene_id"], {})[row["choice_id"]] = int(row["crews"])
        return {
            row["scene_id"]: CrewChoices(
                int(row["servers"]), MappingProxyType(crews.get(row["scene_id"], {}))
            )
            for row in reach
        }

    @staticmethod
    async def _guild_of(db: aiosqlite.Connection, campaign_id: int) -> int:
        rows = list(
            await db.execute_fetchall(
                "SELECT guild_id FROM campaigns WHERE id = :id", {"id": campaign_id}
            )
        )
        return int(rows[0][0])

    # --- ballots -----------------------------------------------------------------------------

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
            return await self._tally(self._db, decision_id)

    @staticmethod
    async def _tally(db: aiosqlite.Connection, decision_id: int) -> dict[str, int]:
        rows = await db.execute_fetchall(TALLY, {"decision_id": decision_id})
        return {r["choice_id"]: r["n"] for r in rows}

    async def ballot_of(self, decision_id: int, member_id: int) -> Ballot | None:
        """One member's current ballot in a decision (to tell them what they chose), or None."""
        row = await self._fetchone(BALLOT_OF, {"decision_id": decision_id, "member_id": member_id})
        if row is None:
            return None
        return Ballot(row[0], row[1], row[2], from_us(row[3]))

    # --- audit -------------------------------------------------------------------------------

    async def forget_vote_messages(self) -> int:
        """Forget the scene messages of running campaigns' open votes, so the next start
        posts those votes again (`unposted_votes`). For a Discord that keeps no messages from
        one run to the next, as the preview's in-memory one; returns how many were forgotten."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET message_id = NULL WHERE closed_at IS NULL"
                " AND message_id IS NOT NULL AND campaign_id IN"
                " (SELECT id FROM campaigns WHERE status = 'running')"
            )
            return cursor.rowcount

    async def unposted_votes(
        self, shards: Shards | None = None, *, opened_before: datetime | None = None
    ) -> list[int]:
        """Open votes of running campaigns whose scene message was never posted (a crash or
        an outage between the close that opened them and the post), oldest first; only in
        the guilds of `shards` and opened before `opened_before`, when given."""
        rows = await self._fetchall(
            "SELECT d.id FROM decisions AS d CROSS JOIN campaigns AS c ON c.id = d.campaign_id "
            "WHERE d.closed_at IS NULL AND d.message_id IS NULL AND c.status = 'running' "
            f"AND d.opened_at < :before AND {ON_MY_SHARDS} ORDER BY d.id",
            {**_shard_params(shards), "before": _before(opened_before)},
        )
        return [int(r["id"]) for r in rows]

    async def unshown_closes(
        self, shards: Shards | None = None, *, closed_before: datetime | None = None
    ) -> list[int]:
        """Closed votes the channel was never shown (see `close_decision`'s `view_json`),
        oldest close first; only in the guilds of `shards` and closed before
        `closed_before`, when given."""
        rows = await self._fetchall(
            "SELECT d.id FROM decisions AS d CROSS JOIN campaigns AS c ON c.id = d.campaign_id "
            f"WHERE d.close_shown = 0 AND d.closed_at < :before AND {ON_MY_SHARDS} "
            "ORDER BY d.closed_at, d.id",
            {**_shard_params(shards), "before": _before(closed_before)},
        )
        return [int(r["id"]) for r in rows]

    async def close_view(self, decision_id: int) -> str | None:
        """What an unshown close did (its `view_json`), or None once shown."""
        row = await self._fetchone(
            "SELECT close_view FROM decisions WHERE id = :id AND close_shown = 0",
            {"id": decision_id},
        )
        return None if row is None else row[0]

    async def mark_close_shown(self, decision_id: int) -> bool:
        """The channel shows the close now; False if it was already marked (or unknown)."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE decisions SET close_shown = 1, close_view = NULL "
                "WHERE id = :id AND close_shown = 0",
                {"id": decision_id},
            )
            return cursor.rowcount == 1

    async def ended_scenes(self, guild_id: int, story_id: str) -> set[str]:
        """Where the guild's ended campaigns of a story stopped (their endings, for
        "endings discovered in this server")."""
        rows = await self._fetchall(
            "SELECT DISTINCT json_extract(state_json, '$.scene') AS scene FROM campaigns "
            "WHERE guild_id = :g AND story_id = :s AND status = 'ended'",
            {"g": guild_id, "s": story_id},
        )
        return {str(r["scene"]) for r in rows if r["scene"] is not None}

    async def guild_departed(self, guild_id: int, at: datetime) -> None:
        """The bot was removed from a guild: start its data's grace period."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO guild_departures (guild_id, departed_at) VALUES (:g, :at) "
                "ON CONFLICT (guild_id) DO NOTHING",
                {"g": guild_id, "at": to_us(at)},
            )

    async def guild_returned(self, guild_id: int) -> bool:
        """The bot is back in a guild within the grace period: keep its data."""
        async with self._write() as db:
            cursor = await db.execute(
                "DELETE FROM guild_departures WHERE guild_id = :g", {"g": guild_id}
            )
            return cursor.rowcount == 1

    async def guilds_returned(self, guild_ids: list[int]) -> list[int]:
        """Cancel the departure of every guild listed (the bot is in them); returns those
        that had one."""
        if not guild_ids:
            return []
        async with self._write() as db:
            rows = await db.execute_fetchall(
                "DELETE FROM guild_departures WHERE guild_id IN "
                "(SELECT value FROM json_each(:ids)) RETURNING guild_id",
                {"ids": json.dumps(guild_ids)},
            )
            return [int(r["guild_id"]) for r in rows]

    async def purge_departed(self, before: datetime) -> list[int]:
        """Delete every trace of guilds that left before `before`; returns their ids."""
        async with self._write() as db:
            rows = await db.execute_fetchall(
                "SELECT guild_id FROM guild_departures WHERE departed_at < :b",
                {"b": to_us(before)},
            )
            gone = [int(r["guild_id"]) for r in rows]
            for guild_id in gone:
                params = {"g": guild_id}
                await db.execute(
                    "DELETE FROM ballots WHERE decision_id IN (SELECT d.id FROM decisions AS d "
                    "JOIN campaigns AS c ON c.id = d.campaign_id WHERE c.guild_id = :g)",
                    params,
                )
                await db.execute(
                    "DELETE FROM decisions WHERE campaign_id IN "
                    "(SELECT id FROM campaigns WHERE guild_id = :g)",
                    params,
                )
                await db.execute(
                    "UPDATE crew_reach SET servers = servers - 1 WHERE (story_id, scene_id) IN "
                    "(SELECT story_id, scene_id FROM crew_servers WHERE guild_id = :g)",
                    params,
                )
                await db.execute("DELETE FROM crew_servers WHERE guild_id = :g", params)
                await db.execute("DELETE FROM audit_log WHERE guild_id = :g", params)
                await db.execute("DELETE FROM campaigns WHERE guild_id = :g", params)
                await db.execute("DELETE FROM guild_settings WHERE guild_id = :g", params)
                await db.execute("DELETE FROM guild_departures WHERE guild_id = :g", params)
            return gone

    async def get_meta(self, key: str) -> str | None:
        """A fact the bot keeps about itself (e.g. the synced commands' fingerprint)."""
        row = await self._fetchone("SELECT value FROM app_meta WHERE key = :key", {"key": key})
        return None if row is None else str(row["value"])

    async def set_meta(self, key: str, value: str) -> None:
        """Remember a fact about the bot itself, replacing the previous value."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO app_meta (key, value) VALUES (:key, :value) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                {"key": key, "value": value},
            )

    async def add_audit(
        self,
        guild_id: int,
        campaign_id: int | None,
        actor_id: int,
        action: str,
        detail: str | None,
        at: datetime,
    ) -> AuditEntry:
        """Log a moderator action that changes nothing else (e.g. a settings change)."""
        params = {
            "guild_id": guild_id,
            "campaign_id": campaign_id,
            "actor_id": actor_id,
            "action": action,
            "detail": detail,
            "at": to_us(at),
        }
        async with self._lock:
            cursor = await self._db.execute(INSERT_AUDIT, params)
            entry_id = cursor.lastrowid
        assert entry_id is not None
        return AuditEntry(
            entry_id, guild_id, campaign_id, actor_id, action, detail, from_us(params["at"])
        )

    async def audit_log(self, guild_id: int, *, limit: int = 50) -> list[AuditEntry]:
        """The guild's latest moderator actions, newest first."""
        rows = await self._fetchall(
            "SELECT * FROM audit_log WHERE guild_id = :g ORDER BY at DESC, id DESC LIMIT :n",
            {"g": guild_id, "n": limit},
        )
        return [_audit(r) for r in rows]


class _Opening:
    """What `Store.open` returns: awaitable for a Store, or an async context manager."""

    def __init__(self, cls: type[Store], path: Path, synchronous: str) -> None:
        self._cls = cls
        self._path = path
        self._synchronous = synchronous
        self._store: Store | None = None

    def __await__(self) -> Generator[Any, None, Store]:
        return self._cls._connect(self._path, self._synchronous).__await__()

    async def __aenter__(self) -> Store:
        self._store = await self._cls._connect(self._path, self._synchronous)
        return self._store

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._store is not None:
            await self._store.close()
