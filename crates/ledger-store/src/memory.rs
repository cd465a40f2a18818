//! An in-memory backend: the reference the conformance suite holds the database backends to,
//! and a store for tests and tools that need no database. Nothing survives the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ledger_proof::{Frontier, Hash};
use tokio::sync::watch;

use crate::batch::{
    BatchState, IdempotencyRecord, PreparedAppend, StreamState, batch_keys, condition_queries,
    frontier_from_stored, plan_batch,
};
use crate::condition::Query;
use crate::envelope::{AppendRequest, AppendResult, EventBody, Head, StoredEvent, Timestamp};
use crate::error::{Error, Result};
use crate::store::{
    Direction, EventStore, KeptCheckpoint, ReadAll, ReadStream, as_of_position, checked_limit,
};
use crate::writer::{BatchCommitter, Writer, WriterOptions};

#[derive(Debug, Default)]
struct Log {
    head: Option<Head>,
    /// `events[p - 1]` is position `p`.
    events: Vec<StoredEvent>,
    /// Positions of each stream's events, in version order.
    streams: HashMap<String, (String, Vec<u64>)>,
    idempotency: HashMap<String, IdempotencyRecord>,
    /// Stored Merkle hashes in sumdb index order.
    hashes: Vec<Hash>,
    checkpoints: Vec<KeptCheckpoint>,
}

impl Log {
    fn head(&self) -> Head {
        self.head.unwrap_or_else(Head::empty)
    }
}

/// The in-memory event store.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    log: Arc<Mutex<Log>>,
    writer: Writer,
    head: watch::Receiver<u64>,
}

impl MemoryStore {
    /// An empty store with a running writer (needs a tokio runtime).
    #[must_use]
    pub fn new() -> Self {
        let log = Arc::new(Mutex::new(Log::default()));
        let (head_tx, head) = watch::channel(0);
        let writer = Writer::spawn(
            MemoryCommitter { log: log.clone() },
            head_tx,
            WriterOptions::default(),
        );
        Self { log, writer, head }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        lock(&self.log)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

fn lock(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    // A panic while holding the lock cannot leave the log half-written: plans are applied
    // after they are complete. Keep serving.
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct MemoryCommitter {
    log: Arc<Mutex<Log>>,
}

impl BatchCommitter for MemoryCommitter {
    async fn commit(
        &mut self,
        batch: &[PreparedAppend],
    ) -> Result<(Head, Vec<Result<AppendResult>>)> {
        let mut log = lock(&self.log);
        let head = log.head();
        let (stream_ids, keys) = batch_keys(batch);
        let streams = stream_ids
            .into_iter()
            .filter_map(|id| {
                log.streams.get(&id).map(|(stream_type, positions)| {
                    let state = StreamState {
                        stream_type: stream_type.clone(),
                        version: positions.len() as u64,
                    };
                    (id, state)
                })
            })
            .collect();
        let idempotency = keys
            .into_iter()
            .filter_map(|k| log.idempotency.get(&k).map(|r| (k, r.clone())))
            .collect();
        let frontier = frontier_from_stored(
            head.size,
            Frontier::required_indexes(head.size)
                .into_iter()
                .map(|i| (i, log.hashes[i as usize])),
        )?;
        let matches = condition_queries(batch)
            .filter_map(|(i, c)| {
                let after = usize::try_from(c.after()).unwrap_or(usize::MAX);
                log.events
                    .iter()
                    .skip(after)
                    .find(|e| c.fail_if_events_match.matches_stored(e))
                    .map(|e| (i, e.position))
            })
            .collect();
        let state =
            BatchState::new(head, frontier, streams, idempotency)?.with_condition_matches(matches);
        let plan = plan_batch(state, batch, Timestamp::now());
        for (index, hash) in plan.hashes {
            debug_assert_eq!(index as usize, log.hashes.len());
            log.hashes.push(hash);
        }
        for event in plan.events {
            log.streams
                .entry(event.stream_id.clone())
                .or_insert_with(|| (event.stream_type.clone(), Vec::new()))
                .1
                .push(event.position);
            log.events.push(event);
        }
        log.idempotency.extend(plan.idempotency);
        log.head = Some(plan.head);
        Ok((plan.head, plan.outcomes))
    }
}

impl EventStore for MemoryStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult> {
        self.writer.append(request).await
    }

    async fn read_stream(&self, stream_id: &str, options: ReadStream) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let bound = as_of_position(self, options.as_of).await?;
        let log = self.lock();
        let Some((_, positions)) = log.streams.get(stream_id) else {
            return Ok(Vec::new());
        };
        let visible = positions.iter().filter(|p| **p <= bound);
        let pick = |p: &u64| log.events[*p as usize - 1].clone();
        Ok(match options.direction {
            Direction::Forward => {
                let from = options.from_version.unwrap_or(1);
                visible
                    .map(pick)
                    .filter(|e| e.stream_version >= from)
                    .take(limit)
                    .collect()
            }
            Direction::Backward => {
                let from = options.from_version.unwrap_or(u64::MAX);
                visible
                    .rev()
                    .map(pick)
                    .filter(|e| e.stream_version <= from)
                    .take(limit)
                    .collect()
            }
        })
    }

    async fn read_stream_bodies(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventBody>> {
        let options = ReadStream {
            from_version: Some(from_version),
            limit,
            ..ReadStream::default()
        };
        let events = self.read_stream(stream_id, options).await?;
        Ok(events.into_iter().map(EventBody::from).collect())
    }

    async fn read_all(&self, options: &ReadAll) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let log = self.lock();
        let start = usize::try_from(options.after).unwrap_or(usize::MAX);
        Ok(log
            .events
            .iter()
            .skip(start)
            .filter(|e| options.filter.matches(e))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn head(&self) -> Result<Head> {
        Ok(self.lock().head())
    }

    async fn position_at(&self, at: Timestamp) -> Result<u64> {
        let log = self.lock();
        // Recorded times never decrease along positions, so the events recorded by `at` are a
        // prefix of the log.
        Ok(log.events.partition_point(|e| e.recorded_at <= at) as u64)
    }

    async fn stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        let log = self.lock();
        indexes
            .iter()
            .map(|i| {
                log.hashes.get(*i as usize).copied().ok_or_else(|| {
                    Error::invalid("index", format!("stored hash {i} is beyond the tree"))
                })
            })
            .collect()
    }

    async fn read_query(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(limit)?;
        let log = self.lock();
        let start = usize::try_from(after).unwrap_or(usize::MAX);
        Ok(log
            .events
            .iter()
            .skip(start)
            .filter(|e| query.matches_stored(e))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        Ok(self.lock().idempotency.get(key).cloned())
    }

    async fn keep_checkpoint(&self, checkpoint: &KeptCheckpoint) -> Result<bool> {
        let mut log = self.lock();
        if log
            .checkpoints
            .iter()
            .any(|c| c.size == checkpoint.size && c.signers == checkpoint.signers)
        {
            return Ok(false);
        }
        let mut kept = checkpoint.clone();
        kept.stored_at = Timestamp::now().to_string();
        log.checkpoints.push(kept);
        Ok(true)
    }

    async fn checkpoints(&self, size: Option<u64>, limit: usize) -> Result<Vec<KeptCheckpoint>> {
        let mut all = self.lock().checkpoints.clone();
        all.retain(|c| size.is_none_or(|s| c.size == s));
        all.sort_by(|a, b| {
            (b.size, b.signers.join(",").len()).cmp(&(a.size, a.signers.join(",").len()))
        });
        all.truncate(limit);
        Ok(all)
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }
}
