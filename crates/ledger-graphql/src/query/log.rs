//! The log itself: how far the read models are behind it, proofs that an event is in it and
//! that it only grew, and checkpoints signed by the ledger and cosigned by witnesses.

use std::sync::Arc;

use async_graphql::{Context, Object, Result, SimpleObject};
use ledger_store::EventStore;

use super::paging::{DEFAULT_PAGE, count};
use super::require_reader;
use crate::Api;
use crate::answers::Pin;
use crate::error::{Code, coded_vi, from_read, internal};

/// How far the read models are behind the log.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct Checkpoint {
    /// The read models' position.
    pub position: u64,
    /// The log's size.
    pub head: u64,
    /// Events not yet reflected in answers.
    pub lag: u64,
}

/// Marks the request's answer as not to be shared with other callers: it reads the log or
/// the checkpoint table as they are now, apart from the request's position.
fn volatile(ctx: &Context<'_>) {
    if let Some(pin) = ctx.data_opt::<Arc<Pin>>() {
        pin.volatile();
    }
}

/// The tree size a proof is for when none is asked: the position the request reads (its pin),
/// else the read models' checkpoint.
async fn default_size(ctx: &Context<'_>, size: Option<u64>) -> Result<u64> {
    if let Some(size) = size {
        return Ok(size);
    }
    if let Some(pin) = ctx.data_opt::<Arc<Pin>>() {
        return Ok(pin.position());
    }
    let api = ctx.data::<Api>()?;
    Ok(api.read_db.live().await.map_err(from_read)?.position)
}

/// The log's questions.
#[derive(Default)]
pub struct LogQuery;

#[Object]
impl LogQuery {
    /// How far the read models are behind the log.
    async fn checkpoint(&self, ctx: &Context<'_>) -> Result<Checkpoint> {
        require_reader(ctx, true)?;
        volatile(ctx);
        let api = ctx.data::<Api>()?;
        let head = api.store.head().await.map_err(|e| internal(&e))?.size;
        let position = api.read_db.live().await.map_err(from_read)?.position;
        Ok(Checkpoint {
            position,
            head,
            lag: head.saturating_sub(position),
        })
    }

    /// The inclusion proof of the event at `position` in the tree of `size` events (default:
    /// the position this request reads); check it with `ledger verify` or any RFC 9162
    /// verifier against a signed checkpoint of that size.
    async fn inclusion_proof(
        &self,
        ctx: &Context<'_>,
        position: u64,
        size: Option<u64>,
    ) -> Result<crate::proofs::InclusionProof> {
        require_reader(ctx, true)?;
        let api = ctx.data::<Api>()?;
        let size = default_size(ctx, size).await?;
        crate::proofs::inclusion(&api.store, position, size).await
    }

    /// The consistency proof that the first `from` events are a prefix of the first `to`
    /// (default: the position this request reads).
    async fn consistency_proof(
        &self,
        ctx: &Context<'_>,
        from: u64,
        to: Option<u64>,
    ) -> Result<crate::proofs::ConsistencyProof> {
        require_reader(ctx, true)?;
        let api = ctx.data::<Api>()?;
        let to = default_size(ctx, to).await?;
        crate::proofs::consistency(&api.store, from, to).await
    }

    /// A checkpoint of the first `size` events (default: the position this request reads),
    /// signed now by this ledger's key.
    async fn signed_checkpoint(
        &self,
        ctx: &Context<'_>,
        size: Option<u64>,
    ) -> Result<crate::proofs::SignedCheckpoint> {
        require_reader(ctx, true)?;
        let api = ctx.data::<Api>()?;
        let Some(key) = api.checkpoint_key.get() else {
            return Err(coded_vi(
                Code::NotFound,
                "this server signs no checkpoints (start it with --checkpoint-key)",
                "máy chủ này không ký điểm kiểm (khởi động với --checkpoint-key)",
            ));
        };
        let size = default_size(ctx, size).await?;
        crate::proofs::sign(&api.store, key, size).await
    }

    /// The checkpoints kept, largest size first: each note as the ledger signed it and as
    /// witnesses cosigned it (`ledger verify --checkpoint` reads a note).
    async fn checkpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<crate::checkpoints::StoredCheckpoint>> {
        require_reader(ctx, true)?;
        volatile(ctx);
        let first = count("first", Some(first))?.unwrap_or(DEFAULT_PAGE);
        let api = ctx.data::<Api>()?;
        crate::checkpoints::list(&api.store, first)
            .await
            .map_err(|e| internal(&e))
    }
}
