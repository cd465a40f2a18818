//! Helpers shared by the aggregates' given/when/then tests.

use cqrs_es::Aggregate;

use crate::facts::Facts;
use crate::unit::{Unit, UnitEvent, UnitKind};
use crate::value::{Date, DocumentNumber, LongText, Title, UnitId};

pub fn day(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap()
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

/// Facts about units registered on 1/1/2021 (never ceased): each one registered, with a
/// proof of activity for the day given.
pub fn facts(units: &[(&str, Date)]) -> Facts {
    let mut facts = Facts::new();
    for (id, on) in units {
        facts.record_unit(&unit_id(id), &registered_unit(id), *on);
    }
    facts
}

/// No facts: for commands that need none.
pub fn none() -> Facts {
    Facts::new()
}
