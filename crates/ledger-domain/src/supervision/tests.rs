//! Given / when / then tests of the supervision aggregate: every command and every refusal.

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;

use super::*;
use crate::facts::{FactError, Facts};
use crate::test_support::*;

type Given = TestFramework<Supervision>;

/// The body and the supervised units, active on the day the supervision opens.
fn known() -> Facts {
    let on = day(2023, 5, 23);
    facts(&[
        ("thuong-truc-hdnd-tinh", on),
        ("tand-tinh", on),
        ("vksnd-tinh", on),
        ("cuc-thads", on),
    ])
}

fn id() -> SupervisionId {
    SupervisionId::parse("hdnd-giam-sat-2023").unwrap()
}
fn supervised() -> Vec<UnitId> {
    vec![
        unit_id("tand-tinh"),
        unit_id("vksnd-tinh"),
        unit_id("cuc-thads"),
    ]
}
fn opened() -> SupervisionEvent {
    SupervisionEvent::SupervisionOpened {
        id: id(),
        body: unit_id("thuong-truc-hdnd-tinh"),
        subject: Title::parse("Phiên chất vấn về công tác tư pháp").unwrap(),
        supervised: supervised(),
        opened_on: day(2023, 5, 23),
        basis: doc("45/KH-HĐND"),
    }
}
fn recommended() -> SupervisionEvent {
    SupervisionEvent::RecommendationMade {
        number: 1,
        to: unit_id("cuc-thads"),
        text: text("Giảm số việc thi hành án tồn đọng"),
        respond_by: day(2023, 8, 31),
        on: day(2023, 5, 30),
    }
}
fn closed() -> SupervisionEvent {
    SupervisionEvent::SupervisionClosed {
        on: day(2023, 6, 15),
        conclusion: text("Các cơ quan tư pháp cơ bản hoàn thành chỉ tiêu"),
        basis: doc("60/TB-HĐND"),
    }
}

#[test]
fn open_a_supervision() {
    Given::with(known())
        .given_no_previous_events()
        .when(SupervisionCommand::Open(OpenSupervision {
            id: id(),
            body: unit_id("thuong-truc-hdnd-tinh"),
            subject: Title::parse("Phiên chất vấn về công tác tư pháp").unwrap(),
            supervised: supervised(),
            opened_on: day(2023, 5, 23),
            basis: doc("45/KH-HĐND"),
        }))
        .then_expect_events(vec![opened()]);
}

#[test]
fn open_refusals() {
    let open = |units: Vec<UnitId>, opened_on| {
        SupervisionCommand::Open(OpenSupervision {
            id: id(),
            body: unit_id("thuong-truc-hdnd-tinh"),
            subject: Title::parse("Giám sát").unwrap(),
            supervised: units,
            opened_on,
            basis: doc("45/KH-HĐND"),
        })
    };
    Given::with(known())
        .given(vec![opened()])
        .when(open(supervised(), day(2023, 5, 23)))
        .then_expect_error(SupervisionError::AlreadyOpened(id()));
    Given::with(known())
        .given_no_previous_events()
        .when(open(vec![], day(2023, 5, 23)))
        .then_expect_error(SupervisionError::SupervisedUnits);
    Given::with(known())
        .given_no_previous_events()
        .when(open(
            vec![unit_id("thuong-truc-hdnd-tinh")],
            day(2023, 5, 23),
        ))
        .then_expect_error(SupervisionError::SupervisedUnits);
    Given::with(known())
        .given_no_previous_events()
        .when(open(
            vec![unit_id("tand-tinh"), unit_id("tand-tinh")],
            day(2023, 5, 23),
        ))
        .then_expect_error(SupervisionError::SupervisedUnits);
    // A supervised unit that had ceased by the day.
    let mut ceased = known();
    let mut court = registered_unit("tand-tinh");
    court.apply(crate::unit::UnitEvent::UnitDissolved {
        on: day(2023, 1, 1),
        basis: doc("1/NQ-HĐND"),
    });
    ceased.record_unit(&unit_id("tand-tinh"), &court, day(2023, 5, 23));
    Given::with(ceased)
        .given_no_previous_events()
        .when(open(supervised(), day(2023, 5, 23)))
        .then_expect_error(SupervisionError::Fact(FactError::Inactive {
            unit: unit_id("tand-tinh"),
            on: day(2023, 5, 23),
        }));
}

#[test]
fn make_a_recommendation() {
    Given::with(known())
        .given(vec![opened()])
        .when(SupervisionCommand::Recommend(Recommend {
            to: unit_id("cuc-thads"),
            text: text("Giảm số việc thi hành án tồn đọng"),
            respond_by: day(2023, 8, 31),
            on: day(2023, 5, 30),
            supervision: id(),
        }))
        .then_expect_events(vec![recommended()]);
}

#[test]
fn recommendation_refusals() {
    let recommend = |to: &str, respond_by, on| {
        SupervisionCommand::Recommend(Recommend {
            to: unit_id(to),
            text: text("Kiến nghị"),
            respond_by,
            on,
            supervision: id(),
        })
    };
    Given::with(known())
        .given_no_previous_events()
        .when(recommend("cuc-thads", day(2023, 8, 31), day(2023, 5, 30)))
        .then_expect_error(SupervisionError::NotOpened);
    Given::with(known())
        .given(vec![opened()])
        .when(recommend(
            "so-tai-chinh",
            day(2023, 8, 31),
            day(2023, 5, 30),
        ))
        .then_expect_error(SupervisionError::NotSupervised(unit_id("so-tai-chinh")));
    Given::with(known())
        .given(vec![opened()])
        .when(recommend("cuc-thads", day(2023, 5, 1), day(2023, 5, 30)))
        .then_expect_error(SupervisionError::DeadlineBeforeRecommendation {
            respond_by: day(2023, 5, 1),
            on: day(2023, 5, 30),
        });
    Given::with(known())
        .given(vec![opened()])
        .when(recommend("cuc-thads", day(2023, 8, 31), day(2023, 5, 1)))
        .then_expect_error(SupervisionError::BeforeOpening {
            on: day(2023, 5, 1),
            opened_on: day(2023, 5, 23),
        });
    Given::with(known())
        .given(vec![opened(), closed()])
        .when(recommend("cuc-thads", day(2023, 8, 31), day(2023, 6, 20)))
        .then_expect_error(SupervisionError::Closed(id()));
}

#[test]
fn answer_a_recommendation_even_after_closing() {
    let answered = SupervisionEvent::RecommendationAnswered {
        number: 1,
        by: unit_id("cuc-thads"),
        answer: text("Đã giảm 15% số việc tồn đọng"),
        on: day(2023, 8, 20),
        basis: Some(doc("210/BC-CTHADS")),
    };
    Given::with(known())
        .given(vec![opened(), recommended(), closed()])
        .when(SupervisionCommand::Answer(AnswerRecommendation {
            number: 1,
            by: unit_id("cuc-thads"),
            answer: text("Đã giảm 15% số việc tồn đọng"),
            on: day(2023, 8, 20),
            basis: Some(doc("210/BC-CTHADS")),
            supervision: id(),
        }))
        .then_expect_events(vec![answered]);
}

#[test]
fn answer_refusals() {
    let answer = |number, by: &str| {
        SupervisionCommand::Answer(AnswerRecommendation {
            number,
            by: unit_id(by),
            answer: text("Trả lời"),
            on: day(2023, 8, 20),
            basis: None,
            supervision: id(),
        })
    };
    Given::with(known())
        .given_no_previous_events()
        .when(answer(1, "cuc-thads"))
        .then_expect_error(SupervisionError::NotOpened);
    Given::with(known())
        .given(vec![opened(), recommended()])
        .when(answer(2, "cuc-thads"))
        .then_expect_error(SupervisionError::NoSuchRecommendation(2));
    Given::with(known())
        .given(vec![opened(), recommended()])
        .when(answer(1, "tand-tinh"))
        .then_expect_error(SupervisionError::NotAddressed {
            number: 1,
            to: unit_id("cuc-thads"),
            by: unit_id("tand-tinh"),
        });
    let answered = SupervisionEvent::RecommendationAnswered {
        number: 1,
        by: unit_id("cuc-thads"),
        answer: text("Trả lời"),
        on: day(2023, 8, 20),
        basis: None,
    };
    Given::with(known())
        .given(vec![opened(), recommended(), answered])
        .when(answer(1, "cuc-thads"))
        .then_expect_error(SupervisionError::AlreadyAnswered(1));
}

#[test]
fn close_a_supervision() {
    Given::with(known())
        .given(vec![opened(), recommended()])
        .when(SupervisionCommand::Close(CloseSupervision {
            on: day(2023, 6, 15),
            conclusion: text("Các cơ quan tư pháp cơ bản hoàn thành chỉ tiêu"),
            basis: doc("60/TB-HĐND"),
            id: id(),
        }))
        .then_expect_events(vec![closed()]);
    Given::with(known())
        .given(vec![opened(), closed()])
        .when(SupervisionCommand::Close(CloseSupervision {
            on: day(2023, 6, 16),
            conclusion: text("Lại"),
            basis: doc("61/TB-HĐND"),
            id: id(),
        }))
        .then_expect_error(SupervisionError::Closed(id()));
}

#[test]
fn overdue_recommendations_are_derived() {
    let mut s = Supervision::default();
    s.apply(opened());
    s.apply(recommended());
    assert!(s.overdue_recommendations_on(day(2023, 8, 31)).is_empty());
    assert_eq!(s.overdue_recommendations_on(day(2023, 9, 1)).len(), 1);
    s.apply(SupervisionEvent::RecommendationAnswered {
        number: 1,
        by: unit_id("cuc-thads"),
        answer: text("Muộn"),
        on: day(2023, 9, 10),
        basis: None,
    });
    // As of 5/9 it was still overdue; from 10/9 it is answered.
    assert_eq!(s.overdue_recommendations_on(day(2023, 9, 5)).len(), 1);
    assert!(s.overdue_recommendations_on(day(2023, 9, 10)).is_empty());
    assert!(
        SupervisionError::NotOpened
            .vi()
            .contains("chưa được tiến hành")
    );
}
