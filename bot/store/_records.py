"""The store's records, value sets and errors: plain frozen data, no SQL and no Discord types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class TieBreak(StrEnum):
    """How a tie is settled: seeded random pick, the earlier choice, or a moderator's call."""

    RANDOM = "random"
    FIRST = "first"
    MODERATOR = "moderator"


class CampaignStatus(StrEnum):
    """Where a campaign stands; `waiting` means waiting for a moderator (`/campaign decide`)."""

    RUNNING = "running"
    PAUSED = "paused"
    WAITING = "waiting"
    ENDED = "ended"


class CloseHow(StrEnum):
    """How a decision was closed and its outcome reached.

    - `timer`: the deadline passed; the choice with the most ballots won.
    - `skip`: a moderator closed the vote early; the most ballots so far won.
    - `decide`: a moderator picked the outcome, whatever the tally.
    - `tie`: the top choices tied and the tie rule (`random` or `first`) picked one.
    - `no_quorum`: fewer ballots than the quorum, after the one extension; a fallback
      choice (the first) was taken.
    - `no_decision`: the scene's own no-decision outcome applied; `outcome` is None.
    - `ended`: the campaign was ended while the vote was open; `outcome` is None.
    """

    TIMER = "timer"
    SKIP = "skip"
    DECIDE = "decide"
    TIE = "tie"
    NO_QUORUM = "no_quorum"
    NO_DECISION = "no_decision"
    ENDED = "ended"


#: The ways of closing that carry no chosen outcome.
OUTCOMELESS = frozenset({CloseHow.NO_DECISION, CloseHow.ENDED})


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's voting rules; a guild that never changed them gets these defaults."""

    guild_id: int
    vote_seconds: int = 120
    tie_break: TieBreak = TieBreak.RANDOM
    quorum: int = 1
    blind: bool = False
    voter_role_id: int | None = None
    moderator_role_id: int | None = None
    #: Count this server's decisions toward, and show it, how the crews of other servers chose.
    share_choices: bool = True


@dataclass(frozen=True, slots=True)
class Campaign:
    """One play of a story in one channel."""

    id: int
    guild_id: int
    channel_id: int
    story_id: str
    story_hash: str
    status: CampaignStatus
    status_reason: str | None
    state_json: str
    seed: int
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class CrewChoices:
    """How the crews of every sharing server chose at one decision of a story: counts only."""

    #: Distinct servers whose crews reached the decision.
    servers: int
    #: Crews per choice id (a crew that met the decision twice counts twice).
    crews: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class NewDecision:
    """A vote to open: the scene and the choice ids offered, in button order."""

    scene_id: str
    choices: tuple[str, ...]
    opened_at: datetime
    deadline: datetime | None
    remaining: timedelta | None = None

    def __post_init__(self) -> None:
        """Refuse offers the schema could not tell apart (a repeated choice id)."""
        object.__setattr__(self, "choices", tuple(self.choices))
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"choice ids repeat in {self.choices!r}")


@dataclass(frozen=True, slots=True)
class Decision:
    """A vote of a campaign; open while `closed_at` is None."""

    id: int
    campaign_id: int
    seq: int
    scene_id: str
    choices: tuple[str, ...]
    message_id: int | None
    opened_at: datetime
    deadline: datetime | None
    remaining: timedelta | None
    extended: bool
    closed_at: datetime | None
    outcome: str | None
    how: CloseHow | None

    @property
    def is_open(self) -> bool:
        """Whether ballots are still accepted."""
        return self.closed_at is None

    @property
    def is_paused(self) -> bool:
        """Whether the clock is frozen with time left stored."""
        return self.closed_at is None and self.remaining is not None


@dataclass(frozen=True, slots=True)
class NewBallot:
    """One click to record (used by the batch writer)."""

    decision_id: int
    member_id: int
    choice_id: str
    cast_at: datetime


@dataclass(frozen=True, slots=True)
class Ballot:
    """A member's current ballot in one decision."""

    decision_id: int
    member_id: int
    choice_id: str
    cast_at: datetime


@dataclass(frozen=True, slots=True)
class NewAudit:
    """A moderator action to log together with the change it made."""

    actor_id: int
    action: str
    at: datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A logged moderator action."""

    id: int
    guild_id: int
    campaign_id: int | None
    actor_id: int
    action: str
    detail: str | None
    at: datetime


class OpenDeadline(NamedTuple):
    """An open, running vote and when its timer fires."""

    decision_id: int
    deadline: datetime


@dataclass(frozen=True, slots=True)
class Shards:
    """The shards one process serves out of `count`: it works only for the guilds on them,
    Discord's rule being shard = (guild_id >> 22) % count."""

    count: int
    ids: frozenset[int]

    def __post_init__(self) -> None:
        if self.count < 1 or not self.ids or not all(0 <= i < self.count for i in self.ids):
            raise ValueError(f"shards {sorted(self.ids)} do not fit a count of {self.count}")

    def owns(self, guild_id: int) -> bool:
        """Whether a guild is on one of these shards."""
        return (guild_id >> 22) % self.count in self.ids


@dataclass(frozen=True, slots=True)
class NewClose:
    """One close of a batch (`Store.close_decisions`): what `close_decision` takes."""

    decision_id: int
    closed_at: datetime
    outcome: str | None
    how: CloseHow
    campaign_state_json: str
    campaign_status: CampaignStatus
    status_reason: str | None
    ended_at: datetime | None
    next_decision: NewDecision | None
    expect_tally: Mapping[str, int]
    view_json: str | None = None


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema step read from `migrations/NNNN_reason.sql`."""

    version: int
    name: str
    sql: str = field(repr=False)


class StoreError(Exception):
    """Base of the errors the store raises on purpose."""


class NotFound(StoreError):
    """The campaign or decision does not exist."""


class ChannelBusy(StoreError):
    """The channel already has a campaign that has not ended."""

    def __init__(self, channel_id: int, campaign_id: int) -> None:
        super().__init__(f"channel {channel_id} already runs campaign {campaign_id}")
        self.channel_id = channel_id
        self.campaign_id = campaign_id


class GuildFull(StoreError):
    """The guild already has as many campaigns that have not ended as it may."""

    def __init__(self, guild_id: int, limit: int) -> None:
        super().__init__(f"guild {guild_id} already has {limit} live campaigns")
        self.guild_id = guild_id
        self.limit = limit


class AlreadyClosed(StoreError):
    """Someone else (timer, skip, decide, end) closed this decision first."""

    def __init__(self, decision_id: int) -> None:
        super().__init__(f"decision {decision_id} is already closed")
        self.decision_id = decision_id


class TallyChanged(StoreError):
    """A ballot landed between the caller's tally and its close; recount and retry."""

    def __init__(self, decision_id: int, tally: dict[str, int]) -> None:
        super().__init__(f"the tally of decision {decision_id} changed to {tally}")
        self.decision_id = decision_id
        self.tally = tally


class CampaignEnded(StoreError):
    """An ended campaign stays ended."""


class SchemaError(StoreError):
    """The database file's schema is not one this code can use."""


class StoreUnavailable(StoreError):
    """The database file cannot take writes now (read-only, disk full, disk failing).

    Nothing was written. `reason` is for the operator's log; `message` is what a member
    who asked for something is told. The bot keeps running; what it could not save is
    asked again (the member clicks again, the timer retries).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"the database cannot be written: {reason}")
        self.reason = reason
        self.message = (
            "Command Deck could not save this: its storage is read-only or full. Please try"
            " again later, and tell the server's admins."
        )


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch: exact, sortable, and free of time zone text."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware UTC time")
    return (moment - EPOCH) // _MICROSECOND


def from_us(value: int) -> datetime:
    """The aware UTC datetime for `to_us`'s integer."""
    return EPOCH + timedelta(microseconds=value)


def duration_us(span: timedelta) -> int:
    """A non-negative duration as whole microseconds."""
    if span < timedelta(0):
        raise ValueError(f"negative duration {span!r}")
    return span // _MICROSECOND
