//! Questions to the read models, at the present or as of a past state of the log.
//!
//! Open a [`Snapshot`] with [`ReadModels::snapshot`]: it pins one position of the log (the
//! present checkpoint, a past position, or the last position recorded by a past time) and one
//! database snapshot, so every answer taken from it is consistent and says which position it
//! reflects. Questions whose answer depends on the world's date take an effective date `on`:
//! "as recorded on 1 January 2023, what was overdue on 31 December 2022?" is
//! `snapshot(AsOf::RecordedAt("2023-01-01T00:00:00Z"))` then `overdue_tasks(2022-12-31)`.
//!
//! The questions are grouped by area: [`units`] (names, parents, successors), `documents`
//! (documents, programmes, plans), [`tasks`] (tasks on a day, roll-ups), `reports` (reports,
//! revisions, discrepancies, the compliance matrix), `supervision` (obstacles, supervisions,
//! recommendations, briefings) and `audit` (the audit index, versions).

use std::sync::Arc;

use chrono::NaiveDate;
use ledger_store::Timestamp;

use crate::db::{Db, Tx, table_name};
use crate::error::{Error, Result};
use crate::memo::Memo;
use crate::tables::{Kind, TABLES, t};
use crate::value::{Row, Value};

/// Which state of the log to answer from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The latest projected position.
    Present,
    /// A global position.
    Position(u64),
    /// The last position recorded at or before a time.
    RecordedAt(Timestamp),
}

/// Read access to the read models.
#[derive(Debug, Clone)]
pub struct ReadModels {
    db: Db,
    memo: Arc<Memo>,
}

impl ReadModels {
    /// Queries over `db`, memoising the expensive answers within the default budget
    /// ([`crate::memo`]).
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self::with_memo(db, Memo::default())
    }

    /// Queries over `db`, memoising answers in `memo`.
    #[must_use]
    pub fn with_memo(db: Db, memo: Memo) -> Self {
        Self {
            db,
            memo: Arc::new(memo),
        }
    }

    /// Opens a consistent snapshot as of `as_of`.
    ///
    /// # Errors
    /// [`Error::NotYetProjected`] for a position beyond the checkpoint; database failures.
    pub async fn snapshot(&self, as_of: AsOf) -> Result<Snapshot> {
        self.snapshot_pinned(as_of, u64::MAX).await
    }

    /// Opens a consistent snapshot as of `as_of`, taking `pin` for the head when the
    /// checkpoint has moved beyond it: the snapshots of one request that pinned the
    /// checkpoint it started at all reflect that position, whatever the projector does
    /// meanwhile. (A snapshot as of the checkpoint itself reads the present rows, which are
    /// the same rows.)
    ///
    /// # Errors
    /// [`Error::NotYetProjected`] for a position beyond the checkpoint or `pin`; database
    /// failures.
    pub async fn snapshot_pinned(&self, as_of: AsOf, pin: u64) -> Result<Snapshot> {
        let mut tx = self.db.begin_read().await?;
        let live = tx.live().await?;
        let head = pin.min(live.position);
        let at = match as_of {
            AsOf::Present => head,
            AsOf::Position(p) if p > head => {
                return Err(Error::NotYetProjected {
                    asked: p,
                    checkpoint: head,
                });
            }
            AsOf::Position(p) => p,
            AsOf::RecordedAt(time) => position_at(&mut tx, live.generation, head, time).await?,
        };
        let at = (at < live.position).then_some(at);
        Ok(Snapshot {
            tx,
            memo: self.memo.clone(),
            generation: live.generation,
            checkpoint: live.position,
            at,
        })
    }
}

/// The last position recorded at or before `time`, among positions 1..=`checkpoint` (0 if
/// none): a binary search over the audit index by position, which works because recorded
/// times never decrease along positions (about 20 index lookups for a million events, and no
/// index on the recorded time to maintain).
async fn position_at(
    tx: &mut Tx,
    generation: u64,
    checkpoint: u64,
    time: Timestamp,
) -> Result<u64> {
    let sql = format!(
        "SELECT recorded_at FROM {} WHERE valid_from = ?",
        table_name(generation, &TABLES[t::AUDIT])
    );
    let wanted = time.to_string();
    let (mut lo, mut hi) = (0u64, checkpoint);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let rows = tx
            .fetch(&sql, &[Value::Int(ledger_store::store::sql_position(mid))])
            .await?;
        let recorded = match rows.first().and_then(|r| r.first()) {
            Some(Value::Text(t)) => t.clone(),
            _ => return Err(Error::Corrupt(format!("audit: no row for position {mid}"))),
        };
        if recorded <= wanted {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

/// One consistent view of the read models.
pub struct Snapshot {
    tx: Tx,
    memo: Arc<Memo>,
    generation: u64,
    checkpoint: u64,
    at: Option<u64>,
}

fn day(d: NaiveDate) -> Value {
    Value::Text(d.format("%Y-%m-%d").to_string())
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

mod audit;
mod documents;
mod reports;
mod supervision;
pub mod tasks;
pub mod units;

pub use audit::{AuditEntry, AuditFilter};
pub use documents::{DocumentRef, MissingUnitPlan};
pub use reports::{Cell, CellTotals, ComplianceMatrix, MatrixRow, ReportFilter, ReportRevision};
pub use supervision::{ObstacleOn, RecommendationOn};
pub use tasks::{Rollup, RollupBy, Tally, TaskOn};
pub use units::{Predecessor, Successors, status_on};

impl Snapshot {
    /// The log position this snapshot reflects.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.at.unwrap_or(self.checkpoint)
    }

    /// The read models' checkpoint when the snapshot was taken.
    #[must_use]
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint
    }

    /// Ends the snapshot.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn close(self) -> Result<()> {
        self.tx.rollback().await
    }

    fn name(&self, index: usize) -> String {
        table_name(self.generation, &TABLES[index])
    }

    /// The validity condition of table alias `a` of table `index` at this snapshot.
    fn valid(&self, index: usize, a: &str) -> String {
        match (TABLES[index].kind, self.at) {
            (Kind::Versioned, None) => format!("{a}.valid_to IS NULL"),
            (Kind::Versioned, Some(p)) => {
                format!("{a}.valid_from <= {p} AND ({a}.valid_to IS NULL OR {a}.valid_to > {p})")
            }
            (Kind::Fact, None) => "1 = 1".to_owned(),
            (Kind::Fact, Some(p)) => format!("{a}.valid_from <= {p}"),
        }
    }

    fn columns(index: usize, a: &str) -> String {
        TABLES[index]
            .columns
            .iter()
            .map(|c| format!("{a}.{}", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Rows of table `index` valid at this snapshot and matching `filter` (SQL over alias `x`).
    async fn rows<R: Row>(
        &mut self,
        index: usize,
        filter: &str,
        binds: &[Value],
        order: &str,
    ) -> Result<Vec<R>> {
        let sql = format!(
            "SELECT {} FROM {} x WHERE {} AND ({filter}) ORDER BY {order}",
            Self::columns(index, "x"),
            self.name(index),
            self.valid(index, "x"),
        );
        self.tx
            .fetch(&sql, binds)
            .await?
            .into_iter()
            .map(R::from_values)
            .collect()
    }

    async fn one<R: Row>(&mut self, index: usize, id: &str) -> Result<Option<R>> {
        let key = TABLES[index].columns[0].name;
        Ok(self
            .rows(
                index,
                &format!("x.{key} = ?"),
                &[Value::Text(id.to_owned())],
                "1",
            )
            .await?
            .into_iter()
            .next())
    }
}
