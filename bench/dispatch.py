"""Clicks per second through the real discord.py path, on one core.

The bot is built by `bot.app.create_bot(Settings(...))` and set up by its own `setup_hook`
(store, stories, persistent buttons, commands, open votes). Only its network is replaced:
REST calls go to an in-process stub (`StubHTTP`, a `discord.http.HTTPClient` whose `request`
answers the few routes used) and interaction answers to a stub webhook adapter (discord.py
sends those through `AsyncWebhookAdapter`, not the HTTP client). Everything else is real:
each click is an INTERACTION_CREATE payload, JSON-decoded as the gateway would, fed to the
connection state's parser; discord.py builds the Interaction, finds the `VoteButton` dynamic
item by its custom id, runs our callback (VoteButton.callback -> Board.handle_vote -> CampaignService.cast -> group
commit in SQLite, synchronous=FULL), builds and sends the ephemeral answer, and the debounced
tally refresh edits the vote's message.

Measured: clicks per second answered, click-to-response (payload in -> answer handed to the
adapter), and event-loop lag (how late a 5 ms timer fires). Clicks arrive at fixed rates
(open loop) over `--votes` open votes from 20,000 members. Then a 1,000-click burst on one
vote counts the message edits the bot sends for it (goal 5 of issue 7), and the CPU time of
one tally refresh is timed both ways (issue 16, item 5: redrawn whole, or the counts swapped
into the kept render).

Each rate runs twice, in fresh processes: "now", and "before" (the click path and start-up as
they were before issue 7: `as_before`). Run on one core: `taskset -c 0 python
bench/dispatch.py [--rates 2000,2500,3000] [--seconds 10] [--repeat 3]` (it pins itself to CPU 0
unless `--cpu -1`). Not part of the test run.

With `--postgres URL` (issue 17) two more modes take their turns with SQLite's "now": "pg",
the same process on a copy of the same votes in PostgreSQL (a template database on that
server, copied per run), and "pg pair", two shard processes (SHARD_COUNT=2, SHARD_IDS=0 and 1)
on one PostgreSQL copy at once, pinned to CPUs 0 and 1, each offered the rate on its own
shard's half of the votes; its figure is their sum (p99 and lag: the worse of the two).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiosqlite  # noqa: E402
import discord  # noqa: E402
from ballots import PostgresCopies, legacy_cast  # noqa: E402
from discord.http import HTTPClient, Route  # noqa: E402
from discord.webhook.async_ import AsyncWebhookAdapter, async_context  # noqa: E402
from machine import describe  # noqa: E402

from bot.app import DeckBot, clock, create_bot  # noqa: E402
from bot.campaign import CampaignService  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.story import load_stories  # noqa: E402

APP_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
GUILD0 = 910_000_000_000_000_000
CHANNEL0 = 920_000_000_000_000_000
MEMBER0 = 930_000_000_000_000_000
ids = itertools.count(950_000_000_000_000_000)
STAMP = "2026-01-01T00:00:00+00:00"
BOT_USER = {
    "id": str(BOT_ID),
    "username": "Command Deck",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}


def machine() -> str:
    return (
        f"{describe()}, pinned to {sorted(os.sched_getaffinity(0))};"
        f" Python {platform.python_version()}, discord.py {discord.__version__},"
        f" SQLite {sqlite3.sqlite_version}, aiosqlite {aiosqlite.__version__}"
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def message_payload(channel_id: int, message_id: int, sent: dict[str, Any] | None) -> dict:
    """A message as Discord returns it after a POST or PATCH of `sent`."""
    sent = sent or {}
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": BOT_USER,
        "content": sent.get("content") or "",
        "timestamp": STAMP,
        "edited_timestamp": STAMP,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": sent.get("embeds") or [],
        "components": sent.get("components") or [],
        "pinned": False,
        "type": 0,
        "flags": sent.get("flags") or 0,
    }


class Outbox:
    """What the bot sent, and when."""

    def __init__(self, *, keep_times: bool = True) -> None:
        self.keep_times = keep_times  # off where the bench's own bookkeeping would be measured
        self.requests: Counter[str] = Counter()
        self.edits: dict[int, list[float]] = {}
        self.answered: dict[int, float] = {}
        self.answers: Counter[str] = Counter()  # "counted" or the refusal's text


class StubHTTP(HTTPClient):
    """discord.py's HTTP client with `request` answered in process (no network, no limits).

    Messages it is asked for (GET) come from `message_for(channel_id, message_id)` and
    channels from `guild_of(channel_id)`, when the bench sets them (bench/restart.py does).
    """

    def __init__(self, outbox: Outbox) -> None:
        super().__init__(asyncio.get_running_loop())
        self.outbox = outbox
        self.message_for: Callable[[int, int], dict] | None = None
        self.guild_of: Callable[[int], int] | None = None

    async def request(self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any):
        body = kwargs.get("json")
        if body is not None:
            discord.utils._to_json(body)  # what the real client does before sending
        key = f"{route.method} {route.path}"
        self.outbox.requests[key] += 1
        if route.method == "PATCH" and route.path.endswith("/messages/{message_id}"):
            message_id = int(route.url.rsplit("/", 1)[1])
            if self.outbox.keep_times:
                self.outbox.edits.setdefault(message_id, []).append(time.perf_counter())
            channel_id = int(route.channel_id or 0)
            return message_payload(channel_id, message_id, body)
        if route.method == "POST" and route.path.endswith("/messages"):
            return message_payload(int(route.channel_id or 0), next(ids), body)
        if route.method == "PUT" and route.path.endswith("/commands"):
            return []
        if route.method == "GET" and route.path == "/channels/{channel_id}" and self.guild_of:
            channel_id = int(route.channel_id or 0)
            return {
                "id": str(channel_id),
                "type": 0,
                "name": "bridge",
                "position": 0,
                "permission_overwrites": [],
                "guild_id": str(self.guild_of(channel_id)),
            }
        if route.path.endswith("/messages/{message_id}") and self.message_for is not None:
            message_id = int(route.url.rsplit("/", 1)[1])  # a GET: the message as it is
            return self.message_for(int(route.channel_id or 0), message_id)
        raise discord.NotFound(FakeResponse(404), {"message": f"stub: no {key}", "code": 0})


class FakeResponse:
    """Enough of aiohttp's response for discord.py's exceptions."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "stub"


class StubAdapter(AsyncWebhookAdapter):
    """Interaction answers (POST /interactions/{id}/{token}/callback), answered in process."""

    def __init__(self, outbox: Outbox) -> None:
        super().__init__()
        self.outbox = outbox

    async def request(self, route: Route, session: Any, *, payload: Any = None, **kwargs: Any):
        if payload is not None:
            discord.utils._to_json(payload)
        self.outbox.requests[f"{route.method} {route.path}"] += 1
        interaction_id = int(route.webhook_id)
        if self.outbox.keep_times:
            self.outbox.answered[interaction_id] = time.perf_counter()
        data = (payload or {}).get("data") or {}
        content = str(data.get("content", ""))
        counted = content.startswith(("You voted", "You changed your vote"))
        self.outbox.answers["counted" if counted else content] += 1
        message = message_payload(0, next(ids), data)
        return {
            "interaction": {
                "id": str(interaction_id),
                "type": 3,
                "response_message_id": message["id"],
                "response_message_loading": False,
                "response_message_ephemeral": True,
            },
            "resource": {"type": (payload or {}).get("type", 4), "message": message},
        }


def guild_payload(guild_id: int, channel_id: int) -> dict:
    return {
        "id": str(guild_id),
        "name": f"guild {guild_id}",
        "owner_id": str(MEMBER0),
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "permissions": "2248473465835073",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [
            {
                "id": str(channel_id),
                "type": 0,
                "name": "bridge",
                "position": 0,
                "permission_overwrites": [],
                "guild_id": str(guild_id),
            }
        ],
        "members": [{**member_payload(BOT_ID), "user": BOT_USER}],
        "member_count": 20_000,
        "features": [],
        "emojis": [],
        "stickers": [],
        "large": True,
        "unavailable": False,
    }


def member_payload(member_id: int) -> dict:
    return {
        "roles": [],
        "nick": None,
        "joined_at": STAMP,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "avatar": None,
        "communication_disabled_until": None,
        "permissions": "311455763520",
        "user": {
            "id": str(member_id),
            "username": f"crew{member_id % 100_000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "public_flags": 0,
        },
    }


class Vote:
    """One open vote as the bench clicks it: ids and its scene message's payload."""

    def __init__(self, guild_id: int, channel_id: int, decision_id: int, message: dict) -> None:
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.decision_id = decision_id
        self.message = message


async def build(settings: Settings, votes: int) -> list[tuple[int, int, int]]:
    """The database: `votes` running campaigns of the example story, one per guild, with a
    week-long vote open (so no timer fires during the run)."""
    stories = load_stories(settings.content_dir).stories
    made = []
    async with Store.open(settings.database, synchronous="NORMAL") as store:
        service = CampaignService(store, stories, clock)
        for n in range(votes):
            guild, channel = guild_id(n), CHANNEL0 + n
            await service.update_settings(
                guild_id=guild, actor_id=MEMBER0, changes={"vote_seconds": 604_800}
            )
            started = await service.start(
                guild_id=guild, channel_id=channel, story_id="derelict", actor_id=MEMBER0
            )
            assert started.vote is not None
            made.append((guild, channel, started.vote.decision_id))
        await service.close()
    return made


def guild_id(n: int) -> int:
    """The n-th guild's id: consecutive guilds alternate between two shards (Discord's rule
    is shard = (guild_id >> 22) % shard count), so a pair of shard processes splits them."""
    return GUILD0 + (n << 22)


def stubbed_bot(settings: Settings, outbox: Outbox) -> tuple[DeckBot, StubHTTP]:
    """`create_bot(settings)` with its REST calls and interaction answers stubbed and the
    bot's user set (as READY would); not yet set up."""
    bot = create_bot(settings)
    stub = StubHTTP(outbox)
    bot.http = bot._connection.http = bot.tree._http = stub  # every holder of the client
    bot._connection.application_id = APP_ID
    bot._connection.user = discord.ClientUser(
        state=bot._connection, data={**BOT_USER, "verified": True, "mfa_enabled": False}
    )
    async_context.set(StubAdapter(outbox))
    return bot, stub


async def start_bot(settings: Settings, outbox: Outbox, made: list[tuple[int, int, int]]):
    """The real bot with its network stubbed, set up, guilds cached, votes' messages posted."""
    bot, _ = stubbed_bot(settings, outbox)
    await bot._async_setup_hook()
    await bot.setup_hook()
    state = bot._connection
    votes = []
    for guild_id, channel_id, decision_id in made:
        state._add_guild_from_data(guild_payload(guild_id, channel_id))
        current = await bot.campaigns.vote(decision_id)
        assert current is not None
        campaign, vote = current
        posted = await bot.board.post_vote(campaign, vote)  # the scene message with buttons
        assert posted is not None
        message = message_payload(channel_id, posted.id, None)
        message["embeds"] = [e.to_dict() for e in posted.embeds]
        message["components"] = [c.to_dict() for c in posted.components]
        votes.append(Vote(guild_id, channel_id, decision_id, message))
    return bot, votes


def click_payload(vote: Vote, member: dict, choice: int) -> dict:
    return {
        "id": str(next(ids)),
        "application_id": str(APP_ID),
        "type": 3,
        "token": "t",
        "version": 1,
        "data": {"custom_id": f"deck:vote:{vote.decision_id}:{choice}", "component_type": 2},
        "channel_id": str(vote.channel_id),
        "channel": {"id": str(vote.channel_id), "type": 0, "guild_id": str(vote.guild_id)},
        "guild_id": str(vote.guild_id),
        "guild_locale": "en-US",
        "locale": "en-US",
        "member": member,
        "message": vote.message,
        "app_permissions": "8866461766385655",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "context": 0,
        "attachment_size_limit": 26214400,
    }


def as_before(bot: DeckBot) -> None:
    """The bot as it was before issue 7: every click reads the vote, the campaign, the
    settings and the member's ballot, then commits alone (bench/ballots.py's `legacy_cast`);
    and no `gc.freeze()` after start-up."""
    service = bot.campaigns
    bot.campaigns.cast = lambda **kw: legacy_cast(service, **kw)  # type: ignore[method-assign]
    gc.unfreeze()


class Feeder:
    """Feeds clicks to the parser as the gateway would (JSON text -> dict -> parser)."""

    def __init__(self, bot: DeckBot, outbox: Outbox) -> None:
        self.parse = bot._connection.parsers["INTERACTION_CREATE"]
        self.outbox = outbox
        self.fed: dict[int, float] = {}

    def feed(self, raw: str) -> None:
        arrived = time.perf_counter()
        data = discord.utils._from_json(raw)
        self.fed[int(data["id"])] = arrived
        self.parse(data)

    def latencies(self) -> list[float]:
        answered = self.outbox.answered
        return [answered[i] - t for i, t in self.fed.items() if i in answered]


class GcPauses:
    """How long the cyclic garbage collector stops the loop, by generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def worst(self, generation: int) -> float:
        return max((p for g, p in self.pauses if g == generation), default=0.0)


async def lag_monitor(samples: list[float], stop: asyncio.Event, period: float = 0.005) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        samples.append(loop.time() - due)


async def run_rate(
    bot: DeckBot,
    outbox: Outbox,
    votes: list[Vote],
    members: list[dict],
    rate: float,
    seconds: float,
) -> dict[str, float]:
    rng = random.Random(int(rate))
    raws = []
    total = int(rate * seconds)
    for _ in range(total):  # payloads made before the clock starts: Discord makes them
        vote = votes[rng.randrange(len(votes))]
        raws.append(json.dumps(click_payload(vote, rng.choice(members), rng.randrange(2))))
    feeder = Feeder(bot, outbox)
    collector = GcPauses()
    lags: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.create_task(lag_monitor(lags, stop))
    started = time.perf_counter()
    fed = 0
    while fed < total:
        due = min(total, int((time.perf_counter() - started) * rate))
        while fed < due:
            feeder.feed(raws[fed])
            fed += 1
        await asyncio.sleep(0.001)
    # wait for the last answers (each click is answered or refused exactly once)
    for _ in range(600):
        if len(outbox.answered) >= len(feeder.fed) or len(feeder.latencies()) >= total:
            break
        await asyncio.sleep(0.1)
    elapsed = max(outbox.answered[i] for i in feeder.fed if i in outbox.answered) - started
    stop.set()
    await monitor
    gc.callbacks.remove(collector._callback)
    latencies = feeder.latencies()
    return {
        "rate": len(latencies) / elapsed,
        "answered": len(latencies) / total,
        "in_time": sum(1 for t in latencies if t < 3.0) / total,  # Discord's limit to answer
        "p50": pct(latencies, 0.5) * 1e3,
        "p99": pct(latencies, 0.99) * 1e3,
        "lag_p99": pct(lags, 0.99) * 1e3,
        "lag_max": max(lags) * 1e3,
        "counted": outbox.answers["counted"] / max(1, sum(outbox.answers.values())),
        "gc2": collector.worst(2) * 1e3,
        "gc2_runs": sum(1 for g, _ in collector.pauses if g == 2),
    }


async def burst(
    bot: DeckBot, outbox: Outbox, vote: Vote, members: list[dict], clicks: int, seconds: float
) -> tuple[list[float], int]:
    """`clicks` clicks on one vote spread over `seconds`, then the debounce runs out."""
    feeder = Feeder(bot, outbox)
    message_id = int(vote.message["id"])
    outbox.edits.pop(message_id, None)
    started = time.perf_counter()
    for n in range(clicks):
        feeder.feed(json.dumps(click_payload(vote, members[n], n % 2)))
        await asyncio.sleep(max(0.0, started + (n + 1) * seconds / clicks - time.perf_counter()))
    await asyncio.sleep(bot.settings.tally_refresh_seconds + 1.0)
    edits = [t - started for t in outbox.edits.get(message_id, [])]
    return edits, len(feeder.latencies())


async def refresh_cost(bot: DeckBot, votes: list[Vote], rounds: int = 3) -> dict[str, Any]:
    """CPU time of one tally refresh of each vote's message: redrawn whole from the database
    (`Board.refresh_now`), and the refresh after clicks (`Tallies.refresh_counts`: the kept
    render with its counts swapped). The stub answers each edit; its JSON is included."""
    ways = {"whole": bot.board.refresh_now, "counts": bot.board.tallies.refresh_counts}
    cost = {}
    for name, refresh in ways.items():
        for vote in votes:  # once first: the whole redraw keeps the render the swap uses
            await refresh(vote.decision_id, vote.channel_id, int(vote.message["id"]))
        started = time.process_time()
        for _ in range(rounds):
            for vote in votes:
                await refresh(vote.decision_id, vote.channel_id, int(vote.message["id"]))
        cost[name] = (time.process_time() - started) / (rounds * len(votes)) * 1e3
    return cost


async def child(args: argparse.Namespace) -> dict[str, Any]:
    """One run in a fresh process (runs must not inherit each other's heap): a rate, or the
    burst. Prints its figures as JSON. With `--database URL` it runs on that PostgreSQL
    database (a copy the parent made); with `--shard K` it is shard K of 2 (SHARD_COUNT=2,
    SHARD_IDS=K) and clicks only on its own shard's guilds, after the parent says go."""
    folder = Path(args.folder)
    content = folder / "content"
    made = [tuple(v) for v in json.loads((folder / "votes.json").read_text())]
    shards: dict[str, Any] = {}
    if args.shard >= 0:
        made = [v for v in made if (v[0] >> 22) % 2 == args.shard]
        shards = {"shard_count": 2, "shard_ids": [args.shard]}
    members = [member_payload(MEMBER0 + 1 + n) for n in range(20_000)]
    file = folder / f"run-{os.getpid()}.db"
    if args.database:
        database: Path | str = args.database
    else:
        shutil.copyfile(folder / "template.db", file)
        database = file
    settings = Settings(database=database, content_dir=content, _env_file=None, **shards)
    outbox = Outbox()
    bot, votes = await start_bot(settings, outbox, made)  # type: ignore[arg-type]
    try:
        if args.mode == "burst":
            edits, answered = await burst(bot, outbox, votes[0], members, 1000, 5.0)
            return {"edits": edits, "answered": answered}
        if args.mode == "refresh":
            return await refresh_cost(bot, votes)
        if args.mode == "before":
            as_before(bot)
        if args.shard >= 0:  # the other shard's process is set up too: start together
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
        await run_rate(bot, outbox, votes, members, args.rate, 2.0)  # warm up
        return await run_rate(bot, outbox, votes, members, args.rate, args.seconds)
    finally:
        await close(bot)
        if not args.database:
            file.unlink()


def command_for(
    args: argparse.Namespace, folder: Path, mode: str, rate: float, cpu: int, **extra: Any
) -> list[str]:
    command = [sys.executable, __file__, "--child", str(folder), "--mode", mode]
    command += ["--rate", str(rate), "--seconds", str(args.seconds), "--cpu", str(cpu)]
    for name, value in extra.items():
        command += [f"--{name}", str(value)]
    return command


def spawn(
    args: argparse.Namespace, folder: Path, mode: str, rate: float, **extra: Any
) -> dict[str, Any]:
    command = command_for(args, folder, mode, rate, args.cpu, **extra)
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def spawn_pair(args: argparse.Namespace, folder: Path, rate: float, url: str) -> dict[str, Any]:
    """Two shard processes on one PostgreSQL database, each offered `rate` clicks a second
    on its own shard's votes, on CPUs 0 and 1, started together once both are set up."""
    children = [
        subprocess.Popen(
            command_for(args, folder, "now", rate, shard, database=url, shard=shard),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for shard in (0, 1)
    ]
    for process in children:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in children:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in children:
        out, _ = process.communicate()
        assert process.returncode == 0, process.returncode
        results.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "rate": sum(r["rate"] for r in results),
        "answered": statistics.mean(r["answered"] for r in results),
        "in_time": statistics.mean(r["in_time"] for r in results),
        **{key: max(r[key] for r in results) for key in ("p50", "p99", "lag_p99", "lag_max")},
        "counted": statistics.mean(r["counted"] for r in results),
        "gc2": max(r["gc2"] for r in results),
        "gc2_runs": max(r["gc2_runs"] for r in results),
        "each": [round(r["rate"]) for r in results],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="2000,2500,3000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--votes", type=int, default=1000)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to; -1 leaves it")
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_false", help="skip the 'before' runs"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run on PostgreSQL at this server (a user who may CREATE DATABASE), taking"
        " turns with SQLite, and two shard processes on it at once",
    )
    parser.add_argument("--child", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--shard", type=int, default=-1, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="now", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=2000.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})  # before any thread starts: all inherit it
    if args.child:
        args.folder = args.child
        print(json.dumps(await child(args)))
        return
    print(machine())
    rates = [float(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix="bench-dispatch-") as tmp:
        folder = Path(tmp)
        content = folder / "content"
        shutil.copytree(ROOT / "content", content)
        shutil.copytree(ROOT / "docs" / "example-story", content / "derelict")
        made = await build(
            Settings(database=folder / "template.db", content_dir=content, _env_file=None),
            args.votes,
        )
        (folder / "votes.json").write_text(json.dumps(made))
        modes = ["now", "before"] if args.baseline else ["now"]
        server = None
        if args.postgres:
            modes += ["pg", "pg pair"]
            server = PostgresCopies(args.postgres, "bench_dispatch_template")
            await server.create_template()
            settings = Settings(database=server.template, content_dir=content, _env_file=None)
            assert made == await build(settings, args.votes)
        results: dict[tuple[str, float], list[dict[str, Any]]] = {
            (mode, rate): [] for rate in rates for mode in modes
        }
        try:
            for repeat in range(args.repeat):
                for rate in rates:
                    for mode in modes:
                        if server is None or not mode.startswith("pg"):
                            results[mode, rate].append(spawn(args, folder, mode, rate))
                            continue
                        name = f"bench_dispatch_{repeat}_{int(rate)}"
                        url = await server.copy(name)
                        if mode == "pg":
                            results[mode, rate].append(
                                spawn(args, folder, "now", rate, database=url)
                            )
                        else:
                            results[mode, rate].append(spawn_pair(args, folder, rate, url))
                        await server.drop(name)
                print(f"  repeat {repeat + 1} done", file=sys.stderr)
        finally:
            if server is not None:
                await server.drop_template()
        burst_run = spawn(args, folder, "burst", 0.0)
        refresh_runs = [spawn(args, folder, "refresh", 0.0) for _ in range(args.repeat)]
    print(
        f"{len(made)} open votes, 20,000 members; ballot window"
        f" {Settings(_env_file=None).ballot_batch_ms:g} ms, tally refresh every"
        f" {Settings(_env_file=None).tally_refresh_seconds:g} s; {args.repeat} runs of"
        f" {args.seconds:g} s per rate and mode, each in a fresh process (medians; goal:"
        " 2,000 clicks/s, p99 < 50 ms, lag p99 < 20 ms)"
    )
    for (mode, rate), runs in results.items():

        def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
            return statistics.median(r[key] for r in runs)

        each = ""
        if mode == "pg pair":
            each = " (each: " + ", ".join(f"{r['each'][0]:,}+{r['each'][1]:,}" for r in runs) + ")"
        print(
            f"  {mode:7} offered {rate:6,.0f}/s: answered {med('rate'):7,.0f}/s{each}"
            f" ({med('in_time'):.1%} within 3 s)  click-to-response p50 {med('p50'):6.2f} ms"
            f" p99 {med('p99'):7.2f} ms  loop lag p99 {med('lag_p99'):6.2f} ms"
            f" (max {med('lag_max'):.1f}); {med('counted'):.1%} of answers 'counted';"
            f" full GC {med('gc2_runs'):.0f}x, longest {med('gc2'):.0f} ms"
        )
    for rate in rates:
        if ("pg", rate) not in results:
            break

        def rate_of(mode: str, rate: float = rate) -> float:
            return statistics.median(r["rate"] for r in results[mode, rate])

        print(
            f"  at {rate:,.0f}/s offered: PostgreSQL answered {rate_of('pg') / rate_of('now'):.2f}"
            f" of SQLite's clicks a second (goal >= 0.8); two shard processes on PostgreSQL,"
            f" each offered {rate:,.0f}/s, answered {rate_of('pg pair') / rate_of('pg'):.2f}x"
            " one process alone"
        )
    edits = burst_run["edits"]
    gaps = [b - a for a, b in itertools.pairwise(edits)]
    print(
        f"burst: 1,000 clicks on one vote over 5 s, {burst_run['answered']} answered; message"
        f" edits for it: {len(edits)} at {', '.join(f'{t:.1f}' for t in edits)} s"
        f" (shortest gap {min(gaps, default=float('nan')):.1f} s;"
        " goal: at most one per few seconds)"
    )
    whole = statistics.median(r["whole"] for r in refresh_runs)
    counts = statistics.median(r["counts"] for r in refresh_runs)
    print(
        f"tally refresh, CPU per message edit ({args.repeat} runs, median): redrawn whole"
        f" {whole:.3f} ms, counts swapped into the kept render {counts:.3f} ms"
    )


async def close(bot: DeckBot) -> None:
    if not hasattr(bot, "_AutoShardedClient__queue"):
        bot._AutoShardedClient__queue = asyncio.PriorityQueue()
    await bot.close()


if __name__ == "__main__":
    asyncio.run(main())
