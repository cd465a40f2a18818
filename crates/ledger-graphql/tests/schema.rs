//! The schema over the demo ledger on SQLite, executed without HTTP: answers as of past
//! positions and dates, roles, coded errors, limits, and the checked-in SDL.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use async_graphql::{Request, Variables};
use chrono::{TimeZone, Utc};
use ledger_app::CommandPath;
use ledger_graphql::auth::{Principal, Role};
use ledger_graphql::{Api, LedgerSchema, schema, sdl};
use ledger_projections::{Projector, ProjectorOptions};
use ledger_store::DynStore;
use ledger_store_sqlite::SqliteStore;
use serde_json::{Value, json};

struct Demo {
    schema: LedgerSchema,
    db: ledger_projections::Db,
    checkpoint_key: Arc<std::sync::OnceLock<String>>,
    witness_keys: Arc<std::sync::OnceLock<Vec<String>>>,
    _dir: tempfile::TempDir,
}

async fn demo(anonymous_rollups: bool) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("l.db")).await.unwrap();
    let read_db = ledger_projections::Db::Sqlite(sqlite.pool().clone());
    let store = DynStore::new(sqlite);
    // Today is 1 December 2026, 10:00 in Việt Nam: the demo's live actions and every
    // mutation below are judged against that day.
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
    let path = CommandPath::new(store.clone()).with_clock(Arc::new(move || now));
    ledger_app::demo::set_up(&path, |_| {}).await.unwrap();
    read_db.migrate().await.unwrap();
    let projector = Arc::new(Projector::new(
        store.clone(),
        read_db.clone(),
        ProjectorOptions::default(),
    ));
    projector.catch_up().await.unwrap();
    // Keep projecting, as the server does, so mutations can wait for their own writes.
    tokio::spawn({
        let projector = projector.clone();
        async move { projector.run(std::future::pending()).await }
    });
    let mut api = Api::new(store.clone(), read_db.clone(), projector, anonymous_rollups);
    api.path = path;
    Demo {
        db: read_db,
        checkpoint_key: api.checkpoint_key.clone(),
        witness_keys: api.witness_keys.clone(),
        schema: schema(api, true),
        _dir: dir,
    }
}

fn principal(role: Role) -> Principal {
    Principal {
        subject: format!("{role}-1"),
        name: "Cán bộ thử nghiệm".into(),
        role,
        unit: (role == Role::UnitReporter).then(|| "so-tu-phap".parse().unwrap()),
    }
}

/// Runs a query as `role` (None: anonymous); returns (data, error codes).
async fn run(d: &Demo, role: Option<Role>, query: &str, vars: Value) -> (Value, Vec<String>) {
    let mut request = Request::new(query).variables(Variables::from_json(vars));
    if let Some(role) = role {
        request = request.data(principal(role));
    }
    let response = ledger_graphql::execute(&d.schema, request).await;
    // Every refusal says what was wrong in Vietnamese too.
    for e in &response.errors {
        let vi = e.extensions.as_ref().and_then(|x| x.get("messageVi"));
        assert!(
            vi.is_some_and(|v| v.to_string().len() > 4),
            "no messageVi: {}",
            e.message
        );
    }
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
    let q = r#"query($on: Date!, $at: AsOfInput) {
        tasks(on: $on, asOf: $at, filter: {overdue: true}) { position totalCount nodes { deadline lead task { key } } }
    }"#;
    let (data, errors) = run(&d, Some(Role::Supervisor), q, json!({"on": "2025-12-31"})).await;
    assert!(errors.is_empty(), "{errors:?}");
    // 12: the demo's live, backdated extension moved hop-tac-quoc-te's deadline to that day.
    assert_eq!(data["tasks"]["totalCount"], 12);
    assert_eq!(data["tasks"]["position"], 509);
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
        .map(|t| t["task"]["key"].as_str().unwrap())
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

/// Callers without a token read exactly the fields README names, where the deployment allows
/// it, and nothing where it does not; every query field is classified here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_access_is_exactly_what_the_readme_says() {
    let readme = include_str!("../../../README.md");
    let listed = readme
        .split("exactly these fields and nothing else: ")
        .nth(1)
        .and_then(|rest| rest.split(" (and the log").next())
        .unwrap();
    let mut named: Vec<&str> = listed
        .split(',')
        .map(|f| f.trim().trim_matches('`'))
        .collect();
    named.sort_unstable();
    let mut public = ledger_graphql::query::PUBLIC_FIELDS.to_vec();
    public.sort_unstable();
    assert_eq!(named, public, "README and PUBLIC_FIELDS disagree");

    // One valid question per query field.
    let questions: &[(&str, &str)] = &[
        ("node", r#"{ node(id: "VW5pdDpzby10dS1waGFw") { id } }"#),
        ("units", "{ units { totalCount } }"),
        ("unit", r#"{ unit(id: "so-tu-phap") { key } }"#),
        (
            "documents",
            r#"{ documents(number: "44-KH/TU") { position } }"#,
        ),
        (
            "citations",
            r#"{ citations(number: "44-KH/TU") { position } }"#,
        ),
        ("programmes", "{ programmes { position } }"),
        (
            "solutionGroups",
            r#"{ solutionGroups(programme: "de-an-10-da-tu") { position } }"#,
        ),
        ("plans", "{ plans { position } }"),
        (
            "missingUnitPlans",
            r#"{ missingUnitPlans(plan: "kh-44-kh-tu") { position } }"#,
        ),
        ("focusProgrammes", "{ focusProgrammes { position } }"),
        ("tasks", "{ tasks { totalCount } }"),
        ("progress", "{ progress(by: GROUP) { position } }"),
        ("reports", "{ reports { totalCount } }"),
        (
            "reportDiscrepancies",
            r#"{ reportDiscrepancies(plan: "kh-44-kh-tu") { position } }"#,
        ),
        (
            "complianceMatrix",
            r#"{ complianceMatrix(plan: "kh-44-kh-tu") { position } }"#,
        ),
        ("obstacles", "{ obstacles { totalCount } }"),
        ("recommendations", "{ recommendations { totalCount } }"),
        ("supervisions", "{ supervisions { position } }"),
        ("briefings", "{ briefings { position } }"),
        (
            "history",
            r#"{ history(streamId: "unit/so-tu-phap") { position } }"#,
        ),
        ("events", "{ events { totalCount } }"),
        ("checkpoint", "{ checkpoint { lag } }"),
        ("inclusionProof", "{ inclusionProof(position: 1) { root } }"),
        ("consistencyProof", "{ consistencyProof(from: 1) { path } }"),
        ("signedCheckpoint", "{ signedCheckpoint { note } }"),
        ("checkpoints", "{ checkpoints { size } }"),
    ];
    let closed = demo(false).await;
    let (fields, _) = run(
        &closed,
        Some(Role::Inspector),
        "{ __schema { queryType { fields { name } } } }",
        json!({}),
    )
    .await;
    let mut fields: Vec<&str> = fields["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    let mut asked: Vec<&str> = questions.iter().map(|(f, _)| *f).collect();
    asked.sort_unstable();
    assert_eq!(fields, asked, "a query field is not classified here");

    let open = demo(true).await;
    for (field, query) in questions {
        let (_, errors) = run(&closed, None, query, json!({})).await;
        assert_eq!(
            errors,
            ["UNAUTHENTICATED"],
            "{field}, anonymous, not allowed"
        );
        let (_, errors) = run(&open, None, query, json!({})).await;
        if public.contains(field) {
            assert!(
                !errors.iter().any(|c| c == "UNAUTHENTICATED"),
                "{field} is public: {errors:?}"
            );
        } else {
            assert_eq!(errors, ["UNAUTHENTICATED"], "{field} is not public");
        }
        // Every question is a valid one: signed in, it is answered.
        let (_, errors) = run(&open, Some(Role::Inspector), query, json!({})).await;
        assert!(
            errors.is_empty() || (*field == "signedCheckpoint" && errors == ["NOT_FOUND"]),
            "{field}: {errors:?}"
        );
    }
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
    // Aliases: the same cheap question 30 times is answered, 31 times refused.
    let aliased = |n: usize| {
        let fields: String = (0..n)
            .map(|i| format!("a{i}: checkpoint {{ lag }} "))
            .collect();
        format!("{{ {fields} }}")
    };
    let (data, errors) = run(&d, Some(Role::Supervisor), &aliased(30), json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["a29"]["lag"], 0);
    let (_, errors) = run(&d, Some(Role::Supervisor), &aliased(31), json!({})).await;
    assert_eq!(errors, ["BAD_USER_INPUT"]);
    // Questions that may read every task cost 1,200 besides their fields: four roll-ups on
    // different days are answered, five refused (each new day is a full computation).
    let rollups = |n: usize| {
        let fields: String = (0..n)
            .map(|i| {
                format!(
                    "a{i}: progress(by: GROUP, on: \"2024-01-{:02}\") {{ items {{ key }} }} ",
                    i + 1
                )
            })
            .collect();
        format!("{{ {fields} }}")
    };
    let (_, errors) = run(&d, Some(Role::Supervisor), &rollups(4), json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    let response = ledger_graphql::execute(
        &d.schema,
        Request::new(rollups(5)).data(principal(Role::Supervisor)),
    )
    .await;
    assert!(
        response
            .errors
            .iter()
            .any(|e| e.message.contains("too complex")),
        "{:?}",
        response.errors
    );
    // About 1 KB, anonymous: 21 fragments that each spread the next twice expand to two million
    // fields; it tied the server up for seconds and hundreds of MB. Refused before validation.
    let mut doubling = String::from("query { ...F0 }\n");
    for i in 0..21 {
        doubling.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{} ...F{} }}\n",
            i + 1,
            i + 1
        ));
    }
    doubling.push_str("fragment F21 on QueryRoot { checkpoint { head } }");
    assert!(doubling.len() < 1500);
    let response = ledger_graphql::execute(&d.schema, Request::new(doubling.clone())).await;
    assert!(
        response.errors[0].message.contains("too large"),
        "{:?}",
        response.errors
    );
    // Refused before the engine's own first walk, which follows every spread without memory
    // (2^30 paths for 30 levels): a document the engine would refuse at once for nesting
    // 40 fields deep gets our refusal, so ours came first.
    let deep = format!("{}y {}", "x { ".repeat(40), "} ".repeat(40));
    let both = doubling.replacen("query { ...F0 }", &format!("query {{ {deep} ...F0 }}"), 1);
    let response = ledger_graphql::execute(&d.schema, Request::new(both)).await;
    assert!(
        response.errors[0].message.contains("too large"),
        "{:?}",
        response.errors
    );
}

/// Pages count by their size: a few aliased full pages exceed the complexity limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_pages_cost_their_size() {
    let d = demo(false).await;
    let page = "units(first: 100) { nodes { id kind name parent establishedOn status endedOn mergedInto successors basis nameOn parentOn successorChain predecessors } }";
    let (_, errors) = run(
        &d,
        Some(Role::Supervisor),
        &format!("{{ {page} }}"),
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "one page is fine: {errors:?}");
    let aliased: String = (0..4).map(|i| format!("a{i}: {page} ")).collect();
    let response = ledger_graphql::execute(
        &d.schema,
        Request::new(format!("{{ {aliased} }}")).data(principal(Role::Supervisor)),
    )
    .await;
    assert!(
        response
            .errors
            .iter()
            .any(|e| e.message.contains("too complex")),
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

mod common {
    pub mod cases;
}
use common::cases::{BAD_INPUT, MUTATIONS, OUT_OF_SCOPE, REFUSED, allowed};

async fn head(d: &Demo) -> u64 {
    let (data, errors) = run(
        d,
        Some(Role::Inspector),
        "{ checkpoint { head } }",
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    data["checkpoint"]["head"].as_u64().unwrap()
}

/// Every mutation of the schema is in the role matrix (which runs over HTTP on both backends:
/// `tests/http.rs`).
#[test]
fn the_role_matrix_covers_every_mutation() {
    assert_eq!(
        MUTATIONS.len(),
        sdl().matches("): CommandResult!").count(),
        "a mutation is missing from the matrix"
    );
    for (mutation, _) in MUTATIONS {
        assert!(!allowed(mutation).is_empty(), "{mutation}");
    }
}

/// A unit reporter acts for its own unit only; bad input is refused with nothing written; the
/// actor recorded is the token's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_bad_input_and_the_recorded_actor() {
    let d = demo(false).await;
    let before = head(&d).await;
    for query in OUT_OF_SCOPE {
        let (_, errors) = run(&d, Some(Role::UnitReporter), query, json!({})).await;
        assert_eq!(errors, ["FORBIDDEN"], "{query}");
    }
    for (query, what) in BAD_INPUT {
        let (_, errors) = run(&d, Some(Role::Secretariat), query, json!({})).await;
        assert!(
            errors.len() == 1 && (errors[0] == "BAD_USER_INPUT" || errors[0] == "NOT_FOUND"),
            "{what}: {errors:?}"
        );
        // Refused for what it names, not for a typo in the case: the message says which.
        if query.contains("reason:") || query.contains("idempotencyKey:") {
            let response = ledger_graphql::execute(
                &d.schema,
                Request::new(*query).data(principal(Role::Secretariat)),
            )
            .await;
            let message = &response.errors[0].message;
            assert!(
                message.contains("reason")
                    || message.contains("idempotency")
                    || message.contains("text"),
                "{what}: {message}"
            );
        }
    }
    let overlong = "x".repeat(600);
    let (_, errors) = run(
        &d,
        Some(Role::Secretariat),
        r#"mutation($name: String!) { registerUnit(input: { id: "x-5", kind: STATE_BODY, name: $name, establishedOn: "2026-11-30" }) { lastPosition } }"#,
        json!({ "name": overlong }),
    )
    .await;
    assert_eq!(errors, ["BAD_USER_INPUT"], "overlong text");
    for (role, query, code, what) in REFUSED {
        let (_, errors) = run(&d, Some(*role), query, json!({})).await;
        assert_eq!(errors, [*code], "{what}");
    }
    assert_eq!(head(&d).await, before, "refused input wrote something");

    // Written: the actor is the token's, and the answer reflects it at once.
    let q = r#"mutation { registerUnit(input: { id: "don-vi-thu", kind: STATE_BODY, name: "Đơn vị thử", establishedOn: "2026-11-30" }, reason: "Thành lập theo quyết định", idempotencyKey: "k-1") { lastPosition replayed } }"#;
    let (data, errors) = run(&d, Some(Role::Secretariat), q, json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    let position = data["registerUnit"]["lastPosition"].as_u64().unwrap();
    let (again, _) = run(&d, Some(Role::Secretariat), q, json!({})).await;
    assert_eq!(again["registerUnit"]["replayed"], true);
    assert_eq!(
        again["registerUnit"]["lastPosition"].as_u64(),
        Some(position)
    );
    let (data, errors) = run(
        &d,
        Some(Role::Inspector),
        r#"{ events(filter: { streamId: "unit/don-vi-thu" }) { nodes { position actor actorName actorRole reason } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let event = &data["events"]["nodes"][0];
    assert_eq!(event["position"].as_u64(), Some(position));
    assert_eq!(event["actor"], "secretariat-1");
    assert_eq!(event["actorRole"], "secretariat");
    assert_eq!(event["reason"], "Thành lập theo quyết định");
}

/// Integrity at the point of entry: a key reused for another request, a report whose lines
/// contradict the ledger, a change dated back, each as the API answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_discrepancies_and_backdating() {
    let d = demo(false).await;
    let register = |id: &str| {
        format!(
            r#"mutation {{ registerUnit(input: {{ id: "{id}", kind: STATE_BODY, name: "Đơn vị", establishedOn: "2026-11-30" }}, idempotencyKey: "dang-ky-1") {{ lastPosition replayed }} }}"#
        )
    };
    let (first, errors) = run(
        &d,
        Some(Role::Secretariat),
        &register("don-vi-a"),
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let before = head(&d).await;
    let (_, errors) = run(
        &d,
        Some(Role::Secretariat),
        &register("don-vi-b"),
        json!({}),
    )
    .await;
    assert_eq!(errors, ["IDEMPOTENCY_KEY_REUSED"]);
    let (again, errors) = run(
        &d,
        Some(Role::Secretariat),
        &register("don-vi-a"),
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(again["registerUnit"]["replayed"], true);
    assert_eq!(
        again["registerUnit"]["lastPosition"],
        first["registerUnit"]["lastPosition"]
    );
    assert_eq!(head(&d).await, before);

    // A report claiming done a task the ledger has open: recorded, shown, and it must be
    // acknowledged before the report is accepted.
    let (data, errors) = run(
        &d,
        Some(Role::UnitReporter),
        r#"mutation { submitReport(input: { id: "so-tu-phap-2026-q4", unit: "so-tu-phap", plan: "kh-44-kh-tu", period: "2026-Q4", submittedOn: "2026-12-01",
             content: { items: [{ task: "boi-duong-can-bo", status: COMPLETED, percent: 100 }] } }) {
             dating discrepancies { task kind ledgerStatus } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["submitReport"]["dating"], "CONTEMPORANEOUS");
    assert_eq!(
        data["submitReport"]["discrepancies"],
        json!([{ "task": "boi-duong-can-bo", "kind": "CLAIMED_COMPLETED", "ledgerStatus": "OPEN" }])
    );
    let accept = |acknowledge: bool| {
        format!(
            r#"mutation {{ acceptReport(input: {{ id: "so-tu-phap-2026-q4", by: "ban-noi-chinh-tinh-uy", on: "2026-12-01", acknowledgeDiscrepancies: {acknowledge} }}) {{ discrepancies {{ task }} }} }}"#
        )
    };
    let response = ledger_graphql::execute(
        &d.schema,
        Request::new(accept(false)).data(principal(Role::Secretariat)),
    )
    .await;
    let error = response.errors[0].extensions.as_ref().unwrap();
    assert_eq!(error.get("code").unwrap().to_string(), "\"DISCREPANCIES\"");
    assert!(
        error
            .get("discrepancies")
            .unwrap()
            .to_string()
            .contains("boi-duong-can-bo"),
        "the refusal lists the lines"
    );
    let (data, errors) = run(&d, Some(Role::Secretariat), &accept(true), json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        data["acceptReport"]["discrepancies"][0]["task"],
        "boi-duong-can-bo"
    );
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        r#"{ reportDiscrepancies(plan: "kh-44-kh-tu", period: "2026-Q4") { items { taskId kind step report { key unitId } } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        data["reportDiscrepancies"]["items"],
        json!([{ "taskId": "boi-duong-can-bo", "kind": "claimed_completed", "step": "accepted",
                 "report": { "key": "so-tu-phap-2026-q4", "unitId": "so-tu-phap" } }])
    );

    // The secretariat dates a change back, with its reason and document; inspectors find it.
    let (data, errors) = run(
        &d,
        Some(Role::Secretariat),
        r#"mutation { issueReminder(input: { task: "giam-an-ton-dong", on: "2026-06-01" }, reason: "Nhập bổ sung văn bản đôn đốc", sourceDocument: "150-CV/BNCTU") { dating lastPosition } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["issueReminder"]["dating"], "BACKDATED");
    let (found, errors) = run(
        &d,
        Some(Role::Inspector),
        r#"{ events(filter: { backdated: true }) { totalCount nodes { eventType streamId reason sourceDocument } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    // The demo's own backdated extension, and this reminder.
    assert_eq!(found["events"]["totalCount"], 2);
    assert_eq!(found["events"]["nodes"][1]["eventType"], "ReminderIssued");
    assert_eq!(
        found["events"]["nodes"][1]["sourceDocument"],
        "150-CV/BNCTU"
    );
}

/// The live feed: events appended after the subscription starts arrive, filtered; only
/// inspectors may subscribe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_event_feed() {
    use async_graphql::futures_util::StreamExt;
    let d = demo(false).await;
    // From position 509 (the demo's head): no race with the writes below.
    let feed = "subscription { events(after: 509, filter: { streamType: \"unit\" }) { position eventType actor streamId } }";
    let mut refused = d
        .schema
        .execute_stream(Request::new(feed).data(principal(Role::Supervisor)));
    let first = refused.next().await.unwrap();
    assert_eq!(
        first.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|c| c.to_string()),
        Some("\"FORBIDDEN\"".to_owned())
    );
    let mut stream = d
        .schema
        .execute_stream(Request::new(feed).data(principal(Role::Inspector)));
    let writer = async {
        // A task event (filtered out), then a unit event (delivered).
        for q in [
            r#"mutation { extendDeadline(input: { task: "co-so-vat-chat", deadline: "2027-03-31", on: "2026-11-30", reason: "Chờ vốn", basis: "100/QĐ-UBND" }) { lastPosition } }"#,
            r#"mutation { registerUnit(input: { id: "don-vi-song", kind: STATE_BODY, name: "Đơn vị", establishedOn: "2026-11-30" }) { lastPosition } }"#,
        ] {
            let (_, errors) = run(&d, Some(Role::Secretariat), q, json!({})).await;
            assert!(errors.is_empty(), "{errors:?}");
        }
    };
    let (item, ()) = tokio::join!(stream.next(), writer);
    let item = item.unwrap();
    assert!(item.errors.is_empty(), "{:?}", item.errors);
    let event = item.data.into_json().unwrap();
    assert_eq!(event["events"]["streamId"], "unit/don-vi-song");
    assert_eq!(event["events"]["position"], 511);
    assert_eq!(event["events"]["actor"], "secretariat-1");
}

/// Who changed this deadline, when, on what authority — and what changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_of_a_task() {
    let d = demo(false).await;
    let q = r#"{ history(streamId: "task/huong-dan-bo-tro-tu-phap") { position entries {
        eventType actorRole actor effectiveAt effectiveOn dating sourceDocument payload changes { field before after } } } }"#;
    let (data, errors) = run(&d, Some(Role::Inspector), q, json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    let entries = data["history"]["entries"].as_array().unwrap();
    assert_eq!(entries[0]["eventType"], "TaskAssigned");
    let extension = entries
        .iter()
        .find(|e| e["eventType"] == "DeadlineExtended")
        .unwrap();
    assert_eq!(extension["actor"], "demo-archivist");
    assert_eq!(extension["dating"], "HISTORICAL");
    // The envelope names the archive's attestation; the decision's basis is in the payload.
    assert_eq!(extension["sourceDocument"], "01/BB-VPTU");
    assert_eq!(extension["payload"]["basis"], "350/STP-BTTP");
    // In force from the start of 20 June 2022 in Việt Nam.
    assert_eq!(extension["effectiveOn"], "2022-06-20");
    assert_eq!(extension["effectiveAt"], "2022-06-19T17:00:00.000000Z");
    let changes = extension["changes"].as_array().unwrap();
    assert!(
        changes
            .contains(&json!({"field": "deadline", "before": "2022-06-30", "after": "2022-09-30"})),
        "{changes:?}"
    );
    assert!(
        changes.contains(&json!({"field": "extensions", "before": "0", "after": "1"})),
        "{changes:?}"
    );
    // A supervisor sees the role, not the person.
    let (data, _) = run(&d, Some(Role::Supervisor), q, json!({})).await;
    assert_eq!(data["history"]["entries"][0]["actor"], Value::Null);
    assert_eq!(data["history"]["entries"][0]["actorRole"], "archivist");
    let (_, errors) = run(
        &d,
        Some(Role::Supervisor),
        r#"{ history(streamId: "task/khong-co") { position } }"#,
        json!({}),
    )
    .await;
    assert_eq!(errors, ["NOT_FOUND"]);
}

/// Every query of `docs/graphql.md` runs, as the role it names, and gives the values it lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookbook() {
    let d = demo(false).await;
    let questions = ledger_graphql::cookbook();
    assert!(
        questions.len() >= 12,
        "the cookbook has {} questions",
        questions.len()
    );
    for q in questions {
        let (data, errors) = run(&d, Some(q.role), &q.query, json!({})).await;
        assert!(errors.is_empty(), "{}: {errors:?}", q.title);
        for (pointer, expected) in &q.expect {
            let expected: Value = serde_json::from_str(expected).unwrap();
            assert_eq!(
                data.pointer(pointer),
                Some(&expected),
                "{}: {pointer}",
                q.title
            );
        }
    }
    // Every section of the file became a question.
    let sections = include_str!("../../../docs/graphql.md")
        .matches("\n## ")
        .count();
    assert_eq!(ledger_graphql::cookbook().len(), sections);
}

/// Pages backward with `last`/`before` as forward with `first`/`after`; the other lists answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_both_ways_and_the_other_lists() {
    let d = demo(false).await;
    let q = r#"query($last: Int, $before: String) { units(last: $last, before: $before, on: "2025-12-31") {
        totalCount pageInfo { hasPreviousPage hasNextPage } edges { cursor node { key } } } }"#;
    let (data, errors) = run(&d, Some(Role::Supervisor), q, json!({ "last": 3 })).await;
    assert!(errors.is_empty(), "{errors:?}");
    let edges = data["units"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    assert_eq!(data["units"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(data["units"]["pageInfo"]["hasPreviousPage"], true);
    let before = edges[0]["cursor"].as_str().unwrap();
    let (data, _) = run(
        &d,
        Some(Role::Supervisor),
        q,
        json!({ "last": 2, "before": before }),
    )
    .await;
    let ids: Vec<&str> = data["units"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["key"].as_str().unwrap())
        .collect();
    let (all, _) = run(
        &d,
        Some(Role::Supervisor),
        "{ units(first: 100) { nodes { key } } }",
        json!({}),
    )
    .await;
    let all: Vec<&str> = all["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["key"].as_str().unwrap())
        .collect();
    assert_eq!(ids, all[all.len() - 5..all.len() - 3]);
    let (_, errors) = run(
        &d,
        Some(Role::Supervisor),
        "{ units(last: 101) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(errors, ["BAD_USER_INPUT"]);
    // The audit log pages forward by position only.
    let (_, errors) = run(
        &d,
        Some(Role::Inspector),
        "{ events(last: 3) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(errors, ["BAD_USER_INPUT"]);
    let (data, errors) = run(
        &d,
        Some(Role::Inspector),
        "{ events(first: 2) { totalCount pageInfo { hasNextPage } nodes { position } } }",
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["events"]["totalCount"], 509);
    assert_eq!(
        data["events"]["nodes"],
        json!([{ "position": 1 }, { "position": 2 }])
    );

    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        "{ supervisions { items { key status } } focusProgrammes { items { year } } briefings { items { conclusionDocument } } }",
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["supervisions"]["items"][0]["status"], "closed");
    assert_eq!(
        data["focusProgrammes"]["items"].as_array().unwrap().len(),
        4
    );
    assert_eq!(
        data["briefings"]["items"][0]["conclusionDocument"],
        "180-TB/TU"
    );

    // Filters on the connections that grow with the ledger.
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        r#"{ all: obstacles(on: "2025-12-31") { totalCount }
             open: obstacles(on: "2025-12-31", filter: {open: true}) { totalCount nodes { open } }
             answered: recommendations(on: "2023-12-31", filter: {answered: true}) { totalCount }
             mine: reports(filter: {unit: "cong-an-tinh", period: "2022-Q2"}) { totalCount nodes { key review revision } }
             returned: reports(filter: {review: "returned"}) { totalCount } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(data["all"]["totalCount"], 3);
    assert_eq!(data["open"]["totalCount"], 1);
    assert_eq!(data["open"]["nodes"][0]["open"], true);
    assert_eq!(data["answered"]["totalCount"], 2, "one on time, one late");
    assert_eq!(data["mine"]["totalCount"], 1);
    assert_eq!(data["mine"]["nodes"][0]["key"], "cong-an-tinh-2022-q2");
    assert_eq!(
        data["returned"]["totalCount"], 0,
        "every returned report was accepted later"
    );

    // Reports page in SQL: pages put together give the whole list, both ways.
    let keys = |v: &Value| -> Vec<String> {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["key"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = r#"query($first: Int, $after: String, $last: Int, $before: String) {
        reports(filter: {unit: "cong-an-tinh"}, first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { key } } }"#;
    let (all, errors) = run(&d, Some(Role::Supervisor), q, json!({"first": 100})).await;
    assert!(errors.is_empty(), "{errors:?}");
    let all_keys = keys(&all["reports"]);
    assert_eq!(all["reports"]["totalCount"], all_keys.len());
    assert!(all_keys.len() > 5, "{all_keys:?}");
    let (one, _) = run(&d, Some(Role::Supervisor), q, json!({"first": 2})).await;
    assert_eq!(one["reports"]["pageInfo"]["hasNextPage"], true);
    let (two, _) = run(
        &d,
        Some(Role::Supervisor),
        q,
        json!({"first": 3, "after": one["reports"]["pageInfo"]["endCursor"]}),
    )
    .await;
    assert_eq!(two["reports"]["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(
        [keys(&one["reports"]), keys(&two["reports"])].concat(),
        all_keys[..5]
    );
    let (tail, _) = run(&d, Some(Role::Supervisor), q, json!({"last": 2})).await;
    assert_eq!(keys(&tail["reports"]), all_keys[all_keys.len() - 2..]);
    assert_eq!(tail["reports"]["pageInfo"]["hasNextPage"], false);
}

/// The matrix limited to periods and units, with each unit's totals; tasks by coordinating
/// unit; lists as GraphQL lists, never JSON in a string.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_filters_totals_and_lists() {
    let d = demo(false).await;
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        r#"{ complianceMatrix(plan: "kh-44-kh-tu", on: "2025-12-31", from: "2023-Q1", to: "2023-Q4", units: ["cong-an-tinh", "dinh-hoa"]) {
               matrix { periods rows { unitId totals { accepted returned submitted missing notDue ended late } cells { period status late } } } }
             tasks(on: "2025-12-31", filter: {coordinating: "so-tai-chinh"}) { totalCount nodes { task { key coordinating } } }
             supervisions { items { supervised } }
             briefings { items { participants } }
             focusProgrammes { items { priorities { group title tasks } } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let matrix = &data["complianceMatrix"]["matrix"];
    assert_eq!(
        matrix["periods"],
        json!(["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"])
    );
    let rows = matrix["rows"].as_array().unwrap();
    let mut units: Vec<&str> = rows.iter().map(|r| r["unitId"].as_str().unwrap()).collect();
    units.sort_unstable();
    assert_eq!(units, ["cong-an-tinh", "dinh-hoa"]);
    for row in rows {
        let cells = row["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 4);
        let t = &row["totals"];
        for status in ["accepted", "returned", "submitted", "missing", "ended"] {
            let n = cells.iter().filter(|c| c["status"] == status).count();
            assert_eq!(
                t[status].as_u64(),
                Some(n as u64),
                "{}: {status}",
                row["unitId"]
            );
        }
        let not_due = cells.iter().filter(|c| c["status"] == "not_due").count();
        assert_eq!(t["notDue"].as_u64(), Some(not_due as u64));
    }
    // Đinh Hóa had not reported for 2023-Q2 (cookbook question 2).
    let dinh_hoa = rows.iter().find(|r| r["unitId"] == "dinh-hoa").unwrap();
    assert_eq!(dinh_hoa["cells"][1]["status"], "missing");
    assert!(dinh_hoa["totals"]["missing"].as_u64().unwrap() >= 1);

    // One task names Sở Tài chính among its coordinating units (the scenario's
    // `co-so-vat-chat`).
    assert_eq!(data["tasks"]["totalCount"], 1);
    assert_eq!(
        data["tasks"]["nodes"][0]["task"],
        json!({ "key": "co-so-vat-chat", "coordinating": ["so-tai-chinh"] })
    );
    assert!(data["supervisions"]["items"][0]["supervised"].is_array());
    assert!(data["briefings"]["items"][0]["participants"].is_array());
    let priorities = &data["focusProgrammes"]["items"][0]["priorities"];
    assert!(priorities[0]["tasks"].is_array() && priorities[0]["group"].is_number());
}

/// Global ids, Relay style: what a list gives, `node(id:)` finds again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_by_global_id() {
    let d = demo(false).await;
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        r#"{ unit(id: "pho-yen") { id key }
             tasks(first: 1) { nodes { id task { key } } }
             plans { items { id key } }
             programmes { items { id key } }
             reports(first: 1) { nodes { id } }
             obstacles(on: "2025-12-31", first: 1) { nodes { id } }
             recommendations(on: "2025-12-31", first: 1) { nodes { id } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let q = r#"query($id: ID!, $on: Date = "2022-04-09") { node(id: $id, on: $on) {
        __typename id
        ... on Unit { key nameOn }
        ... on Task { task { key } }
        ... on Plan { key }
        ... on Programme { key }
        ... on Report { key }
        ... on Obstacle { obstacle { key } }
        ... on Recommendation { recommendation { key } } } }"#;
    for (pointer, typename, key_pointer, on) in [
        ("/unit/id", "Unit", "/node/key", "2022-04-09"),
        ("/tasks/nodes/0/id", "Task", "/node/task/key", "2022-04-09"),
        ("/plans/items/0/id", "Plan", "/node/key", "2022-04-09"),
        (
            "/programmes/items/0/id",
            "Programme",
            "/node/key",
            "2022-04-09",
        ),
        ("/reports/nodes/0/id", "Report", "/node/key", "2022-04-09"),
        (
            "/obstacles/nodes/0/id",
            "Obstacle",
            "/node/obstacle/key",
            "2025-12-31",
        ),
        (
            "/recommendations/nodes/0/id",
            "Recommendation",
            "/node/recommendation/key",
            "2025-12-31",
        ),
    ] {
        let id = data.pointer(pointer).unwrap().clone();
        let (found, errors) =
            run(&d, Some(Role::Supervisor), q, json!({ "id": id, "on": on })).await;
        assert!(errors.is_empty(), "{typename}: {errors:?}");
        assert_eq!(found["node"]["__typename"], typename);
        assert_eq!(found["node"]["id"], id);
        assert!(
            found.pointer(key_pointer).unwrap().is_string(),
            "{typename}: {found}"
        );
    }
    let (found, _) = run(
        &d,
        Some(Role::Supervisor),
        q,
        json!({ "id": data["unit"]["id"] }),
    )
    .await;
    assert_eq!(found["node"]["nameOn"], "Thị xã Phổ Yên");
    assert_ne!(data["unit"]["id"], "pho-yen", "global ids are opaque");
    let (_, errors) = run(&d, Some(Role::Supervisor), q, json!({ "id": "not-an-id" })).await;
    assert_eq!(errors, ["BAD_USER_INPUT"]);
}

/// Units sort by their names in Vietnamese order (Đ after D, not after Z); tasks by deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering() {
    let d = demo(false).await;
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        r#"{ units(first: 100, on: "2024-01-01", orderBy: {field: NAME}) { nodes { nameOn } }
             tasks(first: 100, on: "2024-01-01", orderBy: {field: DEADLINE, direction: DESC}) { nodes { deadline } } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<&str> = data["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["nameOn"].as_str())
        .collect();
    let mut expected = names.clone();
    expected.sort_by_key(|n| ledger_domain::value::vietnamese_sort_key(n));
    assert_eq!(names, expected);
    let first_d = names.iter().position(|n| n.starts_with('Đ')).unwrap();
    let last_h = names.iter().rposition(|n| n.starts_with('H')).unwrap();
    assert!(first_d < last_h, "Đ sorts before H: {names:?}");
    let deadlines: Vec<&str> = data["tasks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["deadline"].as_str().unwrap())
        .collect();
    let mut sorted = deadlines.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(deadlines, sorted);
}

/// One request reads one position: the pinned one, whatever the projector has done since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_reads_its_pinned_position() {
    let d = demo(false).await;
    let today = ledger_graphql::today();
    let request = Request::new(
        r#"{ tasks(on: "2022-07-15", filter: {overdue: true}) { position totalCount }
             units { position } progress(by: PLAN, on: "2022-07-15") { position } }"#,
    )
    .data(principal(Role::Supervisor))
    .data(Arc::new(ledger_graphql::answers::Pin::new(150, today)));
    let response = ledger_graphql::execute(&d.schema, request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    for field in ["tasks", "units", "progress"] {
        assert_eq!(data[field]["position"], 150, "{field}");
    }
    // The same as asking as of position 150 without a pin.
    let (asked, _) = run(
        &d,
        Some(Role::Supervisor),
        r#"{ tasks(on: "2022-07-15", asOf: {position: 150}, filter: {overdue: true}) { totalCount } }"#,
        json!({}),
    )
    .await;
    assert_eq!(data["tasks"]["totalCount"], asked["tasks"]["totalCount"]);
    // Beyond the pin is not yet known to the request.
    let request = Request::new(r#"{ tasks(asOf: {position: 151}) { totalCount } }"#)
        .data(principal(Role::Supervisor))
        .data(Arc::new(ledger_graphql::answers::Pin::new(150, today)));
    let response = ledger_graphql::execute(&d.schema, request).await;
    assert_eq!(response.errors.len(), 1);
}

/// An answer over the most sent is refused, coded, instead of sent (cheap in, unbounded out:
/// 30 aliased heavy fields made 47 MB answers from 5 KB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_over_the_limit_are_refused() {
    use ledger_graphql::answers::{Answers, answer};
    let d = demo(false).await;
    let answers = Answers::default().with_max_answer_bytes(20_000);
    let heavy: String = (0..30)
        .map(|i| format!("a{i}: units(first: 50) {{ nodes {{ id name }} }} "))
        .collect();
    let body = answer(
        &d.schema,
        &answers,
        &d.db,
        Some(principal(Role::Inspector)),
        Request::new(format!("{{ {heavy} }}")),
    )
    .await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "ANSWER_TOO_LARGE",
        "{body}"
    );
    assert!(body["errors"][0]["extensions"]["messageVi"].is_string());
    assert_eq!(body["data"], serde_json::Value::Null);
    let small = answer(
        &d.schema,
        &answers,
        &d.db,
        Some(principal(Role::Inspector)),
        Request::new("{ checkpoint { head } }"),
    )
    .await;
    assert!(small.contains("head"), "{small}");
}

/// Answers are shared between callers asking the same at the same position, never across
/// roles, never with errors or the live checkpoint, and never after the log moved on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_shared_between_callers() {
    use ledger_graphql::answers::{Answers, answer};
    let d = demo(false).await;
    let answers = Answers::default();
    let ask = |role: Role, query: &str| {
        answer(
            &d.schema,
            &answers,
            &d.db,
            Some(principal(role)),
            Request::new(query),
        )
    };
    let overdue = r#"{ tasks(on: "2025-12-31", filter: {overdue: true}) { position totalCount } }"#;
    let first = ask(Role::Supervisor, overdue).await;
    let again = ask(Role::Supervisor, overdue).await;
    assert!(
        Arc::ptr_eq(&first, &again),
        "the second asker got the kept answer"
    );
    assert!(first.contains(r#""totalCount":12"#), "{first}");
    assert_eq!(answers.size().0, 1);

    // Roles see different things: an inspector sees actors, a supervisor only roles.
    let history = r#"{ history(streamId: "task/huong-dan-bo-tro-tu-phap") { entries { actor } } }"#;
    let inspector = ask(Role::Inspector, history).await;
    let supervisor = ask(Role::Supervisor, history).await;
    assert!(inspector.contains("demo-archivist"), "{inspector}");
    assert!(!supervisor.contains("demo-archivist"), "{supervisor}");
    assert_eq!(answers.size().0, 3);

    // Not kept: errors, and the live checkpoint.
    let missing = ask(
        Role::Supervisor,
        r#"{ history(streamId: "task/khong-co") { position } }"#,
    )
    .await;
    assert!(missing.contains("NOT_FOUND"), "{missing}");
    let live = ask(Role::Supervisor, "{ checkpoint { lag } }").await;
    assert!(live.contains("lag"), "{live}");
    assert_eq!(answers.size().0, 3);

    // A mutation is never kept, and after it the question is answered at the new position.
    let write = ask(
        Role::Secretariat,
        r#"mutation { extendDeadline(input: { task: "co-so-vat-chat", deadline: "2027-03-31", on: "2026-11-30", reason: "Chờ vốn", basis: "100/QĐ-UBND" }) { lastPosition } }"#,
    )
    .await;
    assert!(write.contains("lastPosition"), "{write}");
    let after = ask(Role::Supervisor, overdue).await;
    assert!(!Arc::ptr_eq(&first, &after));
    assert!(after.contains(r#""position":510"#), "{after}");
    assert_eq!(
        answers.size().0,
        1,
        "what was kept at the old position is gone"
    );
}

/// Leaf hashes, inclusion and consistency proofs and a signed checkpoint, each checked here
/// with `ledger-proof` alone, as an outsider would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_and_signed_checkpoints() {
    use ledger_proof::{Hash, verify_consistency, verify_inclusion};
    let d = demo(false).await;
    let hash = |v: &Value| -> Hash {
        ledger_store::envelope::hash_hex::from_hex(v.as_str().unwrap()).unwrap()
    };
    let (data, errors) = run(
        &d,
        Some(Role::Inspector),
        r#"{ events(first: 100, after: null) { nodes { position leafHash } }
             history(streamId: "task/huong-dan-bo-tro-tu-phap") { entries { position leafHash } }
             head: inclusionProof(position: 100) { position size leafHash root path }
             at300: inclusionProof(position: 100, size: 300) { size root path leafHash }
             grew: consistencyProof(from: 300) { from to fromRoot toRoot path } }"#,
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let event100 = &data["events"]["nodes"][99];
    assert_eq!(event100["position"], 100);
    assert_eq!(event100["leafHash"], data["head"]["leafHash"]);
    let first_in_history = &data["history"]["entries"][0];
    let (_, errors) = run(
        &d,
        Some(Role::Supervisor),
        &format!(
            "{{ inclusionProof(position: {}) {{ leafHash }} }}",
            first_in_history["position"]
        ),
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");

    let p = &data["head"];
    assert_eq!(
        p["size"], 509,
        "the default size is the position the request reads"
    );
    let path: Vec<Hash> = p["path"].as_array().unwrap().iter().map(hash).collect();
    assert_eq!(
        verify_inclusion(&path, 99, 509, hash(&p["root"]), hash(&p["leafHash"])),
        Ok(())
    );
    let q = &data["at300"];
    let path300: Vec<Hash> = q["path"].as_array().unwrap().iter().map(hash).collect();
    assert_eq!(
        verify_inclusion(&path300, 99, 300, hash(&q["root"]), hash(&q["leafHash"])),
        Ok(())
    );
    let c = &data["grew"];
    assert_eq!(
        (c["from"].as_u64(), c["to"].as_u64()),
        (Some(300), Some(509))
    );
    assert_eq!(c["fromRoot"], q["root"]);
    assert_eq!(c["toRoot"], p["root"]);
    let cpath: Vec<Hash> = c["path"].as_array().unwrap().iter().map(hash).collect();
    assert_eq!(
        verify_consistency(&cpath, 300, hash(&q["root"]), 509, hash(&p["root"])),
        Ok(())
    );

    // Bad sizes and positions are the caller's.
    for query in [
        "{ inclusionProof(position: 0) { root } }",
        "{ inclusionProof(position: 10, size: 9999) { root } }",
        "{ inclusionProof(position: 20, size: 10) { root } }",
        "{ consistencyProof(from: 400, to: 300) { path } }",
    ] {
        let (_, errors) = run(&d, Some(Role::Supervisor), query, json!({})).await;
        assert_eq!(errors, ["BAD_USER_INPUT"], "{query}");
    }

    // Checkpoints: none without a key; with one, a note that opens with its public key.
    let signed = "{ signedCheckpoint { origin size root note } }";
    let (_, errors) = run(&d, Some(Role::Supervisor), signed, json!({})).await;
    assert_eq!(errors, ["NOT_FOUND"]);
    let (private, public) =
        ledger_proof::checkpoint::generate_key(&mut rand_core::OsRng, "ledger.test/demo").unwrap();
    d.checkpoint_key.set(private).unwrap();
    let (data, errors) = run(&d, Some(Role::Supervisor), signed, json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    let note = data["signedCheckpoint"]["note"].as_str().unwrap();
    let opened = ledger_proof::checkpoint::open(note, "ledger.test/demo", &[&public]).unwrap();
    assert_eq!(opened.size, 509);
    assert_eq!(opened.root, hash(&p["root"]));

    // Kept checkpoints: signed on demand, cosigned by a trusted witness, listed.
    let sign = "mutation { signCheckpoint { size signers note } }";
    let (_, errors) = run(&d, Some(Role::UnitReporter), sign, json!({})).await;
    assert_eq!(errors, ["FORBIDDEN"]);
    let (data, errors) = run(&d, Some(Role::Secretariat), sign, json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        data["signCheckpoint"]["signers"],
        json!(["ledger.test/demo"])
    );
    let note = data["signCheckpoint"]["note"].as_str().unwrap().to_owned();
    let (witness, witness_public) =
        ledger_proof::checkpoint::generate_key(&mut rand_core::OsRng, "hdnd.test").unwrap();
    let (stranger, _) =
        ledger_proof::checkpoint::generate_key(&mut rand_core::OsRng, "la.test").unwrap();
    d.witness_keys.set(vec![witness_public]).unwrap();
    let cosign = "mutation($note: String!) { cosignCheckpoint(note: $note) { size signers } }";
    let by_stranger = ledger_proof::checkpoint::cosign(&note, &stranger).unwrap();
    let (_, errors) = run(
        &d,
        Some(Role::Supervisor),
        cosign,
        json!({ "note": by_stranger }),
    )
    .await;
    assert_eq!(errors, ["BAD_USER_INPUT"], "no trusted witness signed");
    let other_size = ledger_proof::checkpoint::cosign(
        &ledger_proof::checkpoint::sign(
            "ledger.test/demo",
            300,
            hash(&q["root"]),
            d.checkpoint_key.get().unwrap(),
        )
        .unwrap(),
        &witness,
    )
    .unwrap();
    let (_, errors) = run(
        &d,
        Some(Role::Supervisor),
        cosign,
        json!({ "note": other_size }),
    )
    .await;
    assert_eq!(errors, ["BAD_USER_INPUT"], "a body the ledger never kept");
    let cosigned = ledger_proof::checkpoint::cosign(&note, &witness).unwrap();
    let (_, errors) = run(
        &d,
        Some(Role::UnitReporter),
        cosign,
        json!({ "note": cosigned }),
    )
    .await;
    assert_eq!(errors, ["FORBIDDEN"]);
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        cosign,
        json!({ "note": cosigned }),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        data["cosignCheckpoint"]["signers"],
        json!(["hdnd.test", "ledger.test/demo"])
    );
    let (data, errors) = run(
        &d,
        Some(Role::Supervisor),
        "{ checkpoints { size signers note } }",
        json!({}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    let kept = data["checkpoints"].as_array().unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0]["signers"], json!(["hdnd.test", "ledger.test/demo"]));
    assert_eq!(kept[0]["note"], cosigned);
}
