"""The domain: the words every layer above the story engine shares (see records.py)."""

from bot.domain.records import (
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

__all__ = [
    "OUTCOMELESS",
    "AuditEntry",
    "Ballot",
    "Campaign",
    "CampaignStatus",
    "CloseHow",
    "CrewChoices",
    "Decision",
    "GuildSettings",
    "NewAudit",
    "NewBallot",
    "NewClose",
    "NewDecision",
    "OpenDeadline",
    "Shards",
    "TieBreak",
]
