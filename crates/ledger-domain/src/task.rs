//! Tasks (nhiệm vụ): units of work in a plan, under a solution group, led by one unit with
//! coordinating units, due by a deadline, and reported on until completed or cancelled.
//!
//! Whether a task is overdue is derived (deadline against a date), never stored. Units are
//! named through [`crate::unit::ActiveUnit`] proofs from the facts, so no task is assigned or
//! transferred to a unit that was dissolved or merged by then. The state keeps its dated
//! history (leads, progress, completion), so a report's claims about a task can be checked
//! against what the ledger held on the report's day ([`Task::on`]).

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::unit::{ActiveUnit, Dated};
use crate::value::{
    Date, DocumentNumber, GroupNumber, LongText, Percent, PlanId, TaskId, Title, UnitId,
};

/// Assigns a task (giao nhiệm vụ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AssignTask {
    /// Its id.
    pub id: TaskId,
    /// The plan it belongs to.
    pub plan: PlanId,
    /// The programme's solution group, if any.
    #[serde(default)]
    pub group: Option<GroupNumber>,
    /// What is to be done.
    pub title: Title,
    /// The lead unit (cơ quan chủ trì), active on the day of assignment.
    pub lead: UnitId,
    /// Coordinating units (cơ quan phối hợp), active on the day of assignment.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub coordinating: Vec<UnitId>,
    /// Due date (thời hạn).
    pub deadline: Date,
    /// Expected output (sản phẩm), e.g. "Kế hoạch".
    #[serde(default)]
    pub deliverable: Option<Title>,
    /// The day it was assigned.
    pub assigned_on: Date,
    /// The document that assigns it.
    pub basis: DocumentNumber,
}

/// Reminds the responsible units of a task (đôn đốc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct IssueReminder {
    /// The task.
    pub task: TaskId,
    /// The day.
    pub on: Date,
    /// What was said.
    #[serde(default)]
    pub note: Option<LongText>,
    /// The reminding document, if any.
    #[serde(default)]
    pub basis: Option<DocumentNumber>,
}

/// Moves a task's deadline later (gia hạn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ExtendDeadline {
    /// The task.
    pub task: TaskId,
    /// The new deadline, later than the current one.
    pub deadline: Date,
    /// The day it was decided.
    pub on: Date,
    /// Why.
    pub reason: LongText,
    /// The deciding document.
    pub basis: DocumentNumber,
}

/// Moves a task's lead to another unit (chuyển giao), e.g. a successor after a merger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct TransferTask {
    /// The task.
    pub task: TaskId,
    /// The new lead, active on the day.
    pub to: UnitId,
    /// The day it takes effect.
    pub on: Date,
    /// Why.
    pub reason: LongText,
    /// The deciding document.
    pub basis: DocumentNumber,
}

/// A responsible unit reports progress on a task (báo cáo tiến độ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ReportProgress {
    /// The task.
    pub task: TaskId,
    /// The reporting unit: the lead or a coordinating unit (a unit reporter's own).
    pub by: UnitId,
    /// Progress so far.
    pub percent: Percent,
    /// What was done.
    pub note: LongText,
    /// The day of the report.
    pub on: Date,
}

/// The lead completes a task with its deliverable (hoàn thành).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct CompleteTask {
    /// The task.
    pub task: TaskId,
    /// The completing unit: the lead (a unit reporter's own).
    pub by: UnitId,
    /// The deliverable document's number.
    pub deliverable: DocumentNumber,
    /// The day.
    pub on: Date,
}

/// Cancels a task (hủy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct CancelTask {
    /// The task.
    pub task: TaskId,
    /// The day.
    pub on: Date,
    /// Why.
    pub reason: LongText,
    /// The deciding document.
    pub basis: DocumentNumber,
}

/// Commands on a task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskCommand {
    /// [`AssignTask`].
    Assign(AssignTask),
    /// [`IssueReminder`].
    IssueReminder(IssueReminder),
    /// [`ExtendDeadline`].
    ExtendDeadline(ExtendDeadline),
    /// [`TransferTask`].
    TransferResponsibility(TransferTask),
    /// [`ReportProgress`].
    ReportProgress(ReportProgress),
    /// [`CompleteTask`].
    Complete(CompleteTask),
    /// [`CancelTask`].
    Cancel(CancelTask),
}

impl_command!(AssignTask: "assign_task", TaskCommand::Assign of Task,
roles: &[Role::Secretariat], id: |c| c.id, on: assigned_on, basis: basis;
fn needs(&self, _: &Task) -> Needs {
    Needs::default().all_active(
        std::iter::once(&self.lead).chain(&self.coordinating),
        self.assigned_on,
    )
});

impl_command!(IssueReminder: "issue_reminder", TaskCommand::IssueReminder of Task,
    roles: &[Role::Secretariat], id: |c| c.task, on: on,
    optional_basis: basis);
impl_command!(ExtendDeadline: "extend_deadline", TaskCommand::ExtendDeadline of Task,
    roles: &[Role::Secretariat], id: |c| c.task, on: on,
    reason: reason, basis: basis);
impl_command!(TransferTask: "transfer_task", TaskCommand::TransferResponsibility of Task,
    roles: &[Role::Secretariat], id: |c| c.task, on: on,
    reason: reason, basis: basis, needs: |c| Needs::default().active(&c.to, c.on));
impl_command!(ReportProgress: "report_progress", TaskCommand::ReportProgress of Task,
    roles: &[Role::UnitReporter], id: |c| c.task, on: on,
    reporting: by);
impl_command!(CompleteTask: "complete_task", TaskCommand::Complete of Task,
    roles: &[Role::UnitReporter], id: |c| c.task, on: on,
    basis: deliverable, reporting: by);
impl_command!(CancelTask: "cancel_task", TaskCommand::Cancel of Task,
    roles: &[Role::Secretariat], id: |c| c.task, on: on,
    reason: reason, basis: basis);

/// Events of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum TaskEvent {
    /// The task was assigned.
    TaskAssigned {
        /// Its id.
        id: TaskId,
        /// Its plan.
        plan: PlanId,
        /// Its solution group.
        group: Option<GroupNumber>,
        /// What is to be done.
        title: Title,
        /// The lead unit.
        lead: UnitId,
        /// Coordinating units.
        coordinating: Vec<UnitId>,
        /// Due date.
        deadline: Date,
        /// Expected output.
        deliverable: Option<Title>,
        /// Day of assignment.
        assigned_on: Date,
        /// Assigning document.
        basis: DocumentNumber,
    },
    /// A reminder was issued.
    ReminderIssued {
        /// The day.
        on: Date,
        /// What was said.
        note: Option<LongText>,
        /// The document.
        basis: Option<DocumentNumber>,
    },
    /// The deadline was moved later.
    DeadlineExtended {
        /// The old deadline.
        from: Date,
        /// The new deadline.
        to: Date,
        /// The day it was decided.
        on: Date,
        /// Why.
        reason: LongText,
        /// The document.
        basis: DocumentNumber,
    },
    /// The lead moved to another unit.
    ResponsibilityTransferred {
        /// The previous lead.
        from: UnitId,
        /// The new lead.
        to: UnitId,
        /// The day.
        on: Date,
        /// Why.
        reason: LongText,
        /// The document.
        basis: DocumentNumber,
    },
    /// Progress was reported.
    ProgressReported {
        /// The reporting unit.
        by: UnitId,
        /// Progress.
        percent: Percent,
        /// What was done.
        note: LongText,
        /// The day.
        on: Date,
    },
    /// The task was completed.
    TaskCompleted {
        /// The lead.
        by: UnitId,
        /// The deliverable.
        deliverable: DocumentNumber,
        /// The day.
        on: Date,
    },
    /// The task was cancelled.
    TaskCancelled {
        /// The day.
        on: Date,
        /// Why.
        reason: LongText,
        /// The document.
        basis: DocumentNumber,
    },
}

impl Tagged for TaskEvent {}

impl DomainEvent for TaskEvent {
    fn event_type(&self) -> String {
        match self {
            Self::TaskAssigned { .. } => "TaskAssigned",
            Self::ReminderIssued { .. } => "ReminderIssued",
            Self::DeadlineExtended { .. } => "DeadlineExtended",
            Self::ResponsibilityTransferred { .. } => "ResponsibilityTransferred",
            Self::ProgressReported { .. } => "ProgressReported",
            Self::TaskCompleted { .. } => "TaskCompleted",
            Self::TaskCancelled { .. } => "TaskCancelled",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a task command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// The task is already assigned.
    #[error("task {0} is already assigned")]
    AlreadyAssigned(TaskId),
    /// The task has not been assigned.
    #[error("the task is not assigned")]
    NotAssigned,
    /// The task is completed or cancelled.
    #[error("task {0} is closed (completed or cancelled)")]
    Closed(TaskId),
    /// The deadline comes before the assignment.
    #[error("the deadline {deadline} comes before the assignment on {assigned_on}")]
    DeadlineBeforeAssignment {
        /// The deadline.
        deadline: Date,
        /// The assignment day.
        assigned_on: Date,
    },
    /// An extension must move the deadline later.
    #[error("an extension must move the deadline later than {current}, not to {requested}")]
    DeadlineNotLater {
        /// The current deadline.
        current: Date,
        /// The requested one.
        requested: Date,
    },
    /// The lead cannot also coordinate, and a unit coordinates once.
    #[error("unit {0} is named twice among the lead and coordinating units")]
    UnitNamedTwice(UnitId),
    /// Transfer to the unit that already leads.
    #[error("unit {0} already leads the task")]
    AlreadyLead(UnitId),
    /// Only the lead or a coordinating unit reports; only the lead completes.
    #[error("unit {0} is not responsible for this task")]
    NotResponsible(UnitId),
    /// A change dated before the assignment.
    #[error("the change on {on} comes before the assignment on {assigned_on}")]
    BeforeAssignment {
        /// The change's day.
        on: Date,
        /// The assignment day.
        assigned_on: Date,
    },
}

impl Refusal for TaskError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) | Self::NotAssigned => RefusalKind::NotFound,
            Self::AlreadyAssigned(_) => RefusalKind::AlreadyExists,
            _ => RefusalKind::Rule,
        }
    }
}

impl TaskError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &Date| x.vi();
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyAssigned(id) => format!("nhiệm vụ {id} đã được giao"),
            Self::NotAssigned => "nhiệm vụ chưa được giao".to_owned(),
            Self::Closed(id) => format!("nhiệm vụ {id} đã hoàn thành hoặc đã hủy"),
            Self::DeadlineBeforeAssignment {
                deadline,
                assigned_on,
            } => format!(
                "thời hạn {} sớm hơn ngày giao {}",
                d(deadline),
                d(assigned_on)
            ),
            Self::DeadlineNotLater { current, requested } => format!(
                "gia hạn phải muộn hơn thời hạn hiện tại {}, không thể là {}",
                d(current),
                d(requested)
            ),
            Self::UnitNamedTwice(u) => format!("đơn vị {u} được nêu hai lần (chủ trì, phối hợp)"),
            Self::AlreadyLead(u) => format!("đơn vị {u} đang chủ trì nhiệm vụ"),
            Self::NotResponsible(u) => {
                format!("đơn vị {u} không chủ trì hay phối hợp nhiệm vụ này")
            }
            Self::BeforeAssignment { on, assigned_on } => format!(
                "ngày {} sớm hơn ngày giao nhiệm vụ {}",
                d(on),
                d(assigned_on)
            ),
        }
    }
}

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not assigned yet.
    #[default]
    Unassigned,
    /// Assigned and not closed.
    Open,
    /// Completed on a day.
    Completed {
        /// The day.
        on: Date,
    },
    /// Cancelled on a day.
    Cancelled {
        /// The day.
        on: Date,
    },
}

/// A task as it stood on a day, as the ledger held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDay {
    /// Its plan.
    pub plan: PlanId,
    /// The lead that day.
    pub lead: UnitId,
    /// Whether `unit` led or coordinated it that day is [`TaskDay::responsible`].
    coordinating: Vec<UnitId>,
    /// Open, completed or cancelled that day.
    pub status: TaskStatus,
    /// The last percentage reported by that day (100 once completed).
    pub percent: Option<Percent>,
}

impl TaskDay {
    /// Whether `unit` led or coordinated the task that day.
    #[must_use]
    pub fn responsible(&self, unit: &UnitId) -> bool {
        &self.lead == unit || self.coordinating.contains(unit)
    }
}

/// The state of a task, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    id: Option<TaskId>,
    plan: Option<PlanId>,
    leads: Vec<Dated<UnitId>>,
    coordinating: Vec<UnitId>,
    deadline: Option<Date>,
    assigned_on: Option<Date>,
    progress: Vec<Dated<Percent>>,
    status: TaskStatus,
}

impl Task {
    /// Where it stands.
    #[must_use]
    pub fn status(&self) -> &TaskStatus {
        &self.status
    }

    /// The current lead.
    #[must_use]
    pub fn lead(&self) -> Option<&UnitId> {
        self.leads.last().map(|d| &d.value)
    }

    /// The current deadline.
    #[must_use]
    pub fn deadline(&self) -> Option<Date> {
        self.deadline
    }

    /// The last reported progress.
    #[must_use]
    pub fn percent(&self) -> Option<Percent> {
        self.progress.last().map(|d| d.value)
    }

    /// Whether the task is open and past its deadline on `date`.
    #[must_use]
    pub fn is_overdue_on(&self, date: Date) -> bool {
        matches!(self.status, TaskStatus::Open) && self.deadline.is_some_and(|d| date > d)
    }

    /// The task as it stood on `day`; `None` if it was not assigned by then.
    #[must_use]
    pub fn on(&self, day: Date) -> Option<TaskDay> {
        let plan = self.plan.clone()?;
        if self.assigned_on.is_none_or(|a| a > day) {
            return None;
        }
        let lead = self
            .leads
            .iter()
            .take_while(|d| d.from <= day)
            .last()
            .map(|d| d.value.clone())?;
        let status = match &self.status {
            TaskStatus::Completed { on } if *on <= day => TaskStatus::Completed { on: *on },
            TaskStatus::Cancelled { on } if *on <= day => TaskStatus::Cancelled { on: *on },
            _ => TaskStatus::Open,
        };
        let percent = match status {
            TaskStatus::Completed { .. } => Percent::new(100).ok(),
            _ => self
                .progress
                .iter()
                .filter(|d| d.from <= day)
                .max_by_key(|d| d.from)
                .map(|d| d.value),
        };
        Some(TaskDay {
            plan,
            lead,
            coordinating: self.coordinating.clone(),
            status,
            percent,
        })
    }

    /// The open task's id and assignment day, or why it takes no change.
    fn open(&self) -> Result<(&TaskId, Date), TaskError> {
        let id = self.id.as_ref().ok_or(TaskError::NotAssigned)?;
        match (&self.status, self.assigned_on) {
            (TaskStatus::Open, Some(assigned_on)) => Ok((id, assigned_on)),
            _ => Err(TaskError::Closed(id.clone())),
        }
    }

    fn open_on(&self, on: Date) -> Result<&TaskId, TaskError> {
        let (id, assigned_on) = self.open()?;
        if on < assigned_on {
            return Err(TaskError::BeforeAssignment { on, assigned_on });
        }
        Ok(id)
    }

    fn decide(&self, command: TaskCommand, facts: &Facts) -> Result<TaskEvent, TaskError> {
        match command {
            TaskCommand::Assign(AssignTask {
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
            }) => {
                if let Some(existing) = &self.id {
                    return Err(TaskError::AlreadyAssigned(existing.clone()));
                }
                let mut named: Vec<UnitId> = Vec::with_capacity(coordinating.len() + 1);
                for unit in std::iter::once(&lead).chain(&coordinating) {
                    if named.contains(unit) {
                        return Err(TaskError::UnitNamedTwice(unit.clone()));
                    }
                    let proof: ActiveUnit = facts.active(unit, assigned_on)?;
                    named.push(proof.id().clone());
                }
                if deadline < assigned_on {
                    return Err(TaskError::DeadlineBeforeAssignment {
                        deadline,
                        assigned_on,
                    });
                }
                let lead = named.remove(0);
                Ok(TaskEvent::TaskAssigned {
                    id,
                    plan,
                    group,
                    title,
                    lead,
                    coordinating: named,
                    deadline,
                    deliverable,
                    assigned_on,
                    basis,
                })
            }
            TaskCommand::IssueReminder(IssueReminder {
                on, note, basis, ..
            }) => {
                self.open_on(on)?;
                Ok(TaskEvent::ReminderIssued { on, note, basis })
            }
            TaskCommand::ExtendDeadline(ExtendDeadline {
                deadline,
                on,
                reason,
                basis,
                ..
            }) => {
                self.open_on(on)?;
                let current = self.deadline.ok_or(TaskError::NotAssigned)?;
                if deadline <= current {
                    return Err(TaskError::DeadlineNotLater {
                        current,
                        requested: deadline,
                    });
                }
                Ok(TaskEvent::DeadlineExtended {
                    from: current,
                    to: deadline,
                    on,
                    reason,
                    basis,
                })
            }
            TaskCommand::TransferResponsibility(TransferTask {
                to,
                on,
                reason,
                basis,
                ..
            }) => {
                self.open_on(on)?;
                let from = self.lead().cloned().ok_or(TaskError::NotAssigned)?;
                if from == to {
                    return Err(TaskError::AlreadyLead(from));
                }
                let to = facts.active(&to, on)?;
                Ok(TaskEvent::ResponsibilityTransferred {
                    from,
                    to: to.id().clone(),
                    on,
                    reason,
                    basis,
                })
            }
            TaskCommand::ReportProgress(ReportProgress {
                by,
                percent,
                note,
                on,
                ..
            }) => {
                self.open_on(on)?;
                if self.lead() != Some(&by) && !self.coordinating.contains(&by) {
                    return Err(TaskError::NotResponsible(by));
                }
                Ok(TaskEvent::ProgressReported {
                    by,
                    percent,
                    note,
                    on,
                })
            }
            TaskCommand::Complete(CompleteTask {
                by,
                deliverable,
                on,
                ..
            }) => {
                self.open_on(on)?;
                if self.lead() != Some(&by) {
                    return Err(TaskError::NotResponsible(by));
                }
                Ok(TaskEvent::TaskCompleted {
                    by,
                    deliverable,
                    on,
                })
            }
            TaskCommand::Cancel(CancelTask {
                on, reason, basis, ..
            }) => {
                self.open_on(on)?;
                Ok(TaskEvent::TaskCancelled { on, reason, basis })
            }
        }
    }
}

impl Aggregate for Task {
    const TYPE: &'static str = "task";
    type Command = TaskCommand;
    type Event = TaskEvent;
    type Error = TaskError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: TaskCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), TaskError> {
        let event = self.decide(command, facts)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: TaskEvent) {
        match event {
            TaskEvent::TaskAssigned {
                id,
                plan,
                lead,
                coordinating,
                deadline,
                assigned_on,
                ..
            } => {
                self.id = Some(id);
                self.plan = Some(plan);
                self.leads = vec![Dated {
                    from: assigned_on,
                    value: lead,
                }];
                self.coordinating = coordinating;
                self.deadline = Some(deadline);
                self.assigned_on = Some(assigned_on);
                self.status = TaskStatus::Open;
            }
            TaskEvent::ReminderIssued { .. } => {}
            TaskEvent::DeadlineExtended { to, .. } => self.deadline = Some(to),
            TaskEvent::ResponsibilityTransferred { to, on, .. } => {
                self.coordinating.retain(|u| u != &to);
                self.leads.push(Dated {
                    from: on,
                    value: to,
                });
            }
            TaskEvent::ProgressReported { percent, on, .. } => self.progress.push(Dated {
                from: on,
                value: percent,
            }),
            TaskEvent::TaskCompleted { on, .. } => self.status = TaskStatus::Completed { on },
            TaskEvent::TaskCancelled { on, .. } => self.status = TaskStatus::Cancelled { on },
        }
    }
}

#[cfg(test)]
mod tests;
