//! The demo: the archive's records of Đề án 10-ĐA/TU ([`crate::scenario::DEMO`], entered by
//! the archivist, each attested) and, after them, a few **live** actions by the people the
//! demo hands tokens to, dated by today's clock, so the rules about time show in the answers:
//!
//! 1. the secretariat records, today, a deadline extension decided on 20/12/2024 — a
//!    **backdated** change, with its reason and basis document;
//! 2. Sở Tư pháp's reporter submits its report for 2025-Q3 today: **received late** (the
//!    deadline was 15/9/2025), and one of its lines claims a task completed that the ledger has
//!    open — a **discrepancy**;
//! 3. the secretariat accepts it, acknowledging the discrepancy, which stays in its history.
//!
//! The live actions run once per database (their keys, `demo:live:{n}`, mark them done),
//! whatever day the demo is started again.

use ledger_domain::access::Role;
use ledger_domain::report::{AcceptReport, ItemStatus, ReportContent, ReportItem, SubmitReport};
use ledger_domain::task::ExtendDeadline;
use ledger_domain::value::{
    Date, DocumentNumber, LongText, Percent, PlanId, ReportId, TaskId, UnitId,
};
use ledger_store::EventStore;

use crate::error::AppError;
use crate::path::{CommandPath, Principal, Request};
use crate::scenario::{Progress, ScenarioError, import, parse};

/// The people of the demo: one per role that acts, with the unit each acts for.
#[must_use]
pub fn principals() -> Vec<Principal> {
    let person = |role: Role, unit: Option<&str>, name: &str| Principal {
        subject: format!("demo-{role}"),
        name: name.to_owned(),
        role,
        unit: unit.and_then(|u| UnitId::parse(u).ok()),
    };
    vec![
        person(
            Role::Secretariat,
            Some("ban-noi-chinh-tinh-uy"),
            "Văn phòng Ban Nội chính (demo)",
        ),
        person(
            Role::UnitReporter,
            Some("so-tu-phap"),
            "Cán bộ Sở Tư pháp (demo)",
        ),
        person(
            Role::Supervisor,
            Some("hdnd-tinh"),
            "Ban Pháp chế HĐND tỉnh (demo)",
        ),
        person(Role::Inspector, None, "Ủy ban Kiểm tra (demo)"),
    ]
}

/// The demo's person with `role`.
fn principal(role: Role) -> Result<Principal, AppError> {
    principals()
        .into_iter()
        .find(|p| p.role == role)
        .ok_or_else(|| AppError::Invalid(format!("the demo has no {role}")))
}

fn parsed<T: std::str::FromStr>(text: &str) -> Result<T, AppError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| AppError::Invalid(format!("{text}: {e}")))
}

fn long(text: &str) -> Result<LongText, AppError> {
    LongText::parse(text).map_err(|e| AppError::Invalid(e.to_string()))
}

/// Runs the live actions not run yet on this database; returns how many ran.
///
/// # Errors
/// A refusal or a store failure (the actions before it stay applied).
pub async fn live<S: EventStore>(path: &CommandPath<S>) -> Result<usize, AppError> {
    let today = path.today();
    let secretariat = principal(Role::Secretariat)?;
    let reporter = principal(Role::UnitReporter)?;
    let report =
        ReportId::parse("so-tu-phap-2025-q3").map_err(|e| AppError::Invalid(e.to_string()))?;
    let mut ran = 0;
    for n in 0..3 {
        let key = format!("demo:live:{n}");
        if path.store().idempotent_result(&key).await?.is_some() {
            continue;
        }
        let request = |reason: Option<LongText>, document: Option<DocumentNumber>| Request {
            reason,
            source_document: document,
            idempotency_key: Some(key.clone()),
            correlation_id: None,
        };
        match n {
            0 => {
                let extension = ExtendDeadline {
                    task: parsed::<TaskId>("hop-tac-quoc-te")?,
                    deadline: parsed::<Date>("2025-12-31")?,
                    on: parsed::<Date>("2024-12-20")?,
                    reason: long(
                        "Chờ chủ trương của Bộ Tư pháp về hợp tác với đối tác nước ngoài",
                    )?,
                    basis: parsed::<DocumentNumber>("215/QĐ-UBND")?,
                };
                let why =
                    long("Quyết định gia hạn ban hành ngày 20/12/2024, nay mới được nhập vào sổ")?;
                path.execute(&secretariat, &request(Some(why), None), extension)
                    .await?;
            }
            1 => {
                let line = |task: &str, status, percent| -> Result<ReportItem, AppError> {
                    Ok(ReportItem {
                        task: parsed(task)?,
                        status,
                        percent: Percent::new(percent)
                            .map_err(|e| AppError::Invalid(e.to_string()))?,
                    })
                };
                let submission = SubmitReport {
                    id: report.clone(),
                    unit: parsed::<UnitId>("so-tu-phap")?,
                    plan: parsed::<PlanId>("kh-44-kh-tu")?,
                    period: parsed("2025-Q3")?,
                    submitted_on: today,
                    content: ReportContent {
                        items: vec![
                            line("hop-tac-quoc-te", ItemStatus::Completed, 100)?,
                            line("boi-duong-can-bo", ItemStatus::InProgress, 90)?,
                        ],
                        achievements: Some(long(
                            "Hoàn thành chương trình hợp tác quốc tế về tư pháp giai đoạn 2021-2025",
                        )?),
                        shortcomings: Some(long("Báo cáo gửi chậm so với thời hạn")?),
                        causes: None,
                        obstacles: None,
                        proposals: Some(long("Đề nghị gia hạn nhiệm vụ bồi dưỡng cán bộ")?),
                    },
                    attested: None,
                };
                path.execute(&reporter, &request(None, None), submission)
                    .await?;
            }
            _ => {
                let acceptance = AcceptReport {
                    id: report.clone(),
                    by: parsed::<UnitId>("ban-noi-chinh-tinh-uy")?,
                    on: today,
                    acknowledge_discrepancies: true,
                };
                let why = long(
                    "Tiếp nhận; dòng báo cáo về hợp tác quốc tế chưa khớp với sổ, đề nghị Sở Tư pháp báo cáo hoàn thành nhiệm vụ",
                )?;
                path.execute(&secretariat, &request(Some(why), None), acceptance)
                    .await?;
            }
        }
        ran += 1;
    }
    Ok(ran)
}

/// The whole demo on `path`: the scenario imported (or resumed), then the live actions.
///
/// # Errors
/// A malformed scenario, a refused step or live action, a store failure.
pub async fn set_up<S: EventStore>(
    path: &CommandPath<S>,
    progress: impl FnMut(Progress),
) -> Result<Progress, ScenarioError> {
    let scenario = parse(crate::scenario::DEMO)?;
    let imported = import(path, &scenario, progress).await?;
    live(path).await.map_err(|error| ScenarioError::Step {
        index: scenario.steps.len(),
        label: "demo live actions".to_owned(),
        error,
    })?;
    Ok(imported)
}
