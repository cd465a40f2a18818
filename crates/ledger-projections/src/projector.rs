//! The projector: follows the log and keeps the read models exactly one event behind nothing.
//!
//! **Exactly once.** Each batch's row versions and the new checkpoint are written in one
//! transaction, and the checkpoint moves only from the position the batch started at
//! (`UPDATE rm_meta … WHERE generation = g AND position = from`). A crash before the commit
//! loses the whole batch, which the next run projects again; a second projector, or a rebuild
//! that swapped generations meanwhile, makes the check fail, the batch roll back and this
//! projector reload its working set ([`Error::Superseded`]).
//!
//! **Rebuild without downtime** ([`rebuild`]): a new generation of tables is bulk-loaded from
//! position 0 while the live one keeps serving, indexed, caught up incrementally, then made live
//! in one transaction that first projects whatever the live generation had got further.

use std::time::{Duration, Instant};

use ledger_store::{EventStore, LogFilter, StoredEvent};
use tokio::sync::{mpsc, watch};

use crate::db::{Db, Meta, Tx, table_name, uncancelled};
use crate::error::{Error, Result};
use crate::project::{Changes, Projection};
use crate::state::Mode;
use crate::tables::{TABLES, TableDef};

/// Tuning and test hooks of a projector.
#[derive(Debug, Clone)]
pub struct ProjectorOptions {
    /// Most events per transaction (default 5,000).
    pub batch_size: usize,
    /// Fallback poll interval when no notification arrives (default one second).
    pub poll_interval: Duration,
    /// Failure injection for crash tests: stop with [`Error::Crashed`]-like errors at a point.
    pub crash: Option<CrashPoint>,
}

impl Default for ProjectorOptions {
    fn default() -> Self {
        Self {
            batch_size: 5_000,
            poll_interval: Duration::from_secs(1),
            crash: None,
        }
    }
}

/// Where an injected crash happens (tests only: it simulates a process killed at that point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After this many committed batches, before the next one starts.
    BetweenBatches(usize),
    /// In the batch after this many committed ones: its rows are written, the transaction is
    /// abandoned before commit.
    InsideBatch(usize),
}

/// How far behind the log the read models are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    /// The log's size.
    pub head: u64,
    /// The read models' checkpoint.
    pub checkpoint: u64,
}

impl Lag {
    /// Events not yet projected.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.head.saturating_sub(self.checkpoint)
    }
}

/// How a running projector is doing: what `/readyz` reports and operators watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Not started, or loading its working set.
    Starting,
    /// Following the log.
    Following,
    /// A transient failure (a lost connection, a failover, a busy database): retrying with
    /// backoff, for as long as it takes.
    Retrying {
        /// The last failure.
        error: String,
        /// Failed attempts in a row.
        attempts: u32,
        /// When the first of them failed.
        since: chrono::DateTime<chrono::Utc>,
    },
    /// Stopped on a failure that would repeat (an event it cannot project, corrupt data, a
    /// permission): answers fall behind the log until an operator fixes it and restarts.
    Stopped {
        /// Why.
        error: String,
    },
}

impl Health {
    /// Whether answers keep up with the log.
    #[must_use]
    pub fn is_following(&self) -> bool {
        matches!(self, Self::Following)
    }
}

/// Progress of a long projection run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// What is being done: `bulk load`, `indexing`, `catch up`, `swap`.
    pub phase: &'static str,
    /// The last position projected.
    pub position: u64,
    /// The position aimed at.
    pub target: u64,
    /// Events projected per second so far in this phase.
    pub events_per_second: f64,
    /// Estimated time left for this phase.
    pub eta: Option<Duration>,
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}/{} events, {:.0} events/s",
            self.phase, self.position, self.target, self.events_per_second
        )?;
        if let Some(eta) = self.eta {
            write!(f, ", ~{}s left", eta.as_secs())?;
        }
        Ok(())
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RebuildSummary {
    /// The generation now live.
    pub generation: u64,
    /// Its checkpoint at the swap.
    pub position: u64,
    /// Events bulk-loaded.
    pub bulk_events: u64,
    /// Seconds spent bulk-loading (reading, projecting and writing).
    pub bulk_seconds: f64,
    /// Of the bulk load: seconds waiting for the log reader.
    pub read_wait_seconds: f64,
    /// Of the bulk load: seconds turning events into rows.
    pub apply_seconds: f64,
    /// Of the bulk load: seconds waiting for the previous batch's write (writes overlap the
    /// next batch's projection).
    pub write_seconds: f64,
    /// Seconds spent building indexes.
    pub index_seconds: f64,
    /// Seconds in all.
    pub total_seconds: f64,
}

/// Writes one batch of changes to `generation` and moves meta row `name` from `from` to `to`,
/// in one transaction. Closes go first so the open-version index never sees two open rows.
async fn write_changes(
    tx: &mut Tx,
    name: &str,
    generation: u64,
    from: u64,
    to: u64,
    changes: &Changes,
) -> Result<()> {
    if !tx.advance(name, generation, from, to).await? {
        return Err(Error::Superseded);
    }
    for (table, c) in TABLES.iter().zip(changes) {
        tx.close(generation, table, &c.closes).await?;
    }
    for (table, c) in TABLES.iter().zip(changes) {
        tx.insert(generation, table, &c.inserts).await?;
    }
    Ok(())
}

fn apply_all(state: &mut Projection, events: Vec<StoredEvent>) -> Result<()> {
    for event in events {
        state.apply(event)?;
    }
    Ok(())
}

/// Reads the log after `after` in batches on a separate task, so reading and writing overlap.
fn read_ahead<S: EventStore>(
    store: &S,
    after: u64,
    batch: usize,
    poll: Duration,
) -> (
    mpsc::Receiver<Result<Vec<StoredEvent>>>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = mpsc::channel(4);
    let mut sub = store
        .subscribe(after, LogFilter::default())
        .with_read_size(batch)
        .with_poll_interval(poll);
    let handle = tokio::spawn(async move {
        loop {
            let next = sub.next_batch(batch).await.map_err(Error::from);
            let failed = next.is_err();
            if tx.send(next).await.is_err() || failed {
                return;
            }
        }
    });
    (rx, handle)
}

/// The running projector of one read-model database.
pub struct Projector<S: EventStore> {
    store: S,
    db: Db,
    options: ProjectorOptions,
    checkpoint: watch::Sender<u64>,
    health: watch::Sender<Health>,
}

impl<S: EventStore> Projector<S> {
    /// A projector of `store` into `db` (which must be migrated: [`Db::migrate`]).
    pub fn new(store: S, db: Db, options: ProjectorOptions) -> Self {
        let (checkpoint, _) = watch::channel(0);
        let (health, _) = watch::channel(Health::Starting);
        Self {
            store,
            db,
            options,
            checkpoint,
            health,
        }
    }

    /// How the projector is doing now.
    #[must_use]
    pub fn health(&self) -> Health {
        self.health.borrow().clone()
    }

    /// A receiver of the projector's health as it changes.
    #[must_use]
    pub fn health_changes(&self) -> watch::Receiver<Health> {
        self.health.subscribe()
    }

    /// The read-model database.
    #[must_use]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A receiver of the checkpoint as this projector commits it.
    #[must_use]
    pub fn checkpoint(&self) -> watch::Receiver<u64> {
        self.checkpoint.subscribe()
    }

    /// How far behind the log the read models are.
    ///
    /// # Errors
    /// When the store or the database cannot be read.
    pub async fn lag(&self) -> Result<Lag> {
        let head = self.store.head().await?.size;
        let checkpoint = self.db.live().await?.position;
        Ok(Lag { head, checkpoint })
    }

    /// Waits until the read models have projected `position` (read your own writes: pass the
    /// `last_position` of an append).
    ///
    /// # Errors
    /// [`Error::Timeout`] after `timeout`.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> Result<()> {
        let mut rx = self.checkpoint.subscribe();
        if *rx.borrow() >= position {
            return Ok(());
        }
        // The checkpoint may have been moved by another process: look once in the database.
        if self.db.live().await?.position >= position {
            return Ok(());
        }
        match tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(Error::Timeout(position)),
        }
    }

    /// Loads the working set of the live generation.
    async fn load(&self) -> Result<(Meta, Projection)> {
        let mut tx = self.db.begin_read().await?;
        let meta = tx.live().await?;
        let state = Projection::load(Mode::Incremental, &mut tx, meta.generation).await?;
        tx.rollback().await?;
        Ok((meta, state))
    }

    /// Projects every event up to the log's current head, then returns the checkpoint.
    ///
    /// # Errors
    /// As [`Projector::run`].
    pub async fn catch_up(&self) -> Result<u64> {
        let head = self.store.head().await?.size;
        self.catch_up_to(head).await
    }

    /// Projects every event up to `position` (or the head, if the log is shorter… it then
    /// waits for the log to reach it), then returns the checkpoint.
    ///
    /// # Errors
    /// As [`Projector::run`].
    pub async fn catch_up_to(&self, position: u64) -> Result<u64> {
        self.run_inner(Some(position), std::future::pending()).await
    }

    /// Follows the log until `shutdown` completes. Transient failures ([`Error::is_transient`]:
    /// a lost connection, a failover, a swap by a rebuild) reload the working set and carry on
    /// after a backoff (50 ms doubling to 5 s), forever; [`Projector::health`] says so meanwhile.
    ///
    /// # Errors
    /// A permanent failure: an event that cannot be projected ([`Error::Event`]), corrupt
    /// read-model data, a refused permission, or an injected crash; the checkpoint stays before
    /// the failing batch, [`Projector::health`] is [`Health::Stopped`] and an ERROR line says
    /// why.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<u64> {
        self.run_inner(None, shutdown).await
    }

    async fn run_inner(
        &self,
        until: Option<u64>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<u64> {
        tokio::pin!(shutdown);
        let mut committed = 0usize;
        let mut backoff = Duration::from_millis(50);
        let mut attempts = 0u32;
        let mut since = None;
        loop {
            let before = *self.checkpoint.borrow();
            let attempt = async {
                let (mut meta, mut state) = self.load().await?;
                self.checkpoint.send_replace(meta.position);
                self.health.send_replace(Health::Following);
                if until.is_some_and(|u| meta.position >= u) {
                    return Ok(meta.position);
                }
                let (mut batches, reader) = read_ahead(
                    &self.store,
                    meta.position,
                    self.options.batch_size,
                    self.options.poll_interval,
                );
                let _reader = AbortOnDrop(reader);
                loop {
                    if self.options.crash == Some(CrashPoint::BetweenBatches(committed)) {
                        return Err(Error::Crashed("between batches"));
                    }
                    let Some(events) = batches.recv().await else {
                        return Err(Error::Corrupt("the log reader stopped".into()));
                    };
                    let mut events = events?;
                    if let Some(u) = until {
                        events.retain(|e| e.position <= u);
                    }
                    let Some(last) = events.last().map(|e| e.position) else {
                        return Ok(meta.position);
                    };
                    apply_all(&mut state, events)?;
                    let changes = state.take();
                    let crash = self.options.crash == Some(CrashPoint::InsideBatch(committed));
                    let (db, generation, from) = (self.db.clone(), meta.generation, meta.position);
                    // On a task of its own: a cancelled projector never leaves a batch half-done.
                    uncancelled(async move {
                        let mut tx = db.begin_write().await?;
                        write_changes(&mut tx, "live", generation, from, last, &changes).await?;
                        if crash {
                            drop(tx);
                            return Err(Error::Crashed("inside a batch"));
                        }
                        tx.commit().await
                    })
                    .await?;
                    committed += 1;
                    meta.position = last;
                    self.checkpoint.send_replace(last);
                    if until.is_some_and(|u| last >= u) {
                        return Ok(last);
                    }
                }
            };
            let outcome = tokio::select! {
                outcome = attempt => outcome,
                () = &mut shutdown => return Ok(*self.checkpoint.borrow()),
            };
            match outcome {
                Ok(position) => return Ok(position),
                Err(e) if e.is_transient() => {
                    if *self.checkpoint.borrow() > before {
                        // It had made progress: not a failure that repeats.
                        backoff = Duration::from_millis(50);
                        attempts = 0;
                        since = None;
                    }
                    attempts = attempts.saturating_add(1);
                    let since = *since.get_or_insert_with(chrono::Utc::now);
                    tracing::warn!(error = %e, attempts, retry_in_ms = backoff.as_millis(), "projector retrying");
                    self.health.send_replace(Health::Retrying {
                        error: e.to_string(),
                        attempts,
                        since,
                    });
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = &mut shutdown => return Ok(*self.checkpoint.borrow()),
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(e) => {
                    tracing::error!(error = %e, checkpoint = *self.checkpoint.borrow(), "the projector stopped: answers will fall behind the log until this is fixed and the server restarted");
                    self.health.send_replace(Health::Stopped {
                        error: e.to_string(),
                    });
                    return Err(e);
                }
            }
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn progress(
    phase: &'static str,
    start: Instant,
    done: u64,
    position: u64,
    target: u64,
) -> Progress {
    let secs = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    #[allow(clippy::cast_precision_loss)]
    let eta = (rate > 0.0)
        .then(|| Duration::from_secs_f64(target.saturating_sub(position) as f64 / rate));
    Progress {
        phase,
        position,
        target,
        events_per_second: rate,
        eta,
    }
}

/// Rebuilds every read model into a new generation while the live one keeps serving, then
/// swaps. `report` is called after every batch and phase.
///
/// An interrupted rebuild leaves its shadow tables behind; the next rebuild drops them and
/// starts over (the live generation is never touched until the swap).
///
/// # Errors
/// As [`Projector::run`]; [`Error::Superseded`] if another rebuild took over meanwhile.
pub async fn rebuild<S: EventStore>(
    store: &S,
    db: &Db,
    options: &ProjectorOptions,
    report: &mut (dyn FnMut(&Progress) + Send),
) -> Result<RebuildSummary> {
    let started = Instant::now();
    // 1. A fresh generation, without indexes yet.
    let mut tx = db.begin_write().await?;
    let live = tx.live().await?;
    let abandoned = tx.meta("shadow").await?;
    let generation = live.generation.max(abandoned.map_or(0, |m| m.generation)) + 1;
    if let Some(old) = abandoned {
        drop_generation(&mut tx, old.generation).await?;
    }
    for table in TABLES {
        tx.execute(&db.dialect().create_table_sql(generation, table))
            .await?;
    }
    tx.set_meta(
        "shadow",
        Meta {
            generation,
            position: 0,
        },
    )
    .await?;
    tx.record_shape(generation).await?;
    tx.commit().await?;

    // 2. Bulk load up to the head seen now: insert-only.
    let target = store.head().await?.size;
    let mut state = Projection::new(Mode::Bulk);
    let mut position = 0;
    let bulk_start = Instant::now();
    let (mut read_wait, mut apply, mut write) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut in_flight = None;
    if target > 0 {
        let (mut batches, reader) = read_ahead(store, 0, options.batch_size, options.poll_interval);
        let _reader = AbortOnDrop(reader);
        while position < target {
            let t0 = Instant::now();
            let Some(events) = batches.recv().await else {
                return Err(Error::Corrupt("the log reader stopped".into()));
            };
            let mut events = events?;
            events.retain(|e| e.position <= target);
            let Some(last) = events.last().map(|e| e.position) else {
                continue;
            };
            let t1 = Instant::now();
            apply_all(&mut state, events)?;
            let changes = state.take();
            let t2 = Instant::now();
            // Write this batch while the next one is projected: one write in flight, in order.
            if let Some(previous) = in_flight.take() {
                previous.await?;
            }
            let (db, from) = (db.clone(), position);
            in_flight = Some(uncancelled(async move {
                let mut tx = db.begin_write().await?;
                write_changes(&mut tx, "shadow", generation, from, last, &changes).await?;
                tx.commit().await
            }));
            read_wait += t1 - t0;
            apply += t2 - t1;
            write += t2.elapsed();
            position = last;
            report(&progress(
                "bulk load",
                bulk_start,
                position,
                position,
                target,
            ));
        }
    }
    if let Some(previous) = in_flight.take() {
        previous.await?;
    }
    // The versions still open, at the same checkpoint.
    let mut tx = db.begin_write().await?;
    write_changes(
        &mut tx,
        "shadow",
        generation,
        position,
        position,
        &state.flush_open(),
    )
    .await?;
    tx.commit().await?;
    let bulk_seconds = bulk_start.elapsed().as_secs_f64();

    // 3. Indexes: on PostgreSQL two builds at a time (each is one server process on one core),
    //    largest tables first; SQLite builds them one after another.
    let index_start = Instant::now();
    // The biggest tables (one audit row per event; task and progress rows next) go first so
    // the two builders finish together.
    let rank = |name: &str| match name {
        "audit" => 0,
        "tasks" => 1,
        "task_progress" => 2,
        "citations" => 3,
        _ => 4,
    };
    let mut tables: Vec<&TableDef> = TABLES.iter().collect();
    tables.sort_by_key(|t| rank(t.name));
    let mut statements: Vec<String> = tables
        .iter()
        .flat_map(|table| db.dialect().index_sql(generation, table))
        .collect();
    if matches!(db, Db::Postgres(_)) {
        // Fresh statistics: autovacuum would gather them some minutes later, and until then
        // the planner takes the new tables for empty (seen: a 77,000-task scan planned as 500
        // rows, sorted on disk).
        statements.extend(
            tables
                .iter()
                .map(|table| format!("ANALYZE {}", table_name(generation, table))),
        );
    }
    let total = statements.len() as u64;
    let workers = if matches!(db, Db::Postgres(_)) { 2 } else { 1 };
    let queue = std::sync::Arc::new(std::sync::Mutex::new(statements.into_iter()));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Result<()>>();
    for _ in 0..workers {
        let (db, queue, done) = (db.clone(), queue.clone(), done_tx.clone());
        tokio::spawn(async move {
            loop {
                let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some(sql) = next else { return };
                let result = async {
                    let mut tx = db.begin_write().await?;
                    if matches!(db, Db::Postgres(_)) {
                        // Sort in memory rather than in temporary files (this transaction only).
                        tx.execute("SET LOCAL maintenance_work_mem = '256MB'")
                            .await?;
                    }
                    tx.execute(&sql).await?;
                    tx.commit().await
                }
                .await;
                let failed = result.is_err();
                if done.send(result).is_err() || failed {
                    return;
                }
            }
        });
    }
    drop(done_tx);
    let mut built = 0;
    while let Some(result) = done_rx.recv().await {
        result?;
        built += 1;
        report(&Progress {
            phase: "indexing",
            position: built,
            target: total,
            events_per_second: 0.0,
            eta: None,
        });
    }
    if built < total {
        return Err(Error::Corrupt("an index build stopped".into()));
    }
    let index_seconds = index_start.elapsed().as_secs_f64();

    // 4. Catch up incrementally with what was appended meanwhile.
    state.set_mode(Mode::Incremental);
    let catch_start = Instant::now();
    loop {
        let head = store.head().await?.size;
        if head <= position {
            break;
        }
        let events = read_range(store, position, head, options.batch_size).await?;
        let last = events.last().map_or(position, |e| e.position);
        apply_all(&mut state, events)?;
        let changes = state.take();
        let mut tx = db.begin_write().await?;
        write_changes(&mut tx, "shadow", generation, position, last, &changes).await?;
        tx.commit().await?;
        report(&progress(
            "catch up",
            catch_start,
            last - position,
            last,
            head,
        ));
        position = last;
    }

    // 5. Swap: under the meta lock, project what the live generation has beyond us, then move
    //    `live` to the new generation.
    let mut tx = db.begin_write().await?;
    if matches!(db, Db::Postgres(_)) {
        tx.execute("SELECT 1 FROM rm_meta WHERE name IN ('live', 'shadow') FOR UPDATE")
            .await?;
    }
    let live = tx.live().await?;
    if live.position > position {
        let mut at = position;
        while at < live.position {
            let events = read_range(store, at, live.position, options.batch_size).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                break;
            };
            apply_all(&mut state, events)?;
            let changes = state.take();
            write_changes(&mut tx, "shadow", generation, at, last, &changes).await?;
            at = last;
        }
        position = at;
    }
    tx.set_meta(
        "live",
        Meta {
            generation,
            position,
        },
    )
    .await?;
    tx.execute("DELETE FROM rm_meta WHERE name = 'shadow'")
        .await?;
    tx.commit().await?;
    report(&Progress {
        phase: "swap",
        position,
        target: position,
        events_per_second: 0.0,
        eta: None,
    });

    // 6. The old generation is no longer read by new queries.
    let mut tx = db.begin_write().await?;
    drop_generation(&mut tx, live.generation).await?;
    tx.commit().await?;

    Ok(RebuildSummary {
        generation,
        position,
        bulk_events: target,
        bulk_seconds,
        read_wait_seconds: read_wait.as_secs_f64(),
        apply_seconds: apply.as_secs_f64(),
        write_seconds: write.as_secs_f64(),
        index_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Reads events in (`after`, `to`], at most `limit`.
async fn read_range<S: EventStore>(
    store: &S,
    after: u64,
    to: u64,
    limit: usize,
) -> Result<Vec<StoredEvent>> {
    let mut events = store
        .read_all(&ledger_store::ReadAll::after(after, limit))
        .await?;
    events.retain(|e| e.position <= to);
    Ok(events)
}

async fn drop_generation(tx: &mut Tx, generation: u64) -> Result<()> {
    for table in TABLES {
        tx.execute(&format!(
            "DROP TABLE IF EXISTS {}",
            table_name(generation, table)
        ))
        .await?;
    }
    Ok(())
}
