//! Tasks as they stood on a day, and progress rolled up by solution group, plan or unit.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use ledger_domain::value::Date;
use ledger_projections::query::{Rollup, TaskOn};

use super::node::global_id;
use super::paging::{Page, page_map, paging, scan_cost, scan_page_cost};
use super::units::{OrderDirection, directed};
use super::{AsOfInput, ListAnswer, finish, list, list_of, on_day, require_reader, snapshot};
use crate::error::{Code, coded_vi, from_read};

/// A task as it stood on the day asked about.
#[derive(Debug, Clone, SimpleObject)]
pub struct Task {
    /// Opaque global id (`node(id:)`); the task's own id is `task.key`.
    pub id: ID,
    /// Its state that day.
    #[graphql(flatten)]
    pub on: TaskOn,
}

impl From<TaskOn> for Task {
    fn from(on: TaskOn) -> Self {
        Self {
            id: global_id("Task", &on.task.id),
            on,
        }
    }
}

/// Which tasks.
#[derive(Debug, Clone, Default, InputObject)]
pub struct TaskFilter {
    /// Of this plan.
    pub plan: Option<String>,
    /// Led by this unit that day.
    pub lead: Option<String>,
    /// With this unit among the coordinating units (cơ quan phối hợp).
    pub coordinating: Option<String>,
    /// In this solution group (number).
    pub group: Option<i64>,
    /// With this status that day (`open`, `completed`, `cancelled`).
    pub status: Option<String>,
    /// Only overdue (or only not overdue) that day.
    pub overdue: Option<bool>,
    /// Only completed after their deadline (or only the others).
    pub completed_late: Option<bool>,
    /// Only open tasks due within this many days (and not overdue).
    pub due_within_days: Option<i32>,
    /// Only tasks whose state that day rests on a backdated change (or only the others).
    pub backdated: Option<bool>,
}

/// What to sort tasks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum TaskOrderField {
    /// Their ids.
    Key,
    /// Their titles, in Vietnamese alphabetical order.
    Title,
    /// The deadline in force that day.
    Deadline,
    /// Their percentage that day.
    Percent,
    /// Days past their deadline.
    DaysOverdue,
}

/// How to sort tasks.
#[derive(Debug, Clone, Copy, InputObject)]
pub struct TaskOrder {
    /// By what.
    pub field: TaskOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Which way to roll progress up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RollupKind {
    /// By solution group.
    Group,
    /// By plan.
    Plan,
    /// By lead unit: its own tasks and those inherited from units it succeeded.
    Unit,
}

impl TaskFilter {
    fn check(&self) -> Result<()> {
        if self.due_within_days.is_some_and(|d| d < 0) {
            return Err(coded_vi(
                Code::BadUserInput,
                "filter.dueWithinDays: must not be negative",
                "filter.dueWithinDays: không được là số âm",
            ));
        }
        Ok(())
    }

    fn matches(&self, t: &TaskOn) -> bool {
        let coordinating = || {
            self.coordinating
                .as_ref()
                .is_none_or(|u| list_of(&t.task.coordinating).contains(u))
        };
        self.plan.as_ref().is_none_or(|p| *p == t.task.plan_id)
            && self.lead.as_ref().is_none_or(|l| *l == t.lead)
            && self.group.is_none_or(|g| t.task.group_number == Some(g))
            && self.status.as_ref().is_none_or(|st| *st == t.status)
            && self.overdue.is_none_or(|o| o == t.overdue)
            && self.completed_late.is_none_or(|c| c == t.completed_late)
            && self.backdated.is_none_or(|b| b == t.backdated)
            && self
                .due_within_days
                .is_none_or(|d| t.days_left.is_some_and(|left| left <= i64::from(d)))
            && coordinating()
    }
}

/// The tasks' questions.
#[derive(Default)]
pub struct TaskQuery;

// A GraphQL field's arguments are its parameters: as-of, day, filter, order and paging.
#[allow(clippy::too_many_arguments)]
#[Object]
impl TaskQuery {
    /// Tasks as they stood on `on` (default: today), by id: deadline, lead and percentage in
    /// force that day, whether overdue, completed late or due soon, and whether that state
    /// rests on a backdated change.
    #[graphql(complexity = "scan_page_cost(first, last, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
        #[graphql(default)] filter: TaskFilter,
        order_by: Option<TaskOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Task>> {
        require_reader(ctx, false)?;
        filter.check()?;
        let on = on_day(ctx, on);
        let mut s = snapshot(ctx, as_of).await?;
        let all = s.tasks_on(on).await.map_err(from_read)?;
        // Filter and order references into the shared list; only the page is copied.
        let tasks: Vec<&TaskOn> = all.iter().filter(|t| filter.matches(t)).collect();
        let tasks = match order_by {
            None => tasks,
            Some(order) => {
                let mut tasks = tasks;
                match order.field {
                    TaskOrderField::Key => {}
                    TaskOrderField::Title => tasks.sort_by_cached_key(|t| {
                        ledger_domain::value::vietnamese_sort_key(&t.task.title)
                    }),
                    TaskOrderField::Deadline => tasks.sort_by(|a, b| a.deadline.cmp(&b.deadline)),
                    TaskOrderField::Percent => tasks.sort_by_key(|t| t.percent),
                    TaskOrderField::DaysOverdue => tasks.sort_by_key(|t| t.days_overdue),
                }
                directed(tasks, order.direction)
            }
        };
        let position = s.position();
        let page = page_map(tasks, position, paging(first, after, last, before), |t| {
            Task::from(t.clone())
        })?;
        finish(s, page).await
    }

    /// Progress rolled up by solution group, plan or unit on `on` (default: today): every task
    /// assigned and not cancelled weighs the same (see docs/projections.md). By unit, a task
    /// counts as the own work of the unit that led it that day and as inherited work of the
    /// units that succeeded it.
    #[graphql(complexity = "scan_cost(child_complexity)")]
    async fn progress(
        &self,
        ctx: &Context<'_>,
        by: RollupKind,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
    ) -> Result<ListAnswer<Rollup>> {
        let on = on_day(ctx, on);
        let by = match by {
            RollupKind::Group => ledger_projections::RollupBy::Group,
            RollupKind::Plan => ledger_projections::RollupBy::Plan,
            RollupKind::Unit => ledger_projections::RollupBy::Unit,
        };
        list(ctx, as_of, true, move |s| {
            Box::pin(async move { Ok(s.rollup(by, on).await?.as_ref().clone()) })
        })
        .await
    }
}
