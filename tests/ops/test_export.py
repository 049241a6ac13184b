"""`python -m bot export`: one guild's campaigns, decisions and ballot counts; nobody's ballot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.store import CloseHow, Store
from bot.store._export import EXPORT_FORMAT, export_guild
from tests.store.helpers import CHANNEL, GUILD, at, offer, start

OTHER_GUILD = 333_333_333_333_333_333
OTHER_CHANNEL = 444_444_444_444_444_444
MEMBERS = [555_555_555_555_555_001, 555_555_555_555_555_002, 555_555_555_555_555_003]
ROLE = 666_666_666_666_666_666


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "command-deck.db"


async def _fill(store: Store) -> None:
    """Guild GUILD: a campaign with one closed and one open vote; OTHER_GUILD: one campaign."""
    await store.update_settings(GUILD, quorum=2, tie_break="first", moderator_role_id=ROLE)
    campaign, first = await start(store)
    for member, choice in zip(MEMBERS, ("fight", "fight", "talk"), strict=True):
        assert await store.cast_ballot(first.id, member, choice, at(5))
    await store.close_decision(
        first.id,
        closed_at=at(120),
        outcome="fight",
        how=CloseHow.TIMER,
        campaign_state_json='{"scene": "battle"}',
        campaign_status="running",
        next_decision=offer("battle", ("shoot", "flee"), opened=120),
    )
    second = await store.open_decision_for(campaign.id)
    assert second is not None
    assert await store.cast_ballot(second.id, MEMBERS[0], "flee", at(130))
    _, other_decision = await start(store, OTHER_CHANNEL, guild_id=OTHER_GUILD)
    assert await store.cast_ballot(other_decision.id, MEMBERS[1], "run", at(3))


async def test_export_holds_one_guild_and_counts_only(db: Path) -> None:
    async with Store.open(db) as store:
        await _fill(store)
        data = await export_guild(store, GUILD)
    text = json.dumps(data)
    for member in MEMBERS:
        assert str(member) not in text
    assert str(OTHER_GUILD) not in text
    assert str(OTHER_CHANNEL) not in text
    assert data["format"] == EXPORT_FORMAT
    assert data["guild_id"] == str(GUILD)
    assert data["settings"] == {
        "vote_seconds": 120,
        "tie_break": "first",
        "quorum": 2,
        "blind": False,
        "share_choices": True,
        "voter_role_id": None,
        "moderator_role_id": str(ROLE),
    }
    [campaign] = data["campaigns"]
    assert campaign["channel_id"] == str(CHANNEL)
    assert campaign["story_id"] == "claim-jumpers"
    assert campaign["state"] == {"scene": "battle"}
    first, second = campaign["decisions"]
    assert first["seq"] == 1
    assert first["tally"] == {"run": 0, "fight": 2, "talk": 1}
    assert first["ballots"] == 3
    assert (first["outcome"], first["how"]) == ("fight", "timer")
    assert first["closed_at"] == at(120).isoformat()
    assert second["tally"] == {"shoot": 0, "flee": 1}
    assert second["closed_at"] is None
    assert all(not key.startswith("member") for d in (first, second) for key in d)


async def test_a_guild_with_nothing_exports_empty(db: Path) -> None:
    async with Store.open(db) as store:
        await _fill(store)
        data = await export_guild(store, 1)
    assert (data["settings"], data["campaigns"]) == (None, [])


async def _cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def test_cli_export_to_stdout_and_to_a_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Store.open(db) as store:  # the bot keeps the file open meanwhile
        await _fill(store)
        assert await _cli("export", "--guild", str(OTHER_GUILD), "--database", str(db)) == 0
        printed: dict[str, Any] = json.loads(capsys.readouterr().out)
        out = tmp_path / "guild.json"
        args = ("export", "--guild", str(GUILD), "--database", str(db), "--output", str(out))
        assert await _cli(*args) == 0
    assert "1 campaign(s), 2 decision(s)" in capsys.readouterr().out
    assert printed["guild_id"] == str(OTHER_GUILD)
    assert [c["channel_id"] for c in printed["campaigns"]] == [str(OTHER_CHANNEL)]
    assert printed["campaigns"][0]["decisions"][0]["tally"] == {"run": 1, "fight": 0, "talk": 0}
    assert "exported_at" in printed
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["guild_id"] == str(GUILD)
    for member in MEMBERS:
        assert str(member) not in out.read_text(encoding="utf-8")


def test_cli_export_without_a_database(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--guild", "5", "--database", str(db)]) == 1
    assert f"No database at {db}" in capsys.readouterr().err
    assert not db.exists()


def test_cli_export_refuses_a_bad_guild_id(db: Path) -> None:
    assert main(["export", "--guild", "0", "--database", str(db)]) == 2
    with pytest.raises(SystemExit):
        main(["export", "--guild", "abc", "--database", str(db)])
