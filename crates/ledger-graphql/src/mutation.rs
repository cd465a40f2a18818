//! Mutations: one per domain command, each checked against the caller's role and unit before
//! anything is written. Inputs are parsed into domain types (a malformed document number, an
//! impossible date or overlong text is `BAD_USER_INPUT` and writes nothing); the actor is the
//! token's, never the input's; the answer gives the new events' positions, and returns once
//! the read models reflect them (up to a few seconds), so the next query sees the change.
//!
//! Who may do what:
//! - **secretariat**: units (register, rename, reparent, merge, dissolve, successors),
//!   documents, programmes (adopt, amend, review, close), plans (issue, amend, supersede,
//!   recorded unit plans), focus programmes, tasks (assign, remind, extend, transfer,
//!   cancel), report review, obstacle escalation and resolution, briefings and conclusions;
//! - **unit reporter**, for its own unit only: progress reports and completion of its tasks,
//!   reports and their corrections, obstacles it raises, answers to recommendations to it;
//! - **supervisor**: supervisions, recommendations, closing them;
//! - **inspector**: reads only.

use std::time::Duration;

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use ledger_app::AppError;
use ledger_app::scenario::{Step, run_step};
use ledger_store::cqrs::CommandContext;
use ledger_store::{Actor, EventStore, Metadata, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};

use crate::Api;
use crate::auth::Role;
use crate::error::{Code, coded, coded_vi, internal};

/// How long a mutation waits for the read models to reflect its events.
const WAIT_FOR_PROJECTION: Duration = Duration::from_secs(5);

/// What a mutation wrote.
#[derive(Debug, Clone, SimpleObject)]
pub struct CommandResult {
    /// Position of the first new event.
    pub first_position: u64,
    /// Position of the last new event: ask `asOf: {position: …}` to read exactly this state.
    pub last_position: u64,
    /// When the events were recorded.
    pub recorded_at: String,
    /// True when the same idempotency key had already been used: nothing new was written.
    pub replayed: bool,
}

/// A numbered solution group.
#[derive(Debug, Clone, InputObject, Serialize)]
pub struct SolutionGroupInput {
    /// 1, 2, 3, … in order.
    pub number: i32,
    /// Its title.
    pub title: String,
}

/// What a plan implements.
#[derive(Debug, Clone, InputObject, Serialize)]
pub struct ImplementsInput {
    /// `programme` or `plan`.
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// A unit plan a plan requires.
#[derive(Debug, Clone, InputObject, Serialize)]
pub struct RequiredPlanInput {
    /// The unit.
    pub unit: String,
    /// Due day.
    pub due: NaiveDate,
}

/// One task's line in a report.
#[derive(Debug, Clone, InputObject, Serialize)]
pub struct ReportItemInput {
    /// The task.
    pub task: String,
    /// `not_started`, `in_progress` or `completed`.
    pub status: String,
    /// 0–100.
    pub percent: i32,
}

/// What a report says, in the standard sections.
#[derive(Debug, Clone, Default, InputObject, Serialize)]
pub struct ReportContentInput {
    /// One line per task.
    #[graphql(default)]
    pub items: Vec<ReportItemInput>,
    /// Kết quả đạt được.
    pub achievements: Option<String>,
    /// Hạn chế.
    pub shortcomings: Option<String>,
    /// Nguyên nhân.
    pub causes: Option<String>,
    /// Khó khăn, vướng mắc.
    pub obstacles: Option<String>,
    /// Kiến nghị, đề xuất.
    pub proposals: Option<String>,
}

/// One priority of a focus programme.
#[derive(Debug, Clone, InputObject, Serialize)]
pub struct PriorityInput {
    /// Its solution group.
    pub group: i32,
    /// Its title.
    pub title: String,
    /// The tasks it covers.
    pub tasks: Vec<String>,
}

/// A document's numbering range: a Party congress term or a calendar year.
#[derive(Debug, Clone, InputObject, Serialize)]
pub struct NumberingInput {
    /// `term` or `year`.
    pub kind: String,
    /// First year of a term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<i32>,
    /// Last year of a term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<i32>,
    /// The year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

/// Who issued a document, in which numbering range, and its number.
#[derive(Debug, Clone, InputObject, Serialize)]
pub struct DocumentIdentityInput {
    /// The issuing unit.
    pub issuer: String,
    /// The numbering range.
    pub numbering: NumberingInput,
    /// Its number and symbol (`44-KH/TU`).
    pub number: String,
}

/// The mutations of the domain's commands.
#[derive(Default)]
pub struct Mutation;

/// Who may run a command, and which input field names the unit a reporter must act for.
struct Rule {
    kind: &'static str,
    roles: &'static [Role],
    scope: Option<String>,
}

macro_rules! mutations {
    ($(
        $(#[$doc:meta])*
        $method:ident($input:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? })
            => $kind:literal, [$($role:ident),+], scope: $scope:tt;
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, InputObject, Serialize)]
            pub struct $input {
                $($(#[$fdoc])* pub $field: $ty,)*
            }
        )*

        #[Object]
        impl Mutation {
            $(
                $(#[$doc])*
                async fn $method(
                    &self,
                    ctx: &Context<'_>,
                    input: $input,
                    #[graphql(desc = "Why, in the actor's words (kept in the history).")]
                    reason: Option<String>,
                    #[graphql(desc = "Repeat a request with the same key: it is applied once.")]
                    idempotency_key: Option<String>,
                ) -> Result<CommandResult> {
                    let rule = Rule {
                        kind: $kind,
                        roles: &[$(Role::$role),+],
                        scope: mutations!(@scope input $scope),
                    };
                    let value = serde_json::to_value(&input).map_err(|e| internal(&e))?;
                    run(ctx, rule, value, reason, idempotency_key).await
                }
            )*
        }
    };
    (@scope $input:ident none) => { None };
    (@scope $input:ident $field:ident) => { Some($input.$field.clone()) };
}

mutations! {
    /// Registers a unit (đăng ký đơn vị).
    register_unit(RegisterUnitInput {
        /// Stable id (a slug).
        id: String,
        /// `party_organ`, `state_body`, `judicial_body`, `elected_body`, `mass_organisation`,
        /// `locality`.
        kind: String,
        /// Its name.
        name: String,
        /// Its parent.
        parent: Option<String>,
        /// From when.
        established_on: NaiveDate,
        /// Founding document.
        basis: Option<String>,
    }) => "register_unit", [Secretariat], scope: none;
    /// Renames a unit (đổi tên).
    rename_unit(RenameUnitInput {
        /// The unit.
        id: String,
        /// New name.
        name: String,
        /// Effective day.
        on: NaiveDate,
        /// Legal basis.
        basis: String,
    }) => "rename_unit", [Secretariat], scope: none;
    /// Merges a unit into another (hợp nhất, sáp nhập).
    merge_unit(MergeUnitInput {
        /// The unit.
        id: String,
        /// The receiving unit.
        into: String,
        /// Effective day.
        on: NaiveDate,
        /// Legal basis.
        basis: String,
    }) => "merge_unit", [Secretariat], scope: none;
    /// Dissolves a unit (giải thể).
    dissolve_unit(DissolveUnitInput {
        /// The unit.
        id: String,
        /// Effective day.
        on: NaiveDate,
        /// Legal basis.
        basis: String,
    }) => "dissolve_unit", [Secretariat], scope: none;
    /// Declares a successor of a merged or dissolved unit (đơn vị kế thừa).
    declare_successor(DeclareSuccessorInput {
        /// The unit.
        id: String,
        /// Its successor.
        successor: String,
        /// Effective day.
        on: NaiveDate,
        /// Legal basis.
        basis: String,
    }) => "declare_successor", [Secretariat], scope: none;
    /// Adopts a programme (Đề án).
    adopt_programme(AdoptProgrammeInput {
        /// Id.
        id: String,
        /// Its number (`10-ĐA/TU`).
        document: String,
        /// Issuing unit.
        issuer: String,
        /// Title.
        title: String,
        /// Objectives.
        objectives: String,
        /// First year.
        from_year: i32,
        /// Last year.
        to_year: i32,
        /// Solution groups, numbered 1, 2, 3, …
        groups: Vec<SolutionGroupInput>,
        /// The day.
        adopted_on: NaiveDate,
    }) => "adopt_programme", [Secretariat], scope: none;
    /// Issues a plan (Kế hoạch).
    issue_plan(IssuePlanInput {
        /// Id.
        id: String,
        /// Its number (`44-KH/TU`).
        document: String,
        /// Issuing unit.
        issuer: String,
        /// Title.
        title: String,
        /// What it implements.
        implements: ImplementsInput,
        /// Unit plans it requires.
        required_unit_plans: Vec<RequiredPlanInput>,
        /// The day.
        issued_on: NaiveDate,
    }) => "issue_plan", [Secretariat], scope: none;
    /// Records a unit plan a plan required.
    record_unit_plan(RecordUnitPlanInput {
        /// The requiring plan.
        plan: String,
        /// The unit.
        unit: String,
        /// The unit's plan.
        unit_plan: String,
        /// The day.
        on: NaiveDate,
    }) => "record_unit_plan", [Secretariat], scope: none;
    /// Assigns a task (giao nhiệm vụ).
    assign_task(AssignTaskInput {
        /// Id.
        id: String,
        /// Its plan.
        plan: String,
        /// Solution group number.
        group: Option<i32>,
        /// What is to be done.
        title: String,
        /// Lead unit.
        lead: String,
        /// Coordinating units.
        coordinating: Vec<String>,
        /// Deadline.
        deadline: NaiveDate,
        /// Expected deliverable.
        deliverable: Option<String>,
        /// Day of assignment.
        assigned_on: NaiveDate,
        /// Assigning document.
        basis: String,
    }) => "assign_task", [Secretariat], scope: none;
    /// Reports progress on a task (báo cáo tiến độ), for the reporter's own unit.
    report_progress(ReportProgressInput {
        /// The task.
        task: String,
        /// The reporting unit (the caller's).
        by: String,
        /// 0–100.
        percent: i32,
        /// What was done.
        note: String,
        /// The day.
        on: NaiveDate,
    }) => "report_progress", [UnitReporter], scope: by;
    /// Completes a task (hoàn thành), by its lead.
    complete_task(CompleteTaskInput {
        /// The task.
        task: String,
        /// The lead unit (the caller's).
        by: String,
        /// The deliverable document's number.
        deliverable: String,
        /// The day.
        on: NaiveDate,
    }) => "complete_task", [UnitReporter], scope: by;
    /// Moves a task's deadline later (gia hạn).
    extend_deadline(ExtendDeadlineInput {
        /// The task.
        task: String,
        /// The new deadline.
        deadline: NaiveDate,
        /// The day it was decided.
        on: NaiveDate,
        /// Why.
        reason: String,
        /// The document.
        basis: String,
    }) => "extend_deadline", [Secretariat], scope: none;
    /// Moves a task's lead to another unit (chuyển giao).
    transfer_task(TransferTaskInput {
        /// The task.
        task: String,
        /// The new lead.
        to: String,
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: String,
        /// The document.
        basis: String,
    }) => "transfer_task", [Secretariat], scope: none;
    /// Submits a report (gửi báo cáo), for the reporter's own unit.
    submit_report(SubmitReportInput {
        /// Id.
        id: String,
        /// The reporting unit (the caller's).
        unit: String,
        /// The plan.
        plan: String,
        /// The period (`2023-Q2`).
        period: String,
        /// The day.
        submitted_on: NaiveDate,
        /// What it says.
        content: ReportContentInput,
    }) => "submit_report", [UnitReporter], scope: unit;
    /// Submits a corrected revision of a report, for the reporter's own unit.
    correct_report(CorrectReportInput {
        /// The report.
        id: String,
        /// The reporting unit (the caller's).
        unit: String,
        /// The revision it supersedes.
        corrects: i32,
        /// Why.
        reason: String,
        /// The day.
        submitted_on: NaiveDate,
        /// What it says now.
        content: ReportContentInput,
    }) => "correct_report", [UnitReporter], scope: unit;
    /// Accepts a report (tiếp nhận).
    accept_report(AcceptReportInput {
        /// The report.
        id: String,
        /// The reviewing unit.
        by: String,
        /// The day.
        on: NaiveDate,
    }) => "accept_report", [Secretariat], scope: none;
    /// Returns a report (trả lại), with the reason.
    return_report(ReturnReportInput {
        /// The report.
        id: String,
        /// The reviewing unit.
        by: String,
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: String,
    }) => "return_report", [Secretariat], scope: none;
    /// Raises an obstacle (khó khăn, vướng mắc), for the reporter's own unit.
    raise_obstacle(RaiseObstacleInput {
        /// Id.
        id: String,
        /// The task.
        task: String,
        /// The raising unit (the caller's).
        by: String,
        /// What is in the way.
        description: String,
        /// The day.
        raised_on: NaiveDate,
    }) => "raise_obstacle", [UnitReporter], scope: by;
    /// Escalates an obstacle to a body that can resolve it.
    escalate_obstacle(EscalateObstacleInput {
        /// The obstacle.
        id: String,
        /// The body.
        to: String,
        /// The day.
        on: NaiveDate,
        /// Why.
        note: Option<String>,
    }) => "escalate_obstacle", [Secretariat], scope: none;
    /// Resolves an obstacle.
    resolve_obstacle(ResolveObstacleInput {
        /// The obstacle.
        id: String,
        /// The day.
        on: NaiveDate,
        /// What was decided.
        resolution: String,
        /// The resolving document.
        basis: String,
    }) => "resolve_obstacle", [Secretariat], scope: none;
    /// Adopts a year's focus programme (chương trình trọng tâm).
    adopt_focus_programme(AdoptFocusProgrammeInput {
        /// Id.
        id: String,
        /// The programme.
        programme: String,
        /// The year.
        year: i32,
        /// The adopting body.
        by: String,
        /// Its number.
        document: String,
        /// The priorities.
        priorities: Vec<PriorityInput>,
        /// The day.
        adopted_on: NaiveDate,
    }) => "adopt_focus_programme", [Secretariat], scope: none;
    /// Opens a supervision (giám sát).
    open_supervision(OpenSupervisionInput {
        /// Id.
        id: String,
        /// The supervising body.
        body: String,
        /// What is supervised.
        subject: String,
        /// The supervised units.
        supervised: Vec<String>,
        /// The day.
        opened_on: NaiveDate,
        /// The document.
        basis: String,
    }) => "open_supervision", [Supervisor], scope: none;
    /// Makes a recommendation (kiến nghị).
    recommend(RecommendInput {
        /// The supervision.
        supervision: String,
        /// The unit addressed.
        to: String,
        /// What is recommended.
        text: String,
        /// Response deadline.
        respond_by: NaiveDate,
        /// The day.
        on: NaiveDate,
    }) => "recommend", [Supervisor], scope: none;
    /// Answers a recommendation, for the reporter's own unit.
    answer_recommendation(AnswerRecommendationInput {
        /// The supervision.
        supervision: String,
        /// The recommendation's number.
        number: i32,
        /// The answering unit (the caller's).
        by: String,
        /// The answer.
        answer: String,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: Option<String>,
    }) => "answer_recommendation", [UnitReporter], scope: by;
    /// Closes a supervision with its conclusion.
    close_supervision(CloseSupervisionInput {
        /// The supervision.
        id: String,
        /// The day.
        on: NaiveDate,
        /// The conclusion.
        conclusion: String,
        /// The document.
        basis: String,
    }) => "close_supervision", [Supervisor], scope: none;
    /// Moves a unit under another parent (thay đổi cơ quan cấp trên).
    reparent_unit(ReparentUnitInput {
        /// The unit.
        id: String,
        /// The new parent (none: top level).
        parent: Option<String>,
        /// Effective day.
        on: NaiveDate,
        /// Legal basis.
        basis: String,
    }) => "reparent_unit", [Secretariat], scope: none;
    /// Registers an issued document (văn bản) with its identity.
    register_document(RegisterDocumentInput {
        /// Issuer, numbering range and number.
        identity: DocumentIdentityInput,
        /// Its title (trích yếu).
        title: String,
        /// The signing organ, when not the issuer's usual one.
        signed_by: Option<String>,
        /// The day it was issued.
        issued_on: NaiveDate,
    }) => "register_document", [Secretariat], scope: none;
    /// Amends a programme: title, objectives or the solution groups, whole.
    amend_programme(AmendProgrammeInput {
        /// The programme.
        id: String,
        /// New title.
        title: Option<String>,
        /// New objectives.
        objectives: Option<String>,
        /// New solution groups.
        groups: Option<Vec<SolutionGroupInput>>,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: String,
    }) => "amend_programme", [Secretariat], scope: none;
    /// Records a midterm (sơ kết) or final (tổng kết) review of a programme.
    review_programme(ReviewProgrammeInput {
        /// The programme.
        id: String,
        /// `midterm` or `final`.
        kind: String,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: String,
        /// Conclusions.
        summary: String,
    }) => "review_programme", [Secretariat], scope: none;
    /// Closes a programme.
    close_programme(CloseProgrammeInput {
        /// The programme.
        id: String,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: String,
    }) => "close_programme", [Secretariat], scope: none;
    /// Amends a plan: title or the unit plans it requires.
    amend_plan(AmendPlanInput {
        /// The plan.
        id: String,
        /// New title.
        title: Option<String>,
        /// New required unit plans.
        required_unit_plans: Option<Vec<RequiredPlanInput>>,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: String,
    }) => "amend_plan", [Secretariat], scope: none;
    /// Records that another plan supersedes a plan.
    supersede_plan(SupersedePlanInput {
        /// The plan.
        id: String,
        /// The plan that supersedes it.
        by: String,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: String,
    }) => "supersede_plan", [Secretariat], scope: none;
    /// Replaces a focus programme's priorities.
    amend_focus_programme(AmendFocusProgrammeInput {
        /// The focus programme.
        id: String,
        /// The new priorities.
        priorities: Vec<PriorityInput>,
        /// The day.
        on: NaiveDate,
        /// The document.
        basis: String,
    }) => "amend_focus_programme", [Secretariat], scope: none;
    /// Issues a reminder on a task (đôn đốc).
    issue_reminder(IssueReminderInput {
        /// The task.
        task: String,
        /// The day.
        on: NaiveDate,
        /// What was said.
        note: Option<String>,
        /// The document.
        basis: Option<String>,
    }) => "issue_reminder", [Secretariat], scope: none;
    /// Cancels a task (hủy).
    cancel_task(CancelTaskInput {
        /// The task.
        task: String,
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: String,
        /// The document.
        basis: String,
    }) => "cancel_task", [Secretariat], scope: none;
    /// Records a briefing held (hội nghị giao ban).
    hold_briefing(HoldBriefingInput {
        /// Id.
        id: String,
        /// Title.
        title: String,
        /// The chairing body.
        chaired_by: String,
        /// The period reviewed.
        period: Option<String>,
        /// The participants.
        participants: Vec<String>,
        /// The day.
        held_on: NaiveDate,
    }) => "hold_briefing", [Secretariat], scope: none;
    /// Records a briefing's conclusion notice (thông báo kết luận).
    issue_conclusion(IssueConclusionInput {
        /// The briefing.
        briefing: String,
        /// The notice's number.
        document: String,
        /// The day.
        on: NaiveDate,
        /// What was concluded.
        conclusions: String,
        /// Tasks it sets or follows up.
        follow_up: Vec<String>,
    }) => "issue_conclusion", [Secretariat], scope: none;
}

/// Scenario steps have no `unit` field for corrections: the report names its unit.
fn step_value(kind: &str, mut input: Value) -> Value {
    if kind == "correct_report"
        && let Value::Object(fields) = &mut input
    {
        fields.remove("unit");
    }
    json!({ kind: input })
}

fn refusal(e: AppError) -> async_graphql::Error {
    match &e {
        AppError::Conflict(_) => coded_vi(Code::Conflict, e.to_string(), e.vi()),
        AppError::UnknownUnit(_) => coded_vi(Code::NotFound, e.to_string(), e.vi()),
        AppError::Store(_) => internal(&e),
        _ => coded_vi(Code::BadUserInput, e.to_string(), e.vi()),
    }
}

async fn run(
    ctx: &Context<'_>,
    rule: Rule,
    input: Value,
    reason: Option<String>,
    idempotency_key: Option<String>,
) -> Result<CommandResult> {
    let api = ctx.data::<Api>()?;
    let principal = crate::principal(ctx).ok_or_else(|| {
        coded(
            Code::Unauthenticated,
            "sign in: send `Authorization: Bearer <token>`",
        )
    })?;
    if !rule.roles.contains(&principal.role) {
        return Err(coded_vi(
            Code::Forbidden,
            format!(
                "a {} may not {}",
                principal.role,
                rule.kind.replace('_', " ")
            ),
            "vai trò của bạn không được thực hiện thao tác này",
        ));
    }
    if principal.role == Role::UnitReporter && rule.scope != principal.unit {
        return Err(coded_vi(
            Code::Forbidden,
            "a unit reporter acts for its own unit only",
            "cán bộ báo cáo chỉ được thao tác cho đơn vị của mình",
        ));
    }
    if rule.kind == "correct_report" && principal.role == Role::UnitReporter {
        // The correction names the report, not its unit: check the report is the caller's.
        let id = input
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let unit = principal.unit.clone().unwrap_or_default();
        let mut snapshot = api
            .read
            .snapshot(ledger_projections::AsOf::Present)
            .await
            .map_err(crate::error::from_read)?;
        let theirs = snapshot
            .report(&id)
            .await
            .map_err(crate::error::from_read)?
            .is_some_and(|r| r.unit_id == unit);
        snapshot.close().await.map_err(crate::error::from_read)?;
        if !theirs {
            return Err(coded_vi(
                Code::Forbidden,
                "a unit reporter corrects its own unit's reports only",
                "cán bộ báo cáo chỉ được điều chỉnh báo cáo của đơn vị mình",
            ));
        }
    }
    let step: Step = serde_json::from_value(step_value(rule.kind, input))
        .map_err(|e| coded(Code::BadUserInput, format!("{}: {e}", rule.kind)))?;
    let key = format!(
        "api:{}:{}",
        principal.subject,
        idempotency_key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    );
    if let Some(done) = api
        .store
        .idempotent_result(&key)
        .await
        .map_err(|e| internal(&e))?
    {
        return Ok(CommandResult {
            first_position: done.first_position,
            last_position: done.last_position,
            recorded_at: done.recorded_at.to_string(),
            replayed: true,
        });
    }
    let mut metadata = Metadata::new(Actor {
        subject: principal.subject.clone(),
        display_name: principal.name.clone(),
        role: principal.role.as_str().to_owned(),
    });
    metadata.acting_unit = principal.unit.clone();
    metadata.idempotency_key = Some(key.clone());
    metadata.reason = reason;
    let midnight = step.date().and_time(chrono::NaiveTime::MIN).and_utc();
    let effective_at = Timestamp::from_datetime(midnight)
        .map_err(|e| coded(Code::BadUserInput, format!("{}: {e}", rule.kind)))?;
    let context = CommandContext {
        metadata,
        effective_at: Some(effective_at),
    };
    run_step(&api.ledger, &context, step)
        .await
        .map_err(refusal)?;
    let done = api
        .store
        .idempotent_result(&key)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(|| internal(&"the command wrote nothing"))?;
    // Read your writes: wait (briefly) until the answers reflect the change.
    let _ = api
        .projector
        .wait_for(done.last_position, WAIT_FOR_PROJECTION)
        .await;
    Ok(CommandResult {
        first_position: done.first_position,
        last_position: done.last_position,
        recorded_at: done.recorded_at.to_string(),
        replayed: false,
    })
}
