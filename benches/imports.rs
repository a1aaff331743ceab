//! Benchmark of the FatturaPA import (run with `cargo bench --bench imports`): 10,000 e-invoices,
//! variants of a fixture (numbers, dates, amounts and suppliers changed), imported end to end by
//! `rendiconta import fatturapa FOLDER` into a project on SQLite — process start, reading each
//! file, parsing, the duplicate check, the expenses with their audit entries and each file kept as
//! evidence — beside a Python script parsing the same files with lxml and extracting the same
//! fields (no database), in the same run. Rounds are interleaved, each on a fresh database;
//! medians. Results go to `benches/RESULTS.md`.

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{median, write_section};
use rendiconta::services::App;

const FILES: usize = 10_000;
const ROUNDS: usize = 3;

const LXML: &str = r#"
import os, sys, time
from lxml import etree
folder = sys.argv[1]
t = time.perf_counter()
n = 0
for name in sorted(os.listdir(folder)):
    root = etree.parse(os.path.join(folder, name)).getroot()
    supplier = root.find(".//CedentePrestatore/DatiAnagrafici/IdFiscaleIVA/IdCodice").text
    for body in root.iter("FatturaElettronicaBody"):
        number = body.find(".//DatiGeneraliDocumento/Numero").text
        date = body.find(".//DatiGeneraliDocumento/Data").text
        taxable = sum(float(x.text) for x in body.iter("ImponibileImporto"))
        vat = sum(float(x.text) for x in body.iter("Imposta"))
        n += 1
print(n, time.perf_counter() - t)
"#;

/// Writes the variants: each its own number, date in the project's period, amount and one of
/// 200 suppliers.
fn generate(fixture: &str, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("files dir");
    for i in 0..FILES {
        let (supplier, text) = common::einvoice::variant(fixture, "B", i);
        std::fs::write(dir.join(format!("IT{supplier}_{i:05}.xml")), text).expect("write");
    }
}

fn peer_python(root: &Path) -> Option<PathBuf> {
    let venv = root.join("target/venv-peer");
    let python = venv.join("bin/python");
    if !python.exists() {
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .ok()?;
    }
    let has_lxml = Command::new(&python)
        .args(["-c", "import lxml"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_lxml {
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "lxml"])
            .status()
            .ok()?;
    }
    python.exists().then_some(python)
}

/// A fresh database with the demo project; returns its URL, the project and an entity.
async fn fresh(work: &Path) -> (String, String, String) {
    let db = work.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let _ = std::fs::remove_dir_all(work.join("allegati"));
    let url = format!("sqlite://{}", db.display());
    let app = App::new(
        rendiconta::storage::open(&url).await.expect("store"),
        rendiconta::storage::blobs::open(&work.join("allegati").display().to_string())
            .expect("files"),
    );
    rendiconta::services::demo::load_if_empty(&app)
        .await
        .expect("demo");
    let project = rendiconta::domain::ProjectId(1);
    let entity = app.store.list_entities(project).await.expect("entities")[0].id;
    (url, project.to_string(), entity.to_string())
}

async fn count_expenses(url: &str) -> usize {
    let store = rendiconta::storage::open(url).await.expect("store");
    store
        .all_expenses(rendiconta::domain::ProjectId(1))
        .await
        .expect("expenses")
        .len()
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench-imports");
    let files = work.join("files");
    let fixture =
        std::fs::read_to_string(root.join("tests/fixtures/fatturapa/IT01234567890_FPA01.xml"))
            .expect("fixture");
    generate(&fixture, &files);
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_rendiconta"));
    let python = peer_python(&root);
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    let mut created = 0;
    for _ in 0..ROUNDS {
        let (url, project, entity) = fresh(&work).await;
        let before = count_expenses(&url).await;
        let t = Instant::now();
        let out = Command::new(&binary)
            .args([
                "import",
                "fatturapa",
                "--project",
                &project,
                "--entity",
                &entity,
                "--category",
                "design_training",
                "--database-url",
                &url,
            ])
            .arg(&files)
            .output()
            .expect("import");
        let secs = t.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        created = count_expenses(&url).await - before;
        assert_eq!(created, FILES, "one expense per file");
        ours.push(secs);
        if let Some(py) = &python {
            let out = Command::new(py)
                .args(["-c", LXML])
                .arg(&files)
                .output()
                .expect("python");
            let text = String::from_utf8_lossy(&out.stdout);
            if let Some(s) = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
                peer.push(s);
            }
        }
    }
    let ours_s = median(ours);
    let rate = FILES as f64 / ours_s;
    let peer_cell = if peer.is_empty() {
        "not run".to_owned()
    } else {
        let p = median(peer);
        format!("{p:.2} s ({:.0} files/s)", FILES as f64 / p)
    };
    let body = format!(
        "## FatturaPA import (`cargo bench --bench imports`)\n\n\
         Measured {} on this machine (2 cores), release build, SQLite with `synchronous=FULL`. {FILES} \
         e-invoices generated from `IT01234567890_FPA01.xml` (own number, date, amounts, 200 suppliers), \
         imported by `rendiconta import fatturapa FOLDER` into the demo project: process start, reading, \
         parsing, duplicate check, {created} expenses with their audit entries and each file stored as \
         evidence. The peer parses the same files with lxml and extracts the same fields, without \
         storing anything. {ROUNDS} rounds on fresh databases, medians. Target: at least 1,000 files/s \
         end to end.\n\n\
         | measure | result |\n| --- | --- |\n\
         | rendiconta, end to end | {ours_s:.2} s ({rate:.0} files/s) |\n\
         | Python lxml, parse only | {peer_cell} |\n",
        chrono::Utc::now().format("%Y-%m-%d"),
    );
    println!("{body}");
    write_section("imports", &body);
}
