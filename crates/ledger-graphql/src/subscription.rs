//! Subscriptions: the live event feed.

use async_graphql::futures_util::Stream;
use async_graphql::{Context, Json, Result, SimpleObject, Subscription as GqlSubscription};
use ledger_store::{EventStore, LogFilter, StoredEvent};

use crate::Api;
use crate::auth::Role;
use crate::error::{Code, coded_vi, unauthenticated};
use crate::query::audit::EventFilter;

/// An event as the live feed delivers it.
#[derive(Debug, Clone, SimpleObject)]
pub struct LiveEvent {
    /// Its position: resume after it.
    pub position: u64,
    /// The stream.
    pub stream_id: String,
    /// The stream's type.
    pub stream_type: String,
    /// Event type.
    pub event_type: String,
    /// Actor subject.
    pub actor: String,
    /// Actor display name.
    pub actor_name: String,
    /// Acting unit.
    pub acting_unit: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Recorded time.
    pub recorded_at: String,
    /// Effective time.
    pub effective_at: String,
    /// The event's data.
    pub payload: Json<serde_json::Value>,
    /// Its leaf hash (hex).
    pub leaf_hash: String,
}

impl From<StoredEvent> for LiveEvent {
    fn from(e: StoredEvent) -> Self {
        Self {
            position: e.position,
            leaf_hash: ledger_store::envelope::hash_hex::to_hex(&e.leaf_hash),
            stream_id: e.stream_id,
            stream_type: e.stream_type,
            event_type: e.event_type,
            actor: e.metadata.actor.subject,
            actor_name: e.metadata.actor.display_name,
            acting_unit: e.metadata.acting_unit,
            reason: e.metadata.reason,
            recorded_at: e.recorded_at.to_string(),
            effective_at: e.effective_at.to_string(),
            payload: Json(e.payload),
        }
    }
}

fn passes(filter: &EventFilter, e: &StoredEvent) -> bool {
    let time =
        |bound: Option<chrono::DateTime<chrono::Utc>>, at: &ledger_store::Timestamp, from: bool| {
            bound.is_none_or(|b| {
                if from {
                    at.as_datetime() >= b
                } else {
                    at.as_datetime() < b
                }
            })
        };
    filter.stream_id.as_ref().is_none_or(|s| *s == e.stream_id)
        && filter
            .actor
            .as_ref()
            .is_none_or(|a| *a == e.metadata.actor.subject)
        && filter
            .acting_unit
            .as_ref()
            .is_none_or(|u| Some(u) == e.metadata.acting_unit.as_ref())
        && time(filter.recorded_from, &e.recorded_at, true)
        && time(filter.recorded_to, &e.recorded_at, false)
        && time(filter.effective_from, &e.effective_at, true)
        && time(filter.effective_to, &e.effective_at, false)
        && filter
            .backdated
            .is_none_or(|b| b == (e.metadata.dating == Some(ledger_store::Dating::Backdated)))
        && filter
            .historical
            .is_none_or(|h| h == (e.metadata.dating == Some(ledger_store::Dating::Historical)))
}

/// The subscription root.
pub struct Subscription;

#[GqlSubscription]
impl Subscription {
    /// Every event after `after` (default: from now on), oldest first, then live as they are
    /// appended, with the filters of `events`. Inspectors only (it names actors).
    async fn events(
        &self,
        ctx: &Context<'_>,
        after: Option<u64>,
        #[graphql(default)] filter: EventFilter,
    ) -> Result<impl Stream<Item = LiveEvent> + use<>> {
        match crate::principal(ctx) {
            Some(p) if p.role == Role::Inspector => {}
            Some(_) => {
                return Err(coded_vi(
                    Code::Forbidden,
                    "the event feed is for inspectors",
                    "luồng sự kiện chỉ dành cho cơ quan kiểm tra",
                ));
            }
            None => return Err(unauthenticated()),
        }
        let api = ctx.data::<Api>()?;
        let after = match after {
            Some(p) => p,
            None => {
                api.store
                    .head()
                    .await
                    .map_err(|e| crate::error::internal(&e))?
                    .size
            }
        };
        let log_filter = LogFilter {
            stream_types: filter.stream_type.iter().cloned().collect(),
            event_types: filter.event_types.clone(),
        };
        let subscription = api.store.subscribe(after, log_filter);
        Ok(async_graphql::futures_util::stream::unfold(
            (subscription, filter),
            |(mut subscription, filter)| async move {
                loop {
                    match subscription.next().await {
                        Ok(event) if passes(&filter, &event) => {
                            return Some((LiveEvent::from(event), (subscription, filter)));
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::error!(error = %e, "event feed stopped");
                            return None;
                        }
                    }
                }
            },
        ))
    }
}
