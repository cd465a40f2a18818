-- The event store: an append-only log with a gapless global order and an RFC 9162 Merkle tree.
-- Never edit this file once applied; add a new numbered migration instead.

-- One row: the size and root of the Merkle tree over all events, and the last recorded time.
-- Every group-commit batch locks it (SELECT ... FOR UPDATE), which serialises writers across
-- processes and makes positions gapless and committed in order.
CREATE TABLE ledger_head (
    id               smallint PRIMARY KEY CHECK (id = 1),
    size             bigint NOT NULL CHECK (size >= 0),
    root             bytea NOT NULL CHECK (length(root) = 32),
    last_recorded_at timestamptz
);
INSERT INTO ledger_head (id, size, root)
VALUES (1, 0, '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

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
CREATE INDEX events_stream_type ON events (stream_type, position);
CREATE INDEX events_event_type ON events (event_type, position);
CREATE INDEX events_actor ON events (actor_subject, position);
CREATE INDEX events_acting_unit ON events (acting_unit, position) WHERE acting_unit IS NOT NULL;
CREATE INDEX events_correlation ON events (correlation_id);
CREATE INDEX events_recorded_at ON events (recorded_at, position);
CREATE INDEX events_effective_at ON events (effective_at);

-- Complete subtree hashes at their sumdb stored-hash index (tlog_tiles::stored_hash_index).
CREATE TABLE merkle_hashes (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE idempotency_keys (
    key    text PRIMARY KEY,
    digest bytea NOT NULL CHECK (length(digest) = 32),
    result jsonb NOT NULL
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
-- The head only moves forward.
CREATE FUNCTION ledger_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.size < OLD.size THEN
        RAISE EXCEPTION 'ledger: the head cannot shrink from % to %', OLD.size, NEW.size
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_head_forward BEFORE UPDATE ON ledger_head
    FOR EACH ROW EXECUTE FUNCTION ledger_head_forward();
CREATE TRIGGER ledger_head_immutable BEFORE DELETE ON ledger_head
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_head_no_truncate BEFORE TRUNCATE ON ledger_head
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
