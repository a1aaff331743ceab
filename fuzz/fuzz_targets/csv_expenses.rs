//! Any bytes given to the CSV readers (expenses and payments), with or without a mapping, give
//! rows or errors, never a panic; every row's line is a real line of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rendiconta::imports::csv::{self, Mapping, FIELDS, PAYMENT_FIELDS};

fuzz_target!(|data: &[u8]| {
    // Lines end with `\n`, `\r\n` or a lone `\r`, as spreadsheets (and the reader) count them.
    let lines = (0..data.len())
        .filter(|&i| data[i] == b'\n' || (data[i] == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count()
        + 1;
    let mut mapping = Mapping::default();
    if data.len() > 2 && data[0] % 2 == 0 {
        mapping.0.insert("net_amount".into(), "Netto".into());
    }
    for fields in [FIELDS, PAYMENT_FIELDS] {
        if let Ok(sheet) = csv::read(data, &mapping, fields) {
            for row in &sheet.rows {
                assert!(row.line >= 2 && row.line <= lines, "line {} of {lines}", row.line);
            }
        }
    }
});
