//! Commands: one type per command, defined once.
//!
//! Each command is a plain struct (`AssignTask`, `SubmitReport`, …) that is at once the
//! scenario file's step (`serde`), the GraphQL mutation's input (with the `graphql` feature)
//! and what the aggregate decides on. [`Command`] says, per command, everything the command
//! path needs to run it: its name, its aggregate and stream, the day it takes effect, who may
//! run it and for which unit, and the facts it needs. [`crate::for_each_command!`] lists every
//! command once; [`AnyCommand`] (a scenario step) and the GraphQL mutations are generated from
//! that list.

use std::fmt;

use cqrs_es::Aggregate;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::Role;
use crate::facts::{Facts, Needs};
use crate::policy::PolicyError;
use crate::value::{Date, DocumentNumber, LongText, UnitId};

/// A refusal as users are told it: English (`Display`), Vietnamese, and what kind it is.
pub trait Refusal: std::error::Error {
    /// The message in Vietnamese.
    fn vi(&self) -> String;
    /// What kind of refusal it is (for `extensions.code`).
    fn kind(&self) -> RefusalKind {
        RefusalKind::Rule
    }
    /// Structured detail a client can act on (the discrepancies a reviewer must see).
    fn detail(&self) -> Option<serde_json::Value> {
        None
    }
}

/// What kind of refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// A rule of the domain refused it.
    Rule,
    /// Something it names does not exist.
    NotFound,
    /// What it would create exists already (another report for the same unit, plan and
    /// period).
    AlreadyExists,
    /// A reviewer must acknowledge the discrepancies shown before accepting.
    Discrepancies,
}

/// Tags an event carries, for append conditions ([`crate::facts::Unique`]).
pub trait Tagged {
    /// The event's tags (none by default).
    fn tags(&self) -> Vec<String> {
        Vec::new()
    }
}

/// One command.
pub trait Command:
    Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Its name: the scenario step's key; the GraphQL mutation is its camelCase form.
    const NAME: &'static str;
    /// Who may run it (the archivist may run every command, as a historical record).
    const ROLES: &'static [Role];
    /// Whether it may take effect after the day it is recorded (it schedules a change).
    const SCHEDULED: bool = false;
    /// The aggregate that decides it; its stream is `{TYPE}/{id}`.
    type Aggregate: Aggregate<Services = Facts, Event: Tagged, Error: Refusal + Send + Sync + 'static>;

    /// The id of the aggregate instance it changes.
    fn id(&self) -> String;

    /// The day it takes effect in the world (the caller's claim).
    fn effective_on(&self) -> Date;

    /// Its own reason, for commands that carry one.
    fn reason(&self) -> Option<&LongText> {
        None
    }

    /// Its own source document (legal basis, deciding document), for commands that carry
    /// one.
    fn basis(&self) -> Option<&DocumentNumber> {
        None
    }

    /// For commands a unit reporter may run: the unit the change is for, from the command
    /// and the aggregate's state. A reporter of another unit is refused.
    fn reporting_unit(&self, _state: &Self::Aggregate) -> Option<UnitId> {
        None
    }

    /// The facts the decision reads beyond its aggregate.
    fn needs(&self, _state: &Self::Aggregate) -> Needs {
        Needs::default()
    }

    /// Settles what depends on who runs it (the archive attests a report's receipt).
    ///
    /// # Errors
    /// [`PolicyError`] when the caller claims what its role may not.
    fn settle(
        &mut self,
        _role: Role,
        _source_document: Option<&DocumentNumber>,
    ) -> Result<(), PolicyError> {
        Ok(())
    }

    /// The aggregate's command.
    fn into_command(self) -> <Self::Aggregate as Aggregate>::Command;

    /// `name id`, for messages (`assign_task ra-soat-van-ban`).
    fn label(&self) -> String {
        format!("{} {}", Self::NAME, self.id())
    }
}

/// Implements [`Command`] for a command type from what every command says, so each says it
/// once:
///
/// ```text
/// impl_command!(ExtendDeadline: "extend_deadline", TaskCommand::ExtendDeadline of Task,
///     roles: &[Role::Secretariat], id: |c| c.task, on: on,
///     reason: reason, basis: basis);
/// ```
///
/// `id` gives the aggregate's id from the command, `on` names the field holding the day it
/// takes effect; then, each optional and in this order: `scheduled: true` (it may take effect
/// after the day it is recorded), `reason` and `basis` (the fields holding its own reason and
/// document), `optional_basis` (an optional document), `reporting` (the field naming the
/// unit a unit reporter acts for), `needs: |c| …` (the facts it needs, from the command
/// alone). Any other method follows a `;`, as written in an `impl` block.
macro_rules! impl_command {
    ($ty:ident: $name:literal, $cmd:ident::$variant:ident of $agg:ident,
        roles: $roles:expr, id: |$c:ident| $id:expr, on: $on:ident
        $(, scheduled: $scheduled:literal)?
        $(, reason: $reason:ident)?
        $(, basis: $basis:ident)?
        $(, optional_basis: $optional:ident)?
        $(, reporting: $by:ident)?
        $(, needs: |$n:ident| $needs:expr)?
        $(; $($rest:tt)*)?) => {
        impl $crate::command::Command for $ty {
            const NAME: &'static str = $name;
            const ROLES: &'static [$crate::access::Role] = $roles;
            $(const SCHEDULED: bool = $scheduled;)?
            type Aggregate = $agg;
            fn id(&self) -> String {
                let $c = self;
                $id.to_string()
            }
            fn effective_on(&self) -> $crate::value::Date {
                self.$on
            }
            $(fn reason(&self) -> Option<&$crate::value::LongText> {
                Some(&self.$reason)
            })?
            $(fn basis(&self) -> Option<&$crate::value::DocumentNumber> {
                Some(&self.$basis)
            })?
            $(fn basis(&self) -> Option<&$crate::value::DocumentNumber> {
                self.$optional.as_ref()
            })?
            $(fn reporting_unit(&self, _: &$agg) -> Option<$crate::value::UnitId> {
                Some(self.$by.clone())
            })?
            $(fn needs(&self, _: &$agg) -> $crate::facts::Needs {
                let $n = self;
                $needs
            })?
            fn into_command(self) -> $cmd {
                $cmd::$variant(self)
            }
            $($($rest)*)?
        }
    };
}

pub(crate) use impl_command;

/// Calls `$m! { name => Variant: Type, … }` with every command, in the order they are
/// documented: what generates [`AnyCommand`], the command path's dispatch and the GraphQL
/// mutations.
#[macro_export]
macro_rules! for_each_command {
    ($m:ident) => {
        $m! {
            register_unit => RegisterUnit: $crate::unit::RegisterUnit,
            rename_unit => RenameUnit: $crate::unit::RenameUnit,
            reparent_unit => ReparentUnit: $crate::unit::ReparentUnit,
            merge_unit => MergeUnit: $crate::unit::MergeUnit,
            dissolve_unit => DissolveUnit: $crate::unit::DissolveUnit,
            declare_successor => DeclareSuccessor: $crate::unit::DeclareSuccessor,
            register_document => RegisterDocument: $crate::document::RegisterDocument,
            adopt_programme => AdoptProgramme: $crate::programme::AdoptProgramme,
            amend_programme => AmendProgramme: $crate::programme::AmendProgramme,
            review_programme => ReviewProgramme: $crate::programme::ReviewProgramme,
            close_programme => CloseProgramme: $crate::programme::CloseProgramme,
            issue_plan => IssuePlan: $crate::plan::IssuePlan,
            amend_plan => AmendPlan: $crate::plan::AmendPlan,
            record_unit_plan => RecordUnitPlan: $crate::plan::RecordUnitPlan,
            supersede_plan => SupersedePlan: $crate::plan::SupersedePlan,
            adopt_focus_programme => AdoptFocusProgramme: $crate::focus::AdoptFocusProgramme,
            amend_focus_programme => AmendFocusProgramme: $crate::focus::AmendFocusProgramme,
            assign_task => AssignTask: $crate::task::AssignTask,
            issue_reminder => IssueReminder: $crate::task::IssueReminder,
            extend_deadline => ExtendDeadline: $crate::task::ExtendDeadline,
            transfer_task => TransferTask: $crate::task::TransferTask,
            report_progress => ReportProgress: $crate::task::ReportProgress,
            complete_task => CompleteTask: $crate::task::CompleteTask,
            cancel_task => CancelTask: $crate::task::CancelTask,
            submit_report => SubmitReport: $crate::report::SubmitReport,
            correct_report => CorrectReport: $crate::report::CorrectReport,
            accept_report => AcceptReport: $crate::report::AcceptReport,
            return_report => ReturnReport: $crate::report::ReturnReport,
            raise_obstacle => RaiseObstacle: $crate::obstacle::RaiseObstacle,
            escalate_obstacle => EscalateObstacle: $crate::obstacle::EscalateObstacle,
            resolve_obstacle => ResolveObstacle: $crate::obstacle::ResolveObstacle,
            open_supervision => OpenSupervision: $crate::supervision::OpenSupervision,
            recommend => Recommend: $crate::supervision::Recommend,
            answer_recommendation => AnswerRecommendation: $crate::supervision::AnswerRecommendation,
            close_supervision => CloseSupervision: $crate::supervision::CloseSupervision,
            hold_briefing => HoldBriefing: $crate::briefing::HoldBriefing,
            issue_conclusion => IssueConclusion: $crate::briefing::IssueConclusion,
        }
    };
}

macro_rules! any_command {
    ($($name:ident => $variant:ident: $ty:ty),* $(,)?) => {
        /// Any command: one step of a scenario file, written `{"assign_task": {…}}`.
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[allow(missing_docs)] // Each variant is the command of the same name.
        pub enum AnyCommand {
            $($variant($ty),)*
        }

        impl AnyCommand {
            /// Every command's name, in order.
            pub const NAMES: &'static [&'static str] = &[$(<$ty as Command>::NAME),*];

            /// Its name.
            #[must_use]
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => <$ty as Command>::NAME,)*
                }
            }

            /// `name id`, for messages.
            #[must_use]
            pub fn label(&self) -> String {
                match self {
                    $(Self::$variant(c) => c.label(),)*
                }
            }

            /// The day it takes effect.
            #[must_use]
            pub fn effective_on(&self) -> Date {
                match self {
                    $(Self::$variant(c) => c.effective_on(),)*
                }
            }

            /// The roles that may run it.
            #[must_use]
            pub fn roles(&self) -> &'static [Role] {
                match self {
                    $(Self::$variant(_) => <$ty as Command>::ROLES,)*
                }
            }
        }
    };
}

for_each_command!(any_command);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_scenario_keys() {
        for name in AnyCommand::NAMES {
            let json = format!("{{\"{name}\": {{}}}}");
            let error = serde_json::from_str::<AnyCommand>(&json).unwrap_err();
            assert!(
                !error.to_string().contains("unknown variant"),
                "{name} is not a step: {error}"
            );
        }
        assert_eq!(AnyCommand::NAMES.len(), 37);
    }
}
