//! The evidence of expenses: files uploaded, stored once by content, served back byte for byte
//! with headers that keep a browser from running them; bad files refused with nothing written;
//! an imported e-invoice kept as its expense's evidence; evidence frozen with its submission.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{json_of, TestApp};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture")
}

async fn upload(app: &TestApp, expense: &str, query: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let r = app
        .post_raw(
            &format!("/api/v1/expenses/{expense}/attachments?{query}"),
            // What the client claims is ignored: the type is read from the bytes.
            "text/html",
            bytes,
        )
        .await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Sends an upload one byte over the route's limit and reads the answer. Over plain TCP: the
/// server stops reading at the limit and answers, and an HTTP client still writing its last bytes
/// may see only the connection close; here the bytes beyond what it read wait in the socket.
async fn announce_oversized(app: &TestApp, expense: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let size = rendiconta::domain::attachment::DEFAULT_MAX_BYTES + 64 * 1024 + 1;
    let host = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "POST /api/v1/expenses/{expense}/attachments?kind=other HTTP/1.1\r\nHost: {host}\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/pdf\r\n\
         Content-Length: {size}\r\nConnection: close\r\n\r\n",
        app.admin_token
    );
    let mut request = head.into_bytes();
    request.resize(request.len() + size, b' ');
    // The write may end early when the server has answered and closed: that is the point.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Files under the store's directory (the bytes of every attachment, once each).
fn stored_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        if entry.path().is_dir() {
            n += stored_files(&entry.path());
        } else if !entry.file_name().to_string_lossy().starts_with(".tmp") {
            n += 1;
        }
    }
    n
}

async fn files_are_stored_once_and_served_safely(app: TestApp) {
    let seed = app.seed().await;
    let first = app
        .create(
            &seed.expenses_path(),
            &seed.expense("A1/2020", "100.00", "22.00"),
        )
        .await;
    let second = app
        .create(
            &seed.expenses_path(),
            &seed.expense("A2/2020", "50.00", "11.00"),
        )
        .await;
    let (a, b) = (
        first["id"].as_str().expect("id"),
        second["id"].as_str().expect("id"),
    );
    let pdf = fixture("attachments/quietanza.pdf");

    let (status, attached) = upload(
        &app,
        a,
        "kind=receipt&file=..%2F..%2Fetc%2FQuietanza%20n%C2%B0%203.PDF",
        pdf.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{attached}");
    assert_eq!(attached["content_type"], "application/pdf");
    assert_eq!(attached["kind"], "receipt");
    assert_eq!(attached["kind_label"], "quietanza");
    assert_eq!(
        attached["file_name"], "Quietanza n° 3.pdf",
        "no path, extension of its type"
    );
    assert_eq!(attached["size"], pdf.len());
    let sha = attached["sha256"].as_str().expect("sha").to_owned();
    assert_eq!(sha.len(), 64);

    // The same bytes for another expense: a second row, one stored file.
    let (status, again) = upload(&app, b, "kind=receipt&file=copia.pdf", pdf.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["sha256"], sha);
    assert_eq!(
        stored_files(&app.files_dir),
        1,
        "content-addressed: stored once"
    );

    // The same file twice on one expense is refused, and nothing changes.
    let before = app.db.scalar("SELECT COUNT(*) FROM attachments").await;
    let (status, twice) = upload(&app, a, "kind=receipt", pdf.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{twice}");
    assert_eq!(
        app.db.scalar("SELECT COUNT(*) FROM attachments").await,
        before
    );

    // Downloaded byte for byte, as a download that cannot run in the browser.
    let url = attached["url"].as_str().expect("url");
    let r = app.get(url).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"]
        .to_str()
        .expect("csp")
        .contains("sandbox"));
    let disposition = h["content-disposition"].to_str().expect("disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"Quietanza_n_3.pdf\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''Quietanza%20n%C2%B0%203.pdf"),
        "{disposition}"
    );
    assert_eq!(h["etag"].to_str().expect("etag"), format!("\"{sha}\""));
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), pdf);
    let r = app
        .client
        .get(app.url(url))
        .header("if-none-match", format!("\"{sha}\""))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    let list = json_of(app.get(&format!("/api/v1/expenses/{a}/attachments")).await).await;
    assert_eq!(list.as_array().expect("list").len(), 1);

    // A stored file altered behind the service's back is refused, not served.
    let path = app.files_dir.join(&sha[..2]).join(&sha);
    std::fs::write(&path, b"%PDF-1.4 altered").expect("tamper");
    let r = app.get(url).await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    std::fs::write(&path, &pdf).expect("restore");

    // Removed while the expense is a draft.
    let r = app
        .client
        .delete(app.url(url))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(url).await.status(), StatusCode::NOT_FOUND);
}

async fn bad_files_are_refused_with_nothing_written(app: TestApp) {
    let seed = app.seed().await;
    let expense = app
        .create(
            &seed.expenses_path(),
            &seed.expense("B1/2020", "100.00", "22.00"),
        )
        .await;
    let id = expense["id"].as_str().expect("id");
    let before = app.db.fingerprint().await;
    let audit = app.db.scalar("SELECT COUNT(*) FROM audit_log").await;
    for (bytes, code) in [
        (b"<html><script>alert(1)</script></html>".to_vec(), "unsupported_type"),
        (
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"
                .to_vec(),
            "unsupported_type",
        ),
        (b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), "unsupported_type"),
        (Vec::new(), "empty_file"),
        (
            {
                let mut big = b"%PDF-1.4\n".to_vec();
                big.resize(20 * 1024 * 1024 + 1, b' ');
                big
            },
            "file_too_large",
        ),
    ] {
        let (status, problem) = upload(&app, id, "kind=other&file=x.pdf", bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    // Beyond what the route reads at all: a problem document too, not axum's plain text.
    let (status, problem) = announce_oversized(&app, id).await;
    assert_eq!(status, 413);
    assert_eq!(problem["code"], "file_too_large", "{problem}");
    let (status, problem) = upload(
        &app,
        id,
        "kind=fattura",
        fixture("attachments/quietanza.pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "kind");
    let (status, _) = upload(
        &app,
        "999999",
        "kind=other",
        fixture("attachments/quietanza.pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(app.db.fingerprint().await, before);
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM attachments").await, 0);
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM audit_log").await, audit);
    assert_eq!(
        stored_files(&app.files_dir),
        0,
        "a refused file is not kept"
    );
}

async fn an_imported_invoice_is_its_expense_evidence(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let file = "IT01234567890_FPA01.xml";
    let bytes = fixture(&format!("fatturapa/{file}"));
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/projects/{p}/imports/fatturapa?entity={}&file={file}",
            seed.entities[0]
        )))
        .body(bytes.clone())
        .send()
        .await
        .expect("import");
    let created = json_of(r).await;
    let id = created["created"][0].as_str().expect("created");
    let list = json_of(app.get(&format!("/api/v1/expenses/{id}/attachments")).await).await;
    let evidence = &list[0];
    assert_eq!(evidence["kind"], "invoice");
    assert_eq!(evidence["file_name"], file);
    assert_eq!(evidence["content_type"], "application/xml");
    let r = app.get(evidence["url"].as_str().expect("url")).await;
    assert_eq!(
        r.bytes().await.expect("bytes").to_vec(),
        bytes,
        "the original, byte for byte"
    );
}

async fn evidence_of_a_submitted_expense_stays(app: TestApp) {
    let seed = app.seed().await;
    let expense = app
        .create(
            &seed.expenses_path(),
            &seed.expense("C1/2020", "100.00", "22.00"),
        )
        .await;
    let id = expense["id"].as_str().expect("id");
    let (_, attached) = upload(
        &app,
        id,
        "kind=receipt",
        fixture("attachments/quietanza.pdf"),
    )
    .await;
    let verifier = app.verifier(&seed.project_id).await;
    for (step, client) in [("ready", &app.client), ("verify", &verifier)] {
        let r = client
            .post(app.url(&format!("/api/v1/expenses/{id}/{step}")))
            .send()
            .await
            .expect("step");
        assert_eq!(r.status(), StatusCode::OK);
    }
    app.create(
        &format!("/api/v1/projects/{}/submissions", seed.project_id),
        &json!({}),
    )
    .await;
    let url = attached["url"].as_str().expect("url");
    let r = app
        .client
        .delete(app.url(url))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem = json_of(r).await;
    assert_eq!(problem["code"], "evidence_submitted", "{problem}");
    assert_eq!(app.get(url).await.status(), StatusCode::OK);
    // More evidence may still be added to a submitted expense.
    let mut other = fixture("attachments/quietanza.pdf");
    other.extend_from_slice(b"\n% mandato\n");
    let (status, _) = upload(&app, id, "kind=payment_order", other).await;
    assert_eq!(status, StatusCode::CREATED);
}

crate::on_both_backends!(
    files_are_stored_once_and_served_safely,
    bad_files_are_refused_with_nothing_written,
    an_imported_invoice_is_its_expense_evidence,
    evidence_of_a_submitted_expense_stays,
);
