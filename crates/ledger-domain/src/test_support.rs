//! Helpers shared by the aggregates' given/when/then tests.

use chrono::NaiveDate;
use cqrs_es::Aggregate;

use crate::unit::{ActiveUnit, Unit, UnitEvent, UnitKind};
use crate::value::{DocumentNumber, LongText, Title, UnitId};

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn unit_id(s: &str) -> UnitId {
    UnitId::parse(s).unwrap()
}

pub fn doc(s: &str) -> DocumentNumber {
    DocumentNumber::parse(s).unwrap()
}

pub fn text(s: &str) -> LongText {
    LongText::parse(s).unwrap()
}

/// A unit registered on 1/1/2021.
pub fn registered_unit(id: &str) -> Unit {
    let mut unit = Unit::default();
    unit.apply(UnitEvent::UnitRegistered {
        id: unit_id(id),
        kind: UnitKind::StateBody,
        name: Title::parse(id).unwrap(),
        parent: None,
        established_on: day(2021, 1, 1),
        basis: None,
    });
    unit
}

/// Proof that unit `id` (registered on 1/1/2021) was active on `on`.
pub fn active(id: &str, on: NaiveDate) -> ActiveUnit {
    registered_unit(id).active_on(on).unwrap()
}
