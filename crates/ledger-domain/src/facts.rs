//! What a command needs to know beyond its own aggregate, loaded from the log before it is
//! decided: which units were active on a day (as [`ActiveUnit`] proofs), which are registered,
//! the tasks a report's lines speak of, and whether another stream already holds a key that
//! must be unique (one report per unit, plan and period).
//!
//! A command declares what it needs ([`Needs`], from [`crate::command::Command::needs`]); the
//! command path loads it into [`Facts`], which the aggregate receives as its cqrs-es services.
//! Tests build facts directly.
//!
//! A fact must still hold when the decision is appended: the events of the streams read as
//! facts ([`FACT_STREAM_TYPES`]) carry their stream id as a tag, and the append is fenced by a
//! condition on those tags after the position the facts were read at, so a unit dissolved or
//! a task completed in between makes the command decide again.

use std::collections::HashMap;

use crate::task::Task;
use crate::unit::{ActiveUnit, Unit};
use crate::value::{Date, TaskId, UnitId};

/// The aggregates whose state other commands read as facts (units, tasks): their events
/// carry their stream id (`unit/so-tu-phap`) as a tag.
pub const FACT_STREAM_TYPES: &[&str] = &["unit", "task"];

/// What a command needs loaded before it is decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Units that must be active on a day (a proof is made for each).
    pub active: Vec<(UnitId, Date)>,
    /// Units that must be registered (whatever their status).
    pub registered: Vec<UnitId>,
    /// Tasks whose state the decision reads (a report's lines).
    pub tasks: Vec<TaskId>,
    /// A key only one stream may hold: the command is refused if another already does.
    pub unique: Option<Unique>,
}

impl Needs {
    /// Needs a proof that `unit` was active on `on`.
    #[must_use]
    pub fn active(mut self, unit: &UnitId, on: Date) -> Self {
        self.active.push((unit.clone(), on));
        self
    }

    /// Needs proofs that `units` were active on `on`.
    #[must_use]
    pub fn all_active<'a>(mut self, units: impl IntoIterator<Item = &'a UnitId>, on: Date) -> Self {
        self.active
            .extend(units.into_iter().map(|u| (u.clone(), on)));
        self
    }

    /// Needs `unit` to be registered.
    #[must_use]
    pub fn registered(mut self, unit: &UnitId) -> Self {
        self.registered.push(unit.clone());
        self
    }
}

/// A key only one stream may hold, found by the tag its creating event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unique {
    /// The creating event's type.
    pub event_type: &'static str,
    /// The tag.
    pub tag: String,
}

/// Why a fact refuses a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactError {
    /// A unit the command names is not registered.
    #[error("unit {0} is not registered")]
    UnknownUnit(UnitId),
    /// A unit the command names was not active on the day (not yet established, or ceased).
    #[error("unit {unit} is not active on {on}")]
    Inactive {
        /// The unit.
        unit: UnitId,
        /// The day.
        on: Date,
    },
    /// The command path did not load a fact the decision asked for: a defect, not the
    /// caller's fault.
    #[error("the decision needed a fact that was not loaded: {0}")]
    NotLoaded(String),
}

impl FactError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::UnknownUnit(id) => format!("đơn vị {id} chưa được đăng ký"),
            Self::Inactive { unit, on } => {
                format!("đơn vị {unit} không hoạt động vào ngày {}", on.vi())
            }
            Self::NotLoaded(_) => "lỗi hệ thống khi nạp dữ liệu; vui lòng báo quản trị".to_owned(),
        }
    }
}

/// The facts loaded for one command.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    active: HashMap<(UnitId, Date), Result<ActiveUnit, FactError>>,
    registered: HashMap<UnitId, bool>,
    tasks: HashMap<TaskId, Task>,
    holders: Vec<String>,
}

impl Facts {
    /// No facts.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records what the unit `id`'s state says about `on` (its state as loaded from the log;
    /// the default state when it is not registered).
    pub fn record_unit(&mut self, id: &UnitId, unit: &Unit, on: Date) {
        let proof = if unit.id().is_none() {
            Err(FactError::UnknownUnit(id.clone()))
        } else {
            unit.active_on(on).map_err(|_| FactError::Inactive {
                unit: id.clone(),
                on,
            })
        };
        self.registered.insert(id.clone(), unit.id().is_some());
        self.active.insert((id.clone(), on), proof);
    }

    /// Records whether `id` is registered.
    pub fn record_registered(&mut self, id: &UnitId, unit: &Unit) {
        self.registered.insert(id.clone(), unit.id().is_some());
    }

    /// Records a task's state (the default state when it was never assigned).
    pub fn record_task(&mut self, id: &TaskId, task: Task) {
        self.tasks.insert(id.clone(), task);
    }

    /// Records the streams that already hold the command's unique key.
    pub fn record_holders(&mut self, streams: Vec<String>) {
        self.holders = streams;
    }

    /// Proof that `unit` was active on `on`.
    ///
    /// # Errors
    /// [`FactError::UnknownUnit`], [`FactError::Inactive`], or [`FactError::NotLoaded`] when
    /// the command did not declare the need.
    pub fn active(&self, unit: &UnitId, on: Date) -> Result<ActiveUnit, FactError> {
        self.active
            .get(&(unit.clone(), on))
            .cloned()
            .unwrap_or_else(|| Err(FactError::NotLoaded(format!("unit {unit} on {on}"))))
    }

    /// Checks that `unit` is registered.
    ///
    /// # Errors
    /// [`FactError::UnknownUnit`], or [`FactError::NotLoaded`].
    pub fn registered(&self, unit: &UnitId) -> Result<(), FactError> {
        match self.registered.get(unit) {
            Some(true) => Ok(()),
            Some(false) => Err(FactError::UnknownUnit(unit.clone())),
            None => Err(FactError::NotLoaded(format!(
                "whether {unit} is registered"
            ))),
        }
    }

    /// A task's state, if it was loaded (the default state for a task never assigned).
    #[must_use]
    pub fn task(&self, id: &TaskId) -> Option<&Task> {
        self.tasks.get(id)
    }

    /// The streams that already hold the command's unique key.
    #[must_use]
    pub fn holders(&self) -> &[String] {
        &self.holders
    }
}
