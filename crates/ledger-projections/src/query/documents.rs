//! Documents, programmes, plans and focus programmes.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Snapshot, day};
use crate::error::Result;
use crate::tables::{
    BriefingRow, CitationFact, DocumentRow, FocusRow, GroupRow, PlanRow, PlanUnitRow, ProgrammeRow,
    t,
};
use crate::value::Value;

/// A required unit plan not issued, with who holds the duty on the day asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct MissingUnitPlan {
    /// The requirement, as the plan set it.
    #[serde(flatten)]
    #[cfg_attr(feature = "graphql", graphql(flatten))]
    pub required: PlanUnitRow,
    /// The unit holding the duty that day: the required unit, or its terminal successor.
    pub responsible: String,
    /// The day the duty passed to a successor, once it has.
    pub passed_on: Option<String>,
}

/// A document known by its number: registered, or carried by a programme, plan, focus
/// programme or conclusion notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct DocumentRef {
    /// Its number and symbol.
    pub number: String,
    /// `registered`, `programme`, `plan`, `focus_programme` or `conclusion`.
    pub kind: String,
    /// The registered document's key, or the entity's id.
    pub key: String,
    /// Its title.
    pub title: String,
    /// The issuing unit.
    pub issuer: Option<String>,
    /// The day it was issued or adopted.
    pub issued_on: Option<String>,
}

impl Snapshot {
    // ---- documents ----

    /// Registered documents with this number (several issuers or terms may reuse one).
    ///
    /// # Errors
    /// Database failures.
    pub async fn documents_by_number(&mut self, number: &str) -> Result<Vec<DocumentRow>> {
        self.rows(
            t::DOCUMENTS,
            "x.number = ?",
            &[Value::Text(number.to_owned())],
            "x.id",
        )
        .await
    }

    /// A registered document by identity key.
    ///
    /// # Errors
    /// Database failures.
    pub async fn document(&mut self, id: &str) -> Result<Option<DocumentRow>> {
        self.one(t::DOCUMENTS, id).await
    }

    /// Every event that cited a document number, oldest first.
    ///
    /// # Errors
    /// Database failures.
    pub async fn citations(&mut self, number: &str) -> Result<Vec<CitationFact>> {
        self.rows(
            t::CITATIONS,
            "x.number = ?",
            &[Value::Text(number.to_owned())],
            "x.valid_from",
        )
        .await
    }

    // ---- programmes and plans ----

    /// Every programme.
    ///
    /// # Errors
    /// Database failures.
    pub async fn programmes(&mut self) -> Result<Vec<ProgrammeRow>> {
        self.rows(t::PROGRAMMES, "1 = 1", &[], "x.id").await
    }

    /// A programme's solution groups, by number.
    ///
    /// # Errors
    /// Database failures.
    pub async fn groups(&mut self, programme: &str) -> Result<Vec<GroupRow>> {
        self.rows(
            t::GROUPS,
            "x.programme_id = ?",
            &[Value::Text(programme.to_owned())],
            "x.number",
        )
        .await
    }

    /// Every plan.
    ///
    /// # Errors
    /// Database failures.
    pub async fn plans(&mut self) -> Result<Vec<PlanRow>> {
        self.rows(t::PLANS, "1 = 1", &[], "x.id").await
    }

    /// Plans implementing a programme or plan (one level of the hierarchy).
    ///
    /// # Errors
    /// Database failures.
    pub async fn child_plans(&mut self, parent: &str) -> Result<Vec<PlanRow>> {
        self.rows(
            t::PLANS,
            "x.implements_id = ?",
            &[Value::Text(parent.to_owned())],
            "x.id",
        )
        .await
    }

    /// The unit plans a plan requires, issued or not, by unit.
    ///
    /// # Errors
    /// Database failures.
    pub async fn required_unit_plans(&mut self, plan: &str) -> Result<Vec<PlanUnitRow>> {
        self.rows(
            t::PLAN_UNITS,
            "x.plan_id = ?",
            &[Value::Text(plan.to_owned())],
            "x.unit_id",
        )
        .await
    }

    /// Required unit plans not issued by `on` (whether due yet or not: compare `due`), each
    /// with the unit that holds the duty that day: the unit itself, or, once it has been
    /// merged or dissolved, its terminal successor from the day the duty passed.
    ///
    /// # Errors
    /// Database failures.
    pub async fn missing_unit_plans(
        &mut self,
        plan: &str,
        on: NaiveDate,
    ) -> Result<Vec<MissingUnitPlan>> {
        let rows: Vec<PlanUnitRow> = self
            .rows(
                t::PLAN_UNITS,
                "x.plan_id = ? AND (x.recorded_on IS NULL OR x.recorded_on > ?)",
                &[Value::Text(plan.to_owned()), day(on)],
                "x.unit_id",
            )
            .await?;
        let successors = self.successor_map().await?;
        Ok(rows
            .into_iter()
            .map(|required| {
                let passed = successors.passed(&required.unit_id, on);
                MissingUnitPlan {
                    responsible: passed
                        .as_ref()
                        .map_or_else(|| required.unit_id.clone(), |(t, _)| t.clone()),
                    passed_on: passed.map(|(_, d)| d),
                    required,
                }
            })
            .collect())
    }

    /// Documents known by a number: registered ones, and the programmes, plans, focus
    /// programmes and conclusion notices that carry it, by kind and key.
    ///
    /// # Errors
    /// Database failures.
    pub async fn documents_named(&mut self, number: &str) -> Result<Vec<DocumentRef>> {
        let n = [Value::Text(number.to_owned())];
        let mut out: Vec<DocumentRef> = self
            .documents_by_number(number)
            .await?
            .into_iter()
            .map(|d| DocumentRef {
                number: d.number,
                kind: "registered".to_owned(),
                key: d.id,
                title: d.title,
                issuer: Some(d.issuer),
                issued_on: Some(d.issued_on),
            })
            .collect();
        let programmes: Vec<ProgrammeRow> = self
            .rows(t::PROGRAMMES, "x.document = ?", &n, "x.id")
            .await?;
        out.extend(programmes.into_iter().map(|p| DocumentRef {
            number: p.document,
            kind: "programme".to_owned(),
            key: p.id,
            title: p.title,
            issuer: Some(p.issuer),
            issued_on: Some(p.adopted_on),
        }));
        let plans: Vec<PlanRow> = self.rows(t::PLANS, "x.document = ?", &n, "x.id").await?;
        out.extend(plans.into_iter().map(|p| DocumentRef {
            number: p.document,
            kind: "plan".to_owned(),
            key: p.id,
            title: p.title,
            issuer: Some(p.issuer),
            issued_on: Some(p.issued_on),
        }));
        let focus: Vec<FocusRow> = self.rows(t::FOCUS, "x.document = ?", &n, "x.id").await?;
        out.extend(focus.into_iter().map(|f| DocumentRef {
            number: f.document,
            kind: "focus_programme".to_owned(),
            key: f.id,
            title: format!("Chương trình trọng tâm năm {}", f.year),
            issuer: Some(f.adopted_by),
            issued_on: Some(f.adopted_on),
        }));
        let briefings: Vec<BriefingRow> = self
            .rows(t::BRIEFINGS, "x.conclusion_document = ?", &n, "x.id")
            .await?;
        out.extend(briefings.into_iter().map(|b| DocumentRef {
            number: b.conclusion_document.unwrap_or_default(),
            kind: "conclusion".to_owned(),
            key: b.id,
            title: b.title,
            issuer: Some(b.chaired_by),
            issued_on: b.concluded_on,
        }));
        Ok(out)
    }

    /// Every yearly focus programme.
    ///
    /// # Errors
    /// Database failures.
    pub async fn focus_programmes(&mut self) -> Result<Vec<FocusRow>> {
        self.rows(t::FOCUS, "1 = 1", &[], "x.year, x.id").await
    }
}
