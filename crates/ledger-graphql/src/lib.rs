//! The progress ledger's GraphQL schema. It knows nothing of HTTP: the server
//! (`ledger-server`) puts an [`Api`] and, for a signed-in caller, an [`auth::Principal`] in
//! each request's data.
//!
//! - [`query`]: the query root, every field answerable as of a past position or time;
//! - [`mutation`]: one mutation per domain command, checked against role and unit;
//! - [`subscription`]: the live event feed;
//! - [`proofs`]: inclusion and consistency proofs, signed checkpoints;
//! - [`checkpoints`]: checkpoints kept, signed on demand and on a schedule, and cosigned;
//! - [`answers`]: one position per request, and answers shared between callers;
//! - [`auth`]: tokens and roles;
//! - [`error`]: coded errors (`extensions.code`);
//! - [`limits`]: the alias limit (depth and complexity are set on the schema).
//!
//! It holds the log as a [`DynStore`]: which backend is behind it is the server's choice.

pub mod answers;
pub mod auth;
pub mod checkpoints;
pub mod error;
pub mod limits;
pub mod mutation;
pub mod proofs;
pub mod query;
pub mod subscription;

use std::sync::Arc;

use async_graphql::{Context, Schema};
use ledger_app::CommandPath;
use ledger_projections::{Db, Projector, ReadModels};

use crate::auth::Principal;
use crate::mutation::Mutation;
use crate::subscription::Subscription;
use ledger_store::DynStore;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted (each field costs one; lists multiply by their page size).
pub const MAX_COMPLEXITY: usize = 5_000;

/// What every resolver reaches: the store, the command path and the read models.
pub struct Api {
    /// The log.
    pub store: DynStore,
    /// The command path every mutation takes.
    pub path: CommandPath<DynStore>,
    /// The read-model database.
    pub read_db: Db,
    /// Questions to the read models.
    pub read: ReadModels,
    /// The projector keeping them current (for waiting on a write).
    pub projector: Arc<Projector<DynStore>>,
    /// Whether callers without a token may read progress roll-ups.
    pub anonymous_rollups: bool,
    /// The private key checkpoints are signed with, once set (`ledger serve --checkpoint-key`).
    pub checkpoint_key: Arc<std::sync::OnceLock<String>>,
    /// Public keys of the witnesses whose cosignatures are kept (`--witness-key`).
    pub witness_keys: Arc<std::sync::OnceLock<Vec<String>>>,
}

impl Api {
    /// The API over `store`, its read models in `read_db`.
    #[must_use]
    pub fn new(
        store: DynStore,
        read_db: Db,
        projector: Arc<Projector<DynStore>>,
        anonymous_rollups: bool,
    ) -> Self {
        Self {
            path: CommandPath::new(store.clone()),
            read: ReadModels::new(read_db.clone()),
            read_db,
            store,
            projector,
            anonymous_rollups,
            checkpoint_key: Arc::default(),
            witness_keys: Arc::default(),
        }
    }
}

/// The query root: one object per area of questions (see [`query`]).
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    query::node::NodeQuery,
    query::units::UnitQuery,
    query::plans::PlanQuery,
    query::tasks::TaskQuery,
    query::reports::ReportQuery,
    query::supervision::SupervisionQuery,
    query::audit::AuditQuery,
    query::log::LogQuery,
);

/// The mutation root: one mutation per domain command, and the checkpoint mutations.
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(Mutation, checkpoints::CheckpointMutation);

/// The schema type.
pub type LedgerSchema = Schema<QueryRoot, MutationRoot, Subscription>;

/// Builds the schema with its limits; `introspection` off hides the schema from clients.
#[must_use]
pub fn schema(api: Api, introspection: bool) -> LedgerSchema {
    let builder = Schema::build(QueryRoot::default(), MutationRoot::default(), Subscription)
        .data(api)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(20)
        .extension(limits::DocumentLimits);
    let builder = if introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.finish()
}

/// The schema's SDL, as checked in at `schema/graphql/ledger.graphql`.
#[must_use]
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot::default(), Subscription)
        .finish()
        .sdl()
}

/// Today in Việt Nam (UTC+7): the effective date fields default to.
#[must_use]
pub fn today() -> chrono::NaiveDate {
    ledger_app::day_in_vietnam(chrono::Utc::now()).get()
}

/// The signed-in caller, if any.
#[must_use]
pub fn principal<'a>(ctx: &Context<'a>) -> Option<&'a Principal> {
    ctx.data_opt::<Principal>()
}

/// Runs a request and gives every error a code and a Vietnamese message: errors from our
/// resolvers carry theirs; the others come from parsing, validating and coercing the request
/// (a malformed query, an impossible date, a query too deep or too complex) and are the
/// caller's: `BAD_USER_INPUT`.
pub async fn execute(
    schema: &LedgerSchema,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let mut response = schema.execute(request).await;
    for error in &mut response.errors {
        let message = error.message.clone();
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", error::Code::BadUserInput.as_str());
        }
        if extensions.get("messageVi").is_none() {
            extensions.set("messageVi", error::vietnamese_for(&message));
        }
    }
    response
}

/// One question of the cookbook (`docs/graphql.md`).
#[derive(Debug, Clone)]
pub struct Question {
    /// Its heading, numbered.
    pub title: String,
    /// The role it is asked as.
    pub role: auth::Role,
    /// The query.
    pub query: String,
    /// Values the demo answers with: a JSON pointer into `data`, and the value (JSON).
    pub expect: Vec<(String, String)>,
}

/// The cookbook's questions, read from `docs/graphql.md` (compiled in): what GraphiQL offers
/// as examples, the tests run and the load benchmark sends.
#[must_use]
pub fn cookbook() -> Vec<Question> {
    let text = include_str!("../../../docs/graphql.md");
    text.split("\n## ")
        .skip(1)
        .filter_map(|section| {
            let title = section.lines().next()?.to_owned();
            let role = section
                .lines()
                .find_map(|l| l.strip_prefix("role: "))?
                .trim()
                .parse()
                .ok()?;
            let query = section
                .split("```graphql\n")
                .nth(1)?
                .split("```")
                .next()?
                .to_owned();
            let expect = section
                .lines()
                .filter_map(|l| l.strip_prefix("expect: "))
                .filter_map(|l| l.split_once(" = "))
                .map(|(p, v)| (p.to_owned(), v.to_owned()))
                .collect();
            Some(Question {
                title,
                role,
                query,
                expect,
            })
        })
        .collect()
}
