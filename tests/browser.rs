//! The web workspace in a real browser: headless Chromium driven over WebDriver (chromedriver)
//! against the real server on a random port, with the demo project loaded. It signs in as the
//! demo's finance officer and does what a user does: reads the dashboard, adds an expense through
//! the form and sees the dashboard change, types a wrong amount and reads the Italian message
//! beside the field (nothing saved), filters the table and checks the total of the filtered rows,
//! downloads the XLSX, writes a section of the final report and corrects an indicator, and
//! downloads that report. Screenshots of the dashboard and of the final report's page are saved
//! under `target/screenshots/`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::browser::{download, fill, select, submit, text_of, wait_for_url, with_browser};
use common::TestApp;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

const EMAIL: &str = "ragioneria@demo.rendiconta.it";

async fn api(app: &TestApp, path: &str) -> Value {
    app.get(path).await.json().await.expect("json")
}

/// The API's answer at `path` once it satisfies `ready` (a form's submit returns before the
/// server has answered it).
async fn eventually(app: &TestApp, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = api(app, path).await;
        if ready(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never became ready: {value}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn count_in(heading: &str) -> i64 {
    heading
        .split('(')
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(-1)
}

/// Money as the pages write it: `1.234,56 €`.
fn italian(amount: &str) -> String {
    amount
        .parse::<rendiconta::domain::Money>()
        .map(|m| m.italian())
        .expect("money")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_in_the_workspace() {
    with_browser(|app, c| async move { day(&app, &c).await }).await;
}

async fn day(app: &TestApp, c: &Client) {
    let base = &app.base;
    // Signing in: a protected page sends to the form, and back after it.
    c.goto(&format!("{base}/progetti/1")).await.expect("goto");
    assert!(c
        .current_url()
        .await
        .expect("url")
        .path()
        .starts_with("/accedi"));
    fill(c, "#email", EMAIL).await;
    fill(c, "#password", rendiconta::services::demo::DEMO_PASSWORD).await;
    submit(c, "form").await;
    wait_for_url(c, |u| u.ends_with("/progetti/1")).await;
    let due = text_of(c, "#contributo-dovuto").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/progetti/1");
    let summary = api(app, "/api/v1/projects/1/summary").await;
    assert_eq!(
        due,
        italian(summary["contribution_due"].as_str().expect("due"))
    );
    let lang = c
        .execute("return document.documentElement.lang", vec![])
        .await
        .expect("lang");
    assert_eq!(lang, json!("it"));
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("dir");
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(shots.join("dashboard.png"), png).expect("save");
    let warnings_before = count_in(&text_of(c, "#avvisi").await);

    // An expense through the form, amounts typed the Italian way; the dashboard changes.
    let expenses_before = api(app, "/api/v1/projects/1/expenses").await["total"]
        .as_i64()
        .expect("total");
    c.goto(&format!("{base}/progetti/1/spese/nuova"))
        .await
        .expect("goto");
    let entity = api(app, "/api/v1/projects/1/entities").await["items"][0]["id"]
        .as_str()
        .expect("entity")
        .to_owned();
    select(c, "#entity_id", &entity).await;
    select(c, "#category", "design_training").await;
    fill(c, "#supplier_name", "Studio Formazione Rossi").await;
    fill(c, "#supplier_vat", "IT01234567897").await;
    fill(c, "#document_number", "77/2020").await;
    c.execute(
        "document.getElementById('document_date').value = '2020-11-10'",
        vec![],
    )
    .await
    .expect("date");
    c.execute(
        "document.getElementById('payment_date').value = '2020-11-20'",
        vec![],
    )
    .await
    .expect("date");
    fill(c, "#description", "Formazione dei dirigenti").await;
    fill(c, "#net_amount", "1.234,56").await;
    select(c, "#vat_rate", "22").await;
    c.find(Locator::Id("calcola-iva"))
        .await
        .expect("vat help")
        .click()
        .await
        .expect("click");
    let vat = c
        .find(Locator::Id("vat_amount"))
        .await
        .expect("vat")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(vat.as_deref(), Some("271,60"), "1.234,56 × 22 % half-up");
    submit(c, "form.expense").await;
    wait_for_url(c, |u| u.contains("/spese/") && !u.contains("/spese/nuova")).await;
    let heading = text_of(c, "h1").await;
    assert!(heading.starts_with("Spesa "), "{heading}");
    let list = api(app, "/api/v1/projects/1/expenses?sort=-id&per_page=1").await;
    assert_eq!(list["total"].as_i64(), Some(expenses_before + 1));
    assert_eq!(list["items"][0]["net_amount"], "1234.56");
    assert_eq!(list["items"][0]["vat_amount"], "271.60");
    let new_id = c
        .current_url()
        .await
        .expect("url")
        .path()
        .trim_start_matches("/spese/")
        .to_owned();

    // Its evidence: a PDF chosen in the file input of the expense's page, then listed there.
    let pdf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attachments/quietanza.pdf");
    select(c, "#allegati select[name=kind]", "receipt").await;
    c.find(Locator::Css("#allegati input[type=file]"))
        .await
        .expect("file input")
        .send_keys(&pdf.display().to_string())
        .await
        .expect("choose file");
    submit(c, "#allegati form").await;
    wait_for_url(c, |u| u.ends_with("#allegati")).await;
    let listed = text_of(c, "#allegati table").await;
    assert!(
        listed.contains("quietanza.pdf") && listed.contains("quietanza"),
        "{listed}"
    );
    let files = api(app, &format!("/api/v1/expenses/{new_id}/attachments")).await;
    assert_eq!(
        files[0]["sha256"],
        rendiconta::domain::attachment::Digest::of(&std::fs::read(&pdf).expect("pdf")).as_str()
    );

    c.goto(&format!("{base}/progetti/1")).await.expect("goto");
    let warnings_after = count_in(&text_of(c, "#avvisi").await);
    assert!(
        warnings_after > warnings_before,
        "{warnings_before} → {warnings_after}"
    );
    // Its warnings link to it; one says it awaits verification.
    let links = c
        .find_all(Locator::Css(&format!(".notices a[href='/spese/{new_id}']")))
        .await
        .expect("links");
    assert!(
        !links.is_empty(),
        "no warning links to the new expense {new_id}"
    );
    let mut texts = Vec::new();
    for link in &links {
        let item = link.find(Locator::XPath("..")).await.expect("item");
        texts.push(item.text().await.expect("text"));
    }
    assert!(
        texts.iter().any(|t| t.contains("non ancora verificata")),
        "{texts:?}"
    );

    // A wrong amount: the Italian message beside the field, nothing saved.
    c.goto(&format!("{base}/progetti/1/spese/nuova"))
        .await
        .expect("goto");
    select(c, "#entity_id", &entity).await;
    fill(c, "#supplier_name", "Fornitore").await;
    fill(c, "#document_number", "78/2020").await;
    c.execute(
        "document.getElementById('document_date').value = '2020-11-10'",
        vec![],
    )
    .await
    .expect("date");
    fill(c, "#description", "Prova").await;
    fill(c, "#net_amount", "12,345").await;
    fill(c, "#vat_amount", "0").await;
    submit(c, "form.expense").await;
    // The refused form answers at the same address: wait for its error instead.
    let message = text_of(c, "#net_amount-error").await;
    assert!(message.contains("decimali"), "{message}");
    let invalid = c
        .find(Locator::Id("net_amount"))
        .await
        .expect("field")
        .attr("aria-invalid")
        .await
        .expect("attr");
    assert_eq!(invalid.as_deref(), Some("true"));
    assert_eq!(
        api(app, "/api/v1/projects/1/expenses").await["total"].as_i64(),
        Some(expenses_before + 1)
    );

    // The table filtered by category: its total is the API's, to the cent.
    c.goto(&format!("{base}/progetti/1/spese"))
        .await
        .expect("goto");
    select(c, "select[name=category]", "technology").await;
    submit(c, "form.filters").await;
    wait_for_url(c, |u| u.contains("category=technology")).await;
    let shown = text_of(c, "#totale-filtrato").await;
    let filtered = api(app, "/api/v1/projects/1/expenses?category=technology").await;
    assert_eq!(
        shown,
        italian(filtered["totals"]["claimed"].as_str().expect("claimed"))
    );
    assert_eq!(
        text_of(c, "#righe").await,
        filtered["total"].as_i64().expect("total").to_string()
    );

    // The XLSX, fetched by the browser with its session from the documents page.
    c.goto(&format!("{base}/progetti/1/documenti"))
        .await
        .expect("goto");
    let (content_type, bytes) = download(c, "scarica-xlsx").await;
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    assert!(bytes.starts_with(b"PK"), "not an XLSX");
    if let Some(python) = common::python() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("r.xlsx");
        std::fs::write(&file, &bytes).expect("write");
        let out = Command::new(python)
            .args([
                "-c",
                "import sys, openpyxl; print(openpyxl.load_workbook(sys.argv[1]).sheetnames)",
            ])
            .arg(&file)
            .output()
            .expect("openpyxl");
        let names = String::from_utf8_lossy(&out.stdout);
        assert!(
            names.contains("Riepilogo") && names.contains("Spese"),
            "{names}"
        );
    }

    // The final report: a section written in the workspace, an indicator corrected the Italian
    // way, both read back through the API; the PDF fetched from the page's link.
    relazione(app, c).await;

    // User text is shown, never run.
    let mut body = json!({
        "entity_id": entity, "category": "design_training", "supplier_name": "<script>window.pwned = 1</script>",
        "document_number": "99/2020", "document_date": "2020-11-12", "description": "<img src=x onerror=\"window.pwned=2\">",
        "net_amount": "10.00", "vat_amount": "0.00"
    });
    body["nature"] = json!("current");
    body["document_type"] = json!("invoice");
    let created = app.create("/api/v1/projects/1/expenses", &body).await;
    let id = created["id"].as_str().expect("id");
    c.goto(&format!("{base}/progetti/1/spese?q=pwned"))
        .await
        .expect("goto");
    let cell = text_of(c, "#spese tbody tr td:nth-child(4)").await;
    assert_eq!(cell, "<script>window.pwned = 1</script>");
    c.goto(&format!("{base}/spese/{id}")).await.expect("goto");
    let shown = c
        .find(Locator::Id("description"))
        .await
        .expect("field")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        shown.as_deref(),
        Some("<img src=x onerror=\"window.pwned=2\">")
    );
    let pwned = c
        .execute("return window.pwned === undefined", vec![])
        .await
        .expect("script");
    assert_eq!(pwned, json!(true), "user text ran as script");
}

async fn relazione(app: &TestApp, c: &Client) {
    let base = &app.base;
    c.goto(&format!("{base}/progetti/1/relazione"))
        .await
        .expect("goto");
    let sections_before = api(app, "/api/v1/projects/1/narrative").await["total"]
        .as_i64()
        .expect("total");
    c.find(Locator::Css("details:has(#nuova-sezione) summary"))
        .await
        .expect("summary")
        .click()
        .await
        .expect("open");
    fill(c, "#nuova-sezione input[name=title]", "Comunicazione").await;
    fill(
        c,
        "#nuova-sezione textarea[name=body]",
        "Una pagina intranet per ogni ente.\n\nTre incontri con i sindacati.",
    )
    .await;
    submit(c, "#nuova-sezione").await;
    let sections = eventually(app, "/api/v1/projects/1/narrative", |v| {
        v["total"].as_i64() == Some(sections_before + 1)
    })
    .await;
    let added = &sections["items"][sections_before as usize];
    assert_eq!(added["title"], "Comunicazione");
    assert_eq!(
        added["body"],
        "Una pagina intranet per ogni ente.\n\nTre incontri con i sindacati."
    );
    let id = added["id"].as_str().expect("id");
    let title = c
        .find(Locator::Css(&format!("#sezione-{id} input[name=title]")))
        .await
        .expect("section form")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(title.as_deref(), Some("Comunicazione"));

    // Moved up one place: it was last, it is now last but one, and the list follows.
    c.find(Locator::Css(&format!("#sezione-{id} button[name=sposta]")))
        .await
        .expect("move button")
        .click()
        .await
        .expect("click");
    eventually(app, &format!("/api/v1/projects/1/narrative/{id}"), |v| {
        v["position"].as_i64() == Some(sections_before)
    })
    .await;
    wait_for_url(c, |u| u.ends_with("/progetti/1/relazione?fatto=1")).await;
    let last = c
        .find_all(Locator::Css("section.narrative"))
        .await
        .expect("sections")
        .pop()
        .expect("a section");
    assert_ne!(
        last.attr("id").await.expect("id").as_deref(),
        Some(format!("sezione-{id}").as_str())
    );

    // Someone else corrects the section while it is open here: saving this copy is refused with
    // the reason, what was typed stays in the form, and the other correction stands.
    let current = app.get(&format!("/api/v1/projects/1/narrative/{id}")).await;
    let etag = current.headers()["etag"].to_str().expect("etag").to_owned();
    let theirs = app
        .patch(
            &format!("/api/v1/projects/1/narrative/{id}"),
            Some(&etag),
            &json!({"body": "Corretto da un collega."}),
        )
        .await;
    assert_eq!(theirs.status().as_u16(), 200);
    fill(
        c,
        &format!("#sezione-{id} textarea[name=body]"),
        "La mia versione.",
    )
    .await;
    submit(c, &format!("#sezione-{id} form")).await;
    let message = text_of(c, "p[role=alert]").await;
    assert!(message.contains("Qualcun altro"), "{message}");
    let kept = c
        .find(Locator::Css(&format!("#sezione-{id} textarea[name=body]")))
        .await
        .expect("textarea")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("La mia versione."));
    let stored = api(app, &format!("/api/v1/projects/1/narrative/{id}")).await;
    assert_eq!(stored["body"], "Corretto da un collega.");

    // A new section refused (a title over 300 characters, set past the field's own limit): the
    // reason is shown and the text written for it is still in the form.
    c.goto(&format!("{base}/progetti/1/relazione"))
        .await
        .expect("goto");
    c.find(Locator::Css("details:has(#nuova-sezione) summary"))
        .await
        .expect("summary")
        .click()
        .await
        .expect("open");
    c.execute(
        "document.querySelector('#nuova-sezione input[name=title]').value = 'T'.repeat(301)",
        vec![],
    )
    .await
    .expect("long title");
    c.execute(
        "document.querySelector('#nuova-sezione textarea[name=body]').value = 'Testo da non perdere.'",
        vec![],
    )
    .await
    .expect("body");
    submit(c, "#nuova-sezione").await;
    let message = text_of(c, "p[role=alert]").await;
    assert!(message.contains("300"), "{message}");
    let kept = c
        .find(Locator::Css("#nuova-sezione textarea[name=body]"))
        .await
        .expect("textarea")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("Testo da non perdere."));
    assert_eq!(
        api(app, "/api/v1/projects/1/narrative").await["total"].as_i64(),
        Some(sections_before + 1)
    );

    // The first indicator's value typed as `1.900`: the API reads 1900.
    let first = api(app, "/api/v1/projects/1/indicators").await["items"][0].clone();
    let iid = first["id"].as_str().expect("id");
    fill(
        c,
        &format!("input[form=indicatore-{iid}][name=value]"),
        "1.900",
    )
    .await;
    submit(c, &format!("#indicatore-{iid}")).await;
    let changed = eventually(app, &format!("/api/v1/projects/1/indicators/{iid}"), |v| {
        v["value"] == "1900"
    })
    .await;
    assert_eq!(changed["name"], first["name"]);
    let shown = c
        .find(Locator::Css(&format!(
            "input[form=indicatore-{iid}][name=value]"
        )))
        .await
        .expect("indicator")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(shown.as_deref(), Some("1.900"));

    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(shots.join("relazione.png"), png).expect("save");

    let (content_type, bytes) = download(c, "scarica-relazione").await;
    assert_eq!(content_type, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
}
