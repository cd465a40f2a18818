//! PostgreSQL backend of the event store: the production store.
//!
//! Appends go through the group-commit [`Writer`]; each batch is one transaction that locks the
//! single `ledger_head` row (`SELECT … FOR UPDATE`), so writers in several processes are
//! serialised, positions are gapless and commit in position order, and a reader that sees
//! position p has already been able to see every position before it. The batch inserts its
//! events, stored Merkle hashes and idempotency keys with one `UNNEST` statement each, moves
//! the head and sends `NOTIFY ledger_events` in the same transaction. Triggers in the schema
//! refuse `UPDATE`, `DELETE` and `TRUNCATE` of the log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ledger_proof::{Frontier, Hash};
use ledger_store::batch::{
    BatchPlan, BatchState, IdempotencyRecord, PreparedAppend, StreamState, batch_keys,
    frontier_from_stored, plan_batch,
};
use ledger_store::envelope::hash_from_bytes;
use ledger_store::store::{as_of_position, checked_limit, sql_position};
use ledger_store::writer::{BatchCommitter, Writer, WriterOptions};
use ledger_store::{
    AppendRequest, AppendResult, Direction, Error, EventStore, Head, Metadata, ReadAll, ReadStream,
    Result, StoredEvent, Timestamp,
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
     effective_at, leaf_hash";

/// The PostgreSQL event store. Clones share the pool, the writer and the listener.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    writer: Writer,
    head: watch::Receiver<u64>,
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

impl PostgresStore {
    /// Connects with a pool of `max_connections`, applies pending migrations and starts the
    /// writer and the notification listener.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database cannot be reached or migrated.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect(url)
            .await
            .map_err(db)?;
        Self::migrate(&pool).await?;
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
        let head = read_head(&pool).await?;
        let (head_tx, head_rx) = watch::channel(head.size);
        let listener = tokio::spawn(listen(pool.clone(), head_tx.clone()));
        let writer = Writer::spawn(
            PgCommitter {
                pool: pool.clone(),
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
            _listener: Arc::new(AbortOnDrop(listener)),
        })
    }

    /// The connection pool (for projections that share the database).
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

async fn read_head<'e, E: sqlx::PgExecutor<'e>>(executor: E) -> Result<Head> {
    let row = sqlx::query("SELECT size, root, last_recorded_at FROM ledger_head WHERE id = 1")
        .fetch_one(executor)
        .await
        .map_err(db)?;
    head_from_row(&row)
}

fn head_from_row(row: &PgRow) -> Result<Head> {
    let size: i64 = row.try_get("size").map_err(db)?;
    let root: Vec<u8> = row.try_get("root").map_err(db)?;
    let last: Option<DateTime<Utc>> = row.try_get("last_recorded_at").map_err(db)?;
    Ok(Head {
        size: u64::try_from(size).map_err(|_| Error::Corrupt(format!("head size {size}")))?,
        root: hash_from_bytes(&root)?,
        last_recorded_at: last.map(Timestamp::from_datetime).transpose()?,
    })
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
        leaf_hash: hash_from_bytes(&leaf)?,
    })
}

/// Follows `NOTIFY ledger_events` and publishes head sizes; after a (re)connection it wakes
/// every subscriber, since notifications sent while disconnected are lost.
async fn listen(pool: PgPool, head: watch::Sender<u64>) {
    loop {
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
                        Err(error) => {
                            tracing::warn!(%error, "notification listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "notification listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

struct PgCommitter {
    pool: PgPool,
    /// The writer's own connection (no pool round trip or health check per batch); dropped
    /// after any failure and opened again for the next batch.
    conn: Option<PgConnection>,
    cache: Option<WriterCache>,
}

/// What this writer knows of the log, valid while no other process has moved the head: every
/// batch's write checks the head is still `head`, and a failed check clears the cache.
struct WriterCache {
    head: Head,
    frontier: Frontier,
    /// Streams seen, with `None` for streams known not to exist.
    streams: HashMap<String, Option<StreamState>>,
    /// Idempotency keys seen, with `None` for keys known to be unused.
    keys: HashMap<String, Option<IdempotencyRecord>>,
}

/// Entries beyond which the cache of streams and keys starts again empty.
const CACHE_LIMIT: usize = 100_000;

impl WriterCache {
    fn after(
        plan: &BatchPlan,
        stream_ids: &[String],
        keys: &[String],
        mut keep: Option<Self>,
    ) -> Self {
        let (mut streams, mut known_keys) = match keep.take() {
            Some(c) if c.streams.len() + c.keys.len() < CACHE_LIMIT => (c.streams, c.keys),
            _ => (HashMap::new(), HashMap::new()),
        };
        for id in stream_ids {
            streams.insert(id.clone(), plan.streams.get(id).cloned());
        }
        for key in keys {
            known_keys.insert(key.clone(), plan.idempotency_after.get(key).cloned());
        }
        Self {
            head: plan.head,
            frontier: plan.frontier.clone(),
            streams,
            keys: known_keys,
        }
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

    /// Fast path: plan against the cache (loading only the streams and keys it does not know),
    /// then write in one statement that applies only if the head is still the cached one.
    /// Returns `None` when the batch must be planned again under the head's lock: the head
    /// moved under another process, there is no cache yet, or nothing would be written (a
    /// refusal must not rest on a cache that might be stale).
    async fn fast_path(&mut self, batch: &[PreparedAppend]) -> Result<Option<BatchPlan>> {
        let Some(cache) = self.cache.take() else {
            return Ok(None);
        };
        let (stream_ids, keys) = batch_keys(batch);
        let missing_streams: Vec<String> = stream_ids
            .iter()
            .filter(|id| !cache.streams.contains_key(*id))
            .cloned()
            .collect();
        let missing_keys: Vec<String> = keys
            .iter()
            .filter(|k| !cache.keys.contains_key(*k))
            .cloned()
            .collect();
        let conn = self.connection().await?;
        let mut streams = load_streams(conn, &missing_streams).await?;
        let mut idempotency = load_keys(conn, &missing_keys).await?;
        for id in &stream_ids {
            if let Some(Some(state)) = cache.streams.get(id) {
                streams.insert(id.clone(), state.clone());
            }
        }
        for key in &keys {
            if let Some(Some(record)) = cache.keys.get(key) {
                idempotency.insert(key.clone(), record.clone());
            }
        }
        let state = BatchState::new(cache.head, cache.frontier.clone(), streams, idempotency)?;
        let plan = plan_batch(state, batch, Timestamp::now());
        if plan.events.is_empty() || !write_plan(&mut *conn, cache.head.size, &plan).await? {
            return Ok(None);
        }
        self.cache = Some(WriterCache::after(&plan, &stream_ids, &keys, Some(cache)));
        Ok(Some(plan))
    }

    /// Slow path: lock the head, load everything the batch needs, plan, write, commit.
    async fn locked_path(&mut self, batch: &[PreparedAppend]) -> Result<BatchPlan> {
        let (stream_ids, keys) = batch_keys(batch);
        let conn = self.connection().await?;
        let mut tx = conn.begin().await.map_err(db)?;
        let row = sqlx::query(
            "SELECT size, root, last_recorded_at FROM ledger_head WHERE id = 1 FOR UPDATE",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let head = head_from_row(&row)?;
        let indexes = Frontier::required_indexes(head.size);
        let frontier = frontier_from_stored(head.size, load_hashes(&mut *tx, &indexes).await?)?;
        let streams = load_streams(&mut tx, &stream_ids).await?;
        let idempotency = load_keys(&mut tx, &keys).await?;
        let state = BatchState::new(head, frontier, streams, idempotency)?;
        let plan = plan_batch(state, batch, Timestamp::now());
        if !plan.events.is_empty() && !write_plan(&mut *tx, head.size, &plan).await? {
            return Err(Error::Corrupt(
                "the head changed while this writer held its lock".to_owned(),
            ));
        }
        tx.commit().await.map_err(db)?;
        self.cache = Some(WriterCache::after(&plan, &stream_ids, &keys, None));
        Ok(plan)
    }
}

impl BatchCommitter for PgCommitter {
    async fn commit(
        &mut self,
        batch: &[PreparedAppend],
    ) -> Result<(Head, Vec<Result<AppendResult>>)> {
        let outcome = match self.fast_path(batch).await {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => self.locked_path(batch).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(plan) => Ok((plan.head, plan.outcomes)),
            Err(e) => {
                // Start the next batch from a fresh connection and from the database's state.
                self.conn = None;
                self.cache = None;
                Err(e)
            }
        }
    }
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
    let rows = sqlx::query("SELECT key, digest, result FROM idempotency_keys WHERE key = ANY($1)")
        .bind(keys)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    for row in &rows {
        let digest: Vec<u8> = row.try_get("digest").map_err(db)?;
        let result: serde_json::Value = row.try_get("result").map_err(db)?;
        idempotency.insert(
            row.try_get("key").map_err(db)?,
            IdempotencyRecord {
                digest: hash_from_bytes(&digest)?.0,
                result: serde_json::from_value(result)
                    .map_err(|e| Error::Corrupt(format!("idempotency record: {e}")))?,
            },
        );
    }
    Ok(idempotency)
}

async fn load_hashes<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    indexes: &[u64],
) -> Result<Vec<(u64, Hash)>> {
    let wanted: Vec<i64> = indexes.iter().map(|i| sql_position(*i)).collect();
    let rows = sqlx::query("SELECT idx, hash FROM merkle_hashes WHERE idx = ANY($1)")
        .bind(wanted)
        .fetch_all(executor)
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

/// Writes a batch plan in one statement, and so in one round trip and one implicit
/// transaction when run outside an explicit one: lock the head row, and only if its size is
/// still `expected_size` insert the events, Merkle hashes and idempotency keys, move the head
/// and notify listeners. Returns whether it applied.
async fn write_plan<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    expected_size: u64,
    plan: &BatchPlan,
) -> Result<bool> {
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
    for e in &plan.events {
        position.push(sql_position(e.position));
        stream_id.push(e.stream_id.as_str());
        stream_type.push(e.stream_type.as_str());
        stream_version.push(sql_position(e.stream_version));
        event_type.push(e.event_type.as_str());
        schema_version.push(i32::try_from(e.schema_version).unwrap_or(i32::MAX));
        payload.push(canonical_text(&e.payload)?);
        metadata.push(canonical_text(&e.metadata)?);
        subject.push(e.metadata.actor.subject.as_str());
        role.push(e.metadata.actor.role.as_str());
        unit.push(e.metadata.acting_unit.as_deref());
        correlation.push(e.metadata.correlation_id);
        recorded.push(e.recorded_at.as_datetime());
        effective.push(e.effective_at.as_datetime());
        leaf.push(e.leaf_hash.0.to_vec());
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
        results
            .push(serde_json::to_value(&record.result).map_err(|e| Error::Corrupt(e.to_string()))?);
    }
    let applied: Option<i64> = sqlx::query_scalar(
        "WITH head AS ( \
             SELECT size FROM ledger_head WHERE id = 1 AND size = $1 FOR UPDATE \
         ), new_events AS ( \
             INSERT INTO events (position, stream_id, stream_type, stream_version, event_type, \
                 schema_version, payload, metadata, actor_subject, actor_role, acting_unit, \
                 correlation_id, recorded_at, effective_at, leaf_hash) \
             SELECT * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[], \
                 $6::text[], $7::int[], $8::text[]::json[], $9::text[]::json[], $10::text[], $11::text[], \
                 $12::text[], $13::uuid[], $14::timestamptz[], $15::timestamptz[], $16::bytea[]) \
             WHERE EXISTS (SELECT 1 FROM head) \
         ), new_hashes AS ( \
             INSERT INTO merkle_hashes (idx, hash) \
             SELECT * FROM UNNEST($17::bigint[], $18::bytea[]) WHERE EXISTS (SELECT 1 FROM head) \
         ), new_keys AS ( \
             INSERT INTO idempotency_keys (key, digest, result) \
             SELECT * FROM UNNEST($19::text[], $20::bytea[], $21::jsonb[]) \
             WHERE EXISTS (SELECT 1 FROM head) \
         ), moved AS ( \
             UPDATE ledger_head SET size = $22, root = $23, last_recorded_at = $24 \
             WHERE id = 1 AND EXISTS (SELECT 1 FROM head) RETURNING size \
         ) \
         SELECT size FROM moved, LATERAL pg_notify($25, size::text)",
    )
    .bind(sql_position(expected_size))
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
    .bind(sql_position(plan.head.size))
    .bind(plan.head.root.0.to_vec())
    .bind(plan.head.last_recorded_at.map(|t| t.as_datetime()))
    .bind(NOTIFY_CHANNEL)
    .fetch_optional(executor)
    .await
    .map_err(db)?;
    Ok(applied.is_some())
}

impl EventStore for PostgresStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult> {
        self.writer.append(request).await
    }

    async fn read_stream(&self, stream_id: &str, options: ReadStream) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let bound = as_of_position(self, options.as_of).await?;
        let (cmp, order, from) = match options.direction {
            Direction::Forward => (">=", "ASC", options.from_version.unwrap_or(1)),
            Direction::Backward => ("<=", "DESC", options.from_version.unwrap_or(u64::MAX)),
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version {cmp} $2 \
             AND position <= $3 ORDER BY stream_version {order} LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(stream_id)
            .bind(sql_position(from))
            .bind(sql_position(bound))
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn read_all(&self, options: &ReadAll) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 \
             AND (cardinality($2::text[]) = 0 OR stream_type = ANY($2)) \
             AND (cardinality($3::text[]) = 0 OR event_type = ANY($3)) \
             ORDER BY position LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(sql_position(options.after))
            .bind(&options.filter.stream_types)
            .bind(&options.filter.event_types)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn head(&self) -> Result<Head> {
        read_head(&self.pool).await
    }

    async fn position_at(&self, at: Timestamp) -> Result<u64> {
        let position: Option<i64> = sqlx::query_scalar(
            "SELECT position FROM events WHERE recorded_at <= $1 \
             ORDER BY recorded_at DESC, position DESC LIMIT 1",
        )
        .bind(at.as_datetime())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(position.map_or(0, i64::unsigned_abs))
    }

    async fn stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        let wanted: Vec<i64> = indexes.iter().map(|i| sql_position(*i)).collect();
        let rows = sqlx::query("SELECT idx, hash FROM merkle_hashes WHERE idx = ANY($1)")
            .bind(wanted)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let idx: i64 = row.try_get("idx").map_err(db)?;
            let hash: Vec<u8> = row.try_get("hash").map_err(db)?;
            found.insert(idx.unsigned_abs(), hash_from_bytes(&hash)?);
        }
        indexes
            .iter()
            .map(|i| {
                found.get(i).copied().ok_or_else(|| {
                    Error::invalid("index", format!("stored hash {i} is beyond the tree"))
                })
            })
            .collect()
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }
}
