"""A story file changed or broken under running campaigns; a database that cannot be written
(read-only, disk full). The bot answers with a clear message, keeps running (no crash, no
loop of failures), loses nothing it acknowledged, and carries on once the fault is gone.

Stories are read when the bot starts, so an edit takes effect at the next start: each story
test edits the copied content folder and restarts the bot.

The storage faults are made on the bot's own SQLite connection, with SQLite's own switches,
because the tests may run as root (for whom a read-only file is writable) and cannot mount a
small disk: `PRAGMA query_only` makes every write fail with SQLITE_READONLY, exactly what a
read-only file answers, and `PRAGMA max_page_count` caps the file at its current size, so a
write that needs a new page fails with SQLITE_FULL, exactly what a full disk answers.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import Store, StoreUnavailable

from .helpers import (
    World,
    again,
    buttons,
    campaign_line,
    claim_errors,
    disabled,
    field,
    scenes,
    start,
)

FORCE = "Force the door with the winch"
NOT_SAVED = "Your vote could not be saved; please try again."
STORAGE = (
    "Command Deck could not save this: its storage is read-only or full. Please try again"
    " later, and tell the server's admins."
)


def story_file(world: World) -> Path:
    return world.settings.content_dir / "derelict" / "story.yaml"


# -- stories -----------------------------------------------------------------------------------


async def test_a_broken_story_file_leaves_its_campaigns_paused_until_it_is_fixed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label=FORCE)
    path = story_file(world)
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "\nscenes: [unclosed\n", encoding="utf-8")
    await world.restart()
    [logged] = claim_errors(caplog, "left out")
    assert "story.yaml:" in logged.getMessage()  # the operator is told file:line

    other = world.guild.create_text_channel("galley")
    started = await world.mod.slash(other, "campaign start", story="claim-jumpers")
    assert "begins" in started.response.content  # the other stories play on

    await world.env.advance_time(121)
    line = await campaign_line(world)
    assert line == "The campaign is paused: its story 'derelict' is not loaded.", line
    refused = await world.members[1].click(again(world, scene), label=FORCE)
    assert refused.ephemeral and "paused" in refused.response.content

    path.write_text(good, encoding="utf-8")
    await world.restart()
    resumed = await world.mod.slash(world.channel, "campaign resume")
    assert "resumed the campaign" in resumed.response.content
    # it was due when it paused: it gets a minute back, then closes with the ballot it had
    await world.env.advance_time(59)
    assert not any(disabled(again(world, scene)))
    await world.env.advance_time(2)
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")
    assert scenes(world)[-1].embeds[0].title == "The Cargo Hold"


async def test_a_story_edit_that_removes_the_current_scene_pauses_and_says_why(
    world: World,
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label=FORCE)
    path = story_file(world)
    good = path.read_text(encoding="utf-8")
    # the airlock scene is renamed: the campaign's state points at a scene that is gone
    path.write_text(good.replace("airlock", "outer-door"), encoding="utf-8")
    await world.restart()
    await world.env.advance_time(121)
    assert await campaign_line(world) == (
        "The campaign is paused: the story no longer fits this campaign (scene 'airlock' no"
        " longer exists in 'derelict')."
    )
    assert not any(disabled(again(world, scene)))  # nothing was decided on a story it lost
    refused = await world.mod.slash(world.channel, "campaign resume")
    assert refused.ephemeral and "no longer fits" in refused.response.content

    path.write_text(good, encoding="utf-8")  # the author puts the scene back
    await world.restart()
    await world.mod.slash(world.channel, "campaign resume")
    await world.env.advance_time(61)  # a fault's pause leaves the vote at least a minute
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")
    assert scenes(world)[-1].embeds[0].title == "The Cargo Hold"


async def test_a_story_edit_that_keeps_the_scene_plays_on_with_the_new_text(
    world: World,
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label=FORCE)
    path = story_file(world)
    path.write_text(
        path.read_text(encoding="utf-8").replace(FORCE, "Winch the door open"), encoding="utf-8"
    )
    await world.restart()
    click = await world.members[1].click(again(world, scene), label=FORCE)  # the old button
    assert click.response.content.startswith("You voted **Winch the door open**")
    await world.env.advance_time(121)
    assert "**Winch the door open** (the vote closed on time; 2 votes)" in field(
        again(world, scene), "Decided"
    )


# -- storage -----------------------------------------------------------------------------------


async def test_a_read_only_database_refuses_clearly_and_nothing_is_lost(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label=FORCE)
    db = world.bot.store._db  # the bot's own connection: its writes must be the ones that fail
    await db.execute("PRAGMA query_only = 1")

    refused = await world.members[1].click(scene, label=FORCE)
    assert refused.ephemeral and refused.response.content == NOT_SAVED
    skipped = await world.mod.slash(world.channel, "campaign skip")
    assert skipped.ephemeral and skipped.response.content == STORAGE
    status = await world.mod.slash(world.channel, "campaign status")  # reads still work
    assert "`  1`" in next(f.value for f in status.response.embeds[0].fields if f.name == "Tally")

    await world.env.advance_time(121 + 60 + 60)  # the close fails, and fails again a minute on
    assert not any(disabled(again(world, scene)))
    assert await campaign_line(world) == "running"

    await db.execute("PRAGMA query_only = 0")  # the operator fixed the file
    await world.env.advance_time(60)  # the next retry closes it
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    counted = await world.members[1].click(scenes(world)[-1], label="Tag another crate")
    assert counted.response.content.startswith("You voted")

    assert claim_errors(caplog, "ballot(s) failed")
    assert claim_errors(caplog, "command campaign skip could not save")
    retries = claim_errors(caplog, "closing vote 1 failed; trying again in 60 s")
    assert len(retries) == 3  # one a minute, no faster


async def fill_up(world: World, decision_id: int) -> int:
    """Ballots of another vote until the capped file has no room left; how many fitted."""
    store = world.bot.store
    at = datetime.now(UTC)
    for n in range(10_000):
        try:
            await store.cast_ballot(decision_id, 10**17 + n, "force", at)
        except StoreUnavailable as exc:
            assert "disk is full" in str(exc)
            return n
    raise AssertionError("the capped file never filled up")


async def test_a_full_disk_refuses_ballots_clearly_and_takes_them_again_once_freed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label=FORCE)
    galley = world.guild.create_text_channel("galley")
    await world.mod.slash(galley, "campaign start", story="derelict")
    filler = int(galley.last_message.components[0].children[0].custom_id.split(":")[2])

    store = world.bot.store
    pages = await store.pragma("page_count")
    await store._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is this big
    assert await fill_up(world, filler) > 0

    refused = await world.members[1].click(scene, label=FORCE)
    assert refused.ephemeral and refused.response.content == NOT_SAVED
    await store._db.execute("PRAGMA max_page_count = 1073741823")  # space was freed
    counted = await world.members[1].click(scene, label=FORCE)
    assert counted.response.content.startswith("You voted")
    await world.env.advance_time(121)
    assert "(the vote closed on time; 2 votes)" in field(again(world, scene), "Decided")
    assert claim_errors(caplog, "ballot(s) failed")
    assert buttons(scenes(world)[-1])


async def test_only_an_unwritable_file_becomes_store_unavailable(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "deck.db") as store:
        await store._db.execute("PRAGMA query_only = 1")
        with pytest.raises(StoreUnavailable, match=r"read-only \(SQLITE_READONLY\)"):
            await store.update_settings(1, quorum=2)
        assert (await store.get_settings(1)).quorum == 1  # reads go on
        await store._db.execute("PRAGMA query_only = 0")
        with pytest.raises(sqlite3.IntegrityError):  # a CHECK is a bug, not the disk: unchanged
            await store.update_settings(1, quorum=-1)
        assert (await store.update_settings(1, quorum=2)).quorum == 2  # the file recovered
