//! Questions to the read models, at the present or as of a past state of the log.
//!
//! Open a [`Snapshot`] with [`ReadModels::snapshot`]: it pins one position of the log (the
//! present checkpoint, a past position, or the last position recorded by a past time) and one
//! database snapshot, so every answer taken from it is consistent and says which position it
//! reflects. Questions whose answer depends on the world's date take an effective date `on`:
//! "as recorded on 1 January 2023, what was overdue on 31 December 2022?" is
//! `snapshot(AsOf::RecordedAt("2023-01-01T00:00:00Z"))` then `overdue_tasks(2022-12-31)`.
//!
//! **Progress roll-ups** weight every task that is assigned and not cancelled on the day
//! equally: a group's, plan's or unit's progress is the mean of its tasks' percentages on that
//! day (a completed task counts 100, an open one its last reported percentage, 0 before any
//! report). Roll-ups by unit credit each task to the **terminal successor** of its lead unit on
//! that day (the lead as it was that day, before or after any transfer), so work of a district dissolved in the 2025 merger rolls up into the unit that took it
//! over.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use ledger_domain::value::{PeriodKind, ReportingPeriod, ReportingRegime};
use ledger_store::Timestamp;
use serde::Serialize;

use crate::db::{Db, Tx, table_name};
use crate::error::{Error, Result};
use crate::memo::Memo;
use crate::tables::{
    AuditFact, BriefingRow, CitationFact, DocumentRow, FocusRow, GroupRow, Kind, ObstacleRow,
    PlanRow, PlanUnitRow, ProgrammeRow, RecommendationRow, ReportRow, SupervisionRow, TABLES,
    TaskRow, UnitRow, t,
};
use crate::value::{Row, Value};

/// Which state of the log to answer from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The latest projected position.
    Present,
    /// A global position.
    Position(u64),
    /// The last position recorded at or before a time.
    RecordedAt(Timestamp),
}

/// Read access to the read models.
#[derive(Debug, Clone)]
pub struct ReadModels {
    db: Db,
    memo: Arc<Memo>,
}

impl ReadModels {
    /// Queries over `db`, memoising the expensive answers within the default budget
    /// ([`crate::memo`]).
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self::with_memo(db, Memo::default())
    }

    /// Queries over `db`, memoising answers in `memo`.
    #[must_use]
    pub fn with_memo(db: Db, memo: Memo) -> Self {
        Self {
            db,
            memo: Arc::new(memo),
        }
    }

    /// Opens a consistent snapshot as of `as_of`.
    ///
    /// # Errors
    /// [`Error::NotYetProjected`] for a position beyond the checkpoint; database failures.
    pub async fn snapshot(&self, as_of: AsOf) -> Result<Snapshot> {
        self.snapshot_pinned(as_of, u64::MAX).await
    }

    /// Opens a consistent snapshot as of `as_of`, taking `pin` for the head when the
    /// checkpoint has moved beyond it: the snapshots of one request that pinned the
    /// checkpoint it started at all reflect that position, whatever the projector does
    /// meanwhile. (A snapshot as of the checkpoint itself reads the present rows, which are
    /// the same rows.)
    ///
    /// # Errors
    /// [`Error::NotYetProjected`] for a position beyond the checkpoint or `pin`; database
    /// failures.
    pub async fn snapshot_pinned(&self, as_of: AsOf, pin: u64) -> Result<Snapshot> {
        let mut tx = self.db.begin_read().await?;
        let live = tx.live().await?;
        let head = pin.min(live.position);
        let at = match as_of {
            AsOf::Present => head,
            AsOf::Position(p) if p > head => {
                return Err(Error::NotYetProjected {
                    asked: p,
                    checkpoint: head,
                });
            }
            AsOf::Position(p) => p,
            AsOf::RecordedAt(time) => position_at(&mut tx, live.generation, head, time).await?,
        };
        let at = (at < live.position).then_some(at);
        Ok(Snapshot {
            tx,
            memo: self.memo.clone(),
            generation: live.generation,
            checkpoint: live.position,
            at,
        })
    }
}

/// The last position recorded at or before `time`, among positions 1..=`checkpoint` (0 if
/// none): a binary search over the audit index by position, which works because recorded
/// times never decrease along positions (about 20 index lookups for a million events, and no
/// index on the recorded time to maintain).
async fn position_at(
    tx: &mut Tx,
    generation: u64,
    checkpoint: u64,
    time: Timestamp,
) -> Result<u64> {
    let sql = format!(
        "SELECT recorded_at FROM {} WHERE valid_from = ?",
        table_name(generation, &TABLES[t::AUDIT])
    );
    let wanted = time.to_string();
    let (mut lo, mut hi) = (0u64, checkpoint);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let rows = tx
            .fetch(&sql, &[Value::Int(ledger_store::store::sql_position(mid))])
            .await?;
        let recorded = match rows.first().and_then(|r| r.first()) {
            Some(Value::Text(t)) => t.clone(),
            _ => return Err(Error::Corrupt(format!("audit: no row for position {mid}"))),
        };
        if recorded <= wanted {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

/// One consistent view of the read models.
pub struct Snapshot {
    tx: Tx,
    memo: Arc<Memo>,
    generation: u64,
    checkpoint: u64,
    at: Option<u64>,
}

fn day(d: NaiveDate) -> Value {
    Value::Text(d.format("%Y-%m-%d").to_string())
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A task as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct TaskOn {
    /// The task as recorded (its latest state at the snapshot).
    pub task: TaskRow,
    /// The deadline in force that day.
    pub deadline: String,
    /// The lead unit that day (before or after a transfer).
    pub lead: String,
    /// Its percentage that day.
    pub percent: i64,
    /// `open`, `completed` or `cancelled` that day.
    pub status: String,
    /// Open with its deadline passed.
    pub overdue: bool,
}

/// Which way to roll progress up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupBy {
    /// By solution group (`{programme}#{number}`; tasks without a group under `{programme}#-`).
    Group,
    /// By plan.
    Plan,
    /// By lead unit, following successor chains.
    Unit,
}

/// Progress of one group, plan or unit on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Rollup {
    /// The group, plan or unit.
    pub key: String,
    /// Tasks counted (assigned, not cancelled).
    pub tasks: u64,
    /// Completed among them.
    pub completed: u64,
    /// Overdue among them.
    pub overdue: u64,
    /// Cancelled (not counted in progress).
    pub cancelled: u64,
    /// Mean percentage of the tasks counted.
    pub progress: f64,
}

/// A cell of the compliance matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Cell {
    /// The period.
    pub period: String,
    /// `accepted`, `returned`, `submitted` (awaiting review), `missing` (deadline passed, no
    /// report), `not_due` (deadline not yet passed, no report) or `ended` (the unit had ended
    /// by the deadline: merged or dissolved units are not asked for reports they could not send).
    pub status: String,
    /// Whether the first submission came after the deadline (or none came before it passed).
    pub late: bool,
    /// The report, if any.
    pub report_id: Option<String>,
    /// The regime's deadline for the period.
    pub deadline: String,
}

/// One unit's line of the compliance matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct MatrixRow {
    /// The unit.
    pub unit_id: String,
    /// One cell per period.
    pub cells: Vec<Cell>,
}

/// Units × periods: who reported what, on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ComplianceMatrix {
    /// The periods, oldest first.
    pub periods: Vec<String>,
    /// One row per expected unit, by id.
    pub rows: Vec<MatrixRow>,
}

/// An obstacle as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ObstacleOn {
    /// The obstacle as recorded.
    pub obstacle: ObstacleRow,
    /// Open that day.
    pub open: bool,
    /// Days open (to the day, or to its resolution).
    pub age_days: i64,
}

/// A recommendation as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct RecommendationOn {
    /// The recommendation as recorded.
    pub recommendation: RecommendationRow,
    /// Answered by that day.
    pub answered: bool,
    /// Unanswered with its deadline passed.
    pub overdue: bool,
}

/// Which reports ([`Snapshot::reports_page`]); empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Of this unit.
    pub unit: Option<String>,
    /// Under this plan.
    pub plan: Option<String>,
    /// For this period.
    pub period: Option<String>,
    /// With this review of the current revision.
    pub review: Option<String>,
    /// First submitted late, or on time.
    pub late: Option<bool>,
}

impl ReportFilter {
    fn conditions(&self) -> (String, Vec<Value>) {
        let mut conds = vec!["1 = 1"];
        let mut binds = Vec::new();
        for (cond, value) in [
            ("x.unit_id = ?", &self.unit),
            ("x.plan_id = ?", &self.plan),
            ("x.period = ?", &self.period),
            ("x.review = ?", &self.review),
        ] {
            if let Some(value) = value {
                conds.push(cond);
                binds.push(Value::Text(value.clone()));
            }
        }
        if let Some(late) = self.late {
            conds.push("x.late = ?");
            binds.push(Value::Int(i64::from(late)));
        }
        (conds.join(" AND "), binds)
    }
}

/// Filters of the audit index; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this stream.
    pub stream_id: Option<String>,
    /// Only this stream type.
    pub stream_type: Option<String>,
    /// Only these event types.
    pub event_types: Vec<String>,
    /// Only this actor (subject).
    pub actor: Option<String>,
    /// Only this acting unit.
    pub acting_unit: Option<String>,
    /// Only this correlation id.
    pub correlation_id: Option<String>,
    /// Recorded at or after.
    pub recorded_from: Option<Timestamp>,
    /// Recorded before.
    pub recorded_to: Option<Timestamp>,
    /// Effective at or after.
    pub effective_from: Option<Timestamp>,
    /// Effective before.
    pub effective_to: Option<Timestamp>,
    /// Only positions after this one (paging).
    pub after: u64,
    /// At most this many (1–1000).
    pub limit: usize,
}

/// One entry of the audit index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AuditEntry {
    /// The event's position.
    pub position: u64,
    /// Its envelope.
    #[serde(flatten)]
    #[cfg_attr(feature = "graphql", graphql(flatten))]
    pub entry: AuditFact,
}

/// The successor map: each unit's successors, dated (read once with
/// [`Snapshot::successor_map`], then asked about any unit and day).
#[derive(Debug, Clone, Default)]
pub struct Successors(HashMap<String, Vec<(String, String)>>);

impl Successors {
    /// Units whose successor (by merger or declaration) is `id`, by id.
    #[must_use]
    pub fn predecessors(&self, id: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .0
            .iter()
            .filter(|(_, list)| list.iter().any(|(s, _)| s == id))
            .map(|(u, _)| u.clone())
            .collect();
        out.sort();
        out
    }

    /// The chain from `id` to its terminal successor on `on` (the unit itself first): follows
    /// the latest successor dated on or before it until a unit has none (cycles stop the walk).
    #[must_use]
    pub fn terminal(&self, id: &str, on: NaiveDate) -> Vec<String> {
        let on = on.format("%Y-%m-%d").to_string();
        let mut chain = vec![id.to_owned()];
        let mut seen: HashSet<String> = chain.iter().cloned().collect();
        let mut current = id.to_owned();
        while let Some(next) = self
            .0
            .get(&current)
            .and_then(|list| list.iter().rev().find(|(_, d)| *d <= on))
            .map(|(s, _)| s.clone())
        {
            if !seen.insert(next.clone()) {
                break;
            }
            chain.push(next.clone());
            current = next;
        }
        chain
    }
}

impl Snapshot {
    /// The log position this snapshot reflects.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.at.unwrap_or(self.checkpoint)
    }

    /// The read models' checkpoint when the snapshot was taken.
    #[must_use]
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint
    }

    /// Ends the snapshot.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn close(self) -> Result<()> {
        self.tx.rollback().await
    }

    fn name(&self, index: usize) -> String {
        table_name(self.generation, &TABLES[index])
    }

    /// The validity condition of table alias `a` of table `index` at this snapshot.
    fn valid(&self, index: usize, a: &str) -> String {
        match (TABLES[index].kind, self.at) {
            (Kind::Versioned, None) => format!("{a}.valid_to IS NULL"),
            (Kind::Versioned, Some(p)) => {
                format!("{a}.valid_from <= {p} AND ({a}.valid_to IS NULL OR {a}.valid_to > {p})")
            }
            (Kind::Fact, None) => "1 = 1".to_owned(),
            (Kind::Fact, Some(p)) => format!("{a}.valid_from <= {p}"),
        }
    }

    fn columns(index: usize, a: &str) -> String {
        TABLES[index]
            .columns
            .iter()
            .map(|c| format!("{a}.{}", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Rows of table `index` valid at this snapshot and matching `filter` (SQL over alias `x`).
    async fn rows<R: Row>(
        &mut self,
        index: usize,
        filter: &str,
        binds: &[Value],
        order: &str,
    ) -> Result<Vec<R>> {
        let sql = format!(
            "SELECT {} FROM {} x WHERE {} AND ({filter}) ORDER BY {order}",
            Self::columns(index, "x"),
            self.name(index),
            self.valid(index, "x"),
        );
        self.tx
            .fetch(&sql, binds)
            .await?
            .into_iter()
            .map(R::from_values)
            .collect()
    }

    async fn one<R: Row>(&mut self, index: usize, id: &str) -> Result<Option<R>> {
        let key = TABLES[index].columns[0].name;
        Ok(self
            .rows(
                index,
                &format!("x.{key} = ?"),
                &[Value::Text(id.to_owned())],
                "1",
            )
            .await?
            .into_iter()
            .next())
    }

    // ---- units ----

    /// Every unit, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn units(&mut self) -> Result<Vec<UnitRow>> {
        self.rows(t::UNITS, "1 = 1", &[], "x.id").await
    }

    /// One unit.
    ///
    /// # Errors
    /// Database failures.
    pub async fn unit(&mut self, id: &str) -> Result<Option<UnitRow>> {
        self.one(t::UNITS, id).await
    }

    /// A unit's name on a day (`None` before it was known).
    ///
    /// # Errors
    /// Database failures.
    pub async fn unit_name_on(&mut self, id: &str, on: NaiveDate) -> Result<Option<String>> {
        self.unit_fact_on(t::UNIT_NAMES, "name", id, on).await
    }

    /// A unit's parent on a day.
    ///
    /// # Errors
    /// Database failures.
    pub async fn unit_parent_on(&mut self, id: &str, on: NaiveDate) -> Result<Option<String>> {
        self.unit_fact_on(t::UNIT_PARENTS, "parent", id, on).await
    }

    /// The `column` of the latest fact of table `index` about unit `id` dated on or before
    /// `on` (latest recorded first among facts of one day).
    async fn unit_fact_on(
        &mut self,
        index: usize,
        column: &str,
        id: &str,
        on: NaiveDate,
    ) -> Result<Option<String>> {
        let sql = format!(
            "SELECT x.{column} FROM {} x WHERE {} AND x.unit_id = ? AND x.from_date <= ? \
             ORDER BY x.from_date DESC, x.valid_from DESC LIMIT 1",
            self.name(index),
            self.valid(index, "x"),
        );
        let rows = self
            .tx
            .fetch(&sql, &[Value::Text(id.to_owned()), day(on)])
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| match r.into_iter().next() {
                Some(Value::Text(s)) => Some(s),
                _ => None,
            }))
    }

    /// Every unit's successors, dated, as of this snapshot.
    ///
    /// # Errors
    /// Database failures.
    pub async fn successor_map(&mut self) -> Result<Successors> {
        let sql = format!(
            "SELECT x.unit_id, x.successor, x.on_date FROM {} x WHERE {} \
             ORDER BY x.unit_id, x.on_date, x.valid_from",
            self.name(t::UNIT_SUCCESSORS),
            self.valid(t::UNIT_SUCCESSORS, "x"),
        );
        let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for row in self.tx.fetch(&sql, &[]).await? {
            if let [Value::Text(u), Value::Text(s), Value::Text(d)] = row.as_slice() {
                map.entry(u.clone())
                    .or_default()
                    .push((s.clone(), d.clone()));
            }
        }
        Ok(Successors(map))
    }

    /// The chain from a unit to its terminal successor on a day (the unit itself first).
    ///
    /// # Errors
    /// Database failures.
    pub async fn successor_chain(&mut self, id: &str, on: NaiveDate) -> Result<Vec<String>> {
        Ok(self.successor_map().await?.terminal(id, on))
    }

    /// Units whose successor (by merger or declaration) is `id`, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn predecessors(&mut self, id: &str) -> Result<Vec<String>> {
        Ok(self.successor_map().await?.predecessors(id))
    }

    // ---- documents ----

    /// Registered documents with this number (several issuers or terms may reuse one).
    ///
    /// # Errors
    /// Database failures.
    pub async fn documents_by_number(&mut self, number: &str) -> Result<Vec<DocumentRow>> {
        self.rows(
            t::DOCUMENTS,
            "x.number = ?",
            &[Value::Text(number.to_owned())],
            "x.id",
        )
        .await
    }

    /// A registered document by identity key.
    ///
    /// # Errors
    /// Database failures.
    pub async fn document(&mut self, id: &str) -> Result<Option<DocumentRow>> {
        self.one(t::DOCUMENTS, id).await
    }

    /// Every event that cited a document number, oldest first.
    ///
    /// # Errors
    /// Database failures.
    pub async fn citations(&mut self, number: &str) -> Result<Vec<CitationFact>> {
        self.rows(
            t::CITATIONS,
            "x.number = ?",
            &[Value::Text(number.to_owned())],
            "x.valid_from",
        )
        .await
    }

    // ---- programmes and plans ----

    /// Every programme.
    ///
    /// # Errors
    /// Database failures.
    pub async fn programmes(&mut self) -> Result<Vec<ProgrammeRow>> {
        self.rows(t::PROGRAMMES, "1 = 1", &[], "x.id").await
    }

    /// A programme's solution groups, by number.
    ///
    /// # Errors
    /// Database failures.
    pub async fn groups(&mut self, programme: &str) -> Result<Vec<GroupRow>> {
        self.rows(
            t::GROUPS,
            "x.programme_id = ?",
            &[Value::Text(programme.to_owned())],
            "x.number",
        )
        .await
    }

    /// Every plan.
    ///
    /// # Errors
    /// Database failures.
    pub async fn plans(&mut self) -> Result<Vec<PlanRow>> {
        self.rows(t::PLANS, "1 = 1", &[], "x.id").await
    }

    /// Plans implementing a programme or plan (one level of the hierarchy).
    ///
    /// # Errors
    /// Database failures.
    pub async fn child_plans(&mut self, parent: &str) -> Result<Vec<PlanRow>> {
        self.rows(
            t::PLANS,
            "x.implements_id = ?",
            &[Value::Text(parent.to_owned())],
            "x.id",
        )
        .await
    }

    /// The unit plans a plan requires, issued or not, by unit.
    ///
    /// # Errors
    /// Database failures.
    pub async fn required_unit_plans(&mut self, plan: &str) -> Result<Vec<PlanUnitRow>> {
        self.rows(
            t::PLAN_UNITS,
            "x.plan_id = ?",
            &[Value::Text(plan.to_owned())],
            "x.unit_id",
        )
        .await
    }

    /// Required unit plans not issued by `on` (whether due yet or not: compare `due`).
    ///
    /// # Errors
    /// Database failures.
    pub async fn missing_unit_plans(
        &mut self,
        plan: &str,
        on: NaiveDate,
    ) -> Result<Vec<PlanUnitRow>> {
        self.rows(
            t::PLAN_UNITS,
            "x.plan_id = ? AND (x.recorded_on IS NULL OR x.recorded_on > ?)",
            &[Value::Text(plan.to_owned()), day(on)],
            "x.unit_id",
        )
        .await
    }

    /// Every yearly focus programme.
    ///
    /// # Errors
    /// Database failures.
    pub async fn focus_programmes(&mut self) -> Result<Vec<FocusRow>> {
        self.rows(t::FOCUS, "1 = 1", &[], "x.year, x.id").await
    }

    // ---- tasks ----

    /// Every task as recorded, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn tasks(&mut self) -> Result<Vec<TaskRow>> {
        self.rows(t::TASKS, "1 = 1", &[], "x.id").await
    }

    /// One task as recorded.
    ///
    /// # Errors
    /// Database failures.
    pub async fn task(&mut self, id: &str) -> Result<Option<TaskRow>> {
        self.one(t::TASKS, id).await
    }

    /// Every task assigned by `on`, as it stood that day, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn tasks_on(&mut self, on: NaiveDate) -> Result<Arc<Vec<TaskOn>>> {
        let memo = self.memo.clone();
        memo.get(
            self.position(),
            format!("tasks_on {on}"),
            Vec::len,
            self.compute_tasks_on(on),
        )
        .await
    }

    async fn compute_tasks_on(&mut self, on: NaiveDate) -> Result<Vec<TaskOn>> {
        let sql = format!(
            "SELECT {cols}, \
               (SELECT d.deadline FROM {deadlines} d WHERE d.task_id = x.id AND {dv} \
                  AND d.from_date <= ? ORDER BY d.from_date DESC, d.valid_from DESC LIMIT 1), \
               (SELECT p.percent FROM {progress} p WHERE p.task_id = x.id AND {pv} \
                  AND p.on_date <= ? ORDER BY p.on_date DESC, p.valid_from DESC LIMIT 1), \
               (SELECT l.lead FROM {leads} l WHERE l.task_id = x.id AND {lv} \
                  AND l.from_date <= ? ORDER BY l.from_date DESC, l.valid_from DESC LIMIT 1) \
             FROM {tasks} x WHERE {tv} AND x.assigned_on <= ? ORDER BY x.id",
            cols = Self::columns(t::TASKS, "x"),
            deadlines = self.name(t::TASK_DEADLINES),
            dv = self.valid(t::TASK_DEADLINES, "d"),
            progress = self.name(t::TASK_PROGRESS),
            pv = self.valid(t::TASK_PROGRESS, "p"),
            leads = self.name(t::TASK_LEADS),
            lv = self.valid(t::TASK_LEADS, "l"),
            tasks = self.name(t::TASKS),
            tv = self.valid(t::TASKS, "x"),
        );
        let today = day(on);
        let on_text = on.format("%Y-%m-%d").to_string();
        let rows = self
            .tx
            .fetch(&sql, &[today.clone(), today.clone(), today.clone(), today])
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for mut values in rows {
            let lead = match values.pop() {
                Some(Value::Text(l)) => Some(l),
                _ => None,
            };
            let percent = values.pop().and_then(|v| v.as_int()).unwrap_or(0);
            let deadline = match values.pop() {
                Some(Value::Text(d)) => Some(d),
                _ => None,
            };
            let task = TaskRow::from_values(values)?;
            let deadline = deadline.unwrap_or_else(|| task.deadline.clone());
            let lead = lead.unwrap_or_else(|| task.lead.clone());
            let done = |d: &Option<String>| d.as_ref().is_some_and(|d| *d <= on_text);
            let status = if done(&task.completed_on) {
                "completed"
            } else if done(&task.cancelled_on) {
                "cancelled"
            } else {
                "open"
            };
            let overdue = status == "open" && deadline < on_text;
            out.push(TaskOn {
                percent: if status == "completed" { 100 } else { percent },
                status: status.to_owned(),
                overdue,
                deadline,
                lead,
                task,
            });
        }
        Ok(out)
    }

    /// Tasks open past their deadline on `on`, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn overdue_tasks(&mut self, on: NaiveDate) -> Result<Vec<TaskOn>> {
        Ok(self
            .tasks_on(on)
            .await?
            .iter()
            .filter(|t| t.overdue)
            .cloned()
            .collect())
    }

    /// Progress rolled up by group, plan or unit on `on` (weighting in the module docs), by key.
    ///
    /// # Errors
    /// Database failures.
    pub async fn rollup(&mut self, by: RollupBy, on: NaiveDate) -> Result<Arc<Vec<Rollup>>> {
        let memo = self.memo.clone();
        memo.get(
            self.position(),
            format!("rollup {by:?} {on}"),
            Vec::len,
            self.compute_rollup(by, on),
        )
        .await
    }

    async fn compute_rollup(&mut self, by: RollupBy, on: NaiveDate) -> Result<Vec<Rollup>> {
        let tasks = self.tasks_on(on).await?;
        let successors = if by == RollupBy::Unit {
            Some(self.successor_map().await?)
        } else {
            None
        };
        let mut groups: BTreeMap<String, (Rollup, i64)> = BTreeMap::new();
        for task in tasks.iter() {
            let key = match (by, &successors) {
                (RollupBy::Group, _) => format!(
                    "{}#{}",
                    task.task.programme_id.as_deref().unwrap_or("-"),
                    task.task
                        .group_number
                        .map_or_else(|| "-".to_owned(), |g| g.to_string())
                ),
                (RollupBy::Plan, _) => task.task.plan_id.clone(),
                (RollupBy::Unit, Some(s)) => s
                    .terminal(&task.lead, on)
                    .pop()
                    .unwrap_or_else(|| task.lead.clone()),
                (RollupBy::Unit, None) => task.lead.clone(),
            };
            let (r, sum) = groups.entry(key.clone()).or_insert_with(|| {
                (
                    Rollup {
                        key,
                        tasks: 0,
                        completed: 0,
                        overdue: 0,
                        cancelled: 0,
                        progress: 0.0,
                    },
                    0,
                )
            });
            if task.status == "cancelled" {
                r.cancelled += 1;
                continue;
            }
            r.tasks += 1;
            r.completed += u64::from(task.status == "completed");
            r.overdue += u64::from(task.overdue);
            *sum += task.percent;
        }
        Ok(groups
            .into_values()
            .map(|(mut r, sum)| {
                #[allow(clippy::cast_precision_loss)]
                if r.tasks > 0 {
                    r.progress = sum as f64 / r.tasks as f64;
                }
                r
            })
            .collect())
    }

    // ---- reports ----

    /// How many reports match `filter` (counted in SQL).
    ///
    /// # Errors
    /// Database failures.
    pub async fn report_count(&mut self, filter: &ReportFilter) -> Result<u64> {
        let (conds, binds) = filter.conditions();
        let sql = format!(
            "SELECT COUNT(*) FROM {} x WHERE {} AND ({conds})",
            self.name(t::REPORTS),
            self.valid(t::REPORTS, "x"),
        );
        let total = self
            .tx
            .fetch(&sql, &binds)
            .await?
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_int)
            .unwrap_or(0);
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// `limit` reports matching `filter` from the `offset`-th, by unit, period and id (the page
    /// in SQL, so a page of a plan's tens of thousands of reports reads one page).
    ///
    /// # Errors
    /// Database failures.
    pub async fn reports_page(
        &mut self,
        filter: &ReportFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<ReportRow>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (conds, binds) = filter.conditions();
        self.rows(
            t::REPORTS,
            &conds,
            &binds,
            &format!("x.unit_id, x.period, x.id LIMIT {limit} OFFSET {offset}"),
        )
        .await
    }

    /// One report by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn report(&mut self, id: &str) -> Result<Option<ReportRow>> {
        self.one(t::REPORTS, id).await
    }

    /// Reports, optionally of one unit and/or plan, by unit then period.
    ///
    /// # Errors
    /// Database failures.
    pub async fn reports(
        &mut self,
        unit: Option<&str>,
        plan: Option<&str>,
    ) -> Result<Vec<ReportRow>> {
        let mut filter = vec!["1 = 1"];
        let mut binds = Vec::new();
        if let Some(unit) = unit {
            filter.push("x.unit_id = ?");
            binds.push(Value::Text(unit.to_owned()));
        }
        if let Some(plan) = plan {
            filter.push("x.plan_id = ?");
            binds.push(Value::Text(plan.to_owned()));
        }
        self.rows(
            t::REPORTS,
            &filter.join(" AND "),
            &binds,
            "x.unit_id, x.period, x.id",
        )
        .await
    }

    /// The compliance matrix of a plan on `on`: the units it requires × the periods of `kind`
    /// due after the plan's issue whose data window opened by `on`, under `regime`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown plan; database failures.
    pub async fn compliance_matrix(
        &mut self,
        plan: &str,
        kind: PeriodKind,
        regime: &ReportingRegime,
        on: NaiveDate,
    ) -> Result<Arc<ComplianceMatrix>> {
        let memo = self.memo.clone();
        memo.get(
            self.position(),
            format!("matrix {plan:?} {kind:?} {regime:?} {on}"),
            |m: &ComplianceMatrix| m.rows.len() * m.periods.len().max(1),
            self.compute_compliance_matrix(plan, kind, regime, on),
        )
        .await
    }

    async fn compute_compliance_matrix(
        &mut self,
        plan: &str,
        kind: PeriodKind,
        regime: &ReportingRegime,
        on: NaiveDate,
    ) -> Result<ComplianceMatrix> {
        let plan_row: PlanRow = self
            .one(t::PLANS, plan)
            .await?
            .ok_or_else(|| Error::invalid("plan", format!("no plan {plan}")))?;
        let issued = parse_day(&plan_row.issued_on)
            .ok_or_else(|| Error::Corrupt(format!("plan {plan}: bad issue date")))?;
        let periods = periods_between(kind, regime, issued, on);
        let units: HashMap<String, UnitRow> = self
            .units()
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let required = self.required_unit_plans(plan).await?;
        let reports: HashMap<(String, String), ReportRow> = self
            .reports(None, Some(plan))
            .await?
            .into_iter()
            .map(|r| ((r.unit_id.clone(), r.period.clone()), r))
            .collect();
        // The latest step of each of the plan's reports on or before `on`.
        let sql = format!(
            "SELECT x.report_id, x.step FROM {} x JOIN {} r ON r.id = x.report_id \
             WHERE {} AND {} AND r.plan_id = ? AND x.on_date <= ? \
             ORDER BY x.report_id, x.on_date, x.valid_from",
            self.name(t::REPORT_STEPS),
            self.name(t::REPORTS),
            self.valid(t::REPORT_STEPS, "x"),
            self.valid(t::REPORTS, "r"),
        );
        let mut steps: HashMap<String, String> = HashMap::new();
        for row in self
            .tx
            .fetch(&sql, &[Value::Text(plan.to_owned()), day(on)])
            .await?
        {
            if let [Value::Text(id), Value::Text(step)] = row.as_slice() {
                steps.insert(id.clone(), step.clone());
            }
        }
        let on_text = on.format("%Y-%m-%d").to_string();
        let mut rows = Vec::new();
        for req in required {
            let ended = units.get(&req.unit_id).and_then(|u| u.ended_on.clone());
            let mut cells = Vec::new();
            for (period, _, deadline) in &periods {
                let deadline_text = deadline.format("%Y-%m-%d").to_string();
                let report = reports.get(&(req.unit_id.clone(), period.to_string()));
                let step = report.and_then(|r| steps.get(&r.id));
                let (status, late) = match (report, step) {
                    (Some(r), Some(step)) => (
                        match step.as_str() {
                            "accepted" => "accepted",
                            "returned" => "returned",
                            _ => "submitted",
                        },
                        r.late,
                    ),
                    _ if ended.as_ref().is_some_and(|e| *e <= deadline_text) => ("ended", false),
                    _ if deadline_text < on_text => ("missing", true),
                    _ => ("not_due", false),
                };
                cells.push(Cell {
                    period: period.to_string(),
                    status: status.to_owned(),
                    late,
                    report_id: report.filter(|_| step.is_some()).map(|r| r.id.clone()),
                    deadline: deadline_text,
                });
            }
            rows.push(MatrixRow {
                unit_id: req.unit_id,
                cells,
            });
        }
        Ok(ComplianceMatrix {
            periods: periods.iter().map(|(p, _, _)| p.to_string()).collect(),
            rows,
        })
    }

    // ---- obstacles, supervision, briefings ----

    /// Obstacles raised by `on`, as they stood that day, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn obstacles_on(&mut self, on: NaiveDate) -> Result<Vec<ObstacleOn>> {
        let rows: Vec<ObstacleRow> = self
            .rows(t::OBSTACLES, "x.raised_on <= ?", &[day(on)], "x.id")
            .await?;
        Ok(rows
            .into_iter()
            .map(|o| {
                let raised = parse_day(&o.raised_on).unwrap_or(on);
                let resolved = o
                    .resolved_on
                    .as_deref()
                    .and_then(parse_day)
                    .filter(|d| *d <= on);
                let end = resolved.unwrap_or(on);
                ObstacleOn {
                    open: resolved.is_none(),
                    age_days: (end - raised).num_days(),
                    obstacle: o,
                }
            })
            .collect())
    }

    /// Every supervision.
    ///
    /// # Errors
    /// Database failures.
    pub async fn supervisions(&mut self) -> Result<Vec<SupervisionRow>> {
        self.rows(t::SUPERVISIONS, "1 = 1", &[], "x.id").await
    }

    /// Recommendations made by `on`, as they stood that day, by supervision and number.
    ///
    /// # Errors
    /// Database failures.
    pub async fn recommendations_on(&mut self, on: NaiveDate) -> Result<Vec<RecommendationOn>> {
        let on_text = on.format("%Y-%m-%d").to_string();
        let rows: Vec<RecommendationRow> = self
            .rows(
                t::RECOMMENDATIONS,
                "x.made_on <= ?",
                &[day(on)],
                "x.supervision_id, x.number",
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let answered = r.answered_on.as_ref().is_some_and(|d| *d <= on_text);
                RecommendationOn {
                    overdue: !answered && r.respond_by < on_text,
                    answered,
                    recommendation: r,
                }
            })
            .collect())
    }

    /// Every briefing.
    ///
    /// # Errors
    /// Database failures.
    pub async fn briefings(&mut self) -> Result<Vec<BriefingRow>> {
        self.rows(t::BRIEFINGS, "1 = 1", &[], "x.held_on, x.id")
            .await
    }

    // ---- audit ----

    /// The audit index, filtered, oldest first.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a limit outside 1–1000; database failures.
    pub async fn audit(&mut self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        if !(1..=1000).contains(&filter.limit) {
            return Err(Error::invalid("limit", "must be between 1 and 1000"));
        }
        let (conds, binds) = audit_conditions(filter);
        let sql = format!(
            "SELECT {}, x.valid_from FROM {} x WHERE {} AND {} ORDER BY x.valid_from LIMIT {}",
            Self::columns(t::AUDIT, "x"),
            self.name(t::AUDIT),
            self.valid(t::AUDIT, "x"),
            conds.join(" AND "),
            filter.limit
        );
        let mut out = Vec::new();
        for mut values in self.tx.fetch(&sql, &binds).await? {
            let position = values
                .pop()
                .and_then(|v| v.as_int())
                .and_then(|v| u64::try_from(v).ok())
                .ok_or_else(|| Error::Corrupt("audit: bad position".into()))?;
            out.push(AuditEntry {
                position,
                entry: AuditFact::from_values(values)?,
            });
        }
        Ok(out)
    }

    /// How many entries of the audit index pass `filter` (its `after` included; its `limit`
    /// ignored).
    ///
    /// # Errors
    /// Database failures.
    pub async fn audit_count(&mut self, filter: &AuditFilter) -> Result<u64> {
        let (conds, binds) = audit_conditions(filter);
        let sql = format!(
            "SELECT COUNT(*) FROM {} x WHERE {} AND {}",
            self.name(t::AUDIT),
            self.valid(t::AUDIT, "x"),
            conds.join(" AND "),
        );
        let rows = self.tx.fetch(&sql, &binds).await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(Value::as_int)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0))
    }

    /// The versions of one entity's row (stream type and id, as in `{type}/{id}`) recorded by
    /// this snapshot, oldest first: each version's `valid_from` and its columns by name.
    /// Consecutive versions show which fields each event changed. `None` for stream types
    /// without an entity table.
    ///
    /// # Errors
    /// Database failures.
    pub async fn versions(
        &mut self,
        stream_type: &str,
        id: &str,
    ) -> Result<Option<Vec<(u64, Vec<(&'static str, Value)>)>>> {
        let index = match stream_type {
            "unit" => t::UNITS,
            "document" => t::DOCUMENTS,
            "programme" => t::PROGRAMMES,
            "plan" => t::PLANS,
            "focus_programme" => t::FOCUS,
            "task" => t::TASKS,
            "report" => t::REPORTS,
            "obstacle" => t::OBSTACLES,
            "supervision" => t::SUPERVISIONS,
            "briefing" => t::BRIEFINGS,
            _ => return Ok(None),
        };
        let table = &TABLES[index];
        let key = table.columns[0].name;
        let bound = self
            .at
            .map_or_else(String::new, |p| format!(" AND x.valid_from <= {p}"));
        let sql = format!(
            "SELECT {}, x.valid_from FROM {} x WHERE x.{key} = ?{bound} ORDER BY x.valid_from",
            Self::columns(index, "x"),
            self.name(index),
        );
        let mut out = Vec::new();
        for mut values in self.tx.fetch(&sql, &[Value::Text(id.to_owned())]).await? {
            let from = values
                .pop()
                .and_then(|v| v.as_int())
                .and_then(|v| u64::try_from(v).ok())
                .ok_or_else(|| Error::Corrupt(format!("{}: bad valid_from", table.name)))?;
            let named = table.columns.iter().map(|c| c.name).zip(values).collect();
            out.push((from, named));
        }
        Ok(Some(out))
    }

    /// Every row of every table, sorted, with its validity range: with `history`, every version
    /// ever written (what a rebuild must reproduce exactly); without, the versions valid at this
    /// snapshot, which are then open (`valid_to` NULL) as of it. What tests compare to show two
    /// projections are the same.
    ///
    /// # Errors
    /// Database failures.
    pub async fn dump(&mut self, history: bool) -> Result<Vec<(String, Vec<Vec<Value>>)>> {
        let mut out = Vec::new();
        for (i, table) in TABLES.iter().enumerate() {
            let range = match (table.kind, history) {
                (Kind::Versioned, true) => "x.valid_from, x.valid_to",
                _ => "x.valid_from",
            };
            let condition = if history {
                "1 = 1".to_owned()
            } else {
                self.valid(i, "x")
            };
            let sql = format!(
                "SELECT {}, {range} FROM {} x WHERE {condition}",
                Self::columns(i, "x"),
                self.name(i),
            );
            let mut rows = self.tx.fetch(&sql, &[]).await?;
            rows.sort();
            out.push((table.name.to_owned(), rows));
        }
        Ok(out)
    }
}

/// The SQL conditions (over alias `x`) and bound values of an audit filter.
fn audit_conditions(filter: &AuditFilter) -> (Vec<String>, Vec<Value>) {
    let mut conds = vec![format!(
        "x.valid_from > {}",
        ledger_store::store::sql_position(filter.after)
    )];
    let mut binds = Vec::new();
    let mut eq = |column: &str, value: &Option<String>| {
        if let Some(v) = value {
            conds.push(format!("x.{column} = ?"));
            binds.push(Value::Text(v.clone()));
        }
    };
    eq("stream_id", &filter.stream_id);
    eq("stream_type", &filter.stream_type);
    eq("actor", &filter.actor);
    eq("acting_unit", &filter.acting_unit);
    eq("correlation_id", &filter.correlation_id);
    let mut range = |column: &str, op: &str, value: &Option<Timestamp>| {
        if let Some(v) = value {
            conds.push(format!("x.{column} {op} ?"));
            binds.push(Value::Text(v.to_string()));
        }
    };
    range("recorded_at", ">=", &filter.recorded_from);
    range("recorded_at", "<", &filter.recorded_to);
    range("effective_at", ">=", &filter.effective_from);
    range("effective_at", "<", &filter.effective_to);
    if !filter.event_types.is_empty() {
        conds.push(format!(
            "x.event_type IN ({})",
            vec!["?"; filter.event_types.len()].join(", ")
        ));
        binds.extend(filter.event_types.iter().cloned().map(Value::Text));
    }
    (conds, binds)
}

/// The periods of `kind` due after `from` (their deadline is later) whose data window opened by
/// `on`, with the window's start and the deadline.
fn periods_between(
    kind: PeriodKind,
    regime: &ReportingRegime,
    from: NaiveDate,
    on: NaiveDate,
) -> Vec<(ReportingPeriod, NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    let mut out = Vec::new();
    let Ok(mut period) = ReportingPeriod::new(kind, from.year().max(1945), 1) else {
        return out;
    };
    loop {
        let (start, _) = regime.window(&period);
        if start > on {
            break;
        }
        let deadline = regime.deadline(&period);
        if deadline > from {
            out.push((period, start, deadline));
        }
        match period.next() {
            Some(next) => period = next,
            None => break,
        }
    }
    out
}
