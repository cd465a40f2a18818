//! Briefings (hội nghị giao ban) and their conclusion notices (thông báo kết luận), e.g.
//! "Hội nghị giao ban Quý I năm 2022 khối Nội chính và khối Dân vận".

use chrono::NaiveDate;
use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::unit::ActiveUnit;
use crate::value::{BriefingId, DocumentNumber, LongText, ReportingPeriod, TaskId, Title, UnitId};

/// Commands on a briefing.
#[derive(Debug, Clone, PartialEq)]
pub enum BriefingCommand {
    /// Records that a briefing was held.
    Hold {
        /// Its id.
        id: BriefingId,
        /// Its title.
        title: Title,
        /// The chairing body, active on `held_on`.
        chaired_by: ActiveUnit,
        /// The period it reviewed, if periodic.
        period: Option<ReportingPeriod>,
        /// The participating units.
        participants: Vec<UnitId>,
        /// The day.
        held_on: NaiveDate,
    },
    /// Issues the conclusion notice.
    IssueConclusion {
        /// The notice's number.
        document: DocumentNumber,
        /// The day.
        on: NaiveDate,
        /// What was concluded.
        conclusions: LongText,
        /// Tasks it sets or follows up.
        follow_up: Vec<TaskId>,
    },
}

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
        held_on: NaiveDate,
    },
    /// Its conclusion notice was issued.
    ConclusionIssued {
        /// The notice's number.
        document: DocumentNumber,
        /// The day.
        on: NaiveDate,
        /// What was concluded.
        conclusions: LongText,
        /// Tasks it sets or follows up.
        follow_up: Vec<TaskId>,
    },
}

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
    /// Already recorded.
    #[error("briefing {0} is already recorded")]
    AlreadyHeld(BriefingId),
    /// Not recorded yet.
    #[error("the briefing has not been recorded")]
    NotHeld,
    /// The chair proof was made for another day.
    #[error("unit {unit} was checked for {checked}, not for {on}")]
    ProofForAnotherDay {
        /// The unit.
        unit: UnitId,
        /// The day checked.
        checked: NaiveDate,
        /// The day held.
        on: NaiveDate,
    },
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
        on: NaiveDate,
        /// The briefing's day.
        held_on: NaiveDate,
    },
}

impl BriefingError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &NaiveDate| x.format("%d/%m/%Y").to_string();
        match self {
            Self::AlreadyHeld(id) => format!("hội nghị {id} đã được ghi nhận"),
            Self::NotHeld => "hội nghị chưa được ghi nhận".to_owned(),
            Self::ProofForAnotherDay { unit, checked, on } => format!(
                "đơn vị {unit} được kiểm tra cho ngày {}, không phải ngày {}",
                d(checked),
                d(on)
            ),
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
    held_on: Option<NaiveDate>,
    concluded: bool,
}

impl Aggregate for Briefing {
    const TYPE: &'static str = "briefing";
    type Command = BriefingCommand;
    type Event = BriefingEvent;
    type Error = BriefingError;
    type Services = ();

    async fn handle(
        &mut self,
        command: BriefingCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), BriefingError> {
        let event = match command {
            BriefingCommand::Hold {
                id,
                title,
                chaired_by,
                period,
                participants,
                held_on,
            } => {
                if let Some(existing) = &self.id {
                    return Err(BriefingError::AlreadyHeld(existing.clone()));
                }
                if chaired_by.on() != held_on {
                    return Err(BriefingError::ProofForAnotherDay {
                        unit: chaired_by.id().clone(),
                        checked: chaired_by.on(),
                        on: held_on,
                    });
                }
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
            BriefingCommand::IssueConclusion {
                document,
                on,
                conclusions,
                follow_up,
            } => {
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
    use crate::test_support::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<Briefing>;

    fn id() -> BriefingId {
        BriefingId::parse("giao-ban-noi-chinh-2022-q1").unwrap()
    }
    fn title() -> Title {
        Title::parse("Hội nghị giao ban Quý I năm 2022 khối Nội chính và khối Dân vận").unwrap()
    }
    fn hold(participants: Vec<UnitId>, proof_day: NaiveDate) -> BriefingCommand {
        BriefingCommand::Hold {
            id: id(),
            title: title(),
            chaired_by: active("ban-noi-chinh", proof_day),
            period: Some("2022-Q1".parse().unwrap()),
            participants,
            held_on: day(2022, 4, 8),
        }
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
    fn conclusion(on: NaiveDate) -> BriefingCommand {
        BriefingCommand::IssueConclusion {
            document: DocumentNumber::parse("210-TB/TU").unwrap(),
            on,
            conclusions: LongText::parse("Tiếp tục triển khai Kế hoạch 44-KH/TU").unwrap(),
            follow_up: vec![TaskId::parse("quan-triet-de-an").unwrap()],
        }
    }

    #[test]
    fn hold_a_quarterly_briefing() {
        Given::with(())
            .given_no_previous_events()
            .when(hold(
                vec![unit_id("ban-dan-van"), unit_id("cong-an-tinh")],
                day(2022, 4, 8),
            ))
            .then_expect_events(vec![held()]);
    }

    #[test]
    fn hold_refusals() {
        Given::with(())
            .given(vec![held()])
            .when(hold(vec![], day(2022, 4, 8)))
            .then_expect_error(BriefingError::AlreadyHeld(id()));
        Given::with(())
            .given_no_previous_events()
            .when(hold(vec![unit_id("a"), unit_id("a")], day(2022, 4, 8)))
            .then_expect_error(BriefingError::ParticipantTwice(unit_id("a")));
        Given::with(())
            .given_no_previous_events()
            .when(hold(vec![], day(2022, 4, 1)))
            .then_expect_error(BriefingError::ProofForAnotherDay {
                unit: unit_id("ban-noi-chinh"),
                checked: day(2022, 4, 1),
                on: day(2022, 4, 8),
            });
    }

    #[test]
    fn issue_the_conclusion() {
        Given::with(())
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
        Given::with(())
            .given_no_previous_events()
            .when(conclusion(day(2022, 4, 12)))
            .then_expect_error(BriefingError::NotHeld);
        Given::with(())
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
        Given::with(())
            .given(vec![held(), issued])
            .when(conclusion(day(2022, 4, 13)))
            .then_expect_error(BriefingError::ConclusionIssued);
        assert!(BriefingError::NotHeld.vi().contains("chưa được ghi nhận"));
    }
}
