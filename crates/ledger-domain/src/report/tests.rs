//! Given / when / then tests of the report aggregate: every command and every refusal, the
//! one-report-per-period rule, the archive's attested receipt, and discrepancies between a
//! report's lines and the ledger.

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;

use super::*;
use crate::command::Command;
use crate::facts::{FactError, Facts};
use crate::task::{Task, TaskEvent};
use crate::test_support::*;
use crate::value::{GroupNumber, Title};

type Given = TestFramework<Report>;

fn period() -> ReportingPeriod {
    "2022-Q1".parse().unwrap()
}
fn report_id() -> ReportId {
    ReportId::parse("so-tu-phap-2022-q1").unwrap()
}
fn task_id() -> TaskId {
    TaskId::parse("huong-dan-luat-su").unwrap()
}
fn plan() -> PlanId {
    PlanId::parse("kh-44-kh-tu").unwrap()
}

fn line(status: ItemStatus, percent: u8) -> ReportItem {
    ReportItem {
        task: task_id(),
        status,
        percent: Percent::new(percent).unwrap(),
    }
}

fn content(percent: u8) -> ReportContent {
    ReportContent {
        items: vec![line(ItemStatus::InProgress, percent)],
        achievements: Some(text("Đã ban hành hướng dẫn về hoạt động bổ trợ tư pháp")),
        shortcomings: None,
        causes: None,
        obstacles: Some(text("Thiếu biên chế")),
        proposals: Some(text("Đề nghị bổ sung kinh phí")),
    }
}

/// The task the report speaks of: assigned to Sở Tư pháp under the plan on 10/1/2022, 45 %
/// reported on 1/3/2022, and completed on 30/4/2022 when `completed`.
fn task(completed: bool) -> Task {
    let mut task = Task::default();
    task.apply(TaskEvent::TaskAssigned {
        id: task_id(),
        plan: plan(),
        group: Some(GroupNumber::new(3).unwrap()),
        title: Title::parse("Hướng dẫn hoạt động luật sư").unwrap(),
        lead: unit_id("so-tu-phap"),
        coordinating: vec![unit_id("doan-luat-su")],
        deadline: day(2022, 6, 30),
        deliverable: None,
        assigned_on: day(2022, 1, 10),
        basis: doc("44-KH/TU"),
    });
    task.apply(TaskEvent::ProgressReported {
        by: unit_id("so-tu-phap"),
        percent: Percent::new(45).unwrap(),
        note: text("Dự thảo"),
        on: day(2022, 3, 1),
    });
    if completed {
        task.apply(TaskEvent::TaskCompleted {
            by: unit_id("so-tu-phap"),
            deliverable: doc("12/HD-STP"),
            on: day(2022, 4, 30),
        });
    }
    task
}

/// The reporting unit active on the days the tests submit, and the task as the ledger has it.
fn known() -> Facts {
    let mut facts = facts(&[
        ("so-tu-phap", day(2022, 3, 14)),
        ("so-tu-phap", day(2022, 3, 15)),
        ("so-tu-phap", day(2021, 12, 1)),
    ]);
    facts.record_task(&task_id(), task(false));
    facts
}

fn submission(on: Date) -> SubmitReport {
    SubmitReport {
        id: report_id(),
        unit: unit_id("so-tu-phap"),
        plan: plan(),
        period: period(),
        submitted_on: on,
        content: content(40),
        attested: None,
    }
}

fn submit(on: Date) -> ReportCommand {
    ReportCommand::Submit(submission(on))
}

fn submitted(on: Date) -> ReportEvent {
    ReportEvent::ReportSubmitted {
        id: report_id(),
        unit: unit_id("so-tu-phap"),
        plan: plan(),
        period: period(),
        regime: ReportingRegime::decree_09_2019(),
        submitted_on: on,
        content: content(40),
        attested: None,
        discrepancies: vec![],
    }
}

fn accept(on: Date, acknowledge: bool) -> ReportCommand {
    ReportCommand::Accept(AcceptReport {
        id: report_id(),
        by: unit_id("ban-noi-chinh"),
        on,
        acknowledge_discrepancies: acknowledge,
    })
}

fn accepted() -> ReportEvent {
    ReportEvent::ReportAccepted {
        revision: 1,
        by: unit_id("ban-noi-chinh"),
        on: day(2022, 3, 20),
        discrepancies: vec![],
    }
}

fn ret(on: Date, reason: &str) -> ReportCommand {
    ReportCommand::Return(ReturnReport {
        id: report_id(),
        by: unit_id("ban-noi-chinh"),
        on,
        reason: text(reason),
    })
}

fn returned() -> ReportEvent {
    ReportEvent::ReportReturned {
        revision: 1,
        by: unit_id("ban-noi-chinh"),
        on: day(2022, 3, 18),
        reason: text("Thiếu số liệu"),
        discrepancies: vec![],
    }
}

fn correct(corrects: u32, on: Date, content: ReportContent) -> ReportCommand {
    ReportCommand::Correct(CorrectReport {
        id: report_id(),
        corrects,
        reason: text("Điều chỉnh"),
        submitted_on: on,
        content,
    })
}

#[test]
fn submit_a_report() {
    Given::with(known())
        .given_no_previous_events()
        .when(submit(day(2022, 3, 14)))
        .then_expect_events(vec![submitted(day(2022, 3, 14))]);
}

#[test]
fn submit_twice_is_refused() {
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(submit(day(2022, 3, 15)))
        .then_expect_error(ReportError::AlreadySubmitted(report_id()));
}

#[test]
fn a_second_report_for_the_same_unit_plan_and_period_is_refused() {
    // The submission's tag is what the store's append condition matches across streams.
    assert_eq!(
        submitted(day(2022, 3, 14)).tags(),
        ["report:so-tu-phap|kh-44-kh-tu|2022-Q1|Nghị định 09/2019/NĐ-CP"]
    );
    let needs = submission(day(2022, 3, 14)).needs(&Report::default());
    assert_eq!(
        needs.unique.map(|u| (u.event_type, u.tag)),
        Some((
            "ReportSubmitted",
            "report:so-tu-phap|kh-44-kh-tu|2022-Q1|Nghị định 09/2019/NĐ-CP".to_owned()
        ))
    );
    let mut facts = known();
    facts.record_holders(vec!["report/so-tu-phap-2022-q1".into()]);
    let second = SubmitReport {
        id: ReportId::parse("so-tu-phap-2022-q1-lan-2").unwrap(),
        ..submission(day(2022, 3, 15))
    };
    Given::with(facts)
        .given_no_previous_events()
        .when(ReportCommand::Submit(second))
        .then_expect_error(ReportError::DuplicateReport {
            unit: unit_id("so-tu-phap"),
            plan: plan(),
            period: period(),
            existing: "report/so-tu-phap-2022-q1".into(),
        });
}

#[test]
fn submit_for_a_period_that_has_not_begun_is_refused() {
    Given::with(known())
        .given_no_previous_events()
        .when(submit(day(2021, 12, 1)))
        .then_expect_error(ReportError::PeriodNotBegun {
            period: period(),
            on: day(2021, 12, 1),
            opens: day(2021, 12, 15),
        });
}

#[test]
fn submit_by_an_inactive_unit_or_a_task_twice_is_refused() {
    let mut facts = known();
    let mut gone = registered_unit("so-tu-phap");
    gone.apply(crate::unit::UnitEvent::UnitDissolved {
        on: day(2022, 3, 1),
        basis: doc("1/QĐ-UBND"),
    });
    facts.record_unit(&unit_id("so-tu-phap"), &gone, day(2022, 3, 14));
    Given::with(facts)
        .given_no_previous_events()
        .when(submit(day(2022, 3, 14)))
        .then_expect_error(ReportError::Fact(FactError::Inactive {
            unit: unit_id("so-tu-phap"),
            on: day(2022, 3, 14),
        }));
    let mut twice = submit(day(2022, 3, 14));
    if let ReportCommand::Submit(SubmitReport { content, .. }) = &mut twice {
        content.items.push(content.items[0].clone());
    }
    Given::with(known())
        .given_no_previous_events()
        .when(twice)
        .then_expect_error(ReportError::TaskListedTwice(task_id()));
}

#[test]
fn only_the_archive_attests_a_receipt_date() {
    let attested = AttestedReceipt {
        received_on: day(2022, 3, 15),
        document: doc("01/SĐK-VPTU"),
    };
    // A live submitter cannot claim when the report was received.
    let mut claimed = SubmitReport {
        attested: Some(attested.clone()),
        ..submission(day(2022, 3, 14))
    };
    assert_eq!(
        claimed.settle(Role::UnitReporter, None),
        Err(PolicyError::AttestationNotAllowed)
    );
    // The archive's record is received on the day it is dated, attested by its source
    // document, unless it says otherwise.
    let mut archived = submission(day(2022, 3, 15));
    archived
        .settle(Role::Archivist, Some(&doc("01/SĐK-VPTU")))
        .unwrap();
    assert_eq!(archived.attested, Some(attested.clone()));
    claimed.settle(Role::Archivist, None).unwrap();
    assert_eq!(claimed.attested, Some(attested.clone()));
    let mut live = submission(day(2022, 3, 14));
    live.settle(Role::UnitReporter, None).unwrap();
    assert_eq!(live.attested, None);
    let ReportEvent::ReportSubmitted {
        id,
        unit,
        plan,
        period,
        regime,
        submitted_on,
        content,
        discrepancies,
        ..
    } = submitted(day(2022, 3, 15))
    else {
        unreachable!()
    };
    Given::with(known())
        .given_no_previous_events()
        .when(ReportCommand::Submit(archived))
        .then_expect_events(vec![ReportEvent::ReportSubmitted {
            id,
            unit,
            plan,
            period,
            regime,
            submitted_on,
            content,
            attested: Some(attested),
            discrepancies,
        }]);
}

#[test]
fn lines_that_contradict_the_ledger_are_discrepancies() {
    let submitted_with = |items: Vec<ReportItem>, facts: Facts| {
        let mut report = submission(day(2022, 3, 14));
        report.content.items = items;
        match Report::default().decide(ReportCommand::Submit(report), &facts) {
            Ok(ReportEvent::ReportSubmitted { discrepancies, .. }) => discrepancies
                .iter()
                .map(|d| d.kind)
                .collect::<Vec<DiscrepancyKind>>(),
            other => panic!("{other:?}"),
        }
    };
    // In line with the ledger: no discrepancy (45 % recorded, 40 % claimed: within 10).
    assert!(submitted_with(vec![line(ItemStatus::InProgress, 40)], known()).is_empty());
    // Claimed completed while the ledger has it open.
    assert_eq!(
        submitted_with(vec![line(ItemStatus::Completed, 100)], known()),
        [DiscrepancyKind::ClaimedCompleted]
    );
    // 100 % is a claim of completion too.
    assert_eq!(
        submitted_with(vec![line(ItemStatus::InProgress, 100)], known()),
        [DiscrepancyKind::ClaimedCompleted]
    );
    // A percentage 10 points or more from the ledger's.
    assert_eq!(
        submitted_with(vec![line(ItemStatus::InProgress, 70)], known()),
        [DiscrepancyKind::PercentDiffers]
    );
    // A task the ledger does not have (never assigned).
    let mut unknown = known();
    let ghost = TaskId::parse("khong-co").unwrap();
    unknown.record_task(&ghost, Task::default());
    let ghost_line = ReportItem {
        task: ghost,
        ..line(ItemStatus::InProgress, 10)
    };
    assert_eq!(
        submitted_with(vec![ghost_line], unknown),
        [DiscrepancyKind::UnknownTask]
    );
    // Said to be under way when it was completed (a correction dated after the completion).
    let mut done = known();
    done.record_task(&task_id(), task(true));
    let mut state = Report::default();
    state.apply(submitted(day(2022, 3, 14)));
    let event = state
        .decide(correct(1, day(2022, 5, 2), content(40)), &done)
        .unwrap();
    let ReportEvent::ReportCorrected { discrepancies, .. } = event else {
        panic!("{event:?}");
    };
    assert_eq!(
        discrepancies,
        [Discrepancy {
            task: task_id(),
            kind: DiscrepancyKind::ClaimedOpen,
            claimed_status: ItemStatus::InProgress,
            claimed_percent: Percent::new(40).unwrap(),
            ledger_status: Some(LedgerStatus::Completed),
            ledger_percent: Percent::new(100).ok(),
        }]
    );
    // By another unit than the task's lead and coordinator.
    let mut other = known();
    other.record_unit(
        &unit_id("so-tai-chinh"),
        &registered_unit("so-tai-chinh"),
        day(2022, 3, 14),
    );
    let mut by_other = submission(day(2022, 3, 14));
    by_other.unit = unit_id("so-tai-chinh");
    let event = Report::default()
        .decide(ReportCommand::Submit(by_other), &other)
        .unwrap();
    let ReportEvent::ReportSubmitted { discrepancies, .. } = event else {
        panic!("{event:?}");
    };
    assert_eq!(discrepancies[0].kind, DiscrepancyKind::NotResponsible);
}

#[test]
fn accepting_with_discrepancies_needs_acknowledgement_and_keeps_them() {
    let mut claimed_done = submitted(day(2022, 3, 14));
    if let ReportEvent::ReportSubmitted { content, .. } = &mut claimed_done {
        content.items = vec![line(ItemStatus::Completed, 100)];
    }
    let expected = vec![Discrepancy {
        task: task_id(),
        kind: DiscrepancyKind::ClaimedCompleted,
        claimed_status: ItemStatus::Completed,
        claimed_percent: Percent::new(100).unwrap(),
        ledger_status: Some(LedgerStatus::Open),
        ledger_percent: Percent::new(45).ok(),
    }];
    Given::with(known())
        .given(vec![claimed_done.clone()])
        .when(accept(day(2022, 3, 20), false))
        .then_expect_error(ReportError::UnacknowledgedDiscrepancies(expected.clone()));
    let refused = ReportError::UnacknowledgedDiscrepancies(expected.clone());
    assert_eq!(refused.kind(), RefusalKind::Discrepancies);
    assert!(
        refused
            .detail()
            .unwrap()
            .to_string()
            .contains("claimed_completed")
    );
    assert!(Refusal::vi(&refused).contains("mâu thuẫn"));
    Given::with(known())
        .given(vec![claimed_done.clone()])
        .when(accept(day(2022, 3, 20), true))
        .then_expect_events(vec![ReportEvent::ReportAccepted {
            revision: 1,
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 20),
            discrepancies: expected.clone(),
        }]);
    // A return shows them too, and keeps them with the verdict.
    Given::with(known())
        .given(vec![claimed_done])
        .when(ret(day(2022, 3, 18), "Thiếu số liệu"))
        .then_expect_events(vec![ReportEvent::ReportReturned {
            revision: 1,
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 18),
            reason: text("Thiếu số liệu"),
            discrepancies: expected,
        }]);
}

#[test]
fn correct_the_current_revision() {
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(ReportCommand::Correct(CorrectReport {
            id: report_id(),
            corrects: 1,
            reason: text("Số liệu tiến độ nhập sai"),
            submitted_on: day(2022, 3, 16),
            content: content(50),
        }))
        .then_expect_events(vec![ReportEvent::ReportCorrected {
            revision: 2,
            corrects: 1,
            reason: text("Số liệu tiến độ nhập sai"),
            submitted_on: day(2022, 3, 16),
            content: content(50),
            discrepancies: vec![],
        }]);
}

#[test]
fn correction_refusals() {
    Given::with(known())
        .given_no_previous_events()
        .when(correct(1, day(2022, 3, 16), content(50)))
        .then_expect_error(ReportError::NotSubmitted);
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(correct(2, day(2022, 3, 16), content(50)))
        .then_expect_error(ReportError::NotCurrentRevision {
            named: 2,
            current: 1,
        });
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(correct(1, day(2022, 3, 10), content(50)))
        .then_expect_error(ReportError::BeforeSubmission {
            on: day(2022, 3, 10),
            submitted_on: day(2022, 3, 14),
        });
    // The unit a correction is for comes from the report, not from the caller.
    let mut state = Report::default();
    state.apply(submitted(day(2022, 3, 14)));
    let CorrectReport { .. } = match correct(1, day(2022, 3, 16), content(50)) {
        ReportCommand::Correct(c) => {
            assert_eq!(c.reporting_unit(&state), Some(unit_id("so-tu-phap")));
            assert_eq!(c.reporting_unit(&Report::default()), None);
            c
        }
        other => panic!("{other:?}"),
    };
}

#[test]
fn accept_a_report() {
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(accept(day(2022, 3, 20), false))
        .then_expect_events(vec![accepted()]);
}

#[test]
fn accepting_twice_is_refused() {
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14)), accepted()])
        .when(accept(day(2022, 3, 21), false))
        .then_expect_error(ReportError::AlreadyReviewed {
            revision: 1,
            verdict: "accepted",
        });
}

#[test]
fn return_a_report_with_a_reason() {
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(ret(day(2022, 3, 18), "Thiếu số liệu"))
        .then_expect_events(vec![returned()]);
}

#[test]
fn review_refusals() {
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14)), returned()])
        .when(accept(day(2022, 3, 19), false))
        .then_expect_error(ReportError::AlreadyReviewed {
            revision: 1,
            verdict: "returned",
        });
    Given::with(known())
        .given_no_previous_events()
        .when(ret(day(2022, 3, 18), "Thiếu"))
        .then_expect_error(ReportError::NotSubmitted);
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(accept(day(2022, 3, 1), false))
        .then_expect_error(ReportError::BeforeSubmission {
            on: day(2022, 3, 1),
            submitted_on: day(2022, 3, 14),
        });
}

#[test]
fn a_returned_report_is_corrected_then_accepted() {
    let corrected = ReportEvent::ReportCorrected {
        revision: 2,
        corrects: 1,
        reason: text("Bổ sung số liệu"),
        submitted_on: day(2022, 3, 21),
        content: content(45),
        discrepancies: vec![],
    };
    Given::with(known())
        .given(vec![submitted(day(2022, 3, 14)), returned(), corrected])
        .when(accept(day(2022, 3, 22), false))
        .then_expect_events(vec![ReportEvent::ReportAccepted {
            revision: 2,
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 22),
            discrepancies: vec![],
        }]);
}

#[test]
fn state_follows_revisions() {
    let mut report = Report::default();
    report.apply(submitted(day(2022, 3, 14)));
    report.apply(ReportEvent::ReportCorrected {
        revision: 2,
        corrects: 1,
        reason: text("Điều chỉnh"),
        submitted_on: day(2022, 3, 20),
        content: content(50),
        discrepancies: vec![],
    });
    assert_eq!(report.revision(), 2);
    assert_eq!(report.review(), Review::Pending);
    assert_eq!(report.content(), &content(50));
    assert_eq!(report.unit(), Some(&unit_id("so-tu-phap")));
    assert!(ReportError::NotSubmitted.vi().contains("chưa được gửi"));
}
