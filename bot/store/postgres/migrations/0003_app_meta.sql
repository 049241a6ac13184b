-- Small facts the bot keeps about itself, by name: the fingerprint of the slash commands it
-- last synced (so a start syncs only when the command set changed).

CREATE TABLE app_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
