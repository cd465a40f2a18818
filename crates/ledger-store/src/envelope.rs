//! The event envelope: what is appended, what is stored, and its canonical form.
//!
//! A stored event's leaf hash is `SHA-256(0x00 ‖ JCS(every other field))`; the field names and
//! shapes below are therefore a public format (`schema/events/envelope.md`). Change them only
//! with a new format version.

use std::fmt;

use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};
use ledger_proof::{Hash, leaf_hash, to_canonical_vec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::condition::AppendCondition;
use crate::error::{Error, Result};

/// A UTC instant with microsecond precision (what PostgreSQL stores), written in the log as
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`: fixed width, so text order is time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The canonical text format.
    pub const FORMAT: &'static str = "%Y-%m-%dT%H:%M:%S%.6fZ";

    /// The current time, truncated to microseconds.
    #[must_use]
    pub fn now() -> Self {
        Self(Utc::now().trunc_subsecs(6))
    }

    /// Converts a time, truncating it to microseconds.
    ///
    /// # Errors
    /// [`Error::Invalid`] for years outside 1..=9999, which the canonical text cannot hold.
    pub fn from_datetime(at: DateTime<Utc>) -> Result<Self> {
        if !(1..=9999).contains(&at.year()) {
            return Err(Error::invalid(
                "timestamp",
                format!("year {} is outside 1..=9999", at.year()),
            ));
        }
        Ok(Self(at.trunc_subsecs(6)))
    }

    /// Parses an RFC 3339 time (any offset), converting it to UTC.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the text is not RFC 3339 or the year is out of range.
    pub fn parse(text: &str) -> Result<Self> {
        let at = DateTime::parse_from_rfc3339(text)
            .map_err(|e| Error::invalid("timestamp", format!("{text:?} is not RFC 3339: {e}")))?;
        Self::from_datetime(at.with_timezone(&Utc))
    }

    /// The instant as a chrono time.
    #[must_use]
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Microseconds since the Unix epoch.
    #[must_use]
    pub fn as_micros(&self) -> i64 {
        self.0.timestamp_micros()
    }
}

impl fmt::Display for Timestamp {
    /// [`Timestamp::FORMAT`], written field by field (chrono's `format` parses the pattern on
    /// every call, and every stored event prints two times).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        let mut out = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for slot in out[at..at + width].iter_mut().rev() {
                *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        };
        // Years are 1..=9999 by construction.
        put(0, 4, u32::try_from(t.year()).unwrap_or(0));
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        put(20, 6, (t.nanosecond() % 1_000_000_000) / 1_000);
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Who did it: taken from the authenticated token, never from request input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Stable subject id of the token (`sub`).
    pub subject: String,
    /// Name shown to readers of the history.
    pub display_name: String,
    /// The role under which the actor acted.
    pub role: String,
}

/// Who, on whose authority and why: shared by every event of one append request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Who did it.
    pub actor: Actor,
    /// The unit on whose behalf the actor acted.
    pub acting_unit: Option<String>,
    /// Groups every event caused by one user request.
    pub correlation_id: Uuid,
    /// The event or command that caused this one, if any.
    pub causation_id: Option<Uuid>,
    /// Repeating a request with the same key returns the original result and writes nothing.
    pub idempotency_key: Option<String>,
    /// Why the change was made, in the actor's words.
    pub reason: Option<String>,
    /// The document the change rests on (e.g. `44-KH/TU` or a document id).
    pub source_document: Option<String>,
    /// How the change's date relates to when it was recorded, when not contemporaneous: a
    /// live change dated earlier than the grace allows (`backdated`), or a record entered
    /// from the archive (`historical`). Absent from the canonical form when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dating: Option<Dating>,
}

/// How a change's effective date relates to the day it was recorded (the command path's
/// temporal policy decides; `docs/domain.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dating {
    /// A live change dated earlier than its kind's grace before the day it was recorded,
    /// allowed to named roles only, with a reason and a source document.
    Backdated,
    /// A record entered from the archive: dated in the past and attested by its source
    /// document.
    Historical,
}

impl Dating {
    /// `backdated` or `historical`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backdated => "backdated",
            Self::Historical => "historical",
        }
    }
}

impl Metadata {
    /// Metadata for `actor` with a fresh correlation id and nothing else set.
    #[must_use]
    pub fn new(actor: Actor) -> Self {
        Self {
            actor,
            acting_unit: None,
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            idempotency_key: None,
            reason: None,
            source_document: None,
            dating: None,
        }
    }
}

/// What a stream's version must be for an append to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "version")]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must be at exactly this version (≥ 1).
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream at `actual` (`None`: no stream) meets the expectation.
    #[must_use]
    pub fn allows(self, actual: Option<u64>) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual.is_none(),
            Self::Exact(v) => actual == Some(v),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any version"),
            Self::NoStream => f.write_str("no stream yet"),
            Self::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// Event type name, e.g. `TaskAssigned`.
    pub event_type: String,
    /// Version of the payload's shape, for upcasting old events.
    pub schema_version: u32,
    /// The event's data.
    pub payload: Value,
    /// When the change took effect in the world; the recorded time when `None`.
    pub effective_at: Option<Timestamp>,
    /// Tags (`report:…`, `unit-plan:…`) by which append conditions find the event: a set,
    /// kept sorted. Absent from the canonical form when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl NewEvent {
    /// An event of schema version 1 taking effect when recorded.
    #[must_use]
    pub fn new(event_type: impl Into<String>, payload: Value) -> Self {
        Self {
            event_type: event_type.into(),
            schema_version: 1,
            payload,
            effective_at: None,
            tags: Vec::new(),
        }
    }
}

/// Events for one stream, with the expectation they are appended under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamAppend {
    /// The stream (one aggregate instance), globally unique.
    pub stream_id: String,
    /// The kind of aggregate, e.g. `task`.
    pub stream_type: String,
    /// The version the stream must be at.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<NewEvent>,
}

/// One atomic append: every stream's events are written, or none are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppendRequest {
    /// The streams and their events, written in this order.
    pub streams: Vec<StreamAppend>,
    /// Who, why, on what authority.
    pub metadata: Metadata,
    /// Refuse the append if an event matching this condition is in the log (a dynamic
    /// consistency boundary: `crate::condition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<AppendCondition>,
    /// What the idempotency key is bound to, when the caller computes it (the command path
    /// binds a key to the command it was given, not to the events a later state would decide);
    /// by default the store's digest of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_digest: Option<[u8; 32]>,
}

impl AppendRequest {
    /// A request appending `events` to one stream.
    #[must_use]
    pub fn single(
        stream_id: impl Into<String>,
        stream_type: impl Into<String>,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        metadata: Metadata,
    ) -> Self {
        Self {
            streams: vec![StreamAppend {
                stream_id: stream_id.into(),
                stream_type: stream_type.into(),
                expected,
                events,
            }],
            metadata,
            condition: None,
            idempotency_digest: None,
        }
    }

    /// Number of events in the request.
    #[must_use]
    pub fn event_count(&self) -> usize {
        self.streams.iter().map(|s| s.events.len()).sum()
    }
}

/// A stream's version after an append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamVersion {
    /// The stream.
    pub stream_id: String,
    /// Its version after the append.
    pub version: u64,
}

/// What an acknowledged append wrote. Positions of one request are contiguous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendResult {
    /// Global position of the request's first event.
    pub first_position: u64,
    /// Global position of its last event.
    pub last_position: u64,
    /// When the events were recorded.
    pub recorded_at: Timestamp,
    /// Each stream's version after the append.
    pub streams: Vec<StreamVersion>,
    /// True when this is the stored result of an earlier request with the same idempotency key.
    #[serde(default)]
    pub replayed: bool,
}

/// The state of the whole log: its size, Merkle root and last recorded time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Head {
    /// Number of events = the last global position.
    pub size: u64,
    /// RFC 9162 Merkle tree hash over the leaf hashes of positions 1..=size.
    pub root: Hash,
    /// Recorded time of the last event.
    pub last_recorded_at: Option<Timestamp>,
}

impl Head {
    /// The head of the empty log.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            size: 0,
            root: ledger_proof::merkle::EMPTY_HASH,
            last_recorded_at: None,
        }
    }
}

/// A stored event: the envelope every reader sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Global position, 1, 2, 3, … with no gaps, in commit order.
    pub position: u64,
    /// The stream.
    pub stream_id: String,
    /// The stream's type.
    pub stream_type: String,
    /// Version of the stream after this event (1 for its first event).
    pub stream_version: u64,
    /// Event type name.
    pub event_type: String,
    /// Version of the payload's shape.
    pub schema_version: u32,
    /// The event's data.
    pub payload: Value,
    /// Who, why, on what authority.
    pub metadata: Metadata,
    /// When the store recorded it (server clock, never decreasing along positions).
    pub recorded_at: Timestamp,
    /// When it took effect in the world.
    pub effective_at: Timestamp,
    /// Tags, sorted (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `SHA-256(0x00 ‖ canonical bytes)`, as lowercase hex in JSON.
    #[serde(with = "hash_hex")]
    pub leaf_hash: Hash,
}

/// An event without its envelope: what an aggregate needs to rebuild its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBody {
    /// Version of the stream after this event.
    pub stream_version: u64,
    /// Event type name.
    pub event_type: String,
    /// Version of the payload's shape.
    pub schema_version: u32,
    /// The event's data.
    pub payload: Value,
}

impl From<StoredEvent> for EventBody {
    fn from(e: StoredEvent) -> Self {
        Self {
            stream_version: e.stream_version,
            event_type: e.event_type,
            schema_version: e.schema_version,
            payload: e.payload,
        }
    }
}

/// The fields hashed into the leaf: everything but the leaf hash itself.
#[derive(Serialize)]
struct CanonicalEvent<'a> {
    position: u64,
    stream_id: &'a str,
    stream_type: &'a str,
    stream_version: u64,
    event_type: &'a str,
    schema_version: u32,
    payload: &'a Value,
    metadata: &'a Metadata,
    recorded_at: Timestamp,
    effective_at: Timestamp,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
}

impl StoredEvent {
    /// The RFC 8785 canonical bytes of every field but the leaf hash.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the payload cannot be encoded (it was checked on append).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>> {
        if let Some(bytes) = self.canonical_bytes_direct() {
            return Ok(bytes);
        }
        self.canonical_bytes_general()
    }

    /// The canonical bytes written field by field in JCS order (the common case: no
    /// non-integer number in the payload), several times faster than the general path.
    fn canonical_bytes_direct(&self) -> Option<Vec<u8>> {
        use ledger_proof::canonical::{write_canonical, write_string};
        use std::io::Write as _;
        let mut out = Vec::with_capacity(512);
        let mut number = itoa::Buffer::new();
        // Times and UUIDs hold nothing JSON escapes.
        let time = |t: &Timestamp, out: &mut Vec<u8>| {
            let _ = write!(out, "\"{t}\"");
        };
        let text = |t: &Option<String>, out: &mut Vec<u8>| match t {
            Some(t) => write_string(t, out),
            None => out.extend_from_slice(b"null"),
        };
        let uuid = |u: &Uuid, out: &mut Vec<u8>| {
            let mut buffer = Uuid::encode_buffer();
            out.push(b'"');
            out.extend_from_slice(u.hyphenated().encode_lower(&mut buffer).as_bytes());
            out.push(b'"');
        };
        let m = &self.metadata;
        out.extend_from_slice(b"{\"effective_at\":");
        time(&self.effective_at, &mut out);
        out.extend_from_slice(b",\"event_type\":");
        write_string(&self.event_type, &mut out);
        out.extend_from_slice(b",\"metadata\":{\"acting_unit\":");
        text(&m.acting_unit, &mut out);
        out.extend_from_slice(b",\"actor\":{\"display_name\":");
        write_string(&m.actor.display_name, &mut out);
        out.extend_from_slice(b",\"role\":");
        write_string(&m.actor.role, &mut out);
        out.extend_from_slice(b",\"subject\":");
        write_string(&m.actor.subject, &mut out);
        out.extend_from_slice(b"},\"causation_id\":");
        match &m.causation_id {
            Some(u) => uuid(u, &mut out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"correlation_id\":");
        uuid(&m.correlation_id, &mut out);
        if let Some(dating) = m.dating {
            out.extend_from_slice(b",\"dating\":\"");
            out.extend_from_slice(dating.as_str().as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b",\"idempotency_key\":");
        text(&m.idempotency_key, &mut out);
        out.extend_from_slice(b",\"reason\":");
        text(&m.reason, &mut out);
        out.extend_from_slice(b",\"source_document\":");
        text(&m.source_document, &mut out);
        out.extend_from_slice(b"},\"payload\":");
        if !write_canonical(&self.payload, &mut out) {
            return None;
        }
        out.extend_from_slice(b",\"position\":");
        out.extend_from_slice(number.format(self.position).as_bytes());
        out.extend_from_slice(b",\"recorded_at\":");
        time(&self.recorded_at, &mut out);
        out.extend_from_slice(b",\"schema_version\":");
        out.extend_from_slice(number.format(self.schema_version).as_bytes());
        out.extend_from_slice(b",\"stream_id\":");
        write_string(&self.stream_id, &mut out);
        out.extend_from_slice(b",\"stream_type\":");
        write_string(&self.stream_type, &mut out);
        out.extend_from_slice(b",\"stream_version\":");
        out.extend_from_slice(number.format(self.stream_version).as_bytes());
        if !self.tags.is_empty() {
            out.extend_from_slice(b",\"tags\":[");
            for (i, tag) in self.tags.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(tag, &mut out);
            }
            out.push(b']');
        }
        out.push(b'}');
        Some(out)
    }

    /// The canonical bytes through the general JCS serializer.
    fn canonical_bytes_general(&self) -> Result<Vec<u8>> {
        Ok(to_canonical_vec(&CanonicalEvent {
            position: self.position,
            stream_id: &self.stream_id,
            stream_type: &self.stream_type,
            stream_version: self.stream_version,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            payload: &self.payload,
            metadata: &self.metadata,
            recorded_at: self.recorded_at,
            effective_at: self.effective_at,
            tags: &self.tags,
        })?)
    }

    /// Recomputes the leaf hash from the other fields.
    ///
    /// # Errors
    /// As [`StoredEvent::canonical_bytes`].
    pub fn compute_leaf_hash(&self) -> Result<Hash> {
        Ok(leaf_hash(&self.canonical_bytes()?))
    }
}

/// Serde for hashes as lowercase hex.
pub mod hash_hex {
    use ledger_proof::Hash;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes a hash as 64 lowercase hex digits.
    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&to_hex(hash))
    }

    /// Reads a hash from 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(d)?;
        from_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }

    /// A hash as 64 lowercase hex digits.
    #[must_use]
    pub fn to_hex(hash: &Hash) -> String {
        hash.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits.
    #[must_use]
    pub fn from_hex(text: &str) -> Option<Hash> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Hash(out))
    }
}

/// Converts stored hash bytes, refusing anything but 32 bytes.
///
/// # Errors
/// [`Error::Corrupt`] for a wrong length.
pub fn hash_from_bytes(bytes: &[u8]) -> Result<Hash> {
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Error::Corrupt(format!("a stored hash has {} bytes, not 32", bytes.len())))?;
    Ok(Hash(array))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_microsecond_utc() {
        let t = Timestamp::parse("2022-04-10T07:00:00.1234567+07:00").unwrap();
        assert_eq!(t.to_string(), "2022-04-10T00:00:00.123456Z");
        let t = Timestamp::parse("2021-12-15T00:00:00Z").unwrap();
        assert_eq!(t.to_string(), "2021-12-15T00:00:00.000000Z");
        assert!(Timestamp::parse("15/12/2021").is_err());
    }

    #[test]
    fn display_matches_the_documented_pattern() {
        for text in [
            "0001-01-01T00:00:00Z",
            "1999-12-31T23:59:59.999999Z",
            "2026-11-26T10:41:54.000001Z",
            "9999-12-31T23:59:59.5Z",
        ] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(
                t.to_string(),
                t.as_datetime().format(Timestamp::FORMAT).to_string()
            );
        }
    }

    #[test]
    fn canonical_bytes_have_a_fixed_shape() {
        let event = StoredEvent {
            position: 7,
            stream_id: "task-1".into(),
            stream_type: "task".into(),
            stream_version: 2,
            event_type: "ProgressReported".into(),
            schema_version: 1,
            payload: serde_json::json!({"percent": 40, "note": "Đã triển khai"}),
            metadata: Metadata {
                actor: Actor {
                    subject: "u-1".into(),
                    display_name: "Nguyễn Văn A".into(),
                    role: "unit_officer".into(),
                },
                acting_unit: Some("so-tu-phap".into()),
                correlation_id: Uuid::nil(),
                causation_id: None,
                idempotency_key: None,
                reason: None,
                source_document: Some("44-KH/TU".into()),
                dating: None,
            },
            recorded_at: Timestamp::parse("2022-03-14T01:02:03Z").unwrap(),
            effective_at: Timestamp::parse("2022-03-14T00:00:00Z").unwrap(),
            tags: Vec::new(),
            leaf_hash: Hash::default(),
        };
        let text = String::from_utf8(event.canonical_bytes().unwrap()).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"effective_at":"2022-03-14T00:00:00.000000Z","event_type":"ProgressReported","#,
                r#""metadata":{"acting_unit":"so-tu-phap","actor":{"display_name":"Nguyễn Văn A","role":"unit_officer","subject":"u-1"},"#,
                r#""causation_id":null,"correlation_id":"00000000-0000-0000-0000-000000000000","idempotency_key":null,"reason":null,"source_document":"44-KH/TU"},"#,
                r#""payload":{"note":"Đã triển khai","percent":40},"position":7,"recorded_at":"2022-03-14T01:02:03.000000Z","#,
                r#""schema_version":1,"stream_id":"task-1","stream_type":"task","stream_version":2}"#
            )
        );
        // The direct writer and the general serializer agree, field by field and on payloads
        // of every shape; a float sends the event to the general path.
        let mut varied = event.clone();
        for payload in [
            serde_json::json!(null),
            serde_json::json!([1, "hai", {"ba": [true, false, null]}]),
            serde_json::json!({"z": 1, "a": {"\u{e000}": 2, "\u{1f600}": 3}, "m": "t\u{1}ab\t\"q\""}),
            serde_json::json!({"tỷ lệ": 9_007_199_254_740_991_i64, "âm": -9_007_199_254_740_991_i64}),
        ] {
            varied.payload = payload;
            varied.metadata.reason = Some("lý do \"khẩn\"".into());
            varied.metadata.causation_id = Some(Uuid::from_u128(0xABCD_EF01));
            varied.metadata.correlation_id = Uuid::from_u128(u128::MAX / 3);
            varied.metadata.idempotency_key = Some("k-1".into());
            varied.metadata.acting_unit = None;
            assert_eq!(
                varied.canonical_bytes_direct(),
                Some(varied.canonical_bytes_general().unwrap())
            );
            // The optional keys, present only when set, sort into place.
            varied.metadata.dating = Some(Dating::Backdated);
            varied.tags = vec!["report:a|b|2022-Q1".into(), "unit-plan:kh|x".into()];
            assert_eq!(
                varied.canonical_bytes_direct(),
                Some(varied.canonical_bytes_general().unwrap())
            );
        }
        let tagged = String::from_utf8(varied.canonical_bytes().unwrap()).unwrap();
        assert!(
            tagged.contains(r#""correlation_id":"#)
                && tagged.contains(r#""dating":"backdated","idempotency_key""#)
        );
        assert!(tagged.ends_with(r#""tags":["report:a|b|2022-Q1","unit-plan:kh|x"]}"#));
        varied.payload = serde_json::json!({"percent": 40.5});
        assert_eq!(varied.canonical_bytes_direct(), None);
        assert!(
            String::from_utf8(varied.canonical_bytes().unwrap())
                .unwrap()
                .contains(r#""percent":40.5"#)
        );
    }

    #[test]
    fn hex_round_trip() {
        let h = ledger_proof::leaf_hash(b"x");
        assert_eq!(hash_hex::from_hex(&hash_hex::to_hex(&h)), Some(h));
        assert_eq!(hash_hex::from_hex("zz"), None);
    }
}
