//! `ledger-rebuild DATABASE_URL`: rebuilds every read model of a ledger database while the
//! current ones keep serving, then swaps them in (see `docs/projections.md`).
//!
//! `DATABASE_URL` is `postgres://…` or `sqlite://PATH`. Progress goes to standard error;
//! the summary to standard output. Exit codes: 0 done, 1 the rebuild failed (the message
//! says why; the live read models are untouched), 2 bad usage.

use std::process::ExitCode;
use std::time::Duration;

use ledger_projections::{Db, Progress, ProjectorOptions, rebuild};
use ledger_store::EventStore;
use ledger_store_postgres::PostgresStore;
use ledger_store_sqlite::SqliteStore;

/// Projection allocates and frees many small strings; see `docs/PERFORMANCE.md`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: ledger-rebuild DATABASE_URL
  DATABASE_URL   postgres://user@host/db or sqlite://path/to/ledger.db
Rebuilds every read model from the log without downtime, then swaps them in.";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = match args.as_slice() {
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [url] => url.clone(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match PostgresStore::connect(&url, 4).await {
            Ok(store) => {
                let db = Db::Postgres(store.pool().clone());
                run(&store, &db).await
            }
            Err(e) => Err(format!("cannot open {url}: {e}")),
        }
    } else if url.starts_with("sqlite:") {
        match SqliteStore::connect(&url).await {
            Ok(store) => {
                let db = Db::Sqlite(store.pool().clone());
                run(&store, &db).await
            }
            Err(e) => Err(format!("cannot open {url}: {e}")),
        }
    } else {
        eprintln!("ledger-rebuild: {url:?} is neither a postgres:// nor a sqlite: URL\n{USAGE}");
        return ExitCode::from(2);
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ledger-rebuild: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run<S: EventStore>(store: &S, db: &Db) -> Result<(), String> {
    db.migrate()
        .await
        .map_err(|e| format!("cannot set up the read models: {e}"))?;
    let options = ProjectorOptions {
        batch_size: 10_000,
        poll_interval: Duration::from_secs(1),
        crash: None,
    };
    // A line per tenth of the bulk load, and one per other phase.
    let mut next_tenth = 1;
    let mut last_phase = "";
    let mut report = |p: &Progress| {
        let tenth_done = p.target > 0 && p.position * 10 >= p.target * next_tenth;
        if p.phase == "bulk load" && tenth_done {
            next_tenth = p.position * 10 / p.target + 1;
            eprintln!("{p}");
        } else if p.phase != "bulk load" && p.phase != last_phase {
            eprintln!("{}…", p.phase);
        }
        last_phase = p.phase;
    };
    let summary = rebuild(store, db, &options, &mut report)
        .await
        .map_err(|e| format!("rebuild failed, the live read models are unchanged: {e}"))?;
    #[allow(clippy::cast_precision_loss)]
    let rate = summary.bulk_events as f64 / summary.total_seconds.max(1e-9);
    println!(
        "read models rebuilt: generation {} live at position {}, {} events in {:.1}s ({rate:.0} events/s)",
        summary.generation, summary.position, summary.bulk_events, summary.total_seconds
    );
    Ok(())
}
