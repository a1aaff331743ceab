//! The signed copy of a submission, signed in the test by the tools a signatory's software would
//! use — `openssl cms` (CAdES `.p7m`) and pyHanko (PAdES) — with a throwaway certificate made by
//! `openssl req -x509`: kept when it signs exactly the submitted PDF, refused with the reason
//! otherwise, and the independent verifiers (`pyhanko sign validate`, `openssl cms -verify`) agree
//! with each verdict.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::signing::{cades, certificate, run, Certificate};
use common::{json_of, worked_example, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

/// What `openssl cms -verify` finds inside a `.p7m` when its signature holds (chain not checked,
/// as ours).
fn openssl_content(dir: &Path, p7m: &[u8]) -> Option<Vec<u8>> {
    let input = write(dir, "verifica.p7m", p7m);
    let output = dir.join("contenuto.bin");
    let _ = std::fs::remove_file(&output);
    let status = Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-noverify",
            "-binary",
            "-inform",
            "DER",
            "-in",
        ])
        .arg(&input)
        .arg("-out")
        .arg(&output)
        .output()
        .expect("openssl");
    status
        .status
        .success()
        .then(|| std::fs::read(&output).expect("content"))
}

const PADES: &str = r#"
import sys
from pyhanko.sign import signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
signer = signers.SimpleSigner.load(sys.argv[1], sys.argv[2])
with open(sys.argv[3], "rb") as f:
    w = IncrementalPdfFileWriter(f)
    with open(sys.argv[4], "wb") as out:
        signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name=sys.argv[5]), signer=signer, output=out)
"#;

/// pyHanko's PAdES signature of `pdf`, appended as an incremental update in field `field`.
fn pades(python: &str, dir: &Path, pdf: &[u8], by: &Certificate, field: &str) -> Vec<u8> {
    let input = write(dir, "da-firmare.pdf", pdf);
    let output = dir.join("firmato.pdf");
    run(Command::new(python)
        .args(["-c", PADES])
        .arg(&by.key)
        .arg(&by.cert)
        .arg(&input)
        .arg(&output)
        .arg(field));
    std::fs::read(output).expect("signed pdf")
}

/// `pyhanko sign validate`: whether it succeeds, and its one-line status per signature.
fn pyhanko_validate(
    python: &str,
    dir: &Path,
    pdf: &[u8],
    trust: &[&Certificate],
) -> (bool, String) {
    let file = write(dir, "da-validare.pdf", pdf);
    let pyhanko = Path::new(python).with_file_name("pyhanko");
    let mut command = Command::new(pyhanko);
    command.args(["sign", "validate", "--trust-replace"]);
    for c in trust {
        command.arg("--trust").arg(&c.cert);
    }
    let out = command.arg(&file).output().expect("pyhanko");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

async fn refused(app: &TestApp, url: &str, content_type: &str, bytes: Vec<u8>, code: &str) {
    let r = app.post_raw(url, content_type, bytes).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["code"], code, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Copia firmata non accettata: ")),
        "{problem}"
    );
}

/// Kept: a CAdES `.p7m` (binary, and Base64 by another signer, which warns), a PAdES PDF and its
/// countersignature; refused: an altered first revision, a `.p7m` of another PDF, a flipped byte,
/// the unsigned PDF, bytes after the last signature; nothing is written by a refusal. Who may
/// upload, who may read; the pack holds the copies.
async fn a_signed_copy_is_kept_only_if_it_signs_the_submitted_pdf(app: TestApp) {
    let Some(python) = common::python() else {
        return;
    };
    let seed = worked_example(&app).await;
    app.verify_all(&seed.project_id).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let submission = json_of(
        app.post(
            &format!("{base}/submissions"),
            &json!({"as_of": "2021-02-15", "signatory_name": "Mario Rossi",
                    "signatory_tax_code": "RSSMRA70A01H501S"}),
        )
        .await,
    )
    .await;
    let sid = submission["id"].as_str().expect("id").to_owned();
    let url = format!("{base}/submissions/{sid}/signed");
    assert_eq!(submission["signed_copies"], url);
    let pdf = app
        .bytes(&format!("{base}/submissions/{sid}/rendiconto.pdf"))
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let dir = dir.path();
    let mario = certificate(dir, "Mario Rossi", "TINIT-RSSMRA70A01H501S");
    let laura = certificate(dir, "Laura Bianchi", "TINIT-BNCLRA80A41H501D");

    // CAdES: openssl finds our PDF inside, and so do we.
    let p7m = cades(dir, &pdf, &mario);
    assert_eq!(openssl_content(dir, &p7m).as_deref(), Some(&pdf[..]));
    let r = app
        .post_raw(&url, "application/pkcs7-mime", p7m.clone())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let kept: Value = r.json().await.expect("json");
    assert_eq!(kept["format"], "cades");
    assert_eq!(
        kept["signers"],
        json!([{"name": "Mario Rossi", "fiscal_code": "RSSMRA70A01H501S"}])
    );
    assert_eq!(kept["signed_by_other_than_signatory"], false);
    assert_eq!(kept["url"], location);

    // The same envelope as Base64 text, signed by someone else: kept, with the warning.
    let by_laura = cades(dir, &pdf, &laura);
    let text = base64_lines(&by_laura);
    let r = app.post_raw(&url, "application/pkcs7-mime", text).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let other: Value = r.json().await.expect("json");
    assert_eq!(other["signers"][0]["fiscal_code"], "BNCLRA80A41H501D");
    assert_eq!(other["signed_by_other_than_signatory"], true);

    // PAdES by pyHanko, then countersigned: pyHanko and we accept both.
    let signed = pades(&python, dir, &pdf, &mario, "Firma");
    assert!(signed.starts_with(&pdf));
    let (valid, status) = pyhanko_validate(&python, dir, &signed, &[&mario]);
    assert!(valid && status.contains("INTACT"), "{status}");
    let r = app.post_raw(&url, "application/pdf", signed.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(json_of(r).await["format"], "pades");
    let countersigned = pades(&python, dir, &signed, &laura, "Controfirma");
    let (valid, status) = pyhanko_validate(&python, dir, &countersigned, &[&mario, &laura]);
    assert!(valid, "{status}");
    let r = app
        .post_raw(&url, "application/pdf", countersigned.clone())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let both = json_of(r).await;
    let names: Vec<&str> = both["signers"]
        .as_array()
        .expect("signers")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["Mario Rossi", "Laura Bianchi"]);
    assert_eq!(both["signed_by_other_than_signatory"], false);

    refusals(&app, &python, dir, &url, &pdf, &signed, &p7m, &mario).await;
    roles_list_download_and_pack(
        &app,
        &python,
        &seed.project_id,
        &url,
        &sid,
        &p7m,
        &countersigned,
    )
    .await;
}

fn base64_lines(bytes: &[u8]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(["base64"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(bytes)?;
            child.wait_with_output()
        })
        .expect("openssl base64");
    out.stdout
}

#[allow(clippy::too_many_arguments)]
async fn refusals(
    app: &TestApp,
    python: &str,
    dir: &Path,
    url: &str,
    pdf: &[u8],
    signed: &[u8],
    p7m: &[u8],
    mario: &Certificate,
) {
    let kept_before = app.db.scalar("SELECT COUNT(*) FROM signed_copies").await;
    let audit_before = app.db.scalar("SELECT COUNT(*) FROM audit_log").await;

    // A byte of the submitted PDF changed after signing: pyHanko finds it invalid, so do we.
    let altered = flip(signed, pdf.len() / 2);
    let (valid, status) = pyhanko_validate(python, dir, &altered, &[mario]);
    assert!(!valid && status.contains("INVALID"), "{status}");
    refused(app, url, "application/pdf", altered, "signed_copy_altered").await;

    // Bytes added after the last signature: pyHanko sees the file extended, we refuse it.
    let mut extended = signed.to_vec();
    extended.extend_from_slice(b"\n% aggiunto dopo la firma\n");
    let (_, status) = pyhanko_validate(python, dir, &extended, &[mario]);
    assert!(!status.contains("UNTOUCHED"), "{status}");
    refused(
        app,
        url,
        "application/pdf",
        extended,
        "signed_copy_not_covered",
    )
    .await;

    // Another PDF, well signed both ways: the verifiers accept the signatures, the document is
    // not the submitted one.
    let other = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attachments/quietanza.pdf"),
    )
    .expect("fixture");
    let other_p7m = cades(dir, &other, mario);
    assert_eq!(
        openssl_content(dir, &other_p7m).as_deref(),
        Some(&other[..])
    );
    refused(
        app,
        url,
        "application/pkcs7-mime",
        other_p7m,
        "signed_copy_other_document",
    )
    .await;
    let other_pades = pades(python, dir, &other, mario, "Firma");
    assert!(pyhanko_validate(python, dir, &other_pades, &[mario]).0);
    refused(
        app,
        url,
        "application/pdf",
        other_pades,
        "signed_copy_other_document",
    )
    .await;

    // One flipped byte of the PDF inside the envelope: openssl refuses it, so do we.
    let inside = p7m
        .windows(pdf.len())
        .position(|w| w == pdf)
        .expect("the PDF inside the envelope");
    let flipped = flip(p7m, inside + pdf.len() / 2);
    assert_eq!(openssl_content(dir, &flipped), None);
    refused(
        app,
        url,
        "application/pkcs7-mime",
        flipped,
        "signed_copy_altered",
    )
    .await;

    // Not signed at all.
    refused(
        app,
        url,
        "application/pdf",
        pdf.to_vec(),
        "signed_copy_not_signed",
    )
    .await;
    refused(
        app,
        url,
        "application/pdf",
        b"ciao".to_vec(),
        "signed_copy_not_signed",
    )
    .await;

    assert_eq!(
        app.db.scalar("SELECT COUNT(*) FROM signed_copies").await,
        kept_before
    );
    assert_eq!(
        app.db.scalar("SELECT COUNT(*) FROM audit_log").await,
        audit_before
    );
}

async fn roles_list_download_and_pack(
    app: &TestApp,
    python: &str,
    project: &str,
    url: &str,
    sid: &str,
    p7m: &[u8],
    countersigned: &[u8],
) {
    // A project manager may read but not upload; a viewer reads and downloads.
    app.add_member(
        "responsabile.firma@prova.it",
        project,
        "project_manager",
        &[],
    )
    .await;
    let manager = app.sign_in("responsabile.firma@prova.it").await;
    let r = manager
        .post(app.url(url))
        .header("content-type", "application/pkcs7-mime")
        .body(p7m.to_vec())
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.add_member("lettore.firma@prova.it", project, "viewer", &[])
        .await;
    let viewer = app.sign_in("lettore.firma@prova.it").await;
    let list: Value = viewer
        .get(app.url(url))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("list");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 4, "{list}");
    let download = |i: usize| {
        let path = items[i]["url"].as_str().expect("url").to_owned();
        let viewer = viewer.clone();
        let full = app.url(&path);
        async move {
            let r = viewer.get(full).send().await.expect("GET");
            assert_eq!(r.status(), StatusCode::OK);
            r.bytes().await.expect("bytes").to_vec()
        }
    };
    assert!(download(0).await == p7m);
    assert!(download(3).await == countersigned);

    // The evidence pack holds every copy beside the documents, byte for byte.
    let zip = app
        .bytes(&format!(
            "/api/v1/projects/{project}/submissions/{sid}/evidenze.zip"
        ))
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let path = write(dir.path(), "evidenze.zip", &zip);
    let out = run(Command::new(python)
        .args([
            "-c",
            "import hashlib, json, sys, zipfile\n\
         z = zipfile.ZipFile(sys.argv[1])\n\
         print(json.dumps({n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist() \
         if n.startswith('rendiconto_firmato_')}))",
        ])
        .arg(&path));
    let packed: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(packed.as_object().map(|o| o.len()), Some(4), "{packed}");
    for item in items {
        let digest = item["sha256"].as_str().expect("sha256");
        assert!(
            packed
                .as_object()
                .expect("names")
                .values()
                .any(|d| d == digest),
            "{digest} not in {packed}"
        );
    }
}

on_both_backends!(a_signed_copy_is_kept_only_if_it_signs_the_submitted_pdf);
