-- Closes the channel has not been shown yet. A close commits first and is shown after (the
-- scene message marked closed, the next scene or the ending posted); when showing fails (a
-- 5xx, a crash), the row stays `close_shown = 0` with what the close did (`close_view`, JSON:
-- the turn taken, for the result line) so that a sweep can finish it. Rows closed before
-- this migration count as shown.

ALTER TABLE decisions ADD COLUMN close_shown INTEGER NOT NULL DEFAULT 1
    CHECK (close_shown IN (0, 1));
ALTER TABLE decisions ADD COLUMN close_view TEXT CHECK (close_view IS NULL OR json_valid(close_view));

CREATE INDEX decisions_close_unshown ON decisions (closed_at) WHERE close_shown = 0;
