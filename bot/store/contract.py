"""The store's contract: every read and write the campaign layer may ask of a database.

`Store` is the interface; `bot.store.sqlite.SqliteStore` (one SQLite file, the default) and
`bot.store.postgres.PostgresStore` (one database shared by several processes) implement it.
`Store.open(database)` picks the backend from the string: `postgresql://` or `postgres://`
URLs open PostgreSQL, anything else is the path of an SQLite file.

What every implementation guarantees, whichever method is called:

- Committed before return. A method returns after its write is durable: `cast_ballot`
  returning True means the ballot survives a crash of this process, so a member told
  "counted" cannot lose it.
- All or nothing. A method that writes several rows writes all of them in one transaction
  or none; an error (including cancellation) leaves nothing half written.
- StoreUnavailable, never a driver's error, for a write that cannot be saved now (read-only
  file, full or failing disk, unreachable server): nothing was written, and the store stays
  usable for reads, and for writes once the database recovers.
- Safe between processes. Any number of processes may share one database: each exactly-once
  rule (a vote closes once, a ballot lands only in an open vote, one live campaign per
  channel) is a conditional statement inside the database, never a read-then-write here.
- No clock. Callers pass timezone-aware datetimes (naive ones raise ValueError); they come
  back as equal UTC datetimes, durations as equal timedeltas.
- Privacy. Who voted for what leaves the store only as a tally or as one member's own
  ballot (`ballot_of`); `ballots_in` serves only the rebuild of in-memory counts.
- One caller at a time per method call: concurrent coroutines on one Store never see each
  other's statements interleaved inside a transaction.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath
from types import TracebackType
from typing import Any, Self

from bot.domain import (
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
)
from bot.store.opening import StoreOpening, backend_for
from bot.store.postgres_url import PostgresUrl
from bot.store.snapshot import GuildSnapshot


class Store(abc.ABC):
    """Command Deck's persistence, whatever database holds it. See the module docstring for
    the guarantees every method keeps; each method's docstring adds its own."""

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls, database: str | PurePath | PostgresUrl, *, synchronous: str = "FULL"
    ) -> StoreOpening:
        """Open (creating and migrating) the database: `await` it, or `async with` it.

        `database` is what the DATABASE setting holds: a path, a URL string, or the
        settings' PostgresUrl (its password handed to the backend, never shown).
        Called on `Store`, the backend follows from `database` (see the module docstring);
        called on an implementation, that implementation opens it. `synchronous` is SQLite's
        durability knob (FULL: a commit survives power loss; NORMAL: faster, survives the
        process dying); other backends accept and ignore it.
        """
        if cls is Store:
            backend = backend_for(database)
        elif inspect.isabstract(cls):
            missing = ", ".join(sorted(cls.__abstractmethods__))
            raise TypeError(f"{cls.__name__} cannot open a database: it lacks {missing}")
        else:
            backend = cls
        target = database.secret() if isinstance(database, PostgresUrl) else database
        return StoreOpening(lambda: backend.connect(target, synchronous=synchronous))

    @classmethod
    @abc.abstractmethod
    async def connect(cls, database: str | PurePath, *, synchronous: str = "FULL") -> Self:
        """Open the database and bring its schema up to this code's version.

        Pending migrations apply in one transaction, safely against another process doing
        the same; a schema newer than the code raises SchemaError and changes nothing.
        """
        raise NotImplementedError

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the connection after pending work finishes; call once."""

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

    @abc.abstractmethod
    async def pragma(self, name: str) -> Any:
        """A diagnostic value by SQLite PRAGMA name, for checks and the health command.

        Every backend answers `user_version` (the schema version, an int), `quick_check` and
        `integrity_check` ("ok" when healthy) and `foreign_key_check` (None when no row
        breaks a foreign key); other names may raise ValueError.
        """

    # --- guild settings ----------------------------------------------------------------------

    @abc.abstractmethod
    async def get_settings(self, guild_id: int) -> GuildSettings:
        """The guild's voting rules, or the defaults of `GuildSettings` when it never
        changed them."""

    @abc.abstractmethod
    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some rules (names of `GuildSettings` fields) and return them all.

        The values were checked by the rules layer; unknown names raise TypeError, and the
        database refuses nonsense values with its own integrity error.
        """

    @abc.abstractmethod
    async def settings_of(self, guild_ids: Collection[int]) -> dict[int, GuildSettings]:
        """The rules of many guilds in one read (defaults for those never changed)."""

    # --- campaigns ---------------------------------------------------------------------------

    @abc.abstractmethod
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

        ChannelBusy when the channel has a campaign that has not ended (enforced by the
        database, so two processes cannot both start one); GuildFull when the guild already
        has `live_limit` campaigns that have not ended (counted in the same transaction, so
        two starts cannot both take the last place). `seed` fits a signed 64-bit integer;
        `state_json` must be valid JSON.
        """

    @abc.abstractmethod
    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        """A campaign by id, or None."""

    @abc.abstractmethod
    async def active_campaign_in_channel(self, channel_id: int) -> Campaign | None:
        """The channel's campaign that has not ended (running, paused or waiting), or None."""

    @abc.abstractmethod
    async def list_campaigns(self, guild_id: int) -> list[Campaign]:
        """The guild's campaigns, newest first."""

    @abc.abstractmethod
    async def set_campaign_status(
        self,
        campaign_id: int,
        status: CampaignStatus | str,
        reason: str | None = None,
        ended_at: datetime | None = None,
    ) -> Campaign:
        """Move a campaign to `status` with an optional reason; returns it as stored.

        `ended_at` is required for 'ended' and only for it (ValueError). Ending closes the
        open vote, if any, with how='ended' in the same transaction, so an ended campaign
        leaves no timer behind. NotFound for an unknown id; CampaignEnded once ended (an
        ended campaign stays ended). Pausing a vote's clock is `pause_decision`'s job.
        """

    @abc.abstractmethod
    async def ended_scenes(self, guild_id: int, story_id: str) -> set[str]:
        """Where the guild's ended campaigns of a story stopped (their endings, for
        "endings discovered in this server")."""

    # --- decisions ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def get_decision(self, decision_id: int) -> Decision | None:
        """A decision by id, open or closed, or None."""

    @abc.abstractmethod
    async def open_decision_for(self, campaign_id: int) -> Decision | None:
        """The campaign's open vote (the database allows at most one), or None."""

    @abc.abstractmethod
    async def decisions_of(self, campaign_id: int) -> list[Decision]:
        """Every decision of a campaign in order (seq 1, 2, 3...), for the recap."""

    @abc.abstractmethod
    async def votes_with_campaigns(
        self, decision_ids: Collection[int]
    ) -> list[tuple[Decision, Campaign]]:
        """Open votes by id, each with its campaign, in one read (the overdue votes at
        start); closed or unknown ids are left out."""

    @abc.abstractmethod
    async def set_message_id(self, decision_id: int, message_id: int) -> bool:
        """Remember the scene message that carries the vote's buttons; False if unknown."""

    @abc.abstractmethod
    async def pause_decision(
        self, decision_id: int, remaining: timedelta, *, reason: str | None = None
    ) -> bool:
        """Freeze an open, running vote's clock with `remaining` left and mark its campaign
        paused, together. False, nothing changed, when the vote is closed, unknown or has
        no running clock."""

    @abc.abstractmethod
    async def resume_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Restart a paused vote's clock to fire at `deadline` and mark its campaign
        running, together. False, nothing changed, when it is closed, unknown or not
        paused."""

    @abc.abstractmethod
    async def move_deadline(self, decision_id: int, deadline: datetime) -> bool:
        """Give a running vote a later deadline (its scene was posted late); False when the
        vote is closed, paused or unknown."""

    @abc.abstractmethod
    async def wait_for_moderator(self, decision_id: int, *, reason: str | None = None) -> bool:
        """Leave the vote open with no clock and mark the campaign waiting (tie rule
        'moderator'), together; `/campaign decide` then closes it. False when closed."""

    @abc.abstractmethod
    async def extend_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Give an open vote its one extension (quorum rule), at most once whoever asks:
        a conditional update. False if closed, unknown or already extended."""

    @abc.abstractmethod
    async def open_deadlines(
        self, shards: Shards | None = None, *, due_by: datetime | None = None
    ) -> list[OpenDeadline]:
        """Every open vote of a running campaign with its deadline, soonest first (only in
        the guilds of `shards`, and only those due by `due_by`, when given). Read at start
        to reschedule the timers; a deadline in the past fires at once."""

    # --- closes ------------------------------------------------------------------------------

    @abc.abstractmethod
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

        At most once, whoever calls first (timer, skip, decide, end; this process or any
        number of others racing; before or after a restart): the close is a conditional
        update on the vote still being open, and the loser gets AlreadyClosed with nothing
        written. In the same transaction the campaign gets its new state, status and
        `status_reason`, the outcome counts toward the crews' choices (unless no_quorum or
        the server does not share), the next vote (if any) opens, and `audit` is logged.

        `expect_tally`: the tally the caller computed its outcome from; if a ballot landed
        since, TallyChanged (nothing written) so the caller recounts. `view_json` marks the
        close not yet shown (`unshown_closes`) and keeps what it did. Returns the next
        decision or None. NotFound for an unknown id; ValueError when `outcome` is not
        offered, or does not go with `how`, or an ended campaign would open a next vote.
        """

    @abc.abstractmethod
    async def close_decisions(self, closes: Sequence[NewClose]) -> dict[int, Decision | None]:
        """Close many votes in ONE transaction (the overdue votes at start), each at most
        once as `close_decision` would, with no audit row.

        Returns, for each vote it closed, its next decision (None when there is none). A vote
        already closed, or whose tally is no longer its `expect_tally`, is left out with
        nothing written for it: the caller closes it on its own. A handful of round trips
        whatever the batch's size (10,000 closes well under 2 s on SQLite).
        """

    # --- sweeps: what a crash or an outage left undone ---------------------------------------

    @abc.abstractmethod
    async def unposted_votes(
        self, shards: Shards | None = None, *, opened_before: datetime | None = None
    ) -> list[int]:
        """Open votes of running campaigns whose scene message was never posted, oldest
        first; only in the guilds of `shards` and opened before `opened_before`, if given."""

    @abc.abstractmethod
    async def forget_vote_messages(self) -> int:
        """Forget the scene messages of running campaigns' open votes, so the next start
        posts them again (for a Discord that keeps no messages between runs, as the
        preview's); returns how many were forgotten."""

    @abc.abstractmethod
    async def unshown_closes(
        self, shards: Shards | None = None, *, closed_before: datetime | None = None
    ) -> list[int]:
        """Closed votes the channel was never shown (closed with a `view_json`), oldest
        close first; only in the guilds of `shards` and closed before `closed_before`."""

    @abc.abstractmethod
    async def close_view(self, decision_id: int) -> str | None:
        """What an unshown close did (its `view_json`), or None once shown or unknown."""

    @abc.abstractmethod
    async def mark_close_shown(self, decision_id: int) -> bool:
        """The channel shows the close now, at most once whoever asks (a conditional
        update); False if it was already marked or is unknown."""

    # --- ballots and tallies -----------------------------------------------------------------

    @abc.abstractmethod
    async def cast_ballot(
        self, decision_id: int, member_id: int, choice_id: str, cast_at: datetime
    ) -> bool:
        """Record (or replace) a member's ballot; True only once it is committed.

        Written only while the decision is open and offers `choice_id`: the check is part
        of the write itself, so no ballot slips in after a close, even from another
        process. False, nothing written, otherwise. The latest call wins. The campaign's
        status is not checked: whether a paused vote takes ballots is the rules' call.
        """

    @abc.abstractmethod
    async def cast_ballots(self, ballots: Sequence[NewBallot]) -> list[bool]:
        """Record a batch of ballots in one transaction (one commit), in order.

        Each result is what `cast_ballot` would have returned for that ballot at that point;
        a later ballot of the same member in the batch replaces an earlier one. Any error
        writes none of them. A few round trips whatever the batch's size.
        """

    @abc.abstractmethod
    async def ballots_in(self, decision_ids: Collection[int]) -> dict[int, dict[int, str]]:
        """Every current ballot of some decisions, decision -> member -> choice id, read to
        rebuild the in-memory counts of open votes after a restart (every id is a key)."""

    @abc.abstractmethod
    async def ballot_of(self, decision_id: int, member_id: int) -> Ballot | None:
        """One member's current ballot in a decision (to tell them what they chose), or None."""

    @abc.abstractmethod
    async def tally(self, decision_id: int) -> dict[str, int]:
        """Ballots per offered choice, in button order, zeros included ({} if unknown)."""

    @abc.abstractmethod
    async def tallies(self, decisions: Collection[Decision]) -> dict[int, dict[str, int]]:
        """What `tally` gives for each of many votes, in one read."""

    @abc.abstractmethod
    async def crew_choices(
        self, story_id: str, scene_ids: Collection[str]
    ) -> dict[str, CrewChoices]:
        """How the crews of every sharing server chose at these decisions of a story, by
        scene id (scenes no sharing server has decided are left out). Reads by key only,
        whatever the number of campaigns."""

    # --- guild departures --------------------------------------------------------------------

    @abc.abstractmethod
    async def guild_departed(self, guild_id: int, at: datetime) -> None:
        """The bot was removed from a guild: start its data's grace period (the first
        departure's time is kept)."""

    @abc.abstractmethod
    async def guild_returned(self, guild_id: int) -> bool:
        """The bot is back in a guild: keep its data. True when a departure was cancelled."""

    @abc.abstractmethod
    async def guilds_returned(self, guild_ids: list[int]) -> list[int]:
        """Cancel the departure of every guild listed (the bot is in them); returns those
        that had one."""

    @abc.abstractmethod
    async def purge_departed(self, before: datetime) -> list[int]:
        """Delete every trace of the guilds that left before `before` (settings, campaigns,
        decisions, ballots, audit rows, their share of the crews' reach) in one
        transaction; returns their ids. The crews' counts name no server and stay."""

    # --- facts about the bot itself ----------------------------------------------------------

    @abc.abstractmethod
    async def get_meta(self, key: str) -> str | None:
        """A fact the bot keeps about itself (e.g. the synced commands' fingerprint)."""

    @abc.abstractmethod
    async def set_meta(self, key: str, value: str) -> None:
        """Remember a fact about the bot itself, replacing the previous value."""

    # --- audit -------------------------------------------------------------------------------

    @abc.abstractmethod
    async def add_audit(
        self,
        guild_id: int,
        campaign_id: int | None,
        actor_id: int,
        action: str,
        detail: str | None,
        at: datetime,
    ) -> AuditEntry:
        """Log a moderator action that changes nothing else (e.g. a settings change); the
        entry is returned as stored."""

    @abc.abstractmethod
    async def audit_log(self, guild_id: int, *, limit: int = 50) -> list[AuditEntry]:
        """The guild's latest `limit` moderator actions, newest first."""

    # --- export ------------------------------------------------------------------------------

    @abc.abstractmethod
    async def guild_snapshot(self, guild_id: int) -> GuildSnapshot:
        """Everything of one guild an export shows, read at one consistent moment (one read
        transaction) even while others write; ballots only as tallies, no member id."""


__all__ = ["Store"]
