//! The expense form (create and edit, errors beside each field, amounts typed the Italian way), the
//! workflow buttons and the expense's history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use super::super::frame::{choices, project_id, Choice, Frame, ProjectNav};
use super::super::page::{render, UiError, UiResult};
use super::super::session::{CsrfForm, UiSession};
use super::history::{history_rows, HistoryRow};
use crate::domain::expense_fields::{ExpenseFields, Locale};
use crate::domain::{Entity, Expense, ExpenseData, ExpenseId, Step};
use crate::services::{audit, expenses, projects, App, ServiceError};

/// The form's fields, in order: name, label, kind.
const FIELDS: &[(&str, &str, &str)] = &[
    ("supplier_name", "Fornitore", "text"),
    (
        "supplier_vat",
        "Partita IVA o codice fiscale del fornitore",
        "text",
    ),
    ("document_number", "Numero del documento", "text"),
    ("document_date", "Data del documento", "date"),
    ("description", "Descrizione", "long"),
    ("net_amount", "Imponibile (€)", "amount"),
    ("vat_amount", "IVA (€)", "amount"),
    (
        "claimed_amount",
        "Importo rendicontato (€, vuoto = totale)",
        "amount",
    ),
    ("cig", "CIG", "text"),
    ("cup", "CUP", "text"),
    ("commitment_act", "Atto di impegno", "long"),
    ("liquidation_act", "Atto di liquidazione", "long"),
    ("payment_order_number", "Numero del mandato", "text"),
    ("payment_order_date", "Data del mandato", "date"),
    ("payment_date", "Data di pagamento (quietanza)", "date"),
    (
        "corrects_expense_id",
        "Nota di credito: n. della spesa (fattura) che rettifica",
        "text",
    ),
];

#[derive(Serialize)]
struct FieldView {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct FormPage {
    frame: Frame,
    nav: ProjectNav,
    action: String,
    expense_id: Option<String>,
    version: Option<i64>,
    status: Option<&'static str>,
    status_code: Option<&'static str>,
    rejection_reason: Option<String>,
    fields: Vec<FieldView>,
    entities: Vec<Choice>,
    entity_error: Option<String>,
    categories: Vec<Choice>,
    category_error: Option<String>,
    /// The project's commitments, to say which one the expense draws on.
    commitments: Vec<Choice>,
    commitment_error: Option<String>,
    natures: Vec<Choice>,
    document_types: Vec<Choice>,
    vat_recoverable: bool,
    message: Option<String>,
    history: Vec<HistoryRow>,
    /// The expense's files, when the page shows a stored expense.
    attachments: Option<Vec<super::super::attachments::AttachmentRow>>,
    attachment_kinds: Vec<Choice>,
    /// What the signed-in user may do here: only those controls are shown.
    can: Abilities,
    /// The page follows a save that succeeded.
    saved: bool,
    /// Every error of the form at once, each linking to its field.
    error_summary: Vec<(String, String, String)>,
    /// Where "← Torna alle spese" leads: the list as it was left (filters, page), else the list.
    back: Option<String>,
}

/// A field's label as the form shows it.
fn label_of(field: &str) -> &str {
    match field {
        "entity_id" => "Ente",
        "category" => "Categoria",
        "nature" => "Natura",
        "document_type" => "Tipo di documento",
        "vat_recoverable" => "IVA detraibile",
        other => FIELDS
            .iter()
            .find(|(name, _, _)| *name == other)
            .map_or(other, |(_, label, _)| label),
    }
}

/// The controls the role and the expense's status allow; `read_only` says why the form cannot be
/// saved, when it cannot.
#[derive(Serialize, Default)]
pub(super) struct Abilities {
    edit: bool,
    ready: bool,
    verify: bool,
    reject: bool,
    unlock: bool,
    attach: bool,
    read_only: Option<String>,
}

/// What the rights allow on `expense` (or, for a new one, whether they may record in the project).
fn abilities(
    rights: &crate::services::access::Rights<'_>,
    expense: Option<&Expense>,
    entities: &[crate::domain::Entity],
) -> Abilities {
    use crate::domain::access::Need;
    use crate::domain::ExpenseStatus;
    let allows = |need: Need| rights.may(need).is_ok();
    let Some(e) = expense else {
        let may_record = entities
            .iter()
            .any(|entity| allows(Need::RecordExpense { entity: entity.id }));
        return Abilities {
            edit: may_record,
            read_only: (!may_record).then(|| {
                "Sola lettura: il tuo ruolo su questo progetto non consente di registrare spese."
                    .to_owned()
            }),
            ..Abilities::default()
        };
    };
    let entity = e.data.entity_id;
    let status = e.status;
    let read_only = match rights.may(Need::EditExpense { entity, status }) {
        _ if status == ExpenseStatus::Included => Some(
            "Spesa rendicontata: per correggerla serve lo sblocco del servizio finanziario.".into(),
        ),
        Err(why) => Some(format!("Sola lettura: {why}")),
        Ok(()) => None,
    };
    Abilities {
        edit: read_only.is_none(),
        ready: matches!(status, ExpenseStatus::Draft | ExpenseStatus::Rejected)
            && allows(Need::MarkReady { entity }),
        verify: status == ExpenseStatus::Ready
            && allows(Need::Verify {
                recorded_by: e.created_by,
                changed_by: e.changed_by,
            }),
        reject: matches!(status, ExpenseStatus::Ready | ExpenseStatus::Verified)
            && allows(Need::Reject),
        unlock: status == ExpenseStatus::Included && allows(Need::Unlock),
        attach: allows(Need::RecordExpense { entity }),
        read_only,
    }
}

/// The values a form shows: what was typed, or the expense as stored.
type Values = std::collections::HashMap<String, String>;

fn values_of(e: &Expense) -> Values {
    let d = &e.data;
    let mut v = Values::new();
    let mut put = |k: &str, s: Option<String>| {
        if let Some(s) = s {
            v.insert(k.to_owned(), s);
        }
    };
    put("entity_id", Some(d.entity_id.to_string()));
    put(
        "category",
        d.category.as_ref().map(|c| c.as_str().to_owned()),
    );
    put("nature", Some(d.nature.as_str().to_owned()));
    put("document_type", Some(d.document.kind.as_str().to_owned()));
    put("supplier_name", Some(d.document.supplier_name.clone()));
    put(
        "supplier_vat",
        d.document.supplier_vat.as_ref().map(ToString::to_string),
    );
    put("document_number", Some(d.document.number.clone()));
    put("document_date", Some(d.document.date.to_string()));
    put("description", Some(d.description.clone()));
    put("net_amount", Some(d.amounts.net().italian_number()));
    put("vat_amount", Some(d.amounts.vat().italian_number()));
    put("claimed_amount", Some(d.amounts.claimed().italian_number()));
    put("cig", d.cig.as_ref().map(ToString::to_string));
    put("cup", d.cup.as_ref().map(ToString::to_string));
    put("commitment_act", d.payment.commitment_act.clone());
    put(
        "commitment_id",
        d.payment.commitment_id.map(|c| c.to_string()),
    );
    put("liquidation_act", d.payment.liquidation_act.clone());
    put("payment_order_number", d.payment.order_number.clone());
    put(
        "payment_order_date",
        d.payment.order_date.map(|x| x.to_string()),
    );
    put("payment_date", d.payment.paid_on.map(|x| x.to_string()));
    put("corrects_expense_id", d.corrects.map(|x| x.to_string()));
    if d.vat_recoverable {
        put("vat_recoverable", Some("on".into()));
    }
    v
}

struct FormContext<'a> {
    session: &'a UiSession,
    project: (crate::domain::ProjectId, String),
    call: crate::domain::Call,
    entities: Vec<Entity>,
    /// Each commitment's id and how the list names it.
    commitments: Vec<(String, String)>,
}

async fn form_context<'a>(
    app: &App,
    session: &'a UiSession,
    project: crate::domain::ProjectId,
) -> UiResult<FormContext<'a>> {
    let who = session.actor();
    let p = projects::get(app, &who, project).await?;
    let call = crate::services::calls::get(app, &who, p.data.call_id).await?;
    let entities = projects::entities(app, &who, project).await?;
    let commitments = crate::services::commitments::list(app, &who, project)
        .await?
        .iter()
        .map(|s| {
            let c = &s.commitment;
            let entity = entities.iter().find(|e| e.id == c.data.entity_id);
            let label = format!(
                "{} – {} – residuo {}",
                c.data.act,
                entity.map_or("", |e| e.name.as_str()),
                s.residual().italian()
            );
            (c.id.to_string(), label)
        })
        .collect();
    Ok(FormContext {
        session,
        project: (project, p.data.title),
        call,
        entities,
        commitments,
    })
}

fn form_page(
    ctx: &FormContext<'_>,
    expense: Option<&Expense>,
    values: &Values,
    errors: &[crate::domain::FieldError],
    message: Option<String>,
    history: Vec<HistoryRow>,
) -> FormPage {
    let error_of = |name: &str| {
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| e.field == name)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    };
    let value = |k: &str| values.get(k).cloned().unwrap_or_default();
    let (id, title) = &ctx.project;
    FormPage {
        frame: Frame::from(ctx.session),
        nav: ProjectNav::new(*id, title, "spese"),
        action: match expense {
            Some(e) => format!("/spese/{}", e.id),
            None => format!("/progetti/{id}/spese/nuova"),
        },
        expense_id: expense.map(|e| e.id.to_string()),
        version: values
            .get("version")
            .and_then(|v| v.parse().ok())
            .or(expense.map(|e| e.version)),
        status: expense.map(|e| e.status.italian()),
        status_code: expense.map(|e| e.status.as_str()),
        rejection_reason: expense.and_then(|e| e.rejection_reason.clone()),
        fields: FIELDS
            .iter()
            .map(|(name, label, kind)| FieldView {
                name,
                label,
                kind,
                value: value(name),
                error: error_of(name),
            })
            .collect(),
        entities: choices(
            ctx.entities
                .iter()
                .map(|e| (e.id.to_string(), e.name.clone()))
                .collect(),
            values.get("entity_id").map(String::as_str),
        ),
        entity_error: error_of("entity_id"),
        categories: choices(
            ctx.call
                .categories
                .iter()
                .map(|c| (c.code.as_str().to_owned(), c.name.clone()))
                .collect(),
            values.get("category").map(String::as_str),
        ),
        category_error: error_of("category"),
        commitments: choices(
            ctx.commitments.clone(),
            values.get("commitment_id").map(String::as_str),
        ),
        commitment_error: error_of("commitment_id"),
        natures: choices(
            vec![
                ("current".into(), "Spesa corrente".into()),
                ("capital".into(), "Spesa in conto capitale".into()),
            ],
            Some(values.get("nature").map_or("current", String::as_str)),
        ),
        document_types: choices(
            vec![
                ("invoice".into(), "Fattura".into()),
                ("credit_note".into(), "Nota di credito".into()),
                ("receipt".into(), "Ricevuta".into()),
                ("other".into(), "Altro".into()),
            ],
            Some(
                values
                    .get("document_type")
                    .map_or("invoice", String::as_str),
            ),
        ),
        vat_recoverable: values.contains_key("vat_recoverable"),
        message,
        history,
        attachments: None,
        attachment_kinds: super::super::attachments::kind_choices(),
        can: Abilities::default(),
        saved: false,
        back: None,
        error_summary: errors
            .iter()
            .map(|e| {
                (
                    e.field.clone(),
                    label_of(&e.field).to_owned(),
                    e.message.clone(),
                )
            })
            .collect(),
    }
}

pub(super) async fn new_form(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
) -> UiResult<Html<String>> {
    let project = project_id(&id)?;
    let ctx = form_context(&app, &session, project).await?;
    let mut page = form_page(&ctx, None, &Values::new(), &[], None, Vec::new());
    let who = session.actor();
    let rights = crate::services::access::rights(&app, &who, project).await?;
    page.can = abilities(&rights, None, &ctx.entities);
    render("expense_form.html", page)
}

/// The page of a stored expense: the form (with `values` and `errors` when a save was refused),
/// its history, its files and the controls the user may use — whatever brought the page back.
async fn stored_page(
    app: &App,
    ctx: &FormContext<'_>,
    expense: &Expense,
    values: &Values,
    errors: &[crate::domain::FieldError],
    message: Option<String>,
) -> UiResult<FormPage> {
    let who = ctx.session.actor();
    let history = history_rows(&audit::expense_history(app, &who, expense.id).await?);
    let mut page = form_page(ctx, Some(expense), values, errors, message, history);
    page.attachments = Some(super::super::attachments::rows(app, &who, expense.id).await?);
    let rights = crate::services::access::rights(app, &who, expense.project_id).await?;
    page.can = abilities(&rights, Some(expense), &ctx.entities);
    Ok(page)
}

pub(super) async fn edit_form(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    query: crate::web::extract::QueryPairs,
) -> UiResult<Html<String>> {
    let id: ExpenseId = id.parse().map_err(|_| UiError::not_found("spesa"))?;
    let who = session.actor();
    let expense = expenses::get(&app, &who, id).await?;
    let ctx = form_context(&app, &session, expense.project_id).await?;
    let mut page = stored_page(&app, &ctx, &expense, &values_of(&expense), &[], None).await?;
    page.saved = query.get("salvata") == Some("1");
    // Only a way back to this project's list is followed, never an address from elsewhere.
    let list = format!("/progetti/{}/spese", expense.project_id);
    page.back = query
        .get("da")
        .filter(|d| *d == list || d.starts_with(&format!("{list}?")))
        .map(str::to_owned);
    render("expense_form.html", page)
}

/// The typed values as the API's input: amounts read the Italian way, empty fields left out.
fn input_of(form: &CsrfForm) -> (Values, Result<ExpenseData, Vec<crate::domain::FieldError>>) {
    let mut values = Values::new();
    for (k, v) in &form.fields {
        if k != "_csrf" && !v.trim().is_empty() {
            values.insert(k.clone(), v.trim().to_owned());
        }
    }
    // The form's own fields; the one expense parser reads them, amounts the Italian way.
    let mut fields = ExpenseFields::default();
    for (k, v) in &values {
        if k != "vat_recoverable" {
            fields.set(k, v.clone());
        }
    }
    fields.vat_recoverable = Some(values.contains_key("vat_recoverable"));
    let data = fields.parse(Locale::Italian);
    (values, data)
}

fn unprocessable(html: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, html).into_response()
}

/// A service refusal shown on the form: field errors beside their fields, others on top.
fn refusal(e: ServiceError) -> Result<(Vec<crate::domain::FieldError>, Option<String>), UiError> {
    match e {
        ServiceError::Invalid(errors) => Ok((errors, None)),
        ServiceError::Conflict { message, .. } => Ok((Vec::new(), Some(message))),
        ServiceError::Stale => Ok((
            Vec::new(),
            Some(
                "Qualcun altro ha modificato questa spesa mentre la stavi modificando: le tue modifiche \
                 non sono state salvate. Qui sotto restano i valori che hai scritto; la pagina ora si \
                 riferisce alla versione attuale: controlla e salva di nuovo per sovrascriverla."
                    .into(),
            ),
        )),
        other => Err(UiError::from(other)),
    }
}

pub(super) async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> UiResult<Response> {
    let project = project_id(&id)?;
    let who = form.session.actor();
    let ctx = form_context(&app, &form.session, project).await?;
    let (values, data) = input_of(&form);
    let outcome = match data {
        Err(errors) => (errors, None),
        Ok(data) => match expenses::create(&app, &who, project, data).await {
            Ok(e) => return Ok(Redirect::to(&format!("/spese/{}?salvata=1", e.id)).into_response()),
            Err(e) => refusal(e)?,
        },
    };
    let mut page = form_page(&ctx, None, &values, &outcome.0, outcome.1, Vec::new());
    let rights = crate::services::access::rights(&app, &who, project).await?;
    page.can = abilities(&rights, None, &ctx.entities);
    Ok(unprocessable(render("expense_form.html", page)?))
}

pub(super) async fn update(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id: ExpenseId = id.parse().map_err(|_| UiError::not_found("spesa"))?;
    let who = form.session.actor();
    let current = expenses::get(&app, &who, id).await?;
    let ctx = form_context(&app, &form.session, current.project_id).await?;
    let (mut values, data) = input_of(&form);
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let outcome = match data {
        Err(errors) => (errors, None),
        Ok(data) => match expenses::update(&app, &who, id, version, data).await {
            Ok(e) => return Ok(Redirect::to(&format!("/spese/{}?salvata=1", e.id)).into_response()),
            Err(e) => {
                let stale = matches!(e, ServiceError::Stale);
                let r = refusal(e)?;
                if stale {
                    // Saving again now means overwriting the current version, knowingly.
                    values.insert("version".into(), current.version.to_string());
                }
                r
            }
        },
    };
    let page = stored_page(&app, &ctx, &current, &values, &outcome.0, outcome.1).await?;
    let status = if outcome.0.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render("expense_form.html", page)?).into_response())
}

pub(super) async fn step(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id: ExpenseId = id.parse().map_err(|_| UiError::not_found("spesa"))?;
    let who = form.session.actor();
    let step = match form.get("passo") {
        Some("ready") => Step::Ready,
        Some("verify") => Step::Verify,
        Some("reject") => Step::Reject,
        Some("unlock") => Step::Unlock,
        _ => {
            return Err(UiError::new(
                StatusCode::BAD_REQUEST,
                "Operazione sconosciuta.",
            ))
        }
    };
    let note = form.get("nota").map(str::to_owned);
    match expenses::step(&app, &who, id, None, step, note).await {
        Ok(_) => Ok(Redirect::to(&format!("/spese/{id}")).into_response()),
        Err(e) => {
            let expense = expenses::get(&app, &who, id).await?;
            let ctx = form_context(&app, &form.session, expense.project_id).await?;
            let status = match &e {
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::CONFLICT,
            };
            let message = match e {
                ServiceError::Forbidden(why) => why,
                other => {
                    let (errors, message) = refusal(other)?;
                    message.unwrap_or_else(|| {
                        errors
                            .iter()
                            .map(|e| e.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                }
            };
            let values = values_of(&expense);
            let page = stored_page(&app, &ctx, &expense, &values, &[], Some(message)).await?;
            Ok((status, render("expense_form.html", page)?).into_response())
        }
    }
}
