//! Documents (văn bản): the legal basis every change rests on.
//!
//! A document's identity is (issuing unit, numbering range, type, number) — never the symbol
//! alone, since Party numbers restart each congress term and state numbers each year, and an
//! issuer code like `TU` means a different body before and after the 2025 merger. The
//! identity's [`DocumentIdentity::key`] is the document's stream id, so registering the same
//! identity twice collides in the store.

use std::fmt;

use chrono::Datelike;
use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::value::{Date, DocumentNumber, NumberKind, Title, UnitId};

/// The range within which an issuer's numbers are unique: written
/// `{"kind": "term", "from": 2020, "to": 2025}` or `{"kind": "year", "year": 2024}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::OneofObject))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Numbering {
    /// A Party congress term, e.g. 2020–2025.
    Term(Term),
    /// A calendar year (state documents).
    Year(Year),
}

/// A Party congress term (nhiệm kỳ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct Term {
    /// First year of the term.
    pub from: i32,
    /// Last year of the term.
    pub to: i32,
}

/// A calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct Year {
    /// The year.
    pub year: i32,
}

impl fmt::Display for Numbering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Term(Term { from, to }) => write!(f, "{from}-{to}"),
            Self::Year(Year { year }) => write!(f, "{year}"),
        }
    }
}

/// Who issued a document, in which numbering range, and its number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct DocumentIdentity {
    /// The issuing unit.
    pub issuer: UnitId,
    /// The range its numbers restart in.
    pub numbering: Numbering,
    /// The number as written (kind, type, number, issuer codes).
    pub number: DocumentNumber,
}

impl DocumentIdentity {
    /// The document's id, `{issuer}/{range}/{symbol}`; its stream is `document/{id}`.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.issuer, self.numbering, self.number)
    }
}

/// Registers an issued document with its identity (văn bản).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct RegisterDocument {
    /// Its identity: issuer, numbering range and number.
    pub identity: DocumentIdentity,
    /// Its title (trích yếu).
    pub title: Title,
    /// The organ that signed it, when it differs from the issuer's usual one (Ban Thường vụ
    /// and Ban Chấp hành both sign `/TU`).
    #[serde(default)]
    pub signed_by: Option<UnitId>,
    /// The day it was issued.
    pub issued_on: Date,
}

/// Commands on a document.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentCommand {
    /// [`RegisterDocument`].
    Register(RegisterDocument),
}

impl_command!(RegisterDocument: "register_document", DocumentCommand::Register of Document,
roles: &[Role::Secretariat], id: |c| c.identity.key(), on: issued_on;
fn basis(&self) -> Option<&DocumentNumber> {
    Some(&self.identity.number)
}
fn needs(&self, _: &Document) -> Needs {
    let needs = Needs::default().registered(&self.identity.issuer);
    match &self.signed_by {
        Some(unit) => needs.registered(unit),
        None => needs,
    }
});

/// Events of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum DocumentEvent {
    /// A document was registered.
    DocumentRegistered {
        /// Its identity.
        identity: DocumentIdentity,
        /// Its title.
        title: Title,
        /// The signing organ.
        signed_by: Option<UnitId>,
        /// The day it was issued.
        issued_on: Date,
    },
}

impl Tagged for DocumentEvent {}

impl DomainEvent for DocumentEvent {
    fn event_type(&self) -> String {
        match self {
            Self::DocumentRegistered { .. } => "DocumentRegistered".to_owned(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a document command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// A unit it names is not registered.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// The document is already registered.
    #[error("document {0} is already registered")]
    AlreadyRegistered(String),
    /// The numbering range does not fit the number's system or the issue date.
    #[error("{number} issued on {issued_on} does not belong to numbering {numbering}: {why}")]
    OutsideNumbering {
        /// The number.
        number: String,
        /// The numbering range.
        numbering: Numbering,
        /// The issue date.
        issued_on: Date,
        /// What does not fit.
        why: &'static str,
    },
}

impl Refusal for DocumentError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            Self::AlreadyRegistered(_) => RefusalKind::AlreadyExists,
            _ => RefusalKind::Rule,
        }
    }
}

impl DocumentError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyRegistered(key) => format!("văn bản {key} đã được đăng ký"),
            Self::OutsideNumbering {
                number,
                numbering,
                issued_on,
                ..
            } => format!(
                "văn bản {number} ban hành ngày {} không thuộc phạm vi đánh số {numbering}",
                issued_on.vi()
            ),
        }
    }
}

fn check_numbering(identity: &DocumentIdentity, issued_on: Date) -> Result<(), &'static str> {
    let year = issued_on.year();
    match (identity.number.kind(), identity.numbering) {
        (NumberKind::Party, Numbering::Term(Term { from, to })) => {
            if from > to || !(from..=to).contains(&year) {
                return Err("a Party document is issued within its congress term");
            }
        }
        (NumberKind::Party, Numbering::Year(_)) => {
            return Err("Party numbers restart each congress term, not each year");
        }
        (_, Numbering::Term(_)) => {
            return Err("state numbers restart each year, not each term");
        }
        (
            _,
            Numbering::Year(Year {
                year: numbering_year,
            }),
        ) => {
            if numbering_year != year {
                return Err("a state document is numbered in the year it is issued");
            }
            if identity.number.year().is_some_and(|y| y != year) {
                return Err("the year in a legal number is the year of issue");
            }
        }
    }
    Ok(())
}

/// The state of a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    identity: Option<DocumentIdentity>,
    issued_on: Option<Date>,
}

impl Document {
    /// Its identity, once registered.
    #[must_use]
    pub fn identity(&self) -> Option<&DocumentIdentity> {
        self.identity.as_ref()
    }
}

impl Aggregate for Document {
    const TYPE: &'static str = "document";
    type Command = DocumentCommand;
    type Event = DocumentEvent;
    type Error = DocumentError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: DocumentCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), DocumentError> {
        let DocumentCommand::Register(RegisterDocument {
            identity,
            title,
            signed_by,
            issued_on,
        }) = command;
        if let Some(existing) = &self.identity {
            return Err(DocumentError::AlreadyRegistered(existing.key()));
        }
        facts.registered(&identity.issuer)?;
        if let Some(unit) = &signed_by {
            facts.registered(unit)?;
        }
        check_numbering(&identity, issued_on).map_err(|why| DocumentError::OutsideNumbering {
            number: identity.number.to_string(),
            numbering: identity.numbering,
            issued_on,
            why,
        })?;
        let event = DocumentEvent::DocumentRegistered {
            identity,
            title,
            signed_by,
            issued_on,
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: DocumentEvent) {
        let DocumentEvent::DocumentRegistered {
            identity,
            issued_on,
            ..
        } = event;
        self.identity = Some(identity);
        self.issued_on = Some(issued_on);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<Document>;

    /// The issuers and signing organs the tests name, registered.
    fn issuers() -> crate::facts::Facts {
        let mut facts = crate::facts::Facts::new();
        for unit in [
            "tinh-uy-thai-nguyen",
            "tinh-uy-thai-nguyen-2025",
            "ban-thuong-vu-tinh-uy",
            "chinh-phu",
        ] {
            facts.record_registered(&unit_id(unit), &registered_unit(unit));
        }
        facts
    }

    fn kh44() -> DocumentIdentity {
        DocumentIdentity {
            issuer: UnitId::parse("tinh-uy-thai-nguyen").unwrap(),
            numbering: Numbering::Term(Term {
                from: 2020,
                to: 2025,
            }),
            number: DocumentNumber::parse("44-KH/TU").unwrap(),
        }
    }

    fn register(identity: DocumentIdentity, issued_on: Date) -> DocumentCommand {
        DocumentCommand::Register(RegisterDocument {
            identity,
            title: Title::parse("Kế hoạch triển khai thực hiện Đề án 10-ĐA/TU").unwrap(),
            signed_by: Some(UnitId::parse("ban-thuong-vu-tinh-uy").unwrap()),
            issued_on,
        })
    }

    fn registered() -> DocumentEvent {
        DocumentEvent::DocumentRegistered {
            identity: kh44(),
            title: Title::parse("Kế hoạch triển khai thực hiện Đề án 10-ĐA/TU").unwrap(),
            signed_by: Some(UnitId::parse("ban-thuong-vu-tinh-uy").unwrap()),
            issued_on: day(2021, 12, 15),
        }
    }

    #[test]
    fn register_kh_44() {
        Given::with(issuers())
            .given_no_previous_events()
            .when(register(kh44(), day(2021, 12, 15)))
            .then_expect_events(vec![registered()]);
    }

    #[test]
    fn register_twice_is_refused() {
        Given::with(issuers())
            .given(vec![registered()])
            .when(register(kh44(), day(2021, 12, 15)))
            .then_expect_error(DocumentError::AlreadyRegistered(kh44().key()));
    }

    #[test]
    fn numbering_must_fit_the_system_and_the_date() {
        let outside = |identity: DocumentIdentity, on, why| {
            Given::with(issuers())
                .given_no_previous_events()
                .when(register(identity.clone(), on))
                .then_expect_error(DocumentError::OutsideNumbering {
                    number: identity.number.to_string(),
                    numbering: identity.numbering,
                    issued_on: on,
                    why,
                });
        };
        outside(
            kh44(),
            day(2026, 1, 5),
            "a Party document is issued within its congress term",
        );
        let by_year = DocumentIdentity {
            numbering: Numbering::Year(Year { year: 2021 }),
            ..kh44()
        };
        outside(
            by_year,
            day(2021, 12, 15),
            "Party numbers restart each congress term, not each year",
        );
        let decree = DocumentIdentity {
            issuer: UnitId::parse("chinh-phu").unwrap(),
            numbering: Numbering::Year(Year { year: 2019 }),
            number: DocumentNumber::parse("09/2019/NĐ-CP").unwrap(),
        };
        outside(
            DocumentIdentity {
                numbering: Numbering::Term(Term {
                    from: 2016,
                    to: 2021,
                }),
                ..decree.clone()
            },
            day(2019, 1, 24),
            "state numbers restart each year, not each term",
        );
        outside(
            decree.clone(),
            day(2020, 1, 24),
            "a state document is numbered in the year it is issued",
        );
        let wrong_year = DocumentIdentity {
            numbering: Numbering::Year(Year { year: 2020 }),
            ..decree.clone()
        };
        outside(
            wrong_year,
            day(2020, 1, 24),
            "the year in a legal number is the year of issue",
        );
        Given::with(issuers())
            .given_no_previous_events()
            .when(DocumentCommand::Register(RegisterDocument {
                identity: decree,
                title: Title::parse("Quy định chế độ báo cáo của cơ quan hành chính nhà nước")
                    .unwrap(),
                signed_by: None,
                issued_on: day(2019, 1, 24),
            }))
            .inspect_result()
            .unwrap();
    }

    #[test]
    fn the_same_symbol_in_another_term_or_by_another_issuer_is_another_document() {
        let next_term = DocumentIdentity {
            numbering: Numbering::Term(Term {
                from: 2025,
                to: 2030,
            }),
            ..kh44()
        };
        let merged_province = DocumentIdentity {
            issuer: UnitId::parse("tinh-uy-thai-nguyen-2025").unwrap(),
            ..next_term.clone()
        };
        assert_ne!(kh44().key(), next_term.key());
        assert_ne!(next_term.key(), merged_province.key());
        assert_eq!(kh44().key(), "tinh-uy-thai-nguyen/2020-2025/44-KH/TU");
    }
}
