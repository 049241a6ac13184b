-- Servers that removed the bot, and when. Their data is kept for a grace period (a setting)
-- so that re-adding the bot brings everything back; after it, the data is deleted.

CREATE TABLE guild_departures (
    guild_id    bigint PRIMARY KEY,
    departed_at bigint NOT NULL
);
