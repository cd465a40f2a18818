//! Programmes (Đề án): adopted with objectives, a period and numbered solution groups
//! (nhóm nhiệm vụ, giải pháp); amended; reviewed at midterm (sơ kết) and at the end (tổng
//! kết); closed.

use chrono::NaiveDate;
use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::value::{DocumentNumber, GroupNumber, LongText, ProgrammeId, Title, UnitId};

/// One numbered solution group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SolutionGroup {
    /// Its number, 1, 2, 3, … in order.
    pub number: GroupNumber,
    /// What it is about.
    pub title: Title,
}

/// Which review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Sơ kết: the midterm review.
    Midterm,
    /// Tổng kết: the final review.
    Final,
}

/// Commands on a programme.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgrammeCommand {
    /// Adopts the programme.
    Adopt {
        /// Its id.
        id: ProgrammeId,
        /// Its document number (`10-ĐA/TU`).
        document: DocumentNumber,
        /// The issuing unit.
        issuer: UnitId,
        /// Its title.
        title: Title,
        /// The general objective.
        objectives: LongText,
        /// First year of its period.
        from_year: i32,
        /// Last year of its period.
        to_year: i32,
        /// Its solution groups, numbered 1, 2, 3, … in order.
        groups: Vec<SolutionGroup>,
        /// The day it was adopted.
        adopted_on: NaiveDate,
    },
    /// Amends the title, objectives or groups.
    Amend {
        /// A new title, if it changes.
        title: Option<Title>,
        /// New objectives, if they change.
        objectives: Option<LongText>,
        /// New groups, whole, if they change.
        groups: Option<Vec<SolutionGroup>>,
        /// The day.
        on: NaiveDate,
        /// The amending document.
        basis: DocumentNumber,
    },
    /// Records a midterm or final review.
    Review {
        /// Which review.
        kind: ReviewKind,
        /// The day.
        on: NaiveDate,
        /// The review's document.
        basis: DocumentNumber,
        /// Its conclusions.
        summary: LongText,
    },
    /// Closes the programme.
    Close {
        /// The day.
        on: NaiveDate,
        /// The closing document.
        basis: DocumentNumber,
    },
}

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
        adopted_on: NaiveDate,
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
        on: NaiveDate,
        /// The document.
        basis: DocumentNumber,
    },
    /// A review was held.
    ProgrammeReviewed {
        /// Which review.
        kind: ReviewKind,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: DocumentNumber,
        /// Conclusions.
        summary: LongText,
    },
    /// The programme was closed.
    ProgrammeClosed {
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: DocumentNumber,
    },
}

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
        on: NaiveDate,
        /// The latest step's day.
        since: NaiveDate,
    },
}

impl ProgrammeError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
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
            Self::BeforeLatestStep { on, since } => format!(
                "ngày {} sớm hơn bước gần nhất ({})",
                on.format("%d/%m/%Y"),
                since.format("%d/%m/%Y")
            ),
        }
    }
}

/// The state of a programme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    id: Option<ProgrammeId>,
    groups: Vec<SolutionGroup>,
    latest_step: Option<NaiveDate>,
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

    fn open_on(&self, on: NaiveDate) -> Result<(), ProgrammeError> {
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

    fn decide(&self, command: ProgrammeCommand) -> Result<ProgrammeEvent, ProgrammeError> {
        match command {
            ProgrammeCommand::Adopt {
                id,
                document,
                issuer,
                title,
                objectives,
                from_year,
                to_year,
                groups,
                adopted_on,
            } => {
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
            ProgrammeCommand::Amend {
                title,
                objectives,
                groups,
                on,
                basis,
            } => {
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
            ProgrammeCommand::Review {
                kind,
                on,
                basis,
                summary,
            } => {
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
            ProgrammeCommand::Close { on, basis } => {
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
    type Services = ();

    async fn handle(
        &mut self,
        command: ProgrammeCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ProgrammeError> {
        let event = self.decide(command)?;
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
