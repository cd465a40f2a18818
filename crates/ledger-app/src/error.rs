//! Why a command did not go through: who may not run it, a date the policy refuses, a rule of
//! the domain, a reused idempotency key, a race lost too often, or the store failing. Each
//! refusal says what was wrong in English (`Display`) and Vietnamese ([`AppError::vi`]).

use ledger_domain::access::Role;
use ledger_domain::command::{Refusal, RefusalKind};
use ledger_domain::policy::PolicyError;

/// Why a command did not go through.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller's role may not run the command.
    #[error("a {role} may not {command}")]
    Forbidden {
        /// The caller's role.
        role: Role,
        /// The command.
        command: &'static str,
    },
    /// A unit reporter acting for another unit than its own.
    #[error("a unit reporter acts for its own unit only ({own}); this {command} is for {target}")]
    OutOfScope {
        /// The command.
        command: &'static str,
        /// The reporter's unit (none: the token names no unit).
        own: String,
        /// The unit the change is for.
        target: String,
    },
    /// The temporal policy refused the command's date.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A rule of the domain refused it.
    #[error("{0}")]
    Refused(Box<dyn Refusal + Send + Sync>),
    /// The idempotency key was used before for a different request.
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyKeyReused {
        /// The key (as the caller gave it).
        key: String,
    },
    /// Other changes to the same thing kept coming first; nothing was written.
    #[error("{0} kept changing while this command was decided; try again")]
    Conflict(String),
    /// The input cannot be recorded as given (a date outside the years the log holds).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The store refused the request as malformed or too large (an overlong reason, an
    /// idempotency key with spaces, an event beyond 65,535 canonical bytes); nothing was
    /// written.
    #[error("{0}")]
    Input(#[source] ledger_store::Error),
    /// The store failed; for an append, the outcome may be unknown (retry with the same
    /// idempotency key).
    #[error("the event store failed: {0}")]
    Store(#[source] ledger_store::Error),
}

impl AppError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::Forbidden { role, .. } => {
                format!("{} không được thực hiện thao tác này", role.vi())
            }
            Self::OutOfScope { own, target, .. } => format!(
                "cán bộ báo cáo chỉ được thao tác cho đơn vị của mình ({own}); thao tác này là của {target}"
            ),
            Self::Policy(e) => e.vi(),
            Self::Refused(e) => e.vi(),
            Self::IdempotencyKeyReused { key } => format!(
                "khóa chống gửi trùng {key:?} đã được dùng cho một yêu cầu khác; hãy dùng khóa mới"
            ),
            Self::Conflict(what) => {
                format!("{what} vừa được thay đổi bởi thao tác khác; vui lòng thử lại")
            }
            Self::Invalid(message) => format!("dữ liệu không hợp lệ: {message}"),
            Self::Input(ledger_store::Error::TooLarge { what, size, limit }) => {
                format!("{what} có {size} byte, vượt giới hạn {limit} byte")
            }
            Self::Input(ledger_store::Error::Invalid { field, problem }) => {
                format!("{field} không hợp lệ ({problem})")
            }
            Self::Input(e) => format!("dữ liệu không hợp lệ: {e}"),
            Self::Store(_) => "lỗi lưu trữ; vui lòng thử lại sau".to_owned(),
        }
    }

    /// The domain's refusal kind, for refusals by a rule.
    #[must_use]
    pub fn refusal_kind(&self) -> Option<RefusalKind> {
        match self {
            Self::Refused(e) => Some(e.kind()),
            _ => None,
        }
    }

    /// Structured detail of a domain refusal (the discrepancies a reviewer must see).
    #[must_use]
    pub fn detail(&self) -> Option<serde_json::Value> {
        match self {
            Self::Refused(e) => e.detail(),
            _ => None,
        }
    }
}

impl From<ledger_store::Error> for AppError {
    fn from(e: ledger_store::Error) -> Self {
        match e {
            ledger_store::Error::Invalid { .. } | ledger_store::Error::TooLarge { .. } => {
                Self::Input(e)
            }
            e => Self::Store(e),
        }
    }
}
