-- How the crews of every server chose, as counts only (see SQLite's 0006_crew_choices.sql):
-- per story decision, how many crews took each choice and how many servers reached it, kept
-- up to date by close_decision in the same transaction. A server with share_choices off adds
-- nothing and sees nothing.

ALTER TABLE guild_settings ADD COLUMN share_choices boolean NOT NULL DEFAULT true;

-- Crews per choice of a decision. A crew that meets the same decision twice counts twice.
CREATE TABLE crew_choices (
    story_id  text   NOT NULL,
    scene_id  text   NOT NULL,
    choice_id text   NOT NULL,
    crews     bigint NOT NULL CHECK (crews >= 0),
    PRIMARY KEY (story_id, scene_id, choice_id)
);

-- Which servers reached a decision: the distinct count behind "no figure under 5 servers".
CREATE TABLE crew_servers (
    story_id text   NOT NULL,
    scene_id text   NOT NULL,
    guild_id bigint NOT NULL,
    PRIMARY KEY (story_id, scene_id, guild_id)
);

-- The number of rows of crew_servers per decision, kept with it so a read does not count.
CREATE TABLE crew_reach (
    story_id text   NOT NULL,
    scene_id text   NOT NULL,
    servers  bigint NOT NULL CHECK (servers >= 0),
    PRIMARY KEY (story_id, scene_id)
);

-- What was decided before this version counts too (moderators' fallbacks after a missed
-- quorum are nobody's choice and do not).
INSERT INTO crew_choices (story_id, scene_id, choice_id, crews)
SELECT c.story_id, d.scene_id, d.outcome, count(*)
FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
WHERE d.outcome IS NOT NULL AND d.how <> 'no_quorum'
GROUP BY c.story_id, d.scene_id, d.outcome;

INSERT INTO crew_servers (story_id, scene_id, guild_id)
SELECT DISTINCT c.story_id, d.scene_id, c.guild_id
FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
WHERE d.outcome IS NOT NULL AND d.how <> 'no_quorum';

INSERT INTO crew_reach (story_id, scene_id, servers)
SELECT story_id, scene_id, count(*) FROM crew_servers GROUP BY story_id, scene_id;
