//! The read-model tables: one row type per table, and the table list.
//!
//! Two kinds of table:
//! - **versioned** (state of an entity): every row carries `valid_from` and `valid_to`, the
//!   global positions between which it was the entity's state (`valid_to` NULL: still is). A
//!   change closes the open row and inserts the new state, so the rows valid at position P are
//!   `valid_from <= P AND (valid_to IS NULL OR valid_to > P)`, and the present is
//!   `valid_to IS NULL`, served by a partial unique index.
//! - **facts** (dated history: names, deadlines, progress, reviews, the audit index): rows are
//!   only ever added, with `valid_from` = the position that recorded them. Questions about a
//!   date in the world ("the deadline in force on 31 December 2022") take the latest fact dated
//!   on or before it among the facts recorded by P.
//!
//! The first column of a versioned table is its key. Dates are `YYYY-MM-DD` text.

use crate::value::{Column, Row, row};

row! {
    /// A unit (cơ quan, đơn vị, địa phương): its present name, parent and status.
    UnitRow {
        /// Stable id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Kind (`party_organ`, `state_body`, …).
        kind: String,
        /// Name (latest).
        name: String,
        /// Parent (latest).
        parent: Option<String>,
        /// From when the ledger knows it.
        established_on: String,
        /// `active`, `merged` or `dissolved`.
        status: String,
        /// The day it was merged or dissolved.
        ended_on: Option<String>,
        /// The unit it was merged into.
        merged_into: Option<String>,
        /// Number of successors declared or implied by a merger.
        successors: i64,
        /// Founding document.
        basis: Option<String>,
    }
}

row! {
    /// A unit's name from a day on.
    UnitNameFact {
        /// The unit.
        unit_id: String,
        /// The name.
        name: String,
        /// From this day.
        from_date: String,
        /// The legal basis.
        basis: Option<String>,
    }
}

row! {
    /// A unit's parent from a day on.
    UnitParentFact {
        /// The unit.
        unit_id: String,
        /// The parent (none: top level).
        parent: Option<String>,
        /// From this day.
        from_date: String,
    }
}

row! {
    /// A unit's successor from a day on (merger or declaration).
    UnitSuccessorFact {
        /// The unit.
        unit_id: String,
        /// Its successor.
        successor: String,
        /// From this day.
        on_date: String,
        /// `merged` or `declared`.
        kind: String,
        /// The legal basis.
        basis: String,
    }
}

row! {
    /// A registered document (văn bản).
    DocumentRow {
        /// Identity key (`{issuer}/{range}/{number}`; its stream is `document/{key}`).
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Number and symbol (`44-KH/TU`).
        number: String,
        /// Issuing unit.
        issuer: String,
        /// Numbering range (congress term or year).
        numbering: String,
        /// Title (trích yếu).
        title: String,
        /// Signing organ.
        signed_by: Option<String>,
        /// Day of issue.
        issued_on: String,
    }
}

row! {
    /// A programme (Đề án).
    ProgrammeRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Document number.
        document: String,
        /// Issuing unit.
        issuer: String,
        /// Title.
        title: String,
        /// Objectives.
        objectives: String,
        /// First year.
        from_year: i64,
        /// Last year.
        to_year: i64,
        /// `active` or `closed`.
        status: String,
        /// Day adopted.
        adopted_on: String,
        /// Number of amendments.
        amendments: i64,
        /// Day of the midterm review.
        midterm_on: Option<String>,
        /// Day of the final review.
        final_on: Option<String>,
        /// Day closed.
        closed_on: Option<String>,
    }
}

row! {
    /// A solution group of a programme (nhóm nhiệm vụ, giải pháp).
    GroupRow {
        /// Key `{programme}#{number}`.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// The programme.
        programme_id: String,
        /// Its number, 1, 2, 3, …
        number: i64,
        /// Its title.
        title: String,
    }
}

row! {
    /// A plan (Kế hoạch).
    PlanRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Document number.
        document: String,
        /// Issuing unit.
        issuer: String,
        /// Title.
        title: String,
        /// `programme` or `plan`.
        implements_kind: String,
        /// The programme or plan it implements.
        implements_id: String,
        /// The programme at the root of its hierarchy.
        programme_id: Option<String>,
        /// Day issued.
        issued_on: String,
        /// `in_force` or `superseded`.
        status: String,
        /// The plan that superseded it.
        superseded_by: Option<String>,
        /// Day superseded.
        superseded_on: Option<String>,
    }
}

row! {
    /// A unit plan a plan requires (kế hoạch của đơn vị), issued or not.
    PlanUnitRow {
        /// Key `{plan}#{unit}`.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// The requiring plan.
        plan_id: String,
        /// The unit.
        unit_id: String,
        /// Due day.
        due: String,
        /// The plan the unit issued.
        unit_plan: Option<String>,
        /// Day it was issued.
        recorded_on: Option<String>,
    }
}

row! {
    /// A yearly focus programme (chương trình trọng tâm).
    #[cfg_attr(feature = "graphql", graphql(complex))]
    FocusRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// The programme.
        programme_id: String,
        /// The year.
        year: i64,
        /// The adopting body.
        adopted_by: String,
        /// Document number.
        document: String,
        /// Day adopted.
        adopted_on: String,
        /// The priorities, as JSON (a list in GraphQL).
        #[cfg_attr(feature = "graphql", graphql(skip))]
        priorities: String,
        /// Day of the last amendment.
        amended_on: Option<String>,
    }
}

row! {
    /// A task (nhiệm vụ). Its percentage is not here: progress reports are dated facts
    /// (`task_progress`), so a report adds one narrow row instead of a new version of the task,
    /// and the percentage on any day is read from them (`Snapshot::tasks_on`).
    #[cfg_attr(feature = "graphql", graphql(complex))]
    TaskRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Its plan.
        plan_id: String,
        /// The plan's programme.
        programme_id: Option<String>,
        /// Solution group number.
        group_number: Option<i64>,
        /// What is to be done.
        title: String,
        /// Lead unit (cơ quan chủ trì) as last recorded; the lead on a given day is the
        /// task's `lead` beside it.
        lead: String,
        /// Coordinating units, as a JSON array (a list in GraphQL).
        #[cfg_attr(feature = "graphql", graphql(skip))]
        coordinating: String,
        /// Deadline (latest).
        deadline: String,
        /// Expected deliverable.
        deliverable: Option<String>,
        /// Day assigned.
        assigned_on: String,
        /// Assigning document.
        basis: String,
        /// `open`, `completed` or `cancelled`.
        status: String,
        /// Day completed.
        completed_on: Option<String>,
        /// The deliverable document on completion.
        completion_document: Option<String>,
        /// Day cancelled.
        cancelled_on: Option<String>,
        /// Reminders issued.
        reminders: i64,
        /// Deadline extensions.
        extensions: i64,
        /// Transfers of responsibility.
        transfers: i64,
        /// How the completion or cancellation was dated (`backdated`, `historical`; none:
        /// recorded within its grace).
        closed_dating: Option<String>,
    }
}

row! {
    /// A task's deadline from a day on (the assignment, then each extension).
    TaskDeadlineFact {
        /// The task.
        task_id: String,
        /// The deadline.
        deadline: String,
        /// In force from this day.
        from_date: String,
        /// The document.
        basis: String,
        /// How the change was dated (`backdated`, `historical`; none: on time).
        dating: Option<String>,
    }
}

row! {
    /// A task's lead unit from a day on (the assignment, then each transfer).
    TaskLeadFact {
        /// The task.
        task_id: String,
        /// The lead unit.
        lead: String,
        /// From this day.
        from_date: String,
        /// How the change was dated.
        dating: Option<String>,
    }
}

row! {
    /// A progress report on a task.
    TaskProgressFact {
        /// The task.
        task_id: String,
        /// The reporting unit.
        by_unit: String,
        /// Percent.
        percent: i64,
        /// The day.
        on_date: String,
        /// How the report was dated.
        dating: Option<String>,
    }
}

row! {
    /// A report (báo cáo) of a unit for a period.
    ReportRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Reporting unit.
        unit_id: String,
        /// The plan.
        plan_id: String,
        /// Period (`2023-Q2`).
        period: String,
        /// The regime's deadline for the period.
        deadline: String,
        /// The day the first submission is dated (the reporter's date).
        submitted_on: String,
        /// The day it was received: when the ledger recorded it (`received`), the day the
        /// archive attests (`attested`), or, for records before receipts were kept, the
        /// submission's own date (`claimed`).
        received_on: String,
        /// `received`, `attested` or `claimed`.
        receipt: String,
        /// The document attesting the receipt, when attested.
        attested_by: Option<String>,
        /// Whether it was received after the deadline.
        late: bool,
        /// Current revision.
        revision: i64,
        /// Day of the current revision.
        revision_on: String,
        /// `pending`, `accepted` or `returned` (the current revision's review).
        review: String,
        /// The reviewing unit.
        reviewed_by: Option<String>,
        /// Day of the review.
        reviewed_on: Option<String>,
        /// Why it was returned.
        return_reason: Option<String>,
        /// Lines of the current revision that contradict the ledger (as last checked: at
        /// submission, correction or review).
        discrepancies: i64,
    }
}

row! {
    /// A revision of a report: what it said, and why it was corrected.
    ReportRevisionFact {
        /// The report.
        report_id: String,
        /// The revision, 1, 2, …
        revision: i64,
        /// The day it is dated.
        on_date: String,
        /// Why it corrects the one before (none for the first).
        reason: Option<String>,
        /// Kết quả đạt được.
        achievements: Option<String>,
        /// Hạn chế.
        shortcomings: Option<String>,
        /// Nguyên nhân.
        causes: Option<String>,
        /// Khó khăn, vướng mắc.
        obstacles: Option<String>,
        /// Kiến nghị, đề xuất.
        proposals: Option<String>,
    }
}

row! {
    /// One task line of a report's revision: what the unit claims.
    ReportItemFact {
        /// The report.
        report_id: String,
        /// The revision.
        revision: i64,
        /// The task.
        task_id: String,
        /// `not_started`, `in_progress` or `completed`, as claimed.
        status: String,
        /// Percent, as claimed.
        percent: i64,
    }
}

row! {
    /// A task line that contradicted the ledger, as recorded with a step of the report.
    ReportDiscrepancyFact {
        /// The report.
        report_id: String,
        /// The revision.
        revision: i64,
        /// The step that recorded it: `submitted`, `corrected`, `accepted` or `returned`.
        step: String,
        /// The task.
        task_id: String,
        /// How it contradicts (`claimed_completed`, `claimed_open`, `percent_differs`, …).
        kind: String,
        /// The status claimed.
        claimed_status: String,
        /// The percent claimed.
        claimed_percent: i64,
        /// The task's status in the ledger that day (none: not assigned by then).
        ledger_status: Option<String>,
        /// The ledger's percent that day.
        ledger_percent: Option<i64>,
        /// The revision's day, which the lines speak of.
        on_date: String,
    }
}

row! {
    /// A submission or review of a report, dated: the report's state on any day.
    ReportStepFact {
        /// The report.
        report_id: String,
        /// The revision.
        revision: i64,
        /// `submitted`, `corrected`, `accepted` or `returned`.
        step: String,
        /// The day.
        on_date: String,
        /// The reviewing unit, for reviews.
        by_unit: Option<String>,
    }
}

row! {
    /// An obstacle (khó khăn, vướng mắc).
    ObstacleRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// The task.
        task_id: String,
        /// The raising unit.
        raised_by: String,
        /// What is in the way.
        description: String,
        /// Day raised.
        raised_on: String,
        /// `open` or `resolved`.
        status: String,
        /// The body now holding it.
        escalated_to: Option<String>,
        /// Day of the last escalation.
        escalated_on: Option<String>,
        /// Day resolved.
        resolved_on: Option<String>,
        /// What was decided.
        resolution: Option<String>,
        /// The resolving document.
        resolution_basis: Option<String>,
    }
}

row! {
    /// A supervision (giám sát).
    #[cfg_attr(feature = "graphql", graphql(complex))]
    SupervisionRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Supervising body.
        body: String,
        /// What is supervised.
        subject: String,
        /// Supervised units, as a JSON array (a list in GraphQL).
        #[cfg_attr(feature = "graphql", graphql(skip))]
        supervised: String,
        /// Day opened.
        opened_on: String,
        /// Opening document.
        basis: String,
        /// `open` or `closed`.
        status: String,
        /// Day closed.
        closed_on: Option<String>,
        /// The conclusion.
        conclusion: Option<String>,
    }
}

row! {
    /// A supervision recommendation (kiến nghị).
    RecommendationRow {
        /// Key `{supervision}#{number}`.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// The supervision.
        supervision_id: String,
        /// Its number.
        number: i64,
        /// The unit addressed.
        to_unit: String,
        /// What is recommended.
        text: String,
        /// Response deadline.
        respond_by: String,
        /// Day made.
        made_on: String,
        /// Day answered.
        answered_on: Option<String>,
        /// The answer.
        answer: Option<String>,
    }
}

row! {
    /// A briefing (hội nghị giao ban) and its conclusion notice.
    #[cfg_attr(feature = "graphql", graphql(complex))]
    BriefingRow {
        /// Id.
        #[cfg_attr(feature = "graphql", graphql(name = "key"))]
        id: String,
        /// Title.
        title: String,
        /// Chairing body.
        chaired_by: String,
        /// Period reviewed.
        period: Option<String>,
        /// Participants, as a JSON array (a list in GraphQL).
        #[cfg_attr(feature = "graphql", graphql(skip))]
        participants: String,
        /// Day held.
        held_on: String,
        /// Conclusion notice number.
        conclusion_document: Option<String>,
        /// Day of the notice.
        concluded_on: Option<String>,
    }
}

row! {
    /// The audit index: every event's envelope without its payload.
    AuditFact {
        /// The stream.
        stream_id: String,
        /// The stream's type.
        stream_type: String,
        /// Version in the stream.
        stream_version: i64,
        /// Event type.
        event_type: String,
        /// Actor subject.
        actor: String,
        /// Actor display name.
        actor_name: String,
        /// Actor role.
        actor_role: String,
        /// Acting unit.
        acting_unit: Option<String>,
        /// Correlation id.
        correlation_id: String,
        /// Why, in the actor's words.
        reason: Option<String>,
        /// The document the change rests on.
        source_document: Option<String>,
        /// How its date relates to when it was recorded: `backdated` (a live change dated
        /// earlier than its grace), `historical` (a record from the archive), none (on time).
        dating: Option<String>,
        /// Recorded time (RFC 3339, fixed width).
        recorded_at: String,
        /// Effective time.
        effective_at: String,
    }
}

row! {
    /// A document number cited by an event (a programme's or plan's number, a legal basis, a
    /// deliverable): every use of a number, registered or not.
    CitationFact {
        /// Number and symbol.
        number: String,
        /// The citing stream.
        stream_id: String,
        /// The citing event's type.
        event_type: String,
        /// The role of the citation (`document`, `basis`, `deliverable`, …).
        role: String,
        /// The day of the citing event.
        on_date: String,
    }
}

/// Versioned or fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Entity state with `valid_from`/`valid_to`.
    Versioned,
    /// Rows only added, with `valid_from`.
    Fact,
}

/// A table: name, kind, columns and secondary indexes (column lists).
#[derive(Debug, Clone, Copy)]
pub struct TableDef {
    /// Name without the generation prefix.
    pub name: &'static str,
    /// Versioned or fact.
    pub kind: Kind,
    /// Data columns.
    pub columns: &'static [Column],
    /// Secondary indexes, as column lists.
    pub indexes: &'static [&'static str],
}

impl TableDef {
    const fn of<R: Row>(name: &'static str, kind: Kind, indexes: &'static [&'static str]) -> Self {
        Self {
            name,
            kind,
            columns: R::COLUMNS,
            indexes,
        }
    }
}

/// Indices into [`TABLES`], in the order of the projection's change buffers.
#[allow(missing_docs)]
pub mod t {
    pub const UNITS: usize = 0;
    pub const UNIT_NAMES: usize = 1;
    pub const UNIT_PARENTS: usize = 2;
    pub const UNIT_SUCCESSORS: usize = 3;
    pub const DOCUMENTS: usize = 4;
    pub const PROGRAMMES: usize = 5;
    pub const GROUPS: usize = 6;
    pub const PLANS: usize = 7;
    pub const PLAN_UNITS: usize = 8;
    pub const FOCUS: usize = 9;
    pub const TASKS: usize = 10;
    pub const TASK_DEADLINES: usize = 11;
    pub const TASK_PROGRESS: usize = 12;
    pub const TASK_LEADS: usize = 13;
    pub const REPORTS: usize = 14;
    pub const REPORT_STEPS: usize = 15;
    pub const OBSTACLES: usize = 16;
    pub const SUPERVISIONS: usize = 17;
    pub const RECOMMENDATIONS: usize = 18;
    pub const BRIEFINGS: usize = 19;
    pub const CITATIONS: usize = 20;
    pub const AUDIT: usize = 21;
    pub const REPORT_REVISIONS: usize = 22;
    pub const REPORT_ITEMS: usize = 23;
    pub const REPORT_DISCREPANCIES: usize = 24;
}

/// Every read-model table.
pub const TABLES: &[TableDef] = &[
    TableDef::of::<UnitRow>("units", Kind::Versioned, &[]),
    TableDef::of::<UnitNameFact>("unit_names", Kind::Fact, &["unit_id, from_date"]),
    TableDef::of::<UnitParentFact>("unit_parents", Kind::Fact, &["unit_id, from_date"]),
    TableDef::of::<UnitSuccessorFact>(
        "unit_successors",
        Kind::Fact,
        &["unit_id, on_date", "successor"],
    ),
    TableDef::of::<DocumentRow>("documents", Kind::Versioned, &["number"]),
    TableDef::of::<ProgrammeRow>("programmes", Kind::Versioned, &[]),
    TableDef::of::<GroupRow>("groups", Kind::Versioned, &["programme_id"]),
    TableDef::of::<PlanRow>("plans", Kind::Versioned, &[]),
    TableDef::of::<PlanUnitRow>("plan_units", Kind::Versioned, &["plan_id", "unit_id"]),
    TableDef::of::<FocusRow>("focus_programmes", Kind::Versioned, &[]),
    TableDef::of::<TaskRow>(
        "tasks",
        Kind::Versioned,
        &["plan_id", "lead", "programme_id, group_number"],
    ),
    TableDef::of::<TaskDeadlineFact>("task_deadlines", Kind::Fact, &["task_id, from_date"]),
    TableDef::of::<TaskProgressFact>("task_progress", Kind::Fact, &["task_id, on_date"]),
    TableDef::of::<TaskLeadFact>("task_leads", Kind::Fact, &["task_id, from_date"]),
    TableDef::of::<ReportRow>(
        "reports",
        Kind::Versioned,
        &["unit_id, period", "plan_id, period"],
    ),
    TableDef::of::<ReportStepFact>("report_steps", Kind::Fact, &["report_id, on_date"]),
    TableDef::of::<ObstacleRow>("obstacles", Kind::Versioned, &["task_id"]),
    TableDef::of::<SupervisionRow>("supervisions", Kind::Versioned, &[]),
    TableDef::of::<RecommendationRow>(
        "recommendations",
        Kind::Versioned,
        &["supervision_id", "to_unit"],
    ),
    TableDef::of::<BriefingRow>("briefings", Kind::Versioned, &[]),
    TableDef::of::<CitationFact>("citations", Kind::Fact, &["number", "stream_id"]),
    TableDef::of::<AuditFact>(
        "audit",
        Kind::Fact,
        &[
            "stream_id, valid_from",
            "event_type, valid_from",
            "actor, valid_from",
            "acting_unit, valid_from",
            "effective_at",
            // Backdated and archival changes are found by their dating; the others, most
            // of a live ledger, are not in this index.
            "dating, valid_from WHERE dating IS NOT NULL",
        ],
    ),
    TableDef::of::<ReportRevisionFact>("report_revisions", Kind::Fact, &["report_id, revision"]),
    TableDef::of::<ReportItemFact>(
        "report_items",
        Kind::Fact,
        &["report_id, revision", "task_id"],
    ),
    TableDef::of::<ReportDiscrepancyFact>(
        "report_discrepancies",
        Kind::Fact,
        &["report_id, revision"],
    ),
];
