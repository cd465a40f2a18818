//! Reports (báo cáo): a unit's periodic account of its tasks, reviewed by the body it
//! reports to.
//!
//! One report per unit, plan, period and regime: a later submission is a correction of the
//! same report, never a second one (the submission's tag and the store's append condition
//! hold it, across streams). A report is never edited: a correction is a new revision that
//! names the revision it supersedes and why. A revision is accepted (tiếp nhận) or returned
//! with a reason (trả lại).
//!
//! Late and missing are derived, never typed in, and judged on when the ledger **received**
//! the report (its recorded time), not on the day the report claims; records from the archive
//! carry a receipt date attested by a document instead ([`AttestedReceipt`]).
//!
//! A report's task lines are checked against the ledger's own state of each task on the
//! revision's day: a line that contradicts it is a [`Discrepancy`], recorded with the
//! submission, again with the review, and shown to the reviewer, who must acknowledge it to
//! accept. Accepting a report does not change any task: a completion is the lead unit's own
//! command.

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs, Unique};
use crate::policy::PolicyError;
use crate::task::{TaskDay, TaskStatus};
use crate::value::{
    Date, DocumentNumber, LongText, Percent, PlanId, ReportId, ReportingPeriod, ReportingRegime,
    TaskId, UnitId,
};

/// How a task stands in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Not started.
    NotStarted,
    /// Under way.
    InProgress,
    /// Done.
    Completed,
}

/// One task's line in a report: what the unit claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::InputObject, async_graphql::SimpleObject),
    graphql(input_name = "ReportItemInput")
)]
pub struct ReportItem {
    /// The task.
    pub task: TaskId,
    /// How it stands, as claimed.
    pub status: ItemStatus,
    /// Progress, as claimed.
    pub percent: Percent,
}

/// What a report says, in the standard sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::InputObject, async_graphql::SimpleObject),
    graphql(input_name = "ReportContentInput")
)]
pub struct ReportContent {
    /// The tasks covered, one line each.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub items: Vec<ReportItem>,
    /// Kết quả đạt được.
    #[serde(default)]
    pub achievements: Option<LongText>,
    /// Hạn chế.
    #[serde(default)]
    pub shortcomings: Option<LongText>,
    /// Nguyên nhân.
    #[serde(default)]
    pub causes: Option<LongText>,
    /// Khó khăn, vướng mắc.
    #[serde(default)]
    pub obstacles: Option<LongText>,
    /// Kiến nghị, đề xuất.
    #[serde(default)]
    pub proposals: Option<LongText>,
}

/// When the archive attests a report was received: for records entered from the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct AttestedReceipt {
    /// The day it was received (ngày nhận, as the register says).
    pub received_on: Date,
    /// The document that attests it (the incoming register, a transmittal).
    pub document: DocumentNumber,
}

/// How a task line contradicts the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// The task was not assigned by the report's day.
    UnknownTask,
    /// The task belongs to another plan.
    OtherPlan,
    /// The reporting unit neither led nor coordinated the task that day.
    NotResponsible,
    /// The line says completed (or 100 %); the ledger has the task open.
    ClaimedCompleted,
    /// The line says not started or under way; the ledger has the task completed.
    ClaimedOpen,
    /// The task was cancelled by that day.
    Cancelled,
    /// The percentage differs from the last one the ledger recorded by
    /// [`PERCENT_TOLERANCE`] points or more.
    PercentDiffers,
}

/// Points by which a claimed percentage may differ from the ledger's before it is a
/// discrepancy.
pub const PERCENT_TOLERANCE: u8 = 10;

/// How a task stood in the ledger on a report's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// Open.
    Open,
    /// Completed.
    Completed,
    /// Cancelled.
    Cancelled,
}

/// A task line that contradicts the task's state in the ledger on the revision's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Discrepancy {
    /// The task.
    pub task: TaskId,
    /// How it contradicts.
    pub kind: DiscrepancyKind,
    /// The status the line claims.
    pub claimed_status: ItemStatus,
    /// The percentage the line claims.
    pub claimed_percent: Percent,
    /// The task's status in the ledger that day (none: not assigned by then).
    pub ledger_status: Option<LedgerStatus>,
    /// The last percentage the ledger recorded by then (100 once completed).
    pub ledger_percent: Option<Percent>,
}

/// The task lines of `content` that contradict the ledger on `day`, for `unit` under `plan`.
fn discrepancies(
    content: &ReportContent,
    unit: &UnitId,
    plan: &PlanId,
    day: Date,
    facts: &Facts,
) -> Result<Vec<Discrepancy>, FactError> {
    let mut out = Vec::new();
    for item in &content.items {
        let task = facts
            .task(&item.task)
            .ok_or_else(|| FactError::NotLoaded(format!("task {}", item.task)))?;
        let state: Option<TaskDay> = task.on(day);
        let status = state.as_ref().map(|t| match t.status {
            TaskStatus::Completed { .. } => LedgerStatus::Completed,
            TaskStatus::Cancelled { .. } => LedgerStatus::Cancelled,
            _ => LedgerStatus::Open,
        });
        let percent = state.as_ref().and_then(|t| t.percent);
        let claims_done = item.status == ItemStatus::Completed || item.percent.get() == 100;
        let kind = match (&state, status) {
            (None, _) => Some(DiscrepancyKind::UnknownTask),
            (Some(t), _) if &t.plan != plan => Some(DiscrepancyKind::OtherPlan),
            (Some(t), _) if !t.responsible(unit) => Some(DiscrepancyKind::NotResponsible),
            (_, Some(LedgerStatus::Cancelled)) => Some(DiscrepancyKind::Cancelled),
            (_, Some(LedgerStatus::Open)) if claims_done => Some(DiscrepancyKind::ClaimedCompleted),
            (_, Some(LedgerStatus::Completed)) if !claims_done => {
                Some(DiscrepancyKind::ClaimedOpen)
            }
            _ => match percent {
                Some(p) if p.get().abs_diff(item.percent.get()) >= PERCENT_TOLERANCE => {
                    Some(DiscrepancyKind::PercentDiffers)
                }
                _ => None,
            },
        };
        if let Some(kind) = kind {
            out.push(Discrepancy {
                task: item.task.clone(),
                kind,
                claimed_status: item.status,
                claimed_percent: item.percent,
                ledger_status: status,
                ledger_percent: percent,
            });
        }
    }
    Ok(out)
}

/// The tag of a report: one per unit, plan, period and regime.
#[must_use]
pub fn report_tag(
    unit: &UnitId,
    plan: &PlanId,
    period: &ReportingPeriod,
    regime: &ReportingRegime,
) -> String {
    format!("report:{unit}|{plan}|{period}|{}", regime.name)
}

/// Submits a unit's report for a period (gửi báo cáo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct SubmitReport {
    /// Its id.
    pub id: ReportId,
    /// The reporting unit, active on the day (a unit reporter's own).
    pub unit: UnitId,
    /// The plan reported on.
    pub plan: PlanId,
    /// The period (`2023-Q2`).
    pub period: ReportingPeriod,
    /// The day the report is dated (its lines speak of that day).
    pub submitted_on: Date,
    /// What it says.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub content: ReportContent,
    /// For records from the archive only: when it was received, and the document that
    /// attests it. Live submissions are received when the ledger records them.
    #[serde(default)]
    pub attested: Option<AttestedReceipt>,
}

/// Supersedes a report's current revision with a corrected one (gửi bản điều chỉnh).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct CorrectReport {
    /// The report.
    pub id: ReportId,
    /// The revision corrected: must be the current one.
    pub corrects: u32,
    /// Why.
    pub reason: LongText,
    /// The day of the correction.
    pub submitted_on: Date,
    /// The corrected content, whole.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub content: ReportContent,
}

/// The reviewing body accepts a report's current revision (tiếp nhận).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AcceptReport {
    /// The report.
    pub id: ReportId,
    /// The reviewing unit.
    pub by: UnitId,
    /// The day.
    pub on: Date,
    /// The reviewer has seen the discrepancies between the report's lines and the ledger,
    /// and accepts the report with them (they stay in its history).
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub acknowledge_discrepancies: bool,
}

/// The reviewing body returns a report's current revision with the reason (trả lại).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ReturnReport {
    /// The report.
    pub id: ReportId,
    /// The reviewing unit.
    pub by: UnitId,
    /// The day.
    pub on: Date,
    /// Why.
    pub reason: LongText,
}

/// Commands on a report.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportCommand {
    /// [`SubmitReport`].
    Submit(SubmitReport),
    /// [`CorrectReport`].
    Correct(CorrectReport),
    /// [`AcceptReport`].
    Accept(AcceptReport),
    /// [`ReturnReport`].
    Return(ReturnReport),
}

fn line_tasks(content: &ReportContent) -> Vec<TaskId> {
    content.items.iter().map(|i| i.task.clone()).collect()
}

impl_command!(SubmitReport: "submit_report", ReportCommand::Submit of Report,
roles: &[Role::UnitReporter], id: |c| c.id, on: submitted_on, reporting: unit;
fn needs(&self, _: &Report) -> Needs {
    let mut needs = Needs::default().active(&self.unit, self.submitted_on);
    needs.tasks = line_tasks(&self.content);
    needs.unique = Some(Unique {
        event_type: "ReportSubmitted",
        tag: report_tag(
            &self.unit,
            &self.plan,
            &self.period,
            &ReportingRegime::decree_09_2019(),
        ),
    });
    needs
}
fn settle(
    &mut self,
    role: Role,
    source_document: Option<&DocumentNumber>,
) -> Result<(), PolicyError> {
    match (role, &self.attested, source_document) {
        (Role::Archivist, None, Some(document)) => {
            self.attested = Some(AttestedReceipt {
                received_on: self.submitted_on,
                document: document.clone(),
            });
            Ok(())
        }
        (Role::Archivist, _, _) | (_, None, _) => Ok(()),
        (_, Some(_), _) => Err(PolicyError::AttestationNotAllowed),
    }
});

impl_command!(CorrectReport: "correct_report", ReportCommand::Correct of Report,
roles: &[Role::UnitReporter], id: |c| c.id, on: submitted_on, reason: reason;
fn reporting_unit(&self, state: &Report) -> Option<UnitId> {
    state.unit.clone()
}
fn needs(&self, _: &Report) -> Needs {
    Needs {
        tasks: line_tasks(&self.content),
        ..Needs::default()
    }
});

impl_command!(AcceptReport: "accept_report", ReportCommand::Accept of Report,
roles: &[Role::Secretariat], id: |c| c.id, on: on;
fn needs(&self, state: &Report) -> Needs {
    Needs {
        tasks: line_tasks(&state.content),
        ..Needs::default()
    }
});

impl_command!(ReturnReport: "return_report", ReportCommand::Return of Report,
roles: &[Role::Secretariat], id: |c| c.id, on: on, reason: reason;
fn needs(&self, state: &Report) -> Needs {
    Needs {
        tasks: line_tasks(&state.content),
        ..Needs::default()
    }
});

/// Events of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
// A submission carries the whole report; events are decoded one at a time and applied, never
// held in bulk, so the size difference between variants costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
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
        /// The day the report is dated.
        submitted_on: Date,
        /// What it says.
        content: ReportContent,
        /// The archive's attestation of when it was received (records from the archive);
        /// absent for live submissions, received when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attested: Option<AttestedReceipt>,
        /// Lines that contradicted the ledger on the day.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        discrepancies: Vec<Discrepancy>,
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
        submitted_on: Date,
        /// What it says now.
        content: ReportContent,
        /// Lines that contradicted the ledger on the day.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        discrepancies: Vec<Discrepancy>,
    },
    /// A revision was accepted.
    ReportAccepted {
        /// The revision.
        revision: u32,
        /// The reviewing unit.
        by: UnitId,
        /// The day.
        on: Date,
        /// The discrepancies the reviewer acknowledged.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        discrepancies: Vec<Discrepancy>,
    },
    /// A revision was returned.
    ReportReturned {
        /// The revision.
        revision: u32,
        /// The reviewing unit.
        by: UnitId,
        /// The day.
        on: Date,
        /// Why.
        reason: LongText,
        /// The discrepancies shown to the reviewer.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        discrepancies: Vec<Discrepancy>,
    },
}

impl Tagged for ReportEvent {
    /// A submission carries its (unit, plan, period, regime) tag.
    fn tags(&self) -> Vec<String> {
        match self {
            Self::ReportSubmitted {
                unit,
                plan,
                period,
                regime,
                ..
            } => vec![report_tag(unit, plan, period, regime)],
            _ => Vec::new(),
        }
    }
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
            // Version 2 names its reporting regime (see `upcast::ReportSubmittedV1`); version
            // 3 is received when recorded, or attested: before it, the submission's own date
            // was taken for its receipt.
            Self::ReportSubmitted { .. } => "3",
            _ => "1",
        }
        .to_owned()
    }
}

/// Why a report command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// The report was already submitted; correct it instead.
    #[error("report {0} is already submitted; submit a correction instead")]
    AlreadySubmitted(ReportId),
    /// The unit already has a report for the plan, period and regime.
    #[error(
        "{unit} already reported on {plan} for {period} ({existing}): submit a correction of that report instead of a second one"
    )]
    DuplicateReport {
        /// The unit.
        unit: UnitId,
        /// The plan.
        plan: PlanId,
        /// The period.
        period: ReportingPeriod,
        /// The existing report's stream.
        existing: String,
    },
    /// Nothing was submitted yet.
    #[error("the report has not been submitted")]
    NotSubmitted,
    /// The period's data window has not opened on the day of submission.
    #[error("period {period} has not begun on {on} (its data window opens on {opens})")]
    PeriodNotBegun {
        /// The period.
        period: ReportingPeriod,
        /// The submission day.
        on: Date,
        /// When the window opens.
        opens: Date,
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
        on: Date,
        /// The submission day.
        submitted_on: Date,
    },
    /// Lines contradict the ledger, and the reviewer did not acknowledge them.
    #[error("{} line(s) of the report contradict the ledger; accept with acknowledgeDiscrepancies once they are reviewed, or return the report", .0.len())]
    UnacknowledgedDiscrepancies(Vec<Discrepancy>),
}

impl Refusal for ReportError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) | Self::NotSubmitted => RefusalKind::NotFound,
            Self::AlreadySubmitted(_) | Self::DuplicateReport { .. } => RefusalKind::AlreadyExists,
            Self::UnacknowledgedDiscrepancies(_) => RefusalKind::Discrepancies,
            _ => RefusalKind::Rule,
        }
    }
    fn detail(&self) -> Option<serde_json::Value> {
        match self {
            Self::UnacknowledgedDiscrepancies(list) => serde_json::to_value(list).ok(),
            _ => None,
        }
    }
}

impl ReportError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadySubmitted(id) => {
                format!("báo cáo {id} đã được gửi; hãy gửi bản điều chỉnh")
            }
            Self::DuplicateReport {
                unit,
                plan,
                period,
                existing,
            } => format!(
                "đơn vị {unit} đã có báo cáo kỳ {period} theo {plan} ({existing}); hãy gửi bản điều chỉnh của báo cáo đó, không gửi báo cáo thứ hai"
            ),
            Self::NotSubmitted => "báo cáo chưa được gửi".to_owned(),
            Self::PeriodNotBegun { period, on, opens } => format!(
                "kỳ báo cáo {period} chưa bắt đầu vào ngày {} (bắt đầu từ {})",
                on.vi(),
                opens.vi()
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
                format!("ngày {} sớm hơn ngày gửi {}", on.vi(), submitted_on.vi())
            }
            Self::UnacknowledgedDiscrepancies(list) => format!(
                "{} dòng của báo cáo mâu thuẫn với số liệu trong sổ; hãy xác nhận đã xem xét (acknowledgeDiscrepancies) khi tiếp nhận, hoặc trả lại báo cáo",
                list.len()
            ),
        }
    }

    /// The discrepancies a refusal is about, for the reviewer.
    #[must_use]
    pub fn discrepancies(&self) -> &[Discrepancy] {
        match self {
            Self::UnacknowledgedDiscrepancies(list) => list,
            _ => &[],
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
    unit: Option<UnitId>,
    plan: Option<PlanId>,
    period: Option<ReportingPeriod>,
    regime: Option<ReportingRegime>,
    last_submitted_on: Option<Date>,
    content: ReportContent,
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

    /// The reporting unit, once submitted.
    #[must_use]
    pub fn unit(&self) -> Option<&UnitId> {
        self.unit.as_ref()
    }

    /// What the current revision says.
    #[must_use]
    pub fn content(&self) -> &ReportContent {
        &self.content
    }

    fn current(&self, on: Date) -> Result<Date, ReportError> {
        let submitted_on = self.last_submitted_on.ok_or(ReportError::NotSubmitted)?;
        if on < submitted_on {
            return Err(ReportError::BeforeSubmission { on, submitted_on });
        }
        Ok(submitted_on)
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

    /// The current revision's lines against the ledger on its day.
    fn current_discrepancies(&self, facts: &Facts) -> Result<Vec<Discrepancy>, ReportError> {
        match (&self.unit, &self.plan, self.last_submitted_on) {
            (Some(unit), Some(plan), Some(day)) => {
                Ok(discrepancies(&self.content, unit, plan, day, facts)?)
            }
            _ => Err(ReportError::NotSubmitted),
        }
    }

    fn decide(&self, command: ReportCommand, facts: &Facts) -> Result<ReportEvent, ReportError> {
        match command {
            ReportCommand::Submit(SubmitReport {
                id,
                unit,
                plan,
                period,
                submitted_on,
                content,
                attested,
            }) => {
                if let Some(existing) = &self.id {
                    return Err(ReportError::AlreadySubmitted(existing.clone()));
                }
                let unit = facts.active(&unit, submitted_on)?;
                let regime = ReportingRegime::decree_09_2019();
                if !regime.has_begun(&period, submitted_on) {
                    return Err(ReportError::PeriodNotBegun {
                        period,
                        on: submitted_on,
                        opens: regime.window(&period).0,
                    });
                }
                if let Some(existing) = facts.holders().first() {
                    return Err(ReportError::DuplicateReport {
                        unit: unit.id().clone(),
                        plan,
                        period,
                        existing: existing.clone(),
                    });
                }
                check_items(&content)?;
                let discrepancies = discrepancies(&content, unit.id(), &plan, submitted_on, facts)?;
                Ok(ReportEvent::ReportSubmitted {
                    id,
                    unit: unit.id().clone(),
                    plan,
                    period,
                    regime,
                    submitted_on,
                    content,
                    attested,
                    discrepancies,
                })
            }
            ReportCommand::Correct(CorrectReport {
                corrects,
                reason,
                submitted_on,
                content,
                ..
            }) => {
                self.current(submitted_on)?;
                if corrects != self.revision {
                    return Err(ReportError::NotCurrentRevision {
                        named: corrects,
                        current: self.revision,
                    });
                }
                check_items(&content)?;
                let (Some(unit), Some(plan)) = (&self.unit, &self.plan) else {
                    return Err(ReportError::NotSubmitted);
                };
                let discrepancies = discrepancies(&content, unit, plan, submitted_on, facts)?;
                Ok(ReportEvent::ReportCorrected {
                    revision: self.revision + 1,
                    corrects,
                    reason,
                    submitted_on,
                    content,
                    discrepancies,
                })
            }
            ReportCommand::Accept(AcceptReport {
                by,
                on,
                acknowledge_discrepancies,
                ..
            }) => {
                self.current(on)?;
                self.unreviewed()?;
                let discrepancies = self.current_discrepancies(facts)?;
                if !discrepancies.is_empty() && !acknowledge_discrepancies {
                    return Err(ReportError::UnacknowledgedDiscrepancies(discrepancies));
                }
                Ok(ReportEvent::ReportAccepted {
                    revision: self.revision,
                    by,
                    on,
                    discrepancies,
                })
            }
            ReportCommand::Return(ReturnReport { by, on, reason, .. }) => {
                self.current(on)?;
                self.unreviewed()?;
                let discrepancies = self.current_discrepancies(facts)?;
                Ok(ReportEvent::ReportReturned {
                    revision: self.revision,
                    by,
                    on,
                    reason,
                    discrepancies,
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
    type Services = Facts;

    async fn handle(
        &mut self,
        command: ReportCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), ReportError> {
        let event = self.decide(command, facts)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: ReportEvent) {
        match event {
            ReportEvent::ReportSubmitted {
                id,
                unit,
                plan,
                period,
                regime,
                submitted_on,
                content,
                ..
            } => {
                self.id = Some(id);
                self.unit = Some(unit);
                self.plan = Some(plan);
                self.period = Some(period);
                self.regime = Some(regime);
                self.last_submitted_on = Some(submitted_on);
                self.content = content;
                self.revision = 1;
                self.review = Review::Pending;
            }
            ReportEvent::ReportCorrected {
                revision,
                submitted_on,
                content,
                ..
            } => {
                self.revision = revision;
                self.last_submitted_on = Some(submitted_on);
                self.content = content;
                self.review = Review::Pending;
            }
            ReportEvent::ReportAccepted { .. } => self.review = Review::Accepted,
            ReportEvent::ReportReturned { .. } => self.review = Review::Returned,
        }
    }
}

#[cfg(test)]
mod tests;
