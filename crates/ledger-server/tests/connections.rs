//! Connections that cost the server without asking anything: a client that never finishes its
//! headers, one that keeps a connection open and idle, one that sends a huge head. Each is
//! closed or refused after a bounded time, while the server keeps answering others.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use ledger_graphql::auth::Keys;
use ledger_server::{Ledger, open_store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The test's token keys.
fn keys() -> Keys {
    Keys::hs256(b"a test secret long enough for HS256!")
}

/// A server on an empty SQLite ledger, set up by `with`, on a free port.
struct Running {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    async fn start(with: impl FnOnce(Ledger) -> Ledger) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(&format!("sqlite://{}", dir.path().join("l.db").display()))
            .await
            .unwrap();
        let ledger = with(Ledger::start(store, keys(), false, true));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(ledger.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop,
            server,
            _dir: dir,
        }
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.server.await.unwrap().unwrap();
    }
}

/// Reads until the server closes the connection; the bytes read and how long it took.
async fn until_closed(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the server closed the connection");
    (seen, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_idle_and_oversized_connections_are_closed() {
    let running = Running::start(|l| l.with_header_read_timeout(Duration::from_secs(1))).await;
    let addr = running.addr;

    // Headers that never end.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // A connection kept alive after one answer, then idle.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // A connection that sends nothing at all.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let (answer, _) = until_closed(&mut idle).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let (_, waited) = until_closed(&mut slow).await;
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    let (_, waited) = until_closed(&mut silent).await;
    assert!(waited < Duration::from_secs(10), "{waited:?}");

    // A head over the limit is refused (431), not buffered without end.
    let mut huge = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(ledger_server::http::MAX_HEAD_BYTES)
    );
    let _ = huge.write_all(head.as_bytes()).await;
    let (answer, _) = until_closed(&mut huge).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // Meanwhile others are answered.
    let mut other = TcpStream::connect(addr).await.unwrap();
    other
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut other).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    running.stop().await;
}

/// When every answering slot is taken, GraphQL requests wait a bounded time and are refused
/// with 503 and `Retry-After`, coded; health never waits for a slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_says_so_and_stays_healthy() {
    let running = Running::start(|l| l.with_concurrent_answers(0)).await;
    let addr = running.addr;
    let body = r#"{"query":"{ checkpoint { head } }"}"#;
    let mut busy = TcpStream::connect(addr).await.unwrap();
    busy.write_all(
        format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut health = TcpStream::connect(addr).await.unwrap();
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut health).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    let (answer, _) = until_closed(&mut busy).await;
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("server_busy"), "{answer}");
    running.stop().await;
}

/// POSTs `body` as JSON with an optional token; the raw answer.
async fn post(addr: std::net::SocketAddr, token: Option<&str>, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    stream
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut stream).await;
    String::from_utf8(answer).unwrap()
}

/// With trusted documents on, a role not allowed ad-hoc documents gets the published ones,
/// by text or by hash, and a coded 403 for anything else; `GET /graphql/documents` lists them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_documents_only() {
    use ledger_graphql::auth::{Principal, Role};
    use ledger_server::trusted::{TrustedDocuments, hash};
    let running = Running::start(|l| {
        l.with_trusted_documents(
            TrustedDocuments::cookbook().with_ad_hoc_roles(vec![Role::Inspector]),
        )
    })
    .await;
    let addr = running.addr;
    let keys = keys();
    let token = |role: Role| {
        keys.issue(
            &Principal {
                subject: "t".into(),
                name: "T".into(),
                role,
                unit: Some("so-tu-phap".parse().unwrap()),
            },
            600,
        )
        .unwrap()
    };
    let question = ledger_graphql::cookbook()
        .into_iter()
        .find(|q| q.role == Role::Supervisor)
        .unwrap();
    let supervisor = token(Role::Supervisor);
    let by_text = post(
        addr,
        Some(&supervisor),
        &serde_json::json!({ "query": question.query }).to_string(),
    )
    .await;
    assert!(by_text.starts_with("HTTP/1.1 200"), "{by_text}");
    let by_hash = post(
        addr,
        Some(&supervisor),
        &serde_json::json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash(&question.query) } } }).to_string(),
    )
    .await;
    assert!(by_hash.starts_with("HTTP/1.1 200"), "{by_hash}");
    let ad_hoc = serde_json::json!({ "query": "{ checkpoint { head } }" }).to_string();
    for caller in [Some(supervisor.as_str()), None] {
        let refused = post(addr, caller, &ad_hoc).await;
        assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
        assert!(refused.contains("TRUSTED_DOCUMENTS_ONLY"), "{refused}");
        assert!(refused.contains("messageVi"), "{refused}");
    }
    let inspector = post(addr, Some(&token(Role::Inspector)), &ad_hoc).await;
    assert!(inspector.starts_with("HTTP/1.1 200"), "{inspector}");
    let unknown = post(
        addr,
        Some(&supervisor),
        r#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}"#,
    )
    .await;
    assert!(unknown.contains("PERSISTED_QUERY_NOT_FOUND"), "{unknown}");
    let mut list = TcpStream::connect(addr).await.unwrap();
    list.write_all(b"GET /graphql/documents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (listed, _) = until_closed(&mut list).await;
    let listed = String::from_utf8(listed).unwrap();
    assert!(listed.contains(&hash(&question.query)), "{listed}");
    running.stop().await;
}
