//! cqrs-es on the ledger's store: aggregates load from and commit to any [`EventStore`].
//!
//! [`LedgerRepository`] implements cqrs-es's `PersistedEventRepository`, so a
//! `CqrsFramework<A, PersistedEventStore<LedgerRepository<S>, A>>` runs aggregates on our
//! store with its global order, Merkle leaves and group commit. The aggregate id is the stream
//! id and `A::TYPE` the stream type.
//!
//! cqrs-es carries per-command metadata as a string map. The ledger's envelope needs typed
//! metadata (actor, unit, reason, document, effective time), so commands are executed with
//! [`CommandContext::to_cqrs_metadata`] and the repository reads the same typed context back;
//! a command executed without one is refused rather than stored without an actor.

use std::collections::HashMap;
use std::future::Future;

use cqrs_es::Aggregate;
use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::envelope::{
    AppendRequest, EventBody, ExpectedVersion, Metadata, NewEvent, StoredEvent, StreamAppend,
    Timestamp,
};
use crate::error::Error;
use crate::store::{EventStore, LogFilter, MAX_READ_LIMIT, ReadAll, ReadStream};

/// The key under which the typed context travels in cqrs-es's metadata map.
pub const CONTEXT_KEY: &str = "ledger.context";

/// Who runs a command, for whom, why, and when it takes effect: becomes the envelope metadata of
/// every event the command emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandContext {
    /// Actor, unit, correlation, idempotency, reason and source document.
    pub metadata: Metadata,
    /// When the change takes effect in the world; the recorded time when `None`.
    pub effective_at: Option<Timestamp>,
}

impl CommandContext {
    /// The map to pass to `CqrsFramework::execute_with_metadata`.
    #[must_use]
    pub fn to_cqrs_metadata(&self) -> HashMap<String, String> {
        let json = serde_json::to_string(self).unwrap_or_default();
        HashMap::from([(CONTEXT_KEY.to_owned(), json)])
    }

    /// Reads the context back from an event's cqrs-es metadata.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the metadata carries no context or a malformed one.
    pub fn from_cqrs_metadata(metadata: &Value) -> Result<Self, Error> {
        let text = metadata
            .get(CONTEXT_KEY)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::invalid(
                    "metadata",
                    "no ledger command context: execute commands with CommandContext::to_cqrs_metadata()",
                )
            })?;
        serde_json::from_str(text).map_err(|e| Error::invalid("metadata", e.to_string()))
    }
}

/// cqrs-es's event repository over an [`EventStore`].
#[derive(Debug, Clone)]
pub struct LedgerRepository<S> {
    store: S,
}

impl<S: EventStore> LedgerRepository<S> {
    /// Wraps a store.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The wrapped store.
    pub fn store(&self) -> &S {
        &self.store
    }
}

/// Converts a stored event for cqrs-es, with its typed context in the metadata map (for
/// replays to queries, which read the metadata).
fn serialized(event: StoredEvent) -> SerializedEvent {
    let context = CommandContext {
        metadata: event.metadata,
        effective_at: Some(event.effective_at),
    };
    let metadata = serde_json::to_value(context.to_cqrs_metadata()).unwrap_or(Value::Null);
    SerializedEvent {
        aggregate_id: event.stream_id,
        sequence: event.stream_version as usize,
        aggregate_type: event.stream_type,
        event_type: event.event_type,
        event_version: event.schema_version.to_string(),
        payload: event.payload,
        metadata,
    }
}

fn persistence(error: Error) -> PersistenceError {
    match error {
        Error::Conflict { .. } => PersistenceError::OptimisticLockError,
        Error::Backend(_) | Error::WriterStopped => {
            PersistenceError::ConnectionError(Box::new(error))
        }
        Error::Corrupt(_) => PersistenceError::DeserializationError(Box::new(error)),
        other => PersistenceError::UnknownError(Box::new(other)),
    }
}

/// Reads a whole stream from `from_version`, page by page (a page is at most
/// [`MAX_READ_LIMIT`] events).
async fn all_pages<T, F, Fut>(
    from_version: u64,
    mut fetch: F,
    version: impl Fn(&T) -> u64,
) -> Result<Vec<T>, PersistenceError>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<Vec<T>, Error>>,
{
    let mut out = Vec::new();
    let mut from = from_version;
    loop {
        let page = fetch(from).await.map_err(persistence)?;
        let full = page.len() == MAX_READ_LIMIT;
        if let Some(last) = page.last() {
            from = version(last) + 1;
        }
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// Loads what an aggregate needs to handle a command: the bodies of its events, without their
/// envelopes (cqrs-es aggregates rebuild state from payloads; the metadata map is left empty).
async fn load_bodies<A: Aggregate, S: EventStore>(
    store: &S,
    stream_id: &str,
    from_version: u64,
) -> Result<Vec<SerializedEvent>, PersistenceError> {
    let fetch = |from| store.read_stream_bodies(stream_id, from, MAX_READ_LIMIT);
    let bodies = all_pages(from_version, fetch, |b: &EventBody| b.stream_version).await?;
    Ok(bodies
        .into_iter()
        .map(|b| SerializedEvent {
            aggregate_id: stream_id.to_owned(),
            sequence: b.stream_version as usize,
            aggregate_type: A::TYPE.to_owned(),
            event_type: b.event_type,
            event_version: b.schema_version.to_string(),
            payload: b.payload,
            metadata: Value::Object(serde_json::Map::new()),
        })
        .collect())
}

/// Reads whole envelopes, with their context, for replays.
async fn read_whole_stream<S: EventStore>(
    store: &S,
    stream_id: &str,
    from_version: u64,
) -> Result<Vec<SerializedEvent>, PersistenceError> {
    let fetch = |from| {
        let options = ReadStream {
            from_version: Some(from),
            ..ReadStream::default()
        };
        store.read_stream(stream_id, options)
    };
    let events = all_pages(from_version, fetch, |e: &StoredEvent| e.stream_version).await?;
    Ok(events.into_iter().map(serialized).collect())
}

impl<S: EventStore> PersistedEventRepository for LedgerRepository<S> {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        load_bodies::<A, S>(&self.store, aggregate_id, 1).await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        load_bodies::<A, S>(&self.store, aggregate_id, last_sequence as u64 + 1).await
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        _aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        // Snapshots would be derived state outside the verifiable log; streams are short.
        Ok(None)
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if snapshot_update.is_some() {
            return Err(PersistenceError::UnknownError(
                "the ledger store keeps no snapshots; use PersistedEventStore::new_event_store"
                    .into(),
            ));
        }
        let Some(first) = events.first() else {
            return Ok(());
        };
        let context = CommandContext::from_cqrs_metadata(&first.metadata).map_err(persistence)?;
        let expected = match first.sequence {
            0 | 1 => ExpectedVersion::NoStream,
            n => ExpectedVersion::Exact(n as u64 - 1),
        };
        let mut new_events = Vec::with_capacity(events.len());
        for e in events {
            let schema_version = e.event_version.parse().map_err(|_| {
                persistence(Error::invalid(
                    "event_version",
                    format!("{:?} is not a whole number", e.event_version),
                ))
            })?;
            new_events.push(NewEvent {
                event_type: e.event_type.clone(),
                schema_version,
                payload: e.payload.clone(),
                effective_at: context.effective_at,
                tags: Vec::new(),
            });
        }
        let request = AppendRequest {
            streams: vec![StreamAppend {
                stream_id: first.aggregate_id.clone(),
                stream_type: A::TYPE.to_owned(),
                expected,
                events: new_events,
            }],
            metadata: context.metadata,
            condition: None,
            idempotency_digest: None,
        };
        self.store
            .append(request)
            .await
            .map(|_| ())
            .map_err(persistence)
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        let events = read_whole_stream(&self.store, aggregate_id, 1).await?;
        let (mut feed, stream) = ReplayStream::new(events.len().max(1));
        for event in events {
            feed.push(Ok(event)).await?;
        }
        Ok(stream)
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        let (mut feed, stream) = ReplayStream::new(MAX_READ_LIMIT);
        let store = self.store.clone();
        let filter = LogFilter {
            stream_types: vec![A::TYPE.to_owned()],
            event_types: Vec::new(),
        };
        tokio::spawn(async move {
            let mut after = 0;
            loop {
                let read = ReadAll {
                    after,
                    limit: MAX_READ_LIMIT,
                    filter: filter.clone(),
                };
                match store.read_all(&read).await {
                    Ok(page) if page.is_empty() => return,
                    Ok(page) => {
                        for event in page {
                            after = event.position;
                            if feed.push(Ok(serialized(event))).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = feed.push(Err(persistence(e))).await;
                        return;
                    }
                }
            }
        });
        Ok(stream)
    }
}
