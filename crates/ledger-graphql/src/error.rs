//! Errors as GraphQL answers them: a message for people and `extensions.code` for programs.
//! Internal details (SQL, stack) are logged, never sent.

use async_graphql::ErrorExtensions;

/// The codes a client can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The input is malformed or refused by a rule.
    BadUserInput,
    /// No or an invalid token.
    Unauthenticated,
    /// The token's role or unit may not do this.
    Forbidden,
    /// Someone changed the same thing first; read again and retry.
    Conflict,
    /// No such thing.
    NotFound,
    /// Our fault; the message says no more.
    Internal,
}

impl Code {
    /// The `extensions.code` value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Conflict => "CONFLICT",
            Self::NotFound => "NOT_FOUND",
            Self::Internal => "INTERNAL",
        }
    }
}

/// A coded error, with the message in English and, where there is one, Vietnamese.
pub fn coded(code: Code, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, e| e.set("code", code.as_str()))
}

/// A coded error with a Vietnamese message beside the English one.
pub fn coded_vi(
    code: Code,
    message: impl Into<String>,
    vi: impl Into<String>,
) -> async_graphql::Error {
    let vi = vi.into();
    async_graphql::Error::new(message.into()).extend_with(move |_, e| {
        e.set("code", code.as_str());
        e.set("messageVi", vi.as_str());
    })
}

/// Maps a read-model error: bad arguments and positions not yet projected are the caller's;
/// anything else is internal (logged, not shown).
pub fn from_read(e: ledger_projections::Error) -> async_graphql::Error {
    use ledger_projections::Error as E;
    match e {
        E::Invalid { .. } | E::NotYetProjected { .. } | E::Timeout(_) => {
            coded(Code::BadUserInput, e.to_string())
        }
        other => internal(&other),
    }
}

/// An internal error: logged in full, answered with a bare message.
pub fn internal(e: &dyn std::fmt::Display) -> async_graphql::Error {
    tracing::error!(error = %e, "internal error");
    coded(Code::Internal, "internal error")
}
