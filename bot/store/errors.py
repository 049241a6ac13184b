"""The errors the store raises on purpose, whatever the backend: what the contract adds to
the domain's records (bot/domain)."""

from __future__ import annotations


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
    """The database's schema is not one this code can use."""


class StoreUnavailable(StoreError):
    """The database cannot take writes now (read-only, disk full, disk failing, server gone).

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
