//! The submission documents read back by independent readers: openpyxl (cached values, as a
//! previewer shows them) and LibreOffice forced to recalculate every formula. Their totals must
//! equal each other and the summary API to the cent; the same data and date give the same bytes.

mod common;

use std::process::Command;

use common::pdf::{assert_margins, pdf_pages, tool};
use common::{worked_example, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn two_decimals(v: &Value) -> Option<String> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        // LibreOffice writes percentages as shown ("70%").
        Value::String(s) => match s.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
            None => s.parse::<f64>().ok()?,
        },
        _ => return None,
    };
    Some(format!("{n:.2}"))
}

/// The value in column `col` of the first row whose first non-empty text cell is `label`.
fn labelled(rows: &Value, label: &str, col: usize) -> Option<String> {
    rows.as_array()?.iter().find_map(|row| {
        let cells = row.as_array()?;
        let first = cells
            .iter()
            .find(|c| c.as_str().is_some_and(|s| !s.is_empty()))?;
        (first.as_str()? == label)
            .then(|| two_decimals(cells.get(col)?))
            .flatten()
    })
}

async fn xlsx_totals_agree_with_the_api(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    app.create(
        &format!("{base}/tranches"),
        &json!({"amount": "6000.00", "date": "2020-10-01", "act": "Det. 5/2020"}),
    )
    .await;
    let summary: Value = app
        .get(&format!("{base}/summary?as_of=2021-02-15"))
        .await
        .json()
        .await
        .expect("json");
    let response = app
        .get(&format!("{base}/reports/rendiconto.xlsx?as_of=2021-02-15"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let fingerprint = response.headers()["x-rendiconta-fingerprint"]
        .to_str()
        .expect("fp")
        .to_owned();
    assert_eq!(fingerprint.len(), 64);
    let bytes = response.bytes().await.expect("bytes");

    // Same data, same date: the same bytes.
    let again = app
        .get(&format!("{base}/reports/rendiconto.xlsx?as_of=2021-02-15"))
        .await
        .bytes()
        .await
        .expect("bytes");
    assert!(bytes == again, "two downloads of the same data differ");

    let Some(python) = common::python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("rendiconto.xlsx");
    std::fs::write(&file, &bytes).expect("write");
    let out = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/readers/xlsx_values.py"
        ))
        .arg(&file)
        .arg(dir.path())
        .output()
        .expect("run the readers");
    assert!(
        out.status.success(),
        "readers failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).expect("json");
    // How each sheet prints, as openpyxl reads it: A4 landscape, one page wide, the header row of
    // the expense tables repeated, the fingerprint and "Pagina N di M" in the footer.
    let setup = Command::new(common::python().expect("python"))
        .arg("-c")
        .arg(
            "import json, sys, openpyxl\n\
             wb = openpyxl.load_workbook(sys.argv[1])\n\
             print(json.dumps({ws.title: {'orientation': ws.page_setup.orientation,\n\
               'paper': str(ws.page_setup.paperSize), 'fit': bool(ws.sheet_properties.pageSetUpPr.fitToPage),\n\
               'wide': ws.page_setup.fitToWidth, 'titles': ws.print_title_rows,\n\
               'footer': ws.oddFooter.left.text or '', 'pages': ws.oddFooter.right.text or ''}\n\
               for ws in wb.worksheets}))",
        )
        .arg(&file)
        .output()
        .expect("openpyxl");
    let setup: Value = serde_json::from_slice(&setup.stdout).expect("page setup json");
    for (sheet, s) in setup.as_object().expect("sheets") {
        assert_eq!(s["orientation"], "landscape", "{sheet}");
        assert_eq!(s["paper"], "9", "{sheet}: A4");
        // An absent fitToWidth is OOXML's default, 1.
        let wide = s["wide"].as_i64().unwrap_or(1);
        assert_eq!((s["fit"].as_bool(), wide), (Some(true), 1), "{sheet}");
        assert!(
            s["footer"].as_str().unwrap_or("").contains(&fingerprint),
            "{sheet}: {s}"
        );
        assert!(
            s["pages"].as_str().unwrap_or("").contains("&P"),
            "{sheet}: {s}"
        );
    }
    assert_eq!(setup["Spese"]["titles"], "$1:$1");
    for sheet in ["Riepilogo", "Spese", "Non ammissibili", "Per ente"] {
        assert!(read["cached"][sheet].is_array(), "sheet {sheet} missing");
        assert!(
            read["recalculated"][sheet].is_array(),
            "LibreOffice did not export {sheet}"
        );
    }
    assert!(read["formulas"]["Riepilogo"].as_u64().unwrap_or(0) >= 6);
    assert!(read["formulas"]["Spese"].as_u64().unwrap_or(0) >= 4);
    // Per ente sums Spese too: one formula per entity's eligible amount, and the totals.
    assert!(read["formulas"]["Per ente"].as_u64().unwrap_or(0) >= 2 + 3);
    // The filter covers the expense rows only: the totals sit below it, so that filtering or
    // sorting neither hides nor moves them.
    let spese_rows = read["cached"]["Spese"].as_array().expect("rows");
    let filtered_to: usize = read["autofilter"]["Spese"]
        .as_str()
        .and_then(|r| r.rsplit(':').next())
        .map(|cell| cell.trim_start_matches(|c: char| c.is_ascii_alphabetic()))
        .and_then(|n| n.parse().ok())
        .expect("an autofilter on Spese");
    let first_total = 1 + spese_rows
        .iter()
        .skip(1)
        .position(|r| {
            r.as_array().is_some_and(|cells| {
                cells
                    .iter()
                    .any(|c| c.as_str().is_some_and(|t| t.starts_with("Totale ")))
            })
        })
        .expect("totals");
    assert!(
        first_total >= filtered_to,
        "a total inside the filtered rows: row {} in {filtered_to}: {}",
        first_total + 1,
        spese_rows[first_total]
    );
    // Printed by LibreOffice: Riepilogo on one page (its computation and its chart), then Spese,
    // one page wide (every page shows the first and the last column's header).
    let printed = read["printed"].as_array().expect("pages");
    let page = |i: usize| printed.get(i).and_then(Value::as_str).unwrap_or("");
    assert!(
        page(0).contains("Calcolo del contributo") && page(0).contains("Erogazioni ricevute"),
        "Riepilogo is not on one page:\n{}",
        page(0)
    );
    assert!(
        page(1).contains("Fornitore"),
        "page 2 is not Spese:\n{}",
        page(1)
    );
    let last_header = spese_rows[0]
        .as_array()
        .and_then(|h| h.last())
        .and_then(Value::as_str)
        .expect("last header")
        .to_owned();
    for i in 1..printed.len() {
        if page(i).contains("Totale generale") {
            break;
        }
        assert!(
            page(i).contains("Ente") && page(i).contains(&last_header),
            "page {} of Spese is not the whole width:\n{}",
            i + 1,
            page(i)
        );
    }

    let api = |key: &str| two_decimals(&summary[key]);
    for reader in ["cached", "recalculated"] {
        let riepilogo = &read[reader]["Riepilogo"];
        assert_eq!(
            labelled(riepilogo, "Totale", 5),
            api("recognised_total"),
            "{reader}: recognised"
        );
        assert_eq!(
            labelled(riepilogo, "Totale", 3),
            api("eligible_total"),
            "{reader}: eligible"
        );
        assert_eq!(
            labelled(
                riepilogo,
                "Contributo calcolato (arrotondato al centesimo)",
                1
            ),
            api("contribution_computed"),
            "{reader}"
        );
        assert_eq!(
            labelled(riepilogo, "Contributo dovuto", 1),
            api("contribution_due"),
            "{reader}: due"
        );
        assert_eq!(
            labelled(riepilogo, "Totale ricevuto", 1),
            api("advances_received"),
            "{reader}: received"
        );
        // 6.000,00 € received against 5.754,00 € due: the balance is money to give back.
        assert_eq!(
            labelled(
                riepilogo,
                "Da restituire al finanziatore (saldo negativo)",
                1
            ),
            api("balance_due"),
            "{reader}: balance"
        );
        let per_ente = &read[reader]["Per ente"];
        assert_eq!(
            labelled(per_ente, "Totale", 3),
            api("contribution_due"),
            "{reader}: riparto"
        );
        assert_eq!(
            labelled(per_ente, "Totale", 2),
            api("recognised_total"),
            "{reader}: riparto recognised"
        );
        let spese = &read[reader]["Spese"];
        // Each row says its category (a filter or a sort keeps it).
        let category_col = spese[0]
            .as_array()
            .and_then(|header| header.iter().position(|h| h == "Categoria"))
            .expect("a Categoria column");
        assert_eq!(spese[1][category_col], "Categoria A", "{reader}");
        // Spese lists the counted expenses: their eligible total is the eligible total of the API.
        let eligible_col = spese[0]
            .as_array()
            .and_then(|header| header.iter().position(|h| h == "Importo ammissibile"))
            .expect("the eligible column");
        assert_eq!(
            labelled(spese, "Totale generale", eligible_col),
            api("eligible_total"),
            "{reader}: Spese total"
        );
        assert_eq!(
            labelled(spese, "Totale Categoria A", eligible_col),
            two_decimals(&summary["categories"][0]["eligible"])
        );
    }
    // Every number the previewer shows is the number LibreOffice computes.
    for sheet in ["Riepilogo", "Per ente", "Spese"] {
        let cached = read["cached"][sheet].as_array().expect("rows");
        let recalculated = read["recalculated"][sheet].as_array().expect("rows");
        for (r, row) in cached.iter().enumerate() {
            for (c, v) in row.as_array().expect("cells").iter().enumerate() {
                if let Some(expected) = two_decimals(v).filter(|_| v.is_number()) {
                    let other = recalculated
                        .get(r)
                        .and_then(|row| row.get(c))
                        .and_then(two_decimals);
                    assert_eq!(
                        other.as_deref(),
                        Some(expected.as_str()),
                        "{sheet} row {r} col {c}"
                    );
                }
            }
        }
    }
    let excluded = &read["cached"]["Non ammissibili"];
    let text = excluded.to_string();
    assert!(
        text.contains("fuori dal periodo di ammissibilità"),
        "{text}"
    );

    // A different amount changes the fingerprint.
    let list: Value = app
        .get(&format!("{base}/expenses"))
        .await
        .json()
        .await
        .expect("json");
    let first = list["items"][0]["id"].as_str().expect("id");
    let patched = app
        .patch(
            &format!("/api/v1/expenses/{first}"),
            Some("\"v1\""),
            &json!({"net_amount": "3999.99", "claimed_amount": "3999.99"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let changed = app
        .get(&format!("{base}/reports/rendiconto.xlsx?as_of=2021-02-15"))
        .await;
    assert_ne!(
        changed.headers()["x-rendiconta-fingerprint"]
            .to_str()
            .expect("fp"),
        fingerprint
    );
}

async fn unknown_templates_and_dates_are_refused(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    for (query, field) in [
        ("template=../src", "template"),
        ("template=nessuno", "template"),
        ("as_of=2021-13-01", "as_of"),
    ] {
        let response = app
            .get(&format!("{base}/reports/rendiconto.xlsx?{query}"))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    assert_eq!(
        app.get("/api/v1/projects/77/reports/rendiconto.xlsx")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_data_on_both_databases_makes_the_same_workbook() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let Some(postgres) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let mut files = Vec::new();
    for app in [&sqlite, &postgres] {
        let seed = worked_example(app).await;
        let response = app
            .get(&format!(
                "/api/v1/projects/{}/reports/rendiconto.xlsx?as_of=2021-02-15",
                seed.project_id
            ))
            .await;
        let fp = response.headers()["x-rendiconta-fingerprint"]
            .to_str()
            .expect("fp")
            .to_owned();
        files.push((fp, response.bytes().await.expect("bytes")));
    }
    assert_eq!(
        files[0].0, files[1].0,
        "fingerprints differ between SQLite and PostgreSQL"
    );
    assert!(
        files[0].1 == files[1].1,
        "workbooks differ between SQLite and PostgreSQL"
    );
}

async fn pdf_reads_back_in_italian(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let mut body = seed.expense("ATT/2020", "100.00", "0.00");
    body["description"] = json!("Attività di formazione – città di Carpi");
    body["document_date"] = json!("2020-10-01");
    body["category"] = json!("a");
    app.create(&seed.expenses_path(), &body).await;
    let response = app
        .get(&format!("{base}/reports/rendiconto.pdf?as_of=2021-02-15"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let fingerprint = response.headers()["x-rendiconta-fingerprint"]
        .to_str()
        .expect("fp")
        .to_owned();
    let bytes = response.bytes().await.expect("bytes");
    let again = app
        .get(&format!("{base}/reports/rendiconto.pdf?as_of=2021-02-15"))
        .await
        .bytes()
        .await
        .expect("bytes");
    assert!(bytes == again, "two PDFs of the same data differ");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("rendiconto.pdf");
    std::fs::write(&file, &bytes).expect("write");
    let Some(text) = tool("pdftotext", &["-layout"], &file) else {
        return;
    };
    let summary: Value = app
        .get(&format!("{base}/summary?as_of=2021-02-15"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(summary["contribution_due"], "5824.00");
    for needle in [
        "Rendiconto analitico delle spese",
        "Contributo dovuto",
        "5.824,00 €",
        "8.320,00 €",
        "Attività di formazione",
        "città",
        "Pagina 1 di",
        "Dichiarazione sostitutiva",
        "DPR 445/2000",
        "fuori dal periodo di ammissibilità",
        &fingerprint,
    ] {
        assert!(text.contains(needle), "{needle} not found in:\n{text}");
    }
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(&file)
        .output()
        .expect("qpdf");
    assert!(
        check.status.success(),
        "qpdf --check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let fonts = Command::new("pdffonts")
        .arg(&file)
        .output()
        .expect("pdffonts");
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty());
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(
            cols.len() >= 7 && cols[cols.len() - 5] == "yes",
            "font not embedded: {row}"
        );
    }
}

async fn a_thousand_expenses_repeat_the_header_on_every_page(app: TestApp) {
    let seed = app.seed().await;
    let rows: Vec<Value> = (0..1000)
        .map(|i| {
            let mut body = seed.expense(&format!("{i}/2020"), "10.00", "2.20");
            body["entity_id"] = json!(seed.entities[i % 3]);
            body["category"] = json!(if i % 3 == 0 {
                "technology"
            } else {
                "design_training"
            });
            body
        })
        .collect();
    let path = seed.expenses_path();
    for body in &rows {
        assert_eq!(app.post(&path, body).await.status(), StatusCode::CREATED);
    }
    let response = app
        .get(&format!(
            "/api/v1/projects/{}/reports/rendiconto.pdf?as_of=2021-02-15",
            seed.project_id
        ))
        .await;
    let bytes = response.bytes().await.expect("bytes");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("big.pdf");
    std::fs::write(&file, &bytes).expect("write");
    let Some(text) = tool("pdftotext", &["-layout"], &file) else {
        return;
    };
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() > 20, "{} pages", pages.len());
    let total = pages.len();
    let (mut table_pages, mut continued) = (0, 0);
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Pagina {} di {total}", i + 1)),
            "page {} has no number",
            i + 1
        );
        // Every page carrying expense rows starts its table with the header row.
        if page
            .lines()
            .any(|l| l.contains("/2020") && l.contains("Fattura"))
        {
            table_pages += 1;
            assert!(
                page.contains("Fornitore") && page.contains("ammissibile"),
                "page {} lacks the header row",
                i + 1
            );
            // A page that continues a category's table says which category it is.
            let first_row = page
                .lines()
                .position(|l| l.contains("/2020") && l.contains("Fattura"))
                .unwrap_or(0);
            let above = page.lines().take(first_row).collect::<Vec<_>>().join("\n");
            assert!(
                above.contains("Progettazione e formazione")
                    || above.contains("Adeguamento tecnologico"),
                "page {} has expense rows without naming their category:\n{above}",
                i + 1
            );
            if above.contains(" (segue)") {
                continued += 1;
            }
        }
    }
    assert!(table_pages > 15);
    assert!(continued > 10, "{continued} continuation pages");
}

async fn a_submission_freezes_what_it_included(app: TestApp) {
    let seed = worked_example(&app).await;
    app.verify_all(&seed.project_id).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let response = app
        .post(&format!("{base}/submissions"), &json!({"as_of": "2021-02-15", "signatory_name": "Anna Bianchi", "signatory_place": "Carpi"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let submission: Value = response.json().await.expect("json");
    assert_eq!(submission["as_of"], "2021-02-15");
    assert_eq!(submission["contribution_due"], "5754.00");
    assert_eq!(
        submission["expense_count"], 3,
        "the expense outside the period is not included"
    );
    let fingerprint = submission["fingerprint"].as_str().expect("fp").to_owned();

    // Included expenses are frozen; the excluded one is not.
    let list: Value = app
        .get(&seed.expenses_path())
        .await
        .json()
        .await
        .expect("json");
    let items = list["items"].as_array().expect("items");
    let included: Vec<&Value> = items.iter().filter(|e| e["status"] == "included").collect();
    assert_eq!(included.len(), 3);
    let frozen = included[0]["id"].as_str().expect("id");
    let tag = format!("\"v{}\"", included[0]["version"]);
    let before = app.db.fingerprint().await;
    let refused = app
        .patch(
            &format!("/api/v1/expenses/{frozen}"),
            Some(&tag),
            &json!({"description": "ritocco"}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let problem: Value = refused.json().await.expect("json");
    assert_eq!(problem["code"], "expense_locked");
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("presentata")));
    let delete = app
        .client
        .delete(app.url(&format!("/api/v1/expenses/{frozen}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(delete.status(), StatusCode::CONFLICT);
    assert_eq!(app.db.fingerprint().await, before);
    let open = items
        .iter()
        .find(|e| e["status"] != "included")
        .expect("the excluded one");
    let tag = format!("\"v{}\"", open["version"]);
    let ok = app
        .patch(
            &format!("/api/v1/expenses/{}", open["id"].as_str().expect("id")),
            Some(&tag),
            &json!({"description": "corretta"}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);

    // The stored files are served as first made, and the same data and date make them again.
    let listed: Value = app
        .get(&format!("{base}/submissions"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["fingerprint"], fingerprint.as_str());
    let sid = submission["id"].as_str().expect("id");
    let stored_pdf = app
        .get(&format!("{base}/submissions/{sid}/rendiconto.pdf"))
        .await
        .bytes()
        .await
        .expect("pdf");
    let stored_xlsx = app
        .get(&format!("{base}/submissions/{sid}/rendiconto.xlsx"))
        .await
        .bytes()
        .await
        .expect("xlsx");
    assert!(stored_pdf.starts_with(b"%PDF-"));
    assert!(stored_xlsx.starts_with(b"PK"));
    let again = app
        .get(&format!("{base}/reports/rendiconto.xlsx?as_of=2021-02-15"))
        .await;
    // The excluded expense was corrected meanwhile: the data differ, so does the fingerprint.
    assert_ne!(
        again.headers()["x-rendiconta-fingerprint"]
            .to_str()
            .expect("fp"),
        fingerprint
    );
    assert_eq!(
        app.get(&format!("{base}/submissions/9999/rendiconto.pdf"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{base}/submissions/{sid}/altro.doc"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let dir = tempfile::tempdir().expect("tmp");
    common::pdf::assert_pdfa_2b(&stored_pdf, "Rendiconto analitico delle spese");
    let file = dir.path().join("submitted.pdf");
    std::fs::write(&file, &stored_pdf).expect("write");
    if let Some(text) = tool("pdftotext", &["-layout"], &file) {
        assert!(
            text.contains("Anna Bianchi") && text.contains("Carpi, 15/02/2021"),
            "{text}"
        );
        assert!(text.contains(&fingerprint));
        // The audit trail's head when it was made, as the submission records it.
        let seq = submission["audit_seq"].as_i64().expect("audit_seq");
        let hash = submission["audit_hash"].as_str().expect("audit_hash");
        assert!(seq > 0);
        assert!(
            text.contains(&format!(
                "Registro delle modifiche: voce {seq}, impronta {hash}"
            )),
            "{text}"
        );
    }
}

async fn a_resubmission_of_unchanged_data_is_byte_identical(app: TestApp) {
    let seed = worked_example(&app).await;
    app.verify_all(&seed.project_id).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    // An empty body is enough (no content type either).
    let first = app
        .client
        .post(app.url(&format!("{base}/submissions")))
        .send()
        .await
        .expect("post");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let sid = first["id"].as_str().expect("id");
    for file in ["rendiconto.xlsx", "rendiconto.pdf", "relazione.pdf"] {
        let stored = app
            .get(&format!("{base}/submissions/{sid}/{file}"))
            .await
            .bytes()
            .await
            .expect("stored");
        let remade = app
            .get(&format!("{base}/reports/{file}?submission={sid}"))
            .await
            .bytes()
            .await
            .expect("remade");
        assert!(
            stored == remade,
            "{file}: the re-made document differs from the submitted one"
        );
    }
    let garbage = app
        .post_raw(
            &format!("{base}/submissions"),
            "application/json",
            "{\"as_of\": 5}",
        )
        .await;
    assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.client
            .post(app.url("/api/v1/projects/999/submissions"))
            .send()
            .await
            .expect("post")
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_final_report_tells_what_was_done(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    app.create(
        &format!("{base}/narrative"),
        &json!({"title": "Attività di formazione", "body": "Sono stati svolti dodici moduli formativi in più sedi.\n\nLe attività sono concluse."}),
    )
    .await;
    // A list typed line by line (with Windows line ends): each line stays a line.
    app.create(
        &format!("{base}/narrative"),
        &json!({"title": "Sedi", "body": "Le sedi della formazione:\r\n- Carpi\r\n- Soliera\r\n\r\nTutte accessibili."}),
    )
    .await;
    app.create(
        &format!("{base}/indicators"),
        &json!({"name": "Dipendenti formati", "value": "120", "unit": "persone"}),
    )
    .await;
    app.create(
        &format!("{base}/indicators"),
        &json!({"name": "Ore di formazione", "value": "1234.5", "unit": "ore"}),
    )
    .await;
    let listed: Value = app
        .get(&format!("{base}/indicators"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["items"][1]["value"], "1234.5");
    let before = app.db.scalar("SELECT COUNT(*) FROM indicators").await;
    for bad in [
        json!({"name": "X", "value": 12}),
        json!({"name": "X", "value": "-3"}),
        json!({"value": "3"}),
    ] {
        assert_eq!(
            app.post(&format!("{base}/indicators"), &bad).await.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    assert_eq!(
        app.db.scalar("SELECT COUNT(*) FROM indicators").await,
        before
    );

    let response = app
        .get(&format!("{base}/reports/relazione.pdf?as_of=2021-02-15"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("relazione.pdf");
    std::fs::write(&file, &bytes).expect("write");
    let Some(text) = tool("pdftotext", &["-layout"], &file) else {
        return;
    };
    for needle in [
        "Relazione finale sulle attività svolte",
        "Attività di formazione",
        "dodici moduli formativi in più sedi",
        "Le attività sono concluse",
        "Dipendenti formati",
        "1.234,5",
        "Contributo dovuto",
        "5.754,00 €",
        "Pagina 1 di",
    ] {
        assert!(text.contains(needle), "{needle} not found in:\n{text}");
    }
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for line in [
        "Le sedi della formazione:",
        // Typed as "- Carpi": a list item, with a bullet.
        "• Carpi",
        "• Soliera",
        "Tutte accessibili.",
    ] {
        assert!(lines.contains(&line), "{line:?} is not a line of:\n{text}");
    }
}

/// The relazione's text as pdftotext reads it, and the fingerprint the download declares.
async fn relazione_text(app: &TestApp, base: &str) -> (Option<String>, String) {
    let response = app
        .get(&format!("{base}/reports/relazione.pdf?as_of=2021-02-15"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let fingerprint = response.headers()["x-rendiconta-fingerprint"]
        .to_str()
        .expect("fingerprint")
        .to_owned();
    let bytes = response.bytes().await.expect("bytes");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("relazione.pdf");
    std::fs::write(&file, &bytes).expect("write");
    (tool("pdftotext", &["-layout"], &file), fingerprint)
}

async fn the_final_report_is_corrected_in_place(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let section = app
        .create(
            &format!("{base}/narrative"),
            &json!({"title": "Attivita svolte", "body": "Dodici moduli."}),
        )
        .await;
    let path = format!("{base}/narrative/{}", section["id"].as_str().expect("id"));
    let shown = app.get(&path).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()["etag"], "\"v1\"");
    let (_, fingerprint_before) = relazione_text(&app, &base).await;
    let xlsx_before = app
        .get(&format!("{base}/reports/rendiconto.xlsx?as_of=2021-02-15"))
        .await
        .headers()["x-rendiconta-fingerprint"]
        .clone();

    // A correction against the version read: the title changes, the text stays.
    let fixed = app
        .patch(&path, Some("\"v1\""), &json!({"title": "Attività svolte"}))
        .await;
    assert_eq!(fixed.status(), StatusCode::OK);
    assert_eq!(fixed.headers()["etag"], "\"v2\"");
    let fixed: Value = fixed.json().await.expect("json");
    assert_eq!(fixed["title"], "Attività svolte");
    assert_eq!(fixed["body"], "Dodici moduli.");

    // Refused, and nothing changes: a stale version, no version, an empty title, an unknown field.
    let audit_before = app.db.scalar("SELECT COUNT(*) FROM audit_log").await;
    for (etag, patch, status) in [
        (
            Some("\"v1\""),
            json!({"body": "Sovrascritto."}),
            StatusCode::PRECONDITION_FAILED,
        ),
        (
            None,
            json!({"body": "Sovrascritto."}),
            StatusCode::PRECONDITION_REQUIRED,
        ),
        (
            Some("\"v2\""),
            json!({"title": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some("\"v2\""),
            json!({"colore": "rosso"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let response = app.patch(&path, etag, &patch).await;
        assert_eq!(response.status(), status, "{patch} with {etag:?}");
    }
    let now: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(now, fixed);
    assert_eq!(
        app.db.scalar("SELECT COUNT(*) FROM audit_log").await,
        audit_before
    );

    // The document says what the report now says, and its fingerprint (one for every document
    // made from these data) tells that the data changed.
    let (text, fingerprint_after) = relazione_text(&app, &base).await;
    if let Some(text) = text {
        assert!(text.contains("Attività svolte"), "{text}");
        assert!(!text.contains("Attivita svolte"), "{text}");
    }
    assert_ne!(fingerprint_after, fingerprint_before);
    let xlsx_after = app
        .get(&format!("{base}/reports/rendiconto.xlsx?as_of=2021-02-15"))
        .await
        .headers()["x-rendiconta-fingerprint"]
        .clone();
    assert_eq!(xlsx_after.to_str().ok(), Some(fingerprint_after.as_str()));
    assert_ne!(xlsx_after, xlsx_before);

    // An indicator corrected, then removed.
    let indicator = app
        .create(
            &format!("{base}/indicators"),
            &json!({"name": "Dipendenti formati", "value": "120", "unit": "persone"}),
        )
        .await;
    let ipath = format!(
        "{base}/indicators/{}",
        indicator["id"].as_str().expect("id")
    );
    let response = app
        .patch(
            &ipath,
            Some("\"v1\""),
            &json!({"value": "130", "unit": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let corrected: Value = response.json().await.expect("json");
    assert_eq!(corrected["value"], "130");
    assert_eq!(corrected["unit"], Value::Null);
    assert_eq!(corrected["name"], "Dipendenti formati");
    let (text, _) = relazione_text(&app, &base).await;
    if let Some(text) = text {
        let line = text
            .lines()
            .find(|l| l.contains("Dipendenti formati"))
            .unwrap_or_default();
        assert!(line.contains("130") && !line.contains("persone"), "{line}");
    }
    let delete = |path: String, etag: Option<&'static str>| {
        let mut request = app.client.delete(app.url(&path));
        if let Some(tag) = etag {
            request = request.header("if-match", tag);
        }
        async move { request.send().await.expect("DELETE").status() }
    };
    assert_eq!(
        delete(ipath.clone(), Some("\"v1\"")).await,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        delete(ipath.clone(), Some("\"v2\"")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&ipath).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(delete(ipath.clone(), None).await, StatusCode::NOT_FOUND);

    // Another project cannot reach this one's sections through its own path.
    let other = worked_example(&app).await;
    let foreign = format!(
        "/api/v1/projects/{}/narrative/{}",
        other.project_id,
        section["id"].as_str().expect("id")
    );
    assert_eq!(app.get(&foreign).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&foreign, Some("\"v2\""), &json!({"title": "Altro"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(delete(foreign, None).await, StatusCode::NOT_FOUND);

    assert_eq!(delete(path.clone(), None).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    // Every correction and removal is in the audit trail, with what the text was.
    for (action, count) in [
        ("section.update", 1),
        ("section.delete", 1),
        ("indicator.update", 1),
        ("indicator.delete", 1),
    ] {
        assert_eq!(
            app.db
                .scalar(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await,
            count,
            "{action}"
        );
    }
    let removed = app
        .db
        .scalar_text("SELECT before FROM audit_log WHERE action = 'section.delete'")
        .await;
    assert!(removed.contains("Attività svolte"), "{removed}");
}

async fn sections_are_put_in_order(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let mut ids = std::collections::HashMap::new();
    for title in ["Alfa", "Beta", "Gamma"] {
        let s = app
            .create(
                &format!("{base}/narrative"),
                &json!({"title": title, "body": format!("Testo {title}.")}),
            )
            .await;
        ids.insert(title, s["id"].as_str().expect("id").to_owned());
    }
    let order = || async {
        let list: Value = app
            .get(&format!("{base}/narrative"))
            .await
            .json()
            .await
            .expect("json");
        let items = list["items"].as_array().expect("items").clone();
        for (i, item) in items.iter().enumerate() {
            assert_eq!(item["position"], json!(i + 1), "{items:?}");
        }
        items
            .iter()
            .map(|s| s["title"].as_str().expect("title").to_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(order().await, "Alfa,Beta,Gamma");
    let tag = |v: i64| format!("\"v{v}\"");
    let path = |title: &str| format!("{base}/narrative/{}", ids[title]);
    let moved = app
        .patch(&path("Gamma"), Some(&tag(1)), &json!({"position": 1}))
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(order().await, "Gamma,Alfa,Beta");
    // Beyond the last is last.
    let moved = app
        .patch(&path("Alfa"), Some(&tag(1)), &json!({"position": 99}))
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(order().await, "Gamma,Beta,Alfa");
    // Refused, and nothing moves.
    for bad in [
        json!({"position": 0}),
        json!({"position": -2}),
        json!({"position": "primo"}),
    ] {
        let response = app.patch(&path("Beta"), Some(&tag(1)), &bad).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(order().await, "Gamma,Beta,Alfa");
    // A new section put second; a removed one closes the gap.
    let delta = app
        .create(
            &format!("{base}/narrative"),
            &json!({"title": "Delta", "body": "Testo Delta.", "position": 2}),
        )
        .await;
    assert_eq!(delta["position"], 2);
    assert_eq!(order().await, "Gamma,Delta,Beta,Alfa");
    let removed = app
        .client
        .delete(app.url(&path("Beta")))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(order().await, "Gamma,Delta,Alfa");

    // The report follows the order.
    let (text, _) = relazione_text(&app, &base).await;
    if let Some(text) = text {
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle}: {text}"))
        };
        assert!(at("Testo Gamma.") < at("Testo Delta."), "{text}");
        assert!(at("Testo Delta.") < at("Testo Alfa."), "{text}");
        assert!(!text.contains("Testo Beta."), "{text}");
    }
}

const DRAFT: &str = "BOZZA — non valida ai fini della rendicontazione";

/// What the reviewer checks of each payment is in the signed document too, under its row; and a
/// grand total of every category, equal to the summary's.
async fn each_payment_is_detailed_and_the_categories_totalled(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let mut paid = seed.expense("PAY/7", "50.00", "11.00");
    paid["category"] = json!("a");
    paid["supplier_vat"] = json!("IT01234567897");
    paid["commitment_act"] = json!("Det. n. 303 del 12/10/2020");
    paid["liquidation_act"] = json!("Det. n. 412 del 20/10/2020");
    paid["payment_order_number"] = json!("4479");
    paid["payment_order_date"] = json!("2020-11-02");
    paid["payment_date"] = json!("2020-11-05");
    app.create(&seed.expenses_path(), &paid).await;
    let summary = app.json(&format!("{base}/summary?as_of=2021-02-15")).await;
    let detailed = app
        .bytes(&format!("{base}/reports/rendiconto.pdf?as_of=2021-02-15"))
        .await;
    let words = pdf_pages(&detailed)
        .expect("text")
        .concat()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for needle in [
        "P. IVA 01234567897 · CIG Z1A2B3C4D5",
        "impegno: Det. n. 303 del 12/10/2020",
        "liquidazione: Det. n. 412 del 20/10/2020",
        "mandato n. 4479 del 02/11/2020 · pagata il 05/11/2020",
    ] {
        assert!(words.contains(needle), "{needle} not in:\n{words}");
    }
    // The grand total of every category, equal to the summary's eligible total.
    let eligible: rendiconta::domain::Money = summary["eligible_total"]
        .as_str()
        .expect("eligible_total")
        .parse()
        .expect("money");
    let grand = words
        .split("Totale complessivo")
        .nth(1)
        .expect("a grand total row");
    assert!(
        grand.contains(&eligible.italian()),
        "grand total {} not in: {grand}",
        eligible.italian()
    );
}

async fn a_live_document_is_a_draft_on_every_page_and_a_submission_never(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    // One more expense, not verified: the live document counts it, marked. Its texts are long:
    // each must appear whole (wrapped, never cut).
    let description = "Percorso formativo per i dirigenti e i funzionari dei sei enti sulla gestione per obiettivi del lavoro agile";
    let supplier = "Società Cooperativa Sociale Àncora Onlus";
    let mut body = seed.expense("NV/1", "100.00", "22.00");
    body["category"] = json!("a");
    body["description"] = json!(description);
    body["supplier_name"] = json!(supplier);
    app.create(&seed.expenses_path(), &body).await;
    let mut credit = seed.expense("NC 3/2020-bis", "10.00", "2.20");
    credit["category"] = json!("a");
    credit["document_type"] = json!("credit_note");
    app.create(&seed.expenses_path(), &credit).await;
    let live = app
        .get(&format!("{base}/reports/rendiconto.pdf?as_of=2021-02-15"))
        .await
        .bytes()
        .await
        .expect("bytes");
    let Some(pages) = pdf_pages(&live) else {
        return;
    };
    for (n, page) in pages.iter().enumerate() {
        assert!(
            page.contains(DRAFT),
            "page {} of a live document: no draft mark",
            n + 1
        );
    }
    let all = pages.concat();
    // Reminders for the office stay out of a document that is signed.
    for office in ["Avvertenze", "giorni fa", "scadut"] {
        assert!(!all.contains(office), "{office} printed in the document");
    }
    assert!(all.contains("* spesa non ancora verificata"), "{all}");
    // Nothing cut with an ellipsis (the signature's blanks, runs of "…" alone, are not text).
    let cut = all
        .split('…')
        .any(|before| before.chars().last().is_some_and(char::is_alphanumeric));
    assert!(!cut && !all.contains("..."), "text cut off");
    let words: String = all.split_whitespace().collect::<Vec<_>>().join(" ");
    for whole in [description, supplier, "Nota di credito NC 3/2020-bis"] {
        let squeezed: String = whole.split_whitespace().collect::<Vec<_>>().join(" ");
        let found = squeezed.split(' ').all(|w| words.contains(w));
        assert!(found, "{whole} not printed whole");
    }
    assert_margins(&live, 15.0);
    // The final report is titled as itself, in its text and in its metadata.
    let relazione = app
        .get(&format!("{base}/reports/relazione.pdf?as_of=2021-02-15"))
        .await
        .bytes()
        .await
        .expect("bytes");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("relazione.pdf");
    std::fs::write(&file, &relazione).expect("write");
    let info = Command::new("pdfinfo")
        .arg(&file)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.lines()
            .any(|l| l.starts_with("Title:") && l.contains("Relazione finale")),
        "{info}"
    );
    assert!(pdf_pages(&relazione).expect("text")[0].contains(DRAFT));

    app.verify_all(&seed.project_id).await;
    let submission = app
        .create(
            &format!("{base}/submissions"),
            &json!({"as_of": "2021-02-15", "signatory_name": "Anna Bianchi", "signatory_role": "Presidente"}),
        )
        .await;
    let sid = submission["id"].as_str().expect("id");
    let stored = app
        .get(&format!("{base}/submissions/{sid}/rendiconto.pdf"))
        .await
        .bytes()
        .await
        .expect("bytes");
    let pages = pdf_pages(&stored).expect("pdftotext");
    let all = pages.concat();
    assert!(!all.contains("BOZZA"), "a submission marked as a draft");
    assert!(!all.contains("* spesa non ancora verificata"));
    // The signatory's printed name under the signature line, the role not repeated.
    assert!(all.contains("Anna Bianchi (firma)"), "{all}");
    assert!(
        all.contains("in qualità di Presidente e legale rappresentante"),
        "{all}"
    );
}

on_both_backends!(
    xlsx_totals_agree_with_the_api,
    unknown_templates_and_dates_are_refused,
    pdf_reads_back_in_italian,
    a_thousand_expenses_repeat_the_header_on_every_page,
    a_submission_freezes_what_it_included,
    a_resubmission_of_unchanged_data_is_byte_identical,
    the_final_report_tells_what_was_done,
    the_final_report_is_corrected_in_place,
    sections_are_put_in_order,
    a_live_document_is_a_draft_on_every_page_and_a_submission_never,
    each_payment_is_detailed_and_the_categories_totalled
);
