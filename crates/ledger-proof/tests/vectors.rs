//! The checked-in test vectors of `schema/verification/`: the RFC 6962 reference tree's roots,
//! and its inclusion and consistency proofs, made by this crate hash for hash and verified.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use ledger_proof::{
    Frontier, Hash, Stored, consistency_proof, inclusion_proof, leaf_hash, root_from_leaves,
    verify_consistency, verify_inclusion,
};
use serde_json::Value;

fn hash(hex_text: &str) -> Hash {
    Hash(hex::decode(hex_text).unwrap().try_into().unwrap())
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect()
}

#[test]
fn rfc6962_reference_tree() {
    let vectors: Value =
        serde_json::from_str(include_str!("../../../schema/verification/rfc6962.json")).unwrap();
    let leaves: Vec<Hash> = vectors["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| leaf_hash(&hex::decode(l.as_str().unwrap()).unwrap()))
        .collect();
    let roots = hashes(&vectors["roots"]);
    let mut frontier = Frontier::empty();
    let mut stored = Stored::default();
    for (n, root) in roots.iter().enumerate() {
        assert_eq!(root_from_leaves(&leaves[..n]), *root, "root of {n}");
        assert_eq!(frontier.root(), *root, "stored-hash root of {n}");
        if n < leaves.len() {
            stored.0.extend(frontier.push(leaves[n]));
        }
    }
    for case in vectors["inclusion"].as_array().unwrap() {
        let (index, size) = (
            case["index"].as_u64().unwrap(),
            case["size"].as_u64().unwrap(),
        );
        let path = hashes(&case["path"]);
        assert_eq!(
            inclusion_proof(index, size, &stored).unwrap(),
            path,
            "{case}"
        );
        let root = roots[usize::try_from(size).unwrap()];
        let leaf = leaves[usize::try_from(index).unwrap()];
        assert_eq!(verify_inclusion(&path, index, size, root, leaf), Ok(()));
    }
    for case in vectors["consistency"].as_array().unwrap() {
        let (old, new) = (case["old"].as_u64().unwrap(), case["new"].as_u64().unwrap());
        let path = hashes(&case["path"]);
        assert_eq!(
            consistency_proof(old, new, &stored).unwrap(),
            path,
            "{case}"
        );
        let old_root = roots[usize::try_from(old).unwrap()];
        let new_root = roots[usize::try_from(new).unwrap()];
        assert_eq!(
            verify_consistency(&path, old, old_root, new, new_root),
            Ok(())
        );
    }
}
