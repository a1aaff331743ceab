//! What the documents' heading and declaration need, through the API: the grant act, the
//! signatory's codice fiscale, each entity's registered office and PEC, an indicator's target.
//! Each is stored and read back; each unreadable value is a field error that stores nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{json_of, TestApp};

/// The fields a 422 names.
async fn fields_of(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.expect("json");
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn the_heading_fields_are_kept_and_checked(app: TestApp) {
    let seed = app.seed().await;
    let project_path = format!("/api/v1/projects/{}", seed.project_id);
    let response = app.get(&project_path).await;
    let etag = response.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();

    // Unreadable values: each named, nothing changed.
    let bad = json!({
        "signatory_tax_code": "RSSMRA70A01B819X",
        "grant_act_number": "Determinazione n. 14238",
        "grant_act_date": "14/08/2020",
    });
    let fields = fields_of(app.patch(&project_path, Some(&etag), &bad).await).await;
    assert_eq!(fields, ["signatory_tax_code", "grant_act_date"]);
    let half = json!({"grant_act_number": "Determinazione n. 14238"});
    let fields = fields_of(app.patch(&project_path, Some(&etag), &half).await).await;
    assert_eq!(fields, ["grant_act_date"], "a number without its date");

    let good = json!({
        "signatory_tax_code": "rssmra70a01b819o",
        "grant_act_number": "Determinazione n. 14238",
        "grant_act_date": "2020-08-14",
    });
    let response = app.patch(&project_path, Some(&etag), &good).await;
    assert_eq!(response.status(), StatusCode::OK);
    let project = json_of(response).await;
    assert_eq!(project["signatory_tax_code"], "RSSMRA70A01B819O");
    assert_eq!(project["grant_act_number"], "Determinazione n. 14238");
    assert_eq!(project["grant_act_date"], "2020-08-14");

    // Entities: registered office and PEC.
    let entities = format!("{project_path}/entities");
    let response = app
        .post(
            &entities,
            &json!({"name": "Comune di Novi di Modena", "pec": "comune novi@pec"}),
        )
        .await;
    assert_eq!(fields_of(response).await, ["pec"]);
    let entity = app
        .create(
            &entities,
            &json!({
                "name": "Comune di Novi di Modena", "tax_code": "00223000365",
                "address": "Piazza Primo Maggio 26, 41016 Novi di Modena (MO)",
                "pec": "Comune.Novi@Cert.Comune.Novi.MO.it"
            }),
        )
        .await;
    assert_eq!(entity["pec"], "comune.novi@cert.comune.novi.mo.it");
    assert_eq!(
        entity["address"],
        "Piazza Primo Maggio 26, 41016 Novi di Modena (MO)"
    );

    // An indicator's target beside its value.
    let indicators = format!("{project_path}/indicators");
    let response = app
        .post(
            &indicators,
            &json!({"name": "Dipendenti formati", "value": "412", "target": "tanti"}),
        )
        .await;
    assert_eq!(fields_of(response).await, ["target"]);
    let indicator = app
        .create(
            &indicators,
            &json!({"name": "Dipendenti formati", "value": "412", "target": "350", "unit": "persone"}),
        )
        .await;
    assert_eq!(indicator["target"], "350");

    // A submission refuses an unreadable codice fiscale and freezes nothing.
    let submissions = format!("{project_path}/submissions");
    let response = app
        .post(&submissions, &json!({"signatory_tax_code": "ABC"}))
        .await;
    assert_eq!(fields_of(response).await, ["signatory_tax_code"]);
    let listed: Value = app.get(&submissions).await.json().await.expect("json");
    assert_eq!(listed["total"], 0, "{listed}");
}

/// The workspace's *Enti* page edits what the heading prints: the grant act and each partner's
/// codice fiscale, office and PEC. What cannot be read comes back with the reason and saves
/// nothing; an edit made on an older copy is refused.
async fn the_workspace_edits_the_heading_s_particulars(app: TestApp) {
    let seed = app.seed().await;
    let (cookie, csrf) = crate::hardening::session(&app, crate::common::ADMIN_EMAIL).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut form = vec![("_csrf", csrf.clone())];
        form.extend(fields);
        client
            .post(app.url(&path))
            .header("cookie", cookie.clone())
            .form(&form)
            .send()
    };
    let project = seed.project_id.clone();
    let entities = app
        .json(&format!("/api/v1/projects/{project}/entities"))
        .await;
    let entity = entities["items"][0]["id"].as_str().expect("id").to_owned();
    let page = client
        .get(app.url(&format!("/progetti/{project}/enti")))
        .header("cookie", cookie.clone())
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Dati degli enti") && page.contains("Atto di concessione"));
    let edit = |version: &str, pec: &str| {
        vec![
            ("version", version.to_owned()),
            ("name", "Unione delle Terre d'Argine".to_owned()),
            ("tax_code", "03069890360".to_owned()),
            (
                "address",
                "Corso Alberto Pio 91, 41012 Carpi (MO)".to_owned(),
            ),
            ("pec", pec.to_owned()),
        ]
    };
    let path = format!("/progetti/{project}/enti/{entity}");
    let saved = post(path.clone(), edit("1", "protocollo@pec.terredargine.it"))
        .await
        .expect("post");
    assert_eq!(saved.status().as_u16(), 303);
    let entities = app
        .json(&format!("/api/v1/projects/{project}/entities"))
        .await;
    assert_eq!(
        entities["items"][0]["pec"],
        "protocollo@pec.terredargine.it"
    );
    assert_eq!(entities["items"][0]["name"], "Unione delle Terre d'Argine");
    // An unreadable PEC: nothing saved, the reason on the page.
    let refused = post(path.clone(), edit("2", "non una pec"))
        .await
        .expect("post");
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.expect("html").contains("PEC"));
    // An edit on an older copy.
    let stale = post(path.clone(), edit("1", "altra@pec.terredargine.it"))
        .await
        .expect("post");
    assert_eq!(stale.status().as_u16(), 412);
    let entities = app
        .json(&format!("/api/v1/projects/{project}/entities"))
        .await;
    assert_eq!(
        entities["items"][0]["pec"],
        "protocollo@pec.terredargine.it"
    );

    // The same through the API: one entity with its ETag, a merge patch with If-Match.
    let path = format!("/api/v1/projects/{project}/entities/{entity}");
    let shown = app.get(&path).await;
    let tag = shown.headers()["etag"].to_str().expect("etag").to_owned();
    let patched = app
        .patch(
            &path,
            Some(&tag),
            &json!({"address": "Piazza Martiri 1, 41012 Carpi (MO)"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let fresh = patched.headers()["etag"].to_str().expect("etag").to_owned();
    let patched = json_of(patched).await;
    assert_eq!(patched["address"], "Piazza Martiri 1, 41012 Carpi (MO)");
    assert_eq!(
        patched["pec"], "protocollo@pec.terredargine.it",
        "the rest as it was"
    );
    let stale = app
        .patch(&path, Some(&tag), &json!({"pec": "x@pec.it"}))
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let bad = app
        .patch(&path, Some(&fresh), &json!({"pec": "non una pec"}))
        .await;
    assert_eq!(fields_of(bad).await, ["pec"]);

    let current = app.json(&format!("/api/v1/projects/{project}")).await;
    let version = current["version"].to_string();
    let act = vec![
        ("version", version.trim_matches('"').to_owned()),
        ("number", "Determinazione dirigenziale n. 14238".to_owned()),
        ("date", "2020-08-14".to_owned()),
    ];
    let saved = post(format!("/progetti/{project}/atto"), act)
        .await
        .expect("post");
    assert_eq!(saved.status().as_u16(), 303);
    let after = app.json(&format!("/api/v1/projects/{project}")).await;
    assert_eq!(
        after["grant_act_number"],
        "Determinazione dirigenziale n. 14238"
    );
    assert_eq!(after["grant_act_date"], "2020-08-14");
    assert_eq!(after["title"], current["title"], "the rest as it was");
}

crate::on_both_backends!(
    the_heading_fields_are_kept_and_checked,
    the_workspace_edits_the_heading_s_particulars
);
