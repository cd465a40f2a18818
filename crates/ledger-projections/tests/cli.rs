//! The `ledger-rebuild` command on a SQLite ledger: it rebuilds and swaps, and fails clearly.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use ledger_app::Ledger;
use ledger_app::scenario::{DEMO, import, parse};
use ledger_projections::{AsOf, Db, ReadModels};
use ledger_store_sqlite::SqliteStore;

const BIN: &str = env!("CARGO_BIN_EXE_ledger-rebuild");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilds_a_sqlite_ledger_and_swaps_generations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::open(&path).await.unwrap();
    import(&Ledger::new(store.clone()), &parse(DEMO).unwrap(), |_| {})
        .await
        .unwrap();
    let url = format!("sqlite://{}", path.display());
    let out = Command::new(BIN).arg(&url).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("generation 2 live at position 504"),
        "{stdout}"
    );
    assert!(stderr.contains("bulk load"), "{stderr}");
    let db = Db::Sqlite(store.pool().clone());
    let mut snapshot = ReadModels::new(db).snapshot(AsOf::Present).await.unwrap();
    assert_eq!(snapshot.position(), 504);
    assert_eq!(snapshot.tasks().await.unwrap().len(), 40);
    snapshot.close().await.unwrap();
    // Again: the next generation.
    let out = Command::new(BIN).arg(&url).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("generation 3"));
}

#[test]
fn refuses_bad_usage_and_reports_failures() {
    let none = Command::new(BIN).output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("usage: ledger-rebuild"));
    let scheme = Command::new(BIN).arg("mysql://x").output().unwrap();
    assert_eq!(scheme.status.code(), Some(2));
    let missing = Command::new(BIN)
        .arg("sqlite:///nonexistent-folder/ledger.db")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open"));
}
