//! Subscriptions over WebSocket (`graphql-transport-ws`, and the older `graphql-ws`), with what
//! the HTTP side has too: messages no larger than a request body, a token that must verify, and
//! an end. A subscription is closed when the server stops (code 1001, going away) and when its
//! token expires (4403, as the protocol closes unauthorised sockets): a revoked or expired
//! token does not keep a feed open. With trusted documents on, a subscription's document must
//! be trusted too (by text or hash, as over HTTP): another one closes the socket (4403).

use std::time::Duration;

use async_graphql::http::{WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, future};
use tokio::sync::watch;

use crate::AppState;
use crate::trusted::TrustedDocuments;
use ledger_graphql::auth::Role;

/// A client message with trusted documents on: a `subscribe` (or `start`) whose document is
/// trusted passes, its text filled in when only its hash was sent; other messages pass as
/// they are. The error is the close reason (the refusal's `extensions.code`).
fn admit(trusted: &TrustedDocuments, role: Option<Role>, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let Ok(mut message) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(bytes.to_vec());
    };
    if !matches!(message["type"].as_str(), Some("subscribe" | "start")) {
        return Ok(bytes.to_vec());
    }
    let mut request: async_graphql::Request = serde_json::from_value(message["payload"].clone())
        .map_err(|_| {
            "a subscription's payload must be a GraphQL request; yêu cầu không hợp lệ".to_owned()
        })?;
    trusted
        .admit(&mut request, role)
        // A close reason holds at most 123 bytes: the code says it.
        .map_err(|not| not.refusal().0.to_owned())?;
    message["payload"]["query"] = serde_json::Value::String(request.query);
    serde_json::to_vec(&message).map_err(|_| "internal error; lỗi hệ thống".to_owned())
}

/// Serves one subscription socket until the client leaves, the server stops or the token
/// expires.
pub async fn serve(socket: WebSocket, state: AppState, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    // The caller's role once `connection_init` names it, and why a document was refused.
    let (role_tx, role) = watch::channel(None::<Role>);
    let (refused_tx, mut refused) = watch::channel(None::<String>);
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
        .filter_map({
            let (trusted, role) = (state.trusted.clone(), role.clone());
            let refused = refused_tx;
            move |message| {
                future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        let bytes = message.into_data();
                        match &trusted {
                            None => Some(bytes),
                            Some(trusted) => match admit(trusted, *role.borrow(), &bytes) {
                                Ok(bytes) => Some(bytes.into()),
                                Err(why) => {
                                    let _ = refused.send(Some(why));
                                    None
                                }
                            },
                        }
                    }
                    _ => None,
                })
            }
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
                let _ = role_tx.send(Some(principal.role));
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
            () = async { drop(refused.wait_for(Option::is_some).await) } => {
                let why = refused.borrow().clone().unwrap_or_default();
                break (4403, why);
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
