//! Obstacles, supervisions and their recommendations, briefings.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use ledger_domain::value::Date;
use ledger_projections::query::{ObstacleOn, RecommendationOn};
use ledger_projections::tables::{BriefingRow, SupervisionRow};

use super::node::global_id;
use super::paging::{Page, page_cost, paging};
use super::{AsOfInput, ListAnswer, list, page_on};

/// An obstacle as it stood on the day asked about.
#[derive(Debug, Clone, SimpleObject)]
pub struct Obstacle {
    /// Opaque global id (`node(id:)`); the obstacle's own id is `obstacle.key`.
    pub id: ID,
    /// Its state that day.
    #[graphql(flatten)]
    pub on: ObstacleOn,
}

impl From<ObstacleOn> for Obstacle {
    fn from(on: ObstacleOn) -> Self {
        Self {
            id: global_id("Obstacle", &on.obstacle.id),
            on,
        }
    }
}

/// A supervision recommendation as it stood on the day asked about.
#[derive(Debug, Clone, SimpleObject)]
pub struct Recommendation {
    /// Opaque global id (`node(id:)`); its own id is `recommendation.key`.
    pub id: ID,
    /// Its state that day.
    #[graphql(flatten)]
    pub on: RecommendationOn,
}

impl From<RecommendationOn> for Recommendation {
    fn from(on: RecommendationOn) -> Self {
        Self {
            id: global_id("Recommendation", &on.recommendation.id),
            on,
        }
    }
}

/// Which obstacles.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ObstacleFilter {
    /// Only open (or only resolved) that day.
    pub open: Option<bool>,
    /// Raised by this unit.
    pub raised_by: Option<String>,
    /// On this task.
    pub task: Option<String>,
}

/// Which supervision recommendations.
#[derive(Debug, Clone, Default, InputObject)]
pub struct RecommendationFilter {
    /// Only unanswered past their deadline that day (or only not).
    pub overdue: Option<bool>,
    /// Only answered by that day (or only not).
    pub answered: Option<bool>,
    /// Only answered after their deadline (or only the others).
    pub answered_late: Option<bool>,
    /// Of this supervision.
    pub supervision: Option<String>,
    /// Addressed to this unit.
    pub to_unit: Option<String>,
}

/// The supervisors' questions.
#[derive(Default)]
pub struct SupervisionQuery;

// A GraphQL field's arguments are its parameters: as-of, day, filter and four paging arguments.
#[allow(clippy::too_many_arguments)]
#[Object]
impl SupervisionQuery {
    /// Obstacles raised by `on` (default: today), open or resolved that day, by id.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn obstacles(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
        #[graphql(default)] filter: ObstacleFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Obstacle>> {
        page_on(
            ctx,
            as_of,
            on,
            paging(first, after, last, before),
            |s, on| Box::pin(s.obstacles_on(on)),
            |o: &ObstacleOn| {
                filter.open.is_none_or(|v| v == o.open)
                    && filter
                        .raised_by
                        .as_ref()
                        .is_none_or(|u| *u == o.obstacle.raised_by)
                    && filter
                        .task
                        .as_ref()
                        .is_none_or(|t| *t == o.obstacle.task_id)
            },
            Obstacle::from,
        )
        .await
    }

    /// Supervision recommendations made by `on` (default: today), answered (on time or late),
    /// open or overdue that day, by supervision and number.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
        #[graphql(default)] filter: RecommendationFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Recommendation>> {
        page_on(
            ctx,
            as_of,
            on,
            paging(first, after, last, before),
            |s, on| Box::pin(s.recommendations_on(on)),
            |r: &RecommendationOn| {
                filter.overdue.is_none_or(|v| v == r.overdue)
                    && filter.answered.is_none_or(|v| v == r.answered)
                    && filter.answered_late.is_none_or(|v| v == r.answered_late)
                    && filter
                        .supervision
                        .as_ref()
                        .is_none_or(|v| *v == r.recommendation.supervision_id)
                    && filter
                        .to_unit
                        .as_ref()
                        .is_none_or(|v| *v == r.recommendation.to_unit)
            },
            Recommendation::from,
        )
        .await
    }

    /// Supervisions (giám sát), open and closed.
    async fn supervisions(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<SupervisionRow>> {
        list(ctx, as_of, false, |s| Box::pin(s.supervisions())).await
    }

    /// Briefings (hội nghị giao ban) and their conclusion notices.
    async fn briefings(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<BriefingRow>> {
        list(ctx, as_of, false, |s| Box::pin(s.briefings())).await
    }
}
