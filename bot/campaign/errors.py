"""What a campaign refuses, in words a member can read.

Each error carries the sentence the Discord layer shows privately; nothing was changed when
one is raised.
"""

from __future__ import annotations


class CampaignError(Exception):
    """A refusal: the request broke a rule and changed nothing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoCampaign(CampaignError):
    """The channel has no campaign that has not ended."""

    def __init__(self) -> None:
        super().__init__("There is no campaign running in this channel.")


class ChannelBusy(CampaignError):
    """One campaign at a time per channel."""

    def __init__(self) -> None:
        super().__init__(
            "A campaign is already running in this channel. End it with /campaign end first."
        )


class TooManyCampaigns(CampaignError):
    """The server runs as many campaigns as the operator allows (MAX_CAMPAIGNS_PER_SERVER)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This server already has {limit} campaign{'s' if limit != 1 else ''} running, the"
            " most this bot allows; end one with /campaign end first."
        )


def _echo(value: str) -> str:
    """A member's own words quoted back, short enough for a reply (Discord allows 2,000
    characters; an option may carry 6,000)."""
    return value if len(value) <= 100 else value[:99] + "…"


class UnknownStory(CampaignError):
    """The story id names no loaded story."""

    def __init__(self, story_id: str, known: list[str]) -> None:
        names = ", ".join(known) or "none"
        super().__init__(f"There is no story called '{_echo(story_id)}'. Stories here: {names}.")


class UnknownVote(CampaignError):
    """A button that names a vote this server does not have (stale or forged)."""

    def __init__(self) -> None:
        super().__init__("This vote does not exist any more.")


class VoteClosed(CampaignError):
    """The vote has already been decided."""

    def __init__(self) -> None:
        super().__init__("This vote has closed; your click was not counted.")


class ChoiceNotOffered(CampaignError):
    """The choice is not one the vote offers."""

    def __init__(self, choice: str | None = None) -> None:
        what = f"'{_echo(choice)}' is" if choice else "That choice is"
        super().__init__(f"{what} not one of the choices of this vote.")


class NotAVoter(CampaignError):
    """The server limits voting to a role the member lacks."""

    def __init__(self) -> None:
        super().__init__("Only members with this server's voter role can vote.")


class CampaignPaused(CampaignError):
    """Votes are frozen while a moderator has the campaign paused."""

    def __init__(self) -> None:
        super().__init__("The campaign is paused; votes count again once a moderator resumes it.")


class WaitingForModerator(CampaignError):
    """The vote ended in a tie that a moderator must settle."""

    def __init__(self) -> None:
        super().__init__("The vote ended in a tie; a moderator is choosing with /campaign decide.")


class NotPaused(CampaignError):
    """Resume needs a paused campaign."""

    def __init__(self) -> None:
        super().__init__("The campaign is not paused.")


class AlreadyPaused(CampaignError):
    """Pause needs a running campaign."""

    def __init__(self) -> None:
        super().__init__("The campaign is already paused.")


class NoOpenVote(CampaignError):
    """Skip and decide need an open vote."""

    def __init__(self) -> None:
        super().__init__("There is no open vote in this channel.")


class InvalidSetting(CampaignError):
    """A setting value outside what it accepts."""

    def __init__(self, name: str, accepts: str) -> None:
        super().__init__(f"{name} must be {accepts}. Nothing was changed.")
        self.name = name


class StoryUnavailable(CampaignError):
    """The campaign's story is not loaded or no longer fits its state."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The campaign is paused: {reason}")


class BallotNotSaved(CampaignError):
    """The ballot's transaction failed (disk full, database gone) and was rolled back."""

    def __init__(self) -> None:
        super().__init__("Your vote could not be saved; please try again.")
