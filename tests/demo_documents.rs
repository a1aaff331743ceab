//! The demo's documents as a Region's reviewer receives them: PDF/A-2b (read back by pikepdf),
//! small enough to send (fonts subset), every word within the 15 mm margins, nothing elided.

mod common;

use common::pdf::{assert_margins, assert_pdfa_2b, pdf_pages, room_under_headings};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

/// The documents' headings.
const HEADINGS: &[&str] = &[
    "Riepilogo per categoria",
    "Calcolo del contributo",
    "Dettaglio delle spese",
    "Spese non ammissibili",
    "Riparto fra gli enti",
    "Dichiarazione sostitutiva",
    "Indicatori di risultato",
    "Sintesi finanziaria",
    "Progettazione e formazione",
    "Adeguamento tecnologico",
];

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
        // No heading ends a page: under each, room for the bottom margin and footer (about
        // 71 pt) and for the start of what it heads (a caption, a table's header and a row with
        // its details: about 80 pt more).
        for (heading, page, room) in room_under_headings(&pdf, HEADINGS) {
            assert!(
                room > 150.0,
                "{file}, page {page}: «{heading}» has {room:.0} pt under it"
            );
        }
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

/// The words of a PDF, one space apart (pdftotext lays columns out with runs of spaces).
fn words(pdf: &[u8]) -> Option<String> {
    let pages = pdf_pages(pdf)?;
    Some(
        pages
            .concat()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

async fn the_demo_rendiconto_carries_what_the_reviewer_checks(app: TestApp) {
    let (base, officer) = demo(&app).await;
    let get = |path: String| {
        let officer = officer.clone();
        let url = app.url(&path);
        async move {
            let response = officer.get(url).send().await.expect("request");
            assert_eq!(response.status(), StatusCode::OK);
            response.bytes().await.expect("bytes")
        }
    };
    let Some(text) = words(&get(format!("{base}/reports/rendiconto.pdf")).await) else {
        return;
    };
    for needle in [
        // The heading: the call's act in full, the grant act, the lead beneficiary with codice
        // fiscale, registered office and PEC, every partner with its codice fiscale.
        "Bando approvato con DGR n. 261 del 30/03/2020",
        "Contributo concesso con Determinazione dirigenziale n. 14238 del 14/08/2020",
        "Unione delle Terre d'Argine – C.F. 03069890360 – Corso Alberto Pio 91, 41012 Carpi (MO) – PEC protocollo@pec.terredargine.it",
        "Comune di Carpi (C.F. 00184280360)",
        "ASP Terre d'Argine (C.F. 03421740360)",
        "Periodo di realizzazione: dal 01/09/2020 al 31/12/2020",
        "Costo approvato: 150.000,00 € – contributo concesso: 105.000,00 €",
        // The drift beside the tolerance, the realisation share beside the threshold.
        "(tolleranza 20 %)",
        "Quota di realizzazione sul costo approvato (soglia 50 %)",
        // The riparto per category, and the grand total of the expenses.
        "Ammissibile –",
        "Quota di contributo",
        "Totale complessivo",
        // The declaration, all its statements, and who signs it.
        "Mario Rossi, codice fiscale RSSMRA70A01B819O, in qualità di Presidente e legale rappresentante",
        "art. 47 del DPR 445/2000",
        "divieto di doppio finanziamento",
        "L. 136/2010",
        "riportano il CUP del progetto",
        "a disposizione per i controlli",
        "D.Lgs. 82/2005",
        "Mario Rossi (firma)",
    ] {
        assert!(text.contains(needle), "«{needle}» not in:\n{text}");
    }
    // Payment details under the rows: every paid expense's mandate and date paid.
    assert!(text.matches("· pagata il ").count() >= 50, "{text}");

    let Some(relazione) = words(&get(format!("{base}/reports/relazione.pdf")).await) else {
        return;
    };
    for needle in [
        "hanno risposto 419 dipendenti su 539",
        // Lists typed with "- " print as bullets; enumerations keep their letters.
        "• le attività remotizzabili per ciascun servizio;",
        "a) i criteri di accesso e le priorità;",
        "Valore atteso Valore raggiunto",
        "Dipendenti formati 350 412 persone",
    ] {
        assert!(
            relazione.contains(needle),
            "«{needle}» not in:\n{relazione}"
        );
    }
    assert!(
        !relazione.contains("- le attività"),
        "a list printed literally"
    );

    // A submission of the demo: its heading says which one, and its evidence pack holds the
    // demo's files.
    let response = officer
        .post(app.url(&format!("{base}/submissions")))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("submit");
    assert_eq!(response.status(), StatusCode::CREATED);
    let submission: Value = response.json().await.expect("json");
    let sid = submission["id"].as_str().expect("id");
    assert_eq!(submission["signatory_tax_code"], "RSSMRA70A01B819O");
    let stored = get(format!("{base}/submissions/{sid}/rendiconto.pdf")).await;
    let stored_text = words(&stored).expect("text");
    assert!(
        stored_text.contains("Rendicontazione finale n. 1"),
        "{stored_text}"
    );
    assert!(!stored_text.contains("BOZZA"), "{stored_text}");
    let pack = get(format!("{base}/submissions/{sid}/evidenze.zip")).await;
    let Some(python) = common::python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("evidenze.zip");
    std::fs::write(&path, &pack).expect("write");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); \
             print(sum(1 for x in n if x.endswith('.pdf') and 'rendiconto' not in x and 'relazione' not in x))",
        ])
        .arg(&path)
        .output()
        .expect("python");
    let evidence: usize = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a count");
    assert!(
        evidence >= 20,
        "{evidence} evidence files in the demo's pack"
    );
}

/// The demo's load is one unit of work: stopped part way (a trigger refuses the 31st expense, as a
/// full disk or a lost connection would), it leaves no call, project, user, expense or audit entry,
/// and the next start loads it whole.
async fn a_demo_load_that_fails_part_way_leaves_nothing(app: TestApp) {
    let tables = [
        "calls",
        "projects",
        "entities",
        "users",
        "expenses",
        "attachments",
        "audit_log",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(
            app.db
                .scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .await,
        );
    }
    let (create, drop_it) = match app.backend {
        common::Backend::Sqlite => (
            vec![
                "CREATE TRIGGER stop_demo BEFORE INSERT ON expenses \
                  WHEN (SELECT COUNT(*) FROM expenses) >= 30 \
                  BEGIN SELECT RAISE(ABORT, 'interrotta'); END",
            ],
            "DROP TRIGGER stop_demo",
        ),
        common::Backend::Postgres => (
            vec![
                "CREATE FUNCTION stop_demo() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF (SELECT COUNT(*) FROM expenses) >= 30 THEN RAISE EXCEPTION 'interrotta'; \
                 END IF; RETURN NEW; END $$",
                "CREATE TRIGGER stop_demo BEFORE INSERT ON expenses \
                 FOR EACH ROW EXECUTE FUNCTION stop_demo()",
            ],
            "DROP TRIGGER stop_demo ON expenses",
        ),
    };
    for sql in create {
        app.db.execute(sql).await;
    }
    let services = app.services().await;
    let failed = rendiconta::services::demo::load_if_empty(&services).await;
    assert!(failed.is_err(), "the load must fail: {failed:?}");
    for (table, count) in tables.iter().zip(&before) {
        let now = app
            .db
            .scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .await;
        assert_eq!(now, *count, "{table}: the failed load left rows behind");
    }
    app.db.execute(drop_it).await;
    let project = rendiconta::services::demo::load_if_empty(&services)
        .await
        .expect("the second load")
        .expect("a project");
    let expenses = app
        .db
        .scalar(&format!(
            "SELECT COUNT(*) FROM expenses WHERE project_id = {}",
            project.0
        ))
        .await;
    assert_eq!(expenses, 60, "the whole demo, once");
    let again = rendiconta::services::demo::load_if_empty(&services).await;
    assert!(matches!(again, Ok(None)), "loaded once only: {again:?}");
}

on_both_backends!(
    a_demo_load_that_fails_part_way_leaves_nothing,
    the_demo_documents_are_pdf_a_and_fit_to_send,
    the_demo_rendiconto_carries_what_the_reviewer_checks
);
