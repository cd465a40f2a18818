//! The event-store conformance suite, run against every backend.

mod memory {
    ledger_tests::conformance_tests!(ledger_tests::backends::Memory);
}

mod sqlite {
    ledger_tests::conformance_tests!(ledger_tests::backends::Sqlite);
}

mod postgres {
    ledger_tests::conformance_tests!(ledger_tests::backends::Postgres);
}

/// PostgreSQL writers in two processes: the path where a writer finds its view of the head
/// stale, writes nothing and plans again is taken, and the log stays whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_writers_replan_when_another_process_appended() {
    use ledger_store::{Actor, AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
    use ledger_tests::backends::{Backend, Postgres};

    let backend = Postgres::new().await;
    let (first, second) = (backend.store().clone(), backend.second_writer().await);
    let actor = Actor {
        subject: "u".into(),
        display_name: "Văn thư".into(),
        role: "secretariat".into(),
    };
    // Alternate the two writers so each finds the other has moved the head.
    for i in 0..20 {
        let store = if i % 2 == 0 { &first } else { &second };
        let request = AppendRequest::single(
            format!("task-{i}"),
            "task",
            ExpectedVersion::NoStream,
            vec![NewEvent::new("TaskAssigned", serde_json::json!({ "i": i }))],
            Metadata::new(actor.clone()),
        );
        let result = store.append(request).await.expect("append");
        assert_eq!(result.first_position, i + 1);
    }
    assert!(
        first.replans() + second.replans() >= 18,
        "each alternation should replan once: {} + {}",
        first.replans(),
        second.replans()
    );
    assert_eq!(first.head().await.unwrap(), second.head().await.unwrap());
    assert_eq!(first.head().await.unwrap().size, 20);
    backend.cleanup().await;
}
