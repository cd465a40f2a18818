//! Turning events into row versions: one pure function of the working set and an event.
//!
//! Events are read as the domain crate's event types (upcast first, as aggregates read them),
//! so a read model cannot drift from what the aggregates accept. An event of a domain stream
//! that does not decode stops the projector with its position ([`Error::Event`]); events of
//! streams the domain does not know (tools, tests) enter the audit index only.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use ledger_domain::briefing::BriefingEvent;
use ledger_domain::document::DocumentEvent;
use ledger_domain::focus::FocusEvent;
use ledger_domain::obstacle::ObstacleEvent;
use ledger_domain::plan::{Implements, PlanEvent};
use ledger_domain::programme::{ProgrammeEvent, ReviewKind};
use ledger_domain::report::ReportEvent;
use ledger_domain::report::{Discrepancy, ReportContent};
use ledger_domain::supervision::SupervisionEvent;
use ledger_domain::task::TaskEvent;
use ledger_domain::unit::UnitEvent;
use ledger_domain::value::{Date, DocumentNumber};
use ledger_store::StoredEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::db::{Close, PendingRow, Tx, table_name};
use crate::error::{Error, Result};
use crate::state::{Facts, Mode, Versioned};
use crate::tables::{
    AuditFact, BriefingRow, CitationFact, DocumentRow, FocusRow, GroupRow, Kind, ObstacleRow,
    PlanRow, PlanUnitRow, ProgrammeRow, RecommendationRow, ReportDiscrepancyFact, ReportItemFact,
    ReportRevisionFact, ReportRow, ReportStepFact, SupervisionRow, TABLES, TaskDeadlineFact,
    TaskLeadFact, TaskProgressFact, TaskRow, UnitNameFact, UnitParentFact, UnitRow,
    UnitSuccessorFact, t,
};
use crate::value::{Row, Value};

/// The changes of one batch to one table.
#[derive(Debug, Default)]
pub struct TableChanges {
    /// Row versions to insert.
    pub inserts: Vec<PendingRow>,
    /// Open versions to close.
    pub closes: Vec<Close>,
}

/// The changes of one batch, indexed like [`TABLES`].
pub type Changes = Vec<TableChanges>;

/// The working set of every read model.
pub struct Projection {
    mode: Mode,
    upcasters: Vec<Box<dyn EventUpcaster>>,
    units: Versioned<UnitRow>,
    unit_names: Facts<UnitNameFact>,
    unit_parents: Facts<UnitParentFact>,
    unit_successors: Facts<UnitSuccessorFact>,
    documents: Versioned<DocumentRow>,
    programmes: Versioned<ProgrammeRow>,
    groups: Versioned<GroupRow>,
    plans: Versioned<PlanRow>,
    plan_units: Versioned<PlanUnitRow>,
    focus: Versioned<FocusRow>,
    tasks: Versioned<TaskRow>,
    task_deadlines: Facts<TaskDeadlineFact>,
    task_progress: Facts<TaskProgressFact>,
    task_leads: Facts<TaskLeadFact>,
    reports: Versioned<ReportRow>,
    report_steps: Facts<ReportStepFact>,
    obstacles: Versioned<ObstacleRow>,
    supervisions: Versioned<SupervisionRow>,
    recommendations: Versioned<RecommendationRow>,
    briefings: Versioned<BriefingRow>,
    citations: Facts<CitationFact>,
    audit: Facts<AuditFact>,
    report_revisions: Facts<ReportRevisionFact>,
    report_items: Facts<ReportItemFact>,
    report_discrepancies: Facts<ReportDiscrepancyFact>,
}

/// `YYYY-MM-DD` (written field by field: chrono's `format` parses its pattern on every call).
fn date(d: Date) -> String {
    use chrono::Datelike;
    if let Ok(year) = u32::try_from(d.year())
        && year <= 9999
    {
        let mut out = *b"0000-00-00";
        for (at, width, mut value) in [(0, 4, year), (5, 2, d.month()), (8, 2, d.day())] {
            for slot in out[at..at + width].iter_mut().rev() {
                *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Json::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => format!("<{e}>"),
    }
}

fn json_list<T: Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// The day an instant falls on in Việt Nam (UTC+7, no daylight saving): the ledger's days.
fn recorded_day(at: ledger_store::Timestamp) -> Date {
    (at.as_datetime() + chrono::Duration::hours(7))
        .date_naive()
        .into()
}

/// The entity id of a `{type}/{id}` stream.
fn entity_id(stream_id: &str) -> &str {
    stream_id.split_once('/').map_or(stream_id, |(_, id)| id)
}

/// The parts of a stored event its decoding needs.
struct Body<'a> {
    position: u64,
    stream_id: &'a str,
    stream_type: &'a str,
    stream_version: u64,
    event_type: &'a str,
    schema_version: u32,
    payload: &'a Json,
}

/// What one event means for the working set.
struct Ctx<'a> {
    mode: Mode,
    position: u64,
    stream_id: &'a str,
    event_type: &'a str,
    schema_version: u32,
    /// `backdated` or `historical`; none for a change recorded within its grace.
    dating: Option<&'static str>,
    /// The day the event was recorded, in Việt Nam.
    recorded_on: Date,
}

impl Ctx<'_> {
    fn dating(&self) -> Option<String> {
        self.dating.map(str::to_owned)
    }
}

impl Ctx<'_> {
    fn missing(&self, what: &str) -> Error {
        Error::Event {
            position: self.position,
            event_type: self.event_type.to_owned(),
            message: format!("{what} is not in the read models (its creating event is missing)"),
        }
    }
}

impl Projection {
    /// An empty working set writing in `mode`.
    #[must_use]
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            upcasters: ledger_domain::upcast::upcasters(),
            units: Versioned::default(),
            unit_names: Facts::default(),
            unit_parents: Facts::default(),
            unit_successors: Facts::default(),
            documents: Versioned::default(),
            programmes: Versioned::default(),
            groups: Versioned::default(),
            plans: Versioned::default(),
            plan_units: Versioned::default(),
            focus: Versioned::default(),
            tasks: Versioned::default(),
            task_deadlines: Facts::default(),
            task_progress: Facts::default(),
            task_leads: Facts::default(),
            reports: Versioned::default(),
            report_steps: Facts::default(),
            obstacles: Versioned::default(),
            supervisions: Versioned::default(),
            recommendations: Versioned::default(),
            briefings: Versioned::default(),
            citations: Facts::default(),
            audit: Facts::default(),
            report_revisions: Facts::default(),
            report_items: Facts::default(),
            report_discrepancies: Facts::default(),
        }
    }

    /// Switches the write mode (a rebuild goes incremental once bulk-loaded).
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// Loads the open versions of every versioned table of `generation`.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`] for rows that do not fit their type.
    pub async fn load(mode: Mode, tx: &mut Tx, generation: u64) -> Result<Self> {
        let mut p = Self::new(mode);
        load_table(tx, generation, t::UNITS, &mut p.units).await?;
        load_table(tx, generation, t::DOCUMENTS, &mut p.documents).await?;
        load_table(tx, generation, t::PROGRAMMES, &mut p.programmes).await?;
        load_table(tx, generation, t::GROUPS, &mut p.groups).await?;
        load_table(tx, generation, t::PLANS, &mut p.plans).await?;
        load_table(tx, generation, t::PLAN_UNITS, &mut p.plan_units).await?;
        load_table(tx, generation, t::FOCUS, &mut p.focus).await?;
        load_table(tx, generation, t::TASKS, &mut p.tasks).await?;
        load_table(tx, generation, t::REPORTS, &mut p.reports).await?;
        load_table(tx, generation, t::OBSTACLES, &mut p.obstacles).await?;
        load_table(tx, generation, t::SUPERVISIONS, &mut p.supervisions).await?;
        load_table(tx, generation, t::RECOMMENDATIONS, &mut p.recommendations).await?;
        load_table(tx, generation, t::BRIEFINGS, &mut p.briefings).await?;
        Ok(p)
    }

    /// Takes the changes made since the last call.
    pub fn take(&mut self) -> Changes {
        let mut out: Changes = TABLES.iter().map(|_| TableChanges::default()).collect();
        fn v<R: Row>(out: &mut Changes, i: usize, table: &mut Versioned<R>) {
            let (inserts, closes) = table.take();
            out[i] = TableChanges { inserts, closes };
        }
        fn f<R: Row>(out: &mut Changes, i: usize, table: &mut Facts<R>) {
            out[i].inserts = table.take();
        }
        v(&mut out, t::UNITS, &mut self.units);
        f(&mut out, t::UNIT_NAMES, &mut self.unit_names);
        f(&mut out, t::UNIT_PARENTS, &mut self.unit_parents);
        f(&mut out, t::UNIT_SUCCESSORS, &mut self.unit_successors);
        v(&mut out, t::DOCUMENTS, &mut self.documents);
        v(&mut out, t::PROGRAMMES, &mut self.programmes);
        v(&mut out, t::GROUPS, &mut self.groups);
        v(&mut out, t::PLANS, &mut self.plans);
        v(&mut out, t::PLAN_UNITS, &mut self.plan_units);
        v(&mut out, t::FOCUS, &mut self.focus);
        v(&mut out, t::TASKS, &mut self.tasks);
        f(&mut out, t::TASK_DEADLINES, &mut self.task_deadlines);
        f(&mut out, t::TASK_PROGRESS, &mut self.task_progress);
        f(&mut out, t::TASK_LEADS, &mut self.task_leads);
        v(&mut out, t::REPORTS, &mut self.reports);
        f(&mut out, t::REPORT_STEPS, &mut self.report_steps);
        v(&mut out, t::OBSTACLES, &mut self.obstacles);
        v(&mut out, t::SUPERVISIONS, &mut self.supervisions);
        v(&mut out, t::RECOMMENDATIONS, &mut self.recommendations);
        v(&mut out, t::BRIEFINGS, &mut self.briefings);
        f(&mut out, t::CITATIONS, &mut self.citations);
        f(&mut out, t::AUDIT, &mut self.audit);
        f(&mut out, t::REPORT_REVISIONS, &mut self.report_revisions);
        f(&mut out, t::REPORT_ITEMS, &mut self.report_items);
        f(
            &mut out,
            t::REPORT_DISCREPANCIES,
            &mut self.report_discrepancies,
        );
        out
    }

    /// The open versions of every versioned table, as rows to insert (end of a bulk load).
    #[must_use]
    pub fn flush_open(&self) -> Changes {
        let mut out: Changes = TABLES.iter().map(|_| TableChanges::default()).collect();
        out[t::UNITS].inserts = self.units.flush_open();
        out[t::DOCUMENTS].inserts = self.documents.flush_open();
        out[t::PROGRAMMES].inserts = self.programmes.flush_open();
        out[t::GROUPS].inserts = self.groups.flush_open();
        out[t::PLANS].inserts = self.plans.flush_open();
        out[t::PLAN_UNITS].inserts = self.plan_units.flush_open();
        out[t::FOCUS].inserts = self.focus.flush_open();
        out[t::TASKS].inserts = self.tasks.flush_open();
        out[t::REPORTS].inserts = self.reports.flush_open();
        out[t::OBSTACLES].inserts = self.obstacles.flush_open();
        out[t::SUPERVISIONS].inserts = self.supervisions.flush_open();
        out[t::RECOMMENDATIONS].inserts = self.recommendations.flush_open();
        out[t::BRIEFINGS].inserts = self.briefings.flush_open();
        out
    }

    fn decode<E: DeserializeOwned>(&self, event: &Body<'_>) -> Result<E> {
        let version = event.schema_version.to_string();
        let decoded = if self
            .upcasters
            .iter()
            .any(|u| u.can_upcast(event.event_type, &version))
        {
            let mut serialized = SerializedEvent {
                aggregate_id: event.stream_id.to_owned(),
                sequence: usize::try_from(event.stream_version).unwrap_or(usize::MAX),
                aggregate_type: event.stream_type.to_owned(),
                event_type: event.event_type.to_owned(),
                event_version: version,
                payload: event.payload.clone(),
                metadata: Json::Null,
            };
            for upcaster in &self.upcasters {
                if upcaster.can_upcast(&serialized.event_type, &serialized.event_version) {
                    serialized = upcaster.upcast(serialized);
                }
            }
            serde_json::from_value(serialized.payload)
        } else {
            // Straight from the stored value, without copying it.
            E::deserialize(event.payload)
        };
        decoded.map_err(|e| Error::Event {
            position: event.position,
            event_type: event.event_type.to_owned(),
            message: e.to_string(),
        })
    }

    /// Applies one event.
    ///
    /// # Errors
    /// [`Error::Event`] when a domain event does not decode or names an entity whose creation
    /// was never projected.
    pub fn apply(&mut self, event: StoredEvent) -> Result<()> {
        let StoredEvent {
            position,
            stream_id,
            stream_type,
            stream_version,
            event_type,
            schema_version,
            payload,
            metadata: m,
            recorded_at,
            effective_at,
            ..
        } = event;
        let ctx = Ctx {
            mode: self.mode,
            position,
            stream_id: &stream_id,
            event_type: &event_type,
            schema_version,
            dating: m.dating.map(ledger_store::Dating::as_str),
            recorded_on: recorded_day(recorded_at),
        };
        let body = Body {
            position,
            stream_id: &stream_id,
            stream_type: &stream_type,
            stream_version,
            event_type: &event_type,
            schema_version,
            payload: &payload,
        };
        let outcome = match stream_type.as_str() {
            "unit" => self.decode(&body).and_then(|e| self.unit(&ctx, e)),
            "document" => self.decode(&body).map(|e| self.document(&ctx, e)),
            "programme" => self.decode(&body).and_then(|e| self.programme(&ctx, e)),
            "plan" => self.decode(&body).and_then(|e| self.plan(&ctx, e)),
            "focus_programme" => self
                .decode(&body)
                .and_then(|e| self.focus_programme(&ctx, e)),
            "task" => self.decode(&body).and_then(|e| self.task(&ctx, e)),
            "report" => self.decode(&body).and_then(|e| self.report(&ctx, e)),
            "obstacle" => self.decode(&body).and_then(|e| self.obstacle(&ctx, e)),
            "supervision" => self.decode(&body).and_then(|e| self.supervision(&ctx, e)),
            "briefing" => self.decode(&body).and_then(|e| self.briefing(&ctx, e)),
            _ => Ok(()),
        };
        outcome?;
        self.audit.add(
            AuditFact {
                stream_id,
                stream_type,
                stream_version: i64::try_from(stream_version).unwrap_or(i64::MAX),
                event_type,
                actor: m.actor.subject,
                actor_name: m.actor.display_name,
                actor_role: m.actor.role,
                acting_unit: m.acting_unit,
                correlation_id: m.correlation_id.to_string(),
                reason: m.reason,
                source_document: m.source_document,
                dating: m.dating.map(|d| d.as_str().to_owned()),
                recorded_at: recorded_at.to_string(),
                effective_at: effective_at.to_string(),
            },
            position,
        );
        Ok(())
    }

    fn cite(&mut self, ctx: &Ctx<'_>, number: &DocumentNumber, role: &str, on: Date) {
        self.citations.add(
            CitationFact {
                number: number.to_string(),
                stream_id: ctx.stream_id.to_owned(),
                event_type: ctx.event_type.to_owned(),
                role: role.to_owned(),
                on_date: date(on),
            },
            ctx.position,
        );
    }

    fn unit(&mut self, ctx: &Ctx<'_>, e: UnitEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        let p = ctx.position;
        if let UnitEvent::UnitRegistered {
            kind,
            name,
            parent,
            established_on,
            basis,
            ..
        } = &e
        {
            self.units.put(
                ctx.mode,
                id,
                UnitRow {
                    id: id.to_owned(),
                    kind: enum_text(kind),
                    name: name.to_string(),
                    parent: parent.as_ref().map(ToString::to_string),
                    established_on: date(*established_on),
                    status: "active".to_owned(),
                    ended_on: None,
                    merged_into: None,
                    successors: 0,
                    basis: basis.as_ref().map(ToString::to_string),
                },
                p,
            );
            self.unit_names.add(
                UnitNameFact {
                    unit_id: id.to_owned(),
                    name: name.to_string(),
                    from_date: date(*established_on),
                    basis: basis.as_ref().map(ToString::to_string),
                },
                p,
            );
            self.unit_parents.add(
                UnitParentFact {
                    unit_id: id.to_owned(),
                    parent: parent.as_ref().map(ToString::to_string),
                    from_date: date(*established_on),
                },
                p,
            );
            if let Some(basis) = basis {
                self.cite(ctx, basis, "basis", *established_on);
            }
            return Ok(());
        }
        let mut row = self
            .units
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.missing(&format!("unit {id}")))?;
        match e {
            UnitEvent::UnitRegistered { .. } => {}
            UnitEvent::UnitRenamed { name, on, basis } => {
                row.name = name.to_string();
                self.unit_names.add(
                    UnitNameFact {
                        unit_id: id.to_owned(),
                        name: name.to_string(),
                        from_date: date(on),
                        basis: Some(basis.to_string()),
                    },
                    p,
                );
                self.cite(ctx, &basis, "basis", on);
            }
            UnitEvent::UnitReparented { parent, on, basis } => {
                row.parent = parent.as_ref().map(ToString::to_string);
                self.unit_parents.add(
                    UnitParentFact {
                        unit_id: id.to_owned(),
                        parent: row.parent.clone(),
                        from_date: date(on),
                    },
                    p,
                );
                self.cite(ctx, &basis, "basis", on);
            }
            UnitEvent::UnitMerged { into, on, basis } => {
                row.status = "merged".to_owned();
                row.ended_on = Some(date(on));
                row.merged_into = Some(into.to_string());
                row.successors += 1;
                self.unit_successors.add(
                    UnitSuccessorFact {
                        unit_id: id.to_owned(),
                        successor: into.to_string(),
                        on_date: date(on),
                        kind: "merged".to_owned(),
                        basis: basis.to_string(),
                    },
                    p,
                );
                self.cite(ctx, &basis, "basis", on);
            }
            UnitEvent::UnitDissolved { on, basis } => {
                row.status = "dissolved".to_owned();
                row.ended_on = Some(date(on));
                self.cite(ctx, &basis, "basis", on);
            }
            UnitEvent::SuccessorDeclared {
                successor,
                on,
                basis,
            } => {
                row.successors += 1;
                self.unit_successors.add(
                    UnitSuccessorFact {
                        unit_id: id.to_owned(),
                        successor: successor.to_string(),
                        on_date: date(on),
                        kind: "declared".to_owned(),
                        basis: basis.to_string(),
                    },
                    p,
                );
                self.cite(ctx, &basis, "basis", on);
            }
        }
        self.units.put(ctx.mode, id, row, p);
        Ok(())
    }

    fn document(&mut self, ctx: &Ctx<'_>, e: DocumentEvent) {
        let DocumentEvent::DocumentRegistered {
            identity,
            title,
            signed_by,
            issued_on,
        } = e;
        let key = identity.key();
        self.documents.put(
            ctx.mode,
            &key,
            DocumentRow {
                id: key.clone(),
                number: identity.number.to_string(),
                issuer: identity.issuer.to_string(),
                numbering: identity.numbering.to_string(),
                title: title.to_string(),
                signed_by: signed_by.as_ref().map(ToString::to_string),
                issued_on: date(issued_on),
            },
            ctx.position,
        );
        self.cite(ctx, &identity.number, "registered", issued_on);
    }

    fn programme(&mut self, ctx: &Ctx<'_>, e: ProgrammeEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        let p = ctx.position;
        if let ProgrammeEvent::ProgrammeAdopted {
            document,
            issuer,
            title,
            objectives,
            from_year,
            to_year,
            groups,
            adopted_on,
            ..
        } = &e
        {
            self.programmes.put(
                ctx.mode,
                id,
                ProgrammeRow {
                    id: id.to_owned(),
                    document: document.to_string(),
                    issuer: issuer.to_string(),
                    title: title.to_string(),
                    objectives: objectives.to_string(),
                    from_year: i64::from(*from_year),
                    to_year: i64::from(*to_year),
                    status: "active".to_owned(),
                    adopted_on: date(*adopted_on),
                    amendments: 0,
                    midterm_on: None,
                    final_on: None,
                    closed_on: None,
                },
                p,
            );
            for g in groups {
                let key = format!("{id}#{}", g.number.get());
                self.groups.put(
                    ctx.mode,
                    &key,
                    GroupRow {
                        id: key.clone(),
                        programme_id: id.to_owned(),
                        number: i64::from(g.number.get()),
                        title: g.title.to_string(),
                    },
                    p,
                );
            }
            self.cite(ctx, document, "document", *adopted_on);
            return Ok(());
        }
        let mut row = self
            .programmes
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.missing(&format!("programme {id}")))?;
        match e {
            ProgrammeEvent::ProgrammeAdopted { .. } => {}
            ProgrammeEvent::ProgrammeAmended {
                title,
                objectives,
                groups,
                on,
                basis,
            } => {
                if let Some(title) = title {
                    row.title = title.to_string();
                }
                if let Some(objectives) = objectives {
                    row.objectives = objectives.to_string();
                }
                row.amendments += 1;
                if let Some(groups) = groups {
                    let prefix = format!("{id}#");
                    let mut old: Vec<String> = self
                        .groups
                        .iter()
                        .filter(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for g in &groups {
                        let key = format!("{id}#{}", g.number.get());
                        old.retain(|k| *k != key);
                        self.groups.put(
                            ctx.mode,
                            &key,
                            GroupRow {
                                id: key.clone(),
                                programme_id: id.to_owned(),
                                number: i64::from(g.number.get()),
                                title: g.title.to_string(),
                            },
                            p,
                        );
                    }
                    old.sort();
                    for key in old {
                        self.groups.end(ctx.mode, &key, p);
                    }
                }
                self.cite(ctx, &basis, "basis", on);
            }
            ProgrammeEvent::ProgrammeReviewed {
                kind, on, basis, ..
            } => {
                match kind {
                    ReviewKind::Midterm => row.midterm_on = Some(date(on)),
                    ReviewKind::Final => row.final_on = Some(date(on)),
                }
                self.cite(ctx, &basis, "basis", on);
            }
            ProgrammeEvent::ProgrammeClosed { on, basis } => {
                row.status = "closed".to_owned();
                row.closed_on = Some(date(on));
                self.cite(ctx, &basis, "basis", on);
            }
        }
        self.programmes.put(ctx.mode, id, row, p);
        Ok(())
    }

    fn plan(&mut self, ctx: &Ctx<'_>, e: PlanEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        let p = ctx.position;
        if let PlanEvent::PlanIssued {
            document,
            issuer,
            title,
            implements,
            required_unit_plans,
            issued_on,
            ..
        } = &e
        {
            let (kind, target, programme) = match implements {
                Implements::Programme(prog) => {
                    ("programme", prog.to_string(), Some(prog.to_string()))
                }
                Implements::Plan(parent) => (
                    "plan",
                    parent.to_string(),
                    self.plans
                        .get(parent.as_str())
                        .and_then(|r| r.programme_id.clone()),
                ),
            };
            self.plans.put(
                ctx.mode,
                id,
                PlanRow {
                    id: id.to_owned(),
                    document: document.to_string(),
                    issuer: issuer.to_string(),
                    title: title.to_string(),
                    implements_kind: kind.to_owned(),
                    implements_id: target,
                    programme_id: programme,
                    issued_on: date(*issued_on),
                    status: "in_force".to_owned(),
                    superseded_by: None,
                    superseded_on: None,
                },
                p,
            );
            for r in required_unit_plans {
                let key = format!("{id}#{}", r.unit);
                self.plan_units.put(
                    ctx.mode,
                    &key,
                    PlanUnitRow {
                        id: key.clone(),
                        plan_id: id.to_owned(),
                        unit_id: r.unit.to_string(),
                        due: date(r.due),
                        unit_plan: None,
                        recorded_on: None,
                    },
                    p,
                );
            }
            self.cite(ctx, document, "document", *issued_on);
            return Ok(());
        }
        let mut row = self
            .plans
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.missing(&format!("plan {id}")))?;
        match e {
            PlanEvent::PlanIssued { .. } => {}
            PlanEvent::PlanAmended {
                title,
                required_unit_plans,
                on,
                basis,
            } => {
                if let Some(title) = title {
                    row.title = title.to_string();
                }
                if let Some(required) = required_unit_plans {
                    let prefix = format!("{id}#");
                    let mut old: Vec<String> = self
                        .plan_units
                        .iter()
                        .filter(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for r in &required {
                        let key = format!("{id}#{}", r.unit);
                        old.retain(|k| *k != key);
                        let existing = self.plan_units.get(&key).cloned();
                        self.plan_units.put(
                            ctx.mode,
                            &key,
                            PlanUnitRow {
                                id: key.clone(),
                                plan_id: id.to_owned(),
                                unit_id: r.unit.to_string(),
                                due: date(r.due),
                                unit_plan: existing.as_ref().and_then(|x| x.unit_plan.clone()),
                                recorded_on: existing.and_then(|x| x.recorded_on),
                            },
                            p,
                        );
                    }
                    old.sort();
                    for key in old {
                        self.plan_units.end(ctx.mode, &key, p);
                    }
                }
                self.cite(ctx, &basis, "basis", on);
            }
            PlanEvent::UnitPlanRecorded { unit, plan, on } => {
                let key = format!("{id}#{unit}");
                let mut required = self
                    .plan_units
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| ctx.missing(&format!("required unit plan {key}")))?;
                required.unit_plan = Some(plan.to_string());
                required.recorded_on = Some(date(on));
                self.plan_units.put(ctx.mode, &key, required, p);
                return Ok(());
            }
            PlanEvent::PlanSuperseded { by, on, basis } => {
                row.status = "superseded".to_owned();
                row.superseded_by = Some(by.to_string());
                row.superseded_on = Some(date(on));
                self.cite(ctx, &basis, "basis", on);
            }
        }
        self.plans.put(ctx.mode, id, row, p);
        Ok(())
    }

    fn focus_programme(&mut self, ctx: &Ctx<'_>, e: FocusEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        match e {
            FocusEvent::FocusProgrammeAdopted {
                programme,
                year,
                by,
                document,
                priorities,
                adopted_on,
                ..
            } => {
                self.focus.put(
                    ctx.mode,
                    id,
                    FocusRow {
                        id: id.to_owned(),
                        programme_id: programme.to_string(),
                        year: i64::from(year),
                        adopted_by: by.to_string(),
                        document: document.to_string(),
                        adopted_on: date(adopted_on),
                        priorities: json_list(&priorities),
                        amended_on: None,
                    },
                    ctx.position,
                );
                self.cite(ctx, &document, "document", adopted_on);
            }
            FocusEvent::FocusProgrammeAmended {
                priorities,
                on,
                basis,
            } => {
                let mut row = self
                    .focus
                    .get(id)
                    .cloned()
                    .ok_or_else(|| ctx.missing(&format!("focus programme {id}")))?;
                row.priorities = json_list(&priorities);
                row.amended_on = Some(date(on));
                self.focus.put(ctx.mode, id, row, ctx.position);
                self.cite(ctx, &basis, "basis", on);
            }
        }
        Ok(())
    }

    fn task(&mut self, ctx: &Ctx<'_>, e: TaskEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        let p = ctx.position;
        if let TaskEvent::TaskAssigned {
            plan,
            group,
            title,
            lead,
            coordinating,
            deadline,
            deliverable,
            assigned_on,
            basis,
            ..
        } = &e
        {
            let programme = self
                .plans
                .get(plan.as_str())
                .and_then(|r| r.programme_id.clone());
            self.tasks.put(
                ctx.mode,
                id,
                TaskRow {
                    id: id.to_owned(),
                    plan_id: plan.to_string(),
                    programme_id: programme,
                    group_number: group.map(|g| i64::from(g.get())),
                    title: title.to_string(),
                    lead: lead.to_string(),
                    coordinating: json_list(coordinating),
                    deadline: date(*deadline),
                    deliverable: deliverable.as_ref().map(ToString::to_string),
                    assigned_on: date(*assigned_on),
                    basis: basis.to_string(),
                    status: "open".to_owned(),
                    completed_on: None,
                    completion_document: None,
                    cancelled_on: None,
                    reminders: 0,
                    extensions: 0,
                    transfers: 0,
                    closed_dating: None,
                },
                p,
            );
            self.task_deadlines.add(
                TaskDeadlineFact {
                    task_id: id.to_owned(),
                    deadline: date(*deadline),
                    from_date: date(*assigned_on),
                    basis: basis.to_string(),
                    dating: ctx.dating(),
                },
                p,
            );
            self.task_leads.add(
                TaskLeadFact {
                    task_id: id.to_owned(),
                    lead: lead.to_string(),
                    from_date: date(*assigned_on),
                    dating: ctx.dating(),
                },
                p,
            );
            self.cite(ctx, basis, "basis", *assigned_on);
            return Ok(());
        }
        let mut row = self
            .tasks
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.missing(&format!("task {id}")))?;
        match e {
            TaskEvent::TaskAssigned { .. } => {}
            TaskEvent::ReminderIssued { on, basis, .. } => {
                row.reminders += 1;
                if let Some(basis) = basis {
                    self.cite(ctx, &basis, "basis", on);
                }
            }
            TaskEvent::DeadlineExtended { to, on, basis, .. } => {
                row.deadline = date(to);
                row.extensions += 1;
                self.task_deadlines.add(
                    TaskDeadlineFact {
                        task_id: id.to_owned(),
                        deadline: date(to),
                        from_date: date(on),
                        basis: basis.to_string(),
                        dating: ctx.dating(),
                    },
                    p,
                );
                self.cite(ctx, &basis, "basis", on);
            }
            TaskEvent::ResponsibilityTransferred { to, on, basis, .. } => {
                row.lead = to.to_string();
                row.transfers += 1;
                self.task_leads.add(
                    TaskLeadFact {
                        task_id: id.to_owned(),
                        lead: to.to_string(),
                        from_date: date(on),
                        dating: ctx.dating(),
                    },
                    p,
                );
                self.cite(ctx, &basis, "basis", on);
            }
            TaskEvent::ProgressReported {
                by, percent, on, ..
            } => {
                // A fact only: the task's own row does not change.
                self.task_progress.add(
                    TaskProgressFact {
                        task_id: id.to_owned(),
                        by_unit: by.to_string(),
                        percent: i64::from(percent.get()),
                        on_date: date(on),
                        dating: ctx.dating(),
                    },
                    p,
                );
                return Ok(());
            }
            TaskEvent::TaskCompleted {
                deliverable, on, ..
            } => {
                row.status = "completed".to_owned();
                row.completed_on = Some(date(on));
                row.completion_document = Some(deliverable.to_string());
                row.closed_dating = ctx.dating();
                self.cite(ctx, &deliverable, "deliverable", on);
            }
            TaskEvent::TaskCancelled { on, basis, .. } => {
                row.status = "cancelled".to_owned();
                row.cancelled_on = Some(date(on));
                row.closed_dating = ctx.dating();
                self.cite(ctx, &basis, "basis", on);
            }
        }
        self.tasks.put(ctx.mode, id, row, p);
        Ok(())
    }

    /// A revision's content and lines.
    fn revision(
        &mut self,
        ctx: &Ctx<'_>,
        id: &str,
        revision: u32,
        on: Date,
        reason: Option<String>,
        content: &ReportContent,
    ) {
        let p = ctx.position;
        let text = |t: &Option<ledger_domain::value::LongText>| t.as_ref().map(ToString::to_string);
        self.report_revisions.add(
            ReportRevisionFact {
                report_id: id.to_owned(),
                revision: i64::from(revision),
                on_date: date(on),
                reason,
                achievements: text(&content.achievements),
                shortcomings: text(&content.shortcomings),
                causes: text(&content.causes),
                obstacles: text(&content.obstacles),
                proposals: text(&content.proposals),
            },
            p,
        );
        for item in &content.items {
            self.report_items.add(
                ReportItemFact {
                    report_id: id.to_owned(),
                    revision: i64::from(revision),
                    task_id: item.task.to_string(),
                    status: enum_text(&item.status),
                    percent: i64::from(item.percent.get()),
                },
                p,
            );
        }
    }

    /// The discrepancies a step of a report recorded.
    fn discrepancies(
        &mut self,
        ctx: &Ctx<'_>,
        id: &str,
        revision: u32,
        step: &str,
        on: &str,
        list: &[Discrepancy],
    ) {
        for d in list {
            self.report_discrepancies.add(
                ReportDiscrepancyFact {
                    report_id: id.to_owned(),
                    revision: i64::from(revision),
                    step: step.to_owned(),
                    task_id: d.task.to_string(),
                    kind: enum_text(&d.kind),
                    claimed_status: enum_text(&d.claimed_status),
                    claimed_percent: i64::from(d.claimed_percent.get()),
                    ledger_status: d.ledger_status.as_ref().map(enum_text),
                    ledger_percent: d.ledger_percent.map(|p| i64::from(p.get())),
                    on_date: on.to_owned(),
                },
                ctx.position,
            );
        }
    }

    fn report(&mut self, ctx: &Ctx<'_>, e: ReportEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        let p = ctx.position;
        let step = |revision: u32, step: &str, on: Date, by: Option<String>| ReportStepFact {
            report_id: id.to_owned(),
            revision: i64::from(revision),
            step: step.to_owned(),
            on_date: date(on),
            by_unit: by,
        };
        if let ReportEvent::ReportSubmitted {
            unit,
            plan,
            period,
            regime,
            submitted_on,
            content,
            attested,
            discrepancies,
            ..
        } = &e
        {
            let deadline = regime.deadline(period);
            // Lateness is judged on receipt: the archive's attested day, else the day the
            // ledger recorded it; before version 3 the submission's own date was taken.
            let (received_on, receipt) = match (attested, ctx.schema_version) {
                (Some(a), _) => (a.received_on, "attested"),
                (None, version) if version >= 3 => (ctx.recorded_on, "received"),
                (None, _) => (*submitted_on, "claimed"),
            };
            self.reports.put(
                ctx.mode,
                id,
                ReportRow {
                    id: id.to_owned(),
                    unit_id: unit.to_string(),
                    plan_id: plan.to_string(),
                    period: period.to_string(),
                    deadline: date(deadline),
                    submitted_on: date(*submitted_on),
                    received_on: date(received_on),
                    receipt: receipt.to_owned(),
                    attested_by: attested.as_ref().map(|a| a.document.to_string()),
                    late: received_on > deadline,
                    revision: 1,
                    revision_on: date(*submitted_on),
                    review: "pending".to_owned(),
                    reviewed_by: None,
                    reviewed_on: None,
                    return_reason: None,
                    discrepancies: i64::try_from(discrepancies.len()).unwrap_or(i64::MAX),
                },
                p,
            );
            self.report_steps
                .add(step(1, "submitted", *submitted_on, None), p);
            self.revision(ctx, id, 1, *submitted_on, None, content);
            let on = date(*submitted_on);
            self.discrepancies(ctx, id, 1, "submitted", &on, discrepancies);
            return Ok(());
        }
        let mut row = self
            .reports
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.missing(&format!("report {id}")))?;
        let count = |list: &[Discrepancy]| i64::try_from(list.len()).unwrap_or(i64::MAX);
        match e {
            ReportEvent::ReportSubmitted { .. } => {}
            ReportEvent::ReportCorrected {
                revision,
                submitted_on,
                reason,
                content,
                discrepancies,
                ..
            } => {
                row.revision = i64::from(revision);
                row.revision_on = date(submitted_on);
                row.review = "pending".to_owned();
                row.reviewed_by = None;
                row.reviewed_on = None;
                row.return_reason = None;
                row.discrepancies = count(&discrepancies);
                self.report_steps
                    .add(step(revision, "corrected", submitted_on, None), p);
                self.revision(
                    ctx,
                    id,
                    revision,
                    submitted_on,
                    Some(reason.to_string()),
                    &content,
                );
                let on = date(submitted_on);
                self.discrepancies(ctx, id, revision, "corrected", &on, &discrepancies);
            }
            ReportEvent::ReportAccepted {
                revision,
                by,
                on,
                discrepancies,
            } => {
                row.review = "accepted".to_owned();
                row.reviewed_by = Some(by.to_string());
                row.reviewed_on = Some(date(on));
                row.return_reason = None;
                row.discrepancies = count(&discrepancies);
                self.report_steps
                    .add(step(revision, "accepted", on, Some(by.to_string())), p);
                let day = row.revision_on.clone();
                self.discrepancies(ctx, id, revision, "accepted", &day, &discrepancies);
            }
            ReportEvent::ReportReturned {
                revision,
                by,
                on,
                reason,
                discrepancies,
            } => {
                row.review = "returned".to_owned();
                row.reviewed_by = Some(by.to_string());
                row.reviewed_on = Some(date(on));
                row.return_reason = Some(reason.to_string());
                row.discrepancies = count(&discrepancies);
                self.report_steps
                    .add(step(revision, "returned", on, Some(by.to_string())), p);
                let day = row.revision_on.clone();
                self.discrepancies(ctx, id, revision, "returned", &day, &discrepancies);
            }
        }
        self.reports.put(ctx.mode, id, row, p);
        Ok(())
    }

    fn obstacle(&mut self, ctx: &Ctx<'_>, e: ObstacleEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        let p = ctx.position;
        if let ObstacleEvent::ObstacleRaised {
            task,
            by,
            description,
            raised_on,
            ..
        } = &e
        {
            self.obstacles.put(
                ctx.mode,
                id,
                ObstacleRow {
                    id: id.to_owned(),
                    task_id: task.to_string(),
                    raised_by: by.to_string(),
                    description: description.to_string(),
                    raised_on: date(*raised_on),
                    status: "open".to_owned(),
                    escalated_to: None,
                    escalated_on: None,
                    resolved_on: None,
                    resolution: None,
                    resolution_basis: None,
                },
                p,
            );
            return Ok(());
        }
        let mut row = self
            .obstacles
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.missing(&format!("obstacle {id}")))?;
        match e {
            ObstacleEvent::ObstacleRaised { .. } => {}
            ObstacleEvent::ObstacleEscalated { to, on, .. } => {
                row.escalated_to = Some(to.to_string());
                row.escalated_on = Some(date(on));
            }
            ObstacleEvent::ObstacleResolved {
                on,
                resolution,
                basis,
            } => {
                row.status = "resolved".to_owned();
                row.resolved_on = Some(date(on));
                row.resolution = Some(resolution.to_string());
                row.resolution_basis = Some(basis.to_string());
                self.cite(ctx, &basis, "basis", on);
            }
        }
        self.obstacles.put(ctx.mode, id, row, p);
        Ok(())
    }

    fn supervision(&mut self, ctx: &Ctx<'_>, e: SupervisionEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        let p = ctx.position;
        match e {
            SupervisionEvent::SupervisionOpened {
                body,
                subject,
                supervised,
                opened_on,
                basis,
                ..
            } => {
                self.supervisions.put(
                    ctx.mode,
                    id,
                    SupervisionRow {
                        id: id.to_owned(),
                        body: body.to_string(),
                        subject: subject.to_string(),
                        supervised: json_list(&supervised),
                        opened_on: date(opened_on),
                        basis: basis.to_string(),
                        status: "open".to_owned(),
                        closed_on: None,
                        conclusion: None,
                    },
                    p,
                );
                self.cite(ctx, &basis, "basis", opened_on);
            }
            SupervisionEvent::RecommendationMade {
                number,
                to,
                text,
                respond_by,
                on,
            } => {
                let key = format!("{id}#{number}");
                self.recommendations.put(
                    ctx.mode,
                    &key,
                    RecommendationRow {
                        id: key.clone(),
                        supervision_id: id.to_owned(),
                        number: i64::from(number),
                        to_unit: to.to_string(),
                        text: text.to_string(),
                        respond_by: date(respond_by),
                        made_on: date(on),
                        answered_on: None,
                        answer: None,
                    },
                    p,
                );
            }
            SupervisionEvent::RecommendationAnswered {
                number,
                answer,
                on,
                basis,
                ..
            } => {
                let key = format!("{id}#{number}");
                let mut row = self
                    .recommendations
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| ctx.missing(&format!("recommendation {key}")))?;
                row.answered_on = Some(date(on));
                row.answer = Some(answer.to_string());
                self.recommendations.put(ctx.mode, &key, row, p);
                if let Some(basis) = basis {
                    self.cite(ctx, &basis, "basis", on);
                }
            }
            SupervisionEvent::SupervisionClosed {
                on,
                conclusion,
                basis,
            } => {
                let mut row = self
                    .supervisions
                    .get(id)
                    .cloned()
                    .ok_or_else(|| ctx.missing(&format!("supervision {id}")))?;
                row.status = "closed".to_owned();
                row.closed_on = Some(date(on));
                row.conclusion = Some(conclusion.to_string());
                self.supervisions.put(ctx.mode, id, row, p);
                self.cite(ctx, &basis, "basis", on);
            }
        }
        Ok(())
    }

    fn briefing(&mut self, ctx: &Ctx<'_>, e: BriefingEvent) -> Result<()> {
        let id = entity_id(ctx.stream_id);
        match e {
            BriefingEvent::BriefingHeld {
                title,
                chaired_by,
                period,
                participants,
                held_on,
                ..
            } => {
                self.briefings.put(
                    ctx.mode,
                    id,
                    BriefingRow {
                        id: id.to_owned(),
                        title: title.to_string(),
                        chaired_by: chaired_by.to_string(),
                        period: period.map(|p| p.to_string()),
                        participants: json_list(&participants),
                        held_on: date(held_on),
                        conclusion_document: None,
                        concluded_on: None,
                    },
                    ctx.position,
                );
            }
            BriefingEvent::ConclusionIssued { document, on, .. } => {
                let mut row = self
                    .briefings
                    .get(id)
                    .cloned()
                    .ok_or_else(|| ctx.missing(&format!("briefing {id}")))?;
                row.conclusion_document = Some(document.to_string());
                row.concluded_on = Some(date(on));
                self.briefings.put(ctx.mode, id, row, ctx.position);
                self.cite(ctx, &document, "document", on);
            }
        }
        Ok(())
    }
}

async fn load_table<R: Row>(
    tx: &mut Tx,
    generation: u64,
    index: usize,
    into: &mut Versioned<R>,
) -> Result<()> {
    let table = &TABLES[index];
    debug_assert_eq!(table.kind, Kind::Versioned);
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let sql = format!(
        "SELECT {}, valid_from FROM {} WHERE valid_to IS NULL",
        columns.join(", "),
        table_name(generation, table)
    );
    for mut values in tx.fetch(&sql, &[]).await? {
        let from = values
            .pop()
            .and_then(|v| v.as_int())
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| Error::Corrupt(format!("{}: bad valid_from", table.name)))?;
        let key = match values.first() {
            Some(Value::Text(k)) => k.clone(),
            _ => return Err(Error::Corrupt(format!("{}: bad key", table.name))),
        };
        into.load(key, R::from_values(values)?, from);
    }
    Ok(())
}
