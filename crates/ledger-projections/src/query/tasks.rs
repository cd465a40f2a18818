//! Tasks on a day, and progress rolled up by group, plan or unit.
//!
//! **Progress roll-ups** weight every task that is assigned and not cancelled on the day
//! equally: a group's, plan's or unit's progress is the mean of its tasks' percentages on that
//! day (a completed task counts 100, an open one its last reported percentage, 0 before any
//! report). Roll-ups by unit credit each task to the unit that led it that day (**own**), and
//! to every unit that succeeded that one by then (**inherited**): a district dissolved in the
//! 2025 merger keeps its past completions, and the unit that took over its duties shows them
//! beside its own.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::{Snapshot, day, parse_day};
use crate::error::Result;
use crate::tables::{TaskRow, t};
use crate::value::{Row, Value};

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
    /// Days past the deadline: open and overdue, to that day; completed late, to the
    /// completion; otherwise 0.
    pub days_overdue: i64,
    /// Open and not overdue: days left to the deadline.
    pub days_left: Option<i64>,
    /// Completed after the deadline in force.
    pub completed_late: bool,
    /// The state that day rests on a **backdated** change: a deadline, lead, progress report,
    /// completion or cancellation recorded later than its grace allowed, and dated back.
    pub backdated: bool,
}

/// Which way to roll progress up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupBy {
    /// By solution group (`{programme}#{number}`; tasks without a group under `{programme}#-`).
    Group,
    /// By plan.
    Plan,
    /// By lead unit, own and inherited along successor chains.
    Unit,
}

/// Counts and progress of a set of tasks on a day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Tally {
    /// Tasks counted (assigned, not cancelled).
    pub tasks: u64,
    /// Completed among them.
    pub completed: u64,
    /// Completed after their deadline.
    pub completed_late: u64,
    /// Overdue among them.
    pub overdue: u64,
    /// Cancelled (not counted in progress).
    pub cancelled: u64,
    /// Whose state rests on a backdated change.
    pub backdated: u64,
    /// Mean percentage of the tasks counted.
    pub progress: f64,
    #[serde(skip)]
    #[cfg_attr(feature = "graphql", graphql(skip))]
    sum: i64,
}

impl Tally {
    fn add(&mut self, task: &TaskOn) {
        self.backdated += u64::from(task.backdated);
        if task.status == "cancelled" {
            self.cancelled += 1;
            return;
        }
        self.tasks += 1;
        self.completed += u64::from(task.status == "completed");
        self.completed_late += u64::from(task.completed_late);
        self.overdue += u64::from(task.overdue);
        self.sum += task.percent;
        #[allow(clippy::cast_precision_loss)]
        {
            self.progress = self.sum as f64 / self.tasks as f64;
        }
    }

    fn merge(&mut self, other: &Self) {
        self.tasks += other.tasks;
        self.completed += other.completed;
        self.completed_late += other.completed_late;
        self.overdue += other.overdue;
        self.cancelled += other.cancelled;
        self.backdated += other.backdated;
        self.sum += other.sum;
        #[allow(clippy::cast_precision_loss)]
        if self.tasks > 0 {
            self.progress = self.sum as f64 / self.tasks as f64;
        }
    }
}

/// Progress of one group, plan or unit on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Rollup {
    /// The group, plan or unit.
    pub key: String,
    /// Every task counted: for a unit, its own and those inherited from predecessors.
    #[serde(flatten)]
    #[cfg_attr(feature = "graphql", graphql(flatten))]
    pub total: Tally,
    /// A unit's own tasks (led by it that day); for groups and plans, every task.
    pub own: Tally,
    /// Tasks a unit inherited: led that day by units it succeeded.
    pub inherited: Tally,
}

/// A fact's value and how it was dated, as the tasks query reads them: `value|dating`.
fn value_and_dating(value: Option<Value>) -> (Option<String>, bool) {
    match value {
        Some(Value::Text(t)) => match t.rsplit_once('|') {
            Some((v, dating)) => (Some(v.to_owned()), dating == "backdated"),
            None => (Some(t), false),
        },
        _ => (None, false),
    }
}

impl Snapshot {
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
        // Each fact in force that day, with how it was dated, in one subquery per kind.
        let sql = format!(
            "SELECT {cols}, \
               (SELECT d.deadline || '|' || COALESCE(d.dating, '') FROM {deadlines} d \
                  WHERE d.task_id = x.id AND {dv} AND d.from_date <= ? \
                  ORDER BY d.from_date DESC, d.valid_from DESC LIMIT 1), \
               (SELECT CAST(p.percent AS TEXT) || '|' || COALESCE(p.dating, '') FROM {progress} p \
                  WHERE p.task_id = x.id AND {pv} AND p.on_date <= ? \
                  ORDER BY p.on_date DESC, p.valid_from DESC LIMIT 1), \
               (SELECT l.lead || '|' || COALESCE(l.dating, '') FROM {leads} l \
                  WHERE l.task_id = x.id AND {lv} AND l.from_date <= ? \
                  ORDER BY l.from_date DESC, l.valid_from DESC LIMIT 1) \
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
            let (lead, lead_backdated) = value_and_dating(values.pop());
            let (percent, percent_backdated) = value_and_dating(values.pop());
            let (deadline, deadline_backdated) = value_and_dating(values.pop());
            let task = TaskRow::from_values(values)?;
            let deadline = deadline.unwrap_or_else(|| task.deadline.clone());
            let lead = lead.unwrap_or_else(|| task.lead.clone());
            let percent = percent.and_then(|p| p.parse().ok()).unwrap_or(0);
            let done = |d: &Option<String>| d.as_ref().is_some_and(|d| *d <= on_text);
            let (status, closed_backdated) = if done(&task.completed_on) {
                (
                    "completed",
                    task.closed_dating.as_deref() == Some("backdated"),
                )
            } else if done(&task.cancelled_on) {
                (
                    "cancelled",
                    task.closed_dating.as_deref() == Some("backdated"),
                )
            } else {
                ("open", false)
            };
            let days = |from: &str, to: &str| match (parse_day(from), parse_day(to)) {
                (Some(a), Some(b)) => (b - a).num_days(),
                _ => 0,
            };
            let overdue = status == "open" && deadline < on_text;
            let completed_late =
                status == "completed" && task.completed_on.as_ref().is_some_and(|c| *c > deadline);
            let days_overdue = match (overdue, &task.completed_on) {
                (true, _) => days(&deadline, &on_text),
                (false, Some(c)) if completed_late => days(&deadline, c),
                _ => 0,
            };
            let days_left = (status == "open" && !overdue).then(|| days(&on_text, &deadline));
            out.push(TaskOn {
                percent: if status == "completed" { 100 } else { percent },
                status: status.to_owned(),
                overdue,
                days_overdue,
                days_left,
                completed_late,
                backdated: deadline_backdated
                    || lead_backdated
                    || (percent_backdated && status == "open")
                    || closed_backdated,
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
        // Own and inherited tallies by key.
        let mut groups: BTreeMap<String, (Tally, Tally)> = BTreeMap::new();
        for task in tasks.iter() {
            let key = match by {
                RollupBy::Group => format!(
                    "{}#{}",
                    task.task.programme_id.as_deref().unwrap_or("-"),
                    task.task
                        .group_number
                        .map_or_else(|| "-".to_owned(), |g| g.to_string())
                ),
                RollupBy::Plan => task.task.plan_id.clone(),
                RollupBy::Unit => task.lead.clone(),
            };
            groups.entry(key).or_default().0.add(task);
            if let Some(successors) = &successors {
                for heir in successors.terminal(&task.lead, on).into_iter().skip(1) {
                    groups.entry(heir).or_default().1.add(task);
                }
            }
        }
        Ok(groups
            .into_iter()
            .map(|(key, (own, inherited))| {
                let mut total = own.clone();
                total.merge(&inherited);
                Rollup {
                    key,
                    total,
                    own,
                    inherited,
                }
            })
            .collect())
    }
}
