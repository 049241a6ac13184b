"""The statements a click or a timer runs find their rows through an index, never a scan."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bot.store import HOT_QUERIES, Store
from tests.store.helpers import at, start

# What each statement must use; a table SCAN anywhere fails the test.
EXPECTED = {
    "get_decision": ["SEARCH decisions USING INTEGER PRIMARY KEY"],
    "cast_ballot": ["SEARCH d USING INTEGER PRIMARY KEY"],
    "ballot_of": ["SEARCH ballots USING PRIMARY KEY (decision_id=? AND member_id=?)"],
    "tally": [
        "SEARCH ballots USING PRIMARY KEY (decision_id=?)",
        "SEARCH d USING INTEGER PRIMARY KEY",
    ],
    "open_decision_for": ["USING INDEX decisions_open_in_campaign (campaign_id=?)"],
    "active_campaign_in_channel": ["USING INDEX campaigns_live_in_channel (channel_id=?)"],
    "get_campaign": ["SEARCH campaigns USING INTEGER PRIMARY KEY"],
    "open_deadlines": [
        "SEARCH d USING INDEX decisions_open_deadline",
        "SEARCH c USING INTEGER PRIMARY KEY",
    ],
    "close_decision": ["SEARCH decisions USING INTEGER PRIMARY KEY"],
    "campaign_sharing": [
        "SEARCH c USING INTEGER PRIMARY KEY",
        "SEARCH s USING INTEGER PRIMARY KEY",
    ],
    "known_crew_servers": ["SEARCH s USING PRIMARY KEY (story_id=? AND scene_id=? AND guild_id=?)"],
    "count_crew_choice": [],
    "count_crew_server": [],
    "crew_reach": ["SEARCH crew_reach USING PRIMARY KEY (story_id=? AND scene_id=?)"],
    "crew_counts": ["SEARCH crew_choices USING PRIMARY KEY (story_id=? AND scene_id=?)"],
}


@pytest.fixture(params=["fresh", "analyzed"])
async def raw(db_path: Path, request: pytest.FixtureRequest) -> sqlite3.Connection:
    """A file as the store leaves it (no statistics), or after ANALYZE of a few rows, the
    case where SQLite is most tempted to scan a small table."""
    async with Store.open(db_path) as store:
        await start(store, 1)
        campaign, _ = await start(store, 2)
        await store.set_campaign_status(campaign.id, "ended", ended_at=at(1))
    connection = sqlite3.connect(db_path)
    if request.param == "analyzed":
        connection.execute("ANALYZE")
    return connection


def _plan(connection: sqlite3.Connection, sql: str) -> list[str]:
    names = set(re.findall(r":(\w+)", sql))
    rows = connection.execute(f"EXPLAIN QUERY PLAN {sql}", dict.fromkeys(names)).fetchall()
    return [row[3] for row in rows]


def test_every_hot_query_has_an_expected_plan() -> None:
    assert set(EXPECTED) == set(HOT_QUERIES)


@pytest.mark.parametrize("name", sorted(HOT_QUERIES))
def test_hot_query_uses_its_index(raw: sqlite3.Connection, name: str) -> None:
    plan = _plan(raw, HOT_QUERIES[name])
    raw.close()
    text = "\n".join(plan)
    for wanted in EXPECTED[name]:
        assert wanted in text, text
    # json_each is a virtual table over one row's choices, not a table scan
    scans = [step for step in plan if step.startswith("SCAN") and "VIRTUAL TABLE" not in step]
    assert scans == [], text
