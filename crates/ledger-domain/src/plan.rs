//! Plans (Kế hoạch): a unit's implementation plan for a programme or a parent plan. A plan
//! may require named units to issue their own plans by a date (Kế hoạch 44-KH/TU requires
//! every party delegation, department and mass organisation to); the plans they issue are
//! recorded against it, so the ones still missing are derived.

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs, Unique};
use crate::value::{Date, DocumentNumber, PlanId, ProgrammeId, Title, UnitId};

/// What a plan implements: written `{"kind": "programme", "id": …}` in scenario files and
/// `{programme: …}` or `{plan: …}` in GraphQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::OneofObject))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Implements {
    /// A programme (Đề án).
    Programme(ProgrammeId),
    /// A parent plan.
    Plan(PlanId),
}

/// A unit that must issue its own plan, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct RequiredPlan {
    /// The unit.
    pub unit: UnitId,
    /// The due date.
    pub due: Date,
}

/// Issues a plan (ban hành Kế hoạch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct IssuePlan {
    /// Its id.
    pub id: PlanId,
    /// Its document number (`44-KH/TU`).
    pub document: DocumentNumber,
    /// The issuing unit, active on the day.
    pub issuer: UnitId,
    /// Its title.
    pub title: Title,
    /// What it implements.
    pub implements: Implements,
    /// The units that must issue their own plans (each active on the day).
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub required_unit_plans: Vec<RequiredPlan>,
    /// The day it was issued.
    pub issued_on: Date,
}

/// Amends a plan's title or the unit plans it requires (whole).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AmendPlan {
    /// The plan.
    pub id: PlanId,
    /// New title.
    #[serde(default)]
    pub title: Option<Title>,
    /// New list of required unit plans.
    #[serde(default)]
    pub required_unit_plans: Option<Vec<RequiredPlan>>,
    /// The day it takes effect.
    pub on: Date,
    /// The amending document.
    pub basis: DocumentNumber,
}

/// Records that a required unit issued its plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct RecordUnitPlan {
    /// The requiring plan.
    pub plan: PlanId,
    /// The unit.
    pub unit: UnitId,
    /// The unit's plan.
    pub unit_plan: PlanId,
    /// The day it was issued.
    pub on: Date,
}

/// Records that another plan supersedes a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct SupersedePlan {
    /// The plan.
    pub id: PlanId,
    /// The plan that supersedes it.
    pub by: PlanId,
    /// The day it takes effect.
    pub on: Date,
    /// The document.
    pub basis: DocumentNumber,
}

/// Commands on a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanCommand {
    /// [`IssuePlan`].
    Issue(IssuePlan),
    /// [`AmendPlan`].
    Amend(AmendPlan),
    /// [`RecordUnitPlan`].
    RecordUnitPlan(RecordUnitPlan),
    /// [`SupersedePlan`].
    Supersede(SupersedePlan),
}

/// The tag of a unit's plan under a parent plan: one per (parent plan, issuing unit).
#[must_use]
pub fn unit_plan_tag(parent: &PlanId, issuer: &UnitId) -> String {
    format!("unit-plan:{parent}|{issuer}")
}

impl_command!(IssuePlan: "issue_plan", PlanCommand::Issue of Plan,
roles: &[Role::Secretariat], id: |c| c.id, on: issued_on, basis: document;
fn needs(&self, _: &Plan) -> Needs {
    let mut needs = Needs::default()
        .active(&self.issuer, self.issued_on)
        .all_active(
            self.required_unit_plans.iter().map(|r| &r.unit),
            self.issued_on,
        );
    if let Implements::Plan(parent) = &self.implements {
        needs.unique = Some(Unique {
            event_type: "PlanIssued",
            tag: unit_plan_tag(parent, &self.issuer),
        });
    }
    needs
});

impl_command!(AmendPlan: "amend_plan", PlanCommand::Amend of Plan,
    roles: &[Role::Secretariat], id: |c| c.id, on: on, scheduled: true, basis: basis);

impl_command!(RecordUnitPlan: "record_unit_plan", PlanCommand::RecordUnitPlan of Plan,
    roles: &[Role::Secretariat], id: |c| c.plan, on: on);

impl_command!(SupersedePlan: "supersede_plan", PlanCommand::Supersede of Plan,
    roles: &[Role::Secretariat], id: |c| c.id, on: on, scheduled: true, basis: basis);

/// Events of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum PlanEvent {
    /// The plan was issued.
    PlanIssued {
        /// Its id.
        id: PlanId,
        /// Its number.
        document: DocumentNumber,
        /// The issuing unit.
        issuer: UnitId,
        /// Its title.
        title: Title,
        /// What it implements.
        implements: Implements,
        /// Required unit plans.
        required_unit_plans: Vec<RequiredPlan>,
        /// The day.
        issued_on: Date,
    },
    /// The plan was amended.
    PlanAmended {
        /// New title.
        title: Option<Title>,
        /// New required unit plans.
        required_unit_plans: Option<Vec<RequiredPlan>>,
        /// The day.
        on: Date,
        /// The document.
        basis: DocumentNumber,
    },
    /// A required unit issued its plan.
    UnitPlanRecorded {
        /// The unit.
        unit: UnitId,
        /// Its plan.
        plan: PlanId,
        /// The day.
        on: Date,
    },
    /// The plan was superseded.
    PlanSuperseded {
        /// The new plan.
        by: PlanId,
        /// The day.
        on: Date,
        /// The document.
        basis: DocumentNumber,
    },
}

impl Tagged for PlanEvent {
    /// A plan implementing a parent plan carries the (parent, issuer) tag.
    fn tags(&self) -> Vec<String> {
        match self {
            Self::PlanIssued {
                implements: Implements::Plan(parent),
                issuer,
                ..
            } => vec![unit_plan_tag(parent, issuer)],
            _ => Vec::new(),
        }
    }
}

impl DomainEvent for PlanEvent {
    fn event_type(&self) -> String {
        match self {
            Self::PlanIssued { .. } => "PlanIssued",
            Self::PlanAmended { .. } => "PlanAmended",
            Self::UnitPlanRecorded { .. } => "UnitPlanRecorded",
            Self::PlanSuperseded { .. } => "PlanSuperseded",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a plan command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// Already issued.
    #[error("plan {0} is already issued")]
    AlreadyIssued(PlanId),
    /// Not issued yet.
    #[error("the plan has not been issued")]
    NotIssued,
    /// Superseded.
    #[error("plan {0} was superseded")]
    Superseded(PlanId),
    /// The issuer already has a plan under that parent plan: amend it instead.
    #[error(
        "{issuer} already has a plan under {parent} ({existing}); amend it instead of issuing another"
    )]
    UnitPlanExists {
        /// The parent plan.
        parent: PlanId,
        /// The issuing unit.
        issuer: UnitId,
        /// The stream of its plan.
        existing: String,
    },
    /// A unit is required twice, or the issuer requires a plan of itself.
    #[error("unit {0} is required twice, or is the issuer")]
    RequiredTwice(UnitId),
    /// A due date before the plan's issue.
    #[error("unit {unit}'s plan is due {due}, before the plan was issued on {issued_on}")]
    DueBeforeIssue {
        /// The unit.
        unit: UnitId,
        /// The due date.
        due: Date,
        /// The issue date.
        issued_on: Date,
    },
    /// The unit was not required to issue a plan.
    #[error("unit {0} is not required to issue a plan under this one")]
    NotRequired(UnitId),
    /// The unit's plan was already recorded.
    #[error("unit {0}'s plan is already recorded")]
    AlreadyRecorded(UnitId),
    /// An amendment that changes nothing.
    #[error("the amendment changes nothing")]
    NothingAmended,
    /// A plan cannot supersede itself.
    #[error("a plan cannot supersede itself")]
    SupersedesItself,
    /// A change dated before the plan's issue.
    #[error("the change on {on} comes before the plan was issued on {issued_on}")]
    BeforeIssue {
        /// The change's day.
        on: Date,
        /// The issue date.
        issued_on: Date,
    },
}

impl Refusal for PlanError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            Self::AlreadyIssued(_) | Self::UnitPlanExists { .. } => RefusalKind::AlreadyExists,
            _ => RefusalKind::Rule,
        }
    }
}

impl PlanError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &Date| x.vi().to_string();
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyIssued(id) => format!("kế hoạch {id} đã được ban hành"),
            Self::NotIssued => "kế hoạch chưa được ban hành".to_owned(),
            Self::Superseded(id) => format!("kế hoạch {id} đã được thay thế"),
            Self::UnitPlanExists {
                parent,
                issuer,
                existing,
            } => format!(
                "đơn vị {issuer} đã có kế hoạch thực hiện {parent} ({existing}); hãy sửa đổi kế hoạch đó thay vì ban hành kế hoạch mới"
            ),
            Self::RequiredTwice(u) => {
                format!("đơn vị {u} được yêu cầu hai lần hoặc là cơ quan ban hành")
            }
            Self::DueBeforeIssue {
                unit,
                due,
                issued_on,
            } => format!(
                "thời hạn {} của đơn vị {unit} sớm hơn ngày ban hành {}",
                d(due),
                d(issued_on)
            ),
            Self::NotRequired(u) => format!("đơn vị {u} không thuộc diện phải xây dựng kế hoạch"),
            Self::AlreadyRecorded(u) => format!("kế hoạch của đơn vị {u} đã được ghi nhận"),
            Self::NothingAmended => "văn bản sửa đổi không thay đổi nội dung nào".to_owned(),
            Self::SupersedesItself => "kế hoạch không thể thay thế chính nó".to_owned(),
            Self::BeforeIssue { on, issued_on } => {
                format!("ngày {} sớm hơn ngày ban hành {}", d(on), d(issued_on))
            }
        }
    }
}

/// The state of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    id: Option<PlanId>,
    issuer: Option<UnitId>,
    issued_on: Option<Date>,
    required: Vec<RequiredPlan>,
    recorded: Vec<(UnitId, PlanId)>,
    superseded_by: Option<PlanId>,
}

impl Plan {
    /// The units whose plans were due before `date` and have not been recorded.
    #[must_use]
    pub fn missing_unit_plans_on(&self, date: Date) -> Vec<&RequiredPlan> {
        self.required
            .iter()
            .filter(|r| r.due < date && !self.recorded.iter().any(|(u, _)| u == &r.unit))
            .collect()
    }

    fn open_on(&self, on: Date) -> Result<(&PlanId, Date), PlanError> {
        let (Some(id), Some(issued_on)) = (&self.id, self.issued_on) else {
            return Err(PlanError::NotIssued);
        };
        if self.superseded_by.is_some() {
            return Err(PlanError::Superseded(id.clone()));
        }
        if on < issued_on {
            return Err(PlanError::BeforeIssue { on, issued_on });
        }
        Ok((id, issued_on))
    }

    fn decide(&self, command: PlanCommand, facts: &Facts) -> Result<PlanEvent, PlanError> {
        match command {
            PlanCommand::Issue(IssuePlan {
                id,
                document,
                issuer,
                title,
                implements,
                required_unit_plans,
                issued_on,
                ..
            }) => {
                if let Some(existing) = &self.id {
                    return Err(PlanError::AlreadyIssued(existing.clone()));
                }
                let issuer = facts.active(&issuer, issued_on)?;
                check_required(&required_unit_plans, issuer.id(), issued_on)?;
                for required in &required_unit_plans {
                    facts.active(&required.unit, issued_on)?;
                }
                if let (Implements::Plan(parent), Some(existing)) =
                    (&implements, facts.holders().first())
                {
                    return Err(PlanError::UnitPlanExists {
                        parent: parent.clone(),
                        issuer: issuer.id().clone(),
                        existing: existing.clone(),
                    });
                }
                Ok(PlanEvent::PlanIssued {
                    id,
                    document,
                    issuer: issuer.id().clone(),
                    title,
                    implements,
                    required_unit_plans,
                    issued_on,
                })
            }
            PlanCommand::Amend(AmendPlan {
                title,
                required_unit_plans,
                on,
                basis,
                ..
            }) => {
                let (_, issued_on) = self.open_on(on)?;
                if title.is_none() && required_unit_plans.is_none() {
                    return Err(PlanError::NothingAmended);
                }
                if let (Some(required), Some(issuer)) = (&required_unit_plans, &self.issuer) {
                    check_required(required, issuer, issued_on)?;
                }
                Ok(PlanEvent::PlanAmended {
                    title,
                    required_unit_plans,
                    on,
                    basis,
                })
            }
            PlanCommand::RecordUnitPlan(RecordUnitPlan {
                unit,
                unit_plan: plan,
                on,
                ..
            }) => {
                self.open_on(on)?;
                if !self.required.iter().any(|r| r.unit == unit) {
                    return Err(PlanError::NotRequired(unit));
                }
                if self.recorded.iter().any(|(u, _)| u == &unit) {
                    return Err(PlanError::AlreadyRecorded(unit));
                }
                Ok(PlanEvent::UnitPlanRecorded { unit, plan, on })
            }
            PlanCommand::Supersede(SupersedePlan { by, on, basis, .. }) => {
                let (id, _) = self.open_on(on)?;
                if &by == id {
                    return Err(PlanError::SupersedesItself);
                }
                Ok(PlanEvent::PlanSuperseded { by, on, basis })
            }
        }
    }
}

fn check_required(
    required: &[RequiredPlan],
    issuer: &UnitId,
    issued_on: Date,
) -> Result<(), PlanError> {
    let mut seen: Vec<&UnitId> = vec![issuer];
    for r in required {
        if seen.contains(&&r.unit) {
            return Err(PlanError::RequiredTwice(r.unit.clone()));
        }
        if r.due < issued_on {
            return Err(PlanError::DueBeforeIssue {
                unit: r.unit.clone(),
                due: r.due,
                issued_on,
            });
        }
        seen.push(&r.unit);
    }
    Ok(())
}

impl Aggregate for Plan {
    const TYPE: &'static str = "plan";
    type Command = PlanCommand;
    type Event = PlanEvent;
    type Error = PlanError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: PlanCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), PlanError> {
        let event = self.decide(command, facts)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: PlanEvent) {
        match event {
            PlanEvent::PlanIssued {
                id,
                issuer,
                required_unit_plans,
                issued_on,
                ..
            } => {
                self.id = Some(id);
                self.issuer = Some(issuer);
                self.issued_on = Some(issued_on);
                self.required = required_unit_plans;
            }
            PlanEvent::PlanAmended {
                required_unit_plans,
                ..
            } => {
                if let Some(required) = required_unit_plans {
                    self.required = required;
                }
            }
            PlanEvent::UnitPlanRecorded { unit, plan, .. } => self.recorded.push((unit, plan)),
            PlanEvent::PlanSuperseded { by, .. } => self.superseded_by = Some(by),
        }
    }
}

#[cfg(test)]
mod tests;
