//! Subscriptions over WebSocket (`graphql-transport-ws`, and the older `graphql-ws`), with what
//! the HTTP side has too: messages no larger than a request body, a token that must verify, and
//! an end. A subscription is closed when the server stops (code 1001, going away) and when its
//! token expires (4403, as the protocol closes unauthorised sockets): a revoked or expired
//! token does not keep a feed open.

use std::time::Duration;

use async_graphql::http::{WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, future};
use tokio::sync::watch;

use crate::AppState;

/// Serves one subscription socket until the client leaves, the server stops or the token
/// expires.
pub async fn serve(socket: WebSocket, state: AppState, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    // Why the client's side ended, when it ended in an error (a message over the limit).
    let broken = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let input = stream
        .take_while({
            let broken = broken.clone();
            move |message| {
                if let Err(e) = message
                    && let Ok(mut broken) = broken.lock()
                {
                    *broken = Some(e.to_string());
                }
                future::ready(message.is_ok())
            }
        })
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let (expiry_tx, mut expiry) = watch::channel(None::<i64>);
    let keys = state.keys.clone();
    let mut output = async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol)
        .on_connection_init(move |payload| async move {
            let mut data = async_graphql::Data::default();
            let header = payload
                .get("Authorization")
                .or_else(|| payload.get("authorization"))
                .and_then(|v| v.as_str());
            if let Some(header) = header {
                let (principal, exp) = keys
                    .verify_header_until(header)
                    .map_err(|e| async_graphql::Error::new(e.to_string()))?;
                let _ = expiry_tx.send(Some(exp));
                data.insert(principal);
            }
            Ok(data)
        });
    let mut closing = state.closing.clone();
    let expired = async move {
        let exp = loop {
            if let Some(exp) = *expiry.borrow_and_update() {
                break exp;
            }
            if expiry.changed().await.is_err() {
                // Anonymous: no token to expire.
                std::future::pending::<()>().await;
            }
        };
        let left = exp.saturating_sub(chrono::Utc::now().timestamp()).max(0);
        tokio::time::sleep(Duration::from_secs(u64::try_from(left).unwrap_or(0))).await;
    };
    tokio::pin!(expired);
    let close = loop {
        tokio::select! {
            message = output.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => break (code, reason),
                None => match broken.lock().ok().and_then(|mut b| b.take()) {
                    // A message over the limit: say so (1009), as RFC 6455 has it.
                    Some(e) if e.contains("too long") || e.contains("too big") || e.contains("capacity") => {
                        break (1009, format!("a message is limited to {} bytes; tin nhắn tối đa {} byte", crate::MAX_BODY_BYTES, crate::MAX_BODY_BYTES));
                    }
                    Some(_) => break (1002, "the WebSocket stream broke; kết nối bị lỗi".to_owned()),
                    None => return,
                },
            },
            () = async { drop(closing.wait_for(|c| *c).await) } => {
                break (1001, "the server is stopping; máy chủ đang dừng".to_owned());
            }
            () = &mut expired => {
                break (4403, "the token has expired; phiên đăng nhập đã hết hạn".to_owned());
            }
        }
    };
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: close.0,
            reason: close.1.into(),
        })))
        .await;
    let _ = sink.close().await;
}
