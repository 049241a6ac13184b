"""Every change to a vote forgets what this process keeps of it: the click's check AND the
live counts. Another process (a second service on the same database) adds a ballot this
one's counts do not hold; after each change the tally must come from the store, and a click
must be judged by the vote as it is now, not by the check cached before the change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.campaign import CampaignService, Extended, Waiting, errors

from .conftest import CHANNEL, GUILD, MOD, Harness

Change = Callable[[Harness, int], Awaitable[None]]


async def _pause(h: Harness, decision: int) -> None:
    await h.service.pause(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)


async def _fault_pause(h: Harness, decision: int) -> None:
    campaign = (await h.store.get_decision(decision)).campaign_id
    await h.service.pause_campaign(campaign, "the channel is gone")


async def _story_gone(h: Harness, decision: int) -> None:
    h.service.stories = {}
    h.clock.advance(120)
    assert await h.service.close_due(decision) is None  # paused: its story is not loaded
    assert (await h.store.get_decision(decision)).is_open


async def _end(h: Harness, decision: int) -> None:
    await h.service.end(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)


async def _skip(h: Harness, decision: int) -> None:
    await h.service.skip(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)


async def _decide(h: Harness, decision: int) -> None:
    await h.service.decide(guild_id=GUILD, channel_id=CHANNEL, choice_id="right", actor_id=MOD)


async def _timer_close(h: Harness, decision: int) -> None:
    h.clock.advance(120)
    assert await h.service.close_due(decision) is not None


async def _quorum_extension(h: Harness, decision: int) -> None:
    h.clock.advance(120)
    assert isinstance(await h.service.close_due(decision), Extended)  # 2 ballots, quorum 3
    h.clock.advance(10)  # past the first deadline, inside the extension


async def _tie_left_to_a_moderator(h: Harness, decision: int) -> None:
    h.clock.advance(120)
    assert isinstance(await h.service.close_due(decision), Waiting)  # 1 to 1


async def _posted_late(h: Harness, decision: int) -> None:
    h.clock.advance(60)
    await h.service.set_message(decision, 555, late=True)  # its time starts again now
    h.clock.advance(70)  # past the first deadline, inside the new one


#: Each change, the server's rules it needs, and what a click through the changed service
#: meets afterwards (None: the ballot is counted).
CHANGES: dict[str, tuple[Change, dict[str, object], type[errors.CampaignError] | None]] = {
    "pause": (_pause, {}, errors.CampaignPaused),
    "fault pause": (_fault_pause, {}, errors.CampaignPaused),
    "story gone at the deadline": (_story_gone, {}, errors.CampaignPaused),
    "end": (_end, {}, errors.VoteClosed),
    "skip": (_skip, {}, errors.VoteClosed),
    "decide": (_decide, {}, errors.VoteClosed),
    "timer close": (_timer_close, {}, errors.VoteClosed),
    "tie left to a moderator": (
        _tie_left_to_a_moderator,
        {"tie_break": "moderator"},
        errors.WaitingForModerator,
    ),
    "quorum extension": (_quorum_extension, {"quorum": 3}, None),
    "posted late": (_posted_late, {}, None),
}


@pytest.mark.parametrize("name", list(CHANGES))
async def test_a_change_to_a_vote_forgets_both_its_check_and_its_counts(
    harness: Harness, name: str
) -> None:
    change, rules, click_meets = CHANGES[name]
    service = harness.service
    if rules:
        await service.update_settings(guild_id=GUILD, actor_id=MOD, changes=rules)
    started = await service.start(guild_id=GUILD, channel_id=CHANNEL, story_id="coin", actor_id=MOD)
    decision = started.vote.decision_id
    await service.cast(guild_id=GUILD, decision_id=decision, choice_index=0, member_id=1)
    assert await service.tally(decision) == {"left": 1, "right": 0}  # check and counts held
    other = CampaignService(harness.store, harness.stories, harness.clock)
    try:
        await other.cast(guild_id=GUILD, decision_id=decision, choice_index=1, member_id=2)
    finally:
        await other.close()
    assert await service.tally(decision) == {"left": 1, "right": 0}  # held, not read again

    await change(harness, decision)

    # the counts were dropped: the tally is read from the store, with the other's ballot
    assert await service.tally(decision) == {"left": 1, "right": 1}
    # the check was dropped: the click is judged by the vote as it is now
    click = service.cast(guild_id=GUILD, decision_id=decision, choice_index=1, member_id=3)
    if click_meets is None:
        counted = await click
        assert counted.deadline == (await harness.store.get_decision(decision)).deadline
        assert await service.tally(decision) == {"left": 1, "right": 2}
    else:
        with pytest.raises(click_meets):
            await click
