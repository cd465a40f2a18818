//! Reports (báo cáo): a unit's periodic account of its tasks, reviewed by the body it
//! reports to.
//!
//! A report is never edited: a correction is a new revision that names the revision it
//! supersedes and why. A revision is accepted (tiếp nhận) or returned with a reason (trả lại).
//! Late and missing are derived from the reporting regime's deadline and the dates of
//! submission, never typed in.

use chrono::NaiveDate;
use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::unit::ActiveUnit;
use crate::value::{
    LongText, Percent, PlanId, ReportId, ReportingPeriod, ReportingRegime, TaskId, UnitId,
};

/// How a task stands in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Not started.
    NotStarted,
    /// Under way.
    InProgress,
    /// Done.
    Completed,
}

/// One task's line in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportItem {
    /// The task.
    pub task: TaskId,
    /// How it stands.
    pub status: ItemStatus,
    /// Progress.
    pub percent: Percent,
}

/// What a report says, in the standard sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportContent {
    /// The tasks covered.
    pub items: Vec<ReportItem>,
    /// Kết quả đạt được.
    pub achievements: Option<LongText>,
    /// Hạn chế.
    pub shortcomings: Option<LongText>,
    /// Nguyên nhân.
    pub causes: Option<LongText>,
    /// Khó khăn, vướng mắc.
    pub obstacles: Option<LongText>,
    /// Kiến nghị, đề xuất.
    pub proposals: Option<LongText>,
}

/// Commands on a report.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportCommand {
    /// Submits the first revision.
    Submit {
        /// Its id.
        id: ReportId,
        /// The reporting unit, active on `submitted_on`.
        unit: ActiveUnit,
        /// The plan reported on.
        plan: PlanId,
        /// The period.
        period: ReportingPeriod,
        /// The regime that gives the period its window and deadline.
        regime: ReportingRegime,
        /// The day of submission.
        submitted_on: NaiveDate,
        /// What it says.
        content: ReportContent,
    },
    /// Supersedes the current revision with a corrected one.
    Correct {
        /// The revision corrected: must be the current one.
        corrects: u32,
        /// Why.
        reason: LongText,
        /// The day of the correction.
        submitted_on: NaiveDate,
        /// The corrected content, whole.
        content: ReportContent,
    },
    /// The reviewing body accepts the current revision.
    Accept {
        /// The reviewing unit.
        by: UnitId,
        /// The day.
        on: NaiveDate,
    },
    /// The reviewing body returns the current revision.
    Return {
        /// The reviewing unit.
        by: UnitId,
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: LongText,
    },
}

/// Events of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ReportEvent {
    /// The first revision was submitted.
    ReportSubmitted {
        /// The report.
        id: ReportId,
        /// The reporting unit.
        unit: UnitId,
        /// The plan.
        plan: PlanId,
        /// The period.
        period: ReportingPeriod,
        /// The regime.
        regime: ReportingRegime,
        /// The day.
        submitted_on: NaiveDate,
        /// What it says.
        content: ReportContent,
    },
    /// A corrected revision superseded the previous one.
    ReportCorrected {
        /// The new revision number.
        revision: u32,
        /// The revision it supersedes.
        corrects: u32,
        /// Why.
        reason: LongText,
        /// The day.
        submitted_on: NaiveDate,
        /// What it says now.
        content: ReportContent,
    },
    /// A revision was accepted.
    ReportAccepted {
        /// The revision.
        revision: u32,
        /// The reviewing unit.
        by: UnitId,
        /// The day.
        on: NaiveDate,
    },
    /// A revision was returned.
    ReportReturned {
        /// The revision.
        revision: u32,
        /// The reviewing unit.
        by: UnitId,
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: LongText,
    },
}

impl DomainEvent for ReportEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ReportSubmitted { .. } => "ReportSubmitted",
            Self::ReportCorrected { .. } => "ReportCorrected",
            Self::ReportAccepted { .. } => "ReportAccepted",
            Self::ReportReturned { .. } => "ReportReturned",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        match self {
            // Version 2 names its reporting regime; see `upcast::ReportSubmittedV1`.
            Self::ReportSubmitted { .. } => "2",
            _ => "1",
        }
        .to_owned()
    }
}

/// Why a report command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The report was already submitted; correct it instead.
    #[error("report {0} is already submitted; submit a correction instead")]
    AlreadySubmitted(ReportId),
    /// Nothing was submitted yet.
    #[error("the report has not been submitted")]
    NotSubmitted,
    /// The period's data window has not opened on the day of submission.
    #[error("period {period} has not begun on {on} (its data window opens on {opens})")]
    PeriodNotBegun {
        /// The period.
        period: ReportingPeriod,
        /// The submission day.
        on: NaiveDate,
        /// When the window opens.
        opens: NaiveDate,
    },
    /// The unit proof was made for another day.
    #[error("unit {unit} was checked for {checked}, not for the submission on {on}")]
    ProofForAnotherDay {
        /// The unit.
        unit: UnitId,
        /// The day checked.
        checked: NaiveDate,
        /// The submission day.
        on: NaiveDate,
    },
    /// A task appears twice among the items.
    #[error("task {0} appears twice in the report")]
    TaskListedTwice(TaskId),
    /// A correction must supersede the current revision.
    #[error("the correction names revision {named}, but the current revision is {current}")]
    NotCurrentRevision {
        /// The named revision.
        named: u32,
        /// The current one.
        current: u32,
    },
    /// The current revision was already reviewed.
    #[error("revision {revision} was already {verdict}")]
    AlreadyReviewed {
        /// The revision.
        revision: u32,
        /// "accepted" or "returned".
        verdict: &'static str,
    },
    /// A change dated before the current revision's submission.
    #[error("the change on {on} comes before the submission on {submitted_on}")]
    BeforeSubmission {
        /// The change's day.
        on: NaiveDate,
        /// The submission day.
        submitted_on: NaiveDate,
    },
}

impl ReportError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &NaiveDate| x.format("%d/%m/%Y").to_string();
        match self {
            Self::AlreadySubmitted(id) => {
                format!("báo cáo {id} đã được gửi; hãy gửi bản điều chỉnh")
            }
            Self::NotSubmitted => "báo cáo chưa được gửi".to_owned(),
            Self::PeriodNotBegun { period, on, opens } => format!(
                "kỳ báo cáo {period} chưa bắt đầu vào ngày {} (bắt đầu từ {})",
                d(on),
                d(opens)
            ),
            Self::ProofForAnotherDay { unit, checked, on } => format!(
                "đơn vị {unit} được kiểm tra cho ngày {}, không phải ngày gửi {}",
                d(checked),
                d(on)
            ),
            Self::TaskListedTwice(t) => format!("nhiệm vụ {t} được nêu hai lần trong báo cáo"),
            Self::NotCurrentRevision { named, current } => {
                format!("bản điều chỉnh nêu lần {named}, nhưng lần hiện tại là {current}")
            }
            Self::AlreadyReviewed { revision, verdict } => format!(
                "lần {revision} đã được {}",
                if *verdict == "accepted" {
                    "tiếp nhận"
                } else {
                    "trả lại"
                }
            ),
            Self::BeforeSubmission { on, submitted_on } => {
                format!("ngày {} sớm hơn ngày gửi {}", d(on), d(submitted_on))
            }
        }
    }
}

/// The review of the current revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Not reviewed yet.
    #[default]
    Pending,
    /// Accepted.
    Accepted,
    /// Returned.
    Returned,
}

/// The state of a report, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    id: Option<ReportId>,
    period: Option<ReportingPeriod>,
    regime: Option<ReportingRegime>,
    first_submitted_on: Option<NaiveDate>,
    last_submitted_on: Option<NaiveDate>,
    revision: u32,
    review: Review,
}

impl Report {
    /// The current revision (0 before submission).
    #[must_use]
    pub fn revision(&self) -> u32 {
        self.revision
    }

    /// The review of the current revision.
    #[must_use]
    pub fn review(&self) -> Review {
        self.review
    }

    /// Whether the first submission came after the regime's deadline for the period.
    #[must_use]
    pub fn is_late(&self) -> bool {
        match (&self.period, &self.regime, self.first_submitted_on) {
            (Some(p), Some(r), Some(on)) => on > r.deadline(p),
            _ => false,
        }
    }

    fn current(&self, on: NaiveDate) -> Result<(), ReportError> {
        let submitted_on = self.last_submitted_on.ok_or(ReportError::NotSubmitted)?;
        if on < submitted_on {
            return Err(ReportError::BeforeSubmission { on, submitted_on });
        }
        Ok(())
    }

    fn unreviewed(&self) -> Result<(), ReportError> {
        let verdict = match self.review {
            Review::Pending => return Ok(()),
            Review::Accepted => "accepted",
            Review::Returned => "returned",
        };
        Err(ReportError::AlreadyReviewed {
            revision: self.revision,
            verdict,
        })
    }

    fn decide(&self, command: ReportCommand) -> Result<ReportEvent, ReportError> {
        match command {
            ReportCommand::Submit {
                id,
                unit,
                plan,
                period,
                regime,
                submitted_on,
                content,
            } => {
                if let Some(existing) = &self.id {
                    return Err(ReportError::AlreadySubmitted(existing.clone()));
                }
                if unit.on() != submitted_on {
                    return Err(ReportError::ProofForAnotherDay {
                        unit: unit.id().clone(),
                        checked: unit.on(),
                        on: submitted_on,
                    });
                }
                if !regime.has_begun(&period, submitted_on) {
                    return Err(ReportError::PeriodNotBegun {
                        period,
                        on: submitted_on,
                        opens: regime.window(&period).0,
                    });
                }
                check_items(&content)?;
                Ok(ReportEvent::ReportSubmitted {
                    id,
                    unit: unit.id().clone(),
                    plan,
                    period,
                    regime,
                    submitted_on,
                    content,
                })
            }
            ReportCommand::Correct {
                corrects,
                reason,
                submitted_on,
                content,
            } => {
                self.current(submitted_on)?;
                if corrects != self.revision {
                    return Err(ReportError::NotCurrentRevision {
                        named: corrects,
                        current: self.revision,
                    });
                }
                check_items(&content)?;
                Ok(ReportEvent::ReportCorrected {
                    revision: self.revision + 1,
                    corrects,
                    reason,
                    submitted_on,
                    content,
                })
            }
            ReportCommand::Accept { by, on } => {
                self.current(on)?;
                self.unreviewed()?;
                Ok(ReportEvent::ReportAccepted {
                    revision: self.revision,
                    by,
                    on,
                })
            }
            ReportCommand::Return { by, on, reason } => {
                self.current(on)?;
                self.unreviewed()?;
                Ok(ReportEvent::ReportReturned {
                    revision: self.revision,
                    by,
                    on,
                    reason,
                })
            }
        }
    }
}

fn check_items(content: &ReportContent) -> Result<(), ReportError> {
    let mut seen = Vec::with_capacity(content.items.len());
    for item in &content.items {
        if seen.contains(&&item.task) {
            return Err(ReportError::TaskListedTwice(item.task.clone()));
        }
        seen.push(&item.task);
    }
    Ok(())
}

impl Aggregate for Report {
    const TYPE: &'static str = "report";
    type Command = ReportCommand;
    type Event = ReportEvent;
    type Error = ReportError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ReportCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ReportError> {
        let event = self.decide(command)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: ReportEvent) {
        match event {
            ReportEvent::ReportSubmitted {
                id,
                period,
                regime,
                submitted_on,
                ..
            } => {
                self.id = Some(id);
                self.period = Some(period);
                self.regime = Some(regime);
                self.first_submitted_on = Some(submitted_on);
                self.last_submitted_on = Some(submitted_on);
                self.revision = 1;
                self.review = Review::Pending;
            }
            ReportEvent::ReportCorrected {
                revision,
                submitted_on,
                ..
            } => {
                self.revision = revision;
                self.last_submitted_on = Some(submitted_on);
                self.review = Review::Pending;
            }
            ReportEvent::ReportAccepted { .. } => self.review = Review::Accepted,
            ReportEvent::ReportReturned { .. } => self.review = Review::Returned,
        }
    }
}

#[cfg(test)]
mod tests;
