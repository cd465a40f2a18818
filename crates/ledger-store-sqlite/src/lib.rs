//! SQLite backend of the event store: the embedded default, so a new user needs nothing
//! installed.
//!
//! One database file in WAL mode with `synchronous = FULL` (an acknowledged append survives a
//! power cut). The group-commit writer opens each batch with `BEGIN IMMEDIATE`, which takes
//! SQLite's write lock up front, so positions are gapless even if two processes share the
//! file; readers run concurrently on other connections. Subscribers in this process are woken
//! by the writer; another process's appends are seen by the subscription's poll.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use ledger_proof::{Frontier, Hash};
use ledger_store::batch::{
    BatchState, IdempotencyRecord, PreparedAppend, StreamState, batch_keys, condition_queries,
    frontier_from_stored, plan_batch,
};
use ledger_store::condition::{Query, QueryItem};
use ledger_store::envelope::hash_from_bytes;
use ledger_store::store::{KeptCheckpoint, as_of_position, checked_limit, sql_position};
use ledger_store::writer::{BatchCommitter, Writer, WriterOptions};
use ledger_store::{
    AppendRequest, AppendResult, Error, EventBody, EventStore, Head, ReadAll, ReadStream, Result,
    SchemaState, StoredEvent, Timestamp,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use tokio::sync::watch;

/// The schema migrations, embedded from `schema/sqlite/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../schema/sqlite");

const EVENT_COLUMNS: &str = "position, stream_id, stream_type, stream_version, event_type, \
     schema_version, payload, metadata, recorded_at, effective_at, leaf_hash, tags";

/// Rows per multi-row INSERT (at most 16 parameters each, under SQLite's 32,766 limit).
const INSERT_CHUNK: usize = 1000;

/// The SQLite event store. Clones share the pool and the writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: Writer,
    head: watch::Receiver<u64>,
}

fn db(e: sqlx::Error) -> Error {
    Error::backend(e)
}

fn json_text(value: &impl serde::Serialize) -> Result<String> {
    let bytes = ledger_proof::to_canonical_vec(value)?;
    String::from_utf8(bytes).map_err(|e| Error::Corrupt(e.to_string()))
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`, applies pending migrations and
    /// starts the writer.
    ///
    /// # Errors
    /// [`Error::Backend`] when the file cannot be opened or migrated.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::open_with(options, WriterOptions::default()).await
    }

    /// Opens a `sqlite://` URL (see [`SqliteStore::open`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed URL; otherwise as [`SqliteStore::open`].
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("database_url", e.to_string()))?
            .create_if_missing(true);
        Self::open_with(options, WriterOptions::default()).await
    }

    /// Opens with explicit connection options and writer tuning. WAL, `synchronous = FULL`,
    /// foreign keys and a busy timeout are always set.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database cannot be opened or migrated.
    pub async fn open_with(options: SqliteConnectOptions, writer: WriterOptions) -> Result<Self> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(db)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| Error::backend(sqlx::Error::Migrate(Box::new(e))))?;
        Self::start(pool, writer).await
    }

    /// Opens an existing ledger file read-only, without creating or migrating anything: for
    /// `ledger verify` and `ledger export`. The schema must be current.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the file when it does not exist or its schema is not current
    /// (with what to run); [`Error::Backend`] when it cannot be read.
    pub async fn connect_existing(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("database_url", e.to_string()))?;
        let path = options.get_filename().to_owned();
        if !path.exists() {
            return Err(Error::invalid(
                "database_url",
                format!(
                    "{} does not exist (nothing is created here)",
                    path.display()
                ),
            ));
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(
                options
                    .create_if_missing(false)
                    .read_only(true)
                    .busy_timeout(Duration::from_secs(10)),
            )
            .await
            .map_err(db)?;
        if let Some(advice) = schema_state(&pool)
            .await?
            .advice(&path.display().to_string())
        {
            return Err(Error::invalid("database_url", advice));
        }
        Self::start(pool, WriterOptions::default()).await
    }

    /// The store over a migrated pool: its head read, its writer started.
    async fn start(pool: SqlitePool, writer: WriterOptions) -> Result<Self> {
        let head = read_head(&pool).await?;
        let (head_tx, head_rx) = watch::channel(head.size);
        let writer = Writer::spawn(
            SqliteCommitter {
                pool: pool.clone(),
                cached: None,
            },
            head_tx,
            writer,
        );
        Ok(Self {
            pool,
            writer,
            head: head_rx,
        })
    }

    /// The connection pool (for projections that share the file).
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// How a file's schema stands against [`MIGRATOR`] (no migrations table: [`SchemaState::Empty`]).
///
/// # Errors
/// [`Error::Backend`] when it cannot be read.
pub async fn schema_state(pool: &SqlitePool) -> Result<SchemaState> {
    let table: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
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

async fn read_head<'e, E: sqlx::SqliteExecutor<'e>>(executor: E) -> Result<Head> {
    let row = sqlx::query("SELECT size, root, last_recorded_at FROM ledger_head WHERE id = 1")
        .fetch_one(executor)
        .await
        .map_err(db)?;
    let size: i64 = row.try_get("size").map_err(db)?;
    let root: Vec<u8> = row.try_get("root").map_err(db)?;
    let last: Option<String> = row.try_get("last_recorded_at").map_err(db)?;
    Ok(Head {
        size: u64::try_from(size).map_err(|_| Error::Corrupt(format!("head size {size}")))?,
        root: hash_from_bytes(&root)?,
        last_recorded_at: last.as_deref().map(stored_time).transpose()?,
    })
}

fn stored_time(text: &str) -> Result<Timestamp> {
    Timestamp::parse(text).map_err(|e| Error::Corrupt(format!("stored time {text:?}: {e}")))
}

fn event_from_row(row: &SqliteRow) -> Result<StoredEvent> {
    let text = |name: &str| -> Result<String> { row.try_get(name).map_err(db) };
    let number = |name: &str| -> Result<u64> {
        let v: i64 = row.try_get(name).map_err(db)?;
        u64::try_from(v).map_err(|_| Error::Corrupt(format!("{name} {v}")))
    };
    let json = |name: &str| -> Result<serde_json::Value> {
        serde_json::from_str(&text(name)?).map_err(|e| Error::Corrupt(format!("{name}: {e}")))
    };
    let leaf: Vec<u8> = row.try_get("leaf_hash").map_err(db)?;
    let tags: Option<String> = row.try_get("tags").map_err(db)?;
    let tags = match tags {
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("event tags: {e}")))?
        }
        None => Vec::new(),
    };
    Ok(StoredEvent {
        position: number("position")?,
        stream_id: text("stream_id")?,
        stream_type: text("stream_type")?,
        stream_version: number("stream_version")?,
        event_type: text("event_type")?,
        schema_version: u32::try_from(number("schema_version")?)
            .map_err(|_| Error::Corrupt("schema_version".to_owned()))?,
        payload: json("payload")?,
        metadata: serde_json::from_value(json("metadata")?)
            .map_err(|e| Error::Corrupt(format!("event metadata: {e}")))?,
        recorded_at: stored_time(&text("recorded_at")?)?,
        effective_at: stored_time(&text("effective_at")?)?,
        tags,
        leaf_hash: hash_from_bytes(&leaf)?,
    })
}

fn idempotency_from_row(row: &SqliteRow) -> Result<IdempotencyRecord> {
    let digest: Vec<u8> = row.try_get("digest").map_err(db)?;
    let result: String = row.try_get("result").map_err(db)?;
    Ok(IdempotencyRecord {
        digest: hash_from_bytes(&digest)?.0,
        result: serde_json::from_str(&result)
            .map_err(|e| Error::Corrupt(format!("idempotency record: {e}")))?,
    })
}

struct SqliteCommitter {
    pool: SqlitePool,
    cached: Option<Frontier>,
}

type Tx = Transaction<'static, Sqlite>;

impl BatchCommitter for SqliteCommitter {
    async fn commit(
        &mut self,
        batch: &[PreparedAppend],
    ) -> Result<(Head, Vec<Result<AppendResult>>)> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let head = read_head(&mut *tx).await?;
        let frontier = match self.cached.take() {
            Some(f) if f.size() == head.size && f.root() == head.root => f,
            _ => {
                let indexes = Frontier::required_indexes(head.size);
                let mut stored = Vec::with_capacity(indexes.len());
                for index in indexes {
                    let hash: Option<Vec<u8>> =
                        sqlx::query_scalar("SELECT hash FROM merkle_hashes WHERE idx = ?")
                            .bind(sql_position(index))
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db)?;
                    if let Some(hash) = hash {
                        stored.push((index, hash_from_bytes(&hash)?));
                    }
                }
                frontier_from_stored(head.size, stored)?
            }
        };
        let (stream_ids, keys) = batch_keys(batch);
        let mut streams = HashMap::new();
        for id in stream_ids {
            let row = sqlx::query(
                "SELECT stream_type, stream_version FROM events WHERE stream_id = ? \
                 ORDER BY stream_version DESC LIMIT 1",
            )
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if let Some(row) = row {
                let version: i64 = row.try_get("stream_version").map_err(db)?;
                let stream_type = row.try_get("stream_type").map_err(db)?;
                streams.insert(
                    id,
                    StreamState {
                        stream_type,
                        version: version.unsigned_abs(),
                    },
                );
            }
        }
        let mut idempotency = HashMap::new();
        for key in keys {
            let row = sqlx::query("SELECT digest, result FROM idempotency_keys WHERE key = ?")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
            if let Some(row) = row {
                idempotency.insert(key, idempotency_from_row(&row)?);
            }
        }
        let mut matches = HashMap::new();
        for (index, condition) in condition_queries(batch) {
            let found = query_positions(
                &mut tx,
                &condition.fail_if_events_match,
                condition.after(),
                1,
            )
            .await?;
            if let Some(position) = found.first() {
                matches.insert(index, *position);
            }
        }
        let state =
            BatchState::new(head, frontier, streams, idempotency)?.with_condition_matches(matches);
        let plan = plan_batch(state, batch, Timestamp::now());
        if plan.events.is_empty() {
            tx.rollback().await.map_err(db)?;
            return Ok((plan.head, plan.outcomes));
        }
        insert_events(&mut tx, &plan.events).await?;
        for chunk in plan.hashes.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO merkle_hashes (idx, hash) ");
            insert.push_values(chunk, |mut row, (index, hash)| {
                row.push_bind(sql_position(*index))
                    .push_bind(hash.0.to_vec());
            });
            insert.build().execute(&mut *tx).await.map_err(db)?;
        }
        for (key, record) in &plan.idempotency {
            sqlx::query("INSERT INTO idempotency_keys (key, digest, result) VALUES (?, ?, ?)")
                .bind(key)
                .bind(record.digest.to_vec())
                .bind(json_text(&record.result)?)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        sqlx::query("UPDATE ledger_head SET size = ?, root = ?, last_recorded_at = ? WHERE id = 1")
            .bind(sql_position(plan.head.size))
            .bind(plan.head.root.0.to_vec())
            .bind(plan.head.last_recorded_at.map(|t| t.to_string()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        self.cached = Some(plan.frontier);
        Ok((plan.head, plan.outcomes))
    }
}

async fn insert_events(tx: &mut Tx, events: &[StoredEvent]) -> Result<()> {
    let mut rows = Vec::with_capacity(events.len());
    let mut tags = Vec::new();
    for e in events {
        let tag_text = if e.tags.is_empty() {
            None
        } else {
            tags.extend(
                e.tags
                    .iter()
                    .map(|t| (t.as_str(), sql_position(e.position))),
            );
            Some(json_text(&e.tags)?)
        };
        rows.push((e, json_text(&e.payload)?, json_text(&e.metadata)?, tag_text));
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (position, stream_id, stream_type, stream_version, event_type, \
             schema_version, payload, metadata, actor_subject, actor_role, acting_unit, \
             correlation_id, recorded_at, effective_at, leaf_hash, tags) ",
        );
        insert.push_values(chunk, |mut row, (e, payload, metadata, tags)| {
            row.push_bind(sql_position(e.position))
                .push_bind(e.stream_id.as_str())
                .push_bind(e.stream_type.as_str())
                .push_bind(sql_position(e.stream_version))
                .push_bind(e.event_type.as_str())
                .push_bind(i64::from(e.schema_version))
                .push_bind(payload.as_str())
                .push_bind(metadata.as_str())
                .push_bind(e.metadata.actor.subject.as_str())
                .push_bind(e.metadata.actor.role.as_str())
                .push_bind(e.metadata.acting_unit.as_deref())
                .push_bind(e.metadata.correlation_id.to_string())
                .push_bind(e.recorded_at.to_string())
                .push_bind(e.effective_at.to_string())
                .push_bind(e.leaf_hash.0.to_vec())
                .push_bind(tags.as_deref());
        });
        insert.build().execute(&mut **tx).await.map_err(db)?;
    }
    for chunk in tags.chunks(INSERT_CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO event_tags (tag, position) ");
        insert.push_values(chunk, |mut row, (tag, position)| {
            row.push_bind(*tag).push_bind(*position);
        });
        insert.build().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

/// Positions of events after `after` matching one query item, oldest first, at most `limit`.
async fn item_positions(
    conn: &mut sqlx::SqliteConnection,
    item: &QueryItem,
    after: u64,
    limit: usize,
) -> Result<Vec<u64>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let types = json_text(&item.types)?;
    let rows: Vec<i64> = if let Some(first) = item.tags.first() {
        sqlx::query_scalar(
            "SELECT t.position FROM event_tags t WHERE t.tag = ?1 AND t.position > ?2 \
             AND (SELECT count(*) FROM event_tags u WHERE u.position = t.position \
                  AND u.tag IN (SELECT value FROM json_each(?3))) = json_array_length(?3) \
             AND (?4 = '[]' OR EXISTS (SELECT 1 FROM events e WHERE e.position = t.position \
                  AND e.event_type IN (SELECT value FROM json_each(?4)))) \
             ORDER BY t.position LIMIT ?5",
        )
        .bind(first)
        .bind(sql_position(after))
        .bind(json_text(&item.tags)?)
        .bind(types)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
    } else {
        sqlx::query_scalar(
            "SELECT position FROM events WHERE position > ?1 \
             AND (?2 = '[]' OR event_type IN (SELECT value FROM json_each(?2))) \
             ORDER BY position LIMIT ?3",
        )
        .bind(sql_position(after))
        .bind(types)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
    };
    Ok(rows.into_iter().map(i64::unsigned_abs).collect())
}

/// Positions of events after `after` matching `query`, oldest first, at most `limit`.
async fn query_positions(
    conn: &mut sqlx::SqliteConnection,
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
            "SELECT DISTINCT position FROM event_tags \
             WHERE tag IN (SELECT value FROM json_each(?1)) AND position > ?2 \
             ORDER BY position LIMIT ?3",
        )
        .bind(json_text(&single)?)
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

impl EventStore for SqliteStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendResult> {
        self.writer.append(request).await
    }

    async fn read_stream(&self, stream_id: &str, options: ReadStream) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let bound = as_of_position(self, options.as_of).await?;
        let (cmp, order, from) = options.sql_range();
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ? AND stream_version {cmp} ? \
             AND position <= ? ORDER BY stream_version {order} LIMIT ?"
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

    async fn read_stream_bodies(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventBody>> {
        let limit = checked_limit(limit)?;
        let rows = sqlx::query(
            "SELECT stream_version, event_type, schema_version, payload FROM events \
             WHERE stream_id = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?",
        )
        .bind(stream_id)
        .bind(sql_position(from_version))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let payload: &str = row.try_get("payload").map_err(db)?;
                let version: i64 = row.try_get("stream_version").map_err(db)?;
                let schema_version: i64 = row.try_get("schema_version").map_err(db)?;
                Ok(EventBody {
                    stream_version: version.unsigned_abs(),
                    event_type: row.try_get("event_type").map_err(db)?,
                    schema_version: u32::try_from(schema_version)
                        .map_err(|_| Error::Corrupt("schema_version".to_owned()))?,
                    payload: serde_json::from_str(payload)
                        .map_err(|e| Error::Corrupt(format!("event payload: {e}")))?,
                })
            })
            .collect()
    }

    async fn read_all(&self, options: &ReadAll) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(options.limit)?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 \
             AND (?2 = '[]' OR stream_type IN (SELECT value FROM json_each(?2))) \
             AND (?3 = '[]' OR event_type IN (SELECT value FROM json_each(?3))) \
             ORDER BY position LIMIT ?4"
        );
        let rows = sqlx::query(&sql)
            .bind(sql_position(options.after))
            .bind(json_text(&options.filter.stream_types)?)
            .bind(json_text(&options.filter.event_types)?)
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
            "SELECT position FROM events WHERE recorded_at <= ? \
             ORDER BY recorded_at DESC, position DESC LIMIT 1",
        )
        .bind(at.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(position.map_or(0, i64::unsigned_abs))
    }

    async fn stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        let mut out = Vec::with_capacity(indexes.len());
        for index in indexes {
            let hash: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT hash FROM merkle_hashes WHERE idx = ?")
                    .bind(sql_position(*index))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
            let hash = hash.ok_or_else(|| {
                Error::invalid("index", format!("stored hash {index} is beyond the tree"))
            })?;
            out.push(hash_from_bytes(&hash)?);
        }
        Ok(out)
    }

    async fn read_query(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let limit = checked_limit(limit)?;
        // One read transaction: the positions and the events come from one state of the file.
        let mut tx = self.pool.begin().await.map_err(db)?;
        let positions = query_positions(&mut tx, query, after, limit).await?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position IN \
             (SELECT value FROM json_each(?)) ORDER BY position"
        );
        let rows = sqlx::query(&sql)
            .bind(json_text(&positions)?)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.rollback().await.map_err(db)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        let row = sqlx::query("SELECT digest, result FROM idempotency_keys WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| idempotency_from_row(&row)).transpose()
    }

    async fn keep_checkpoint(&self, checkpoint: &KeptCheckpoint) -> Result<bool> {
        let size = i64::try_from(checkpoint.size)
            .map_err(|_| Error::invalid("size", "beyond what the database holds"))?;
        let kept: Option<i64> = sqlx::query_scalar(
            "INSERT INTO checkpoints (size, signers, root, note) VALUES (?, ?, ?, ?) \
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
        let rows = sqlx::query(
            "SELECT size, signers, root, note, stored_at FROM checkpoints \
             WHERE ?1 IS NULL OR size = ?1 ORDER BY size DESC, length(signers) DESC LIMIT ?2",
        )
        .bind(size)
        .bind(limit)
        .fetch_all(&self.pool)
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
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }
}
