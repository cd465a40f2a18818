//! Obstacles (khó khăn, vướng mắc): raised by a unit against a task, escalated to bodies that
//! can resolve them, and resolved by a document or decision.

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::value::{Date, DocumentNumber, LongText, ObstacleId, TaskId, UnitId};

/// A unit raises an obstacle against a task (nêu khó khăn, vướng mắc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct RaiseObstacle {
    /// Its id.
    pub id: ObstacleId,
    /// The task it blocks.
    pub task: TaskId,
    /// The raising unit, active on the day (a unit reporter's own).
    pub by: UnitId,
    /// What is in the way.
    pub description: LongText,
    /// The day.
    pub raised_on: Date,
}

/// Passes an obstacle to a body that can resolve it (e.g. the steering committee).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct EscalateObstacle {
    /// The obstacle.
    pub id: ObstacleId,
    /// The body it goes to, active on the day.
    pub to: UnitId,
    /// The day.
    pub on: Date,
    /// Why, or what is asked.
    #[serde(default)]
    pub note: Option<LongText>,
}

/// Records how an obstacle was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ResolveObstacle {
    /// The obstacle.
    pub id: ObstacleId,
    /// The day.
    pub on: Date,
    /// What was decided.
    pub resolution: LongText,
    /// The document or decision that resolved it.
    pub basis: DocumentNumber,
}

/// Commands on an obstacle.
#[derive(Debug, Clone, PartialEq)]
pub enum ObstacleCommand {
    /// [`RaiseObstacle`].
    Raise(RaiseObstacle),
    /// [`EscalateObstacle`].
    Escalate(EscalateObstacle),
    /// [`ResolveObstacle`].
    Resolve(ResolveObstacle),
}

impl_command!(RaiseObstacle: "raise_obstacle", ObstacleCommand::Raise of Obstacle,
roles: &[Role::UnitReporter], id: |c| c.id, on: raised_on, reporting: by;
fn needs(&self, _: &Obstacle) -> Needs {
    Needs::default().active(&self.by, self.raised_on)
});

impl_command!(EscalateObstacle: "escalate_obstacle", ObstacleCommand::Escalate of Obstacle,
roles: &[Role::Secretariat], id: |c| c.id, on: on;
fn reason(&self) -> Option<&LongText> {
    self.note.as_ref()
}
fn needs(&self, _: &Obstacle) -> Needs {
    Needs::default().active(&self.to, self.on)
});

impl_command!(ResolveObstacle: "resolve_obstacle", ObstacleCommand::Resolve of Obstacle,
    roles: &[Role::Secretariat], id: |c| c.id, on: on, basis: basis);

/// Events of an obstacle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ObstacleEvent {
    /// An obstacle was raised.
    ObstacleRaised {
        /// Its id.
        id: ObstacleId,
        /// The task.
        task: TaskId,
        /// The raising unit.
        by: UnitId,
        /// What is in the way.
        description: LongText,
        /// The day.
        raised_on: Date,
    },
    /// It was escalated.
    ObstacleEscalated {
        /// The body it went to.
        to: UnitId,
        /// The day.
        on: Date,
        /// Why.
        note: Option<LongText>,
    },
    /// It was resolved.
    ObstacleResolved {
        /// The day.
        on: Date,
        /// What was decided.
        resolution: LongText,
        /// The resolving document.
        basis: DocumentNumber,
    },
}

impl Tagged for ObstacleEvent {}

impl DomainEvent for ObstacleEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ObstacleRaised { .. } => "ObstacleRaised",
            Self::ObstacleEscalated { .. } => "ObstacleEscalated",
            Self::ObstacleResolved { .. } => "ObstacleResolved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why an obstacle command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObstacleError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// Already raised.
    #[error("obstacle {0} is already raised")]
    AlreadyRaised(ObstacleId),
    /// Not raised yet.
    #[error("the obstacle has not been raised")]
    NotRaised,
    /// Already resolved.
    #[error("obstacle {0} is already resolved")]
    Resolved(ObstacleId),
    /// Escalated to the body that already holds it.
    #[error("the obstacle is already with {0}")]
    AlreadyWith(UnitId),
    /// A change dated before the obstacle's latest step.
    #[error("the change on {on} comes before {since}, the obstacle's latest step")]
    BeforeLatestStep {
        /// The change's day.
        on: Date,
        /// The latest step's day.
        since: Date,
    },
}

impl Refusal for ObstacleError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            Self::AlreadyRaised(_) => RefusalKind::AlreadyExists,
            _ => RefusalKind::Rule,
        }
    }
}

impl ObstacleError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &Date| x.vi().to_string();
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyRaised(id) => format!("vướng mắc {id} đã được nêu"),
            Self::NotRaised => "vướng mắc chưa được nêu".to_owned(),
            Self::Resolved(id) => format!("vướng mắc {id} đã được giải quyết"),
            Self::AlreadyWith(u) => format!("vướng mắc đang do {u} xử lý"),
            Self::BeforeLatestStep { on, since } => {
                format!("ngày {} sớm hơn bước xử lý gần nhất ({})", d(on), d(since))
            }
        }
    }
}

/// The state of an obstacle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Obstacle {
    id: Option<ObstacleId>,
    holder: Option<UnitId>,
    latest_step: Option<Date>,
    raised_on: Option<Date>,
    resolved_on: Option<Date>,
}

impl Obstacle {
    /// Whether it is raised and not resolved.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.id.is_some() && self.resolved_on.is_none()
    }

    /// How many days it has been open on `date` (until resolution, if resolved).
    #[must_use]
    pub fn age_on(&self, date: Date) -> Option<i64> {
        let raised = self.raised_on?;
        let end = self.resolved_on.map_or(date, |r| r.min(date));
        Some((end - raised).num_days().max(0))
    }

    fn open_on(&self, on: Date) -> Result<(), ObstacleError> {
        let id = self.id.as_ref().ok_or(ObstacleError::NotRaised)?;
        if self.resolved_on.is_some() {
            return Err(ObstacleError::Resolved(id.clone()));
        }
        if let Some(since) = self.latest_step
            && on < since
        {
            return Err(ObstacleError::BeforeLatestStep { on, since });
        }
        Ok(())
    }

    fn decide(
        &self,
        command: ObstacleCommand,
        facts: &Facts,
    ) -> Result<ObstacleEvent, ObstacleError> {
        match command {
            ObstacleCommand::Raise(RaiseObstacle {
                id,
                task,
                by,
                description,
                raised_on,
                ..
            }) => {
                if let Some(existing) = &self.id {
                    return Err(ObstacleError::AlreadyRaised(existing.clone()));
                }
                let by = facts.active(&by, raised_on)?;
                Ok(ObstacleEvent::ObstacleRaised {
                    id,
                    task,
                    by: by.id().clone(),
                    description,
                    raised_on,
                })
            }
            ObstacleCommand::Escalate(EscalateObstacle { to, on, note, .. }) => {
                self.open_on(on)?;
                if self.holder.as_ref() == Some(&to) {
                    return Err(ObstacleError::AlreadyWith(to));
                }
                facts.active(&to, on)?;
                Ok(ObstacleEvent::ObstacleEscalated { to, on, note })
            }
            ObstacleCommand::Resolve(ResolveObstacle {
                on,
                resolution,
                basis,
                ..
            }) => {
                self.open_on(on)?;
                Ok(ObstacleEvent::ObstacleResolved {
                    on,
                    resolution,
                    basis,
                })
            }
        }
    }
}

impl Aggregate for Obstacle {
    const TYPE: &'static str = "obstacle";
    type Command = ObstacleCommand;
    type Event = ObstacleEvent;
    type Error = ObstacleError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: ObstacleCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), ObstacleError> {
        let event = self.decide(command, facts)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: ObstacleEvent) {
        match event {
            ObstacleEvent::ObstacleRaised {
                id, by, raised_on, ..
            } => {
                self.id = Some(id);
                self.holder = Some(by);
                self.raised_on = Some(raised_on);
                self.latest_step = Some(raised_on);
            }
            ObstacleEvent::ObstacleEscalated { to, on, .. } => {
                self.holder = Some(to);
                self.latest_step = Some(on);
            }
            ObstacleEvent::ObstacleResolved { on, .. } => {
                self.resolved_on = Some(on);
                self.latest_step = Some(on);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FactError;
    use crate::test_support::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<Obstacle>;

    /// The units the tests name, active on the days they name them.
    fn known() -> crate::facts::Facts {
        facts(&[
            ("cuc-thads", day(2022, 6, 1)),
            ("ban-chi-dao-cctp", day(2022, 6, 10)),
        ])
    }

    fn obstacle_id() -> ObstacleId {
        ObstacleId::parse("thieu-bien-che-thads").unwrap()
    }
    fn raised() -> ObstacleEvent {
        ObstacleEvent::ObstacleRaised {
            id: obstacle_id(),
            task: TaskId::parse("thi-hanh-an-ton-dong").unwrap(),
            by: unit_id("cuc-thads"),
            description: text("Thiếu biên chế chấp hành viên"),
            raised_on: day(2022, 6, 1),
        }
    }
    fn escalated() -> ObstacleEvent {
        ObstacleEvent::ObstacleEscalated {
            to: unit_id("ban-chi-dao-cctp"),
            on: day(2022, 6, 10),
            note: Some(text("Đề nghị Ban Chỉ đạo cho ý kiến")),
        }
    }
    fn resolved() -> ObstacleEvent {
        ObstacleEvent::ObstacleResolved {
            on: day(2022, 9, 1),
            resolution: text("Bổ sung 3 biên chế"),
            basis: doc("1234/QĐ-UBND"),
        }
    }

    #[test]
    fn raise_an_obstacle() {
        Given::with(known())
            .given_no_previous_events()
            .when(ObstacleCommand::Raise(RaiseObstacle {
                id: obstacle_id(),
                task: TaskId::parse("thi-hanh-an-ton-dong").unwrap(),
                by: unit_id("cuc-thads"),
                description: text("Thiếu biên chế chấp hành viên"),
                raised_on: day(2022, 6, 1),
            }))
            .then_expect_events(vec![raised()]);
    }

    #[test]
    fn raise_refusals() {
        let raise = |on| {
            ObstacleCommand::Raise(RaiseObstacle {
                id: obstacle_id(),
                task: TaskId::parse("thi-hanh-an-ton-dong").unwrap(),
                by: unit_id("cuc-thads"),
                description: text("Thiếu"),
                raised_on: on,
            })
        };
        Given::with(known())
            .given(vec![raised()])
            .when(raise(day(2022, 6, 1)))
            .then_expect_error(ObstacleError::AlreadyRaised(obstacle_id()));
        Given::with(known())
            .given_no_previous_events()
            .when(raise(day(2022, 6, 2)))
            .then_expect_error(ObstacleError::Fact(FactError::NotLoaded(format!(
                "unit {} on {}",
                unit_id("cuc-thads"),
                day(2022, 6, 2)
            ))));
    }

    #[test]
    fn escalate_to_the_steering_committee() {
        Given::with(known())
            .given(vec![raised()])
            .when(ObstacleCommand::Escalate(EscalateObstacle {
                to: unit_id("ban-chi-dao-cctp"),
                on: day(2022, 6, 10),
                note: Some(text("Đề nghị Ban Chỉ đạo cho ý kiến")),
                id: obstacle_id(),
            }))
            .then_expect_events(vec![escalated()]);
    }

    #[test]
    fn escalate_refusals() {
        let escalate = |to: &str, on| {
            ObstacleCommand::Escalate(EscalateObstacle {
                to: unit_id(to),
                on,
                note: None,
                id: obstacle_id(),
            })
        };
        Given::with(known())
            .given_no_previous_events()
            .when(escalate("ban-chi-dao-cctp", day(2022, 6, 10)))
            .then_expect_error(ObstacleError::NotRaised);
        Given::with(known())
            .given(vec![raised(), escalated()])
            .when(escalate("ban-chi-dao-cctp", day(2022, 6, 11)))
            .then_expect_error(ObstacleError::AlreadyWith(unit_id("ban-chi-dao-cctp")));
        Given::with(known())
            .given(vec![raised(), escalated()])
            .when(escalate("ubnd-tinh", day(2022, 6, 5)))
            .then_expect_error(ObstacleError::BeforeLatestStep {
                on: day(2022, 6, 5),
                since: day(2022, 6, 10),
            });
        Given::with(known())
            .given(vec![raised(), resolved()])
            .when(escalate("ubnd-tinh", day(2022, 9, 5)))
            .then_expect_error(ObstacleError::Resolved(obstacle_id()));
    }

    #[test]
    fn resolve_with_a_decision() {
        Given::with(known())
            .given(vec![raised(), escalated()])
            .when(ObstacleCommand::Resolve(ResolveObstacle {
                on: day(2022, 9, 1),
                resolution: text("Bổ sung 3 biên chế"),
                basis: doc("1234/QĐ-UBND"),
                id: obstacle_id(),
            }))
            .then_expect_events(vec![resolved()]);
    }

    #[test]
    fn resolving_twice_is_refused() {
        Given::with(known())
            .given(vec![raised(), resolved()])
            .when(ObstacleCommand::Resolve(ResolveObstacle {
                on: day(2022, 9, 2),
                resolution: text("Lại"),
                basis: doc("1235/QĐ-UBND"),
                id: obstacle_id(),
            }))
            .then_expect_error(ObstacleError::Resolved(obstacle_id()));
    }

    #[test]
    fn age_is_counted_until_resolution() {
        let mut o = Obstacle::default();
        o.apply(raised());
        assert!(o.is_open());
        assert_eq!(o.age_on(day(2022, 6, 11)), Some(10));
        o.apply(resolved());
        assert!(!o.is_open());
        assert_eq!(o.age_on(day(2023, 1, 1)), Some(92));
        assert!(ObstacleError::NotRaised.vi().contains("chưa được nêu"));
    }
}
