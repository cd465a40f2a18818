//! The generated ledger the GraphQL and limits benches share: `EVENTS` events on PostgreSQL
//! with its read models rebuilt, or, with `KEEP_LOG`, the one a previous run left when it
//! holds that many.

use std::time::Instant;

use ledger_server::store::AnyStore;
use ledger_store::EventStore;
use ledger_store_postgres::PostgresStore;

/// The generated ledger of `events` events in the database `ledger_bench_graphql_large`.
pub async fn generated_ledger(server: &str, events: u64) -> AnyStore {
    let kept = if std::env::var_os("KEEP_LOG").is_some() {
        let url = ledger_bench::database_url(server, "ledger_bench_graphql_large");
        match PostgresStore::connect(&url, 16).await {
            Ok(pg) if pg.head().await.is_ok_and(|h| h.size == events) => Some(pg),
            _ => None,
        }
    } else {
        None
    };
    if let Some(pg) = kept {
        println!("  reusing the generated ledger of a previous run");
        return AnyStore::Postgres(pg);
    }
    let url = ledger_bench::fresh_database(server, "ledger_bench_graphql_large").await;
    let pg = PostgresStore::connect(&url, 16).await.unwrap();
    let generated = Instant::now();
    ledger_bench::generate::generate(&pg, events, &mut |_, _| {}).await;
    println!(
        "  generated {events} events in {:.0}s",
        generated.elapsed().as_secs_f64()
    );
    let store = AnyStore::Postgres(pg);
    let db = store.read_db();
    db.migrate().await.unwrap();
    ledger_projections::rebuild(
        &store,
        &db,
        &ledger_projections::ProjectorOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    store
}
