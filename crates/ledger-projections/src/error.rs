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

    /// Whether retrying later may succeed: a lost or refused connection (SQLSTATE class 08), an
    /// administrator or failover ending the session (57P01–57P03), a serialization failure or
    /// deadlock (40001, 40P01), too many connections (53300), a busy SQLite file, I/O, a pool
    /// timeout, a rebuild's swap. Anything else (a constraint, a permission, corrupt data, an
    /// event that cannot be projected) repeats on every retry: it is permanent.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(ledger_store::Error::Backend(e)) => e
                .downcast_ref::<sqlx::Error>()
                .is_none_or(sqlx_is_transient),
            Self::Store(e) => e.is_transient(),
            Self::Database(e) => sqlx_is_transient(e),
            Self::Superseded => true,
            _ => false,
        }
    }
}

/// What [`Error::is_transient`] says of a database error.
#[must_use]
pub fn sqlx_is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or_default();
            code.starts_with("08")
                || matches!(
                    code,
                    "57P01" | "57P02" | "57P03" | "40001" | "40P01" | "53300" | "42P01"
                )
                // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
                || (d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                    && code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)))
                || d.message().contains("no such table")
        }
        _ => false,
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A database error with a given SQLSTATE, as a server would return it.
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    impl std::fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Sqlstate {}

    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "error returned from database"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn database(code: &'static str) -> Error {
        Error::Database(sqlx::Error::Database(Box::new(Sqlstate(code))))
    }

    #[test]
    fn errors_are_transient_by_what_they_mean() {
        for code in [
            "08000", "08006", "08P01", "57P01", "57P02", "57P03", "40001", "40P01", "53300",
        ] {
            assert!(database(code).is_transient(), "{code}");
            let store = ledger_store::Error::Backend(std::sync::Arc::new(sqlx::Error::Database(
                Box::new(Sqlstate(code)),
            )));
            assert!(Error::Store(store).is_transient(), "store {code}");
        }
        // Permission, unique violation, bad text, internal; a PostgreSQL code whose number
        // would read as SQLite's BUSY is not one.
        for code in ["42501", "23505", "22P02", "XX000", "42P05"] {
            assert!(!database(code).is_transient(), "{code}");
        }
        assert!(Error::Database(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!Error::Database(sqlx::Error::PoolClosed).is_transient());
        assert!(!Error::Corrupt("x".into()).is_transient());
        assert!(!Error::Store(ledger_store::Error::Corrupt("x".into())).is_transient());
    }
}
