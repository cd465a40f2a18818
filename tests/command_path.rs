//! Given / when / then tests of the command path, each run on every backend (memory, SQLite,
//! PostgreSQL): who may run what and for which unit, how dates are judged, idempotency, the
//! facts commands need, one report per period (even in a race), discrepancies, the envelope
//! every event carries, imports and the demo.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use ledger_app::{AppError, CommandPath, Outcome, Principal, Request, demo, load, scenario};
use ledger_domain::access::Role;
use ledger_domain::command::{Command, RefusalKind};
use ledger_domain::obstacle::{EscalateObstacle, RaiseObstacle};
use ledger_domain::policy::{Dating, PolicyError};
use ledger_domain::report::{
    AcceptReport, AttestedReceipt, CorrectReport, DiscrepancyKind, ItemStatus, ReportContent,
    ReportItem, SubmitReport,
};
use ledger_domain::task::{AssignTask, CompleteTask, ExtendDeadline, ReportProgress};
use ledger_domain::unit::{DissolveUnit, MergeUnit, RegisterUnit, UnitKind};
use ledger_domain::value::{
    Date, DocumentNumber, LongText, Percent, PlanId, ReportId, TaskId, Title, UnitId,
};
use ledger_store::{EventStore, ReadAll, ReadStream};
use ledger_tests::backends::Backend;

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}
fn unit(s: &str) -> UnitId {
    UnitId::parse(s).unwrap()
}
fn doc(s: &str) -> DocumentNumber {
    DocumentNumber::parse(s).unwrap()
}
fn text(s: &str) -> LongText {
    LongText::parse(s).unwrap()
}

/// The command path over `backend`'s store; today is 1 December 2026 in Việt Nam (10:00,
/// UTC+7).
fn path<B: Backend>(backend: &B) -> CommandPath<B::Store> {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
    CommandPath::new(backend.store().clone()).with_clock(Arc::new(move || now))
}

fn person(role: Role, unit_id: Option<&str>) -> Principal {
    Principal {
        subject: format!("{role}-1"),
        name: "Cán bộ thử nghiệm".into(),
        role,
        unit: unit_id.map(unit),
    }
}

fn archivist() -> Principal {
    person(Role::Archivist, None)
}
fn secretariat() -> Principal {
    person(Role::Secretariat, Some("ban-noi-chinh"))
}
fn reporter(of: &str) -> Principal {
    person(Role::UnitReporter, Some(of))
}

/// A request attested by the archive's register.
fn attested() -> Request {
    Request {
        source_document: Some(doc("01/BB-VPTU")),
        ..Request::default()
    }
}

/// Units registered from 2021, a task of Sở Tư pháp assigned today, as the archive has them.
async fn given_units_and_a_task<S: EventStore>(path: &CommandPath<S>) {
    for id in [
        "ban-noi-chinh",
        "so-tu-phap",
        "so-tai-chinh",
        "ubnd-huyen-dai-tu",
    ] {
        let register = RegisterUnit {
            id: unit(id),
            kind: UnitKind::StateBody,
            name: Title::parse(id).unwrap(),
            parent: None,
            established_on: day("2021-01-01"),
            basis: None,
        };
        path.execute(&archivist(), &attested(), register)
            .await
            .unwrap();
    }
    run(path, &secretariat(), assignment("nv-1", "2026-11-30"))
        .await
        .unwrap();
}

fn assignment(id: &str, on: &str) -> AssignTask {
    AssignTask {
        id: TaskId::parse(id).unwrap(),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        group: None,
        title: Title::parse("Rà soát văn bản").unwrap(),
        lead: unit("so-tu-phap"),
        coordinating: vec![],
        deadline: day("2026-12-31"),
        deliverable: None,
        assigned_on: day(on),
        basis: doc("44-KH/TU"),
    }
}

fn progress(by: &str, on: &str) -> ReportProgress {
    ReportProgress {
        task: TaskId::parse("nv-1").unwrap(),
        by: unit(by),
        percent: Percent::new(50).unwrap(),
        note: text("Đang thực hiện"),
        on: day(on),
    }
}

/// Runs `command` as `who` with no caller reason, document or key.
async fn run<S: EventStore, C: Command>(
    path: &CommandPath<S>,
    who: &Principal,
    command: C,
) -> Result<Outcome, AppError> {
    path.execute(who, &Request::default(), command).await
}

async fn events<S: EventStore>(store: &S) -> Vec<ledger_store::StoredEvent> {
    store.read_all(&ReadAll::after(0, 10_000)).await.unwrap()
}

async fn given_a_role_that_may_not_run_a_command_then_it_is_forbidden_and_nothing_is_written<
    B: Backend,
>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let before = events(path.store()).await.len();
    for role in [Role::Inspector, Role::Supervisor, Role::UnitReporter] {
        let refused = run(
            &path,
            &person(role, Some("so-tu-phap")),
            assignment("nv-2", "2026-12-01"),
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(AppError::Forbidden {
                    command: "assign_task",
                    ..
                })
            ),
            "{role}: {refused:?}"
        );
    }
    // A secretariat cannot report progress for a unit.
    assert!(matches!(
        run(&path, &secretariat(), progress("so-tu-phap", "2026-12-01")).await,
        Err(AppError::Forbidden { .. })
    ));
    assert_eq!(events(path.store()).await.len(), before);
    backend.cleanup().await;
}

async fn given_a_unit_reporter_then_it_acts_for_its_own_unit_only<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let refused = run(
        &path,
        &reporter("so-tai-chinh"),
        progress("so-tu-phap", "2026-12-01"),
    )
    .await;
    assert!(
        matches!(refused, Err(AppError::OutOfScope { .. })),
        "{refused:?}"
    );
    assert!(refused.unwrap_err().vi().contains("đơn vị của mình"));
    run(
        &path,
        &reporter("so-tu-phap"),
        progress("so-tu-phap", "2026-12-01"),
    )
    .await
    .unwrap();
    backend.cleanup().await;
}

async fn given_a_correction_then_its_unit_comes_from_the_report_in_the_log<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    run(
        &path,
        &reporter("so-tu-phap"),
        submission("r-1", "so-tu-phap", vec![]),
    )
    .await
    .unwrap();
    let correction = CorrectReport {
        id: ReportId::parse("r-1").unwrap(),
        corrects: 1,
        reason: text("Bổ sung"),
        submitted_on: day("2026-12-01"),
        content: ReportContent::default(),
    };
    let refused = run(&path, &reporter("so-tai-chinh"), correction.clone()).await;
    assert!(
        matches!(refused, Err(AppError::OutOfScope { .. })),
        "{refused:?}"
    );
    run(&path, &reporter("so-tu-phap"), correction)
        .await
        .unwrap();
    backend.cleanup().await;
}

async fn given_a_date_after_today_then_only_scheduled_changes_take_it<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let refused = run(
        &path,
        &reporter("so-tu-phap"),
        progress("so-tu-phap", "2030-12-01"),
    )
    .await;
    assert!(
        matches!(refused, Err(AppError::Policy(PolicyError::InFuture { .. }))),
        "{refused:?}"
    );
    // A merger decided now for 1 January takes effect then.
    let merger = MergeUnit {
        id: unit("ubnd-huyen-dai-tu"),
        into: unit("so-tai-chinh"),
        on: day("2027-01-01"),
        basis: doc("99/NQ-HĐND"),
    };
    let outcome = run(&path, &secretariat(), merger).await.unwrap();
    assert_eq!(outcome.dating, Dating::Contemporaneous);
    backend.cleanup().await;
}

async fn given_a_date_before_the_grace_then_a_reporter_is_refused_and_the_secretariat_backdates_with_reason_and_document<
    B: Backend,
>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    // The completion of an overdue task cannot be claimed a year back by the unit.
    let completion = CompleteTask {
        task: TaskId::parse("nv-1").unwrap(),
        by: unit("so-tu-phap"),
        deliverable: doc("12/BC-STP"),
        on: day("2026-11-30"),
    };
    run(
        &path,
        &reporter("so-tu-phap"),
        progress("so-tu-phap", "2026-11-30"),
    )
    .await
    .unwrap();
    let backdated = CompleteTask {
        on: day("2025-11-30"),
        ..completion.clone()
    };
    assert!(matches!(
        run(&path, &reporter("so-tu-phap"), backdated).await,
        Err(AppError::Policy(PolicyError::BackdatingNotAllowed { .. }))
    ));
    // The secretariat may backdate an extension, with a reason and a source document.
    path.execute(&archivist(), &attested(), assignment("nv-2", "2024-01-10"))
        .await
        .unwrap();
    let extension = ExtendDeadline {
        task: TaskId::parse("nv-2").unwrap(),
        deadline: day("2027-06-30"),
        on: day("2024-12-20"),
        reason: text("Chờ kinh phí"),
        basis: doc("215/QĐ-UBND"),
    };
    let outcome = run(&path, &secretariat(), extension.clone()).await.unwrap();
    assert_eq!(outcome.dating, Dating::Backdated);
    let stored = path
        .store()
        .read_stream("task/nv-2", ReadStream::default())
        .await
        .unwrap();
    let last = stored.last().unwrap();
    assert_eq!(last.metadata.dating, Some(ledger_store::Dating::Backdated));
    assert_eq!(last.metadata.reason.as_deref(), Some("Chờ kinh phí"));
    assert_eq!(
        last.metadata.source_document.as_deref(),
        Some("215/QĐ-UBND")
    );
    // Effective at the start of its day in Việt Nam.
    assert_eq!(last.effective_at.to_string(), "2024-12-19T17:00:00.000000Z");
    // Without a source document (an extension always has one; a reminder may not).
    let reminder = ledger_domain::task::IssueReminder {
        task: TaskId::parse("nv-2").unwrap(),
        on: day("2025-01-05"),
        note: None,
        basis: None,
    };
    assert!(matches!(
        path.execute(
            &secretariat(),
            &Request {
                reason: Some(text("Nhập bổ sung")),
                ..Request::default()
            },
            reminder
        )
        .await,
        Err(AppError::Policy(PolicyError::BackdatedWithout {
            missing: "source document",
            ..
        }))
    ));
    // Completion within the grace is accepted.
    run(&path, &reporter("so-tu-phap"), completion)
        .await
        .unwrap();
    backend.cleanup().await;
}

async fn given_the_archive_then_records_are_historical_and_need_their_attesting_document<
    B: Backend,
>() {
    let backend = B::new().await;
    let path = path(&backend);
    let register = RegisterUnit {
        id: unit("so-tu-phap"),
        kind: UnitKind::StateBody,
        name: Title::parse("Sở Tư pháp").unwrap(),
        parent: None,
        established_on: day("2021-01-01"),
        basis: None,
    };
    assert!(matches!(
        run(&path, &archivist(), register.clone()).await,
        Err(AppError::Policy(PolicyError::HistoricalWithoutDocument))
    ));
    let outcome = path
        .execute(&archivist(), &attested(), register)
        .await
        .unwrap();
    assert_eq!(outcome.dating, Dating::Historical);
    let stored = events(path.store()).await;
    assert_eq!(
        stored[0].metadata.dating,
        Some(ledger_store::Dating::Historical)
    );
    assert_eq!(
        stored[0].metadata.source_document.as_deref(),
        Some("01/BB-VPTU")
    );
    assert_eq!(stored[0].metadata.actor.role, "archivist");
    backend.cleanup().await;
}

async fn given_an_idempotency_key_then_a_repeat_is_answered_once_and_another_request_is_refused<
    B: Backend,
>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let request = Request {
        idempotency_key: Some("api:secretariat-1:k1".into()),
        ..Request::default()
    };
    let first = path
        .execute(&secretariat(), &request, assignment("nv-9", "2026-12-01"))
        .await
        .unwrap();
    // Repeated after the state changed (the task now exists): the stored result, not a
    // refusal of the repeat.
    let again = path
        .execute(&secretariat(), &request, assignment("nv-9", "2026-12-01"))
        .await
        .unwrap();
    assert!(again.result.replayed);
    assert_eq!(again.result.first_position, first.result.first_position);
    let head = events(path.store()).await.len();
    // The same key with another request.
    let other = path
        .execute(&secretariat(), &request, assignment("nv-10", "2026-12-01"))
        .await;
    assert!(
        matches!(other, Err(AppError::IdempotencyKeyReused { .. })),
        "{other:?}"
    );
    // The same key with the same command and another reason is another request.
    let with_reason = Request {
        reason: Some(text("Khác")),
        ..request.clone()
    };
    assert!(matches!(
        path.execute(
            &secretariat(),
            &with_reason,
            assignment("nv-9", "2026-12-01")
        )
        .await,
        Err(AppError::IdempotencyKeyReused { .. })
    ));
    assert_eq!(events(path.store()).await.len(), head);
    backend.cleanup().await;
}

async fn given_a_command_naming_a_unit_then_the_unit_must_be_active_that_day<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    run(
        &path,
        &secretariat(),
        DissolveUnit {
            id: unit("ubnd-huyen-dai-tu"),
            on: day("2026-11-28"),
            basis: doc("72/2025/QH15"),
        },
    )
    .await
    .unwrap();
    run(
        &path,
        &reporter("so-tu-phap"),
        RaiseObstacle {
            id: "vuong-mac-1".parse().unwrap(),
            task: TaskId::parse("nv-1").unwrap(),
            by: unit("so-tu-phap"),
            description: text("Thiếu kinh phí"),
            raised_on: day("2026-12-01"),
        },
    )
    .await
    .unwrap();
    // Escalating to a dissolved unit: the proof is checked and used, not dropped.
    let refused = run(
        &path,
        &secretariat(),
        EscalateObstacle {
            id: "vuong-mac-1".parse().unwrap(),
            to: unit("ubnd-huyen-dai-tu"),
            on: day("2026-12-01"),
            note: None,
        },
    )
    .await;
    assert!(matches!(refused, Err(AppError::Refused(_))), "{refused:?}");
    let refused = run(&path, &secretariat(), assignment("nv-3", "2026-12-01")).await;
    assert!(refused.is_ok(), "{refused:?}");
    let unknown = AssignTask {
        lead: unit("khong-co"),
        ..assignment("nv-4", "2026-12-01")
    };
    let refused = run(&path, &secretariat(), unknown).await.unwrap_err();
    assert_eq!(refused.refusal_kind(), Some(RefusalKind::NotFound));
    backend.cleanup().await;
}

fn submission(id: &str, unit_id: &str, items: Vec<ReportItem>) -> SubmitReport {
    SubmitReport {
        id: ReportId::parse(id).unwrap(),
        unit: unit(unit_id),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        period: "2026-Q4".parse().unwrap(),
        submitted_on: day("2026-12-01"),
        content: ReportContent {
            items,
            ..ReportContent::default()
        },
        attested: None,
    }
}

async fn given_a_report_for_a_period_then_a_second_one_is_refused_even_in_a_race<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    run(
        &path,
        &reporter("so-tu-phap"),
        submission("r-1", "so-tu-phap", vec![]),
    )
    .await
    .unwrap();
    let second = run(
        &path,
        &reporter("so-tu-phap"),
        submission("r-2", "so-tu-phap", vec![]),
    )
    .await
    .unwrap_err();
    assert_eq!(second.refusal_kind(), Some(RefusalKind::AlreadyExists));
    assert!(second.to_string().contains("report/r-1"), "{second}");
    // Eight submissions under eight ids for another unit, all at once: one is written.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            run(
                &path,
                &reporter("so-tai-chinh"),
                submission(&format!("tc-{i}"), "so-tai-chinh", vec![]),
            )
            .await
        }));
    }
    let mut written = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => written += 1,
            Err(e) => assert_eq!(e.refusal_kind(), Some(RefusalKind::AlreadyExists), "{e}"),
        }
    }
    assert_eq!(written, 1);
    backend.cleanup().await;
}

async fn given_lines_contradicting_the_ledger_then_they_are_recorded_and_must_be_acknowledged<
    B: Backend,
>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let claims_done = ReportItem {
        task: TaskId::parse("nv-1").unwrap(),
        status: ItemStatus::Completed,
        percent: Percent::new(100).unwrap(),
    };
    let outcome = run(
        &path,
        &reporter("so-tu-phap"),
        submission("r-1", "so-tu-phap", vec![claims_done]),
    )
    .await
    .unwrap();
    assert_eq!(outcome.discrepancies.len(), 1);
    assert_eq!(
        outcome.discrepancies[0].kind,
        DiscrepancyKind::ClaimedCompleted
    );
    let accept = |acknowledge| AcceptReport {
        id: ReportId::parse("r-1").unwrap(),
        by: unit("ban-noi-chinh"),
        on: day("2026-12-01"),
        acknowledge_discrepancies: acknowledge,
    };
    let refused = run(&path, &secretariat(), accept(false)).await.unwrap_err();
    assert_eq!(refused.refusal_kind(), Some(RefusalKind::Discrepancies));
    assert!(refused.detail().unwrap().to_string().contains("nv-1"));
    let accepted = run(&path, &secretariat(), accept(true)).await.unwrap();
    assert_eq!(accepted.discrepancies.len(), 1, "kept with the acceptance");
    // Accepting changed no task.
    let (task, _) = load::<ledger_domain::task::Task, _>(path.store(), "task/nv-1")
        .await
        .unwrap();
    assert_eq!(task.status(), &ledger_domain::task::TaskStatus::Open);
    backend.cleanup().await;
}

async fn given_a_report_then_only_the_archive_attests_when_it_was_received<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let claimed = SubmitReport {
        attested: Some(AttestedReceipt {
            received_on: day("2026-10-01"),
            document: doc("02/BB-VPTU"),
        }),
        ..submission("r-1", "so-tu-phap", vec![])
    };
    assert!(matches!(
        run(&path, &reporter("so-tu-phap"), claimed.clone()).await,
        Err(AppError::Policy(PolicyError::AttestationNotAllowed))
    ));
    path.execute(&archivist(), &attested(), claimed)
        .await
        .unwrap();
    let stored = path
        .store()
        .read_stream("report/r-1", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(stored[0].payload["attested"]["document"], "02/BB-VPTU");
    assert_eq!(stored[0].schema_version, 3);
    assert_eq!(
        stored[0].tags,
        ["report:so-tu-phap|kh-44-kh-tu|2026-Q4|Nghị định 09/2019/NĐ-CP"]
    );
    backend.cleanup().await;
}

async fn given_a_request_then_the_envelope_carries_its_caller_reason_and_document<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let request = Request {
        reason: Some(text("Theo đề nghị của Sở")),
        source_document: Some(doc("30/CV-STP")),
        ..Request::default()
    };
    path.execute(
        &reporter("so-tu-phap"),
        &request,
        progress("so-tu-phap", "2026-12-01"),
    )
    .await
    .unwrap();
    let last = events(path.store()).await.pop().unwrap();
    let m = &last.metadata;
    assert_eq!(m.actor.subject, "unit_reporter-1");
    assert_eq!(m.actor.role, "unit_reporter");
    assert_eq!(m.acting_unit.as_deref(), Some("so-tu-phap"));
    assert_eq!(m.reason.as_deref(), Some("Theo đề nghị của Sở"));
    assert_eq!(m.source_document.as_deref(), Some("30/CV-STP"));
    assert_eq!(m.dating, None);
    // A command's own reason and basis fill the envelope when the caller gives none.
    run(
        &path,
        &secretariat(),
        ExtendDeadline {
            task: TaskId::parse("nv-1").unwrap(),
            deadline: day("2027-03-31"),
            on: day("2026-12-01"),
            reason: text("Chờ ý kiến"),
            basis: doc("120-CV/BNCTU"),
        },
    )
    .await
    .unwrap();
    let last = events(path.store()).await.pop().unwrap();
    assert_eq!(last.metadata.reason.as_deref(), Some("Chờ ý kiến"));
    assert_eq!(
        last.metadata.source_document.as_deref(),
        Some("120-CV/BNCTU")
    );
    backend.cleanup().await;
}

async fn an_import_replays_and_its_events_share_a_correlation<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    let scenario = scenario::parse(
        r#"{
        "name": "thu", "description": "thử",
        "actor": {"subject": "luu-tru", "display_name": "Văn thư lưu trữ", "role": "archivist"},
        "source_document": "01/BB-VPTU",
        "steps": [
            {"register_unit": {"id": "so-tu-phap", "kind": "state_body", "name": "Sở Tư pháp", "established_on": "2021-01-01"}},
            {"register_unit": {"id": "ban-noi-chinh", "kind": "party_organ", "name": "Ban Nội chính", "established_on": "2021-01-01"}, "reason": "Hồ sơ thành lập", "source_document": "5-QĐ/TU"}
        ]}"#,
    )
    .unwrap();
    let first = scenario::import(&path, &scenario, |_| {}).await.unwrap();
    assert_eq!((first.done, first.skipped), (2, 0));
    let again = scenario::import(&path, &scenario, |_| {}).await.unwrap();
    assert_eq!((again.done, again.skipped), (2, 2));
    let stored = events(path.store()).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(
        stored[0].metadata.correlation_id,
        scenario::correlation("thu")
    );
    assert_eq!(
        stored[1].metadata.correlation_id,
        scenario::correlation("thu")
    );
    assert_eq!(
        stored[0].metadata.source_document.as_deref(),
        Some("01/BB-VPTU")
    );
    assert_eq!(
        stored[1].metadata.source_document.as_deref(),
        Some("5-QĐ/TU")
    );
    assert_eq!(
        stored[1].metadata.reason.as_deref(),
        Some("Hồ sơ thành lập")
    );
    assert_eq!(
        stored[0].metadata.reason, None,
        "no importer label in the reason"
    );
    assert_eq!(
        stored[0].metadata.idempotency_key.as_deref(),
        Some("import:thu:0")
    );
    backend.cleanup().await;
}

async fn the_demo_imports_as_the_archive_and_its_live_actions_run_once<B: Backend>() {
    let backend = B::new().await;
    let path = path(&backend);
    let imported = demo::set_up(&path, |_| {}).await.unwrap();
    assert_eq!(imported.skipped, 0);
    let stored = events(path.store()).await;
    let live: Vec<_> = stored
        .iter()
        .filter(|e| e.metadata.actor.role != "archivist")
        .collect();
    assert_eq!(live.len(), 3);
    assert_eq!(
        live[0].metadata.dating,
        Some(ledger_store::Dating::Backdated)
    );
    assert_eq!(live[1].event_type, "ReportSubmitted");
    assert_eq!(
        live[1].payload["discrepancies"][0]["kind"],
        "claimed_completed"
    );
    assert_eq!(live[2].event_type, "ReportAccepted");
    assert!(
        stored
            .iter()
            .filter(|e| e.metadata.actor.role == "archivist")
            .all(|e| e.metadata.dating == Some(ledger_store::Dating::Historical))
    );
    // Again: nothing new, the import replayed and the live actions skipped.
    let again = demo::set_up(&path, |_| {}).await.unwrap();
    assert_eq!(again.skipped, again.total);
    assert_eq!(events(path.store()).await.len(), stored.len());
    backend.cleanup().await;
}

/// A store on which another writer gets in first: the next append runs `inject` (another
/// change, appended through its own command path) before the one asked for, as a writer racing
/// between this one's read and its append would.
#[derive(Clone)]
struct Racing<S> {
    inner: S,
    #[allow(clippy::type_complexity)]
    inject: Arc<
        std::sync::Mutex<Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>>,
    >,
}

impl<S: EventStore> EventStore for Racing<S> {
    async fn append(
        &self,
        request: ledger_store::AppendRequest,
    ) -> ledger_store::Result<ledger_store::AppendResult> {
        let inject = self.inject.lock().unwrap().take();
        if let Some(inject) = inject {
            inject.await;
        }
        self.inner.append(request).await
    }
    async fn read_stream(
        &self,
        stream_id: &str,
        options: ReadStream,
    ) -> ledger_store::Result<Vec<ledger_store::StoredEvent>> {
        self.inner.read_stream(stream_id, options).await
    }
    async fn read_stream_bodies(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> ledger_store::Result<Vec<ledger_store::EventBody>> {
        self.inner
            .read_stream_bodies(stream_id, from_version, limit)
            .await
    }
    async fn read_all(
        &self,
        options: &ReadAll,
    ) -> ledger_store::Result<Vec<ledger_store::StoredEvent>> {
        self.inner.read_all(options).await
    }
    async fn head(&self) -> ledger_store::Result<ledger_store::Head> {
        self.inner.head().await
    }
    async fn position_at(&self, at: ledger_store::Timestamp) -> ledger_store::Result<u64> {
        self.inner.position_at(at).await
    }
    async fn stored_hashes(
        &self,
        indexes: &[u64],
    ) -> ledger_store::Result<Vec<ledger_store::Hash>> {
        self.inner.stored_hashes(indexes).await
    }
    async fn read_query(
        &self,
        query: &ledger_store::Query,
        after: u64,
        limit: usize,
    ) -> ledger_store::Result<Vec<ledger_store::StoredEvent>> {
        self.inner.read_query(query, after, limit).await
    }
    async fn idempotency_record(
        &self,
        key: &str,
    ) -> ledger_store::Result<Option<ledger_store::batch::IdempotencyRecord>> {
        self.inner.idempotency_record(key).await
    }
    async fn keep_checkpoint(
        &self,
        checkpoint: &ledger_store::KeptCheckpoint,
    ) -> ledger_store::Result<bool> {
        self.inner.keep_checkpoint(checkpoint).await
    }
    async fn checkpoints(
        &self,
        size: Option<u64>,
        limit: usize,
    ) -> ledger_store::Result<Vec<ledger_store::KeptCheckpoint>> {
        self.inner.checkpoints(size, limit).await
    }
    fn watch_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.watch_head()
    }
}

async fn given_a_unit_dissolved_between_the_read_and_the_append_then_the_assignment_decides_again<
    B: Backend,
>() {
    let backend = B::new().await;
    let path = path(&backend);
    given_units_and_a_task(&path).await;
    let racing = Racing {
        inner: backend.store().clone(),
        inject: Arc::default(),
    };
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
    let racing_path = CommandPath::new(racing.clone()).with_clock(Arc::new(move || now));
    // While the assignment is decided from Sở Tài chính active, the unit is dissolved.
    let dissolve = {
        let path = path.clone();
        async move {
            run(
                &path,
                &secretariat(),
                DissolveUnit {
                    id: unit("so-tai-chinh"),
                    on: day("2026-12-01"),
                    basis: doc("100/QĐ-UBND"),
                },
            )
            .await
            .unwrap();
        }
    };
    *racing.inject.lock().unwrap() = Some(Box::pin(dissolve));
    let assignment = AssignTask {
        lead: unit("so-tai-chinh"),
        ..assignment("nv-race", "2026-12-01")
    };
    let refused = racing_path
        .execute(&secretariat(), &Request::default(), assignment)
        .await
        .unwrap_err();
    // Decided again from the log: the lead was no longer active that day.
    assert_eq!(refused.refusal_kind(), Some(RefusalKind::Rule), "{refused}");
    assert!(refused.to_string().contains("so-tai-chinh"), "{refused}");
    let stored = events(backend.store()).await;
    assert_eq!(stored.last().unwrap().event_type, "UnitDissolved");
    assert!(stored.iter().all(|e| e.stream_id != "task/nv-race"));
    // The unit's events carry their stream, which is what the assignment was fenced on.
    assert!(
        stored
            .last()
            .unwrap()
            .tags
            .contains(&"unit/so-tai-chinh".to_owned())
    );
    backend.cleanup().await;
}

/// Each case as a test on every backend: `case::memory`, `case::sqlite`, `case::postgres`.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use ledger_tests::backends::{Memory, Postgres, Sqlite};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$case::<Memory>().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$case::<Sqlite>().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$case::<Postgres>().await;
            }
        }
    )*};
}

on_every_backend!(
    given_a_unit_dissolved_between_the_read_and_the_append_then_the_assignment_decides_again,
    given_a_role_that_may_not_run_a_command_then_it_is_forbidden_and_nothing_is_written,
    given_a_unit_reporter_then_it_acts_for_its_own_unit_only,
    given_a_correction_then_its_unit_comes_from_the_report_in_the_log,
    given_a_date_after_today_then_only_scheduled_changes_take_it,
    given_a_date_before_the_grace_then_a_reporter_is_refused_and_the_secretariat_backdates_with_reason_and_document,
    given_the_archive_then_records_are_historical_and_need_their_attesting_document,
    given_an_idempotency_key_then_a_repeat_is_answered_once_and_another_request_is_refused,
    given_a_command_naming_a_unit_then_the_unit_must_be_active_that_day,
    given_a_report_for_a_period_then_a_second_one_is_refused_even_in_a_race,
    given_lines_contradicting_the_ledger_then_they_are_recorded_and_must_be_acknowledged,
    given_a_report_then_only_the_archive_attests_when_it_was_received,
    given_a_request_then_the_envelope_carries_its_caller_reason_and_document,
    an_import_replays_and_its_events_share_a_correlation,
    the_demo_imports_as_the_archive_and_its_live_actions_run_once,
);
