//! What the worst requests the server accepts cost, at its limits: time to answer and the
//! growth of the process's peak resident memory while answering (the server runs in this
//! process; the peak is reset before each request through `/proc/self/clear_refs`). Every
//! answer is computed (no shared answers); the read models' memo is defeated by asking each
//! heavy question about days not asked before. Also what refusing the hostile documents costs.
//!
//! Two datasets on PostgreSQL: the demo and, unless `EVENTS=0`, a generated ledger of `EVENTS`
//! events (default 1,000,000). `RUNS` (default 3) requests per case, `KEEP_LOG` reuses the
//! generated ledger of the GraphQL bench, `BENCH_DATABASE_URL`.

// A benchmark: a failed unwrap stops it with its location.
#![allow(clippy::unwrap_used)]

#[path = "common/client.rs"]
mod client;
#[path = "common/generated.rs"]
mod generated;

use std::time::{Duration, Instant};

use ledger_app::CommandPath;
use ledger_bench::env_u64;
use ledger_graphql::auth::{Keys, Principal, Role};
use ledger_server::Ledger;
use ledger_server::store::AnyStore;
use ledger_store::EventStore;
use ledger_store_postgres::PostgresStore;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A kibibyte count from `/proc/self/status`.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Sends one query; answers the status, the body's size and the start of its first error.
async fn post(
    addr: std::net::SocketAddr,
    token: Option<&str>,
    query: &str,
) -> (u16, usize, String) {
    let (status, body) = client::post(addr, token, query).await;
    let error = body
        .split("\"message\":\"")
        .nth(1)
        .and_then(|c| c.split('"').next())
        .map_or(String::new(), |m| m.chars().take(60).collect());
    (status, body.len(), error)
}

/// Days not asked before: each run and alias asks about its own day.
fn day(n: usize) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap();
    (base + chrono::Days::new(u64::try_from(n).unwrap())).to_string()
}

/// Fragments each spreading the next twice, `levels` deep, ending in `leaf`.
fn doubling(levels: usize, leaf: &str) -> String {
    let mut text = String::from("query { ...F0 }\n");
    for i in 0..levels {
        text.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{} ...F{} }}\n",
            i + 1,
            i + 1
        ));
    }
    text.push_str(&format!("fragment F{levels} on QueryRoot {{ {leaf} }}\n"));
    text
}

/// The cases: a name, whether anonymous, and the query of run `r`.
type Case = (&'static str, bool, Box<dyn Fn(usize) -> String>);

fn cases(plan: &'static str, unit: &'static str) -> Vec<Case> {
    vec![
        (
            "4 aliases × tasks on a new day (full scans)",
            false,
            Box::new(|r| {
                let fields: String = (0..4)
                    .map(|i| format!("a{i}: tasks(on: \"{}\", first: 10) {{ totalCount nodes {{ status }} }} ", day(r * 4 + i)))
                    .collect();
                format!("{{ {fields} }}")
            }),
        ),
        (
            "4 aliases × progress by group on a new day (anonymous)",
            true,
            Box::new(|r| {
                let fields: String = (0..4)
                    .map(|i| format!("a{i}: progress(by: GROUP, on: \"{}\") {{ items {{ key tasks progress }} }} ", day(1000 + r * 4 + i)))
                    .collect();
                format!("{{ {fields} }}")
            }),
        ),
        (
            "4 aliases × compliance matrix on a new day",
            false,
            Box::new(move |r| {
                let fields: String = (0..4)
                    .map(|i| format!("a{i}: complianceMatrix(plan: \"{plan}\", on: \"{}\") {{ matrix {{ periods rows {{ unitId cells {{ status }} }} }} }} ", day(2000 + r * 4 + i)))
                    .collect();
                format!("{{ {fields} }}")
            }),
        ),
        (
            "5 aliases × progress (refused: complexity)",
            true,
            Box::new(|r| {
                let fields: String = (0..5)
                    .map(|i| {
                        format!(
                            "a{i}: progress(by: GROUP, on: \"{}\") {{ items {{ key }} }} ",
                            day(3000 + r * 5 + i)
                        )
                    })
                    .collect();
                format!("{{ {fields} }}")
            }),
        ),
        (
            "largest page: units(first: 100) with every field, 3 aliases",
            false,
            Box::new(|_| {
                let page = "units(first: 100) { nodes { id kind name parent establishedOn status endedOn mergedInto successors basis nameOn parentOn successorChain predecessors } }";
                format!("{{ a0: {page} a1: {page} a2: {page} }}")
            }),
        ),
        (
            "fragments expanded to 1,024 fields (accepted)",
            false,
            Box::new(move |_| doubling(9, &format!("unit(id: \"{unit}\") {{ name }}"))),
        ),
        (
            "fragments to 2^21 fields, 1 KB (refused)",
            true,
            Box::new(|_| doubling(21, "checkpoint { head }")),
        ),
        (
            "fragments to 2^30 fields (refused)",
            true,
            Box::new(|_| doubling(30, "checkpoint { head }")),
        ),
    ]
}

async fn measure(name: &str, store: AnyStore, plan: &'static str, unit: &'static str, runs: usize) {
    let keys = Keys::hs256(b"benchmark secret, long enough for HS256");
    let ledger = Ledger::start(store.clone(), keys.clone(), true, true).with_answer_budget(0);
    let served = client::Served::start(ledger, &store).await;
    let addr = served.addr;
    let token = keys
        .issue(
            &Principal {
                subject: "bench-inspector".into(),
                name: "Thanh tra".into(),
                role: Role::Inspector,
                unit: None,
            },
            3600,
        )
        .unwrap();
    let head = store.head().await.unwrap().size;
    println!("\n{name} ({head} events), {runs} runs a case, every answer computed:");
    println!(
        "  {:<62} {:>10} {:>10} {:>12} {:>10}  answer",
        "case", "bytes in", "worst ms", "answer bytes", "peak +MiB"
    );
    for (case, anonymous, query) in cases(plan, unit) {
        let mut worst = Duration::ZERO;
        let mut peak_growth = 0u64;
        let mut outcome = (0, 0, String::new());
        let size = query(0).len();
        for r in 0..runs {
            let q = query(r);
            // Reset the peak resident size to the current one, then ask.
            let _ = std::fs::write("/proc/self/clear_refs", "5");
            let before = status_kib("VmRSS:");
            let started = Instant::now();
            outcome = post(addr, (!anonymous).then_some(token.as_str()), &q).await;
            worst = worst.max(started.elapsed());
            if std::env::var_os("VERBOSE").is_some() {
                eprintln!("    {case} run {r}: {:?}", started.elapsed());
            }
            peak_growth = peak_growth.max(status_kib("VmHWM:").saturating_sub(before));
        }
        let (status, bytes, code) = outcome;
        println!(
            "  {case:<62} {size:>10} {:>10.0} {bytes:>12} {:>10.1}  {status} {code}",
            worst.as_secs_f64() * 1000.0,
            peak_growth as f64 / 1024.0
        );
    }
    served.stop().await;
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .init();
    let runs = usize::try_from(env_u64("RUNS", 3)).unwrap();
    let events = env_u64("EVENTS", 1_000_000);
    let server = ledger_bench::server_url();
    println!("Limits: the worst accepted requests, PostgreSQL at {server}");

    let url = ledger_bench::fresh_database(&server, "ledger_bench_limits_demo").await;
    let store = AnyStore::Postgres(PostgresStore::connect(&url, 16).await.unwrap());
    store.read_db().migrate().await.unwrap();
    ledger_app::demo::set_up(&CommandPath::new(store.clone()), |_| {})
        .await
        .unwrap();
    measure("demo", store, "kh-44-kh-tu", "so-tu-phap", runs).await;

    if events > 0 {
        let store = generated::generated_ledger(&server, events).await;
        measure("generated", store, "ke-hoach-0", "don-vi-7", runs).await;
    }
}
