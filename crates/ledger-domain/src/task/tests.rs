//! Given / when / then tests of the task aggregate: every command and every refusal.

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;

use super::*;
use crate::facts::{FactError, Facts};
use crate::test_support::*;
use crate::unit::{Unit, UnitEvent};

type Given = TestFramework<Task>;

/// A unit registered on 1/1/2021 and, if `dissolved`, dissolved on 1/7/2025.
fn unit(id: &str, dissolved: bool) -> Unit {
    let mut u = registered_unit(id);
    if dissolved {
        u.apply(UnitEvent::UnitDissolved {
            on: day(2025, 7, 1),
            basis: doc("72/2025/QH15"),
        });
    }
    u
}

fn assignment() -> AssignTask {
    AssignTask {
        id: TaskId::parse("ctr-trong-tam-2022").unwrap(),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        group: Some(GroupNumber::new(1).unwrap()),
        title: Title::parse("Xây dựng Chương trình trọng tâm công tác cải cách tư pháp năm 2022")
            .unwrap(),
        lead: unit_id("ban-noi-chinh"),
        coordinating: vec![unit_id("so-tu-phap")],
        deadline: day(2022, 1, 31),
        deliverable: Some(Title::parse("Chương trình").unwrap()),
        assigned_on: day(2021, 12, 15),
        basis: doc("44-KH/TU"),
    }
}

fn assign() -> TaskCommand {
    TaskCommand::Assign(assignment())
}

/// The units the tests name, active on the days they name them.
fn known() -> Facts {
    facts(&[
        ("ban-noi-chinh", day(2021, 12, 15)),
        ("so-tu-phap", day(2021, 12, 15)),
        ("so-tu-phap", day(2025, 7, 1)),
        ("ban-noi-chinh", day(2025, 7, 1)),
    ])
}

fn assigned() -> TaskEvent {
    TaskEvent::TaskAssigned {
        id: TaskId::parse("ctr-trong-tam-2022").unwrap(),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        group: Some(GroupNumber::new(1).unwrap()),
        title: Title::parse("Xây dựng Chương trình trọng tâm công tác cải cách tư pháp năm 2022")
            .unwrap(),
        lead: unit_id("ban-noi-chinh"),
        coordinating: vec![unit_id("so-tu-phap")],
        deadline: day(2022, 1, 31),
        deliverable: Some(Title::parse("Chương trình").unwrap()),
        assigned_on: day(2021, 12, 15),
        basis: doc("44-KH/TU"),
    }
}

fn completed() -> TaskEvent {
    TaskEvent::TaskCompleted {
        by: unit_id("ban-noi-chinh"),
        deliverable: doc("05-CTr/BCĐ"),
        on: day(2022, 1, 28),
    }
}

#[test]
fn assign_a_task() {
    Given::with(known())
        .given_no_previous_events()
        .when(assign())
        .then_expect_events(vec![assigned()]);
}

#[test]
fn assign_twice_is_refused() {
    Given::with(known())
        .given(vec![assigned()])
        .when(assign())
        .then_expect_error(TaskError::AlreadyAssigned(
            TaskId::parse("ctr-trong-tam-2022").unwrap(),
        ));
}

#[test]
fn assign_to_a_dissolved_or_unknown_unit_is_refused() {
    let on = day(2025, 8, 1);
    let mut facts = known();
    facts.record_unit(
        &unit_id("ubnd-huyen-dai-tu"),
        &unit("ubnd-huyen-dai-tu", true),
        on,
    );
    facts.record_unit(&unit_id("khong-co"), &Unit::default(), on);
    facts.record_unit(&unit_id("ban-noi-chinh"), &unit("ban-noi-chinh", false), on);
    let late = AssignTask {
        lead: unit_id("ubnd-huyen-dai-tu"),
        coordinating: vec![],
        assigned_on: on,
        deadline: day(2025, 12, 31),
        ..assignment()
    };
    Given::with(facts.clone())
        .given_no_previous_events()
        .when(TaskCommand::Assign(late.clone()))
        .then_expect_error(TaskError::Fact(FactError::Inactive {
            unit: unit_id("ubnd-huyen-dai-tu"),
            on,
        }));
    let unknown = AssignTask {
        lead: unit_id("ban-noi-chinh"),
        coordinating: vec![unit_id("khong-co")],
        ..late
    };
    Given::with(facts)
        .given_no_previous_events()
        .when(TaskCommand::Assign(unknown))
        .then_expect_error(TaskError::Fact(FactError::UnknownUnit(unit_id("khong-co"))));
}

#[test]
fn assign_with_a_unit_named_twice_or_an_early_deadline_is_refused() {
    let mut twice = assign();
    if let TaskCommand::Assign(AssignTask { coordinating, .. }) = &mut twice {
        coordinating.push(unit_id("ban-noi-chinh"));
    }
    Given::with(known())
        .given_no_previous_events()
        .when(twice)
        .then_expect_error(TaskError::UnitNamedTwice(unit_id("ban-noi-chinh")));
    let mut early = assign();
    if let TaskCommand::Assign(AssignTask { deadline, .. }) = &mut early {
        *deadline = day(2021, 12, 1);
    }
    Given::with(known())
        .given_no_previous_events()
        .when(early)
        .then_expect_error(TaskError::DeadlineBeforeAssignment {
            deadline: day(2021, 12, 1),
            assigned_on: day(2021, 12, 15),
        });
}

#[test]
fn issue_a_reminder() {
    let command = TaskCommand::IssueReminder(IssueReminder {
        on: day(2022, 1, 20),
        note: Some(text("Đề nghị khẩn trương hoàn thành")),
        basis: None,
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_events(vec![TaskEvent::ReminderIssued {
            on: day(2022, 1, 20),
            note: Some(text("Đề nghị khẩn trương hoàn thành")),
            basis: None,
        }]);
}

#[test]
fn remind_an_unassigned_or_closed_task_is_refused() {
    let command = TaskCommand::IssueReminder(IssueReminder {
        on: day(2022, 2, 1),
        note: None,
        basis: None,
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given_no_previous_events()
        .when(command.clone())
        .then_expect_error(TaskError::NotAssigned);
    Given::with(known())
        .given(vec![assigned(), completed()])
        .when(command)
        .then_expect_error(TaskError::Closed(
            TaskId::parse("ctr-trong-tam-2022").unwrap(),
        ));
}

#[test]
fn extend_the_deadline() {
    let command = TaskCommand::ExtendDeadline(ExtendDeadline {
        deadline: day(2022, 2, 28),
        on: day(2022, 1, 25),
        reason: text("Chờ ý kiến của Ban Chỉ đạo"),
        basis: doc("120-CV/BNCTU"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_events(vec![TaskEvent::DeadlineExtended {
            from: day(2022, 1, 31),
            to: day(2022, 2, 28),
            on: day(2022, 1, 25),
            reason: text("Chờ ý kiến của Ban Chỉ đạo"),
            basis: doc("120-CV/BNCTU"),
        }]);
}

#[test]
fn an_extension_must_move_the_deadline_later() {
    let command = TaskCommand::ExtendDeadline(ExtendDeadline {
        deadline: day(2022, 1, 31),
        on: day(2022, 1, 25),
        reason: text("Không đổi"),
        basis: doc("120-CV/BNCTU"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_error(TaskError::DeadlineNotLater {
            current: day(2022, 1, 31),
            requested: day(2022, 1, 31),
        });
}

#[test]
fn a_change_before_the_assignment_is_refused() {
    let command = TaskCommand::ExtendDeadline(ExtendDeadline {
        deadline: day(2022, 3, 31),
        on: day(2021, 12, 1),
        reason: text("Ngày sai"),
        basis: doc("120-CV/BNCTU"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_error(TaskError::BeforeAssignment {
            on: day(2021, 12, 1),
            assigned_on: day(2021, 12, 15),
        });
}

#[test]
fn transfer_responsibility_to_a_successor() {
    let command = TaskCommand::TransferResponsibility(TransferTask {
        to: unit_id("so-tu-phap"),
        on: day(2025, 7, 1),
        reason: text("Sắp xếp tổ chức bộ máy"),
        basis: doc("202/2025/QH15"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_events(vec![TaskEvent::ResponsibilityTransferred {
            from: unit_id("ban-noi-chinh"),
            to: unit_id("so-tu-phap"),
            on: day(2025, 7, 1),
            reason: text("Sắp xếp tổ chức bộ máy"),
            basis: doc("202/2025/QH15"),
        }]);
}

#[test]
fn transfer_refusals() {
    let to_lead = TaskCommand::TransferResponsibility(TransferTask {
        to: unit_id("ban-noi-chinh"),
        on: day(2025, 7, 1),
        reason: text("Không đổi"),
        basis: doc("202/2025/QH15"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(to_lead)
        .then_expect_error(TaskError::AlreadyLead(unit_id("ban-noi-chinh")));
    let mut ceased = known();
    ceased.record_unit(
        &unit_id("so-tu-phap"),
        &unit("so-tu-phap", true),
        day(2025, 7, 1),
    );
    let to_dissolved = TaskCommand::TransferResponsibility(TransferTask {
        to: unit_id("so-tu-phap"),
        on: day(2025, 7, 1),
        reason: text("Sắp xếp"),
        basis: doc("202/2025/QH15"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(ceased)
        .given(vec![assigned()])
        .when(to_dissolved)
        .then_expect_error(TaskError::Fact(FactError::Inactive {
            unit: unit_id("so-tu-phap"),
            on: day(2025, 7, 1),
        }));
}

#[test]
fn report_progress_as_lead_or_coordinator() {
    for by in ["ban-noi-chinh", "so-tu-phap"] {
        let command = TaskCommand::ReportProgress(ReportProgress {
            by: unit_id(by),
            percent: Percent::new(60).unwrap(),
            note: text("Đã xây dựng dự thảo"),
            on: day(2022, 1, 14),
            task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
        });
        Given::with(known())
            .given(vec![assigned()])
            .when(command)
            .then_expect_events(vec![TaskEvent::ProgressReported {
                by: unit_id(by),
                percent: Percent::new(60).unwrap(),
                note: text("Đã xây dựng dự thảo"),
                on: day(2022, 1, 14),
            }]);
    }
}

#[test]
fn only_responsible_units_report() {
    let command = TaskCommand::ReportProgress(ReportProgress {
        by: unit_id("so-tai-chinh"),
        percent: Percent::new(10).unwrap(),
        note: text("Báo cáo"),
        on: day(2022, 1, 14),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_error(TaskError::NotResponsible(unit_id("so-tai-chinh")));
}

#[test]
fn complete_the_task() {
    let command = TaskCommand::Complete(CompleteTask {
        by: unit_id("ban-noi-chinh"),
        deliverable: doc("05-CTr/BCĐ"),
        on: day(2022, 1, 28),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_events(vec![completed()]);
}

#[test]
fn only_the_lead_completes_and_only_once() {
    let by_coordinator = TaskCommand::Complete(CompleteTask {
        by: unit_id("so-tu-phap"),
        deliverable: doc("05-CTr/BCĐ"),
        on: day(2022, 1, 28),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(by_coordinator)
        .then_expect_error(TaskError::NotResponsible(unit_id("so-tu-phap")));
    let again = TaskCommand::Complete(CompleteTask {
        by: unit_id("ban-noi-chinh"),
        deliverable: doc("05-CTr/BCĐ"),
        on: day(2022, 1, 29),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned(), completed()])
        .when(again)
        .then_expect_error(TaskError::Closed(
            TaskId::parse("ctr-trong-tam-2022").unwrap(),
        ));
}

#[test]
fn cancel_the_task() {
    let command = TaskCommand::Cancel(CancelTask {
        on: day(2022, 3, 1),
        reason: text("Nhiệm vụ được lồng ghép vào kế hoạch khác"),
        basis: doc("130/KH-UBND"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned()])
        .when(command)
        .then_expect_events(vec![TaskEvent::TaskCancelled {
            on: day(2022, 3, 1),
            reason: text("Nhiệm vụ được lồng ghép vào kế hoạch khác"),
            basis: doc("130/KH-UBND"),
        }]);
}

#[test]
fn cancel_a_closed_task_is_refused() {
    let command = TaskCommand::Cancel(CancelTask {
        on: day(2022, 3, 1),
        reason: text("Hủy"),
        basis: doc("130/KH-UBND"),
        task: TaskId::parse("ctr-trong-tam-2022").unwrap(),
    });
    Given::with(known())
        .given(vec![assigned(), completed()])
        .when(command)
        .then_expect_error(TaskError::Closed(
            TaskId::parse("ctr-trong-tam-2022").unwrap(),
        ));
}

#[test]
fn state_overdue_and_transfer() {
    let mut task = Task::default();
    task.apply(assigned());
    assert!(!task.is_overdue_on(day(2022, 1, 31)));
    assert!(task.is_overdue_on(day(2022, 2, 1)));
    task.apply(TaskEvent::ResponsibilityTransferred {
        from: unit_id("ban-noi-chinh"),
        to: unit_id("so-tu-phap"),
        on: day(2022, 2, 2),
        reason: text("Điều chỉnh"),
        basis: doc("1/QĐ-UBND"),
    });
    assert_eq!(task.lead(), Some(&unit_id("so-tu-phap")));
    task.apply(completed());
    assert!(
        !task.is_overdue_on(day(2022, 3, 1)),
        "a completed task is not overdue"
    );
    assert!(
        TaskError::NotResponsible(unit_id("x"))
            .vi()
            .contains("không chủ trì")
    );
}
