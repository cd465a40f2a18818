//! Tasks (nhiệm vụ): units of work in a plan, under a solution group, led by one unit with
//! coordinating units, due by a deadline, and reported on until completed or cancelled.
//!
//! Whether a task is overdue is derived (deadline against a date), never stored. Units are
//! named through [`ActiveUnit`] proofs, so no task is assigned or transferred to a unit that
//! was dissolved or merged by then.

use chrono::NaiveDate;
use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::unit::ActiveUnit;
use crate::value::{DocumentNumber, GroupNumber, LongText, Percent, PlanId, TaskId, Title, UnitId};

/// Commands on a task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskCommand {
    /// Assigns the task (giao nhiệm vụ).
    Assign {
        /// Its id.
        id: TaskId,
        /// The plan it belongs to.
        plan: PlanId,
        /// The programme's solution group, if any.
        group: Option<GroupNumber>,
        /// What is to be done.
        title: Title,
        /// The lead unit (cơ quan chủ trì), active on `assigned_on`.
        lead: ActiveUnit,
        /// Coordinating units (cơ quan phối hợp), active on `assigned_on`.
        coordinating: Vec<ActiveUnit>,
        /// Due date (thời hạn).
        deadline: NaiveDate,
        /// Expected output (sản phẩm), e.g. "Kế hoạch".
        deliverable: Option<Title>,
        /// The day it was assigned.
        assigned_on: NaiveDate,
        /// The document that assigns it.
        basis: DocumentNumber,
    },
    /// Reminds the responsible units (đôn đốc).
    IssueReminder {
        /// The day.
        on: NaiveDate,
        /// What was said.
        note: Option<LongText>,
        /// The reminding document, if any.
        basis: Option<DocumentNumber>,
    },
    /// Moves the deadline later (gia hạn).
    ExtendDeadline {
        /// The new deadline, later than the current one.
        deadline: NaiveDate,
        /// The day it was decided.
        on: NaiveDate,
        /// Why.
        reason: LongText,
        /// The deciding document.
        basis: DocumentNumber,
    },
    /// Moves the lead to another unit (chuyển giao), e.g. a successor after a merger.
    TransferResponsibility {
        /// The new lead, active on `on`.
        to: ActiveUnit,
        /// The day it took effect.
        on: NaiveDate,
        /// Why.
        reason: LongText,
        /// The deciding document.
        basis: DocumentNumber,
    },
    /// A responsible unit reports progress.
    ReportProgress {
        /// The reporting unit: the lead or a coordinating unit.
        by: UnitId,
        /// Progress so far.
        percent: Percent,
        /// What was done.
        note: LongText,
        /// The day of the report.
        on: NaiveDate,
    },
    /// The lead completes the task with its deliverable.
    Complete {
        /// The completing unit: the lead.
        by: UnitId,
        /// The deliverable document.
        deliverable: DocumentNumber,
        /// The day.
        on: NaiveDate,
    },
    /// Cancels the task.
    Cancel {
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: LongText,
        /// The deciding document.
        basis: DocumentNumber,
    },
}

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
        deadline: NaiveDate,
        /// Expected output.
        deliverable: Option<Title>,
        /// Day of assignment.
        assigned_on: NaiveDate,
        /// Assigning document.
        basis: DocumentNumber,
    },
    /// A reminder was issued.
    ReminderIssued {
        /// The day.
        on: NaiveDate,
        /// What was said.
        note: Option<LongText>,
        /// The document.
        basis: Option<DocumentNumber>,
    },
    /// The deadline was moved later.
    DeadlineExtended {
        /// The old deadline.
        from: NaiveDate,
        /// The new deadline.
        to: NaiveDate,
        /// The day it was decided.
        on: NaiveDate,
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
        on: NaiveDate,
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
        on: NaiveDate,
    },
    /// The task was completed.
    TaskCompleted {
        /// The lead.
        by: UnitId,
        /// The deliverable.
        deliverable: DocumentNumber,
        /// The day.
        on: NaiveDate,
    },
    /// The task was cancelled.
    TaskCancelled {
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: LongText,
        /// The document.
        basis: DocumentNumber,
    },
}

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
    /// The task is already assigned.
    #[error("task {0} is already assigned")]
    AlreadyAssigned(TaskId),
    /// The task has not been assigned.
    #[error("the task is not assigned")]
    NotAssigned,
    /// The task is completed or cancelled.
    #[error("task {0} is closed (completed or cancelled)")]
    Closed(TaskId),
    /// A unit proof was made for another day than the change.
    #[error("unit {unit} was checked for {checked}, but the change takes effect on {on}")]
    ProofForAnotherDay {
        /// The unit.
        unit: UnitId,
        /// The day it was checked for.
        checked: NaiveDate,
        /// The change's day.
        on: NaiveDate,
    },
    /// The deadline comes before the assignment.
    #[error("the deadline {deadline} comes before the assignment on {assigned_on}")]
    DeadlineBeforeAssignment {
        /// The deadline.
        deadline: NaiveDate,
        /// The assignment day.
        assigned_on: NaiveDate,
    },
    /// An extension must move the deadline later.
    #[error("an extension must move the deadline later than {current}, not to {requested}")]
    DeadlineNotLater {
        /// The current deadline.
        current: NaiveDate,
        /// The requested one.
        requested: NaiveDate,
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
        on: NaiveDate,
        /// The assignment day.
        assigned_on: NaiveDate,
    },
}

impl TaskError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &NaiveDate| x.format("%d/%m/%Y").to_string();
        match self {
            Self::AlreadyAssigned(id) => format!("nhiệm vụ {id} đã được giao"),
            Self::NotAssigned => "nhiệm vụ chưa được giao".to_owned(),
            Self::Closed(id) => format!("nhiệm vụ {id} đã hoàn thành hoặc đã hủy"),
            Self::ProofForAnotherDay { unit, checked, on } => format!(
                "đơn vị {unit} được kiểm tra cho ngày {}, nhưng thay đổi có hiệu lực ngày {}",
                d(checked),
                d(on)
            ),
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
        on: NaiveDate,
    },
    /// Cancelled on a day.
    Cancelled {
        /// The day.
        on: NaiveDate,
    },
}

/// The state of a task, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    id: Option<TaskId>,
    lead: Option<UnitId>,
    coordinating: Vec<UnitId>,
    deadline: Option<NaiveDate>,
    assigned_on: Option<NaiveDate>,
    percent: Option<Percent>,
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
        self.lead.as_ref()
    }

    /// The current deadline.
    #[must_use]
    pub fn deadline(&self) -> Option<NaiveDate> {
        self.deadline
    }

    /// The last reported progress.
    #[must_use]
    pub fn percent(&self) -> Option<Percent> {
        self.percent
    }

    /// Whether the task is open and past its deadline on `date`.
    #[must_use]
    pub fn is_overdue_on(&self, date: NaiveDate) -> bool {
        matches!(self.status, TaskStatus::Open) && self.deadline.is_some_and(|d| date > d)
    }

    /// The open task's id and assignment day, or why it takes no change.
    fn open(&self) -> Result<(&TaskId, NaiveDate), TaskError> {
        let id = self.id.as_ref().ok_or(TaskError::NotAssigned)?;
        match (&self.status, self.assigned_on) {
            (TaskStatus::Open, Some(assigned_on)) => Ok((id, assigned_on)),
            _ => Err(TaskError::Closed(id.clone())),
        }
    }

    fn open_on(&self, on: NaiveDate) -> Result<&TaskId, TaskError> {
        let (id, assigned_on) = self.open()?;
        if on < assigned_on {
            return Err(TaskError::BeforeAssignment { on, assigned_on });
        }
        Ok(id)
    }

    fn decide(&self, command: TaskCommand) -> Result<TaskEvent, TaskError> {
        match command {
            TaskCommand::Assign {
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
                if let Some(existing) = &self.id {
                    return Err(TaskError::AlreadyAssigned(existing.clone()));
                }
                let mut named: Vec<UnitId> = Vec::with_capacity(coordinating.len() + 1);
                for unit in std::iter::once(&lead).chain(&coordinating) {
                    proof_for(unit, assigned_on)?;
                    if named.contains(unit.id()) {
                        return Err(TaskError::UnitNamedTwice(unit.id().clone()));
                    }
                    named.push(unit.id().clone());
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
            TaskCommand::IssueReminder { on, note, basis } => {
                self.open_on(on)?;
                Ok(TaskEvent::ReminderIssued { on, note, basis })
            }
            TaskCommand::ExtendDeadline {
                deadline,
                on,
                reason,
                basis,
            } => {
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
            TaskCommand::TransferResponsibility {
                to,
                on,
                reason,
                basis,
            } => {
                self.open_on(on)?;
                proof_for(&to, on)?;
                let from = self.lead.clone().ok_or(TaskError::NotAssigned)?;
                if &from == to.id() {
                    return Err(TaskError::AlreadyLead(from));
                }
                Ok(TaskEvent::ResponsibilityTransferred {
                    from,
                    to: to.id().clone(),
                    on,
                    reason,
                    basis,
                })
            }
            TaskCommand::ReportProgress {
                by,
                percent,
                note,
                on,
            } => {
                self.open_on(on)?;
                if self.lead.as_ref() != Some(&by) && !self.coordinating.contains(&by) {
                    return Err(TaskError::NotResponsible(by));
                }
                Ok(TaskEvent::ProgressReported {
                    by,
                    percent,
                    note,
                    on,
                })
            }
            TaskCommand::Complete {
                by,
                deliverable,
                on,
            } => {
                self.open_on(on)?;
                if self.lead.as_ref() != Some(&by) {
                    return Err(TaskError::NotResponsible(by));
                }
                Ok(TaskEvent::TaskCompleted {
                    by,
                    deliverable,
                    on,
                })
            }
            TaskCommand::Cancel { on, reason, basis } => {
                self.open_on(on)?;
                Ok(TaskEvent::TaskCancelled { on, reason, basis })
            }
        }
    }
}

fn proof_for(unit: &ActiveUnit, on: NaiveDate) -> Result<(), TaskError> {
    if unit.on() != on {
        return Err(TaskError::ProofForAnotherDay {
            unit: unit.id().clone(),
            checked: unit.on(),
            on,
        });
    }
    Ok(())
}

impl Aggregate for Task {
    const TYPE: &'static str = "task";
    type Command = TaskCommand;
    type Event = TaskEvent;
    type Error = TaskError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TaskCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), TaskError> {
        let event = self.decide(command)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: TaskEvent) {
        match event {
            TaskEvent::TaskAssigned {
                id,
                lead,
                coordinating,
                deadline,
                assigned_on,
                ..
            } => {
                self.id = Some(id);
                self.lead = Some(lead);
                self.coordinating = coordinating;
                self.deadline = Some(deadline);
                self.assigned_on = Some(assigned_on);
                self.status = TaskStatus::Open;
            }
            TaskEvent::ReminderIssued { .. } => {}
            TaskEvent::DeadlineExtended { to, .. } => self.deadline = Some(to),
            TaskEvent::ResponsibilityTransferred { to, .. } => {
                self.coordinating.retain(|u| u != &to);
                self.lead = Some(to);
            }
            TaskEvent::ProgressReported { percent, .. } => self.percent = Some(percent),
            TaskEvent::TaskCompleted { on, .. } => self.status = TaskStatus::Completed { on },
            TaskEvent::TaskCancelled { on, .. } => self.status = TaskStatus::Cancelled { on },
        }
    }
}

#[cfg(test)]
mod tests;
