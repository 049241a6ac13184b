"""A campaign service over a real SQLite file, the example story and a clock tests move."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.campaign import CampaignService, DeadlineScheduler, ManualClock
from bot.store import Store
from bot.story import Story, load_story

ROOT = Path(__file__).resolve().parents[2]
GUILD = 1000
CHANNEL = 2000
MOD = 42

TIE_STORY = """\
story: {id: coin, title: Coin, summary: Two doors., start: doors}
crew:
  - {id: ana, name: Ana, role: Pilot, colour: "#112233"}
scenes:
  - id: doors
    title: Two Doors
    text: Left or right?
    choices:
      - {id: left, label: Left, by: ana, goto: hall}
      - {id: right, label: Right, by: ana, goto: hall}
  - id: hall
    title: The Hall
    text: A hall.
    choices:
      - {id: walk, label: Walk on, by: ana, goto: out}
      - {id: back, label: Go back, by: ana, goto: doors}
    no_decision: {goto: out}
endings:
  - {id: out, title: Out, text: Outside.}
"""


@dataclass
class Harness:
    service: CampaignService
    store: Store
    clock: ManualClock
    scheduler: DeadlineScheduler
    stories: dict[str, Story]
    path: Path


@pytest.fixture
def stories(tmp_path: Path) -> dict[str, Story]:
    coin = tmp_path / "coin"
    coin.mkdir()
    (coin / "story.yaml").write_text(TIE_STORY, encoding="utf-8")
    loaded = [load_story(ROOT / "docs" / "example-story"), load_story(coin)]
    return {story.id: story for story in loaded}


@pytest.fixture
async def harness(tmp_path: Path, stories: dict[str, Story]):
    path = tmp_path / "deck.db"
    store = await Store.open(path)
    clock = ManualClock()
    scheduler = DeadlineScheduler(clock)
    service = CampaignService(store, stories, clock, scheduler)
    harness = Harness(service, store, clock, scheduler, stories, path)
    yield harness
    await scheduler.stop()
    await harness.store.close()  # a test may have swapped in a reopened store
