-- Tags and append conditions (dynamic consistency boundaries, crates/ledger-store/src/condition.rs).
-- An event's tags are part of what its leaf hash covers (the canonical form's `tags` key,
-- present when there are any); `tags` holds them as canonical JSON text, NULL when none.
-- `event_tags` indexes them for append conditions: one row per (tag, event), derived from
-- `events.tags` and written in the same statement.
-- Never edit this file once applied; add a new numbered migration instead.

ALTER TABLE events ADD COLUMN tags json;

CREATE TABLE event_tags (
    tag      text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (tag, position)
);

CREATE TRIGGER event_tags_immutable BEFORE UPDATE OR DELETE ON event_tags
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER event_tags_no_truncate BEFORE TRUNCATE ON event_tags
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
