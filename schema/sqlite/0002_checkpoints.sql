-- Signed checkpoints of the log (docs/verification.md): each note as the ledger signed it and
-- as witnesses cosigned it, one row per set of signers. Like the log, rows are only added.
CREATE TABLE checkpoints (
    size      INTEGER NOT NULL CHECK (size >= 0),
    -- The names of the keys whose signatures were verified when the row was stored, sorted,
    -- comma-separated.
    signers   TEXT NOT NULL,
    root      TEXT NOT NULL CHECK (length(root) = 64),
    note      TEXT NOT NULL,
    stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (size, signers)
);

CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger: UPDATE on checkpoints is refused: checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger: DELETE on checkpoints is refused: checkpoints are append-only'); END;
