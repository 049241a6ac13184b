"""`python -m bot migrate-db --to postgresql://...`: a stopped bot's SQLite database copied into
an empty PostgreSQL database and checked (issue 17); a target that is not empty is refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from bot.store._export import export_guild
from tests.ops.test_export import GUILD, OTHER_GUILD, _fill
from tests.postgres import postgres_url
from tests.store.helpers import start

__all__ = ["postgres_url"]


def _exported(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "exported_at"}


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_the_copy_holds_what_the_file_held_and_the_bot_goes_on_there(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "deck.db"
    async with Store.open(db) as store:
        await _fill(store)
        other = await store.open_decision_for(2)
        assert other is not None  # the other guild's vote, paused with 90 s left
        assert await store.pause_decision(other.id, timedelta(seconds=90), reason="a copy")
        expected = {g: _exported(await export_guild(store, g)) for g in (GUILD, OTHER_GUILD)}
        open_before = [
            (d.id, d.deadline, d.remaining)
            for c in (1, 2)
            for d in await store.decisions_of(c)
            if d.closed_at is None
        ]
    assert await _cli("migrate-db", "--database", str(db), "--to", postgres_url) == 0
    out = capsys.readouterr().out
    assert "rows per table match" in out and "2 open votes" in out
    assert postgres_url.split("@")[0].rsplit(":", 1)[-1] not in out  # no password shown
    async with Store.open(postgres_url) as copy:
        for guild, data in expected.items():
            assert _exported(await export_guild(copy, guild)) == data
        assert [
            (d.id, d.deadline, d.remaining)
            for c in (1, 2)
            for d in await copy.decisions_of(c)
            if d.closed_at is None
        ] == open_before
        assert (await copy.get_campaign(2)).status.value == "paused"
        settings = await copy.get_settings(GUILD)
        assert settings.quorum == 2 and settings.share_choices is True
        campaign, decision = await start(copy, 999_999_999_999_999_999, guild_id=777)
        assert campaign.id == 3 and decision.id == 4  # the id counters moved past the copy


async def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "deck.db"
    async with Store.open(db) as store:
        await _fill(store)
    assert await _cli("migrate-db", "--database", str(db), "--to", postgres_url) == 0
    async with Store.open(postgres_url) as copy:
        before = _exported(await export_guild(copy, GUILD))
    capsys.readouterr()
    assert await _cli("migrate-db", "--database", str(db), "--to", postgres_url) == 1
    assert "not empty" in capsys.readouterr().err
    async with Store.open(postgres_url) as copy:
        assert _exported(await export_guild(copy, GUILD)) == before


def test_bad_targets_and_sources_get_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", "--database", str(tmp_path / "x.db"), "--to", "mysql://h/db"]) == 1
    assert "postgresql://" in capsys.readouterr().err
    missing = ["migrate-db", "--database", str(tmp_path / "none.db")]
    assert main([*missing, "--to", "postgresql://u:pw@127.0.0.1:1/db"]) == 1
    err = capsys.readouterr().err
    assert "no SQLite database" in err and "pw" not in err
