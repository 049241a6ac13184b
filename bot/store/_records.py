"""The store's own errors, its migration record and how it keeps times: what the contract
adds to the domain's records (bot/domain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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
