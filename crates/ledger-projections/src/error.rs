//! Errors of the projector and the read models.

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event store failed.
    #[error("event store: {0}")]
    Store(#[from] ledger_store::Error),
    /// The read-model database failed.
    #[error("read-model database: {0}")]
    Database(#[from] sqlx::Error),
    /// An event could not be read as the domain event its type names: the projector stops at
    /// it rather than skip it, so no read model silently misses a change.
    #[error("event at position {position} ({event_type}) cannot be projected: {message}")]
    Event {
        /// Its position.
        position: u64,
        /// Its type.
        event_type: String,
        /// What is wrong.
        message: String,
    },
    /// Stored read-model data does not have the expected shape.
    #[error("read-model data is corrupt: {0}")]
    Corrupt(String),
    /// A query argument is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The argument.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// A question was asked as of a position the read models have not reached yet.
    #[error("the read models are at position {checkpoint}; position {asked} is not projected yet")]
    NotYetProjected {
        /// The position asked for.
        asked: u64,
        /// The read models' position.
        checkpoint: u64,
    },
    /// Waiting for a position took longer than allowed.
    #[error("timed out waiting for the read models to reach position {0}")]
    Timeout(u64),
    /// The read models were swapped or moved by another projector while this one wrote;
    /// its batch was rolled back and it reloads.
    #[error("the read models were changed by another projector (rebuild or second instance)")]
    Superseded,
    /// An injected crash (tests): the projector stopped as if killed at that point.
    #[error("injected crash {0}")]
    Crashed(&'static str),
    /// The read-model tables do not exist yet.
    #[error("the read models are not set up: run the projector's migration first")]
    NotMigrated,
}

impl Error {
    /// A refused argument.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// Whether retrying later may succeed (a lost connection, a busy database).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(e) => e.is_transient(),
            Self::Database(e) => {
                matches!(
                    e,
                    sqlx::Error::Io(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::WorkerCrashed
                        | sqlx::Error::Protocol(_)
                ) || is_missing_table(e)
            }
            Self::Superseded => true,
            _ => false,
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A table dropped under a reader by a rebuild's swap: reloading finds the new generation.
fn is_missing_table(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("42P01") || d.message().contains("no such table")
        }
        _ => false,
    }
}
