-- How the crews of every server chose, as counts only: for each story's decision (a scene
-- where a vote closed with an outcome), how many crews took each choice, and how many
-- servers reached it. Kept up to date by close_decision in the same transaction, so a read
-- is a couple of primary-key lookups however many campaigns the file holds. A server with
-- share_choices off adds nothing and sees nothing.

ALTER TABLE guild_settings
    ADD COLUMN share_choices INTEGER NOT NULL DEFAULT 1 CHECK (share_choices IN (0, 1));

-- Crews per choice of a decision. A crew that meets the same decision twice counts twice.
CREATE TABLE crew_choices (
    story_id  TEXT    NOT NULL,
    scene_id  TEXT    NOT NULL,
    choice_id TEXT    NOT NULL,
    crews     INTEGER NOT NULL CHECK (crews >= 0),
    PRIMARY KEY (story_id, scene_id, choice_id)
) STRICT, WITHOUT ROWID;

-- Which servers reached a decision: the distinct count behind "no figure under 5 servers".
-- Deleted with the rest of a server's data when it is purged.
CREATE TABLE crew_servers (
    story_id TEXT    NOT NULL,
    scene_id TEXT    NOT NULL,
    guild_id INTEGER NOT NULL,
    PRIMARY KEY (story_id, scene_id, guild_id)
) STRICT, WITHOUT ROWID;

-- The number of rows of crew_servers per decision, kept with it so a read does not count.
CREATE TABLE crew_reach (
    story_id TEXT    NOT NULL,
    scene_id TEXT    NOT NULL,
    servers  INTEGER NOT NULL CHECK (servers >= 0),
    PRIMARY KEY (story_id, scene_id)
) STRICT, WITHOUT ROWID;

-- What was decided before this version counts too (moderators' fallbacks after a missed
-- quorum are nobody's choice and do not).
INSERT INTO crew_choices (story_id, scene_id, choice_id, crews)
SELECT c.story_id, d.scene_id, d.outcome, COUNT(*)
FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
WHERE d.outcome IS NOT NULL AND d.how NOT IN ('no_quorum')
GROUP BY c.story_id, d.scene_id, d.outcome;

INSERT INTO crew_servers (story_id, scene_id, guild_id)
SELECT DISTINCT c.story_id, d.scene_id, c.guild_id
FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
WHERE d.outcome IS NOT NULL AND d.how NOT IN ('no_quorum');

INSERT INTO crew_reach (story_id, scene_id, servers)
SELECT story_id, scene_id, COUNT(*) FROM crew_servers GROUP BY story_id, scene_id;
