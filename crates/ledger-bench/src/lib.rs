//! Benchmarks of the progress ledger. The benchmarks are in `benches/` (see
//! `docs/PERFORMANCE.md`): `cargo bench -p ledger-bench --bench append` (appends, beside
//! cqrs-es + postgres-es and Python eventsourcing) and `--bench projections` (read-model
//! rebuilds over a generated log of a million events). This library holds what they share.

pub mod generate;

use sqlx::{Connection, Executor, PgConnection};

/// Drops and creates database `name` on the PostgreSQL `server`, returning its URL.
///
/// # Panics
/// When the server cannot be reached or refuses: the benchmark cannot run without it.
pub async fn fresh_database(server: &str, name: &str) -> String {
    let mut conn = PgConnection::connect(server).await.unwrap_or_else(|e| {
        panic!("the benchmark needs PostgreSQL at {server} (set BENCH_DATABASE_URL): {e}")
    });
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        conn.execute(sql.as_str())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    database_url(server, name)
}

/// The URL of database `name` on the server of `server` (same host, user and parameters).
#[must_use]
pub fn database_url(server: &str, name: &str) -> String {
    // Swap the database name, keeping any query parameters (e.g. sslmode).
    let (path, query) = server
        .split_once('?')
        .map_or((server, None), |(p, q)| (p, Some(q)));
    let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A benchmark setting from the environment: `name` as a number, else `default`.
#[must_use]
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The PostgreSQL server benchmarks use: `BENCH_DATABASE_URL`, else `LEDGER_TEST_DATABASE_URL`,
/// else the local default.
#[must_use]
pub fn server_url() -> String {
    std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("LEDGER_TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}
