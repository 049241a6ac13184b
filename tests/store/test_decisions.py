"""Votes: their clock (pause, resume, wait, extend), and closing each exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from dataclasses import replace
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from bot.domain import CampaignStatus, CloseHow, Decision, NewAudit, NewDecision, OpenDeadline
from bot.store import AlreadyClosed, NotFound, Store, TallyChanged
from tests.store.helpers import GUILD, at, offer, start

NEXT_STATE = '{"scene": "chase"}'


async def close(
    store: Store,
    decision: Decision,
    *,
    outcome: str | None = "run",
    how: CloseHow | str = CloseHow.TIMER,
    closed_at: float = 120,
    then: NewDecision | None = None,
    **extra: object,
) -> Decision | None:
    """Close `decision` the way the rules layer would, opening `then` next."""
    return await store.close_decision(
        decision.id,
        closed_at=at(closed_at),
        outcome=outcome,
        how=how,
        campaign_state_json=NEXT_STATE,
        campaign_status=CampaignStatus.RUNNING,
        next_decision=then,
        **extra,  # type: ignore[arg-type]
    )


async def test_close_moves_the_campaign_on_in_one_step(store: Store) -> None:
    campaign, first = await start(store)
    second = await close(store, first, then=offer("chase", ("burn", "hide"), 120))
    assert second is not None
    assert (second.seq, second.scene_id, second.choices) == (2, "chase", ("burn", "hide"))
    assert second.campaign_id == campaign.id and second.is_open

    closed = await store.get_decision(first.id)
    assert closed is not None and not closed.is_open
    assert (closed.closed_at, closed.outcome, closed.how) == (at(120), "run", CloseHow.TIMER)
    moved = await store.get_campaign(campaign.id)
    assert moved is not None and moved.state_json == NEXT_STATE
    assert await store.open_decision_for(campaign.id) == second
    assert await store.open_deadlines() == [OpenDeadline(second.id, at(240))]
    assert [d.id for d in await store.decisions_of(campaign.id)] == [first.id, second.id]


async def test_the_last_close_ends_the_campaign(store: Store) -> None:
    campaign, first = await start(store)
    assert (
        await store.close_decision(
            first.id,
            closed_at=at(10),
            outcome=None,
            how="no_decision",
            campaign_state_json='{"ending": "spaced"}',
            campaign_status="ended",
            ended_at=at(10),
        )
        is None
    )
    ended = await store.get_campaign(campaign.id)
    assert ended is not None
    assert (ended.status, ended.ended_at, ended.state_json) == (
        CampaignStatus.ENDED,
        at(10),
        '{"ending": "spaced"}',
    )
    assert await store.active_campaign_in_channel(campaign.channel_id) is None


async def test_a_refused_close_writes_nothing(
    store: Store, integrity_error: type[Exception]
) -> None:
    campaign, first = await start(store)
    with pytest.raises(ValueError, match="not offered"):
        await close(store, first, outcome="surrender", then=offer("chase"))
    with pytest.raises(ValueError, match="do not go together"):
        await close(store, first, outcome=None, how="skip")
    with pytest.raises(ValueError, match="do not go together"):
        await close(store, first, outcome="run", how="no_decision")
    with pytest.raises(ValueError, match="ended_at"):
        await store.close_decision(
            first.id,
            closed_at=at(1),
            outcome="run",
            how="decide",
            campaign_state_json="{}",
            campaign_status="ended",
        )
    with pytest.raises(integrity_error):  # the state must be JSON
        await store.close_decision(
            first.id,
            closed_at=at(1),
            outcome="run",
            how="decide",
            campaign_state_json="not json",
            campaign_status="running",
        )
    with pytest.raises(NotFound):
        await close(store, replace(first, id=first.id + 100))
    assert await store.get_decision(first.id) == first
    assert await store.decisions_of(campaign.id) == [first]
    assert await store.get_campaign(campaign.id) == campaign


async def test_a_moderators_close_and_its_audit_row_commit_together(store: Store) -> None:
    campaign, first = await start(store)
    audit = NewAudit(actor_id=42, action="decide", at=at(30), detail="fight")
    await close(store, first, outcome="fight", how="decide", closed_at=30, audit=audit)
    [entry] = await store.audit_log(GUILD)
    assert (entry.guild_id, entry.campaign_id, entry.actor_id, entry.action) == (
        GUILD,
        campaign.id,
        42,
        "decide",
    )
    assert (entry.detail, entry.at) == ("fight", at(30))
    # the loser of a race logs nothing either
    with pytest.raises(AlreadyClosed):
        await close(store, first, how="skip", audit=replace(audit, action="skip"))
    assert len(await store.audit_log(GUILD)) == 1


async def test_audit_log_lists_a_guilds_actions_newest_first(store: Store) -> None:
    campaign, _ = await start(store)
    first = await store.add_audit(GUILD, campaign.id, 7, "pause", "lunch", at(5))
    second = await store.add_audit(GUILD, None, 7, "settings", "quorum=3", at(9))
    await store.add_audit(GUILD + 1, None, 8, "settings", None, at(7))
    assert await store.audit_log(GUILD) == [second, first]
    assert await store.audit_log(GUILD, limit=1) == [second]


async def test_close_with_an_expected_tally_refuses_a_stale_count(store: Store) -> None:
    _, first = await start(store)
    assert await store.cast_ballot(first.id, 1, "run", at(1))
    counted = await store.tally(first.id)
    assert await store.cast_ballot(first.id, 2, "fight", at(2))  # lands after the count
    with pytest.raises(TallyChanged) as stale:
        await close(store, first, expect_tally=counted)
    assert stale.value.tally == {"run": 1, "fight": 1, "talk": 0}
    assert (await store.get_decision(first.id)) == first  # still open
    await close(store, first, outcome="fight", how="tie", expect_tally=stale.value.tally)


async def test_a_close_survives_a_restart_and_cannot_repeat(database: str | Path) -> None:
    async with Store.open(database) as store:
        campaign, first = await start(store)
        second = await close(store, first, then=offer("chase", opened=120))
    async with Store.open(database) as store:
        # the timer rescheduled at start for the old vote fires late: refused
        with pytest.raises(AlreadyClosed):
            await close(store, first, how="timer", then=offer("again"))
        assert await store.open_decision_for(campaign.id) == second
        assert [d.seq for d in await store.decisions_of(campaign.id)] == [1, 2]


async def test_simultaneous_closes_in_one_process_close_once(store: Store) -> None:
    campaign, first = await start(store)
    attempts = [
        close(store, first, how="timer", then=offer("timer-next")),
        close(store, first, how="skip", then=offer("skip-next")),
        close(store, first, outcome="talk", how="decide", then=offer("decide-next")),
        close(store, first, outcome=None, how="no_decision", then=offer("nd-next")),
        close(store, first, how="tie", then=offer("tie-next")),
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    winners = [r for r in results if isinstance(r, Decision)]
    assert len(winners) == 1
    assert all(isinstance(r, AlreadyClosed) for r in results if r is not winners[0])
    assert await store.decisions_of(campaign.id) == [
        await store.get_decision(first.id),
        winners[0],
    ]


async def test_two_connections_racing_close_each_vote_once(database: str | Path) -> None:
    async with Store.open(database) as one, Store.open(database) as two:
        campaign, decision = await start(one)
        for round_no in range(1, 16):
            results = await asyncio.gather(
                close(one, decision, closed_at=round_no, then=offer(f"one-{round_no}")),
                close(two, decision, closed_at=round_no, then=offer(f"two-{round_no}")),
                close(one, decision, how="skip", closed_at=round_no, then=offer("one-b")),
                close(two, decision, how="skip", closed_at=round_no, then=offer("two-b")),
                return_exceptions=True,
            )
            winners = [r for r in results if isinstance(r, Decision)]
            losers = [r for r in results if isinstance(r, AlreadyClosed)]
            assert (len(winners), len(losers)) == (1, 3), results
            decision = winners[0]
        history = await two.decisions_of(campaign.id)
        assert [d.seq for d in history] == list(range(1, 17))
        assert [d.is_open for d in history] == [False] * 15 + [True]


async def test_pause_and_resume_keep_the_time_left(database: str | Path) -> None:
    async with Store.open(database) as store:
        campaign, decision = await start(store)
        left = timedelta(seconds=75, microseconds=250)
        assert await store.pause_decision(decision.id, left, reason="fire drill")
        assert not await store.pause_decision(decision.id, left)  # already paused
    async with Store.open(database) as store:
        paused = await store.get_decision(decision.id)
        assert paused is not None and paused.is_paused
        assert (paused.deadline, paused.remaining) == (None, left)
        held = await store.get_campaign(campaign.id)
        assert held is not None
        assert (held.status, held.status_reason) == (CampaignStatus.PAUSED, "fire drill")
        assert await store.open_deadlines() == []  # nothing to reschedule while paused

        assert await store.resume_decision(decision.id, at(500) + left)
        assert not await store.resume_decision(decision.id, at(600))  # not paused
        resumed = await store.get_decision(decision.id)
        assert resumed is not None and not resumed.is_paused
        assert (resumed.deadline, resumed.remaining) == (at(500) + left, None)
        running = await store.get_campaign(campaign.id)
        assert running is not None
        assert (running.status, running.status_reason) == (CampaignStatus.RUNNING, None)
        assert await store.open_deadlines() == [OpenDeadline(decision.id, at(500) + left)]


async def test_a_closed_vote_cannot_be_paused_resumed_extended_or_held(store: Store) -> None:
    _, decision = await start(store)
    await close(store, decision)
    assert not await store.pause_decision(decision.id, timedelta(seconds=5))
    assert not await store.resume_decision(decision.id, at(500))
    assert not await store.extend_decision(decision.id, at(500))
    assert not await store.wait_for_moderator(decision.id)
    assert not await store.pause_decision(decision.id + 50, timedelta(seconds=5))
    with pytest.raises(ValueError, match="negative"):
        await store.pause_decision(decision.id, timedelta(seconds=-1))


async def test_a_vote_is_extended_once(store: Store) -> None:
    _, decision = await start(store)
    assert await store.extend_decision(decision.id, at(240))
    assert not await store.extend_decision(decision.id, at(360))
    extended = await store.get_decision(decision.id)
    assert extended is not None and extended.extended and extended.deadline == at(240)


async def test_a_tie_for_the_moderator_waits_without_a_timer(database: str | Path) -> None:
    async with Store.open(database) as store:
        campaign, decision = await start(store)
        assert await store.wait_for_moderator(decision.id, reason="tie: run/fight")
    async with Store.open(database) as store:
        waiting = await store.get_campaign(campaign.id)
        assert waiting is not None
        assert (waiting.status, waiting.status_reason) == (
            CampaignStatus.WAITING,
            "tie: run/fight",
        )
        assert await store.open_deadlines() == []
        still_open = await store.get_decision(decision.id)
        assert still_open is not None and still_open.is_open and still_open.deadline is None
        await close(store, decision, outcome="fight", how="decide", then=offer("chase"))
        moving = await store.get_campaign(campaign.id)
        assert moving is not None and moving.status is CampaignStatus.RUNNING


async def test_open_deadlines_list_every_running_vote_soonest_first(store: Store) -> None:
    _, late = await start(store, 1, first=offer(seconds=300))
    _, soon = await start(store, 2, first=offer(seconds=30))
    _, paused = await start(store, 3, first=offer(seconds=10))
    await store.pause_decision(paused.id, timedelta(seconds=10))
    other, elsewhere = await start(store, 4, guild_id=GUILD + 1, first=offer(seconds=60))
    assert await store.open_deadlines() == [
        OpenDeadline(soon.id, at(30)),
        OpenDeadline(elsewhere.id, at(60)),
        OpenDeadline(late.id, at(300)),
    ]
    await store.set_campaign_status(other.id, "paused", reason="no clock change")
    assert [d.decision_id for d in await store.open_deadlines()] == [soon.id, late.id]


async def test_the_message_id_is_remembered(database: str | Path) -> None:
    message_id = 1_300_000_000_000_000_001
    async with Store.open(database) as store:
        _, decision = await start(store)
        assert await store.set_message_id(decision.id, message_id)
        assert not await store.set_message_id(decision.id + 9, message_id)
    async with Store.open(database) as store:
        found = await store.get_decision(decision.id)
        assert found is not None and found.message_id == message_id


async def test_times_in_another_zone_come_back_as_the_same_instant(store: Store) -> None:
    tokyo = timezone(timedelta(hours=9))
    opened = at(0).astimezone(tokyo)
    _, decision = await start(store, first=NewDecision("s", ("a",), opened, at(0.000001)))
    assert decision.opened_at == opened and decision.opened_at.tzinfo is not None
    assert decision.deadline == at(0.000001)  # microseconds survive


# SQLite-specific (`db_path`): the file's own index, written to past the store.
async def test_a_campaign_never_has_two_open_votes(db_path: Path) -> None:
    async with Store.open(db_path) as store:
        campaign, _ = await start(store)
    raw = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            raw.execute(
                "INSERT INTO decisions (campaign_id, seq, scene_id, choices, opened_at) "
                "VALUES (?, 2, 'x', '[]', 0)",
                (campaign.id,),
            )
    finally:
        raw.close()


# SQLite-specific (`db_path`): a second connection checks the file's write lock is free.
async def test_a_cancelled_close_is_all_or_nothing_and_leaves_the_file_free(
    db_path: Path,
) -> None:
    async with Store.open(db_path) as store:
        campaign, decision = await start(store)
        for yields in range(30):
            task = asyncio.create_task(close(store, decision, then=offer(f"next-{yields}")))
            for _ in range(yields):
                await asyncio.sleep(0)  # a bare yield to the loop: cancel at each point
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

            # no transaction was left open on the connection: another writer gets in at once
            await store.set_message_id(decision.id, yields)
            other = sqlite3.connect(db_path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()

            # and the close happened whole or not at all
            history = await store.decisions_of(campaign.id)
            current = await store.get_decision(decision.id)
            assert current is not None
            if current.is_open:
                assert history[-1] == current
            else:
                assert history[-1].seq == current.seq + 1 and history[-1].is_open
                decision = history[-1]
        assert [d.seq for d in history] == list(range(1, len(history) + 1))


async def test_a_batch_of_closes_commits_each_once_and_leaves_out_the_stale(store: Store) -> None:
    """`close_decisions` (the overdue votes at start): one transaction for the batch; a vote
    already closed or with a ballot since its count is left out, nothing written for it."""
    from bot.domain import CampaignStatus, CloseHow, NewClose

    opened = [await start(store, channel) for channel in (1, 2, 3)]
    (_, first), (_, second), (_, third) = opened
    await store.cast_ballot(first.id, 7, "run", at(5))
    await store.cast_ballot(third.id, 7, "run", at(5))
    await store.close_decision(
        second.id,
        closed_at=at(10),
        outcome="run",
        how=CloseHow.SKIP,
        campaign_state_json="{}",
        campaign_status=CampaignStatus.RUNNING,
    )

    def close(decision_id: int, tally: dict[str, int]) -> NewClose:
        return NewClose(
            decision_id,
            at(130),
            "run",
            CloseHow.TIMER,
            '{"turn": 2}',
            CampaignStatus.RUNNING,
            None,
            None,
            offer("next", opened=130),
            tally,
            view_json="{}",
        )

    stale = {"run": 0, "fight": 0, "talk": 0}  # a ballot landed since this count
    counted = {"run": 1, "fight": 0, "talk": 0}
    done = await store.close_decisions(
        [close(first.id, counted), close(second.id, counted), close(third.id, stale)]
    )
    assert list(done) == [first.id]
    following = done[first.id]
    assert following is not None and following.seq == 2 and following.scene_id == "next"
    assert (await store.get_decision(first.id)).how is CloseHow.TIMER
    assert (await store.get_decision(third.id)).is_open
    assert await store.unshown_closes() == [first.id]
