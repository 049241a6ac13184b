-- The moderators' actions (start, pause, resume, skip, decide, end, settings), newest read
-- first per guild. Written in the same transaction as the change it records.

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    campaign_id INTEGER REFERENCES campaigns (id),
    actor_id    INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    detail      TEXT,
    at          INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_log_by_guild ON audit_log (guild_id, at);
