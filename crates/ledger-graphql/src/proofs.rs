//! Proofs and checkpoints over GraphQL: what a citizen or an inspector needs to check, offline
//! and without trusting this server, that an event is in the log and that the log only grew
//! (`docs/verification.md`). Hashes are lowercase hex.

use async_graphql::{Result, SimpleObject};
use ledger_proof::{Hash, Stored};
use ledger_store::EventStore;
use ledger_store::envelope::hash_hex::to_hex;

use crate::error::{Code, coded_vi, internal};
use ledger_store::DynStore;

/// An inclusion proof (RFC 9162 §2.1.3): the event at `position` is leaf `position − 1` of the
/// tree of `size` events whose root is `root`.
#[derive(Debug, Clone, SimpleObject)]
pub struct InclusionProof {
    /// The event's position.
    pub position: u64,
    /// The tree size the proof is for (a checkpoint's size).
    pub size: u64,
    /// The event's leaf hash.
    pub leaf_hash: String,
    /// The root of the tree of `size` events.
    pub root: String,
    /// The audit path, from the leaf's sibling upwards.
    pub path: Vec<String>,
}

/// A consistency proof (RFC 9162 §2.1.4): the tree of `from` events is a prefix of the tree of
/// `to` events.
#[derive(Debug, Clone, SimpleObject)]
pub struct ConsistencyProof {
    /// The earlier size.
    pub from: u64,
    /// The later size.
    pub to: u64,
    /// The root of the first `from` events.
    pub from_root: String,
    /// The root of the first `to` events.
    pub to_root: String,
    /// The proof's hashes.
    pub path: Vec<String>,
}

/// A checkpoint signed by this ledger's key: a C2SP signed note over the tree's size and root.
#[derive(Debug, Clone, SimpleObject)]
pub struct SignedCheckpoint {
    /// The log's name on the checkpoint.
    pub origin: String,
    /// Tree size (events).
    pub size: u64,
    /// Root (hex).
    pub root: String,
    /// The signed note, as `ledger verify --checkpoint` reads it.
    pub note: String,
}

fn hexes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(to_hex).collect()
}

fn bad(e: &ledger_proof::ProofError) -> async_graphql::Error {
    coded_vi(
        Code::BadUserInput,
        e.to_string(),
        format!("không lập được bằng chứng: {e}"),
    )
}

/// Reads the stored hashes at `indexes` (one query).
async fn stored(store: &DynStore, indexes: Vec<u64>) -> Result<Stored> {
    let hashes = store
        .stored_hashes(&indexes)
        .await
        .map_err(|e| internal(&e))?;
    Ok(indexes.into_iter().zip(hashes).collect())
}

/// Checks that `size` is within the log (1..=head).
async fn within(store: &DynStore, name: &str, size: u64) -> Result<()> {
    let head = store.head().await.map_err(|e| internal(&e))?.size;
    if size == 0 || size > head {
        return Err(coded_vi(
            Code::BadUserInput,
            format!("{name}: {size} is not a tree size of this log (1 to {head})"),
            format!("{name}: {size} không phải kích thước cây của nhật ký này (1 đến {head})"),
        ));
    }
    Ok(())
}

/// The inclusion proof of the event at `position` in the tree of `size` events.
pub async fn inclusion(store: &DynStore, position: u64, size: u64) -> Result<InclusionProof> {
    within(store, "size", size).await?;
    if position == 0 || position > size {
        return Err(coded_vi(
            Code::BadUserInput,
            format!("position: {position} is not in a tree of {size} events"),
            format!("position: vị trí {position} không nằm trong cây {size} sự kiện"),
        ));
    }
    let index = position - 1;
    let path_indexes = ledger_proof::inclusion_indexes(index, size).map_err(|e| bad(&e))?;
    let root_indexes = ledger_proof::root_indexes(size).map_err(|e| bad(&e))?;
    let leaf_index = tlog_leaf(index);
    let mut all: Vec<u64> = path_indexes.iter().chain(&root_indexes).copied().collect();
    all.push(leaf_index);
    all.sort_unstable();
    all.dedup();
    let hashes = stored(store, all).await?;
    let path = ledger_proof::inclusion_proof(index, size, &hashes).map_err(|e| bad(&e))?;
    let root = ledger_proof::proof::root(size, &hashes).map_err(|e| bad(&e))?;
    let leaf = hashes
        .0
        .get(&leaf_index)
        .copied()
        .ok_or_else(|| internal(&"the leaf hash was not read"))?;
    Ok(InclusionProof {
        position,
        size,
        leaf_hash: to_hex(&leaf),
        root: to_hex(&root),
        path: hexes(&path),
    })
}

/// The stored-hash index of leaf `index` (its level-0 hash).
#[must_use]
pub fn tlog_leaf(index: u64) -> u64 {
    tlog_tiles::stored_hash_index(0, index)
}

/// The consistency proof from the tree of `from` events to the tree of `to` events.
pub async fn consistency(store: &DynStore, from: u64, to: u64) -> Result<ConsistencyProof> {
    within(store, "to", to).await?;
    if from > to {
        return Err(coded_vi(
            Code::BadUserInput,
            format!("from: {from} is beyond to ({to})"),
            format!("from: {from} lớn hơn to ({to})"),
        ));
    }
    let mut all = ledger_proof::consistency_indexes(from, to).map_err(|e| bad(&e))?;
    all.extend(ledger_proof::root_indexes(from).map_err(|e| bad(&e))?);
    all.extend(ledger_proof::root_indexes(to).map_err(|e| bad(&e))?);
    all.sort_unstable();
    all.dedup();
    let hashes = stored(store, all).await?;
    let path = ledger_proof::consistency_proof(from, to, &hashes).map_err(|e| bad(&e))?;
    Ok(ConsistencyProof {
        from,
        to,
        from_root: to_hex(&ledger_proof::proof::root(from, &hashes).map_err(|e| bad(&e))?),
        to_root: to_hex(&ledger_proof::proof::root(to, &hashes).map_err(|e| bad(&e))?),
        path: hexes(&path),
    })
}

/// The leaf hashes of the events at `positions` (as the tree holds them).
pub async fn leaves(store: &DynStore, positions: &[u64]) -> Result<Vec<String>> {
    let indexes: Vec<u64> = positions
        .iter()
        .map(|p| tlog_leaf(p.saturating_sub(1)))
        .collect();
    let hashes = store
        .stored_hashes(&indexes)
        .await
        .map_err(|e| internal(&e))?;
    Ok(hexes(&hashes))
}

/// Signs the tree of `size` events with `key` (a private key in the signed-note form); the
/// origin is the key's name.
pub async fn sign(store: &DynStore, key: &str, size: u64) -> Result<SignedCheckpoint> {
    let root = if size == 0 {
        tlog_tiles::EMPTY_HASH
    } else {
        within(store, "size", size).await?;
        let hashes = stored(
            store,
            ledger_proof::root_indexes(size).map_err(|e| bad(&e))?,
        )
        .await?;
        ledger_proof::proof::root(size, &hashes).map_err(|e| bad(&e))?
    };
    let origin = ledger_proof::checkpoint::key_name(key).map_err(|e| internal(&e))?;
    let note =
        ledger_proof::checkpoint::sign(&origin, size, root, key).map_err(|e| internal(&e))?;
    Ok(SignedCheckpoint {
        origin,
        size,
        root: to_hex(&root),
        note,
    })
}
