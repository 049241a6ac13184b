"""How other crews chose: counts kept as votes close, by story and decision, never by server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiosqlite

from bot.domain import CampaignStatus, CloseHow, Decision, NewClose
from bot.store import Store, load_migrations
from bot.store.sqlite.migrate import migrate
from tests.store.helpers import CHANNEL, T0, at, offer, start

STORY = "claim-jumpers"


async def _close(store: Store, decision: Decision, outcome: str | None, how: CloseHow) -> None:
    await store.close_decision(
        decision.id,
        closed_at=at(60),
        outcome=outcome,
        how=how,
        campaign_state_json="{}",
        campaign_status=CampaignStatus.RUNNING,
        next_decision=offer("chase", ("burn", "hide"), opened=60),
    )


async def _crew_decides(
    store: Store, guild: int, outcome: str, how: CloseHow, *, crew: int = 0
) -> None:
    """A new campaign in `guild` (its channel number `crew`) whose first vote (scene
    'standoff') closes on `outcome`."""
    _, decision = await start(store, CHANNEL + 100 * guild + crew, guild_id=guild)
    await _close(store, decision, outcome, how)


async def test_closed_votes_count_crews_per_choice_and_servers_once(store: Store) -> None:
    await _crew_decides(store, 1, "run", CloseHow.TIMER)
    await _crew_decides(store, 1, "run", CloseHow.TIE, crew=1)  # the same server's second crew
    await _crew_decides(store, 2, "fight", CloseHow.SKIP)
    await _crew_decides(store, 3, "run", CloseHow.DECIDE)

    found = await store.crew_choices(STORY, ["standoff", "chase", "never-seen"])

    assert set(found) == {"standoff"}  # 'chase' opened but was never decided
    assert found["standoff"].servers == 3
    assert dict(found["standoff"].crews) == {"run": 3, "fight": 1}
    assert await store.crew_choices("another-story", ["standoff"]) == {}


async def test_outcomes_nobody_chose_are_not_counted(store: Store) -> None:
    await _crew_decides(store, 1, "run", CloseHow.NO_QUORUM)
    _, decision = await start(store, CHANNEL + 2, guild_id=2)
    await _close(store, decision, None, CloseHow.NO_DECISION)

    assert await store.crew_choices(STORY, ["standoff"]) == {}


async def test_a_server_that_does_not_share_adds_nothing(store: Store) -> None:
    await store.update_settings(1, share_choices=False)
    assert not (await store.get_settings(1)).share_choices
    await _crew_decides(store, 1, "run", CloseHow.TIMER)
    await _crew_decides(store, 2, "fight", CloseHow.TIMER)

    found = await store.crew_choices(STORY, ["standoff"])

    assert found["standoff"].servers == 1
    assert dict(found["standoff"].crews) == {"fight": 1}


async def test_a_purged_server_no_longer_counts_as_a_server(store: Store) -> None:
    await _crew_decides(store, 1, "run", CloseHow.TIMER)
    await _crew_decides(store, 2, "run", CloseHow.TIMER)
    await store.guild_departed(1, T0)

    assert await store.purge_departed(T0 + timedelta(days=31)) == [1]

    found = await store.crew_choices(STORY, ["standoff"])
    assert found["standoff"].servers == 1
    # the crews' counts name no server, so what was counted stays counted
    assert dict(found["standoff"].crews) == {"run": 2}


# SQLite-specific (`tmp_path`): a file of the schema version before, upgraded on open.
async def test_upgrading_counts_the_votes_closed_before(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    migrations = load_migrations()
    [counts] = [m.version for m in migrations if m.name.endswith("_crew_choices.sql")]
    before = counts - 1
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await migrate(db, migrations, target=before)
    async with Store.open(path) as store:  # the store writes the old-style rows...
        for guild in (1, 2):
            await _crew_decides(store, guild, "run", CloseHow.TIMER)
        await _crew_decides(store, 2, "fight", CloseHow.NO_QUORUM, crew=1)
    async with aiosqlite.connect(path, isolation_level=None) as db:
        # ...which we turn back into a file of the version before: no counts, no tables.
        for table in ("crew_choices", "crew_servers", "crew_reach"):
            await db.execute(f"DROP TABLE {table}")
        await db.execute("ALTER TABLE guild_settings DROP COLUMN share_choices")
        await db.execute(f"PRAGMA user_version = {before}")

    async with Store.open(path) as store:
        found = await store.crew_choices(STORY, ["standoff"])

    assert found["standoff"].servers == 2
    assert dict(found["standoff"].crews) == {"run": 2}


async def test_a_batch_of_closes_counts_like_single_closes(store: Store) -> None:
    """The overdue votes closed together at start count as if each had closed alone."""
    await store.update_settings(3, share_choices=False)
    opened = []
    for guild, crew in ((1, 0), (1, 1), (2, 0), (3, 0)):
        _, decision = await start(store, CHANNEL + 100 * guild + crew, guild_id=guild)
        opened.append(decision)

    def close(decision: Decision, outcome: str, how: CloseHow) -> NewClose:
        return NewClose(
            decision.id,
            at(130),
            outcome,
            how,
            "{}",
            CampaignStatus.RUNNING,
            None,
            None,
            None,
            {"run": 0, "fight": 0, "talk": 0},
        )

    done = await store.close_decisions(
        [
            close(opened[0], "run", CloseHow.TIMER),
            close(opened[1], "fight", CloseHow.TIE),
            close(opened[2], "run", CloseHow.NO_QUORUM),  # nobody's choice
            close(opened[3], "run", CloseHow.TIMER),  # server 3 does not share
        ]
    )

    assert len(done) == 4
    found = await store.crew_choices(STORY, ["standoff"])
    assert found["standoff"].servers == 1
    assert dict(found["standoff"].crews) == {"run": 1, "fight": 1}
    await _crew_decides(store, 1, "run", CloseHow.TIMER, crew=2)  # a known server, once more
    await _crew_decides(store, 2, "run", CloseHow.TIMER, crew=1)  # a new one
    found = await store.crew_choices(STORY, ["standoff"])
    assert found["standoff"].servers == 2
    assert dict(found["standoff"].crews) == {"run": 3, "fight": 1}
