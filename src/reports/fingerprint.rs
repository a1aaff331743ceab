//! The SHA-256 fingerprint of the data a document is made from, printed on every document and
//! stored with every submission, so that a document re-made later can be compared with the data.

use std::cell::{Cell, OnceCell};
use std::fmt::Write;
use std::thread::ScopedJoinHandle;

use sha2::{Digest, Sha256};

use crate::domain::narrative::{Indicator, Section};
use crate::domain::snapshot::Snapshot;

/// The SHA-256 of a canonical text of everything the documents are made from (the as-of date, the
/// call, the project, its entities, expenses and tranches, the computed summary, and the final
/// report's sections and indicators). Timestamps of edits are left out: the same data gives the
/// same fingerprint. One fingerprint covers all of a submission's documents, so a corrected
/// sentence of the final report shows as changed data like a corrected amount.
pub fn fingerprint(snap: &Snapshot, sections: &[Section], indicators: &[Indicator]) -> String {
    // The canonical text goes straight into the hash: at 100,000 expenses it is 40 MB.
    let mut canon = Hashing(Sha256::new());
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
    let digest = canon.0.finalize();
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
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
