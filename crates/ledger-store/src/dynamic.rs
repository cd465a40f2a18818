//! [`DynStore`]: any backend behind one type, chosen when the program starts. Layers above the
//! store (the GraphQL schema, the read models' projector) hold a `DynStore` and so depend on no
//! backend crate; only the composition root (`ledger-server`) names one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::watch;

use crate::batch::IdempotencyRecord;
use crate::condition::Query;
use crate::envelope::{AppendRequest, AppendResult, EventBody, Head, StoredEvent, Timestamp};
use crate::error::Result;
use crate::store::{EventStore, KeptCheckpoint, ReadAll, ReadStream};
use ledger_proof::Hash;

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// [`EventStore`] with its futures boxed, so it can sit behind `dyn`.
trait Erased: Send + Sync + 'static {
    fn append(&self, request: AppendRequest) -> Boxed<'_, AppendResult>;
    fn read_stream<'a>(&'a self, id: &'a str, options: ReadStream) -> Boxed<'a, Vec<StoredEvent>>;
    fn read_stream_bodies<'a>(
        &'a self,
        id: &'a str,
        from: u64,
        limit: usize,
    ) -> Boxed<'a, Vec<EventBody>>;
    fn read_all<'a>(&'a self, options: &'a ReadAll) -> Boxed<'a, Vec<StoredEvent>>;
    fn read_query<'a>(
        &'a self,
        query: &'a Query,
        after: u64,
        limit: usize,
    ) -> Boxed<'a, Vec<StoredEvent>>;
    fn head(&self) -> Boxed<'_, Head>;
    fn position_at(&self, at: Timestamp) -> Boxed<'_, u64>;
    fn stored_hashes<'a>(&'a self, indexes: &'a [u64]) -> Boxed<'a, Vec<Hash>>;
    fn idempotency_record<'a>(&'a self, key: &'a str) -> Boxed<'a, Option<IdempotencyRecord>>;
    fn keep_checkpoint<'a>(&'a self, checkpoint: &'a KeptCheckpoint) -> Boxed<'a, bool>;
    fn checkpoints(&self, size: Option<u64>, limit: usize) -> Boxed<'_, Vec<KeptCheckpoint>>;
    fn watch_head(&self) -> watch::Receiver<u64>;
}

impl<S: EventStore> Erased for S {
    fn append(&self, request: AppendRequest) -> Boxed<'_, AppendResult> {
        Box::pin(EventStore::append(self, request))
    }
    fn read_stream<'a>(&'a self, id: &'a str, options: ReadStream) -> Boxed<'a, Vec<StoredEvent>> {
        Box::pin(EventStore::read_stream(self, id, options))
    }
    fn read_stream_bodies<'a>(
        &'a self,
        id: &'a str,
        from: u64,
        limit: usize,
    ) -> Boxed<'a, Vec<EventBody>> {
        Box::pin(EventStore::read_stream_bodies(self, id, from, limit))
    }
    fn read_all<'a>(&'a self, options: &'a ReadAll) -> Boxed<'a, Vec<StoredEvent>> {
        Box::pin(EventStore::read_all(self, options))
    }
    fn read_query<'a>(
        &'a self,
        query: &'a Query,
        after: u64,
        limit: usize,
    ) -> Boxed<'a, Vec<StoredEvent>> {
        Box::pin(EventStore::read_query(self, query, after, limit))
    }
    fn head(&self) -> Boxed<'_, Head> {
        Box::pin(EventStore::head(self))
    }
    fn position_at(&self, at: Timestamp) -> Boxed<'_, u64> {
        Box::pin(EventStore::position_at(self, at))
    }
    fn stored_hashes<'a>(&'a self, indexes: &'a [u64]) -> Boxed<'a, Vec<Hash>> {
        Box::pin(EventStore::stored_hashes(self, indexes))
    }
    fn idempotency_record<'a>(&'a self, key: &'a str) -> Boxed<'a, Option<IdempotencyRecord>> {
        Box::pin(EventStore::idempotency_record(self, key))
    }
    fn keep_checkpoint<'a>(&'a self, checkpoint: &'a KeptCheckpoint) -> Boxed<'a, bool> {
        Box::pin(EventStore::keep_checkpoint(self, checkpoint))
    }
    fn checkpoints(&self, size: Option<u64>, limit: usize) -> Boxed<'_, Vec<KeptCheckpoint>> {
        Box::pin(EventStore::checkpoints(self, size, limit))
    }
    fn watch_head(&self) -> watch::Receiver<u64> {
        EventStore::watch_head(self)
    }
}

/// Any backend, chosen at run time. Cheap to clone.
#[derive(Clone)]
pub struct DynStore(Arc<dyn Erased>);

impl DynStore {
    /// Wraps a backend.
    pub fn new(store: impl EventStore) -> Self {
        Self(Arc::new(store))
    }
}

impl std::fmt::Debug for DynStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DynStore")
    }
}

impl EventStore for DynStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult> {
        self.0.append(request).await
    }
    async fn read_stream(&self, stream_id: &str, options: ReadStream) -> Result<Vec<StoredEvent>> {
        self.0.read_stream(stream_id, options).await
    }
    async fn read_stream_bodies(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventBody>> {
        self.0
            .read_stream_bodies(stream_id, from_version, limit)
            .await
    }
    async fn read_all(&self, options: &ReadAll) -> Result<Vec<StoredEvent>> {
        self.0.read_all(options).await
    }
    async fn read_query(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        self.0.read_query(query, after, limit).await
    }
    async fn head(&self) -> Result<Head> {
        self.0.head().await
    }
    async fn position_at(&self, at: Timestamp) -> Result<u64> {
        self.0.position_at(at).await
    }
    async fn stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        self.0.stored_hashes(indexes).await
    }
    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        self.0.idempotency_record(key).await
    }
    async fn keep_checkpoint(&self, checkpoint: &KeptCheckpoint) -> Result<bool> {
        self.0.keep_checkpoint(checkpoint).await
    }
    async fn checkpoints(&self, size: Option<u64>, limit: usize) -> Result<Vec<KeptCheckpoint>> {
        self.0.checkpoints(size, limit).await
    }
    fn watch_head(&self) -> watch::Receiver<u64> {
        self.0.watch_head()
    }
}
