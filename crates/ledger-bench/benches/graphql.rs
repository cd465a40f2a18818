//! GraphQL load: concurrent clients running the cookbook's questions against the `ledger`
//! server on PostgreSQL, over HTTP, reporting p50, p99 and requests/s.
//!
//! Two datasets: the demo (the cookbook of `docs/graphql.md`, as written), and, unless
//! `EVENTS=0`, a generated ledger of `EVENTS` events (default 1,000,000) with the same
//! questions pointed at its ids. Environment: `CLIENTS` (default 64), `SECONDS` per dataset
//! (default 20), `EVENTS`, `ANSWERS` (`shared`, `fresh`, or both by default), `DEMO=0` (skip the demo), `KEEP_LOG` (reuse the generated ledger of
//! a previous run), `BENCH_DATABASE_URL`.

// A benchmark: a failed unwrap stops it with its location.
#![allow(clippy::unwrap_used)]

#[path = "common/client.rs"]
mod client;
#[path = "common/generated.rs"]
mod generated;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ledger_app::CommandPath;
use ledger_graphql::auth::{Keys, Principal, Role};
use ledger_server::Ledger;
use ledger_server::store::AnyStore;
use ledger_store_postgres::PostgresStore;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ledger_bench::env_u64;

/// Whether answers are shared between callers, in the runs wanted: `ANSWERS=shared`,
/// `ANSWERS=fresh` or both (default): shared answers are what the server does; fresh ones
/// show what each request costs when it is computed (the read models' own memo of the
/// expensive views stays on).
fn modes() -> Vec<bool> {
    match std::env::var("ANSWERS").as_deref() {
        Ok("shared") => vec![true],
        Ok("fresh") => vec![false],
        _ => vec![true, false],
    }
}

/// The cookbook's questions: (title, role, query).
fn cookbook() -> Vec<(String, Role, String)> {
    ledger_graphql::cookbook()
        .into_iter()
        .map(|q| (q.title, q.role, q.query))
        .collect()
}

/// The same questions for a generated ledger (its ids).
fn generated_questions() -> Vec<(String, Role, String)> {
    [
        ("history of a task", Role::Inspector, r#"{ history(streamId: "task/nhiem-vu-7") { position entries { eventType actor changes { field before after } } } }"#),
        ("compliance matrix", Role::Supervisor, r#"{ complianceMatrix(plan: "ke-hoach-0", on: "2024-09-30") { position matrix { periods rows { unitId cells { status } } } } }"#),
        ("progress by group", Role::Supervisor, r#"{ progress(by: GROUP, on: "2024-12-31") { position items { key tasks progress } } }"#),
        ("overdue, as of a position", Role::Supervisor, r#"{ tasks(on: "2023-07-15", asOf: {position: 500000}, filter: {overdue: true}, first: 20) { position totalCount } }"#),
        ("overdue, now", Role::Supervisor, r#"{ tasks(on: "2023-07-15", filter: {overdue: true}, first: 20) { position totalCount } }"#),
        ("a unit on a day", Role::Inspector, r#"{ unit(id: "don-vi-7", on: "2024-01-01") { name nameOn successorChain } }"#),
        ("missing unit plans", Role::Supervisor, r#"{ missingUnitPlans(plan: "ke-hoach-3", on: "2025-12-31") { items { unitId } } }"#),
        ("recommendations", Role::Supervisor, r#"{ recommendations(on: "2024-12-31", filter: {overdue: true}, first: 20) { totalCount nodes { overdue recommendation { key } } } }"#),
        ("obstacles", Role::Supervisor, r#"{ obstacles(on: "2024-12-31", filter: {open: true}, first: 20) { totalCount nodes { open ageDays } } }"#),
        ("late reports", Role::Supervisor, r#"{ reports(filter: {plan: "ke-hoach-0", late: true}, first: 20) { totalCount nodes { key review } } }"#),
        ("audit filter", Role::Inspector, r#"{ events(filter: {eventTypes: ["DeadlineExtended"]}, first: 20) { totalCount } }"#),
        ("freshness", Role::Supervisor, r#"{ checkpoint { lag } }"#),
    ]
    .into_iter()
    .map(|(t, r, q)| (t.to_owned(), r, q.to_owned()))
    .collect()
}

/// Sends one query; answers the status and, for a failed answer, its body.
async fn post(addr: std::net::SocketAddr, token: &str, query: &str) -> (u16, Option<String>) {
    let (status, body) = client::post(addr, Some(token), query).await;
    let failed = (status != 200 || body.contains("\"errors\"")).then_some(body);
    (status, failed)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn load(
    name: &str,
    shared: bool,
    store: AnyStore,
    questions: Vec<(String, Role, String)>,
    clients: u64,
    seconds: u64,
) {
    let keys = Keys::hs256(b"benchmark secret, long enough for HS256");
    let ledger =
        Ledger::start(store.clone(), keys.clone(), false, true).with_answer_budget(if shared {
            ledger_graphql::answers::DEFAULT_ANSWER_BUDGET
        } else {
            0
        });
    let served = client::Served::start(ledger, &store).await;
    let addr = served.addr;
    let tokens: Vec<String> = Role::ALL
        .iter()
        .map(|role| {
            keys.issue(
                &Principal {
                    subject: format!("bench-{role}"),
                    name: "Benchmark".into(),
                    role: *role,
                    unit: Some("so-tu-phap".parse().unwrap()),
                },
                86_400,
            )
            .unwrap()
        })
        .collect();
    let token_of = |role: Role| tokens[Role::ALL.iter().position(|r| *r == role).unwrap()].clone();
    // One warm-up pass, checking every question answers without errors.
    for (title, role, query) in &questions {
        if let (status, Some(body)) = post(addr, &token_of(*role), query).await {
            println!("  warning: {title:?} answered {status}: {body}");
        }
    }
    let questions = Arc::new(
        questions
            .into_iter()
            .map(|(t, r, q)| (t, token_of(r), q))
            .collect::<Vec<_>>(),
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for client in 0..clients {
        let questions = questions.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples: Vec<(usize, Duration)> = Vec::new();
            let mut failures: Vec<(usize, String)> = Vec::new();
            let mut i = usize::try_from(client).unwrap_or(0);
            while Instant::now() < deadline {
                let q = i % questions.len();
                let started = Instant::now();
                match post(addr, &questions[q].1, &questions[q].2).await {
                    (_, None) => samples.push((q, started.elapsed())),
                    (status, Some(body)) => failures.push((q, format!("{status}: {body}"))),
                }
                i += 1;
            }
            (samples, failures)
        }));
    }
    let started = Instant::now();
    let mut all: Vec<(usize, Duration)> = Vec::new();
    let mut failures: Vec<(usize, String)> = Vec::new();
    for t in tasks {
        let (samples, failed) = t.await.unwrap();
        all.extend(samples);
        failures.extend(failed);
    }
    // Failed answers are not counted as requests served; say how many there were.
    if let Some((q, body)) = failures.first() {
        println!(
            "  {} failed answers (not counted); the first, to {:?}: {}",
            failures.len(),
            questions[*q].0,
            body.chars().take(300).collect::<String>()
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = all.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    #[allow(clippy::cast_precision_loss)]
    let rps = latencies.len() as f64 / elapsed;
    let name = if shared {
        format!("{name}, shared answers")
    } else {
        format!("{name}, every answer computed")
    };
    println!(
        "  {name}: {clients} clients, {} requests in {elapsed:.1}s = {rps:.0} requests/s; \
         p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    for (q, (title, _, _)) in questions.iter().enumerate() {
        let mut mine: Vec<Duration> = all
            .iter()
            .filter(|(i, _)| *i == q)
            .map(|(_, d)| *d)
            .collect();
        mine.sort();
        println!(
            "    {:<70} n={:>5}  p50 {:>8.1} ms  p99 {:>8.1} ms",
            title.chars().take(70).collect::<String>(),
            mine.len(),
            percentile(&mine, 0.5).as_secs_f64() * 1e3,
            percentile(&mine, 0.99).as_secs_f64() * 1e3
        );
    }
    println!(
        "RESULT {name} clients={clients} requests={} rps={rps:.0} p50_ms={:.1} p99_ms={:.1}",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    served.stop().await;
}

#[tokio::main]
async fn main() {
    // The server's warnings and errors (RUST_LOG overrides).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let clients = env_u64("CLIENTS", 64);
    let seconds = env_u64("SECONDS", 20);
    let events = env_u64("EVENTS", 1_000_000);
    let server = ledger_bench::server_url();
    println!("GraphQL load: {clients} clients, {seconds} s per dataset, PostgreSQL at {server}");

    if env_u64("DEMO", 1) != 0 {
        let url = ledger_bench::fresh_database(&server, "ledger_bench_graphql_demo").await;
        let store = AnyStore::Postgres(PostgresStore::connect(&url, 16).await.unwrap());
        store.read_db().migrate().await.unwrap();
        ledger_app::demo::set_up(&CommandPath::new(store.clone()), |_| {})
            .await
            .unwrap();
        for shared in modes() {
            load("demo", shared, store.clone(), cookbook(), clients, seconds).await;
        }
    }

    if events > 0 {
        // KEEP_LOG=1 reuses the ledger (log and read models) of a previous run when it holds
        // `EVENTS` events.
        let store = generated::generated_ledger(&server, events).await;
        for shared in modes() {
            load(
                "generated",
                shared,
                store.clone(),
                generated_questions(),
                clients,
                seconds,
            )
            .await;
        }
    }
}
