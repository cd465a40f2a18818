//! Mutations: one per domain command, generated from the command list
//! (`ledger_domain::for_each_command!`), each taking the command's own type as its `input`.
//! Every mutation runs the one command path (`ledger_app::CommandPath::execute`) with the
//! token's principal: the role and unit are checked there, from the log, never from read
//! models; the actor is the token's, never the input's.
//!
//! Besides `input`, every mutation takes a `reason` and a `sourceDocument` (kept in the
//! event's envelope: a backdated change needs both) and an `idempotencyKey` (a repeat with the
//! same key and the same request is applied once; the same key with another request is refused
//! with `IDEMPOTENCY_KEY_REUSED`). The answer gives the new events' positions, how the change
//! was dated, the discrepancies a report's lines show against the ledger, and returns once the
//! read models reflect it — or, after a few seconds, with `readModelsBehind: true`.
//!
//! Who may do what (the archivist may run every command, as a historical record):
//! - **secretariat**: units, documents, programmes, plans, focus programmes, tasks (assign,
//!   remind, extend, transfer, cancel), report review, obstacle escalation and resolution,
//!   briefings and conclusions;
//! - **unit reporter**, for its own unit only: progress and completion of its tasks, reports
//!   and their corrections, obstacles it raises, answers to recommendations to it;
//! - **supervisor**: supervisions, recommendations, closing them;
//! - **inspector**: reads only.

use std::time::Duration;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use ledger_app::{AppError, Request};
use ledger_domain::command::{Command, RefusalKind};
use ledger_domain::policy::Dating;
use ledger_domain::report::Discrepancy;
use ledger_domain::value::{DocumentNumber, LongText};

use crate::Api;
use crate::error::{Code, coded_vi, internal};

/// How long a mutation waits for the read models to reflect its events.
const WAIT_FOR_PROJECTION: Duration = Duration::from_secs(5);

/// Longest idempotency key a caller may send.
const MAX_KEY_BYTES: usize = 128;

/// How a change's date relates to the day it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "Dating")]
pub enum DatingKind {
    /// Dated within its grace of the day it was recorded (or scheduled ahead).
    Contemporaneous,
    /// A live change dated earlier than its grace: marked in the log and every answer.
    Backdated,
    /// A record entered from the archive, attested by its source document.
    Historical,
}

impl From<Dating> for DatingKind {
    fn from(d: Dating) -> Self {
        match d {
            Dating::Contemporaneous => Self::Contemporaneous,
            Dating::Backdated => Self::Backdated,
            Dating::Historical => Self::Historical,
        }
    }
}

impl From<Option<ledger_store::envelope::Dating>> for DatingKind {
    /// How an event's envelope says it was dated (no mark: contemporaneous).
    fn from(d: Option<ledger_store::envelope::Dating>) -> Self {
        match d {
            None => Self::Contemporaneous,
            Some(ledger_store::envelope::Dating::Backdated) => Self::Backdated,
            Some(ledger_store::envelope::Dating::Historical) => Self::Historical,
        }
    }
}

/// What a mutation wrote.
#[derive(Debug, Clone, SimpleObject)]
pub struct CommandResult {
    /// Position of the first new event.
    pub first_position: u64,
    /// Position of the last new event: ask `asOf: {position: …}` to read exactly this state.
    pub last_position: u64,
    /// When the events were recorded.
    pub recorded_at: String,
    /// True when the same idempotency key had already been used for this request: nothing new
    /// was written.
    pub replayed: bool,
    /// How the change was dated.
    pub dating: DatingKind,
    /// A report's lines that contradict the ledger, as recorded with the change.
    pub discrepancies: Vec<Discrepancy>,
    /// True when the read models had not reflected the change after a few seconds: queries may
    /// not show it yet (ask `checkpoint`).
    pub read_models_behind: bool,
}

/// The mutations of the domain's commands.
#[derive(Default)]
pub struct Mutation;

macro_rules! mutations {
    ($($name:ident => $variant:ident: $ty:ty),* $(,)?) => {
        #[Object]
        impl Mutation {
            $(
                #[doc = concat!(
                    "Runs `", stringify!($name), "`: see the input type for what it records ",
                    "and its rules; who may run it is in `docs/graphql.md` (Who may do what)."
                )]
                async fn $name(
                    &self,
                    ctx: &Context<'_>,
                    input: $ty,
                    #[graphql(desc = "Why, in the actor's words (kept in the event's envelope).")]
                    reason: Option<LongText>,
                    #[graphql(desc = "The document the change rests on (kept in the envelope).")]
                    source_document: Option<DocumentNumber>,
                    #[graphql(desc = "Repeat a request with the same key: it is applied once.")]
                    idempotency_key: Option<String>,
                ) -> Result<CommandResult> {
                    run(ctx, input, reason, source_document, idempotency_key).await
                }
            )*
        }
    };
}

ledger_domain::for_each_command!(mutations);

/// An AppError as GraphQL answers it: a code a client can act on, English and Vietnamese.
fn refusal(e: &AppError) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    let code = match e {
        AppError::Forbidden { .. } | AppError::OutOfScope { .. } => Code::Forbidden,
        AppError::Policy(_) | AppError::Invalid(_) | AppError::Input(_) => Code::BadUserInput,
        AppError::Refused(_) => match e.refusal_kind() {
            Some(RefusalKind::NotFound) => Code::NotFound,
            Some(RefusalKind::AlreadyExists) => Code::AlreadyExists,
            Some(RefusalKind::Discrepancies) => Code::Discrepancies,
            _ => Code::BadUserInput,
        },
        AppError::IdempotencyKeyReused { .. } => Code::IdempotencyKeyReused,
        AppError::Conflict(_) => Code::Conflict,
        AppError::Store(_) => return internal(e),
    };
    let detail = e.detail().map(async_graphql::Value::from_json);
    coded_vi(code, e.to_string(), e.vi()).extend_with(move |_, ext| {
        if let Some(Ok(detail)) = &detail {
            ext.set("discrepancies", detail.clone());
        }
    })
}

async fn run<C: Command>(
    ctx: &Context<'_>,
    command: C,
    reason: Option<LongText>,
    source_document: Option<DocumentNumber>,
    idempotency_key: Option<String>,
) -> Result<CommandResult> {
    let api = ctx.data::<Api>()?;
    let principal = crate::principal(ctx).ok_or_else(crate::error::unauthenticated)?;
    if let Some(key) = &idempotency_key
        && (key.trim().is_empty()
            || key.len() > MAX_KEY_BYTES
            || key.chars().any(|c| c.is_control() || c.is_whitespace())
            || !unicode_normalization::is_nfc(key))
    {
        return Err(coded_vi(
            Code::BadUserInput,
            format!(
                "idempotencyKey: use 1 to {MAX_KEY_BYTES} bytes of Unicode NFC without spaces or control characters"
            ),
            format!(
                "idempotencyKey: dùng từ 1 đến {MAX_KEY_BYTES} byte Unicode NFC, không có khoảng trắng hay ký tự điều khiển"
            ),
        ));
    }
    let request = Request {
        reason,
        source_document,
        idempotency_key: idempotency_key.map(|k| format!("api:{}:{k}", principal.subject)),
        correlation_id: None,
    };
    let outcome = api
        .path
        .execute(principal, &request, command)
        .await
        .map_err(|e| refusal(&e))?;
    // Read your writes: wait (briefly) until the answers reflect the change.
    let behind = api
        .projector
        .wait_for(outcome.result.last_position, WAIT_FOR_PROJECTION)
        .await
        .is_err();
    Ok(CommandResult {
        first_position: outcome.result.first_position,
        last_position: outcome.result.last_position,
        recorded_at: outcome.result.recorded_at.to_string(),
        replayed: outcome.result.replayed,
        dating: outcome.dating.into(),
        discrepancies: outcome.discrepancies,
        read_models_behind: behind,
    })
}
