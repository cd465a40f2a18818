//! Append throughput beside the peers, on the same PostgreSQL, in one run.
//!
//! The workload of `../shared/peers/`: TASKS task aggregates, each receiving UPDATES commands
//! (one "assigned", then "progress reported"), issued by WORKERS concurrent clients; each
//! command loads its aggregate, decides and appends one event (cqrs-es `CqrsFramework::execute`).
//! It runs, for each worker count:
//! - the ledger on PostgreSQL (cqrs-es aggregates over `LedgerRepository<PostgresStore>`:
//!   gapless global order, leaf hashes, Merkle head, group commit);
//! - cqrs-es 0.5 + postgres-es 0.5, the same aggregate and commands;
//! - the ledger on SQLite;
//! - Python eventsourcing 9.5.6 (`../shared/peers/py-eventsourcing/bench.py`), when its
//!   virtualenv exists (`VENV`, default `/tmp/es-venv`, made by `../shared/peers/run.sh`).
//!
//! Environment: `TASKS` (2000), `UPDATES` (10), `WORKERS` (comma list, "1,32"),
//! `BENCH_DATABASE_URL` (else `LEDGER_TEST_DATABASE_URL`, else the local default server).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use cqrs_es::persist::{PersistedEventRepository, PersistedEventStore};
use cqrs_es::{Aggregate, CqrsFramework, DomainEvent, EventStore as _};
use ledger_store::cqrs::{CommandContext, LedgerRepository};
use ledger_store::{Actor, EventStore, Metadata, ReadAll};
use ledger_store_postgres::PostgresStore;
use ledger_store_sqlite::SqliteStore;
use postgres_es::PostgresEventRepository;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Task {
    assigned: bool,
    percent: u8,
    reports: u32,
}

#[derive(Debug)]
enum Cmd {
    Assign { unit: String, deadline: String },
    Report { percent: u8, note: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Ev {
    Assigned { unit: String, deadline: String },
    ProgressReported { percent: u8, note: String },
}

impl DomainEvent for Ev {
    fn event_type(&self) -> String {
        match self {
            Ev::Assigned { .. } => "Assigned".into(),
            Ev::ProgressReported { .. } => "ProgressReported".into(),
        }
    }
    fn event_version(&self) -> String {
        "1".into()
    }
}

#[derive(Debug)]
struct Refused(&'static str);
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for Refused {}

impl Aggregate for Task {
    const TYPE: &'static str = "task";
    type Command = Cmd;
    type Event = Ev;
    type Error = Refused;
    type Services = ();
    async fn handle(
        &mut self,
        c: Cmd,
        _: &(),
        sink: &cqrs_es::event_sink::EventSink<Self>,
    ) -> Result<(), Refused> {
        match c {
            Cmd::Assign { unit, deadline } => {
                if self.assigned {
                    return Err(Refused("already assigned"));
                }
                sink.write(Ev::Assigned { unit, deadline }, self).await;
            }
            Cmd::Report { percent, note } => {
                if !self.assigned {
                    return Err(Refused("not assigned"));
                }
                sink.write(Ev::ProgressReported { percent, note }, self)
                    .await;
            }
        }
        Ok(())
    }
    fn apply(&mut self, e: Ev) {
        match e {
            Ev::Assigned { .. } => self.assigned = true,
            Ev::ProgressReported { percent, .. } => {
                self.percent = percent;
                self.reports += 1;
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Workload {
    tasks: usize,
    updates: usize,
    workers: usize,
}

impl Workload {
    fn events(&self) -> usize {
        self.tasks * self.updates
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Drives the workload through any cqrs-es event store; `metadata` is what each command
/// carries. Returns events/s.
async fn drive<ES>(
    cqrs: Arc<CqrsFramework<Task, ES>>,
    w: Workload,
    metadata: std::collections::HashMap<String, String>,
) -> f64
where
    ES: cqrs_es::EventStore<Task> + Send + Sync + 'static,
    ES::AC: Send,
{
    let start = Instant::now();
    let mut handles = Vec::new();
    for worker in 0..w.workers {
        let cqrs = cqrs.clone();
        let metadata = metadata.clone();
        handles.push(tokio::spawn(async move {
            let mut t = worker;
            while t < w.tasks {
                let id = format!("task-{t}");
                let assign = Cmd::Assign {
                    unit: format!("unit-{}", t % 40),
                    deadline: "2022-12-31".into(),
                };
                cqrs.execute_with_metadata(&id, assign, metadata.clone())
                    .await
                    .unwrap();
                for u in 1..w.updates {
                    let report = Cmd::Report {
                        percent: (u * 10).min(100) as u8,
                        note: "Đã triển khai quán triệt, ban hành kế hoạch thực hiện".into(),
                    };
                    cqrs.execute_with_metadata(&id, report, metadata.clone())
                        .await
                        .unwrap();
                }
                t += w.workers;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    w.events() as f64 / start.elapsed().as_secs_f64()
}

/// Reads every task stream back through the repository; returns events/s.
async fn read_back<R: PersistedEventRepository>(repo: &R, w: Workload) -> f64 {
    let start = Instant::now();
    let mut n = 0;
    for t in 0..w.tasks {
        n += repo
            .get_events::<Task>(&format!("task-{t}"))
            .await
            .unwrap()
            .len();
    }
    assert_eq!(n, w.events(), "every event reads back");
    n as f64 / start.elapsed().as_secs_f64()
}

fn context() -> std::collections::HashMap<String, String> {
    let mut metadata = Metadata::new(Actor {
        subject: "bench".into(),
        display_name: "Benchmark".into(),
        role: "secretariat".into(),
    });
    metadata.acting_unit = Some("ban-noi-chinh".into());
    CommandContext {
        metadata,
        effective_at: None,
    }
    .to_cqrs_metadata()
}

/// Checks what the ledger promises on top of throughput: positions 1..=n with no gap and a
/// head root equal to the RFC 9162 root over the stored leaves.
async fn check_log<S: EventStore>(store: &S, expected: usize) {
    let mut leaves = Vec::with_capacity(expected);
    let mut after = 0;
    loop {
        let page = store
            .read_all(&ReadAll::after(after, 10_000))
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        for e in page {
            assert_eq!(e.position, after + 1, "gapless");
            after = e.position;
            leaves.push(e.leaf_hash);
        }
    }
    assert_eq!(leaves.len(), expected);
    let head = store.head().await.unwrap();
    assert_eq!(
        head.root,
        ledger_proof::root_from_leaves(&leaves),
        "Merkle head"
    );
}

/// The ceiling the workload's reads alone set on this machine: as many aggregate loads as the
/// workload has commands (each stream read at its average length), from `workers` clients,
/// with no writes. Returns loads/s.
async fn loads_alone<S: EventStore>(store: &S, w: Workload) -> f64 {
    let start = Instant::now();
    let mut handles = Vec::new();
    for worker in 0..w.workers {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut n = worker;
            while n < w.events() {
                let id = format!("task-{}", n % w.tasks);
                let from = (w.updates / 2).max(1) as u64;
                store.read_stream_bodies(&id, from, 10_000).await.unwrap();
                n += w.workers;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    w.events() as f64 / start.elapsed().as_secs_f64()
}

async fn ours_postgres(server: &str, w: Workload) -> (f64, f64, f64) {
    let url = ledger_bench::fresh_database(server, "ledger_bench_ours").await;
    let store = PostgresStore::connect(&url, w.workers as u32 + 2)
        .await
        .unwrap();
    let repo = LedgerRepository::new(store.clone());
    let cqrs = Arc::new(CqrsFramework::new(
        PersistedEventStore::<_, Task>::new_event_store(repo.clone()),
        vec![],
        (),
    ));
    let write = drive(cqrs, w, context()).await;
    let read = read_back(&repo, w).await;
    check_log(&store, w.events()).await;
    let loads = loads_alone(&store, w).await;
    (write, read, loads)
}

async fn peer_postgres_es(server: &str, w: Workload) -> (f64, f64) {
    let url = ledger_bench::fresh_database(server, "ledger_bench_peer").await;
    let pool = PgPoolOptions::new()
        .max_connections(w.workers as u32 + 2)
        .connect(&url)
        .await
        .unwrap();
    // postgres-es's own schema (as in its README and ../shared/peers/cqrs-es-append).
    sqlx::query(
        "CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL, \
         sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL, \
         event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL, \
         PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    )
    .execute(&pool)
    .await
    .unwrap();
    let repo = PostgresEventRepository::new(pool.clone());
    let cqrs = Arc::new(CqrsFramework::new(
        PersistedEventStore::<_, Task>::new_event_store(repo),
        vec![],
        (),
    ));
    let write = drive(cqrs, w, std::collections::HashMap::new()).await;
    let read = read_back(&PostgresEventRepository::new(pool), w).await;
    (write, read)
}

async fn ours_sqlite(w: Workload) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("bench.db"))
        .await
        .unwrap();
    let repo = LedgerRepository::new(store.clone());
    let event_store = PersistedEventStore::<_, Task>::new_event_store(repo.clone());
    // Touch the store once so the file and schema exist before the clock starts.
    let _ = event_store.load_events("warm-up").await;
    let cqrs = Arc::new(CqrsFramework::new(event_store, vec![], ()));
    let write = drive(cqrs, w, context()).await;
    let read = read_back(&repo, w).await;
    check_log(&store, w.events()).await;
    (write, read)
}

/// Runs the Python eventsourcing peer if its virtualenv is there; returns its output line.
fn python_peer(server: &str, w: Workload) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let script = root.join("shared/peers/py-eventsourcing/bench.py");
    let venv = PathBuf::from(std::env::var("VENV").unwrap_or_else(|_| "/tmp/es-venv".into()));
    let python = venv.join("bin/python");
    if !script.exists() || !python.exists() {
        return format!(
            "skipped (needs {} and {}; ../shared/peers/run.sh makes the virtualenv)",
            script.display(),
            python.display()
        );
    }
    let db = "ledger_bench_py";
    let rt = tokio::runtime::Handle::current();
    let url = tokio::task::block_in_place(|| rt.block_on(ledger_bench::fresh_database(server, db)));
    let host_port = url
        .split('?')
        .next()
        .unwrap_or_default()
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432")
        .to_owned();
    let (host, port) = host_port.split_once(':').unwrap_or((&host_port, "5432"));
    let out = std::process::Command::new(python)
        .arg(&script)
        .env("TASKS", w.tasks.to_string())
        .env("UPDATES", w.updates.to_string())
        .env("WORKERS", w.workers.to_string())
        .env("POSTGRES_DBNAME", db)
        .env("POSTGRES_HOST", host)
        .env("POSTGRES_PORT", port)
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).replace('\n', "  "),
        Ok(o) => format!("failed: {}", String::from_utf8_lossy(&o.stderr).trim()),
        Err(e) => format!("failed to start: {e}"),
    }
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let server = ledger_bench::server_url();
    let tasks = env_usize("TASKS", 2000);
    let updates = env_usize("UPDATES", 10);
    let workers: Vec<usize> = std::env::var("WORKERS")
        .unwrap_or_else(|_| "1,32".into())
        .split(',')
        .filter_map(|w| w.trim().parse().ok())
        .filter(|w| *w > 0)
        .collect();
    println!("append benchmark: {tasks} tasks x {updates} updates, PostgreSQL at {server}");
    for workers in workers {
        let w = Workload {
            tasks,
            updates,
            workers,
        };
        println!("\nworkers = {workers} ({} events per run)", w.events());
        let (ours_w, ours_r, loads) = ours_postgres(&server, w).await;
        println!(
            "  ledger (PostgreSQL)       write {ours_w:>8.0} events/s   read back {ours_r:>8.0} events/s"
        );
        let (peer_w, peer_r) = peer_postgres_es(&server, w).await;
        println!(
            "  cqrs-es + postgres-es     write {peer_w:>8.0} events/s   read back {peer_r:>8.0} events/s"
        );
        println!(
            "  ratio ledger / cqrs-es    write {:>8.2}x",
            ours_w / peer_w
        );
        println!(
            "  ceiling: aggregate loads alone, no writes: {loads:>8.0} loads/s = {:.2}x cqrs-es",
            loads / peer_w
        );
        let (lite_w, lite_r) = ours_sqlite(w).await;
        println!(
            "  ledger (SQLite)           write {lite_w:>8.0} events/s   read back {lite_r:>8.0} events/s"
        );
        println!("  python eventsourcing      {}", python_peer(&server, w));
    }
}
