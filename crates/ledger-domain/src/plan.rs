//! Plans (Kế hoạch): a unit's implementation plan for a programme or a parent plan. A plan
//! may require named units to issue their own plans by a date (Kế hoạch 44-KH/TU requires
//! every party delegation, department and mass organisation to); the plans they issue are
//! recorded against it, so the ones still missing are derived.

use chrono::NaiveDate;
use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::unit::ActiveUnit;
use crate::value::{DocumentNumber, PlanId, ProgrammeId, Title, UnitId};

/// What a plan implements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Implements {
    /// A programme (Đề án).
    Programme(ProgrammeId),
    /// A parent plan.
    Plan(PlanId),
}

/// A unit that must issue its own plan, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequiredPlan {
    /// The unit.
    pub unit: UnitId,
    /// The due date.
    pub due: NaiveDate,
}

/// Commands on a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanCommand {
    /// Issues the plan.
    Issue {
        /// Its id.
        id: PlanId,
        /// Its document number (`44-KH/TU`).
        document: DocumentNumber,
        /// The issuing unit, active on `issued_on`.
        issuer: ActiveUnit,
        /// Its title.
        title: Title,
        /// What it implements.
        implements: Implements,
        /// The units that must issue their own plans.
        required_unit_plans: Vec<RequiredPlan>,
        /// The day it was issued.
        issued_on: NaiveDate,
    },
    /// Amends the title or the required unit plans (whole).
    Amend {
        /// New title.
        title: Option<Title>,
        /// New list of required unit plans.
        required_unit_plans: Option<Vec<RequiredPlan>>,
        /// The day.
        on: NaiveDate,
        /// The amending document.
        basis: DocumentNumber,
    },
    /// Records that a required unit issued its plan.
    RecordUnitPlan {
        /// The unit.
        unit: UnitId,
        /// Its plan.
        plan: PlanId,
        /// The day it was issued.
        on: NaiveDate,
    },
    /// Replaces the plan by another.
    Supersede {
        /// The new plan.
        by: PlanId,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: DocumentNumber,
    },
}

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
        issued_on: NaiveDate,
    },
    /// The plan was amended.
    PlanAmended {
        /// New title.
        title: Option<Title>,
        /// New required unit plans.
        required_unit_plans: Option<Vec<RequiredPlan>>,
        /// The day.
        on: NaiveDate,
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
        on: NaiveDate,
    },
    /// The plan was superseded.
    PlanSuperseded {
        /// The new plan.
        by: PlanId,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: DocumentNumber,
    },
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
    /// Already issued.
    #[error("plan {0} is already issued")]
    AlreadyIssued(PlanId),
    /// Not issued yet.
    #[error("the plan has not been issued")]
    NotIssued,
    /// Superseded.
    #[error("plan {0} was superseded")]
    Superseded(PlanId),
    /// The issuer proof was made for another day.
    #[error("unit {unit} was checked for {checked}, not for {on}")]
    ProofForAnotherDay {
        /// The unit.
        unit: UnitId,
        /// The day checked.
        checked: NaiveDate,
        /// The day of issue.
        on: NaiveDate,
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
        due: NaiveDate,
        /// The issue date.
        issued_on: NaiveDate,
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
        on: NaiveDate,
        /// The issue date.
        issued_on: NaiveDate,
    },
}

impl PlanError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &NaiveDate| x.format("%d/%m/%Y").to_string();
        match self {
            Self::AlreadyIssued(id) => format!("kế hoạch {id} đã được ban hành"),
            Self::NotIssued => "kế hoạch chưa được ban hành".to_owned(),
            Self::Superseded(id) => format!("kế hoạch {id} đã được thay thế"),
            Self::ProofForAnotherDay { unit, checked, on } => format!(
                "đơn vị {unit} được kiểm tra cho ngày {}, không phải ngày {}",
                d(checked),
                d(on)
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
    issued_on: Option<NaiveDate>,
    required: Vec<RequiredPlan>,
    recorded: Vec<(UnitId, PlanId)>,
    superseded_by: Option<PlanId>,
}

impl Plan {
    /// The units whose plans were due before `date` and have not been recorded.
    #[must_use]
    pub fn missing_unit_plans_on(&self, date: NaiveDate) -> Vec<&RequiredPlan> {
        self.required
            .iter()
            .filter(|r| r.due < date && !self.recorded.iter().any(|(u, _)| u == &r.unit))
            .collect()
    }

    fn open_on(&self, on: NaiveDate) -> Result<(&PlanId, NaiveDate), PlanError> {
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

    fn decide(&self, command: PlanCommand) -> Result<PlanEvent, PlanError> {
        match command {
            PlanCommand::Issue {
                id,
                document,
                issuer,
                title,
                implements,
                required_unit_plans,
                issued_on,
            } => {
                if let Some(existing) = &self.id {
                    return Err(PlanError::AlreadyIssued(existing.clone()));
                }
                if issuer.on() != issued_on {
                    return Err(PlanError::ProofForAnotherDay {
                        unit: issuer.id().clone(),
                        checked: issuer.on(),
                        on: issued_on,
                    });
                }
                check_required(&required_unit_plans, issuer.id(), issued_on)?;
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
            PlanCommand::Amend {
                title,
                required_unit_plans,
                on,
                basis,
            } => {
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
            PlanCommand::RecordUnitPlan { unit, plan, on } => {
                self.open_on(on)?;
                if !self.required.iter().any(|r| r.unit == unit) {
                    return Err(PlanError::NotRequired(unit));
                }
                if self.recorded.iter().any(|(u, _)| u == &unit) {
                    return Err(PlanError::AlreadyRecorded(unit));
                }
                Ok(PlanEvent::UnitPlanRecorded { unit, plan, on })
            }
            PlanCommand::Supersede { by, on, basis } => {
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
    issued_on: NaiveDate,
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
    type Services = ();

    async fn handle(
        &mut self,
        command: PlanCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PlanError> {
        let event = self.decide(command)?;
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
