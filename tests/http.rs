//! The `ledger` server over HTTP on a bound port, on SQLite and PostgreSQL: health,
//! readiness, queries with and without tokens, refused tokens, GET queries, body limits.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

#[path = "../crates/ledger-graphql/tests/common/cases.rs"]
mod cases;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use ledger_app::CommandPath;
use ledger_graphql::auth::{Keys, Principal, Role};
use ledger_server::Ledger;
use ledger_server::store::AnyStore;
use ledger_tests::backends::{Backend, Postgres, Sqlite};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A backend whose store the server can run on.
trait ServerBackend: Backend {
    fn any(&self) -> AnyStore;
}

impl ServerBackend for Sqlite {
    fn any(&self) -> AnyStore {
        AnyStore::Sqlite(self.store().clone())
    }
}

impl ServerBackend for Postgres {
    fn any(&self) -> AnyStore {
        AnyStore::Postgres(self.store().clone())
    }
}

/// A minimal HTTP/1.1 client: one request per connection; returns status and body.
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, body)
}

async fn graphql(addr: std::net::SocketAddr, token: Option<&str>, query: &str) -> (u16, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth));
    }
    let body = json!({ "query": query }).to_string();
    let (status, text) = http(addr, "POST", "/graphql", &headers, body.as_bytes()).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Subscribes to unit events over the WebSocket and returns a future of the first one.
async fn live_feed(
    addr: std::net::SocketAddr,
    token: &str,
    after: u64,
) -> impl std::future::Future<Output = Value> {
    use futures_util::StreamExt;
    let mut ws = subscribed(
        addr,
        token,
        &format!(
            "subscription {{ events(after: {after}, filter: {{ streamType: \"unit\" }}) {{ position streamId actor }} }}"
        ),
    )
    .await;
    async move {
        loop {
            let message = ws.next().await.unwrap().unwrap();
            let value: Value =
                serde_json::from_str(message.to_text().unwrap_or("{}")).unwrap_or(Value::Null);
            if value["type"] == "next" {
                return value["payload"]["data"]["events"].clone();
            }
            assert_ne!(value["type"], "error", "{value}");
        }
    }
}

/// Opens a subscription socket, sends `connection_init` with `token`, waits for the
/// acknowledgement and subscribes to `query`; returns the socket.
async fn subscribed(
    addr: std::net::SocketAddr,
    token: &str,
    query: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
    ws.send(Message::text(subscribe.to_string())).await.unwrap();
    ws
}

/// A subscription to unit events.
const UNIT_EVENTS: &str = "subscription { events(filter: { streamType: \"unit\" }) { position } }";

/// The close frame a socket ends with (skipping data messages), within 30 s: its code and
/// reason.
async fn close_frame(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> (u16, String) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let closed = async {
        while let Some(message) = ws.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                });
            }
        }
        (1006, String::new())
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), closed)
        .await
        .expect("the socket closes")
}

/// The close code a socket ends with.
async fn close_code(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> u16 {
    close_frame(ws).await.0
}

/// With trusted documents on, a subscription's document is held to the list too: a role not
/// allowed ad-hoc documents has its socket closed (4403, the refusal's code as the reason).
async fn subscriptions_and_trusted_documents<B: ServerBackend>() {
    use ledger_server::trusted::TrustedDocuments;
    let server = run_demo_with::<B>(|ledger| {
        ledger.with_trusted_documents(
            TrustedDocuments::cookbook().with_ad_hoc_roles(vec![Role::Inspector]),
        )
    })
    .await;
    let mut supervisor = subscribed(server.addr, server.token(Role::Supervisor), UNIT_EVENTS).await;
    let (code, reason) = close_frame(&mut supervisor).await;
    assert_eq!((code, reason.as_str()), (4403, "TRUSTED_DOCUMENTS_ONLY"));
    // The inspector may send its own: its feed opens and answers.
    let feed = live_feed(server.addr, server.token(Role::Inspector), 0).await;
    let first = tokio::time::timeout(std::time::Duration::from_secs(30), feed)
        .await
        .unwrap();
    assert!(first["position"].as_u64().is_some(), "{first}");
    server.stop().await;
}

/// A subscription ends when its token expires (4403) and when the server stops (1001, going
/// away); a message larger than a request body is refused, not read.
async fn subscriptions_end<B: ServerBackend>() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let server = run_demo::<B>().await;
    let inspector = Principal {
        subject: "tt-1".into(),
        name: "Thanh tra".into(),
        role: Role::Inspector,
        unit: None,
    };
    let short = server.keys.issue(&inspector, 2).unwrap();
    let mut expiring = subscribed(server.addr, &short, UNIT_EVENTS).await;
    assert_eq!(close_code(&mut expiring).await, 4403);

    let mut huge = subscribed(server.addr, server.token(Role::Inspector), UNIT_EVENTS).await;
    let _ = huge
        .send(Message::text("x".repeat(ledger_server::MAX_BODY_BYTES + 1)))
        .await;
    assert_eq!(close_code(&mut huge).await, 1009, "message too big");

    let mut open = subscribed(server.addr, server.token(Role::Inspector), UNIT_EVENTS).await;
    let Running {
        stop,
        server: task,
        backend,
        ..
    } = server;
    stop.send(()).unwrap();
    assert_eq!(close_code(&mut open).await, 1001);
    task.await.unwrap().unwrap();
    backend.cleanup().await;
}

/// Asserts a raw body is a coded refusal with a Vietnamese message.
fn assert_coded(body: &str, code: &str) {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(value["errors"][0]["extensions"]["code"], code, "{body}");
    assert!(
        value["errors"][0]["extensions"]["messageVi"].is_string(),
        "{body}"
    );
}

fn code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

async fn serves_the_demo_over_http<B: ServerBackend>() {
    let running = run_demo::<B>().await;
    let (addr, keys) = (running.addr, running.keys.clone());

    assert_eq!(
        http(addr, "GET", "/healthz", &[], b"").await,
        (200, "ok".to_owned())
    );
    let (status, ready) = http(addr, "GET", "/readyz", &[], b"").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(serde_json::from_str::<Value>(&ready).unwrap()["lag"], 0);
    let (status, page) = http(addr, "GET", "/graphiql", &[], b"").await;
    assert_eq!(status, 200);
    assert!(page.contains("/graphql"));
    assert!(
        page.contains("query Q1"),
        "GraphiQL offers the cookbook's questions"
    );

    let token = keys
        .issue(
            &Principal {
                subject: "hdnd-1".into(),
                name: "Ban Pháp chế".into(),
                role: Role::Supervisor,
                unit: Some("hdnd-tinh".parse().unwrap()),
            },
            600,
        )
        .unwrap();
    let (status, answer) = graphql(
        addr,
        Some(&token),
        r#"{ tasks(on: "2025-12-31", filter: {overdue: true}) { position totalCount } }"#,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["tasks"]["totalCount"], 12);
    assert_eq!(answer["data"]["tasks"]["position"], 509);

    // No token: refused with a code; a bad or foreign token: 401 with a code.
    let (_, answer) = graphql(addr, None, "{ units { totalCount } }").await;
    assert_eq!(code(&answer), Some("UNAUTHENTICATED"));
    let foreign = Keys::hs256(b"someone else's secret, long enough too")
        .issue(
            &Principal {
                subject: "x".into(),
                name: "x".into(),
                role: Role::Inspector,
                unit: None,
            },
            600,
        )
        .unwrap();
    for bad in ["garbage", foreign.as_str()] {
        let (status, answer) = graphql(addr, Some(bad), "{ units { totalCount } }").await;
        assert_eq!((status, code(&answer)), (401, Some("UNAUTHENTICATED")));
    }
    // Queries over GET.
    let (status, text) = http(
        addr,
        "GET",
        "/graphql?query=%7B%20checkpoint%20%7B%20lag%20%7D%20%7D",
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"lag\":0"), "{text}");
    // Mutations only over POST.
    let (status, text) = http(
        addr,
        "GET",
        "/graphql?query=mutation%20%7B%20dissolveUnit(input%3A%20%7Bid%3A%20%22so-tu-phap%22%2C%20on%3A%20%222026-01-01%22%2C%20basis%3A%20%221%2FQD-UBND%22%7D)%20%7B%20lastPosition%20%7D%20%7D",
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    )
    .await;
    assert_eq!(status, 405, "{text}");
    // A mutation over POST, by a secretariat token; the next query sees it.
    let secretariat = keys
        .issue(
            &Principal {
                subject: "vp-1".into(),
                name: "Văn phòng".into(),
                role: Role::Secretariat,
                unit: Some("ban-noi-chinh-tinh-uy".parse().unwrap()),
            },
            600,
        )
        .unwrap();
    let (status, answer) = graphql(
        addr,
        Some(&secretariat),
        r#"mutation { extendDeadline(input: { task: "co-so-vat-chat", deadline: "2027-03-31", on: "2026-11-30", reason: "Chờ vốn", basis: "100/QĐ-UBND" }) { lastPosition } }"#,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["data"]["extendDeadline"]["lastPosition"], 510,
        "{answer}"
    );
    let (_, answer) = graphql(
        addr,
        Some(&token),
        r#"{ tasks(on: "2026-12-01", filter: {plan: "kh-44-kh-tu"}, first: 100) { position nodes { deadline task { key } } } }"#,
    )
    .await;
    assert_eq!(answer["data"]["tasks"]["position"], 510, "{answer}");
    let extended = answer["data"]["tasks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"]["key"] == "co-so-vat-chat")
        .cloned()
        .unwrap();
    assert_eq!(extended["deadline"], "2027-03-31");
    // An oversized body is refused before it is read.
    let huge = vec![b' '; ledger_server::MAX_BODY_BYTES + 1];
    let (status, body) = http(
        addr,
        "POST",
        "/graphql",
        &[("Content-Type", "application/json")],
        &huge,
    )
    .await;
    assert_eq!(status, 413);
    assert_coded(&body, "PAYLOAD_TOO_LARGE");
    // Every refusal is JSON with a code and Vietnamese, without a parser's or library's words.
    for (method, path, content_type, body, status_expected, code_expected) in [
        (
            "POST",
            "/graphql",
            "application/json",
            &b"{not json"[..],
            400,
            "BAD_USER_INPUT",
        ),
        (
            "POST",
            "/graphql",
            "application/json",
            &b"[1, 2]"[..],
            400,
            "BAD_USER_INPUT",
        ),
        (
            "POST",
            "/graphql",
            "multipart/form-data; boundary=x",
            &b"--x\r\n\r\n"[..],
            400,
            "BAD_USER_INPUT",
        ),
        (
            "POST",
            "/graphql",
            "application/json",
            &b"{\"query\": 5}"[..],
            400,
            "BAD_USER_INPUT",
        ),
        ("GET", "/nowhere", "text/plain", &b""[..], 404, "NOT_FOUND"),
        (
            "DELETE",
            "/graphql",
            "text/plain",
            &b""[..],
            405,
            "BAD_USER_INPUT",
        ),
        (
            "GET",
            "/graphql/ws",
            "text/plain",
            &b""[..],
            400,
            "BAD_USER_INPUT",
        ),
        (
            "GET",
            "/log/tile/0/000.p/0",
            "text/plain",
            &b""[..],
            404,
            "NOT_FOUND",
        ),
    ] {
        let (status, answer) =
            http(addr, method, path, &[("Content-Type", content_type)], body).await;
        assert_eq!(status, status_expected, "{method} {path}: {answer}");
        assert_coded(&answer, code_expected);
        for internal in [
            "expected",
            "untagged",
            "BatchRequest",
            "u8",
            "serde",
            "Error(",
        ] {
            assert!(!answer.contains(internal), "{method} {path}: {answer}");
        }
    }
    // A batch: answered in order as an array; more than MAX_BATCH refused with a code.
    let batch = |n: usize| {
        serde_json::to_vec(&vec![json!({ "query": "{ checkpoint { position } }" }); n]).unwrap()
    };
    let (status, body) = http(
        addr,
        "POST",
        "/graphql",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &format!("Bearer {token}")),
        ],
        &batch(2),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answers: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answers[1]["data"]["checkpoint"]["position"], 510, "{body}");
    let (status, body) = http(
        addr,
        "POST",
        "/graphql",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &format!("Bearer {token}")),
        ],
        &batch(ledger_server::MAX_BATCH + 1),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("BAD_USER_INPUT"), "{body}");

    // The live feed over /graphql/ws (graphql-transport-ws): an event appended after the
    // subscription starts arrives.
    let inspector = keys
        .issue(
            &Principal {
                subject: "ubkt-1".into(),
                name: "Ủy ban Kiểm tra".into(),
                role: Role::Inspector,
                unit: None,
            },
            600,
        )
        .unwrap();
    // From the current head: no race between subscribing and the write below.
    let (_, head) = graphql(addr, Some(&inspector), "{ checkpoint { head } }").await;
    let feed = live_feed(
        addr,
        &inspector,
        head["data"]["checkpoint"]["head"].as_u64().unwrap(),
    )
    .await;
    let (status, answer) = graphql(
        addr,
        Some(&secretariat),
        r#"mutation { registerUnit(input: { id: "don-vi-ws", kind: STATE_BODY, name: "Đơn vị", establishedOn: "2026-11-30" }) { lastPosition } }"#,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let event = tokio::time::timeout(std::time::Duration::from_secs(30), feed)
        .await
        .expect("the feed delivers within 30 s");
    assert_eq!(event["streamId"], "unit/don-vi-ws");
    assert_eq!(event["actor"], "vp-1");
    running.stop().await;
}

/// The demo on a running server: its address, tokens by role, and the stop switch.
struct Running<B> {
    addr: std::net::SocketAddr,
    tokens: Vec<(Role, String)>,
    /// The public key checkpoints are signed with.
    log_key: String,
    /// The token keys, to issue tokens of other principals.
    keys: Keys,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    projector: Arc<ledger_projections::Projector<ledger_store::DynStore>>,
    backend: B,
}

impl<B: ServerBackend> Running<B> {
    fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }

    /// The log's head, as an inspector reads it (never a shared answer).
    async fn head(&self) -> u64 {
        let (_, answer) = graphql(
            self.addr,
            Some(self.token(Role::Inspector)),
            "{ checkpoint { head } }",
        )
        .await;
        answer["data"]["checkpoint"]["head"].as_u64().unwrap()
    }

    /// Stops the server and removes its database.
    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.server.await.unwrap().unwrap();
        self.backend.cleanup().await;
    }
}

/// The demo served as of 1 December 2026, 10:00 in Việt Nam: its live actions and every
/// change the tests make are judged against that day, whatever day they run.
async fn run_demo<B: ServerBackend>() -> Running<B> {
    run_demo_with(|ledger| ledger).await
}

/// The demo served, with the server set up by `with` (trusted documents, say).
async fn run_demo_with<B: ServerBackend>(with: impl FnOnce(Ledger) -> Ledger) -> Running<B> {
    let backend = B::new().await;
    let store = backend.any();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
    let clock: ledger_app::Clock = Arc::new(move || now);
    ledger_app::demo::set_up(
        &CommandPath::new(store.clone()).with_clock(clock.clone()),
        |_| {},
    )
    .await
    .unwrap();
    store.read_db().migrate().await.unwrap();
    let keys = Keys::hs256(b"http test secret, long enough for HS256");
    let (checkpoint_key, log_key) =
        ledger_proof::checkpoint::generate_key(&mut rand_core::OsRng, "ledger.test/de-an-10")
            .unwrap();
    let ledger = Ledger::start_with(store.clone(), keys.clone(), false, true, |path| {
        path.with_clock(clock)
    })
    .with_checkpoint_key(&checkpoint_key)
    .unwrap();
    let ledger = with(ledger);
    let projector = ledger.state.projector.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(ledger.serve(listener, async move {
        let _ = stopped.await;
    }));
    projector
        .wait_for(509, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let tokens = Role::ALL
        .iter()
        .map(|role| {
            let principal = Principal {
                subject: format!("{role}-1"),
                name: "Cán bộ thử nghiệm".into(),
                role: *role,
                unit: Some(
                    if *role == Role::UnitReporter {
                        "so-tu-phap"
                    } else {
                        "van-phong-tinh-uy"
                    }
                    .parse()
                    .unwrap(),
                ),
            };
            (*role, keys.issue(&principal, 600).unwrap())
        })
        .collect();
    Running {
        addr,
        tokens,
        log_key,
        keys,
        stop,
        server,
        projector,
        backend,
    }
}

/// Over HTTP: every role × every mutation is allowed or FORBIDDEN with nothing written
/// (anonymous: UNAUTHENTICATED); a unit reporter acts for its own unit only; bad input and
/// bad queries get one coded error and write nothing.
async fn roles_and_bad_input_over_http<B: ServerBackend>() {
    let server = run_demo::<B>().await;
    let addr = server.addr;
    let codes = |answer: &Value| -> Vec<String> {
        answer["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("none")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for (mutation, input) in cases::MUTATIONS {
        let query =
            format!("mutation {{ {mutation}(input: {input}) {{ firstPosition lastPosition }} }}");
        for role in Role::ALL {
            let before = server.head().await;
            let (status, answer) = graphql(addr, Some(server.token(role)), &query).await;
            let after = server.head().await;
            assert_eq!(status, 200, "{mutation} as {role}: {answer}");
            let errors = codes(&answer);
            let allowed = cases::allowed(mutation);
            if allowed.first() == Some(&role) {
                // The role whose work it is: written, and the answer says where.
                assert!(errors.is_empty(), "{mutation} as {role}: {answer}");
                assert_eq!(
                    answer["data"][*mutation]["lastPosition"].as_u64(),
                    Some(after),
                    "{mutation}"
                );
            } else if allowed.contains(&role) {
                // The archivist, repeating it: refused by the rules, never for the role.
                assert!(
                    !errors
                        .iter()
                        .any(|c| c == "FORBIDDEN" || c == "UNAUTHENTICATED" || c == "none"),
                    "{mutation} as {role}: {answer}"
                );
                if !errors.is_empty() {
                    assert_eq!(before, after, "{mutation} as {role} refused but wrote");
                }
            } else {
                assert_eq!(errors, ["FORBIDDEN"], "{mutation} as {role}: {answer}");
                assert_eq!(before, after, "{mutation} as {role} wrote something");
            }
        }
        let (status, answer) = graphql(addr, None, &query).await;
        assert_eq!(
            (status, codes(&answer)),
            (401, vec!["UNAUTHENTICATED".to_owned()])
        );
    }

    let before = server.head().await;
    for query in cases::OUT_OF_SCOPE {
        let (_, answer) = graphql(addr, Some(server.token(Role::UnitReporter)), query).await;
        assert_eq!(codes(&answer), ["FORBIDDEN"], "{query}");
    }
    for (query, what) in cases::BAD_INPUT {
        let (_, answer) = graphql(addr, Some(server.token(Role::Secretariat)), query).await;
        let errors = codes(&answer);
        assert!(
            errors.len() == 1 && (errors[0] == "BAD_USER_INPUT" || errors[0] == "NOT_FOUND"),
            "{what}: {answer}"
        );
        assert!(
            !answer.to_string().contains("sqlx") && !answer.to_string().contains("panicked"),
            "{what}: internals leaked: {answer}"
        );
    }
    for (role, query, code, what) in cases::REFUSED {
        let (_, answer) = graphql(addr, Some(server.token(*role)), query).await;
        assert_eq!(codes(&answer), [*code], "{what}: {answer}");
        assert!(
            answer["errors"][0]["extensions"]["messageVi"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: {answer}"
        );
    }
    let overlong = format!(
        "mutation {{ registerUnit(input: {{ id: \"x-5\", kind: STATE_BODY, name: \"{}\", establishedOn: \"2026-11-30\" }}) {{ lastPosition }} }}",
        "x".repeat(600)
    );
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(14),
        "} ".repeat(14)
    );
    let costly = format!(
        "{{ {} }}",
        (0..20)
            .map(|i| format!(
                "t{i}: tasks(first: 100) {{ nodes {{ deadline lead percent status }} }} "
            ))
            .collect::<String>()
    );
    for (query, what) in [
        (overlong, "overlong text"),
        (deep, "a query too deep"),
        (costly, "a query too costly"),
        (
            "{ units { position ".to_owned(),
            "a query that does not parse",
        ),
    ] {
        let (_, answer) = graphql(addr, Some(server.token(Role::Secretariat)), &query).await;
        assert_eq!(codes(&answer), ["BAD_USER_INPUT"], "{what}: {answer}");
    }
    assert_eq!(server.head().await, before, "refused input wrote something");

    // An idempotency key: a repeat is answered from the log, another request refused.
    let register = |id: &str| {
        format!(
            r#"mutation {{ registerUnit(input: {{ id: "{id}", kind: STATE_BODY, name: "Đơn vị", establishedOn: "2026-11-30" }}, idempotencyKey: "http-1") {{ lastPosition replayed }} }}"#
        )
    };
    let secretariat = server.token(Role::Secretariat);
    let (_, first) = graphql(addr, Some(secretariat), &register("don-vi-key")).await;
    assert!(codes(&first).is_empty(), "{first}");
    let written = server.head().await;
    let (_, again) = graphql(addr, Some(secretariat), &register("don-vi-key")).await;
    assert_eq!(again["data"]["registerUnit"]["replayed"], true, "{again}");
    let (_, other) = graphql(addr, Some(secretariat), &register("don-vi-khac")).await;
    assert_eq!(codes(&other), ["IDEMPOTENCY_KEY_REUSED"], "{other}");
    assert_eq!(server.head().await, written);

    // Free text typed with combining marks is stored NFC (normalised, not refused).
    let decomposed = "Ba\u{0300}n Pha\u{0301}p che\u{0302}\u{0301}";
    let query = format!(
        "mutation {{ registerUnit(input: {{ id: \"ban-nfd\", kind: STATE_BODY, name: \"{decomposed}\", establishedOn: \"2026-11-30\" }}) {{ lastPosition }} }}"
    );
    let (_, answer) = graphql(addr, Some(server.token(Role::Secretariat)), &query).await;
    assert!(codes(&answer).is_empty(), "{answer}");
    let (_, answer) = graphql(
        addr,
        Some(server.token(Role::Supervisor)),
        r#"{ unit(id: "ban-nfd") { name } }"#,
    )
    .await;
    assert_eq!(answer["data"]["unit"]["name"], "Bàn Pháp chế", "{answer}");
    server.stop().await;
}

/// Tiles fetched over HTTP, for `tlog_tiles`' own client (`TileHashReader`), which checks
/// every tile against the signed root before handing out a hash.
struct Fetched(std::collections::HashMap<String, Vec<u8>>);

impl tlog_tiles::TileReader for Fetched {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                self.0
                    .get(&t.path().replacen("tile/8/", "tile/", 1))
                    .cloned()
                    .ok_or(tlog_tiles::Error::InvalidTile)
            })
            .collect()
    }
    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

/// A transparency-log client following the ledger as C2SP tlog-tiles: the checkpoint, the
/// hash tiles (checked against the signed root by `tlog_tiles`), the entry bundles (each
/// entry's hash is the leaf the tiles hold), and 404 beyond the signed tree.
async fn serves_tlog_tiles<B: ServerBackend>() {
    let server = run_demo::<B>().await;
    let addr = server.addr;
    let (status, _) = http(addr, "GET", "/log/checkpoint", &[], b"").await;
    assert_eq!(status, 404, "nothing signed yet");
    let (_, answer) = graphql(
        addr,
        Some(server.token(Role::Secretariat)),
        "mutation { signCheckpoint { size } }",
    )
    .await;
    assert_eq!(answer["data"]["signCheckpoint"]["size"], 509, "{answer}");
    let (status, note) = http(addr, "GET", "/log/checkpoint", &[], b"").await;
    assert_eq!(status, 200);
    let opened =
        ledger_proof::checkpoint::open(&note, "ledger.test/de-an-10", &[&server.log_key]).unwrap();
    assert_eq!(opened.size, 509);

    // 509 leaves: level-0 tiles 000 (256) and 001.p/253; level 1: 000.p/1.
    let mut fetched = std::collections::HashMap::new();
    for path in ["tile/0/000", "tile/0/001.p/253", "tile/1/000.p/1"] {
        let (status, body) = http_bytes(addr, &format!("/log/{path}")).await;
        assert_eq!(status, 200, "{path}");
        fetched.insert(path.to_owned(), body);
    }
    let tiles = Fetched(fetched);
    let reader = tlog_tiles::TileHashReader::new(509, opened.root, &tiles);
    let root = tlog_tiles::tree_hash(509, &reader).unwrap();
    assert_eq!(root, opened.root);
    let leaves = tlog_tiles::HashReader::read_hashes(
        &reader,
        &(0..509)
            .map(|i| tlog_tiles::stored_hash_index(0, i))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut entries = Vec::new();
    for path in ["tile/entries/000", "tile/entries/001.p/253"] {
        let (status, body) = http_bytes(addr, &format!("/log/{path}")).await;
        assert_eq!(status, 200, "{path}");
        let mut rest = body.as_slice();
        while rest.len() >= 2 {
            let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            entries.push(rest[2..2 + n].to_vec());
            rest = &rest[2 + n..];
        }
    }
    assert_eq!(entries.len(), 509);
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(ledger_proof::leaf_hash(entry), leaves[i], "entry {i}");
    }
    for path in [
        "tile/0/002",
        "tile/0/001",
        "tile/2/000.p/1",
        "tile/entries/001.p/254",
        "tile/x",
        // Paths that made `tlog_tiles` panic or wrap: width 0, levels past the tree or 63.
        "tile/0/000.p/0",
        "tile/64/000",
        "tile/255/000",
        "tile/8/000",
        "tile/9/000.p/1",
        "tile/16/000",
        "tile/63/000.p/1",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "tile/entries/000.p/0",
    ] {
        let (status, _) = http_bytes(addr, &format!("/log/{path}")).await;
        assert_eq!(status, 404, "{path}");
    }
    server.stop().await;
}

/// GET returning the raw body bytes (tiles are binary).
async fn http_bytes(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "tiles come with a length"
    );
    (status, body)
}

/// A projector stopped by a failure that would repeat (here an event it cannot project,
/// written behind the command path's back) makes `/readyz` answer 503 with the reason; it
/// answered 200 while answers fell behind.
async fn readiness_says_when_the_projector_stopped<B: ServerBackend>() {
    use ledger_store::{Actor, AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
    let server = run_demo::<B>().await;
    let (status, _) = http(server.addr, "GET", "/readyz", &[], b"").await;
    assert_eq!(status, 200);
    let mut health = server.projector.health_changes();
    let unknown = AppendRequest::single(
        "nv-unknown",
        "task",
        ExpectedVersion::Any,
        vec![NewEvent::new("TaskTeleported", json!({}))],
        Metadata::new(Actor {
            subject: "dba".into(),
            display_name: "Quản trị".into(),
            role: "secretariat".into(),
        }),
    );
    server.backend.store().append(unknown).await.unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        health.wait_for(|h| matches!(h, ledger_projections::Health::Stopped { .. })),
    )
    .await
    .unwrap()
    .unwrap();
    let (status, body) = http(server.addr, "GET", "/readyz", &[], b"").await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["ready"], false);
    assert_eq!(body["projector"]["state"], "stopped");
    assert_eq!(body["lag"], 1, "{body}");
    assert!(
        body["reasons"][0]
            .as_str()
            .unwrap()
            .contains("TaskTeleported"),
        "{body}"
    );
    server.stop().await;
}

mod sqlite {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_the_demo_over_http() {
        super::serves_the_demo_over_http::<Sqlite>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn roles_and_bad_input_over_http() {
        super::roles_and_bad_input_over_http::<Sqlite>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_tlog_tiles() {
        super::serves_tlog_tiles::<Sqlite>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readiness_says_when_the_projector_stopped() {
        super::readiness_says_when_the_projector_stopped::<Sqlite>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscriptions_end() {
        super::subscriptions_end::<Sqlite>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscriptions_and_trusted_documents() {
        super::subscriptions_and_trusted_documents::<Sqlite>().await;
    }
}

mod postgres {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_the_demo_over_http() {
        super::serves_the_demo_over_http::<Postgres>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn roles_and_bad_input_over_http() {
        super::roles_and_bad_input_over_http::<Postgres>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_tlog_tiles() {
        super::serves_tlog_tiles::<Postgres>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readiness_says_when_the_projector_stopped() {
        super::readiness_says_when_the_projector_stopped::<Postgres>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscriptions_end() {
        super::subscriptions_end::<Postgres>().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscriptions_and_trusted_documents() {
        super::subscriptions_and_trusted_documents::<Postgres>().await;
    }
}
