-- The event store on SQLite: the same log as schema/postgres/0001_event_store.sql.
-- Times are TEXT in the canonical fixed-width form YYYY-MM-DDTHH:MM:SS.ffffffZ (text order is
-- time order); payload and metadata are their RFC 8785 canonical JSON text.
-- Never edit this file once applied; add a new numbered migration instead.

CREATE TABLE ledger_head (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    size             INTEGER NOT NULL CHECK (size >= 0),
    root             BLOB NOT NULL CHECK (length(root) = 32),
    last_recorded_at TEXT
);
INSERT INTO ledger_head (id, size, root)
VALUES (1, 0, X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

CREATE TABLE events (
    position       INTEGER PRIMARY KEY CHECK (position >= 1),
    stream_id      TEXT NOT NULL,
    stream_type    TEXT NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version >= 1),
    event_type     TEXT NOT NULL,
    schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
    payload        TEXT NOT NULL CHECK (json_valid(payload)),
    metadata       TEXT NOT NULL CHECK (json_valid(metadata)),
    actor_subject  TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    acting_unit    TEXT,
    correlation_id TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    effective_at   TEXT NOT NULL,
    leaf_hash      BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    UNIQUE (stream_id, stream_version)
);
-- Indexes serve the store's own reads (read_all filters, position_at). Audit queries by
-- actor, unit, correlation or effective time use the columns through the audit-index
-- projection, which carries its own indexes: every index here costs every append.
CREATE INDEX events_stream_type ON events (stream_type, position);
CREATE INDEX events_event_type ON events (event_type, position);
CREATE INDEX events_recorded_at ON events (recorded_at, position);

CREATE TABLE merkle_hashes (
    idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE idempotency_keys (
    key    TEXT PRIMARY KEY,
    digest BLOB NOT NULL CHECK (length(digest) = 32),
    result TEXT NOT NULL CHECK (json_valid(result))
);

-- Immutability, enforced by the database. SQLite has no TRUNCATE; a DELETE without WHERE
-- fires these triggers too (their presence disables the truncate optimisation).
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'ledger: UPDATE on events is refused: the log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'ledger: DELETE on events is refused: the log is append-only'); END;
CREATE TRIGGER merkle_hashes_no_update BEFORE UPDATE ON merkle_hashes
BEGIN SELECT RAISE(ABORT, 'ledger: UPDATE on merkle_hashes is refused: the log is append-only'); END;
CREATE TRIGGER merkle_hashes_no_delete BEFORE DELETE ON merkle_hashes
BEGIN SELECT RAISE(ABORT, 'ledger: DELETE on merkle_hashes is refused: the log is append-only'); END;
CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON idempotency_keys
BEGIN SELECT RAISE(ABORT, 'ledger: UPDATE on idempotency_keys is refused: the log is append-only'); END;
CREATE TRIGGER idempotency_keys_no_delete BEFORE DELETE ON idempotency_keys
BEGIN SELECT RAISE(ABORT, 'ledger: DELETE on idempotency_keys is refused: the log is append-only'); END;
CREATE TRIGGER ledger_head_forward BEFORE UPDATE ON ledger_head WHEN NEW.size < OLD.size
BEGIN SELECT RAISE(ABORT, 'ledger: the head cannot shrink'); END;
CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head
BEGIN SELECT RAISE(ABORT, 'ledger: DELETE on ledger_head is refused'); END;
