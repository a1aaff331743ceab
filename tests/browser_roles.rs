//! The workspace's second pass in a real browser (headless Chromium over WebDriver, the demo
//! project loaded): every page as each role, at laptop (1366×900) and tablet (820×1180) width,
//! checked by axe-core against WCAG 2.1 A and AA and for sideways overflow; then what users found
//! by trying it — amounts typed with a sign saved whole or not at all with the reason beside the
//! field, the dashboard's two figures and what is at risk, read-only pages for the reviewer and
//! for another entity's verified expense, the submission's preview before anything is frozen, a
//! word after each success, every error of a form at once. Screenshots of the dashboard, of the
//! expense form with its errors and of the submission's preview, at both widths, are saved under
//! `target/screenshots/`.

mod common;

use common::browser::{
    axe_script, axe_violations, fill, overflows_sideways, screenshot, select, sign_in, submit,
    text_of, wait_for_url, window, with_browser,
};
use common::TestApp;
use fantoccini::{Client, Locator};
use serde_json::Value;

const ROLES: [&str; 4] = ["ragioneria", "responsabile", "revisore", "admin"];
const SIZES: [(u32, u32); 2] = [(1366, 900), (820, 1180)];

async fn api(app: &TestApp, path: &str) -> Value {
    app.get(path).await.json().await.expect("json")
}

fn italian(amount: &str) -> String {
    amount
        .parse::<rendiconta::domain::Money>()
        .map(|m| m.italian())
        .expect("money")
}

fn email(role: &str) -> String {
    format!("{role}@demo.rendiconta.it")
}

/// An expense of an entity the demo's project manager is not assigned to, already verified
/// (read-only for him twice over), and one of his own entities' expenses.
async fn expenses_for_roles(app: &TestApp) -> (String, String) {
    let entities = api(app, "/api/v1/projects/1/entities").await;
    let theirs: Vec<&str> = entities["items"]
        .as_array()
        .expect("entities")
        .iter()
        .take(2)
        .filter_map(|e| e["id"].as_str())
        .collect();
    let all = api(app, "/api/v1/projects/1/expenses?per_page=200").await;
    let items = all["items"].as_array().expect("expenses");
    let other = items
        .iter()
        .find(|e| {
            e["status"] == "verified"
                && !theirs.contains(&e["entity_id"].as_str().unwrap_or_default())
        })
        .expect("a verified expense of another entity");
    let own = items
        .iter()
        .find(|e| theirs.contains(&e["entity_id"].as_str().unwrap_or_default()))
        .expect("an expense of the manager's entities");
    (
        other["id"].as_str().expect("id").to_owned(),
        own["id"].as_str().expect("id").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_and_fits_as_each_role() {
    with_browser(|app, c| async move {
        let Some(axe) = axe_script() else {
            return;
        };
        let (other, own) = expenses_for_roles(&app).await;
        let pages = [
            "/progetti".to_owned(),
            "/progetti/1".to_owned(),
            "/progetti/1/spese".to_owned(),
            "/progetti/1/spese/nuova".to_owned(),
            format!("/spese/{other}"),
            format!("/spese/{own}"),
            "/progetti/1/importa".to_owned(),
            "/progetti/1/riconciliazione".to_owned(),
            "/progetti/1/finanziamento".to_owned(),
            "/progetti/1/impegni".to_owned(),
            "/progetti/1/relazione".to_owned(),
            "/progetti/1/documenti".to_owned(),
            "/progetti/1/enti".to_owned(),
        ];
        let base = &app.base;
        let mut found = Vec::new();
        for (width, height) in SIZES {
            window(&c, width, height).await;
            c.goto(&format!("{base}/accedi")).await.expect("goto");
            for v in axe_violations(&c, &axe).await {
                found.push(format!("{width} px /accedi: {v}"));
            }
        }
        for role in ROLES {
            c.delete_all_cookies().await.expect("sign out");
            sign_in(&c, base, &email(role)).await;
            for (width, height) in SIZES {
                window(&c, width, height).await;
                for page in &pages {
                    c.goto(&format!("{base}{page}")).await.expect("goto");
                    let status = c
                        .execute("return document.title", vec![])
                        .await
                        .expect("title");
                    assert!(
                        !status.as_str().unwrap_or_default().is_empty(),
                        "{role} {page}: no title"
                    );
                    for v in axe_violations(&c, &axe).await {
                        found.push(format!("{role} {width} px {page}: {v}"));
                    }
                    if let Some(wide) = overflows_sideways(&c).await {
                        found.push(format!(
                            "{role} {width} px {page}: wider than the window, {wide}"
                        ));
                    }
                }
            }
        }
        assert!(found.is_empty(), "{}", found.join("\n"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_pass_as_users_found_it() {
    with_browser(|app, c| async move {
        let base = app.base.clone();
        sign_in(&c, &base, &email("ragioneria")).await;
        dashboard_figures(&app, &c).await;
        variation_typed_with_signs(&app, &c).await;
        expense_errors_at_once(&app, &c).await;
        preview_before_submitting(&app, &c).await;

        c.delete_all_cookies().await.expect("sign out");
        sign_in(&c, &base, &email("revisore")).await;
        reviewer_reads_only(&app, &c).await;

        c.delete_all_cookies().await.expect("sign out");
        sign_in(&c, &base, &email("responsabile")).await;
        manager_sees_his_controls(&app, &c).await;
    })
    .await;
}

/// The dashboard says both contributions — counting the verified expenses only, and every one —
/// and what is at risk between them, to the cent as the API computes them.
async fn dashboard_figures(app: &TestApp, c: &Client) {
    c.goto(&format!("{}/progetti/1", app.base))
        .await
        .expect("goto");
    let all = api(app, "/api/v1/projects/1/summary").await;
    let verified = api(app, "/api/v1/projects/1/summary?scope=verified").await;
    let due_all = all["contribution_due"].as_str().expect("due");
    let due_verified = verified["contribution_due"].as_str().expect("due");
    assert_eq!(text_of(c, "#contributo-dovuto").await, italian(due_all));
    assert_eq!(
        text_of(c, "#contributo-verificato").await,
        italian(due_verified)
    );
    let gap = due_all.parse::<rendiconta::domain::Money>().expect("money")
        - due_verified
            .parse::<rendiconta::domain::Money>()
            .expect("money");
    let risk = text_of(c, "#a-rischio").await;
    assert!(risk.contains(&gap.italian()), "{risk} (gap {gap})");
    for (width, height) in SIZES {
        window(c, width, height).await;
        screenshot(c, &format!("cruscotto-{width}")).await;
    }
    window(c, 1366, 900).await;
}

/// `+5.000,00` on one line and `-4.000,00` on the other are both saved; an unreadable line saves
/// nothing and is named beside its field, with everything typed still in the form.
async fn variation_typed_with_signs(app: &TestApp, c: &Client) {
    let page = format!("{}/progetti/1/finanziamento", app.base);
    let form = "form[action$='/finanziamento/variazione']";
    let before = api(app, "/api/v1/projects/1/variations").await["total"]
        .as_i64()
        .expect("total");

    c.goto(&page).await.expect("goto");
    open_details(c, form).await;
    fill(
        c,
        &format!("{form} input[name=act]"),
        "Determina n. 12 del 02/11/2020",
    )
    .await;
    set_date(c, &format!("{form} input[name=date]"), "2020-11-02").await;
    fill(
        c,
        &format!("{form} input[name=change_design_training]"),
        "+5.000,0x",
    )
    .await;
    fill(
        c,
        &format!("{form} input[name=change_technology]"),
        "-4.000,00",
    )
    .await;
    submit(c, form).await;
    let why = text_of(c, "#variazione-change_design_training-error").await;
    assert!(why.contains("+5.000,0x"), "{why}");
    assert_eq!(
        value_of(c, &format!("{form} input[name=change_technology]")).await,
        "-4.000,00"
    );
    assert_eq!(
        value_of(c, &format!("{form} input[name=act]")).await,
        "Determina n. 12 del 02/11/2020"
    );
    assert_eq!(
        api(app, "/api/v1/projects/1/variations").await["total"].as_i64(),
        Some(before)
    );

    fill(
        c,
        &format!("{form} input[name=change_design_training]"),
        "+5.000,00",
    )
    .await;
    submit(c, form).await;
    wait_for_url(c, |u| u.contains("fatto=variazione")).await;
    assert!(!text_of(c, "#fatto").await.is_empty());
    let list = api(app, "/api/v1/projects/1/variations").await;
    assert_eq!(list["total"].as_i64(), Some(before + 1));
    let last = list["items"]
        .as_array()
        .and_then(|i| i.last())
        .expect("variation");
    let mut lines: Vec<(String, String)> = last["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|l| {
            (
                l["category"].as_str().unwrap_or_default().to_owned(),
                l["amount"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            ("design_training".to_owned(), "5000.00".to_owned()),
            ("technology".to_owned(), "-4000.00".to_owned())
        ]
    );
    // The table names the categories in Italian, with the sign.
    let table = text_of(c, "main").await;
    assert!(
        table.contains("Progettazione e formazione: +5.000,00 €"),
        "{table}"
    );
    assert!(!table.contains("design_training"), "{table}");
}

/// Every error of the expense form at once, summed up at the top with a link to each field; the
/// choices made stay made.
async fn expense_errors_at_once(app: &TestApp, c: &Client) {
    let before = api(app, "/api/v1/projects/1/expenses").await["total"]
        .as_i64()
        .expect("total");
    c.goto(&format!("{}/progetti/1/spese/nuova", app.base))
        .await
        .expect("goto");
    select(c, "#category", "technology").await;
    fill(c, "#document_number", "80/2020").await;
    set_date(c, "#document_date", "2020-11-20").await;
    set_date(c, "#payment_date", "2020-11-10").await;
    fill(c, "#net_amount", "12,345").await;
    fill(c, "#vat_amount", "dieci").await;
    submit(c, "form.expense").await;
    let summary = text_of(c, "#errori").await;
    let links = c.find_all(Locator::Css("#errori a")).await.expect("links");
    let mut targets = Vec::new();
    for link in &links {
        targets.push(link.attr("href").await.expect("href").unwrap_or_default());
    }
    for field in [
        "#entity_id",
        "#supplier_name",
        "#net_amount",
        "#vat_amount",
        "#payment_date",
    ] {
        assert!(
            targets.iter().any(|t| t == field),
            "{field} not in {targets:?}: {summary}"
        );
        let id = field.trim_start_matches('#');
        let invalid = c
            .find(Locator::Id(id))
            .await
            .expect("field")
            .attr("aria-invalid")
            .await
            .expect("attr");
        assert_eq!(invalid.as_deref(), Some("true"), "{field}");
    }
    assert_eq!(value_of(c, "#category").await, "technology");
    assert_eq!(value_of(c, "#net_amount").await, "12,345");
    assert_eq!(value_of(c, "#document_date").await, "2020-11-20");
    for (width, height) in SIZES {
        window(c, width, height).await;
        screenshot(c, &format!("spesa-errori-{width}")).await;
    }
    window(c, 1366, 900).await;
    assert_eq!(
        api(app, "/api/v1/projects/1/expenses").await["total"].as_i64(),
        Some(before)
    );

    // Corrected, it is saved, and the page says so with the way back to the list.
    select(c, "#entity_id", &first_entity(app).await).await;
    fill(c, "#supplier_name", "Rete Sistemi Srl").await;
    fill(c, "#description", "Licenze VPN").await;
    set_date(c, "#payment_date", "2020-11-30").await;
    fill(c, "#net_amount", "1.000,00").await;
    fill(c, "#vat_amount", "220,00").await;
    submit(c, "form.expense").await;
    wait_for_url(c, |u| u.contains("salvata=1")).await;
    let saved = text_of(c, "#salvata").await;
    assert!(saved.contains("Spesa salvata"), "{saved}");
    assert!(saved.contains("Torna alle spese"), "{saved}");
    assert_eq!(
        api(app, "/api/v1/projects/1/expenses").await["total"].as_i64(),
        Some(before + 1)
    );
}

/// *Presenta* shows what goes in and what stays out, and freezes nothing until confirmed.
async fn preview_before_submitting(app: &TestApp, c: &Client) {
    let before = api(app, "/api/v1/projects/1/submissions").await["total"]
        .as_i64()
        .expect("total");
    c.goto(&format!("{}/progetti/1/documenti", app.base))
        .await
        .expect("goto");
    submit(c, "form[action$='/documenti/presenta']").await;
    let counted = text_of(c, "#anteprima-spese").await;
    let verified = api(app, "/api/v1/projects/1/summary?scope=verified").await;
    assert_eq!(
        text_of(c, "#anteprima-contributo").await,
        italian(verified["contribution_due"].as_str().expect("due"))
    );
    assert!(counted.parse::<u32>().is_ok(), "{counted}");
    assert_eq!(
        api(app, "/api/v1/projects/1/submissions").await["total"].as_i64(),
        Some(before),
        "the preview submitted"
    );
    if let Some(axe) = axe_script() {
        let found = axe_violations(c, &axe).await;
        assert!(found.is_empty(), "{}", found.join("\n"));
    }
    for (width, height) in SIZES {
        window(c, width, height).await;
        screenshot(c, &format!("anteprima-presentazione-{width}")).await;
    }
    window(c, 1366, 900).await;
    let confirm = c
        .find(Locator::Css("form input[name=conferma][value='1']"))
        .await
        .expect("one confirmation form");
    let form = confirm.find(Locator::XPath("..")).await.expect("form");
    form.find(Locator::Css("button[type=submit]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    wait_for_url(c, |u| u.contains("/documenti") && !u.ends_with("/presenta")).await;
    let after = api(app, "/api/v1/projects/1/submissions").await;
    assert_eq!(after["total"].as_i64(), Some(before + 1));
}

/// The reviewer reads: no form that can only be refused, and a line that says why.
async fn reviewer_reads_only(app: &TestApp, c: &Client) {
    let base = &app.base;
    let (other, _) = expenses_for_roles(app).await;
    c.goto(&format!("{base}/spese/{other}"))
        .await
        .expect("goto");
    assert!(text_of(c, "#sola-lettura")
        .await
        .starts_with("Sola lettura"));
    assert_no_buttons(c, "form.expense", "expense form").await;
    assert_no_buttons(c, "section.workflow", "verification").await;
    assert_no_buttons(c, "#allegati", "attachments").await;

    c.goto(&format!("{base}/progetti/1/spese"))
        .await
        .expect("goto");
    assert!(text_of(c, "#sola-lettura")
        .await
        .starts_with("Sola lettura"));
    let new = c
        .find_all(Locator::Css("a[href$='/spese/nuova'], a[href$='/importa']"))
        .await
        .expect("links");
    assert!(new.is_empty(), "the reviewer is offered to record expenses");

    for page in ["finanziamento", "riconciliazione"] {
        c.goto(&format!("{base}/progetti/1/{page}"))
            .await
            .expect("goto");
        assert!(text_of(c, "#sola-lettura")
            .await
            .starts_with("Sola lettura"));
        assert_no_buttons(c, "main form[method=post]", page).await;
    }
}

/// The project manager: another entity's verified expense is read-only, with the reason; on his
/// own entity's expense he finds no Verifica or Respingi (the finance office's steps).
async fn manager_sees_his_controls(app: &TestApp, c: &Client) {
    let (other, own) = expenses_for_roles(app).await;
    c.goto(&format!("{}/spese/{other}", app.base))
        .await
        .expect("goto");
    assert!(text_of(c, "#sola-lettura")
        .await
        .starts_with("Sola lettura"));
    assert_no_buttons(c, "form.expense", "expense form").await;
    c.goto(&format!("{}/spese/{own}", app.base))
        .await
        .expect("goto");
    let steps = c
        .find_all(Locator::Css("section.workflow input[name=passo]"))
        .await
        .expect("steps");
    for step in steps {
        let value = step.attr("value").await.expect("value").unwrap_or_default();
        assert!(
            value != "verify" && value != "reject",
            "the project manager is offered «{value}»"
        );
    }
}

async fn assert_no_buttons(c: &Client, scope: &str, what: &str) {
    let buttons = c
        .find_all(Locator::Css(&format!(
            "{scope} button[type=submit]:not([disabled]), {scope} button:not([type]):not([disabled])"
        )))
        .await
        .expect("buttons");
    let mut shown = 0;
    for b in buttons {
        let fieldset_disabled = c
            .execute(
                "return arguments[0].closest('fieldset[disabled]') !== null",
                vec![serde_json::to_value(&b).expect("element")],
            )
            .await
            .expect("script");
        if fieldset_disabled != Value::Bool(true) && b.is_displayed().await.unwrap_or(false) {
            shown += 1;
        }
    }
    assert_eq!(
        shown, 0,
        "{what}: {shown} buttons a read-only role can only see refused"
    );
}

async fn first_entity(app: &TestApp) -> String {
    api(app, "/api/v1/projects/1/entities").await["items"][0]["id"]
        .as_str()
        .expect("entity")
        .to_owned()
}

async fn open_details(c: &Client, inner: &str) {
    c.execute(
        "document.querySelector(arguments[0]).closest('details').open = true",
        vec![Value::String(inner.to_owned())],
    )
    .await
    .expect("open");
}

async fn set_date(c: &Client, css: &str, iso: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1]",
        vec![Value::String(css.to_owned()), Value::String(iso.to_owned())],
    )
    .await
    .expect("date");
}

async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}
