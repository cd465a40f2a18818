//! PostgreSQL backend of the event store: the production store.
//!
//! Appends go through the group-commit [`Writer`]. The writer keeps the head (size, last
//! recorded time), the Merkle frontier and the versions of the streams it has seen, and
//! writes each batch with **one statement**: the events, their stored Merkle hashes and the
//! idempotency keys, inserted with `UNNEST`, plus `NOTIFY ledger_events` — one round trip and
//! one implicit transaction per batch.
//!
//! Order across processes rests on primary keys rather than a lock: a batch writes positions
//! `size + 1 …` and hash indexes determined by them, so a writer whose view of the head is stale
//! collides with a committed (or committing) row, gets a unique violation, rolls back, reloads
//! the head and plans again. A writer only plans from positions it has seen committed, so
//! positions commit in order and a reader that sees position p can see every position before
//! it. Refusals (conflicts, reused keys) are always decided on freshly read state.
//!
//! Triggers in the schema refuse `UPDATE`, `DELETE` and `TRUNCATE` of the log.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ledger_proof::{Frontier, Hash};
use ledger_store::batch::{
    BatchPlan, BatchState, IdempotencyRecord, PreparedAppend, StreamState, batch_keys,
    condition_queries, frontier_from_stored, plan_batch,
};
use ledger_store::condition::{Query, QueryItem};
use ledger_store::envelope::hash_from_bytes;
use ledger_store::store::{KeptCheckpoint, as_of_position, checked_limit, sql_position};
use ledger_store::writer::{BatchCommitter, Writer, WriterOptions};
use ledger_store::{
    AppendRequest, AppendResult, Error, EventBody, EventStore, Head, Metadata, ReadAll, ReadStream,
    Result, SchemaState, StoredEvent, Timestamp,
};
use sqlx::postgres::{PgConnection, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Row};
use tokio::sync::watch;

/// The schema migrations, embedded from `schema/postgres/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../schema/postgres");

/// The channel a committed batch notifies, with the new head size as payload.
pub const NOTIFY_CHANNEL: &str = "ledger_events";

const EVENT_COLUMNS: &str = "position, stream_id, stream_type, stream_version, event_type, \
     schema_version, payload::text AS payload, metadata::text AS metadata, recorded_at, \
     effective_at, leaf_hash, tags::text AS tags";

/// How often a batch is planned again when other processes keep moving the head under it.
const MAX_ATTEMPTS: usize = 20;

/// The PostgreSQL event store. Clones share the pool, the writer and the listener.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    writer: Writer,
    head: watch::Receiver<u64>,
    replans: Arc<AtomicU64>,
    _listener: Arc<AbortOnDrop>,
}

#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn db(e: sqlx::Error) -> Error {
    Error::backend(e)
}

fn canonical_text(value: &impl serde::Serialize) -> Result<String> {
    let bytes = ledger_proof::to_canonical_vec(value)?;
    String::from_utf8(bytes).map_err(|e| Error::Corrupt(e.to_string()))
}

/// Whether an error means the connection was lost (the server restarted, a network failure,
/// an administrator ended it), so the same read on another connection may succeed.
fn connection_lost(error: &Error) -> bool {
    let Error::Backend(inner) = error else {
        return false;
    };
    match inner.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Io(_) | sqlx::Error::Protocol(_)) => true,
        Some(sqlx::Error::Database(e)) => e
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

impl PostgresStore {
    /// Connects with a pool of `max_connections`, applies pending migrations and starts the
    /// writer and the notification listener.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database cannot be reached or migrated.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let pool = pool(url, max_connections).await?;
        Self::migrate(&pool).await?;
        Self::open(pool).await
    }

    /// Opens an existing ledger without migrating anything: for every command but `ledger
    /// migrate`, so a role that may not change the schema can run them. The schema must be
    /// current.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the schema is not current (saying what to run);
    /// [`Error::Backend`] when the database cannot be reached.
    pub async fn connect_existing(url: &str, max_connections: u32) -> Result<Self> {
        let pool = pool(url, max_connections).await?;
        if let Some(advice) = schema_state(&pool).await?.advice("the database") {
            return Err(Error::invalid("database_url", advice));
        }
        Self::open(pool).await
    }

    /// Applies pending migrations from `schema/postgres/`.
    ///
    /// # Errors
    /// [`Error::Backend`] when a migration fails.
    pub async fn migrate(pool: &PgPool) -> Result<()> {
        MIGRATOR
            .run(pool)
            .await
            .map_err(|e| Error::backend(sqlx::Error::Migrate(Box::new(e))))
    }

    /// Opens a migrated database through an existing pool.
    ///
    /// # Errors
    /// [`Error::Backend`] when the head cannot be read.
    pub async fn open(pool: PgPool) -> Result<Self> {
        Self::open_with(pool, WriterOptions::default()).await
    }

    /// Like [`PostgresStore::open`], with writer tuning.
    ///
    /// # Errors
    /// [`Error::Backend`] when the head cannot be read.
    pub async fn open_with(pool: PgPool, options: WriterOptions) -> Result<Self> {
        let mut conn = pool.acquire().await.map_err(db)?;
        let (head, _) = load_head(&mut conn).await?;
        drop(conn);
        let (head_tx, head_rx) = watch::channel(head.size);
        let listener = tokio::spawn(listen(pool.clone(), head_tx.clone()));
        let replans = Arc::new(AtomicU64::new(0));
        let writer = Writer::spawn(
            PgCommitter {
                pool: pool.clone(),
                replans: replans.clone(),
                conn: None,
                cache: None,
            },
            head_tx,
            options,
        );
        Ok(Self {
            pool,
            writer,
            head: head_rx,
            replans,
            _listener: Arc::new(AbortOnDrop(listener)),
        })
    }

    /// The connection pool (for projections that share the database).
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// How many batches this store's writer planned again because another process had
    /// appended meanwhile (a measure of contention between writer processes).
    #[must_use]
    pub fn replans(&self) -> u64 {
        self.replans.load(Ordering::Relaxed)
    }

    /// Runs a read, again on another connection if the first one turns out to be lost (up to
    /// once per pooled connection, since each failure discards a dead connection).
    async fn read<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempts = self.pool.options().get_max_connections() + 1;
        loop {
            match op(self.pool.clone()).await {
                Err(e) if attempts > 1 && connection_lost(&e) => attempts -= 1,
                other => return other,
            }
        }
    }
}

/// Reads the head from the log itself: the last event's position and time, and the Merkle
/// frontier from the stored hashes (whose root is the head's root).
async fn load_head(conn: &mut PgConnection) -> Result<(Head, Frontier)> {
    let last =
        sqlx::query("SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    let Some(last) = last else {
        return Ok((Head::empty(), Frontier::empty()));
    };
    let size: i64 = last.try_get("position").map_err(db)?;
    let size = size.unsigned_abs();
    let recorded: DateTime<Utc> = last.try_get("recorded_at").map_err(db)?;
    let indexes = Frontier::required_indexes(size);
    let frontier = frontier_from_stored(size, load_hashes(&mut *conn, &indexes).await?)?;
    let head = Head {
        size,
        root: frontier.root(),
        last_recorded_at: Some(Timestamp::from_datetime(recorded)?),
    };
    Ok((head, frontier))
}

fn event_from_row(row: &PgRow) -> Result<StoredEvent> {
    let metadata: &str = row.try_get("metadata").map_err(db)?;
    let metadata: Metadata = serde_json::from_str(metadata)
        .map_err(|e| Error::Corrupt(format!("event metadata: {e}")))?;
    let payload: &str = row.try_get("payload").map_err(db)?;
    let payload =
        serde_json::from_str(payload).map_err(|e| Error::Corrupt(format!("event payload: {e}")))?;
    let number = |name: &str| -> Result<u64> {
        let v: i64 = row.try_get(name).map_err(db)?;
        u64::try_from(v).map_err(|_| Error::Corrupt(format!("{name} {v}")))
    };
    let schema_version: i32 = row.try_get("schema_version").map_err(db)?;
    let leaf: Vec<u8> = row.try_get("leaf_hash").map_err(db)?;
    let tags: Option<&str> = row.try_get("tags").map_err(db)?;
    let tags = match tags {
        Some(text) => {
            serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("event tags: {e}")))?
        }
        None => Vec::new(),
    };
    Ok(StoredEvent {
        position: number("position")?,
        stream_id: row.try_get("stream_id").map_err(db)?,
        stream_type: row.try_get("stream_type").map_err(db)?,
        stream_version: number("stream_version")?,
        event_type: row.try_get("event_type").map_err(db)?,
        schema_version: u32::try_from(schema_version)
            .map_err(|_| Error::Corrupt(format!("schema_version {schema_version}")))?,
        payload,
        metadata,
        recorded_at: Timestamp::from_datetime(row.try_get("recorded_at").map_err(db)?)?,
        effective_at: Timestamp::from_datetime(row.try_get("effective_at").map_err(db)?)?,
        tags,
        leaf_hash: hash_from_bytes(&leaf)?,
    })
}

fn body_from_row(row: &PgRow) -> Result<EventBody> {
    let payload: &str = row.try_get("payload").map_err(db)?;
    let version: i64 = row.try_get("stream_version").map_err(db)?;
    let schema_version: i32 = row.try_get("schema_version").map_err(db)?;
    Ok(EventBody {
        stream_version: version.unsigned_abs(),
        event_type: row.try_get("event_type").map_err(db)?,
        schema_version: schema_version.unsigned_abs(),
        payload: serde_json::from_str(payload)
            .map_err(|e| Error::Corrupt(format!("event payload: {e}")))?,
    })
}

/// The ledger's connection pool for `url`.
async fn pool(url: &str, max_connections: u32) -> Result<PgPool> {
    // No JIT compilation: the ledger's queries are short, and for the read models' larger
    // scans PostgreSQL spent longer compiling (~400 ms) than running them.
    let options = url
        .parse::<sqlx::postgres::PgConnectOptions>()
        .map_err(db)?
        .options([("jit", "off")]);
    PgPoolOptions::new()
        .max_connections(max_connections.max(2))
        .acquire_timeout(Duration::from_secs(10))
        // sqlx already tests a connection when it is released; a lost one is retried by the
        // reads below, so no extra round trip per read.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(db)
}

/// How a database's schema stands against [`MIGRATOR`] (no migrations table:
/// [`SchemaState::Empty`]).
///
/// # Errors
/// [`Error::Backend`] when it cannot be read.
pub async fn schema_state(pool: &PgPool) -> Result<SchemaState> {
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await
        .map_err(db)?;
    let applied: Vec<i64> = if table.is_some() {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
            .map_err(db)?
    } else {
        Vec::new()
    };
    let needed: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    Ok(SchemaState::of(&applied, &needed))
}

/// Follows `NOTIFY ledger_events` and publishes head sizes; after a (re)connection it wakes
/// every subscriber, since notifications sent while disconnected are lost. Ends when the pool
/// is closed (the server stopping).
async fn listen(pool: PgPool, head: watch::Sender<u64>) {
    loop {
        if pool.is_closed() {
            return;
        }
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(error) = listener.listen(NOTIFY_CHANNEL).await {
                    tracing::warn!(%error, "LISTEN failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                head.send_modify(|_| {});
                loop {
                    match listener.try_recv().await {
                        Ok(Some(note)) => {
                            if let Ok(size) = note.payload().parse::<u64>() {
                                head.send_if_modified(|seen| {
                                    let grew = size > *seen;
                                    if grew {
                                        *seen = size;
                                    }
                                    grew
                                });
                            }
                        }
                        // The connection dropped; the next call reconnects. Wake subscribers so
                        // they read whatever was committed meanwhile.
                        Ok(None) => head.send_modify(|_| {}),
                        Err(_) if pool.is_closed() => return,
                        Err(error) => {
                            tracing::warn!(%error, "notification listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(_) if pool.is_closed() => return,
            Err(error) => {
                tracing::warn!(%error, "notification listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

struct PgCommitter {
    pool: PgPool,
    /// Batches planned again because another writer had moved the head.
    replans: Arc<AtomicU64>,
    /// The writer's own connection (no pool round trip per batch); dropped after any failure
    /// and opened again for the next batch.
    conn: Option<PgConnection>,
    cache: Option<WriterCache>,
}

/// What this writer knows of the log. It may be stale if another process has appended; a
/// stale cache cannot write (its positions collide) and is then reloaded.
struct WriterCache {
    head: Head,
    frontier: Frontier,
    /// Streams seen, with `None` for streams known not to exist.
    streams: HashMap<String, Option<StreamState>>,
    /// Idempotency keys seen, with `None` for keys known to be unused.
    keys: HashMap<String, Option<IdempotencyRecord>>,
    /// Whether it was read from the database for the batch at hand.
    fresh: bool,
}

/// Entries beyond which the cache of streams and keys starts again empty.
const CACHE_LIMIT: usize = 100_000;

impl WriterCache {
    async fn load(conn: &mut PgConnection) -> Result<Self> {
        let (head, frontier) = load_head(conn).await?;
        Ok(Self {
            head,
            frontier,
            streams: HashMap::new(),
            keys: HashMap::new(),
            fresh: true,
        })
    }

    /// The state a batch plans from: cached entries, plus the ones it lacks read now.
    async fn state(
        &mut self,
        conn: &mut PgConnection,
        stream_ids: &[String],
        keys: &[String],
    ) -> Result<BatchState> {
        let missing = unknown(&self.streams, stream_ids);
        let loaded = load_streams(conn, &missing).await?;
        remember(&mut self.streams, missing, loaded);
        let missing = unknown(&self.keys, keys);
        let loaded = load_keys(conn, &missing).await?;
        remember(&mut self.keys, missing, loaded);
        let streams = stream_ids
            .iter()
            .filter_map(|id| Some((id.clone(), self.streams.get(id)?.clone()?)))
            .collect();
        let idempotency = keys
            .iter()
            .filter_map(|k| Some((k.clone(), self.keys.get(k)?.clone()?)))
            .collect();
        BatchState::new(self.head, self.frontier.clone(), streams, idempotency)
    }

    /// Moves the cache past a committed plan.
    fn advance(&mut self, plan: &BatchPlan, stream_ids: &[String], keys: &[String]) {
        if self.streams.len() + self.keys.len() > CACHE_LIMIT {
            self.streams.clear();
            self.keys.clear();
        }
        for id in stream_ids {
            self.streams
                .insert(id.clone(), plan.streams.get(id).cloned());
        }
        for key in keys {
            self.keys
                .insert(key.clone(), plan.idempotency_after.get(key).cloned());
        }
        self.head = plan.head;
        self.frontier = plan.frontier.clone();
        self.fresh = false;
    }
}

/// The wanted entries a cache does not know yet.
fn unknown<V>(known: &HashMap<String, Option<V>>, wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|k| !known.contains_key(*k))
        .cloned()
        .collect()
}

/// Records what was loaded for `missing`: the value found, or `None` for "known absent".
fn remember<V>(
    known: &mut HashMap<String, Option<V>>,
    missing: Vec<String>,
    mut loaded: HashMap<String, V>,
) {
    for k in missing {
        let value = loaded.remove(&k);
        known.insert(k, value);
    }
}

impl PgCommitter {
    async fn connection(&mut self) -> Result<&mut PgConnection> {
        if self.conn.is_none() {
            let options = self.pool.connect_options();
            self.conn = Some(PgConnection::connect_with(&options).await.map_err(db)?);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| Error::Corrupt("writer connection vanished".to_owned()))
    }

    async fn try_commit(&mut self, batch: &[PreparedAppend]) -> Result<BatchPlan> {
        let (stream_ids, keys) = batch_keys(batch);
        for _ in 0..MAX_ATTEMPTS {
            let mut cache = match self.cache.take() {
                Some(cache) => cache,
                None => WriterCache::load(self.connection().await?).await?,
            };
            let conn = self.connection().await?;
            let state = cache.state(conn, &stream_ids, &keys).await?;
            // Conditions are looked up in the database itself, never the cache: a match is a
            // committed event; no match, and a write that does not collide, means none exists.
            let mut matches = HashMap::new();
            for (index, condition) in condition_queries(batch) {
                if let Some(position) =
                    first_match(conn, &condition.fail_if_events_match, condition.after()).await?
                {
                    matches.insert(index, position);
                }
            }
            let plan = plan_batch(
                state.with_condition_matches(matches),
                batch,
                Timestamp::now(),
            );
            if plan.events.is_empty() {
                // Nothing to write, so no collision would reveal a stale cache: answer
                // refusals and replays only from state read for this batch.
                if cache.fresh {
                    cache.advance(&plan, &stream_ids, &keys);
                    self.cache = Some(cache);
                    return Ok(plan);
                }
                continue;
            }
            if write_plan(conn, &plan).await? {
                cache.advance(&plan, &stream_ids, &keys);
                self.cache = Some(cache);
                return Ok(plan);
            }
            self.replans.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("another writer moved the head; reloading it");
        }
        Err(Error::backend(std::io::Error::other(format!(
            "gave up after {MAX_ATTEMPTS} attempts: other writers kept moving the head"
        ))))
    }
}

impl BatchCommitter for PgCommitter {
    async fn commit(
        &mut self,
        batch: &[PreparedAppend],
    ) -> Result<(Head, Vec<Result<AppendResult>>)> {
        match self.try_commit(batch).await {
            Ok(plan) => Ok((plan.head, plan.outcomes)),
            Err(e) => {
                // Start the next batch from a fresh connection and the database's state.
                self.conn = None;
                self.cache = None;
                Err(e)
            }
        }
    }
}

async fn load_hashes(conn: &mut PgConnection, indexes: &[u64]) -> Result<Vec<(u64, Hash)>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<i64> = indexes.iter().map(|i| sql_position(*i)).collect();
    let rows = sqlx::query("SELECT idx, hash FROM merkle_hashes WHERE idx = ANY($1)")
        .bind(wanted)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|row| {
            let idx: i64 = row.try_get("idx").map_err(db)?;
            let hash: Vec<u8> = row.try_get("hash").map_err(db)?;
            Ok((idx.unsigned_abs(), hash_from_bytes(&hash)?))
        })
        .collect()
}

async fn load_streams(
    conn: &mut PgConnection,
    ids: &[String],
) -> Result<HashMap<String, StreamState>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // One index probe per stream: its last event holds its type and version.
    let rows = sqlx::query(
        "SELECT s.id, e.stream_type, e.stream_version FROM UNNEST($1::text[]) AS s(id) \
         CROSS JOIN LATERAL (SELECT stream_type, stream_version FROM events \
             WHERE stream_id = s.id ORDER BY stream_version DESC LIMIT 1) e",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut streams = HashMap::with_capacity(rows.len());
    for row in &rows {
        let version: i64 = row.try_get("stream_version").map_err(db)?;
        streams.insert(
            row.try_get("id").map_err(db)?,
            StreamState {
                stream_type: row.try_get("stream_type").map_err(db)?,
                version: version.unsigned_abs(),
            },
        );
    }
    Ok(streams)
}

async fn load_keys(
    conn: &mut PgConnection,
    keys: &[String],
) -> Result<HashMap<String, IdempotencyRecord>> {
    let mut idempotency = HashMap::new();
    if keys.is_empty() {
        return Ok(idempotency);
    }
    let rows = sqlx::query(
        "SELECT key, digest, result::text AS result FROM idempotency_keys WHERE key = ANY($1)",
    )
    .bind(keys)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    for row in &rows {
        let digest: Vec<u8> = row.try_get("digest").map_err(db)?;
        let result: &str = row.try_get("result").map_err(db)?;
        idempotency.insert(
            row.try_get("key").map_err(db)?,
            IdempotencyRecord {
                digest: hash_from_bytes(&digest)?.0,
                result: serde_json::from_str(result)
                    .map_err(|e| Error::Corrupt(format!("idempotency record: {e}")))?,
            },
        );
    }
    Ok(idempotency)
}

/// Writes a batch plan in one statement — one round trip and one implicit transaction: the
/// events, the stored Merkle hashes, the idempotency keys and the notification. Returns
/// `false` (and writes nothing) when a unique key collides, meaning another writer has
/// committed positions or keys this plan assumed free.
async fn write_plan(conn: &mut PgConnection, plan: &BatchPlan) -> Result<bool> {
    let n = plan.events.len();
    let mut position = Vec::with_capacity(n);
    let mut stream_id = Vec::with_capacity(n);
    let mut stream_type = Vec::with_capacity(n);
    let mut stream_version = Vec::with_capacity(n);
    let mut event_type = Vec::with_capacity(n);
    let mut schema_version = Vec::with_capacity(n);
    let mut payload = Vec::with_capacity(n);
    let mut metadata = Vec::with_capacity(n);
    let mut subject = Vec::with_capacity(n);
    let mut role = Vec::with_capacity(n);
    let mut unit = Vec::with_capacity(n);
    let mut correlation = Vec::with_capacity(n);
    let mut recorded = Vec::with_capacity(n);
    let mut effective = Vec::with_capacity(n);
    let mut leaf = Vec::with_capacity(n);
    let mut tags = Vec::with_capacity(n);
    let (mut tag_names, mut tag_positions) = (Vec::new(), Vec::new());
    let mut previous = None;
    for e in &plan.events {
        position.push(sql_position(e.position));
        stream_id.push(e.stream_id.as_str());
        stream_type.push(e.stream_type.as_str());
        stream_version.push(sql_position(e.stream_version));
        event_type.push(e.event_type.as_str());
        schema_version.push(i32::try_from(e.schema_version).unwrap_or(i32::MAX));
        payload.push(canonical_text(&e.payload)?);
        // Events of one request share their metadata: encode it once per run.
        let same = previous.is_some_and(|p: &StoredEvent| p.metadata == e.metadata);
        let text = match (same, metadata.last()) {
            (true, Some(text)) => String::clone(text),
            _ => canonical_text(&e.metadata)?,
        };
        metadata.push(text);
        previous = Some(e);
        subject.push(e.metadata.actor.subject.as_str());
        role.push(e.metadata.actor.role.as_str());
        unit.push(e.metadata.acting_unit.as_deref());
        correlation.push(e.metadata.correlation_id);
        recorded.push(e.recorded_at.as_datetime());
        effective.push(e.effective_at.as_datetime());
        leaf.push(e.leaf_hash.0.to_vec());
        if e.tags.is_empty() {
            tags.push(None);
        } else {
            tags.push(Some(canonical_text(&e.tags)?));
            for tag in &e.tags {
                tag_names.push(tag.as_str());
                tag_positions.push(sql_position(e.position));
            }
        }
    }
    let (hash_idx, hashes): (Vec<i64>, Vec<Vec<u8>>) = plan
        .hashes
        .iter()
        .map(|(i, h)| (sql_position(*i), h.0.to_vec()))
        .unzip();
    let mut keys = Vec::with_capacity(plan.idempotency.len());
    let mut digests = Vec::with_capacity(plan.idempotency.len());
    let mut results = Vec::with_capacity(plan.idempotency.len());
    for (key, record) in &plan.idempotency {
        keys.push(key.as_str());
        digests.push(record.digest.to_vec());
        results.push(canonical_text(&record.result)?);
    }
    let written = sqlx::query(
        "WITH new_events AS ( \
             INSERT INTO events (position, stream_id, stream_type, stream_version, event_type, \
                 schema_version, payload, metadata, actor_subject, actor_role, acting_unit, \
                 correlation_id, recorded_at, effective_at, leaf_hash, tags) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], \
                 $5::text[], $6::int[], $7::text[]::json[], $8::text[]::json[], $9::text[], \
                 $10::text[], $11::text[], $12::uuid[], $13::timestamptz[], $14::timestamptz[], \
                 $15::bytea[], $23::text[]::json[]) \
         ), new_tags AS ( \
             INSERT INTO event_tags (tag, position) SELECT * FROM UNNEST($24::text[], $25::bigint[]) \
         ), new_hashes AS ( \
             INSERT INTO merkle_hashes (idx, hash) SELECT * FROM UNNEST($16::bigint[], $17::bytea[]) \
         ), new_keys AS ( \
             INSERT INTO idempotency_keys (key, digest, result) \
             SELECT * FROM UNNEST($18::text[], $19::bytea[], $20::text[]::json[]) \
         ) \
         SELECT pg_notify($21, $22)",
    )
    .bind(position)
    .bind(stream_id)
    .bind(stream_type)
    .bind(stream_version)
    .bind(event_type)
    .bind(schema_version)
    .bind(payload)
    .bind(metadata)
    .bind(subject)
    .bind(role)
    .bind(unit)
    .bind(correlation)
    .bind(recorded)
    .bind(effective)
    .bind(leaf)
    .bind(hash_idx)
    .bind(hashes)
    .bind(keys)
    .bind(digests)
    .bind(results)
    .bind(NOTIFY_CHANNEL)
    .bind(plan.head.size.to_string())
    .bind(tags)
    .bind(tag_names)
    .bind(tag_positions)
    .execute(conn)
    .await;
    match written {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(db(e)),
    }
}

/// Positions of events after `after` matching one query item, oldest first, at most `limit`.
async fn item_positions(
    conn: &mut PgConnection,
    item: &QueryItem,
    after: u64,
    limit: usize,
) -> Result<Vec<u64>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<i64> = if let Some(first) = item.tags.first() {
        // From the index of one tag, keeping events that carry all the others (and are of a
        // wanted type).
        sqlx::query_scalar(
            "SELECT t.position FROM event_tags t WHERE t.tag = $1 AND t.position > $2 \
             AND (SELECT count(*) FROM event_tags u WHERE u.position = t.position \
                  AND u.tag = ANY($3)) = cardinality($3::text[]) \
             AND (cardinality($4::text[]) = 0 OR EXISTS (SELECT 1 FROM events e \
                  WHERE e.position = t.position AND e.event_type = ANY($4))) \
             ORDER BY t.position LIMIT $5",
        )
        .bind(first)
        .bind(sql_position(after))
        .bind(&item.tags)
        .bind(&item.types)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
    } else {
        sqlx::query_scalar(
            "SELECT position FROM events WHERE position > $1 \
             AND (cardinality($2::text[]) = 0 OR event_type = ANY($2)) \
             ORDER BY position LIMIT $3",
        )
        .bind(sql_position(after))
        .bind(&item.types)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
    };
    Ok(rows.into_iter().map(i64::unsigned_abs).collect())
}

/// Positions of events after `after` matching `query`, oldest first, at most `limit`.
async fn query_positions(
    conn: &mut PgConnection,
    query: &Query,
    after: u64,
    limit: usize,
) -> Result<Vec<u64>> {
    let mut positions = Vec::new();
    // One-tag items of any type together, from the tag index in one read.
    let single: Vec<&str> = query
        .items
        .iter()
        .filter_map(QueryItem::single_tag)
        .collect();
    if !single.is_empty() {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT position FROM event_tags WHERE tag = ANY($1) AND position > $2 \
             ORDER BY position LIMIT $3",
        )
        .bind(&single)
        .bind(sql_position(after))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        positions.extend(rows.into_iter().map(i64::unsigned_abs));
    }
    for item in query.items.iter().filter(|i| i.single_tag().is_none()) {
        positions.extend(item_positions(conn, item, after, limit).await?);
    }
    positions.sort_unstable();
    positions.dedup();
    positions.truncate(limit);
    Ok(positions)
}

/// The first event after `after` matching `query`.
async fn first_match(conn: &mut PgConnection, query: &Query, after: u64) -> Result<Option<u64>> {
    Ok(query_positions(conn, query, after, 1)
        .await?
        .first()
        .copied())
}

impl EventStore for PostgresStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult> {
        self.writer.append(request).await
    }

    async fn read_stream(&self, stream_id: &str, options: ReadStream) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let bound = as_of_position(self, options.as_of).await?;
        let (cmp, order, from) = options.sql_range();
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version {cmp} $2 \
             AND position <= $3 ORDER BY stream_version {order} LIMIT $4"
        );
        let sql = sql.as_str();
        self.read(|pool| async move {
            let rows = sqlx::query(sql)
                .bind(stream_id)
                .bind(sql_position(from))
                .bind(sql_position(bound))
                .bind(limit as i64)
                .fetch_all(&pool)
                .await
                .map_err(db)?;
            rows.iter().map(event_from_row).collect()
        })
        .await
    }

    async fn read_stream_bodies(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventBody>> {
        let limit = checked_limit(limit)?;
        self.read(|pool| async move {
            let rows = sqlx::query(
                "SELECT stream_version, event_type, schema_version, payload::text AS payload \
                 FROM events WHERE stream_id = $1 AND stream_version >= $2 \
                 ORDER BY stream_version LIMIT $3",
            )
            .bind(stream_id)
            .bind(sql_position(from_version))
            .bind(limit as i64)
            .fetch_all(&pool)
            .await
            .map_err(db)?;
            rows.iter().map(body_from_row).collect()
        })
        .await
    }

    async fn read_all(&self, options: &ReadAll) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 \
             AND (cardinality($2::text[]) = 0 OR stream_type = ANY($2)) \
             AND (cardinality($3::text[]) = 0 OR event_type = ANY($3)) \
             ORDER BY position LIMIT $4"
        );
        let sql = sql.as_str();
        self.read(|pool| async move {
            let rows = sqlx::query(sql)
                .bind(sql_position(options.after))
                .bind(&options.filter.stream_types)
                .bind(&options.filter.event_types)
                .bind(limit as i64)
                .fetch_all(&pool)
                .await
                .map_err(db)?;
            rows.iter().map(event_from_row).collect()
        })
        .await
    }

    async fn head(&self) -> Result<Head> {
        self.read(|pool| async move {
            let mut conn = pool.acquire().await.map_err(db)?;
            Ok(load_head(&mut conn).await?.0)
        })
        .await
    }

    async fn position_at(&self, at: Timestamp) -> Result<u64> {
        self.read(|pool| async move {
            let position: Option<i64> = sqlx::query_scalar(
                "SELECT position FROM events WHERE recorded_at <= $1 \
                 ORDER BY recorded_at DESC, position DESC LIMIT 1",
            )
            .bind(at.as_datetime())
            .fetch_optional(&pool)
            .await
            .map_err(db)?;
            Ok(position.map_or(0, i64::unsigned_abs))
        })
        .await
    }

    async fn stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        let found: HashMap<u64, Hash> = self
            .read(|pool| async move {
                let mut conn = pool.acquire().await.map_err(db)?;
                Ok(load_hashes(&mut conn, indexes).await?.into_iter().collect())
            })
            .await?;
        indexes
            .iter()
            .map(|i| {
                found.get(i).copied().ok_or_else(|| {
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
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position = ANY($1) ORDER BY position"
        );
        let sql = sql.as_str();
        self.read(|pool| async move {
            let mut conn = pool.acquire().await.map_err(db)?;
            let positions = query_positions(&mut conn, query, after, limit).await?;
            let wanted: Vec<i64> = positions.iter().map(|p| sql_position(*p)).collect();
            let rows = sqlx::query(sql)
                .bind(wanted)
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?;
            rows.iter().map(event_from_row).collect()
        })
        .await
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        let keys = [key.to_owned()];
        let found = self
            .read(|pool| {
                let keys = &keys;
                async move {
                    let mut conn = pool.acquire().await.map_err(db)?;
                    load_keys(&mut conn, keys).await
                }
            })
            .await?;
        Ok(found.into_values().next())
    }

    async fn keep_checkpoint(&self, checkpoint: &KeptCheckpoint) -> Result<bool> {
        let size = i64::try_from(checkpoint.size)
            .map_err(|_| Error::invalid("size", "beyond what the database holds"))?;
        let kept: Option<i64> = sqlx::query_scalar(
            "INSERT INTO checkpoints (size, signers, root, note) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING RETURNING size",
        )
        .bind(size)
        .bind(checkpoint.signers.join(","))
        .bind(&checkpoint.root)
        .bind(&checkpoint.note)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(kept.is_some())
    }

    async fn checkpoints(&self, size: Option<u64>, limit: usize) -> Result<Vec<KeptCheckpoint>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let size = size.map(sql_position);
        self.read(|pool| async move {
            let rows = sqlx::query(
                "SELECT size, signers, root, note, \
                 to_char(stored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS stored_at \
                 FROM checkpoints WHERE ($1::bigint IS NULL OR size = $1) \
                 ORDER BY size DESC, length(signers) DESC LIMIT $2",
            )
            .bind(size)
            .bind(limit)
            .fetch_all(&pool)
            .await
            .map_err(db)?;
            rows.iter()
                .map(|row| {
                    let size: i64 = row.try_get("size").map_err(db)?;
                    let signers: String = row.try_get("signers").map_err(db)?;
                    Ok(KeptCheckpoint {
                        size: size.unsigned_abs(),
                        signers: signers.split(',').map(str::to_owned).collect(),
                        root: row.try_get("root").map_err(db)?,
                        note: row.try_get("note").map_err(db)?,
                        stored_at: row.try_get("stored_at").map_err(db)?,
                    })
                })
                .collect()
        })
        .await
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }
}
