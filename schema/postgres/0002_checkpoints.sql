-- Signed checkpoints of the log (docs/verification.md): each note as the ledger signed it and
-- as witnesses cosigned it, one row per set of signers. Like the log, rows are only added.
CREATE TABLE checkpoints (
    size      bigint NOT NULL CHECK (size >= 0),
    -- The names of the keys whose signatures were verified when the row was stored, sorted,
    -- comma-separated.
    signers   text NOT NULL,
    root      text NOT NULL CHECK (length(root) = 64),
    note      text NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (size, signers)
);

CREATE TRIGGER checkpoints_immutable BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
