"""The crowd: simulated members who vote by themselves on each new scene.

Their plan is pure and seeded (the same seed gives the same crowd), so a test can say what
the tally must be. Each ballot is then a real click through discord.py's dispatch, spread
over the first half of the vote; some members change their mind once.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from simcord import SetupError

if TYPE_CHECKING:
    from simcord import Env
    from simcord.actors import MemberActor
    from simcord.builders import ChannelHandle

#: The share of the crowd that votes twice, the second time for another choice.
CHANGE_OF_MIND = 0.3


@dataclass(frozen=True, order=True)
class PlannedClick:
    """One crowd member's click: `at` seconds after the scene appeared."""

    at: float
    voter: int  # index into the crowd
    choice: int  # index into the scene's vote buttons


def plan_crowd(
    seed: int, scene: int, voters: int, choices: int, window: float
) -> list[PlannedClick]:
    """Who clicks what and when on the `scene`-th scene of a run, in time order.

    Each scene leans one way by chance (choice weights drawn per scene), so some votes are
    clear, some split and some tie. Every voter clicks once within `window` seconds; about
    `CHANGE_OF_MIND` of them click another choice later, still within the window.
    """
    if choices < 1 or voters < 1:
        return []
    rng = random.Random(f"crowd:{seed}:{scene}")
    options = range(choices)
    weights = [0.2 + rng.random() for _ in options]
    clicks: list[PlannedClick] = []
    for voter in range(voters):
        first = rng.choices(options, weights)[0]
        at = rng.uniform(0.0, window)
        clicks.append(PlannedClick(at, voter, first))
        if choices > 1 and rng.random() < CHANGE_OF_MIND:
            second = rng.choice([c for c in options if c != first])
            clicks.append(PlannedClick(rng.uniform(at, window), voter, second))
    # Stable sort on time alone: a voter's second click never precedes their first.
    return sorted(clicks, key=lambda click: click.at)


def final_choices(plan: list[PlannedClick]) -> dict[int, int]:
    """Each voter's last choice once the whole plan has been clicked."""
    return {click.voter: click.choice for click in plan}


def vote_buttons(message: discord.Message) -> list[discord.Button]:
    """The message's interactive buttons, in order (a scene's vote buttons)."""
    return [
        child
        for row in message.components
        if isinstance(row, discord.ActionRow)
        for child in row.children
        if isinstance(child, discord.Button) and child.custom_id
    ]


@dataclass
class _Scene:
    message_id: int
    custom_ids: list[str]
    appeared: datetime
    pending: list[PlannedClick] = field(default_factory=list)


class Crowd:
    """Watches the channel for new scenes and clicks their buttons as the plan says."""

    def __init__(
        self,
        env: Env,
        channel: ChannelHandle,
        voters: list[MemberActor],
        seed: int,
        vote_seconds: Callable[[], Awaitable[int]],
    ) -> None:
        self._env = env
        self._channel = channel
        self._voters = voters
        self._seed = seed
        self._vote_seconds = vote_seconds  # the server's setting, which a moderator may change
        self._seen: set[int] = set()
        self._scenes: list[_Scene] = []  # scenes with clicks still to make
        self._planned = 0  # scenes planned so far: the plan's scene number
        self.clicks = 0  # clicks made so far

    def ignore_existing(self) -> None:
        """Leave the scenes already in the channel alone (the crowd joins from now on)."""
        self._seen.update(message.id for message in self._channel.history())

    async def run_due(self) -> None:
        """Plan any new scene, then make every click whose time has come."""
        if not self._voters:
            return
        current = {message.id: message for message in self._channel.history()}
        for message in current.values():
            if message.id in self._seen:
                continue
            self._seen.add(message.id)
            buttons = vote_buttons(message)
            if not buttons or all(button.disabled for button in buttons):
                continue
            window = (await self._vote_seconds()) / 2
            scene = _Scene(message.id, [b.custom_id or "" for b in buttons], self._env.now())
            scene.pending = plan_crowd(
                self._seed, self._planned, len(self._voters), len(buttons), window
            )
            self._planned += 1
            self._scenes.append(scene)
        now = self._env.now()
        for scene in self._scenes:
            while scene.pending and scene.appeared + timedelta(seconds=scene.pending[0].at) <= now:
                click = scene.pending.pop(0)
                shown = current.get(scene.message_id)
                if shown is None or all(b.disabled for b in vote_buttons(shown)):
                    scene.pending.clear()  # closed early (skip, decide, end): nobody clicks
                    break
                try:
                    await self._voters[click.voter].click(
                        shown, custom_id=scene.custom_ids[click.choice]
                    )
                except SetupError:
                    scene.pending.clear()  # closed between our look and the click
                    break
                self.clicks += 1
        self._scenes = [scene for scene in self._scenes if scene.pending]
