//! Variants of one real FatturaPA file (`tests/fixtures/fatturapa/IT01234567890_FPA01.xml`): each
//! with its own supplier, number, date and amounts, so that every one is a new document.

/// A valid partita IVA (check digit computed) from a number.
pub fn partita_iva(seed: usize) -> String {
    let digits: Vec<u32> = format!("{:010}", 1_000_000 + seed * 7919)
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let mut sum = 0;
    for (i, d) in digits.iter().enumerate() {
        sum += if i % 2 == 0 {
            *d
        } else {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        };
    }
    let check = (10 - sum % 10) % 10;
    format!(
        "{}{check}",
        digits.iter().map(|d| d.to_string()).collect::<String>()
    )
}

/// Variant `i` of `fixture`: one of 200 suppliers, number `{prefix}{i}/2020`, a date in the
/// project's period and its own amounts. Returns the supplier's partita IVA and the file's text.
pub fn variant(fixture: &str, prefix: &str, i: usize) -> (String, String) {
    let day = 1 + i % 28;
    let month = 9 + (i / 28) % 4;
    let supplier = partita_iva(i % 200);
    let cents = 10_000 + (i * 37) % 90_000;
    let (net, vat) = (cents, cents * 22 / 100);
    let money = |c: usize| format!("{}.{:02}", c / 100, c % 100);
    let text = fixture
        .replacen(
            "<IdCodice>01234567890</IdCodice>\n        </IdFiscaleIVA>",
            &format!("<IdCodice>{supplier}</IdCodice>\n        </IdFiscaleIVA>"),
            1,
        )
        .replacen(
            "<Data>2017-01-18</Data>",
            &format!("<Data>2020-{month:02}-{day:02}</Data>"),
            1,
        )
        .replacen(
            "<Numero>123</Numero>",
            &format!("<Numero>{prefix}{i}/2020</Numero>"),
            1,
        )
        .replace("<ImponibileImporto>", "<ImponibileImporto>X")
        .replace("<Imposta>", "<Imposta>Y");
    let text = replace_values(&text, "<ImponibileImporto>X", &money(net));
    let text = replace_values(&text, "<Imposta>Y", &money(vat));
    (supplier, text)
}

/// Replaces the value after each `marker` (up to the next `<`) with `value`.
fn replace_values(text: &str, marker: &str, value: &str) -> String {
    let tag = &marker[..marker.len() - 1];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i]);
        out.push_str(tag);
        out.push_str(value);
        let after = &rest[i + marker.len()..];
        rest = &after[after.find('<').unwrap_or(after.len())..];
    }
    out.push_str(rest);
    out
}
