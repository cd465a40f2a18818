//! Focus programmes (Chương trình trọng tâm hằng năm): the steering committee's priorities
//! for one year, each under a solution group and naming the tasks it covers.

use chrono::Datelike;
use cqrs_es::{Aggregate, DomainEvent, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::command::{Refusal, RefusalKind, Tagged, impl_command};
use crate::facts::{FactError, Facts, Needs};
use crate::value::{
    Date, DocumentNumber, FocusProgrammeId, GroupNumber, ProgrammeId, TaskId, Title, UnitId,
};

/// One priority of the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::InputObject, async_graphql::SimpleObject),
    graphql(input_name = "PriorityInput")
)]
pub struct Priority {
    /// The programme's solution group it serves.
    pub group: GroupNumber,
    /// What it is.
    pub title: Title,
    /// The tasks it covers.
    pub tasks: Vec<TaskId>,
}

/// Adopts a year's focus programme (chương trình trọng tâm).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AdoptFocusProgramme {
    /// Its id.
    pub id: FocusProgrammeId,
    /// The programme it serves.
    pub programme: ProgrammeId,
    /// The year it covers.
    pub year: i32,
    /// The adopting body (the steering committee), active on the day.
    pub by: UnitId,
    /// Its document number.
    pub document: DocumentNumber,
    /// The priorities.
    pub priorities: Vec<Priority>,
    /// The day.
    pub adopted_on: Date,
}

/// Replaces a focus programme's priorities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct AmendFocusProgramme {
    /// The focus programme.
    pub id: FocusProgrammeId,
    /// The new priorities, whole.
    pub priorities: Vec<Priority>,
    /// The day it takes effect.
    pub on: Date,
    /// The amending document.
    pub basis: DocumentNumber,
}

/// Commands on a focus programme.
#[derive(Debug, Clone, PartialEq)]
pub enum FocusCommand {
    /// [`AdoptFocusProgramme`].
    Adopt(AdoptFocusProgramme),
    /// [`AmendFocusProgramme`].
    Amend(AmendFocusProgramme),
}

impl_command!(AdoptFocusProgramme: "adopt_focus_programme", FocusCommand::Adopt of FocusProgramme,
roles: &[Role::Secretariat], id: |c| c.id, on: adopted_on, basis: document;
fn needs(&self, _: &FocusProgramme) -> Needs {
    Needs::default().active(&self.by, self.adopted_on)
});

impl_command!(AmendFocusProgramme: "amend_focus_programme", FocusCommand::Amend of FocusProgramme,
    roles: &[Role::Secretariat], id: |c| c.id, on: on, scheduled: true, basis: basis);

/// Events of a focus programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum FocusEvent {
    /// The focus programme was adopted.
    FocusProgrammeAdopted {
        /// Its id.
        id: FocusProgrammeId,
        /// The programme.
        programme: ProgrammeId,
        /// The year.
        year: i32,
        /// The adopting body.
        by: UnitId,
        /// Its number.
        document: DocumentNumber,
        /// The priorities.
        priorities: Vec<Priority>,
        /// The day.
        adopted_on: Date,
    },
    /// The priorities were replaced.
    FocusProgrammeAmended {
        /// The new priorities.
        priorities: Vec<Priority>,
        /// The day.
        on: Date,
        /// The document.
        basis: DocumentNumber,
    },
}

impl Tagged for FocusEvent {}

impl DomainEvent for FocusEvent {
    fn event_type(&self) -> String {
        match self {
            Self::FocusProgrammeAdopted { .. } => "FocusProgrammeAdopted",
            Self::FocusProgrammeAmended { .. } => "FocusProgrammeAmended",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a focus programme command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FocusError {
    /// A unit it names was not registered or not active on the day.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// Already adopted.
    #[error("focus programme {0} is already adopted")]
    AlreadyAdopted(FocusProgrammeId),
    /// Not adopted yet.
    #[error("the focus programme has not been adopted")]
    NotAdopted,
    /// A year's programme is adopted in that year or the one before.
    #[error(
        "a focus programme for {year} is adopted in {year} or the year before, not on {adopted_on}"
    )]
    YearOutOfReach {
        /// The year covered.
        year: i32,
        /// The adoption day.
        adopted_on: Date,
    },
    /// No priorities.
    #[error("a focus programme needs at least one priority")]
    NoPriorities,
    /// A task under two priorities.
    #[error("task {0} is listed under more than one priority")]
    TaskListedTwice(TaskId),
    /// The same priorities again.
    #[error("the amendment changes nothing")]
    NothingAmended,
    /// An amendment dated before the adoption.
    #[error("the amendment on {on} comes before the adoption on {adopted_on}")]
    BeforeAdoption {
        /// The amendment's day.
        on: Date,
        /// The adoption day.
        adopted_on: Date,
    },
}

impl Refusal for FocusError {
    fn vi(&self) -> String {
        self.vi()
    }
    fn kind(&self) -> RefusalKind {
        match self {
            Self::Fact(FactError::UnknownUnit(_)) => RefusalKind::NotFound,
            Self::AlreadyAdopted(_) => RefusalKind::AlreadyExists,
            _ => RefusalKind::Rule,
        }
    }
}

impl FocusError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        let d = |x: &Date| x.vi().to_string();
        match self {
            Self::Fact(e) => e.vi(),
            Self::AlreadyAdopted(id) => format!("chương trình trọng tâm {id} đã được ban hành"),
            Self::NotAdopted => "chương trình trọng tâm chưa được ban hành".to_owned(),
            Self::YearOutOfReach { year, adopted_on } => format!(
                "chương trình trọng tâm năm {year} phải ban hành trong năm {year} hoặc năm trước, không phải ngày {}",
                d(adopted_on)
            ),
            Self::NoPriorities => "chương trình trọng tâm cần ít nhất một nội dung".to_owned(),
            Self::TaskListedTwice(t) => format!("nhiệm vụ {t} thuộc nhiều hơn một nội dung"),
            Self::NothingAmended => "văn bản sửa đổi không thay đổi nội dung nào".to_owned(),
            Self::BeforeAdoption { on, adopted_on } => {
                format!("ngày {} sớm hơn ngày ban hành {}", d(on), d(adopted_on))
            }
        }
    }
}

fn check_priorities(priorities: &[Priority]) -> Result<(), FocusError> {
    if priorities.is_empty() {
        return Err(FocusError::NoPriorities);
    }
    let mut seen: Vec<&TaskId> = Vec::new();
    for task in priorities.iter().flat_map(|p| &p.tasks) {
        if seen.contains(&task) {
            return Err(FocusError::TaskListedTwice(task.clone()));
        }
        seen.push(task);
    }
    Ok(())
}

/// The state of a focus programme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FocusProgramme {
    id: Option<FocusProgrammeId>,
    adopted_on: Option<Date>,
    priorities: Vec<Priority>,
}

impl FocusProgramme {
    /// The current priorities.
    #[must_use]
    pub fn priorities(&self) -> &[Priority] {
        &self.priorities
    }
}

impl Aggregate for FocusProgramme {
    const TYPE: &'static str = "focus_programme";
    type Command = FocusCommand;
    type Event = FocusEvent;
    type Error = FocusError;
    type Services = Facts;

    async fn handle(
        &mut self,
        command: FocusCommand,
        facts: &Facts,
        sink: &EventSink<Self>,
    ) -> Result<(), FocusError> {
        let event = match command {
            FocusCommand::Adopt(AdoptFocusProgramme {
                id,
                programme,
                year,
                by,
                document,
                priorities,
                adopted_on,
                ..
            }) => {
                if let Some(existing) = &self.id {
                    return Err(FocusError::AlreadyAdopted(existing.clone()));
                }
                let by = facts.active(&by, adopted_on)?;
                if !(year - 1..=year).contains(&adopted_on.year()) {
                    return Err(FocusError::YearOutOfReach { year, adopted_on });
                }
                check_priorities(&priorities)?;
                FocusEvent::FocusProgrammeAdopted {
                    id,
                    programme,
                    year,
                    by: by.id().clone(),
                    document,
                    priorities,
                    adopted_on,
                }
            }
            FocusCommand::Amend(AmendFocusProgramme {
                priorities,
                on,
                basis,
                ..
            }) => {
                let adopted_on = self.adopted_on.ok_or(FocusError::NotAdopted)?;
                if on < adopted_on {
                    return Err(FocusError::BeforeAdoption { on, adopted_on });
                }
                check_priorities(&priorities)?;
                if priorities == self.priorities {
                    return Err(FocusError::NothingAmended);
                }
                FocusEvent::FocusProgrammeAmended {
                    priorities,
                    on,
                    basis,
                }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: FocusEvent) {
        match event {
            FocusEvent::FocusProgrammeAdopted {
                id,
                priorities,
                adopted_on,
                ..
            } => {
                self.id = Some(id);
                self.priorities = priorities;
                self.adopted_on = Some(adopted_on);
            }
            FocusEvent::FocusProgrammeAmended { priorities, .. } => self.priorities = priorities,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<FocusProgramme>;

    /// The steering committee, active on the days the tests adopt on.
    fn committee() -> crate::facts::Facts {
        facts(&[
            ("ban-chi-dao-cctp", day(2022, 1, 28)),
            ("ban-chi-dao-cctp", day(2023, 2, 1)),
        ])
    }

    fn task(s: &str) -> TaskId {
        TaskId::parse(s).unwrap()
    }
    fn priorities() -> Vec<Priority> {
        vec![
            Priority {
                group: GroupNumber::new(1).unwrap(),
                title: Title::parse("Quán triệt Đề án và Kế hoạch 44-KH/TU").unwrap(),
                tasks: vec![task("quan-triet-de-an")],
            },
            Priority {
                group: GroupNumber::new(2).unwrap(),
                title: Title::parse("Giảm án tồn đọng").unwrap(),
                tasks: vec![task("giam-an-ton-dong"), task("thi-hanh-an-ton-dong")],
            },
        ]
    }
    fn adopt(adopted_on: Date, priorities: Vec<Priority>) -> FocusCommand {
        FocusCommand::Adopt(AdoptFocusProgramme {
            id: FocusProgrammeId::parse("ctr-trong-tam-2022").unwrap(),
            programme: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
            year: 2022,
            by: UnitId::parse("ban-chi-dao-cctp").unwrap(),
            document: DocumentNumber::parse("05-CTr/BCĐ").unwrap(),
            priorities,
            adopted_on,
        })
    }
    fn adopted() -> FocusEvent {
        FocusEvent::FocusProgrammeAdopted {
            id: FocusProgrammeId::parse("ctr-trong-tam-2022").unwrap(),
            programme: ProgrammeId::parse("de-an-10-da-tu").unwrap(),
            year: 2022,
            by: UnitId::parse("ban-chi-dao-cctp").unwrap(),
            document: DocumentNumber::parse("05-CTr/BCĐ").unwrap(),
            priorities: priorities(),
            adopted_on: day(2022, 1, 28),
        }
    }

    #[test]
    fn adopt_the_2022_focus_programme() {
        Given::with(committee())
            .given_no_previous_events()
            .when(adopt(day(2022, 1, 28), priorities()))
            .then_expect_events(vec![adopted()]);
    }

    #[test]
    fn adopt_refusals() {
        Given::with(committee())
            .given(vec![adopted()])
            .when(adopt(day(2022, 1, 28), priorities()))
            .then_expect_error(FocusError::AlreadyAdopted(
                FocusProgrammeId::parse("ctr-trong-tam-2022").unwrap(),
            ));
        Given::with(committee())
            .given_no_previous_events()
            .when(adopt(day(2023, 2, 1), priorities()))
            .then_expect_error(FocusError::YearOutOfReach {
                year: 2022,
                adopted_on: day(2023, 2, 1),
            });
        Given::with(committee())
            .given_no_previous_events()
            .when(adopt(day(2022, 1, 28), vec![]))
            .then_expect_error(FocusError::NoPriorities);
        let mut twice = priorities();
        twice[1].tasks.push(task("quan-triet-de-an"));
        Given::with(committee())
            .given_no_previous_events()
            .when(adopt(day(2022, 1, 28), twice))
            .then_expect_error(FocusError::TaskListedTwice(task("quan-triet-de-an")));
        // A committee not yet established that day.
        Given::with(crate::test_support::none())
            .given_no_previous_events()
            .when(adopt(day(2022, 1, 28), priorities()))
            .then_expect_error(FocusError::Fact(FactError::NotLoaded(
                "unit ban-chi-dao-cctp on 2022-01-28".into(),
            )));
        let mut unborn = crate::facts::Facts::new();
        unborn.record_unit(
            &unit_id("ban-chi-dao-cctp"),
            &crate::unit::Unit::default(),
            day(2022, 1, 28),
        );
        Given::with(unborn)
            .given_no_previous_events()
            .when(adopt(day(2022, 1, 28), priorities()))
            .then_expect_error(FocusError::Fact(FactError::UnknownUnit(unit_id(
                "ban-chi-dao-cctp",
            ))));
    }

    #[test]
    fn amend_the_priorities() {
        let mut fewer = priorities();
        fewer.pop();
        let basis = DocumentNumber::parse("07-CTr/BCĐ").unwrap();
        Given::with(committee())
            .given(vec![adopted()])
            .when(FocusCommand::Amend(AmendFocusProgramme {
                priorities: fewer.clone(),
                on: day(2022, 6, 1),
                basis: basis.clone(),
                id: FocusProgrammeId::parse("ctr-trong-tam-2022").unwrap(),
            }))
            .then_expect_events(vec![FocusEvent::FocusProgrammeAmended {
                priorities: fewer,
                on: day(2022, 6, 1),
                basis,
            }]);
    }

    #[test]
    fn amend_refusals() {
        let amend = |priorities, on| {
            FocusCommand::Amend(AmendFocusProgramme {
                priorities,
                on,
                basis: DocumentNumber::parse("07-CTr/BCĐ").unwrap(),
                id: FocusProgrammeId::parse("ctr-trong-tam-2022").unwrap(),
            })
        };
        Given::with(committee())
            .given_no_previous_events()
            .when(amend(priorities(), day(2022, 6, 1)))
            .then_expect_error(FocusError::NotAdopted);
        Given::with(committee())
            .given(vec![adopted()])
            .when(amend(priorities(), day(2022, 6, 1)))
            .then_expect_error(FocusError::NothingAmended);
        Given::with(committee())
            .given(vec![adopted()])
            .when(amend(vec![], day(2022, 6, 1)))
            .then_expect_error(FocusError::NoPriorities);
        Given::with(committee())
            .given(vec![adopted()])
            .when(amend(priorities(), day(2022, 1, 1)))
            .then_expect_error(FocusError::BeforeAdoption {
                on: day(2022, 1, 1),
                adopted_on: day(2022, 1, 28),
            });
        assert!(FocusError::NotAdopted.vi().contains("chưa được ban hành"));
    }
}
