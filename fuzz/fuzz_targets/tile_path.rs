//! Tile paths as a request brings them: parsing never panics, what parses prints back to
//! itself, and placing it in a tree of any size never panics or wraps.
#![no_main]

use ledger_proof::tile::{TileKind, TilePath};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, u64)| {
    let (path, size) = input;
    if let Some(tile) = TilePath::parse(path) {
        assert_eq!(TilePath::parse(&tile.path()), Some(tile));
        if let Some(placed) = tile.within(size) {
            let expected = match tile.kind {
                TileKind::Entries => 0,
                TileKind::Hash { .. } => tile.width,
            };
            assert_eq!(placed.hash_indexes().len() as u64, expected);
        }
    }
});
