//! The command path on every backend: domain commands run through `ledger_app::Ledger`, with
//! proofs loaded from the store, and land as verifiable events.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use ledger_app::{AppError, Ledger};
use ledger_domain::report::{
    ItemStatus, Report, ReportCommand, ReportContent, ReportError, ReportEvent, ReportItem,
};
use ledger_domain::unit::{UnitCommand, UnitKind};
use ledger_domain::value::{
    LongText, Percent, PlanId, ReportId, ReportingRegime, TaskId, Title, UnitId,
};
use ledger_store::cqrs::CommandContext;
use ledger_store::{Actor, EventStore, Metadata, ReadAll, ReadStream};
use ledger_tests::backends::{Backend, Memory, Postgres, Sqlite};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn context(subject: &str) -> CommandContext {
    CommandContext {
        metadata: Metadata::new(Actor {
            subject: subject.into(),
            display_name: "Cán bộ Sở Tư pháp".into(),
            role: "unit_officer".into(),
        }),
        effective_at: None,
    }
}

async fn report_lifecycle<B: Backend>() {
    let backend = B::new().await;
    let ledger = Ledger::new(backend.store().clone());
    let unit = UnitId::parse("so-tu-phap").unwrap();
    ledger
        .execute_unit(
            &context("admin"),
            &unit,
            UnitCommand::Register {
                id: unit.clone(),
                kind: UnitKind::StateBody,
                name: Title::parse("Sở Tư pháp tỉnh Thái Nguyên").unwrap(),
                parent: None,
                established_on: day(2021, 1, 1),
                basis: None,
            },
        )
        .await
        .unwrap();
    let submitted_on = day(2022, 3, 16);
    let submit = ReportCommand::Submit {
        id: ReportId::parse("so-tu-phap-2022-q1").unwrap(),
        unit: ledger.active_unit(&unit, submitted_on).await.unwrap(),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        period: "2022-Q1".parse().unwrap(),
        regime: ReportingRegime::decree_09_2019(),
        submitted_on,
        content: ReportContent {
            items: vec![ReportItem {
                task: TaskId::parse("huong-dan-luat-su").unwrap(),
                status: ItemStatus::InProgress,
                percent: Percent::new(40).unwrap(),
            }],
            achievements: Some(LongText::parse("Đã ban hành hướng dẫn").unwrap()),
            ..ReportContent::default()
        },
    };
    ledger
        .execute::<Report>(&context("can-bo-stp"), "so-tu-phap-2022-q1", submit)
        .await
        .unwrap();
    let accept = ReportCommand::Accept {
        by: UnitId::parse("ban-noi-chinh").unwrap(),
        on: day(2022, 3, 20),
    };
    ledger
        .execute::<Report>(
            &context("ban-noi-chinh"),
            "so-tu-phap-2022-q1",
            accept.clone(),
        )
        .await
        .unwrap();
    // Accepting twice is the domain's refusal, and writes nothing.
    let twice = ledger
        .execute::<Report>(&context("ban-noi-chinh"), "so-tu-phap-2022-q1", accept)
        .await
        .unwrap_err();
    assert!(
        matches!(twice, AppError::Report(ReportError::AlreadyReviewed { .. })),
        "{twice}"
    );
    assert!(twice.vi().contains("tiếp nhận"));

    let store = backend.store();
    let events = store
        .read_stream("report/so-tu-phap-2022-q1", ReadStream::default())
        .await
        .unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["ReportSubmitted", "ReportAccepted"]);
    assert_eq!(events[0].metadata.actor.subject, "can-bo-stp");
    assert_eq!(events[1].metadata.actor.subject, "ban-noi-chinh");
    // The stored payloads rebuild the aggregate: the report came a day after the deadline.
    let mut report = Report::default();
    for e in &events {
        report.apply(serde_json::from_value::<ReportEvent>(e.payload.clone()).unwrap());
    }
    assert!(report.is_late());
    // And every event is verifiable from its stored fields.
    let all = store.read_all(&ReadAll::after(0, 100)).await.unwrap();
    assert_eq!(all.len(), 3);
    for e in &all {
        assert_eq!(e.compute_leaf_hash().unwrap(), e.leaf_hash);
    }
    backend.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_lifecycle_in_memory() {
    report_lifecycle::<Memory>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_lifecycle_on_sqlite() {
    report_lifecycle::<Sqlite>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_lifecycle_on_postgres() {
    report_lifecycle::<Postgres>().await;
}
