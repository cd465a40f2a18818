//! Scenario files: a story of a programme told as a list of steps, applied through the same
//! command path users take ([`Ledger`]) — never raw inserts.
//!
//! A scenario is JSON: a `name`, a `description` (which says what is sourced and what is
//! illustrative), the `actor` the import acts as, and `steps` in the order they happened.
//! Each step is one command, e.g. `{"register_unit": {"id": "so-tu-phap", …}}`; units are named
//! by id and the importer loads the proofs that they were active on the day.
//!
//! Importing is idempotent: step *n* carries the idempotency key `import:{name}:{n}`, written
//! in the same transaction as its event, and a step whose key is already in the log is
//! skipped. Errors name the line, column and field of a malformed file, or the step a rule
//! refused.

use chrono::NaiveDate;
use ledger_domain::briefing::{Briefing, BriefingCommand};
use ledger_domain::document::{Document, DocumentCommand, DocumentIdentity};
use ledger_domain::focus::{FocusCommand, FocusProgramme, Priority};
use ledger_domain::obstacle::{Obstacle, ObstacleCommand};
use ledger_domain::plan::{Implements, Plan, PlanCommand, RequiredPlan};
use ledger_domain::programme::{Programme, ProgrammeCommand, ReviewKind, SolutionGroup};
use ledger_domain::report::{Report, ReportCommand, ReportContent};
use ledger_domain::supervision::{Supervision, SupervisionCommand};
use ledger_domain::task::TaskCommand;
use ledger_domain::unit::{UnitCommand, UnitKind};
use ledger_domain::value::{
    BriefingId, DocumentNumber, FocusProgrammeId, GroupNumber, LongText, ObstacleId, Percent,
    PlanId, ProgrammeId, ReportId, ReportingPeriod, ReportingRegime, SupervisionId, TaskId, Title,
    UnitId,
};
use ledger_store::cqrs::CommandContext;
use ledger_store::{Actor, EventStore, Metadata};
use serde::Deserialize;

use crate::{AppError, AssignTask, Ledger};

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; part of every step's idempotency key, so keep it stable.
    pub name: String,
    /// What the scenario tells, and which facts are sourced or illustrative.
    pub description: String,
    /// Who the import acts as.
    pub actor: Actor,
    /// The steps, in the order they happened.
    pub steps: Vec<Step>,
}

/// One step of a scenario: one command.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)] // Each variant is the command of the same name; fields as there.
pub enum Step {
    RegisterUnit {
        id: UnitId,
        kind: UnitKind,
        name: Title,
        parent: Option<UnitId>,
        established_on: NaiveDate,
        basis: Option<DocumentNumber>,
    },
    RenameUnit {
        id: UnitId,
        name: Title,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    MergeUnit {
        id: UnitId,
        into: UnitId,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    DissolveUnit {
        id: UnitId,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    DeclareSuccessor {
        id: UnitId,
        successor: UnitId,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    AdoptProgramme {
        id: ProgrammeId,
        document: DocumentNumber,
        issuer: UnitId,
        title: Title,
        objectives: LongText,
        from_year: i32,
        to_year: i32,
        groups: Vec<SolutionGroup>,
        adopted_on: NaiveDate,
    },
    IssuePlan {
        id: PlanId,
        document: DocumentNumber,
        issuer: UnitId,
        title: Title,
        implements: Implements,
        #[serde(default)]
        required_unit_plans: Vec<RequiredPlan>,
        issued_on: NaiveDate,
    },
    RecordUnitPlan {
        plan: PlanId,
        unit: UnitId,
        unit_plan: PlanId,
        on: NaiveDate,
    },
    AssignTask {
        id: TaskId,
        plan: PlanId,
        group: Option<GroupNumber>,
        title: Title,
        lead: UnitId,
        #[serde(default)]
        coordinating: Vec<UnitId>,
        deadline: NaiveDate,
        deliverable: Option<Title>,
        assigned_on: NaiveDate,
        basis: DocumentNumber,
    },
    ReportProgress {
        task: TaskId,
        by: UnitId,
        percent: Percent,
        note: LongText,
        on: NaiveDate,
    },
    CompleteTask {
        task: TaskId,
        by: UnitId,
        deliverable: DocumentNumber,
        on: NaiveDate,
    },
    SubmitReport {
        id: ReportId,
        unit: UnitId,
        plan: PlanId,
        period: ReportingPeriod,
        submitted_on: NaiveDate,
        #[serde(default)]
        content: ReportContent,
    },
    AcceptReport {
        id: ReportId,
        by: UnitId,
        on: NaiveDate,
    },
    ReturnReport {
        id: ReportId,
        by: UnitId,
        on: NaiveDate,
        reason: LongText,
    },
    CorrectReport {
        id: ReportId,
        corrects: u32,
        reason: LongText,
        submitted_on: NaiveDate,
        #[serde(default)]
        content: ReportContent,
    },
    ExtendDeadline {
        task: TaskId,
        deadline: NaiveDate,
        on: NaiveDate,
        reason: LongText,
        basis: DocumentNumber,
    },
    TransferTask {
        task: TaskId,
        to: UnitId,
        on: NaiveDate,
        reason: LongText,
        basis: DocumentNumber,
    },
    RaiseObstacle {
        id: ObstacleId,
        task: TaskId,
        by: UnitId,
        description: LongText,
        raised_on: NaiveDate,
    },
    EscalateObstacle {
        id: ObstacleId,
        to: UnitId,
        on: NaiveDate,
        note: Option<LongText>,
    },
    ResolveObstacle {
        id: ObstacleId,
        on: NaiveDate,
        resolution: LongText,
        basis: DocumentNumber,
    },
    AdoptFocusProgramme {
        id: FocusProgrammeId,
        programme: ProgrammeId,
        year: i32,
        by: UnitId,
        document: DocumentNumber,
        priorities: Vec<Priority>,
        adopted_on: NaiveDate,
    },
    OpenSupervision {
        id: SupervisionId,
        body: UnitId,
        subject: Title,
        supervised: Vec<UnitId>,
        opened_on: NaiveDate,
        basis: DocumentNumber,
    },
    Recommend {
        supervision: SupervisionId,
        to: UnitId,
        text: LongText,
        respond_by: NaiveDate,
        on: NaiveDate,
    },
    AnswerRecommendation {
        supervision: SupervisionId,
        number: u32,
        by: UnitId,
        answer: LongText,
        on: NaiveDate,
        basis: Option<DocumentNumber>,
    },
    CloseSupervision {
        id: SupervisionId,
        on: NaiveDate,
        conclusion: LongText,
        basis: DocumentNumber,
    },
    ReparentUnit {
        id: UnitId,
        parent: Option<UnitId>,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    RegisterDocument {
        identity: DocumentIdentity,
        title: Title,
        signed_by: Option<UnitId>,
        issued_on: NaiveDate,
    },
    AmendProgramme {
        id: ProgrammeId,
        title: Option<Title>,
        objectives: Option<LongText>,
        groups: Option<Vec<SolutionGroup>>,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    ReviewProgramme {
        id: ProgrammeId,
        kind: ReviewKind,
        on: NaiveDate,
        basis: DocumentNumber,
        summary: LongText,
    },
    CloseProgramme {
        id: ProgrammeId,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    AmendPlan {
        id: PlanId,
        title: Option<Title>,
        required_unit_plans: Option<Vec<RequiredPlan>>,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    SupersedePlan {
        id: PlanId,
        by: PlanId,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    AmendFocusProgramme {
        id: FocusProgrammeId,
        priorities: Vec<Priority>,
        on: NaiveDate,
        basis: DocumentNumber,
    },
    IssueReminder {
        task: TaskId,
        on: NaiveDate,
        note: Option<LongText>,
        basis: Option<DocumentNumber>,
    },
    CancelTask {
        task: TaskId,
        on: NaiveDate,
        reason: LongText,
        basis: DocumentNumber,
    },
    HoldBriefing {
        id: BriefingId,
        title: Title,
        chaired_by: UnitId,
        period: Option<ReportingPeriod>,
        #[serde(default)]
        participants: Vec<UnitId>,
        held_on: NaiveDate,
    },
    IssueConclusion {
        briefing: BriefingId,
        document: DocumentNumber,
        on: NaiveDate,
        conclusions: LongText,
        #[serde(default)]
        follow_up: Vec<TaskId>,
    },
}

impl Step {
    /// The step's kind and subject, for messages (`register_unit so-tu-phap`).
    #[must_use]
    pub fn label(&self) -> String {
        let (kind, subject): (&str, &str) = match self {
            Self::RegisterUnit { id, .. } => ("register_unit", id.as_str()),
            Self::RenameUnit { id, .. } => ("rename_unit", id.as_str()),
            Self::MergeUnit { id, .. } => ("merge_unit", id.as_str()),
            Self::DissolveUnit { id, .. } => ("dissolve_unit", id.as_str()),
            Self::DeclareSuccessor { id, .. } => ("declare_successor", id.as_str()),
            Self::AdoptProgramme { id, .. } => ("adopt_programme", id.as_str()),
            Self::IssuePlan { id, .. } => ("issue_plan", id.as_str()),
            Self::RecordUnitPlan { plan, .. } => ("record_unit_plan", plan.as_str()),
            Self::AssignTask { id, .. } => ("assign_task", id.as_str()),
            Self::ReportProgress { task, .. } => ("report_progress", task.as_str()),
            Self::CompleteTask { task, .. } => ("complete_task", task.as_str()),
            Self::SubmitReport { id, .. } => ("submit_report", id.as_str()),
            Self::AcceptReport { id, .. } => ("accept_report", id.as_str()),
            Self::ReturnReport { id, .. } => ("return_report", id.as_str()),
            Self::CorrectReport { id, .. } => ("correct_report", id.as_str()),
            Self::ExtendDeadline { task, .. } => ("extend_deadline", task.as_str()),
            Self::TransferTask { task, .. } => ("transfer_task", task.as_str()),
            Self::RaiseObstacle { id, .. } => ("raise_obstacle", id.as_str()),
            Self::EscalateObstacle { id, .. } => ("escalate_obstacle", id.as_str()),
            Self::ResolveObstacle { id, .. } => ("resolve_obstacle", id.as_str()),
            Self::AdoptFocusProgramme { id, .. } => ("adopt_focus_programme", id.as_str()),
            Self::OpenSupervision { id, .. } => ("open_supervision", id.as_str()),
            Self::Recommend { supervision, .. } => ("recommend", supervision.as_str()),
            Self::AnswerRecommendation { supervision, .. } => {
                ("answer_recommendation", supervision.as_str())
            }
            Self::CloseSupervision { id, .. } => ("close_supervision", id.as_str()),
            Self::HoldBriefing { id, .. } => ("hold_briefing", id.as_str()),
            Self::IssueConclusion { briefing, .. } => ("issue_conclusion", briefing.as_str()),
            Self::ReparentUnit { id, .. } => ("reparent_unit", id.as_str()),
            Self::RegisterDocument { identity, .. } => {
                return format!("register_document {}", identity.key());
            }
            Self::AmendProgramme { id, .. } => ("amend_programme", id.as_str()),
            Self::ReviewProgramme { id, .. } => ("review_programme", id.as_str()),
            Self::CloseProgramme { id, .. } => ("close_programme", id.as_str()),
            Self::AmendPlan { id, .. } => ("amend_plan", id.as_str()),
            Self::SupersedePlan { id, .. } => ("supersede_plan", id.as_str()),
            Self::AmendFocusProgramme { id, .. } => ("amend_focus_programme", id.as_str()),
            Self::IssueReminder { task, .. } => ("issue_reminder", task.as_str()),
            Self::CancelTask { task, .. } => ("cancel_task", task.as_str()),
        };
        format!("{kind} {subject}")
    }
}

/// Why a scenario could not be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file is not a valid scenario.
    #[error("line {line}, column {column}, at {field}: {message}")]
    Malformed {
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based).
        column: usize,
        /// The field, e.g. `steps[3].register_unit.established_on`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A step was refused or failed; the steps before it are applied.
    #[error("step {index} ({label}): {error}")]
    Step {
        /// The step's index (0-based, as in `steps[index]`).
        index: usize,
        /// Its kind and subject.
        label: String,
        /// Why.
        #[source]
        error: AppError,
    },
}

/// Which kind of rows a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    /// Plans: `id,document,issuer,title,programme,parent_plan,issued_on,required_units,required_by`
    /// (`programme` or `parent_plan`, one of the two; `required_units` separated by `;`, all due
    /// `required_by`).
    Plans,
    /// Tasks: `id,plan,group,title,lead,coordinating,deadline,deliverable,assigned_on,basis`
    /// (`group` and `deliverable` may be empty; `coordinating` separated by `;`).
    Tasks,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanRow {
    id: PlanId,
    document: DocumentNumber,
    issuer: UnitId,
    title: Title,
    programme: Option<ProgrammeId>,
    parent_plan: Option<PlanId>,
    issued_on: NaiveDate,
    required_units: Option<String>,
    required_by: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskRow {
    id: TaskId,
    plan: PlanId,
    group: Option<GroupNumber>,
    title: Title,
    lead: UnitId,
    coordinating: Option<String>,
    deadline: NaiveDate,
    deliverable: Option<Title>,
    assigned_on: NaiveDate,
    basis: DocumentNumber,
}

/// Parses a `;`-separated list of unit ids (empty: none).
fn unit_list(text: Option<&str>) -> Result<Vec<UnitId>, String> {
    text.unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| UnitId::parse(s).map_err(|e| e.to_string()))
        .collect()
}

/// Reads a CSV file of plans or tasks (the bulk form users ask for most) as a scenario named
/// `name`, acting as `actor`. Rows become steps in file order.
///
/// # Errors
/// [`ScenarioError::Malformed`] naming the line and the column of the first bad value.
pub fn from_csv(
    kind: CsvKind,
    name: &str,
    actor: Actor,
    text: &str,
) -> Result<Scenario, ScenarioError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(&e, 1))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, 0))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        records.push((line, record));
    }
    let mut steps = Vec::new();
    match kind {
        CsvKind::Plans => {
            for (line, record) in records {
                let row: PlanRow = row_from(&headers, &record, &[], line)?;
                let bad = |field: &str, message: String| ScenarioError::Malformed {
                    line,
                    column: 0,
                    field: field.to_owned(),
                    message,
                };
                let implements = match (row.programme, row.parent_plan) {
                    (Some(p), None) => Implements::Programme(p),
                    (None, Some(p)) => Implements::Plan(p),
                    _ => {
                        return Err(bad(
                            "programme",
                            "give either a programme or a parent plan, not both or neither".into(),
                        ));
                    }
                };
                let units = unit_list(row.required_units.as_deref())
                    .map_err(|m| bad("required_units", m))?;
                let required_unit_plans = match (units.is_empty(), row.required_by) {
                    (true, _) => Vec::new(),
                    (false, Some(due)) => units
                        .into_iter()
                        .map(|unit| RequiredPlan { unit, due })
                        .collect(),
                    (false, None) => {
                        return Err(bad("required_by", "required units need a due date".into()));
                    }
                };
                steps.push(Step::IssuePlan {
                    id: row.id,
                    document: row.document,
                    issuer: row.issuer,
                    title: row.title,
                    implements,
                    required_unit_plans,
                    issued_on: row.issued_on,
                });
            }
        }
        CsvKind::Tasks => {
            for (line, record) in records {
                let row: TaskRow = row_from(&headers, &record, &["group"], line)?;
                let coordinating = unit_list(row.coordinating.as_deref()).map_err(|message| {
                    ScenarioError::Malformed {
                        line,
                        column: 0,
                        field: "coordinating".to_owned(),
                        message,
                    }
                })?;
                steps.push(Step::AssignTask {
                    id: row.id,
                    plan: row.plan,
                    group: row.group,
                    title: row.title,
                    lead: row.lead,
                    coordinating,
                    deadline: row.deadline,
                    deliverable: row.deliverable,
                    assigned_on: row.assigned_on,
                    basis: row.basis,
                });
            }
        }
    }
    Ok(Scenario {
        name: name.to_owned(),
        description: format!("CSV import {name}"),
        actor,
        steps,
    })
}

/// Reads one CSV record as a row type, naming the column of a bad value: the record becomes a
/// JSON object (empty cells are null, `numeric` columns numbers) read with
/// `serde_path_to_error`.
fn row_from<T: serde::de::DeserializeOwned>(
    headers: &[String],
    record: &csv::StringRecord,
    numeric: &[&str],
    line: usize,
) -> Result<T, ScenarioError> {
    let mut object = serde_json::Map::new();
    for (name, cell) in headers.iter().zip(record.iter()) {
        let value = if cell.is_empty() {
            serde_json::Value::Null
        } else if numeric.contains(&name.as_str()) {
            match cell.parse::<u64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => {
                    return Err(ScenarioError::Malformed {
                        line,
                        column: 0,
                        field: name.clone(),
                        message: format!("{cell:?} is not a whole number"),
                    });
                }
            }
        } else {
            serde_json::Value::String(cell.to_owned())
        };
        object.insert(name.clone(), value);
    }
    serde_path_to_error::deserialize(serde_json::Value::Object(object)).map_err(|e| {
        ScenarioError::Malformed {
            line,
            column: 0,
            field: e.path().to_string(),
            message: e.into_inner().to_string(),
        }
    })
}

/// A CSV reading error (bad UTF-8, a row with too few or too many cells) as a malformed-file
/// error; `line` is used when the error carries none.
fn csv_error(error: &csv::Error, line: usize) -> ScenarioError {
    ScenarioError::Malformed {
        line: error.position().map_or(line, |p| p.line() as usize),
        column: 0,
        field: String::new(),
        message: error.to_string(),
    }
}

/// The demo scenario: Đề án 10-ĐA/TU and Kế hoạch 44-KH/TU in Thái Nguyên, 2021–2025, with
/// the 2025 mergers (`scenarios/de-an-10-da-tu.json`).
pub const DEMO: &str = include_str!("../scenarios/de-an-10-da-tu.json");

/// Reads a scenario, naming the line, column and field of any error.
///
/// # Errors
/// [`ScenarioError::Malformed`].
pub fn parse(json: &str) -> Result<Scenario, ScenarioError> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        ScenarioError::Malformed {
            line: inner.line(),
            column: inner.column(),
            field,
            message: inner.to_string(),
        }
    })
}

/// How far an import has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Steps handled so far.
    pub done: usize,
    /// Steps in the scenario.
    pub total: usize,
    /// Steps skipped because an earlier import applied them.
    pub skipped: usize,
}

/// A progress callback for [`import`] that writes a line to `out` at every tenth of the way
/// and at the end: `imported 250/504 steps (0 already there)`.
pub fn print_progress(mut out: impl std::io::Write) -> impl FnMut(Progress) {
    let mut last_tenth = 0;
    move |p: Progress| {
        let tenth = (p.done * 10).checked_div(p.total).unwrap_or(10);
        if tenth > last_tenth || p.done == p.total {
            last_tenth = tenth;
            // Progress output is best effort: a closed terminal must not stop an import.
            let _ = writeln!(
                out,
                "imported {}/{} steps ({} already there)",
                p.done, p.total, p.skipped
            );
        }
    }
}

/// Applies a scenario's steps in order through `ledger`, skipping the ones already applied,
/// and calls `progress` after each step.
///
/// # Errors
/// [`ScenarioError::Step`] for the first step refused or failed (the ones before it stay
/// applied; a later run resumes there).
pub async fn import<S: EventStore>(
    ledger: &Ledger<S>,
    scenario: &Scenario,
    mut progress: impl FnMut(Progress),
) -> Result<Progress, ScenarioError> {
    let mut state = Progress {
        done: 0,
        total: scenario.steps.len(),
        skipped: 0,
    };
    for (index, step) in scenario.steps.iter().enumerate() {
        let key = format!("import:{}:{index}", scenario.name);
        let fail = |error: AppError| ScenarioError::Step {
            index,
            label: step.label(),
            error,
        };
        let applied = ledger
            .store()
            .idempotent_result(&key)
            .await
            .map_err(|e| fail(AppError::Store(e.to_string())))?;
        if applied.is_some() {
            state.skipped += 1;
        } else {
            let mut metadata = Metadata::new(scenario.actor.clone());
            metadata.idempotency_key = Some(key);
            metadata.reason = Some(format!("scenario {}", scenario.name));
            // The step takes effect at the start of its day; a date the log cannot hold
            // (outside years 1..=9999) is refused rather than silently recorded as today.
            let midnight = step_date(step).and_time(chrono::NaiveTime::MIN).and_utc();
            let effective_at = ledger_store::Timestamp::from_datetime(midnight)
                .map_err(|e| fail(AppError::Invalid(e.to_string())))?;
            let context = CommandContext {
                metadata,
                effective_at: Some(effective_at),
            };
            run_step(ledger, &context, step.clone())
                .await
                .map_err(fail)?;
        }
        state.done += 1;
        progress(state);
    }
    Ok(state)
}

impl Step {
    /// The day the step takes effect in the world.
    #[must_use]
    pub fn date(&self) -> NaiveDate {
        step_date(self)
    }
}

/// The day a step took effect in the world.
fn step_date(step: &Step) -> NaiveDate {
    match step {
        Step::RegisterUnit { established_on, .. } => *established_on,
        Step::RenameUnit { on, .. }
        | Step::ReparentUnit { on, .. }
        | Step::AmendProgramme { on, .. }
        | Step::ReviewProgramme { on, .. }
        | Step::CloseProgramme { on, .. }
        | Step::AmendPlan { on, .. }
        | Step::SupersedePlan { on, .. }
        | Step::AmendFocusProgramme { on, .. }
        | Step::IssueReminder { on, .. }
        | Step::CancelTask { on, .. }
        | Step::MergeUnit { on, .. }
        | Step::DissolveUnit { on, .. }
        | Step::DeclareSuccessor { on, .. }
        | Step::RecordUnitPlan { on, .. }
        | Step::ReportProgress { on, .. }
        | Step::CompleteTask { on, .. }
        | Step::AcceptReport { on, .. }
        | Step::ReturnReport { on, .. }
        | Step::ExtendDeadline { on, .. }
        | Step::TransferTask { on, .. }
        | Step::EscalateObstacle { on, .. }
        | Step::ResolveObstacle { on, .. }
        | Step::Recommend { on, .. }
        | Step::AnswerRecommendation { on, .. }
        | Step::CloseSupervision { on, .. }
        | Step::IssueConclusion { on, .. } => *on,
        Step::CorrectReport { submitted_on, .. } => *submitted_on,
        Step::RaiseObstacle { raised_on, .. } => *raised_on,
        Step::AdoptFocusProgramme { adopted_on, .. } => *adopted_on,
        Step::OpenSupervision { opened_on, .. } => *opened_on,
        Step::HoldBriefing { held_on, .. } => *held_on,
        Step::RegisterDocument { issued_on, .. } => *issued_on,
        Step::AdoptProgramme { adopted_on, .. } => *adopted_on,
        Step::IssuePlan { issued_on, .. } => *issued_on,
        Step::AssignTask { assigned_on, .. } => *assigned_on,
        Step::SubmitReport { submitted_on, .. } => *submitted_on,
    }
}

/// Runs one step's command through the command path with `context` (who, why, when it takes
/// effect): what the importer does for each step, and the API for each mutation.
///
/// # Errors
/// The command's refusal, or a store failure.
pub async fn run_step<S: EventStore>(
    ledger: &Ledger<S>,
    context: &CommandContext,
    step: Step,
) -> Result<(), AppError> {
    match step {
        Step::RegisterUnit {
            id,
            kind,
            name,
            parent,
            established_on,
            basis,
        } => {
            let command = UnitCommand::Register {
                id: id.clone(),
                kind,
                name,
                parent,
                established_on,
                basis,
            };
            ledger.execute_unit(context, &id, command).await
        }
        Step::RenameUnit {
            id,
            name,
            on,
            basis,
        } => {
            let command = UnitCommand::Rename { name, on, basis };
            ledger.execute_unit(context, &id, command).await
        }
        Step::MergeUnit {
            id,
            into,
            on,
            basis,
        } => {
            let command = UnitCommand::MergeInto { into, on, basis };
            ledger.execute_unit(context, &id, command).await
        }
        Step::DissolveUnit { id, on, basis } => {
            let command = UnitCommand::Dissolve { on, basis };
            ledger.execute_unit(context, &id, command).await
        }
        Step::DeclareSuccessor {
            id,
            successor,
            on,
            basis,
        } => {
            let command = UnitCommand::DeclareSuccessor {
                successor,
                on,
                basis,
            };
            ledger.execute_unit(context, &id, command).await
        }
        Step::AdoptProgramme {
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
            ledger.active_unit(&issuer, adopted_on).await?;
            let key = id.as_str().to_owned();
            let command = ProgrammeCommand::Adopt {
                id,
                document,
                issuer,
                title,
                objectives,
                from_year,
                to_year,
                groups,
                adopted_on,
            };
            ledger.execute::<Programme>(context, &key, command).await
        }
        Step::IssuePlan {
            id,
            document,
            issuer,
            title,
            implements,
            required_unit_plans,
            issued_on,
        } => {
            let issuer = ledger.active_unit(&issuer, issued_on).await?;
            for required in &required_unit_plans {
                ledger.active_unit(&required.unit, issued_on).await?;
            }
            let key = id.as_str().to_owned();
            let command = PlanCommand::Issue {
                id,
                document,
                issuer,
                title,
                implements,
                required_unit_plans,
                issued_on,
            };
            ledger.execute::<Plan>(context, &key, command).await
        }
        Step::RecordUnitPlan {
            plan,
            unit,
            unit_plan,
            on,
        } => {
            let command = PlanCommand::RecordUnitPlan {
                unit,
                plan: unit_plan,
                on,
            };
            ledger
                .execute::<Plan>(context, plan.as_str(), command)
                .await
        }
        Step::AssignTask {
            id,
            plan,
            group,
            title,
            lead,
            coordinating,
            deadline,
            deliverable,
            assigned_on,
            basis,
        } => {
            let request = AssignTask {
                id,
                plan,
                group,
                title,
                lead,
                coordinating,
                deadline,
                deliverable,
                assigned_on,
                basis,
            };
            ledger.assign_task(context, request).await
        }
        Step::ReportProgress {
            task,
            by,
            percent,
            note,
            on,
        } => {
            let command = TaskCommand::ReportProgress {
                by,
                percent,
                note,
                on,
            };
            ledger.execute_task(context, &task, command).await
        }
        Step::CompleteTask {
            task,
            by,
            deliverable,
            on,
        } => {
            let command = TaskCommand::Complete {
                by,
                deliverable,
                on,
            };
            ledger.execute_task(context, &task, command).await
        }
        Step::SubmitReport {
            id,
            unit,
            plan,
            period,
            submitted_on,
            content,
        } => {
            let unit = ledger.active_unit(&unit, submitted_on).await?;
            let key = id.as_str().to_owned();
            let command = ReportCommand::Submit {
                id,
                unit,
                plan,
                period,
                regime: ReportingRegime::decree_09_2019(),
                submitted_on,
                content,
            };
            ledger.execute::<Report>(context, &key, command).await
        }
        Step::AcceptReport { id, by, on } => {
            let command = ReportCommand::Accept { by, on };
            ledger
                .execute::<Report>(context, id.as_str(), command)
                .await
        }
        Step::ReturnReport { id, by, on, reason } => {
            let command = ReportCommand::Return { by, on, reason };
            ledger
                .execute::<Report>(context, id.as_str(), command)
                .await
        }
        Step::CorrectReport {
            id,
            corrects,
            reason,
            submitted_on,
            content,
        } => {
            let command = ReportCommand::Correct {
                corrects,
                reason,
                submitted_on,
                content,
            };
            ledger
                .execute::<Report>(context, id.as_str(), command)
                .await
        }
        Step::ExtendDeadline {
            task,
            deadline,
            on,
            reason,
            basis,
        } => {
            let command = TaskCommand::ExtendDeadline {
                deadline,
                on,
                reason,
                basis,
            };
            ledger.execute_task(context, &task, command).await
        }
        Step::TransferTask {
            task,
            to,
            on,
            reason,
            basis,
        } => {
            ledger
                .transfer_task(context, &task, &to, on, reason, basis)
                .await
        }
        Step::RaiseObstacle {
            id,
            task,
            by,
            description,
            raised_on,
        } => {
            let by = ledger.active_unit(&by, raised_on).await?;
            let key = id.as_str().to_owned();
            let command = ObstacleCommand::Raise {
                id,
                task,
                by,
                description,
                raised_on,
            };
            ledger.execute::<Obstacle>(context, &key, command).await
        }
        Step::EscalateObstacle { id, to, on, note } => {
            ledger.active_unit(&to, on).await?;
            let command = ObstacleCommand::Escalate { to, on, note };
            ledger
                .execute::<Obstacle>(context, id.as_str(), command)
                .await
        }
        Step::ResolveObstacle {
            id,
            on,
            resolution,
            basis,
        } => {
            let command = ObstacleCommand::Resolve {
                on,
                resolution,
                basis,
            };
            ledger
                .execute::<Obstacle>(context, id.as_str(), command)
                .await
        }
        Step::AdoptFocusProgramme {
            id,
            programme,
            year,
            by,
            document,
            priorities,
            adopted_on,
        } => {
            let by = ledger.active_unit(&by, adopted_on).await?;
            let key = id.as_str().to_owned();
            let command = FocusCommand::Adopt {
                id,
                programme,
                year,
                by,
                document,
                priorities,
                adopted_on,
            };
            ledger
                .execute::<FocusProgramme>(context, &key, command)
                .await
        }
        Step::OpenSupervision {
            id,
            body,
            subject,
            supervised,
            opened_on,
            basis,
        } => {
            let body = ledger.active_unit(&body, opened_on).await?;
            for unit in &supervised {
                ledger.active_unit(unit, opened_on).await?;
            }
            let key = id.as_str().to_owned();
            let command = SupervisionCommand::Open {
                id,
                body,
                subject,
                supervised,
                opened_on,
                basis,
            };
            ledger.execute::<Supervision>(context, &key, command).await
        }
        Step::Recommend {
            supervision,
            to,
            text,
            respond_by,
            on,
        } => {
            let command = SupervisionCommand::Recommend {
                to,
                text,
                respond_by,
                on,
            };
            ledger
                .execute::<Supervision>(context, supervision.as_str(), command)
                .await
        }
        Step::AnswerRecommendation {
            supervision,
            number,
            by,
            answer,
            on,
            basis,
        } => {
            let command = SupervisionCommand::Answer {
                number,
                by,
                answer,
                on,
                basis,
            };
            ledger
                .execute::<Supervision>(context, supervision.as_str(), command)
                .await
        }
        Step::CloseSupervision {
            id,
            on,
            conclusion,
            basis,
        } => {
            let command = SupervisionCommand::Close {
                on,
                conclusion,
                basis,
            };
            ledger
                .execute::<Supervision>(context, id.as_str(), command)
                .await
        }
        Step::ReparentUnit {
            id,
            parent,
            on,
            basis,
        } => {
            let command = UnitCommand::Reparent { parent, on, basis };
            ledger.execute_unit(context, &id, command).await
        }
        Step::RegisterDocument {
            identity,
            title,
            signed_by,
            issued_on,
        } => {
            let key = identity.key();
            let command = DocumentCommand::Register {
                identity,
                title,
                signed_by,
                issued_on,
            };
            ledger.execute::<Document>(context, &key, command).await
        }
        Step::AmendProgramme {
            id,
            title,
            objectives,
            groups,
            on,
            basis,
        } => {
            let command = ProgrammeCommand::Amend {
                title,
                objectives,
                groups,
                on,
                basis,
            };
            ledger
                .execute::<Programme>(context, id.as_str(), command)
                .await
        }
        Step::ReviewProgramme {
            id,
            kind,
            on,
            basis,
            summary,
        } => {
            let command = ProgrammeCommand::Review {
                kind,
                on,
                basis,
                summary,
            };
            ledger
                .execute::<Programme>(context, id.as_str(), command)
                .await
        }
        Step::CloseProgramme { id, on, basis } => {
            let command = ProgrammeCommand::Close { on, basis };
            ledger
                .execute::<Programme>(context, id.as_str(), command)
                .await
        }
        Step::AmendPlan {
            id,
            title,
            required_unit_plans,
            on,
            basis,
        } => {
            let command = PlanCommand::Amend {
                title,
                required_unit_plans,
                on,
                basis,
            };
            ledger.execute::<Plan>(context, id.as_str(), command).await
        }
        Step::SupersedePlan { id, by, on, basis } => {
            let command = PlanCommand::Supersede { by, on, basis };
            ledger.execute::<Plan>(context, id.as_str(), command).await
        }
        Step::AmendFocusProgramme {
            id,
            priorities,
            on,
            basis,
        } => {
            let command = FocusCommand::Amend {
                priorities,
                on,
                basis,
            };
            ledger
                .execute::<FocusProgramme>(context, id.as_str(), command)
                .await
        }
        Step::IssueReminder {
            task,
            on,
            note,
            basis,
        } => {
            let command = TaskCommand::IssueReminder { on, note, basis };
            ledger.execute_task(context, &task, command).await
        }
        Step::CancelTask {
            task,
            on,
            reason,
            basis,
        } => {
            let command = TaskCommand::Cancel { on, reason, basis };
            ledger.execute_task(context, &task, command).await
        }
        Step::HoldBriefing {
            id,
            title,
            chaired_by,
            period,
            participants,
            held_on,
        } => {
            let chaired_by = ledger.active_unit(&chaired_by, held_on).await?;
            let key = id.as_str().to_owned();
            let command = BriefingCommand::Hold {
                id,
                title,
                chaired_by,
                period,
                participants,
                held_on,
            };
            ledger.execute::<Briefing>(context, &key, command).await
        }
        Step::IssueConclusion {
            briefing,
            document,
            on,
            conclusions,
            follow_up,
        } => {
            let command = BriefingCommand::IssueConclusion {
                document,
                on,
                conclusions,
                follow_up,
            };
            ledger
                .execute::<Briefing>(context, briefing.as_str(), command)
                .await
        }
    }
}
