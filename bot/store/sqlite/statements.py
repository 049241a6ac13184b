"""The SQLite store's shared statements: the SQL the click path, the timers and the batches
run, named so the query-plan tests can read exactly what the store sends.

One-off statements (a settings upsert, a sweep's read, a purge) stay beside the method that
runs them, in the table group's module; every statement here is either shared by several
methods or one whose plan a test checks (`HOT_QUERIES`, `BATCH_QUERIES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.store.rows import CAMPAIGN_COLUMNS, DECISION_COLUMNS

# --- by key: what a click, a timer's close and the batches read and write -----------------
# Each finds its rows through a primary key or an index. The ones named in HOT_QUERIES and
# BATCH_QUERIES (below) have their plans checked by tests; the start-up batch statements
# (OPEN_OF, COUNTS_IN, OPEN_IN, VOTES_WITH_CAMPAIGNS) walk the batch's ids by construction
# (a CROSS JOIN from json_each) and are measured by bench/restart.py instead.

GET_DECISION = f"SELECT {DECISION_COLUMNS} FROM decisions WHERE id = :id"

# Conditional upsert: no row is written unless the decision is open and offers the choice.
# The WHERE clause also settles SQLite's INSERT ... SELECT ... ON CONFLICT parsing ambiguity.
CAST_BALLOT = """
INSERT INTO ballots (decision_id, member_id, choice_id, cast_at)
SELECT d.id, :member_id, :choice_id, :cast_at
  FROM decisions AS d
 WHERE d.id = :decision_id
   AND d.closed_at IS NULL
   AND EXISTS (SELECT 1 FROM json_each(d.choices) AS c WHERE c.value = :choice_id)
ON CONFLICT (decision_id, member_id)
DO UPDATE SET choice_id = excluded.choice_id, cast_at = excluded.cast_at
"""

BALLOT_OF = """
SELECT decision_id, member_id, choice_id, cast_at
  FROM ballots WHERE decision_id = :decision_id AND member_id = :member_id
"""

# Every offered choice in button order, with its count (0 when nobody chose it).
TALLY = """
SELECT c.value AS choice_id, coalesce(t.n, 0) AS n
  FROM decisions AS d
  JOIN json_each(d.choices) AS c
  LEFT JOIN (SELECT choice_id, count(*) AS n FROM ballots
              WHERE decision_id = :decision_id GROUP BY choice_id) AS t
         ON t.choice_id = c.value
 WHERE d.id = :decision_id
 ORDER BY c.key
"""

OPEN_DECISION_FOR = (
    f"SELECT {DECISION_COLUMNS} FROM decisions WHERE campaign_id = :campaign_id "
    "AND closed_at IS NULL"
)

ACTIVE_CAMPAIGN_IN_CHANNEL = (
    f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE channel_id = :channel_id AND status <> 'ended'"
)

GET_CAMPAIGN = f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = :id"

# Whether campaign `c` is in a guild on this process's shards: `:shards` lists them as
# ",0,3," (NULL: every shard), `:shard_count` is how many there are (Discord's rule).
ON_MY_SHARDS = (
    "(:shards IS NULL OR instr(:shards, ',' || ((c.guild_id >> 22) % :shard_count) || ',') > 0)"
)

# CROSS JOIN fixes the loop order (SQLite honours it): walk the open-deadline index, then
# look each campaign up by id, whatever the statistics say about the tables' sizes.
OPEN_DEADLINES = f"""
SELECT d.id, d.deadline
  FROM decisions AS d CROSS JOIN campaigns AS c ON c.id = d.campaign_id
 WHERE d.closed_at IS NULL AND d.deadline IS NOT NULL AND d.deadline <= :due_by
   AND c.status = 'running' AND {ON_MY_SHARDS}
 ORDER BY d.deadline, d.id
"""

CLOSE_DECISION = """
UPDATE decisions SET closed_at = :closed_at, outcome = :outcome, how = :how, remaining_us = NULL,
       close_shown = :shown, close_view = :view
 WHERE id = :id AND closed_at IS NULL
"""

# The group commit (bot/campaign/ballots.py) runs these once per batch of ballots: walk the
# batch's decision ids and look each decision (or its ballots) up by key. The scalar subquery
# and the CROSS JOIN fix that order whatever the statistics say about small tables.
OPEN_CHOICES_OF = """
SELECT j.value AS id,
       (SELECT d.choices FROM decisions AS d WHERE d.id = j.value AND d.closed_at IS NULL)
           AS choices
  FROM json_each(:ids) AS j
"""

BALLOTS_IN = """
SELECT b.decision_id, b.member_id, b.choice_id
  FROM json_each(:ids) AS j CROSS JOIN ballots AS b ON b.decision_id = j.value
"""

# The batch close at start (`close_decisions`): the batch's open votes, their ballot counts
# and the votes it opened, each walked from the batch's ids and found by key.
OPEN_OF = """
SELECT d.id, d.campaign_id, d.seq, d.choices, d.scene_id
  FROM json_each(:ids) AS j CROSS JOIN decisions AS d ON d.id = j.value
 WHERE d.closed_at IS NULL
"""

COUNTS_IN = """
SELECT b.decision_id, b.choice_id, count(*) AS n
  FROM json_each(:ids) AS j CROSS JOIN ballots AS b ON b.decision_id = j.value
 GROUP BY b.decision_id, b.choice_id
"""

OPEN_IN = f"""
SELECT {", ".join("d." + c.strip() for c in DECISION_COLUMNS.split(","))}
  FROM json_each(:ids) AS j CROSS JOIN decisions AS d ON d.campaign_id = j.value
 WHERE d.closed_at IS NULL
"""

# The overdue votes at start, read in bulk: each vote found by key from the batch's ids,
# then its campaign by key (the campaign's columns prefixed with c_).
VOTES_WITH_CAMPAIGNS = f"""
SELECT {", ".join("d." + c.strip() for c in DECISION_COLUMNS.split(","))},
       {", ".join(f"c.{c.strip()} AS c_{c.strip()}" for c in CAMPAIGN_COLUMNS.split(","))}
  FROM json_each(:ids) AS j
       CROSS JOIN decisions AS d ON d.id = j.value
       CROSS JOIN campaigns AS c ON c.id = d.campaign_id
 WHERE d.closed_at IS NULL
"""

CAMPAIGN_SHARING = """
SELECT c.id, c.story_id, c.guild_id, COALESCE(s.share_choices, 1) AS sharing
  FROM json_each(:ids) AS j CROSS JOIN campaigns AS c ON c.id = j.value
  LEFT JOIN guild_settings AS s ON s.guild_id = c.guild_id
"""

KNOWN_CREW_SERVERS = """
SELECT k.value ->> 0 AS story_id, k.value ->> 1 AS scene_id, k.value ->> 2 AS guild_id
  FROM json_each(:keys) AS k CROSS JOIN crew_servers AS s
    ON s.story_id = k.value ->> 0 AND s.scene_id = k.value ->> 1 AND s.guild_id = k.value ->> 2
"""

COUNT_CREW_CHOICE = """
INSERT INTO crew_choices (story_id, scene_id, choice_id, crews)
VALUES (:story, :scene, :choice, :n)
ON CONFLICT DO UPDATE SET crews = crews + excluded.crews
"""

COUNT_CREW_SERVER = """
INSERT INTO crew_reach (story_id, scene_id, servers) VALUES (:story, :scene, :n)
ON CONFLICT DO UPDATE SET servers = servers + excluded.servers
"""

CREW_REACH = """
SELECT scene_id, servers FROM crew_reach
WHERE story_id = :story AND scene_id IN (SELECT value FROM json_each(:scenes))
"""

CREW_COUNTS = """
SELECT scene_id, choice_id, crews FROM crew_choices
WHERE story_id = :story AND scene_id IN (SELECT value FROM json_each(:scenes))
"""

#: The statements the batched ballot writer (bot/campaign/ballots.py) runs, by name;
#: tests/campaign/test_ballots.py checks that each finds its rows by key.
BATCH_QUERIES: Mapping[str, str] = MappingProxyType(
    {"open_choices_of": OPEN_CHOICES_OF, "ballots_in": BALLOTS_IN}
)

#: The statements a click, a timer's close (with its crew counts) and the start-up reads run
#: one at a time, by name; tests/store/sqlite/test_query_plans.py checks that each uses its
#: index and scans no table.
HOT_QUERIES: Mapping[str, str] = MappingProxyType(
    {
        "get_decision": GET_DECISION,
        "cast_ballot": CAST_BALLOT,
        "ballot_of": BALLOT_OF,
        "tally": TALLY,
        "open_decision_for": OPEN_DECISION_FOR,
        "active_campaign_in_channel": ACTIVE_CAMPAIGN_IN_CHANNEL,
        "get_campaign": GET_CAMPAIGN,
        "open_deadlines": OPEN_DEADLINES,
        "close_decision": CLOSE_DECISION,
        "campaign_sharing": CAMPAIGN_SHARING,
        "known_crew_servers": KNOWN_CREW_SERVERS,
        "count_crew_choice": COUNT_CREW_CHOICE,
        "count_crew_server": COUNT_CREW_SERVER,
        "crew_reach": CREW_REACH,
        "crew_counts": CREW_COUNTS,
    }
)

# --- shared writes ------------------------------------------------------------------------

INSERT_DECISION = """
INSERT INTO decisions (campaign_id, seq, scene_id, choices, opened_at, deadline, remaining_us)
VALUES (:campaign_id, :seq, :scene_id, :choices, :opened_at, :deadline, :remaining_us)
"""

INSERT_AUDIT = """
INSERT INTO audit_log (guild_id, campaign_id, actor_id, action, detail, at)
VALUES (:guild_id, :campaign_id, :actor_id, :action, :detail, :at)
"""

# A close moves its campaign on: new state, status, reason and end time.
UPDATE_CAMPAIGN_AFTER_CLOSE = """
UPDATE campaigns SET state_json = :state, status = :s, status_reason = :r, ended_at = :e
 WHERE id = :id
"""
