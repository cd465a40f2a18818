//! The log as C2SP `tlog-tiles`, so transparency-log witnesses and monitors can follow it with
//! their own code: `GET /log/checkpoint` (the latest checkpoint kept, with its cosignatures),
//! `GET /log/tile/<L>/<N>[.p/<W>]` (hash tiles of height 8) and
//! `GET /log/tile/entries/<N>[.p/<W>]` (entry bundles: each event's canonical bytes, the bytes
//! its leaf hash is computed from, with a big-endian 16-bit length).
//!
//! Tiles are served for the tree the latest kept checkpoint signs, so what a client fetches
//! always matches a signed root. Paths are parsed and bound-checked by `ledger_proof::tile`;
//! the stored-hash layout is `tlog_tiles`'. Every event's canonical form is at most 65,535
//! bytes (the store refuses larger ones), so every entry fits its bundle's 16-bit length.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ledger_proof::tile::{FULL_WIDTH, TileKind, TilePath};
use ledger_store::{EventStore, ReadAll};

use crate::AppState;

fn not_found(message: String) -> Response {
    (StatusCode::NOT_FOUND, message).into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a tile could not be served");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// The latest checkpoint kept (largest size, most signatures): its size and note.
async fn latest(state: &AppState) -> Result<Option<(u64, String)>, Response> {
    let kept = ledger_graphql::checkpoints::list(&state.store, 1)
        .await
        .map_err(failed)?;
    Ok(kept.into_iter().next().map(|c| (c.size, c.note)))
}

/// `GET /log/checkpoint`.
pub async fn checkpoint(State(state): State<AppState>) -> Response {
    match latest(&state).await {
        Ok(Some((_, note))) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            note,
        )
            .into_response(),
        Ok(None) => not_found("no checkpoint has been signed yet".to_owned()),
        Err(response) => response,
    }
}

/// `GET /log/tile/...`: the path is parsed and placed in the signed tree by
/// [`ledger_proof::tile`], with every bound checked, before anything is read; anything outside
/// the grammar or the tree is a 404.
pub async fn tile(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let Some(tile) = TilePath::parse(&path) else {
        return not_found(format!("not a tile path: tile/{path}"));
    };
    let size = match latest(&state).await {
        Ok(Some((size, _))) => size,
        Ok(None) => return not_found("no checkpoint has been signed yet".to_owned()),
        Err(response) => return response,
    };
    let Some(placed) = tile.within(size) else {
        return not_found(format!(
            "tile/{path} is beyond the tree of {size} events the latest checkpoint signs"
        ));
    };
    let body = match tile.kind {
        TileKind::Entries => match bundle(&state, placed.start, tile.width).await {
            Ok(body) => body,
            Err(response) => return response,
        },
        TileKind::Hash { .. } => match state.store.stored_hashes(&placed.hash_indexes()).await {
            Ok(hashes) => hashes.iter().flat_map(|h| h.0).collect(),
            Err(e) => return failed(e),
        },
    };
    // Full tiles never change; partial ones grow into longer ones under other paths.
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CACHE_CONTROL,
                if tile.width == FULL_WIDTH {
                    "public, max-age=31536000, immutable"
                } else {
                    "public, max-age=60"
                },
            ),
        ],
        body,
    )
        .into_response()
}

/// The canonical bytes of the events at leaf indexes `start..start + width`, each after its
/// length as a big-endian u16.
async fn bundle(state: &AppState, start: u64, width: u64) -> Result<Vec<u8>, Response> {
    let limit = usize::try_from(width).map_err(failed)?;
    let events = state
        .store
        .read_all(&ReadAll::after(start, limit))
        .await
        .map_err(failed)?;
    let mut body = Vec::new();
    for event in events.iter().take(limit) {
        let bytes = event.canonical_bytes().map_err(failed)?;
        // The store keeps events within 65,535 canonical bytes; a larger one was not written
        // by this ledger.
        let length = u16::try_from(bytes.len()).map_err(|_| {
            failed(format!(
                "the event at position {} is {} bytes, beyond the 65,535 an entry bundle holds",
                event.position,
                bytes.len()
            ))
        })?;
        body.extend_from_slice(&length.to_be_bytes());
        body.extend_from_slice(&bytes);
    }
    Ok(body)
}
