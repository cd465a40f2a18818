//! Errors of the event store. Refusals the caller can act on (a conflict, a bad request, a
//! reused idempotency key) are their own variants, apart from infrastructure failures.

use std::sync::Arc;

use crate::envelope::ExpectedVersion;

/// Result with the store's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when appending to or reading from the store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The stream's version did not match the expectation; nothing was written.
    #[error(
        "conflict on stream {stream_id}: expected {expected}, but the stream is at {}",
        match actual { Some(v) => format!("version {v}"), None => "no stream yet".to_owned() }
    )]
    Conflict {
        /// The stream whose expectation failed.
        stream_id: String,
        /// What the caller expected.
        expected: ExpectedVersion,
        /// The stream's actual version (`None`: the stream does not exist).
        actual: Option<u64>,
    },
    /// The stream exists with another stream type; nothing was written.
    #[error("stream {stream_id} is of type {existing}, not {given}")]
    StreamTypeMismatch {
        /// The stream.
        stream_id: String,
        /// Its stored type.
        existing: String,
        /// The type the request gave.
        given: String,
    },
    /// An event matching the request's append condition is in the log after the position the
    /// request's decision read; nothing was written. Read again and decide anew.
    #[error(
        "an event matching the append condition was appended at position {position}, after the state the request was decided on"
    )]
    ConditionFailed {
        /// The first matching event's position.
        position: u64,
    },
    /// The idempotency key was used before for a different request; nothing was written.
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyKeyReused {
        /// The key.
        key: String,
    },
    /// The request is malformed; `field` names where. Nothing was written.
    #[error("invalid append: {field}: {problem}")]
    Invalid {
        /// Path of the offending field, e.g. `streams[0].events[3].payload.title`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The request is larger than the store accepts; nothing was written.
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// What is too large.
        what: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The group-commit writer has stopped (the store is shutting down).
    #[error("the event store's writer has stopped")]
    WriterStopped,
    /// A stored row could not be decoded; the database holds something this code did not write.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database failed. For an append the outcome may be unknown if the failure struck
    /// during commit: retry with the same idempotency key to be safe.
    #[error("database error: {0}")]
    Backend(Arc<dyn std::error::Error + Send + Sync + 'static>),
}

impl Error {
    /// Wraps a backend failure.
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend(Arc::new(error))
    }

    /// Builds an [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// Whether retrying the same call later may succeed (a database or connection failure).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Backend(_))
    }
}

impl From<ledger_proof::CanonicalError> for Error {
    fn from(e: ledger_proof::CanonicalError) -> Self {
        match e {
            ledger_proof::CanonicalError::Profile { path, problem } => Self::Invalid {
                field: path,
                problem,
            },
            ledger_proof::CanonicalError::Encode(problem) => Self::Invalid {
                field: "payload".to_owned(),
                problem,
            },
        }
    }
}
