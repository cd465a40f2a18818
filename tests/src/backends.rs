//! The three backends behind one test interface, each on its own fresh database.

use std::future::Future;

use ledger_store::{EventStore, MemoryStore};
use ledger_store_postgres::PostgresStore;
use ledger_store_sqlite::SqliteStore;
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

use crate::postgres::TestDatabase;

/// Runs each statement on a raw connection and records what the database answered (the two
/// connection types share no trait with `rows_affected`, hence a macro).
macro_rules! attempt_all {
    ($conn:expr, $statements:expr) => {{
        let mut out = Vec::new();
        for sql in $statements {
            let result = $conn.execute(sql).await;
            out.push((
                sql,
                result.map(|r| r.rows_affected()).map_err(|e| e.to_string()),
            ));
        }
        out
    }};
}

/// What a tamper attempt did: rows changed, or the database's refusal.
pub type Attempt = (&'static str, Result<u64, String>);

/// A backend under test, on a database of its own.
pub trait Backend: Sized + Send + Sync + 'static {
    /// The store type.
    type Store: EventStore;
    /// A fresh, empty store.
    fn new() -> impl Future<Output = Self> + Send;
    /// The store.
    fn store(&self) -> &Self::Store;
    /// A second store on the same database with a writer of its own, as another process
    /// would open it.
    fn second_writer(&self) -> impl Future<Output = Self::Store> + Send;
    /// Ends the store's database connections from the server side, as a network failure or a
    /// database restart would; how many were ended. A no-op (0) where there is no connection
    /// to lose.
    fn drop_connections(&self) -> impl Future<Output = usize> + Send;
    /// Tries to rewrite history behind the store's back with plain SQL. `None` where there is
    /// no database to tamper with.
    fn tamper(&self) -> impl Future<Output = Option<Vec<Attempt>>> + Send;
    /// Removes the database.
    fn cleanup(self) -> impl Future<Output = ()> + Send;
}

/// The in-memory reference backend.
pub struct Memory(MemoryStore);

impl Backend for Memory {
    type Store = MemoryStore;
    async fn new() -> Self {
        Self(MemoryStore::new())
    }
    fn store(&self) -> &MemoryStore {
        &self.0
    }
    async fn second_writer(&self) -> MemoryStore {
        // Memory has no second process; share the one writer.
        self.0.clone()
    }
    async fn drop_connections(&self) -> usize {
        0
    }
    async fn tamper(&self) -> Option<Vec<Attempt>> {
        None
    }
    async fn cleanup(self) {}
}

/// SQLite on a file in a temporary folder.
pub struct Sqlite {
    store: SqliteStore,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Backend for Sqlite {
    type Store = SqliteStore;
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("ledger.db");
        let store = SqliteStore::open(&path).await.expect("open SQLite store");
        Self {
            store,
            path,
            _dir: dir,
        }
    }
    fn store(&self) -> &SqliteStore {
        &self.store
    }
    async fn second_writer(&self) -> SqliteStore {
        SqliteStore::open(&self.path)
            .await
            .expect("open the file again")
    }
    async fn drop_connections(&self) -> usize {
        // An embedded database has no connection to lose; close and reopen nothing.
        0
    }
    async fn tamper(&self) -> Option<Vec<Attempt>> {
        let url = format!("sqlite://{}", self.path.display());
        let mut conn = SqliteConnection::connect(&url)
            .await
            .expect("raw SQLite connection");
        let statements = [
            "UPDATE events SET payload = '{}' WHERE position = 1",
            "UPDATE events SET leaf_hash = zeroblob(32)",
            "DELETE FROM events WHERE position = 1",
            "DELETE FROM events",
            "UPDATE merkle_hashes SET hash = zeroblob(32)",
            "DELETE FROM merkle_hashes",
            "DELETE FROM idempotency_keys",
            "UPDATE event_tags SET tag = 'x'",
            "DELETE FROM event_tags",
            "UPDATE ledger_head SET size = 0",
            "DELETE FROM ledger_head",
        ];
        Some(attempt_all!(conn, statements))
    }
    async fn cleanup(self) {}
}

/// PostgreSQL on a database created for the test.
pub struct Postgres {
    store: PostgresStore,
    db: TestDatabase,
}

impl Backend for Postgres {
    type Store = PostgresStore;
    async fn new() -> Self {
        let db = TestDatabase::create().await;
        let store = PostgresStore::connect(&db.url, 16)
            .await
            .expect("open PostgreSQL store");
        Self { store, db }
    }
    fn store(&self) -> &PostgresStore {
        &self.store
    }
    async fn second_writer(&self) -> PostgresStore {
        PostgresStore::connect(&self.db.url, 8)
            .await
            .expect("open the database again")
    }
    async fn drop_connections(&self) -> usize {
        let mut conn = PgConnection::connect(&crate::postgres::server_url().await)
            .await
            .expect("connect to the test server");
        let name = self
            .db
            .url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .fetch_all(&mut conn)
        .await
        .expect("terminate the store's connections");
        let _ = conn.close().await;
        killed.into_iter().filter(|k| *k).count()
    }
    async fn tamper(&self) -> Option<Vec<Attempt>> {
        let mut conn = PgConnection::connect(&self.db.url)
            .await
            .expect("raw connection");
        let statements = [
            "UPDATE events SET payload = '{}'::json WHERE position = 1",
            "UPDATE events SET leaf_hash = '\\x00'",
            "DELETE FROM events WHERE position = 1",
            "TRUNCATE events",
            "UPDATE merkle_hashes SET hash = hash",
            "DELETE FROM merkle_hashes",
            "TRUNCATE merkle_hashes CASCADE",
            "DELETE FROM idempotency_keys",
            "TRUNCATE idempotency_keys",
            "UPDATE event_tags SET tag = 'x'",
            "DELETE FROM event_tags",
            "TRUNCATE event_tags",
        ];
        Some(attempt_all!(conn, statements))
    }
    async fn cleanup(self) {
        drop(self.store);
        self.db.drop_database().await;
    }
}
