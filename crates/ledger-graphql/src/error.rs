//! Errors as GraphQL answers them: a message for people in English and, in
//! `extensions.messageVi`, in Vietnamese, and `extensions.code` for programs. Internal details
//! (SQL, stack) are logged, never sent.

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
    /// What it would create exists already (a second report for the same unit, plan and
    /// period): correct the existing one.
    AlreadyExists,
    /// A report's lines contradict the ledger: review `extensions.discrepancies`, then accept
    /// with `acknowledgeDiscrepancies`, or return it.
    Discrepancies,
    /// The idempotency key was used for another request.
    IdempotencyKeyReused,
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
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::Discrepancies => "DISCREPANCIES",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::Internal => "INTERNAL",
        }
    }
}

/// A coded error with its message in English and in Vietnamese.
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

/// No token, or none this server accepts.
#[must_use]
pub fn unauthenticated() -> async_graphql::Error {
    coded_vi(
        Code::Unauthenticated,
        "sign in: send `Authorization: Bearer <token>`",
        "cần đăng nhập: gửi `Authorization: Bearer <token>`",
    )
}

/// Maps a read-model error: bad arguments and positions not yet projected are the caller's;
/// anything else is internal (logged, not shown).
pub fn from_read(e: ledger_projections::Error) -> async_graphql::Error {
    use ledger_projections::Error as E;
    match &e {
        E::Invalid { field, message } => coded_vi(
            Code::BadUserInput,
            e.to_string(),
            format!("{field}: giá trị không hợp lệ ({message})"),
        ),
        E::NotYetProjected { asked, checkpoint } => coded_vi(
            Code::BadUserInput,
            e.to_string(),
            format!(
                "vị trí {asked} chưa được cập nhật vào dữ liệu truy vấn (mới đến vị trí {checkpoint}); thử lại sau giây lát"
            ),
        ),
        E::Timeout(_) => coded_vi(
            Code::BadUserInput,
            e.to_string(),
            "truy vấn quá lâu; hãy thu hẹp câu hỏi",
        ),
        _ => internal(&e),
    }
}

/// An internal error: logged in full, answered with a bare message.
pub fn internal(e: &dyn std::fmt::Display) -> async_graphql::Error {
    tracing::error!(error = %e, "internal error");
    coded_vi(Code::Internal, "internal error", "lỗi hệ thống")
}

/// The Vietnamese for an error the GraphQL engine raised before any resolver ran (parsing,
/// validation, variables): the kind of problem in Vietnamese, and the engine's English detail,
/// which names the field or argument.
#[must_use]
pub fn vietnamese_for(message: &str) -> String {
    let kinds = [
        ("Unknown field", "trường không có trong kiểu"),
        ("Unknown argument", "tham số không tồn tại"),
        ("Unknown type", "kiểu không tồn tại"),
        ("Unknown fragment", "fragment không tồn tại"),
        ("spreads itself", "fragment tự trải chính nó (vòng lặp)"),
        (
            "the query is too large",
            "truy vấn quá lớn khi mở rộng các fragment",
        ),
        ("Unknown operation", "không có thao tác tên này"),
        ("Invalid value for argument", "giá trị tham số không hợp lệ"),
        ("Failed to parse", "giá trị không hợp lệ"),
        ("Expected input type", "sai kiểu dữ liệu"),
        ("was not provided", "thiếu trường hoặc tham số bắt buộc"),
        (
            "must have a selection of subfields",
            "cần chọn các trường con",
        ),
        ("must not have a selection", "không được chọn trường con"),
        ("Query is too complex", "truy vấn quá phức tạp"),
        ("Query is nested too deep", "truy vấn lồng quá sâu"),
        ("too many aliases", "quá nhiều bí danh (alias)"),
        ("too many directives", "quá nhiều chỉ thị (directive)"),
        ("Variable", "biến không hợp lệ"),
        ("expected", "lỗi cú pháp GraphQL"),
    ];
    let kind = kinds
        .iter()
        .find(|(en, _)| message.contains(en))
        .map_or("yêu cầu không hợp lệ", |(_, vi)| vi);
    format!("{kind} (chi tiết: {message})")
}
