"""`python -m bot backup`: a consistent copy of the live database, taken while it is in use."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from bot.store._export import backup_database
from tests.store.helpers import CHANNEL, GUILD, start

LIVE = (
    "INSERT INTO campaigns (guild_id, channel_id, story_id, story_hash, status, state_json,"
    " seed, started_at) VALUES (9, 9, 'never', 'h', 'running', '{}', 1, 0)"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "command-deck.db"


async def test_backup_while_in_use_keeps_committed_data_only(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backups" / "copy.db"
    async with Store.open(db) as store:
        committed, _ = await start(store)
        # The committed campaign is still only in the WAL: a plain file copy would miss it.
        wal = await asyncio.to_thread(Path(f"{db}-wal").stat)
        assert wal.st_size > 0
        writer = sqlite3.connect(db, isolation_level=None)
        try:
            writer.execute("PRAGMA busy_timeout = 5000")
            writer.execute("BEGIN IMMEDIATE")
            writer.execute(LIVE)  # uncommitted while the backup runs
            await asyncio.to_thread(backup_database, db, copy)
            writer.execute("COMMIT")  # the backup did not get in the writer's way
        finally:
            writer.close()
        assert len(await store.list_campaigns(9)) == 1  # the original has both

    assert not await asyncio.to_thread(Path(f"{copy}-wal").exists)  # one self-contained file
    async with Store.open(copy) as restored:
        assert await restored.list_campaigns(GUILD) == [committed]
        assert await restored.list_campaigns(9) == []
        assert await restored.pragma("quick_check") == "ok"


async def test_cli_backup_refuses_to_overwrite_without_force(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Store.open(db) as store:
        await start(store)
        copy = tmp_path / "copy.db"
        assert await asyncio.to_thread(main, ["backup", str(copy), "--database", str(db)]) == 0
        assert f"backed up {db} to {copy}" in capsys.readouterr().out
        await start(store, CHANNEL + 1)  # a second campaign, after the first copy

        copy_before = copy.read_bytes()
        assert await asyncio.to_thread(main, ["backup", str(copy), "--database", str(db)]) == 1
        assert f"{copy} exists; pass --force to overwrite it" in capsys.readouterr().err
        assert copy.read_bytes() == copy_before

        args = ["backup", str(copy), "--database", str(db), "--force"]
        assert await asyncio.to_thread(main, args) == 0
    async with Store.open(copy) as restored:
        assert len(await restored.list_campaigns(GUILD)) == 2
    left = await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.iterdir()))
    assert left == ["copy.db", "data", "work"]  # no partial copy left behind


async def test_cli_backup_reads_the_database_from_the_settings(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Store.open(db) as store:
        await store.update_settings(GUILD, quorum=3)
    monkeypatch.setenv("DATABASE", str(db))
    copy = tmp_path / "copy.db"
    assert await asyncio.to_thread(main, ["backup", str(copy)]) == 0
    async with Store.open(copy) as restored:
        assert (await restored.get_settings(GUILD)).quorum == 3


def test_cli_backup_without_a_database(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "copy.db"), "--database", str(db)]) == 1
    assert f"No database at {db}" in capsys.readouterr().err
    assert not db.exists()  # not created by asking
    assert not (tmp_path / "copy.db").exists()


def test_cli_backup_of_a_file_that_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    out = tmp_path / "out"
    assert main(["backup", str(out / "copy.db"), "--database", str(junk)]) == 1
    assert "Backup failed: file is not a database" in capsys.readouterr().err
    assert list(out.iterdir()) == []  # the partial copy was removed


def test_backup_onto_itself_is_refused(db: Path) -> None:
    asyncio.run(_create(db))
    with pytest.raises(ValueError, match="is the database itself"):
        backup_database(db, db, overwrite=True)


async def _create(path: Path) -> None:
    async with Store.open(path) as store:
        await store.update_settings(GUILD, vote_seconds=60)
