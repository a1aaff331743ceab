//! Any bytes given to the FatturaPA importer (XML, signed .p7m, Base64) give a result or an
//! error, never a panic; what it accepts has the invariants the services rely on.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(fattura) = rendiconta::imports::fatturapa::parse(data) {
        for doc in &fattura.documents {
            assert!(!doc.taxable.is_negative(), "credit notes are stored positive");
            assert!(!doc.vat.is_negative());
        }
    }
});
