"""How other crews chose: counts kept as votes close, by story and decision, never by server."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Sequence
from types import MappingProxyType

from bot.domain import (
    CrewChoices,
)
from bot.store.sqlite.base import SqliteBase
from bot.store.sqlite.connection import GuardedConnection
from bot.store.sqlite.statements import (
    CAMPAIGN_SHARING,
    COUNT_CREW_CHOICE,
    COUNT_CREW_SERVER,
    CREW_COUNTS,
    CREW_REACH,
    KNOWN_CREW_SERVERS,
)


async def count_crew_choices(db: GuardedConnection, closes: Sequence[tuple[int, str, str]]) -> None:
    """Add closed votes' outcomes, (campaign id, scene id, choice id) each, to the counts
    of how crews chose, leaving out servers that do not share; inside the closing
    transaction, in a handful of statements however many votes it closed."""
    campaign_ids = json.dumps(sorted({campaign_id for campaign_id, _, _ in closes}))
    campaigns = {
        row["id"]: (row["story_id"], row["guild_id"])
        for row in await db.execute_fetchall(CAMPAIGN_SHARING, {"ids": campaign_ids})
        if row["sharing"]
    }
    choices: Counter[tuple[str, str, str]] = Counter()
    reached: set[tuple[str, str, int]] = set()
    for campaign_id, scene_id, choice_id in closes:
        if campaign_id in campaigns:
            story_id, guild_id = campaigns[campaign_id]
            choices[story_id, scene_id, choice_id] += 1
            reached.add((story_id, scene_id, guild_id))
    if not choices:
        return
    keys = json.dumps(sorted(reached))
    known = {
        (row["story_id"], row["scene_id"], int(row["guild_id"]))
        for row in await db.execute_fetchall(KNOWN_CREW_SERVERS, {"keys": keys})
    }
    new = sorted(reached - known)
    servers = Counter((story_id, scene_id) for story_id, scene_id, _ in new)
    await db.executemany(
        COUNT_CREW_CHOICE,
        [
            {"story": story, "scene": scene, "choice": choice, "n": n}
            for (story, scene, choice), n in choices.items()
        ],
    )
    await db.executemany(
        "INSERT INTO crew_servers (story_id, scene_id, guild_id) VALUES (?, ?, ?)", new
    )
    await db.executemany(
        COUNT_CREW_SERVER,
        [{"story": story, "scene": scene, "n": n} for (story, scene), n in servers.items()],
    )


class CrewTables(SqliteBase):
    """`crew_choices`, `crew_reach` and `crew_servers` (part of SqliteStore)."""

    async def crew_choices(
        self, story_id: str, scene_ids: Collection[str]
    ) -> dict[str, CrewChoices]:
        """How the crews of every sharing server chose at these decisions of a story, by
        scene id (scenes no sharing server has decided are left out). Primary-key reads
        only, whatever the number of campaigns."""
        wanted = json.dumps(sorted(set(scene_ids)))
        params = {"story": story_id, "scenes": wanted}
        reach = await self._fetchall(CREW_REACH, params)
        counts = await self._fetchall(CREW_COUNTS, params)
        crews: dict[str, dict[str, int]] = {}
        for row in counts:
            crews.setdefault(row["scene_id"], {})[row["choice_id"]] = int(row["crews"])
        return {
            row["scene_id"]: CrewChoices(
                int(row["servers"]), MappingProxyType(crews.get(row["scene_id"], {}))
            )
            for row in reach
        }
