-- Closes the channel has not been shown yet (see SQLite's 0005_unshown_closes.sql): a close
-- commits first and is shown after; when showing fails the row stays `close_shown = false`
-- with what the close did (`close_view`, JSON) so that a sweep can finish it. Rows closed
-- before this migration count as shown.

ALTER TABLE decisions ADD COLUMN close_shown boolean NOT NULL DEFAULT true;
ALTER TABLE decisions ADD COLUMN close_view json;

CREATE INDEX decisions_close_unshown ON decisions (closed_at) WHERE NOT close_shown;
