//! The query root: every field can be asked **as of** a past position or recorded time, and,
//! where the world's date matters, **on** an effective date; every answer says the log
//! position it reflects.

use std::sync::Arc;

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, OutputType, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use ledger_domain::value::{PeriodKind, ReportingRegime};
use ledger_projections::query::Successors;
use ledger_projections::query::{
    AuditEntry, AuditFilter, ComplianceMatrix, ObstacleOn, RecommendationOn, Rollup, TaskOn,
};
use ledger_projections::tables::{
    BriefingRow, DocumentRow, FocusRow, GroupRow, PlanRow, PlanUnitRow, ProgrammeRow, ReportRow,
    SupervisionRow, UnitRow,
};
use ledger_projections::{AsOf, Snapshot};
use ledger_store::{EventStore, Timestamp};

use crate::Api;
use crate::answers::Pin;
use crate::auth::Role;
use crate::error::{Code, coded, from_read, internal};

/// Most items one page returns.
pub const MAX_PAGE: usize = 100;
/// Items a page returns when `first` is not given.
pub const DEFAULT_PAGE: usize = 50;

/// Which state of the log to answer from: a position, or a recorded time (not both). Omitted:
/// the present.
#[derive(Debug, Clone, Copy, Default, InputObject)]
pub struct AsOfInput {
    /// A global log position.
    pub position: Option<u64>,
    /// A recorded time: the answer reflects the last position recorded by then.
    pub recorded_at: Option<DateTime<Utc>>,
}

/// What every paged answer says besides its items.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct AnswerFields {
    /// The log position the answer reflects.
    pub position: u64,
    /// How many items there are in all.
    pub total_count: u64,
}

/// A page of items, Relay style.
pub type Page<T> = Connection<OpaqueCursor<usize>, T, AnswerFields>;

/// How far the read models are behind the log.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct Checkpoint {
    /// The read models' position.
    pub position: u64,
    /// The log's size.
    pub head: u64,
    /// Events not yet reflected in answers.
    pub lag: u64,
}

/// A unit, with its name and successors on the day asked about.
#[derive(Debug, Clone, SimpleObject)]
pub struct Unit {
    /// Opaque global id (`node(id:)`); the unit's own id is `key`.
    pub id: ID,
    /// The unit as recorded.
    #[graphql(flatten)]
    pub row: UnitRow,
    /// Its name on the day asked about (`null` before it was known).
    pub name_on: Option<String>,
    /// Its parent on that day.
    pub parent_on: Option<String>,
    /// The chain to its terminal successor on that day (the unit itself first).
    pub successor_chain: Vec<String>,
    /// Units merged into it or succeeded by it.
    pub predecessors: Vec<String>,
}

/// A task as it stood on the day asked about.
#[derive(Debug, Clone, SimpleObject)]
pub struct Task {
    /// Opaque global id (`node(id:)`); the task's own id is `task.key`.
    pub id: ID,
    /// Its state that day.
    #[graphql(flatten)]
    pub on: TaskOn,
}

/// A plan (Kế hoạch).
#[derive(Debug, Clone, SimpleObject)]
pub struct Plan {
    /// Opaque global id (`node(id:)`); the plan's own id is `key`.
    pub id: ID,
    /// The plan as recorded.
    #[graphql(flatten)]
    pub row: PlanRow,
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

/// A report (báo cáo) as recorded: its current revision and review.
#[derive(Debug, Clone, SimpleObject)]
pub struct Report {
    /// Opaque global id (`node(id:)`); the report's own id is `key`.
    pub id: ID,
    /// The report as recorded.
    #[graphql(flatten)]
    pub row: ReportRow,
}

/// An obstacle as it stood on the day asked about.
#[derive(Debug, Clone, SimpleObject)]
pub struct Obstacle {
    /// Opaque global id (`node(id:)`); the obstacle's own id is `obstacle.key`.
    pub id: ID,
    /// Its state that day.
    #[graphql(flatten)]
    pub on: ObstacleOn,
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

fn obstacle(on: ObstacleOn) -> Obstacle {
    Obstacle {
        id: global_id("Obstacle", &on.obstacle.id),
        on,
    }
}

fn recommendation(on: RecommendationOn) -> Recommendation {
    Recommendation {
        id: global_id("Recommendation", &on.recommendation.id),
        on,
    }
}

fn report(row: ReportRow) -> Report {
    Report {
        id: global_id("Report", &row.id),
        row,
    }
}

/// Anything with a global id, Relay style.
#[derive(Debug, Clone, async_graphql::Interface)]
#[graphql(field(name = "id", ty = "&ID", desc = "Opaque global id."))]
pub enum Node {
    /// A unit.
    Unit(Unit),
    /// A task.
    Task(Task),
    /// A plan.
    Plan(Plan),
    /// A programme.
    Programme(Programme),
    /// A report.
    Report(Report),
    /// An obstacle.
    Obstacle(Obstacle),
    /// A supervision recommendation.
    Recommendation(Recommendation),
}

/// The global id of an entity: opaque to clients (base64url of `Type:key`).
#[must_use]
pub fn global_id(kind: &str, key: &str) -> ID {
    use base64::Engine;
    ID(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{key}")))
}

fn parse_global_id(id: &ID) -> Result<(String, String)> {
    use base64::Engine;
    let bad = || coded(Code::BadUserInput, "id: not an id this API issued");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (kind, key) = text.split_once(':').ok_or_else(bad)?;
    Ok((kind.to_owned(), key.to_owned()))
}

fn task(on: TaskOn) -> Task {
    Task {
        id: global_id("Task", &on.task.id),
        on,
    }
}

/// Which way to roll progress up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RollupKind {
    /// By solution group.
    Group,
    /// By plan.
    Plan,
    /// By lead unit, following successors.
    Unit,
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

/// Which way to sort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    /// Smallest first (A to Z in Vietnamese order).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// What to sort units by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum UnitOrderField {
    /// Their ids.
    Key,
    /// Their names on the day asked about, in Vietnamese alphabetical order.
    Name,
}

/// How to sort units.
#[derive(Debug, Clone, Copy, InputObject)]
pub struct UnitOrder {
    /// By what.
    pub field: UnitOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// What to sort tasks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum TaskOrderField {
    /// Their ids.
    Key,
    /// Their titles, in Vietnamese alphabetical order.
    Title,
    /// The deadline in force that day.
    Deadline,
    /// Their percentage that day.
    Percent,
}

/// How to sort tasks.
#[derive(Debug, Clone, Copy, InputObject)]
pub struct TaskOrder {
    /// By what.
    pub field: TaskOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

fn directed<T>(mut items: Vec<T>, direction: OrderDirection) -> Vec<T> {
    if direction == OrderDirection::Desc {
        items.reverse();
    }
    items
}

/// Which tasks.
#[derive(Debug, Clone, Default, InputObject)]
pub struct TaskFilter {
    /// Of this plan.
    pub plan: Option<String>,
    /// Led by this unit that day.
    pub lead: Option<String>,
    /// In this solution group (number).
    pub group: Option<i64>,
    /// With this status that day (`open`, `completed`, `cancelled`).
    pub status: Option<String>,
    /// Only overdue (or only not overdue) that day.
    pub overdue: Option<bool>,
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
    /// Only first submitted late (or only on time).
    pub late: Option<bool>,
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
    /// Of this supervision.
    pub supervision: Option<String>,
    /// Addressed to this unit.
    pub to_unit: Option<String>,
}

/// Which events of the audit log.
#[derive(Debug, Clone, Default, InputObject)]
pub struct EventFilter {
    /// One stream (`task/…`).
    pub stream_id: Option<String>,
    /// One stream type (`task`).
    pub stream_type: Option<String>,
    /// These event types.
    #[graphql(default)]
    pub event_types: Vec<String>,
    /// One actor (token subject).
    pub actor: Option<String>,
    /// One acting unit.
    pub acting_unit: Option<String>,
    /// Recorded at or after.
    pub recorded_from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub recorded_to: Option<DateTime<Utc>>,
    /// Effective at or after.
    pub effective_from: Option<DateTime<Utc>>,
    /// Effective before.
    pub effective_to: Option<DateTime<Utc>>,
}

/// A list answer that is not paged (roll-ups, matrices).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(concrete(name = "RollupAnswer", params(Rollup)))]
#[graphql(concrete(name = "ObstacleAnswer", params(ObstacleOn)))]
#[graphql(concrete(name = "RecommendationAnswer", params(RecommendationOn)))]
#[graphql(concrete(name = "RequiredUnitPlanAnswer", params(PlanUnitRow)))]
#[graphql(concrete(name = "GroupAnswer", params(GroupRow)))]
#[graphql(concrete(name = "ProgrammeAnswer", params(Programme)))]
#[graphql(concrete(name = "PlanAnswer", params(Plan)))]
#[graphql(concrete(name = "DocumentAnswer", params(DocumentRow)))]
#[graphql(concrete(name = "SupervisionAnswer", params(SupervisionRow)))]
#[graphql(concrete(name = "FocusProgrammeAnswer", params(FocusRow)))]
#[graphql(concrete(name = "BriefingAnswer", params(BriefingRow)))]
pub struct ListAnswer<T: OutputType> {
    /// The log position the answer reflects.
    pub position: u64,
    /// The items.
    pub items: Vec<T>,
}

/// The compliance matrix with its position.
#[derive(Debug, Clone, SimpleObject)]
pub struct MatrixAnswer {
    /// The log position the answer reflects.
    pub position: u64,
    /// The day it was asked about.
    pub on: NaiveDate,
    /// Units × periods.
    pub matrix: Arc<ComplianceMatrix>,
}

/// One field an event changed.
#[derive(Debug, Clone, SimpleObject)]
pub struct FieldChange {
    /// The field (a column of the entity's read model).
    pub field: String,
    /// Its value before (`null`: unset, or the entity did not exist).
    pub before: Option<String>,
    /// Its value after.
    pub after: Option<String>,
}

/// One event in an entity's history.
#[derive(Debug, Clone, SimpleObject)]
pub struct HistoryEntry {
    /// Its position.
    pub position: u64,
    /// Version of the stream after it.
    pub version: u64,
    /// Event type.
    pub event_type: String,
    /// The actor's role.
    pub actor_role: String,
    /// The actor (token subject): shown to inspectors only.
    pub actor: Option<String>,
    /// The actor's name: shown to inspectors only.
    pub actor_name: Option<String>,
    /// The unit the actor acted for.
    pub acting_unit: Option<String>,
    /// Why, in the actor's words.
    pub reason: Option<String>,
    /// The document the change rests on.
    pub source_document: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
    /// When it took effect.
    pub effective_at: String,
    /// The event's data.
    pub payload: async_graphql::Json<serde_json::Value>,
    /// Its leaf hash (hex).
    pub leaf_hash: String,
    /// The fields of the entity it changed, before → after.
    pub changes: Vec<FieldChange>,
}

/// An entity's timeline.
#[derive(Debug, Clone, SimpleObject)]
pub struct History {
    /// The log position the answer reflects.
    pub position: u64,
    /// The stream (`task/…`).
    pub stream_id: String,
    /// Every event, oldest first.
    pub entries: Vec<HistoryEntry>,
}

fn text_of(value: &ledger_projections::value::Value) -> Option<String> {
    use ledger_projections::value::Value;
    match value {
        Value::Null => None,
        Value::Int(v) => Some(v.to_string()),
        Value::Text(t) => Some(t.clone()),
    }
}

/// Today in Việt Nam (UTC+7): the default effective date.
/// The day fields default their effective date to: the request's (see [`crate::answers`]),
/// else today in Việt Nam.
fn today(ctx: &Context<'_>) -> NaiveDate {
    ctx.data_opt::<Arc<Pin>>()
        .map_or_else(crate::today, |pin| pin.today())
}

fn timestamp(field: &str, t: DateTime<Utc>) -> Result<Timestamp> {
    Timestamp::from_datetime(t).map_err(|e| coded(Code::BadUserInput, format!("{field}: {e}")))
}

fn as_of(input: Option<AsOfInput>) -> Result<AsOf> {
    match input.unwrap_or_default() {
        AsOfInput {
            position: Some(_),
            recorded_at: Some(_),
        } => Err(coded(
            Code::BadUserInput,
            "asOf: give a position or a recorded time, not both",
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

/// What a page costs in the query-complexity limit: its child fields times the items it may
/// return, so a query cannot ask for many large pages (aliases included).
fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let items = first.or(last).map_or(DEFAULT_PAGE, |n| {
        usize::try_from(n).unwrap_or(0).min(MAX_PAGE)
    });
    items.max(1).saturating_mul(child_complexity)
}

/// Paging arguments, Relay style: `first`/`after` forward, `last`/`before` backward.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    /// At most this many from the start of the window.
    pub first: Option<i32>,
    /// After this cursor.
    pub after: Option<String>,
    /// At most this many from the end of the window.
    pub last: Option<i32>,
    /// Before this cursor.
    pub before: Option<String>,
}

fn count(name: &str, n: Option<i32>) -> Result<Option<usize>> {
    match n {
        None => Ok(None),
        Some(n) if n < 0 => Err(coded(
            Code::BadUserInput,
            format!("{name}: must not be negative"),
        )),
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > MAX_PAGE {
                return Err(coded(
                    Code::BadUserInput,
                    format!("{name}: at most {MAX_PAGE} items per page"),
                ));
            }
            Ok(Some(n))
        }
    }
}

fn cursor(name: &str, c: Option<String>) -> Result<Option<usize>> {
    c.map(|c| {
        OpaqueCursor::<usize>::decode_cursor(&c)
            .map(|c| c.0)
            .map_err(|_| {
                coded(
                    Code::BadUserInput,
                    format!("{name}: not a cursor this API issued"),
                )
            })
    })
    .transpose()
}

fn paging(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
    }
}

/// Pages `items` (already in their final order).
fn page<T: OutputType>(items: Vec<T>, position: u64, args: PageArgs) -> Result<Page<T>> {
    page_map(items, position, args, |t| t)
}

/// Pages `items` (already in their final order), turning only the page's items into `T`.
fn page_map<I, T: OutputType>(
    items: Vec<I>,
    position: u64,
    args: PageArgs,
    into: impl Fn(I) -> T,
) -> Result<Page<T>> {
    let total = items.len();
    let (start, end) = window(total, args)?;
    let page = items.into_iter().skip(start).take(end - start).map(into);
    Ok(connection(position, total, start, page))
}

/// Which items of `total` a page shows: `start..end`.
fn window(total: usize, args: PageArgs) -> Result<(usize, usize)> {
    let first = count("first", args.first)?;
    let last = count("last", args.last)?;
    let mut start = cursor("after", args.after)?.map_or(0, |i| i + 1).min(total);
    let mut end = cursor("before", args.before)?.map_or(total, |i| i.min(total));
    if end < start {
        end = start;
    }
    match (first, last) {
        (Some(f), _) => end = end.min(start + f),
        (None, Some(l)) => start = start.max(end.saturating_sub(l)),
        (None, None) => end = end.min(start + DEFAULT_PAGE),
    }
    if let (Some(_), Some(l)) = (first, last) {
        start = start.max(end.saturating_sub(l));
    }
    Ok((start, end))
}

/// The page of items `start..` of `total`, given in order.
fn connection<T: OutputType>(
    position: u64,
    total: usize,
    start: usize,
    page: impl Iterator<Item = T>,
) -> Page<T> {
    let mut connection = Page::with_additional_fields(
        start > 0,
        false,
        AnswerFields {
            position,
            total_count: total as u64,
        },
    );
    connection.edges.extend(
        page.enumerate()
            .map(|(i, item)| Edge::new(OpaqueCursor(start + i), item)),
    );
    connection.has_next_page = start + connection.edges.len() < total;
    connection
}

/// Readers: anyone signed in; anonymous callers only where the deployment allows it, and then
/// only the roll-ups.
fn require_reader(ctx: &Context<'_>, rollup: bool) -> Result<()> {
    let api = ctx.data::<Api>()?;
    match crate::principal(ctx) {
        Some(_) => Ok(()),
        None if rollup && api.anonymous_rollups => Ok(()),
        None => Err(coded(
            Code::Unauthenticated,
            "sign in: send `Authorization: Bearer <token>`",
        )),
    }
}

/// A snapshot as of `at`, the head being the request's pinned position if it has one.
async fn snapshot(ctx: &Context<'_>, at: Option<AsOfInput>) -> Result<Snapshot> {
    let api = ctx.data::<Api>()?;
    let pin = ctx
        .data_opt::<Arc<Pin>>()
        .map_or(u64::MAX, |p| p.position());
    api.read
        .snapshot_pinned(as_of(at)?, pin)
        .await
        .map_err(from_read)
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
    rollup: bool,
    read: impl for<'a> FnOnce(&'a mut Snapshot) -> Read<'a, Vec<T>>,
) -> Result<ListAnswer<T>> {
    require_reader(ctx, rollup)?;
    let mut s = snapshot(ctx, as_of).await?;
    let items = read(&mut s).await.map_err(from_read)?;
    let position = s.position();
    finish(s, ListAnswer { position, items }).await
}

/// The read models' questions.
#[derive(Default)]
pub struct Query;

// A GraphQL field's arguments are its parameters: as-of, day, filter and four paging arguments.
#[allow(clippy::too_many_arguments)]
#[Object]
impl Query {
    /// How far the read models are behind the log.
    async fn checkpoint(&self, ctx: &Context<'_>) -> Result<Checkpoint> {
        require_reader(ctx, true)?;
        // The log's head and the live checkpoint, not the pinned position: not to be shared.
        if let Some(pin) = ctx.data_opt::<Arc<Pin>>() {
            pin.volatile();
        }
        let api = ctx.data::<Api>()?;
        let head = api.store.head().await.map_err(|e| internal(&e))?.size;
        let position = api.read_db.live().await.map_err(from_read)?.position;
        Ok(Checkpoint {
            position,
            head,
            lag: head.saturating_sub(position),
        })
    }

    /// Anything by its global id: a unit or task on `on` (default: today), a plan or a
    /// programme; `null` when there is no such thing at that position.
    async fn node(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
    ) -> Result<Option<Node>> {
        require_reader(ctx, false)?;
        let (kind, key) = parse_global_id(&id)?;
        let on = on.unwrap_or_else(|| today(ctx));
        let mut s = snapshot(ctx, as_of).await?;
        let node = match kind.as_str() {
            "Unit" => match s.unit(&key).await.map_err(from_read)? {
                Some(row) => {
                    let successors = s.successor_map().await.map_err(from_read)?;
                    Some(Node::Unit(unit_on(&mut s, &successors, row, on).await?))
                }
                None => None,
            },
            "Task" => s
                .tasks_on(on)
                .await
                .map_err(from_read)?
                .iter()
                .find(|t| t.task.id == key)
                .map(|t| Node::Task(task(t.clone()))),
            "Plan" => s
                .plans()
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|p| p.id == key)
                .map(|row| {
                    Node::Plan(Plan {
                        id: id.clone(),
                        row,
                    })
                }),
            "Programme" => s
                .programmes()
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|p| p.id == key)
                .map(|row| {
                    Node::Programme(Programme {
                        id: id.clone(),
                        row,
                    })
                }),
            "Report" => s
                .report(&key)
                .await
                .map_err(from_read)?
                .map(|row| Node::Report(report(row))),
            "Obstacle" => s
                .obstacles_on(on)
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|o| o.obstacle.id == key)
                .map(|o| Node::Obstacle(obstacle(o))),
            "Recommendation" => s
                .recommendations_on(on)
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|r| r.recommendation.id == key)
                .map(|r| Node::Recommendation(recommendation(r))),
            _ => return Err(coded(Code::BadUserInput, "id: not an id this API issued")),
        };
        finish(s, node).await
    }

    /// Units, by id, with their names and successors on `on` (default: today).
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
        order_by: Option<UnitOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Unit>> {
        require_reader(ctx, false)?;
        let on = on.unwrap_or_else(|| today(ctx));
        let mut s = snapshot(ctx, as_of).await?;
        let rows = s.units().await.map_err(from_read)?;
        let successors = s.successor_map().await.map_err(from_read)?;
        let mut units = Vec::with_capacity(rows.len());
        for row in rows {
            units.push(unit_on(&mut s, &successors, row, on).await?);
        }
        if let Some(order) = order_by {
            if order.field == UnitOrderField::Name {
                units.sort_by_cached_key(|u| {
                    ledger_domain::value::vietnamese_sort_key(
                        u.name_on.as_deref().unwrap_or(&u.row.name),
                    )
                });
            }
            units = directed(units, order.direction);
        }
        let position = s.position();
        let page = page(units, position, paging(first, after, last, before))?;
        finish(s, page).await
    }

    /// One unit on `on` (default: today).
    async fn unit(
        &self,
        ctx: &Context<'_>,
        id: String,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
    ) -> Result<Option<Unit>> {
        require_reader(ctx, false)?;
        let on = on.unwrap_or_else(|| today(ctx));
        let mut s = snapshot(ctx, as_of).await?;
        let unit = match s.unit(&id).await.map_err(from_read)? {
            Some(row) => {
                let successors = s.successor_map().await.map_err(from_read)?;
                Some(unit_on(&mut s, &successors, row, on).await?)
            }
            None => None,
        };
        finish(s, unit).await
    }

    /// Registered documents with a number (`44-KH/TU`).
    async fn documents(
        &self,
        ctx: &Context<'_>,
        number: String,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<DocumentRow>> {
        list(ctx, as_of, false, move |s| {
            Box::pin(async move { s.documents_by_number(&number).await })
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
                    .map(|row| Programme {
                        id: global_id("Programme", &row.id),
                        row,
                    })
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
            Box::pin(async move {
                Ok(s.plans()
                    .await?
                    .into_iter()
                    .map(|row| Plan {
                        id: global_id("Plan", &row.id),
                        row,
                    })
                    .collect())
            })
        })
        .await
    }

    /// Unit plans a plan requires that were not issued by `on` (default: today).
    async fn missing_unit_plans(
        &self,
        ctx: &Context<'_>,
        plan: String,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
    ) -> Result<ListAnswer<PlanUnitRow>> {
        let on = on.unwrap_or_else(|| today(ctx));
        list(ctx, as_of, false, move |s| {
            Box::pin(async move { s.missing_unit_plans(&plan, on).await })
        })
        .await
    }

    /// Tasks as they stood on `on` (default: today), by id.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
        #[graphql(default)] filter: TaskFilter,
        order_by: Option<TaskOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Task>> {
        require_reader(ctx, false)?;
        let on = on.unwrap_or_else(|| today(ctx));
        let mut s = snapshot(ctx, as_of).await?;
        let all = s.tasks_on(on).await.map_err(from_read)?;
        // Filter and order references into the shared list; only the page is copied.
        let tasks: Vec<&TaskOn> = all
            .iter()
            .filter(|t| {
                filter.plan.as_ref().is_none_or(|p| *p == t.task.plan_id)
                    && filter.lead.as_ref().is_none_or(|l| *l == t.lead)
                    && filter.group.is_none_or(|g| t.task.group_number == Some(g))
                    && filter.status.as_ref().is_none_or(|st| *st == t.status)
                    && filter.overdue.is_none_or(|o| o == t.overdue)
            })
            .collect();
        let tasks = match order_by {
            None => tasks,
            Some(order) => {
                let mut tasks = tasks;
                match order.field {
                    TaskOrderField::Key => {}
                    TaskOrderField::Title => tasks.sort_by_cached_key(|t| {
                        ledger_domain::value::vietnamese_sort_key(&t.task.title)
                    }),
                    TaskOrderField::Deadline => tasks.sort_by(|a, b| a.deadline.cmp(&b.deadline)),
                    TaskOrderField::Percent => tasks.sort_by_key(|t| t.percent),
                }
                directed(tasks, order.direction)
            }
        };
        let position = s.position();
        let page = page_map(tasks, position, paging(first, after, last, before), |t| {
            task(t.clone())
        })?;
        finish(s, page).await
    }

    /// Progress rolled up by solution group, plan or unit on `on` (default: today): every task
    /// assigned and not cancelled weighs the same (see docs/projections.md).
    async fn progress(
        &self,
        ctx: &Context<'_>,
        by: RollupKind,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
    ) -> Result<ListAnswer<Rollup>> {
        let on = on.unwrap_or_else(|| today(ctx));
        let by = match by {
            RollupKind::Group => ledger_projections::RollupBy::Group,
            RollupKind::Plan => ledger_projections::RollupBy::Plan,
            RollupKind::Unit => ledger_projections::RollupBy::Unit,
        };
        list(ctx, as_of, true, move |s| {
            Box::pin(async move { Ok(s.rollup(by, on).await?.as_ref().clone()) })
        })
        .await
    }

    /// Units × periods of a plan on `on` (default: today), under Nghị định 09/2019/NĐ-CP.
    async fn compliance_matrix(
        &self,
        ctx: &Context<'_>,
        plan: String,
        #[graphql(default_with = "PeriodLength::Quarter")] period: PeriodLength,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
    ) -> Result<MatrixAnswer> {
        require_reader(ctx, true)?;
        let on = on.unwrap_or_else(|| today(ctx));
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
        let position = s.position();
        finish(
            s,
            MatrixAnswer {
                position,
                on,
                matrix,
            },
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

    /// Yearly focus programmes (chương trình trọng tâm), by year.
    async fn focus_programmes(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<FocusRow>> {
        list(ctx, as_of, false, |s| Box::pin(s.focus_programmes())).await
    }

    /// Briefings (hội nghị giao ban) and their conclusion notices.
    async fn briefings(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
    ) -> Result<ListAnswer<BriefingRow>> {
        list(ctx, as_of, false, |s| Box::pin(s.briefings())).await
    }

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
        finish(
            s,
            connection(position, total, start, rows.into_iter().map(report)),
        )
        .await
    }

    /// Obstacles raised by `on` (default: today), open or resolved that day, by id.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn obstacles(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
        #[graphql(default)] filter: ObstacleFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Obstacle>> {
        require_reader(ctx, false)?;
        let on = on.unwrap_or_else(|| today(ctx));
        let mut s = snapshot(ctx, as_of).await?;
        let rows: Vec<ObstacleOn> = s
            .obstacles_on(on)
            .await
            .map_err(from_read)?
            .into_iter()
            .filter(|o| {
                filter.open.is_none_or(|v| v == o.open)
                    && filter
                        .raised_by
                        .as_ref()
                        .is_none_or(|u| *u == o.obstacle.raised_by)
                    && filter
                        .task
                        .as_ref()
                        .is_none_or(|t| *t == o.obstacle.task_id)
            })
            .collect();
        let position = s.position();
        let page = page_map(rows, position, paging(first, after, last, before), obstacle)?;
        finish(s, page).await
    }

    /// Supervision recommendations made by `on` (default: today), answered, open or overdue
    /// that day, by supervision and number.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<NaiveDate>,
        #[graphql(default)] filter: RecommendationFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Recommendation>> {
        require_reader(ctx, false)?;
        let on = on.unwrap_or_else(|| today(ctx));
        let mut s = snapshot(ctx, as_of).await?;
        let rows: Vec<RecommendationOn> = s
            .recommendations_on(on)
            .await
            .map_err(from_read)?
            .into_iter()
            .filter(|r| {
                filter.overdue.is_none_or(|v| v == r.overdue)
                    && filter.answered.is_none_or(|v| v == r.answered)
                    && filter
                        .supervision
                        .as_ref()
                        .is_none_or(|v| *v == r.recommendation.supervision_id)
                    && filter
                        .to_unit
                        .as_ref()
                        .is_none_or(|v| *v == r.recommendation.to_unit)
            })
            .collect();
        let position = s.position();
        let page = page_map(
            rows,
            position,
            paging(first, after, last, before),
            recommendation,
        )?;
        finish(s, page).await
    }

    /// An entity's history (`task/…`, `unit/…`, `report/…`, …): every event with who, for
    /// which unit, why, on which document, when recorded and effective, and the fields it
    /// changed. Actors' names are shown to inspectors only.
    async fn history(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        as_of: Option<AsOfInput>,
    ) -> Result<History> {
        require_reader(ctx, false)?;
        let inspector = crate::principal(ctx).map(|p| p.role) == Some(Role::Inspector);
        let api = ctx.data::<Api>()?;
        let mut s = snapshot(ctx, as_of).await?;
        let position = s.position();
        let (stream_type, id) = stream_id
            .split_once('/')
            .ok_or_else(|| coded(Code::BadUserInput, "streamId: expected `{type}/{id}`"))?;
        let events = api
            .store
            .read_stream(
                &stream_id,
                ledger_store::ReadStream {
                    as_of: Some(ledger_store::AsOf::Position(position)),
                    ..ledger_store::ReadStream::default()
                },
            )
            .await
            .map_err(|e| internal(&e))?;
        if events.is_empty() {
            s.close().await.map_err(from_read)?;
            return Err(coded(
                Code::NotFound,
                format!("no stream {stream_id} as of position {position}"),
            ));
        }
        let versions = s
            .versions(stream_type, id)
            .await
            .map_err(from_read)?
            .unwrap_or_default();
        let mut entries = Vec::with_capacity(events.len());
        for e in events {
            // The version this event made, against the one before it.
            let made = versions.iter().position(|(from, _)| *from == e.position);
            let changes = match made {
                Some(i) => {
                    let after = &versions[i].1;
                    let before = i.checked_sub(1).map(|j| &versions[j].1);
                    after
                        .iter()
                        .enumerate()
                        .filter_map(|(k, (field, value))| {
                            let old = before.map(|b| &b[k].1);
                            (old != Some(value)).then(|| FieldChange {
                                field: (*field).to_owned(),
                                before: old.and_then(text_of),
                                after: text_of(value),
                            })
                        })
                        .filter(|c| c.before.is_some() || c.after.is_some())
                        .collect()
                }
                None => Vec::new(),
            };
            let m = e.metadata;
            entries.push(HistoryEntry {
                position: e.position,
                version: e.stream_version,
                event_type: e.event_type,
                actor_role: m.actor.role,
                actor: inspector.then_some(m.actor.subject),
                actor_name: inspector.then_some(m.actor.display_name),
                acting_unit: m.acting_unit,
                reason: m.reason,
                source_document: m.source_document,
                recorded_at: e.recorded_at.to_string(),
                effective_at: e.effective_at.to_string(),
                payload: async_graphql::Json(e.payload),
                leaf_hash: ledger_store::envelope::hash_hex::to_hex(&e.leaf_hash),
                changes,
            });
        }
        finish(
            s,
            History {
                position,
                stream_id,
                entries,
            },
        )
        .await
    }

    /// The audit log, oldest first: inspectors only (it names actors).
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: EventFilter,
        as_of: Option<AsOfInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<LoggedEvent>> {
        require_reader(ctx, false)?;
        if crate::principal(ctx).map(|p| p.role) != Some(Role::Inspector) {
            return Err(coded(Code::Forbidden, "the audit log is for inspectors"));
        }
        let time =
            |field: &str, t: Option<DateTime<Utc>>| t.map(|t| timestamp(field, t)).transpose();
        let audit = AuditFilter {
            stream_id: filter.stream_id,
            stream_type: filter.stream_type,
            event_types: filter.event_types,
            actor: filter.actor,
            acting_unit: filter.acting_unit,
            correlation_id: None,
            recorded_from: time("recordedFrom", filter.recorded_from)?,
            recorded_to: time("recordedTo", filter.recorded_to)?,
            effective_from: time("effectiveFrom", filter.effective_from)?,
            effective_to: time("effectiveTo", filter.effective_to)?,
            after: 0,
            limit: 1000,
        };
        if last.is_some() || before.is_some() {
            return Err(coded(
                Code::BadUserInput,
                "the audit log pages forward: use first and after",
            ));
        }
        let first = count("first", first)?.unwrap_or(DEFAULT_PAGE);
        // Cursors here are log positions, so a page is one indexed range read.
        let start = cursor("after", after)?.map_or(0, |p| p as u64);
        let mut s = snapshot(ctx, as_of).await?;
        let total = s.audit_count(&audit).await.map_err(from_read)?;
        let mut rows = if first == 0 {
            Vec::new()
        } else {
            s.audit(&AuditFilter {
                after: start,
                limit: first + 1,
                ..audit
            })
            .await
            .map_err(from_read)?
        };
        let has_next = rows.len() > first;
        rows.truncate(first);
        let position = s.position();
        let mut page = Page::with_additional_fields(
            start > 0,
            has_next,
            AnswerFields {
                position,
                total_count: total,
            },
        );
        let api = ctx.data::<Api>()?;
        let positions: Vec<u64> = rows.iter().map(|e| e.position).collect();
        let leaves = crate::proofs::leaves(&api.store, &positions).await?;
        page.edges
            .extend(rows.into_iter().zip(leaves).map(|(entry, leaf_hash)| {
                Edge::new(
                    OpaqueCursor(usize::try_from(entry.position).unwrap_or(usize::MAX)),
                    LoggedEvent { entry, leaf_hash },
                )
            }));
        finish(s, page).await
    }

    /// The inclusion proof of the event at `position` in the tree of `size` events (default:
    /// the position this request reads); check it with `ledger verify` or any RFC 9162
    /// verifier against a signed checkpoint of that size.
    async fn inclusion_proof(
        &self,
        ctx: &Context<'_>,
        position: u64,
        size: Option<u64>,
    ) -> Result<crate::proofs::InclusionProof> {
        require_reader(ctx, true)?;
        let api = ctx.data::<Api>()?;
        let size = match size {
            Some(size) => size,
            None => default_size(ctx).await?,
        };
        crate::proofs::inclusion(&api.store, position, size).await
    }

    /// The consistency proof that the first `from` events are a prefix of the first `to`
    /// (default: the position this request reads).
    async fn consistency_proof(
        &self,
        ctx: &Context<'_>,
        from: u64,
        to: Option<u64>,
    ) -> Result<crate::proofs::ConsistencyProof> {
        require_reader(ctx, true)?;
        let api = ctx.data::<Api>()?;
        let to = match to {
            Some(to) => to,
            None => default_size(ctx).await?,
        };
        crate::proofs::consistency(&api.store, from, to).await
    }

    /// A checkpoint of the first `size` events (default: the position this request reads),
    /// signed now by this ledger's key.
    async fn signed_checkpoint(
        &self,
        ctx: &Context<'_>,
        size: Option<u64>,
    ) -> Result<crate::proofs::SignedCheckpoint> {
        require_reader(ctx, true)?;
        let api = ctx.data::<Api>()?;
        let Some(key) = api.checkpoint_key.get() else {
            return Err(coded(
                Code::NotFound,
                "this server signs no checkpoints (start it with --checkpoint-key)",
            ));
        };
        let size = match size {
            Some(size) => size,
            None => default_size(ctx).await?,
        };
        crate::proofs::sign(&api.store, key, size).await
    }
}

/// Checkpoints kept (signed by the ledger, cosigned by witnesses), newest first.
#[derive(Default)]
pub struct CheckpointQuery;

#[Object]
impl CheckpointQuery {
    /// The checkpoints kept, largest size first: each note as the ledger signed it and as
    /// witnesses cosigned it (`ledger verify --checkpoint` reads a note).
    async fn checkpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<crate::checkpoints::StoredCheckpoint>> {
        require_reader(ctx, true)?;
        // The table grows apart from the log's position: not an answer to share.
        if let Some(pin) = ctx.data_opt::<Arc<Pin>>() {
            pin.volatile();
        }
        let first = count("first", Some(first))?.unwrap_or(DEFAULT_PAGE);
        let api = ctx.data::<Api>()?;
        crate::checkpoints::list(&api.store, first)
            .await
            .map_err(|e| internal(&e))
    }
}

/// The tree size a proof is for when none is asked: the position the request reads (its pin),
/// else the read models' checkpoint.
async fn default_size(ctx: &Context<'_>) -> Result<u64> {
    if let Some(pin) = ctx.data_opt::<Arc<Pin>>() {
        return Ok(pin.position());
    }
    let api = ctx.data::<Api>()?;
    Ok(api.read_db.live().await.map_err(from_read)?.position)
}

/// An event of the audit log, with its leaf hash as the Merkle tree holds it.
#[derive(Debug, Clone, SimpleObject)]
pub struct LoggedEvent {
    /// The event.
    #[graphql(flatten)]
    pub entry: AuditEntry,
    /// Its leaf hash (hex): `inclusionProof(position:)` proves it is in the log.
    pub leaf_hash: String,
}

async fn unit_on(
    s: &mut Snapshot,
    successors: &Successors,
    row: UnitRow,
    on: NaiveDate,
) -> Result<Unit> {
    let name_on = s.unit_name_on(&row.id, on).await.map_err(from_read)?;
    let parent_on = s.unit_parent_on(&row.id, on).await.map_err(from_read)?;
    let successor_chain = successors.terminal(&row.id, on);
    let predecessors = successors.predecessors(&row.id);
    Ok(Unit {
        id: global_id("Unit", &row.id),
        row,
        name_on,
        parent_on,
        successor_chain,
        predecessors,
    })
}
