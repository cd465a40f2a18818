//! Supervision (giám sát): a supervising body — the People's Council, its legal committee, the
//! Fatherland Front — examines units, makes numbered recommendations (kiến nghị) with a
//! response deadline, receives answers, and closes with a conclusion. Overdue recommendations
//! are derived.

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::value::{Date, DocumentNumber, LongText, SupervisionId, Title, UnitId};

/// Opens a supervision (giám sát).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct OpenSupervision {
    /// Its id.
    pub id: SupervisionId,
    /// The supervising body (chủ thể giám sát), active on the day.
    pub body: UnitId,
    /// What is supervised.
    pub subject: Title,
    /// The supervised units (đối tượng giám sát), each active on the day.
    pub supervised: Vec<UnitId>,
    /// The day.
    pub opened_on: Date,
    /// The deciding document.
    pub basis: DocumentNumber,
}

/// Makes the next recommendation (kiến nghị) to a supervised unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct Recommend {
    /// The supervision.
    pub supervision: SupervisionId,
    /// The unit it is addressed to.
    pub to: UnitId,
    /// What is recommended.
    pub text: LongText,
    /// The response deadline.
    pub respond_by: Date,
    /// The day.
    pub on: Date,
}

/// Records the answer to a recommendation, by the unit it was addressed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AnswerRecommendation {
    /// The supervision.
    pub supervision: SupervisionId,
    /// The recommendation's number.
    pub number: u32,
    /// The answering unit: the one addressed (a unit reporter's own).
    pub by: UnitId,
    /// The answer.
    pub answer: LongText,
    /// The day.
    pub on: Date,
    /// The answering document, if any.
    #[serde(default)]
    pub basis: Option<DocumentNumber>,
}

/// Closes a supervision with its conclusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct CloseSupervision {
    /// The supervision.
    pub id: SupervisionId,
    /// The day.
    pub on: Date,
    /// The conclusion.
    pub conclusion: LongText,
    /// The concluding document.
    pub basis: DocumentNumber,
}

/// Commands on a supervision.
#[derive(Debug, Clone, PartialEq)]
pub enum SupervisionCommand {
    /// [`OpenSupervision`].
    Open(OpenSupervision),
    /// [`Recommend`].
    Recommend(Recommend),
    /// [`AnswerRecommendation`].
    Answer(AnswerRecommendation),
    /// [`CloseSupervision`].
    Close(CloseSupervision),
}

impl_command!(OpenSupervision: "open_supervision", SupervisionCommand::Open of Supervision,
roles: &[Role::Supervisor], id: |c| c.id, on: opened_on, basis: basis;
fn needs(&self, _: &Supervision) -> Needs {
    Needs::default()
        .active(&self.body, self.opened_on)
        .all_active(&self.supervised, self.opened_on)
});

impl_command!(Recommend: "recommend", SupervisionCommand::Recommend of Supervision,
    roles: &[Role::Supervisor], id: |c| c.supervision, on: on);

impl_command!(AnswerRecommendation: "answer_recommendation", SupervisionCommand::Answer of Supervision,
    roles: &[Role::UnitReporter], id: |c| c.supervision, on: on, optional_basis: basis, reporting: by);

impl_command!(CloseSupervision: "close_supervision", SupervisionCommand::Close of Supervision,
    roles: &[Role::Supervisor], id: |c| c.id, on: on, basis: basis);

/// Events of a supervision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum SupervisionEvent {
    /// A supervision was opened.
    SupervisionOpened {
        /// Its id.
        id: SupervisionId,
        /// The supervising body.
        body: UnitId,
        /// What is supervised.
        subject: Title,
        /// The supervised units.
        supervised: Vec<UnitId>,
        /// The day.
        opened_on: Date,
        /// The document.
        basis: DocumentNumber,
    },
    /// A recommendation was made.
    RecommendationMade {
        /// Its number: 1, 2, 3, … within the supervision.
        number: u32,
        /// The unit addressed.
        to: UnitId,
        /// What is recommended.
        text: LongText,
        /// The response deadline.
        respond_by: Date,
        /// The day.
        on: Date,
    },
    /// A recommendation was answered.
    RecommendationAnswered {
        /// Its number.
        number: u32,
        /// The answering unit.
        by: UnitId,
        /// The answer.
        answer: LongText,
        /// The day.
        on: Date,
        /// The document.
        basis: Option<DocumentNumber>,
    },
    /// The supervision was closed.
    SupervisionClosed {
        /// The day.
        on: Date,
        /// The conclusion.
        conclusion: LongText,
        /// The document.
        basis: DocumentNumber,
    },
}

impl Tagged for SupervisionEvent {}

impl DomainEvent for SupervisionEvent {
    fn event_type(&self) -> String {
        match self {
            Self::SupervisionOpened { .. } => "SupervisionOpened",
            Self::RecommendationMade { .. } => "RecommendationMade",
            Self::RecommendationAnswered { .. } => "RecommendationAnswered",
            Self::SupervisionClosed { .. } => "SupervisionClosed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a supervision command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisionError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// Already opened.
    #[error("supervision {0} is already opened")]
    AlreadyOpened(SupervisionId),
    /// Not opened yet.
    #[error("the supervision has not been opened")]
    NotOpened,
    /// Closed.
    #[error("supervision {0} is closed")]
    Closed(SupervisionId),
    /// No supervised units, a unit twice, or the body supervising itself.
    #[error("the supervised units must be named once each, and not include the body")]
    SupervisedUnits,
    /// A recommendation to a unit that is not supervised.
    #[error("unit {0} is not supervised here")]
    NotSupervised(UnitId),
    /// A deadline before the recommendation.
    #[error("the response deadline {respond_by} comes before the recommendation on {on}")]
    DeadlineBeforeRecommendation {
        /// The deadline.
        respond_by: Date,
        /// The day of the recommendation.
        on: Date,
    },
    /// No such recommendation.
    #[error("there is no recommendation number {0}")]
    NoSuchRecommendation(u32),
    /// Already answered.
    #[error("recommendation {0} is already answered")]
    AlreadyAnswered(u32),
    /// Answered by a unit it was not addressed to.
    #[error("recommendation {number} is addressed to {to}, not to {by}")]
    NotAddressed {
        /// The recommendation.
        number: u32,
        /// Its addressee.
        to: UnitId,
        /// The answering unit.
        by: UnitId,
    },
    /// A change dated before the supervision opened.
    #[error("the change on {on} comes before the supervision opened on {opened_on}")]
    BeforeOpening {
        /// The change's day.
        on: Date,
        /// The opening day.
        opened_on: Date,
    },
}

impl Refusal for SupervisionError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            Self::AlreadyOpened(_) => RefusalKind::AlreadyExists,
            Self::NoSuchRecommendation(_) => RefusalKind::NotFound,
            _ => RefusalKind::Rule,
        }
    }
}

impl SupervisionError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &Date| x.vi().to_string();
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyOpened(id) => format!("cuộc giám sát {id} đã được tiến hành"),
            Self::NotOpened => "cuộc giám sát chưa được tiến hành".to_owned(),
            Self::Closed(id) => format!("cuộc giám sát {id} đã kết thúc"),
            Self::SupervisedUnits => {
                "đối tượng giám sát phải được nêu mỗi đơn vị một lần và không gồm chủ thể giám sát"
                    .to_owned()
            }
            Self::NotSupervised(u) => format!("đơn vị {u} không phải đối tượng giám sát"),
            Self::DeadlineBeforeRecommendation { respond_by, on } => format!(
                "thời hạn trả lời {} sớm hơn ngày kiến nghị {}",
                d(respond_by),
                d(on)
            ),
            Self::NoSuchRecommendation(n) => format!("không có kiến nghị số {n}"),
            Self::AlreadyAnswered(n) => format!("kiến nghị số {n} đã được trả lời"),
            Self::NotAddressed { number, to, by } => {
                format!("kiến nghị số {number} gửi {to}, không phải {by}")
            }
            Self::BeforeOpening { on, opened_on } => format!(
                "ngày {} sớm hơn ngày bắt đầu giám sát {}",
                d(on),
                d(opened_on)
            ),
        }
    }
}

/// A recommendation as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Its number.
    pub number: u32,
    /// The unit addressed.
    pub to: UnitId,
    /// The response deadline.
    pub respond_by: Date,
    /// When it was answered.
    pub answered_on: Option<Date>,
}

/// The state of a supervision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Supervision {
    id: Option<SupervisionId>,
    supervised: Vec<UnitId>,
    opened_on: Option<Date>,
    recommendations: Vec<Recommendation>,
    closed: bool,
}

impl Supervision {
    /// The recommendations still unanswered after their deadline on `date`.
    #[must_use]
    pub fn overdue_recommendations_on(&self, date: Date) -> Vec<&Recommendation> {
        self.recommendations
            .iter()
            .filter(|r| r.respond_by < date && r.answered_on.is_none_or(|a| a > date))
            .collect()
    }

    fn open_on(&self, on: Date) -> Result<(), SupervisionError> {
        let (Some(id), Some(opened_on)) = (&self.id, self.opened_on) else {
            return Err(SupervisionError::NotOpened);
        };
        if self.closed {
            return Err(SupervisionError::Closed(id.clone()));
        }
        if on < opened_on {
            return Err(SupervisionError::BeforeOpening { on, opened_on });
        }
        Ok(())
    }

    fn decide(
        &self,
        command: SupervisionCommand,
        facts: &Facts,
    ) -> Result<SupervisionEvent, SupervisionError> {
        match command {
            SupervisionCommand::Open(OpenSupervision {
                id,
                body,
                subject,
                supervised,
                opened_on,
                basis,
                ..
            }) => {
                if let Some(existing) = &self.id {
                    return Err(SupervisionError::AlreadyOpened(existing.clone()));
                }
                let body = facts.active(&body, opened_on)?;
                let mut seen = vec![body.id()];
                if supervised.is_empty() {
                    return Err(SupervisionError::SupervisedUnits);
                }
                for unit in &supervised {
                    if seen.contains(&unit) {
                        return Err(SupervisionError::SupervisedUnits);
                    }
                    seen.push(unit);
                    facts.active(unit, opened_on)?;
                }
                Ok(SupervisionEvent::SupervisionOpened {
                    id,
                    body: body.id().clone(),
                    subject,
                    supervised,
                    opened_on,
                    basis,
                })
            }
            SupervisionCommand::Recommend(Recommend {
                to,
                text,
                respond_by,
                on,
                ..
            }) => {
                self.open_on(on)?;
                if !self.supervised.contains(&to) {
                    return Err(SupervisionError::NotSupervised(to));
                }
                if respond_by < on {
                    return Err(SupervisionError::DeadlineBeforeRecommendation { respond_by, on });
                }
                Ok(SupervisionEvent::RecommendationMade {
                    number: self.recommendations.len() as u32 + 1,
                    to,
                    text,
                    respond_by,
                    on,
                })
            }
            SupervisionCommand::Answer(AnswerRecommendation {
                number,
                by,
                answer,
                on,
                basis,
                ..
            }) => {
                // Answers may come after the supervision closed: the recommendations live on.
                if self.id.is_none() {
                    return Err(SupervisionError::NotOpened);
                }
                let r = self
                    .recommendations
                    .iter()
                    .find(|r| r.number == number)
                    .ok_or(SupervisionError::NoSuchRecommendation(number))?;
                if r.answered_on.is_some() {
                    return Err(SupervisionError::AlreadyAnswered(number));
                }
                if r.to != by {
                    return Err(SupervisionError::NotAddressed {
                        number,
                        to: r.to.clone(),
                        by,
                    });
                }
                Ok(SupervisionEvent::RecommendationAnswered {
                    number,
                    by,
                    answer,
                    on,
                    basis,
                })
            }
            SupervisionCommand::Close(CloseSupervision {
                on,
                conclusion,
                basis,
                ..
            }) => {
                self.open_on(on)?;
                Ok(SupervisionEvent::SupervisionClosed {
                    on,
                    conclusion,
                    basis,
                })
            }
        }
    }
}

impl Aggregate for Supervision {
    const TYPE: &'static str = "supervision";
    type Command = SupervisionCommand;
    type Event = SupervisionEvent;
    type Error = SupervisionError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: SupervisionCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), SupervisionError> {
        let event = self.decide(command, facts)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: SupervisionEvent) {
        match event {
            SupervisionEvent::SupervisionOpened {
                id,
                supervised,
                opened_on,
                ..
            } => {
                self.id = Some(id);
                self.supervised = supervised;
                self.opened_on = Some(opened_on);
            }
            SupervisionEvent::RecommendationMade {
                number,
                to,
                respond_by,
                ..
            } => self.recommendations.push(Recommendation {
                number,
                to,
                respond_by,
                answered_on: None,
            }),
            SupervisionEvent::RecommendationAnswered { number, on, .. } => {
                if let Some(r) = self.recommendations.iter_mut().find(|r| r.number == number) {
                    r.answered_on = Some(on);
                }
            }
            SupervisionEvent::SupervisionClosed { .. } => self.closed = true,
        }
    }
}

#[cfg(test)]
mod tests;
