//! The demo's documents as a Region's reviewer receives them: PDF/A-2b (read back by pikepdf),
//! small enough to send (fonts subset), every word within the 15 mm margins, nothing elided.

mod common;

use common::pdf::{assert_margins, assert_pdfa_2b, pdf_pages};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

/// The demo loaded into `app`, and a client signed in as its finance officer.
async fn demo(app: &TestApp) -> (String, reqwest::Client) {
    let services = app.services().await;
    let project = rendiconta::services::demo::load_if_empty(&services)
        .await
        .expect("demo")
        .expect("an empty database gets the demo");
    let response = app
        .anon
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({
            "email": "ragioneria@demo.rendiconta.it",
            "password": rendiconta::services::demo::DEMO_PASSWORD,
        }))
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), StatusCode::CREATED);
    let token: Value = response.json().await.expect("json");
    let officer = common::client_with_token(token["token"].as_str().expect("token"));
    (format!("/api/v1/projects/{project}"), officer)
}

async fn the_demo_documents_are_pdf_a_and_fit_to_send(app: TestApp) {
    let (base, officer) = demo(&app).await;
    for (file, title) in [
        ("rendiconto.pdf", "Rendiconto analitico delle spese"),
        ("relazione.pdf", "Relazione finale sulle attività svolte"),
    ] {
        let response = officer
            .get(app.url(&format!("{base}/reports/{file}")))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        let pdf = response.bytes().await.expect("bytes");
        assert!(
            pdf.len() < 150 * 1024,
            "{file} is {} KB: fonts not subset?",
            pdf.len() / 1024
        );
        assert_pdfa_2b(&pdf, title);
        assert_margins(&pdf, 15.0);
        let Some(pages) = pdf_pages(&pdf) else {
            continue;
        };
        for (n, page) in pages.iter().enumerate() {
            assert!(
                !page.contains('…') && !page.contains("..."),
                "{file}, page {}: something elided:\n{page}",
                n + 1
            );
        }
    }
    let summary: Value = officer
        .get(app.url(&format!("{base}/summary")))
        .send()
        .await
        .expect("summary")
        .json()
        .await
        .expect("json");
    assert!(summary["contribution_due"].is_string(), "{summary}");
}

on_both_backends!(the_demo_documents_are_pdf_a_and_fit_to_send);
