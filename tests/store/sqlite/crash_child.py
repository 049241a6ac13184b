"""A writer for the crash test: casts ballots and closes votes forever, reporting each commit.

Run as `python crash_child.py DB SYNCHRONOUS`. Each line on stdout is printed only after the
store call that made it returned, i.e. after its COMMIT:
    ballot <decision_id> <member_id> <choice_id>
    closed <decision_id> <next_decision_id>
The parent kills this process with SIGKILL at some moment and checks the file.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import CampaignStatus, NewBallot, NewDecision
from bot.store import Store

CHOICES = ("hold", "burn", "hail")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def report(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(path: Path, synchronous: str) -> None:
    async with Store.open(path, synchronous=synchronous) as store:
        tick = 0

        def now() -> datetime:
            return T0 + timedelta(milliseconds=tick)

        _, decision = await store.create_campaign(
            1, 2, "claim-jumpers", "h", "{}", 7, now(), NewDecision("s1", CHOICES, now(), None)
        )
        assert decision is not None
        member = 0
        while True:
            tick += 1
            member += 1
            if member % 10 == 0:  # now and then a batch, as the group commit will send
                batch = [
                    NewBallot(decision.id, m, CHOICES[m % 3], now())
                    for m in range(member, member + 5)
                ]
                for ballot, ok in zip(batch, await store.cast_ballots(batch), strict=True):
                    if ok:
                        report(f"ballot {ballot.decision_id} {ballot.member_id} {ballot.choice_id}")
                member += 4
            else:
                choice = CHOICES[member % 3]
                if await store.cast_ballot(decision.id, member, choice, now()):
                    report(f"ballot {decision.id} {member} {choice}")
            if tick % 40 == 0:
                following = await store.close_decision(
                    decision.id,
                    closed_at=now(),
                    outcome=CHOICES[0],
                    how="timer",
                    campaign_state_json=f'{{"turn": {tick}}}',
                    campaign_status=CampaignStatus.RUNNING,
                    next_decision=NewDecision(f"s{tick}", CHOICES, now(), None),
                )
                assert following is not None
                report(f"closed {decision.id} {following.id}")
                decision = following


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
