"""Opening a file: pragmas, numbered migrations, and upgrades from every earlier version."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite
import pytest

from bot.domain import CloseHow, TieBreak
from bot.store import SchemaError, Store, load_migrations
from bot.store.migrations import Migration
from bot.store.sqlite.migrate import migrate, split_statements, user_version
from bot.store.times import to_us
from tests.store.helpers import CHANNEL, GUILD, at

LATEST = len(load_migrations())


async def test_open_sets_wal_foreign_keys_busy_timeout_and_full_sync(db_path: Path) -> None:
    async with Store.open(db_path) as store:
        assert await store.pragma("journal_mode") == "wal"
        assert await store.pragma("foreign_keys") == 1
        assert await store.pragma("busy_timeout") == 5000
        assert await store.pragma("synchronous") == 2  # FULL
        assert await store.pragma("user_version") == LATEST
    assert await asyncio.to_thread(db_path.exists)  # and its missing folder was made


async def test_normal_sync_is_allowed_and_nonsense_is_refused(db_path: Path) -> None:
    store = await Store.open(db_path, synchronous="NORMAL")
    try:
        assert await store.pragma("synchronous") == 1
    finally:
        await store.close()
    with pytest.raises(ValueError, match="synchronous"):
        await Store.open(db_path, synchronous="OFF")


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, LATEST + 1))
    assert all(m.name.startswith(f"{m.version:04d}_") for m in migrations)
    for migration in migrations:
        assert split_statements(migration.sql), migration.name


def test_split_statements_keeps_comments_and_refuses_a_dangling_one() -> None:
    script = (
        "-- a table\nCREATE TABLE a (x TEXT DEFAULT ';');\n\nCREATE INDEX i ON a (x);\n-- end\n"
    )
    assert split_statements(script) == [
        "-- a table\nCREATE TABLE a (x TEXT DEFAULT ';');",
        "CREATE INDEX i ON a (x);",
    ]
    with pytest.raises(SchemaError, match="unterminated"):
        split_statements("CREATE TABLE a (x)")


async def test_all_pending_migrations_apply_in_one_transaction(tmp_path: Path) -> None:
    broken = (
        Migration(1, "0001_fine.sql", "CREATE TABLE fine (x INTEGER);"),
        Migration(2, "0002_broken.sql", "CREATE TABLE broken (;"),
    )
    async with aiosqlite.connect(tmp_path / "x.db", isolation_level=None) as db:
        with pytest.raises(sqlite3.OperationalError):
            await migrate(db, broken)
        assert await user_version(db) == 0
        tables = list(await db.execute_fetchall("SELECT name FROM sqlite_master"))
        assert tables == []


async def test_a_file_from_newer_code_is_refused_untouched(db_path: Path) -> None:
    async with Store.open(db_path):
        pass
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    with pytest.raises(SchemaError, match="newer"):
        await Store.open(db_path)
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST + 1
    raw.close()


async def test_two_processes_creating_one_file_at_once_both_get_the_schema(db_path: Path) -> None:
    first, second = await asyncio.gather(Store.open(db_path), Store.open(db_path))
    try:
        assert await first.pragma("user_version") == LATEST
        assert await second.pragma("user_version") == LATEST
    finally:
        await first.close()
        await second.close()


# --- upgrades: a file made at each earlier version, holding that version's data ---------------


async def _seed_v1(db: aiosqlite.Connection) -> None:
    await db.execute(
        "INSERT INTO guild_settings (guild_id, vote_seconds, tie_break, quorum, blind) "
        "VALUES (?, 300, 'moderator', 2, 1)",
        (GUILD,),
    )
    await db.execute(
        "INSERT INTO campaigns (id, guild_id, channel_id, story_id, story_hash, status, "
        "state_json, seed, started_at) VALUES (7, ?, ?, 'claim-jumpers', 'h1', 'running', "
        "'{\"turn\": 1}', 99, ?)",
        (GUILD, CHANNEL, to_us(at(0))),
    )
    await db.execute(
        "INSERT INTO decisions (id, campaign_id, seq, scene_id, choices, opened_at, deadline, "
        "closed_at, outcome, how) VALUES (70, 7, 1, 'standoff', '[\"run\", \"fight\"]', ?, ?, "
        "?, 'run', 'timer')",
        (to_us(at(0)), to_us(at(120)), to_us(at(120))),
    )
    await db.execute(
        "INSERT INTO decisions (id, campaign_id, seq, scene_id, choices, opened_at, deadline) "
        "VALUES (71, 7, 2, 'chase', '[\"burn\", \"hide\"]', ?, ?)",
        (to_us(at(120)), to_us(at(240))),
    )
    await db.executemany(
        "INSERT INTO ballots (decision_id, member_id, choice_id, cast_at) VALUES (?, ?, ?, ?)",
        [(70, 1, "run", to_us(at(5))), (70, 2, "fight", to_us(at(6))), (71, 1, "hide", 0)],
    )


async def _check_v1(store: Store) -> None:
    settings = await store.get_settings(GUILD)
    assert (settings.vote_seconds, settings.tie_break, settings.quorum, settings.blind) == (
        300,
        TieBreak.MODERATOR,
        2,
        True,
    )
    campaign = await store.active_campaign_in_channel(CHANNEL)
    assert campaign is not None and campaign.id == 7 and campaign.state_json == '{"turn": 1}'
    closed = await store.get_decision(70)
    assert closed is not None and (closed.outcome, closed.how) == ("run", CloseHow.TIMER)
    assert await store.tally(70) == {"run": 1, "fight": 1}
    open_vote = await store.open_decision_for(7)
    assert open_vote is not None and open_vote.id == 71
    assert [d.decision_id for d in await store.open_deadlines()] == [71]
    # the upgraded file takes new writes
    assert await store.cast_ballot(71, 2, "burn", at(130))
    assert await store.tally(71) == {"burn": 1, "hide": 1}


async def _seed_v2(db: aiosqlite.Connection) -> None:
    await db.execute(
        "INSERT INTO audit_log (guild_id, campaign_id, actor_id, action, detail, at) "
        "VALUES (?, 7, 5, 'skip', 'closed early', ?)",
        (GUILD, to_us(at(100))),
    )


async def _check_v2(store: Store) -> None:
    [entry] = await store.audit_log(GUILD)
    assert (entry.action, entry.detail, entry.at) == ("skip", "closed early", at(100))


async def _seed_v3(db: aiosqlite.Connection) -> None:
    await db.execute("INSERT INTO app_meta (key, value) VALUES ('commands', 'abc123')")


async def _check_v3(store: Store) -> None:
    assert await store.get_meta("commands") == "abc123"
    await store.set_meta("commands", "def456")
    assert await store.get_meta("commands") == "def456"
    assert await store.get_meta("missing") is None


async def _seed_v4(db: aiosqlite.Connection) -> None:
    await db.execute(
        "INSERT INTO guild_departures (guild_id, departed_at) VALUES (?, ?)",
        (GUILD, to_us(at(500))),
    )


async def _check_v4(store: Store) -> None:
    assert await store.guild_returned(GUILD)
    assert not await store.guild_returned(GUILD)


async def _seed_v5(db: aiosqlite.Connection) -> None:
    await db.execute("UPDATE decisions SET close_shown = 0, close_view = '{}' WHERE id = 70")


async def _check_v5(store: Store) -> None:
    # a close from before version 5 counts as shown; one marked unshown is listed
    assert await store.unshown_closes() == ([70] if await store.close_view(70) else [])
    if await store.close_view(70):
        assert await store.mark_close_shown(70)
        assert await store.unshown_closes() == []


async def _seed_v6(db: aiosqlite.Connection) -> None:
    await db.execute("UPDATE guild_settings SET share_choices = 0 WHERE guild_id = ?", (GUILD,))
    await db.execute(
        "INSERT INTO crew_choices VALUES ('claim-jumpers', 'offer', 'stall', 4), "
        "('claim-jumpers', 'offer', 'pod', 2)"
    )
    await db.execute("INSERT INTO crew_reach VALUES ('claim-jumpers', 'offer', 5)")


async def _check_v6(store: Store) -> None:
    assert not (await store.get_settings(GUILD)).share_choices
    found = await store.crew_choices("claim-jumpers", ["offer"])
    assert found["offer"].servers == 5
    assert dict(found["offer"].crews) == {"stall": 4, "pod": 2}


Step = Callable[[aiosqlite.Connection], Awaitable[None]]
Check = Callable[[Store], Awaitable[None]]
# The data each version introduced, and how to find it after upgrading. A new migration
# adds its pair here, so the upgrade test covers the file of every earlier version.
SEEDS: dict[int, tuple[Step, Check]] = {
    1: (_seed_v1, _check_v1),
    2: (_seed_v2, _check_v2),
    3: (_seed_v3, _check_v3),
    4: (_seed_v4, _check_v4),
    5: (_seed_v5, _check_v5),
    6: (_seed_v6, _check_v6),
}


def test_every_version_has_seed_data() -> None:
    assert sorted(SEEDS) == list(range(1, LATEST + 1))


def _schema(path: Path) -> list[tuple[str, str, str]]:
    raw = sqlite3.connect(path)
    try:
        return raw.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
    finally:
        raw.close()


@pytest.mark.parametrize("version", range(LATEST))
async def test_upgrade_from_each_earlier_version_keeps_the_data(
    tmp_path: Path, version: int
) -> None:
    old = tmp_path / f"at-v{version}.db"
    migrations = load_migrations()
    async with aiosqlite.connect(old, isolation_level=None) as db:
        for step in range(1, version + 1):
            assert await migrate(db, migrations, target=step) == step
            await SEEDS[step][0](db)
        assert await user_version(db) == version

    async with Store.open(old) as store:
        assert await store.pragma("user_version") == LATEST
        assert await store.pragma("integrity_check") == "ok"
        for step in range(1, version + 1):
            await SEEDS[step][1](store)

    fresh = tmp_path / "fresh.db"
    async with Store.open(fresh):
        pass
    assert _schema(old) == _schema(fresh)
