//! Budget, variations, extensions, milestones and tranches: seen together, added with short forms,
//! a requested variation approved or rejected, a milestone marked done.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use serde_json::{Map, Value};

use super::frame::{project_id, Frame, ProjectNav};
use super::page::{outcome, refusal, render, UiError, UiResult};
use super::session::{CsrfForm, UiSession};
use crate::domain::funding::{
    date_acts, ActKind, NewExtension, NewMilestone, NewTranche, NewVariation, TrancheKind,
    VariationStatus,
};
use crate::domain::rules::Scope;
use crate::domain::text::italian_date;
use crate::domain::{FieldError, Money, ProjectId};
use crate::services::summary::snapshot;
use crate::services::{funding, App};
use crate::web::funding::{ExtensionInput, MilestoneInput, TrancheInput, VariationInput};

pub fn router() -> Router<App> {
    Router::new()
        .route("/progetti/{id}/finanziamento", get(page))
        .route("/progetti/{id}/finanziamento/{what}", post(add))
        .route("/progetti/{id}/variazioni/{vid}", post(decide_variation))
        .route("/progetti/{id}/scadenze/{mid}", post(milestone_done))
}

#[derive(Serialize)]
struct Line {
    cells: Vec<String>,
    id: String,
    version: i64,
    pending: bool,
}

#[derive(Serialize)]
struct FundingPage {
    frame: Frame,
    nav: ProjectNav,
    /// The end, the payment and the reporting deadline in force today.
    in_force: Vec<String>,
    /// Every act that set one of the project's dates, in the order they take effect.
    dates: Vec<Vec<String>>,
    project_version: i64,
    /// What a refused form typed, shown again in it.
    typed: Typed,
    /// Why the forms are not shown, for a role that may not record funding acts.
    read_only: Option<String>,
    budget: Vec<Vec<String>>,
    categories: Vec<(String, String)>,
    variations: Vec<Line>,
    extensions: Vec<Vec<String>>,
    milestones: Vec<Line>,
    tranches: Vec<Vec<String>>,
    advances: String,
    message: Option<String>,
}

/// What a refused form typed, to show it again: which form (`variazione`, `proroga`…) and its
/// fields as typed.
#[derive(Default, Serialize)]
struct Typed {
    form: Option<String>,
    values: std::collections::HashMap<String, String>,
    /// What the last form did, said once it is done.
    done: Option<String>,
    /// Field name → why what was typed there was refused, shown beside the field.
    errors: std::collections::HashMap<String, String>,
}

/// Why a form was refused: the sentence at the top of the form and, where the refusal names them,
/// the fields with their own reason.
struct Refusal {
    message: String,
    fields: Vec<FieldError>,
}

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal {
            message,
            fields: Vec::new(),
        }
    }
}

async fn funding_page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    message: Option<String>,
    typed: Typed,
) -> UiResult<Html<String>> {
    let who = session.actor();
    let snap = snapshot(app, &who, id, None, Scope::All).await?;
    let variations = funding::variations(app, &who, id).await?;
    let extensions = funding::extensions(app, &who, id).await?;
    let milestones = funding::milestones(app, &who, id).await?;
    let tranches = funding::tranches(app, &who, id).await?;
    let kind_it = |k: ActKind| match k {
        ActKind::Change => "modifica",
        ActKind::Extension => "proroga",
    };
    let optional = |d: Option<chrono::NaiveDate>| d.map(italian_date).unwrap_or_else(|| "—".into());
    render(
        "funding.html",
        FundingPage {
            frame: Frame::from(session),
            nav: ProjectNav::new(id, &snap.project.data.title, "finanziamento"),
            budget: snap
                .summary
                .categories
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.approved_original.italian(),
                        c.approved.italian(),
                        c.eligible.italian(),
                        (c.approved - c.eligible).italian(),
                    ]
                })
                .collect(),
            categories: snap
                .call
                .categories
                .iter()
                .map(|c| (c.code.as_str().to_owned(), c.name.clone()))
                .collect(),
            variations: variation_lines(&snap, &variations),
            extensions: extensions
                .iter()
                .map(|e| {
                    vec![
                        e.act.clone(),
                        italian_date(e.date),
                        optional(e.end_date),
                        optional(e.payment_deadline),
                        optional(e.reporting_deadline),
                    ]
                })
                .collect(),
            milestones: milestones
                .iter()
                .map(|m| Line {
                    cells: vec![
                        m.name.clone(),
                        italian_date(m.due_date),
                        if m.done { "fatta" } else { "da fare" }.to_owned(),
                    ],
                    id: m.id.to_string(),
                    version: m.version,
                    pending: !m.done,
                })
                .collect(),
            tranches: tranches
                .iter()
                .map(|t| {
                    vec![
                        italian_date(t.date),
                        t.act.clone(),
                        match t.kind {
                            TrancheKind::Advance => "anticipo",
                            TrancheKind::Balance => "saldo",
                        }
                        .to_owned(),
                        t.amount.italian(),
                    ]
                })
                .collect(),
            advances: snap.summary.advances_received.italian(),
            in_force: vec![
                italian_date(snap.dates.end_date),
                optional(snap.dates.payment_deadline),
                optional(snap.dates.reporting_deadline),
            ],
            dates: date_acts(&snap.project.date_history, &snap.project.extensions)
                .into_iter()
                .map(|a| {
                    vec![
                        a.field.italian().to_owned(),
                        italian_date(a.value),
                        a.act,
                        italian_date(a.act_date),
                        kind_it(a.kind).to_owned(),
                    ]
                })
                .collect(),
            project_version: snap.project.version,
            typed,
            read_only: super::frame::read_only(
                app,
                session,
                id,
                crate::domain::access::Need::Funding,
            )
            .await,
            message,
        },
    )
}

/// The variations as the table lists them: act, request date, lines by category name with their
/// sign, and the decision with its date.
fn variation_lines(
    snap: &crate::domain::snapshot::Snapshot,
    variations: &[crate::domain::funding::Variation],
) -> Vec<Line> {
    let status_it = |s: VariationStatus| match s {
        VariationStatus::Requested => "richiesta",
        VariationStatus::Approved => "approvata",
        VariationStatus::Rejected => "respinta",
    };
    variations
        .iter()
        .map(|v| Line {
            cells: vec![
                v.act.clone(),
                italian_date(v.date),
                v.changes
                    .iter()
                    .map(|(c, m)| {
                        let name = snap
                            .call
                            .category(c.as_str())
                            .map_or(c.as_str(), |k| k.name.as_str());
                        format!("{name}: {}", m.signed_italian())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                match v.decision_date {
                    Some(d) => format!("{} il {}", status_it(v.status), italian_date(d)),
                    None => status_it(v.status).to_owned(),
                },
            ],
            id: v.id.to_string(),
            version: v.version,
            pending: v.status == VariationStatus::Requested,
        })
        .collect()
}

async fn page(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    query: crate::web::extract::QueryPairs,
) -> UiResult<Html<String>> {
    let done = query.get("fatto").and_then(|what| {
        Some(match what {
            "variazione" => "Variazione registrata.",
            "proroga" => "Proroga registrata: le date in vigore sono qui sotto.",
            "scadenza" => "Scadenza registrata.",
            "erogazione" => "Erogazione registrata.",
            "data" => "Data del progetto modificata con il suo atto.",
            "decisione" => "Decisione sulla variazione registrata.",
            "segnata" => "Scadenza segnata come fatta.",
            _ => return None,
        })
    });
    let typed = Typed {
        done: done.map(str::to_owned),
        ..Typed::default()
    };
    funding_page(&app, &session, project_id(&id)?, None, typed).await
}

/// The form's fields as the API's JSON input: empty fields left out, amounts read the Italian way.
fn json_of(form: &CsrfForm, amounts: &[&str]) -> Value {
    let mut json = Map::new();
    for (k, v) in &form.fields {
        if k == "_csrf" || k.starts_with("change_") || v.trim().is_empty() {
            continue;
        }
        let v = v.trim();
        let v = if amounts.contains(&k.as_str()) {
            Money::parse_typed(v).map_or_else(|_| v.to_owned(), |m| m.to_string())
        } else {
            v.to_owned()
        };
        json.insert(k.clone(), Value::String(v));
    }
    Value::Object(json)
}

fn parse<I: serde::de::DeserializeOwned, T: TryFrom<I, Error = crate::web::error::ApiError>>(
    json: Value,
) -> Result<T, Refusal> {
    let input: I = serde_json::from_value(json).map_err(|e| Refusal::from(e.to_string()))?;
    T::try_from(input).map_err(|e| Refusal {
        message: refusal(&e),
        fields: e.field_errors().to_vec(),
    })
}

/// A service's outcome for a form, its field errors kept for the fields.
fn outcome_of<T>(
    result: Result<T, crate::services::ServiceError>,
) -> UiResult<Result<(), Refusal>> {
    let fields = match &result {
        Err(crate::services::ServiceError::Invalid(errors)) => errors.clone(),
        _ => Vec::new(),
    };
    Ok(outcome(result)?.map_err(|message| Refusal { message, fields }))
}

async fn add(
    State(app): State<App>,
    Path((id, what)): Path<(String, String)>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let who = form.session.actor();
    let result: Result<(), Refusal> = match what.as_str() {
        "variazione" => match variation_changes(&form) {
            Ok(changes) => {
                let mut json = json_of(&form, &[]);
                json["changes"] = Value::Array(changes);
                match parse::<VariationInput, NewVariation>(json) {
                    Ok(new) => outcome_of(funding::add_variation(&app, &who, id, new).await)?,
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        },
        "proroga" => match parse::<ExtensionInput, NewExtension>(json_of(&form, &[])) {
            Ok(new) => outcome_of(funding::add_extension(&app, &who, id, new).await)?,
            Err(e) => Err(e),
        },
        "scadenza" => match parse::<MilestoneInput, NewMilestone>(json_of(&form, &[])) {
            Ok(new) => outcome_of(funding::add_milestone(&app, &who, id, new).await)?,
            Err(e) => Err(e),
        },
        "erogazione" => match parse::<TrancheInput, NewTranche>(json_of(&form, &["amount"])) {
            Ok(new) => outcome_of(funding::add_tranche(&app, &who, id, new).await)?,
            Err(e) => Err(e),
        },
        "data" => outcome_of(move_date(&app, &form, id).await)?,
        _ => return Err(UiError::not_found("modulo")),
    };
    done(&app, &form, id, result, Some(what.as_str())).await
}

/// A variation's lines as typed (`+5.000,00`, `-4.000,00`): every line that is not empty, or —
/// when any cannot be read — nothing, and each unreadable line named with what was typed.
fn variation_changes(form: &CsrfForm) -> Result<Vec<Value>, Refusal> {
    let mut changes = Vec::new();
    let mut unreadable = Vec::new();
    for (k, v) in &form.fields {
        let (Some(category), typed) = (k.strip_prefix("change_"), v.trim()) else {
            continue;
        };
        if typed.is_empty() {
            continue;
        }
        match Money::parse_typed(typed) {
            Ok(amount) if amount == Money::ZERO => {}
            Ok(amount) => changes
                .push(serde_json::json!({"category": category, "amount": amount.to_string()})),
            Err(_) => unreadable.push(FieldError {
                field: k.clone(),
                code: "invalid_amount".into(),
                message: format!(
                    "«{typed}» non è un importo (scrivere ad esempio +5.000,00 o -4.000,00)"
                ),
            }),
        }
    }
    if unreadable.is_empty() {
        Ok(changes)
    } else {
        Err(Refusal {
            message: format!(
                "Variazione non registrata: {}.",
                FieldError::joined(&unreadable)
            ),
            fields: unreadable,
        })
    }
}

/// Moves the end or a deadline by an act, read from the form: which date, its new value, the act
/// and the act's date (from which the new value is in force).
async fn move_date(
    app: &App,
    form: &CsrfForm,
    id: ProjectId,
) -> Result<crate::domain::Project, crate::services::ServiceError> {
    use crate::domain::{fields, ProjectDate};
    let mut v = crate::domain::Violations::new();
    let field = fields::choice(
        &mut v,
        "field",
        form.get("field"),
        ProjectDate::parse,
        &ProjectDate::choices(),
    );
    let value = fields::required_date(&mut v, "value", form.get("value"));
    let act = fields::required_text(&mut v, "change_act", form.get("change_act"), 300);
    let act_date = fields::required_date(&mut v, "change_act_date", form.get("change_act_date"));
    let version = form
        .get("version")
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    let (field, value) = v
        .finish(|| Some((field?, value?)))
        .map_err(crate::services::ServiceError::Invalid)?;
    let act = crate::services::projects::ChangeAct {
        act,
        date: act_date,
    };
    let who = form.session.actor();
    crate::services::projects::move_date(app, &who, id, version, field, value, act).await
}

/// After a form: back to the page, or the page again with the reason and — for a form that adds
/// something (`which`) — what was typed, so that nothing typed is lost.
async fn done(
    app: &App,
    form: &CsrfForm,
    id: ProjectId,
    result: Result<(), Refusal>,
    which: Option<&str>,
) -> UiResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/progetti/{id}/finanziamento?fatto={}",
            which.unwrap_or("decisione")
        ))
        .into_response()),
        Err(Refusal { message, fields }) => {
            let typed = Typed {
                done: None,
                errors: fields.into_iter().map(|f| (f.field, f.message)).collect(),
                form: which.map(str::to_owned),
                values: match which {
                    Some(_) => form
                        .fields
                        .iter()
                        .filter(|(k, _)| k != "_csrf")
                        .cloned()
                        .collect(),
                    None => Default::default(),
                },
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                funding_page(app, &form.session, id, Some(message), typed).await?,
            )
                .into_response())
        }
    }
}

async fn decide_variation(
    State(app): State<App>,
    Path((id, vid)): Path<(String, String)>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let vid: i64 = vid.parse().map_err(|_| UiError::not_found("variazione"))?;
    let status = match form.get("esito") {
        Some("approved") => VariationStatus::Approved,
        Some("rejected") => VariationStatus::Rejected,
        _ => return Err(UiError::new(StatusCode::BAD_REQUEST, "Esito sconosciuto.")),
    };
    if !super::confirm::confirmed(&form) {
        let (verb, effect) = match status {
            VariationStatus::Approved => (
                "Approvare",
                "il budget approvato cambia dalla data della decisione",
            ),
            _ => ("Respingere", "il budget approvato resta com'è"),
        };
        let when = form
            .get("decision_date")
            .map_or("oggi".to_owned(), crate::domain::text::italian_date_of);
        return super::confirm::ask(
            &form,
            &format!("{verb} la variazione?"),
            format!(
                "Decisione presa {}: {effect}. Non si può annullare.",
                if when == "oggi" {
                    when
                } else {
                    format!("il {when}")
                }
            ),
            &format!("{verb} la variazione"),
            format!("/progetti/{id}/variazioni/{vid}"),
            format!("/progetti/{id}/finanziamento"),
        );
    }
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // The decision's date (today when left empty): the variation counts from it.
    let mut v = crate::domain::Violations::new();
    let decided = crate::domain::fields::date(&mut v, "decision_date", form.get("decision_date"));
    let decided = match v.finish(|| Some(decided)) {
        Ok(d) => Ok(d),
        Err(e) => Err(crate::services::ServiceError::Invalid(e)),
    };
    let result = match decided {
        Ok(decided) => {
            funding::set_variation_status(
                &app,
                &form.session.actor(),
                id,
                vid,
                version,
                status,
                decided,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let result = outcome(result)?;
    done(&app, &form, id, result.map_err(Refusal::from), None).await
}

async fn milestone_done(
    State(app): State<App>,
    Path((id, mid)): Path<(String, String)>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let mid: i64 = mid.parse().map_err(|_| UiError::not_found("scadenza"))?;
    let who = form.session.actor();
    let current = funding::milestone(&app, &who, id, mid).await?;
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let new = NewMilestone {
        name: current.name.clone(),
        due_date: current.due_date,
        done: true,
    };
    let result = outcome(funding::update_milestone(&app, &who, id, mid, version, new).await)?;
    done(
        &app,
        &form,
        id,
        result.map_err(Refusal::from),
        Some("segnata"),
    )
    .await
}
