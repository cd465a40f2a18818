//! The schema over the demo ledger on SQLite, executed without HTTP: answers as of past
//! positions and dates, roles, coded errors, limits, and the checked-in SDL.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use async_graphql::{Request, Variables};
use ledger_app::Ledger;
use ledger_app::scenario::{DEMO, import, parse};
use ledger_graphql::auth::{Principal, Role};
use ledger_graphql::store::AnyStore;
use ledger_graphql::{Api, LedgerSchema, schema, sdl};
use ledger_projections::{Projector, ProjectorOptions};
use ledger_store_sqlite::SqliteStore;
use serde_json::{Value, json};

struct Demo {
    schema: LedgerSchema,
    _dir: tempfile::TempDir,
}

async fn demo(anonymous_rollups: bool) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::Sqlite(SqliteStore::open(dir.path().join("l.db")).await.unwrap());
    import(&Ledger::new(store.clone()), &parse(DEMO).unwrap(), |_| {})
        .await
        .unwrap();
    let db = store.read_db();
    db.migrate().await.unwrap();
    let projector = Arc::new(Projector::new(
        store.clone(),
        db,
        ProjectorOptions::default(),
    ));
    projector.catch_up().await.unwrap();
    Demo {
        schema: schema(Api::new(store, projector, anonymous_rollups), true),
        _dir: dir,
    }
}

fn principal(role: Role) -> Principal {
    Principal {
        subject: format!("{role}-1"),
        name: "Cán bộ thử nghiệm".into(),
        role,
        unit: (role == Role::UnitReporter).then(|| "so-tu-phap".into()),
    }
}

/// Runs a query as `role` (None: anonymous); returns (data, error codes).
async fn run(d: &Demo, role: Option<Role>, query: &str, vars: Value) -> (Value, Vec<String>) {
    let mut request = Request::new(query).variables(Variables::from_json(vars));
    if let Some(role) = role {
        request = request.data(principal(role));
    }
    let response = d.schema.execute(request).await;
    let codes = response
        .errors
        .iter()
        .map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map_or_else(
                    || format!("no code: {}", e.message),
                    |c| c.to_string().trim_matches('"').to_owned(),
                )
        })
        .collect();
    (response.data.into_json().unwrap(), codes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_as_of_positions_and_dates() {
    let d = demo(false).await;
    let q = r#"query($on: NaiveDate!, $at: AsOfInput) {
        tasks(on: $on, asOf: $at, filter: {overdue: true}) { position totalCount nodes { deadline lead task { id } } }
    }"#;
    let (data, errors) = run(&d, Some(Role::Supervisor), q, json!({"on": "2025-12-31"})).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["tasks"]["totalCount"], 13);
    assert_eq!(data["tasks"]["position"], 504);
    // As recorded at position 150 (before the extension), a task was overdue on 15 July 2022.
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        q,
        json!({"on": "2022-07-15", "at": {"position": 150}}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let ids: Vec<&str> = data["tasks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"huong-dan-bo-tro-tu-phap"), "{ids:?}");
    assert_eq!(data["tasks"]["position"], 150);

    let (data, errors) = run(
        &d,
        Some(Role::Secretariat),
        r#"{ unit(id: "pho-yen", on: "2022-04-09") { name nameOn status successorChain }
             progress(by: UNIT, on: "2025-07-01") { position items { key tasks } }
             complianceMatrix(plan: "kh-44-kh-tu", on: "2025-12-31") { matrix { periods rows { unitId cells { status } } } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["unit"]["nameOn"], "Thị xã Phổ Yên");
    assert_eq!(data["unit"]["name"], "Thành phố Phổ Yên");
    // On 9 April 2022 Phổ Yên had no successor yet (it was dissolved on 1 July 2025).
    assert_eq!(data["unit"]["successorChain"], json!(["pho-yen"]));
    assert_eq!(
        data["complianceMatrix"]["matrix"]["periods"]
            .as_array()
            .unwrap()
            .len(),
        17
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_coded_errors() {
    let d = demo(false).await;
    let (_, errors) = run(&d, None, "{ units { totalCount } }", json!({})).await;
    assert_eq!(errors, ["UNAUTHENTICATED"]);
    let (_, errors) = run(
        &d,
        Some(Role::Supervisor),
        "{ events { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(errors, ["FORBIDDEN"]);
    let (data, errors) = run(
        &d,
        Some(Role::Inspector),
        r#"{ events(filter: {eventTypes: ["TaskCompleted"]}, first: 5) {
               totalCount edges { cursor node { actor eventType } } pageInfo { hasNextPage } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["events"]["totalCount"], 27);
    assert_eq!(data["events"]["pageInfo"]["hasNextPage"], true);
    let cursor = data["events"]["edges"][4]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let (data, _) = run(
        &d,
        Some(Role::Inspector),
        r#"query($after: String) { events(filter: {eventTypes: ["TaskCompleted"]}, first: 100, after: $after) { edges { node { eventType } } } }"#,
        json!({"after": cursor}),
    )
    .await;
    assert_eq!(data["events"]["edges"].as_array().unwrap().len(), 22);

    for (query, vars) in [
        ("{ units(first: 101) { totalCount } }", json!({})),
        (
            r#"{ units(after: "bm90IGEgY3Vyc29y") { totalCount } }"#,
            json!({}),
        ),
        (
            "{ units(asOf: {position: 1, recordedAt: \"2025-01-01T00:00:00Z\"}) { totalCount } }",
            json!({}),
        ),
        (
            "{ units(asOf: {position: 100000}) { totalCount } }",
            json!({}),
        ),
    ] {
        let (_, errors) = run(&d, Some(Role::Supervisor), query, vars).await;
        assert_eq!(errors, ["BAD_USER_INPUT"], "{query}");
    }
    // Anonymous callers see roll-ups only where allowed.
    let (_, errors) = run(&d, None, "{ progress(by: GROUP) { position } }", json!({})).await;
    assert_eq!(errors, ["UNAUTHENTICATED"]);
    let open = demo(true).await;
    let (_, errors) = run(
        &open,
        None,
        "{ progress(by: GROUP) { position } }",
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let (_, errors) = run(&open, None, "{ units { totalCount } }", json!({})).await;
    assert_eq!(errors, ["UNAUTHENTICATED"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_and_costly_queries_are_refused() {
    let d = demo(false).await;
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(14),
        "} ".repeat(14)
    );
    let response = d
        .schema
        .execute(Request::new(deep).data(principal(Role::Inspector)))
        .await;
    assert!(!response.errors.is_empty());
    assert!(
        response.errors[0].message.contains("nested too deep"),
        "{:?}",
        response.errors
    );
}

/// `schema/graphql/ledger.graphql` is the schema; `UPDATE_GRAPHQL_SCHEMA=1` rewrites it.
#[test]
fn checked_in_sdl_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema/graphql/ledger.graphql");
    let text = sdl();
    if std::env::var_os("UPDATE_GRAPHQL_SCHEMA").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == text,
        "{} differs from the code; run UPDATE_GRAPHQL_SCHEMA=1 cargo test -p ledger-graphql checked_in_sdl",
        path.display()
    );
}
