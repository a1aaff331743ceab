//! The workspace's pages over plain HTTP: signing in through the form, CSRF on every form, roles
//! enforced as in the API, the CSV export in the conventions Italian Excel opens directly.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{TestApp, PASSWORD};

/// A browser-like client that does not follow redirects (so the tests see them).
pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .map(|i| i + marker.len())
        .expect("hidden field");
    html[start..].split('"').next().unwrap_or("").to_owned()
}

fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Signs in through the form; returns the session cookie.
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> String {
    let c = client();
    let page = c
        .get(app.url("/accedi?next=/progetti"))
        .send()
        .await
        .expect("get");
    let login_cookie = cookie(&page, "rendiconta_login").expect("login cookie");
    let html = page.text().await.expect("html");
    assert!(html.contains("<html lang=\"it\">"));
    let csrf = hidden(&html, "_csrf");
    let response = c
        .post(app.url("/accedi"))
        .header("cookie", &login_cookie)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("next", "/progetti"),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/progetti");
    cookie(&response, "rendiconta_session").expect("session cookie")
}

pub(crate) async fn page(app: &TestApp, session: &str, path: &str) -> (StatusCode, String) {
    let r = client()
        .get(app.url(path))
        .header("cookie", session)
        .send()
        .await
        .expect("get");
    (r.status(), r.text().await.unwrap_or_default())
}

async fn forms_need_their_csrf_token_and_roles_hold(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    // Without a session, pages send to the sign-in form and back.
    let r = client()
        .get(app.url(&format!("/progetti/{p}/spese")))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .expect("loc")
        .starts_with("/accedi?next="));
    // A wrong password shows the form again with the reason, in Italian.
    let c = client();
    let login = c.get(app.url("/accedi")).send().await.expect("get");
    let login_cookie = cookie(&login, "rendiconta_login").expect("cookie");
    let csrf = hidden(&login.text().await.expect("html"), "_csrf");
    let wrong = c
        .post(app.url("/accedi"))
        .header("cookie", &login_cookie)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", crate::common::ADMIN_EMAIL),
            ("password", "sbagliata"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong
        .text()
        .await
        .expect("html")
        .contains("Email o password non corretti"));

    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (status, html) = page(&app, &admin, &format!("/progetti/{p}/spese/nuova")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let csrf = hidden(&html, "_csrf");
    let fields = |csrf: &str| {
        vec![
            ("_csrf".to_owned(), csrf.to_owned()),
            ("entity_id".to_owned(), seed.entities[0].clone()),
            ("category".to_owned(), "design_training".to_owned()),
            ("nature".to_owned(), "current".to_owned()),
            ("document_type".to_owned(), "invoice".to_owned()),
            ("supplier_name".to_owned(), "Fornitore & figli".to_owned()),
            ("document_number".to_owned(), "5/2020".to_owned()),
            ("document_date".to_owned(), "2020-10-15".to_owned()),
            ("description".to_owned(), "Corso".to_owned()),
            ("net_amount".to_owned(), "1.000,00".to_owned()),
            ("vat_amount".to_owned(), "220".to_owned()),
        ]
    };
    let before = app.db.fingerprint().await;
    let forged = client()
        .post(app.url(&format!("/progetti/{p}/spese/nuova")))
        .header("cookie", &admin)
        .form(&fields(""))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.expect("html").contains("CSRF"));
    assert_eq!(app.db.fingerprint().await, before);
    let saved = client()
        .post(app.url(&format!("/progetti/{p}/spese/nuova")))
        .header("cookie", &admin)
        .form(&fields(&csrf))
        .send()
        .await
        .expect("post");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let list: Value = app
        .get(&seed.expenses_path())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"][0]["net_amount"], "1000.00");
    assert_eq!(list["items"][0]["vat_amount"], "220.00");

    // A viewer reads the pages but the form refuses them, saying why.
    app.create(
        "/api/v1/users",
        &json!({"email": "revisore@prova.it", "password": PASSWORD}),
    )
    .await;
    let users: Value = app.get("/api/v1/users").await.json().await.expect("json");
    let viewer_id = users["items"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == "revisore@prova.it")
        .expect("viewer")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .client
        .put(app.url(&format!("/api/v1/projects/{p}/members/{viewer_id}")))
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .expect("member");
    assert_eq!(r.status(), StatusCode::OK);
    let viewer = sign_in(&app, "revisore@prova.it").await;
    let (status, html) = page(&app, &viewer, &format!("/progetti/{p}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // Documents: the viewer downloads them, but is not offered the form to submit; the admin is.
    let (_, documents) = page(&app, &viewer, &format!("/progetti/{p}/documenti")).await;
    assert!(!documents.contains("documenti/presenta"), "{documents}");
    assert!(documents.contains("riservata al servizio finanziario"));
    let (_, documents) = page(&app, &admin, &format!("/progetti/{p}/documenti")).await;
    assert!(documents.contains("documenti/presenta"), "{documents}");
    let (_, form) = page(&app, &viewer, &format!("/progetti/{p}/spese/nuova")).await;
    let csrf = hidden(&form, "_csrf");
    let before = app.db.fingerprint().await;
    let refused = client()
        .post(app.url(&format!("/progetti/{p}/spese/nuova")))
        .header("cookie", &viewer)
        .form(&fields(&csrf))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.expect("html").contains("non consente"));
    assert_eq!(app.db.fingerprint().await, before);
    // The final report: the viewer reads it without forms, and a forged form is refused.
    app.create(
        &format!("/api/v1/projects/{p}/narrative"),
        &json!({"title": "Attività svolte", "body": "Testo & note <b>non</b> HTML."}),
    )
    .await;
    let (status, html) = page(&app, &viewer, &format!("/progetti/{p}/relazione")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Testo &amp; note &lt;b&gt;non&lt;"), "{html}");
    assert!(
        !html.contains("<b>non</b>"),
        "user text must be escaped: {html}"
    );
    assert!(
        !html.contains("relazione/sezioni"),
        "a reader sees no forms: {html}"
    );
    let audit = app.db.scalar("SELECT COUNT(*) FROM audit_log").await;
    let forged = client()
        .post(app.url(&format!("/progetti/{p}/relazione/sezioni")))
        .header("cookie", &viewer)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "Mia"),
            ("body", "Mio testo."),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM audit_log").await, audit);
    let (_, html) = page(&app, &admin, &format!("/progetti/{p}/relazione")).await;
    assert!(
        html.contains("relazione/sezioni"),
        "an editor gets the forms"
    );

    // Signing out ends the session.
    let (_, html) = page(&app, &admin, "/progetti").await;
    let csrf = hidden(&html, "_csrf");
    let out = client()
        .post(app.url("/esci"))
        .header("cookie", &admin)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let (status, _) = page(&app, &admin, "/progetti").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn csv_opens_in_italian_excel(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    for (n, net) in [("1/2020", "1234.56"), ("2/2020", "10.00")] {
        app.create(&seed.expenses_path(), &seed.expense(n, net, "0.00"))
            .await;
    }
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let r = client()
        .get(app.url(&format!("/progetti/{p}/spese.csv?q=&sort=-claimed_amount")))
        .header("cookie", &admin)
        .send()
        .await
        .expect("csv");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .expect("cd")
        .contains("attachment"));
    let bytes = r.bytes().await.expect("bytes");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "no byte-order mark"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(&headers[0], "N.");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    let claimed = headers
        .iter()
        .position(|h| h == "Rendicontato")
        .expect("column");
    let date = headers.iter().position(|h| h == "Data").expect("column");
    assert_eq!(&rows[0][claimed], "1234,56");
    assert_eq!(&rows[1][claimed], "10,00");
    assert_eq!(&rows[0][date], "15/10/2020");
    // The category as the call names it, not its code.
    let category = headers
        .iter()
        .position(|h| h == "Categoria")
        .expect("column");
    assert!(!rows[0][category].contains('_'), "{}", &rows[0][category]);
    assert!(!rows[0][category].is_empty());
}

/// Two people edit the same expense: the second save is refused with a clear message, their typed
/// values kept; saving again from that page overwrites knowingly.
async fn an_edit_colliding_with_another_is_explained(app: TestApp) {
    let seed = app.seed().await;
    let created = app
        .create(
            &seed.expenses_path(),
            &seed.expense("9/2020", "100.00", "22.00"),
        )
        .await;
    let id = created["id"].as_str().expect("id");
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (_, html) = page(&app, &admin, &format!("/spese/{id}")).await;
    let csrf = hidden(&html, "_csrf");
    let version = hidden(&html, "version");
    // Someone else saves first, through the API.
    let theirs = app
        .patch(
            &format!("/api/v1/expenses/{id}"),
            Some(&format!("\"v{version}\"")),
            &json!({"description": "la loro modifica"}),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::OK);
    let form = |version: &str| {
        vec![
            ("_csrf".to_owned(), csrf.clone()),
            ("version".to_owned(), version.to_owned()),
            ("entity_id".to_owned(), seed.entities[0].clone()),
            ("category".to_owned(), "design_training".to_owned()),
            ("nature".to_owned(), "current".to_owned()),
            ("document_type".to_owned(), "invoice".to_owned()),
            (
                "supplier_name".to_owned(),
                "Formazione Emilia S.r.l.".to_owned(),
            ),
            ("supplier_vat".to_owned(), "IT01234567897".to_owned()),
            ("document_number".to_owned(), "9/2020".to_owned()),
            ("document_date".to_owned(), "2020-10-15".to_owned()),
            ("description".to_owned(), "la mia modifica".to_owned()),
            ("net_amount".to_owned(), "100,00".to_owned()),
            ("vat_amount".to_owned(), "22,00".to_owned()),
        ]
    };
    let mine = client()
        .post(app.url(&format!("/spese/{id}")))
        .header("cookie", &admin)
        .form(&form(&version))
        .send()
        .await
        .expect("post");
    assert_eq!(mine.status(), StatusCode::CONFLICT);
    let html = mine.text().await.expect("html");
    assert!(
        html.contains("Qualcun altro ha modificato questa spesa"),
        "{html}"
    );
    assert!(
        html.contains("la mia modifica"),
        "the typed values are kept"
    );
    let stored: Value = app
        .get(&format!("/api/v1/expenses/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        stored["description"], "la loro modifica",
        "nothing was overwritten"
    );
    // The page now carries the current version: saving again is a conscious overwrite.
    let current = hidden(&html, "version");
    assert_ne!(current, version);
    let again = client()
        .post(app.url(&format!("/spese/{id}")))
        .header("cookie", &admin)
        .form(&form(&current))
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let stored: Value = app
        .get(&format!("/api/v1/expenses/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stored["description"], "la mia modifica");
}

/// Uploading e-invoices from the browser form: refused without the CSRF token, imported with it,
/// the report on the page.
async fn e_invoices_uploaded_from_the_page(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (status, html) = page(&app, &admin, &format!("/progetti/{p}/importa")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&html, "_csrf");
    let file = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fatturapa/IT01234567890_FPA03.xml"),
    )
    .expect("fixture");
    let form = |csrf: &str| {
        reqwest::multipart::Form::new()
            .text("_csrf", csrf.to_owned())
            .text("entity_id", seed.entities[0].clone())
            .text("category", "design_training")
            .text("nature", "current")
            .part(
                "files",
                reqwest::multipart::Part::bytes(file.clone()).file_name("IT01234567890_FPA03.xml"),
            )
    };
    let before = app.db.fingerprint().await;
    let forged = client()
        .post(app.url(&format!("/progetti/{p}/importa")))
        .header("cookie", &admin)
        .multipart(form("0"))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.fingerprint().await, before);
    let done = client()
        .post(app.url(&format!("/progetti/{p}/importa")))
        .header("cookie", &admin)
        .multipart(form(&csrf))
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), StatusCode::OK);
    let html = done.text().await.expect("html");
    assert!(
        html.contains("importato") && html.contains("IT01234567890_FPA03.xml"),
        "{html}"
    );
    // The next upload starts from the entity and category just chosen.
    assert!(
        html.contains(&format!("value=\"{}\" selected", seed.entities[0])),
        "the chosen entity is kept: {html}"
    );
    assert!(
        html.contains("value=\"design_training\" selected"),
        "{html}"
    );
    let list: Value = app
        .get(&seed.expenses_path())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 2, "one expense per body");
}

pub(crate) fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .expect("fixture")
}

/// Posts a multipart form with the session cookie.
pub(crate) async fn post_form(
    app: &TestApp,
    session: &str,
    path: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    client()
        .post(app.url(path))
        .header("cookie", session)
        .multipart(form)
        .send()
        .await
        .expect("post")
}

async fn spreadsheets_files_and_payments_from_the_pages(app: TestApp) {
    use reqwest::multipart::{Form, Part};
    let seed = app.seed().await;
    let p = &seed.project_id;
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (_, html) = page(&app, &admin, &format!("/progetti/{p}/importa")).await;
    let csrf = hidden(&html, "_csrf");
    let csv_form = |name: &str, dry_run: bool| {
        let form = Form::new()
            .text("_csrf", csrf.clone())
            .text("entity_id", "");
        let form = if dry_run {
            form.text("dry_run", "on")
        } else {
            form
        };
        form.part(
            "csv",
            Part::bytes(fixture(&format!("csv/{name}"))).file_name(name.to_owned()),
        )
    };

    // A spreadsheet with errors: every row's errors on the page, nothing written.
    let before = app.db.fingerprint().await;
    let r = post_form(
        &app,
        &admin,
        &format!("/progetti/{p}/importa/csv"),
        csv_form("errori.csv", true),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains("Errori da correggere"), "{html}");
    assert!(
        html.contains("«Data fattura»") && html.contains("Comune Inesistente"),
        "{html}"
    );
    assert_eq!(app.db.fingerprint().await, before);
    // A good one, imported: amounts shown the Italian way.
    let r = post_form(
        &app,
        &admin,
        &format!("/progetti/{p}/importa/csv"),
        csv_form("spese.csv", false),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("spese create") && html.contains("1.234,56 €"),
        "{html}"
    );
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM expenses").await, 2);

    // A file attached from the expense's page, listed with a working download link.
    let mut body = seed.expense("R1/2020", "1000.00", "220.00");
    for field in ["payment_order_number", "payment_order_date", "payment_date"] {
        body[field] = Value::Null;
    }
    let expense = app.create(&seed.expenses_path(), &body).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, html) = page(&app, &admin, &format!("/spese/{expense}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nessun documento allegato"), "{html}");
    let file_form = |csrf: &str| {
        Form::new()
            .text("_csrf", csrf.to_owned())
            .text("kind", "receipt")
            .part(
                "file",
                Part::bytes(fixture("attachments/quietanza.pdf")).file_name("quietanza n. 3.pdf"),
            )
    };
    let forged = post_form(
        &app,
        &admin,
        &format!("/spese/{expense}/allegati"),
        file_form("0"),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM attachments").await, 0);
    let r = post_form(
        &app,
        &admin,
        &format!("/spese/{expense}/allegati"),
        file_form(&csrf),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &admin, &format!("/spese/{expense}")).await;
    assert!(
        html.contains("quietanza n. 3.pdf") && html.contains("quietanza</td>"),
        "{html}"
    );
    let link = html
        .replace("&#x2f;", "/")
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or(""))
        .find(|h| h.starts_with("/api/v1/attachments/"))
        .expect("download link")
        .to_owned();
    let download = client()
        .get(app.url(&link))
        .header("cookie", &admin)
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.bytes().await.expect("bytes").to_vec(),
        fixture("attachments/quietanza.pdf")
    );

    // Reconciliation: the finance officer's page; matched, unmatched and unpaid listed.
    let viewer = {
        app.add_member("revisore@prova.it", p, "viewer", &[]).await;
        sign_in(&app, "revisore@prova.it").await
    };
    let (status, _) = page(&app, &viewer, &format!("/progetti/{p}/riconciliazione")).await;
    assert_eq!(status, StatusCode::OK, "anyone may open the page");
    let (_, html) = page(&app, &viewer, &format!("/progetti/{p}/riconciliazione")).await;
    let viewer_csrf = hidden(&html, "_csrf");
    let payments = |csrf: &str| {
        Form::new().text("_csrf", csrf.to_owned()).part(
            "pagamenti",
            Part::bytes(fixture("csv/pagamenti.csv")).file_name("mandati.csv"),
        )
    };
    let r = post_form(
        &app,
        &viewer,
        &format!("/progetti/{p}/riconciliazione"),
        payments(&viewer_csrf),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "only the finance office reconciles"
    );
    let r = post_form(
        &app,
        &admin,
        &format!("/progetti/{p}/riconciliazione"),
        payments(&csrf),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    let section = |id: &str| {
        html.split(&format!("id=\"{id}\""))
            .nth(1)
            .and_then(|s| s.split("</table>").next())
            .unwrap_or("")
            .to_owned()
    };
    assert!(section("abbinati").contains("4101"), "{html}");
    assert!(section("non-abbinati").contains("X9"), "{html}");
    assert!(
        section("senza-pagamento").contains("H 7"),
        "the spreadsheet's expenses are unpaid: {html}"
    );
    let e = crate::common::json_of(app.get(&format!("/api/v1/expenses/{expense}")).await).await;
    assert_eq!(e["payment_order_number"], "4101");
}

/// The Documenti page: the rendiconto signed outside (a CAdES `.p7m` made here by `openssl cms`)
/// is uploaded from the page and listed with its signer; a file that is not the signed PDF comes
/// back as the page with the reason; a reader sees the copies but no upload form.
async fn the_signed_copy_is_uploaded_from_the_documents_page(app: TestApp) {
    use reqwest::multipart::{Form, Part};
    let seed = crate::common::worked_example(&app).await;
    app.verify_all(&seed.project_id).await;
    let p = &seed.project_id;
    let submission = app
        .create(
            &format!("/api/v1/projects/{p}/submissions"),
            &json!({"as_of": "2021-02-15", "signatory_name": "Mario Rossi"}),
        )
        .await;
    let sid = submission["id"].as_str().expect("id").to_owned();
    let pdf = app
        .bytes(&format!(
            "/api/v1/projects/{p}/submissions/{sid}/rendiconto.pdf"
        ))
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let signer =
        crate::common::signing::certificate(dir.path(), "Mario_Rossi", "TINIT-RSSMRA70A01H501S");
    let p7m = crate::common::signing::cades(dir.path(), &pdf, &signer);

    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let path = format!("/progetti/{p}/documenti");
    let (_, html) = page(&app, &admin, &path).await;
    assert!(html.contains("Nessuna copia firmata caricata"), "{html}");
    let csrf = hidden(&html, "_csrf");
    let form = |bytes: Vec<u8>, name: &str| {
        Form::new()
            .text("_csrf", csrf.clone())
            .part("file", Part::bytes(bytes).file_name(name.to_owned()))
    };
    let action = format!("{path}/{sid}/firmata");
    let refused = post_form(&app, &admin, &action, form(pdf.clone(), "rendiconto.pdf")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("Copia firmata non accettata"), "{html}");
    assert!(html.contains("non è firmato digitalmente"), "{html}");
    assert!(
        html.contains("Rendicontazioni presentate"),
        "the page, not a bare error"
    );
    let kept = post_form(&app, &admin, &action, form(p7m, "rendiconto.pdf.p7m")).await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &admin, &path).await;
    assert!(
        html.contains(&format!("rendiconto_firmato_{sid}_")),
        "{html}"
    );
    assert!(html.contains("firmata da Mario_Rossi"), "{html}");
    assert!(
        html.contains("firmata da persona diversa"),
        "another name than the signatory's"
    );

    app.add_member("lettore.documenti@prova.it", p, "viewer", &[])
        .await;
    let viewer = sign_in(&app, "lettore.documenti@prova.it").await;
    let (_, html) = page(&app, &viewer, &path).await;
    assert!(html.contains(&format!("rendiconto_firmato_{sid}_")));
    assert!(!html.contains("Carica la copia firmata"), "{html}");
}

/// A variation typed with its signs is saved whole; one with a line that cannot be read saves
/// nothing, says which value it could not read, and keeps everything typed in the form.
async fn a_typed_variation_is_saved_whole_or_not_at_all(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let path = format!("/progetti/{p}/finanziamento");
    let (_, html) = page(&app, &admin, &path).await;
    let csrf = hidden(&html, "_csrf");
    let post = |act: &'static str, training: &'static str| {
        let csrf = csrf.clone();
        let admin = admin.clone();
        let url = app.url(&format!("{path}/variazione"));
        async move {
            client()
                .post(url)
                .header("cookie", &admin)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("act", act),
                    ("date", "2020-11-02"),
                    ("change_design_training", training),
                    ("change_technology", "-4.000,00"),
                    ("status", "requested"),
                ])
                .send()
                .await
                .expect("post")
        }
    };
    let saved = post("Det. 1/2020", "+5.000,00").await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let back = saved.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, html) = page(&app, &admin, &back).await;
    assert!(
        html.contains("Variazione registrata."),
        "a word after the success: {back}"
    );
    let list =
        crate::common::json_of(app.get(&format!("/api/v1/projects/{p}/variations")).await).await;
    assert_eq!(
        list["items"][0]["changes"],
        json!([{"category": "design_training", "amount": "5000.00"},
               {"category": "technology", "amount": "-4000.00"}])
    );
    let refused = post("Determina n. 2", "5.000,0x").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("«5.000,0x» non è un importo"), "{html}");
    assert!(
        html.contains("value=\"5.000,0x\""),
        "the typed value is kept"
    );
    assert!(html.contains("value=\"-4.000,00\""), "the other line too");
    assert!(html.contains("value=\"Determina n. 2\""), "and the act");
    let list =
        crate::common::json_of(app.get(&format!("/api/v1/projects/{p}/variations")).await).await;
    assert_eq!(list["total"], 1, "nothing saved");
}

/// *Presenta* freezes nothing on the first click: the preview says how many expenses go in and the
/// contribution to request — the very figures of the submission the confirmation then makes.
async fn presenta_shows_a_preview_whose_figures_the_submission_keeps(app: TestApp) {
    let seed = crate::common::worked_example(&app).await;
    app.verify_all(&seed.project_id).await;
    let p = &seed.project_id;
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (_, html) = page(&app, &admin, &format!("/progetti/{p}/documenti")).await;
    let csrf = hidden(&html, "_csrf");
    let post = |extra: &'static [(&'static str, &'static str)]| {
        let mut fields = vec![
            ("_csrf", csrf.clone()),
            ("signatory_name", "Mario Rossi".to_owned()),
        ];
        fields.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let request = client()
            .post(app.url(&format!("/progetti/{p}/documenti/presenta")))
            .header("cookie", &admin)
            .form(&fields);
        async move { request.send().await.expect("post") }
    };
    let preview = post(&[]).await;
    assert_eq!(preview.status(), StatusCode::OK);
    let html = preview.text().await.expect("html");
    assert!(html.contains("Anteprima della presentazione"), "{html}");
    assert!(html.contains("name=\"conferma\" value=\"1\""), "{html}");
    let between = |id: &str| {
        let marker = format!("id=\"{id}\">");
        let start = html
            .find(&marker)
            .map(|i| i + marker.len())
            .expect("figure");
        html[start..].split('<').next().unwrap_or("").to_owned()
    };
    let (count, due) = (between("anteprima-spese"), between("anteprima-contributo"));
    let list =
        crate::common::json_of(app.get(&format!("/api/v1/projects/{p}/submissions")).await).await;
    assert_eq!(list["total"], 0, "the preview froze nothing");

    let confirmed = post(&[("conferma", "1")]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let list =
        crate::common::json_of(app.get(&format!("/api/v1/projects/{p}/submissions")).await).await;
    let made = &list["items"][0];
    assert_eq!(count, made["expense_count"].to_string());
    assert_eq!(
        due,
        rendiconta::domain::text::italian_amount_of(
            made["contribution_due"].as_str().expect("due")
        )
    );
    assert_eq!(made["signatory_name"], "Mario Rossi");
}

/// A reader gets read-only pages with a line saying why, and no control that could only be
/// refused; a project manager sees no verification step on an expense, nor a form on a verified
/// one.
async fn each_role_sees_only_the_controls_it_may_use(app: TestApp) {
    let seed = crate::common::worked_example(&app).await;
    let p = &seed.project_id;
    let list = crate::common::json_of(app.get(&seed.expenses_path()).await).await;
    let expense = list["items"][0]["id"].as_str().expect("id").to_owned();
    app.add_member("lettore.ruoli@prova.it", p, "viewer", &[])
        .await;
    let viewer = sign_in(&app, "lettore.ruoli@prova.it").await;
    for (path, control) in [
        (format!("/progetti/{p}/spese"), "spese/nuova"),
        (format!("/spese/{expense}"), ">Salva</button>"),
        (format!("/spese/{expense}"), "/allegati\""),
        (format!("/progetti/{p}/finanziamento"), "Nuova variazione"),
        (
            format!("/progetti/{p}/riconciliazione"),
            ">Riconcilia</button>",
        ),
        (format!("/progetti/{p}/documenti"), "documenti/presenta"),
    ] {
        let (status, html) = page(&app, &viewer, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            !html.contains(control),
            "{path} shows {control} to a reader"
        );
        assert!(
            html.contains("Sola lettura") || path.ends_with("documenti"),
            "{path} does not say why it is read-only"
        );
    }
    // Verified, then seen by a project manager of its entity: read-only, no steps.
    app.verify_all(p).await;
    app.add_member(
        "responsabile.ruoli@prova.it",
        p,
        "project_manager",
        &[&seed.entities[0]],
    )
    .await;
    let manager = sign_in(&app, "responsabile.ruoli@prova.it").await;
    let (_, html) = page(&app, &manager, &format!("/spese/{expense}")).await;
    assert!(html.contains("Sola lettura"), "{html}");
    assert!(!html.contains(">Salva</button>"));
    assert!(
        !html.contains("name=\"passo\""),
        "no verification step for a manager"
    );
}

/// Deciding a variation and removing a file ask first: the first post shows what will happen and
/// changes nothing; the confirmation acts.
async fn irreversible_actions_ask_first(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let variation = app
        .create(
            &format!("/api/v1/projects/{p}/variations"),
            &json!({"act": "Det. 9/2020", "date": "2020-11-02",
                    "changes": [{"category": "technology", "amount": "1000.00"},
                                {"category": "design_training", "amount": "-1000.00"}]}),
        )
        .await;
    let vid = variation["id"].as_str().expect("id");
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (_, html) = page(&app, &admin, &format!("/progetti/{p}/finanziamento")).await;
    let csrf = hidden(&html, "_csrf");
    let decide = |extra: Option<(&'static str, &'static str)>| {
        let mut fields = vec![
            ("_csrf", csrf.clone()),
            ("version", "1".to_owned()),
            ("esito", "approved".to_owned()),
            ("decision_date", "2020-11-20".to_owned()),
        ];
        fields.extend(extra.map(|(k, v)| (k, v.to_owned())));
        let request = client()
            .post(app.url(&format!("/progetti/{p}/variazioni/{vid}")))
            .header("cookie", &admin)
            .form(&fields);
        async move { request.send().await.expect("post") }
    };
    let asked = decide(None).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let html = asked.text().await.expect("html");
    assert!(html.contains("Approvare la variazione?"), "{html}");
    assert!(html.contains("il 20&#x2f;11&#x2f;2020"), "{html}");
    let path = format!("/api/v1/projects/{p}/variations/{vid}");
    assert_eq!(
        crate::common::json_of(app.get(&path).await).await["status"],
        "requested"
    );
    assert_eq!(
        decide(Some(("conferma", "1"))).await.status(),
        StatusCode::SEE_OTHER
    );
    let decided = crate::common::json_of(app.get(&path).await).await;
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decision_date"], "2020-11-20");
}

/// An expense form with an unreadable amount and a payment dated before its document: nothing
/// saved, both errors said at once in a summary that links to each field, every value kept.
async fn every_error_of_the_expense_form_in_one_round(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (_, html) = page(&app, &admin, &format!("/progetti/{p}/spese/nuova")).await;
    let csrf = hidden(&html, "_csrf");
    let before = app.db.scalar("SELECT COUNT(*) FROM expenses").await;
    let r = client()
        .post(app.url(&format!("/progetti/{p}/spese/nuova")))
        .header("cookie", &admin)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("entity_id", seed.entities[0].as_str()),
            ("category", "design_training"),
            ("nature", "current"),
            ("document_type", "invoice"),
            ("supplier_name", "Formazione Emilia S.r.l."),
            ("document_number", "77/2020"),
            ("document_date", "2020-10-15"),
            ("net_amount", "1.000,0x"),
            ("vat_amount", "220,00"),
            ("payment_date", "2020-10-01"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    let summary = html
        .split("id=\"errori\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("an error summary");
    assert!(summary.contains("href=\"#net_amount\""), "{summary}");
    assert!(summary.contains("href=\"#payment_date\""), "{summary}");
    assert!(
        html.contains("value=\"1.000,0x\""),
        "the typed amount is kept"
    );
    assert!(html.contains("value=\"77&#x2f;2020\""), "the number too");
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM expenses").await, before);
}

/// From a filtered list to an expense and back to the same list; never back to elsewhere.
async fn an_expense_leads_back_to_the_list_as_it_was_left(app: TestApp) {
    let seed = crate::common::worked_example(&app).await;
    let p = &seed.project_id;
    let admin = sign_in(&app, crate::common::ADMIN_EMAIL).await;
    let (_, html) = page(&app, &admin, &format!("/progetti/{p}/spese?category=b")).await;
    let start = html.find("href=\"/spese/").expect("a row") + "href=\"".len();
    let href = html[start..]
        .split('"')
        .next()
        .expect("href")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/");
    assert!(href.contains("?da="), "{href}");
    let (_, expense) = page(&app, &admin, &href).await;
    assert!(expense.contains("id=\"torna\""), "{expense}");
    assert!(
        expense.contains("category=b"),
        "the list's filter comes back"
    );
    let id = href
        .trim_start_matches("/spese/")
        .split('?')
        .next()
        .expect("id");
    let (_, elsewhere) = page(
        &app,
        &admin,
        &format!("/spese/{id}?da=https://example.com/"),
    )
    .await;
    assert!(
        !elsewhere.contains("example.com"),
        "never a way out of the project"
    );
}

crate::on_both_backends!(
    an_expense_leads_back_to_the_list_as_it_was_left,
    every_error_of_the_expense_form_in_one_round,
    irreversible_actions_ask_first,
    each_role_sees_only_the_controls_it_may_use,
    presenta_shows_a_preview_whose_figures_the_submission_keeps,
    a_typed_variation_is_saved_whole_or_not_at_all,
    the_signed_copy_is_uploaded_from_the_documents_page,
    spreadsheets_files_and_payments_from_the_pages,
    forms_need_their_csrf_token_and_roles_hold,
    csv_opens_in_italian_excel,
    an_edit_colliding_with_another_is_explained,
    e_invoices_uploaded_from_the_page,
);
