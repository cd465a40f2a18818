-- Least-privilege PostgreSQL roles for a ledger deployment.
--
-- Run once, as a superuser, in the ledger's database (psql -d ledger -f roles.sql), then set
-- the two passwords. The owner role owns the schema and is used only to migrate; the
-- application role can read the log and append to it, and nothing else:
-- no UPDATE, DELETE or TRUNCATE, and since it owns nothing it cannot drop or disable the
-- immutability triggers either. (A superuser still can; that is what the signed checkpoints
-- and `ledger verify` are for.)

CREATE ROLE ledger_owner LOGIN;      -- ALTER ROLE ledger_owner PASSWORD '…';
CREATE ROLE ledger_app LOGIN;        -- ALTER ROLE ledger_app PASSWORD '…';

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO ledger_owner;
GRANT USAGE ON SCHEMA public TO ledger_app;

-- Tables created by the owner's migrations are readable and appendable by the app.
ALTER DEFAULT PRIVILEGES FOR ROLE ledger_owner IN SCHEMA public
    GRANT SELECT, INSERT ON TABLES TO ledger_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ledger_owner IN SCHEMA public
    REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM ledger_app;

-- Then: migrate as ledger_owner (PostgresStore::connect, or later `ledger migrate`), and run
-- the server as ledger_app (PostgresStore::open, which never migrates).
