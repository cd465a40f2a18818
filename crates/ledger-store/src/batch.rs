//! What a batch of appends writes, decided without IO.
//!
//! A backend's group-commit transaction locks the head, loads a [`BatchState`] (the head, the
//! Merkle frontier, the versions of the streams and the idempotency keys the batch touches),
//! calls [`plan_batch`], writes the [`BatchPlan`] and commits. Keeping the decision here means
//! the in-memory, SQLite and PostgreSQL backends assign the same positions, times and hashes.
//!
//! Requests are checked before they reach the writer by [`PreparedAppend::prepare`], in the
//! caller's task, so the single writer spends its time on ordering and IO only.

use std::collections::{HashMap, HashSet};

use ledger_proof::{Frontier, Hash, check_value, leaf_hash, merkle::MerkleError, to_canonical_vec};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::envelope::{AppendRequest, AppendResult, Head, StoredEvent, StreamVersion, Timestamp};
use crate::error::{Error, Result};

/// Largest canonical form of one whole event (envelope and payload): 65,535 bytes, what the
/// 16-bit length of a C2SP tlog-tiles entry bundle holds, so every entry of the log can be
/// served as tlog-tiles. About fifteen pages of Vietnamese text: reports carry text, not files;
/// longer annexes are documents, referenced by number.
pub const MAX_EVENT_BYTES: usize = 65_535;
/// Largest canonical payload of one event, checked before the envelope is built (the whole
/// event must still fit [`MAX_EVENT_BYTES`]).
pub const MAX_PAYLOAD_BYTES: usize = 60 * 1024;
/// Most events in one append request.
pub const MAX_REQUEST_EVENTS: usize = 1000;
/// Largest sum of canonical payloads in one request: 4 MiB.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Longest identifier (stream id and type, event type, subject, role, unit, idempotency key).
pub const MAX_ID_BYTES: usize = 200;
/// Longest free text in the metadata (display name, reason, source document).
pub const MAX_TEXT_BYTES: usize = 4000;
/// Most tags on one event.
pub const MAX_TAGS: usize = 32;
/// Most items in an append condition's query (each item: at most [`MAX_TAGS`] types and tags).
/// A decision fenced on every unit it read (a plan requiring a province's units) has one
/// item per unit; the backends check all the one-tag items in one indexed read.
pub const MAX_QUERY_ITEMS: usize = 256;

/// A checked request with the digest its idempotency key is bound to.
#[derive(Debug, Clone)]
pub struct PreparedAppend {
    /// The request.
    pub request: AppendRequest,
    /// SHA-256 over what makes two requests "the same" for idempotency (zero when the request
    /// has no idempotency key, since it is then never compared).
    pub digest: [u8; 32],
}

/// What identifies a request for idempotency: everything but correlation and causation ids
/// and the display name, which a retry may legitimately change.
#[derive(Serialize)]
struct DigestView<'a> {
    streams: &'a [crate::envelope::StreamAppend],
    subject: &'a str,
    role: &'a str,
    acting_unit: &'a Option<String>,
    reason: &'a Option<String>,
    source_document: &'a Option<String>,
}

impl PreparedAppend {
    /// Checks a request against the store's limits and the log's I-JSON profile.
    ///
    /// # Errors
    /// [`Error::Invalid`] or [`Error::TooLarge`] naming the first offending field.
    pub fn prepare(mut request: AppendRequest) -> Result<Self> {
        if request.streams.is_empty() {
            return Err(Error::invalid(
                "streams",
                "an append needs at least one stream",
            ));
        }
        let count = request.event_count();
        if count > MAX_REQUEST_EVENTS {
            return Err(Error::invalid(
                "streams",
                format!("{count} events in one request; at most {MAX_REQUEST_EVENTS}"),
            ));
        }
        let mut seen = HashSet::new();
        let mut total = 0usize;
        for (i, stream) in request.streams.iter().enumerate() {
            let at = format!("streams[{i}]");
            check_id(&stream.stream_id, &format!("{at}.stream_id"))?;
            check_id(&stream.stream_type, &format!("{at}.stream_type"))?;
            if !seen.insert(stream.stream_id.as_str()) {
                return Err(Error::invalid(
                    format!("{at}.stream_id"),
                    format!("stream {} appears twice in one request", stream.stream_id),
                ));
            }
            if stream.events.is_empty() {
                return Err(Error::invalid(
                    format!("{at}.events"),
                    "no events to append",
                ));
            }
            if let crate::ExpectedVersion::Exact(0) = stream.expected {
                return Err(Error::invalid(
                    format!("{at}.expected"),
                    "versions start at 1; expect no stream instead of version 0",
                ));
            }
            for (j, event) in stream.events.iter().enumerate() {
                let at = format!("{at}.events[{j}]");
                check_id(&event.event_type, &format!("{at}.event_type"))?;
                if event.schema_version == 0 {
                    return Err(Error::invalid(
                        format!("{at}.schema_version"),
                        "starts at 1",
                    ));
                }
                check_value(&event.payload, &format!("{at}.payload"))?;
                check_tags(&event.tags, &format!("{at}.tags"))?;
                let size = to_canonical_vec(&event.payload)?.len();
                if size > MAX_PAYLOAD_BYTES {
                    return Err(Error::TooLarge {
                        what: format!("{at}.payload"),
                        size,
                        limit: MAX_PAYLOAD_BYTES,
                    });
                }
                total += size;
            }
        }
        // Tags are a set: kept sorted, each once.
        for stream in &mut request.streams {
            for event in &mut stream.events {
                event.tags.sort();
                event.tags.dedup();
            }
        }
        if let Some(condition) = &request.condition {
            check_query(
                &condition.fail_if_events_match,
                "condition.fail_if_events_match",
            )?;
        }
        if total > MAX_REQUEST_BYTES {
            return Err(Error::TooLarge {
                what: "the request's payloads".to_owned(),
                size: total,
                limit: MAX_REQUEST_BYTES,
            });
        }
        let m = &request.metadata;
        check_id(&m.actor.subject, "metadata.actor.subject")?;
        check_id(&m.actor.role, "metadata.actor.role")?;
        check_text(&m.actor.display_name, "metadata.actor.display_name")?;
        if let Some(unit) = &m.acting_unit {
            check_id(unit, "metadata.acting_unit")?;
        }
        if let Some(key) = &m.idempotency_key {
            check_id(key, "metadata.idempotency_key")?;
        }
        if let Some(reason) = &m.reason {
            check_text(reason, "metadata.reason")?;
        }
        if let Some(doc) = &m.source_document {
            check_text(doc, "metadata.source_document")?;
        }
        // Only a request with an idempotency key is ever compared with another.
        let digest =
            if let (Some(_), Some(digest)) = (&m.idempotency_key, request.idempotency_digest) {
                digest
            } else if m.idempotency_key.is_some() {
                Sha256::digest(to_canonical_vec(&DigestView {
                    streams: &request.streams,
                    subject: &m.actor.subject,
                    role: &m.actor.role,
                    acting_unit: &m.acting_unit,
                    reason: &m.reason,
                    source_document: &m.source_document,
                })?)
                .into()
            } else {
                [0; 32]
            };
        Ok(Self { request, digest })
    }
}

fn check_id(value: &str, field: &str) -> Result<()> {
    check_text(value, field)?;
    if value.len() > MAX_ID_BYTES {
        return Err(Error::TooLarge {
            what: field.to_owned(),
            size: value.len(),
            limit: MAX_ID_BYTES,
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() && c != ' ')
        || value.starts_with(' ')
        || value.ends_with(' ')
    {
        return Err(Error::invalid(
            field,
            "must not contain control characters or surrounding spaces",
        ));
    }
    Ok(())
}

fn check_tags(tags: &[String], field: &str) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            field,
            format!("{} tags; at most {MAX_TAGS}", tags.len()),
        ));
    }
    for (i, tag) in tags.iter().enumerate() {
        check_id(tag, &format!("{field}[{i}]"))?;
    }
    Ok(())
}

fn check_query(query: &crate::condition::Query, field: &str) -> Result<()> {
    if query.items.len() > MAX_QUERY_ITEMS {
        return Err(Error::invalid(
            format!("{field}.items"),
            format!("{} items; at most {MAX_QUERY_ITEMS}", query.items.len()),
        ));
    }
    for (i, item) in query.items.iter().enumerate() {
        check_tags(&item.types, &format!("{field}.items[{i}].types"))?;
        check_tags(&item.tags, &format!("{field}.items[{i}].tags"))?;
    }
    Ok(())
}

fn check_text(value: &str, field: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty (omit it instead)"));
    }
    if value.len() > MAX_TEXT_BYTES {
        return Err(Error::TooLarge {
            what: field.to_owned(),
            size: value.len(),
            limit: MAX_TEXT_BYTES,
        });
    }
    ledger_proof::canonical::check_text(value, field)?;
    Ok(())
}

/// A stream's type and version as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamState {
    /// The stream's type.
    pub stream_type: String,
    /// Its version (≥ 1).
    pub version: u64,
}

/// The stored outcome of an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Digest of the request that used the key.
    pub digest: [u8; 32],
    /// What it wrote.
    pub result: AppendResult,
}

/// What a batch transaction loaded before deciding.
#[derive(Debug, Clone)]
pub struct BatchState {
    /// The head, read under the batch's lock.
    pub head: Head,
    /// The Merkle frontier at `head.size`.
    pub frontier: Frontier,
    /// The stored state of every stream named by the batch (absent: no stream).
    pub streams: HashMap<String, StreamState>,
    /// The stored records of every idempotency key named by the batch.
    pub idempotency: HashMap<String, IdempotencyRecord>,
    /// For requests (by index in the batch) whose append condition a stored event matches:
    /// the first such event's position ([`condition_queries`] says which to look up).
    pub condition_matches: HashMap<usize, u64>,
}

impl BatchState {
    /// Builds the state, checking that the frontier is the head's tree.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the frontier's size or root is not the head's.
    pub fn new(
        head: Head,
        frontier: Frontier,
        streams: HashMap<String, StreamState>,
        idempotency: HashMap<String, IdempotencyRecord>,
    ) -> Result<Self> {
        if frontier.size() != head.size || frontier.root() != head.root {
            return Err(Error::Corrupt(format!(
                "the stored Merkle hashes give root {} at size {}, but the head says {}",
                frontier.root(),
                head.size,
                head.root
            )));
        }
        Ok(Self {
            head,
            frontier,
            streams,
            idempotency,
            condition_matches: HashMap::new(),
        })
    }

    /// With the stored matches of the batch's append conditions.
    #[must_use]
    pub fn with_condition_matches(mut self, matches: HashMap<usize, u64>) -> Self {
        self.condition_matches = matches;
        self
    }
}

/// The append conditions of a batch, by request index: what a backend looks up in the log
/// (the first event after `after` matching the query) before planning.
pub fn condition_queries(
    requests: &[PreparedAppend],
) -> impl Iterator<Item = (usize, &crate::condition::AppendCondition)> {
    requests
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.request.condition.as_ref().map(|c| (i, c)))
}

/// What a request with an idempotency key already used is answered: the stored result when
/// the request is the same (by digest), a refusal when it is not. The one place idempotency
/// is decided, in the store's batches and by callers that look before they decide.
///
/// # Errors
/// [`Error::IdempotencyKeyReused`] when the digests differ.
pub fn replay(record: &IdempotencyRecord, key: &str, digest: &[u8; 32]) -> Result<AppendResult> {
    if record.digest == *digest {
        Ok(AppendResult {
            replayed: true,
            ..record.result.clone()
        })
    } else {
        Err(Error::IdempotencyKeyReused {
            key: key.to_owned(),
        })
    }
}

/// The keys a batch must load: stream ids and idempotency keys, deduplicated and sorted (a
/// stable lock order). The frontier's indexes come from [`Frontier::required_indexes`].
#[must_use]
pub fn batch_keys(requests: &[PreparedAppend]) -> (Vec<String>, Vec<String>) {
    let mut streams = std::collections::BTreeSet::new();
    let mut keys = std::collections::BTreeSet::new();
    for p in requests {
        for s in &p.request.streams {
            streams.insert(s.stream_id.clone());
        }
        if let Some(k) = &p.request.metadata.idempotency_key {
            keys.insert(k.clone());
        }
    }
    (streams.into_iter().collect(), keys.into_iter().collect())
}

/// Loads the Merkle frontier of a tree of `size` leaves from stored hashes.
///
/// # Errors
/// [`Error::Corrupt`] when a hash the frontier needs is missing.
pub fn frontier_from_stored(
    size: u64,
    stored: impl IntoIterator<Item = (u64, Hash)>,
) -> Result<Frontier> {
    Frontier::from_stored(size, stored).map_err(|e: MerkleError| Error::Corrupt(e.to_string()))
}

/// Everything a batch transaction writes, and what each request is answered.
#[derive(Debug, Clone)]
pub struct BatchPlan {
    /// New events, in position order.
    pub events: Vec<StoredEvent>,
    /// New stored Merkle hashes `(index, hash)`, in index order.
    pub hashes: Vec<(u64, Hash)>,
    /// Idempotency keys to insert.
    pub idempotency: Vec<(String, IdempotencyRecord)>,
    /// The head after the batch.
    pub head: Head,
    /// The Merkle frontier after the batch, for the next batch to reuse.
    pub frontier: Frontier,
    /// The state of every stream the batch loaded or wrote, after the batch.
    pub streams: HashMap<String, StreamState>,
    /// Every idempotency record the batch loaded or wrote.
    pub idempotency_after: HashMap<String, IdempotencyRecord>,
    /// One answer per request, in request order.
    pub outcomes: Vec<Result<AppendResult>>,
}

/// Decides a batch: checks idempotency keys and expectations request by request (each request
/// sees the effect of the ones before it), assigns gapless positions and one recorded time,
/// computes leaf hashes and extends the Merkle tree.
#[must_use]
pub fn plan_batch(state: BatchState, requests: &[PreparedAppend], now: Timestamp) -> BatchPlan {
    let BatchState {
        head,
        mut frontier,
        mut streams,
        mut idempotency,
        condition_matches,
    } = state;
    let recorded_at = match head.last_recorded_at {
        Some(last) if last > now => last,
        _ => now,
    };
    let mut events = Vec::new();
    let mut hashes = Vec::new();
    let mut new_keys = Vec::new();
    let mut outcomes = Vec::with_capacity(requests.len());

    for (index, prepared) in requests.iter().enumerate() {
        let request = &prepared.request;
        let key = request.metadata.idempotency_key.as_ref();
        if let Some((key, record)) = key.and_then(|k| Some((k, idempotency.get(k)?))) {
            outcomes.push(replay(record, key, &prepared.digest));
            continue;
        }
        if let Some(condition) = &request.condition {
            // A stored match, or one among the events this batch planned before.
            let planned = events.iter().find(|e: &&StoredEvent| {
                e.position > condition.after() && condition.fail_if_events_match.matches_stored(e)
            });
            let matched = condition_matches
                .get(&index)
                .copied()
                .or_else(|| planned.map(|e| e.position));
            if let Some(position) = matched {
                outcomes.push(Err(Error::ConditionFailed { position }));
                continue;
            }
        }
        match decide(request, &streams, frontier.size(), recorded_at) {
            Err(e) => outcomes.push(Err(e)),
            Ok((new_events, versions)) => {
                for event in &new_events {
                    hashes.extend(frontier.push(event.leaf_hash));
                }
                for (stream, sv) in request.streams.iter().zip(&versions) {
                    streams.insert(
                        stream.stream_id.clone(),
                        StreamState {
                            stream_type: stream.stream_type.clone(),
                            version: sv.version,
                        },
                    );
                }
                let result = AppendResult {
                    first_position: new_events.first().map_or(0, |e| e.position),
                    last_position: new_events.last().map_or(0, |e| e.position),
                    recorded_at,
                    streams: versions,
                    replayed: false,
                };
                if let Some(k) = key {
                    let record = IdempotencyRecord {
                        digest: prepared.digest,
                        result: result.clone(),
                    };
                    idempotency.insert(k.clone(), record.clone());
                    new_keys.push((k.clone(), record));
                }
                events.extend(new_events);
                outcomes.push(Ok(result));
            }
        }
    }

    let head = if events.is_empty() {
        head
    } else {
        Head {
            size: frontier.size(),
            root: frontier.root(),
            last_recorded_at: Some(recorded_at),
        }
    };
    BatchPlan {
        events,
        hashes,
        idempotency: new_keys,
        head,
        frontier,
        streams,
        idempotency_after: idempotency,
        outcomes,
    }
}

/// Checks one request against the current stream states and builds its events.
fn decide(
    request: &AppendRequest,
    streams: &HashMap<String, StreamState>,
    size: u64,
    recorded_at: Timestamp,
) -> Result<(Vec<StoredEvent>, Vec<StreamVersion>)> {
    for stream in &request.streams {
        let stored = streams.get(&stream.stream_id);
        if let Some(s) = stored
            && s.stream_type != stream.stream_type
        {
            return Err(Error::StreamTypeMismatch {
                stream_id: stream.stream_id.clone(),
                existing: s.stream_type.clone(),
                given: stream.stream_type.clone(),
            });
        }
        let actual = stored.map(|s| s.version);
        if !stream.expected.allows(actual) {
            return Err(Error::Conflict {
                stream_id: stream.stream_id.clone(),
                expected: stream.expected,
                actual,
            });
        }
    }
    let mut position = size;
    let mut events = Vec::with_capacity(request.event_count());
    let mut versions = Vec::with_capacity(request.streams.len());
    for stream in &request.streams {
        let mut version = streams.get(&stream.stream_id).map_or(0, |s| s.version);
        for new in &stream.events {
            position += 1;
            version += 1;
            let mut event = StoredEvent {
                position,
                stream_id: stream.stream_id.clone(),
                stream_type: stream.stream_type.clone(),
                stream_version: version,
                event_type: new.event_type.clone(),
                schema_version: new.schema_version,
                payload: new.payload.clone(),
                metadata: request.metadata.clone(),
                recorded_at,
                effective_at: new.effective_at.unwrap_or(recorded_at),
                tags: new.tags.clone(),
                leaf_hash: Hash::default(),
            };
            let bytes = event.canonical_bytes()?;
            if bytes.len() > MAX_EVENT_BYTES {
                return Err(Error::TooLarge {
                    what: format!("the event for stream {}", stream.stream_id),
                    size: bytes.len(),
                    limit: MAX_EVENT_BYTES,
                });
            }
            event.leaf_hash = leaf_hash(&bytes);
            events.push(event);
        }
        versions.push(StreamVersion {
            stream_id: stream.stream_id.clone(),
            version,
        });
    }
    Ok((events, versions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Actor, ExpectedVersion, Metadata, NewEvent};
    use serde_json::json;

    fn meta() -> Metadata {
        Metadata::new(Actor {
            subject: "u1".into(),
            display_name: "Cán bộ".into(),
            role: "secretariat".into(),
        })
    }

    fn req(stream: &str, expected: ExpectedVersion, n: usize) -> PreparedAppend {
        let events = (0..n)
            .map(|i| NewEvent::new("Noted", json!({ "i": i })))
            .collect();
        PreparedAppend::prepare(AppendRequest::single(
            stream,
            "task",
            expected,
            events,
            meta(),
        ))
        .unwrap()
    }

    fn empty_state() -> BatchState {
        BatchState::new(
            Head::empty(),
            Frontier::empty(),
            HashMap::new(),
            HashMap::new(),
        )
        .unwrap()
    }

    #[test]
    fn a_batch_assigns_contiguous_positions_and_later_requests_see_earlier_ones() {
        let now = Timestamp::now();
        let batch = [
            req("a", ExpectedVersion::NoStream, 2),
            req("a", ExpectedVersion::NoStream, 1),
            req("a", ExpectedVersion::Exact(2), 1),
            req("b", ExpectedVersion::Any, 3),
        ];
        let plan = plan_batch(empty_state(), &batch, now);
        let positions: Vec<u64> = plan.events.iter().map(|e| e.position).collect();
        assert_eq!(positions, vec![1, 2, 3, 4, 5, 6]);
        assert!(matches!(
            &plan.outcomes[1],
            Err(Error::Conflict {
                actual: Some(2),
                ..
            })
        ));
        assert_eq!(plan.outcomes[2].as_ref().unwrap().first_position, 3);
        assert_eq!(plan.outcomes[3].as_ref().unwrap().last_position, 6);
        assert_eq!(plan.head.size, 6);
        let leaves: Vec<Hash> = plan.events.iter().map(|e| e.leaf_hash).collect();
        assert_eq!(plan.head.root, ledger_proof::root_from_leaves(&leaves));
        assert_eq!(plan.outcomes[2].as_ref().unwrap().streams[0].version, 3);
    }

    /// An event whose payload is within its limit but whose whole canonical form is not (a long
    /// reason in the envelope) is refused alone: its batch neighbours are written.
    #[test]
    fn an_event_beyond_an_entry_bundles_length_is_refused_alone() {
        let mut metadata = meta();
        metadata.reason = Some("lý do ".repeat(MAX_TEXT_BYTES / 7).trim().to_owned());
        let big = NewEvent::new("Noted", json!("x".repeat(MAX_PAYLOAD_BYTES - 2)));
        let request =
            AppendRequest::single("big", "task", ExpectedVersion::Any, vec![big], metadata);
        let big = PreparedAppend::prepare(request).unwrap();
        let batch = [
            req("a", ExpectedVersion::Any, 1),
            big,
            req("b", ExpectedVersion::Any, 1),
        ];
        let plan = plan_batch(empty_state(), &batch, Timestamp::now());
        assert!(
            matches!(
                &plan.outcomes[1],
                Err(Error::TooLarge { size, limit: MAX_EVENT_BYTES, .. }) if *size > MAX_EVENT_BYTES
            ),
            "{:?}",
            plan.outcomes[1]
        );
        let positions: Vec<u64> = plan.events.iter().map(|e| e.position).collect();
        assert_eq!(positions, vec![1, 2]);
        assert!(
            plan.events
                .iter()
                .all(|e| e.canonical_bytes().unwrap().len() <= MAX_EVENT_BYTES)
        );
    }

    fn tagged(stream: &str, tag: &str, condition: Option<u64>) -> PreparedAppend {
        let mut event = NewEvent::new("ReportSubmitted", json!({}));
        event.tags = vec![tag.to_owned(), "b".into(), tag.to_owned()];
        let mut request = AppendRequest::single(
            stream,
            "report",
            ExpectedVersion::NoStream,
            vec![event],
            meta(),
        );
        request.condition = condition.map(|after| crate::condition::AppendCondition {
            fail_if_events_match: crate::condition::Query::item(&["ReportSubmitted"], &[tag]),
            after: Some(after),
        });
        PreparedAppend::prepare(request).unwrap()
    }

    #[test]
    fn append_conditions_see_stored_matches_and_earlier_requests_of_the_batch() {
        let batch = [
            tagged("r1", "report:x", Some(0)),
            tagged("r2", "report:x", Some(0)),
            tagged("r3", "report:y", Some(0)),
            tagged("r4", "report:z", Some(0)),
        ];
        // Tags are a set: sorted, each once.
        assert_eq!(
            batch[0].request.streams[0].events[0].tags,
            ["b", "report:x"]
        );
        let state = empty_state().with_condition_matches(HashMap::from([(3, 7)]));
        let plan = plan_batch(state, &batch, Timestamp::now());
        assert!(plan.outcomes[0].is_ok());
        assert!(matches!(
            plan.outcomes[1],
            Err(Error::ConditionFailed { position: 1 })
        ));
        assert!(plan.outcomes[2].is_ok());
        assert!(matches!(
            plan.outcomes[3],
            Err(Error::ConditionFailed { position: 7 })
        ));
        assert_eq!(plan.events.len(), 2);
        assert_eq!(plan.events[1].tags, ["b", "report:y"]);
        // A condition after the matching position lets the append through.
        let later = [
            tagged("r1", "report:x", None),
            tagged("r2", "report:x", Some(1)),
        ];
        let plan = plan_batch(empty_state(), &later, Timestamp::now());
        assert!(plan.outcomes.iter().all(Result::is_ok));
    }

    #[test]
    fn a_caller_digest_binds_the_key() {
        let mut a = AppendRequest::single(
            "a",
            "task",
            ExpectedVersion::Any,
            vec![NewEvent::new("X", json!(1))],
            meta(),
        );
        a.metadata.idempotency_key = Some("k".into());
        a.idempotency_digest = Some([7; 32]);
        let mut b = a.clone();
        b.streams[0].events[0].payload = json!(2);
        let (a, b) = (
            PreparedAppend::prepare(a).unwrap(),
            PreparedAppend::prepare(b).unwrap(),
        );
        assert_eq!(
            a.digest, b.digest,
            "the caller's digest, not the events, binds the key"
        );
        let first = plan_batch(empty_state(), &[a, b], Timestamp::now());
        assert!(first.outcomes[1].as_ref().unwrap().replayed);
        let record = &first.idempotency[0].1;
        assert!(replay(record, "k", &[8; 32]).is_err());
        assert!(replay(record, "k", &[7; 32]).unwrap().replayed);
    }

    #[test]
    fn recorded_time_never_goes_back() {
        let later = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let mut state = empty_state();
        state.head.last_recorded_at = Some(later);
        let plan = plan_batch(
            state,
            &[req("a", ExpectedVersion::Any, 1)],
            Timestamp::now(),
        );
        assert_eq!(plan.events[0].recorded_at, later);
    }

    #[test]
    fn invalid_requests_are_refused_before_the_writer() {
        let mut r = AppendRequest::single("a", "task", ExpectedVersion::Any, vec![], meta());
        assert!(matches!(
            PreparedAppend::prepare(r.clone()),
            Err(Error::Invalid { .. })
        ));
        r.streams[0]
            .events
            .push(NewEvent::new("X", json!("x".repeat(MAX_PAYLOAD_BYTES))));
        assert!(matches!(
            PreparedAppend::prepare(r.clone()),
            Err(Error::TooLarge { .. })
        ));
        r.streams[0].events[0].payload = json!({});
        r.streams[0].stream_id = " a".into();
        assert!(matches!(
            PreparedAppend::prepare(r),
            Err(Error::Invalid { .. })
        ));
    }
}
