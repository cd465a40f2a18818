//! The command path: every change users make — through the API, an import or the command
//! line — goes through [`Ledger`], which loads the facts a command needs (is the unit active on
//! that day?), runs the domain's decision on cqrs-es, and appends the events to the store with
//! the caller's typed [`CommandContext`] (actor, unit, reason, document) as their metadata.
//!
//! Stream ids are `{aggregate type}/{id}` (`unit/so-tu-phap`, `task/kh44-nv-12`), so ids of
//! different kinds never collide in the global log.

pub mod scenario;

use chrono::NaiveDate;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework, EventStore as _};
use ledger_domain::briefing::BriefingError;
use ledger_domain::document::DocumentError;
use ledger_domain::focus::FocusError;
use ledger_domain::obstacle::ObstacleError;
use ledger_domain::plan::PlanError;
use ledger_domain::programme::ProgrammeError;
use ledger_domain::report::ReportError;
use ledger_domain::supervision::SupervisionError;
use ledger_domain::task::{Task, TaskCommand, TaskError};
use ledger_domain::unit::{ActiveUnit, Unit, UnitCommand, UnitError};
use ledger_domain::upcast::upcasters;
use ledger_domain::value::{DocumentNumber, GroupNumber, LongText, PlanId, TaskId, Title, UnitId};
use ledger_store::EventStore;
use ledger_store::cqrs::{CommandContext, LedgerRepository};

/// Why a command did not go through.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A unit rule refused it.
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// A task rule refused it.
    #[error(transparent)]
    Task(#[from] TaskError),
    /// A document rule refused it.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A programme rule refused it.
    #[error(transparent)]
    Programme(#[from] ProgrammeError),
    /// A plan rule refused it.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A focus programme rule refused it.
    #[error(transparent)]
    Focus(#[from] FocusError),
    /// A report rule refused it.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// An obstacle rule refused it.
    #[error(transparent)]
    Obstacle(#[from] ObstacleError),
    /// A supervision rule refused it.
    #[error(transparent)]
    Supervision(#[from] SupervisionError),
    /// A briefing rule refused it.
    #[error(transparent)]
    Briefing(#[from] BriefingError),
    /// A unit the command names is not registered.
    #[error("unit {0} is not registered")]
    UnknownUnit(UnitId),
    /// Another change to the same aggregate won the race; reload and retry.
    #[error("another change to {0} came first; try again")]
    Conflict(String),
    /// The input cannot be recorded as given (e.g. a date outside the years the log holds).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The store failed.
    #[error("the event store failed: {0}")]
    Store(String),
}

impl AppError {
    /// The message in Vietnamese, for users.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::Unit(e) => e.vi(),
            Self::Task(e) => e.vi(),
            Self::Document(e) => e.vi(),
            Self::Programme(e) => e.vi(),
            Self::Plan(e) => e.vi(),
            Self::Focus(e) => e.vi(),
            Self::Report(e) => e.vi(),
            Self::Obstacle(e) => e.vi(),
            Self::Supervision(e) => e.vi(),
            Self::Briefing(e) => e.vi(),
            Self::UnknownUnit(id) => format!("đơn vị {id} chưa được đăng ký"),
            Self::Conflict(id) => {
                format!("{id} vừa được thay đổi bởi thao tác khác; vui lòng thử lại")
            }
            Self::Invalid(message) => format!("dữ liệu không hợp lệ: {message}"),
            Self::Store(_) => "lỗi lưu trữ; vui lòng thử lại sau".to_owned(),
        }
    }
}

fn from_aggregate<E: std::error::Error + Into<AppError>>(
    stream: &str,
    error: AggregateError<E>,
) -> AppError {
    match error {
        AggregateError::UserError(e) => e.into(),
        AggregateError::AggregateConflict => AppError::Conflict(stream.to_owned()),
        other => AppError::Store(other.to_string()),
    }
}

type Persisted<S, A> = PersistedEventStore<LedgerRepository<S>, A>;

/// Assigning a task, as users give it: units by id. [`Ledger::assign_task`] checks that each
/// was active on the day.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignTask {
    /// The task's id.
    pub id: TaskId,
    /// Its plan.
    pub plan: PlanId,
    /// Its solution group.
    pub group: Option<GroupNumber>,
    /// What is to be done.
    pub title: Title,
    /// The lead unit.
    pub lead: UnitId,
    /// Coordinating units.
    pub coordinating: Vec<UnitId>,
    /// Due date.
    pub deadline: NaiveDate,
    /// Expected output.
    pub deliverable: Option<Title>,
    /// Day of assignment.
    pub assigned_on: NaiveDate,
    /// The assigning document.
    pub basis: DocumentNumber,
}

/// The command path over a store.
pub struct Ledger<S: EventStore> {
    store: S,
    unit_loader: Persisted<S, Unit>,
}

fn stream<A: Aggregate>(id: &str) -> String {
    format!("{}/{id}", A::TYPE)
}

impl<S: EventStore> Ledger<S> {
    /// A command path over `store`.
    pub fn new(store: S) -> Self {
        Self {
            unit_loader: PersistedEventStore::new_event_store(LedgerRepository::new(store.clone()))
                .with_upcasters(upcasters()),
            store,
        }
    }

    /// Runs any aggregate's command on stream `{A::TYPE}/{id}` with the caller's context. Commands
    /// that name units take [`ActiveUnit`] proofs: get them from [`Ledger::active_unit`].
    ///
    /// # Errors
    /// The domain's refusal, a conflict or a store failure.
    pub async fn execute<A>(
        &self,
        context: &CommandContext,
        id: &str,
        command: A::Command,
    ) -> Result<(), AppError>
    where
        A: Aggregate<Services = ()>,
        A::Error: Into<AppError>,
    {
        let stream_id = stream::<A>(id);
        let store =
            PersistedEventStore::<_, A>::new_event_store(LedgerRepository::new(self.store.clone()))
                .with_upcasters(upcasters());
        CqrsFramework::new(store, vec![], ())
            .execute_with_metadata(&stream_id, command, context.to_cqrs_metadata())
            .await
            .map_err(|e| from_aggregate(&stream_id, e))
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// A unit's current state (the default state if it is not registered).
    ///
    /// # Errors
    /// [`AppError::Store`] when it cannot be read.
    pub async fn unit(&self, id: &UnitId) -> Result<Unit, AppError> {
        let context = self
            .unit_loader
            .load_aggregate(&stream::<Unit>(id.as_str()))
            .await
            .map_err(|e| AppError::Store(e.to_string()))?;
        Ok(context.aggregate)
    }

    /// Proof that a unit was active on `on`.
    ///
    /// # Errors
    /// [`AppError::UnknownUnit`], or [`AppError::Unit`] when it was not active that day.
    pub async fn active_unit(&self, id: &UnitId, on: NaiveDate) -> Result<ActiveUnit, AppError> {
        let unit = self.unit(id).await?;
        if unit.id().is_none() {
            return Err(AppError::UnknownUnit(id.clone()));
        }
        Ok(unit.active_on(on)?)
    }

    /// Runs a unit command. A merge target or successor must be a registered unit.
    ///
    /// # Errors
    /// The domain's refusal, an unknown unit, a conflict or a store failure.
    pub async fn execute_unit(
        &self,
        context: &CommandContext,
        id: &UnitId,
        command: UnitCommand,
    ) -> Result<(), AppError> {
        let named = match &command {
            UnitCommand::MergeInto { into, .. } => Some(into),
            UnitCommand::DeclareSuccessor { successor, .. } => Some(successor),
            UnitCommand::Reparent { parent, .. } => parent.as_ref(),
            UnitCommand::Register { parent, .. } => parent.as_ref(),
            UnitCommand::Rename { .. } | UnitCommand::Dissolve { .. } => None,
        };
        if let Some(other) = named
            && self.unit(other).await?.id().is_none()
        {
            return Err(AppError::UnknownUnit(other.clone()));
        }
        self.execute::<Unit>(context, id.as_str(), command).await
    }

    /// Assigns a task, checking that its units were active on the day of assignment.
    ///
    /// # Errors
    /// The domain's refusal, an unknown or inactive unit, a conflict or a store failure.
    pub async fn assign_task(
        &self,
        context: &CommandContext,
        request: AssignTask,
    ) -> Result<(), AppError> {
        let on = request.assigned_on;
        let lead = self.active_unit(&request.lead, on).await?;
        let mut coordinating = Vec::with_capacity(request.coordinating.len());
        for unit in &request.coordinating {
            coordinating.push(self.active_unit(unit, on).await?);
        }
        let command = TaskCommand::Assign {
            id: request.id.clone(),
            plan: request.plan,
            group: request.group,
            title: request.title,
            lead,
            coordinating,
            deadline: request.deadline,
            deliverable: request.deliverable,
            assigned_on: on,
            basis: request.basis,
        };
        self.execute_task(context, &request.id, command).await
    }

    /// Moves a task's lead to `to`, checking it was active on `on`.
    ///
    /// # Errors
    /// As [`Ledger::assign_task`].
    pub async fn transfer_task(
        &self,
        context: &CommandContext,
        id: &TaskId,
        to: &UnitId,
        on: NaiveDate,
        reason: LongText,
        basis: DocumentNumber,
    ) -> Result<(), AppError> {
        let to = self.active_unit(to, on).await?;
        let command = TaskCommand::TransferResponsibility {
            to,
            on,
            reason,
            basis,
        };
        self.execute_task(context, id, command).await
    }

    /// Runs a task command that names no unit needing a proof (reminders, extensions,
    /// progress, completion, cancellation), or one whose proofs are already built.
    ///
    /// # Errors
    /// The domain's refusal, a conflict or a store failure.
    pub async fn execute_task(
        &self,
        context: &CommandContext,
        id: &TaskId,
        command: TaskCommand,
    ) -> Result<(), AppError> {
        self.execute::<Task>(context, id.as_str(), command).await
    }
}

#[cfg(test)]
mod tests;
