//! Briefings (hội nghị giao ban) and their conclusion notices (thông báo kết luận), e.g.
//! "Hội nghị giao ban Quý I năm 2022 khối Nội chính và khối Dân vận".

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::value::{
    BriefingId, Date, DocumentNumber, LongText, ReportingPeriod, TaskId, Title, UnitId,
};

/// Records a briefing that was held (hội nghị giao ban).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct HoldBriefing {
    /// Its id.
    pub id: BriefingId,
    /// Its title.
    pub title: Title,
    /// The chairing body, active on the day.
    pub chaired_by: UnitId,
    /// The period it reviewed, if periodic.
    #[serde(default)]
    pub period: Option<ReportingPeriod>,
    /// The participating units.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub participants: Vec<UnitId>,
    /// The day.
    pub held_on: Date,
}

/// Issues a briefing's conclusion notice (thông báo kết luận).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct IssueConclusion {
    /// The briefing.
    pub briefing: BriefingId,
    /// The notice's number.
    pub document: DocumentNumber,
    /// The day.
    pub on: Date,
    /// What was concluded.
    pub conclusions: LongText,
    /// Tasks it sets or follows up.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub follow_up: Vec<TaskId>,
}

/// Commands on a briefing.
#[derive(Debug, Clone, PartialEq)]
pub enum BriefingCommand {
    /// [`HoldBriefing`].
    Hold(HoldBriefing),
    /// [`IssueConclusion`].
    IssueConclusion(IssueConclusion),
}

impl_command!(HoldBriefing: "hold_briefing", BriefingCommand::Hold of Briefing,
roles: &[Role::Secretariat], id: |c| c.id, on: held_on;
fn needs(&self, _: &Briefing) -> Needs {
    Needs::default().active(&self.chaired_by, self.held_on)
});

impl_command!(IssueConclusion: "issue_conclusion", BriefingCommand::IssueConclusion of Briefing,
    roles: &[Role::Secretariat], id: |c| c.briefing, on: on, basis: document);

/// Events of a briefing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum BriefingEvent {
    /// A briefing was held.
    BriefingHeld {
        /// Its id.
        id: BriefingId,
        /// Its title.
        title: Title,
        /// The chairing body.
        chaired_by: UnitId,
        /// The period reviewed.
        period: Option<ReportingPeriod>,
        /// The participants.
        participants: Vec<UnitId>,
        /// The day.
        held_on: Date,
    },
    /// Its conclusion notice was issued.
    ConclusionIssued {
        /// The notice's number.
        document: DocumentNumber,
        /// The day.
        on: Date,
        /// What was concluded.
        conclusions: LongText,
        /// Tasks it sets or follows up.
        follow_up: Vec<TaskId>,
    },
}

impl Tagged for BriefingEvent {}

impl DomainEvent for BriefingEvent {
    fn event_type(&self) -> String {
        match self {
            Self::BriefingHeld { .. } => "BriefingHeld",
            Self::ConclusionIssued { .. } => "ConclusionIssued",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a briefing command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BriefingError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// Already recorded.
    #[error("briefing {0} is already recorded")]
    AlreadyHeld(BriefingId),
    /// Not recorded yet.
    #[error("the briefing has not been recorded")]
    NotHeld,
    /// A participant named twice.
    #[error("unit {0} is named twice among the participants")]
    ParticipantTwice(UnitId),
    /// The conclusion was already issued.
    #[error("the conclusion notice was already issued")]
    ConclusionIssued,
    /// A conclusion dated before the briefing.
    #[error("the conclusion on {on} comes before the briefing on {held_on}")]
    BeforeBriefing {
        /// The conclusion's day.
        on: Date,
        /// The briefing's day.
        held_on: Date,
    },
}

impl Refusal for BriefingError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            Self::AlreadyHeld(_) => RefusalKind::AlreadyExists,
            _ => RefusalKind::Rule,
        }
    }
}

impl BriefingError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &Date| x.vi().to_string();
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyHeld(id) => format!("hội nghị {id} đã được ghi nhận"),
            Self::NotHeld => "hội nghị chưa được ghi nhận".to_owned(),
            Self::ParticipantTwice(u) => format!("đơn vị {u} được nêu hai lần"),
            Self::ConclusionIssued => "thông báo kết luận đã được ban hành".to_owned(),
            Self::BeforeBriefing { on, held_on } => {
                format!("ngày {} sớm hơn ngày hội nghị {}", d(on), d(held_on))
            }
        }
    }
}

/// The state of a briefing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Briefing {
    id: Option<BriefingId>,
    held_on: Option<Date>,
    concluded: bool,
}

impl Aggregate for Briefing {
    const TYPE: &'static str = "briefing";
    type Command = BriefingCommand;
    type Event = BriefingEvent;
    type Error = BriefingError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: BriefingCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), BriefingError> {
        let event = match command {
            BriefingCommand::Hold(HoldBriefing {
                id,
                title,
                chaired_by,
                period,
                participants,
                held_on,
                ..
            }) => {
                if let Some(existing) = &self.id {
                    return Err(BriefingError::AlreadyHeld(existing.clone()));
                }
                let chaired_by = facts.active(&chaired_by, held_on)?;
                for (i, unit) in participants.iter().enumerate() {
                    if participants[..i].contains(unit) {
                        return Err(BriefingError::ParticipantTwice(unit.clone()));
                    }
                }
                BriefingEvent::BriefingHeld {
                    id,
                    title,
                    chaired_by: chaired_by.id().clone(),
                    period,
                    participants,
                    held_on,
                }
            }
            BriefingCommand::IssueConclusion(IssueConclusion {
                document,
                on,
                conclusions,
                follow_up,
                ..
            }) => {
                let held_on = self.held_on.ok_or(BriefingError::NotHeld)?;
                if self.concluded {
                    return Err(BriefingError::ConclusionIssued);
                }
                if on < held_on {
                    return Err(BriefingError::BeforeBriefing { on, held_on });
                }
                BriefingEvent::ConclusionIssued {
                    document,
                    on,
                    conclusions,
                    follow_up,
                }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: BriefingEvent) {
        match event {
            BriefingEvent::BriefingHeld { id, held_on, .. } => {
                self.id = Some(id);
                self.held_on = Some(held_on);
            }
            BriefingEvent::ConclusionIssued { .. } => self.concluded = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FactError;
    use crate::test_support::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<Briefing>;

    fn id() -> BriefingId {
        BriefingId::parse("giao-ban-noi-chinh-2022-q1").unwrap()
    }
    fn title() -> Title {
        Title::parse("Hội nghị giao ban Quý I năm 2022 khối Nội chính và khối Dân vận").unwrap()
    }
    fn hold(participants: Vec<UnitId>, held_on: Date) -> BriefingCommand {
        BriefingCommand::Hold(HoldBriefing {
            id: id(),
            title: title(),
            chaired_by: unit_id("ban-noi-chinh"),
            period: Some("2022-Q1".parse().unwrap()),
            participants,
            held_on,
        })
    }

    /// The chair, active on the day of the briefing.
    fn chair() -> crate::facts::Facts {
        facts(&[("ban-noi-chinh", day(2022, 4, 8))])
    }
    fn held() -> BriefingEvent {
        BriefingEvent::BriefingHeld {
            id: id(),
            title: title(),
            chaired_by: unit_id("ban-noi-chinh"),
            period: Some("2022-Q1".parse().unwrap()),
            participants: vec![unit_id("ban-dan-van"), unit_id("cong-an-tinh")],
            held_on: day(2022, 4, 8),
        }
    }
    fn conclusion(on: Date) -> BriefingCommand {
        BriefingCommand::IssueConclusion(IssueConclusion {
            document: DocumentNumber::parse("210-TB/TU").unwrap(),
            on,
            conclusions: LongText::parse("Tiếp tục triển khai Kế hoạch 44-KH/TU").unwrap(),
            follow_up: vec![TaskId::parse("quan-triet-de-an").unwrap()],
            briefing: id(),
        })
    }

    #[test]
    fn hold_a_quarterly_briefing() {
        Given::with(chair())
            .given_no_previous_events()
            .when(hold(
                vec![unit_id("ban-dan-van"), unit_id("cong-an-tinh")],
                day(2022, 4, 8),
            ))
            .then_expect_events(vec![held()]);
    }

    #[test]
    fn hold_refusals() {
        Given::with(chair())
            .given(vec![held()])
            .when(hold(vec![], day(2022, 4, 8)))
            .then_expect_error(BriefingError::AlreadyHeld(id()));
        Given::with(chair())
            .given_no_previous_events()
            .when(hold(vec![unit_id("a"), unit_id("a")], day(2022, 4, 8)))
            .then_expect_error(BriefingError::ParticipantTwice(unit_id("a")));
        // A chair not yet established on the day.
        let mut young = crate::unit::Unit::default();
        young.apply(crate::unit::UnitEvent::UnitRegistered {
            id: unit_id("ban-noi-chinh"),
            kind: crate::unit::UnitKind::PartyOrgan,
            name: title(),
            parent: None,
            established_on: day(2022, 4, 5),
            basis: None,
        });
        let mut facts = crate::facts::Facts::new();
        facts.record_unit(&unit_id("ban-noi-chinh"), &young, day(2022, 4, 1));
        Given::with(facts)
            .given_no_previous_events()
            .when(hold(vec![], day(2022, 4, 1)))
            .then_expect_error(BriefingError::Fact(FactError::Inactive {
                unit: unit_id("ban-noi-chinh"),
                on: day(2022, 4, 1),
            }));
    }

    #[test]
    fn issue_the_conclusion() {
        Given::with(chair())
            .given(vec![held()])
            .when(conclusion(day(2022, 4, 12)))
            .then_expect_events(vec![BriefingEvent::ConclusionIssued {
                document: DocumentNumber::parse("210-TB/TU").unwrap(),
                on: day(2022, 4, 12),
                conclusions: LongText::parse("Tiếp tục triển khai Kế hoạch 44-KH/TU").unwrap(),
                follow_up: vec![TaskId::parse("quan-triet-de-an").unwrap()],
            }]);
    }

    #[test]
    fn conclusion_refusals() {
        Given::with(chair())
            .given_no_previous_events()
            .when(conclusion(day(2022, 4, 12)))
            .then_expect_error(BriefingError::NotHeld);
        Given::with(chair())
            .given(vec![held()])
            .when(conclusion(day(2022, 4, 1)))
            .then_expect_error(BriefingError::BeforeBriefing {
                on: day(2022, 4, 1),
                held_on: day(2022, 4, 8),
            });
        let issued = BriefingEvent::ConclusionIssued {
            document: DocumentNumber::parse("210-TB/TU").unwrap(),
            on: day(2022, 4, 12),
            conclusions: LongText::parse("Kết luận").unwrap(),
            follow_up: vec![],
        };
        Given::with(chair())
            .given(vec![held(), issued])
            .when(conclusion(day(2022, 4, 13)))
            .then_expect_error(BriefingError::ConclusionIssued);
        assert!(BriefingError::NotHeld.vi().contains("chưa được ghi nhận"));
    }
}
