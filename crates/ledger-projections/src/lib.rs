//! Read models of the progress ledger.
//!
//! The projector ([`Projector`]) follows the global log and writes read models into tables on
//! PostgreSQL or SQLite ([`Db`]); [`ReadModels`] answers questions from them, at the present or
//! **as of** any past position or recorded time, and where the world's date matters, on any
//! effective date.
//!
//! - [`tables`]: the row types and tables: versioned entity states and dated facts;
//! - [`project`]: how each domain event changes them (pure, no IO);
//! - [`state`]: the working set and the two write modes (incremental, bulk);
//! - [`db`]: the database interface and the generation scheme behind rebuilds;
//! - [`projector`]: the running projector, its checkpoint and lag, and [`rebuild`];
//! - [`query`]: the questions;
//! - [`memo`]: the expensive answers, memoised by position.
//!
//! All read models share one checkpoint, so every answer reflects one position of the log.

pub mod db;
pub mod error;
#[cfg(feature = "graphql")]
mod graphql;
pub mod memo;
pub mod project;
pub mod projector;
pub mod query;
pub mod state;
pub mod tables;
pub mod value;

pub use db::{Db, Meta};
pub use error::{Error, Result};
pub use memo::Memo;
pub use projector::{
    CrashPoint, Health, Lag, Progress, Projector, ProjectorOptions, RebuildSummary, rebuild,
};

pub use query::{AsOf, AuditFilter, ReadModels, ReportFilter, RollupBy, Snapshot};
