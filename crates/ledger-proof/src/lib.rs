//! Canonical encoding and Merkle hashing for the progress ledger.
//!
//! Everything an outside verifier needs to recompute the ledger's hashes lives here, with no IO
//! and no async: the RFC 8785 (JCS) canonical form of an event and the I-JSON profile every
//! stored value must satisfy ([`canonical`]), and the RFC 9162 Merkle tree over the leaves, kept
//! in the stored-hash layout of Go's sumdb `tlog` through the `tlog_tiles` crate ([`merkle`]),
//! and its inclusion and consistency proofs, made and checked with every bound checked
//! ([`proof`]), and the checkpoints that sign a tree's size and root ([`checkpoint`]).

pub mod canonical;
pub mod checkpoint;
pub mod merkle;
pub mod proof;
pub mod tile;

pub use canonical::{CanonicalError, check_value, to_canonical_vec};
pub use merkle::{Frontier, Hash, MerkleError, leaf_hash, root_from_leaves};
pub use proof::{
    ProofError, Stored, consistency_indexes, consistency_proof, inclusion_indexes, inclusion_proof,
    root_indexes, verify_consistency, verify_inclusion,
};
