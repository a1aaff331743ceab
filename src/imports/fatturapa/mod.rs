//! FatturaPA e-invoices (the XML every supplier of an Italian public body must send through the
//! SdI): one file may carry several bodies, one document each. Read namespace-agnostically (the
//! prefixes vary: `p:`, `ns0:`, `ns3:`…), in any declared encoding, with or without a BOM, plain or
//! inside a signed `.p7m`. The VAT summary (`DatiRiepilogo`) is the authority for the amounts;
//! the stated document total is kept to warn when it disagrees.
//!
//! Hostile XML is refused: a DOCTYPE (the door to external entities and entity expansion) is never
//! accepted, and only XML's predefined entities are ever expanded.

pub mod p7m;

use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::Reader;
use rust_decimal::Decimal;

use crate::domain::validation::plausible_date;
use crate::domain::Money;

/// The largest file accepted (a signed invoice with attachments is a few MB at most).
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FatturaError {
    #[error("il file supera {} MB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    #[error(transparent)]
    Signed(#[from] p7m::P7mError),
    #[error("codifica «{0}» sconosciuta")]
    UnknownEncoding(String),
    #[error(
        "il file contiene una dichiarazione DOCTYPE: rifiutato per sicurezza (entità esterne)"
    )]
    Doctype,
    #[error("XML non valido: {0}")]
    Xml(String),
    #[error("non è una fattura elettronica FatturaPA (manca FatturaElettronica)")]
    NotFatturaPa,
    #[error("fattura {body}: {what}")]
    Invalid { body: usize, what: String },
}

/// One document (a `FatturaElettronicaBody`) as the project needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// `TD01` (invoice), `TD04` (credit note), `TD06` (parcella), `TD24` (deferred invoice)…
    pub kind: String,
    pub number: String,
    pub date: NaiveDate,
    pub description: String,
    /// Σ `ImponibileImporto` and Σ `Imposta` of the VAT summary, stored positive (a credit note
    /// is one by its kind, whatever sign the file uses).
    pub taxable: Money,
    pub vat: Money,
    /// `ImportoTotaleDocumento` as stated, when present.
    pub stated_total: Option<Money>,
    /// Some VAT is under split payment (`EsigibilitaIVA` S): paid to the State by the body, still
    /// a cost of the project.
    pub split_payment: bool,
    pub cups: Vec<String>,
    pub cigs: Vec<String>,
    pub lines: usize,
    /// The invoice a credit note corrects (`DatiFattureCollegate`: its number, and its date when
    /// given), the first one named.
    pub corrects: Option<(String, Option<NaiveDate>)>,
    /// Things a person should look at (totals that disagree…), in Italian.
    pub warnings: Vec<String>,
}

impl Document {
    pub fn is_credit_note(&self) -> bool {
        matches!(self.kind.as_str(), "TD04" | "TD08")
    }

    pub fn total(&self) -> Money {
        self.taxable + self.vat
    }
}

/// A whole file: the supplier (the `CedentePrestatore`, never the transmitter or a
/// representative) and its documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fattura {
    /// `FPA12` or `FPR12`.
    pub format: String,
    pub supplier_name: String,
    /// `IdPaese` + `IdCodice` of the supplier's `IdFiscaleIVA`, or its codice fiscale.
    pub supplier_vat: String,
    pub documents: Vec<Document>,
}

/// Reads a FatturaPA file: plain XML or a signed `.p7m` (binary or Base64).
pub fn parse(bytes: &[u8]) -> Result<Fattura, FatturaError> {
    if bytes.len() > MAX_BYTES {
        return Err(FatturaError::TooLarge);
    }
    let xml;
    let bytes = if p7m::looks_signed(bytes) {
        xml = p7m::unwrap(bytes)?;
        xml.as_slice()
    } else {
        bytes
    };
    parse_xml(&decode(bytes)?)
}

/// The text of the file: a BOM decides, else the declared encoding, else UTF-8.
fn decode(bytes: &[u8]) -> Result<String, FatturaError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, bad) = encoding.decode(&bytes[bom..]);
        if bad {
            return Err(FatturaError::Xml(format!(
                "caratteri non validi in {}",
                encoding.name()
            )));
        }
        return Ok(text.into_owned());
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    let declared = head
        .strip_prefix("<?xml")
        .and_then(|decl| decl.split("?>").next())
        .and_then(|decl| decl.split("encoding=").nth(1))
        .and_then(|rest| {
            let quote = rest.chars().next()?;
            rest[quote.len_utf8()..]
                .split(quote)
                .next()
                .map(str::to_owned)
        });
    let encoding = match declared {
        Some(label) => encoding_rs::Encoding::for_label(label.trim().as_bytes())
            .ok_or(FatturaError::UnknownEncoding(label))?,
        None => encoding_rs::UTF_8,
    };
    let (text, bad) = encoding.decode_without_bom_handling(bytes);
    if bad {
        return Err(FatturaError::Xml(format!(
            "caratteri non validi in {}",
            encoding.name()
        )));
    }
    Ok(text.into_owned())
}

/// A decimal as the file writes it: stray spaces, up to 8 decimals.
fn decimal(raw: &str) -> Option<Decimal> {
    raw.trim().parse::<Decimal>().ok()
}

#[derive(Default)]
struct BodyBuilder {
    kind: String,
    number: String,
    date: String,
    causale: Vec<String>,
    first_line: Option<String>,
    taxable: Decimal,
    vat: Decimal,
    summaries: usize,
    stated_total: Option<String>,
    split: bool,
    cups: Vec<String>,
    cigs: Vec<String>,
    lines: usize,
    lines_total: Decimal,
    linked_numbers: Vec<String>,
    linked_dates: Vec<String>,
    errors: Vec<String>,
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    let v = value.trim();
    if !v.is_empty() && !list.iter().any(|x| x == v) {
        list.push(v.to_owned());
    }
}

/// The elements that carry CUP and CIG codes.
const REFERENCE_BLOCKS: &[&str] = &[
    "DatiOrdineAcquisto",
    "DatiContratto",
    "DatiConvenzione",
    "DatiRicezione",
    "DatiFattureCollegate",
];

fn parse_xml(text: &str) -> Result<Fattura, FatturaError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut walk = Walk::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| FatturaError::Xml(e.to_string()))?;
        match event {
            Event::DocType(_) => return Err(FatturaError::Doctype),
            Event::Start(e) => walk.start(&e)?,
            Event::End(_) => walk.end(),
            Event::Empty(_) | Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
            Event::Text(t) => {
                let value = t
                    .decode()
                    .map_err(|e| FatturaError::Xml(e.to_string()))
                    .and_then(|raw| {
                        quick_xml::escape::unescape(&raw)
                            .map(|s| s.into_owned())
                            .map_err(|e| FatturaError::Xml(e.to_string()))
                    })?;
                walk.text(&value);
            }
            Event::CData(c) => walk.text(&String::from_utf8_lossy(&c)),
            Event::GeneralRef(r) => walk.text(&general_ref(&String::from_utf8_lossy(&r))?),
            Event::Eof => break,
        }
    }
    walk.finish()
}

/// Where the reader is in the document, and what it has collected so far.
#[derive(Default)]
struct Walk {
    path: Vec<String>,
    format: String,
    supplier: Supplier,
    bodies: Vec<BodyBuilder>,
    root_seen: bool,
    /// How deep inside an XML signature (its content is not the invoice's).
    in_signature: usize,
}

impl Walk {
    fn start(&mut self, e: &quick_xml::events::BytesStart<'_>) -> Result<(), FatturaError> {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        if self.in_signature > 0 || name == "Signature" {
            self.in_signature += 1;
            return Ok(());
        }
        if self.path.is_empty() {
            if name != "FatturaElettronica" {
                return Err(FatturaError::NotFatturaPa);
            }
            self.root_seen = true;
            for attr in e.attributes().flatten() {
                if attr.key.local_name().as_ref() == b"versione" {
                    self.format = String::from_utf8_lossy(&attr.value).into_owned();
                }
            }
        }
        if name == "FatturaElettronicaBody" && self.path.len() == 1 {
            self.bodies.push(BodyBuilder::default());
        }
        if let Some(b) = self.bodies.last_mut() {
            match name.as_str() {
                "DettaglioLinee" => b.lines += 1,
                "DatiRiepilogo" => b.summaries += 1,
                _ => {}
            }
        }
        self.path.push(name);
        Ok(())
    }

    fn end(&mut self) {
        if self.in_signature > 0 {
            self.in_signature -= 1;
        } else {
            self.path.pop();
        }
    }

    /// Text inside an element below the header or a body (a signature's aside).
    fn text(&mut self, value: &str) {
        if self.in_signature == 0 && self.path.len() >= 3 {
            collect(
                &self.path,
                value,
                &mut self.supplier,
                &mut self.format,
                self.bodies.last_mut(),
            );
        }
    }

    fn finish(self) -> Result<Fattura, FatturaError> {
        if !self.root_seen {
            return Err(FatturaError::NotFatturaPa);
        }
        let (denominazione, nome, cognome, id_paese, id_codice) = self.supplier;
        let supplier_name = if denominazione.trim().is_empty() {
            format!("{} {}", nome.trim(), cognome.trim())
                .trim()
                .to_owned()
        } else {
            denominazione.trim().to_owned()
        };
        let documents = self
            .bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| finish(i + 1, b))
            .collect::<Result<Vec<_>, _>>()?;
        if documents.is_empty() {
            return Err(FatturaError::Invalid {
                body: 0,
                what: "nessun documento (FatturaElettronicaBody) nel file".into(),
            });
        }
        Ok(Fattura {
            format: self.format,
            supplier_name,
            supplier_vat: format!("{}{}", id_paese.trim(), id_codice.trim()),
            documents,
        })
    }
}

/// Character references (`&#233;`) and the five predefined entities only: any other entity is
/// refused (no expansion, no external reference).
fn general_ref(name: &str) -> Result<String, FatturaError> {
    Ok(match name {
        "amp" => "&".to_owned(),
        "lt" => "<".to_owned(),
        "gt" => ">".to_owned(),
        "quot" => "\"".to_owned(),
        "apos" => "'".to_owned(),
        n if n.starts_with('#') => {
            let code = n
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .unwrap_or_else(|| n[1..].parse());
            code.ok()
                .and_then(char::from_u32)
                .map(String::from)
                .ok_or_else(|| FatturaError::Xml(format!("riferimento non valido &{n};")))?
        }
        other => {
            return Err(FatturaError::Xml(format!(
                "entità sconosciuta &{other};: rifiutata per sicurezza"
            )))
        }
    })
}

type Supplier = (String, String, String, String, String);

/// Text inside an element: stored where the path says. Text may arrive in pieces (around an
/// entity), so values are appended.
fn collect(
    path: &[String],
    value: &str,
    supplier: &mut Supplier,
    format: &mut String,
    body: Option<&mut BodyBuilder>,
) {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        [_, "FatturaElettronicaHeader", "DatiTrasmissione", "FormatoTrasmissione"]
            if format.is_empty() =>
        {
            format.push_str(value.trim());
        }
        [_, "FatturaElettronicaHeader", "CedentePrestatore", "DatiAnagrafici", rest @ ..] => {
            match rest {
                ["IdFiscaleIVA", "IdPaese"] => supplier.3.push_str(value),
                ["IdFiscaleIVA", "IdCodice"] => supplier.4.push_str(value),
                ["Anagrafica", "Denominazione"] => supplier.0.push_str(value),
                ["Anagrafica", "Nome"] => supplier.1.push_str(value),
                ["Anagrafica", "Cognome"] => supplier.2.push_str(value),
                ["CodiceFiscale"] if supplier.4.is_empty() => supplier.4.push_str(value),
                _ => {}
            }
        }
        [_, "FatturaElettronicaBody", rest @ ..] => {
            let Some(b) = body else { return };
            match rest {
                ["DatiGenerali", "DatiGeneraliDocumento", "TipoDocumento"] => {
                    b.kind.push_str(value)
                }
                ["DatiGenerali", "DatiGeneraliDocumento", "Numero"] => b.number.push_str(value),
                ["DatiGenerali", "DatiGeneraliDocumento", "Data"] => b.date.push_str(value),
                ["DatiGenerali", "DatiGeneraliDocumento", "Causale"] => {
                    b.causale.push(value.trim().to_owned())
                }
                ["DatiGenerali", "DatiGeneraliDocumento", "ImportoTotaleDocumento"] => b
                    .stated_total
                    .get_or_insert_with(String::new)
                    .push_str(value),
                ["DatiGenerali", "DatiFattureCollegate", "IdDocumento"] => {
                    b.linked_numbers.push(value.trim().to_owned())
                }
                ["DatiGenerali", "DatiFattureCollegate", "Data"] => {
                    b.linked_dates.push(value.trim().to_owned())
                }
                ["DatiGenerali", block, "CodiceCUP"] if REFERENCE_BLOCKS.contains(block) => {
                    push_unique(&mut b.cups, value)
                }
                ["DatiGenerali", block, "CodiceCIG"] if REFERENCE_BLOCKS.contains(block) => {
                    push_unique(&mut b.cigs, value)
                }
                ["DatiBeniServizi", "DettaglioLinee", "Descrizione"] if b.first_line.is_none() => {
                    b.first_line = Some(value.trim().to_owned());
                }
                ["DatiBeniServizi", "DettaglioLinee", "PrezzoTotale"] => {
                    if let Some(d) = decimal(value) {
                        b.lines_total += d;
                    }
                }
                ["DatiBeniServizi", "DatiRiepilogo", "ImponibileImporto"] => match decimal(value) {
                    Some(d) => b.taxable += d,
                    None => b.errors.push(format!(
                        "ImponibileImporto «{}» non è un numero",
                        value.trim()
                    )),
                },
                ["DatiBeniServizi", "DatiRiepilogo", "Imposta"] => match decimal(value) {
                    Some(d) => b.vat += d,
                    None => b
                        .errors
                        .push(format!("Imposta «{}» non è un numero", value.trim())),
                },
                ["DatiBeniServizi", "DatiRiepilogo", "EsigibilitaIVA"] if value.trim() == "S" => {
                    b.split = true;
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn finish(index: usize, b: BodyBuilder) -> Result<Document, FatturaError> {
    let invalid = |what: String| FatturaError::Invalid { body: index, what };
    if let Some(e) = b.errors.into_iter().next() {
        return Err(invalid(e));
    }
    let date = NaiveDate::parse_from_str(b.date.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(format!("data del documento «{}» non valida", b.date.trim())))?;
    let date = plausible_date(date).map_err(|why| invalid(format!("data del documento: {why}")))?;
    let number = b.number.trim().to_owned();
    if number.is_empty() {
        return Err(invalid("manca il numero del documento".into()));
    }
    if b.summaries == 0 {
        return Err(invalid("manca il riepilogo IVA (DatiRiepilogo)".into()));
    }
    let kind = b.kind.trim().to_owned();
    let credit = matches!(kind.as_str(), "TD04" | "TD08");
    // Credit notes are stored positive, whichever sign the file used.
    let taxable = Money::round_half_up(if credit { b.taxable.abs() } else { b.taxable });
    let vat = Money::round_half_up(if credit { b.vat.abs() } else { b.vat });
    let mut warnings = Vec::new();
    let stated_total = match &b.stated_total {
        None => None,
        Some(raw) => Some(
            decimal(raw)
                .map(|d| Money::round_half_up(if credit { d.abs() } else { d }))
                .ok_or_else(|| {
                    invalid(format!(
                        "ImportoTotaleDocumento «{}» non è un numero",
                        raw.trim()
                    ))
                })?,
        ),
    };
    if let Some(stated) = stated_total {
        if stated != taxable + vat {
            warnings.push(format!(
                "il totale dichiarato ({}) differisce dal riepilogo IVA ({}): sconti, ritenute o casse; vale il riepilogo",
                stated.italian(),
                (taxable + vat).italian()
            ));
        }
    }
    let lines_total = Money::round_half_up(if credit {
        b.lines_total.abs()
    } else {
        b.lines_total
    });
    if b.lines > 0 && lines_total != taxable {
        warnings.push(format!(
            "le righe sommano {} ma il riepilogo IVA indica un imponibile di {}: vale il riepilogo",
            lines_total.italian(),
            taxable.italian()
        ));
    }
    let description = if b.causale.is_empty() {
        b.first_line.unwrap_or_default()
    } else {
        b.causale.join(" ")
    };
    Ok(Document {
        kind,
        number,
        date,
        description,
        taxable,
        vat,
        stated_total,
        split_payment: b.split,
        cups: b.cups,
        cigs: b.cigs,
        lines: b.lines,
        corrects: b
            .linked_numbers
            .into_iter()
            .find(|n| !n.is_empty())
            .map(|n| {
                let date = b
                    .linked_dates
                    .first()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                (n, date)
            }),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctype_and_unknown_entities_are_refused() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><p:FatturaElettronica xmlns:p="x"><a>&lol2;</a></p:FatturaElettronica>"#;
        assert_eq!(parse(bomb), Err(FatturaError::Doctype));
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><FatturaElettronica>&xxe;</FatturaElettronica>"#;
        assert_eq!(parse(xxe), Err(FatturaError::Doctype));
        let unknown = br#"<FatturaElettronica><FatturaElettronicaHeader><X>&nope;</X></FatturaElettronicaHeader></FatturaElettronica>"#;
        assert!(matches!(parse(unknown), Err(FatturaError::Xml(_))));
    }

    #[test]
    fn other_xml_is_not_an_invoice() {
        assert_eq!(
            parse(b"<html><body/></html>"),
            Err(FatturaError::NotFatturaPa)
        );
        assert!(parse(b"").is_err());
        assert!(parse(b"<FatturaElettronica><unclosed>").is_err());
    }
}
