//! Given / when / then tests of the programme aggregate: every command and every refusal.

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;

use super::*;
use crate::facts::Facts;
use crate::test_support::*;

type Given = TestFramework<Programme>;

/// The issuing unit, active on the day of adoption.
fn issuer_active() -> Facts {
    facts(&[("tinh-uy-thai-nguyen", day(2021, 12, 1))])
}

fn group(n: u8, title: &str) -> SolutionGroup {
    SolutionGroup {
        number: GroupNumber::new(n).unwrap(),
        title: Title::parse(title).unwrap(),
    }
}

/// The eight solution groups of Đề án 10-ĐA/TU (sourced).
fn eight_groups() -> Vec<SolutionGroup> {
    [
        "Tăng cường sự lãnh đạo của các cấp ủy Đảng đối với công tác tư pháp",
        "Nâng cao hiệu lực, hiệu quả hoạt động của các cơ quan tư pháp",
        "Quản lý nhà nước đối với hoạt động bổ trợ tư pháp, hành nghề luật sư",
        "Kiện toàn, nâng cao chất lượng đội ngũ cán bộ, công chức",
        "Phát huy vai trò giám sát của cơ quan dân cử, Mặt trận Tổ quốc và nhân dân",
        "Tăng cường hợp tác quốc tế về tư pháp",
        "Phát huy vai trò của các cơ quan thông tin đại chúng",
        "Đầu tư kinh phí, cơ sở vật chất, phương tiện làm việc",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| group(i as u8 + 1, t))
    .collect()
}

fn adopt(groups: Vec<SolutionGroup>, from_year: i32, to_year: i32) -> ProgrammeCommand {
    ProgrammeCommand::Adopt(AdoptProgramme {
        id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        document: doc("10-ĐA/TU"),
        issuer: UnitId::parse("tinh-uy-thai-nguyen").unwrap(),
        title: Title::parse("Nâng cao chất lượng, hiệu quả công tác cải cách tư pháp trên địa bàn tỉnh giai đoạn 2021-2025").unwrap(),
        objectives: text("Xây dựng nền tư pháp chuyên nghiệp, hiện đại, công bằng, văn minh, liêm chính"),
        from_year,
        to_year,
        groups,
        adopted_on: day(2021, 12, 1), })
}

fn adopted() -> ProgrammeEvent {
    ProgrammeEvent::ProgrammeAdopted {
        id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        document: doc("10-ĐA/TU"),
        issuer: UnitId::parse("tinh-uy-thai-nguyen").unwrap(),
        title: Title::parse("Nâng cao chất lượng, hiệu quả công tác cải cách tư pháp trên địa bàn tỉnh giai đoạn 2021-2025").unwrap(),
        objectives: text("Xây dựng nền tư pháp chuyên nghiệp, hiện đại, công bằng, văn minh, liêm chính"),
        from_year: 2021,
        to_year: 2025,
        groups: eight_groups(),
        adopted_on: day(2021, 12, 1),
    }
}

fn midterm() -> ProgrammeEvent {
    ProgrammeEvent::ProgrammeReviewed {
        kind: ReviewKind::Midterm,
        on: day(2023, 12, 20),
        basis: doc("250-BC/TU"),
        summary: text("Sơ kết giữa nhiệm kỳ"),
    }
}

#[test]
fn adopt_de_an_10() {
    Given::with(issuer_active())
        .given_no_previous_events()
        .when(adopt(eight_groups(), 2021, 2025))
        .then_expect_events(vec![adopted()]);
}

#[test]
fn adopt_refusals() {
    Given::with(issuer_active())
        .given(vec![adopted()])
        .when(adopt(eight_groups(), 2021, 2025))
        .then_expect_error(ProgrammeError::AlreadyAdopted(
            ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        ));
    Given::with(issuer_active())
        .given_no_previous_events()
        .when(adopt(eight_groups(), 2025, 2021))
        .then_expect_error(ProgrammeError::PeriodOutOfOrder {
            from: 2025,
            to: 2021,
        });
    let mut gap = eight_groups();
    gap.remove(2);
    Given::with(issuer_active())
        .given_no_previous_events()
        .when(adopt(gap, 2021, 2025))
        .then_expect_error(ProgrammeError::GroupNumbering { place: 3, found: 4 });
}

#[test]
fn amend_the_groups() {
    let mut nine = eight_groups();
    nine.push(group(9, "Chuyển đổi số trong hoạt động tư pháp"));
    Given::with(issuer_active())
        .given(vec![adopted()])
        .when(ProgrammeCommand::Amend(AmendProgramme {
            title: None,
            objectives: None,
            groups: Some(nine.clone()),
            on: day(2023, 1, 10),
            basis: doc("15-QĐ/TU"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_events(vec![ProgrammeEvent::ProgrammeAmended {
            title: None,
            objectives: None,
            groups: Some(nine),
            on: day(2023, 1, 10),
            basis: doc("15-QĐ/TU"),
        }]);
}

#[test]
fn amend_refusals() {
    let empty = ProgrammeCommand::Amend(AmendProgramme {
        title: None,
        objectives: None,
        groups: None,
        on: day(2023, 1, 10),
        basis: doc("15-QĐ/TU"),
        id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
    });
    Given::with(issuer_active())
        .given(vec![adopted()])
        .when(empty.clone())
        .then_expect_error(ProgrammeError::NothingAmended);
    Given::with(issuer_active())
        .given_no_previous_events()
        .when(empty)
        .then_expect_error(ProgrammeError::NotAdopted);
    Given::with(issuer_active())
        .given(vec![adopted()])
        .when(ProgrammeCommand::Amend(AmendProgramme {
            title: None,
            objectives: Some(text("Sửa")),
            groups: None,
            on: day(2021, 11, 1),
            basis: doc("15-QĐ/TU"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_error(ProgrammeError::BeforeLatestStep {
            on: day(2021, 11, 1),
            since: day(2021, 12, 1),
        });
}

#[test]
fn midterm_then_final_review() {
    Given::with(issuer_active())
        .given(vec![adopted()])
        .when(ProgrammeCommand::Review(ReviewProgramme {
            kind: ReviewKind::Midterm,
            on: day(2023, 12, 20),
            basis: doc("250-BC/TU"),
            summary: text("Sơ kết giữa nhiệm kỳ"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_events(vec![midterm()]);
    Given::with(issuer_active())
        .given(vec![adopted(), midterm()])
        .when(ProgrammeCommand::Review(ReviewProgramme {
            kind: ReviewKind::Final,
            on: day(2025, 10, 1),
            basis: doc("400-BC/TU"),
            summary: text("Tổng kết"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_events(vec![ProgrammeEvent::ProgrammeReviewed {
            kind: ReviewKind::Final,
            on: day(2025, 10, 1),
            basis: doc("400-BC/TU"),
            summary: text("Tổng kết"),
        }]);
}

#[test]
fn reviews_out_of_order_are_refused() {
    let final_review = ProgrammeEvent::ProgrammeReviewed {
        kind: ReviewKind::Final,
        on: day(2025, 10, 1),
        basis: doc("400-BC/TU"),
        summary: text("Tổng kết"),
    };
    Given::with(issuer_active())
        .given(vec![adopted(), midterm()])
        .when(ProgrammeCommand::Review(ReviewProgramme {
            kind: ReviewKind::Midterm,
            on: day(2024, 1, 1),
            basis: doc("251-BC/TU"),
            summary: text("Lại"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_error(ProgrammeError::ReviewOutOfOrder(ReviewKind::Midterm));
    Given::with(issuer_active())
        .given(vec![adopted(), final_review])
        .when(ProgrammeCommand::Review(ReviewProgramme {
            kind: ReviewKind::Midterm,
            on: day(2025, 11, 1),
            basis: doc("251-BC/TU"),
            summary: text("Muộn"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_error(ProgrammeError::ReviewOutOfOrder(ReviewKind::Midterm));
}

#[test]
fn close_and_nothing_after() {
    let closed = ProgrammeEvent::ProgrammeClosed {
        on: day(2025, 12, 31),
        basis: doc("401-TB/TU"),
    };
    Given::with(issuer_active())
        .given(vec![adopted()])
        .when(ProgrammeCommand::Close(CloseProgramme {
            on: day(2025, 12, 31),
            basis: doc("401-TB/TU"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_events(vec![closed.clone()]);
    Given::with(issuer_active())
        .given(vec![adopted(), closed])
        .when(ProgrammeCommand::Close(CloseProgramme {
            on: day(2026, 1, 1),
            basis: doc("402-TB/TU"),
            id: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        }))
        .then_expect_error(ProgrammeError::Closed(
            ProgrammeId::parse("de-an-10-da-tu").unwrap(),
        ));
}

#[test]
fn state_knows_its_groups() {
    let mut p = Programme::default();
    p.apply(adopted());
    assert_eq!(p.groups().len(), 8);
    assert!(p.has_group(GroupNumber::new(8).unwrap()));
    assert!(!p.has_group(GroupNumber::new(9).unwrap()));
    assert!(
        ProgrammeError::ReviewOutOfOrder(ReviewKind::Final)
            .vi()
            .contains("tổng kết")
    );
}
