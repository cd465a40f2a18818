//! Histories and the audit log: who changed what, when it was recorded and when it took
//! effect, on whose authority, and whether it was dated back.

use async_graphql::connection::Edge;
use async_graphql::connection::OpaqueCursor;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use ledger_projections::query::{AuditEntry, AuditFilter};
use ledger_store::EventStore;

use super::paging::{AnswerFields, DEFAULT_PAGE, Page, count, cursor, page_cost};
use super::{AsOfInput, finish, require_inspector, require_reader, snapshot, timestamp};
use crate::Api;
use crate::auth::Role;
use crate::error::{Code, coded_vi, from_read, internal};
use crate::mutation::DatingKind;

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
    /// `true`: only live changes dated back beyond their grace; `false`: only the others.
    pub backdated: Option<bool>,
    /// `true`: only records entered from the archive; `false`: only the others.
    pub historical: Option<bool>,
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
    /// The day it took effect, in Việt Nam (UTC+7): the date the change speaks of.
    pub effective_on: ledger_domain::value::Date,
    /// How its date relates to the day it was recorded.
    pub dating: DatingKind,
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

/// An event of the audit log, with its leaf hash as the Merkle tree holds it.
#[derive(Debug, Clone, SimpleObject)]
pub struct LoggedEvent {
    /// The event.
    #[graphql(flatten)]
    pub entry: AuditEntry,
    /// Its leaf hash (hex): `inclusionProof(position:)` proves it is in the log.
    pub leaf_hash: String,
}

fn text_of(value: &ledger_projections::value::Value) -> Option<String> {
    use ledger_projections::value::Value;
    match value {
        Value::Null => None,
        Value::Int(v) => Some(v.to_string()),
        Value::Text(t) => Some(t.clone()),
    }
}

/// The fields version `i` of an entity changed against version `i - 1`.
fn changes(
    versions: &[(u64, Vec<(&'static str, ledger_projections::value::Value)>)],
    i: usize,
) -> Vec<FieldChange> {
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

/// The audit questions.
#[derive(Default)]
pub struct AuditQuery;

// A GraphQL field's arguments are its parameters: filter, as-of and paging.
#[allow(clippy::too_many_arguments)]
#[Object]
impl AuditQuery {
    /// An entity's history (`task/…`, `unit/…`, `report/…`, …): every event with who, for
    /// which unit, why, on which document, when recorded and effective, whether dated back,
    /// and the fields it changed. Actors' names are shown to inspectors only.
    async fn history(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        as_of: Option<AsOfInput>,
    ) -> Result<History> {
        require_reader(ctx, false)?;
        let inspector = crate::principal(ctx).map(|p| p.role) == Some(Role::Inspector);
        let api = ctx.data::<Api>()?;
        let Some((stream_type, id)) = stream_id.split_once('/') else {
            return Err(coded_vi(
                Code::BadUserInput,
                "streamId: expected `{type}/{id}`",
                "streamId: cần có dạng `{loại}/{mã}`",
            ));
        };
        let mut s = snapshot(ctx, as_of).await?;
        let position = s.position();
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
            return Err(coded_vi(
                Code::NotFound,
                format!("no stream {stream_id} as of position {position}"),
                format!("không có luồng {stream_id} tại vị trí {position}"),
            ));
        }
        let versions = s
            .versions(stream_type, id)
            .await
            .map_err(from_read)?
            .unwrap_or_default();
        let entries = events
            .into_iter()
            .map(|e| {
                // The version this event made, against the one before it.
                let changes = versions
                    .iter()
                    .position(|(from, _)| *from == e.position)
                    .map(|i| changes(&versions, i))
                    .unwrap_or_default();
                let m = e.metadata;
                HistoryEntry {
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
                    effective_on: ledger_app::day_in_vietnam(e.effective_at.as_datetime()),
                    dating: DatingKind::from(m.dating),
                    payload: async_graphql::Json(e.payload),
                    leaf_hash: ledger_store::envelope::hash_hex::to_hex(&e.leaf_hash),
                    changes,
                }
            })
            .collect();
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

    /// The audit log, oldest first: inspectors only (it names actors). `filter.backdated`
    /// finds every change dated back beyond its grace; `filter.historical` every record
    /// entered from the archive.
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
        require_inspector(ctx, "the audit log", "Nhật ký kiểm tra")?;
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
            backdated: filter.backdated,
            historical: filter.historical,
            after: 0,
            limit: 1000,
        };
        if last.is_some() || before.is_some() {
            return Err(coded_vi(
                Code::BadUserInput,
                "the audit log pages forward: use first and after",
                "nhật ký chỉ phân trang tiến: dùng first và after",
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
}
