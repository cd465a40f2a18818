//! The projection's working set: the open version of every entity, and the row versions a
//! batch will write.
//!
//! Two write modes give the same tables:
//! - **incremental** (the running projector): every new version is inserted in the batch that
//!   makes it; the version it replaces is closed in place (`UPDATE … SET valid_to`), unless it
//!   was made in the same batch, in which case it is inserted already closed;
//! - **bulk** (a rebuild into fresh tables): a version is written only once it is closed, so
//!   nothing is ever updated; the versions still open are written at the end
//!   ([`Versioned::flush_open`]).

use std::collections::HashMap;

use crate::db::{Close, PendingRow};
use crate::value::Row;

/// How changes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Insert each version as it is made, close replaced ones in place.
    Incremental,
    /// Write versions once closed; open ones at the end.
    Bulk,
}

#[derive(Debug, Clone)]
struct Entry<R> {
    row: R,
    from: u64,
    /// Index in `inserts` when this version was inserted in the current batch.
    pending: Option<usize>,
}

/// The open versions of one versioned table and the batch's changes to it.
#[derive(Debug, Clone)]
pub struct Versioned<R: Row> {
    open: HashMap<String, Entry<R>>,
    inserts: Vec<PendingRow>,
    closes: Vec<Close>,
    touched: Vec<String>,
}

impl<R: Row> Default for Versioned<R> {
    fn default() -> Self {
        Self {
            open: HashMap::new(),
            inserts: Vec::new(),
            closes: Vec::new(),
            touched: Vec::new(),
        }
    }
}

impl<R: Row> Versioned<R> {
    /// The open version of `key`.
    pub fn get(&self, key: &str) -> Option<&R> {
        self.open.get(key).map(|e| &e.row)
    }

    /// Every open version.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &R)> {
        self.open.iter().map(|(k, e)| (k, &e.row))
    }

    /// Loads an open version read back from the database.
    pub fn load(&mut self, key: String, row: R, from: u64) {
        self.open.insert(
            key,
            Entry {
                row,
                from,
                pending: None,
            },
        );
    }

    /// Makes `row` the state of `key` from `position` on.
    pub fn put(&mut self, mode: Mode, key: &str, row: R, position: u64) {
        if let Some(old) = self.open.get(key)
            && old.row == row
        {
            return;
        }
        if let Some(old) = self.open.get_mut(key)
            && old.from == position
        {
            // A second change by the same event: replace the version it made (batches hold
            // whole events, so that version is still pending in incremental mode).
            if let Some(i) = old.pending {
                self.inserts[i].values = row.to_values();
            }
            old.row = row;
            return;
        }
        self.retire(mode, key, position);
        let pending = match mode {
            Mode::Incremental => {
                self.inserts.push(PendingRow {
                    values: row.to_values(),
                    from: position,
                    to: None,
                });
                self.touched.push(key.to_owned());
                Some(self.inserts.len() - 1)
            }
            Mode::Bulk => None,
        };
        self.open.insert(
            key.to_owned(),
            Entry {
                row,
                from: position,
                pending,
            },
        );
    }

    /// Ends `key`'s state at `position` (the entity or association no longer exists).
    pub fn end(&mut self, mode: Mode, key: &str, position: u64) {
        self.retire(mode, key, position);
    }

    /// Closes the open version of `key` at `position`, if any, and forgets it.
    fn retire(&mut self, mode: Mode, key: &str, position: u64) {
        let Some(old) = self.open.remove(key) else {
            return;
        };
        match (mode, old.pending) {
            (Mode::Incremental, Some(i)) => self.inserts[i].to = Some(position),
            (Mode::Incremental, None) => self.closes.push(Close {
                key: key.to_owned(),
                from: old.from,
                to: position,
            }),
            (Mode::Bulk, _) => self.inserts.push(PendingRow {
                values: old.row.into_values(),
                from: old.from,
                to: Some(position),
            }),
        }
    }

    /// Takes the batch's inserts and closes; the open versions become committed ones.
    pub fn take(&mut self) -> (Vec<PendingRow>, Vec<Close>) {
        for key in self.touched.drain(..) {
            if let Some(e) = self.open.get_mut(&key) {
                e.pending = None;
            }
        }
        (
            std::mem::take(&mut self.inserts),
            std::mem::take(&mut self.closes),
        )
    }

    /// Every open version as a row to insert (the end of a bulk load).
    pub fn flush_open(&self) -> Vec<PendingRow> {
        let mut rows: Vec<PendingRow> = self
            .open
            .values()
            .map(|e| PendingRow {
                values: e.row.to_values(),
                from: e.from,
                to: None,
            })
            .collect();
        rows.sort_by(|a, b| a.values.first().cmp(&b.values.first()));
        rows
    }
}

/// Rows added to a fact table in the batch.
#[derive(Debug, Clone)]
pub struct Facts<R: Row> {
    rows: Vec<PendingRow>,
    _row: std::marker::PhantomData<R>,
}

impl<R: Row> Default for Facts<R> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            _row: std::marker::PhantomData,
        }
    }
}

impl<R: Row> Facts<R> {
    /// Records a fact at `position`.
    pub fn add(&mut self, row: R, position: u64) {
        self.rows.push(PendingRow {
            values: row.into_values(),
            from: position,
            to: None,
        });
    }

    /// Takes the batch's rows.
    pub fn take(&mut self) -> Vec<PendingRow> {
        std::mem::take(&mut self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Column, Ty, Value};

    #[derive(Debug, Clone, PartialEq)]
    struct R(String, i64);

    impl Row for R {
        const COLUMNS: &'static [Column] = &[
            Column {
                name: "id",
                ty: Ty::Text,
                nullable: false,
            },
            Column {
                name: "n",
                ty: Ty::Int,
                nullable: false,
            },
        ];
        fn to_values(&self) -> Vec<Value> {
            vec![Value::Text(self.0.clone()), Value::Int(self.1)]
        }
        fn into_values(self) -> Vec<Value> {
            self.to_values()
        }
        fn from_values(values: Vec<Value>) -> crate::error::Result<Self> {
            match values.as_slice() {
                [Value::Text(id), Value::Int(n)] => Ok(Self(id.clone(), *n)),
                _ => Err(crate::error::Error::Corrupt("R".into())),
            }
        }
    }

    /// A row version as written: values, `valid_from`, `valid_to`.
    type Version = (Vec<Value>, u64, Option<u64>);

    /// Applies the same changes in both modes, committing batches of `batch` positions, and
    /// returns every row version each mode wrote: (values, from, to), sorted.
    fn both_modes(batch: u64) -> (Vec<Version>, Vec<Version>) {
        // A deterministic mix of puts (some unchanged, some twice in one event) and ends.
        let steps: Vec<(u64, &str, i64, bool)> = (1..=60u64)
            .flat_map(|p| {
                let key = ["a", "b", "c"][(p % 3) as usize];
                let mut s = vec![(p, key, (p / 2) as i64, p % 11 == 0)];
                if p % 7 == 0 {
                    s.push((p, key, 1000 + p as i64, false));
                }
                s
            })
            .collect();
        let mut out = Vec::new();
        for mode in [Mode::Incremental, Mode::Bulk] {
            let mut table: Versioned<R> = Versioned::default();
            let mut rows: Vec<(Vec<Value>, u64, Option<u64>)> = Vec::new();
            let commit = |table: &mut Versioned<R>, rows: &mut Vec<_>| {
                let (inserts, closes) = table.take();
                for c in closes {
                    let row = rows
                        .iter_mut()
                        .find(|(v, from, to): &&mut (Vec<Value>, u64, Option<u64>)| {
                            v[0] == Value::Text(c.key.clone()) && *from == c.from && to.is_none()
                        })
                        .expect("closing an open version");
                    row.2 = Some(c.to);
                }
                rows.extend(inserts.into_iter().map(|r| (r.values, r.from, r.to)));
            };
            for (i, (p, key, n, end)) in steps.iter().enumerate() {
                if *end {
                    table.end(mode, key, *p);
                } else {
                    table.put(mode, key, R((*key).to_owned(), *n), *p);
                }
                // Batches hold whole events: commit after a position's last change.
                let last_of_event = steps.get(i + 1).is_none_or(|next| next.0 != *p);
                if p % batch == 0 && last_of_event {
                    commit(&mut table, &mut rows);
                }
            }
            commit(&mut table, &mut rows);
            if mode == Mode::Bulk {
                rows.extend(
                    table
                        .flush_open()
                        .into_iter()
                        .map(|r| (r.values, r.from, r.to)),
                );
            }
            rows.sort();
            out.push(rows);
        }
        let bulk = out.pop().unwrap_or_default();
        (out.pop().unwrap_or_default(), bulk)
    }

    #[test]
    fn bulk_and_incremental_write_the_same_versions_whatever_the_batches() {
        let (reference, _) = both_modes(1);
        for batch in [1, 2, 5, 13, 100] {
            let (incremental, bulk) = both_modes(batch);
            assert_eq!(incremental, reference, "incremental, batch {batch}");
            assert_eq!(bulk, reference, "bulk, batch {batch}");
        }
        // Versions of one key never overlap, and an ended key has no open version.
        for key in ["a", "b", "c"] {
            let mut versions: Vec<_> = reference
                .iter()
                .filter(|(v, _, _)| v[0] == Value::Text(key.into()))
                .collect();
            versions.sort_by_key(|(_, from, _)| *from);
            for pair in versions.windows(2) {
                assert!(
                    pair[0].2.is_some_and(|to| to <= pair[1].1),
                    "{key}: {pair:?}"
                );
            }
        }
    }

    #[test]
    fn an_unchanged_state_writes_no_version() {
        let mut table: Versioned<R> = Versioned::default();
        table.put(Mode::Incremental, "a", R("a".into(), 1), 1);
        table.put(Mode::Incremental, "a", R("a".into(), 1), 2);
        let (inserts, closes) = table.take();
        assert_eq!((inserts.len(), closes.len()), (1, 0));
    }
}
