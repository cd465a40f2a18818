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
//! - [`cqrs`]: a cqrs-es `PersistedEventRepository` over any [`EventStore`].
//!
//! The PostgreSQL and SQLite backends live in `ledger-store-postgres` and `ledger-store-sqlite`.

pub mod batch;
pub mod cqrs;
pub mod envelope;
pub mod error;
pub mod memory;
pub mod store;
pub mod subscription;
pub mod writer;

pub use envelope::{
    Actor, AppendRequest, AppendResult, EventBody, ExpectedVersion, Head, Metadata, NewEvent,
    StoredEvent, StreamAppend, StreamVersion, Timestamp,
};
pub use error::{Error, Result};
pub use ledger_proof::Hash;
pub use memory::MemoryStore;
pub use store::{AsOf, Direction, EventStore, LogFilter, ReadAll, ReadStream};
pub use subscription::Subscription;
