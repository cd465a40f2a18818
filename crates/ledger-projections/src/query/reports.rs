//! Reports and the compliance matrix.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use ledger_domain::value::{PeriodKind, ReportingPeriod, ReportingRegime};
use serde::Serialize;

use super::{Snapshot, day, parse_day};
use crate::error::{Error, Result};
use crate::tables::{
    PlanRow, ReportDiscrepancyFact, ReportItemFact, ReportRevisionFact, ReportRow, UnitRow, t,
};
use crate::value::{Row, Value};

/// A cell of the compliance matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Cell {
    /// The period.
    pub period: String,
    /// `accepted`, `returned`, `submitted` (awaiting review), `missing` (deadline passed, no
    /// report), `not_due` (deadline not yet passed, no report) or `ended` (the unit had ended
    /// by the deadline: merged or dissolved units are not asked for reports they could not send).
    pub status: String,
    /// Whether the report was received after the deadline (or none came before it passed).
    pub late: bool,
    /// The report, if any.
    pub report_id: Option<String>,
    /// The regime's deadline for the period.
    pub deadline: String,
    /// The day the report was received, if any.
    pub received_on: Option<String>,
    /// How the receipt is known: `received` (the ledger recorded it), `attested` (the
    /// archive's record), `claimed` (the report's own date, before receipts were kept).
    pub receipt: Option<String>,
    /// Lines of the report contradicting the ledger, as last checked.
    pub discrepancies: i64,
}

/// How many cells of a row are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CellTotals {
    /// Accepted.
    pub accepted: u64,
    /// Returned.
    pub returned: u64,
    /// Submitted, awaiting review.
    pub submitted: u64,
    /// Missing: the deadline passed with no report.
    pub missing: u64,
    /// Not due yet.
    pub not_due: u64,
    /// The unit had ended by the deadline.
    pub ended: u64,
    /// Received late, or missing.
    pub late: u64,
}

impl CellTotals {
    fn of(cells: &[Cell]) -> Self {
        let mut t = Self::default();
        for c in cells {
            match c.status.as_str() {
                "accepted" => t.accepted += 1,
                "returned" => t.returned += 1,
                "submitted" => t.submitted += 1,
                "missing" => t.missing += 1,
                "not_due" => t.not_due += 1,
                _ => t.ended += 1,
            }
            t.late += u64::from(c.late);
        }
        t
    }
}

/// One unit's line of the compliance matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct MatrixRow {
    /// The unit.
    pub unit_id: String,
    /// One cell per period.
    pub cells: Vec<Cell>,
    /// Its cells counted by state.
    pub totals: CellTotals,
}

/// Units × periods: who reported what, on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ComplianceMatrix {
    /// The periods, oldest first.
    pub periods: Vec<String>,
    /// One row per expected unit, by id.
    pub rows: Vec<MatrixRow>,
}

impl ComplianceMatrix {
    /// The periods from `from` to `to` (inclusive; either open), and the units in `units`
    /// when given, with each row's totals over those periods.
    #[must_use]
    pub fn restrict(&self, from: Option<&str>, to: Option<&str>, units: Option<&[String]>) -> Self {
        let keep = |p: &str| from.is_none_or(|f| p >= f) && to.is_none_or(|t| p <= t);
        let rows = self
            .rows
            .iter()
            .filter(|r| units.is_none_or(|u| u.contains(&r.unit_id)))
            .map(|r| {
                let cells: Vec<Cell> = r
                    .cells
                    .iter()
                    .filter(|c| keep(&c.period))
                    .cloned()
                    .collect();
                MatrixRow {
                    unit_id: r.unit_id.clone(),
                    totals: CellTotals::of(&cells),
                    cells,
                }
            })
            .collect();
        Self {
            periods: self.periods.iter().filter(|p| keep(p)).cloned().collect(),
            rows,
        }
    }
}

/// A revision of a report with its task lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ReportRevision {
    /// What it said.
    #[serde(flatten)]
    #[cfg_attr(feature = "graphql", graphql(flatten))]
    pub revision: ReportRevisionFact,
    /// Its task lines.
    pub items: Vec<ReportItemFact>,
}

/// Which reports ([`Snapshot::reports_page`]); empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Of this unit.
    pub unit: Option<String>,
    /// Under this plan.
    pub plan: Option<String>,
    /// For this period.
    pub period: Option<String>,
    /// With this review of the current revision.
    pub review: Option<String>,
    /// Received late, or on time.
    pub late: Option<bool>,
    /// How the receipt is known (`received`, `attested`, `claimed`).
    pub receipt: Option<String>,
    /// Only reports whose current revision contradicts the ledger (or only those that do
    /// not).
    pub discrepancies: Option<bool>,
}

impl ReportFilter {
    fn conditions(&self) -> (String, Vec<Value>) {
        let mut conds = vec!["1 = 1"];
        let mut binds = Vec::new();
        for (cond, value) in [
            ("x.unit_id = ?", &self.unit),
            ("x.plan_id = ?", &self.plan),
            ("x.period = ?", &self.period),
            ("x.review = ?", &self.review),
            ("x.receipt = ?", &self.receipt),
        ] {
            if let Some(value) = value {
                conds.push(cond);
                binds.push(Value::Text(value.clone()));
            }
        }
        if let Some(late) = self.late {
            conds.push("x.late = ?");
            binds.push(Value::Int(i64::from(late)));
        }
        match self.discrepancies {
            Some(true) => conds.push("x.discrepancies > 0"),
            Some(false) => conds.push("x.discrepancies = 0"),
            None => {}
        }
        (conds.join(" AND "), binds)
    }
}

impl Snapshot {
    // ---- reports ----

    /// How many reports match `filter` (counted in SQL).
    ///
    /// # Errors
    /// Database failures.
    pub async fn report_count(&mut self, filter: &ReportFilter) -> Result<u64> {
        let (conds, binds) = filter.conditions();
        let sql = format!(
            "SELECT COUNT(*) FROM {} x WHERE {} AND ({conds})",
            self.name(t::REPORTS),
            self.valid(t::REPORTS, "x"),
        );
        let total = self
            .tx
            .fetch(&sql, &binds)
            .await?
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_int)
            .unwrap_or(0);
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// `limit` reports matching `filter` from the `offset`-th, by unit, period and id (the page
    /// in SQL, so a page of a plan's tens of thousands of reports reads one page).
    ///
    /// # Errors
    /// Database failures.
    pub async fn reports_page(
        &mut self,
        filter: &ReportFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<ReportRow>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (conds, binds) = filter.conditions();
        self.rows(
            t::REPORTS,
            &conds,
            &binds,
            &format!("x.unit_id, x.period, x.id LIMIT {limit} OFFSET {offset}"),
        )
        .await
    }

    /// One report by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn report(&mut self, id: &str) -> Result<Option<ReportRow>> {
        self.one(t::REPORTS, id).await
    }

    /// Reports, optionally of one unit and/or plan, by unit then period.
    ///
    /// # Errors
    /// Database failures.
    pub async fn reports(
        &mut self,
        unit: Option<&str>,
        plan: Option<&str>,
    ) -> Result<Vec<ReportRow>> {
        let mut filter = vec!["1 = 1"];
        let mut binds = Vec::new();
        if let Some(unit) = unit {
            filter.push("x.unit_id = ?");
            binds.push(Value::Text(unit.to_owned()));
        }
        if let Some(plan) = plan {
            filter.push("x.plan_id = ?");
            binds.push(Value::Text(plan.to_owned()));
        }
        self.rows(
            t::REPORTS,
            &filter.join(" AND "),
            &binds,
            "x.unit_id, x.period, x.id",
        )
        .await
    }

    /// The compliance matrix of a plan on `on`: the units it requires × the periods of `kind`
    /// due after the plan's issue whose data window opened by `on`, under `regime`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown plan; database failures.
    pub async fn compliance_matrix(
        &mut self,
        plan: &str,
        kind: PeriodKind,
        regime: &ReportingRegime,
        on: NaiveDate,
    ) -> Result<Arc<ComplianceMatrix>> {
        let memo = self.memo.clone();
        memo.get(
            self.position(),
            format!("matrix {plan:?} {kind:?} {regime:?} {on}"),
            |m: &ComplianceMatrix| m.rows.len() * m.periods.len().max(1),
            self.compute_compliance_matrix(plan, kind, regime, on),
        )
        .await
    }

    /// A report's revisions, oldest first, each with its task lines.
    ///
    /// # Errors
    /// Database failures.
    pub async fn report_revisions(&mut self, report: &str) -> Result<Vec<ReportRevision>> {
        let id = [Value::Text(report.to_owned())];
        let revisions: Vec<ReportRevisionFact> = self
            .rows(t::REPORT_REVISIONS, "x.report_id = ?", &id, "x.revision")
            .await?;
        let items: Vec<ReportItemFact> = self
            .rows(
                t::REPORT_ITEMS,
                "x.report_id = ?",
                &id,
                "x.revision, x.valid_from",
            )
            .await?;
        Ok(revisions
            .into_iter()
            .map(|revision| ReportRevision {
                items: items
                    .iter()
                    .filter(|i| i.revision == revision.revision)
                    .cloned()
                    .collect(),
                revision,
            })
            .collect())
    }

    /// The task lines that contradict the ledger in the current revision of a plan's reports
    /// (of one period, when given), as the report's latest step recorded them, by unit,
    /// period and task.
    ///
    /// # Errors
    /// Database failures.
    pub async fn report_discrepancies(
        &mut self,
        plan: &str,
        period: Option<&str>,
    ) -> Result<Vec<(ReportRow, ReportDiscrepancyFact)>> {
        let mut binds = vec![Value::Text(plan.to_owned())];
        let period_cond = match period {
            Some(p) => {
                binds.push(Value::Text(p.to_owned()));
                "AND r.period = ?"
            }
            None => "",
        };
        let sql = format!(
            "SELECT {rcols}, {dcols} FROM {disc} x JOIN {reports} r ON r.id = x.report_id \
             AND x.revision = r.revision WHERE {rv} AND {dv} AND r.plan_id = ? {period_cond} \
             AND x.valid_from = (SELECT MAX(s.valid_from) FROM {steps} s \
             WHERE s.report_id = x.report_id AND s.revision = x.revision AND {sv}) \
             ORDER BY r.unit_id, r.period, x.task_id",
            rcols = Self::columns(t::REPORTS, "r"),
            dcols = Self::columns(t::REPORT_DISCREPANCIES, "x"),
            disc = self.name(t::REPORT_DISCREPANCIES),
            reports = self.name(t::REPORTS),
            steps = self.name(t::REPORT_STEPS),
            rv = self.valid(t::REPORTS, "r"),
            dv = self.valid(t::REPORT_DISCREPANCIES, "x"),
            sv = self.valid(t::REPORT_STEPS, "s"),
        );
        let width = ReportRow::COLUMNS.len();
        self.tx
            .fetch(&sql, &binds)
            .await?
            .into_iter()
            .map(|mut values| {
                let discrepancy = values.split_off(width);
                Ok((
                    ReportRow::from_values(values)?,
                    ReportDiscrepancyFact::from_values(discrepancy)?,
                ))
            })
            .collect()
    }

    async fn compute_compliance_matrix(
        &mut self,
        plan: &str,
        kind: PeriodKind,
        regime: &ReportingRegime,
        on: NaiveDate,
    ) -> Result<ComplianceMatrix> {
        let plan_row: PlanRow = self
            .one(t::PLANS, plan)
            .await?
            .ok_or_else(|| Error::invalid("plan", format!("no plan {plan}")))?;
        let issued = parse_day(&plan_row.issued_on)
            .ok_or_else(|| Error::Corrupt(format!("plan {plan}: bad issue date")))?;
        let periods = periods_between(kind, regime, issued, on);
        let units: HashMap<String, UnitRow> = self
            .units()
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let required = self.required_unit_plans(plan).await?;
        let reports: HashMap<(String, String), ReportRow> = self
            .reports(None, Some(plan))
            .await?
            .into_iter()
            .map(|r| ((r.unit_id.clone(), r.period.clone()), r))
            .collect();
        // The latest step of each of the plan's reports on or before `on`.
        let sql = format!(
            "SELECT x.report_id, x.step FROM {} x JOIN {} r ON r.id = x.report_id \
             WHERE {} AND {} AND r.plan_id = ? AND x.on_date <= ? \
             ORDER BY x.report_id, x.on_date, x.valid_from",
            self.name(t::REPORT_STEPS),
            self.name(t::REPORTS),
            self.valid(t::REPORT_STEPS, "x"),
            self.valid(t::REPORTS, "r"),
        );
        let mut steps: HashMap<String, String> = HashMap::new();
        for row in self
            .tx
            .fetch(&sql, &[Value::Text(plan.to_owned()), day(on)])
            .await?
        {
            if let [Value::Text(id), Value::Text(step)] = row.as_slice() {
                steps.insert(id.clone(), step.clone());
            }
        }
        let on_text = on.format("%Y-%m-%d").to_string();
        let mut rows = Vec::new();
        for req in required {
            let ended = units.get(&req.unit_id).and_then(|u| u.ended_on.clone());
            let mut cells = Vec::new();
            for (period, _, deadline) in &periods {
                let deadline_text = deadline.format("%Y-%m-%d").to_string();
                let report = reports.get(&(req.unit_id.clone(), period.to_string()));
                let step = report.and_then(|r| steps.get(&r.id));
                let report = report.filter(|_| step.is_some());
                let (status, late) = match (report, step) {
                    (Some(r), Some(step)) => (
                        match step.as_str() {
                            "accepted" => "accepted",
                            "returned" => "returned",
                            _ => "submitted",
                        },
                        r.late,
                    ),
                    _ if ended.as_ref().is_some_and(|e| *e <= deadline_text) => ("ended", false),
                    _ if deadline_text < on_text => ("missing", true),
                    _ => ("not_due", false),
                };
                cells.push(Cell {
                    period: period.to_string(),
                    status: status.to_owned(),
                    late,
                    report_id: report.map(|r| r.id.clone()),
                    deadline: deadline_text,
                    received_on: report.map(|r| r.received_on.clone()),
                    receipt: report.map(|r| r.receipt.clone()),
                    discrepancies: report.map_or(0, |r| r.discrepancies),
                });
            }
            rows.push(MatrixRow {
                unit_id: req.unit_id,
                totals: CellTotals::of(&cells),
                cells,
            });
        }
        Ok(ComplianceMatrix {
            periods: periods.iter().map(|(p, _, _)| p.to_string()).collect(),
            rows,
        })
    }
}

/// The periods of `kind` due after `from` (their deadline is later) whose data window opened by
/// `on`, with the window's start and the deadline.
fn periods_between(
    kind: PeriodKind,
    regime: &ReportingRegime,
    from: NaiveDate,
    on: NaiveDate,
) -> Vec<(ReportingPeriod, NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    let mut out = Vec::new();
    let Ok(mut period) = ReportingPeriod::new(kind, from.year().max(1945), 1) else {
        return out;
    };
    loop {
        let (start, _) = regime.window(&period);
        if start > on {
            break;
        }
        let deadline = regime.deadline(&period);
        if deadline > from {
            out.push((period, start.get(), deadline.get()));
        }
        match period.next() {
            Some(next) => period = next,
            None => break,
        }
    }
    out
}
