//! Verification of a 1,000,000-event log (every leaf recomputed, the tree, the stored hashes
//! and the head), from PostgreSQL and from an exported file, and inclusion-proof generation
//! latency. Environment: `EVENTS` (default 1000000), `PROOFS` (default 10000), `KEEP_LOG`
//! (reuse the log of a previous run), `BENCH_DATABASE_URL`.

// A benchmark: a failed unwrap stops it with its location.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::time::{Duration, Instant};

use ledger_store::{EventStore, ReadAll};
use ledger_store_postgres::PostgresStore;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ledger_bench::env_u64;

#[tokio::main]
async fn main() {
    let events = env_u64("EVENTS", 1_000_000);
    let proofs = env_u64("PROOFS", 10_000);
    let server = ledger_bench::server_url();
    println!("verification benchmark: {events} events, PostgreSQL at {server}");
    let url = ledger_bench::database_url(&server, "ledger_bench_verify");
    let kept = if std::env::var_os("KEEP_LOG").is_some() {
        match PostgresStore::connect(&url, 8).await {
            Ok(pg) if pg.head().await.is_ok_and(|h| h.size == events) => Some(pg),
            _ => None,
        }
    } else {
        None
    };
    let store = if let Some(pg) = kept {
        println!("  reusing the log of a previous run");
        pg
    } else {
        let url = ledger_bench::fresh_database(&server, "ledger_bench_verify").await;
        let pg = PostgresStore::connect(&url, 8).await.unwrap();
        let started = Instant::now();
        ledger_bench::generate::generate(&pg, events, &mut |_, _| {}).await;
        println!("  generated in {:.0}s", started.elapsed().as_secs_f64());
        pg
    };

    // 1. From the database.
    let started = Instant::now();
    let summary = ledger_verify::verify_store(&store, vec![], &mut |_, _| {})
        .await
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = summary.size as f64 / seconds;
    println!(
        "RESULT verify_database events={} seconds={seconds:.1} events_per_s={rate:.0}",
        summary.size
    );

    // 2. From an exported file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut after = 0;
        loop {
            let batch = store
                .read_all(&ReadAll::after(after, 10_000))
                .await
                .unwrap();
            let Some(last) = batch.last().map(|e| e.position) else {
                break;
            };
            for e in &batch {
                serde_json::to_writer(&mut out, e).unwrap();
                out.write_all(b"\n").unwrap();
            }
            after = last;
        }
    }
    let started = Instant::now();
    let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let summary = ledger_verify::verify_lines(file, vec![], &mut |_| {}).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = summary.size as f64 / seconds;
    println!(
        "RESULT verify_file events={} seconds={seconds:.1} events_per_s={rate:.0}",
        summary.size
    );

    // 3. Inclusion proofs: read the stored hashes a proof needs, make it, check it.
    let head = store.head().await.unwrap();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut state = 7u64;
    for _ in 0..proofs {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let index = (state >> 11) % head.size;
        let started = Instant::now();
        let indexes = ledger_proof::inclusion_indexes(index, head.size).unwrap();
        let stored: ledger_proof::Stored = indexes
            .iter()
            .copied()
            .zip(store.stored_hashes(&indexes).await.unwrap())
            .collect();
        let proof = ledger_proof::inclusion_proof(index, head.size, &stored).unwrap();
        latencies.push(started.elapsed());
        assert!(proof.len() <= 20);
    }
    latencies.sort();
    let at = |p: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i].as_secs_f64() * 1e3
    };
    println!(
        "RESULT inclusion_proof n={} p50_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        latencies.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
