//! Value types: parsed once at the edge, always valid afterwards.

pub mod calendar;
mod date;
mod document_number;
#[cfg(feature = "graphql")]
mod graphql;
mod ids;
mod period;
mod schema;
mod text;

pub use calendar::Holidays;
pub use date::Date;
pub use document_number::{DocumentNumber, NumberKind, STATE_TYPE_CODES};
pub use ids::{
    BriefingId, FocusProgrammeId, GroupNumber, ObstacleId, Percent, PlanId, ProgrammeId, ReportId,
    SupervisionId, TaskId, UnitId,
};
pub use period::{Anchor, DayOfMonth, PeriodKind, ReportingPeriod, ReportingRegime};
pub use text::{LongText, Text, Title, normalize_text, vietnamese_sort_key};

/// Why an input could not become a value. The message is English; [`ValueError::vi`] gives
/// the Vietnamese text shown to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {input:?}: {problem}")]
pub struct ValueError {
    /// What was being parsed, e.g. "document number".
    pub what: &'static str,
    /// The input as given.
    pub input: String,
    /// What is wrong, in English.
    pub problem: String,
    /// What is wrong, in Vietnamese.
    pub problem_vi: String,
}

impl ValueError {
    pub(crate) fn new(
        what: &'static str,
        input: &str,
        problem: impl Into<String>,
        problem_vi: impl Into<String>,
    ) -> Self {
        Self {
            what,
            input: input.to_owned(),
            problem: problem.into(),
            problem_vi: problem_vi.into(),
        }
    }

    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        format!("{:?}: {}", self.input, self.problem_vi)
    }
}
