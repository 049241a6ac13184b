"""The ballot box: group commit for ballots, and the live counts of the open votes.

Why: every statement through aiosqlite is a round trip to its thread and every commit with
`synchronous=FULL` is an fsync, so one commit per click tops out at a few thousand clicks a
second. Ballots that arrive within a short window of each other are written in ONE
transaction instead; each caller's `cast` returns only after the transaction holding its
ballot committed, so a member told "counted" cannot lose the ballot to a crash or a power cut.

How: the first ballot that finds no batch gathering opens one, with a task that waits out
the window (0: one yield, enough for every click already running to join), then waits for
the batch before it to be written (batches are written one after another, in order, and a
batch keeps gathering while the one before it commits, so under load batches grow on their
own), then writes its ballots with `Store.cast_ballots` in one transaction. Each caller
awaits its batch's task (shielded: a caller that gives up does not stop the write) and
returns after the commit. If the write fails (disk full, database gone), the transaction
rolled back and every ballot of the batch is refused with `WriteFailed`; nothing of it is
counted. No task is left waiting when no ballot is pending.

The box keeps the counts of the open votes it wrote to (`counts`): per choice, and each
member's current choice (to say "you changed your vote from X"). They change only after a
commit; a vote this process has not written to since it started is read from the store by
the batch that first writes to it, before its write and while no other batch writes (so
the read can never miss a ballot of a batch in flight). `forget` drops a vote's counts
when it closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain import NewBallot
from bot.store import Store

log = logging.getLogger(__name__)

#: Most ballots written in one transaction: bounds how long a batch holds the store.
MAX_BATCH = 1000


class WriteFailed(Exception):
    """The transaction holding the ballot failed and was rolled back; nothing was counted."""


class BoxClosed(WriteFailed):
    """The ballot box is shut (the bot is stopping)."""


@dataclass(frozen=True, slots=True)
class Counted:
    """What happened to one ballot once its batch committed."""

    accepted: bool  # False: the vote was closed (or did not offer the choice); nothing written
    previous: str | None  # the member's choice before this ballot, if they had one


@dataclass(slots=True)
class _Counts:
    """One open vote's counts: per choice (button order) and each member's choice index."""

    choices: tuple[str, ...]
    per_choice: list[int]
    members: dict[int, int] = field(default_factory=dict)

    def apply(self, member_id: int, choice_id: str) -> str | None:
        """Count a committed ballot; returns the member's previous choice."""
        index = self.choices.index(choice_id)
        before = self.members.get(member_id)
        if before != index:
            if before is not None:
                self.per_choice[before] -= 1
            self.per_choice[index] += 1
            self.members[member_id] = index
        return None if before is None else self.choices[before]

    def tally(self) -> dict[str, int]:
        return dict(zip(self.choices, self.per_choice, strict=True))


@dataclass(slots=True)
class _Batch:
    """Ballots that will share one transaction."""

    opened_at: float
    ballots: list[NewBallot] = field(default_factory=list)
    choices: dict[int, tuple[str, ...]] = field(default_factory=dict)
    task: asyncio.Task[list[Counted]] | None = None


class BallotBox:
    """Group commit of ballots, batch after batch, and the open votes' counts."""

    def __init__(
        self, store: Store, *, window_s: float = 0.002, max_batch: int = MAX_BATCH
    ) -> None:
        if window_s < 0 or max_batch < 1:
            raise ValueError("window_s must be >= 0 and max_batch >= 1")
        self.store = store
        self.window_s = window_s
        self.max_batch = max_batch
        self._gathering: _Batch | None = None
        self._last: asyncio.Task[list[Counted]] | None = None
        self._closed = False
        self._counts: dict[int, _Counts] = {}
        self.batches = 0  # transactions written, for benchmarks and logs

    # -- casting -----------------------------------------------------------------------------

    async def cast(self, ballot: NewBallot, choices: Sequence[str]) -> Counted:
        """Add a ballot (its vote offers `choices`, in button order) to the gathering batch and
        wait until that batch committed. Raises WriteFailed if its transaction failed."""
        if self._closed:
            raise BoxClosed("the ballot box is closed")
        batch = self._gathering
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self._gathering = _Batch(loop.time())
            batch.task = loop.create_task(self._run(batch, self._last), name="ballot-batch")
            batch.task.add_done_callback(self._done)
            self._last = batch.task
        index = len(batch.ballots)
        batch.ballots.append(ballot)
        batch.choices.setdefault(ballot.decision_id, tuple(choices))
        if len(batch.ballots) >= self.max_batch:
            self._seal(batch)
        assert batch.task is not None
        return (await asyncio.shield(batch.task))[index]

    async def close(self) -> None:
        """Write what is pending, then refuse new ballots (BoxClosed): the bot is stopping."""
        self._closed = True
        if self._last is not None and not self._last.done():
            await asyncio.wait([self._last])  # each batch waits for the one before it

    # -- counts ------------------------------------------------------------------------------

    def counts(self, decision_id: int) -> dict[str, int] | None:
        """The vote's committed counts in button order, or None if not held in memory."""
        counts = self._counts.get(decision_id)
        return None if counts is None else counts.tally()

    def choice_of(self, decision_id: int, member_id: int) -> str | None:
        """A member's committed choice, if the vote's counts are held in memory."""
        counts = self._counts.get(decision_id)
        if counts is None:
            return None
        index = counts.members.get(member_id)
        return None if index is None else counts.choices[index]

    def forget(self, decision_id: int) -> None:
        """Drop a vote's counts (it closed); a later ballot would reload them."""
        self._counts.pop(decision_id, None)

    @property
    def held(self) -> int:
        """How many votes' counts are held in memory."""
        return len(self._counts)

    # -- writing -----------------------------------------------------------------------------

    def _done(self, task: asyncio.Task[list[Counted]]) -> None:
        if self._last is task:
            self._last = None  # an idle box holds no finished batch (nor its results)
        if not task.cancelled():
            task.exception()  # a failure is seen even if all its callers gave up waiting

    def _seal(self, batch: _Batch) -> None:
        if self._gathering is batch:
            self._gathering = None

    async def _run(
        self, batch: _Batch, previous: asyncio.Task[list[Counted]] | None
    ) -> list[Counted]:
        wait = batch.opened_at + self.window_s - asyncio.get_running_loop().time()
        await asyncio.sleep(wait if wait > 0 and not self._closed else 0)
        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # in order; this batch keeps gathering meanwhile
        self._seal(batch)
        return await self._write(batch)

    async def _write(self, batch: _Batch) -> list[Counted]:
        try:
            missing = [d for d in batch.choices if d not in self._counts]  # O(batch)
            loaded = await self.store.ballots_in(missing) if missing else {}
            accepted = await self.store.cast_ballots(batch.ballots)
        except Exception as exc:  # any failure refuses the whole batch, which rolled back
            log.error("writing %d ballot(s) failed; none counted: %r", len(batch.ballots), exc)
            raise WriteFailed(str(exc)) from exc
        self.batches += 1
        for decision_id, members in loaded.items():
            self._counts[decision_id] = _rebuilt(batch.choices[decision_id], members)
        results = []
        refused: set[int] = set()
        counted: set[int] = set()
        for ballot, ok in zip(batch.ballots, accepted, strict=True):
            previous = None
            if ok:
                counted.add(ballot.decision_id)
                counts = self._counts.get(ballot.decision_id)
                if counts is not None and ballot.choice_id in counts.choices:
                    previous = counts.apply(ballot.member_id, ballot.choice_id)
            else:
                refused.add(ballot.decision_id)
            results.append(Counted(ok, previous))
        for decision_id in refused - counted:
            self.forget(decision_id)  # closed (or never offered that): keep nothing of it
        return results


def _rebuilt(choices: tuple[str, ...], members: dict[int, str]) -> _Counts:
    counts = _Counts(choices, [0] * len(choices))
    for member_id, choice_id in members.items():
        if choice_id in choices:
            counts.apply(member_id, choice_id)
    return counts
