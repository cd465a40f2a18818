//! Given / when / then tests of the plan aggregate: every command and every refusal.

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;

use super::*;
use crate::command::Command;
use crate::facts::{FactError, Facts};
use crate::test_support::*;

type Given = TestFramework<Plan>;

/// The issuer and the required units, active on the day of issue.
fn units_on_the_day() -> Facts {
    let on = day(2021, 12, 15);
    facts(&[
        ("ban-thuong-vu-tinh-uy", on),
        ("so-tu-phap", on),
        ("cong-an-tinh", on),
        ("doan-luat-su", on),
    ])
}

fn plan_id(s: &str) -> PlanId {
    PlanId::parse(s).unwrap()
}
fn required(unit: &str, due: Date) -> RequiredPlan {
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
    PlanCommand::Issue(IssuePlan {
        id: plan_id("kh-44-kh-tu"),
        document: doc("44-KH/TU"),
        issuer: unit_id("ban-thuong-vu-tinh-uy"),
        title: Title::parse("Kế hoạch triển khai thực hiện Đề án 10-ĐA/TU").unwrap(),
        implements: Implements::Programme(ProgrammeId::parse("de-an-10-da-tu").unwrap()),
        required_unit_plans,
        issued_on: day(2021, 12, 15),
    })
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
    Given::with(units_on_the_day())
        .given_no_previous_events()
        .when(issue(requirements()))
        .then_expect_events(vec![issued()]);
}

#[test]
fn issue_refusals() {
    Given::with(units_on_the_day())
        .given(vec![issued()])
        .when(issue(requirements()))
        .then_expect_error(PlanError::AlreadyIssued(plan_id("kh-44-kh-tu")));
    let mut twice = requirements();
    twice.push(required("so-tu-phap", day(2022, 2, 28)));
    Given::with(units_on_the_day())
        .given_no_previous_events()
        .when(issue(twice))
        .then_expect_error(PlanError::RequiredTwice(unit_id("so-tu-phap")));
    Given::with(units_on_the_day())
        .given_no_previous_events()
        .when(issue(vec![required(
            "ban-thuong-vu-tinh-uy",
            day(2022, 1, 31),
        )]))
        .then_expect_error(PlanError::RequiredTwice(unit_id("ban-thuong-vu-tinh-uy")));
    Given::with(units_on_the_day())
        .given_no_previous_events()
        .when(issue(vec![required("so-tu-phap", day(2021, 12, 1))]))
        .then_expect_error(PlanError::DueBeforeIssue {
            unit: unit_id("so-tu-phap"),
            due: day(2021, 12, 1),
            issued_on: day(2021, 12, 15),
        });
    // A required unit that had ceased by the day of issue.
    let mut ceased = units_on_the_day();
    let mut police = registered_unit("cong-an-tinh");
    police.apply(crate::unit::UnitEvent::UnitDissolved {
        on: day(2021, 12, 1),
        basis: doc("1/QĐ-UBND"),
    });
    ceased.record_unit(&unit_id("cong-an-tinh"), &police, day(2021, 12, 15));
    Given::with(ceased)
        .given_no_previous_events()
        .when(issue(requirements()))
        .then_expect_error(PlanError::Fact(FactError::Inactive {
            unit: unit_id("cong-an-tinh"),
            on: day(2021, 12, 15),
        }));
}

#[test]
fn a_unit_has_one_plan_under_a_parent_plan() {
    let unit_plan = |id: &str| IssuePlan {
        id: plan_id(id),
        document: doc("15/KH-STP"),
        issuer: unit_id("so-tu-phap"),
        title: Title::parse("Kế hoạch của Sở Tư pháp").unwrap(),
        implements: Implements::Plan(plan_id("kh-44-kh-tu")),
        required_unit_plans: vec![],
        issued_on: day(2022, 1, 20),
    };
    let first = unit_plan("kh-stp-2022");
    // Its event carries the (parent, issuer) tag the store's append condition matches.
    assert_eq!(
        first.needs(&Plan::default()).unique.unwrap().tag,
        "unit-plan:kh-44-kh-tu|so-tu-phap"
    );
    let mut given = facts(&[("so-tu-phap", day(2022, 1, 20))]);
    Given::with(given.clone())
        .given_no_previous_events()
        .when(PlanCommand::Issue(first))
        .then_expect_events(vec![PlanEvent::PlanIssued {
            id: plan_id("kh-stp-2022"),
            document: doc("15/KH-STP"),
            issuer: unit_id("so-tu-phap"),
            title: Title::parse("Kế hoạch của Sở Tư pháp").unwrap(),
            implements: Implements::Plan(plan_id("kh-44-kh-tu")),
            required_unit_plans: vec![],
            issued_on: day(2022, 1, 20),
        }]);
    given.record_holders(vec!["plan/kh-stp-2022".into()]);
    Given::with(given)
        .given_no_previous_events()
        .when(PlanCommand::Issue(unit_plan("kh-stp-2022-b")))
        .then_expect_error(PlanError::UnitPlanExists {
            parent: plan_id("kh-44-kh-tu"),
            issuer: unit_id("so-tu-phap"),
            existing: "plan/kh-stp-2022".into(),
        });
    let issued = PlanEvent::PlanIssued {
        id: plan_id("kh-stp-2022"),
        document: doc("15/KH-STP"),
        issuer: unit_id("so-tu-phap"),
        title: Title::parse("x").unwrap(),
        implements: Implements::Plan(plan_id("kh-44-kh-tu")),
        required_unit_plans: vec![],
        issued_on: day(2022, 1, 20),
    };
    assert_eq!(issued.tags(), ["unit-plan:kh-44-kh-tu|so-tu-phap"]);
}

#[test]
fn amend_the_requirements() {
    let mut more = requirements();
    more.push(required("doan-luat-su", day(2022, 2, 28)));
    Given::with(units_on_the_day())
        .given(vec![issued()])
        .when(PlanCommand::Amend(AmendPlan {
            title: None,
            required_unit_plans: Some(more.clone()),
            on: day(2022, 1, 5),
            basis: doc("50-KH/TU"),
            id: plan_id("kh-44-kh-tu"),
        }))
        .then_expect_events(vec![PlanEvent::PlanAmended {
            title: None,
            required_unit_plans: Some(more),
            on: day(2022, 1, 5),
            basis: doc("50-KH/TU"),
        }]);
}

#[test]
fn amend_refusals() {
    let nothing = PlanCommand::Amend(AmendPlan {
        title: None,
        required_unit_plans: None,
        on: day(2022, 1, 5),
        basis: doc("50-KH/TU"),
        id: plan_id("kh-44-kh-tu"),
    });
    Given::with(units_on_the_day())
        .given(vec![issued()])
        .when(nothing.clone())
        .then_expect_error(PlanError::NothingAmended);
    Given::with(units_on_the_day())
        .given_no_previous_events()
        .when(nothing)
        .then_expect_error(PlanError::NotIssued);
}

#[test]
fn record_a_unit_plan() {
    Given::with(units_on_the_day())
        .given(vec![issued()])
        .when(PlanCommand::RecordUnitPlan(RecordUnitPlan {
            unit: unit_id("so-tu-phap"),
            unit_plan: plan_id("kh-so-tu-phap-2022"),
            on: day(2022, 1, 20),
            plan: plan_id("kh-44-kh-tu"),
        }))
        .then_expect_events(vec![recorded()]);
}

#[test]
fn record_refusals() {
    let record = |unit: &str, on| {
        PlanCommand::RecordUnitPlan(RecordUnitPlan {
            unit: unit_id(unit),
            unit_plan: plan_id("kh-x"),
            on,
            plan: plan_id("kh-44-kh-tu"),
        })
    };
    Given::with(units_on_the_day())
        .given(vec![issued()])
        .when(record("so-tai-chinh", day(2022, 1, 20)))
        .then_expect_error(PlanError::NotRequired(unit_id("so-tai-chinh")));
    Given::with(units_on_the_day())
        .given(vec![issued(), recorded()])
        .when(record("so-tu-phap", day(2022, 1, 21)))
        .then_expect_error(PlanError::AlreadyRecorded(unit_id("so-tu-phap")));
    Given::with(units_on_the_day())
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
    Given::with(units_on_the_day())
        .given(vec![issued()])
        .when(PlanCommand::Supersede(SupersedePlan {
            by: plan_id("kh-120-kh-tu"),
            on: day(2025, 8, 1),
            basis: doc("120-KH/TU"),
            id: plan_id("kh-44-kh-tu"),
        }))
        .then_expect_events(vec![superseded.clone()]);
    Given::with(units_on_the_day())
        .given(vec![issued()])
        .when(PlanCommand::Supersede(SupersedePlan {
            by: plan_id("kh-44-kh-tu"),
            on: day(2025, 8, 1),
            basis: doc("120-KH/TU"),
            id: plan_id("kh-44-kh-tu"),
        }))
        .then_expect_error(PlanError::SupersedesItself);
    Given::with(units_on_the_day())
        .given(vec![issued(), superseded])
        .when(PlanCommand::RecordUnitPlan(RecordUnitPlan {
            unit: unit_id("so-tu-phap"),
            unit_plan: plan_id("kh-x"),
            on: day(2025, 9, 1),
            plan: plan_id("kh-44-kh-tu"),
        }))
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
