//! The `ledger` server: GraphQL over HTTP (axum), health and readiness, and the pieces the
//! command line shares.
//!
//! Routes: `POST /graphql` and `GET /graphql` (queries), `/graphql/ws` (subscriptions),
//! `GET /log/checkpoint` and `GET /log/tile/…` (the log as C2SP tlog-tiles),
//! `GET /graphiql`, `GET /healthz`
//! (the process answers), `GET /readyz` (the database answers and the read models are close
//! behind the log). A bearer token, when sent, must verify: a bad one is refused with
//! `UNAUTHENTICATED` rather than treated as anonymous.

use std::sync::Arc;
use std::time::Duration;

pub mod http;
pub mod store;
mod tiles;
pub mod trusted;
mod ws;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::GraphiQLSource;
use async_graphql::http::WebSocketProtocols;
use async_graphql_axum::GraphQLBatchRequest;
use axum::Router;
use axum::extract::State;
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use ledger_app::CommandPath;
use ledger_graphql::answers::{Answers, answer};
use ledger_graphql::auth::Keys;
use ledger_graphql::{Api, LedgerSchema};
use ledger_projections::{Health, Projector, ProjectorOptions};
use ledger_store::{DynStore, EventStore};
use ledger_store_postgres::PostgresStore;
use ledger_store_sqlite::SqliteStore;

use crate::store::AnyStore;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (a GraphQL document with its variables).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Most requests in one batch (a JSON array of requests in one POST).
pub const MAX_BATCH: usize = 10;
/// Longest a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a GraphQL request waits for one of the answering slots before it is refused with
/// 503 and `Retry-After`.
pub const QUEUE_WAIT: Duration = Duration::from_secs(2);

/// How many GraphQL requests are answered at once: four per core, at least eight. The rest
/// wait up to [`QUEUE_WAIT`]; health and readiness never wait.
#[must_use]
pub fn default_concurrent_answers() -> usize {
    std::thread::available_parallelism().map_or(8, |n| (n.get() * 4).max(8))
}

/// How long a stopping server lets requests in flight finish before it closes them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Most events the read models may lag behind the log for `/readyz` to answer ready.
pub const READY_MAX_LAG: u64 = 10_000;

/// Opens the store a database URL names (`postgres://…` or `sqlite:…`), migrating the log and
/// the read models, and rebuilds the read models from the log when this version writes them
/// differently from the version that made them (progress on standard error).
///
/// # Errors
/// A message naming the URL and what failed.
pub async fn open_store(url: &str) -> Result<AnyStore, String> {
    let store = open_log(url).await?;
    let current = store
        .read_db()
        .is_current()
        .await
        .map_err(|e| format!("cannot read the read models in {url}: {e}"))?;
    if !current {
        eprintln!(
            "the read models in {url} were made by another version of the ledger: rebuilding them from the log…"
        );
        let summary = rebuild_read_models(&store).await?;
        eprintln!(
            "read models rebuilt: generation {} live at position {} ({:.1}s)",
            summary.generation, summary.position, summary.total_seconds
        );
    }
    Ok(store)
}

/// Rebuilds the read models from the log into a new generation, printing progress on standard
/// error each tenth of the way; the live generation serves until the swap.
///
/// # Errors
/// A message saying the rebuild failed and the live read models are unchanged.
pub async fn rebuild_read_models(
    store: &AnyStore,
) -> Result<ledger_projections::RebuildSummary, String> {
    let mut next_tenth = 1;
    let mut report = |p: &ledger_projections::Progress| {
        if p.phase != "bulk load" {
            return;
        }
        if p.target > 0 && p.position * 10 >= p.target * next_tenth {
            next_tenth = p.position * 10 / p.target + 1;
            eprintln!("{p}");
        }
    };
    let options = ProjectorOptions {
        batch_size: 10_000,
        ..ProjectorOptions::default()
    };
    ledger_projections::rebuild(store, &store.read_db(), &options, &mut report)
        .await
        .map_err(|e| format!("rebuild failed, the live read models are unchanged: {e}"))
}

/// Opens the store a database URL names and migrates the log's and the read models' tables,
/// leaving the read models as they are.
///
/// # Errors
/// A message naming the URL and what failed.
pub async fn open_log(url: &str) -> Result<AnyStore, String> {
    let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        AnyStore::Postgres(
            PostgresStore::connect(url, 16)
                .await
                .map_err(|e| format!("cannot open {url}: {e}"))?,
        )
    } else if url.starts_with("sqlite:") {
        AnyStore::Sqlite(
            SqliteStore::connect(url)
                .await
                .map_err(|e| format!("cannot open {url}: {e}"))?,
        )
    } else {
        return Err(format!(
            "{url:?} is not a database URL: use postgres://user@host/db or sqlite://path/to/ledger.db"
        ));
    };
    store
        .read_db()
        .migrate()
        .await
        .map_err(|e| format!("cannot set up the read models in {url}: {e}"))?;
    Ok(store)
}

/// Opens an existing ledger without creating, migrating or writing anything (`ledger verify`,
/// `ledger export`): a missing SQLite file, a database without a ledger, or a schema that is
/// not current is an error saying what to do.
///
/// # Errors
/// A message naming the URL and what is wrong.
pub async fn open_existing(url: &str) -> Result<AnyStore, String> {
    let explain = |e: ledger_store::Error| match e {
        ledger_store::Error::Invalid { problem, .. } => format!("{url}: {problem}"),
        e => format!("cannot open {url}: {e}"),
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(AnyStore::Postgres(
            PostgresStore::connect_existing(url, 8)
                .await
                .map_err(explain)?,
        ))
    } else if url.starts_with("sqlite:") {
        Ok(AnyStore::Sqlite(
            SqliteStore::connect_existing(url).await.map_err(explain)?,
        ))
    } else {
        Err(format!(
            "{url:?} is not a database URL: use postgres://user@host/db or sqlite://path/to/ledger.db"
        ))
    }
}

/// Everything a request handler reaches.
#[derive(Clone)]
pub struct AppState {
    /// The schema (holds the API).
    pub schema: LedgerSchema,
    /// Token keys.
    pub keys: Keys,
    /// The store (for readiness).
    pub store: DynStore,
    /// The projector (for readiness).
    pub projector: Arc<Projector<DynStore>>,
    /// Answers shared between callers asking the same at the same position.
    pub answers: Arc<Answers>,
    /// Becomes `true` when the server starts stopping: subscriptions close.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Slots for GraphQL requests being answered ([`default_concurrent_answers`]).
    pub answering: Arc<tokio::sync::Semaphore>,
    /// When set, the only documents answered for roles not allowed ad-hoc ones.
    pub trusted: Option<Arc<trusted::TrustedDocuments>>,
}

/// A running ledger: the projector task and the HTTP state.
pub struct Ledger {
    /// Shared by the handlers.
    pub state: AppState,
    checkpoint_key: Arc<std::sync::OnceLock<String>>,
    witness_keys: Arc<std::sync::OnceLock<Vec<String>>>,
    checkpoint_task: Option<tokio::task::JoinHandle<()>>,
    projector_task: tokio::task::JoinHandle<()>,
    stop_projector: tokio::sync::watch::Sender<bool>,
    closing: tokio::sync::watch::Sender<bool>,
    shutdown_grace: Duration,
    header_read_timeout: Duration,
    store: AnyStore,
}

impl Ledger {
    /// Starts the projector over `store` and builds the schema.
    #[must_use]
    pub fn start(
        store: AnyStore,
        keys: Keys,
        anonymous_rollups: bool,
        introspection: bool,
    ) -> Self {
        Self::start_with(store, keys, anonymous_rollups, introspection, |path| path)
    }

    /// As [`Ledger::start`], with the command path set up by `path`: a temporal policy of
    /// the deployment's own (`CommandPath::with_policy`), or a fixed clock (tests, and
    /// replaying a day's work: `CommandPath::with_clock`).
    #[must_use]
    pub fn start_with(
        store: AnyStore,
        keys: Keys,
        anonymous_rollups: bool,
        introspection: bool,
        path: impl FnOnce(CommandPath<DynStore>) -> CommandPath<DynStore>,
    ) -> Self {
        let read_db = store.read_db();
        let any = store;
        let store = any.to_dyn();
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let projector = Arc::new(Projector::new(
            store.clone(),
            read_db.clone(),
            ProjectorOptions::default(),
        ));
        let (stop_projector, mut stop) = tokio::sync::watch::channel(false);
        let projector_task = tokio::spawn({
            let projector = projector.clone();
            async move {
                let shutdown = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                // A permanent failure is logged by the projector and shown by `/readyz`.
                let _ = projector.run(shutdown).await;
            }
        });
        let mut api = Api::new(store.clone(), read_db, projector.clone(), anonymous_rollups);
        api.path = path(CommandPath::new(store.clone()));
        let checkpoint_key = api.checkpoint_key.clone();
        let witness_keys = api.witness_keys.clone();
        Self {
            checkpoint_key,
            witness_keys,
            checkpoint_task: None,
            state: AppState {
                schema: ledger_graphql::schema(api, introspection),
                keys,
                store,
                projector,
                answers: Arc::new(Answers::default()),
                closing: closing_rx,
                answering: Arc::new(tokio::sync::Semaphore::new(default_concurrent_answers())),
                trusted: None,
            },
            projector_task,
            stop_projector,
            closing,
            shutdown_grace: SHUTDOWN_GRACE,
            header_read_timeout: http::HEADER_READ_TIMEOUT,
            store: any,
        }
    }

    /// Signs checkpoints with `key` (a private key in the signed-note form, as `ledger key
    /// generate` writes it): the `signedCheckpoint` field.
    ///
    /// # Errors
    /// A message when the key is not a private key.
    pub fn with_checkpoint_key(self, key: &str) -> Result<Self, String> {
        let key = key.trim();
        if !key.starts_with("PRIVATE+KEY+") {
            return Err("the checkpoint key is not a private key (PRIVATE+KEY+…)".to_owned());
        }
        ledger_proof::checkpoint::key_name(key).map_err(|e| e.to_string())?;
        let _ = self.checkpoint_key.set(key.to_owned());
        Ok(self)
    }

    /// Keeps the cosignatures of these witnesses (public keys in the signed-note form).
    ///
    /// # Errors
    /// A message naming a key that is not a public key.
    pub fn with_witness_keys(self, keys: Vec<String>) -> Result<Self, String> {
        let keys: Vec<String> = keys.iter().map(|k| k.trim().to_owned()).collect();
        for key in &keys {
            if ledger_proof::checkpoint::CosignatureV1Verifier::new(key).is_err() {
                ledger_proof::checkpoint::verifier(key).map_err(|e| format!("witness key: {e}"))?;
            }
        }
        let _ = self.witness_keys.set(keys);
        Ok(self)
    }

    /// Signs and keeps a checkpoint of the head every `every` when the log has grown (needs
    /// [`Ledger::with_checkpoint_key`]); stops with the server.
    #[must_use]
    pub fn sign_checkpoints_every(mut self, every: Duration) -> Self {
        let Some(key) = self.checkpoint_key.get().cloned() else {
            return self;
        };
        let store = self.state.store.clone();
        let mut stop = self.stop_projector.subscribe();
        self.checkpoint_task = Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            let mut signed = None;
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                let size = match store.head().await {
                    Ok(head) => head.size,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the head to sign a checkpoint");
                        continue;
                    }
                };
                if signed == Some(size) {
                    continue;
                }
                match ledger_graphql::checkpoints::sign_head(&store, &key).await {
                    Ok(checkpoint) => {
                        tracing::info!(size = checkpoint.size, "signed a checkpoint");
                        signed = Some(checkpoint.size);
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot sign a checkpoint"),
                }
            }
        }));
        self
    }

    /// Keeps at most `bytes` of answers to share between callers (0: answer every request
    /// afresh); [`ledger_graphql::answers::DEFAULT_ANSWER_BUDGET`] unless said.
    #[must_use]
    pub fn with_answer_budget(mut self, bytes: usize) -> Self {
        self.state.answers = Arc::new(Answers::new(bytes));
        self
    }

    /// Lets requests in flight finish for at most `grace` when stopping
    /// ([`SHUTDOWN_GRACE`] unless said).
    #[must_use]
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Answers only `documents` (by text or hash) for callers whose role may not send ad-hoc
    /// documents.
    #[must_use]
    pub fn with_trusted_documents(mut self, documents: trusted::TrustedDocuments) -> Self {
        self.state.trusted = Some(Arc::new(documents));
        self
    }

    /// Answers at most `n` GraphQL requests at once ([`default_concurrent_answers`] unless
    /// said); 0 refuses them all (503), which only tests want.
    #[must_use]
    pub fn with_concurrent_answers(mut self, n: usize) -> Self {
        self.state.answering = Arc::new(tokio::sync::Semaphore::new(n));
        self
    }

    /// Closes connections that do not send a request's headers within `timeout`, or stay idle
    /// that long between requests ([`http::HEADER_READ_TIMEOUT`] unless said).
    #[must_use]
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Serves HTTP on `listener` until `shutdown` completes, then stops in order: no new
    /// connections; subscriptions closed (code 1001, going away); requests in flight finish
    /// within the grace (their writes are acknowledged only once committed; the projector keeps
    /// running meanwhile, so mutations still see their effect); then the projector stops after
    /// its batch, the checkpoint signer stops, and the database pool closes.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = router(self.state.clone());
        let closing = self.closing.clone();
        let signalled = tokio::spawn(async move {
            shutdown.await;
            tracing::info!("stopping: no new connections; finishing requests in flight");
            let _ = closing.send(true);
        });
        let grace = self.shutdown_grace;
        let timeouts = http::Timeouts {
            header_read: self.header_read_timeout,
            grace,
        };
        if !http::serve(listener, app, self.closing.subscribe(), timeouts).await {
            tracing::warn!(
                grace_seconds = grace.as_secs_f64(),
                "requests still in flight after the grace period: closed"
            );
        }
        signalled.abort();
        let _ = self.stop_projector.send(true);
        let _ = self.projector_task.await;
        if let Some(task) = self.checkpoint_task {
            let _ = task.await;
        }
        drop(self.state);
        if tokio::time::timeout(grace, self.store.close())
            .await
            .is_err()
        {
            tracing::warn!(
                "database connections still busy after the grace period: not waited for"
            );
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// The HTTP routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql).post(graphql))
        .route("/graphql/ws", get(websocket))
        .route("/graphql/documents", get(documents))
        .route("/graphiql", get(graphiql))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/log/checkpoint", get(tiles::checkpoint))
        .route("/log/tile/{*path}", get(tiles::tile))
        .fallback(|| async {
            refused(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "no such page: the API is at /graphql",
                "không có trang này: API ở /graphql",
            )
        })
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::map_response(coded))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Gives every refusal made below the handlers (a body over the limit, a timeout, a method
/// a route does not take, a tile outside the tree) the JSON shape of all others: a fixed
/// message per status in English and Vietnamese and `extensions.code`, never a library's text.
/// Our own plain-text refusals (tiles) keep their message.
async fn coded(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let (code, en, vi) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "PAYLOAD_TOO_LARGE",
            format!("the request is over {MAX_BODY_BYTES} bytes"),
            format!("yêu cầu vượt quá {MAX_BODY_BYTES} byte"),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "TIMEOUT",
            format!(
                "the request took longer than {} s and was stopped",
                REQUEST_TIMEOUT.as_secs()
            ),
            format!(
                "yêu cầu chạy quá {} giây và đã bị dừng",
                REQUEST_TIMEOUT.as_secs()
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "BAD_USER_INPUT",
            "this address does not take that method".to_owned(),
            "địa chỉ này không nhận phương thức đó".to_owned(),
        ),
        StatusCode::NOT_FOUND => {
            let text = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .ok()
                .and_then(|b| String::from_utf8(b.to_vec()).ok())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "not found".to_owned());
            ("NOT_FOUND", text, "không tìm thấy".to_owned())
        }
        s if s.is_server_error() => (
            "INTERNAL",
            "internal error".to_owned(),
            "lỗi hệ thống".to_owned(),
        ),
        _ => (
            "BAD_USER_INPUT",
            "the request is not one this server understands".to_owned(),
            "máy chủ không hiểu yêu cầu này".to_owned(),
        ),
    };
    refused(status, code, &en, &vi)
}

fn unauthenticated(message: &str) -> Response {
    let mut response = refused(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        message,
        &format!("mã đăng nhập (token) không hợp lệ: {message}"),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    response
}

/// Whether a document holds a mutation (refused over GET, which must not change anything).
fn has_mutation(query: &str) -> bool {
    async_graphql::parser::parse_query(query).is_ok_and(|doc| {
        doc.operations
            .iter()
            .any(|(_, op)| op.node.ty == async_graphql::parser::types::OperationType::Mutation)
    })
}

/// A refusal before GraphQL runs: JSON with `extensions.code` and the message in English and
/// Vietnamese.
fn refused(status: StatusCode, code: &str, message: &str, vi: &str) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": { "code": code, "messageVi": vi } }]
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The refusal of a body that is not a GraphQL request (malformed JSON or multipart, too
/// large), without the parser's words.
fn not_graphql(e: &async_graphql::ParseRequestError) -> Response {
    let too_large = matches!(e, async_graphql::ParseRequestError::PayloadTooLarge)
        || matches!(e, async_graphql::ParseRequestError::Io(io) if io.to_string().contains("length limit"));
    if too_large {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("the request is over {MAX_BODY_BYTES} bytes"),
            &format!("yêu cầu vượt quá {MAX_BODY_BYTES} byte"),
        );
    }
    refused(
        StatusCode::BAD_REQUEST,
        "BAD_USER_INPUT",
        "not a GraphQL request: send JSON {\"query\": \"…\", \"variables\": {…}} with POST, or ?query=… with GET",
        "không phải yêu cầu GraphQL: gửi JSON {\"query\": \"…\", \"variables\": {…}} bằng POST, hoặc ?query=… bằng GET",
    )
}

async fn graphql(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    request: Result<GraphQLBatchRequest, async_graphql_axum::rejection::GraphQLRejection>,
) -> Response {
    let request = match request {
        Ok(request) => request,
        Err(rejection) => return not_graphql(&rejection.0),
    };
    let mut requests = match request.into_inner() {
        async_graphql::BatchRequest::Single(request) => vec![request],
        async_graphql::BatchRequest::Batch(requests) => {
            if requests.is_empty() || requests.len() > MAX_BATCH {
                return refused(
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    &format!("a batch holds 1 to {MAX_BATCH} requests"),
                    &format!("một lô gồm từ 1 đến {MAX_BATCH} yêu cầu"),
                );
            }
            requests
        }
    };
    let batch = requests.len() > 1;
    let mut caller = None;
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let verified = value
            .to_str()
            .map_err(|_| "the Authorization header is not text".to_owned())
            .and_then(|v| state.keys.verify_header(v).map_err(|e| e.to_string()));
        match verified {
            Ok(principal) => caller = Some(principal),
            Err(message) => return unauthenticated(&message),
        }
    }
    if let Some(trusted) = &state.trusted {
        for request in &mut requests {
            if let Err(not) = trusted.admit(request, caller.as_ref().map(|p| p.role)) {
                let (code, en, vi) = not.refusal();
                let status = if code == "BAD_USER_INPUT" {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::FORBIDDEN
                };
                return refused(status, code, &en, &vi);
            }
        }
    }
    if method == Method::GET && requests.iter().any(|r| has_mutation(&r.query)) {
        return refused(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations must be sent with POST",
            "thao tác thay đổi dữ liệu (mutation) phải gửi bằng POST",
        );
    }
    // A slot to answer in: heavy questions cannot crowd out everything else, and what they
    // hold in memory is bounded by the slots times what one answer may take.
    let Ok(Ok(_slot)) =
        tokio::time::timeout(QUEUE_WAIT, state.answering.clone().acquire_owned()).await
    else {
        let mut response = refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVER_BUSY",
            "the server is answering as many questions as it can; try again in a second",
            "máy chủ đang bận trả lời các yêu cầu khác; vui lòng thử lại sau một giây",
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return response;
    };
    // A batch's requests run one after another, in order (a mutation then a query sees it).
    let mut bodies = Vec::with_capacity(requests.len());
    for request in requests {
        bodies.push(
            answer(
                &state.schema,
                &state.answers,
                state.projector.db(),
                caller.clone(),
                request,
            )
            .await,
        );
    }
    // Without a token, a question that needs one is answered 401, as a bad token is.
    let status = if caller.is_none()
        && bodies
            .iter()
            .any(|b| b.contains(r#""code":"UNAUTHENTICATED""#))
    {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let body = if batch {
        format!("[{}]", bodies.join(","))
    } else {
        bodies.concat()
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/graphql-response+json")],
        body,
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

/// Subscriptions over `graphql-transport-ws` (and the older `graphql-ws`); the token goes in
/// the `connection_init` payload as `{"Authorization": "Bearer …"}`. Messages are held to the
/// HTTP body limit ([`MAX_BODY_BYTES`]).
async fn websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return refused(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "/graphql/ws takes WebSocket upgrades only (GET with Upgrade: websocket)",
            "/graphql/ws chỉ nhận kết nối WebSocket (GET với Upgrade: websocket)",
        );
    };
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| p.trim().parse::<WebSocketProtocols>().ok())
        });
    let Some(protocol) = protocol else {
        return refused(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "name the subprotocol: Sec-WebSocket-Protocol: graphql-transport-ws (or graphql-ws)",
            "cần nêu giao thức con: Sec-WebSocket-Protocol: graphql-transport-ws (hoặc graphql-ws)",
        );
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .on_upgrade(move |socket| ws::serve(socket, state, protocol))
}

/// `GET /graphql/documents`: the trusted documents by hash (empty when every document is
/// answered).
async fn documents(State(state): State<AppState>) -> Response {
    let documents = state
        .trusted
        .as_ref()
        .map(|t| t.documents().clone())
        .unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&documents).unwrap_or_default(),
    )
        .into_response()
}

/// The cookbook's questions as one document of named operations, for GraphiQL's editor.
fn examples() -> String {
    let mut out = String::from(
        "# Questions inspectors and elected bodies ask (docs/graphql.md).\n\
         # Put your token in Headers: {\"Authorization\": \"Bearer …\"}, pick an operation, run.\n",
    );
    for (i, q) in ledger_graphql::cookbook().into_iter().enumerate() {
        out.push_str(&format!(
            "\n# {} (as {})\nquery Q{}",
            q.title,
            q.role,
            i + 1
        ));
        let body = q.query.trim_start();
        out.push_str(if body.starts_with('{') { " " } else { "" });
        out.push_str(body);
    }
    out
}

async fn graphiql() -> Html<String> {
    let page = GraphiQLSource::build()
        .endpoint("/graphql")
        .subscription_endpoint("/graphql/ws")
        .title("Sổ theo dõi tiến độ — GraphiQL")
        .finish();
    // GraphiQL opens with the query it last saved; on a first visit, seed it with the examples.
    let examples = serde_json::to_string(&examples())
        .unwrap_or_default()
        .replace("</", "<\\/");
    let seed = format!(
        "<script>if (!localStorage.getItem('graphiql:query')) \
         {{ localStorage.setItem('graphiql:query', {examples}); }}</script>"
    );
    Html(page.replacen("<body>", &format!("<body>{seed}"), 1))
}

/// Ready when the log answers, the projector is following it (not retrying a lost
/// connection, not stopped) and the read models are at most [`READY_MAX_LAG`] events behind.
/// The body says which, with the reason when not ready.
async fn readyz(State(state): State<AppState>) -> Response {
    let health = state.projector.health();
    let head = state.store.head().await;
    let live = state.projector.db().live().await;
    let projector = match &health {
        Health::Starting => serde_json::json!({ "state": "starting" }),
        Health::Following => serde_json::json!({ "state": "following" }),
        Health::Retrying {
            error,
            attempts,
            since,
        } => serde_json::json!({
            "state": "retrying", "error": error, "attempts": attempts, "since": since.to_rfc3339()
        }),
        Health::Stopped { error } => serde_json::json!({ "state": "stopped", "error": error }),
    };
    let mut body = serde_json::json!({ "projector": projector });
    let mut reasons = Vec::new();
    match (&head, &live) {
        (Ok(head), Ok(live)) => {
            let lag = head.size.saturating_sub(live.position);
            body["head"] = head.size.into();
            body["checkpoint"] = live.position.into();
            body["lag"] = lag.into();
            if lag > READY_MAX_LAG {
                reasons.push(format!(
                    "the read models are {lag} events behind the log (at most {READY_MAX_LAG})"
                ));
            }
        }
        (Err(e), _) => reasons.push(format!("log unreachable: {e}")),
        (_, Err(e)) => reasons.push(format!("read models unreachable: {e}")),
    }
    match &health {
        Health::Stopped { error } => reasons.push(format!("the projector stopped: {error}")),
        Health::Retrying { error, .. } => {
            reasons.push(format!("the projector is retrying: {error}"));
        }
        Health::Starting | Health::Following => {}
    }
    body["ready"] = reasons.is_empty().into();
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        body["reasons"] = reasons.into();
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphiql_examples_are_one_valid_document_of_every_question() {
        let document = async_graphql::parser::parse_query(examples()).expect("valid GraphQL");
        assert_eq!(
            document.operations.iter().count(),
            ledger_graphql::cookbook().len()
        );
        assert!(!has_mutation(&examples()));
        assert!(has_mutation("mutation { a }"));
    }
}
