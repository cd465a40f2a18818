//! Scenario files (`ledger import`): any text is parsed or refused with a message, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(e) = ledger_app::scenario::parse(text) {
        assert!(!e.to_string().is_empty());
    }
});
