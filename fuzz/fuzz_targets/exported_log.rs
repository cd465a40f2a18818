//! Exported logs (`ledger verify --log`): any bytes are verified or refused with a finding,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = ledger_verify::verify_lines(bytes, Vec::new(), &mut |_| {});
});
