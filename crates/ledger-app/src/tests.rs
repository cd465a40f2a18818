//! The command path on the in-memory store: proofs are loaded, refusals surface, and the
//! events carry the caller's context.

use ledger_domain::unit::{UnitKind, UnitStatus};
use ledger_store::{Actor, MemoryStore, Metadata, ReadStream};

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}
fn unit_id(s: &str) -> UnitId {
    UnitId::parse(s).unwrap()
}
fn doc(s: &str) -> DocumentNumber {
    DocumentNumber::parse(s).unwrap()
}
fn context() -> CommandContext {
    let mut metadata = Metadata::new(Actor {
        subject: "thu-ky-ban-noi-chinh".into(),
        display_name: "Thư ký Ban Nội chính".into(),
        role: "secretariat".into(),
    });
    metadata.acting_unit = Some("ban-noi-chinh".into());
    CommandContext {
        metadata,
        effective_at: None,
    }
}

async fn register(ledger: &Ledger<MemoryStore>, id: &str, name: &str) {
    let command = UnitCommand::Register {
        id: unit_id(id),
        kind: UnitKind::StateBody,
        name: Title::parse(name).unwrap(),
        parent: None,
        established_on: day(2021, 1, 1),
        basis: None,
    };
    ledger
        .execute_unit(&context(), &unit_id(id), command)
        .await
        .unwrap();
}

async fn ledger_with_units() -> Ledger<MemoryStore> {
    let ledger = Ledger::new(MemoryStore::new());
    register(&ledger, "ban-noi-chinh", "Ban Nội chính Tỉnh ủy").await;
    register(&ledger, "so-tu-phap", "Sở Tư pháp").await;
    register(&ledger, "ubnd-huyen-dai-tu", "UBND huyện Đại Từ").await;
    register(&ledger, "ubnd-xa-dai-tu", "UBND xã Đại Từ").await;
    ledger
}

fn assign(lead: &str, on: NaiveDate) -> AssignTask {
    AssignTask {
        id: TaskId::parse("kh44-nv-01").unwrap(),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        group: Some(GroupNumber::new(1).unwrap()),
        title: Title::parse("Xây dựng kế hoạch thực hiện Đề án").unwrap(),
        lead: unit_id(lead),
        coordinating: vec![unit_id("so-tu-phap")],
        deadline: on + chrono::Days::new(45),
        deliverable: Some(Title::parse("Kế hoạch").unwrap()),
        assigned_on: on,
        basis: doc("44-KH/TU"),
    }
}

#[tokio::test]
async fn assigning_a_task_loads_proofs_and_records_the_context() {
    let ledger = ledger_with_units().await;
    ledger
        .assign_task(&context(), assign("ubnd-huyen-dai-tu", day(2021, 12, 15)))
        .await
        .unwrap();
    let events = ledger
        .store()
        .read_stream("task/kh44-nv-01", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "TaskAssigned");
    assert_eq!(events[0].stream_type, "task");
    assert_eq!(events[0].payload["lead"], "ubnd-huyen-dai-tu");
    assert_eq!(events[0].metadata.actor.subject, "thu-ky-ban-noi-chinh");
    assert_eq!(
        events[0].metadata.acting_unit.as_deref(),
        Some("ban-noi-chinh")
    );
}

#[tokio::test]
async fn no_task_goes_to_a_dissolved_or_unknown_unit() {
    let ledger = ledger_with_units().await;
    let dissolve = UnitCommand::Dissolve {
        on: day(2025, 7, 1),
        basis: doc("72/2025/QH15"),
    };
    ledger
        .execute_unit(&context(), &unit_id("ubnd-huyen-dai-tu"), dissolve)
        .await
        .unwrap();
    let refused = ledger
        .assign_task(&context(), assign("ubnd-huyen-dai-tu", day(2025, 8, 1)))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AppError::Unit(UnitError::Inactive { .. })),
        "{refused}"
    );
    assert!(refused.vi().contains("không hoạt động"));
    let unknown = ledger
        .assign_task(&context(), assign("ban-khong-ton-tai", day(2022, 1, 1)))
        .await
        .unwrap_err();
    assert!(matches!(unknown, AppError::UnknownUnit(_)), "{unknown}");
    // Nothing was written for the refused assignments.
    let task = ledger
        .store()
        .read_stream("task/kh44-nv-01", ReadStream::default())
        .await
        .unwrap();
    assert!(task.is_empty());
}

#[tokio::test]
async fn a_merged_units_task_moves_by_explicit_transfer() {
    let ledger = ledger_with_units().await;
    ledger
        .assign_task(&context(), assign("ubnd-huyen-dai-tu", day(2022, 1, 10)))
        .await
        .unwrap();
    let merge = UnitCommand::MergeInto {
        into: unit_id("ubnd-xa-dai-tu"),
        on: day(2025, 7, 1),
        basis: doc("1680/NQ-UBTVQH15"),
    };
    ledger
        .execute_unit(&context(), &unit_id("ubnd-huyen-dai-tu"), merge)
        .await
        .unwrap();
    assert!(matches!(
        ledger
            .unit(&unit_id("ubnd-huyen-dai-tu"))
            .await
            .unwrap()
            .status(),
        UnitStatus::Merged { .. }
    ));
    let task = TaskId::parse("kh44-nv-01").unwrap();
    let reason = LongText::parse("Sắp xếp đơn vị hành chính").unwrap();
    // The merged unit can no longer receive it…
    let back = ledger
        .transfer_task(
            &context(),
            &task,
            &unit_id("ubnd-huyen-dai-tu"),
            day(2025, 7, 2),
            reason.clone(),
            doc("1680/NQ-UBTVQH15"),
        )
        .await
        .unwrap_err();
    assert!(matches!(back, AppError::Unit(UnitError::Inactive { .. })));
    // …and the successor takes it by an explicit transfer.
    ledger
        .transfer_task(
            &context(),
            &task,
            &unit_id("ubnd-xa-dai-tu"),
            day(2025, 7, 1),
            reason,
            doc("1680/NQ-UBTVQH15"),
        )
        .await
        .unwrap();
    let events = ledger
        .store()
        .read_stream("task/kh44-nv-01", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(
        events.last().unwrap().event_type,
        "ResponsibilityTransferred"
    );
}

#[tokio::test]
async fn unit_commands_name_only_registered_units() {
    let ledger = ledger_with_units().await;
    let merge = UnitCommand::MergeInto {
        into: unit_id("chua-dang-ky"),
        on: day(2025, 7, 1),
        basis: doc("1680/NQ-UBTVQH15"),
    };
    let refused = ledger
        .execute_unit(&context(), &unit_id("ubnd-huyen-dai-tu"), merge)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::UnknownUnit(ref u) if u.as_str() == "chua-dang-ky"));
    // A domain refusal surfaces as such.
    let again = UnitCommand::Register {
        id: unit_id("so-tu-phap"),
        kind: UnitKind::StateBody,
        name: Title::parse("Sở Tư pháp").unwrap(),
        parent: None,
        established_on: day(2021, 1, 1),
        basis: None,
    };
    let twice = ledger
        .execute_unit(&context(), &unit_id("so-tu-phap"), again)
        .await
        .unwrap_err();
    assert!(matches!(
        twice,
        AppError::Unit(UnitError::AlreadyRegistered(_))
    ));
}

#[tokio::test]
async fn events_stored_in_an_older_shape_are_upcast_on_load() {
    use ledger_domain::report::{Report, ReportCommand};
    use ledger_store::{AppendRequest, EventStore, ExpectedVersion, NewEvent};

    let ledger = ledger_with_units().await;
    // A report submitted when ReportSubmitted was at version 1 (no regime).
    let mut old = NewEvent::new(
        "ReportSubmitted",
        serde_json::json!({
            "type": "ReportSubmitted",
            "id": "so-tu-phap-2022-q1",
            "unit": "so-tu-phap",
            "plan": "kh-44-kh-tu",
            "period": "2022-Q1",
            "submitted_on": "2022-03-14",
            "content": { "items": [] }
        }),
    );
    old.schema_version = 1;
    let request = AppendRequest::single(
        "report/so-tu-phap-2022-q1",
        "report",
        ExpectedVersion::NoStream,
        vec![old],
        context().metadata,
    );
    ledger.store().append(request).await.unwrap();
    // Loading it for a command reads it in the current shape.
    let accept = ReportCommand::Accept {
        by: unit_id("ban-noi-chinh"),
        on: day(2022, 3, 20),
    };
    ledger
        .execute::<Report>(&context(), "so-tu-phap-2022-q1", accept)
        .await
        .unwrap();
    let events = ledger
        .store()
        .read_stream("report/so-tu-phap-2022-q1", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].schema_version, 1, "history is not rewritten");
    assert_eq!(events[1].event_type, "ReportAccepted");
}
