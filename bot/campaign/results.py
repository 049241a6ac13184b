"""What the use cases return: plain data that says what changed and what to show.

The Discord layer and the terminal render these; neither needs the store or the story to
do so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.store import CampaignStatus, CloseHow
from bot.story import ChoiceView, SceneView, Turn


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign as listed: where, which story, how it stands."""

    id: int
    guild_id: int
    channel_id: int
    story_id: str
    story_title: str
    status: CampaignStatus
    status_reason: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class OpenVote:
    """An open vote as players see it: the scene, the choices in button order, the clock."""

    campaign_id: int
    decision_id: int
    seq: int
    scene: SceneView
    choices: tuple[ChoiceView, ...]
    deadline: datetime | None
    remaining: timedelta | None
    tally: dict[str, int] | None  # None while the server votes blind
    message_id: int | None
    waiting_for_moderator: bool = False


@dataclass(frozen=True)
class VoteResult:
    """How a vote ended: the counts, the outcome and how it was reached."""

    decision_id: int
    seq: int
    scene_title: str
    tally: dict[str, int]
    labels: dict[str, str]
    outcome: str | None
    outcome_label: str | None
    how: CloseHow
    turn: Turn | None
    message_id: int | None
    extra_turns: tuple[Turn, ...] = ()  # no-decision outcomes taken because nothing was open

    @property
    def turnout(self) -> int:
        """Ballots cast."""
        return sum(self.tally.values())


@dataclass(frozen=True)
class CrewComparison:
    """How the crews of every sharing server chose at a decision this channel made."""

    choice_label: str
    #: Crews, this one included, that took the same choice.
    same: int
    #: Crews that reached the decision.
    crews: int
    #: Servers those crews play in (a figure is shown only past a floor of them).
    servers: int

    @property
    def share(self) -> float:
        """The part of the crews that chose as this one did, 0 to 1."""
        return self.same / self.crews if self.crews else 0.0


@dataclass(frozen=True)
class Epilogue:
    """The end of a campaign: the ending shown, and a summary of the play."""

    scene: SceneView
    ending_id: str
    endings_total: int
    decisions: int
    ballots: int
    turnouts: tuple[int, ...]
    #: Per decision, the winner's lead over the runner-up (None when under two votes).
    margins: tuple[int | None, ...] = ()
    #: Per decision, how other crews chose (None: no choice made, too few servers, or the
    #: server does not share).
    crews: tuple[CrewComparison | None, ...] = ()


@dataclass(frozen=True)
class Started:
    """A campaign started: its first vote (or, for a story that ends at once, its ending)."""

    campaign: CampaignInfo
    summary: str
    vote: OpenVote | None
    epilogue: Epilogue | None


@dataclass(frozen=True)
class Closed:
    """A vote closed and the story moved on: the next vote, or the campaign's end."""

    campaign: CampaignInfo
    result: VoteResult
    next_vote: OpenVote | None
    epilogue: Epilogue | None
    paused_reason: str | None = None  # the story could not go on; the campaign paused


@dataclass(frozen=True)
class Extended:
    """Too few ballots: the vote got its one extension."""

    campaign: CampaignInfo
    decision_id: int
    deadline: datetime
    message_id: int | None
    turnout: int
    quorum: int


@dataclass(frozen=True)
class Waiting:
    """A tie that the server's rule leaves to a moderator."""

    campaign: CampaignInfo
    decision_id: int
    tally: dict[str, int]
    leaders: tuple[str, ...]
    labels: dict[str, str]
    message_id: int | None


CloseOutcome = Closed | Extended | Waiting


@dataclass(frozen=True)
class BallotCast:
    """A ballot committed: what the member voted and until when they can change it."""

    decision_id: int
    campaign_id: int
    choice_id: str
    choice_label: str
    deadline: datetime | None
    changed_from: str | None  # the label of the member's earlier ballot, if it differed
    blind: bool


@dataclass(frozen=True)
class ClockChange:
    """A pause or resume: the vote with its new clock."""

    campaign: CampaignInfo
    vote: OpenVote


@dataclass(frozen=True)
class Status:
    """The campaign in this channel right now."""

    campaign: CampaignInfo
    scene: SceneView
    vote: OpenVote | None
    decisions_taken: int


@dataclass(frozen=True)
class RecapEntry:
    """One decision of the story so far."""

    scene_title: str
    choice_label: str | None
    how: str
    tally: dict[str, int]
    labels: dict[str, str]
    roll: bool | None
    result: str | None = None
    crews: CrewComparison | None = None


@dataclass(frozen=True)
class Recap:
    """The story so far."""

    campaign: CampaignInfo
    entries: tuple[RecapEntry, ...]
    current_title: str
    ended: bool


@dataclass(frozen=True)
class EndedCampaign:
    """A campaign ended by a moderator."""

    campaign: CampaignInfo
    closed_message_id: int | None
    decisions: int


@dataclass(frozen=True)
class ResumeReport:
    """What a start-up found: votes rescheduled, overdue ones to close now."""

    scheduled: int
    overdue: list[int] = field(default_factory=list)
