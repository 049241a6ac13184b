"""Serving the preview page until Ctrl-C or SIGTERM, with the wall clock driving SimCord's.

SimCord runs one operation at a time and refuses one that overlaps another. The page's
actions (a click, a slash command) and ours (moving the clock, the crowd's clicks,
republishing the page) therefore take turns through one lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import webbrowser
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from simcord import SetupError

from .world import PreviewOptions, PreviewWorld, open_world

if TYPE_CHECKING:
    from simcord.preview import Preview

log = logging.getLogger(__name__)

#: How often the clock moves on, the crowd clicks and the page is republished.
TICK_SECONDS = 1.0


class PortBusy(Exception):
    """The page's port is taken by another program."""

    def __init__(self, port: int) -> None:
        super().__init__(f"Port {port} is already in use; choose another with --port.")
        self.port = port


def port_is_free(port: int) -> bool:
    """Whether the page could listen on 127.0.0.1:`port` (0: any free port, always)."""
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _take_turns(preview: Preview, turn: asyncio.Lock) -> None:
    """Make the page's actions take turns with ours, and resolve them against the channel
    as it is now.

    SimCord's page server calls `preview._action` for every action (there is no public hook,
    so that one call is wrapped on this instance). Waiting for `turn` means an action is
    never refused for overlapping a tick. SimCord also refuses an action made on an older
    publication of the page, and a live page is republished every tick; Discord itself
    resolves a click against the message as it stands (the bot answers a click on a closed
    vote), so an action is sent as made on the latest publication. Controls are still
    checked by SimCord: a button that is gone or disabled cannot be clicked.
    """
    action = preview._action

    async def one_at_a_time(context_id: Any, body: Any) -> Any:
        async with turn:
            page = preview._pages.get(context_id) if isinstance(context_id, str) else None
            if page is not None and isinstance(body, dict) and "published_revision" in body:
                body = {**body, "published_revision": page.revision}
            return await action(context_id, body)

    preview._action = one_at_a_time  # type: ignore[method-assign]


class Conductor:
    """Moves SimCord's virtual clock with the wall clock, lets the crowd click, and
    republishes the page so what the bot did on its own (a tally, a close) shows."""

    def __init__(self, world: PreviewWorld, preview: Preview, turn: asyncio.Lock) -> None:
        self._world = world
        self._preview = preview
        self._turn = turn
        loop = asyncio.get_running_loop()
        self._wall = loop.time
        self._started_wall = loop.time()
        self._started_virtual = world.env.now()

    async def step(self) -> None:
        """One tick: the clock, the crowd, the page."""
        env = self._world.env
        async with self._turn:
            target = self._started_virtual + timedelta(seconds=self._wall() - self._started_wall)
            try:
                behind = (target - env.now()).total_seconds()
                if behind > 0:
                    await env.advance_time(behind)
                await self._world.crowd.run_due()
                await self._preview.refresh()
            except TimeoutError as error:
                # Slow work (a loaded machine) is finished on the next tick; nothing is lost.
                first = str(error).splitlines()[0] if str(error) else "timeout"
                log.warning("the bot was slow to settle; carrying on (%s)", first)


async def _serve(
    world: PreviewWorld,
    *,
    port: int,
    open_browser: bool,
    stop: asyncio.Event,
    out: Callable[[str], None],
) -> None:
    preview = world.env.preview(world.channel, viewers=world.viewers, layout="channel", port=port)
    async with AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(preview)
        except SetupError as error:
            if isinstance(error.__cause__, OSError):
                raise PortBusy(port) from error
            raise
        turn = asyncio.Lock()
        _take_turns(preview, turn)
        out("Open this address in a browser (it is the session's key: keep it to yourself):")
        out(f"  {preview.url}")  # the only place the capability appears: never logged
        if open_browser:
            opened = await asyncio.to_thread(webbrowser.open, preview.url)
            if not opened:
                out("No browser could be opened here: open the address above in one.")
        out("Ctrl-C stops the preview.")
        conductor = Conductor(world, preview, turn)
        closed = asyncio.ensure_future(preview.wait_closed())
        try:
            while not stop.is_set() and not closed.done():
                await conductor.step()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), TICK_SECONDS)
        finally:
            closed.cancel()
            await asyncio.gather(closed, return_exceptions=True)


async def run_preview(
    options: PreviewOptions,
    *,
    port: int = 0,
    open_browser: bool = True,
    out: Callable[[str], None] = print,
) -> None:
    """Run the preview until SIGINT or SIGTERM (or the page's "End preview session").

    `out` receives the lines for the terminal, the page's address among them. Raises
    PortBusy when `port` is taken."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        async with open_world(options) as world:
            for line in _introduction(world):
                out(line)
            await _serve(world, port=port, open_browser=open_browser, stop=stop, out=out)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _introduction(world: PreviewWorld) -> list[str]:
    """What the terminal says before the address."""
    options = world.options
    story = world.bot.stories.get(world.story_id)
    title = story.title if story is not None else world.story_id
    people = f"the moderator and {options.members} member{'s' if options.members != 1 else ''}"
    if options.crowd:
        people += f", and a crowd of {options.crowd} who vote by themselves (seed {options.seed})"
    lines = [f"Command Deck preview: {title} in #{world.channel.name}, with {people}."]
    if world.resumed:
        lines.append(
            "Resumed the campaign kept in the database; its open vote is posted again."
            " /campaign recap shows the story so far."
        )
    lines.append(f"Votes last {options.vote_seconds} s of real time.")
    return lines
