//! The read-model database: PostgreSQL or SQLite, behind one small interface.
//!
//! Tables are named `rm{generation}_{table}`. The generation serving queries and its
//! checkpoint are in `rm_meta` (row `live`); a rebuild fills the next generation (row `shadow`)
//! while the live one keeps serving, then moves `live` to it in one transaction. No table is
//! renamed, so a swap is one row update.
//!
//! Writes use set-based statements: on PostgreSQL one `COPY … FROM STDIN` per table per batch
//! and one `UPDATE … FROM UNNEST(…)` to close rows; on
//! SQLite multi-row `VALUES` and prepared updates inside one `BEGIN IMMEDIATE` transaction.

use ledger_store::store::sql_position;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Postgres, Row as _, Sqlite, Transaction, TypeInfo as _, ValueRef as _};

use crate::error::{Error, Result};
use crate::tables::{Kind, TABLES, TableDef};
use crate::value::Value;

/// A row version to insert: values in column order, and its validity range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    /// Data values in column order.
    pub values: Vec<Value>,
    /// First position it is valid at.
    pub from: u64,
    /// First position it is no longer valid at (`None`: still valid; facts: always `None`).
    pub to: Option<u64>,
}

/// An open row version (identified by key and `valid_from`) to close at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    /// The entity key.
    pub key: String,
    /// The version's `valid_from`.
    pub from: u64,
    /// Where it stops being valid.
    pub to: u64,
}

/// The read-model database.
#[derive(Debug, Clone)]
pub enum Db {
    /// PostgreSQL (production).
    Postgres(PgPool),
    /// SQLite (embedded default).
    Sqlite(SqlitePool),
}

/// The version of what the projection writes: raise it when events project differently
/// (a new column's meaning, a rule changed) without the tables changing shape. A generation
/// whose shape ([`shape`]) is not the code's is rebuilt before it serves.
pub const PROJECTION_VERSION: u64 = 2;

/// The shape of a generation as this code writes it: a hash of its tables' DDL and
/// [`PROJECTION_VERSION`], kept in `rm_meta` (row `shape:{generation}`).
#[must_use]
pub fn shape() -> u64 {
    // FNV-1a: stable across builds and platforms (std's hasher is not).
    let text = format!(
        "{}\nversion {PROJECTION_VERSION}",
        Dialect::Postgres.generation_ddl(0)
    );
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash >> 1
}

/// The name of `table` in generation `generation`.
#[must_use]
pub fn table_name(generation: u64, table: &TableDef) -> String {
    format!("rm{generation}_{}", table.name)
}

/// Which generation serves and how far it has projected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The generation whose tables are read.
    pub generation: u64,
    /// The last position projected into it.
    pub position: u64,
}

fn as_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Which SQL a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Dialect {
    fn is_postgres(self) -> bool {
        self == Self::Postgres
    }

    /// `CREATE TABLE` for `table` in `generation`.
    #[must_use]
    pub fn create_table_sql(self, generation: u64, table: &TableDef) -> String {
        let mut columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                let ty = if self.is_postgres() {
                    c.ty.postgres()
                } else {
                    c.ty.sqlite()
                };
                let null = if c.nullable { "" } else { " NOT NULL" };
                format!("{} {ty}{null}", c.name)
            })
            .collect();
        let int = if self.is_postgres() {
            "BIGINT"
        } else {
            "INTEGER"
        };
        columns.push(format!("valid_from {int} NOT NULL"));
        if table.kind == Kind::Versioned {
            columns.push(format!("valid_to {int}"));
        }
        format!(
            "CREATE TABLE {} ({})",
            table_name(generation, table),
            columns.join(", ")
        )
    }

    /// The indexes of `table` in `generation`: built after a rebuild's bulk load.
    #[must_use]
    pub fn index_sql(self, generation: u64, table: &TableDef) -> Vec<String> {
        let name = table_name(generation, table);
        let mut out = Vec::new();
        match table.kind {
            Kind::Versioned => {
                let key = table.columns[0].name;
                out.push(format!(
                    "CREATE UNIQUE INDEX {name}_version ON {name} ({key}, valid_from)"
                ));
                out.push(format!(
                    "CREATE UNIQUE INDEX {name}_open ON {name} ({key}) WHERE valid_to IS NULL"
                ));
                // Secondary indexes serve the present; questions as of the past find versions
                // by key (the version index) or read the table.
                for (i, cols) in table.indexes.iter().enumerate() {
                    out.push(format!(
                        "CREATE INDEX {name}_i{i} ON {name} ({cols}) WHERE valid_to IS NULL"
                    ));
                }
            }
            Kind::Fact => {
                if table.name == "audit" {
                    out.push(format!(
                        "CREATE UNIQUE INDEX {name}_position ON {name} (valid_from)"
                    ));
                }
                for (i, spec) in table.indexes.iter().enumerate() {
                    // `cols WHERE condition`: a partial index, holding only the rows a rare
                    // filter asks for (it costs the rebuild only what it holds).
                    match spec.split_once(" WHERE ") {
                        Some((cols, condition)) => out.push(format!(
                            "CREATE INDEX {name}_i{i} ON {name} ({cols}) WHERE {condition}"
                        )),
                        None => out.push(format!("CREATE INDEX {name}_i{i} ON {name} ({spec})")),
                    }
                }
            }
        }
        out
    }

    /// The whole DDL of one generation, as the checked-in reference `schema/projections/`.
    #[must_use]
    pub fn generation_ddl(self, generation: u64) -> String {
        let mut out = String::new();
        for table in TABLES {
            out.push_str(&self.create_table_sql(generation, table));
            out.push_str(";\n");
            for index in self.index_sql(generation, table) {
                out.push_str(&index);
                out.push_str(";\n");
            }
            out.push('\n');
        }
        out
    }
}

impl Db {
    /// The SQL this database speaks.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Postgres(_) => Dialect::Postgres,
            Self::Sqlite(_) => Dialect::Sqlite,
        }
    }

    fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// Creates the meta table and, on first use, generation 1 with its indexes. Safe to run
    /// from several processes at once.
    ///
    /// # Errors
    /// [`Error::Database`] when the DDL fails.
    pub async fn migrate(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if self.is_postgres() {
            // Serialise concurrent migrations (any constant key will do).
            tx.execute("SELECT pg_advisory_xact_lock(7283401)").await?;
        }
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_meta (name TEXT PRIMARY KEY, \
             generation BIGINT NOT NULL, position BIGINT NOT NULL)",
        )
        .await?;
        if tx.meta("live").await?.is_none() {
            let dialect = self.dialect();
            for table in TABLES {
                tx.execute(&dialect.create_table_sql(1, table)).await?;
                for index in dialect.index_sql(1, table) {
                    tx.execute(&index).await?;
                }
            }
            tx.execute("INSERT INTO rm_meta (name, generation, position) VALUES ('live', 1, 0)")
                .await?;
            tx.record_shape(1).await?;
        }
        tx.commit().await
    }

    /// Begins a write transaction (SQLite: `BEGIN IMMEDIATE`, taking the write lock up front).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn begin_write(&self) -> Result<Tx> {
        let db = self.clone();
        uncancelled(async move {
            Ok(match db {
                Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
                Self::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            })
        })
        .await
    }

    /// Begins a read-only snapshot: every statement in it sees the same committed state.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn begin_read(&self) -> Result<Tx> {
        let db = self.clone();
        uncancelled(async move {
            Ok(match db {
                Self::Postgres(pool) => {
                    let mut tx = pool.begin().await?;
                    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        .execute(&mut *tx)
                        .await?;
                    Tx::Postgres(tx)
                }
                Self::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            })
        })
        .await
    }

    /// Whether the live generation has the shape this code writes; when not (tables made by
    /// an earlier version, or a projection that changed), it must be rebuilt before it serves.
    ///
    /// # Errors
    /// [`Error::NotMigrated`] before [`Db::migrate`]; [`Error::Database`].
    pub async fn is_current(&self) -> Result<bool> {
        let mut tx = self.begin_read().await?;
        let live = tx.live().await;
        let kept = match live {
            Ok(live) => tx.meta(&format!("shape:{}", live.generation)).await,
            Err(e) => Err(e),
        };
        tx.rollback().await?;
        Ok(kept?.is_some_and(|m| m.position == shape()))
    }

    /// The live generation and its checkpoint.
    ///
    /// # Errors
    /// [`Error::NotMigrated`] before [`Db::migrate`]; [`Error::Database`].
    pub async fn live(&self) -> Result<Meta> {
        let mut tx = self.begin_read().await?;
        let meta = tx.live().await;
        tx.rollback().await?;
        meta
    }
}

/// Runs `work` on a task of its own, so that cancelling the caller (a client gone, a task
/// aborted) cannot stop it half-way. sqlx 0.8 loses track of a transaction whose `BEGIN` is
/// cancelled in flight (transact-rs/sqlx#4393): the connection goes back to the pool still
/// inside it, and every later `BEGIN` on it fails. A transaction begun, or a batch written,
/// here always completes or fails as a whole.
///
/// The work starts at once, on the call; the returned future only waits for it.
pub fn uncancelled<T: Send + 'static>(
    work: impl Future<Output = Result<T>> + Send + 'static,
) -> impl Future<Output = Result<T>> {
    let handle = tokio::spawn(work);
    async move {
        handle
            .await
            .map_err(|e| Error::Corrupt(format!("database task failed: {e}")))?
    }
}

/// A transaction on the read-model database.
pub enum Tx {
    /// PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
    /// SQLite.
    Sqlite(Transaction<'static, Sqlite>),
}

/// Rewrites `?` placeholders as `$1`, `$2`, … for PostgreSQL.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

fn pg_value(row: &sqlx::postgres::PgRow, i: usize) -> Result<Value> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let ty = raw.type_info().name().to_owned();
    Ok(match ty.as_str() {
        "INT8" => Value::Int(row.try_get::<i64, _>(i)?),
        "INT4" => Value::Int(i64::from(row.try_get::<i32, _>(i)?)),
        "INT2" => Value::Int(i64::from(row.try_get::<i16, _>(i)?)),
        "BOOL" => Value::Int(i64::from(row.try_get::<bool, _>(i)?)),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Value::Text(row.try_get::<String, _>(i)?),
        other => {
            return Err(Error::Corrupt(format!(
                "column {i} has SQL type {other}, which read models do not use"
            )));
        }
    })
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Value> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    if let Ok(v) = row.try_get::<i64, _>(i) {
        return Ok(Value::Int(v));
    }
    Ok(Value::Text(row.try_get::<String, _>(i)?))
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b {
                Value::Int(v) => q.bind(*v),
                Value::Text(s) => q.bind(s.as_str()),
                Value::Null => q.bind(None::<String>),
            };
        }
        q
    }};
}

/// Most bound parameters in one SQLite statement.
const SQLITE_MAX_PARAMS: usize = 30_000;
/// Bytes sent per `COPY` data message.
const COPY_CHUNK: usize = 1 << 20;

/// Writes one value in `COPY` text format: `\N` for NULL, text with backslash, tab, newline
/// and carriage return escaped.
fn copy_value(buf: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => buf.extend_from_slice(b"\\N"),
        Value::Int(v) => buf.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
        // Most text has no control character and no backslash: copied in one go.
        Value::Text(s) if !s.bytes().any(|b| b < 0x20 || b == b'\\') => {
            buf.extend_from_slice(s.as_bytes());
        }
        Value::Text(s) => {
            for &b in s.as_bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(b),
                }
            }
        }
    }
}

impl Tx {
    /// Runs a statement without parameters; returns the rows affected.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn execute(&mut self, sql: &str) -> Result<u64> {
        Ok(match self {
            Self::Postgres(tx) => sqlx::query(sql).execute(&mut **tx).await?.rows_affected(),
            Self::Sqlite(tx) => sqlx::query(sql).execute(&mut **tx).await?.rows_affected(),
        })
    }

    /// Runs a query with `?` placeholders; returns every row as values.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`] for a column type read models do not use.
    pub async fn fetch(&mut self, sql: &str, binds: &[Value]) -> Result<Vec<Vec<Value>>> {
        match self {
            Self::Postgres(tx) => {
                let sql = numbered(sql);
                let rows = bind_all!(sqlx::query(&sql), binds)
                    .fetch_all(&mut **tx)
                    .await?;
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| pg_value(r, i)).collect())
                    .collect()
            }
            Self::Sqlite(tx) => {
                let rows = bind_all!(sqlx::query(sql), binds)
                    .fetch_all(&mut **tx)
                    .await?;
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| sqlite_value(r, i)).collect())
                    .collect()
            }
        }
    }

    /// Reads one `rm_meta` row.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn meta(&mut self, name: &str) -> Result<Option<Meta>> {
        let rows = self
            .fetch(
                "SELECT generation, position FROM rm_meta WHERE name = ?",
                &[Value::Text(name.to_owned())],
            )
            .await?;
        Ok(rows.into_iter().next().map(|r| Meta {
            generation: as_u64(r.first().and_then(Value::as_int).unwrap_or(0)),
            position: as_u64(r.get(1).and_then(Value::as_int).unwrap_or(0)),
        }))
    }

    /// The live generation and checkpoint.
    ///
    /// # Errors
    /// [`Error::NotMigrated`] when there is none; [`Error::Database`].
    pub async fn live(&mut self) -> Result<Meta> {
        match self.meta("live").await {
            Ok(Some(meta)) => Ok(meta),
            Ok(None) => Err(Error::NotMigrated),
            // No meta table: not migrated.
            Err(Error::Database(sqlx::Error::Database(e))) if e.message().contains("rm_meta") => {
                Err(Error::NotMigrated)
            }
            Err(e) => Err(e),
        }
    }

    /// Moves a meta row from (`generation`, `from`) to `to`, only if it is still there: the
    /// optimistic check that makes a batch take effect once. Returns whether it moved.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn advance(
        &mut self,
        name: &str,
        generation: u64,
        from: u64,
        to: u64,
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE rm_meta SET position = {} WHERE name = '{name}' AND generation = {} \
             AND position = {}",
            sql_position(to),
            sql_position(generation),
            sql_position(from)
        );
        Ok(self.execute(&sql).await? == 1)
    }

    /// Sets a meta row (insert or replace).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn set_meta(&mut self, name: &str, meta: Meta) -> Result<()> {
        self.execute(&format!("DELETE FROM rm_meta WHERE name = '{name}'"))
            .await?;
        self.execute(&format!(
            "INSERT INTO rm_meta (name, generation, position) VALUES ('{name}', {}, {})",
            sql_position(meta.generation),
            sql_position(meta.position)
        ))
        .await?;
        Ok(())
    }

    /// Records that `generation` has the shape this code writes.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn record_shape(&mut self, generation: u64) -> Result<()> {
        self.set_meta(
            &format!("shape:{generation}"),
            Meta {
                generation,
                position: shape(),
            },
        )
        .await
    }

    /// Inserts row versions into `table` of `generation`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn insert(
        &mut self,
        generation: u64,
        table: &TableDef,
        rows: &[PendingRow],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let name = table_name(generation, table);
        let versioned = table.kind == Kind::Versioned;
        let mut names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        names.push("valid_from");
        if versioned {
            names.push("valid_to");
        }
        let column_list = names.join(", ");
        match self {
            Self::Postgres(tx) => {
                // COPY in text format: several times cheaper for the server than INSERT.
                let sql = format!("COPY {name} ({column_list}) FROM STDIN");
                let mut copy = tx.copy_in_raw(&sql).await?;
                // One buffer, reused for every chunk.
                let mut buf = Vec::with_capacity(COPY_CHUNK + 4096);
                for r in rows {
                    for v in &r.values {
                        copy_value(&mut buf, v);
                        buf.push(b'\t');
                    }
                    copy_value(&mut buf, &Value::Int(sql_position(r.from)));
                    if versioned {
                        buf.push(b'\t');
                        let to = r.to.map_or(Value::Null, |to| Value::Int(sql_position(to)));
                        copy_value(&mut buf, &to);
                    }
                    buf.push(b'\n');
                    if buf.len() >= COPY_CHUNK {
                        copy.send(buf.as_slice()).await?;
                        buf.clear();
                    }
                }
                if !buf.is_empty() {
                    copy.send(buf.as_slice()).await?;
                }
                copy.finish().await?;
            }
            Self::Sqlite(tx) => {
                let per_row = names.len();
                let placeholders = format!("({})", vec!["?"; per_row].join(", "));
                for chunk in rows.chunks((SQLITE_MAX_PARAMS / per_row).max(1)) {
                    let sql = format!(
                        "INSERT INTO {name} ({column_list}) VALUES {}",
                        vec![placeholders.as_str(); chunk.len()].join(", ")
                    );
                    let mut q = sqlx::query(&sql);
                    for r in chunk {
                        for v in &r.values {
                            q = match v {
                                Value::Int(v) => q.bind(*v),
                                Value::Text(s) => q.bind(s.as_str()),
                                Value::Null => q.bind(None::<i64>),
                            };
                        }
                        q = q.bind(sql_position(r.from));
                        if versioned {
                            q = q.bind(r.to.map(sql_position));
                        }
                    }
                    q.execute(&mut **tx).await?;
                }
            }
        }
        Ok(())
    }

    /// Closes open row versions of a versioned `table`.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`] when a version to close is not there.
    pub async fn close(
        &mut self,
        generation: u64,
        table: &TableDef,
        closes: &[Close],
    ) -> Result<()> {
        if closes.is_empty() {
            return Ok(());
        }
        let name = table_name(generation, table);
        let key = table.columns[0].name;
        let mut affected = 0;
        match self {
            Self::Postgres(tx) => {
                let sql = format!(
                    "UPDATE {name} SET valid_to = u.vt FROM UNNEST($1::TEXT[], $2::BIGINT[], \
                     $3::BIGINT[]) AS u(k, vf, vt) WHERE {name}.{key} = u.k \
                     AND {name}.valid_from = u.vf AND {name}.valid_to IS NULL"
                );
                affected += sqlx::query(&sql)
                    .bind(closes.iter().map(|c| c.key.as_str()).collect::<Vec<_>>())
                    .bind(
                        closes
                            .iter()
                            .map(|c| sql_position(c.from))
                            .collect::<Vec<_>>(),
                    )
                    .bind(
                        closes
                            .iter()
                            .map(|c| sql_position(c.to))
                            .collect::<Vec<_>>(),
                    )
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
            }
            Self::Sqlite(tx) => {
                let sql = format!(
                    "UPDATE {name} SET valid_to = ? WHERE {key} = ? AND valid_from = ? \
                     AND valid_to IS NULL"
                );
                for c in closes {
                    affected += sqlx::query(&sql)
                        .bind(sql_position(c.to))
                        .bind(c.key.as_str())
                        .bind(sql_position(c.from))
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                }
            }
        }
        if affected != closes.len() as u64 {
            return Err(Error::Corrupt(format!(
                "{name}: closed {affected} of {} open versions",
                closes.len()
            )));
        }
        Ok(())
    }

    /// Commits.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn commit(self) -> Result<()> {
        match self {
            Self::Postgres(tx) => tx.commit().await?,
            Self::Sqlite(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Rolls back.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn rollback(self) -> Result<()> {
        match self {
            Self::Postgres(tx) => tx.rollback().await?,
            Self::Sqlite(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in DDL reference equals what the code creates; `UPDATE_PROJECTION_SCHEMA=1`
    /// rewrites it.
    #[test]
    fn checked_in_ddl_matches_the_code() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/projections");
        for (dialect, file) in [
            (Dialect::Postgres, "postgres.sql"),
            (Dialect::Sqlite, "sqlite.sql"),
        ] {
            let text = format!(
                "-- Read-model tables, generation 1, as `ledger-projections` creates them ({file}).\n\
                 -- Generated from crates/ledger-projections/src/tables.rs: do not edit; run\n\
                 -- UPDATE_PROJECTION_SCHEMA=1 cargo test -p ledger-projections checked_in_ddl\n\
                 -- A rebuild creates generation g+1 with the same shape (`rm{{g}}_…`).\n\n\
                 CREATE TABLE rm_meta (name TEXT PRIMARY KEY, generation BIGINT NOT NULL, \
                 position BIGINT NOT NULL);\n\n{}",
                dialect.generation_ddl(1)
            );
            let path = dir.join(file);
            if std::env::var_os("UPDATE_PROJECTION_SCHEMA").is_some() {
                std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            let stored = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                stored == text,
                "{} differs from the code; run UPDATE_PROJECTION_SCHEMA=1 cargo test -p \
                 ledger-projections checked_in_ddl",
                path.display()
            );
        }
    }

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut buf = Vec::new();
        for v in [
            Value::Text("Đề án\t10\\ĐA\nTU\r".into()),
            Value::Null,
            Value::Int(-42),
            Value::Text("plain".into()),
        ] {
            copy_value(&mut buf, &v);
            buf.push(b'|');
        }
        assert_eq!(
            String::from_utf8(buf).unwrap_or_default(),
            "Đề án\\t10\\\\ĐA\\nTU\\r|\\N|-42|plain|"
        );
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            numbered("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }
}
