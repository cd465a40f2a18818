//! Units (cơ quan, đơn vị, địa phương): bodies that issue plans, lead tasks and report.
//!
//! A unit has a stable [`UnitId`]; its names and parents are kept over date ranges, and it
//! may be merged into another unit, dissolved, and given successors — each change with the
//! date it took effect and its legal basis. History is never rewritten: a change must take
//! effect after the state it changes, and a merged or dissolved unit takes no further
//! changes except successor declarations. Open tasks do not move with a merger; they move by
//! explicit transfer on the task.

use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::value::{Date, DocumentNumber, Title, UnitId};

/// What kind of body a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A Party organ (Tỉnh ủy, Ban Nội chính, …).
    PartyOrgan,
    /// A state administrative body (Sở Tư pháp, UBND, …).
    StateBody,
    /// A judicial body (court, procuracy, investigation, judgment enforcement).
    JudicialBody,
    /// An elected body (HĐND and its committees).
    ElectedBody,
    /// A mass organisation (MTTQ, Đoàn Luật sư, …).
    MassOrganisation,
    /// A locality (district, city, commune).
    Locality,
}

/// A value that holds from a date on, until the next entry of its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dated<T> {
    /// The first day it holds.
    pub from: Date,
    /// The value.
    pub value: T,
}

/// Registers a unit as it was on `established_on` (đăng ký đơn vị).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct RegisterUnit {
    /// Its stable id (a slug, never a name).
    pub id: UnitId,
    /// What kind of body it is.
    pub kind: UnitKind,
    /// Its name then.
    pub name: Title,
    /// The unit it belonged to then, if any.
    #[serde(default)]
    pub parent: Option<UnitId>,
    /// The day from which the ledger knows it.
    pub established_on: Date,
    /// The document that founded it, if known.
    #[serde(default)]
    pub basis: Option<DocumentNumber>,
}

/// Renames a unit from a day on (đổi tên).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct RenameUnit {
    /// The unit.
    pub id: UnitId,
    /// The new name.
    pub name: Title,
    /// The day the name takes effect.
    pub on: Date,
    /// The legal basis.
    pub basis: DocumentNumber,
}

/// Moves a unit under another parent, or none, from a day on (thay đổi cơ quan cấp trên).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct ReparentUnit {
    /// The unit.
    pub id: UnitId,
    /// The new parent (none: top level).
    pub parent: Option<UnitId>,
    /// The day it takes effect.
    pub on: Date,
    /// The legal basis.
    pub basis: DocumentNumber,
}

/// Merges a unit into another from a day on; the other becomes its successor (hợp nhất, sáp
/// nhập).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct MergeUnit {
    /// The unit.
    pub id: UnitId,
    /// The unit it is merged into (registered).
    pub into: UnitId,
    /// The day it takes effect.
    pub on: Date,
    /// The legal basis.
    pub basis: DocumentNumber,
}

/// Dissolves a unit from a day on (giải thể).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct DissolveUnit {
    /// The unit.
    pub id: UnitId,
    /// The day it takes effect.
    pub on: Date,
    /// The legal basis.
    pub basis: DocumentNumber,
}

/// Declares a successor of a merged or dissolved unit, one of several when its functions were
/// split (đơn vị kế thừa).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct DeclareSuccessor {
    /// The merged or dissolved unit.
    pub id: UnitId,
    /// Its successor (registered).
    pub successor: UnitId,
    /// The day it takes effect.
    pub on: Date,
    /// The legal basis.
    pub basis: DocumentNumber,
}

/// Commands on a unit.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitCommand {
    /// [`RegisterUnit`].
    Register(RegisterUnit),
    /// [`RenameUnit`].
    Rename(RenameUnit),
    /// [`ReparentUnit`].
    Reparent(ReparentUnit),
    /// [`MergeUnit`].
    MergeInto(MergeUnit),
    /// [`DissolveUnit`].
    Dissolve(DissolveUnit),
    /// [`DeclareSuccessor`].
    DeclareSuccessor(DeclareSuccessor),
}

/// Who may change units: the secretariat, and the archive.
const UNIT_ROLES: &[Role] = &[Role::Secretariat];

impl_command!(RegisterUnit: "register_unit", UnitCommand::Register of Unit,
roles: UNIT_ROLES, id: |c| c.id, on: established_on, scheduled: true, optional_basis: basis;
fn needs(&self, _: &Unit) -> Needs {
    match &self.parent {
        Some(parent) if parent != &self.id => Needs::default().registered(parent),
        _ => Needs::default(),
    }
});

impl_command!(RenameUnit: "rename_unit", UnitCommand::Rename of Unit,
    roles: UNIT_ROLES, id: |c| c.id, on: on, scheduled: true, basis: basis);

impl_command!(ReparentUnit: "reparent_unit", UnitCommand::Reparent of Unit,
roles: UNIT_ROLES, id: |c| c.id, on: on, scheduled: true, basis: basis;
fn needs(&self, _: &Unit) -> Needs {
    match &self.parent {
        Some(parent) if parent != &self.id => Needs::default().registered(parent),
        _ => Needs::default(),
    }
});

impl_command!(MergeUnit: "merge_unit", UnitCommand::MergeInto of Unit,
roles: UNIT_ROLES, id: |c| c.id, on: on, scheduled: true, basis: basis;
fn needs(&self, _: &Unit) -> Needs {
    Needs::default().registered(&self.into)
});

impl_command!(DissolveUnit: "dissolve_unit", UnitCommand::Dissolve of Unit,
    roles: UNIT_ROLES, id: |c| c.id, on: on, scheduled: true, basis: basis);

impl_command!(DeclareSuccessor: "declare_successor", UnitCommand::DeclareSuccessor of Unit,
roles: UNIT_ROLES, id: |c| c.id, on: on, scheduled: true, basis: basis;
fn needs(&self, _: &Unit) -> Needs {
    Needs::default().registered(&self.successor)
});

/// Events of a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum UnitEvent {
    /// A unit was registered.
    UnitRegistered {
        /// Its id.
        id: UnitId,
        /// Its kind.
        kind: UnitKind,
        /// Its name.
        name: Title,
        /// Its parent.
        parent: Option<UnitId>,
        /// From when the ledger knows it.
        established_on: Date,
        /// Founding document.
        basis: Option<DocumentNumber>,
    },
    /// A unit was renamed.
    UnitRenamed {
        /// New name.
        name: Title,
        /// Effective day.
        on: Date,
        /// Legal basis.
        basis: DocumentNumber,
    },
    /// A unit was moved under another parent.
    UnitReparented {
        /// New parent.
        parent: Option<UnitId>,
        /// Effective day.
        on: Date,
        /// Legal basis.
        basis: DocumentNumber,
    },
    /// A unit was merged into another.
    UnitMerged {
        /// The receiving unit.
        into: UnitId,
        /// Effective day.
        on: Date,
        /// Legal basis.
        basis: DocumentNumber,
    },
    /// A unit was dissolved.
    UnitDissolved {
        /// Effective day.
        on: Date,
        /// Legal basis.
        basis: DocumentNumber,
    },
    /// A successor was declared.
    SuccessorDeclared {
        /// The successor.
        successor: UnitId,
        /// Effective day.
        on: Date,
        /// Legal basis.
        basis: DocumentNumber,
    },
}

impl Tagged for UnitEvent {}

impl DomainEvent for UnitEvent {
    fn event_type(&self) -> String {
        match self {
            Self::UnitRegistered { .. } => "UnitRegistered",
            Self::UnitRenamed { .. } => "UnitRenamed",
            Self::UnitReparented { .. } => "UnitReparented",
            Self::UnitMerged { .. } => "UnitMerged",
            Self::UnitDissolved { .. } => "UnitDissolved",
            Self::SuccessorDeclared { .. } => "SuccessorDeclared",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a unit command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The unit is already registered.
    #[error("unit {0} is already registered")]
    AlreadyRegistered(UnitId),
    /// The unit has not been registered.
    #[error("the unit is not registered")]
    NotRegistered,
    /// The unit was merged or dissolved, so it takes no such change.
    #[error("unit {id} ceased on {on} (merged or dissolved); it takes no further changes")]
    Ceased {
        /// The unit.
        id: UnitId,
        /// When it ceased.
        on: Date,
    },
    /// The change would take effect before the state it changes.
    #[error("the change takes effect on {on}, before {since}, the date of the state it changes")]
    BeforeCurrentState {
        /// The change's date.
        on: Date,
        /// The current state's date.
        since: Date,
    },
    /// Nothing would change.
    #[error("nothing changes: the unit already has that {0}")]
    Unchanged(&'static str),
    /// A unit cannot be its own parent, merge target or successor.
    #[error("a unit cannot be its own {0}")]
    SelfReference(&'static str),
    /// A successor is declared only for a merged or dissolved unit.
    #[error("unit {0} is still active; successors are declared for merged or dissolved units")]
    StillActive(UnitId),
    /// A unit the change names is not registered.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// The unit was not active on the day asked about (not yet established, or ceased).
    #[error("unit {} is not active on {on}", id.as_ref().map_or("(not registered)", UnitId::as_str))]
    Inactive {
        /// The unit (`None` if not registered).
        id: Option<UnitId>,
        /// The day.
        on: Date,
    },
}

impl Refusal for UnitError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            _ => RefusalKind::Rule,
        }
    }
}

impl UnitError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyRegistered(id) => format!("đơn vị {id} đã được đăng ký"),
            Self::NotRegistered => "đơn vị chưa được đăng ký".to_owned(),
            Self::Ceased { id, on } => format!(
                "đơn vị {id} đã chấm dứt hoạt động từ {} (hợp nhất hoặc giải thể), không thể thay đổi thêm",
                on.vi()
            ),
            Self::BeforeCurrentState { on, since } => format!(
                "ngày hiệu lực {} sớm hơn ngày {} của trạng thái hiện tại",
                on.vi(),
                since.vi()
            ),
            Self::Unchanged(what) => format!("không có gì thay đổi ({what} giữ nguyên)"),
            Self::SelfReference(what) => format!("đơn vị không thể là {what} của chính mình"),
            Self::Inactive { id, on } => format!(
                "đơn vị {} không hoạt động vào ngày {}",
                id.as_ref().map_or("(chưa đăng ký)", UnitId::as_str),
                on.vi()
            ),
            Self::StillActive(id) => format!(
                "đơn vị {id} vẫn đang hoạt động; chỉ khai báo đơn vị kế thừa cho đơn vị đã hợp nhất hoặc giải thể"
            ),
        }
    }
}

/// Proof that a unit was active on a day. Only [`Unit::active_on`] makes one, so a command
/// that carries it cannot name a unit that was dissolved or merged by then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveUnit {
    id: UnitId,
    on: Date,
}

impl ActiveUnit {
    /// The unit.
    #[must_use]
    pub fn id(&self) -> &UnitId {
        &self.id
    }

    /// The day it was checked for.
    #[must_use]
    pub fn on(&self) -> Date {
        self.on
    }
}

/// How a unit stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UnitStatus {
    /// Not registered yet.
    #[default]
    Unregistered,
    /// Active.
    Active,
    /// Merged into another unit from `on`.
    Merged {
        /// The receiving unit.
        into: UnitId,
        /// From when.
        on: Date,
    },
    /// Dissolved from `on`.
    Dissolved {
        /// From when.
        on: Date,
    },
}

/// The state of a unit, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    id: Option<UnitId>,
    kind: Option<UnitKind>,
    established_on: Option<Date>,
    names: Vec<Dated<Title>>,
    parents: Vec<Dated<Option<UnitId>>>,
    status: UnitStatus,
    successors: Vec<Dated<UnitId>>,
}

impl Unit {
    /// The unit's id, once registered.
    #[must_use]
    pub fn id(&self) -> Option<&UnitId> {
        self.id.as_ref()
    }

    /// Its kind, once registered.
    #[must_use]
    pub fn kind(&self) -> Option<UnitKind> {
        self.kind
    }

    /// How it stands now.
    #[must_use]
    pub fn status(&self) -> &UnitStatus {
        &self.status
    }

    /// Its name as it was on `date` (`None` before it was established).
    #[must_use]
    pub fn name_on(&self, date: Date) -> Option<&Title> {
        value_on(&self.names, date)
    }

    /// Its parent as it was on `date`.
    #[must_use]
    pub fn parent_on(&self, date: Date) -> Option<&UnitId> {
        value_on(&self.parents, date).and_then(Option::as_ref)
    }

    /// Whether it existed and had not ceased on `date`.
    #[must_use]
    pub fn is_active_on(&self, date: Date) -> bool {
        let started = self.established_on.is_some_and(|d| d <= date);
        let ceased = match &self.status {
            UnitStatus::Merged { on, .. } | UnitStatus::Dissolved { on } => *on <= date,
            UnitStatus::Active | UnitStatus::Unregistered => false,
        };
        started && !ceased
    }

    /// Proof that the unit was active on `on`, for commands that assign it work.
    ///
    /// # Errors
    /// [`UnitError::Inactive`] when it was not registered, not yet established, or had ceased.
    pub fn active_on(&self, on: Date) -> Result<ActiveUnit, UnitError> {
        match &self.id {
            Some(id) if self.is_active_on(on) => Ok(ActiveUnit { id: id.clone(), on }),
            id => Err(UnitError::Inactive { id: id.clone(), on }),
        }
    }

    /// The names over time, oldest first.
    #[must_use]
    pub fn names(&self) -> &[Dated<Title>] {
        &self.names
    }

    /// Its successors, in the order declared.
    #[must_use]
    pub fn successors(&self) -> &[Dated<UnitId>] {
        &self.successors
    }

    fn active_id(&self) -> Result<&UnitId, UnitError> {
        let id = self.id.as_ref().ok_or(UnitError::NotRegistered)?;
        match &self.status {
            UnitStatus::Merged { on, .. } | UnitStatus::Dissolved { on } => {
                Err(UnitError::Ceased {
                    id: id.clone(),
                    on: *on,
                })
            }
            _ => Ok(id),
        }
    }

    /// The date of the latest change of any kind: nothing may take effect before it.
    fn last_change(&self) -> Date {
        let dates = self
            .names
            .iter()
            .map(|d| d.from)
            .chain(self.parents.iter().map(|d| d.from))
            .chain(self.successors.iter().map(|d| d.from))
            .chain(self.established_on)
            .chain(match &self.status {
                UnitStatus::Merged { on, .. } | UnitStatus::Dissolved { on } => Some(*on),
                UnitStatus::Active | UnitStatus::Unregistered => None,
            });
        dates.max().unwrap_or(Date::MIN)
    }

    fn not_before(&self, on: Date) -> Result<(), UnitError> {
        let since = self.last_change();
        if on < since {
            return Err(UnitError::BeforeCurrentState { on, since });
        }
        Ok(())
    }

    fn decide(&self, command: UnitCommand, facts: &Facts) -> Result<UnitEvent, UnitError> {
        match command {
            UnitCommand::Register(RegisterUnit {
                id,
                kind,
                name,
                parent,
                established_on,
                basis,
                ..
            }) => {
                if let Some(existing) = &self.id {
                    return Err(UnitError::AlreadyRegistered(existing.clone()));
                }
                if parent.as_ref() == Some(&id) {
                    return Err(UnitError::SelfReference("parent"));
                }
                if let Some(parent) = &parent {
                    facts.registered(parent)?;
                }
                Ok(UnitEvent::UnitRegistered {
                    id,
                    kind,
                    name,
                    parent,
                    established_on,
                    basis,
                })
            }
            UnitCommand::Rename(RenameUnit {
                name, on, basis, ..
            }) => {
                self.active_id()?;
                self.not_before(on)?;
                if self.names.last().is_some_and(|n| n.value == name) {
                    return Err(UnitError::Unchanged("name"));
                }
                Ok(UnitEvent::UnitRenamed { name, on, basis })
            }
            UnitCommand::Reparent(ReparentUnit {
                parent, on, basis, ..
            }) => {
                let id = self.active_id()?;
                if parent.as_ref() == Some(id) {
                    return Err(UnitError::SelfReference("parent"));
                }
                self.not_before(on)?;
                if self.parents.last().is_some_and(|p| p.value == parent) {
                    return Err(UnitError::Unchanged("parent"));
                }
                if let Some(parent) = &parent {
                    facts.registered(parent)?;
                }
                Ok(UnitEvent::UnitReparented { parent, on, basis })
            }
            UnitCommand::MergeInto(MergeUnit {
                into, on, basis, ..
            }) => {
                let id = self.active_id()?;
                if &into == id {
                    return Err(UnitError::SelfReference("merge target"));
                }
                self.not_before(on)?;
                facts.registered(&into)?;
                Ok(UnitEvent::UnitMerged { into, on, basis })
            }
            UnitCommand::Dissolve(DissolveUnit { on, basis, .. }) => {
                self.active_id()?;
                self.not_before(on)?;
                Ok(UnitEvent::UnitDissolved { on, basis })
            }
            UnitCommand::DeclareSuccessor(DeclareSuccessor {
                successor,
                on,
                basis,
                ..
            }) => {
                let id = self.id.as_ref().ok_or(UnitError::NotRegistered)?;
                if matches!(self.status, UnitStatus::Active) {
                    return Err(UnitError::StillActive(id.clone()));
                }
                if &successor == id {
                    return Err(UnitError::SelfReference("successor"));
                }
                if self.successors.iter().any(|s| s.value == successor) {
                    return Err(UnitError::Unchanged("successor"));
                }
                self.not_before(on)?;
                facts.registered(&successor)?;
                Ok(UnitEvent::SuccessorDeclared {
                    successor,
                    on,
                    basis,
                })
            }
        }
    }
}

fn value_on<T>(history: &[Dated<T>], date: Date) -> Option<&T> {
    history
        .iter()
        .take_while(|d| d.from <= date)
        .last()
        .map(|d| &d.value)
}

impl Aggregate for Unit {
    const TYPE: &'static str = "unit";
    type Command = UnitCommand;
    type Event = UnitEvent;
    type Error = UnitError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: UnitCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), UnitError> {
        let event = self.decide(command, facts)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: UnitEvent) {
        match event {
            UnitEvent::UnitRegistered {
                id,
                kind,
                name,
                parent,
                established_on,
                ..
            } => {
                self.id = Some(id);
                self.kind = Some(kind);
                self.established_on = Some(established_on);
                self.names.push(Dated {
                    from: established_on,
                    value: name,
                });
                self.parents.push(Dated {
                    from: established_on,
                    value: parent,
                });
                self.status = UnitStatus::Active;
            }
            UnitEvent::UnitRenamed { name, on, .. } => self.names.push(Dated {
                from: on,
                value: name,
            }),
            UnitEvent::UnitReparented { parent, on, .. } => self.parents.push(Dated {
                from: on,
                value: parent,
            }),
            UnitEvent::UnitMerged { into, on, .. } => {
                self.successors.push(Dated {
                    from: on,
                    value: into.clone(),
                });
                self.status = UnitStatus::Merged { into, on };
            }
            UnitEvent::UnitDissolved { on, .. } => self.status = UnitStatus::Dissolved { on },
            UnitEvent::SuccessorDeclared { successor, on, .. } => self.successors.push(Dated {
                from: on,
                value: successor,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<Unit>;

    /// The units the tests name as parents, merge targets and successors, registered.
    fn known() -> Facts {
        let mut facts = Facts::new();
        for other in [
            "thai-nguyen",
            "thai-nguyen-moi",
            "tand-khu-vuc-1",
            "ubnd-phuong-pho-yen",
            "a",
            "b",
        ] {
            facts.record_registered(&id(other), &registered_unit(other));
        }
        facts
    }

    fn id(s: &str) -> UnitId {
        UnitId::parse(s).unwrap()
    }
    fn name(s: &str) -> Title {
        Title::parse(s).unwrap()
    }

    fn registered() -> UnitEvent {
        UnitEvent::UnitRegistered {
            id: id("pho-yen"),
            kind: UnitKind::Locality,
            name: name("Thị xã Phổ Yên"),
            parent: Some(id("thai-nguyen")),
            established_on: day(2021, 1, 1),
            basis: None,
        }
    }

    fn register() -> UnitCommand {
        UnitCommand::Register(RegisterUnit {
            id: id("pho-yen"),
            kind: UnitKind::Locality,
            name: name("Thị xã Phổ Yên"),
            parent: Some(id("thai-nguyen")),
            established_on: day(2021, 1, 1),
            basis: None,
        })
    }

    fn city() -> UnitCommand {
        UnitCommand::Rename(RenameUnit {
            name: name("Thành phố Phổ Yên"),
            on: day(2022, 4, 10),
            basis: doc("469/NQ-UBTVQH15"),
            id: id("pho-yen"),
        })
    }

    fn dissolved() -> UnitEvent {
        UnitEvent::UnitDissolved {
            on: day(2025, 7, 1),
            basis: doc("72/2025/QH15"),
        }
    }

    #[test]
    fn register_a_unit() {
        Given::with(known())
            .given_no_previous_events()
            .when(register())
            .then_expect_events(vec![registered()]);
    }

    #[test]
    fn register_twice_is_refused() {
        Given::with(known())
            .given(vec![registered()])
            .when(register())
            .then_expect_error(UnitError::AlreadyRegistered(id("pho-yen")));
    }

    #[test]
    fn register_as_own_parent_is_refused() {
        let command = UnitCommand::Register(RegisterUnit {
            id: id("x"),
            kind: UnitKind::StateBody,
            name: name("X"),
            parent: Some(id("x")),
            established_on: day(2021, 1, 1),
            basis: None,
        });
        Given::with(known())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(UnitError::SelfReference("parent"));
    }

    #[test]
    fn rename_pho_yen_to_a_city() {
        Given::with(known())
            .given(vec![registered()])
            .when(city())
            .then_expect_events(vec![UnitEvent::UnitRenamed {
                name: name("Thành phố Phổ Yên"),
                on: day(2022, 4, 10),
                basis: doc("469/NQ-UBTVQH15"),
            }]);
    }

    #[test]
    fn rename_unregistered_is_refused() {
        Given::with(known())
            .given_no_previous_events()
            .when(city())
            .then_expect_error(UnitError::NotRegistered);
    }

    #[test]
    fn rename_to_the_same_name_is_refused() {
        let same = UnitCommand::Rename(RenameUnit {
            name: name("Thị  xã Phổ Yên"),
            on: day(2022, 1, 1),
            basis: doc("1/QĐ-UBND"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered()])
            .when(same)
            .then_expect_error(UnitError::Unchanged("name"));
    }

    #[test]
    fn backdated_rename_is_refused() {
        let early = UnitCommand::Rename(RenameUnit {
            name: name("Huyện Phổ Yên"),
            on: day(2020, 6, 1),
            basis: doc("1/QĐ-UBND"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered()])
            .when(early)
            .then_expect_error(UnitError::BeforeCurrentState {
                on: day(2020, 6, 1),
                since: day(2021, 1, 1),
            });
    }

    #[test]
    fn rename_after_dissolution_is_refused() {
        Given::with(known())
            .given(vec![registered(), dissolved()])
            .when(UnitCommand::Rename(RenameUnit {
                name: name("Khác"),
                on: day(2025, 8, 1),
                basis: doc("1/QĐ-UBND"),
                id: id("pho-yen"),
            }))
            .then_expect_error(UnitError::Ceased {
                id: id("pho-yen"),
                on: day(2025, 7, 1),
            });
    }

    #[test]
    fn reparent() {
        let command = UnitCommand::Reparent(ReparentUnit {
            parent: Some(id("thai-nguyen-moi")),
            on: day(2025, 7, 1),
            basis: doc("202/2025/QH15"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered()])
            .when(command)
            .then_expect_events(vec![UnitEvent::UnitReparented {
                parent: Some(id("thai-nguyen-moi")),
                on: day(2025, 7, 1),
                basis: doc("202/2025/QH15"),
            }]);
    }

    #[test]
    fn reparent_to_itself_or_to_the_same_parent_is_refused() {
        let own = UnitCommand::Reparent(ReparentUnit {
            parent: Some(id("pho-yen")),
            on: day(2025, 7, 1),
            basis: doc("202/2025/QH15"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered()])
            .when(own)
            .then_expect_error(UnitError::SelfReference("parent"));
        let same = UnitCommand::Reparent(ReparentUnit {
            parent: Some(id("thai-nguyen")),
            on: day(2025, 7, 1),
            basis: doc("202/2025/QH15"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered()])
            .when(same)
            .then_expect_error(UnitError::Unchanged("parent"));
    }

    #[test]
    fn merge_into_another_unit() {
        let command = UnitCommand::MergeInto(MergeUnit {
            into: id("tand-khu-vuc-1"),
            on: day(2025, 7, 1),
            basis: doc("81/2025/UBTVQH15"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered()])
            .when(command)
            .then_expect_events(vec![UnitEvent::UnitMerged {
                into: id("tand-khu-vuc-1"),
                on: day(2025, 7, 1),
                basis: doc("81/2025/UBTVQH15"),
            }]);
    }

    #[test]
    fn merge_into_itself_or_twice_is_refused() {
        let own = UnitCommand::MergeInto(MergeUnit {
            into: id("pho-yen"),
            on: day(2025, 7, 1),
            basis: doc("81/2025/UBTVQH15"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered()])
            .when(own)
            .then_expect_error(UnitError::SelfReference("merge target"));
        let merged = UnitEvent::UnitMerged {
            into: id("a"),
            on: day(2025, 7, 1),
            basis: doc("81/2025/UBTVQH15"),
        };
        Given::with(known())
            .given(vec![registered(), merged])
            .when(UnitCommand::MergeInto(MergeUnit {
                into: id("b"),
                on: day(2025, 8, 1),
                basis: doc("81/2025/UBTVQH15"),
                id: id("pho-yen"),
            }))
            .then_expect_error(UnitError::Ceased {
                id: id("pho-yen"),
                on: day(2025, 7, 1),
            });
    }

    #[test]
    fn dissolve() {
        Given::with(known())
            .given(vec![registered()])
            .when(UnitCommand::Dissolve(DissolveUnit {
                on: day(2025, 7, 1),
                basis: doc("72/2025/QH15"),
                id: id("pho-yen"),
            }))
            .then_expect_events(vec![dissolved()]);
    }

    #[test]
    fn dissolve_unregistered_or_twice_is_refused() {
        let command = UnitCommand::Dissolve(DissolveUnit {
            on: day(2025, 7, 1),
            basis: doc("72/2025/QH15"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given_no_previous_events()
            .when(command.clone())
            .then_expect_error(UnitError::NotRegistered);
        Given::with(known())
            .given(vec![registered(), dissolved()])
            .when(command)
            .then_expect_error(UnitError::Ceased {
                id: id("pho-yen"),
                on: day(2025, 7, 1),
            });
    }

    #[test]
    fn declare_successor_of_a_dissolved_unit() {
        let command = UnitCommand::DeclareSuccessor(DeclareSuccessor {
            successor: id("ubnd-phuong-pho-yen"),
            on: day(2025, 7, 1),
            basis: doc("1680/NQ-UBTVQH15"),
            id: id("pho-yen"),
        });
        Given::with(known())
            .given(vec![registered(), dissolved()])
            .when(command)
            .then_expect_events(vec![UnitEvent::SuccessorDeclared {
                successor: id("ubnd-phuong-pho-yen"),
                on: day(2025, 7, 1),
                basis: doc("1680/NQ-UBTVQH15"),
            }]);
    }

    #[test]
    fn declare_successor_refusals() {
        let declare = |successor: &str, on: Date| {
            UnitCommand::DeclareSuccessor(DeclareSuccessor {
                successor: id(successor),
                on,
                basis: doc("1680/NQ-UBTVQH15"),
                id: id("pho-yen"),
            })
        };
        Given::with(known())
            .given_no_previous_events()
            .when(declare("a", day(2025, 7, 1)))
            .then_expect_error(UnitError::NotRegistered);
        Given::with(known())
            .given(vec![registered()])
            .when(declare("a", day(2025, 7, 1)))
            .then_expect_error(UnitError::StillActive(id("pho-yen")));
        Given::with(known())
            .given(vec![registered(), dissolved()])
            .when(declare("pho-yen", day(2025, 7, 1)))
            .then_expect_error(UnitError::SelfReference("successor"));
        Given::with(known())
            .given(vec![registered(), dissolved()])
            .when(declare("a", day(2025, 6, 30)))
            .then_expect_error(UnitError::BeforeCurrentState {
                on: day(2025, 6, 30),
                since: day(2025, 7, 1),
            });
        let merged = UnitEvent::UnitMerged {
            into: id("a"),
            on: day(2025, 7, 1),
            basis: doc("81/2025/UBTVQH15"),
        };
        // The merge target is already the successor.
        Given::with(known())
            .given(vec![registered(), merged])
            .when(declare("a", day(2025, 7, 1)))
            .then_expect_error(UnitError::Unchanged("successor"));
    }

    #[test]
    fn names_parents_and_activity_over_time() {
        let mut unit = Unit::default();
        let events = vec![
            registered(),
            UnitEvent::UnitRenamed {
                name: name("Thành phố Phổ Yên"),
                on: day(2022, 4, 10),
                basis: doc("469/NQ-UBTVQH15"),
            },
            dissolved(),
        ];
        for e in events {
            unit.apply(e);
        }
        assert_eq!(unit.name_on(day(2020, 1, 1)), None);
        assert_eq!(
            unit.name_on(day(2022, 4, 9)).unwrap().as_str(),
            "Thị xã Phổ Yên"
        );
        assert_eq!(
            unit.name_on(day(2022, 4, 10)).unwrap().as_str(),
            "Thành phố Phổ Yên"
        );
        assert_eq!(unit.parent_on(day(2023, 1, 1)), Some(&id("thai-nguyen")));
        assert!(unit.is_active_on(day(2025, 6, 30)));
        assert!(!unit.is_active_on(day(2025, 7, 1)));
        assert_eq!(
            unit.status(),
            &UnitStatus::Dissolved {
                on: day(2025, 7, 1)
            }
        );
        assert!(
            UnitError::Ceased {
                id: id("x"),
                on: day(2025, 7, 1)
            }
            .vi()
            .contains("01/07/2025")
        );
    }

    #[test]
    fn events_serialise_with_their_type_and_parse_back() {
        let json = serde_json::to_value(registered()).unwrap();
        assert_eq!(json["type"], "UnitRegistered");
        assert_eq!(json["established_on"], "2021-01-01");
        assert_eq!(json["name"], "Thị xã Phổ Yên");
        let back: UnitEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, registered());
        assert_eq!(registered().event_type(), "UnitRegistered");
    }
}
