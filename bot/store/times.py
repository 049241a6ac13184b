"""How a store keeps moments and durations: whole microseconds since the epoch, exact and
sortable, with no time zone text. The store has no clock; naive datetimes are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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
