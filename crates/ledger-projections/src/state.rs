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
        let values = row.to_values();
        if let Some(old) = self.open.get_mut(key)
            && old.from == position
        {
            // A second change by the same event: replace the version it made.
            if let Some(i) = old.pending {
                self.inserts[i].values = values;
            }
            old.row = row;
            return;
        }
        self.retire(mode, key, position);
        let pending = match mode {
            Mode::Incremental => {
                self.inserts.push(PendingRow {
                    values,
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
                values: old.row.to_values(),
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

    /// Number of open versions.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
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
    pub fn add(&mut self, row: &R, position: u64) {
        self.rows.push(PendingRow {
            values: row.to_values(),
            from: position,
            to: None,
        });
    }

    /// Takes the batch's rows.
    pub fn take(&mut self) -> Vec<PendingRow> {
        std::mem::take(&mut self.rows)
    }
}
