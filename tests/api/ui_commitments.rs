//! The commitments in the workspace over plain HTTP: the *Impegni* page records one typed the
//! Italian way, or keeps what was typed and names each refused field; a reader gets no form, a
//! project manager only his entities; the dashboard and the *Progetti* page show the forecast the
//! API computes, and the calendar address is made from the page.

use reqwest::StatusCode;

use crate::common::{json_of, TestApp, ADMIN_EMAIL};
use crate::ui::{client, fixture, hidden, page, post_form, sign_in};

fn italian(amount: &str) -> String {
    amount
        .parse::<rendiconta::domain::Money>()
        .map(|m| m.italian())
        .expect("money")
}

async fn commitments_from_the_workspace(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let admin = sign_in(&app, ADMIN_EMAIL).await;
    let path = format!("/progetti/{p}/impegni");
    let (status, html) = page(&app, &admin, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Previsione a fine progetto") && html.contains("Nessun impegno registrato")
    );
    let csrf = hidden(&html, "_csrf");
    let post = |amount: &'static str, act: &'static str| {
        let (csrf, admin, url) = (csrf.clone(), admin.clone(), app.url(&path));
        let entity = seed.entities[0].clone();
        async move {
            client()
                .post(url)
                .header("cookie", &admin)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("entity_id", entity.as_str()),
                    ("category", "technology"),
                    ("nature", "current"),
                    ("act", act),
                    ("act_date", "2020-11-02"),
                    ("amount", amount),
                    ("expected_invoice_date", "2020-12-01"),
                    ("expected_payment_date", "2021-01-15"),
                ])
                .send()
                .await
                .expect("post")
        }
    };
    let saved = post("12.000,00", "Determina n. 410 del 02/11/2020").await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let back = saved.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, html) = page(&app, &admin, &back).await;
    assert!(html.contains("Impegno registrato"), "{back}");
    assert!(html.contains("12.000,00 €"));
    let list = json_of(app.get(&format!("/api/v1/projects/{p}/commitments")).await).await;
    assert_eq!(list["items"][0]["amount"], "12000.00");

    // Refused: each field named beside it, what was typed kept, nothing saved.
    let refused = post("12.000,0x", "").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(
        html.contains("id=\"amount-error\"") && html.contains("id=\"act-error\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"12.000,0x\""),
        "the typed amount is kept"
    );
    assert!(html.contains("value=\"2021-01-15\""), "and the dates");
    assert_eq!(
        json_of(app.get(&format!("/api/v1/projects/{p}/commitments")).await).await["total"],
        1
    );

    // The dashboard's forecast is the API's.
    let forecast = json_of(app.get(&format!("/api/v1/projects/{p}/forecast")).await).await;
    let (_, html) = page(&app, &admin, &format!("/progetti/{p}")).await;
    let projected = italian(
        forecast["projected_contribution"]
            .as_str()
            .expect("projected"),
    );
    assert!(
        html.contains(&format!("id=\"contributo-previsto\">{projected}<")),
        "{projected}"
    );

    // A reader: no form, the reason; a project manager: his entity only.
    app.add_member("lettore@prova.it", p, "viewer", &[]).await;
    app.add_member("resp@prova.it", p, "project_manager", &[&seed.entities[1]])
        .await;
    let reader = sign_in(&app, "lettore@prova.it").await;
    let (_, html) = page(&app, &reader, &path).await;
    assert!(html.contains("Sola lettura") && !html.contains("id=\"nuovo-impegno\""));
    let manager = sign_in(&app, "resp@prova.it").await;
    let (_, html) = page(&app, &manager, &path).await;
    let form = &html[html.find("id=\"nuovo-impegno\"").expect("form")..];
    let options = form.matches("<option value=\"").count();
    assert!(form.contains(&format!("<option value=\"{}\"", seed.entities[1])));
    assert!(!form.contains(&format!("<option value=\"{}\"", seed.entities[0])));
    assert!(options >= 2, "entity and category choices");
}

async fn the_portfolio_page_and_its_calendar_address(app: TestApp) {
    let seed = app.seed().await;
    let admin = sign_in(&app, ADMIN_EMAIL).await;
    let (_, html) = page(&app, &admin, "/progetti").await;
    assert!(html.contains("id=\"portafoglio\"") && html.contains("Previsto"));
    let line = &json_of(app.get("/api/v1/portfolio").await).await["items"][0];
    assert_eq!(line["project_id"].as_str(), Some(seed.project_id.as_str()));
    assert!(html.contains(&italian(
        line["projected_contribution"].as_str().expect("projected")
    )));
    let csrf = hidden(&html, "_csrf");
    let made = client()
        .post(app.url("/progetti/calendario"))
        .header("cookie", &admin)
        .form(&[("_csrf", csrf.as_str()), ("azione", "crea")])
        .send()
        .await
        .expect("post");
    assert_eq!(made.status(), StatusCode::OK);
    let html = made.text().await.expect("html");
    // minijinja writes `/` as `&#x2f;` in HTML.
    let shown = html.replace("&#x2f;", "/");
    let start = shown
        .find("deadlines.ics?token=")
        .expect("the address is shown")
        + "deadlines.ics?token=".len();
    let token: String = shown[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let feed = app
        .anon
        .get(app.url(&format!("/api/v1/deadlines.ics?token={token}")))
        .send()
        .await
        .expect("ics");
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(feed.text().await.expect("text").contains("BEGIN:VCALENDAR"));
    let revoked = client()
        .post(app.url("/progetti/calendario"))
        .header("cookie", &admin)
        .form(&[("_csrf", csrf.as_str()), ("azione", "revoca")])
        .send()
        .await
        .expect("post");
    assert!(revoked.text().await.expect("html").contains("revocato"));
    let feed = app
        .anon
        .get(app.url(&format!("/api/v1/deadlines.ics?token={token}")))
        .send()
        .await
        .expect("ics");
    assert_eq!(feed.status(), StatusCode::FORBIDDEN);
}

/// The accounts' export uploaded on the *Impegni* page: checked first (nothing written), then
/// imported; every row or none.
async fn the_accounts_export_uploaded_on_the_page(app: TestApp) {
    use reqwest::multipart::{Form, Part};
    let seed = app.seed().await;
    let p = &seed.project_id;
    let admin = sign_in(&app, ADMIN_EMAIL).await;
    let path = format!("/progetti/{p}/impegni");
    let (_, html) = page(&app, &admin, &path).await;
    let csrf = hidden(&html, "_csrf");
    let form = |dry_run: bool, bytes: Vec<u8>| {
        let form = Form::new().text("_csrf", csrf.clone());
        let form = if dry_run {
            form.text("dry_run", "1")
        } else {
            form
        };
        form.part("csv", Part::bytes(bytes).file_name("impegni.csv"))
    };
    let list = || async {
        json_of(app.get(&format!("/api/v1/projects/{p}/commitments")).await).await["total"].clone()
    };
    let checked = post_form(
        &app,
        &admin,
        &format!("{path}/importa"),
        form(true, fixture("csv/impegni.csv")),
    )
    .await;
    assert_eq!(checked.status(), StatusCode::OK);
    let html = checked.text().await.expect("html");
    assert!(
        html.contains("controllo riuscito") && html.contains("3.500,50 €"),
        "{html}"
    );
    assert_eq!(list().await, 0);
    let mut wrong = fixture("csv/impegni.csv");
    wrong.extend_from_slice(
        b"Comune di Carpi;Adeguamento tecnologico;Determina n. 9;31/02/2020;12,3x;;;;\n",
    );
    let refused = post_form(&app, &admin, &format!("{path}/importa"), form(false, wrong)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(
        html.contains("nessun impegno registrato") && html.contains("riga 4"),
        "{html}"
    );
    assert_eq!(list().await, 0);
    let imported = post_form(
        &app,
        &admin,
        &format!("{path}/importa"),
        form(false, fixture("csv/impegni.csv")),
    )
    .await;
    assert_eq!(imported.status(), StatusCode::OK);
    assert!(imported
        .text()
        .await
        .expect("html")
        .contains("impegni registrati"));
    assert_eq!(list().await, 2);
}

crate::on_both_backends!(
    commitments_from_the_workspace,
    the_portfolio_page_and_its_calendar_address,
    the_accounts_export_uploaded_on_the_page
);
