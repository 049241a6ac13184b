"""Record mapping: rows and story state to the plain results, so every view shows them alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain import Campaign, Decision, GuildSettings
from bot.store import Store
from bot.story import ChoiceView, Story, StoryState

from .crews import compare_with_crews
from .results import CampaignInfo, Epilogue, OpenVote


@dataclass
class Loaded:
    """A campaign with its story and state, ready to play."""

    campaign: Campaign
    story: Story
    state: StoryState


def campaign_info(campaign: Campaign, stories: Mapping[str, Story]) -> CampaignInfo:
    """A campaign as the adapters show it (its story's title, if the story is loaded)."""
    story = stories.get(campaign.story_id)
    return CampaignInfo(
        id=campaign.id,
        guild_id=campaign.guild_id,
        channel_id=campaign.channel_id,
        story_id=campaign.story_id,
        story_title=story.title if story is not None else campaign.story_id,
        status=campaign.status,
        status_reason=campaign.status_reason,
        started_at=campaign.started_at,
        ended_at=campaign.ended_at,
    )


def choice_labels(
    stories: Mapping[str, Story], story_id: str, decision: Decision
) -> dict[str, str]:
    """A vote's choices, id to label (the id itself where the story no longer has it)."""
    story = stories.get(story_id)
    scene = story.scenes.get(decision.scene_id) if story is not None else None
    if scene is None:
        return {choice: choice for choice in decision.choices}
    return {
        choice: scene.by_id[choice].label if choice in scene.by_id else choice
        for choice in decision.choices
    }


def open_vote(
    loaded: Loaded,
    decision: Decision,
    settings: GuildSettings,
    tally: dict[str, int] | None,
    *,
    waiting: bool = False,
) -> OpenVote:
    """An open vote with its scene and buttons (the tally hidden in a blind server)."""
    view = loaded.story.view(loaded.state)
    by_id = {choice.id: choice for choice in view.choices}
    scene = loaded.story.scenes.get(decision.scene_id)
    choices = []
    for choice_id in decision.choices:
        if choice_id in by_id:
            choices.append(by_id[choice_id])
        elif scene is not None and choice_id in scene.by_id:
            # Offered when the vote opened; keep its button even if the story was edited.
            compiled = scene.by_id[choice_id]
            choices.append(
                ChoiceView(compiled.index, compiled.id, compiled.label, compiled.by, None)
            )
    return OpenVote(
        campaign_id=loaded.campaign.id,
        decision_id=decision.id,
        seq=decision.seq,
        scene=view,
        choices=tuple(choices),
        deadline=decision.deadline,
        remaining=decision.remaining,
        tally=None if settings.blind else tally,
        message_id=decision.message_id,
        waiting_for_moderator=waiting,
    )


async def epilogue(
    store: Store, story: Story, state: StoryState, settings: GuildSettings
) -> Epilogue:
    """How an ended campaign went: its ending, turnouts, margins and the crews' choices."""
    turnouts = tuple(sum(step.get("counts", {}).values()) for step in state.path)
    return Epilogue(
        scene=story.view(state),
        ending_id=state.scene,
        endings_total=len(story.endings),
        decisions=len(state.path),
        ballots=sum(turnouts),
        turnouts=turnouts,
        margins=tuple(margin(step.get("counts", {})) for step in state.path),
        crews=await compare_with_crews(store, story, settings, state.path),
    )


def margin(counts: Mapping[str, int]) -> int | None:
    """The winner's lead over the runner-up, when at least two ballots were cast."""
    if sum(counts.values()) < 2:
        return None
    ranked = [*sorted(counts.values(), reverse=True), 0]
    return ranked[0] - ranked[1]


def where(campaign: Campaign) -> str:
    """How a log line names a campaign: with its guild and channel, for grep."""
    return f"campaign {campaign.id} (guild {campaign.guild_id}, channel {campaign.channel_id})"
