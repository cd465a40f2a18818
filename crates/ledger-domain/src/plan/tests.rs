//! Given / when / then tests of the plan aggregate: every command and every refusal.

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;

use super::*;
use crate::test_support::*;

type Given = TestFramework<Plan>;

fn plan_id(s: &str) -> PlanId {
    PlanId::parse(s).unwrap()
}
fn required(unit: &str, due: NaiveDate) -> RequiredPlan {
    RequiredPlan {
        unit: unit_id(unit),
        due,
    }
}
fn requirements() -> Vec<RequiredPlan> {
    vec![
        required("so-tu-phap", day(2022, 1, 31)),
        required("cong-an-tinh", day(2022, 1, 31)),
    ]
}
fn issue(required_unit_plans: Vec<RequiredPlan>) -> PlanCommand {
    PlanCommand::Issue {
        id: plan_id("kh-44-kh-tu"),
        document: doc("44-KH/TU"),
        issuer: active("ban-thuong-vu-tinh-uy", day(2021, 12, 15)),
        title: Title::parse("Kế hoạch triển khai thực hiện Đề án 10-ĐA/TU").unwrap(),
        implements: Implements::Programme(ProgrammeId::parse("de-an-10-da-tu").unwrap()),
        required_unit_plans,
        issued_on: day(2021, 12, 15),
    }
}
fn issued() -> PlanEvent {
    PlanEvent::PlanIssued {
        id: plan_id("kh-44-kh-tu"),
        document: doc("44-KH/TU"),
        issuer: unit_id("ban-thuong-vu-tinh-uy"),
        title: Title::parse("Kế hoạch triển khai thực hiện Đề án 10-ĐA/TU").unwrap(),
        implements: Implements::Programme(ProgrammeId::parse("de-an-10-da-tu").unwrap()),
        required_unit_plans: requirements(),
        issued_on: day(2021, 12, 15),
    }
}
fn recorded() -> PlanEvent {
    PlanEvent::UnitPlanRecorded {
        unit: unit_id("so-tu-phap"),
        plan: plan_id("kh-so-tu-phap-2022"),
        on: day(2022, 1, 20),
    }
}

#[test]
fn issue_kh_44() {
    Given::with(())
        .given_no_previous_events()
        .when(issue(requirements()))
        .then_expect_events(vec![issued()]);
}

#[test]
fn issue_refusals() {
    Given::with(())
        .given(vec![issued()])
        .when(issue(requirements()))
        .then_expect_error(PlanError::AlreadyIssued(plan_id("kh-44-kh-tu")));
    let mut twice = requirements();
    twice.push(required("so-tu-phap", day(2022, 2, 28)));
    Given::with(())
        .given_no_previous_events()
        .when(issue(twice))
        .then_expect_error(PlanError::RequiredTwice(unit_id("so-tu-phap")));
    Given::with(())
        .given_no_previous_events()
        .when(issue(vec![required(
            "ban-thuong-vu-tinh-uy",
            day(2022, 1, 31),
        )]))
        .then_expect_error(PlanError::RequiredTwice(unit_id("ban-thuong-vu-tinh-uy")));
    Given::with(())
        .given_no_previous_events()
        .when(issue(vec![required("so-tu-phap", day(2021, 12, 1))]))
        .then_expect_error(PlanError::DueBeforeIssue {
            unit: unit_id("so-tu-phap"),
            due: day(2021, 12, 1),
            issued_on: day(2021, 12, 15),
        });
    let mut stale = issue(requirements());
    if let PlanCommand::Issue { issuer, .. } = &mut stale {
        *issuer = active("ban-thuong-vu-tinh-uy", day(2021, 12, 1));
    }
    Given::with(())
        .given_no_previous_events()
        .when(stale)
        .then_expect_error(PlanError::ProofForAnotherDay {
            unit: unit_id("ban-thuong-vu-tinh-uy"),
            checked: day(2021, 12, 1),
            on: day(2021, 12, 15),
        });
}

#[test]
fn amend_the_requirements() {
    let mut more = requirements();
    more.push(required("doan-luat-su", day(2022, 2, 28)));
    Given::with(())
        .given(vec![issued()])
        .when(PlanCommand::Amend {
            title: None,
            required_unit_plans: Some(more.clone()),
            on: day(2022, 1, 5),
            basis: doc("50-KH/TU"),
        })
        .then_expect_events(vec![PlanEvent::PlanAmended {
            title: None,
            required_unit_plans: Some(more),
            on: day(2022, 1, 5),
            basis: doc("50-KH/TU"),
        }]);
}

#[test]
fn amend_refusals() {
    let nothing = PlanCommand::Amend {
        title: None,
        required_unit_plans: None,
        on: day(2022, 1, 5),
        basis: doc("50-KH/TU"),
    };
    Given::with(())
        .given(vec![issued()])
        .when(nothing.clone())
        .then_expect_error(PlanError::NothingAmended);
    Given::with(())
        .given_no_previous_events()
        .when(nothing)
        .then_expect_error(PlanError::NotIssued);
}

#[test]
fn record_a_unit_plan() {
    Given::with(())
        .given(vec![issued()])
        .when(PlanCommand::RecordUnitPlan {
            unit: unit_id("so-tu-phap"),
            plan: plan_id("kh-so-tu-phap-2022"),
            on: day(2022, 1, 20),
        })
        .then_expect_events(vec![recorded()]);
}

#[test]
fn record_refusals() {
    let record = |unit: &str, on| PlanCommand::RecordUnitPlan {
        unit: unit_id(unit),
        plan: plan_id("kh-x"),
        on,
    };
    Given::with(())
        .given(vec![issued()])
        .when(record("so-tai-chinh", day(2022, 1, 20)))
        .then_expect_error(PlanError::NotRequired(unit_id("so-tai-chinh")));
    Given::with(())
        .given(vec![issued(), recorded()])
        .when(record("so-tu-phap", day(2022, 1, 21)))
        .then_expect_error(PlanError::AlreadyRecorded(unit_id("so-tu-phap")));
    Given::with(())
        .given(vec![issued()])
        .when(record("so-tu-phap", day(2021, 12, 1)))
        .then_expect_error(PlanError::BeforeIssue {
            on: day(2021, 12, 1),
            issued_on: day(2021, 12, 15),
        });
}

#[test]
fn supersede_and_nothing_after() {
    let superseded = PlanEvent::PlanSuperseded {
        by: plan_id("kh-120-kh-tu"),
        on: day(2025, 8, 1),
        basis: doc("120-KH/TU"),
    };
    Given::with(())
        .given(vec![issued()])
        .when(PlanCommand::Supersede {
            by: plan_id("kh-120-kh-tu"),
            on: day(2025, 8, 1),
            basis: doc("120-KH/TU"),
        })
        .then_expect_events(vec![superseded.clone()]);
    Given::with(())
        .given(vec![issued()])
        .when(PlanCommand::Supersede {
            by: plan_id("kh-44-kh-tu"),
            on: day(2025, 8, 1),
            basis: doc("120-KH/TU"),
        })
        .then_expect_error(PlanError::SupersedesItself);
    Given::with(())
        .given(vec![issued(), superseded])
        .when(PlanCommand::RecordUnitPlan {
            unit: unit_id("so-tu-phap"),
            plan: plan_id("kh-x"),
            on: day(2025, 9, 1),
        })
        .then_expect_error(PlanError::Superseded(plan_id("kh-44-kh-tu")));
}

#[test]
fn missing_unit_plans_are_derived() {
    let mut plan = Plan::default();
    plan.apply(issued());
    plan.apply(recorded());
    assert!(
        plan.missing_unit_plans_on(day(2022, 1, 31)).is_empty(),
        "not due yet"
    );
    let missing = plan.missing_unit_plans_on(day(2022, 2, 1));
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].unit, unit_id("cong-an-tinh"));
    assert!(PlanError::NotIssued.vi().contains("chưa được ban hành"));
}
