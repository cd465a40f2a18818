//! Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4), generated from the stored
//! hashes and verified with nothing but the proof, the sizes and the roots.
//!
//! Generation and verification are `tlog_tiles`' (a port of Go's sumdb `tlog`, whose proofs
//! are RFC 6962's: the same hashes in the same order); this module adds what verifiers of
//! other logs got wrong: every size and index is checked before any arithmetic, proofs have
//! a length limit, the empty tree is handled explicitly, and failures say what was wrong.
//!
//! Generating a proof from a database takes two steps with no IO here: ask which stored
//! hashes it needs ([`inclusion_indexes`], [`consistency_indexes`], [`root_indexes`]), read
//! them (O(log n) of them), then build it from what was read ([`Stored`]).

use std::cell::RefCell;
use std::collections::HashMap;

use tlog_tiles::{EMPTY_HASH, Hash, HashReader};

/// The largest tree size accepted (far beyond any ledger, well within the index arithmetic).
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// The most hashes a proof may hold: inclusion proofs need at most ⌈log₂ size⌉, consistency
/// proofs at most ⌈log₂ size⌉ + 1.
pub const MAX_PROOF_HASHES: usize = 64;

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not in the tree.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// Leaf index (0-based: position − 1).
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The sizes are not those of a tree and a later tree.
    #[error("sizes {old} and {new}: need 0 ≤ old ≤ new ≤ {MAX_TREE_SIZE}")]
    Sizes {
        /// The earlier size.
        old: u64,
        /// The later size.
        new: u64,
    },
    /// The proof has more hashes than any proof of these sizes could.
    #[error("a proof of {0} hashes is longer than any valid proof")]
    TooLong(usize),
    /// A stored hash needed was not supplied.
    #[error("stored hash {0} is missing")]
    MissingHash(u64),
    /// The proof does not lead to the root it should.
    #[error("the proof does not verify: {0}")]
    Mismatch(&'static str),
}

/// Stored hashes read for a proof, by stored-hash index.
#[derive(Debug, Clone, Default)]
pub struct Stored(pub HashMap<u64, Hash>);

impl FromIterator<(u64, Hash)> for Stored {
    fn from_iter<I: IntoIterator<Item = (u64, Hash)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(i)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// A reader that notes which indexes are asked for and answers with placeholders: the
/// proof algorithms choose their indexes from the sizes alone, never from hash values.
#[derive(Default)]
struct Recorder(RefCell<Vec<u64>>);

impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![EMPTY_HASH; indexes.len()])
    }
}

fn recorded(
    run: impl FnOnce(&Recorder) -> Result<Vec<Hash>, tlog_tiles::Error>,
) -> Result<Vec<u64>, ProofError> {
    let recorder = Recorder::default();
    run(&recorder).map_err(|_| ProofError::Mismatch("index arithmetic"))?;
    Ok(recorder.0.into_inner())
}

fn missing(e: &tlog_tiles::Error, stored: &Stored, wanted: &[u64]) -> ProofError {
    match e {
        tlog_tiles::Error::IndexesNotInTree => wanted
            .iter()
            .find(|i| !stored.0.contains_key(i))
            .map_or(ProofError::Mismatch("stored hashes"), |i| {
                ProofError::MissingHash(*i)
            }),
        _ => ProofError::Mismatch("stored hashes"),
    }
}

fn check_leaf(index: u64, size: u64) -> Result<(), ProofError> {
    if size > MAX_TREE_SIZE || index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    Ok(())
}

fn check_sizes(old: u64, new: u64) -> Result<(), ProofError> {
    if old > new || new > MAX_TREE_SIZE {
        return Err(ProofError::Sizes { old, new });
    }
    Ok(())
}

fn check_length(proof: &[Hash]) -> Result<(), ProofError> {
    if proof.len() > MAX_PROOF_HASHES {
        return Err(ProofError::TooLong(proof.len()));
    }
    Ok(())
}

/// The stored hashes the root of a tree of `size` leaves is computed from.
///
/// # Errors
/// [`ProofError::Sizes`] beyond [`MAX_TREE_SIZE`].
pub fn root_indexes(size: u64) -> Result<Vec<u64>, ProofError> {
    check_sizes(0, size)?;
    if size == 0 {
        return Ok(Vec::new());
    }
    recorded(|r| tlog_tiles::tree_hash(size, r).map(|h| vec![h]))
}

/// The root of a tree of `size` leaves from its stored hashes ([`root_indexes`]).
///
/// # Errors
/// [`ProofError::MissingHash`] when a needed hash was not read.
pub fn root(size: u64, stored: &Stored) -> Result<Hash, ProofError> {
    let wanted = root_indexes(size)?;
    if size == 0 {
        return Ok(EMPTY_HASH);
    }
    tlog_tiles::tree_hash(size, stored).map_err(|e| missing(&e, stored, &wanted))
}

/// The stored hashes an inclusion proof of leaf `index` in a tree of `size` is made of.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`].
pub fn inclusion_indexes(index: u64, size: u64) -> Result<Vec<u64>, ProofError> {
    check_leaf(index, size)?;
    recorded(|r| tlog_tiles::prove_record(size, index, r))
}

/// The inclusion proof (RFC 9162 §2.1.3.1 audit path) of leaf `index` in a tree of `size`.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`]; [`ProofError::MissingHash`].
pub fn inclusion_proof(index: u64, size: u64, stored: &Stored) -> Result<Vec<Hash>, ProofError> {
    let wanted = inclusion_indexes(index, size)?;
    tlog_tiles::prove_record(size, index, stored).map_err(|e| missing(&e, stored, &wanted))
}

/// Checks that `leaf` is leaf `index` of the tree of `size` whose root is `root`
/// (RFC 9162 §2.1.3.2).
///
/// # Errors
/// [`ProofError::IndexOutOfRange`], [`ProofError::TooLong`], [`ProofError::Mismatch`].
pub fn verify_inclusion(
    proof: &[Hash],
    index: u64,
    size: u64,
    root: Hash,
    leaf: Hash,
) -> Result<(), ProofError> {
    check_leaf(index, size)?;
    check_length(proof)?;
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf)
        .map_err(|_| ProofError::Mismatch("the audit path does not lead to the root"))
}

/// The stored hashes a consistency proof from `old` to `new` leaves is made of.
///
/// # Errors
/// [`ProofError::Sizes`].
pub fn consistency_indexes(old: u64, new: u64) -> Result<Vec<u64>, ProofError> {
    check_sizes(old, new)?;
    if old == 0 {
        return Ok(Vec::new());
    }
    recorded(|r| tlog_tiles::prove_tree(new, old, r))
}

/// The consistency proof (RFC 9162 §2.1.4.1) that the tree of `old` leaves is a prefix of the
/// tree of `new` leaves. Empty when `old` is 0 or equals `new`.
///
/// # Errors
/// [`ProofError::Sizes`]; [`ProofError::MissingHash`].
pub fn consistency_proof(old: u64, new: u64, stored: &Stored) -> Result<Vec<Hash>, ProofError> {
    let wanted = consistency_indexes(old, new)?;
    if old == 0 {
        return Ok(Vec::new());
    }
    tlog_tiles::prove_tree(new, old, stored).map_err(|e| missing(&e, stored, &wanted))
}

/// Checks that the tree of `old` leaves with root `old_root` is a prefix of the tree of `new`
/// leaves with root `new_root` (RFC 9162 §2.1.4.2). From the empty tree only an empty proof
/// is accepted, and only with the empty tree's root.
///
/// # Errors
/// [`ProofError::Sizes`], [`ProofError::TooLong`], [`ProofError::Mismatch`].
pub fn verify_consistency(
    proof: &[Hash],
    old: u64,
    old_root: Hash,
    new: u64,
    new_root: Hash,
) -> Result<(), ProofError> {
    check_sizes(old, new)?;
    check_length(proof)?;
    if old == 0 {
        return if !proof.is_empty() {
            Err(ProofError::Mismatch("a proof from the empty tree is empty"))
        } else if old_root != EMPTY_HASH {
            Err(ProofError::Mismatch("the empty tree has the empty root"))
        } else {
            Ok(())
        };
    }
    tlog_tiles::check_tree(&proof.to_vec(), new, new_root, old, old_root)
        .map_err(|_| ProofError::Mismatch("the trees are not consistent"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{Frontier, leaf_hash, root_from_leaves};

    /// Every stored hash of a tree of `n` leaves, and its leaves.
    fn tree(n: u64) -> (Stored, Vec<Hash>) {
        let mut frontier = Frontier::empty();
        let mut stored = Stored::default();
        let mut leaves = Vec::new();
        for i in 0..n {
            let leaf = leaf_hash(format!("leaf {i}").as_bytes());
            leaves.push(leaf);
            stored.0.extend(frontier.push(leaf));
        }
        (stored, leaves)
    }

    /// RFC 9162 §2.1.3.2, written out independently of tlog_tiles: the oracle.
    fn reference_inclusion(proof: &[Hash], index: u64, size: u64, root: Hash, leaf: Hash) -> bool {
        if index >= size {
            return false;
        }
        let (mut fn_, mut sn, mut r) = (index, size - 1, leaf);
        for p in proof {
            if sn == 0 {
                return false;
            }
            if fn_ & 1 == 1 || fn_ == sn {
                r = tlog_tiles::node_hash(*p, r);
                if fn_ & 1 == 0 {
                    while fn_ & 1 == 0 && fn_ != 0 {
                        fn_ >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = tlog_tiles::node_hash(r, *p);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2, written out independently: the oracle.
    fn reference_consistency(
        proof: &[Hash],
        old: u64,
        old_root: Hash,
        new: u64,
        new_root: Hash,
    ) -> bool {
        if old == new {
            return proof.is_empty() && old_root == new_root;
        }
        if old == 0 || old > new || proof.is_empty() {
            return false;
        }
        let mut path: Vec<Hash> = proof.to_vec();
        if old.is_power_of_two() {
            path.insert(0, old_root);
        }
        let (mut fn_, mut sn) = (old - 1, new - 1);
        while fn_ & 1 == 1 {
            fn_ >>= 1;
            sn >>= 1;
        }
        let (mut fr, mut sr) = (path[0], path[0]);
        for c in &path[1..] {
            if sn == 0 {
                return false;
            }
            if fn_ & 1 == 1 || fn_ == sn {
                fr = tlog_tiles::node_hash(*c, fr);
                sr = tlog_tiles::node_hash(*c, sr);
                if fn_ & 1 == 0 {
                    while fn_ & 1 == 0 && fn_ != 0 {
                        fn_ >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = tlog_tiles::node_hash(sr, *c);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        fr == old_root && sr == new_root && sn == 0
    }

    fn flip(h: Hash) -> Hash {
        let mut b = h.0;
        b[0] ^= 1;
        Hash(b)
    }

    #[test]
    fn every_inclusion_proof_of_trees_up_to_130_leaves() {
        let (stored, leaves) = tree(131);
        for size in 1..=130u64 {
            let root = root_from_leaves(&leaves[..usize::try_from(size).unwrap_or(0)]);
            assert_eq!(super::root(size, &stored), Ok(root), "root of {size}");
            for index in 0..size {
                let leaf = leaves[usize::try_from(index).unwrap_or(0)];
                let proof = inclusion_proof(index, size, &stored).unwrap_or_default();
                assert_eq!(verify_inclusion(&proof, index, size, root, leaf), Ok(()));
                assert!(
                    reference_inclusion(&proof, index, size, root, leaf),
                    "{index}/{size}"
                );
                // Anything else fails: another leaf, another index, another size, a changed
                // or missing or extra hash.
                assert!(verify_inclusion(&proof, index, size, root, flip(leaf)).is_err());
                if size > 1 {
                    let other = (index + 1) % size;
                    assert!(verify_inclusion(&proof, other, size, root, leaf).is_err());
                }
                // (The same path may also fit a larger size with the same root: for leaf 0 of
                // 3 leaves and of 4, both paths climb right twice. The size is bound to its
                // root by the signed checkpoint; with the larger tree's own root it fails.)
                let bigger = root_from_leaves(&leaves[..usize::try_from(size + 1).unwrap_or(0)]);
                assert!(verify_inclusion(&proof, index, size + 1, bigger, leaf).is_err());
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i] = flip(bad[i]);
                    assert!(verify_inclusion(&bad, index, size, root, leaf).is_err());
                    assert!(!reference_inclusion(&bad, index, size, root, leaf));
                }
                if !proof.is_empty() {
                    assert!(verify_inclusion(&proof[1..], index, size, root, leaf).is_err());
                }
                let mut longer = proof.clone();
                longer.push(leaf);
                assert!(verify_inclusion(&longer, index, size, root, leaf).is_err());
            }
        }
    }

    #[test]
    fn every_consistency_proof_of_trees_up_to_130_leaves() {
        let (stored, leaves) = tree(130);
        let roots: Vec<Hash> = (0..=130usize)
            .map(|n| root_from_leaves(&leaves[..n]))
            .collect();
        for new in 1..=130u64 {
            let new_root = roots[usize::try_from(new).unwrap_or(0)];
            for old in 0..=new {
                let old_root = roots[usize::try_from(old).unwrap_or(0)];
                let proof = consistency_proof(old, new, &stored).unwrap_or_default();
                assert_eq!(
                    verify_consistency(&proof, old, old_root, new, new_root),
                    Ok(()),
                    "{old} → {new}"
                );
                if old > 0 {
                    assert!(reference_consistency(&proof, old, old_root, new, new_root));
                    assert!(
                        verify_consistency(&proof, old, flip(old_root), new, new_root).is_err()
                    );
                }
                if old > 0 && old < new {
                    assert!(
                        verify_consistency(&proof, old, old_root, new, flip(new_root)).is_err()
                    );
                    for i in 0..proof.len() {
                        let mut bad = proof.clone();
                        bad[i] = flip(bad[i]);
                        assert!(verify_consistency(&bad, old, old_root, new, new_root).is_err());
                    }
                    assert!(verify_consistency(&proof[1..], old, old_root, new, new_root).is_err());
                    // The proof of another old size does not serve.
                    if old + 1 < new {
                        let next = roots[usize::try_from(old + 1).unwrap_or(0)];
                        assert!(verify_consistency(&proof, old + 1, next, new, new_root).is_err());
                    }
                }
            }
        }
    }

    #[test]
    fn large_trees_sampled() {
        let n = 5_000u64;
        let (stored, leaves) = tree(n);
        let mut state = 0x5EED_u64;
        let mut next = |below: u64| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % below
        };
        for _ in 0..300 {
            let new = 1 + next(n);
            let old = next(new + 1);
            let index = next(new);
            let root_new = super::root(new, &stored).unwrap_or(EMPTY_HASH);
            let root_old = super::root(old, &stored).unwrap_or(EMPTY_HASH);
            let proof = inclusion_proof(index, new, &stored).unwrap_or_default();
            let leaf = leaves[usize::try_from(index).unwrap_or(0)];
            assert_eq!(verify_inclusion(&proof, index, new, root_new, leaf), Ok(()));
            assert!(proof.len() <= 13, "⌈log₂ 5000⌉ hashes at most");
            let proof = consistency_proof(old, new, &stored).unwrap_or_default();
            assert_eq!(
                verify_consistency(&proof, old, root_old, new, root_new),
                Ok(())
            );
        }
    }

    #[test]
    fn bounds_are_checked_before_anything() {
        let (stored, leaves) = tree(8);
        let root = super::root(8, &stored).unwrap_or(EMPTY_HASH);
        let leaf = leaves[0];
        assert_eq!(
            inclusion_proof(8, 8, &stored),
            Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
        );
        assert!(inclusion_proof(0, 0, &stored).is_err());
        assert!(verify_inclusion(&[], 0, 0, EMPTY_HASH, leaf).is_err());
        assert!(verify_inclusion(&[], u64::MAX, u64::MAX, root, leaf).is_err());
        assert_eq!(
            verify_inclusion(&vec![leaf; 65], 0, 8, root, leaf),
            Err(ProofError::TooLong(65))
        );
        assert_eq!(
            consistency_proof(9, 8, &stored),
            Err(ProofError::Sizes { old: 9, new: 8 })
        );
        assert!(verify_consistency(&[], 9, root, 8, root).is_err());
        assert!(verify_consistency(&[], 0, EMPTY_HASH, u64::MAX, root).is_err());
        // From the empty tree: only the empty proof with the empty root.
        assert_eq!(verify_consistency(&[], 0, EMPTY_HASH, 8, root), Ok(()));
        assert!(verify_consistency(&[root], 0, EMPTY_HASH, 8, root).is_err());
        assert!(verify_consistency(&[], 0, root, 8, root).is_err());
        // A tree is consistent with itself only with an empty proof and the same root.
        assert_eq!(verify_consistency(&[], 8, root, 8, root), Ok(()));
        assert!(verify_consistency(&[root], 8, root, 8, root).is_err());
        assert!(verify_consistency(&[], 8, root, 8, flip(root)).is_err());
        // A hash not read is named.
        let partial: Stored = stored
            .0
            .iter()
            .filter(|(i, _)| **i != 0)
            .map(|(i, h)| (*i, *h))
            .collect();
        assert_eq!(
            inclusion_proof(1, 8, &partial),
            Err(ProofError::MissingHash(0))
        );
    }
}
