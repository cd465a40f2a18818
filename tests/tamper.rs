//! Tampering as a superuser would, on SQLite and PostgreSQL: the immutability triggers are
//! dropped, then a payload or a time is changed, a row deleted, two rows swapped, a stored
//! Merkle hash replaced, the tail cut, or history rewritten with every hash recomputed; each is
//! found by `ledger_verify::verify_store`, with the position and the kind (exit code).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use ledger_store::{
    Actor, AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent, ReadAll,
};
use ledger_tests::backends::{Backend, Postgres, Sqlite};
use ledger_verify::{Checkpoint, Finding, verify_store};

/// Raw SQL on a backend's database, as its administrator.
trait Raw: Backend {
    /// Drops the triggers that refuse updates and deletes.
    const DROP_TRIGGERS: &'static [&'static str];
    /// An effective time one year earlier (keeping the column's format).
    const EARLIER: &'static str;
    /// Thirty-two zero bytes.
    const ZERO_HASH: &'static str;
    fn exec(&self, sql: &str) -> impl Future<Output = ()> + Send;
}

impl Raw for Sqlite {
    const DROP_TRIGGERS: &'static [&'static str] = &[
        "DROP TRIGGER events_no_update",
        "DROP TRIGGER events_no_delete",
        "DROP TRIGGER merkle_hashes_no_update",
    ];
    const EARLIER: &'static str =
        "CAST(CAST(substr(effective_at, 1, 4) AS INTEGER) - 1 AS TEXT) || substr(effective_at, 5)";
    const ZERO_HASH: &'static str = "zeroblob(32)";
    async fn exec(&self, sql: &str) {
        sqlx::query(sql).execute(self.store().pool()).await.unwrap();
    }
}

impl Raw for Postgres {
    const DROP_TRIGGERS: &'static [&'static str] = &[
        "DROP TRIGGER events_immutable ON events",
        "DROP TRIGGER merkle_hashes_immutable ON merkle_hashes",
    ];
    const EARLIER: &'static str = "effective_at - interval '1 year'";
    const ZERO_HASH: &'static str = "decode(repeat('00', 32), 'hex')";
    async fn exec(&self, sql: &str) {
        sqlx::query(sql).execute(self.store().pool()).await.unwrap();
    }
}

const EVENTS: u64 = 60;

fn request(i: u64) -> AppendRequest {
    AppendRequest::single(
        format!("task/nhiem-vu-{}", i % 7),
        "task",
        ExpectedVersion::Any,
        vec![NewEvent::new(
            "ProgressReported",
            serde_json::json!({ "percent": i % 100, "note": format!("Báo cáo tiến độ số {i}") }),
        )],
        Metadata::new(Actor {
            subject: "so-tu-phap-1".into(),
            display_name: "Cán bộ Sở Tư pháp".into(),
            role: "unit_reporter".into(),
        }),
    )
}

/// A backend holding a log of `EVENTS` events, and the checkpoint of its head.
async fn logged<B: Raw>(skip: Option<u64>, alter: Option<u64>) -> (B, Checkpoint) {
    let backend = B::new().await;
    for i in 1..=EVENTS {
        if Some(i) == skip {
            continue;
        }
        let mut r = request(i);
        if Some(i) == alter {
            r.streams[0].events[0].payload = serde_json::json!({ "percent": 100, "note": "sửa" });
        }
        backend.store().append(r).await.unwrap();
    }
    let head = backend.store().head().await.unwrap();
    let checkpoint = Checkpoint {
        size: head.size,
        root: head.root,
        source: "the checkpoint signed before".into(),
    };
    (backend, checkpoint)
}

async fn tampered<B: Raw>(statements: &[String]) -> Result<ledger_verify::Summary, Finding> {
    let (backend, checkpoint) = logged::<B>(None, None).await;
    assert!(
        verify_store(backend.store(), vec![checkpoint.clone()], &mut |_, _| {})
            .await
            .is_ok(),
        "the log verifies before it is touched"
    );
    for sql in B::DROP_TRIGGERS {
        backend.exec(sql).await;
    }
    for sql in statements {
        backend.exec(sql).await;
    }
    let found = verify_store(backend.store(), vec![checkpoint], &mut |_, _| {}).await;
    backend.cleanup().await;
    found
}

fn expect(found: Result<ledger_verify::Summary, Finding>, position: u64, code: i32, what: &str) {
    let finding = found.expect_err(what);
    assert_eq!(
        (finding.position, finding.exit_code()),
        (Some(position), code),
        "{what}: {finding}"
    );
}

async fn each_tampering_is_found<B: Raw>() {
    expect(
        tampered::<B>(&[
            "UPDATE events SET payload = '{\"percent\":100}' WHERE position = 12".into(),
        ])
        .await,
        12,
        3,
        "a changed payload",
    );
    expect(
        tampered::<B>(&[format!(
            "UPDATE events SET effective_at = {} WHERE position = 20",
            B::EARLIER
        )])
        .await,
        20,
        3,
        "a changed time",
    );
    expect(
        tampered::<B>(&["DELETE FROM events WHERE position = 7".into()]).await,
        7,
        4,
        "a deleted row",
    );
    expect(
        tampered::<B>(&[
            "UPDATE events SET position = 1000000 WHERE position = 30".into(),
            "UPDATE events SET position = 30 WHERE position = 31".into(),
            "UPDATE events SET position = 31 WHERE position = 1000000".into(),
        ])
        .await,
        30,
        3,
        "two rows swapped",
    );
    expect(
        tampered::<B>(&[format!(
            "UPDATE merkle_hashes SET hash = {} WHERE idx = 5",
            B::ZERO_HASH
        )])
        .await,
        4,
        5,
        "a stored Merkle hash replaced",
    );
    expect(
        tampered::<B>(&["DELETE FROM events WHERE position > 50".into()]).await,
        51,
        4,
        "a cut tail",
    );

    // History rewritten by someone who controls the database: event 30 changed and every
    // hash after it recomputed (here: the log appended afresh, so the store computes them).
    // The rewritten log is consistent in itself; the checkpoint saved before shows it.
    let (original, before) = logged::<B>(None, None).await;
    original.cleanup().await;
    let (rewritten, _) = logged::<B>(None, Some(30)).await;
    assert!(
        verify_store(rewritten.store(), vec![], &mut |_, _| {})
            .await
            .is_ok()
    );
    expect(
        verify_store(rewritten.store(), vec![before.clone()], &mut |_, _| {}).await,
        EVENTS,
        6,
        "history rewritten",
    );
    // And the consistency proof from the checkpoint to the rewritten log fails too.
    let head = rewritten.store().head().await.unwrap();
    let indexes = ledger_proof::consistency_indexes(before.size, head.size).unwrap();
    let stored: ledger_proof::Stored = indexes
        .iter()
        .copied()
        .zip(rewritten.store().stored_hashes(&indexes).await.unwrap())
        .collect();
    let proof = ledger_proof::consistency_proof(before.size, head.size, &stored).unwrap();
    assert!(
        ledger_proof::verify_consistency(&proof, before.size, before.root, head.size, head.root)
            .is_err()
    );
    // An event deleted and the rest renumbered, every hash recomputed: the same.
    let (renumbered, _) = logged::<B>(Some(3), None).await;
    let found = verify_store(renumbered.store(), vec![before], &mut |_, _| {}).await;
    let finding = found.expect_err("an event deleted and the log renumbered");
    assert!(matches!(finding.exit_code(), 4 | 6), "{finding}");
    // The exported events still read back whole.
    let all = renumbered
        .store()
        .read_all(&ReadAll::after(0, 1000))
        .await
        .unwrap();
    assert_eq!(all.len() as u64, EVENTS - 1);
    rewritten.cleanup().await;
    renumbered.cleanup().await;
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_tampering_is_found() {
        super::each_tampering_is_found::<super::Sqlite>().await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_tampering_is_found() {
        super::each_tampering_is_found::<super::Postgres>().await;
    }
}
