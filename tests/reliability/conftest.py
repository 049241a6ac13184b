"""Fault injection against the real bot (SimCord) and the real store, reusing the end-to-end
fixtures of tests/discord: `world` (a guild, a channel, a moderator and five members),
`settings`, `content` (a copy of the stories a test may edit) and `no_discord_errors` (any
ERROR logged by discord.* or bot.* fails the test unless the test claims it, see
helpers.claim_errors)."""

from tests.discord.conftest import (  # noqa: F401
    backend,
    content,
    no_discord_errors,
    postgres_url,
    settings,
    world,
)
