//! The RFC 9162 Merkle tree over the ledger's leaves.
//!
//! Leaves are `SHA-256(0x00 ‖ canonical bytes)`, interior nodes `SHA-256(0x01 ‖ left ‖ right)`
//! (RFC 9162 §2.1.1). The store keeps every complete subtree hash once, at the index Go's sumdb
//! `tlog` assigns it ([`tlog_tiles::stored_hash_index`]); proofs and roots then read
//! O(log n) stored hashes.
//!
//! A writer appending to the tree only needs the roots of the perfect subtrees that make up the
//! current tree (its *frontier*: at most log₂ n + 1 hashes). [`Frontier`] holds them, appends
//! leaves, returns the stored hashes each leaf adds and computes the new root.

use std::collections::HashMap;

pub use tlog_tiles::{EMPTY_HASH, Hash};
use tlog_tiles::{
    HashReader, record_hash, stored_hash_count, stored_hash_index, stored_hashes_for_record_hash,
    sub_tree_index, tree_hash,
};

/// Why a tree could not be built or extended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A stored hash the tree needs was not supplied.
    #[error("stored hash {index} is missing for a tree of size {size}")]
    MissingHash {
        /// Stored-hash index (sumdb layout).
        index: u64,
        /// Size of the tree being loaded.
        size: u64,
    },
}

/// The leaf hash of an event whose canonical bytes are `canonical`: `SHA-256(0x00 ‖ canonical)`.
#[must_use]
pub fn leaf_hash(canonical: &[u8]) -> Hash {
    record_hash(canonical)
}

/// The Merkle tree hash of `leaves` computed directly from RFC 9162 §2.1.1 (recursive split at
/// the largest power of two smaller than n). Independent of the stored-hash layout, so tests and
/// verifiers can check the store's head against it.
#[must_use]
pub fn root_from_leaves(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_HASH,
        1 => leaves[0],
        n => {
            let k = 1usize << (n - 1).ilog2();
            tlog_tiles::node_hash(
                root_from_leaves(&leaves[..k]),
                root_from_leaves(&leaves[k..]),
            )
        }
    }
}

/// The right edge of a tree: enough stored hashes to append leaves and compute roots.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    hashes: HashMap<u64, Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// The stored-hash indexes a writer must load to continue a tree of `size` leaves.
    #[must_use]
    pub fn required_indexes(size: u64) -> Vec<u64> {
        if size == 0 {
            Vec::new()
        } else {
            sub_tree_index(0, size, Vec::new())
        }
    }

    /// Rebuilds the frontier of a tree of `size` leaves from stored hashes (at least those named
    /// by [`Frontier::required_indexes`]; others are ignored).
    ///
    /// # Errors
    /// [`MerkleError::MissingHash`] when a required hash is absent.
    pub fn from_stored(
        size: u64,
        stored: impl IntoIterator<Item = (u64, Hash)>,
    ) -> Result<Self, MerkleError> {
        let mut all: HashMap<u64, Hash> = stored.into_iter().collect();
        let mut hashes = HashMap::new();
        for index in Self::required_indexes(size) {
            let hash = all
                .remove(&index)
                .ok_or(MerkleError::MissingHash { index, size })?;
            hashes.insert(index, hash);
        }
        Ok(Self { size, hashes })
    }

    /// Number of leaves in the tree.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf and returns the stored hashes it adds, as `(stored index, hash)` pairs
    /// starting at `stored_hash_index(0, old size)`.
    pub fn push(&mut self, leaf: Hash) -> Vec<(u64, Hash)> {
        let n = self.size;
        let new = stored_hashes_for_record_hash(n, leaf, self)
            .expect("a frontier holds every hash an append reads");
        let first = stored_hash_index(0, n);
        let added: Vec<(u64, Hash)> = new
            .into_iter()
            .enumerate()
            .map(|(i, h)| (first + i as u64, h))
            .collect();
        self.size = n + 1;
        debug_assert_eq!(first + added.len() as u64, stored_hash_count(self.size));
        self.hashes.extend(added.iter().copied());
        // Hashes no longer on the right edge are harmless: drop them now and then, not on
        // every push (the edge holds at most 64; computing it costs more than the hashing).
        if self.hashes.len() > 256 {
            let keep = Self::required_indexes(self.size);
            self.hashes.retain(|index, _| keep.contains(index));
        }
        added
    }

    /// The root hash of the tree (the RFC 9162 Merkle tree hash).
    #[must_use]
    pub fn root(&self) -> Hash {
        tree_hash(self.size, self).expect("a frontier holds every hash its root reads")
    }
}

impl HashReader for Frontier {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.hashes
                    .get(i)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Hash {
        let bytes: [u8; 32] = hex::decode(s).unwrap().try_into().unwrap();
        Hash(bytes)
    }

    /// The eight leaf inputs of the RFC 6962 reference test vectors (certificate-transparency-go
    /// `merkle/testdata`), and the tree roots at sizes 1..=8.
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn reference_leaves() -> Vec<Hash> {
        LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect()
    }

    #[test]
    fn rfc6962_reference_roots() {
        let leaves = reference_leaves();
        let mut frontier = Frontier::empty();
        assert_eq!(frontier.root(), EMPTY_HASH);
        for (i, root) in ROOTS.iter().enumerate() {
            frontier.push(leaves[i]);
            assert_eq!(frontier.root(), h(root), "frontier root at size {}", i + 1);
            assert_eq!(
                root_from_leaves(&leaves[..=i]),
                h(root),
                "direct root at size {}",
                i + 1
            );
        }
    }

    #[test]
    fn frontier_reloaded_from_stored_hashes_matches_direct_computation() {
        // Append in uneven batches, reloading the frontier from the stored hashes between
        // batches as the store does, and compare with the direct recursive definition.
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut stored: HashMap<u64, Hash> = HashMap::new();
        let mut size = 0u64;
        let mut batch = 1;
        while (size as usize) < leaves.len() {
            let required = Frontier::required_indexes(size);
            let mut frontier =
                Frontier::from_stored(size, required.iter().map(|i| (*i, stored[i]))).unwrap();
            let end = (size as usize + batch).min(leaves.len());
            for leaf in &leaves[size as usize..end] {
                for (index, hash) in frontier.push(*leaf) {
                    assert!(
                        stored.insert(index, hash).is_none(),
                        "index {index} written twice"
                    );
                }
                size += 1;
                assert_eq!(frontier.root(), root_from_leaves(&leaves[..size as usize]));
            }
            assert_eq!(stored.len() as u64, stored_hash_count(size));
            batch = batch % 7 + 1;
        }
    }

    #[test]
    fn missing_frontier_hash_is_reported() {
        let err = Frontier::from_stored(3, Vec::new()).unwrap_err();
        assert!(matches!(err, MerkleError::MissingHash { size: 3, .. }));
    }
}
