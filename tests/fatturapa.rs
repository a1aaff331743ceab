//! The FatturaPA reader against real files from public projects (`tests/fixtures/fatturapa/`,
//! sources and licences in SOURCES.md there): every fact of EXPECTED.md, including its traps.

use rendiconta::domain::Money;
use rendiconta::imports::fatturapa::{parse, Fattura, FatturaError};

fn read(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fatturapa")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(name: &str) -> Fattura {
    parse(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn m(s: &str) -> Money {
    s.parse().unwrap_or_else(|_| panic!("{s}"))
}

/// One row of EXPECTED.md's summary table.
struct Row {
    file: &'static str,
    format: &'static str,
    body: usize,
    supplier: &'static str,
    vat_id: &'static str,
    kind: &'static str,
    number: &'static str,
    date: &'static str,
    taxable: &'static str,
    vat: &'static str,
    stated: Option<&'static str>,
    split: bool,
    cup: &'static [&'static str],
    cig: &'static [&'static str],
    lines: usize,
}

#[rustfmt::skip]
const ROWS: &[Row] = &[
    Row { file: "IT01234567890_FPA01.xml", format: "FPA12", body: 1, supplier: "ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "123", date: "2017-01-18", taxable: "5.00", vat: "1.10", stated: None, split: false, cup: &["123abc"], cig: &["456def"], lines: 1 },
    Row { file: "IT01234567890_FPA02.xml", format: "FPA12", body: 1, supplier: "ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "123", date: "2017-01-18", taxable: "25.00", vat: "5.50", stated: None, split: false, cup: &["123abc"], cig: &["456def"], lines: 2 },
    Row { file: "IT01234567890_FPA03.xml", format: "FPA12", body: 1, supplier: "ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "12", date: "2017-01-18", taxable: "25.00", vat: "5.50", stated: None, split: false, cup: &["123abc"], cig: &["456def"], lines: 2 },
    Row { file: "IT01234567890_FPA03.xml", format: "FPA12", body: 2, supplier: "ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "456", date: "2017-01-20", taxable: "2000.00", vat: "440.00", stated: None, split: false, cup: &["123abc"], cig: &["456def"], lines: 1 },
    Row { file: "IT01234567890_FPR01.xml", format: "FPR12", body: 1, supplier: "SOCIETA' ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "123", date: "2014-12-18", taxable: "5.00", vat: "1.10", stated: None, split: false, cup: &["123abc"], cig: &["456def"], lines: 1 },
    Row { file: "IT01234567890_FPR02.xml", format: "FPR12", body: 1, supplier: "SOCIETA' ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "123", date: "2014-12-18", taxable: "27.00", vat: "5.95", stated: None, split: false, cup: &[], cig: &[], lines: 2 },
    Row { file: "IT01234567890_FPR03.xml", format: "FPR12", body: 1, supplier: "SOCIETA' ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "123", date: "2014-12-18", taxable: "27.00", vat: "5.95", stated: None, split: false, cup: &[], cig: &[], lines: 2 },
    Row { file: "IT01234567890_FPR03.xml", format: "FPR12", body: 2, supplier: "SOCIETA' ALPHA SRL", vat_id: "IT01234567890", kind: "TD01", number: "456", date: "2014-12-20", taxable: "2000.00", vat: "440.00", stated: None, split: false, cup: &[], cig: &[], lines: 1 },
    Row { file: "invoice-b2g.xml", format: "FPA12", body: 1, supplier: "Hotel California", vat_id: "IT12345678903", kind: "TD01", number: "SAMPLE-002", date: "2024-10-09", taxable: "241.00", vat: "24.00", stated: Some("265.00"), split: false, cup: &[], cig: &["ZB98B4A235"], lines: 2 },
    Row { file: "invoice-credit-note.xml", format: "FPR12", body: 1, supplier: "M\u{aa}F. Services", vat_id: "IT12345678903", kind: "TD04", number: "CN-001", date: "2024-10-09", taxable: "1720.00", vat: "356.40", stated: Some("1388.40"), split: false, cup: &[], cig: &[], lines: 2 },
    Row { file: "ESEMPIO TD24.xml", format: "FPR12", body: 1, supplier: "ACME SRL", vat_id: "IT03012345678", kind: "TD24", number: "90", date: "2021-02-24", taxable: "3086.14", vat: "128.15", stated: Some("3214.29"), split: false, cup: &[], cig: &[], lines: 6 },
    Row { file: "IT01234567899_000sq.xml", format: "FPR12", body: 1, supplier: "ACME SPA", vat_id: "IT01234567899", kind: "TD01", number: "1", date: "2019-03-19", taxable: "2119.23", vat: "358.68", stated: Some("2486.02"), split: true, cup: &[], cig: &[], lines: 5 },
    Row { file: "IT02182030391_32.xml", format: "FPR12", body: 1, supplier: "Azienda di esempio", vat_id: "IT12345678901", kind: "TD06", number: "3", date: "2017-01-27", taxable: "143.28", vat: "31.52", stated: Some("174.80"), split: true, cup: &["cup"], cig: &["cig"], lines: 2 },
    Row { file: "IT02182030391_32.xml", format: "FPR12", body: 2, supplier: "Azienda di esempio", vat_id: "IT12345678901", kind: "TD06", number: "4", date: "2017-01-27", taxable: "143.28", vat: "31.52", stated: Some("174.80"), split: true, cup: &["cup"], cig: &["cig"], lines: 2 },
    Row { file: "IT02182030391_32.windows-1252.xml", format: "FPR12", body: 1, supplier: "Azienda di esempio", vat_id: "IT12345678901", kind: "TD06", number: "3", date: "2017-01-27", taxable: "143.28", vat: "31.52", stated: Some("174.80"), split: true, cup: &["cup"], cig: &["cig"], lines: 2 },
    Row { file: "IT02182030391_32.windows-1252.xml", format: "FPR12", body: 2, supplier: "Azienda di esempio", vat_id: "IT12345678901", kind: "TD06", number: "4", date: "2017-01-27", taxable: "143.28", vat: "31.52", stated: Some("174.80"), split: true, cup: &["cup"], cig: &["cig"], lines: 2 },
    Row { file: "IT02182030391_31.xml.p7m", format: "FPR12", body: 1, supplier: "Azienda di esempio", vat_id: "IT02182030391", kind: "TD01", number: "2", date: "2018-06-08", taxable: "100.00", vat: "22.00", stated: Some("122.00"), split: true, cup: &[], cig: &[], lines: 1 },
    Row { file: "IT02182030391_31.Base64.xml.p7m", format: "FPR12", body: 1, supplier: "Azienda di esempio", vat_id: "IT02182030391", kind: "TD01", number: "2", date: "2018-06-08", taxable: "100.00", vat: "22.00", stated: Some("122.00"), split: true, cup: &[], cig: &[], lines: 1 },
    Row { file: "IT00484960588_ERKHK.xml.p7m", format: "FPR12", body: 1, supplier: "Eni SpADivisione Refining & Marketing", vat_id: "IT00905811006", kind: "TD01", number: "30122583", date: "2018-11-30", taxable: "444.52", vat: "97.79", stated: Some("542.31"), split: false, cup: &[], cig: &[], lines: 1 },
];

#[test]
fn every_fact_of_the_expected_table() {
    for row in ROWS {
        let f = load(row.file);
        let what = format!("{} body {}", row.file, row.body);
        assert_eq!(f.format, row.format, "{what}");
        assert_eq!(
            f.supplier_name, row.supplier,
            "{what}: the supplier is the CedentePrestatore"
        );
        assert_eq!(
            f.supplier_vat, row.vat_id,
            "{what}: not the transmitter, nor a representative"
        );
        let d = &f.documents[row.body - 1];
        assert_eq!(d.kind, row.kind, "{what}");
        assert_eq!(d.number, row.number, "{what}");
        assert_eq!(d.date.to_string(), row.date, "{what}");
        assert_eq!(
            d.taxable,
            m(row.taxable),
            "{what}: taxable from the VAT summary"
        );
        assert_eq!(d.vat, m(row.vat), "{what}: VAT from the VAT summary");
        assert_eq!(d.stated_total, row.stated.map(m), "{what}");
        assert_eq!(d.split_payment, row.split, "{what}");
        assert_eq!(d.cups, row.cup, "{what}: CUP deduplicated");
        assert_eq!(d.cigs, row.cig, "{what}: CIG deduplicated");
        assert_eq!(d.lines, row.lines, "{what}");
    }
}

#[test]
fn batches_make_one_document_per_body() {
    for (file, bodies) in [
        ("IT01234567890_FPA03.xml", 2),
        ("IT01234567890_FPR03.xml", 2),
        ("IT02182030391_32.xml", 2),
        ("IT01234567890_FPA01.xml", 1),
    ] {
        assert_eq!(load(file).documents.len(), bodies, "{file}");
    }
}

#[test]
fn disagreeing_totals_are_flagged_and_the_summary_wins() {
    // Stated total ≠ summary: document-level discount/surcharge (credit note), withholding and funds (000sq).
    for file in ["invoice-credit-note.xml", "IT01234567899_000sq.xml"] {
        let d = &load(file).documents[0];
        assert!(
            d.warnings.iter().any(|w| w.contains("totale dichiarato")),
            "{file}: {:?}",
            d.warnings
        );
    }
    // Lines that do not add up to the summary (FPR02): warned, the summary is kept.
    let d = &load("IT01234567890_FPR02.xml").documents[0];
    assert_eq!(d.taxable, m("27.00"));
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("le righe sommano 25,00")),
        "{:?}",
        d.warnings
    );
    // Totals that agree raise nothing.
    assert!(load("ESEMPIO TD24.xml").documents[0].warnings.is_empty());
    // The trailing space of "265.00 " is not a problem.
    assert_eq!(
        load("invoice-b2g.xml").documents[0].stated_total,
        Some(m("265.00"))
    );
}

#[test]
fn credit_notes_are_positive_and_known_as_such() {
    let d = &load("invoice-credit-note.xml").documents[0];
    assert!(d.is_credit_note());
    assert!(d.taxable.is_positive() && d.vat.is_positive());
    assert!(!load("ESEMPIO TD24.xml").documents[0].is_credit_note());
}

#[test]
fn both_signed_forms_carry_the_same_invoice() {
    assert_eq!(
        load("IT02182030391_31.xml.p7m"),
        load("IT02182030391_31.Base64.xml.p7m")
    );
    assert_eq!(
        load("IT02182030391_32.xml"),
        load("IT02182030391_32.windows-1252.xml")
    );
}

#[test]
fn a_tampered_envelope_is_refused() {
    let refused = parse(&read("IT02182030391_31_tampered.xml.p7m"));
    assert!(
        matches!(refused, Err(FatturaError::Signed(_))),
        "{refused:?}"
    );
    // Changing one byte of the signed XML inside a genuine envelope breaks the signed digest.
    let mut bytes = read("IT02182030391_31.xml.p7m");
    let at = bytes
        .windows(8)
        .position(|w| w == b"100.00</")
        .expect("amount in the payload");
    bytes[at] = b'9';
    let refused = parse(&bytes);
    assert_eq!(
        refused.map(|_| ()),
        Err(FatturaError::Signed(
            rendiconta::imports::fatturapa::p7m::P7mError::DigestMismatch
        ))
    );
}

/// Forged signed attributes (content and digest left consistent) fail the RSA signature; so does a
/// signature with one bit changed. The genuine envelopes of both signers verify.
#[test]
fn the_rsa_signature_is_checked() {
    use rendiconta::imports::fatturapa::p7m::P7mError;
    for genuine in ["IT02182030391_31.xml.p7m", "IT00484960588_ERKHK.xml.p7m"] {
        assert!(parse(&read(genuine)).is_ok(), "{genuine} verifies");
    }
    let bytes = read("IT02182030391_31.xml.p7m");
    // signingTime (1.2.840.113549.1.9.5), a signed attribute: change one digit of its UTCTime.
    let oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];
    let at = bytes
        .windows(oid.len())
        .position(|w| w == oid)
        .expect("signing time");
    let time = at
        + bytes[at..]
            .iter()
            .position(|b| *b == 0x17)
            .expect("UTCTime")
        + 2;
    let mut forged = bytes.clone();
    forged[time] = if forged[time] == b'1' { b'2' } else { b'1' };
    assert_eq!(
        parse(&forged).map(|_| ()),
        Err(FatturaError::Signed(P7mError::BadSignature))
    );
    // The last byte of the RSA signature value (the OCTET STRING after sha256WithRSA/rsaEncryption
    // in the signer info).
    let rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    let alg = bytes
        .windows(rsa.len())
        .rposition(|w| w == rsa)
        .expect("signature algorithm");
    let value = alg
        + bytes[alg..]
            .iter()
            .position(|b| *b == 0x04)
            .expect("OCTET STRING");
    let len = usize::from(bytes[value + 2]) << 8 | usize::from(bytes[value + 3]);
    assert_eq!(bytes[value + 1], 0x82, "a two-byte length");
    let mut flipped = bytes.clone();
    flipped[value + 3 + len] ^= 0x01;
    assert_eq!(
        parse(&flipped).map(|_| ()),
        Err(FatturaError::Signed(P7mError::BadSignature))
    );
}

#[test]
fn descriptions_come_from_causale_or_the_first_line() {
    // Two Causale elements are one text, joined.
    let d = &load("IT01234567890_FPA01.xml").documents[0];
    assert!(
        d.description.starts_with("LA FATTURA FA RIFERIMENTO"),
        "{}",
        d.description
    );
    assert!(
        d.description.contains(" SEGUE DESCRIZIONE CAUSALE"),
        "{}",
        d.description
    );
    // Without a Causale, the first line's description.
    let d = &load("invoice-b2g.xml").documents[0];
    assert_eq!(d.description, "Tassa di Soggiorno");
}

#[test]
fn no_input_panics() {
    // Every prefix and a sprinkling of corrupted bytes of every fixture: errors, never panics.
    for name in [
        "IT01234567890_FPA03.xml",
        "IT02182030391_31.xml.p7m",
        "invoice-credit-note.xml",
    ] {
        let bytes = read(name);
        for cut in (0..bytes.len()).step_by(97) {
            let _ = parse(&bytes[..cut]);
            let mut flipped = bytes.clone();
            flipped[cut] ^= 0x5a;
            let _ = parse(&flipped);
        }
    }
    // Found by `scripts/fuzz`: a declaration whose encoding is quoted by a multi-byte character.
    let found = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz/fatturapa-encoding-quote.xml"),
    )
    .expect("fuzz finding");
    assert!(parse(&found).is_err());
}
