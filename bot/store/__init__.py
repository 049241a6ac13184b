"""Command Deck's storage: one SQLite file through aiosqlite. All of the bot's SQL lives here.

Opening
    ``store = await Store.open(path)`` ... ``await store.close()``, or
    ``async with Store.open(path) as store:``. The file (default ``data/command-deck.db``,
    chosen by ``bot.config``) is created with its folder if missing. Every connection runs
    WAL mode, ``foreign_keys=ON``, a 5 s busy timeout and ``synchronous`` FULL (default: a
    commit survives power loss) or NORMAL (faster; survives the process dying, not the
    machine). Needs SQLite 3.37+ (STRICT tables) with the JSON functions.

Schema and migrations
    ``bot/store/migrations/NNNN_reason.sql``, numbered from 1 without gaps. Opening applies
    every pending one in ONE transaction and records the number in ``PRAGMA user_version``;
    a file newer than the code is refused (SchemaError). A new migration is a new file; never
    edit a released one. (Packaging: the ``.sql`` files must ship as package data.)

    - ``guild_settings``: the voting rules; no row means the defaults of ``GuildSettings``.
    - ``campaigns``: guild, channel, story id and content hash, status (running, paused,
      waiting for a moderator, ended) and why, the story state as JSON, the random seed,
      started and ended times. A partial UNIQUE index allows one campaign that has not
      ended per channel.
    - ``decisions``: campaign, seq (1, 2, 3...), scene, the offered choice ids in button
      order (JSON array), the scene message id, opened at, deadline (NULL while paused or
      waiting), time left while paused, whether the one quorum extension was used, closed
      at, outcome and how (see ``CloseHow``). A partial UNIQUE index allows one open
      decision per campaign.
    - ``ballots``: (decision, member) primary key, choice, cast at: one row per member.
    - ``audit_log``: guild, campaign, moderator, action, detail, time.

Times
    The store has no clock. Callers pass timezone-aware datetimes (naive ones are refused);
    they are kept as integer microseconds since the epoch and come back as equal UTC
    datetimes. Durations (time left while paused) come back as equal timedeltas.

Guarantees
    - A method returns after its COMMIT: ``cast_ballot`` returning True means the ballot is
      on disk, so a member told "counted" cannot lose it to a crash.
    - A ballot is written only while its decision is open and offers the choice: the check
      is inside the INSERT, so no ballot slips in after a close.
    - ``close_decision`` closes a vote exactly once, whoever calls first (timer, skip,
      decide, end; this process or another; before or after a restart): one transaction
      that changes the row only ``WHERE closed_at IS NULL``, then stores the campaign's new
      state and status, opens the next decision and writes the audit row. A loser gets
      AlreadyClosed and nothing is written.
    - Pausing, resuming and waiting for a moderator change the vote's clock and the
      campaign's status together; ending a campaign closes its open vote (how='ended').
    - Who voted for what leaves the store only as a tally or as one member's own ballot.

    - A file that cannot take writes (read-only, disk full, disk failing) raises
      ``StoreUnavailable`` with the reason, never a bare ``sqlite3`` error: nothing was
      written and the connection stays usable for reads and for writes once it recovers.

Concurrency
    One connection per Store; an asyncio lock keeps each method's statements together.
    Multi-statement writes use ``BEGIN IMMEDIATE``, so a second Store or process on the
    same file waits for the busy timeout rather than deadlocking.
"""

from bot.store._migrate import load_migrations
from bot.store._records import (
    AlreadyClosed,
    AuditEntry,
    Ballot,
    Campaign,
    CampaignEnded,
    CampaignStatus,
    ChannelBusy,
    CloseHow,
    Decision,
    GuildFull,
    GuildSettings,
    NewAudit,
    NewBallot,
    NewClose,
    NewDecision,
    NotFound,
    OpenDeadline,
    SchemaError,
    Shards,
    StoreError,
    StoreUnavailable,
    TallyChanged,
    TieBreak,
)
from bot.store._store import HOT_QUERIES, Store

__all__ = [
    "HOT_QUERIES",
    "AlreadyClosed",
    "AuditEntry",
    "Ballot",
    "Campaign",
    "CampaignEnded",
    "CampaignStatus",
    "ChannelBusy",
    "CloseHow",
    "Decision",
    "GuildFull",
    "GuildSettings",
    "NewAudit",
    "NewBallot",
    "NewClose",
    "NewDecision",
    "NotFound",
    "OpenDeadline",
    "SchemaError",
    "Shards",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "TallyChanged",
    "TieBreak",
    "load_migrations",
]
