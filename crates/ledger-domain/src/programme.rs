//! Programmes (Đề án): adopted with objectives, a period and numbered solution groups
//! (nhóm nhiệm vụ, giải pháp); amended; reviewed at midterm (sơ kết) and at the end (tổng
//! kết); closed.

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::value::{Date, DocumentNumber, GroupNumber, LongText, ProgrammeId, Title, UnitId};

/// One numbered solution group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SolutionGroup {
    /// Its number, 1, 2, 3, … in order.
    pub number: GroupNumber,
    /// What it is about.
    pub title: Title,
}

/// Which review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Sơ kết: the midterm review.
    Midterm,
    /// Tổng kết: the final review.
    Final,
}

/// Adopts a programme (ban hành Đề án).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AdoptProgramme {
    /// Its id.
    pub id: ProgrammeId,
    /// Its document number (`10-ĐA/TU`).
    pub document: DocumentNumber,
    /// The issuing unit, active on the day.
    pub issuer: UnitId,
    /// Its title.
    pub title: Title,
    /// The general objective.
    pub objectives: LongText,
    /// First year of its period.
    pub from_year: i32,
    /// Last year of its period.
    pub to_year: i32,
    /// Its solution groups, numbered 1, 2, 3, … in order.
    pub groups: Vec<SolutionGroup>,
    /// The day it was adopted.
    pub adopted_on: Date,
}

/// Amends a programme's title, objectives or solution groups (whole).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AmendProgramme {
    /// The programme.
    pub id: ProgrammeId,
    /// A new title, if it changes.
    #[serde(default)]
    pub title: Option<Title>,
    /// New objectives, if they change.
    #[serde(default)]
    pub objectives: Option<LongText>,
    /// New groups, whole, if they change.
    #[serde(default)]
    pub groups: Option<Vec<SolutionGroup>>,
    /// The day it takes effect.
    pub on: Date,
    /// The amending document.
    pub basis: DocumentNumber,
}

/// Records a midterm (sơ kết) or final (tổng kết) review of a programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ReviewProgramme {
    /// The programme.
    pub id: ProgrammeId,
    /// Which review.
    pub kind: ReviewKind,
    /// The day.
    pub on: Date,
    /// The review's document.
    pub basis: DocumentNumber,
    /// Its conclusions.
    pub summary: LongText,
}

/// Closes a programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct CloseProgramme {
    /// The programme.
    pub id: ProgrammeId,
    /// The day.
    pub on: Date,
    /// The closing document.
    pub basis: DocumentNumber,
}

/// Commands on a programme.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgrammeCommand {
    /// [`AdoptProgramme`].
    Adopt(AdoptProgramme),
    /// [`AmendProgramme`].
    Amend(AmendProgramme),
    /// [`ReviewProgramme`].
    Review(ReviewProgramme),
    /// [`CloseProgramme`].
    Close(CloseProgramme),
}

impl_command!(AdoptProgramme: "adopt_programme", ProgrammeCommand::Adopt of Programme,
roles: &[Role::Secretariat], id: |c| c.id, on: adopted_on, basis: document;
fn needs(&self, _: &Programme) -> Needs {
    Needs::default().active(&self.issuer, self.adopted_on)
});

impl_command!(AmendProgramme: "amend_programme", ProgrammeCommand::Amend of Programme,
    roles: &[Role::Secretariat], id: |c| c.id, on: on, scheduled: true, basis: basis);

impl_command!(ReviewProgramme: "review_programme", ProgrammeCommand::Review of Programme,
    roles: &[Role::Secretariat], id: |c| c.id, on: on, basis: basis);

impl_command!(CloseProgramme: "close_programme", ProgrammeCommand::Close of Programme,
    roles: &[Role::Secretariat], id: |c| c.id, on: on, basis: basis);

/// Events of a programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ProgrammeEvent {
    /// The programme was adopted.
    ProgrammeAdopted {
        /// Its id.
        id: ProgrammeId,
        /// Its document number.
        document: DocumentNumber,
        /// The issuing unit.
        issuer: UnitId,
        /// Its title.
        title: Title,
        /// The general objective.
        objectives: LongText,
        /// First year.
        from_year: i32,
        /// Last year.
        to_year: i32,
        /// Solution groups.
        groups: Vec<SolutionGroup>,
        /// The day.
        adopted_on: Date,
    },
    /// The programme was amended.
    ProgrammeAmended {
        /// New title.
        title: Option<Title>,
        /// New objectives.
        objectives: Option<LongText>,
        /// New groups.
        groups: Option<Vec<SolutionGroup>>,
        /// The day.
        on: Date,
        /// The document.
        basis: DocumentNumber,
    },
    /// A review was held.
    ProgrammeReviewed {
        /// Which review.
        kind: ReviewKind,
        /// The day.
        on: Date,
        /// The document.
        basis: DocumentNumber,
        /// Conclusions.
        summary: LongText,
    },
    /// The programme was closed.
    ProgrammeClosed {
        /// The day.
        on: Date,
        /// The document.
        basis: DocumentNumber,
    },
}

impl Tagged for ProgrammeEvent {}

impl DomainEvent for ProgrammeEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ProgrammeAdopted { .. } => "ProgrammeAdopted",
            Self::ProgrammeAmended { .. } => "ProgrammeAmended",
            Self::ProgrammeReviewed { .. } => "ProgrammeReviewed",
            Self::ProgrammeClosed { .. } => "ProgrammeClosed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a programme command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgrammeError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// Already adopted.
    #[error("programme {0} is already adopted")]
    AlreadyAdopted(ProgrammeId),
    /// Not adopted yet.
    #[error("the programme has not been adopted")]
    NotAdopted,
    /// Closed.
    #[error("programme {0} is closed")]
    Closed(ProgrammeId),
    /// The period's years are out of order.
    #[error("the period {from}-{to} ends before it starts")]
    PeriodOutOfOrder {
        /// First year.
        from: i32,
        /// Last year.
        to: i32,
    },
    /// Groups must be numbered 1, 2, 3, … in order.
    #[error("solution groups must be numbered 1, 2, 3, … in order; found {found} at place {place}")]
    GroupNumbering {
        /// The place (1-based) where the order breaks.
        place: usize,
        /// The number found there.
        found: u8,
    },
    /// An amendment that changes nothing.
    #[error("the amendment changes nothing")]
    NothingAmended,
    /// That review was already held, or a midterm review after the final one.
    #[error("the {0:?} review cannot be recorded now (held already, or after the final one)")]
    ReviewOutOfOrder(ReviewKind),
    /// A change dated before the programme's latest step.
    #[error("the change on {on} comes before {since}, the programme's latest step")]
    BeforeLatestStep {
        /// The change's day.
        on: Date,
        /// The latest step's day.
        since: Date,
    },
}

impl Refusal for ProgrammeError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            Self::AlreadyAdopted(_) => RefusalKind::AlreadyExists,
            _ => RefusalKind::Rule,
        }
    }
}

impl ProgrammeError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyAdopted(id) => format!("đề án {id} đã được ban hành"),
            Self::NotAdopted => "đề án chưa được ban hành".to_owned(),
            Self::Closed(id) => format!("đề án {id} đã kết thúc"),
            Self::PeriodOutOfOrder { from, to } => {
                format!("giai đoạn {from}-{to} có năm kết thúc trước năm bắt đầu")
            }
            Self::GroupNumbering { place, found } => format!(
                "các nhóm nhiệm vụ, giải pháp phải đánh số 1, 2, 3, … theo thứ tự; vị trí {place} có số {found}"
            ),
            Self::NothingAmended => "văn bản sửa đổi không thay đổi nội dung nào".to_owned(),
            Self::ReviewOutOfOrder(kind) => format!(
                "không thể ghi nhận {} lúc này",
                match kind {
                    ReviewKind::Midterm => "sơ kết",
                    ReviewKind::Final => "tổng kết",
                }
            ),
            Self::BeforeLatestStep { on, since } => {
                format!("ngày {} sớm hơn bước gần nhất ({})", on.vi(), since.vi())
            }
        }
    }
}

/// The state of a programme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    id: Option<ProgrammeId>,
    groups: Vec<SolutionGroup>,
    latest_step: Option<Date>,
    midterm_held: bool,
    final_held: bool,
    closed: bool,
}

impl Programme {
    /// The current solution groups.
    #[must_use]
    pub fn groups(&self) -> &[SolutionGroup] {
        &self.groups
    }

    /// Whether `group` is one of its solution groups.
    #[must_use]
    pub fn has_group(&self, group: GroupNumber) -> bool {
        self.groups.iter().any(|g| g.number == group)
    }

    fn open_on(&self, on: Date) -> Result<(), ProgrammeError> {
        let id = self.id.as_ref().ok_or(ProgrammeError::NotAdopted)?;
        if self.closed {
            return Err(ProgrammeError::Closed(id.clone()));
        }
        if let Some(since) = self.latest_step
            && on < since
        {
            return Err(ProgrammeError::BeforeLatestStep { on, since });
        }
        Ok(())
    }

    fn decide(
        &self,
        command: ProgrammeCommand,
        facts: &Facts,
    ) -> Result<ProgrammeEvent, ProgrammeError> {
        match command {
            ProgrammeCommand::Adopt(AdoptProgramme {
                id,
                document,
                issuer,
                title,
                objectives,
                from_year,
                to_year,
                groups,
                adopted_on,
                ..
            }) => {
                if let Some(existing) = &self.id {
                    return Err(ProgrammeError::AlreadyAdopted(existing.clone()));
                }
                if from_year > to_year {
                    return Err(ProgrammeError::PeriodOutOfOrder {
                        from: from_year,
                        to: to_year,
                    });
                }
                check_groups(&groups)?;
                facts.active(&issuer, adopted_on)?;
                Ok(ProgrammeEvent::ProgrammeAdopted {
                    id,
                    document,
                    issuer,
                    title,
                    objectives,
                    from_year,
                    to_year,
                    groups,
                    adopted_on,
                })
            }
            ProgrammeCommand::Amend(AmendProgramme {
                title,
                objectives,
                groups,
                on,
                basis,
                ..
            }) => {
                self.open_on(on)?;
                if title.is_none() && objectives.is_none() && groups.is_none() {
                    return Err(ProgrammeError::NothingAmended);
                }
                if let Some(groups) = &groups {
                    check_groups(groups)?;
                }
                Ok(ProgrammeEvent::ProgrammeAmended {
                    title,
                    objectives,
                    groups,
                    on,
                    basis,
                })
            }
            ProgrammeCommand::Review(ReviewProgramme {
                kind,
                on,
                basis,
                summary,
                ..
            }) => {
                self.open_on(on)?;
                let allowed = match kind {
                    ReviewKind::Midterm => !self.midterm_held && !self.final_held,
                    ReviewKind::Final => !self.final_held,
                };
                if !allowed {
                    return Err(ProgrammeError::ReviewOutOfOrder(kind));
                }
                Ok(ProgrammeEvent::ProgrammeReviewed {
                    kind,
                    on,
                    basis,
                    summary,
                })
            }
            ProgrammeCommand::Close(CloseProgramme { on, basis, .. }) => {
                self.open_on(on)?;
                Ok(ProgrammeEvent::ProgrammeClosed { on, basis })
            }
        }
    }
}

fn check_groups(groups: &[SolutionGroup]) -> Result<(), ProgrammeError> {
    for (i, group) in groups.iter().enumerate() {
        if usize::from(group.number.get()) != i + 1 {
            return Err(ProgrammeError::GroupNumbering {
                place: i + 1,
                found: group.number.get(),
            });
        }
    }
    Ok(())
}

impl Aggregate for Programme {
    const TYPE: &'static str = "programme";
    type Command = ProgrammeCommand;
    type Event = ProgrammeEvent;
    type Error = ProgrammeError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: ProgrammeCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), ProgrammeError> {
        let event = self.decide(command, facts)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: ProgrammeEvent) {
        match event {
            ProgrammeEvent::ProgrammeAdopted {
                id,
                groups,
                adopted_on,
                ..
            } => {
                self.id = Some(id);
                self.groups = groups;
                self.latest_step = Some(adopted_on);
            }
            ProgrammeEvent::ProgrammeAmended { groups, on, .. } => {
                if let Some(groups) = groups {
                    self.groups = groups;
                }
                self.latest_step = Some(on);
            }
            ProgrammeEvent::ProgrammeReviewed { kind, on, .. } => {
                match kind {
                    ReviewKind::Midterm => self.midterm_held = true,
                    ReviewKind::Final => self.final_held = true,
                }
                self.latest_step = Some(on);
            }
            ProgrammeEvent::ProgrammeClosed { on, .. } => {
                self.closed = true;
                self.latest_step = Some(on);
            }
        }
    }
}

#[cfg(test)]
mod tests;
