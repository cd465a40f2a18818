//! The least-privilege roles of `deploy/postgres/roles.sql` work: the application role appends
//! and reads, and cannot update, delete, truncate or disable the immutability triggers.

use std::str::FromStr;

use ledger_store::{Actor, AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
use ledger_store_postgres::PostgresStore;
use ledger_tests::postgres::TestDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};

const ROLES: &str = include_str!("../deploy/postgres/roles.sql");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_role_can_append_but_not_rewrite() {
    let db = TestDatabase::create().await;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (owner, app) = (format!("lo_{suffix}"), format!("la_{suffix}"));
    let sql = ROLES
        .replace("ledger_owner", &owner)
        .replace("ledger_app", &app);
    let mut admin = PgConnection::connect(&db.url)
        .await
        .expect("connect as admin");
    sqlx::raw_sql(&sql)
        .execute(&mut admin)
        .await
        .expect("roles.sql applies");

    let base = PgConnectOptions::from_str(&db.url).expect("test URL");
    let owner_pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(base.clone().username(&owner))
        .await
        .expect("connect as the owner");
    PostgresStore::migrate(&owner_pool)
        .await
        .expect("the owner migrates");

    let app_pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(base.clone().username(&app))
        .await
        .expect("connect as the application");
    let store = PostgresStore::open(app_pool.clone())
        .await
        .expect("the application opens");
    let actor = Actor {
        subject: "u1".into(),
        display_name: "Thư ký".into(),
        role: "secretariat".into(),
    };
    let request = AppendRequest::single(
        "task-1",
        "task",
        ExpectedVersion::NoStream,
        vec![NewEvent::new(
            "TaskAssigned",
            serde_json::json!({"unit": "so-tu-phap"}),
        )],
        Metadata::new(actor),
    );
    store
        .append(request)
        .await
        .expect("the application appends");
    assert_eq!(store.head().await.expect("head").size, 1);

    let mut conn = app_pool.acquire().await.expect("application connection");
    for attempt in [
        "UPDATE events SET event_type = 'X'",
        "DELETE FROM events",
        "TRUNCATE events",
        "DELETE FROM merkle_hashes",
        "ALTER TABLE events DISABLE TRIGGER ALL",
        "DROP TRIGGER events_immutable ON events",
        "DROP TABLE events",
    ] {
        let refused = conn.execute(attempt).await;
        let message = refused.expect_err(attempt).to_string();
        assert!(
            message.contains("permission denied") || message.contains("must be owner"),
            "{attempt}: {message}"
        );
    }
    drop(conn);
    drop(store);
    app_pool.close().await;
    owner_pool.close().await;
    let _ = admin.close().await;
    db.drop_database().await;
    let mut server = PgConnection::connect(&ledger_tests::postgres::server_url().await)
        .await
        .expect("connect to the server");
    for role in [&app, &owner] {
        server
            .execute(format!("DROP ROLE IF EXISTS {role}").as_str())
            .await
            .expect("drop the test role");
    }
}

/// Opening an existing ledger (what `ledger verify` and `ledger export` do) changes nothing:
/// an empty PostgreSQL database is said to hold no ledger, and no table appears in it; a
/// migrated one opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_an_existing_ledger_creates_nothing() {
    let db = TestDatabase::create().await;
    let refused = match ledger_server::open_existing(&db.url).await {
        Ok(_) => panic!("an empty database opened as a ledger"),
        Err(e) => e,
    };
    assert!(refused.contains("holds no ledger"), "{refused}");
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(tables, 0, "nothing was created");
    conn.close().await.unwrap();
    let store = PostgresStore::connect(&db.url, 2).await.unwrap();
    drop(store);
    assert!(ledger_server::open_existing(&db.url).await.is_ok());
    db.drop_database().await;
}
