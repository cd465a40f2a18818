//! Answering a request: one position per request, and answers shared between callers.
//!
//! A query request first **pins** the read models' checkpoint: every field of it then reads
//! that position (instead of each field reading wherever the projector has got to when it
//! runs), so one answer reflects one state of the log.
//!
//! The answer to a query is then a function of its text, operation and variables, the
//! pinned position, the day (fields default their effective date to today), and the caller's
//! role and unit (which decide what may be seen). The [`Answers`] memo keeps answers by
//! these, for the current position only: when new events move the checkpoint, everything
//! kept is dropped, since later requests pin a later position. Not kept: answers with errors,
//! mutations and subscriptions, and answers that read something besides the pinned read
//! models (the `checkpoint` field's log head: a field doing so calls [`Pin::volatile`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::{DocumentOperations, OperationType};
use chrono::NaiveDate;
use ledger_projections::Db;

use crate::LedgerSchema;
use crate::auth::Principal;

/// The position a request reads, put in its data.
#[derive(Debug)]
pub struct Pin {
    position: u64,
    today: NaiveDate,
    volatile: AtomicBool,
}

impl Pin {
    /// A request pinned at `position` on `today`.
    #[must_use]
    pub fn new(position: u64, today: NaiveDate) -> Self {
        Self {
            position,
            today,
            volatile: AtomicBool::new(false),
        }
    }

    /// The pinned position.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The request's day: what fields default their effective date to.
    #[must_use]
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// Marks the answer as depending on more than the pinned position (not to be shared).
    pub fn volatile(&self) {
        self.volatile.store(true, Ordering::Relaxed);
    }

    fn is_volatile(&self) -> bool {
        self.volatile.load(Ordering::Relaxed)
    }
}

/// What an answer depends on besides the position and the day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    query: String,
    operation: Option<String>,
    variables: String,
    role: Option<crate::auth::Role>,
    unit: Option<String>,
}

#[derive(Default)]
struct Kept {
    /// The position and day the kept answers were given at.
    epoch: (u64, NaiveDate),
    answers: HashMap<Key, Arc<str>>,
    bytes: usize,
}

/// Answers of the current position, within a budget of bytes.
pub struct Answers {
    kept: Mutex<Kept>,
    budget: usize,
    max_answer: usize,
}

/// The default budget of [`Answers`]: 64 MiB of answers.
pub const DEFAULT_ANSWER_BUDGET: usize = 64 << 20;

impl Default for Answers {
    fn default() -> Self {
        Self::new(DEFAULT_ANSWER_BUDGET)
    }
}

impl Answers {
    /// Answers kept within `budget` bytes (0 keeps none).
    #[must_use]
    pub fn new(budget: usize) -> Self {
        Self {
            kept: Mutex::new(Kept::default()),
            budget,
            max_answer: MAX_ANSWER_BYTES,
        }
    }

    /// Sends answers of at most `bytes` ([`MAX_ANSWER_BYTES`] unless said).
    #[must_use]
    pub fn with_max_answer_bytes(mut self, bytes: usize) -> Self {
        self.max_answer = bytes;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Plain bookkeeping, never left half-done.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, epoch: (u64, NaiveDate), key: &Key) -> Option<Arc<str>> {
        let kept = self.lock();
        (kept.epoch == epoch)
            .then(|| kept.answers.get(key).cloned())
            .flatten()
    }

    fn put(&self, epoch: (u64, NaiveDate), key: Key, body: Arc<str>) {
        let mut kept = self.lock();
        if epoch > kept.epoch {
            kept.epoch = epoch;
            kept.answers.clear();
            kept.bytes = 0;
        }
        let size = body.len() + key.query.len() + key.variables.len();
        if kept.epoch != epoch || kept.bytes + size > self.budget {
            return;
        }
        kept.bytes += size;
        if let Some(old) = kept.answers.insert(key, body) {
            kept.bytes -= old.len();
        }
    }

    /// How many answers are kept, and their bytes.
    #[must_use]
    pub fn size(&self) -> (usize, usize) {
        let kept = self.lock();
        (kept.answers.len(), kept.bytes)
    }
}

/// Whether the operation `request` runs is a query (not a mutation or a subscription); false
/// for a document that does not parse (its execution reports the error).
fn is_query(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match (&document.operations, &request.operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Query)
}

/// Largest answer sent: 4 MiB of JSON. The limits on a document (fields, aliases,
/// complexity, pages of 100) keep ordinary questions far below; a larger answer is refused
/// with `ANSWER_TOO_LARGE` rather than sent.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The refusal of an answer over the maximum.
fn too_large(size: usize, max: usize) -> String {
    serde_json::json!({
        "data": null,
        "errors": [{
            "message": format!(
                "the answer is {size} bytes, over the {max} sent at most: ask for fewer fields, fewer aliases or smaller pages"
            ),
            "extensions": {
                "code": "ANSWER_TOO_LARGE",
                "messageVi": format!(
                    "câu trả lời dài {size} byte, vượt giới hạn {max} byte: hãy hỏi ít trường, ít bí danh hoặc trang nhỏ hơn"
                ),
            }
        }]
    })
    .to_string()
}

/// Answers `request` from `caller` as JSON: a query is pinned at the checkpoint of the read
/// models in `read_db` and answered from `answers` when the same question was answered at the
/// same position today ([`crate::today`]); otherwise it runs ([`crate::execute`]).
pub async fn answer(
    schema: &LedgerSchema,
    answers: &Answers,
    read_db: &Db,
    caller: Option<Principal>,
    request: async_graphql::Request,
) -> Arc<str> {
    let today = crate::today();
    let key = Key {
        query: request.query.clone(),
        operation: request.operation_name.clone(),
        variables: serde_json::to_string(&request.variables).unwrap_or_default(),
        role: caller.as_ref().map(|p| p.role),
        unit: caller
            .as_ref()
            .and_then(|p| p.unit.as_ref().map(ToString::to_string)),
    };
    let mut request = match caller {
        Some(principal) => request.data(principal),
        None => request,
    };
    // Without a checkpoint (the database is unreachable) the query runs unpinned, and its
    // fields report the failure.
    let pin = if is_query(&request) {
        read_db.live().await.ok().map(|live| live.position)
    } else {
        None
    };
    let pinned = match pin {
        Some(position) => {
            let pin = Arc::new(Pin::new(position, today));
            if let Some(body) = answers.get((position, today), &key) {
                return body;
            }
            request = request.data(pin.clone());
            Some(pin)
        }
        None => None,
    };
    let response = crate::execute(schema, request).await;
    let body: Arc<str> = match serde_json::to_string(&response) {
        Ok(body) if body.len() > answers.max_answer => {
            return too_large(body.len(), answers.max_answer).into();
        }
        Ok(body) => body.into(),
        Err(e) => {
            tracing::error!(error = %e, "an answer could not be encoded");
            r#"{"data":null,"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#
                .into()
        }
    };
    if let Some(pin) = pinned
        && response.errors.is_empty()
        && !pin.is_volatile()
    {
        answers.put((pin.position, pin.today), key, body.clone());
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(q: &str) -> Key {
        Key {
            query: q.to_owned(),
            operation: None,
            variables: "{}".to_owned(),
            role: None,
            unit: None,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    #[test]
    fn answers_are_kept_for_their_position_and_day_only() {
        let answers = Answers::new(1_000);
        answers.put((5, day(1)), key("a"), "A5".into());
        assert_eq!(answers.get((5, day(1)), &key("a")).as_deref(), Some("A5"));
        assert_eq!(answers.get((5, day(2)), &key("a")), None);
        assert_eq!(answers.get((6, day(1)), &key("a")), None);
        // A later position drops what was kept; an earlier one is not kept.
        answers.put((6, day(1)), key("b"), "B6".into());
        assert_eq!(answers.get((5, day(1)), &key("a")), None);
        answers.put((5, day(1)), key("a"), "A5".into());
        assert_eq!(answers.size().0, 1);
    }

    #[test]
    fn the_budget_is_kept() {
        let answers = Answers::new(10);
        answers.put((1, day(1)), key("a"), "12345".into());
        answers.put((1, day(1)), key("b"), "12345".into());
        assert_eq!(answers.size(), (1, 8));
        let none = Answers::new(0);
        none.put((1, day(1)), key("a"), "1".into());
        assert_eq!(none.size(), (0, 0));
    }

    #[test]
    fn only_queries_are_answered_from_memory() {
        let q = |text: &str, op: Option<&str>| {
            let r = async_graphql::Request::new(text);
            is_query(&match op {
                Some(op) => r.operation_name(op),
                None => r,
            })
        };
        assert!(q("{ units { position } }", None));
        assert!(q("query A { a } mutation B { b }", Some("A")));
        assert!(!q("query A { a } mutation B { b }", Some("B")));
        assert!(!q("query A { a } mutation B { b }", None));
        assert!(!q("mutation { b }", None));
        assert!(!q("subscription { events { position } }", None));
        assert!(!q("{ broken", None));
    }
}
