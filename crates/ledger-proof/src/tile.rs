//! C2SP tlog-tiles paths, parsed and bound-checked here before anything is computed from them.
//!
//! `tlog_tiles` asserts on tile parameters (a width of 0, a level of 64 or more) and its index
//! arithmetic shifts and doubles without checks, so a path taken from a request must never reach
//! it unchecked. [`TilePath::parse`] accepts exactly the grammar of the C2SP `tlog-tiles`
//! specification (levels 0–63 and widths 1–255 in decimal without leading zeros, indexes in
//! `x`-prefixed groups of three digits) and [`TilePath::within`] places a parsed path in a tree of
//! a given size, with every step checked: what lies outside the tree is `None`, never a panic or
//! a wrapped number.

/// Tile height: 256 hashes (or entries) a tile.
pub const HEIGHT: u8 = 8;
/// Hashes (or entries) in a full tile.
pub const FULL_WIDTH: u64 = 1 << HEIGHT;
/// Largest tree whose tiles are served: the stored-hash index of its last node (about twice
/// the leaf count) must fit in a `u64`. A log of 2^62 events is far beyond any ledger.
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// A hash tile at this level (level 0 holds leaf hashes).
    Hash {
        /// 0–63 as the path says; levels beyond the tree are found by [`TilePath::within`].
        level: u8,
    },
    /// An entry bundle: the entries whose leaf hashes a level-0 tile holds.
    Entries,
}

/// A parsed tile path: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` (after `tile/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    /// Hash tile or entry bundle.
    pub kind: TileKind,
    /// The tile's index within its level.
    pub index: u64,
    /// 1–255 for a partial tile, [`FULL_WIDTH`] for a full one.
    pub width: u64,
}

/// Where a tile lies in a tree: its level and the first node index at that level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// The tile as parsed.
    pub path: TilePath,
    /// Index (at the tile's level) of its first hash or entry.
    pub start: u64,
}

/// A decimal number with no leading zero (unless it is `0`), at most `max`.
fn decimal(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|n| *n <= max)
}

/// Three ASCII digits.
fn group(s: &str) -> Option<u64> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<u64>().ok())
        .flatten()
}

impl TilePath {
    /// Parses a path after `tile/`; `None` for anything the specification does not allow.
    #[must_use]
    pub fn parse(path: &str) -> Option<Self> {
        let mut parts: Vec<&str> = path.split('/').collect();
        // Up to 7 index groups (u64 has 20 digits), a level, and `.p/<W>`: anything longer is
        // refused before it is looked at.
        if parts.len() > 10 {
            return None;
        }
        let kind = match parts.first()? {
            &"entries" => TileKind::Entries,
            level => TileKind::Hash {
                level: u8::try_from(decimal(level, 63)?).ok()?,
            },
        };
        parts.remove(0);
        // `<N>.p/<W>`: the width is the last element, and `.p` ends the index's last group.
        let mut width = FULL_WIDTH;
        if parts.len() >= 2 && parts[parts.len() - 2].ends_with(".p") {
            width = decimal(parts.pop()?, FULL_WIDTH - 1).filter(|w| *w >= 1)?;
        }
        let last = parts.pop()?;
        let last = if width < FULL_WIDTH {
            last.strip_suffix(".p")?
        } else {
            last
        };
        let mut index: u64 = 0;
        for prefixed in &parts {
            let digits = prefixed.strip_prefix('x')?;
            index = index.checked_mul(1000)?.checked_add(group(digits)?)?;
        }
        index = index.checked_mul(1000)?.checked_add(group(last)?)?;
        Some(Self { kind, index, width })
    }

    /// The path as C2SP writes it (after `tile/`).
    #[must_use]
    pub fn path(&self) -> String {
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        let mut out = match self.kind {
            TileKind::Hash { level } => level.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        for (i, g) in groups.iter().enumerate().rev() {
            out.push('/');
            if i > 0 {
                out.push('x');
            }
            out.push_str(&format!("{g:03}"));
        }
        if self.width < FULL_WIDTH {
            out.push_str(&format!(".p/{}", self.width));
        }
        out
    }

    /// The tile placed in a tree of `size` leaves, or `None` when any of it lies outside (or the
    /// tree is larger than [`MAX_TREE_SIZE`]).
    #[must_use]
    pub fn within(self, size: u64) -> Option<Placed> {
        if size > MAX_TREE_SIZE {
            return None;
        }
        let level = match self.kind {
            TileKind::Hash { level } => level,
            TileKind::Entries => 0,
        };
        // Nodes at the tile's level: a tree of `size` leaves has `size >> (8 L)` complete ones.
        let shift = u32::from(HEIGHT).checked_mul(u32::from(level))?;
        let level_size = size.checked_shr(shift).unwrap_or(0);
        let start = self.index.checked_mul(FULL_WIDTH)?;
        let end = start.checked_add(self.width)?;
        (end <= level_size).then_some(Placed { path: self, start })
    }
}

impl Placed {
    /// The stored-hash indexes of a hash tile's hashes, in order (empty for an entry bundle).
    ///
    /// Safe for every placed tile: its nodes lie in a tree of at most [`MAX_TREE_SIZE`] leaves,
    /// so their stored indexes fit.
    #[must_use]
    pub fn hash_indexes(&self) -> Vec<u64> {
        let TileKind::Hash { level } = self.path.kind else {
            return Vec::new();
        };
        (0..self.path.width)
            .map(|i| tlog_tiles::stored_hash_index(HEIGHT * level, self.start + i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn hash(level: u8, index: u64, width: u64) -> TilePath {
        TilePath {
            kind: TileKind::Hash { level },
            index,
            width,
        }
    }

    #[test]
    fn paths_of_the_specification_parse_and_print_back() {
        for (path, tile) in [
            ("0/000", hash(0, 0, 256)),
            ("0/001.p/253", hash(0, 1, 253)),
            ("1/000.p/1", hash(1, 0, 1)),
            ("63/x001/x234/067", hash(63, 1_234_067, 256)),
            ("2/x001/x234/067.p/8", hash(2, 1_234_067, 8)),
            (
                "entries/x001/x234/067.p/8",
                TilePath {
                    kind: TileKind::Entries,
                    index: 1_234_067,
                    width: 8,
                },
            ),
        ] {
            assert_eq!(TilePath::parse(path), Some(tile), "{path}");
            assert_eq!(tile.path(), path);
        }
    }

    #[test]
    fn paths_outside_the_grammar_are_refused() {
        for path in [
            "",
            "0",
            "0/",
            "0/00",
            "0/0000",
            "00/000",
            "64/000",
            "255/000",
            "-1/000",
            "+1/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/01",
            "0/000.p/",
            "0/000.p",
            "0/x000",
            "0/001/000",
            "0/x1/000",
            "0/xx01/000",
            "0/000/.p/3",
            "x/000",
            "data/000",
            "entries",
            "0/x018/x446/x744/x073/x709/x551/616",
            "0/x999/x999/x999/x999/x999/x999/x999/x999/999",
            "0/000.p/3/4",
            "0/ 000",
            "0/٠٠٠",
        ] {
            assert_eq!(TilePath::parse(path), None, "{path:?}");
        }
    }

    #[test]
    fn a_tile_lies_within_a_tree_only_when_all_of_it_does() {
        // 509 leaves: level-0 tiles 000 (256) and 001.p/253; level 1: 000.p/1.
        assert!(hash(0, 0, 256).within(509).is_some());
        assert!(hash(0, 1, 253).within(509).is_some());
        assert!(hash(0, 1, 254).within(509).is_none());
        assert!(hash(0, 1, 256).within(509).is_none());
        assert!(hash(1, 0, 1).within(509).is_some());
        assert!(hash(1, 0, 2).within(509).is_none());
        assert!(hash(2, 0, 1).within(509).is_none());
        assert!(hash(8, 0, 1).within(MAX_TREE_SIZE).is_none());
        assert!(hash(7, 0, 64).within(MAX_TREE_SIZE).is_some());
        assert!(hash(7, 0, 65).within(MAX_TREE_SIZE).is_none());
        assert!(
            hash(0, MAX_TREE_SIZE / 256 - 1, 256)
                .within(MAX_TREE_SIZE)
                .is_some()
        );
        assert!(hash(0, u64::MAX, 1).within(MAX_TREE_SIZE).is_none());
        assert!(hash(63, 0, 1).within(MAX_TREE_SIZE).is_none());
        assert!(hash(0, 0, 1).within(MAX_TREE_SIZE + 1).is_none());
    }

    /// Every level and width, at the edges of every tree size class: parsing what we print gives
    /// the tile back, and placing it never panics and agrees with arithmetic done in u128.
    #[test]
    fn every_level_and_width_round_trips_and_places_without_panicking() {
        let sizes = [
            0,
            1,
            255,
            256,
            257,
            509,
            65_536,
            1 << 40,
            MAX_TREE_SIZE - 1,
            MAX_TREE_SIZE,
        ];
        let indexes = [0, 1, 999, 1000, 1_234_067, u64::MAX / 256, u64::MAX];
        for level in 0..=63u8 {
            for width in 1..=256u64 {
                for index in indexes {
                    let tile = hash(level, index, width);
                    assert_eq!(TilePath::parse(&tile.path()), Some(tile));
                    for size in sizes {
                        let expected = u128::from(index) * 256 + u128::from(width)
                            <= u128::from(size)
                                .checked_shr(8 * u32::from(level))
                                .unwrap_or(0);
                        let placed = tile.within(size);
                        assert_eq!(placed.is_some(), expected, "{tile:?} in {size}");
                        if let Some(placed) = placed {
                            let indexes = placed.hash_indexes();
                            assert_eq!(indexes.len() as u64, width);
                            // Stored indexes grow with the node: the last is the largest.
                            assert!(indexes.windows(2).all(|w| w[0] < w[1]));
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// Any string, and strings made of the grammar's own characters: parsing never panics,
        /// what parses prints back to a path that parses to the same tile, and placing it in a
        /// tree of any size never panics.
        #[test]
        fn random_paths_never_panic(
            path in proptest::prop_oneof![
                "[0-9x./pentris]{0,48}",
                "(entries|[0-9]{1,3})(/x[0-9]{3}){0,8}/[0-9]{3}(\\.p/[0-9]{1,4})?",
                ".{0,64}",
            ],
            size in proptest::prop_oneof![0..=MAX_TREE_SIZE, proptest::num::u64::ANY, 0..100_000u64],
        ) {
            if let Some(tile) = TilePath::parse(&path) {
                proptest::prop_assert_eq!(TilePath::parse(&tile.path()), Some(tile));
                if let Some(placed) = tile.within(size) {
                    proptest::prop_assert_eq!(placed.hash_indexes().len() as u64,
                        if matches!(tile.kind, TileKind::Entries) { 0 } else { tile.width });
                }
            }
        }
    }
}
