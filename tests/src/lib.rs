//! Shared pieces of the ledger's integration tests: per-test databases and the event-store
//! conformance suite that every backend passes.

// Test support code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

pub mod backends;
pub mod conformance;
pub mod postgres;
pub mod projections;
