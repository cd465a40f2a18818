//! The progress ledger's event store.
//!
//! Every change to the ledger is an immutable event in one global log. This crate defines what a
//! stored event is ([`envelope`]), what every backend must do ([`EventStore`]), and the parts all
//! backends share:
//! - [`batch`]: the pure decision of what a batch of appends writes (expectations, idempotency,
//!   gapless positions, recorded times, leaf hashes, Merkle head), so every backend commits
//!   the same bytes;
//! - [`writer`]: group commit, funnelling concurrent appends to one task that commits them in
//!   batches, one transaction per batch;
//! - [`subscription`]: catch up from a position, then follow the log live;
//! - [`memory`]: an in-memory backend for tests and tools;
//! - [`dynamic`]: any backend behind one type ([`DynStore`]), for the layers above the store;
//! - [`condition`]: tags and append conditions (dynamic consistency boundaries);
//! - [`cqrs`]: a cqrs-es `PersistedEventRepository` over any [`EventStore`].
//!
//! The PostgreSQL and SQLite backends live in `ledger-store-postgres` and `ledger-store-sqlite`.

pub mod batch;
pub mod condition;
pub mod cqrs;
pub mod dynamic;
pub mod envelope;
pub mod error;
pub mod memory;
pub mod schema;
pub mod store;
pub mod subscription;
pub mod writer;

pub use condition::{AppendCondition, Query, QueryItem};
pub use dynamic::DynStore;
pub use envelope::{
    Actor, AppendRequest, AppendResult, Dating, EventBody, ExpectedVersion, Head, Metadata,
    NewEvent, StoredEvent, StreamAppend, StreamVersion, Timestamp,
};
pub use error::{Error, Result};
pub use ledger_proof::Hash;
pub use memory::MemoryStore;
pub use schema::SchemaState;
pub use store::{AsOf, Direction, EventStore, KeptCheckpoint, LogFilter, ReadAll, ReadStream};
pub use subscription::Subscription;
