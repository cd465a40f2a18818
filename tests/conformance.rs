//! The event-store conformance suite, run against every backend.

mod memory {
    ledger_tests::conformance_tests!(ledger_tests::backends::Memory);
}

mod sqlite {
    ledger_tests::conformance_tests!(ledger_tests::backends::Sqlite);
}

mod postgres {
    ledger_tests::conformance_tests!(ledger_tests::backends::Postgres);
}
