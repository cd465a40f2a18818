//! The one path every change takes: [`CommandPath::execute`].
//!
//! 1. **authorise**: the caller's role may run the command ([`Command::ROLES`]; the archive
//!    may run every command, as a historical record);
//! 2. **idempotency**: a key already used answers its stored result if the request is the same
//!    (by digest), and is refused if it is not ([`ledger_store::batch::replay`]);
//! 3. **settle** what depends on the role (the archive attests a report's receipt);
//! 4. **temporal policy**: the command's date against the day it is recorded, in
//!    Asia/Ho_Chi_Minh ([`TemporalPolicy`]);
//! 5. **load** the aggregate from its stream, then check a unit reporter's **scope** against
//!    the unit the change is for (from the command and the aggregate's state, never from read
//!    models);
//! 6. **facts**: units active on the day, units registered, tasks a report speaks of, and the
//!    streams that already hold a key that must be unique ([`Needs`]), all read after one
//!    position and fenced by an append condition from it: the streams read (their events
//!    carry their stream id as a tag, [`ledger_domain::facts::FACT_STREAM_TYPES`]) and the
//!    unique key;
//! 7. **decide** (the aggregate, pure);
//! 8. **append** with the expected version, the events' tags, the unique key's append
//!    condition, the idempotency key bound to the request's digest, and the envelope filled
//!    from the request: actor, unit, reason, source document, dating. A lost race (another
//!    change to the stream, or to the unique key) decides again from fresh state.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::SerializedEvent;
use cqrs_es::{Aggregate, DomainEvent};
use ledger_domain::access::Role;
use ledger_domain::command::{Command, Tagged};
use ledger_domain::facts::{FACT_STREAM_TYPES, Facts, Needs};
use ledger_domain::policy::{Claim, Dating, TemporalPolicy};
use ledger_domain::report::Discrepancy;
use ledger_domain::task::Task;
use ledger_domain::unit::Unit;
use ledger_domain::upcast::upcasters;
use ledger_domain::value::{Date, DocumentNumber, LongText, UnitId};
use ledger_store::batch::replay;
use ledger_store::store::MAX_READ_LIMIT;
use ledger_store::{
    Actor, AppendCondition, AppendRequest, AppendResult, Error as StoreError, EventStore,
    ExpectedVersion, Metadata, NewEvent, Query, QueryItem, ReadAll, StreamAppend, Timestamp,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::AppError;

/// How often a command is decided again after losing a race.
const ATTEMPTS: usize = 5;

/// Việt Nam's offset from UTC: the ledger's days are days in Asia/Ho_Chi_Minh (no daylight
/// saving).
const VIETNAM: i32 = 7 * 3600;

/// Who acts: from a verified token (the API) or the actor an import declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// A stable subject id.
    pub subject: String,
    /// The name shown in histories.
    pub name: String,
    /// The role.
    pub role: Role,
    /// The unit the caller acts for.
    pub unit: Option<UnitId>,
}

/// What comes with a command besides its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Why, in the caller's words (else the command's own reason, if it has one).
    pub reason: Option<LongText>,
    /// The document the change rests on (else the command's own basis, if it has one).
    pub source_document: Option<DocumentNumber>,
    /// A repeat with the same key is applied once; a different request with it is refused.
    pub idempotency_key: Option<String>,
    /// Groups the events of one user action or one import (a new one when absent).
    pub correlation_id: Option<Uuid>,
}

/// What a command wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Positions, recorded time, and whether it was a repeat of an earlier request.
    pub result: AppendResult,
    /// How its date relates to the day it was recorded.
    pub dating: Dating,
    /// Report lines that contradict the ledger, as recorded with the change.
    pub discrepancies: Vec<Discrepancy>,
}

/// The clock the command path reads "today" from.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The command path over a store.
#[derive(Clone)]
pub struct CommandPath<S: EventStore> {
    store: S,
    policy: Arc<TemporalPolicy>,
    clock: Clock,
}

/// `{type}/{id}`: stream ids of different kinds never collide in the global log.
#[must_use]
pub fn stream_id<A: Aggregate>(id: &str) -> String {
    format!("{}/{id}", A::TYPE)
}

/// The instant a day begins in Việt Nam: what a change dated that day takes effect at.
///
/// # Errors
/// [`AppError::Invalid`] for a day the log's time format cannot hold.
pub fn start_of_day(day: Date) -> Result<Timestamp, AppError> {
    let offset = FixedOffset::east_opt(VIETNAM)
        .ok_or_else(|| AppError::Invalid("no Vietnamese time zone".into()))?;
    let local = day
        .get()
        .and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(offset)
        .single()
        .ok_or_else(|| AppError::Invalid(format!("{day} has no start in Việt Nam")))?;
    Timestamp::from_datetime(local.with_timezone(&Utc))
        .map_err(|e| AppError::Invalid(format!("{day}: {e}")))
}

/// The day an instant falls on in Việt Nam.
#[must_use]
pub fn day_in_vietnam(at: DateTime<Utc>) -> Date {
    (at + Duration::seconds(i64::from(VIETNAM)))
        .date_naive()
        .into()
}

/// Rebuilds an aggregate from the bodies of its stream's events, older shapes upcast.
///
/// # Errors
/// [`AppError::Store`] when the stream cannot be read or an event does not decode.
pub async fn load<A: Aggregate, S: EventStore>(
    store: &S,
    stream: &str,
) -> Result<(A, u64), AppError> {
    let upcasters = upcasters();
    let mut aggregate = A::default();
    let mut version = 0;
    loop {
        let page = store
            .read_stream_bodies(stream, version + 1, MAX_READ_LIMIT)
            .await?;
        let full = page.len() == MAX_READ_LIMIT;
        for body in page {
            let mut event = SerializedEvent {
                aggregate_id: stream.to_owned(),
                sequence: usize::try_from(body.stream_version).unwrap_or(usize::MAX),
                aggregate_type: A::TYPE.to_owned(),
                event_type: body.event_type,
                event_version: body.schema_version.to_string(),
                payload: body.payload,
                metadata: serde_json::Value::Null,
            };
            for upcaster in &upcasters {
                if upcaster.can_upcast(&event.event_type, &event.event_version) {
                    event = upcaster.upcast(event);
                }
            }
            let decoded: A::Event = serde_json::from_value(event.payload).map_err(|e| {
                StoreError::Corrupt(format!("{stream} version {}: {e}", body.stream_version))
            })?;
            aggregate.apply(decoded);
            version = body.stream_version;
        }
        if !full {
            return Ok((aggregate, version));
        }
    }
}

/// What the idempotency key of a command is bound to.
#[derive(Serialize)]
struct DigestView<'a, C> {
    command: &'static str,
    input: &'a C,
    subject: &'a str,
    role: &'static str,
    unit: Option<&'a str>,
    reason: Option<&'a str>,
    source_document: Option<String>,
}

impl<S: EventStore> CommandPath<S> {
    /// A command path over `store` with the default temporal policy and the system clock.
    pub fn new(store: S) -> Self {
        Self {
            store,
            policy: Arc::new(TemporalPolicy::default()),
            clock: Arc::new(Utc::now),
        }
    }

    /// With a temporal policy (grace per kind of command).
    #[must_use]
    pub fn with_policy(mut self, policy: TemporalPolicy) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// With a clock (tests, and tools that replay a day).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Today, in Việt Nam.
    #[must_use]
    pub fn today(&self) -> Date {
        day_in_vietnam((self.clock)())
    }

    /// Runs one command for `principal` with `request`: the whole path (module docs).
    ///
    /// # Errors
    /// [`AppError`]: nothing was written.
    pub async fn execute<C: Command>(
        &self,
        principal: &Principal,
        request: &Request,
        mut command: C,
    ) -> Result<Outcome, AppError> {
        if principal.role != Role::Archivist && !C::ROLES.contains(&principal.role) {
            return Err(AppError::Forbidden {
                role: principal.role,
                command: C::NAME,
            });
        }
        let digest = self.digest(principal, request, &command)?;
        if let Some(key) = &request.idempotency_key
            && let Some(record) = self.store.idempotency_record(key).await?
        {
            let result = replay(&record, key, &digest)
                .map_err(|_| AppError::IdempotencyKeyReused { key: key.clone() })?;
            return self.outcome_of(result).await;
        }
        command.settle(principal.role, request.source_document.as_ref())?;
        let reason = request.reason.as_ref().or(command.reason()).cloned();
        let source_document = request
            .source_document
            .as_ref()
            .or(command.basis())
            .cloned();
        let effective = command.effective_on();
        let dating = self.policy.judge(&Claim {
            command: C::NAME,
            scheduled: C::SCHEDULED,
            role: principal.role,
            effective,
            today: self.today(),
            reason: reason.is_some(),
            source_document: source_document.is_some(),
        })?;
        let effective_at = start_of_day(effective)?;
        let stream = stream_id::<C::Aggregate>(&command.id());
        let mut metadata = Metadata::new(Actor {
            subject: principal.subject.clone(),
            display_name: principal.name.clone(),
            role: principal.role.as_str().to_owned(),
        });
        metadata.acting_unit = principal.unit.as_ref().map(ToString::to_string);
        metadata.correlation_id = request.correlation_id.unwrap_or_else(Uuid::new_v4);
        metadata
            .idempotency_key
            .clone_from(&request.idempotency_key);
        metadata.reason = reason.map(|r| r.to_string());
        metadata.source_document = source_document.map(|d| d.to_string());
        metadata.dating = match dating {
            Dating::Contemporaneous => None,
            Dating::Backdated => Some(ledger_store::Dating::Backdated),
            Dating::Historical => Some(ledger_store::Dating::Historical),
        };
        for _ in 0..ATTEMPTS {
            let (mut state, version) = load::<C::Aggregate, S>(&self.store, &stream).await?;
            if principal.role == Role::UnitReporter {
                let target = command.reporting_unit(&state);
                if target.is_none() || target.as_ref() != principal.unit.as_ref() {
                    return Err(AppError::OutOfScope {
                        command: C::NAME,
                        own: principal
                            .unit
                            .as_ref()
                            .map_or_else(|| "none".to_owned(), ToString::to_string),
                        target: target.map_or_else(|| "no unit".to_owned(), |u| u.to_string()),
                    });
                }
            }
            let needs = command.needs(&state);
            let (facts, condition) = self.facts(&needs, &stream).await?;
            let sink = EventSink::default();
            state
                .handle(command.clone().into_command(), &facts, &sink)
                .await
                .map_err(|e| AppError::Refused(Box::new(e)))?;
            let events = sink.collect().await;
            let mut discrepancies = Vec::new();
            let mut new_events = Vec::with_capacity(events.len());
            for event in events {
                let payload = serde_json::to_value(&event)
                    .map_err(|e| AppError::Invalid(format!("{}: {e}", C::NAME)))?;
                discrepancies.extend(discrepancies_in(&payload));
                let mut tags = event.tags();
                if FACT_STREAM_TYPES.contains(&<C::Aggregate as Aggregate>::TYPE) {
                    tags.push(stream.clone());
                }
                tags.sort();
                tags.dedup();
                new_events.push(NewEvent {
                    event_type: event.event_type(),
                    schema_version: event.event_version().parse().unwrap_or(1),
                    payload,
                    effective_at: Some(effective_at),
                    tags,
                });
            }
            let append = AppendRequest {
                streams: vec![StreamAppend {
                    stream_id: stream.clone(),
                    stream_type: <C::Aggregate as Aggregate>::TYPE.to_owned(),
                    expected: if version == 0 {
                        ExpectedVersion::NoStream
                    } else {
                        ExpectedVersion::Exact(version)
                    },
                    events: new_events,
                }],
                metadata: metadata.clone(),
                condition,
                idempotency_digest: Some(digest),
            };
            match self.store.append(append).await {
                Ok(result) if result.replayed => return self.outcome_of(result).await,
                Ok(result) => {
                    return Ok(Outcome {
                        result,
                        dating,
                        discrepancies,
                    });
                }
                // Another change to the stream, or to the unique key, came first: decide
                // again from what is in the log now.
                Err(StoreError::Conflict { .. } | StoreError::ConditionFailed { .. }) => {}
                Err(StoreError::IdempotencyKeyReused { key }) => {
                    return Err(AppError::IdempotencyKeyReused { key });
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict(stream))
    }

    /// What the idempotency key is bound to: the command and who asked, with what reason and
    /// document — not the events a later state would decide.
    fn digest<C: Command>(
        &self,
        principal: &Principal,
        request: &Request,
        command: &C,
    ) -> Result<[u8; 32], AppError> {
        let view = DigestView {
            command: C::NAME,
            input: command,
            subject: &principal.subject,
            role: principal.role.as_str(),
            unit: principal.unit.as_ref().map(UnitId::as_str),
            reason: request.reason.as_ref().map(LongText::as_str),
            source_document: request.source_document.as_ref().map(ToString::to_string),
        };
        let bytes = ledger_proof::to_canonical_vec(&view)
            .map_err(|e| AppError::Invalid(format!("{}: {e}", C::NAME)))?;
        Ok(Sha256::digest(bytes).into())
    }

    /// The outcome of an append done before: its dating and discrepancies read back from its
    /// events.
    async fn outcome_of(&self, result: AppendResult) -> Result<Outcome, AppError> {
        let count = usize::try_from(result.last_position + 1 - result.first_position)
            .unwrap_or(1)
            .clamp(1, MAX_READ_LIMIT);
        let events = self
            .store
            .read_all(&ReadAll::after(result.first_position - 1, count))
            .await?;
        let dating = match events.first().and_then(|e| e.metadata.dating) {
            Some(ledger_store::Dating::Backdated) => Dating::Backdated,
            Some(ledger_store::Dating::Historical) => Dating::Historical,
            None => Dating::Contemporaneous,
        };
        let discrepancies = events
            .iter()
            .filter(|e| e.position <= result.last_position)
            .flat_map(|e| discrepancies_in(&e.payload))
            .collect();
        Ok(Outcome {
            result,
            dating,
            discrepancies,
        })
    }

    /// Loads what a decision needs, and the append condition that keeps it true from the
    /// position it was read at: no new event on a stream read, none holding the unique key.
    async fn facts(
        &self,
        needs: &Needs,
        own_stream: &str,
    ) -> Result<(Facts, Option<AppendCondition>), AppError> {
        let read_at = self.store.head().await?.size;
        let mut fence: Vec<QueryItem> = Vec::new();
        let mut facts = Facts::new();
        let mut units: HashMap<UnitId, Unit> = HashMap::new();
        for id in needs.active.iter().map(|(u, _)| u).chain(&needs.registered) {
            if !units.contains_key(id) {
                let stream = stream_id::<Unit>(id.as_str());
                let (unit, _) = load::<Unit, S>(&self.store, &stream).await?;
                fence.push(QueryItem {
                    types: Vec::new(),
                    tags: vec![stream],
                });
                units.insert(id.clone(), unit);
            }
        }
        for (id, on) in &needs.active {
            if let Some(unit) = units.get(id) {
                facts.record_unit(id, unit, *on);
            }
        }
        for id in &needs.registered {
            if let Some(unit) = units.get(id) {
                facts.record_registered(id, unit);
            }
        }
        for id in &needs.tasks {
            let stream = stream_id::<Task>(id.as_str());
            let (task, _) = load::<Task, S>(&self.store, &stream).await?;
            fence.push(QueryItem {
                types: Vec::new(),
                tags: vec![stream],
            });
            facts.record_task(id, task);
        }
        if let Some(unique) = &needs.unique {
            let query = Query::item(&[unique.event_type], &[unique.tag.as_str()]);
            let mut holders: Vec<String> = self
                .store
                .read_query(&query, 0, 100)
                .await?
                .into_iter()
                .map(|e| e.stream_id)
                .filter(|s| s != own_stream)
                .collect();
            holders.dedup();
            facts.record_holders(holders);
            fence.extend(query.items);
        }
        let condition = (!fence.is_empty()).then_some(AppendCondition {
            fail_if_events_match: Query { items: fence },
            after: Some(read_at),
        });
        Ok((facts, condition))
    }
}

/// The discrepancies an event's payload records, if any.
fn discrepancies_in(payload: &serde_json::Value) -> Vec<Discrepancy> {
    payload
        .get("discrepancies")
        .and_then(|d| serde_json::from_value(d.clone()).ok())
        .unwrap_or_default()
}
