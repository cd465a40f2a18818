//! The store trait every backend implements, and its read options.

use std::future::Future;

use tokio::sync::watch;

use crate::batch::IdempotencyRecord;
use crate::condition::Query;
use crate::envelope::{AppendRequest, AppendResult, EventBody, Head, StoredEvent, Timestamp};
use crate::error::{Error, Result};
use crate::subscription::Subscription;
use ledger_proof::Hash;

/// Most events one read returns.
pub const MAX_READ_LIMIT: usize = 10_000;

/// Which way to read a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Oldest first.
    #[default]
    Forward,
    /// Newest first.
    Backward,
}

/// A past state of the log to read as of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Only events at or before this global position.
    Position(u64),
    /// Only events recorded at or before this time.
    RecordedAt(Timestamp),
}

/// Options for reading one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadStream {
    /// Oldest or newest first.
    pub direction: Direction,
    /// Start at this stream version (inclusive): the lowest version read forward, the highest
    /// read backward. `None`: the stream's start (forward) or end (backward).
    pub from_version: Option<u64>,
    /// Read the stream as it was at a past position or time.
    pub as_of: Option<AsOf>,
    /// At most this many events (capped at [`MAX_READ_LIMIT`]).
    pub limit: usize,
}

impl Default for ReadStream {
    fn default() -> Self {
        Self {
            direction: Direction::Forward,
            from_version: None,
            as_of: None,
            limit: MAX_READ_LIMIT,
        }
    }
}

impl ReadStream {
    /// For SQL backends: the comparison on `stream_version`, the sort order and the version to
    /// compare with (`>=`/`ASC` from the start forward, `<=`/`DESC` from the end backward).
    #[must_use]
    pub fn sql_range(&self) -> (&'static str, &'static str, u64) {
        match self.direction {
            Direction::Forward => (">=", "ASC", self.from_version.unwrap_or(1)),
            Direction::Backward => ("<=", "DESC", self.from_version.unwrap_or(u64::MAX)),
        }
    }
}

/// Which events of the whole log to read; empty lists mean all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only these stream types.
    pub stream_types: Vec<String>,
    /// Only these event types.
    pub event_types: Vec<String>,
}

impl LogFilter {
    /// Whether `event` passes the filter.
    #[must_use]
    pub fn matches(&self, event: &StoredEvent) -> bool {
        (self.stream_types.is_empty() || self.stream_types.contains(&event.stream_type))
            && (self.event_types.is_empty() || self.event_types.contains(&event.event_type))
    }
}

/// Options for reading the whole log forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAll {
    /// Read events after this position (0: from the start).
    pub after: u64,
    /// At most this many events (capped at [`MAX_READ_LIMIT`]).
    pub limit: usize,
    /// Which events.
    pub filter: LogFilter,
}

impl ReadAll {
    /// Everything after `after`, `limit` at a time.
    #[must_use]
    pub fn after(after: u64, limit: usize) -> Self {
        Self {
            after,
            limit,
            filter: LogFilter::default(),
        }
    }
}

/// What every backend provides. Implementations are cheap to clone (they share a pool and a
/// writer) and safe to use from many tasks.
pub trait EventStore: Clone + Send + Sync + 'static {
    /// Appends atomically; returns once committed. See [`crate::writer::Writer::append`].
    fn append(&self, request: AppendRequest) -> impl Future<Output = Result<AppendResult>> + Send;

    /// Reads one stream. An unknown stream reads as empty.
    fn read_stream(
        &self,
        stream_id: &str,
        options: ReadStream,
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;

    /// Reads the bodies of one stream's events from `from_version` on, oldest first, at most
    /// `limit` (capped at [`MAX_READ_LIMIT`]): what an aggregate needs to rebuild its state,
    /// without the cost of reading and decoding the envelopes.
    fn read_stream_bodies(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<EventBody>>> + Send;

    /// Reads the log forward from a position, in position order.
    fn read_all(&self, options: &ReadAll) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;

    /// The current head: size, Merkle root, last recorded time.
    fn head(&self) -> impl Future<Output = Result<Head>> + Send;

    /// The last position recorded at or before `at` (0 if none): the log as it was then.
    fn position_at(&self, at: Timestamp) -> impl Future<Output = Result<u64>> + Send;

    /// Stored Merkle hashes by their sumdb stored-hash index, in the order asked.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an index beyond the tree.
    fn stored_hashes(&self, indexes: &[u64]) -> impl Future<Output = Result<Vec<Hash>>> + Send;

    /// Events matching `query` after position `after`, in position order, at most `limit`
    /// (capped at [`MAX_READ_LIMIT`]): the read half of a dynamic consistency boundary
    /// ([`crate::condition`]).
    fn read_query(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;

    /// The stored record of the request that used idempotency `key`, if any: its digest and
    /// what it wrote ([`crate::batch::replay`] decides what a repeat is answered).
    fn idempotency_record(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<IdempotencyRecord>>> + Send;

    /// The stored result of the request that used idempotency `key`, if any: lets an importer
    /// or a client skip work already committed, without re-running the command.
    fn idempotent_result(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<AppendResult>>> + Send {
        async move { Ok(self.idempotency_record(key).await?.map(|r| r.result)) }
    }

    /// Keeps a signed checkpoint; false when one of the same size and signers was kept.
    fn keep_checkpoint(
        &self,
        checkpoint: &KeptCheckpoint,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Kept checkpoints (of one size, when `size` is given), largest size first (for one size,
    /// the most signers first), at most `limit`.
    fn checkpoints(
        &self,
        size: Option<u64>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<KeptCheckpoint>>> + Send;

    /// A receiver that changes whenever the log may have grown (its value is a head size seen).
    fn watch_head(&self) -> watch::Receiver<u64>;

    /// Follows the log after `after`: catches up, then waits for new events.
    fn subscribe(&self, after: u64, filter: LogFilter) -> Subscription<Self> {
        Subscription::new(self.clone(), after, filter)
    }
}

/// A checkpoint the ledger signed (and witnesses cosigned), as kept beside the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCheckpoint {
    /// Tree size (events).
    pub size: u64,
    /// The names of the keys whose signatures were verified when it was kept, sorted.
    pub signers: Vec<String>,
    /// The root, as 64 lowercase hex digits.
    pub root: String,
    /// The signed note.
    pub note: String,
    /// When it was kept (the database's clock; empty before it is).
    pub stored_at: String,
}

/// Resolves an [`AsOf`] to a position bound (`u64::MAX`: no bound).
///
/// # Errors
/// Propagates [`EventStore::position_at`] failures.
pub async fn as_of_position<S: EventStore>(store: &S, as_of: Option<AsOf>) -> Result<u64> {
    match as_of {
        None => Ok(u64::MAX),
        Some(AsOf::Position(p)) => Ok(p),
        Some(AsOf::RecordedAt(t)) => store.position_at(t).await,
    }
}

/// Caps a requested read limit to [`MAX_READ_LIMIT`], refusing zero.
///
/// # Errors
/// [`Error::Invalid`] for a zero limit.
pub fn checked_limit(limit: usize) -> Result<usize> {
    if limit == 0 {
        return Err(Error::invalid("limit", "must be at least 1"));
    }
    Ok(limit.min(MAX_READ_LIMIT))
}

/// Clamps a position bound to what SQL integers hold.
#[must_use]
pub fn sql_position(p: u64) -> i64 {
    i64::try_from(p).unwrap_or(i64::MAX)
}
