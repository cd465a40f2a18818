//! Document numbers ("44-KH/TU", "350/STP-BTTP"): parsing never panics, and a parsed number
//! reads back as itself.
#![no_main]

use ledger_domain::value::DocumentNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(number) = DocumentNumber::parse(text) {
        let again = DocumentNumber::parse(&number.to_string()).expect("a parsed number parses");
        assert_eq!(again, number);
    }
});
