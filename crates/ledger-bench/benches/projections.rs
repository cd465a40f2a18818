//! Read-model rebuild throughput over a generated log (default 1,000,000 events), on PostgreSQL
//! and SQLite.
//!
//! For each backend: a fresh database, the log generated into it (append rate printed too),
//! then `ledger_projections::rebuild` (bulk load, indexes, catch-up, swap) timed end to end,
//! then the incremental projector from position 0 into a second database for comparison.
//! Environment: `EVENTS` (default 1000000), `BACKENDS` (default `postgres,sqlite`),
//! `INCREMENTAL_EVENTS` (default 200000: how much of the log the incremental run projects),
//! `KEEP_LOG` (set: PostgreSQL reuses the log of the previous run instead of generating one),
//! `BENCH_DATABASE_URL` (else `LEDGER_TEST_DATABASE_URL`, else the local default server).

// A benchmark: a failed unwrap stops it with its location.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

/// The projector allocates and frees millions of small strings; glibc's allocator spends a
/// third of the rebuild in `malloc`/`free` here, mimalloc much less (see docs/PERFORMANCE.md:
/// the same run with the system allocator is recorded beside). The `ledger` binary declares it
/// too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ledger_bench::generate::generate;
use ledger_projections::{Db, Progress, Projector, ProjectorOptions, rebuild};
use ledger_store::EventStore;
use ledger_store_postgres::PostgresStore;
use ledger_store_sqlite::SqliteStore;

use ledger_bench::env_u64;

/// Prints a line at every tenth of the way.
fn tenths(label: &'static str) -> impl FnMut(u64, u64) {
    let mut next = 1;
    move |done, total| {
        if total > 0 && done * 10 >= total * next {
            println!("    {label}: {done}/{total}");
            next = done * 10 / total + 1;
        }
    }
}

fn rebuild_progress() -> impl FnMut(&Progress) + Send {
    let mut next = 1;
    move |p: &Progress| {
        if p.phase != "bulk load" || (p.target > 0 && p.position * 10 >= p.target * next) {
            println!("    {p}");
            if p.phase == "bulk load" {
                next = p.position * 10 / p.target + 1;
            }
        }
    }
}

async fn measure<S: EventStore>(name: &str, store: &S, db: &Db, other: &Db, events: u64) {
    let head = store.head().await.unwrap().size;
    if head < events {
        let started = Instant::now();
        generate(store, events - head, &mut tenths("generating")).await;
        let secs = started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = (events - head) as f64 / secs;
        println!(
            "  {name}: generated {} events in {secs:.1}s ({rate:.0} events/s appended)",
            events - head
        );
    }
    db.migrate().await.unwrap();
    let options = ProjectorOptions {
        batch_size: 10_000,
        ..ProjectorOptions::default()
    };
    let mut report = rebuild_progress();
    let summary = rebuild(store, db, &options, &mut report).await.unwrap();
    #[allow(clippy::cast_precision_loss)]
    let (bulk_rate, total_rate) = (
        summary.bulk_events as f64 / summary.bulk_seconds,
        summary.bulk_events as f64 / summary.total_seconds,
    );
    println!(
        "  {name}: rebuild of {} events: {:.1}s in all ({total_rate:.0} events/s end to end); \
         bulk load {:.1}s ({bulk_rate:.0} events/s: waiting for reads {:.1}s, projecting {:.1}s, \
         writing {:.1}s), indexes {:.1}s",
        summary.bulk_events,
        summary.total_seconds,
        summary.bulk_seconds,
        summary.read_wait_seconds,
        summary.apply_seconds,
        summary.write_seconds,
        summary.index_seconds
    );

    let incremental = env_u64("INCREMENTAL_EVENTS", 200_000).min(events);
    other.migrate().await.unwrap();
    let projector = Projector::new(store.clone(), other.clone(), options);
    let started = Instant::now();
    let reached = projector.catch_up_to(incremental).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = reached as f64 / secs;
    println!(
        "  {name}: incremental projector, first {reached} events: {secs:.1}s ({rate:.0} events/s)"
    );
    println!(
        "RESULT {name} events={} rebuild_total_s={:.2} rebuild_events_per_s={total_rate:.0} \
         bulk_events_per_s={bulk_rate:.0} incremental_events_per_s={rate:.0}",
        summary.bulk_events, summary.total_seconds
    );
}

#[tokio::main]
async fn main() {
    let events = env_u64("EVENTS", 1_000_000);
    let backends = std::env::var("BACKENDS").unwrap_or_else(|_| "postgres,sqlite".into());
    println!("projection benchmark: {events} generated events");
    if backends.contains("postgres") {
        let server = ledger_bench::server_url();
        // KEEP_LOG=1 reuses the log a previous run generated (the rebuild makes a new
        // generation of read models beside the old one and drops it).
        let url = if std::env::var_os("KEEP_LOG").is_some() {
            ledger_bench::database_url(&server, "ledger_bench_projections")
        } else {
            ledger_bench::fresh_database(&server, "ledger_bench_projections").await
        };
        let other_url = ledger_bench::fresh_database(&server, "ledger_bench_projections_inc").await;
        let store = PostgresStore::connect(&url, 8).await.unwrap();
        let db = Db::Postgres(store.pool().clone());
        let other = Db::Postgres(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .connect(&other_url)
                .await
                .unwrap(),
        );
        println!("\nPostgreSQL at {server}");
        measure("postgres", &store, &db, &other, events).await;
    }
    if backends.contains("sqlite") {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("ledger.db"))
            .await
            .unwrap();
        let db = Db::Sqlite(store.pool().clone());
        let other_store = SqliteStore::open(dir.path().join("other.db"))
            .await
            .unwrap();
        let other = Db::Sqlite(other_store.pool().clone());
        println!("\nSQLite in {}", dir.path().display());
        measure("sqlite", &store, &db, &other, events).await;
    }
}
