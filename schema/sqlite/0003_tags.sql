-- Tags and append conditions: as schema/postgres/0003_tags.sql. `tags` holds the event's tags
-- as canonical JSON text (NULL when none); `event_tags` indexes them, one row per (tag, event).
-- Never edit this file once applied; add a new numbered migration instead.

ALTER TABLE events ADD COLUMN tags TEXT CHECK (tags IS NULL OR json_valid(tags));

CREATE TABLE event_tags (
    tag      TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tag, position)
) WITHOUT ROWID;

CREATE TRIGGER event_tags_no_update BEFORE UPDATE ON event_tags
BEGIN SELECT RAISE(ABORT, 'ledger: UPDATE on event_tags is refused: the log is append-only'); END;
CREATE TRIGGER event_tags_no_delete BEFORE DELETE ON event_tags
BEGIN SELECT RAISE(ABORT, 'ledger: DELETE on event_tags is refused: the log is append-only'); END;
