//! Given / when / then tests of the report aggregate: every command and every refusal.

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;

use super::*;
use crate::test_support::*;

type Given = TestFramework<Report>;

fn period() -> ReportingPeriod {
    "2022-Q1".parse().unwrap()
}
fn report_id() -> ReportId {
    ReportId::parse("so-tu-phap-2022-q1").unwrap()
}

fn content(percent: u8) -> ReportContent {
    ReportContent {
        items: vec![ReportItem {
            task: TaskId::parse("huong-dan-luat-su").unwrap(),
            status: ItemStatus::InProgress,
            percent: Percent::new(percent).unwrap(),
        }],
        achievements: Some(text("Đã ban hành hướng dẫn về hoạt động bổ trợ tư pháp")),
        shortcomings: None,
        causes: None,
        obstacles: Some(text("Thiếu biên chế")),
        proposals: Some(text("Đề nghị bổ sung kinh phí")),
    }
}

fn submit(on: NaiveDate) -> ReportCommand {
    ReportCommand::Submit {
        id: report_id(),
        unit: active("so-tu-phap", on),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        period: period(),
        regime: ReportingRegime::decree_09_2019(),
        submitted_on: on,
        content: content(40),
    }
}

fn submitted(on: NaiveDate) -> ReportEvent {
    ReportEvent::ReportSubmitted {
        id: report_id(),
        unit: unit_id("so-tu-phap"),
        plan: PlanId::parse("kh-44-kh-tu").unwrap(),
        period: period(),
        regime: ReportingRegime::decree_09_2019(),
        submitted_on: on,
        content: content(40),
    }
}

fn accepted() -> ReportEvent {
    ReportEvent::ReportAccepted {
        revision: 1,
        by: unit_id("ban-noi-chinh"),
        on: day(2022, 3, 20),
    }
}

#[test]
fn submit_a_report() {
    Given::with(())
        .given_no_previous_events()
        .when(submit(day(2022, 3, 14)))
        .then_expect_events(vec![submitted(day(2022, 3, 14))]);
}

#[test]
fn submit_twice_is_refused() {
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(submit(day(2022, 3, 15)))
        .then_expect_error(ReportError::AlreadySubmitted(report_id()));
}

#[test]
fn submit_for_a_period_that_has_not_begun_is_refused() {
    Given::with(())
        .given_no_previous_events()
        .when(submit(day(2021, 12, 1)))
        .then_expect_error(ReportError::PeriodNotBegun {
            period: period(),
            on: day(2021, 12, 1),
            opens: day(2021, 12, 15),
        });
}

#[test]
fn submit_with_a_proof_for_another_day_or_a_task_twice_is_refused() {
    let mut stale = submit(day(2022, 3, 14));
    if let ReportCommand::Submit { unit, .. } = &mut stale {
        *unit = active("so-tu-phap", day(2022, 1, 1));
    }
    Given::with(())
        .given_no_previous_events()
        .when(stale)
        .then_expect_error(ReportError::ProofForAnotherDay {
            unit: unit_id("so-tu-phap"),
            checked: day(2022, 1, 1),
            on: day(2022, 3, 14),
        });
    let mut twice = submit(day(2022, 3, 14));
    if let ReportCommand::Submit { content, .. } = &mut twice {
        content.items.push(content.items[0].clone());
    }
    Given::with(())
        .given_no_previous_events()
        .when(twice)
        .then_expect_error(ReportError::TaskListedTwice(
            TaskId::parse("huong-dan-luat-su").unwrap(),
        ));
}

#[test]
fn correct_the_current_revision() {
    let command = ReportCommand::Correct {
        corrects: 1,
        reason: text("Số liệu tiến độ nhập sai"),
        submitted_on: day(2022, 3, 16),
        content: content(50),
    };
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(command)
        .then_expect_events(vec![ReportEvent::ReportCorrected {
            revision: 2,
            corrects: 1,
            reason: text("Số liệu tiến độ nhập sai"),
            submitted_on: day(2022, 3, 16),
            content: content(50),
        }]);
}

#[test]
fn correction_refusals() {
    let correct = |corrects, on| ReportCommand::Correct {
        corrects,
        reason: text("Điều chỉnh"),
        submitted_on: on,
        content: content(50),
    };
    Given::with(())
        .given_no_previous_events()
        .when(correct(1, day(2022, 3, 16)))
        .then_expect_error(ReportError::NotSubmitted);
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(correct(2, day(2022, 3, 16)))
        .then_expect_error(ReportError::NotCurrentRevision {
            named: 2,
            current: 1,
        });
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(correct(1, day(2022, 3, 10)))
        .then_expect_error(ReportError::BeforeSubmission {
            on: day(2022, 3, 10),
            submitted_on: day(2022, 3, 14),
        });
}

#[test]
fn accept_a_report() {
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(ReportCommand::Accept {
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 20),
        })
        .then_expect_events(vec![accepted()]);
}

#[test]
fn accepting_twice_is_refused() {
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14)), accepted()])
        .when(ReportCommand::Accept {
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 21),
        })
        .then_expect_error(ReportError::AlreadyReviewed {
            revision: 1,
            verdict: "accepted",
        });
}

#[test]
fn return_a_report_with_a_reason() {
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(ReportCommand::Return {
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 18),
            reason: text("Thiếu số liệu về án tồn đọng"),
        })
        .then_expect_events(vec![ReportEvent::ReportReturned {
            revision: 1,
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 18),
            reason: text("Thiếu số liệu về án tồn đọng"),
        }]);
}

#[test]
fn review_refusals() {
    let returned = ReportEvent::ReportReturned {
        revision: 1,
        by: unit_id("ban-noi-chinh"),
        on: day(2022, 3, 18),
        reason: text("Thiếu số liệu"),
    };
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14)), returned])
        .when(ReportCommand::Accept {
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 19),
        })
        .then_expect_error(ReportError::AlreadyReviewed {
            revision: 1,
            verdict: "returned",
        });
    Given::with(())
        .given_no_previous_events()
        .when(ReportCommand::Return {
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 18),
            reason: text("Thiếu"),
        })
        .then_expect_error(ReportError::NotSubmitted);
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14))])
        .when(ReportCommand::Accept {
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 1),
        })
        .then_expect_error(ReportError::BeforeSubmission {
            on: day(2022, 3, 1),
            submitted_on: day(2022, 3, 14),
        });
}

#[test]
fn a_returned_report_is_corrected_then_accepted() {
    let returned = ReportEvent::ReportReturned {
        revision: 1,
        by: unit_id("ban-noi-chinh"),
        on: day(2022, 3, 18),
        reason: text("Thiếu số liệu"),
    };
    let corrected = ReportEvent::ReportCorrected {
        revision: 2,
        corrects: 1,
        reason: text("Bổ sung số liệu"),
        submitted_on: day(2022, 3, 21),
        content: content(45),
    };
    Given::with(())
        .given(vec![submitted(day(2022, 3, 14)), returned, corrected])
        .when(ReportCommand::Accept {
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 22),
        })
        .then_expect_events(vec![ReportEvent::ReportAccepted {
            revision: 2,
            by: unit_id("ban-noi-chinh"),
            on: day(2022, 3, 22),
        }]);
}

#[test]
fn lateness_is_derived_from_the_regime() {
    // Q1 2022 under Nghị định 09: cut-off Monday 14/3, due Tuesday 15/3.
    let mut on_time = Report::default();
    on_time.apply(submitted(day(2022, 3, 15)));
    assert!(!on_time.is_late());
    let mut late = Report::default();
    late.apply(submitted(day(2022, 3, 16)));
    assert!(late.is_late());
    // A correction does not change when the report first came in.
    late.apply(ReportEvent::ReportCorrected {
        revision: 2,
        corrects: 1,
        reason: text("Điều chỉnh"),
        submitted_on: day(2022, 3, 20),
        content: content(50),
    });
    assert!(late.is_late());
    assert_eq!(late.revision(), 2);
    assert_eq!(late.review(), Review::Pending);
    assert!(ReportError::NotSubmitted.vi().contains("chưa được gửi"));
}
