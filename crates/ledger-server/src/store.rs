//! The backend chosen at start from the database URL: the one place that names both.
//! Everything above it takes a [`DynStore`] and a read-model [`ledger_projections::Db`].

use ledger_store::batch::IdempotencyRecord;
use ledger_store::{
    AppendRequest, AppendResult, DynStore, EventBody, EventStore, Hash, Head, KeptCheckpoint,
    Query, ReadAll, ReadStream, Result, StoredEvent, Timestamp,
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

    /// Closes the database pool (log and read models) once its connections are returned: on
    /// SQLite the last connection to close checkpoints the WAL into the database file.
    pub async fn close(&self) {
        match self {
            Self::Postgres(s) => s.pool().close().await,
            Self::Sqlite(s) => s.pool().close().await,
        }
    }

    /// The store behind one type, for the layers above.
    #[must_use]
    pub fn to_dyn(&self) -> DynStore {
        match self {
            Self::Postgres(s) => DynStore::new(s.clone()),
            Self::Sqlite(s) => DynStore::new(s.clone()),
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
    async fn read_query(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        both!(self, s => s.read_query(query, after, limit).await)
    }
    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        both!(self, s => s.idempotency_record(key).await)
    }
    async fn keep_checkpoint(&self, checkpoint: &KeptCheckpoint) -> Result<bool> {
        both!(self, s => s.keep_checkpoint(checkpoint).await)
    }
    async fn checkpoints(&self, size: Option<u64>, limit: usize) -> Result<Vec<KeptCheckpoint>> {
        both!(self, s => s.checkpoints(size, limit).await)
    }
    fn watch_head(&self) -> watch::Receiver<u64> {
        both!(self, s => s.watch_head())
    }
}
