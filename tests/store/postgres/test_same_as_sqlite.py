"""The same calls give the same answers on both backends: records, times to the microsecond,
tallies, the batch paths and the operator's export."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.domain import CampaignStatus, CloseHow, NewAudit, NewBallot, NewClose, Shards
from bot.store import Store
from bot.store._export import export_guild
from bot.store.postgres import PostgresStore
from tests.store.helpers import GUILD, at, offer, start


async def _script(store: Any) -> list[Any]:
    """A campaign's life through the store's public methods; every answer, in order."""
    seen: list[Any] = []
    campaign, first = await start(store)
    other, other_vote = await start(store, channel_id=5, guild_id=GUILD + 1)
    seen += [campaign, first, other, other_vote]
    seen.append(await store.update_settings(GUILD, vote_seconds=45, blind=True, tie_break="first"))
    seen.append(await store.settings_of([GUILD, GUILD + 1]))
    seen.append(await store.cast_ballot(first.id, 1, "run", at(1)))
    seen.append(
        await store.cast_ballots(
            [
                NewBallot(first.id, m, ("run", "fight", "talk", "nope")[m % 4], at(2))
                for m in range(9)
            ]
        )
    )
    seen += [await store.tally(first.id), await store.ballot_of(first.id, 2)]
    seen.append(await store.set_message_id(first.id, 999))
    seen.append(await store.pause_decision(first.id, timedelta(seconds=33.5), reason="break"))
    seen.append(await store.get_campaign(campaign.id))
    seen.append(await store.resume_decision(first.id, at(80)))
    seen.append(await store.extend_decision(first.id, at(90)))
    seen.append(await store.extend_decision(first.id, at(95)))
    seen.append(await store.open_deadlines(Shards(2, frozenset({(GUILD >> 22) % 2}))))
    following = await store.close_decision(
        first.id,
        closed_at=at(91),
        outcome="fight",
        how=CloseHow.DECIDE,
        campaign_state_json='{"scene": "pass", "vars": {}}',
        campaign_status=CampaignStatus.RUNNING,
        next_decision=offer("pass", ("left", "right"), opened=91),
        audit=NewAudit(42, "decide", at(91), "fight"),
        expect_tally=await store.tally(first.id),
        view_json='{"took": "fight"}',
    )
    seen += [following, await store.unshown_closes(), await store.close_view(first.id)]
    seen.append(await store.mark_close_shown(first.id))
    assert following is not None
    seen.append(
        await store.close_decisions(
            [
                NewClose(
                    following.id,
                    at(200),
                    None,
                    CloseHow.NO_DECISION,
                    '{"scene": "end"}',
                    CampaignStatus.ENDED,
                    "done",
                    at(200),
                    None,
                    {"left": 0, "right": 0},
                ),
                NewClose(
                    other_vote.id,
                    at(201),
                    "talk",
                    CloseHow.TIMER,
                    '{"scene": "x"}',
                    CampaignStatus.RUNNING,
                    None,
                    None,
                    offer("x", opened=201),
                    {"run": 0, "fight": 0, "talk": 0},
                ),
            ]
        )
    )
    seen += [await store.decisions_of(campaign.id), await store.list_campaigns(GUILD)]
    seen += [await store.ended_scenes(GUILD, "claim-jumpers"), await store.unposted_votes()]
    seen.append(await store.crew_choices("claim-jumpers", ["standoff", "pass"]))
    seen.append(await store.add_audit(GUILD, None, 7, "settings", "blind", at(300)))
    seen.append(await store.audit_log(GUILD))
    seen.append(await store.forget_vote_messages())
    seen.append(await store.votes_with_campaigns([following.id, other_vote.id + 2]))
    await store.guild_departed(GUILD + 1, at(400))
    seen.append(await store.purge_departed(at(500)))
    seen.append(await store.list_campaigns(GUILD + 1))
    return seen


async def test_every_answer_matches_sqlites(tmp_path: Path, postgres_url: str) -> None:
    async with Store.open(tmp_path / "deck.db") as sqlite:
        expected = await _script(sqlite)
        expected_export = await export_guild(sqlite, GUILD)
    async with PostgresStore.open(postgres_url) as postgres:
        answers = await _script(postgres)
        export = await export_guild(postgres, GUILD)
    assert len(answers) == len(expected)
    for n, (got, want) in enumerate(zip(answers, expected, strict=True)):
        assert got == want, f"answer {n} differs"
    assert export == expected_export
