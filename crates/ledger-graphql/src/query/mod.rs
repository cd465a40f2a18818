//! The query root: every field can be asked **as of** a past position or recorded time, and,
//! where the world's date matters, **on** an effective date; every answer says the log
//! position it reflects.
//!
//! One room per area, each its own object merged into the root ([`crate::QueryRoot`]):
//! [`paging`] (pages, cursors), [`node`] (global ids), [`units`], [`plans`] (documents,
//! programmes, plans, focus programmes), [`tasks`] (tasks and roll-ups), [`reports`]
//! (reports, discrepancies, the compliance matrix), [`supervision`] (obstacles,
//! supervisions, recommendations, briefings), [`audit`] (histories and the audit log) and
//! [`log`] (the read models' checkpoint, proofs and signed checkpoints).
//!
//! Readers: anyone signed in. Callers without a token only where the deployment allows it
//! (`ledger demo`, or `ledger serve --anonymous-rollups`), and then exactly the fields marked
//! public here: progress roll-ups, the compliance matrix, the checkpoint, proofs and signed
//! checkpoints ([`PUBLIC_FIELDS`]).

pub mod audit;
pub mod log;
pub mod node;
pub mod paging;
pub mod plans;
pub mod reports;
pub mod supervision;
pub mod tasks;
pub mod units;

use std::sync::Arc;

use async_graphql::{Context, InputObject, OutputType, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use ledger_domain::value::Date;
use ledger_projections::{AsOf, Snapshot};
use ledger_store::Timestamp;

use crate::Api;
use crate::answers::Pin;
use crate::error::{Code, coded_vi, from_read, unauthenticated};

/// The query fields a caller without a token may read, where the deployment allows it.
pub const PUBLIC_FIELDS: &[&str] = &[
    "progress",
    "complianceMatrix",
    "checkpoint",
    "inclusionProof",
    "consistencyProof",
    "signedCheckpoint",
    "checkpoints",
];

/// Which state of the log to answer from: a position, or a recorded time (not both). Omitted:
/// the present.
#[derive(Debug, Clone, Copy, Default, InputObject)]
pub struct AsOfInput {
    /// A global log position.
    pub position: Option<u64>,
    /// A recorded time: the answer reflects the last position recorded by then.
    pub recorded_at: Option<DateTime<Utc>>,
}

/// A list answer that is not paged (roll-ups, matrices).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(concrete(name = "RollupAnswer", params(ledger_projections::query::Rollup)))]
#[graphql(concrete(
    name = "RequiredUnitPlanAnswer",
    params(ledger_projections::query::MissingUnitPlan)
))]
#[graphql(concrete(name = "GroupAnswer", params(ledger_projections::tables::GroupRow)))]
#[graphql(concrete(name = "ProgrammeAnswer", params(plans::Programme)))]
#[graphql(concrete(name = "PlanAnswer", params(plans::Plan)))]
#[graphql(concrete(
    name = "DocumentAnswer",
    params(ledger_projections::query::DocumentRef)
))]
#[graphql(concrete(
    name = "CitationAnswer",
    params(ledger_projections::tables::CitationFact)
))]
#[graphql(concrete(
    name = "SupervisionAnswer",
    params(ledger_projections::tables::SupervisionRow)
))]
#[graphql(concrete(
    name = "FocusProgrammeAnswer",
    params(ledger_projections::tables::FocusRow)
))]
#[graphql(concrete(
    name = "BriefingAnswer",
    params(ledger_projections::tables::BriefingRow)
))]
#[graphql(concrete(name = "DiscrepancyAnswer", params(reports::ReportDiscrepancy)))]
pub struct ListAnswer<T: OutputType> {
    /// The log position the answer reflects.
    pub position: u64,
    /// The items.
    pub items: Vec<T>,
}

/// The day fields default their effective date to: the request's (see [`crate::answers`]),
/// else today in Việt Nam.
fn today(ctx: &Context<'_>) -> NaiveDate {
    ctx.data_opt::<Arc<Pin>>()
        .map_or_else(crate::today, |pin| pin.today())
}

/// The effective date asked about, or the request's day.
fn on_day(ctx: &Context<'_>, on: Option<Date>) -> NaiveDate {
    on.map_or_else(|| today(ctx), Date::get)
}

fn timestamp(field: &str, t: DateTime<Utc>) -> Result<Timestamp> {
    Timestamp::from_datetime(t).map_err(|e| {
        coded_vi(
            Code::BadUserInput,
            format!("{field}: {e}"),
            format!("{field}: thời điểm nằm ngoài phạm vi năm 1 đến 9999"),
        )
    })
}

fn as_of(input: Option<AsOfInput>) -> Result<AsOf> {
    match input.unwrap_or_default() {
        AsOfInput {
            position: Some(_),
            recorded_at: Some(_),
        } => Err(coded_vi(
            Code::BadUserInput,
            "asOf: give a position or a recorded time, not both",
            "asOf: chỉ nêu vị trí hoặc thời điểm ghi nhận, không nêu cả hai",
        )),
        AsOfInput {
            position: Some(p), ..
        } => Ok(AsOf::Position(p)),
        AsOfInput {
            recorded_at: Some(t),
            ..
        } => Ok(AsOf::RecordedAt(timestamp("asOf.recordedAt", t)?)),
        _ => Ok(AsOf::Present),
    }
}

/// Readers: anyone signed in; anonymous callers only where the deployment allows it, and then
/// only the [`PUBLIC_FIELDS`].
fn require_reader(ctx: &Context<'_>, public: bool) -> Result<()> {
    let api = ctx.data::<Api>()?;
    match crate::principal(ctx) {
        Some(_) => Ok(()),
        None if public && api.anonymous_rollups => Ok(()),
        None => Err(unauthenticated()),
    }
}

/// Inspectors only (the audit log and the event feed name actors).
fn require_inspector(ctx: &Context<'_>, what: &str, vi: &str) -> Result<()> {
    match crate::principal(ctx) {
        None => Err(unauthenticated()),
        Some(p) if p.role == crate::auth::Role::Inspector => Ok(()),
        Some(_) => Err(coded_vi(
            Code::Forbidden,
            format!("{what} is for inspectors"),
            format!("{vi} chỉ dành cho cơ quan kiểm tra"),
        )),
    }
}

/// A snapshot as of `at`, the head being the request's pinned position if it has one.
async fn snapshot(ctx: &Context<'_>, at: Option<AsOfInput>) -> Result<Snapshot> {
    snapshot_as_of(ctx, as_of(at)?).await
}

/// A snapshot as of `at`, pinned like [`snapshot`].
async fn snapshot_as_of(ctx: &Context<'_>, at: AsOf) -> Result<Snapshot> {
    let api = ctx.data::<Api>()?;
    let pin = ctx
        .data_opt::<Arc<Pin>>()
        .map_or(u64::MAX, |p| p.position());
    api.read.snapshot_pinned(at, pin).await.map_err(from_read)
}

async fn finish<T>(snapshot: Snapshot, value: T) -> Result<T> {
    snapshot.close().await.map_err(from_read)?;
    Ok(value)
}

/// The future a read of a snapshot returns, borrowing it.
type Read<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = ledger_projections::Result<T>> + Send + 'a>>;

/// A list answer: checks the reader, opens the snapshot, reads, and says the position.
async fn list<T: OutputType>(
    ctx: &Context<'_>,
    as_of: Option<AsOfInput>,
    public: bool,
    read: impl for<'a> FnOnce(&'a mut Snapshot) -> Read<'a, Vec<T>>,
) -> Result<ListAnswer<T>> {
    require_reader(ctx, public)?;
    let mut s = snapshot(ctx, as_of).await?;
    let items = read(&mut s).await.map_err(from_read)?;
    let position = s.position();
    finish(s, ListAnswer { position, items }).await
}

/// A page of what `read` gives on `on` (default: the request's day), the items `keep` keeps,
/// each as `into` makes it: checks the reader, opens the snapshot, says the position.
async fn page_on<R, T: OutputType>(
    ctx: &Context<'_>,
    as_of: Option<AsOfInput>,
    on: Option<Date>,
    args: paging::PageArgs,
    read: impl for<'a> FnOnce(&'a mut Snapshot, NaiveDate) -> Read<'a, Vec<R>>,
    keep: impl Fn(&R) -> bool,
    into: impl Fn(R) -> T,
) -> Result<paging::Page<T>> {
    require_reader(ctx, false)?;
    let on = on_day(ctx, on);
    let mut s = snapshot(ctx, as_of).await?;
    let mut rows = read(&mut s, on).await.map_err(from_read)?;
    rows.retain(|r| keep(r));
    let page = paging::page_map(rows, s.position(), args, into)?;
    finish(s, page).await
}

/// A JSON array of ids stored as text, as a list.
fn list_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}
