//! One store type for the API over either backend, chosen at start from the database URL.

use ledger_store::{
    AppendRequest, AppendResult, EventBody, EventStore, Hash, Head, ReadAll, ReadStream, Result,
    StoredEvent, Timestamp,
};
use ledger_store_postgres::PostgresStore;
use ledger_store_sqlite::SqliteStore;
use tokio::sync::watch;

/// PostgreSQL or SQLite.
#[derive(Clone)]
pub enum AnyStore {
    /// PostgreSQL (production).
    Postgres(PostgresStore),
    /// SQLite (the embedded default).
    Sqlite(SqliteStore),
}

impl AnyStore {
    /// The read-model database in the same database as the log.
    #[must_use]
    pub fn read_db(&self) -> ledger_projections::Db {
        match self {
            Self::Postgres(s) => ledger_projections::Db::Postgres(s.pool().clone()),
            Self::Sqlite(s) => ledger_projections::Db::Sqlite(s.pool().clone()),
        }
    }
}

macro_rules! both {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Postgres($s) => $e,
            AnyStore::Sqlite($s) => $e,
        }
    };
}

impl EventStore for AnyStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult> {
        both!(self, s => s.append(request).await)
    }
    async fn read_stream(&self, stream_id: &str, options: ReadStream) -> Result<Vec<StoredEvent>> {
        both!(self, s => s.read_stream(stream_id, options).await)
    }
    async fn read_stream_bodies(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventBody>> {
        both!(self, s => s.read_stream_bodies(stream_id, from_version, limit).await)
    }
    async fn read_all(&self, options: &ReadAll) -> Result<Vec<StoredEvent>> {
        both!(self, s => s.read_all(options).await)
    }
    async fn head(&self) -> Result<Head> {
        both!(self, s => s.head().await)
    }
    async fn position_at(&self, at: Timestamp) -> Result<u64> {
        both!(self, s => s.position_at(at).await)
    }
    async fn stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        both!(self, s => s.stored_hashes(indexes).await)
    }
    async fn idempotent_result(&self, key: &str) -> Result<Option<AppendResult>> {
        both!(self, s => s.idempotent_result(key).await)
    }
    fn watch_head(&self) -> watch::Receiver<u64> {
        both!(self, s => s.watch_head())
    }
}
