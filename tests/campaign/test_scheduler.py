"""The deadline scheduler: one task that sleeps until the earliest deadline, woken on change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.campaign import DeadlineScheduler, ManualClock


class Sleeps:
    """Stands in for asyncio.sleep: records each wait and moves the clock instead of waiting."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, seconds: float) -> None:
        await self.gate.wait()
        self.waits.append(seconds)
        self.clock.advance(seconds)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_it_sleeps_until_each_deadline_in_order_and_fires_each_once() -> None:
    clock = ManualClock()
    sleeps = Sleeps(clock)
    fired: list[int] = []

    async def on_due(decision_id: int) -> None:
        fired.append(decision_id)

    scheduler = DeadlineScheduler(clock, on_due, sleep=sleeps)
    start = clock()
    scheduler.load([(3, start + timedelta(seconds=300)), (1, start + timedelta(seconds=60))])
    scheduler.schedule(2, start + timedelta(seconds=120))
    scheduler.start()
    await settle()
    assert fired == [1, 2, 3]
    assert sleeps.waits == [60, 60, 180]  # no polling: one sleep per deadline, in order
    assert clock() == start + timedelta(seconds=300)
    assert scheduler.pending == 0
    await scheduler.stop()


async def test_overdue_deadlines_fire_at_once() -> None:
    clock = ManualClock()
    sleeps = Sleeps(clock)
    fired: list[int] = []

    async def on_due(decision_id: int) -> None:
        fired.append(decision_id)

    scheduler = DeadlineScheduler(clock, on_due, sleep=sleeps)
    scheduler.load([(7, clock() - timedelta(hours=2)), (8, clock() - timedelta(seconds=1))])
    scheduler.start()
    await settle()
    assert fired == [7, 8] and sleeps.waits == []
    await scheduler.stop()


async def test_moving_and_cancelling_wake_the_task() -> None:
    clock = ManualClock()
    sleeps = Sleeps(clock)
    sleeps.gate.clear()  # hold every sleep until the test has rearranged the deadlines
    fired: list[int] = []

    async def on_due(decision_id: int) -> None:
        fired.append(decision_id)

    scheduler = DeadlineScheduler(clock, on_due, sleep=sleeps)
    scheduler.start()
    scheduler.schedule(1, clock() + timedelta(seconds=100))
    await settle()
    scheduler.schedule(2, clock() + timedelta(seconds=10))  # earlier: wakes the task
    scheduler.schedule(1, clock() + timedelta(seconds=30))  # moved
    scheduler.cancel(2)  # removed again
    sleeps.gate.set()
    await settle()
    assert fired == [1]
    assert sleeps.waits == [30]
    await scheduler.stop()


async def test_a_failing_close_is_logged_and_the_rest_go_on(caplog) -> None:
    clock = ManualClock()
    fired: list[int] = []

    async def on_due(decision_id: int) -> None:
        if decision_id == 1:
            raise RuntimeError("boom")
        fired.append(decision_id)

    scheduler = DeadlineScheduler(clock, on_due, sleep=Sleeps(clock))
    scheduler.load([(1, clock()), (2, clock() + timedelta(seconds=5))])
    scheduler.start()
    await settle()
    assert fired == [2]
    assert "closing vote 1 failed" in caplog.text
    await scheduler.stop()
