//! Following the log: catch up from a position, then go live.
//!
//! A subscription reads the log in batches after the last position it delivered. When a read
//! comes back empty it waits until the store's head watch changes (LISTEN/NOTIFY on PostgreSQL,
//! the in-process writer on SQLite and in memory) or, as a fallback, until a poll interval
//! passes, then reads again. Because positions are gapless and committed in order, reading
//! "after the last delivered position" can neither skip nor repeat an event, whether the wake-up
//! came from a notification, the poll, or a reconnection after a lost database connection.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::watch;

use crate::envelope::StoredEvent;
use crate::error::Result;
use crate::store::{EventStore, LogFilter, ReadAll};

/// How many events a subscription reads at a time.
const BATCH: usize = 500;
/// Longest wait between backend retries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A live position in the log. Call [`Subscription::next`] in a loop.
pub struct Subscription<S: EventStore> {
    store: S,
    after: u64,
    filter: LogFilter,
    buffer: VecDeque<StoredEvent>,
    wake: watch::Receiver<u64>,
    poll_interval: Duration,
    read_size: usize,
}

impl<S: EventStore> Subscription<S> {
    /// Follows `store` after position `after`, delivering events that pass `filter`.
    pub fn new(store: S, after: u64, filter: LogFilter) -> Self {
        let wake = store.watch_head();
        Self {
            store,
            after,
            filter,
            buffer: VecDeque::new(),
            wake,
            poll_interval: Duration::from_secs(1),
            read_size: BATCH,
        }
    }

    /// Changes how many events one read of the log fetches (default 500, at most
    /// [`crate::store::MAX_READ_LIMIT`]): larger reads suit consumers that apply events in bulk.
    #[must_use]
    pub fn with_read_size(mut self, events: usize) -> Self {
        self.read_size = events.clamp(1, crate::store::MAX_READ_LIMIT);
        self
    }

    /// Changes the fallback poll interval (default one second).
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The position of the last event delivered (or the starting position): where to resume.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.after
    }

    /// The next event, waiting for one if the subscription has caught up. Transient backend
    /// failures (a lost connection) are retried with backoff and logged; the subscription then
    /// resumes from its position.
    ///
    /// # Errors
    /// Only non-transient failures, such as corrupt stored data.
    pub async fn next(&mut self) -> Result<StoredEvent> {
        self.fill().await?;
        let event = self
            .buffer
            .pop_front()
            .ok_or_else(|| crate::error::Error::Corrupt("subscription buffer empty".into()))?;
        self.after = event.position;
        Ok(event)
    }

    /// The next events, at least one and at most `max`, in position order, waiting if the
    /// subscription has caught up. Failures as [`Subscription::next`].
    ///
    /// # Errors
    /// As [`Subscription::next`].
    pub async fn next_batch(&mut self, max: usize) -> Result<Vec<StoredEvent>> {
        self.fill().await?;
        let take = max.clamp(1, self.buffer.len());
        let batch: Vec<StoredEvent> = self.buffer.drain(..take).collect();
        if let Some(last) = batch.last() {
            self.after = last.position;
        }
        Ok(batch)
    }

    /// Waits until the buffer holds at least one event.
    async fn fill(&mut self) -> Result<()> {
        let mut backoff = Duration::from_millis(50);
        loop {
            if !self.buffer.is_empty() {
                return Ok(());
            }
            // Mark the current head as seen before reading, so a commit that lands after the
            // read still wakes us.
            self.wake.borrow_and_update();
            let read = ReadAll {
                after: self.after,
                limit: self.read_size,
                filter: self.filter.clone(),
            };
            match self.store.read_all(&read).await {
                Ok(events) if !events.is_empty() => {
                    backoff = Duration::from_millis(50);
                    self.buffer.extend(events);
                }
                Ok(_) => {
                    backoff = Duration::from_millis(50);
                    // Caught up: wait for a change, or poll.
                    let woken = tokio::time::timeout(self.poll_interval, self.wake.changed()).await;
                    if let Ok(Err(_)) = woken {
                        // The store's notifier is gone: fall back to polling.
                        tokio::time::sleep(self.poll_interval).await;
                    }
                }
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, position = self.after, "subscription read failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(e) => return Err(e),
            }
        }
    }
}
