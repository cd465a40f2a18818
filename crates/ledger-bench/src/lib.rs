//! Benchmarks of the progress ledger. The code is in `benches/`; run
//! `cargo bench -p ledger-bench --bench append` (see `docs/PERFORMANCE.md`).
