"""Campaign rules and use cases: start, vote, close, pause, override; the vote rules; the
deadline scheduler. Knows no Discord types; returns plain data for the adapters to render."""

from . import errors
from .backlog import Backlog
from .clock import Clock, ManualClock
from .housekeeping import Housekeeping
from .results import (
    BallotCast,
    CampaignInfo,
    ClockChange,
    Closed,
    CloseOutcome,
    CrewComparison,
    EndedCampaign,
    Epilogue,
    Extended,
    OpenVote,
    Recap,
    RecapEntry,
    ResumeReport,
    Started,
    Status,
    VoteResult,
    Waiting,
)
from .rules import check_setting, check_settings, settle
from .scheduler import DeadlineScheduler
from .service import CampaignService

__all__ = [
    "Backlog",
    "BallotCast",
    "CampaignInfo",
    "CampaignService",
    "Clock",
    "ClockChange",
    "CloseOutcome",
    "Closed",
    "CrewComparison",
    "DeadlineScheduler",
    "EndedCampaign",
    "Epilogue",
    "Extended",
    "Housekeeping",
    "ManualClock",
    "OpenVote",
    "Recap",
    "RecapEntry",
    "ResumeReport",
    "Started",
    "Status",
    "VoteResult",
    "Waiting",
    "check_setting",
    "check_settings",
    "errors",
    "settle",
]
