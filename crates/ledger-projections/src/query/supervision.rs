//! Obstacles, supervisions and their recommendations, briefings.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Snapshot, day, parse_day};
use crate::error::Result;
use crate::tables::{BriefingRow, ObstacleRow, RecommendationRow, SupervisionRow, t};

/// An obstacle as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ObstacleOn {
    /// The obstacle as recorded.
    pub obstacle: ObstacleRow,
    /// Open that day.
    pub open: bool,
    /// Days open (to the day, or to its resolution).
    pub age_days: i64,
}

/// A recommendation as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct RecommendationOn {
    /// The recommendation as recorded.
    pub recommendation: RecommendationRow,
    /// Answered by that day.
    pub answered: bool,
    /// Unanswered with its deadline passed.
    pub overdue: bool,
    /// Answered by that day, after its deadline.
    pub answered_late: bool,
}

impl Snapshot {
    // ---- obstacles, supervision, briefings ----

    /// Obstacles raised by `on`, as they stood that day, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn obstacles_on(&mut self, on: NaiveDate) -> Result<Vec<ObstacleOn>> {
        let rows: Vec<ObstacleRow> = self
            .rows(t::OBSTACLES, "x.raised_on <= ?", &[day(on)], "x.id")
            .await?;
        Ok(rows
            .into_iter()
            .map(|o| {
                let raised = parse_day(&o.raised_on).unwrap_or(on);
                let resolved = o
                    .resolved_on
                    .as_deref()
                    .and_then(parse_day)
                    .filter(|d| *d <= on);
                let end = resolved.unwrap_or(on);
                ObstacleOn {
                    open: resolved.is_none(),
                    age_days: (end - raised).num_days(),
                    obstacle: o,
                }
            })
            .collect())
    }

    /// Every supervision.
    ///
    /// # Errors
    /// Database failures.
    pub async fn supervisions(&mut self) -> Result<Vec<SupervisionRow>> {
        self.rows(t::SUPERVISIONS, "1 = 1", &[], "x.id").await
    }

    /// Recommendations made by `on`, as they stood that day, by supervision and number.
    ///
    /// # Errors
    /// Database failures.
    pub async fn recommendations_on(&mut self, on: NaiveDate) -> Result<Vec<RecommendationOn>> {
        let on_text = on.format("%Y-%m-%d").to_string();
        let rows: Vec<RecommendationRow> = self
            .rows(
                t::RECOMMENDATIONS,
                "x.made_on <= ?",
                &[day(on)],
                "x.supervision_id, x.number",
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let answered = r.answered_on.as_ref().is_some_and(|d| *d <= on_text);
                RecommendationOn {
                    overdue: !answered && r.respond_by < on_text,
                    answered_late: answered
                        && r.answered_on.as_ref().is_some_and(|d| *d > r.respond_by),
                    answered,
                    recommendation: r,
                }
            })
            .collect())
    }

    /// Every briefing.
    ///
    /// # Errors
    /// Database failures.
    pub async fn briefings(&mut self) -> Result<Vec<BriefingRow>> {
        self.rows(t::BRIEFINGS, "1 = 1", &[], "x.held_on, x.id")
            .await
    }
}
