//! The evidence pack of a submission, read back by Python's zipfile and openpyxl: the submitted
//! documents, each claimed expense's files in a folder named after its row in the rendiconto (as
//! the rendiconto's own `Spese` sheet numbers it), an index whose links open those very files and
//! whose digests are theirs, and the same bytes for a second download.

mod common;

use std::process::Command;

use common::{json_of, worked_example, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .expect("fixture")
}

async fn attach(app: &TestApp, expense: &str, kind: &str, name: &str, bytes: Vec<u8>) {
    let r = app
        .post_raw(
            &format!("/api/v1/expenses/{expense}/attachments?kind={kind}&file={name}"),
            "application/octet-stream",
            bytes,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

const READ_PACK: &str = r#"
import hashlib, io, json, sys, zipfile
import openpyxl
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
index = openpyxl.load_workbook(io.BytesIO(z.read("indice.xlsx")))["Indice"]
links = []
for row in index.iter_rows(min_row=4):
    cell = row[8]
    links.append({
        "row": row[0].value, "supplier": row[3].value, "document": row[4].value,
        "kind": row[7].value,
        "target": cell.hyperlink.target if cell.hyperlink else None,
        "sha256": row[9].value,
    })
spese = openpyxl.load_workbook(io.BytesIO(z.read("rendiconto.xlsx")))["Spese"]
header = [c.value for c in next(spese.iter_rows(min_row=1, max_row=1))]
rows = {}
for r in spese.iter_rows(values_only=True):
    if isinstance(r[0], int):
        rows[str(r[header.index("N. documento")])] = r[0]
digests = {n: hashlib.sha256(z.read(n)).hexdigest() for n in names if not n.endswith("/")}
print(json.dumps({"names": names, "links": links, "rows": rows, "digests": digests}))
"#;

/// The pack as Python's zipfile and openpyxl read it (see `READ_PACK`).
fn read_pack(python: &str, bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("evidenze.zip");
    std::fs::write(&path, bytes).expect("write");
    let out = Command::new(python)
        .args(["-c", READ_PACK])
        .arg(&path)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evidence_pack_ties_every_row_to_its_files() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let seed = worked_example(&app).await;
    let list = json_of(app.get(&seed.expenses_path()).await).await;
    let items = list["items"].as_array().expect("items").clone();
    let id = |i: usize| items[i]["id"].as_str().expect("id").to_owned();
    let number = |i: usize| items[i]["document_number"].as_str().expect("n").to_owned();
    let pdf = fixture("attachments/quietanza.pdf");
    let mut order = pdf.clone();
    order.extend_from_slice(b"\n% mandato\n");
    attach(&app, &id(0), "invoice", "Fattura 1.pdf", pdf.clone()).await;
    attach(&app, &id(0), "payment_order", "mandato.pdf", order.clone()).await;
    attach(&app, &id(2), "receipt", "quietanza.pdf", pdf.clone()).await;
    app.verify_all(&seed.project_id).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let submission = json_of(
        app.post(
            &format!("{base}/submissions"),
            &json!({"as_of": "2021-02-15"}),
        )
        .await,
    )
    .await;
    let sid = submission["id"].as_str().expect("id");
    let url = format!("{base}/submissions/{sid}/evidenze.zip");
    let r = app.get(&url).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await.expect("bytes").to_vec();
    let again = app.get(&url).await.bytes().await.expect("bytes").to_vec();
    assert!(bytes == again, "the same submission gives the same pack");

    let Some(python) = common::python() else {
        return;
    };
    let pack = read_pack(&python, &bytes);
    let names: Vec<&str> = pack["names"]
        .as_array()
        .expect("names")
        .iter()
        .map(|n| n.as_str().expect("name"))
        .collect();
    assert_eq!(
        &names[..4],
        [
            "indice.xlsx",
            "rendiconto.pdf",
            "rendiconto.xlsx",
            "relazione.pdf"
        ]
    );
    // Every submitted document, byte for byte.
    for document in ["rendiconto.pdf", "rendiconto.xlsx", "relazione.pdf"] {
        let stored = app
            .get(&format!("{base}/submissions/{sid}/{document}"))
            .await
            .bytes()
            .await
            .expect("document");
        assert_eq!(
            pack["digests"][document],
            rendiconta::domain::attachment::Digest::of(&stored).as_str(),
            "the submitted {document}"
        );
    }

    // Every link of the index opens a file of the pack whose digest is the one the index shows,
    // in the folder of the row the rendiconto gives that document.
    let links = pack["links"].as_array().expect("links");
    let linked: Vec<&Value> = links.iter().filter(|l| !l["target"].is_null()).collect();
    assert_eq!(linked.len(), 3, "{links:?}");
    for link in &linked {
        let target = link["target"].as_str().expect("target");
        assert!(names.contains(&target), "{target} not in {names:?}");
        assert_eq!(pack["digests"][target], link["sha256"], "{target}");
        let row = link["row"].as_u64().expect("row");
        assert!(target.starts_with(&format!("{row:04}_")), "{target}");
        let document = link["document"].as_str().expect("doc");
        let doc_number = document.split_once(' ').map_or(document, |(_, n)| n);
        assert_eq!(
            pack["rows"][doc_number].as_u64(),
            Some(row),
            "the rendiconto numbers {doc_number} as row {row}"
        );
    }
    let first = linked
        .iter()
        .find(|l| l["kind"] == "mandato di pagamento")
        .expect("payment order");
    assert_eq!(
        first["sha256"],
        rendiconta::domain::attachment::Digest::of(&order).as_str()
    );
    assert!(first["document"]
        .as_str()
        .expect("doc")
        .ends_with(&number(0)));
    // A claimed expense without files is listed, marked, not left out.
    let bare: Vec<&Value> = links.iter().filter(|l| l["target"].is_null()).collect();
    assert!(!bare.is_empty());
    assert!(bare
        .iter()
        .all(|l| l["kind"] == "nessun documento allegato"));

    // A file gone from the store: the pack is still made, streamed with its length, and the index
    // marks that file missing instead of linking to nothing.
    let order_digest = rendiconta::domain::attachment::Digest::of(&order);
    let stored = app
        .files_dir
        .join(&order_digest.as_str()[..2])
        .join(order_digest.as_str());
    std::fs::remove_file(&stored).expect("remove the stored payment order");
    let r = app.get(&url).await;
    assert_eq!(r.status(), StatusCode::OK);
    let length: usize = r.headers()["content-length"]
        .to_str()
        .expect("length")
        .parse()
        .expect("number");
    let without = r.bytes().await.expect("bytes").to_vec();
    assert_eq!(without.len(), length);
    let pack = read_pack(&python, &without);
    let order_line = pack["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["kind"] == "mandato di pagamento")
        .expect("still listed");
    assert!(order_line["target"].is_null(), "{order_line}");
    assert_eq!(order_line["sha256"], order_digest.as_str());
    let names = pack["names"].as_array().expect("names");
    assert!(
        !names
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("payment_order"))),
        "{names:?}"
    );
    assert_eq!(
        names.len(),
        6,
        "two files and four documents (the index and the three submitted) left: {names:?}"
    );
}
