//! The benches' HTTP client: one GraphQL query a connection, as a browser without keep-alive.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POSTs `query` (with a bearer `token`, if any); answers the status and the body.
pub async fn post(addr: std::net::SocketAddr, token: Option<&str>, query: &str) -> (u16, String) {
    let body = serde_json::json!({ "query": query }).to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         {auth}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

/// A server under test in this process, once its read models have caught up with the log.
pub struct Served {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// Serves `ledger` over `store` on a free port, after its projector reached the head.
    pub async fn start(
        ledger: ledger_server::Ledger,
        store: &ledger_server::store::AnyStore,
    ) -> Self {
        use ledger_store::EventStore;
        let head = store.head().await.unwrap().size;
        ledger
            .state
            .projector
            .wait_for(head, std::time::Duration::from_secs(3600))
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(ledger.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self { addr, stop, server }
    }

    /// Stops it and waits until it has.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.server.await.unwrap().unwrap();
    }
}
