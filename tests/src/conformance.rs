//! The event-store conformance suite: one set of cases every backend must pass.
//!
//! [`conformance_tests!`](crate::conformance_tests) expands to one `#[tokio::test]` per case
//! for a [`Backend`]; `tests/conformance.rs` runs it for memory, SQLite and PostgreSQL.

use std::collections::HashSet;
use std::time::Duration;

use ledger_proof::{Frontier, Hash, root_from_leaves};
use ledger_store::batch::{MAX_PAYLOAD_BYTES, MAX_REQUEST_EVENTS};
use ledger_store::cqrs::{CommandContext, LedgerRepository};
use ledger_store::{
    Actor, AppendCondition, AppendRequest, AppendResult, AsOf, Direction, Error, EventStore,
    ExpectedVersion, KeptCheckpoint, LogFilter, Metadata, NewEvent, Query, QueryItem, ReadAll,
    ReadStream, StoredEvent, StreamAppend, Timestamp,
};
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::backends::Backend;

/// Expands to one test per conformance case for the backend type given.
#[macro_export]
macro_rules! conformance_tests {
    ($backend:ty) => {
        $crate::conformance_tests!(@cases $backend;
            expectations_and_conflicts,
            idempotency,
            concurrent_idempotent_retries,
            atomic_multi_stream_append,
            gapless_commit_order_under_concurrency,
            two_writers_share_one_log,
            recorded_time_is_monotonic,
            reads_as_of_position_and_time,
            read_all_filters_and_batches,
            stream_bodies_match_envelopes,
            subscription_catches_up_then_goes_live,
            subscription_survives_dropped_connection,
            immutability_enforced_by_database,
            leaf_hashes_and_root_match_recomputation,
            vietnamese_text_round_trip,
            oversized_payload_refused,
            refused_appends_write_nothing,
            cqrs_es_aggregate_round_trip,
            append_conditions_guard_tags,
            a_condition_fences_many_streams,
            conditional_appends_race_for_one_tag,
            caller_digest_binds_an_idempotency_key,
            checkpoints_are_kept_once,
        );
    };
    (@cases $backend:ty; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                use $crate::backends::Backend as _;
                let backend = <$backend>::new().await;
                $crate::conformance::$case(&backend).await;
                backend.cleanup().await;
            }
        )*
    };
}

/// A test actor.
pub fn actor() -> Actor {
    Actor {
        subject: "user-ban-noi-chinh-01".into(),
        display_name: "Hoàng Thanh Huyền".into(),
        role: "secretariat".into(),
    }
}

/// Metadata of a test request.
pub fn meta() -> Metadata {
    let mut m = Metadata::new(actor());
    m.acting_unit = Some("ban-noi-chinh-tinh-uy".into());
    m.source_document = Some("44-KH/TU".into());
    m
}

fn event(i: usize) -> NewEvent {
    NewEvent::new(
        "ProgressReported",
        json!({ "percent": (i * 10) % 101, "note": "Đã triển khai quán triệt, ban hành kế hoạch thực hiện" }),
    )
}

fn single(stream: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest::single(stream, "task", expected, events, meta())
}

async fn all_events<S: EventStore>(store: &S) -> Vec<StoredEvent> {
    let mut out = Vec::new();
    loop {
        let page = store
            .read_all(&ReadAll::after(
                out.last().map_or(0, |e: &StoredEvent| e.position),
                1000,
            ))
            .await
            .expect("read the log");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

async fn head_size<S: EventStore>(store: &S) -> u64 {
    store.head().await.expect("head").size
}

fn assert_conflict(result: Result<AppendResult, Error>, stream: &str, actual: Option<u64>) {
    match result {
        Err(Error::Conflict {
            stream_id,
            actual: a,
            ..
        }) => {
            assert_eq!(stream_id, stream);
            assert_eq!(a, actual, "conflict must name the actual version");
        }
        other => panic!("expected a conflict on {stream}, got {other:?}"),
    }
}

/// Expectations: no stream, exact version, any; a failed one is a conflict naming the actual
/// version and writes nothing.
pub async fn expectations_and_conflicts<B: Backend>(b: &B) {
    let s = b.store();
    let r = s
        .append(single("t1", ExpectedVersion::NoStream, vec![event(1)]))
        .await
        .unwrap();
    assert_eq!((r.first_position, r.last_position), (1, 1));
    assert_eq!(r.streams[0].version, 1);
    assert_conflict(
        s.append(single("t1", ExpectedVersion::NoStream, vec![event(2)]))
            .await,
        "t1",
        Some(1),
    );
    let r = s
        .append(single(
            "t1",
            ExpectedVersion::Exact(1),
            vec![event(2), event(3)],
        ))
        .await
        .unwrap();
    assert_eq!(
        (r.first_position, r.last_position, r.streams[0].version),
        (2, 3, 3)
    );
    assert_conflict(
        s.append(single("t1", ExpectedVersion::Exact(1), vec![event(4)]))
            .await,
        "t1",
        Some(3),
    );
    assert_conflict(
        s.append(single("t2", ExpectedVersion::Exact(4), vec![event(4)]))
            .await,
        "t2",
        None,
    );
    let r = s
        .append(single("t1", ExpectedVersion::Any, vec![event(4)]))
        .await
        .unwrap();
    assert_eq!(r.streams[0].version, 4);
    let r = s
        .append(single("t2", ExpectedVersion::Any, vec![event(1)]))
        .await
        .unwrap();
    assert_eq!((r.first_position, r.streams[0].version), (5, 1));
    let mismatch = s
        .append(AppendRequest::single(
            "t1",
            "report",
            ExpectedVersion::Any,
            vec![event(5)],
            meta(),
        ))
        .await;
    assert!(
        matches!(mismatch, Err(Error::StreamTypeMismatch { .. })),
        "{mismatch:?}"
    );
    assert_eq!(head_size(s).await, 5, "refused appends wrote nothing");
    let versions: Vec<u64> = s
        .read_stream("t1", ReadStream::default())
        .await
        .unwrap()
        .iter()
        .map(|e| e.stream_version)
        .collect();
    assert_eq!(versions, vec![1, 2, 3, 4]);
}

/// A repeated idempotency key returns the original result and writes nothing; a reused key
/// with a different request is refused.
pub async fn idempotency<B: Backend>(b: &B) {
    let s = b.store();
    let mut request = single("t1", ExpectedVersion::NoStream, vec![event(1), event(2)]);
    request.metadata.idempotency_key = Some("report-2022-q1-so-tu-phap".into());
    let first = s.append(request.clone()).await.unwrap();
    assert!(!first.replayed);
    // A retry carries a new correlation id; it is still the same request.
    request.metadata.correlation_id = uuid::Uuid::new_v4();
    let again = s.append(request.clone()).await.unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.first_position, again.last_position, &again.streams),
        (first.first_position, first.last_position, &first.streams)
    );
    assert_eq!(head_size(s).await, 2);
    let mut different = request.clone();
    different.streams[0].events[0].payload = json!({"percent": 99});
    let reused = s.append(different).await;
    assert!(
        matches!(reused, Err(Error::IdempotencyKeyReused { .. })),
        "{reused:?}"
    );
    assert_eq!(head_size(s).await, 2);
    let stored = s.read_stream("t1", ReadStream::default()).await.unwrap();
    assert_eq!(
        stored[0].metadata.idempotency_key.as_deref(),
        Some("report-2022-q1-so-tu-phap")
    );
    // The stored result can be looked up by key, without repeating the request.
    let looked_up = s
        .idempotent_result("report-2022-q1-so-tu-phap")
        .await
        .unwrap()
        .expect("the key's result is stored");
    assert_eq!(
        (
            looked_up.first_position,
            looked_up.last_position,
            &looked_up.streams
        ),
        (first.first_position, first.last_position, &first.streams)
    );
    assert!(s.idempotent_result("never-used").await.unwrap().is_none());
}

/// Many concurrent retries of one request write it once and all get its positions.
pub async fn concurrent_idempotent_retries<B: Backend>(b: &B) {
    let s = b.store();
    let mut request = single("t1", ExpectedVersion::Any, vec![event(1)]);
    request.metadata.idempotency_key = Some("once".into());
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (s, r) = (s.clone(), request.clone());
        tasks.push(tokio::spawn(async move { s.append(r).await.unwrap() }));
    }
    let mut positions = HashSet::new();
    let mut fresh = 0;
    for t in tasks {
        let r = t.await.unwrap();
        positions.insert(r.first_position);
        fresh += usize::from(!r.replayed);
    }
    assert_eq!(positions, HashSet::from([1]));
    assert_eq!(fresh, 1, "exactly one append was not a replay");
    assert_eq!(head_size(s).await, 1);
}

/// An append across streams is all or nothing.
pub async fn atomic_multi_stream_append<B: Backend>(b: &B) {
    let s = b.store();
    let both = |ea, eb| AppendRequest {
        streams: vec![
            StreamAppend {
                stream_id: "plan-44".into(),
                stream_type: "plan".into(),
                expected: ea,
                events: vec![NewEvent::new("PlanIssued", json!({"number": "44-KH/TU"}))],
            },
            StreamAppend {
                stream_id: "task-1".into(),
                stream_type: "task".into(),
                expected: eb,
                events: vec![event(1), event(2)],
            },
        ],
        metadata: meta(),
        condition: None,
        idempotency_digest: None,
    };
    let r = s
        .append(both(ExpectedVersion::NoStream, ExpectedVersion::NoStream))
        .await
        .unwrap();
    assert_eq!((r.first_position, r.last_position), (1, 3));
    assert_eq!(r.streams.len(), 2);
    assert_eq!((r.streams[0].version, r.streams[1].version), (1, 2));
    // The first stream's expectation holds, the second's fails: nothing at all is written.
    let failed = s
        .append(both(ExpectedVersion::Exact(1), ExpectedVersion::Exact(1)))
        .await;
    assert_conflict(failed, "task-1", Some(2));
    assert_eq!(head_size(s).await, 3);
    assert_eq!(
        s.read_stream("plan-44", ReadStream::default())
            .await
            .unwrap()
            .len(),
        1
    );
    let events = all_events(s).await;
    let same_correlation: HashSet<_> = events.iter().map(|e| e.metadata.correlation_id).collect();
    assert_eq!(same_correlation.len(), 1, "one request, one correlation id");
}

/// Hundreds of concurrent writers: positions 1..=N with no gap, every acknowledged append
/// visible at the positions it was told, and each writer's appends in its own order.
pub async fn gapless_commit_order_under_concurrency<B: Backend>(b: &B) {
    let s = b.store();
    const WRITERS: usize = 200;
    const APPENDS: usize = 5;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let stream = format!("task-{w}");
            let mut acks = Vec::new();
            let mut version = 0;
            for i in 0..APPENDS {
                let expected = match version {
                    0 => ExpectedVersion::NoStream,
                    v => ExpectedVersion::Exact(v),
                };
                let events = (0..=i % 2).map(event).collect();
                let r = s.append(single(&stream, expected, events)).await.unwrap();
                version = r.streams[0].version;
                // Plus a write to a stream every writer shares.
                s.append(single("shared", ExpectedVersion::Any, vec![event(w)]))
                    .await
                    .unwrap();
                acks.push(r);
            }
            acks
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        let acks = t.await.unwrap();
        for pair in acks.windows(2) {
            assert!(
                pair[0].last_position < pair[1].first_position,
                "an append acknowledged before the next was issued has lower positions"
            );
        }
        acked.extend(acks);
    }
    let events = all_events(s).await;
    // Each writer: appends of 1 or 2 events to its stream, and one event each to "shared".
    let per_writer: usize = (0..APPENDS).map(|i| 1 + i % 2).sum::<usize>() + APPENDS;
    let total = WRITERS * per_writer;
    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        (1..=total as u64).collect::<Vec<_>>(),
        "gapless, in order"
    );
    assert_eq!(head_size(s).await, total as u64);
    for ack in &acked {
        let e = &events[ack.first_position as usize - 1];
        assert_eq!(e.stream_id, ack.streams[0].stream_id);
        let last = &events[ack.last_position as usize - 1];
        assert_eq!(last.stream_version, ack.streams[0].version);
    }
    for w in 0..WRITERS {
        let stream = s
            .read_stream(&format!("task-{w}"), ReadStream::default())
            .await
            .unwrap();
        let versions: Vec<u64> = stream.iter().map(|e| e.stream_version).collect();
        assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>());
        assert!(stream.windows(2).all(|p| p[0].position < p[1].position));
    }
    let shared = s
        .read_stream("shared", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(shared.len(), WRITERS * APPENDS);
}

/// Two stores with writers of their own on one database (two processes): still one gapless
/// log, one Merkle tree, and each stream's expectations hold across both.
pub async fn two_writers_share_one_log<B: Backend>(b: &B) {
    let first = b.store().clone();
    let second = b.second_writer().await;
    let mut tasks = Vec::new();
    for w in 0..40 {
        let s = if w % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let other = if w % 2 == 0 {
            second.clone()
        } else {
            first.clone()
        };
        tasks.push(tokio::spawn(async move {
            let stream = format!("task-{}", w / 2);
            let mut appended = 0;
            for i in 0..10 {
                // Streams are shared by a writer on each side; retry on conflict, as a
                // command handler would after reloading.
                let target = if i % 2 == 0 { &s } else { &other };
                loop {
                    let version = target
                        .read_stream(&stream, ReadStream::default())
                        .await
                        .unwrap()
                        .len() as u64;
                    let expected = match version {
                        0 => ExpectedVersion::NoStream,
                        v => ExpectedVersion::Exact(v),
                    };
                    match target
                        .append(single(&stream, expected, vec![event(i)]))
                        .await
                    {
                        Ok(_) => break,
                        Err(Error::Conflict { .. }) => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
                appended += 1;
            }
            appended
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let events = all_events(&first).await;
    assert_eq!(
        events.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    for w in 0..20 {
        let versions: Vec<u64> = events
            .iter()
            .filter(|e| e.stream_id == format!("task-{w}"))
            .map(|e| e.stream_version)
            .collect();
        assert_eq!(versions, (1..=20).collect::<Vec<_>>());
    }
    let leaves: Vec<Hash> = events.iter().map(|e| e.leaf_hash).collect();
    assert_eq!(first.head().await.unwrap().root, root_from_leaves(&leaves));
    assert_eq!(second.head().await.unwrap(), first.head().await.unwrap());
    assert!(
        events
            .windows(2)
            .all(|p| p[0].recorded_at <= p[1].recorded_at)
    );
}

/// Recorded time never decreases along positions; effective time defaults to it.
pub async fn recorded_time_is_monotonic<B: Backend>(b: &B) {
    let s = b.store();
    let mut tasks = Vec::new();
    for w in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                s.append(single(
                    &format!("t{w}"),
                    ExpectedVersion::Any,
                    vec![event(i)],
                ))
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let effective = Timestamp::parse("2022-04-10T00:00:00+07:00").unwrap();
    let mut e = event(0);
    e.effective_at = Some(effective);
    s.append(single("phoyen", ExpectedVersion::Any, vec![e]))
        .await
        .unwrap();
    let events = all_events(s).await;
    assert!(
        events
            .windows(2)
            .all(|p| p[0].recorded_at <= p[1].recorded_at)
    );
    assert!(
        events[..200]
            .iter()
            .all(|e| e.effective_at == e.recorded_at)
    );
    assert_eq!(events[200].effective_at, effective);
    assert_eq!(
        s.head().await.unwrap().last_recorded_at,
        Some(events[200].recorded_at)
    );
}

/// Reading a stream as of a position and as of a recorded time, forward and backward.
pub async fn reads_as_of_position_and_time<B: Backend>(b: &B) {
    let s = b.store();
    let before =
        Timestamp::from_datetime(Timestamp::now().as_datetime() - chrono_seconds(1)).unwrap();
    for i in 0..5 {
        s.append(single("t1", ExpectedVersion::Any, vec![event(i)]))
            .await
            .unwrap();
        s.append(single("other", ExpectedVersion::Any, vec![event(i)]))
            .await
            .unwrap();
    }
    let all = s.read_stream("t1", ReadStream::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        vec![1, 3, 5, 7, 9]
    );
    let as_of = |a| ReadStream {
        as_of: Some(a),
        ..ReadStream::default()
    };
    let at6 = s.read_stream("t1", as_of(AsOf::Position(6))).await.unwrap();
    assert_eq!(
        at6.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // As of the time the third event was recorded: everything recorded by then.
    let t = all[2].recorded_at;
    let expected: Vec<u64> = all
        .iter()
        .filter(|e| e.recorded_at <= t)
        .map(|e| e.position)
        .collect();
    let at_t = s
        .read_stream("t1", as_of(AsOf::RecordedAt(t)))
        .await
        .unwrap();
    assert_eq!(
        at_t.iter().map(|e| e.position).collect::<Vec<_>>(),
        expected
    );
    assert!(expected.len() >= 3);
    let p = s.position_at(t).await.unwrap();
    assert!(
        p >= 5
            && all_events(s)
                .await
                .iter()
                .all(|e| (e.position <= p) == (e.recorded_at <= t))
    );
    assert!(
        s.read_stream("t1", as_of(AsOf::RecordedAt(before)))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.position_at(before).await.unwrap(), 0);
    let back = s
        .read_stream(
            "t1",
            ReadStream {
                direction: Direction::Backward,
                from_version: Some(4),
                limit: 2,
                ..ReadStream::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        back.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        vec![4, 3]
    );
    let back_then = s
        .read_stream(
            "t1",
            ReadStream {
                direction: Direction::Backward,
                as_of: Some(AsOf::Position(4)),
                ..ReadStream::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        back_then
            .iter()
            .map(|e| e.stream_version)
            .collect::<Vec<_>>(),
        vec![2, 1]
    );
    let fwd = s
        .read_stream(
            "t1",
            ReadStream {
                from_version: Some(4),
                ..ReadStream::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        fwd.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert!(
        s.read_stream("missing", ReadStream::default())
            .await
            .unwrap()
            .is_empty()
    );
}

fn chrono_seconds(n: i64) -> chrono::TimeDelta {
    chrono::TimeDelta::seconds(n)
}

/// Reading the whole log in batches, filtered by stream type or event type.
pub async fn read_all_filters_and_batches<B: Backend>(b: &B) {
    let s = b.store();
    for i in 0..30 {
        let (stream_type, event_type) = if i % 3 == 0 {
            ("report", "ReportSubmitted")
        } else {
            ("task", "ProgressReported")
        };
        let req = AppendRequest::single(
            format!("{stream_type}-{i}"),
            stream_type,
            ExpectedVersion::NoStream,
            vec![NewEvent::new(event_type, json!({"i": i}))],
            meta(),
        );
        s.append(req).await.unwrap();
    }
    let page = s.read_all(&ReadAll::after(10, 7)).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.position).collect::<Vec<_>>(),
        (11..=17).collect::<Vec<_>>()
    );
    let reports = s
        .read_all(&ReadAll {
            after: 0,
            limit: 100,
            filter: LogFilter {
                stream_types: vec!["report".into()],
                event_types: vec![],
            },
        })
        .await
        .unwrap();
    assert_eq!(reports.len(), 10);
    assert!(reports.iter().all(|e| e.stream_type == "report"));
    let by_type = s
        .read_all(&ReadAll {
            after: 15,
            limit: 100,
            filter: LogFilter {
                stream_types: vec![],
                event_types: vec!["ProgressReported".into()],
            },
        })
        .await
        .unwrap();
    assert!(
        by_type
            .iter()
            .all(|e| e.event_type == "ProgressReported" && e.position > 15)
    );
    assert_eq!(by_type.len(), 10);
    assert!(matches!(
        s.read_all(&ReadAll::after(0, 0)).await,
        Err(Error::Invalid { .. })
    ));
}

/// The bodies read for aggregates are the envelopes' fields, from a version, in order.
pub async fn stream_bodies_match_envelopes<B: Backend>(b: &B) {
    let s = b.store();
    for i in 0..7 {
        let mut e = event(i);
        e.schema_version = 1 + (i % 2) as u32;
        s.append(single("t1", ExpectedVersion::Any, vec![e]))
            .await
            .unwrap();
        s.append(single("t2", ExpectedVersion::Any, vec![event(i)]))
            .await
            .unwrap();
    }
    let full = s.read_stream("t1", ReadStream::default()).await.unwrap();
    let bodies = s.read_stream_bodies("t1", 3, 3).await.unwrap();
    let expected: Vec<ledger_store::EventBody> =
        full[2..5].iter().cloned().map(Into::into).collect();
    assert_eq!(bodies, expected);
    assert_eq!(s.read_stream_bodies("t1", 1, 100).await.unwrap().len(), 7);
    assert!(s.read_stream_bodies("t1", 8, 100).await.unwrap().is_empty());
    assert!(
        s.read_stream_bodies("none", 1, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn next_within<S: EventStore>(sub: &mut ledger_store::Subscription<S>) -> StoredEvent {
    // A guard against a hung test, not a synchronisation: the event is normally there at once.
    tokio::time::timeout(Duration::from_secs(30), sub.next())
        .await
        .expect("the subscription delivered nothing within 30 s")
        .expect("subscription error")
}

/// A subscription delivers the existing log, then live appends, with no gap or duplicate.
pub async fn subscription_catches_up_then_goes_live<B: Backend>(b: &B) {
    let s = b.store();
    for i in 0..120 {
        s.append(single(
            &format!("t{}", i % 7),
            ExpectedVersion::Any,
            vec![event(i)],
        ))
        .await
        .unwrap();
    }
    let mut sub = s.subscribe(0, LogFilter::default());
    for p in 1..=120 {
        assert_eq!(next_within(&mut sub).await.position, p);
    }
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                s.append(single(
                    &format!("t{}", i % 11),
                    ExpectedVersion::Any,
                    vec![event(i)],
                ))
                .await
                .unwrap();
            }
        })
    };
    for p in 121..=320 {
        assert_eq!(next_within(&mut sub).await.position, p);
    }
    writer.await.unwrap();
    assert_eq!(sub.position(), 320);
    // Resuming from a saved position starts right after it.
    let mut resumed = s.subscribe(300, LogFilter::default());
    assert_eq!(next_within(&mut resumed).await.position, 301);
    // A filtered subscription skips what does not match.
    s.append(AppendRequest::single(
        "r1",
        "report",
        ExpectedVersion::Any,
        vec![event(1)],
        meta(),
    ))
    .await
    .unwrap();
    let mut reports = s.subscribe(
        0,
        LogFilter {
            stream_types: vec!["report".into()],
            event_types: vec![],
        },
    );
    assert_eq!(next_within(&mut reports).await.position, 321);
}

/// A subscription resumes by position after the database connection is lost.
pub async fn subscription_survives_dropped_connection<B: Backend>(b: &B) {
    let s = b.store();
    for i in 0..10 {
        s.append(single("t", ExpectedVersion::Any, vec![event(i)]))
            .await
            .unwrap();
    }
    let mut sub = s
        .subscribe(0, LogFilter::default())
        .with_poll_interval(Duration::from_millis(200));
    for p in 1..=10 {
        assert_eq!(next_within(&mut sub).await.position, p);
    }
    // PostgreSQL: the store's connections end (the store had some: it just appended and read).
    let _ = b.drop_connections().await;
    for i in 0..20 {
        // The first append after the drop may meet a dead connection; a retry with the same
        // idempotency key is the documented, safe response.
        let mut request = single("t", ExpectedVersion::Any, vec![event(i)]);
        request.metadata.idempotency_key = Some(format!("after-drop-{i}"));
        let mut attempt = 0;
        loop {
            match s.append(request.clone()).await {
                Ok(_) => break,
                Err(e) if e.is_transient() && attempt < 5 => attempt += 1,
                Err(e) => panic!("append after a dropped connection: {e}"),
            }
        }
    }
    for p in 11..=30 {
        assert_eq!(next_within(&mut sub).await.position, p);
    }
    assert_eq!(head_size(s).await, 30);
}

/// UPDATE, DELETE and TRUNCATE of the log are refused by the database itself.
pub async fn immutability_enforced_by_database<B: Backend>(b: &B) {
    let s = b.store();
    let mut request = single(
        "t",
        ExpectedVersion::Any,
        vec![event(1), event(2), event(3)],
    );
    request.metadata.idempotency_key = Some("k".into());
    // A tagged event, so the tag index has a row to protect.
    request.streams[0].events[0].tags = vec!["report:t".into()];
    s.append(request).await.unwrap();
    let before = all_events(s).await;
    let head = s.head().await.unwrap();
    if let Some(attempts) = b.tamper().await {
        for (sql, outcome) in attempts {
            match outcome {
                Ok(rows) => panic!("the database allowed {sql:?} ({rows} rows)"),
                Err(message) => assert!(
                    message.contains("append-only")
                        || message.contains("refused")
                        || message.contains("cannot shrink"),
                    "{sql:?} was refused for another reason: {message}"
                ),
            }
        }
    }
    assert_eq!(all_events(s).await, before);
    assert_eq!(s.head().await.unwrap(), head);
    // The store still appends after the attempts.
    s.append(single("t", ExpectedVersion::Exact(3), vec![event(4)]))
        .await
        .unwrap();
}

/// Every stored leaf hash equals SHA-256(0x00 ‖ JCS(fields)) recomputed from the stored
/// fields, and the head's root equals the RFC 9162 root over them, computed independently.
pub async fn leaf_hashes_and_root_match_recomputation<B: Backend>(b: &B) {
    let s = b.store();
    let payloads = [
        json!({"title": "Nâng cao chất lượng, hiệu quả công tác cải cách tư pháp", "percent": 40}),
        json!({"nested": {"z": [1, 2.5, -3e-7, null, true], "a": "Đ"}, "big": 9007199254740991u64}),
        json!([]),
        json!("chuỗi"),
        json!(1.0),
    ];
    let mut tasks = Vec::new();
    for w in 0..8 {
        let s = s.clone();
        let payloads = payloads.clone();
        tasks.push(tokio::spawn(async move {
            for (i, p) in payloads.iter().cycle().take(23).enumerate() {
                let mut e = NewEvent::new(format!("Type{}", i % 3), p.clone());
                e.schema_version = 1 + (i % 2) as u32;
                s.append(single(&format!("s{w}"), ExpectedVersion::Any, vec![e]))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let events = all_events(s).await;
    let mut leaves: Vec<Hash> = Vec::new();
    for e in &events {
        assert_eq!(
            e.compute_leaf_hash().unwrap(),
            e.leaf_hash,
            "leaf of position {}",
            e.position
        );
        leaves.push(e.leaf_hash);
    }
    let head = s.head().await.unwrap();
    assert_eq!(head.size, events.len() as u64);
    assert_eq!(head.root, root_from_leaves(&leaves));
    // Every prefix root is reachable from stored hashes (what proofs will read).
    for size in [1u64, 2, 3, 7, 64, 100, head.size] {
        let indexes = Frontier::required_indexes(size);
        let hashes = s.stored_hashes(&indexes).await.unwrap();
        let frontier = Frontier::from_stored(size, indexes.into_iter().zip(hashes)).unwrap();
        assert_eq!(
            frontier.root(),
            root_from_leaves(&leaves[..size as usize]),
            "root at size {size}"
        );
    }
    let beyond = ledger_proof::merkle::Frontier::required_indexes(head.size + 1000);
    assert!(
        s.stored_hashes(&beyond).await.is_err(),
        "hashes beyond the tree are refused"
    );
}

/// Vietnamese text comes back byte for byte, in NFC; decomposed text is refused, not rewritten.
pub async fn vietnamese_text_round_trip<B: Backend>(b: &B) {
    let s = b.store();
    let text = "Ban Chấp hành Đảng bộ tỉnh Thái Nguyên ban hành Đề án số 10-ĐA/TU về “Nâng cao chất lượng, hiệu quả công tác cải cách tư pháp”";
    assert!(unicode_normalization::is_nfc(text));
    let mut m = meta();
    m.actor.display_name = "Nguyễn Thị Hường".into();
    m.reason = Some("Gia hạn theo đề nghị của Sở Tư pháp".into());
    let request = AppendRequest::single(
        "đề-án-10",
        "programme",
        ExpectedVersion::NoStream,
        vec![NewEvent::new("ProgrammeAdopted", json!({"tiêu_đề": text}))],
        m,
    );
    s.append(request).await.unwrap();
    let stored = &s
        .read_stream("đề-án-10", ReadStream::default())
        .await
        .unwrap()[0];
    assert_eq!(stored.payload["tiêu_đề"], Value::String(text.into()));
    assert_eq!(stored.metadata.actor.display_name, "Nguyễn Thị Hường");
    assert_eq!(
        stored.metadata.reason.as_deref(),
        Some("Gia hạn theo đề nghị của Sở Tư pháp")
    );
    assert_eq!(stored.stream_id, "đề-án-10");
    let decomposed: String = text.nfd().collect();
    assert_ne!(decomposed, text);
    let refused = s
        .append(single(
            "t",
            ExpectedVersion::Any,
            vec![NewEvent::new("X", json!({"note": decomposed}))],
        ))
        .await;
    match refused {
        Err(Error::Invalid { field, problem }) => {
            assert_eq!(field, "streams[0].events[0].payload.note");
            assert!(problem.contains("NFC"));
        }
        other => panic!("decomposed text must be refused, got {other:?}"),
    }
    assert_eq!(head_size(s).await, 1);
}

/// A payload over the documented limit is refused with a clear error and nothing is written.
pub async fn oversized_payload_refused<B: Backend>(b: &B) {
    let s = b.store();
    let big = "Đ".repeat(MAX_PAYLOAD_BYTES / 2);
    let r = s
        .append(single(
            "t",
            ExpectedVersion::Any,
            vec![NewEvent::new("X", json!({"text": big}))],
        ))
        .await;
    match r {
        Err(Error::TooLarge { what, size, limit }) => {
            assert_eq!(what, "streams[0].events[0].payload");
            assert!(size > limit && limit == MAX_PAYLOAD_BYTES);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let fits = "x".repeat(MAX_PAYLOAD_BYTES - 100);
    s.append(single(
        "t",
        ExpectedVersion::Any,
        vec![NewEvent::new("X", json!({"text": fits}))],
    ))
    .await
    .unwrap();
    assert_eq!(head_size(s).await, 1);
}

/// Every kind of refused append answers with a clear error and writes nothing.
pub async fn refused_appends_write_nothing<B: Backend>(b: &B) {
    let s = b.store();
    s.append(single("t", ExpectedVersion::NoStream, vec![event(0)]))
        .await
        .unwrap();
    let ok = || single("u", ExpectedVersion::Any, vec![event(1)]);
    let mut cases: Vec<(&str, AppendRequest)> = vec![
        (
            "no streams",
            AppendRequest {
                streams: vec![],
                metadata: meta(),
                condition: None,
                idempotency_digest: None,
            },
        ),
        ("no events", single("u", ExpectedVersion::Any, vec![])),
        (
            "empty stream id",
            single("", ExpectedVersion::Any, vec![event(1)]),
        ),
        (
            "control char in id",
            single("a\nb", ExpectedVersion::Any, vec![event(1)]),
        ),
        (
            "version 0",
            single("u", ExpectedVersion::Exact(0), vec![event(1)]),
        ),
    ];
    let mut r = ok();
    r.streams.push(r.streams[0].clone());
    cases.push(("duplicate stream", r));
    let mut r = ok();
    r.streams[0].events[0].payload = json!({"n": 9007199254740993u64});
    cases.push(("unsafe integer", r));
    let mut r = ok();
    r.streams[0].events[0].payload = json!({"n": "a\u{0}b"});
    cases.push(("NUL", r));
    let mut r = ok();
    r.streams[0].events[0].schema_version = 0;
    cases.push(("schema version 0", r));
    let mut r = ok();
    r.streams[0].events[0].event_type = "x".repeat(300);
    cases.push(("long event type", r));
    let mut r = ok();
    r.metadata.actor.subject = String::new();
    cases.push(("no actor", r));
    let mut r = ok();
    r.metadata.reason = Some("  ".into());
    cases.push(("blank reason", r));
    cases.push((
        "too many events",
        single(
            "u",
            ExpectedVersion::Any,
            (0..=MAX_REQUEST_EVENTS).map(event).collect(),
        ),
    ));
    for (name, request) in cases {
        match s.append(request).await {
            Err(Error::Invalid { field, problem }) => {
                assert!(!field.is_empty() && !problem.is_empty(), "{name}")
            }
            Err(Error::TooLarge { .. }) => {}
            other => panic!("{name}: expected a refusal, got {other:?}"),
        }
    }
    assert_conflict(
        s.append(single("t", ExpectedVersion::NoStream, vec![event(1)]))
            .await,
        "t",
        Some(1),
    );
    assert_eq!(head_size(s).await, 1, "no refused append wrote anything");
    assert_eq!(all_events(s).await.len(), 1);
}

mod aggregate {
    //! A minimal cqrs-es aggregate for the repository test.
    use cqrs_es::{Aggregate, DomainEvent};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, Serialize, Deserialize)]
    pub struct Task {
        pub assigned: bool,
        pub percent: u8,
    }

    #[derive(Debug)]
    pub enum Command {
        Assign { unit: String },
        Report { percent: u8 },
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub enum Event {
        Assigned { unit: String },
        ProgressReported { percent: u8 },
    }

    impl DomainEvent for Event {
        fn event_type(&self) -> String {
            match self {
                Self::Assigned { .. } => "TaskAssigned".into(),
                Self::ProgressReported { .. } => "ProgressReported".into(),
            }
        }
        fn event_version(&self) -> String {
            "1".into()
        }
    }

    #[derive(Debug)]
    pub struct Refused(pub &'static str);

    impl std::error::Error for Refused {}

    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Aggregate for Task {
        const TYPE: &'static str = "task";
        type Command = Command;
        type Event = Event;
        type Error = Refused;
        type Services = ();

        async fn handle(
            &mut self,
            command: Command,
            _: &(),
            sink: &cqrs_es::event_sink::EventSink<Self>,
        ) -> Result<(), Refused> {
            match command {
                Command::Assign { unit } if !self.assigned => {
                    sink.write(Event::Assigned { unit }, self).await;
                }
                Command::Assign { .. } => return Err(Refused("already assigned")),
                Command::Report { percent } if self.assigned => {
                    sink.write(Event::ProgressReported { percent }, self).await;
                }
                Command::Report { .. } => return Err(Refused("not assigned")),
            }
            Ok(())
        }

        fn apply(&mut self, event: Event) {
            match event {
                Event::Assigned { .. } => self.assigned = true,
                Event::ProgressReported { percent } => self.percent = percent,
            }
        }
    }
}

/// cqrs-es aggregates load from and commit to the store, with the envelope's metadata taken
/// from the typed command context.
pub async fn cqrs_es_aggregate_round_trip<B: Backend>(b: &B) {
    use aggregate::{Command, Task};
    use cqrs_es::persist::{PersistedEventRepository, PersistedEventStore};
    use cqrs_es::{AggregateError, CqrsFramework};

    let s = b.store();
    let repo = LedgerRepository::new(s.clone());
    let cqrs = CqrsFramework::new(
        PersistedEventStore::<_, Task>::new_event_store(repo),
        vec![],
        (),
    );
    let effective = Timestamp::parse("2022-01-31T00:00:00+07:00").unwrap();
    let context = CommandContext {
        metadata: meta(),
        effective_at: Some(effective),
    };
    cqrs.execute_with_metadata(
        "task-ctr-2022",
        Command::Assign {
            unit: "ban-noi-chinh".into(),
        },
        context.to_cqrs_metadata(),
    )
    .await
    .unwrap();
    for percent in [20, 60, 100] {
        cqrs.execute_with_metadata(
            "task-ctr-2022",
            Command::Report { percent },
            CommandContext {
                metadata: meta(),
                effective_at: None,
            }
            .to_cqrs_metadata(),
        )
        .await
        .unwrap();
    }
    let refused = cqrs
        .execute_with_metadata(
            "task-ctr-2022",
            Command::Assign { unit: "x".into() },
            context.to_cqrs_metadata(),
        )
        .await;
    assert!(matches!(refused, Err(AggregateError::UserError(_))));
    let without_context = cqrs
        .execute("task-other", Command::Assign { unit: "x".into() })
        .await;
    assert!(
        without_context.is_err(),
        "a command without a context must not be stored"
    );
    let events = s
        .read_stream("task-ctr-2022", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0].stream_type, "task");
    assert_eq!(events[0].event_type, "TaskAssigned");
    assert_eq!(events[0].effective_at, effective);
    assert_eq!(
        events[3].payload,
        json!({"ProgressReported": {"percent": 100}})
    );
    assert!(events.iter().all(|e| e.metadata.actor == actor()));
    assert_eq!(head_size(s).await, 4);
    // Replays for queries carry the typed context back.
    let repo = LedgerRepository::new(s.clone());
    let mut replay = repo.stream_events::<Task>("task-ctr-2022").await.unwrap();
    let first = replay.next::<Task>(&[]).await.unwrap().unwrap();
    assert_eq!(first.sequence, 1);
    let context =
        CommandContext::from_cqrs_metadata(&serde_json::to_value(&first.metadata).unwrap())
            .unwrap();
    assert_eq!(context.metadata.actor, actor());
    assert_eq!(context.effective_at, Some(effective));
    let mut all = repo.stream_all_events::<Task>().await.unwrap();
    let mut replayed = 0;
    while let Some(event) = all.next::<Task>(&[]).await {
        event.unwrap();
        replayed += 1;
    }
    assert_eq!(replayed, 4);
}

fn tagged_event(event_type: &str, tags: &[&str]) -> NewEvent {
    let mut event = NewEvent::new(event_type, json!({ "nội dung": "Báo cáo quý" }));
    event.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    event
}

fn conditional(stream: &str, event: NewEvent, query: Query, after: Option<u64>) -> AppendRequest {
    let mut request = single(stream, ExpectedVersion::NoStream, vec![event]);
    request.condition = Some(AppendCondition {
        fail_if_events_match: query,
        after,
    });
    request
}

/// A decision fenced on every stream it read (one one-tag item per stream, as many as a
/// plan's required units, mixed with a typed item): refused when any of them moved after the
/// position read, by the first such event; accepted when none did.
pub async fn a_condition_fences_many_streams<B: Backend>(b: &B) {
    let s = b.store();
    let streams: Vec<String> = (0..40).map(|i| format!("unit/don-vi-{i}")).collect();
    for stream in &streams {
        s.append(single(
            stream,
            ExpectedVersion::NoStream,
            vec![tagged_event("UnitRegistered", &[stream])],
        ))
        .await
        .unwrap();
    }
    let read_at = head_size(s).await;
    let mut items: Vec<QueryItem> = streams
        .iter()
        .map(|stream| QueryItem {
            types: vec![],
            tags: vec![stream.clone()],
        })
        .collect();
    items.push(QueryItem {
        types: vec!["ReportSubmitted".into()],
        tags: vec!["report:x".into(), "unit:y".into()],
    });
    let fenced = |stream: &str| {
        conditional(
            stream,
            event(1),
            Query {
                items: items.clone(),
            },
            Some(read_at),
        )
    };
    s.append(fenced("task/a"))
        .await
        .expect("nothing read has moved");
    // Another writer changes the 37th unit after the read.
    let moved = s
        .append(single(
            &streams[36],
            ExpectedVersion::Exact(1),
            vec![tagged_event("UnitDissolved", &[&streams[36]])],
        ))
        .await
        .unwrap();
    let refused = s.append(fenced("task/b")).await;
    assert!(
        matches!(refused, Err(Error::ConditionFailed { position }) if position == moved.first_position),
        "{refused:?}"
    );
    assert_eq!(
        head_size(s).await,
        read_at + 2,
        "the refused append wrote nothing"
    );
    // An item of the other kind still fences on its own.
    let mut report = tagged_event("ReportSubmitted", &["report:x", "unit:y"]);
    report.payload = json!({ "kỳ": "2023-Q2" });
    s.append(single("report/x", ExpectedVersion::NoStream, vec![report]))
        .await
        .unwrap();
    let only_typed = conditional(
        "task/c",
        event(1),
        Query {
            items: items[40..].to_vec(),
        },
        Some(read_at + 2),
    );
    assert!(matches!(
        s.append(only_typed).await,
        Err(Error::ConditionFailed { .. })
    ));
}

/// Tags are stored with their events (sorted, covered by the leaf hash); an append whose
/// condition matches an event after its position is refused, naming the event, and writes
/// nothing; the same query reads the matching events.
pub async fn append_conditions_guard_tags<B: Backend>(b: &B) {
    let s = b.store();
    let key = "report:so-tu-phap|kh-44|2023-Q2";
    let first = s
        .append(conditional(
            "report/a",
            tagged_event("ReportSubmitted", &["unit:so-tu-phap", key]),
            Query::item(&["ReportSubmitted"], &[key]),
            None,
        ))
        .await
        .expect("no report for the key yet");
    s.append(single("task/x", ExpectedVersion::Any, vec![event(1)]))
        .await
        .unwrap();
    let stored = s
        .read_stream("report/a", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(stored[0].tags, [key, "unit:so-tu-phap"], "sorted");
    assert_eq!(stored[0].compute_leaf_hash().unwrap(), stored[0].leaf_hash);
    let duplicate = |after| {
        conditional(
            "report/b",
            tagged_event("ReportSubmitted", &[key]),
            Query::item(&["ReportSubmitted"], &[key]),
            after,
        )
    };
    let refused = s.append(duplicate(None)).await;
    assert!(
        matches!(refused, Err(Error::ConditionFailed { position }) if position == first.first_position),
        "{refused:?}"
    );
    let refused = s.append(duplicate(Some(0))).await;
    assert!(
        matches!(refused, Err(Error::ConditionFailed { .. })),
        "{refused:?}"
    );
    assert_eq!(head_size(s).await, 2, "a refused append writes nothing");
    // Decided after the match: the boundary holds nothing newer.
    s.append(duplicate(Some(first.first_position)))
        .await
        .expect("nothing matching after the position read");
    // Every tag of an item must be there; types narrow; items are alternatives.
    let both = Query {
        items: vec![QueryItem {
            types: vec![],
            tags: vec![key.to_owned(), "unit:so-tu-phap".to_owned()],
        }],
    };
    let found = s.read_query(&both, 0, 100).await.unwrap();
    assert_eq!(
        found
            .iter()
            .map(|e| e.stream_id.as_str())
            .collect::<Vec<_>>(),
        ["report/a"]
    );
    let by_tag = s
        .read_query(&Query::item(&[], &[key]), 0, 100)
        .await
        .unwrap();
    assert_eq!(by_tag.len(), 2);
    assert!(by_tag[0].position < by_tag[1].position);
    let later = s
        .read_query(&Query::item(&[], &[key]), by_tag[0].position, 100)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert!(
        s.read_query(&Query::item(&["ReportCorrected"], &[key]), 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let either = Query {
        items: vec![
            QueryItem {
                types: vec!["ProgressReported".into()],
                tags: vec![],
            },
            QueryItem {
                types: vec![],
                tags: vec!["unit:so-tu-phap".into()],
            },
        ],
    };
    assert_eq!(s.read_query(&either, 0, 100).await.unwrap().len(), 2);
    assert!(
        s.read_query(&Query::default(), 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.read_query(&Query::all(), 0, 2).await.unwrap().len(), 2);
    // A condition that matches nothing never refuses.
    s.append(conditional(
        "report/c",
        tagged_event("X", &[]),
        Query::default(),
        None,
    ))
    .await
    .unwrap();
}

/// Many appends decided on the same state race for one tag: exactly one is written, through
/// one writer or two.
pub async fn conditional_appends_race_for_one_tag<B: Backend>(b: &B) {
    let s = b.store();
    let other = b.second_writer().await;
    s.append(single("task/x", ExpectedVersion::Any, vec![event(1)]))
        .await
        .unwrap();
    let read_at = head_size(s).await;
    let key = "report:pho-yen|kh-44|2024-Q1";
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = if i % 2 == 0 { s.clone() } else { other.clone() };
        let request = conditional(
            &format!("report/r{i}"),
            tagged_event("ReportSubmitted", &[key]),
            Query::item(&["ReportSubmitted"], &[key]),
            Some(read_at),
        );
        tasks.push(tokio::spawn(async move { store.append(request).await }));
    }
    let mut written = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => written += 1,
            Err(Error::ConditionFailed { position }) => assert!(position > read_at),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(written, 1, "one append wins the tag");
    let tagged = s
        .read_query(&Query::item(&[], &[key]), 0, 100)
        .await
        .unwrap();
    assert_eq!(tagged.len(), 1);
    assert_eq!(head_size(s).await, read_at + 1);
}

/// A key bound to the caller's digest replays whatever events a retry would decide, and is
/// refused for another digest.
pub async fn caller_digest_binds_an_idempotency_key<B: Backend>(b: &B) {
    let s = b.store();
    let mut request = single("t1", ExpectedVersion::Any, vec![event(1)]);
    request.metadata.idempotency_key = Some("api:u:1".into());
    request.idempotency_digest = Some([1; 32]);
    let first = s.append(request.clone()).await.unwrap();
    let mut retry = request.clone();
    retry.streams[0].events[0].payload = json!({"percent": 50});
    let again = s.append(retry.clone()).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.first_position, first.first_position);
    retry.idempotency_digest = Some([2; 32]);
    assert!(matches!(
        s.append(retry).await,
        Err(Error::IdempotencyKeyReused { .. })
    ));
    let record = s
        .idempotency_record("api:u:1")
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(record.digest, [1; 32]);
    assert!(
        ledger_store::batch::replay(&record, "api:u:1", &[1; 32])
            .unwrap()
            .replayed
    );
    assert!(ledger_store::batch::replay(&record, "api:u:1", &[2; 32]).is_err());
    assert_eq!(head_size(s).await, 1);
}

/// Checkpoints are kept once per size and signers, listed largest first.
pub async fn checkpoints_are_kept_once<B: Backend>(b: &B) {
    let s = b.store();
    let kept = |size: u64, signers: &[&str]| KeptCheckpoint {
        size,
        signers: signers.iter().map(|x| (*x).to_owned()).collect(),
        root: "ab".repeat(32),
        note: format!("ledger\n{size}\n"),
        stored_at: String::new(),
    };
    assert!(s.keep_checkpoint(&kept(3, &["ledger"])).await.unwrap());
    assert!(!s.keep_checkpoint(&kept(3, &["ledger"])).await.unwrap());
    assert!(
        s.keep_checkpoint(&kept(3, &["ledger", "witness"]))
            .await
            .unwrap()
    );
    assert!(s.keep_checkpoint(&kept(9, &["ledger"])).await.unwrap());
    let listed = s.checkpoints(None, 10).await.unwrap();
    let order: Vec<(u64, usize)> = listed.iter().map(|c| (c.size, c.signers.len())).collect();
    assert_eq!(order, [(9, 1), (3, 2), (3, 1)]);
    assert!(
        listed
            .iter()
            .all(|c| !c.stored_at.is_empty() && c.note.starts_with("ledger"))
    );
    assert_eq!(s.checkpoints(None, 1).await.unwrap().len(), 1);
    assert_eq!(s.checkpoints(Some(3), 10).await.unwrap().len(), 2);
}
