//! Checking a ledger's log without trusting the server or its database administrator.
//!
//! [`Check`] takes the events in position order and, for each one, recomputes its leaf hash
//! from its fields (the canonical encoding of `ledger-proof`) and compares it with the leaf
//! hash stored beside it, checks the positions run 1, 2, 3, … and the recorded times never go
//! back, and grows the RFC 9162 tree. At each size where a signed checkpoint was given, the
//! recomputed root must equal the signed root. [`verify_store`] runs it over a database and
//! also compares every Merkle hash the store keeps and its head; [`verify_lines`] runs it over
//! an exported log (`ledger export --format jsonl`), with no database.
//!
//! The first problem found stops the check and is reported with the position it concerns and
//! its kind ([`Problem`]), each kind with its own exit code ([`Finding::exit_code`]).

use std::io::BufRead;

use ledger_proof::{Frontier, Hash};
use ledger_store::{EventStore, ReadAll, StoredEvent, Timestamp};

/// Events read from a database at a time.
pub const BATCH: usize = 10_000;

/// A signed tree head to check the log against (already opened with trusted keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Tree size: the number of events it covers.
    pub size: u64,
    /// The signed root.
    pub root: Hash,
    /// Where it came from, for messages (a file, "stored checkpoint 12", …).
    pub source: String,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// The log or file could not be read.
    #[error("cannot read the log: {0}")]
    Unreadable(String),
    /// A position is missing (a deleted row) or the log continues at another number.
    #[error(
        "position {expected} is missing here: the next event found is at {found} (deleted, or out of order)"
    )]
    Gap {
        /// The position expected next.
        expected: u64,
        /// The position found.
        found: u64,
    },
    /// Positions go backwards (rows swapped or reordered).
    #[error("position {found} comes after {after}: the events are out of order")]
    OutOfOrder {
        /// The position before.
        after: u64,
        /// The position found.
        found: u64,
    },
    /// An event's fields are not those its leaf hash was computed from: changed after it was
    /// recorded (payload, times, actor, anything).
    #[error(
        "the event's fields do not match its leaf hash (stored {stored}, recomputed {computed}): it was changed after it was recorded"
    )]
    Altered {
        /// The stored leaf hash.
        stored: String,
        /// The leaf hash of the fields as they are now.
        computed: String,
    },
    /// Recorded times must never decrease along positions.
    #[error("recorded at {found}, before the previous event ({previous})")]
    TimeWentBack {
        /// This event's recorded time.
        found: String,
        /// The previous event's.
        previous: String,
    },
    /// A Merkle hash the store keeps is not the one its leaves give.
    #[error("stored Merkle hash {index} is {stored}, the leaves give {computed}")]
    StoredHash {
        /// Stored-hash index (sumdb layout).
        index: u64,
        /// Stored.
        stored: String,
        /// Recomputed.
        computed: String,
    },
    /// The store's head is not the tree of its events.
    #[error(
        "the stored head says {stored_size} events with root {stored_root}; the events give {size} with root {root}"
    )]
    Head {
        /// Stored size.
        stored_size: u64,
        /// Stored root.
        stored_root: String,
        /// Recomputed size.
        size: u64,
        /// Recomputed root.
        root: String,
    },
    /// The log ends before a signed checkpoint: its tail was cut.
    #[error("the log has {size} events but {checkpoint} signed {signed}: the tail was cut")]
    Cut {
        /// Events in the log.
        size: u64,
        /// The checkpoint's size.
        signed: u64,
        /// Which checkpoint.
        checkpoint: String,
    },
    /// The first `size` events are not those a checkpoint signed: history was rewritten, even
    /// if every hash beside the events was recomputed to match.
    #[error(
        "the first {size} events do not give the root {checkpoint} signed ({signed}; they give {computed}): history was rewritten"
    )]
    Rewritten {
        /// The checkpoint's size.
        size: u64,
        /// The signed root.
        signed: String,
        /// The recomputed root.
        computed: String,
        /// Which checkpoint.
        checkpoint: String,
    },
}

/// A problem, and the position it concerns when there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{problem}", position.map(|p| format!("position {p}: ")).unwrap_or_default())]
pub struct Finding {
    /// The position concerned.
    pub position: Option<u64>,
    /// What is wrong.
    pub problem: Problem,
}

impl Finding {
    fn at(position: u64, problem: Problem) -> Self {
        Self {
            position: Some(position),
            problem,
        }
    }

    /// The exit code of `ledger verify` for this kind of problem: 1 the log could not be read;
    /// 3 an event was altered; 4 the sequence is broken (gap, order, time, cut tail); 5 the
    /// stored tree or head disagrees with the events; 6 history differs from a signed
    /// checkpoint.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self.problem {
            Problem::Unreadable(_) => 1,
            Problem::Altered { .. } => 3,
            Problem::Gap { .. }
            | Problem::OutOfOrder { .. }
            | Problem::TimeWentBack { .. }
            | Problem::Cut { .. } => 4,
            Problem::StoredHash { .. } | Problem::Head { .. } => 5,
            Problem::Rewritten { .. } => 6,
        }
    }
}

fn hex(h: &Hash) -> String {
    h.0.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a check found good.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Events checked.
    pub size: u64,
    /// Their root.
    pub root: Hash,
    /// The checkpoints the log matched, by size.
    pub checkpoints: Vec<u64>,
}

/// What the check reads of an event besides its fields' hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leaf {
    /// Its position.
    pub position: u64,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The leaf hash stored with it.
    pub leaf_hash: Hash,
}

impl Leaf {
    /// The parts of `event` the check reads.
    #[must_use]
    pub fn of(event: &StoredEvent) -> Self {
        Self {
            position: event.position,
            recorded_at: event.recorded_at,
            leaf_hash: event.leaf_hash,
        }
    }
}

/// The check of one log, fed its events in order.
pub struct Check {
    frontier: Frontier,
    last_recorded: Option<Timestamp>,
    /// Checkpoints still ahead, largest first (popped as the log reaches them).
    ahead: Vec<Checkpoint>,
    matched: Vec<u64>,
}

impl Check {
    /// A check against `checkpoints` (any order; a size-0 checkpoint must have the empty root).
    #[must_use]
    pub fn new(checkpoints: impl IntoIterator<Item = Checkpoint>) -> Self {
        let mut ahead: Vec<Checkpoint> = checkpoints.into_iter().collect();
        ahead.sort_by_key(|c| std::cmp::Reverse(c.size));
        // The same tree head given twice (a file and the database's copy) counts once.
        ahead.dedup_by(|a, b| a.size == b.size && a.root == b.root);
        Self {
            frontier: Frontier::empty(),
            last_recorded: None,
            ahead,
            matched: Vec::new(),
        }
    }

    /// Events checked so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The root of the events checked so far.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Compares checkpoints of the current size.
    fn reached(&mut self) -> Result<(), Finding> {
        let size = self.size();
        while self.ahead.last().is_some_and(|c| c.size <= size) {
            let Some(checkpoint) = self.ahead.pop() else {
                break;
            };
            let root = self.frontier.root();
            if checkpoint.size < size || checkpoint.root != root {
                // (A checkpoint smaller than where the check starts can only be one of 0.)
                return Err(Finding {
                    position: (checkpoint.size > 0).then_some(checkpoint.size),
                    problem: Problem::Rewritten {
                        size: checkpoint.size,
                        signed: hex(&checkpoint.root),
                        computed: hex(&root),
                        checkpoint: checkpoint.source,
                    },
                });
            }
            self.matched.push(checkpoint.size);
        }
        Ok(())
    }

    /// Checks the next event and grows the tree; returns the stored hashes it adds
    /// (`(index, hash)`, for comparing with a store's).
    ///
    /// # Errors
    /// The first [`Finding`].
    pub fn push(&mut self, event: &StoredEvent) -> Result<Vec<(u64, Hash)>, Finding> {
        let computed = event.compute_leaf_hash().map_err(|e| e.to_string());
        self.push_computed(event, computed)
    }

    /// As [`Check::push`], with the event's leaf hash already recomputed from its fields (in
    /// parallel, by [`leaf_hashes`]).
    ///
    /// # Errors
    /// The first [`Finding`].
    pub fn push_computed(
        &mut self,
        event: &StoredEvent,
        computed: Result<Hash, String>,
    ) -> Result<Vec<(u64, Hash)>, Finding> {
        self.push_leaf(&Leaf::of(event), computed)
    }

    /// As [`Check::push_computed`], given only what the check reads of the event.
    ///
    /// # Errors
    /// The first [`Finding`].
    pub fn push_leaf(
        &mut self,
        event: &Leaf,
        computed: Result<Hash, String>,
    ) -> Result<Vec<(u64, Hash)>, Finding> {
        if self.size() == 0 {
            self.reached()?;
        }
        let expected = self.size() + 1;
        if event.position != expected {
            return Err(Finding::at(
                expected,
                if event.position < expected {
                    Problem::OutOfOrder {
                        after: expected - 1,
                        found: event.position,
                    }
                } else {
                    Problem::Gap {
                        expected,
                        found: event.position,
                    }
                },
            ));
        }
        let computed = computed.map_err(|e| Finding::at(expected, Problem::Unreadable(e)))?;
        if computed != event.leaf_hash {
            return Err(Finding::at(
                expected,
                Problem::Altered {
                    stored: hex(&event.leaf_hash),
                    computed: hex(&computed),
                },
            ));
        }
        if let Some(previous) = &self.last_recorded
            && event.recorded_at < *previous
        {
            return Err(Finding::at(
                expected,
                Problem::TimeWentBack {
                    found: event.recorded_at.to_string(),
                    previous: previous.to_string(),
                },
            ));
        }
        self.last_recorded = Some(event.recorded_at);
        let added = self.frontier.push(computed);
        self.reached()?;
        Ok(added)
    }

    /// Ends the check: every checkpoint must have been reached.
    ///
    /// # Errors
    /// [`Problem::Cut`] when a checkpoint is beyond the last event.
    pub fn finish(mut self) -> Result<Summary, Finding> {
        self.reached()?;
        if let Some(checkpoint) = self.ahead.pop() {
            return Err(Finding::at(
                self.size() + 1,
                Problem::Cut {
                    size: self.size(),
                    signed: checkpoint.size,
                    checkpoint: checkpoint.source,
                },
            ));
        }
        Ok(Summary {
            size: self.size(),
            root: self.root(),
            checkpoints: self.matched,
        })
    }
}

/// `f` of each of `items`, in order, computed in slices on every core.
fn on_every_core<I: Sync, T: Send>(
    items: &[I],
    f: impl Fn(&I) -> Result<T, String> + Sync,
) -> Vec<Result<T, String>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .zip(items.chunks(chunk))
            .flat_map(|(p, part)| {
                p.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|_| Err("a worker thread failed".to_owned()))
                        .collect()
                })
            })
            .collect()
    })
}

/// The leaf hashes of `events` recomputed from their fields, on every core.
#[must_use]
pub fn leaf_hashes(events: &[StoredEvent]) -> Vec<Result<Hash, String>> {
    on_every_core(events, |e| e.compute_leaf_hash().map_err(|e| e.to_string()))
}

/// Verifies a store's log: every event against its leaf hash, the sequence, every Merkle hash
/// the store keeps, its head, and `checkpoints`. `progress(checked, head)` is called after
/// each batch.
///
/// # Errors
/// The first [`Finding`].
pub async fn verify_store<S: EventStore>(
    store: &S,
    checkpoints: Vec<Checkpoint>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Summary, Finding> {
    let unreadable = |e: ledger_store::Error| Finding {
        position: None,
        problem: Problem::Unreadable(e.to_string()),
    };
    let head = store.head().await.map_err(unreadable)?;
    let mut check = Check::new(checkpoints);
    let mut events = store
        .read_all(&ReadAll::after(0, BATCH))
        .await
        .map_err(unreadable)?;
    while let Some(last) = events.last().map(|e| e.position) {
        // Hash this batch on the other cores while the next one is read.
        let hashing = tokio::task::spawn_blocking(move || {
            let hashes = leaf_hashes(&events);
            // The events are dropped here, off the checking thread.
            (events.iter().map(Leaf::of).collect::<Vec<_>>(), hashes)
        });
        let next = store.read_all(&ReadAll::after(last, BATCH)).await;
        let (current, hashes) = hashing.await.map_err(|e| Finding {
            position: None,
            problem: Problem::Unreadable(format!("hashing failed: {e}")),
        })?;
        let mut added: Vec<(u64, u64, Hash)> = Vec::with_capacity(current.len() * 2);
        for (event, computed) in current.iter().zip(hashes) {
            added.extend(
                check
                    .push_leaf(event, computed)?
                    .into_iter()
                    .map(|(i, h)| (event.position, i, h)),
            );
        }
        let indexes: Vec<u64> = added.iter().map(|(_, i, _)| *i).collect();
        let stored = store.stored_hashes(&indexes).await.map_err(|e| Finding {
            position: added.first().map(|(p, _, _)| *p),
            problem: Problem::Unreadable(format!("the stored Merkle hashes: {e}")),
        })?;
        for ((position, index, computed), stored) in added.iter().zip(&stored) {
            if computed != stored {
                return Err(Finding::at(
                    *position,
                    Problem::StoredHash {
                        index: *index,
                        stored: hex(stored),
                        computed: hex(computed),
                    },
                ));
            }
        }
        progress(check.size(), head.size);
        events = next.map_err(unreadable)?;
    }
    // Signed checkpoints first: a cut tail is named as such even when the head was lowered.
    let summary = check.finish()?;
    if head.size != summary.size || head.root != summary.root {
        return Err(Finding {
            position: (head.size > summary.size).then_some(summary.size + 1),
            problem: Problem::Head {
                stored_size: head.size,
                stored_root: hex(&head.root),
                size: summary.size,
                root: hex(&summary.root),
            },
        });
    }
    Ok(summary)
}

/// Verifies an exported log (`ledger export --format jsonl`: one stored event per line)
/// against `checkpoints`, with no database. `progress(checked)` is called every 10,000 events.
/// Lines are parsed and hashed on every core, then checked in order.
///
/// # Errors
/// The first [`Finding`]; a line that is not a stored event is [`Problem::Unreadable`].
pub fn verify_lines(
    lines: impl BufRead,
    checkpoints: Vec<Checkpoint>,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, Finding> {
    let mut check = Check::new(checkpoints);
    // Lines as bytes: the JSON parser checks the UTF-8 as it reads.
    let mut lines = lines.split(b'\n').enumerate();
    let mut read_chunk = || -> Result<Vec<(usize, Vec<u8>)>, Finding> {
        let mut chunk = Vec::with_capacity(BATCH);
        for (n, line) in lines.by_ref() {
            let line = line.map_err(|e| Finding {
                position: None,
                problem: Problem::Unreadable(format!("line {}: {e}", n + 1)),
            })?;
            if !line.trim_ascii().is_empty() {
                chunk.push((n + 1, line));
            }
            if chunk.len() == BATCH {
                break;
            }
        }
        Ok(chunk)
    };
    // Chunk N+1 is parsed and hashed on every core while chunk N is checked in order.
    std::thread::scope(|scope| {
        let mut in_flight: Option<(Vec<usize>, std::thread::ScopedJoinHandle<'_, Vec<Parsed>>)> =
            None;
        loop {
            let chunk = read_chunk()?;
            let next = (!chunk.is_empty()).then(|| {
                let numbers: Vec<usize> = chunk.iter().map(|(n, _)| *n).collect();
                (numbers, scope.spawn(move || parse_and_hash(&chunk)))
            });
            if let Some((numbers, parsing)) = in_flight.take() {
                let parsed = parsing.join().unwrap_or_else(|_| {
                    vec![Err("a parsing thread failed".to_owned()); numbers.len()]
                });
                for (line, parsed) in numbers.into_iter().zip(parsed) {
                    let (event, computed) = parsed.map_err(|e| Finding {
                        position: Some(check.size() + 1),
                        problem: Problem::Unreadable(format!(
                            "line {line} is not a stored event: {e}"
                        )),
                    })?;
                    check.push_leaf(&event, computed)?;
                }
                progress(check.size());
            }
            match next {
                Some(next) => in_flight = Some(next),
                None => return Ok::<(), Finding>(()),
            }
        }
    })?;
    check.finish()
}

/// A parsed line: what the check reads of the event (the event itself is dropped on the
/// worker that parsed it) and its recomputed leaf hash.
type Parsed = Result<(Leaf, Result<Hash, String>), String>;

fn parse_and_hash(lines: &[(usize, Vec<u8>)]) -> Vec<Parsed> {
    on_every_core(lines, |(_, line)| {
        let event: StoredEvent = serde_json::from_slice(line).map_err(|e| e.to_string())?;
        let hash = event.compute_leaf_hash().map_err(|e| e.to_string());
        Ok((Leaf::of(&event), hash))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_store::{Actor, AppendRequest, ExpectedVersion, MemoryStore, Metadata, NewEvent};

    async fn log(n: u64) -> (MemoryStore, Vec<StoredEvent>) {
        let store = MemoryStore::new();
        for i in 0..n {
            let request = AppendRequest::single(
                format!("task/t-{}", i % 3),
                "task",
                ExpectedVersion::Any,
                vec![NewEvent::new(
                    "ProgressReported",
                    serde_json::json!({ "i": i }),
                )],
                Metadata::new(Actor {
                    subject: "u1".into(),
                    display_name: "Cán bộ thử nghiệm".into(),
                    role: "secretariat".into(),
                }),
            );
            store
                .append(request)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let events = store
            .read_all(&ReadAll::after(0, 1000))
            .await
            .unwrap_or_default();
        (store, events)
    }

    fn run(events: &[StoredEvent], checkpoints: Vec<Checkpoint>) -> Result<Summary, Finding> {
        let mut check = Check::new(checkpoints);
        for e in events {
            check.push(e)?;
        }
        check.finish()
    }

    fn checkpoint(events: &[StoredEvent], size: usize) -> Checkpoint {
        Checkpoint {
            size: size as u64,
            root: ledger_proof::root_from_leaves(
                &events[..size]
                    .iter()
                    .map(|e| e.leaf_hash)
                    .collect::<Vec<_>>(),
            ),
            source: format!("checkpoint {size}"),
        }
    }

    #[tokio::test]
    async fn a_good_log_verifies_with_its_store_and_checkpoints() {
        let (store, events) = log(40).await;
        let checkpoints = vec![
            checkpoint(&events, 0),
            checkpoint(&events, 17),
            checkpoint(&events, 40),
        ];
        let summary = verify_store(&store, checkpoints.clone(), &mut |_, _| {}).await;
        assert_eq!(summary.map(|s| s.checkpoints), Ok(vec![0, 17, 40]));
        let text: String = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default() + "\n")
            .collect();
        let summary = verify_lines(text.as_bytes(), checkpoints, &mut |_| {});
        assert_eq!(summary.map(|s| s.size), Ok(40));
    }

    #[tokio::test]
    async fn each_kind_of_tampering_is_found_with_its_position() {
        let (_, events) = log(30).await;
        let saved = checkpoint(&events, 30);

        let mut payload = events.clone();
        payload[11].payload = serde_json::json!({ "i": 999 });
        let found = run(&payload, vec![]).unwrap_err();
        assert_eq!(
            (found.position, found.exit_code()),
            (Some(12), 3),
            "{found}"
        );

        let mut time = events.clone();
        time[4].effective_at = time[3].effective_at;
        time[4].leaf_hash = time[4].compute_leaf_hash().unwrap_or_default();
        // Recomputing one leaf hides nothing from a checkpoint.
        let found = run(&time, vec![saved.clone()]).unwrap_err();
        assert_eq!(
            (found.position, found.exit_code()),
            (Some(30), 6),
            "{found}"
        );

        let mut deleted = events.clone();
        deleted.remove(7);
        let found = run(&deleted, vec![]).unwrap_err();
        assert_eq!((found.position, found.exit_code()), (Some(8), 4), "{found}");

        let mut swapped = events.clone();
        swapped.swap(20, 21);
        let found = run(&swapped, vec![]).unwrap_err();
        assert_eq!(
            (found.position, found.exit_code()),
            (Some(21), 4),
            "{found}"
        );

        let cut = &events[..25];
        let found = run(cut, vec![saved.clone()]).unwrap_err();
        assert_eq!(
            (found.position, found.exit_code()),
            (Some(26), 4),
            "{found}"
        );
        assert!(found.to_string().contains("cut"), "{found}");

        // History rewritten with every hash recomputed: the renumbered log is consistent in
        // itself, and only the checkpoint saved before shows it.
        let mut rewritten: Vec<StoredEvent> = events.clone();
        rewritten.remove(5);
        for (i, e) in rewritten.iter_mut().enumerate() {
            e.position = i as u64 + 1;
            e.leaf_hash = e.compute_leaf_hash().unwrap_or_default();
        }
        assert!(run(&rewritten, vec![]).is_ok());
        let found = run(&rewritten, vec![checkpoint(&events, 20)]).unwrap_err();
        assert_eq!(
            (found.position, found.exit_code()),
            (Some(20), 6),
            "{found}"
        );

        let found =
            verify_lines("{\"not\": \"an event\"}\n".as_bytes(), vec![], &mut |_| {}).unwrap_err();
        assert_eq!(found.exit_code(), 1);
    }
}
