//! The SHA-256 fingerprint of the data a document is made from, printed on every document and
//! stored with every submission, so that a document re-made later can be compared with the data.

use std::cell::{Cell, OnceCell};
use std::fmt::Write;
use std::thread::ScopedJoinHandle;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::narrative::{Indicator, Section};
use crate::domain::snapshot::Snapshot;

mod records;

/// The canonical text's version a new submission records. Version 1 wrote Rust's `Debug` forms,
/// which a compiler or dependency upgrade may change; it is kept only to re-make the documents of
/// the submissions that recorded it (`SELECT COUNT(*) FROM submissions WHERE
/// fingerprint_version = 1` says whether any is left).
pub const CURRENT_VERSION: i64 = 3;

/// The SHA-256 of a canonical text of everything the documents are made from (the as-of date, the
/// call, the project with its date changes and extensions, its entities, expenses and tranches,
/// the computed summary, and the final report's sections and indicators), in the text of
/// `version`. Timestamps of edits are left out: the same data gives the same fingerprint. One
/// fingerprint covers all of a submission's documents, so a corrected sentence of the final
/// report shows as changed data like a corrected amount.
pub fn fingerprint(
    snap: &Snapshot,
    sections: &[Section],
    indicators: &[Indicator],
    version: i64,
) -> String {
    // The canonical text goes straight into the hash: at 100,000 expenses it is 40 MB.
    let mut canon = Hashing(Sha256::new());
    if version == 1 {
        debug_text(&mut canon, snap, sections, indicators);
    } else {
        // Writing into a hash cannot fail; serialising our own types cannot either.
        let _ = canonical(&mut canon, snap, sections, indicators, version);
    }
    let digest = canon.0.finalize();
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Versions 2 and 3, the canonical text: a first line `rendiconta-impronta v3`, then one record per
/// line, a tag and the record as JSON — object fields in the order the records below and the
/// domain types declare them, amounts as strings with two decimals (`"1234.50"`), rates and
/// figures as decimal strings, dates as `YYYY-MM-DD`, ids as strings, codes and enums as the
/// API writes them, absent values as `null`, no spaces. Records, in order: `as_of`, `call`, `project`, one `entity` per entity, one
/// `extension` per extension recorded, one `expense` per expense (by id), one `tranche` per
/// tranche received by the date, `summary`, one `section` per section in order, one
/// `indicator` per indicator. `tests/fixtures/fingerprint/` pins the text of a fixed project.
pub fn canonical(
    out: &mut impl std::io::Write,
    snap: &Snapshot,
    sections: &[Section],
    indicators: &[Indicator],
    version: i64,
) -> std::io::Result<()> {
    fn record(
        out: &mut impl std::io::Write,
        tag: &str,
        value: &impl Serialize,
    ) -> std::io::Result<()> {
        out.write_all(tag.as_bytes())?;
        out.write_all(b" ")?;
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"\n")
    }
    writeln!(out, "rendiconta-impronta v{}", version.max(2))?;
    record(out, "as_of", &snap.summary.as_of)?;
    let call = &snap.call;
    record(out, "call", &records::Call::of(call))?;
    record(
        out,
        "project",
        &records::Project::of(&snap.project, version),
    )?;
    for e in &snap.entities {
        record(out, "entity", &records::Entity::of(e))?;
    }
    for x in &snap.extensions {
        record(out, "extension", &records::Extension::of(x))?;
    }
    for e in snap.expenses.iter() {
        record(out, "expense", &records::Expense::of(e))?;
    }
    for t in &snap.tranches {
        record(out, "tranche", &records::Tranche::of(t))?;
    }
    record(out, "summary", &snap.summary)?;
    for s in sections {
        record(out, "section", &records::Section::of(s))?;
    }
    for i in indicators {
        record(out, "indicator", &records::Indicator::of(i))?;
    }
    Ok(())
}

/// Version 1: Rust's `Debug` forms, as the first submissions recorded them.
fn debug_text(
    canon: &mut Hashing,
    snap: &Snapshot,
    sections: &[Section],
    indicators: &[Indicator],
) {
    let _ = writeln!(canon, "as_of {}", snap.summary.as_of);
    let _ = writeln!(
        canon,
        "call {:?} {:?} {:?} {:?}",
        snap.call.id, snap.call.act, snap.call.rules, snap.call.categories
    );
    let _ = writeln!(
        canon,
        "project {:?} {:?}",
        snap.project.id, snap.project.data
    );
    for e in &snap.entities {
        let _ = writeln!(canon, "entity {:?} {:?} {:?}", e.id, e.name, e.tax_code);
    }
    for e in snap.expenses.iter() {
        let _ = writeln!(canon, "expense {:?} {:?} {:?}", e.id, e.status, e.data);
    }
    for t in &snap.tranches {
        let _ = writeln!(
            canon,
            "tranche {} {} {:?} {:?}",
            t.amount, t.date, t.act, t.kind
        );
    }
    let _ = writeln!(canon, "summary {:?}", snap.summary);
    for s in sections {
        let _ = writeln!(canon, "section {:?} {:?}", s.title, s.body);
    }
    for i in indicators {
        let _ = writeln!(
            canon,
            "indicator {:?} {} {:?}",
            i.name,
            i.value.normalize(),
            i.unit
        );
    }
}

/// The data's fingerprint as the documents print it. Reading every expense, it takes a fifth of a
/// second at 100,000 expenses, so it may be computed on the other core while the documents are
/// laid out; writers ask for it when they print it, usually last.
pub struct Fingerprint<'scope> {
    computing: Cell<Option<ScopedJoinHandle<'scope, String>>>,
    value: OnceCell<String>,
}

impl<'scope> Fingerprint<'scope> {
    pub fn ready(value: String) -> Fingerprint<'scope> {
        Fingerprint {
            computing: Cell::new(None),
            value: OnceCell::from(value),
        }
    }

    pub fn computing(handle: ScopedJoinHandle<'scope, String>) -> Fingerprint<'scope> {
        Fingerprint {
            computing: Cell::new(Some(handle)),
            value: OnceCell::new(),
        }
    }

    /// The hex digest, waiting for it if it is still being computed.
    pub fn get(&self) -> &str {
        self.value
            .get_or_init(|| match self.computing.take().map(ScopedJoinHandle::join) {
                Some(Ok(value)) => value,
                // The computation only formats and hashes: a panic there is a bug, reported as such.
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                // `computing` is emptied only by this initialisation, which runs once.
                None => String::new(),
            })
    }
}

impl std::fmt::Display for Fingerprint<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get())
    }
}

/// Text written into a SHA-256.
struct Hashing(Sha256);

impl Write for Hashing {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

impl std::io::Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
