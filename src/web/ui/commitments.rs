//! *Impegni*: the project's commitments with what was invoiced and paid against each, the
//! forecast at completion they give, and a form to record one (for the entities the role may).
//! The dashboard shows the same forecast as one line.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::frame::{choices, project_id, Choice, Frame, ProjectNav};
use super::page::{outcome, render, UiResult};
use super::session::{CsrfForm, UiSession};
use crate::domain::access::Need;
use crate::domain::commitment::CommitmentFields;
use crate::domain::forecast::Forecast;
use crate::domain::text::italian_date;
use crate::domain::{FieldError, Money, Nature, ProjectId};
use crate::services::commitments::{self, Standing};
use crate::services::{access, projects, App};
use crate::web::extract::QueryPairs;

pub fn router() -> Router<App> {
    let limit = crate::domain::attachment::DEFAULT_MAX_BYTES;
    Router::new()
        .route("/progetti/{id}/impegni", get(page).post(create))
        .route(
            "/progetti/{id}/impegni/importa",
            axum::routing::post(import)
                .layer(DefaultBodyLimit::max(super::upload::hard_limit(limit))),
        )
}

/// The forecast as the dashboard and this page show it.
#[derive(Serialize)]
pub(super) struct ForecastCard {
    recognised: String,
    committed: String,
    projected_recognised: String,
    projected: String,
    granted: String,
    gap: Option<String>,
    /// "Adeguamento tecnologico: 489,42 €", per category that needs money.
    needed: Vec<String>,
    invoice_by: String,
    pay_by: Option<String>,
    /// Days from the date asked to the payment deadline, said in words.
    days: Option<String>,
    at_risk: Vec<String>,
}

impl ForecastCard {
    pub(super) fn of(f: &Forecast) -> ForecastCard {
        let committed: Money = f.categories.iter().map(|c| c.residual_commitments).sum();
        let days = f.pay_by.map(|d| match (d - f.as_of).num_days() {
            n if n > 1 => format!("mancano {n} giorni"),
            1 => "manca 1 giorno".to_owned(),
            0 => "è oggi".to_owned(),
            _ => "il termine è passato".to_owned(),
        });
        ForecastCard {
            recognised: f.recognised_now.italian(),
            committed: committed.italian(),
            projected_recognised: f.projected_recognised.italian(),
            projected: f.projected_contribution.italian(),
            granted: f.granted_contribution.italian(),
            gap: f.gap.is_positive().then(|| f.gap.italian()),
            needed: f
                .categories
                .iter()
                .filter(|c| c.needed.is_positive())
                .map(|c| format!("{}: {}", c.name, c.needed.italian()))
                .collect(),
            invoice_by: italian_date(f.invoice_by),
            pay_by: f.pay_by.map(italian_date),
            days,
            at_risk: f
                .at_risk
                .iter()
                .map(|r| format!("{}: {} – {}", r.act, r.amount.italian(), r.message))
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct Row {
    cells: Vec<String>,
    overdrawn: bool,
}

#[derive(Serialize)]
struct CommitmentsPage {
    frame: Frame,
    nav: ProjectNav,
    forecast: ForecastCard,
    rows: Vec<Row>,
    totals: Vec<String>,
    /// The entities the role may commit for; empty for a reader.
    entities: Vec<Choice>,
    categories: Vec<Choice>,
    natures: Vec<Choice>,
    read_only: Option<String>,
    typed: std::collections::HashMap<String, String>,
    errors: std::collections::HashMap<String, String>,
    message: Option<String>,
    done: bool,
    /// What an import of the accounts' export did, row by row.
    import: Option<ImportView>,
}

#[derive(Serialize)]
struct ImportView {
    outcome: String,
    class: &'static str,
    errors: Vec<String>,
    rows: Vec<String>,
}

fn row(s: &Standing, entity_name: &str, category_name: &str) -> Row {
    let d = &s.commitment.data;
    let date = |x: Option<chrono::NaiveDate>| x.map_or_else(|| "—".to_owned(), italian_date);
    Row {
        cells: vec![
            // The act's text usually carries its date already ("… del 12/10/2020").
            if d.act.contains(&italian_date(d.act_date)) {
                d.act.clone()
            } else {
                format!("{} ({})", d.act, italian_date(d.act_date))
            },
            entity_name.to_owned(),
            if d.nature == Nature::Capital {
                format!("{category_name} (in conto capitale)")
            } else {
                category_name.to_owned()
            },
            d.supplier_name.clone().unwrap_or_default(),
            d.amount.italian(),
            s.drawn.invoiced.italian(),
            s.drawn.paid.italian(),
            s.residual().italian(),
            if d.expected_invoice_date.is_none() && d.expected_payment_date.is_none() {
                "—".to_owned()
            } else {
                format!(
                    "fattura {}, pagamento {}",
                    date(d.expected_invoice_date),
                    date(d.expected_payment_date)
                )
            },
        ],
        overdrawn: s.overdrawn(),
    }
}

async fn page(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    query: QueryPairs,
) -> UiResult<Html<String>> {
    let id = project_id(&id)?;
    let done = query.get("fatto").is_some();
    let html = commitments_page(&app, &session, id, Refused::default(), done).await?;
    Ok(html)
}

/// What a refused form typed and why, to show it again; or what an import did.
#[derive(Default)]
struct Refused {
    typed: std::collections::HashMap<String, String>,
    errors: Vec<FieldError>,
    message: Option<String>,
    import: Option<ImportView>,
}

async fn commitments_page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    refused: Refused,
    done: bool,
) -> UiResult<Html<String>> {
    let who = session.actor();
    let (all, _, forecast) = commitments::snapshots_with_forecast(app, &who, id, None).await?;
    let list = commitments::list(app, &who, id).await?;
    let rights = access::rights(app, &who, id).await?;
    let entity_name = |e| {
        all.entities
            .iter()
            .find(|x| x.id == e)
            .map_or_else(String::new, |x| x.name.clone())
    };
    let category_name = |c: &crate::domain::CategoryCode| {
        all.call
            .categories
            .iter()
            .find(|x| &x.code == c)
            .map_or_else(|| c.as_str().to_owned(), |x| x.name.clone())
    };
    let rows = list
        .iter()
        .map(|s| {
            let d = &s.commitment.data;
            row(s, &entity_name(d.entity_id), &category_name(&d.category))
        })
        .collect();
    let sum = |f: &dyn Fn(&Standing) -> Money| list.iter().map(f).sum::<Money>().italian();
    let totals = vec![
        sum(&|s| s.commitment.data.amount),
        sum(&|s| s.drawn.invoiced),
        sum(&|s| s.drawn.paid),
        sum(&|s| s.residual()),
    ];
    let allowed: Vec<(String, String)> = all
        .entities
        .iter()
        .filter(|e| rights.may(Need::Commit { entity: e.id }).is_ok())
        .map(|e| (e.id.to_string(), e.name.clone()))
        .collect();
    let read_only = allowed.is_empty().then(|| {
        "Sola lettura: il tuo ruolo su questo progetto non consente di registrare impegni."
            .to_owned()
    });
    let typed = |k: &str| refused.typed.get(k).map(String::as_str);
    let page = CommitmentsPage {
        frame: Frame::from(session),
        nav: ProjectNav::new(id, &all.project.data.title, "impegni"),
        forecast: ForecastCard::of(&forecast),
        rows,
        totals,
        entities: choices(allowed, typed("entity_id")),
        categories: choices(
            all.call
                .categories
                .iter()
                .map(|c| (c.code.as_str().to_owned(), c.name.clone()))
                .collect(),
            typed("category"),
        ),
        natures: choices(
            [Nature::Current, Nature::Capital]
                .iter()
                .map(|n| (n.as_str().to_owned(), n.italian().to_owned()))
                .collect(),
            typed("nature"),
        ),
        read_only,
        errors: refused
            .errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        typed: refused.typed,
        message: refused.message,
        import: refused.import,
        done,
    };
    render("commitments.html", page)
}

/// The form's fields as the API reads them: empty ones left out, amounts read the Italian way.
fn fields_of(form: &CsrfForm) -> CommitmentFields {
    let get = |k: &str| {
        form.fields
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    CommitmentFields {
        entity_id: get("entity_id"),
        category: get("category"),
        nature: get("nature"),
        supplier_name: get("supplier_name"),
        supplier_vat: get("supplier_vat"),
        act: get("act"),
        act_date: get("act_date"),
        cig: get("cig"),
        amount: get("amount").map(|a| Money::parse_typed(&a).map_or(a, |m| m.to_string())),
        expected_invoice_date: get("expected_invoice_date"),
        expected_payment_date: get("expected_payment_date"),
    }
}

async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let who = form.session.actor();
    projects::get(&app, &who, id).await?;
    let refused = match fields_of(&form).parse() {
        Ok(data) => {
            let result = commitments::create(&app, &who, id, data).await;
            let fields = match &result {
                Err(crate::services::ServiceError::Invalid(errors)) => errors.clone(),
                _ => Vec::new(),
            };
            match outcome(result)? {
                Ok(()) => {
                    return Ok(
                        Redirect::to(&format!("/progetti/{id}/impegni?fatto=1#impegni"))
                            .into_response(),
                    )
                }
                Err(message) => Refused {
                    errors: fields,
                    message: Some(message),
                    ..Refused::default()
                },
            }
        }
        Err(errors) => Refused {
            message: Some(format!(
                "Impegno non registrato: {}.",
                FieldError::joined(&errors)
            )),
            errors,
            ..Refused::default()
        },
    };
    let refused = Refused {
        typed: form
            .fields
            .iter()
            .filter(|(k, _)| k != "_csrf")
            .cloned()
            .collect(),
        ..refused
    };
    let html = commitments_page(&app, &form.session, id, refused, false).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// The accounting system's export of commitments (CSV), checked only or imported: all rows or none.
async fn import(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    form: Multipart,
) -> UiResult<Response> {
    use crate::services::commitments_import;
    let id = project_id(&id)?;
    let limit = crate::domain::attachment::DEFAULT_MAX_BYTES;
    let form = super::upload::read(&session, form, limit).await?;
    let refuse = |message: String| Refused {
        message: Some(message),
        ..Refused::default()
    };
    let Some((_, _, bytes)) = form.files.iter().find(|(field, _, _)| field == "csv") else {
        let html = commitments_page(
            &app,
            &session,
            id,
            refuse("Scegliere il file CSV.".into()),
            false,
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    let who = session.actor();
    let dry_run = form.checked("dry_run");
    let report =
        match commitments_import::run(&app, &who, id, bytes, &Default::default(), dry_run).await {
            Ok(report) => report,
            Err(crate::services::ServiceError::Invalid(errors)) => {
                let html = commitments_page(
                    &app,
                    &session,
                    id,
                    refuse(FieldError::joined(&errors)),
                    false,
                )
                .await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
            }
            Err(e) => return Err(e.into()),
        };
    let (outcome, class, status) = super::upload::csv_outcome(
        report.outcome,
        report.errors.is_empty(),
        "impegni registrati",
        "nessun impegno registrato",
    );
    let view = ImportView {
        outcome,
        class,
        errors: report
            .errors
            .iter()
            .map(|e| format!("riga {}: {}", e.row, e.message))
            .collect(),
        rows: report
            .commitments
            .iter()
            .map(|c| {
                let amount = c
                    .amount
                    .parse::<Money>()
                    .map_or(c.amount.clone(), |m| m.italian());
                format!("riga {}: {} – {}", c.row, c.act, amount)
            })
            .collect(),
    };
    let refused = Refused {
        import: Some(view),
        ..Refused::default()
    };
    let html = commitments_page(&app, &session, id, refused, false).await?;
    Ok((status, html).into_response())
}
