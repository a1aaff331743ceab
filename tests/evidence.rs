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

/// A submission as of `as_of`.
async fn submit(app: &TestApp, project: &str, as_of: &str) -> Value {
    let path = format!("/api/v1/projects/{project}/submissions");
    json_of(app.post(&path, &json!({"as_of": as_of})).await).await
}

const READ_PACK: &str = r#"
import datetime, hashlib, io, json, sys, zipfile
import openpyxl
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
index = openpyxl.load_workbook(io.BytesIO(z.read("indice.xlsx")))["Indice"]
rows = list(index.iter_rows())
start = next(i for i, r in enumerate(rows) if r[0].value == "N. riga")
header = [c.value for c in rows[start]]
col = {h: i for i, h in enumerate(header)}
links = []
for row in rows[start + 1:]:
    cell = row[col["File"]]
    date = row[col["Data documento"]].value
    links.append({
        "row": row[0].value, "supplier": row[col["Fornitore"]].value,
        "document": row[col["Documento"]].value,
        "date_is_date": isinstance(date, datetime.datetime),
        "amount": row[col["Importo rendicontato"]].value,
        "order": row[col["Mandato n."]].value,
        "kind": row[col["Allegato"]].value,
        "target": cell.hyperlink.target if cell.hyperlink else None,
        "sha256": row[col["SHA-256"]].value,
        "added_by": row[col["Aggiunto da"]].value if "Aggiunto da" in col else None,
    })
heading = [[c.value for c in r] for r in rows[:start]]
documents = [c.hyperlink.target for r in rows[:start] for c in r if c.hyperlink]
ps = index.page_setup
# OOXML's defaults when an attribute is absent: one page wide, one page high.
setup = {
    "fit_width": 1 if ps.fitToWidth is None else int(ps.fitToWidth),
    "fit_height": 1 if ps.fitToHeight is None else int(ps.fitToHeight),
    "fit": bool(index.sheet_properties.pageSetUpPr and index.sheet_properties.pageSetUpPr.fitToPage),
    "landscape": index.page_setup.orientation == "landscape",
    "footer": index.oddFooter.left.text,
}
out = {"names": names, "links": links, "heading": heading, "documents": documents, "setup": setup,
       "digests": {n: hashlib.sha256(z.read(n)).hexdigest() for n in names if not n.endswith("/")}}
if "rendiconto.xlsx" in names:
    spese = openpyxl.load_workbook(io.BytesIO(z.read("rendiconto.xlsx")))["Spese"]
    head = [c.value for c in next(spese.iter_rows(min_row=1, max_row=1))]
    numbered = {}
    for r in spese.iter_rows(values_only=True):
        if isinstance(r[0], int):
            numbered[str(r[head.index("N. documento")])] = r[0]
    out["rows"] = numbered
print(json.dumps(out))
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
    let submission = submit(&app, &seed.project_id, "2021-02-15").await;
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
            .any(|n| n.as_str().is_some_and(|n| n.contains("_mandato_"))),
        "{names:?}"
    );
    assert_eq!(
        names.len(),
        6,
        "two files and four documents (the index and the three submitted) left: {names:?}"
    );
}

/// What was submitted stays submitted: the pack is frozen with the submission, byte for byte,
/// however many files are added later; those are its integrazioni (listed, packed apart, named
/// as such), taken into the next submission's pack; a file a pack holds cannot be removed, an
/// integrazione not yet in one can. The index has real dates, each expense's amount once, the
/// payment order, links to the submitted documents and the fingerprint, and prints one page wide.
async fn a_submission_s_pack_is_frozen_and_later_files_are_its_integrazioni(app: TestApp) {
    let seed = worked_example(&app).await;
    let list = json_of(app.get(&seed.expenses_path()).await).await;
    let items = list["items"].as_array().expect("items").clone();
    let id = |i: usize| items[i]["id"].as_str().expect("id").to_owned();
    let pdf = fixture("attachments/quietanza.pdf");
    let mut second = pdf.clone();
    second.extend_from_slice(b"\n% seconda pagina\n");
    attach(&app, &id(0), "invoice", "Fattura 1.pdf", pdf.clone()).await;
    attach(&app, &id(0), "receipt", "quietanza.pdf", second.clone()).await;
    app.verify_all(&seed.project_id).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let first = submit(&app, &seed.project_id, "2021-02-15").await;
    let sid = first["id"].as_str().expect("id").to_owned();
    let pack_url = format!("{base}/submissions/{sid}/evidenze.zip");
    let before = app.bytes(&pack_url).await;

    // The Region asks for a corrected invoice: added after the submission, to an expense it counted.
    let mut corrected = pdf.clone();
    corrected.extend_from_slice(b"\n% rettificata\n");
    attach(
        &app,
        &id(0),
        "invoice",
        "rettificata.pdf",
        corrected.clone(),
    )
    .await;
    assert!(
        app.bytes(&pack_url).await == before,
        "the submission's pack changed after a file was added"
    );
    let added = app
        .json(&format!("{base}/submissions/{sid}/integrazioni"))
        .await;
    let added = added["items"].as_array().expect("items").clone();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["file_name"], "rettificata.pdf");
    assert_eq!(added[0]["created_by"], common::ADMIN_EMAIL);

    // A file the pack holds stays; the integrazione, in no pack yet, may go and come back.
    let attachments = app
        .json(&format!("/api/v1/expenses/{}/attachments", id(0)))
        .await;
    let counted = attachments
        .as_array()
        .expect("a list")
        .iter()
        .find(|a| a["file_name"] == "Fattura 1.pdf")
        .expect("counted file")["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let refused = app
        .client
        .delete(app.url(&counted))
        .send()
        .await
        .expect("delete");
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let problem: Value = refused.json().await.expect("problem");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains(&sid),
        "the refusal names the submission: {problem}"
    );
    let integrazione = added[0]["url"].as_str().expect("url");
    let gone = app
        .client
        .delete(app.url(integrazione))
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    attach(
        &app,
        &id(0),
        "invoice",
        "rettificata.pdf",
        corrected.clone(),
    )
    .await;

    let next = submit(&app, &seed.project_id, "2021-02-20").await;
    let next_id = next["id"].as_str().expect("id");
    let Some(python) = common::python() else {
        return;
    };
    let zip = app
        .bytes(&format!("{base}/submissions/{sid}/integrazioni.zip"))
        .await;
    let integrazioni = read_pack(&python, &zip);
    let names = integrazioni["names"].as_array().expect("names");
    assert_eq!(names.len(), 2, "the index and the one file: {names:?}");
    let entry = names[1].as_str().expect("name");
    assert!(
        entry.ends_with("/integrazione_fattura_rettificata.pdf"),
        "{entry}"
    );
    assert_eq!(
        integrazioni["digests"][entry],
        rendiconta::domain::attachment::Digest::of(&corrected).as_str()
    );
    assert_eq!(integrazioni["links"][0]["added_by"], common::ADMIN_EMAIL);

    // The next submission's pack takes the integrazione in.
    let next_pack = read_pack(
        &python,
        &app.bytes(&format!("{base}/submissions/{next_id}/evidenze.zip"))
            .await,
    );
    let holds = |pack: &Value, digest: &str| {
        pack["digests"]
            .as_object()
            .expect("digests")
            .values()
            .any(|d| d == digest)
    };
    let corrected_digest = rendiconta::domain::attachment::Digest::of(&corrected);
    assert!(holds(&next_pack, corrected_digest.as_str()));
    let pack = read_pack(&python, &before);
    assert!(!holds(&pack, corrected_digest.as_str()));

    // Italian names, the index's dates, amounts once, payment orders, links and fingerprint.
    let names: Vec<&str> = pack["names"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        names.iter().any(|n| n.contains("/01_fattura_")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("/02_quietanza_")),
        "{names:?}"
    );
    assert!(names.iter().all(|n| n.len() < 200));
    let links = pack["links"].as_array().expect("links");
    assert!(links.iter().all(|l| l["date_is_date"] == true), "{links:?}");
    let amounts: Vec<f64> = links.iter().filter_map(|l| l["amount"].as_f64()).collect();
    let expenses: std::collections::HashSet<u64> =
        links.iter().filter_map(|l| l["row"].as_u64()).collect();
    assert_eq!(
        amounts.len(),
        expenses.len(),
        "one amount per expense: {links:?}"
    );
    assert!(links.iter().any(|l| l["order"].is_string()), "{links:?}");
    assert_eq!(
        pack["documents"],
        json!(["rendiconto.pdf", "rendiconto.xlsx", "relazione.pdf"])
    );
    let fingerprint = first["fingerprint"].as_str().expect("fingerprint");
    assert!(pack["heading"].to_string().contains(fingerprint));
    assert!(pack["setup"]["footer"]
        .as_str()
        .unwrap_or("")
        .contains(fingerprint));
    assert_eq!(pack["setup"]["fit"], true);
    assert_eq!(pack["setup"]["fit_width"], 1);
    assert_eq!(pack["setup"]["fit_height"], 0);
    assert_eq!(pack["setup"]["landscape"], true);
}

on_both_backends!(a_submission_s_pack_is_frozen_and_later_files_are_its_integrazioni);
