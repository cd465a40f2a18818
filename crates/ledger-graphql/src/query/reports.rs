//! Reports: what they say (revision by revision, task lines included), when they were
//! received, how they were reviewed, the lines that contradict the ledger, and the compliance
//! matrix of a plan.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use ledger_domain::value::{Date, PeriodKind, ReportingPeriod, ReportingRegime, UnitId};
use ledger_projections::AsOf;
use ledger_projections::query::{ComplianceMatrix, ReportRevision};
use ledger_projections::tables::{ReportDiscrepancyFact, ReportRow};

use super::node::global_id;
use super::paging::{Page, connection, page_cost, paging, scan_cost, window};
use super::{
    AsOfInput, ListAnswer, finish, list, on_day, require_reader, snapshot, snapshot_as_of,
};
use crate::error::from_read;

/// A report (báo cáo) as recorded: its current revision, receipt and review.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Report {
    /// Opaque global id (`node(id:)`); the report's own id is `key`.
    pub id: ID,
    /// The report as recorded.
    #[graphql(flatten)]
    pub row: ReportRow,
    /// The position the report was read at (its revisions are read there too).
    #[graphql(skip)]
    pub at: u64,
}

impl Report {
    /// A report read at `at`.
    #[must_use]
    pub fn new(row: ReportRow, at: u64) -> Self {
        Self {
            id: global_id("Report", &row.id),
            row,
            at,
        }
    }
}

#[ComplexObject]
impl Report {
    /// What the current revision says: its sections and task lines.
    async fn content(&self, ctx: &Context<'_>) -> Result<Option<ReportRevision>> {
        let mut revisions = self.read_revisions(ctx).await?;
        Ok(revisions.pop())
    }

    /// Every revision, oldest first: what each said, and why it corrected the one before.
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<ReportRevision>> {
        self.read_revisions(ctx).await
    }
}

impl Report {
    async fn read_revisions(&self, ctx: &Context<'_>) -> Result<Vec<ReportRevision>> {
        let mut s = snapshot_as_of(ctx, AsOf::Position(self.at)).await?;
        let revisions = s.report_revisions(&self.row.id).await.map_err(from_read)?;
        finish(s, revisions).await
    }
}

/// A report's task line that contradicts the ledger, with its report.
#[derive(Debug, Clone, SimpleObject)]
pub struct ReportDiscrepancy {
    /// The report.
    pub report: Report,
    /// The line and how it contradicts the ledger.
    #[graphql(flatten)]
    pub line: ReportDiscrepancyFact,
}

/// Which reports.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ReportFilter {
    /// Of this unit.
    pub unit: Option<String>,
    /// Under this plan.
    pub plan: Option<String>,
    /// For this period (`2023-Q2`).
    pub period: Option<String>,
    /// With this review of the current revision (`pending`, `accepted`, `returned`).
    pub review: Option<String>,
    /// Only received late (or only on time).
    pub late: Option<bool>,
    /// How the receipt is known: `received` (the ledger recorded it), `attested` (the
    /// archive's record) or `claimed` (the report's own date, before receipts were kept).
    pub receipt: Option<String>,
    /// Only reports whose current revision contradicts the ledger (or only the others).
    pub discrepancies: Option<bool>,
}

/// A period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PeriodLength {
    /// Months.
    Month,
    /// Quarters.
    Quarter,
    /// Half years.
    HalfYear,
    /// Years.
    Year,
}

/// The compliance matrix with its position.
#[derive(Debug, Clone, SimpleObject)]
pub struct MatrixAnswer {
    /// The log position the answer reflects.
    pub position: u64,
    /// The day it was asked about.
    pub on: Date,
    /// Units × periods, with each unit's totals.
    pub matrix: Arc<ComplianceMatrix>,
}

/// The reports' questions.
#[derive(Default)]
pub struct ReportQuery;

// A GraphQL field's arguments are its parameters: as-of, filter and four paging arguments.
#[allow(clippy::too_many_arguments)]
#[Object]
impl ReportQuery {
    /// Reports (báo cáo) as recorded, by unit, period and id.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        #[graphql(default)] filter: ReportFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Report>> {
        require_reader(ctx, false)?;
        let mut s = snapshot(ctx, as_of).await?;
        let filter = ledger_projections::ReportFilter {
            unit: filter.unit,
            plan: filter.plan,
            period: filter.period,
            review: filter.review,
            late: filter.late,
            receipt: filter.receipt,
            discrepancies: filter.discrepancies,
        };
        // The count first (a `last` page needs it), then the page, both in SQL.
        let total = s.report_count(&filter).await.map_err(from_read)?;
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        let (start, end) = window(total, paging(first, after, last, before))?;
        let rows = s
            .reports_page(&filter, start as u64, (end - start) as u64)
            .await
            .map_err(from_read)?;
        let position = s.position();
        let reports = rows.into_iter().map(|r| Report::new(r, position));
        finish(s, connection(position, total, start, reports)).await
    }

    /// The task lines of a plan's reports (of one period, when given) that contradict the
    /// ledger's state of the task on the revision's day, as each report's latest step
    /// recorded them: claimed completed while open, claimed under way while completed, a
    /// percentage 10 points or more from the ledger's, a task not assigned, of another plan,
    /// not the reporting unit's, or cancelled.
    async fn report_discrepancies(
        &self,
        ctx: &Context<'_>,
        plan: String,
        period: Option<ReportingPeriod>,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<ReportDiscrepancy>> {
        let period = period.map(|p| p.to_string());
        list(ctx, as_of, false, move |s| {
            Box::pin(async move {
                let at = s.position();
                Ok(s.report_discrepancies(&plan, period.as_deref())
                    .await?
                    .into_iter()
                    .map(|(row, line)| ReportDiscrepancy {
                        report: Report::new(row, at),
                        line,
                    })
                    .collect())
            })
        })
        .await
    }

    /// Units × periods of a plan on `on` (default: today), under Nghị định 09/2019/NĐ-CP:
    /// accepted, returned, submitted, missing, not due or ended; received late or on time,
    /// and how the receipt is known; each unit's totals. Periods from `from` to `to`
    /// (inclusive, of the length asked), and only `units`, when given.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "scan_cost(child_complexity)")]
    async fn compliance_matrix(
        &self,
        ctx: &Context<'_>,
        plan: String,
        #[graphql(default_with = "PeriodLength::Quarter")] period: PeriodLength,
        from: Option<ReportingPeriod>,
        to: Option<ReportingPeriod>,
        units: Option<Vec<UnitId>>,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
    ) -> Result<MatrixAnswer> {
        require_reader(ctx, true)?;
        let on = on_day(ctx, on);
        let kind = match period {
            PeriodLength::Month => PeriodKind::Month,
            PeriodLength::Quarter => PeriodKind::Quarter,
            PeriodLength::HalfYear => PeriodKind::HalfYear,
            PeriodLength::Year => PeriodKind::Year,
        };
        let mut s = snapshot(ctx, as_of).await?;
        let matrix = s
            .compliance_matrix(&plan, kind, &ReportingRegime::decree_09_2019(), on)
            .await
            .map_err(from_read)?;
        let matrix = if from.is_some() || to.is_some() || units.is_some() {
            let units: Option<Vec<String>> =
                units.map(|u| u.iter().map(ToString::to_string).collect());
            Arc::new(matrix.restrict(
                from.map(|p| p.to_string()).as_deref(),
                to.map(|p| p.to_string()).as_deref(),
                units.as_deref(),
            ))
        } else {
            matrix
        };
        let position = s.position();
        finish(
            s,
            MatrixAnswer {
                position,
                on: on.into(),
                matrix,
            },
        )
        .await
    }
}
