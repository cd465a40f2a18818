//! GraphQL requests as the HTTP layer reads them (a JSON request or batch), run through the
//! schema (our document limits, validation, execution) over an empty ledger, as an inspector,
//! who may ask everything: never a panic, and every error coded.
#![no_main]

use std::sync::{Arc, OnceLock};

use ledger_graphql::auth::{Principal, Role};
use ledger_graphql::{Api, LedgerSchema};
use ledger_projections::{Projector, ProjectorOptions};
use ledger_store::DynStore;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    schema: LedgerSchema,
    _dir: std::path::PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = std::env::temp_dir().join(format!("ledger-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let schema = runtime.block_on(async {
            let sqlite = ledger_store_sqlite::SqliteStore::open(dir.join("l.db"))
                .await
                .expect("a store");
            let read_db = ledger_projections::Db::Sqlite(sqlite.pool().clone());
            read_db.migrate().await.expect("read models");
            let store = DynStore::new(sqlite);
            let projector = Arc::new(Projector::new(
                store.clone(),
                read_db.clone(),
                ProjectorOptions::default(),
            ));
            ledger_graphql::schema(Api::new(store, read_db, projector, true), true)
        });
        Fixture {
            runtime,
            schema,
            _dir: dir,
        }
    })
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(batch) = serde_json::from_slice::<async_graphql::BatchRequest>(bytes) else {
        return;
    };
    let fixture = fixture();
    let inspector = Principal {
        subject: "fuzz".into(),
        name: "Fuzz".into(),
        role: Role::Inspector,
        unit: None,
    };
    let requests = match batch {
        async_graphql::BatchRequest::Single(request) => vec![request],
        async_graphql::BatchRequest::Batch(requests) => requests.into_iter().take(10).collect(),
    };
    for request in requests {
        let response = fixture.runtime.block_on(ledger_graphql::execute(
            &fixture.schema,
            request.data(inspector.clone()),
        ));
        for error in &response.errors {
            let coded = error
                .extensions
                .as_ref()
                .is_some_and(|e| e.get("code").is_some());
            assert!(coded, "an error without a code: {}", error.message);
        }
    }
});
