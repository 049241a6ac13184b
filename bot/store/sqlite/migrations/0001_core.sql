-- Command Deck core schema: per-guild voting rules, campaigns, their decisions and ballots.
-- Times are integer microseconds since the Unix epoch (UTC); durations are integer
-- microseconds. Discord ids are 64-bit integers. Tables are STRICT so a wrong type fails
-- loudly instead of being stored as text.

CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    vote_seconds      INTEGER NOT NULL DEFAULT 120 CHECK (vote_seconds > 0),
    tie_break         TEXT    NOT NULL DEFAULT 'random'
                      CHECK (tie_break IN ('random', 'first', 'moderator')),
    quorum            INTEGER NOT NULL DEFAULT 1 CHECK (quorum >= 0),
    blind             INTEGER NOT NULL DEFAULT 0 CHECK (blind IN (0, 1)),
    voter_role_id     INTEGER,
    moderator_role_id INTEGER
) STRICT;

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    story_id      TEXT    NOT NULL,
    story_hash    TEXT    NOT NULL,
    status        TEXT    NOT NULL
                  CHECK (status IN ('running', 'paused', 'waiting', 'ended')),
    status_reason TEXT,
    state_json    TEXT    NOT NULL CHECK (json_valid(state_json)),
    seed          INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    CHECK ((status = 'ended') = (ended_at IS NOT NULL))
) STRICT;

-- One campaign that has not ended per channel; also the index of the channel lookup.
CREATE UNIQUE INDEX campaigns_live_in_channel ON campaigns (channel_id) WHERE status <> 'ended';
CREATE INDEX campaigns_by_guild ON campaigns (guild_id, started_at);

CREATE TABLE decisions (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    scene_id     TEXT    NOT NULL,
    -- the offered choice ids in button order, a JSON array of strings
    choices      TEXT    NOT NULL
                 CHECK (json_valid(choices) AND json_type(choices) = 'array'),
    message_id   INTEGER,
    opened_at    INTEGER NOT NULL,
    -- NULL while paused (remaining_us holds the time left) or waiting for a moderator
    deadline     INTEGER,
    remaining_us INTEGER CHECK (remaining_us >= 0),
    extended     INTEGER NOT NULL DEFAULT 0 CHECK (extended IN (0, 1)),
    closed_at    INTEGER,
    outcome      TEXT,
    how          TEXT CHECK (how IN ('timer', 'skip', 'decide', 'tie', 'no_quorum',
                                     'no_decision', 'ended')),
    UNIQUE (campaign_id, seq),
    CHECK ((closed_at IS NULL) = (how IS NULL)),
    CHECK (closed_at IS NOT NULL OR outcome IS NULL),
    CHECK (how IS NULL OR (how IN ('no_decision', 'ended')) = (outcome IS NULL)),
    CHECK (closed_at IS NULL OR remaining_us IS NULL)
) STRICT;

-- At most one open vote per campaign; also the index of "the open decision of a campaign".
CREATE UNIQUE INDEX decisions_open_in_campaign ON decisions (campaign_id)
    WHERE closed_at IS NULL;
-- The timers to reschedule at start.
CREATE INDEX decisions_open_deadline ON decisions (deadline)
    WHERE closed_at IS NULL AND deadline IS NOT NULL;

-- One row per member and decision: a later click replaces the earlier one.
CREATE TABLE ballots (
    decision_id INTEGER NOT NULL REFERENCES decisions (id),
    member_id   INTEGER NOT NULL,
    choice_id   TEXT    NOT NULL,
    cast_at     INTEGER NOT NULL,
    PRIMARY KEY (decision_id, member_id)
) STRICT, WITHOUT ROWID;
