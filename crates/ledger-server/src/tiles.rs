//! The log as C2SP `tlog-tiles`, so transparency-log witnesses and monitors can follow it with
//! their own code: `GET /log/checkpoint` (the latest checkpoint kept, with its cosignatures),
//! `GET /log/tile/<L>/<N>[.p/<W>]` (hash tiles of height 8) and
//! `GET /log/tile/entries/<N>[.p/<W>]` (entry bundles: each event's canonical bytes, the bytes
//! its leaf hash is computed from, with a big-endian 16-bit length).
//!
//! Tiles are served for the tree the latest kept checkpoint signs, so what a client fetches
//! always matches a signed root. The tile arithmetic and the hash-tile bytes are
//! `tlog_tiles`' (its sumdb-style paths carry the height, fixed at 8 here).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ledger_store::{EventStore, ReadAll};
use tlog_tiles::Tile;

use crate::AppState;

/// Tile height: 256 hashes a tile.
const HEIGHT: u8 = 8;

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

/// `GET /log/tile/...`.
pub async fn tile(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let (entries, rest) = match path.strip_prefix("entries/") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, path.clone()),
    };
    // tlog_tiles parses sumdb paths (tile/<H>/<L>/<N>); entry bundles are its data tiles.
    let sumdb = if entries {
        format!("tile/{HEIGHT}/data/{rest}")
    } else {
        format!("tile/{HEIGHT}/{rest}")
    };
    let Ok(tile) = Tile::from_path(&sumdb) else {
        return not_found(format!("not a tile path: tile/{path}"));
    };
    let size = match latest(&state).await {
        Ok(Some((size, _))) => size,
        Ok(None) => return not_found("no checkpoint has been signed yet".to_owned()),
        Err(response) => return response,
    };
    // The tile must lie within the signed tree: `width` hashes from `start` at its level.
    let level_size = size >> (u32::from(HEIGHT) * u32::from(tile.level()));
    let start = tile.level_index() << HEIGHT;
    let width = u64::from(tile.width());
    if start + width > level_size {
        return not_found(format!(
            "tile/{path} is beyond the tree of {size} events the latest checkpoint signs"
        ));
    }
    let full = width == 1 << HEIGHT;
    let body = if entries {
        match bundle(&state, start, width).await {
            Ok(body) => body,
            Err(response) => return response,
        }
    } else {
        let indexes: Vec<u64> = (0..width)
            .map(|i| tlog_tiles::stored_hash_index(HEIGHT * tile.level(), start + i))
            .collect();
        let hashes = match state.store.stored_hashes(&indexes).await {
            Ok(hashes) => hashes,
            Err(e) => return failed(e),
        };
        let stored: ledger_proof::Stored = indexes.into_iter().zip(hashes).collect();
        match tile.read_data(&stored) {
            Ok(data) => data,
            Err(e) => return failed(e),
        }
    };
    // Full tiles never change; partial ones grow into longer ones under other paths.
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CACHE_CONTROL,
                if full {
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
        let Ok(length) = u16::try_from(bytes.len()) else {
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the event at position {} is {} bytes, beyond the 65,535 an entry bundle holds; read it with ledger export",
                    event.position,
                    bytes.len()
                ),
            )
                .into_response());
        };
        body.extend_from_slice(&length.to_be_bytes());
        body.extend_from_slice(&bytes);
    }
    Ok(body)
}
