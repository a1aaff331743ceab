//! Tests of the CSV reader.

use super::*;

fn sheet(text: &str) -> Sheet {
    parse(text.as_bytes(), &Mapping::default()).expect("sheet")
}

#[test]
fn reads_italian_spreadsheets() {
    let s = sheet(
        "\u{feff}Ente;Fornitore;P.IVA;N. fattura;Data fattura;Imponibile;IVA;Tipo documento;Note\n\
         Unione;Alfa S.r.l.;01234567897;12/A;31/01/2021;1.234,56;271,60;Nota di credito;x\n\
         \n\
         Unione;Beta;;7;1/2/2021;10;2,2;;\n",
    );
    assert_eq!(s.ignored, vec!["Note".to_string()]);
    assert_eq!(s.rows.len(), 2, "blank lines skipped");
    let r = &s.rows[0];
    assert_eq!(r.line, 2);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.values["net_amount"], "1234.56");
    assert_eq!(r.values["vat_amount"], "271.60");
    assert_eq!(r.values["document_date"], "2021-01-31");
    assert_eq!(r.values["document_type"], "credit_note");
    assert_eq!(r.values["supplier_vat"], "01234567897");
    assert_eq!(
        s.rows[1].line, 4,
        "lines count as the spreadsheet shows them"
    );
    assert_eq!(s.rows[1].values["document_date"], "2021-02-01");
    assert!(!s.rows[1].values.contains_key("supplier_vat"));
}

#[test]
fn every_bad_cell_is_named() {
    let s = sheet("fornitore;data;imponibile;iva\nA;31/02/2021;12,3,4;abc\n");
    let errors = &s.rows[0].errors;
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["document_date", "net_amount", "vat_amount"]);
    assert!(
        errors[0].message.contains("colonna «data»"),
        "{}",
        errors[0].message
    );
}

#[test]
fn mapping_names_other_headers() {
    let mut m = Mapping::default();
    m.0.insert("net_amount".into(), "Netto fattura".into());
    let s = parse(b"Fornitore;Netto fattura\nA;5,00\n", &m).expect("sheet");
    assert_eq!(s.rows[0].values["net_amount"], "5.00");
    m.0.insert("vat_amount".into(), "Manca".into());
    m.0.insert("colore".into(), "Fornitore".into());
    let errors = parse(b"Fornitore;Netto fattura\nA;5,00\n", &m).expect_err("errors");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["map.colore", "map.vat_amount"]);
}

#[test]
fn windows_1252_and_commas() {
    let bytes = b"Fornitore,Descrizione\nCaf\xe9,Attivit\xe0\n";
    let s = parse(bytes, &Mapping::default()).expect("sheet");
    assert_eq!(s.rows[0].values["supplier_name"], "Café");
    assert_eq!(s.rows[0].values["description"], "Attività");
}

#[test]
fn lines_count_every_kind_of_line_end() {
    let s = sheet("Fornitore;Imponibile\r\rA;1\rB;2\r\nC;3\n");
    let lines: Vec<usize> = s.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 4, 5]);
}

#[test]
fn no_input_panics() {
    for input in [
        &b""[..],
        b"\xff\xfe",
        b";;;\n;;",
        b"\"",
        b"a;b\n\"x",
        b"data\n99/99/99999999999",
    ] {
        let _ = parse(input, &Mapping::default());
    }
}
