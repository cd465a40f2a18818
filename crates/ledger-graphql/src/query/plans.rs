//! Documents, programmes (Đề án), plans (Kế hoạch) and the unit plans they require, focus
//! programmes, and which decisions cite a document.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use ledger_domain::value::{Date, DocumentNumber};
use ledger_projections::query::{DocumentRef, MissingUnitPlan};
use ledger_projections::tables::{CitationFact, FocusRow, GroupRow, PlanRow, ProgrammeRow};

use super::node::global_id;
use super::{AsOfInput, ListAnswer, list, on_day};

/// A plan (Kế hoạch).
#[derive(Debug, Clone, SimpleObject)]
pub struct Plan {
    /// Opaque global id (`node(id:)`); the plan's own id is `key`.
    pub id: ID,
    /// The plan as recorded.
    #[graphql(flatten)]
    pub row: PlanRow,
}

impl From<PlanRow> for Plan {
    fn from(row: PlanRow) -> Self {
        Self {
            id: global_id("Plan", &row.id),
            row,
        }
    }
}

/// A programme (Đề án).
#[derive(Debug, Clone, SimpleObject)]
pub struct Programme {
    /// Opaque global id (`node(id:)`); the programme's own id is `key`.
    pub id: ID,
    /// The programme as recorded.
    #[graphql(flatten)]
    pub row: ProgrammeRow,
}

impl From<ProgrammeRow> for Programme {
    fn from(row: ProgrammeRow) -> Self {
        Self {
            id: global_id("Programme", &row.id),
            row,
        }
    }
}

/// The questions about documents, programmes and plans.
#[derive(Default)]
pub struct PlanQuery;

#[Object]
impl PlanQuery {
    /// Documents known by a number (`44-KH/TU`): registered ones, and the programmes,
    /// plans, focus programmes and conclusion notices that carry it. A number alone is not a
    /// document's identity (numbers restart each term or year): several may answer.
    async fn documents(
        &self,
        ctx: &Context<'_>,
        number: DocumentNumber,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<DocumentRef>> {
        let number = number.to_string();
        list(ctx, as_of, false, move |s| {
            Box::pin(async move { s.documents_named(&number).await })
        })
        .await
    }

    /// Every change that cites a document number (as its document, legal basis, deliverable,
    /// …), oldest first: which decisions rest on it.
    async fn citations(
        &self,
        ctx: &Context<'_>,
        number: DocumentNumber,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<CitationFact>> {
        let number = number.to_string();
        list(ctx, as_of, false, move |s| {
            Box::pin(async move { s.citations(&number).await })
        })
        .await
    }

    /// Programmes (Đề án).
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<Programme>> {
        list(ctx, as_of, false, |s| {
            Box::pin(async move {
                Ok(s.programmes()
                    .await?
                    .into_iter()
                    .map(Programme::from)
                    .collect())
            })
        })
        .await
    }

    /// A programme's solution groups.
    async fn solution_groups(
        &self,
        ctx: &Context<'_>,
        programme: String,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<GroupRow>> {
        list(ctx, as_of, false, move |s| {
            Box::pin(async move { s.groups(&programme).await })
        })
        .await
    }

    /// Plans (Kế hoạch).
    async fn plans(&self, ctx: &Context<'_>, as_of: Option<AsOfInput>) -> Result<ListAnswer<Plan>> {
        list(ctx, as_of, false, |s| {
            Box::pin(async move { Ok(s.plans().await?.into_iter().map(Plan::from).collect()) })
        })
        .await
    }

    /// Unit plans a plan requires that were not issued by `on` (default: today), each with
    /// the unit that holds the duty that day: a merged or dissolved unit's duty passes to its
    /// successor from the day of the succession.
    #[graphql(complexity = "super::paging::scan_cost(child_complexity)")]
    async fn missing_unit_plans(
        &self,
        ctx: &Context<'_>,
        plan: String,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
    ) -> Result<ListAnswer<MissingUnitPlan>> {
        let on = on_day(ctx, on);
        list(ctx, as_of, false, move |s| {
            Box::pin(async move { s.missing_unit_plans(&plan, on).await })
        })
        .await
    }

    /// Yearly focus programmes (chương trình trọng tâm), by year.
    async fn focus_programmes(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<FocusRow>> {
        list(ctx, as_of, false, |s| Box::pin(s.focus_programmes())).await
    }
}
