//! Scenario files: a story of a programme told as a list of steps, applied through the same
//! command path users take ([`CommandPath`]) — never raw inserts.
//!
//! A scenario is JSON: a `name`, a `description` (which says what is sourced and what is
//! illustrative), the `actor` the import acts as, the `source_document` that attests the
//! records (the archive's register: an archivist's records need one), and `steps` in the order
//! they happened. Each step is one command, written as the command's name and its fields,
//! e.g. `{"register_unit": {"id": "so-tu-phap", …}}` ([`AnyCommand`]); a step may add a
//! `reason` and a `source_document` of its own. Units are named by id; the command path loads
//! the facts each command needs.
//!
//! Importing is idempotent: step *n* carries the idempotency key `import:{name}:{n}`, bound to
//! the step's content, so importing the same file again writes nothing, an interrupted import
//! resumes, and a file whose step *n* changed since is refused at that step. Every event of an
//! import shares one correlation id, derived from the scenario's name. Errors name the line,
//! column and field of a malformed file, or the step a rule refused.

use ledger_domain::access::Role;
use ledger_domain::command::AnyCommand;
use ledger_domain::plan::{Implements, IssuePlan, RequiredPlan};
use ledger_domain::task::AssignTask;
use ledger_domain::value::{
    Date, DocumentNumber, GroupNumber, LongText, PlanId, ProgrammeId, TaskId, Title, UnitId,
};
use ledger_store::EventStore;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::AppError;
use crate::path::{CommandPath, Principal, Request};

/// Who an import acts as.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioActor {
    /// A stable subject id.
    pub subject: String,
    /// The name shown in histories.
    pub display_name: String,
    /// The role (`archivist` for records from the archive).
    pub role: Role,
    /// The unit acted for, if any.
    #[serde(default)]
    pub unit: Option<UnitId>,
}

impl ScenarioActor {
    /// As the command path's principal.
    #[must_use]
    pub fn principal(&self) -> Principal {
        Principal {
            subject: self.subject.clone(),
            name: self.display_name.clone(),
            role: self.role,
            unit: self.unit.clone(),
        }
    }
}

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; part of every step's idempotency key, so keep it stable.
    pub name: String,
    /// What the scenario tells, and which facts are sourced or illustrative.
    pub description: String,
    /// Who the import acts as.
    pub actor: ScenarioActor,
    /// The document attesting every step that names none of its own (the archive's
    /// register).
    #[serde(default)]
    pub source_document: Option<DocumentNumber>,
    /// The steps, in the order they happened.
    pub steps: Vec<Step>,
}

/// One step of a scenario: one command, with an optional reason and source document, written
/// `{"assign_task": {…}, "reason": "…", "source_document": "…"}`.
#[derive(Debug, Clone)]
pub struct Step {
    /// The command.
    pub command: AnyCommand,
    /// Why, when the command does not say it itself.
    pub reason: Option<LongText>,
    /// The document the step rests on, when the command names none itself (else the
    /// scenario's).
    pub source_document: Option<DocumentNumber>,
}

macro_rules! step_commands {
    ($($name:ident => $variant:ident: $ty:ty),* $(,)?) => {
        /// The keys a step may hold: the commands' names, then its reason and document.
        const STEP_KEYS: &[&str] = &[$(stringify!($name),)* "reason", "source_document"];

        /// Reads the command named `name` from the map's next value; `None` when no command
        /// has that name.
        fn command_value<'de, A: serde::de::MapAccess<'de>>(
            name: &str,
            map: &mut A,
        ) -> Result<Option<AnyCommand>, A::Error> {
            Ok(Some(match name {
                $(stringify!($name) => AnyCommand::$variant(map.next_value::<$ty>()?),)*
                _ => return Ok(None),
            }))
        }
    };
}

ledger_domain::for_each_command!(step_commands);

// Read key by key rather than with `#[serde(flatten)]`, which buffers the step and loses the
// line and the path (`steps[9].rename_unit.on`) of a bad value.
impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Step;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a step: one command, e.g. {\"assign_task\": {…}}, with an optional reason and source_document")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
                use serde::de::Error;
                let (mut command, mut reason, mut source_document) = (None, None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "reason" => reason = map.next_value()?,
                        "source_document" => source_document = map.next_value()?,
                        name => match command_value(name, &mut map)? {
                            Some(_) if command.is_some() => {
                                return Err(A::Error::custom(format!(
                                    "{name}: a step holds one command"
                                )));
                            }
                            Some(c) => command = Some(c),
                            None => return Err(A::Error::unknown_field(name, STEP_KEYS)),
                        },
                    }
                }
                let command = command.ok_or_else(|| {
                    A::Error::custom("a step needs a command, e.g. {\"assign_task\": {…}}")
                })?;
                Ok(Step {
                    command,
                    reason,
                    source_document,
                })
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

impl From<AnyCommand> for Step {
    fn from(command: AnyCommand) -> Self {
        Self {
            command,
            reason: None,
            source_document: None,
        }
    }
}

impl Step {
    /// The step's kind and subject, for messages (`register_unit so-tu-phap`).
    #[must_use]
    pub fn label(&self) -> String {
        self.command.label()
    }

    /// The day the step takes effect in the world.
    #[must_use]
    pub fn date(&self) -> Date {
        self.command.effective_on()
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
        /// The field, e.g. `steps[3]`.
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
    issued_on: Date,
    required_units: Option<String>,
    required_by: Option<Date>,
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
    deadline: Date,
    deliverable: Option<Title>,
    assigned_on: Date,
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
    actor: ScenarioActor,
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
                steps.push(Step::from(AnyCommand::IssuePlan(IssuePlan {
                    id: row.id,
                    document: row.document,
                    issuer: row.issuer,
                    title: row.title,
                    implements,
                    required_unit_plans,
                    issued_on: row.issued_on,
                })));
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
                steps.push(Step::from(AnyCommand::AssignTask(AssignTask {
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
                })));
            }
        }
    }
    Ok(Scenario {
        name: name.to_owned(),
        description: format!("CSV import {name}"),
        actor,
        source_document: None,
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
    /// Steps an earlier import had applied already.
    pub skipped: usize,
}

/// A progress callback for [`import`] that writes a line to `out` at every tenth of the way
/// and at the end: `imported 250/506 steps (0 already there)`.
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

/// The correlation id every event of an import of `name` shares.
#[must_use]
pub fn correlation(name: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("ledger:import:{name}").as_bytes(),
    )
}

/// Applies a scenario's steps in order through `path`, as the scenario's actor, and calls
/// `progress` after each step. Steps an earlier import applied are answered from the log.
///
/// # Errors
/// [`ScenarioError::Step`] for the first step refused or failed (the ones before it stay
/// applied; a later run resumes there).
pub async fn import<S: EventStore>(
    path: &CommandPath<S>,
    scenario: &Scenario,
    mut progress: impl FnMut(Progress),
) -> Result<Progress, ScenarioError> {
    let principal = scenario.actor.principal();
    let mut state = Progress {
        done: 0,
        total: scenario.steps.len(),
        skipped: 0,
    };
    for (index, step) in scenario.steps.iter().enumerate() {
        let request = Request {
            reason: step.reason.clone(),
            source_document: step
                .source_document
                .clone()
                .or_else(|| scenario.source_document.clone()),
            idempotency_key: Some(format!("import:{}:{index}", scenario.name)),
            correlation_id: Some(correlation(&scenario.name)),
        };
        let outcome = path
            .execute_any(&principal, &request, step.command.clone())
            .await
            .map_err(|error| ScenarioError::Step {
                index,
                label: step.label(),
                error,
            })?;
        state.skipped += usize::from(outcome.result.replayed);
        state.done += 1;
        progress(state);
    }
    Ok(state)
}
