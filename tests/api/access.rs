//! Who may do what: every endpoint of the OpenAPI document tried by every role and by an anonymous
//! caller. Allowed requests must succeed; refused ones get 401 (anonymous) or 403 and leave the
//! database exactly as it was: no row, no version and no audit entry changes.

use std::collections::{BTreeSet, HashMap};

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{call_body, client_with_token, json_of, Seed, TestApp, PASSWORD};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Role {
    Anonymous,
    Viewer,
    /// Project manager of the first entity only.
    Manager,
    Finance,
    /// Project manager of another project.
    Outsider,
    Admin,
}

const ROLES: [Role; 6] = [
    Role::Anonymous,
    Role::Viewer,
    Role::Manager,
    Role::Finance,
    Role::Outsider,
    Role::Admin,
];

const SIGNED_IN: &[Role] = &[
    Role::Viewer,
    Role::Manager,
    Role::Finance,
    Role::Outsider,
    Role::Admin,
];
const READERS: &[Role] = &[Role::Viewer, Role::Manager, Role::Finance, Role::Admin];
const EDITORS: &[Role] = &[Role::Manager, Role::Finance, Role::Admin];
const FINANCE: &[Role] = &[Role::Finance, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];

/// What a request needs created (by the admin) just before it, so every attempt finds the same
/// state whatever the attempts before it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fresh {
    Nothing,
    /// A draft expense of entity 0 or 1.
    Draft(usize),
    /// An expense handed to verification.
    Ready,
    /// An expense frozen by a submission.
    Included,
    Variation,
    Milestone,
    /// The target user with a role on the project.
    Member,
    /// A new API token of the acting user.
    OwnToken,
    /// A PDF attached to a draft expense of entity 0.
    Attachment,
    /// A section of the final report.
    Section,
    /// An indicator of the final report.
    Indicator,
    /// A partner entity of the project.
    Entity,
    /// A commitment of entity 0.
    Commitment,
    /// A calendar token of the acting user.
    CalendarToken,
}

struct Row {
    method: Method,
    /// The operation as the OpenAPI document names it.
    api: &'static str,
    /// The concrete path: `{p}` project, `{c}` call, `{x}` the fresh object, `{s}` a submission,
    /// `{u}` the target user.
    path: &'static str,
    body: fn(&World, u32) -> Option<Value>,
    allowed: &'static [Role],
    fresh: Fresh,
    /// Send the fresh object's (or the project's) current ETag.
    if_match: bool,
    /// Send this fixture file as the body instead of JSON.
    file: Option<&'static str>,
    /// Send the submission's signed copy (a `.p7m` made for the world) as the body.
    signed: bool,
}

fn no_body(_: &World, _: u32) -> Option<Value> {
    None
}

struct World {
    seed: Seed,
    submission: String,
    /// The submission's PDF signed (CAdES) and kept as its signed copy, and that copy's id.
    signed_p7m: Vec<u8>,
    signed_copy: String,
    target_user: String,
    clients: HashMap<Role, Client>,
    emails: HashMap<Role, String>,
}

impl World {
    fn expense(&self, entity: usize, n: u32) -> Value {
        let mut body = self.seed.expense(&format!("M{n}/2020"), "100.00", "22.00");
        body["entity_id"] = json!(self.seed.entities[entity]);
        body
    }
}

fn rows() -> Vec<Row> {
    use Fresh::*;
    let row = |method: Method,
               api: &'static str,
               path: &'static str,
               allowed: &'static [Role],
               fresh: Fresh| Row {
        method,
        api,
        path,
        body: no_body,
        allowed,
        fresh,
        if_match: false,
        file: None,
        signed: false,
    };
    let get = |api, path, allowed| row(Method::GET, api, path, allowed, Nothing);
    let with = |mut r: Row, body: fn(&World, u32) -> Option<Value>| {
        r.body = body;
        r
    };
    let tagged = |mut r: Row| {
        r.if_match = true;
        r
    };
    vec![
        get("/api/v1/calls", "/api/v1/calls", SIGNED_IN),
        with(
            row(
                Method::POST,
                "/api/v1/calls",
                "/api/v1/calls",
                ADMIN,
                Nothing,
            ),
            |_, _| Some(call_body()),
        ),
        get("/api/v1/calls/{id}", "/api/v1/calls/{c}", SIGNED_IN),
        get("/api/v1/projects", "/api/v1/projects", SIGNED_IN),
        with(
            row(
                Method::POST,
                "/api/v1/projects",
                "/api/v1/projects",
                ADMIN,
                Nothing,
            ),
            |w, _| {
                Some(
                    json!({"call_id": w.seed.call_id, "title": "Altro progetto", "lead_entity": "Unione",
                    "granted_contribution": "1000.00", "budget": [{"category": "design_training", "amount": "1000.00"}]}),
                )
            },
        ),
        get("/api/v1/projects/{id}", "/api/v1/projects/{p}", READERS),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/projects/{id}",
                "/api/v1/projects/{p}",
                FINANCE,
                Nothing,
            ),
            |_, n| Some(json!({"lead_entity": format!("Unione delle Terre d'Argine ({n})")})),
        )),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/entities",
                "/api/v1/projects/{p}/entities",
                FINANCE,
                Nothing,
            ),
            |_, n| Some(json!({"name": format!("Comune {n}")})),
        ),
        get(
            "/api/v1/projects/{id}/entities",
            "/api/v1/projects/{p}/entities",
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/projects/{id}/entities/{eid}",
            "/api/v1/projects/{p}/entities/{x}",
            READERS,
            Entity,
        ),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/projects/{id}/entities/{eid}",
                "/api/v1/projects/{p}/entities/{x}",
                FINANCE,
                Entity,
            ),
            |_, _| Some(json!({"address": "Piazza Martiri 1, 41012 Carpi (MO)"})),
        )),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/expenses",
                "/api/v1/projects/{p}/expenses",
                EDITORS,
                Nothing,
            ),
            |w, n| Some(w.expense(0, n)),
        ),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/expenses",
                "/api/v1/projects/{p}/expenses",
                FINANCE,
                Nothing,
            ),
            |w, n| Some(w.expense(1, n)),
        ),
        get(
            "/api/v1/projects/{id}/expenses",
            "/api/v1/projects/{p}/expenses",
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/expenses/{id}",
            "/api/v1/expenses/{x}",
            READERS,
            Draft(0),
        ),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/expenses/{id}",
                "/api/v1/expenses/{x}",
                EDITORS,
                Draft(0),
            ),
            |_, _| Some(json!({"description": "Descrizione corretta"})),
        )),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/expenses/{id}",
                "/api/v1/expenses/{x}",
                FINANCE,
                Draft(1),
            ),
            |_, _| Some(json!({"description": "Descrizione corretta"})),
        )),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/expenses/{id}",
                "/api/v1/expenses/{x}",
                FINANCE,
                Ready,
            ),
            |_, _| Some(json!({"description": "Descrizione corretta"})),
        )),
        row(
            Method::DELETE,
            "/api/v1/expenses/{id}",
            "/api/v1/expenses/{x}",
            EDITORS,
            Draft(0),
        ),
        row(
            Method::DELETE,
            "/api/v1/expenses/{id}",
            "/api/v1/expenses/{x}",
            FINANCE,
            Draft(1),
        ),
        row(
            Method::POST,
            "/api/v1/expenses/{id}/ready",
            "/api/v1/expenses/{x}/ready",
            EDITORS,
            Draft(0),
        ),
        row(
            Method::POST,
            "/api/v1/expenses/{id}/ready",
            "/api/v1/expenses/{x}/ready",
            FINANCE,
            Draft(1),
        ),
        row(
            Method::POST,
            "/api/v1/expenses/{id}/verify",
            "/api/v1/expenses/{x}/verify",
            FINANCE,
            Ready,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/expenses/{id}/reject",
                "/api/v1/expenses/{x}/reject",
                FINANCE,
                Ready,
            ),
            |_, _| Some(json!({"reason": "manca il mandato quietanzato"})),
        ),
        with(
            row(
                Method::POST,
                "/api/v1/expenses/{id}/unlock",
                "/api/v1/expenses/{x}/unlock",
                FINANCE,
                Included,
            ),
            |_, _| Some(json!({"justification": "importo da rettificare dopo il controllo"})),
        ),
        row(
            Method::GET,
            "/api/v1/expenses/{id}/history",
            "/api/v1/expenses/{x}/history",
            READERS,
            Draft(0),
        ),
        get(
            "/api/v1/projects/{id}/summary",
            "/api/v1/projects/{p}/summary",
            READERS,
        ),
        get(
            "/api/v1/projects/{id}/deadlines.ics",
            "/api/v1/projects/{p}/deadlines.ics",
            READERS,
        ),
        get(
            "/api/v1/projects/{id}/reports/rendiconto.xlsx",
            "/api/v1/projects/{p}/reports/rendiconto.xlsx",
            READERS,
        ),
        get(
            "/api/v1/projects/{id}/reports/rendiconto.pdf",
            "/api/v1/projects/{p}/reports/rendiconto.pdf",
            READERS,
        ),
        get(
            "/api/v1/projects/{id}/reports/relazione.pdf",
            "/api/v1/projects/{p}/reports/relazione.pdf",
            READERS,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/submissions",
                "/api/v1/projects/{p}/submissions",
                FINANCE,
                Nothing,
            ),
            |_, _| Some(json!({})),
        ),
        get(
            "/api/v1/projects/{id}/submissions",
            "/api/v1/projects/{p}/submissions",
            READERS,
        ),
        get(
            "/api/v1/projects/{id}/submissions/{sid}/{file}",
            "/api/v1/projects/{p}/submissions/{s}/rendiconto.pdf",
            READERS,
        ),
        get(
            "/api/v1/projects/{id}/submissions/{sid}/integrazioni",
            "/api/v1/projects/{p}/submissions/{s}/integrazioni",
            READERS,
        ),
        // The same signed copy again: the copy already kept (200), for those who may upload.
        Row {
            signed: true,
            ..row(
                Method::POST,
                "/api/v1/projects/{id}/submissions/{sid}/signed",
                "/api/v1/projects/{p}/submissions/{s}/signed",
                FINANCE,
                Nothing,
            )
        },
        get(
            "/api/v1/projects/{id}/submissions/{sid}/signed",
            "/api/v1/projects/{p}/submissions/{s}/signed",
            READERS,
        ),
        get(
            "/api/v1/projects/{id}/submissions/{sid}/signed/{cid}",
            "/api/v1/projects/{p}/submissions/{s}/signed/{k}",
            READERS,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/narrative",
                "/api/v1/projects/{p}/narrative",
                EDITORS,
                Nothing,
            ),
            |_, n| Some(json!({"title": format!("Attività {n}"), "body": "Testo."})),
        ),
        get(
            "/api/v1/projects/{id}/narrative",
            "/api/v1/projects/{p}/narrative",
            READERS,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/indicators",
                "/api/v1/projects/{p}/indicators",
                EDITORS,
                Nothing,
            ),
            |_, n| {
                Some(
                    json!({"name": format!("Dipendenti formati {n}"), "value": "12", "unit": "persone"}),
                )
            },
        ),
        get(
            "/api/v1/projects/{id}/indicators",
            "/api/v1/projects/{p}/indicators",
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/projects/{id}/narrative/{sid}",
            "/api/v1/projects/{p}/narrative/{x}",
            READERS,
            Section,
        ),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/projects/{id}/narrative/{sid}",
                "/api/v1/projects/{p}/narrative/{x}",
                EDITORS,
                Section,
            ),
            |_, n| Some(json!({"body": format!("Testo corretto {n}.")})),
        )),
        row(
            Method::DELETE,
            "/api/v1/projects/{id}/narrative/{sid}",
            "/api/v1/projects/{p}/narrative/{x}",
            EDITORS,
            Section,
        ),
        row(
            Method::GET,
            "/api/v1/projects/{id}/indicators/{iid}",
            "/api/v1/projects/{p}/indicators/{x}",
            READERS,
            Indicator,
        ),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/projects/{id}/indicators/{iid}",
                "/api/v1/projects/{p}/indicators/{x}",
                EDITORS,
                Indicator,
            ),
            |_, n| Some(json!({"value": n.to_string()})),
        )),
        row(
            Method::DELETE,
            "/api/v1/projects/{id}/indicators/{iid}",
            "/api/v1/projects/{p}/indicators/{x}",
            EDITORS,
            Indicator,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/variations",
                "/api/v1/projects/{p}/variations",
                FINANCE,
                Nothing,
            ),
            |_, _| {
                Some(json!({"act": "Det. 1/2021", "date": "2021-01-10",
                "changes": [{"category": "design_training", "amount": "-10.00"}, {"category": "technology", "amount": "10.00"}]}))
            },
        ),
        get(
            "/api/v1/projects/{id}/variations",
            "/api/v1/projects/{p}/variations",
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/projects/{id}/variations/{vid}",
            "/api/v1/projects/{p}/variations/{x}",
            READERS,
            Variation,
        ),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/projects/{id}/variations/{vid}",
                "/api/v1/projects/{p}/variations/{x}",
                FINANCE,
                Variation,
            ),
            |_, _| Some(json!({"status": "rejected"})),
        )),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/extensions",
                "/api/v1/projects/{p}/extensions",
                FINANCE,
                Nothing,
            ),
            |_, _| {
                Some(
                    json!({"act": "DGR 2143/2020", "date": "2020-12-20", "end_date": "2021-01-31"}),
                )
            },
        ),
        get(
            "/api/v1/projects/{id}/extensions",
            "/api/v1/projects/{p}/extensions",
            READERS,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/milestones",
                "/api/v1/projects/{p}/milestones",
                FINANCE,
                Nothing,
            ),
            |_, n| Some(json!({"name": format!("Verifica {n}"), "due_date": "2020-11-30"})),
        ),
        get(
            "/api/v1/projects/{id}/milestones",
            "/api/v1/projects/{p}/milestones",
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/projects/{id}/milestones/{mid}",
            "/api/v1/projects/{p}/milestones/{x}",
            READERS,
            Milestone,
        ),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/projects/{id}/milestones/{mid}",
                "/api/v1/projects/{p}/milestones/{x}",
                FINANCE,
                Milestone,
            ),
            |_, _| Some(json!({"done": true})),
        )),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/tranches",
                "/api/v1/projects/{p}/tranches",
                FINANCE,
                Nothing,
            ),
            |_, _| Some(json!({"amount": "100.00", "date": "2020-10-01", "act": "Det. anticipo"})),
        ),
        get(
            "/api/v1/projects/{id}/tranches",
            "/api/v1/projects/{p}/tranches",
            READERS,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/users",
                "/api/v1/users",
                ADMIN,
                Nothing,
            ),
            |_, n| Some(json!({"email": format!("nuovo{n}@prova.it"), "password": PASSWORD})),
        ),
        get("/api/v1/users", "/api/v1/users", ADMIN),
        get("/api/v1/users/{id}", "/api/v1/users/{u}", ADMIN),
        get(
            "/api/v1/projects/{id}/members",
            "/api/v1/projects/{p}/members",
            READERS,
        ),
        with(
            row(
                Method::PUT,
                "/api/v1/projects/{id}/members/{user_id}",
                "/api/v1/projects/{p}/members/{u}",
                ADMIN,
                Nothing,
            ),
            |_, _| Some(json!({"role": "viewer"})),
        ),
        row(
            Method::DELETE,
            "/api/v1/projects/{id}/members/{user_id}",
            "/api/v1/projects/{p}/members/{u}",
            ADMIN,
            Member,
        ),
        get(
            "/api/v1/projects/{id}/audit",
            "/api/v1/projects/{p}/audit",
            READERS,
        ),
        Row {
            file: Some("fatturapa/IT01234567890_FPA01.xml"),
            ..row(
                Method::POST,
                "/api/v1/projects/{id}/imports/fatturapa",
                "/api/v1/projects/{p}/imports/fatturapa?entity={e}",
                EDITORS,
                Nothing,
            )
        },
        Row {
            file: Some("csv/pagamenti.csv"),
            ..row(
                Method::POST,
                "/api/v1/projects/{id}/reconciliation",
                "/api/v1/projects/{p}/reconciliation",
                FINANCE,
                Nothing,
            )
        },
        // A dry run: the same rows imported by each role in turn would claim their documents twice.
        Row {
            file: Some("csv/spese.csv"),
            ..row(
                Method::POST,
                "/api/v1/projects/{id}/imports/expenses.csv",
                "/api/v1/projects/{p}/imports/expenses.csv?dry_run=true",
                EDITORS,
                Nothing,
            )
        },
        Row {
            file: Some("csv/impegni.csv"),
            ..row(
                Method::POST,
                "/api/v1/projects/{id}/imports/commitments.csv",
                "/api/v1/projects/{p}/imports/commitments.csv",
                EDITORS,
                Nothing,
            )
        },
        Row {
            file: Some("attachments/quietanza.pdf"),
            ..row(
                Method::POST,
                "/api/v1/expenses/{id}/attachments",
                "/api/v1/expenses/{x}/attachments?kind=receipt&file=quietanza.pdf",
                EDITORS,
                Draft(0),
            )
        },
        row(
            Method::GET,
            "/api/v1/expenses/{id}/attachments",
            "/api/v1/expenses/{x}/attachments",
            READERS,
            Draft(0),
        ),
        row(
            Method::GET,
            "/api/v1/attachments/{id}",
            "/api/v1/attachments/{x}",
            READERS,
            Attachment,
        ),
        row(
            Method::DELETE,
            "/api/v1/attachments/{id}",
            "/api/v1/attachments/{x}",
            EDITORS,
            Attachment,
        ),
        with(
            row(
                Method::POST,
                "/api/v1/projects/{id}/commitments",
                "/api/v1/projects/{p}/commitments",
                EDITORS,
                Nothing,
            ),
            |w, n| Some(commitment(w, n)),
        ),
        get(
            "/api/v1/projects/{id}/commitments",
            "/api/v1/projects/{p}/commitments",
            READERS,
        ),
        row(
            Method::GET,
            "/api/v1/commitments/{cid}",
            "/api/v1/commitments/{x}",
            READERS,
            Commitment,
        ),
        tagged(with(
            row(
                Method::PATCH,
                "/api/v1/commitments/{cid}",
                "/api/v1/commitments/{x}",
                EDITORS,
                Commitment,
            ),
            |_, _| Some(json!({"amount": "900.00"})),
        )),
        row(
            Method::DELETE,
            "/api/v1/commitments/{cid}",
            "/api/v1/commitments/{x}",
            EDITORS,
            Commitment,
        ),
        get(
            "/api/v1/projects/{id}/forecast",
            "/api/v1/projects/{p}/forecast",
            READERS,
        ),
        get("/api/v1/portfolio", "/api/v1/portfolio", SIGNED_IN),
        row(
            Method::POST,
            "/api/v1/auth/calendar-token",
            "/api/v1/auth/calendar-token",
            SIGNED_IN,
            Nothing,
        ),
        row(
            Method::DELETE,
            "/api/v1/auth/calendar-token",
            "/api/v1/auth/calendar-token",
            SIGNED_IN,
            CalendarToken,
        ),
        get("/api/v1/auth/me", "/api/v1/auth/me", SIGNED_IN),
        get("/api/v1/auth/tokens", "/api/v1/auth/tokens", SIGNED_IN),
        row(
            Method::DELETE,
            "/api/v1/auth/tokens/{id}",
            "/api/v1/auth/tokens/{x}",
            SIGNED_IN,
            OwnToken,
        ),
        row(
            Method::DELETE,
            "/api/v1/auth/session",
            "/api/v1/auth/session",
            SIGNED_IN,
            Nothing,
        ),
        // Last: a password change revokes the caller's API tokens.
        with(
            row(
                Method::POST,
                "/api/v1/auth/password",
                "/api/v1/auth/password",
                SIGNED_IN,
                Nothing,
            ),
            |_, _| Some(json!({"current_password": PASSWORD, "new_password": PASSWORD})),
        ),
    ]
}

/// Operations anyone may call: signing in.
const PUBLIC: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/session"),
    // Read with the calendar token in its URL (tests/api/commitments.rs).
    ("GET", "/api/v1/deadlines.ics"),
];

/// A commitment of entity 0, which the project manager is assigned to.
fn commitment(w: &World, n: u32) -> Value {
    json!({"entity_id": w.seed.entities[0], "category": "technology", "act": format!("Determina n. {n} del 02/11/2020"),
        "act_date": "2020-11-02", "amount": "1000.00", "expected_invoice_date": "2020-12-01",
        "expected_payment_date": "2021-01-10"})
}

async fn world(app: &TestApp) -> World {
    let seed = app.seed().await;
    let other = app
        .create(
            "/api/v1/projects",
            &json!({"call_id": seed.call_id, "title": "Progetto di altri", "lead_entity": "Unione",
                "granted_contribution": "1000.00", "budget": [{"category": "design_training", "amount": "1000.00"}]}),
        )
        .await;
    let other = other["id"].as_str().expect("id").to_owned();
    let p = seed.project_id.clone();
    let e0 = seed.entities[0].clone();
    app.add_member("revisore@prova.it", &p, "viewer", &[]).await;
    app.add_member("responsabile@prova.it", &p, "project_manager", &[&e0])
        .await;
    app.add_member("ragioneria@prova.it", &p, "finance_officer", &[])
        .await;
    app.add_member("estraneo@prova.it", &other, "project_manager", &[])
        .await;
    let target_user = app
        .create(
            "/api/v1/users",
            &json!({"email": "bersaglio@prova.it", "password": PASSWORD}),
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut clients = HashMap::new();
    let mut emails = HashMap::new();
    clients.insert(Role::Anonymous, app.anon.clone());
    clients.insert(Role::Admin, app.client.clone());
    emails.insert(Role::Admin, crate::common::ADMIN_EMAIL.to_owned());
    for (role, email) in [
        (Role::Viewer, "revisore@prova.it"),
        (Role::Manager, "responsabile@prova.it"),
        (Role::Finance, "ragioneria@prova.it"),
        (Role::Outsider, "estraneo@prova.it"),
    ] {
        let token = app.token_of(email).await;
        clients.insert(
            role,
            client_with_token(token["token"].as_str().expect("token")),
        );
        emails.insert(role, email.to_owned());
    }
    let submission = app
        .create(&format!("/api/v1/projects/{p}/submissions"), &json!({}))
        .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (signed_p7m, signed_copy) = signed_copy(app, &p, &submission).await;
    World {
        seed,
        submission,
        signed_p7m,
        signed_copy,
        target_user,
        clients,
        emails,
    }
}

/// The submission's PDF signed with `openssl cms` by a throwaway certificate, kept by the admin as
/// its signed copy: the envelope and the copy's id.
async fn signed_copy(app: &TestApp, project: &str, submission: &str) -> (Vec<u8>, String) {
    let base = format!("/api/v1/projects/{project}/submissions/{submission}");
    let pdf = app.bytes(&format!("{base}/rendiconto.pdf")).await;
    let dir = tempfile::tempdir().expect("dir");
    let signer =
        crate::common::signing::certificate(dir.path(), "Mario Rossi", "TINIT-RSSMRA70A01H501S");
    let p7m = crate::common::signing::cades(dir.path(), &pdf, &signer);
    let kept = app
        .post_raw(
            &format!("{base}/signed"),
            "application/pkcs7-mime",
            p7m.clone(),
        )
        .await;
    assert_eq!(kept.status(), StatusCode::CREATED);
    let id = json_of(kept).await["id"].as_str().expect("id").to_owned();
    (p7m, id)
}

/// Creates what the row needs; returns its id.
async fn prepare(app: &TestApp, w: &World, fresh: Fresh, role: Role, n: u32) -> String {
    let p = &w.seed.project_id;
    let expense = |entity: usize| async move {
        let e = app
            .create(&w.seed.expenses_path(), &w.expense(entity, 100_000 + n))
            .await;
        e["id"].as_str().expect("id").to_owned()
    };
    // Recorded and handed over by the project manager, so that the admin and the finance office
    // may verify it (nobody verifies what they recorded).
    let manager = &w.clients[&Role::Manager];
    let recorded = || async move {
        let response = manager
            .post(app.url(&w.seed.expenses_path()))
            .json(&w.expense(0, 100_000 + n))
            .send()
            .await
            .expect("expense");
        assert_eq!(response.status(), StatusCode::CREATED);
        let e: Value = response.json().await.expect("json");
        e["id"].as_str().expect("id").to_owned()
    };
    let step = |id: String, step: &'static str| async move {
        let client = if step == "ready" {
            manager
        } else {
            &app.client
        };
        let r = client
            .post(app.url(&format!("/api/v1/expenses/{id}/{step}")))
            .send()
            .await
            .expect("step");
        assert_eq!(r.status(), StatusCode::OK, "{step}");
        id
    };
    let id = match fresh {
        Fresh::Nothing => String::new(),
        Fresh::Draft(entity) => expense(entity).await,
        Fresh::Ready => step(recorded().await, "ready").await,
        Fresh::Included => {
            let id = step(step(recorded().await, "ready").await, "verify").await;
            app.create(&format!("/api/v1/projects/{p}/submissions"), &json!({}))
                .await;
            id
        }
        Fresh::Variation => app
            .create(
                &format!("/api/v1/projects/{p}/variations"),
                &json!({"act": format!("Det. {n}"), "date": "2021-01-10", "changes": [{"category": "technology", "amount": "1.00"}]}),
            )
            .await["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        Fresh::Entity => app
            .create(
                &format!("/api/v1/projects/{p}/entities"),
                &json!({"name": format!("Ente {n}")}),
            )
            .await["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        Fresh::Commitment => app
            .create(&format!("/api/v1/projects/{p}/commitments"), &commitment(w, n))
            .await["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        Fresh::CalendarToken => {
            if role != Role::Anonymous {
                let made = w.clients[&role]
                    .post(app.url("/api/v1/auth/calendar-token"))
                    .send()
                    .await
                    .expect("calendar token");
                assert_eq!(made.status(), StatusCode::CREATED);
            }
            String::new()
        }
        Fresh::Milestone => app
            .create(
                &format!("/api/v1/projects/{p}/milestones"),
                &json!({"name": format!("Scadenza {n}"), "due_date": "2020-12-01"}),
            )
            .await["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        Fresh::Section => app
            .create(
                &format!("/api/v1/projects/{p}/narrative"),
                &json!({"title": format!("Sezione {n}"), "body": "Testo."}),
            )
            .await["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        Fresh::Indicator => app
            .create(
                &format!("/api/v1/projects/{p}/indicators"),
                &json!({"name": format!("Indicatore {n}"), "value": "1"}),
            )
            .await["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        Fresh::Member => {
            let r = app
                .client
                .put(app.url(&format!("/api/v1/projects/{p}/members/{}", w.target_user)))
                .json(&json!({"role": "viewer"}))
                .send()
                .await
                .expect("member");
            assert_eq!(r.status(), StatusCode::OK);
            w.target_user.clone()
        }
        Fresh::Attachment => {
            let id = expense(0).await;
            let pdf = std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/attachments/quietanza.pdf"),
            )
            .expect("fixture");
            // A different file each time, so no two attachments share bytes by accident.
            let mut bytes = pdf;
            bytes.extend_from_slice(format!("\n% {n}\n").as_bytes());
            let r = app
                .post_raw(
                    &format!("/api/v1/expenses/{id}/attachments?kind=receipt"),
                    "application/pdf",
                    bytes,
                )
                .await;
            json_of(r).await["id"].as_str().expect("id").to_owned()
        }
        Fresh::OwnToken => match w.emails.get(&role) {
            Some(email) => app.token_of(email).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
            None => "1".to_owned(),
        },
    };
    id
}

/// The current ETag of what `path` names, read as the admin.
async fn etag_of(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned()
}

/// Everything a refused request must leave as it was, including the audit trail.
async fn state(app: &TestApp) -> Vec<i64> {
    let mut f = app.db.fingerprint().await;
    for table in [
        "audit_log",
        "attachments",
        "users",
        "memberships",
        "api_tokens",
        "submissions",
        "signed_copies",
        "budget_variations",
        "milestones",
        "tranches",
        "narrative_sections",
        "indicators",
        "commitments",
        "calendar_tokens",
    ] {
        f.push(
            app.db
                .scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .await,
        );
    }
    f
}

async fn every_endpoint_for_every_role(app: TestApp) {
    let w = world(&app).await;
    let rows = rows();

    // Every operation of the OpenAPI document is in the matrix (or is public sign-in).
    let spec = json_of(app.get("/api/v1/openapi.json").await).await;
    let mut documented = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("ops").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.api.to_owned()))
        .chain(
            PUBLIC
                .iter()
                .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
        )
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a row in the matrix: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows for endpoints not in the OpenAPI document: {stale:?}"
    );

    let mut n = 0u32;
    for row in &rows {
        for role in ROLES {
            n += 1;
            let fresh = prepare(&app, &w, row.fresh, role, n).await;
            let path = row
                .path
                .replace("{p}", &w.seed.project_id)
                .replace("{c}", &w.seed.call_id)
                .replace("{s}", &w.submission)
                .replace("{k}", &w.signed_copy)
                .replace("{u}", &w.target_user)
                .replace("{x}", &fresh)
                .replace("{e}", &w.seed.entities[0]);
            let mut request = w.clients[&role].request(row.method.clone(), app.url(&path));
            if row.if_match {
                request = request.header("if-match", etag_of(&app, &path).await);
            }
            if row.signed {
                request = request
                    .header("content-type", "application/pkcs7-mime")
                    .body(w.signed_p7m.clone());
            } else if let Some(name) = row.file {
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures")
                    .join(name);
                request = request
                    .header("content-type", "application/octet-stream")
                    .body(std::fs::read(path).expect("fixture"));
            } else if let Some(body) = (row.body)(&w, n) {
                let content_type = if row.method == Method::PATCH {
                    "application/merge-patch+json"
                } else {
                    "application/json"
                };
                request = request
                    .header("content-type", content_type)
                    .body(body.to_string());
            }
            let before = state(&app).await;
            let response = request.send().await.expect("request");
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let what = format!("{} {path} as {role:?}", row.method);
            if row.allowed.contains(&role) {
                assert!(
                    status.is_success(),
                    "{what}: expected success, got {status}: {text}"
                );
            } else {
                let expected = if role == Role::Anonymous {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(status, expected, "{what}: {text}");
                let problem: Value = serde_json::from_str(&text).expect("problem json");
                assert!(
                    problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
                    "{what}: no reason given"
                );
                assert_eq!(state(&app).await, before, "{what} changed the database");
            }
        }
    }
}

/// The project list shows a user only the projects they have a role on.
async fn lists_show_only_ones_own_projects(app: TestApp) {
    let w = world(&app).await;
    let list = json_of(
        w.clients[&Role::Outsider]
            .get(app.url("/api/v1/projects"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["title"], "Progetto di altri");
    let all = json_of(app.get("/api/v1/projects").await).await;
    assert_eq!(all["total"], 2);
}

crate::on_both_backends!(
    every_endpoint_for_every_role,
    lists_show_only_ones_own_projects
);
