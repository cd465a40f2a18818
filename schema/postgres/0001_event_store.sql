-- The event store: an append-only log with a gapless global order and an RFC 9162 Merkle tree.
-- The head (size, root, last recorded time) is read from the log itself: the last position,
-- and the root of the stored Merkle hashes. Writers order themselves by the primary keys of
-- events and merkle_hashes (see crates/ledger-store-postgres).
-- Never edit this file once applied; add a new numbered migration instead.

CREATE TABLE events (
    position       bigint PRIMARY KEY CHECK (position >= 1),
    stream_id      text NOT NULL,
    stream_type    text NOT NULL,
    stream_version bigint NOT NULL CHECK (stream_version >= 1),
    event_type     text NOT NULL,
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    -- payload and metadata hold their RFC 8785 canonical text (type json keeps the text as
    -- written), so the bytes hashed into the leaf are the bytes stored. The metadata columns
    -- below repeat what users filter on.
    payload        json NOT NULL,
    metadata       json NOT NULL,
    actor_subject  text NOT NULL,
    actor_role     text NOT NULL,
    acting_unit    text,
    correlation_id uuid NOT NULL,
    recorded_at    timestamptz NOT NULL,
    effective_at   timestamptz NOT NULL,
    leaf_hash      bytea NOT NULL CHECK (length(leaf_hash) = 32),
    -- A stream's current version is its last event's; this index answers it in one probe.
    UNIQUE (stream_id, stream_version)
);
-- Indexes serve the store's own reads (read_all filters, position_at). Audit queries by
-- actor, unit, correlation or effective time use the columns through the audit-index
-- projection, which carries its own indexes: every index here costs every append.
CREATE INDEX events_stream_type ON events (stream_type, position);
CREATE INDEX events_event_type ON events (event_type, position);
CREATE INDEX events_recorded_at ON events (recorded_at, position);

-- Complete subtree hashes at their sumdb stored-hash index (tlog_tiles::stored_hash_index).
CREATE TABLE merkle_hashes (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE idempotency_keys (
    key    text PRIMARY KEY,
    digest bytea NOT NULL CHECK (length(digest) = 32),
    result json NOT NULL
);

-- Immutability, enforced by the database: events, their hashes and idempotency records are
-- never updated, deleted or truncated, whoever connects.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % on % is refused: the log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER merkle_hashes_immutable BEFORE UPDATE OR DELETE ON merkle_hashes
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER merkle_hashes_no_truncate BEFORE TRUNCATE ON merkle_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER idempotency_keys_immutable BEFORE UPDATE OR DELETE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER idempotency_keys_no_truncate BEFORE TRUNCATE ON idempotency_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
