//! The expense table: filters, sort, pages, the totals of the filtered rows, and the same rows as
//! CSV for Italian Excel.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::super::frame::{choices, project_id, Choice, Frame, ProjectNav};
use super::super::page::{render, UiResult};
use super::super::session::UiSession;
use crate::domain::query::{ExpenseSortField, PageRequest, Sort};
use crate::domain::text::italian_date;
use crate::domain::{Call, Entity, EntityId, Expense, ExpenseStatus};
use crate::services::{expenses, projects, App};
use crate::web::extract::QueryPairs;

const PER_PAGE: u32 = 50;

/// The query without its empty fields (an untouched filter of the form sends `entity=`).
fn non_empty(query: &QueryPairs) -> QueryPairs {
    QueryPairs(
        query
            .0
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .cloned()
            .collect(),
    )
}

#[derive(Serialize)]
struct Row {
    id: String,
    entity: String,
    category: String,
    supplier: String,
    document: String,
    date: String,
    claimed: String,
    status: &'static str,
    status_code: &'static str,
}

#[derive(Serialize)]
struct TablePage {
    frame: Frame,
    nav: ProjectNav,
    rows: Vec<Row>,
    total: i64,
    totals_net: String,
    totals_vat: String,
    totals_claimed: String,
    #[serde(flatten)]
    filters: Filters,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    csv: String,
    error: Option<String>,
    /// Whether the user may record expenses here (for at least one entity): the buttons to add
    /// and import them show only then.
    can_record: bool,
    /// Whether a filter narrows the list (an empty list then says how to widen it).
    filtered: bool,
    /// Appended to each expense's link: the way back to this very list (filters and page).
    back: String,
}

fn query_string(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub(super) async fn table(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    query: QueryPairs,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let who = session.actor();
    let project = projects::get(&app, &who, id).await?;
    let call = crate::services::calls::get(&app, &who, project.data.call_id).await?;
    let entities = projects::entities(&app, &who, id).await?;
    let rights = crate::services::access::rights(&app, &who, id).await?;
    let can_record = entities.iter().any(|e| {
        let need = crate::domain::access::Need::RecordExpense { entity: e.id };
        rights.may(need).is_ok()
    });
    let q = non_empty(&query);
    // A filter that cannot be read shows every row, with the reason above the table.
    let (filter, error) = match crate::web::expenses::filter(&q) {
        Ok(f) => (f, None),
        Err(e) => (Default::default(), Some(e.detail().to_owned())),
    };
    let sort = crate::web::pagination::sort(&q, ExpenseSortField::NAMES, ExpenseSortField::Id)
        .unwrap_or(Sort {
            field: ExpenseSortField::Id,
            descending: false,
        });
    let page: u32 = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page = PER_PAGE;
    let request = PageRequest { page, per_page };
    let (result, totals) = expenses::list(&app, &who, id, &filter, sort, request).await?;
    let names: HashMap<_, _> = entities.iter().map(|e| (e.id, e.name.clone())).collect();
    let rows = result
        .items
        .iter()
        .map(|e| row_of(e, &names, &call))
        .collect();
    let pages = u32::try_from((result.total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE))
        .unwrap_or(1)
        .max(1);
    let keep: Vec<(String, String)> = q.0.iter().filter(|(k, _)| k != "page").cloned().collect();
    let link = |p: u32| {
        let mut pairs = keep.clone();
        pairs.push(("page".into(), p.to_string()));
        format!("/progetti/{id}/spese?{}", query_string(&pairs))
    };
    let html = render(
        "expenses.html",
        TablePage {
            frame: Frame::from(&session),
            nav: ProjectNav::new(id, &project.data.title, "spese"),
            rows,
            total: result.total,
            totals_net: totals.net.italian(),
            totals_vat: totals.vat.italian(),
            totals_claimed: totals.claimed.italian(),
            filters: Filters::of(&q, &entities, &call),
            can_record,
            back: format!(
                "?{}",
                query_string(&[(
                    "da".to_owned(),
                    format!("/progetti/{id}/spese?{}", query_string(&q.0))
                )])
            ),
            filtered: q.0.iter().any(|(k, _)| {
                matches!(
                    k.as_str(),
                    "entity_id" | "entity" | "category" | "status" | "date_from" | "date_to" | "q"
                )
            }),
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            csv: format!("/progetti/{id}/spese.csv?{}", query_string(&keep)),
            error,
        },
    )?;
    Ok(html.into_response())
}

fn row_of(e: &Expense, names: &HashMap<EntityId, String>, call: &Call) -> Row {
    let d = &e.data;
    Row {
        id: e.id.to_string(),
        entity: names.get(&d.entity_id).cloned().unwrap_or_default(),
        category: d
            .category
            .as_ref()
            .and_then(|c| call.category(c.as_str()).map(|c| c.name.clone()))
            .unwrap_or_else(|| "—".into()),
        supplier: d.document.supplier_name.clone(),
        document: format!("{} {}", d.document.kind.italian(), d.document.number),
        date: italian_date(d.document.date),
        claimed: d.signed(d.amounts.claimed()).italian(),
        status: e.status.italian(),
        status_code: e.status.as_str(),
    }
}

/// The filter form as the query left it.
#[derive(Serialize)]
struct Filters {
    entities: Vec<Choice>,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    sorts: Vec<Choice>,
    q: String,
    date_from: String,
    date_to: String,
}

/// The orders the table offers, with their labels.
const SORTS: &[(&str, &str)] = &[
    ("id", "Ordine di inserimento"),
    ("document_date", "Data del documento"),
    ("-document_date", "Data del documento (recenti prima)"),
    ("supplier_name", "Fornitore"),
    ("-claimed_amount", "Importo (dal maggiore)"),
    ("claimed_amount", "Importo (dal minore)"),
    ("status", "Stato"),
];

impl Filters {
    fn of(q: &QueryPairs, entities: &[Entity], call: &Call) -> Filters {
        let owned = |pairs: Vec<(String, String)>, field: &str| choices(pairs, q.get(field));
        Filters {
            entities: owned(
                entities
                    .iter()
                    .map(|e| (e.id.to_string(), e.name.clone()))
                    .collect(),
                "entity",
            ),
            categories: owned(
                call.categories
                    .iter()
                    .map(|c| (c.code.as_str().to_owned(), c.name.clone()))
                    .collect(),
                "category",
            ),
            statuses: owned(
                ExpenseStatus::ALL
                    .iter()
                    .map(|s| (s.as_str().to_owned(), s.italian().to_owned()))
                    .collect(),
                "status",
            ),
            sorts: owned(
                SORTS
                    .iter()
                    .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                    .collect(),
                "sort",
            ),
            q: q.get("q").unwrap_or("").to_owned(),
            date_from: q.get("date_from").unwrap_or("").to_owned(),
            date_to: q.get("date_to").unwrap_or("").to_owned(),
        }
    }
}

/// The filtered rows as CSV that Italian Excel opens directly: `;` between fields, decimal comma,
/// dates as dd/mm/yyyy, UTF-8 with a byte-order mark.
pub(super) async fn csv_export(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    query: QueryPairs,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let who = session.actor();
    let q = non_empty(&query);
    let filter = crate::web::expenses::filter(&q)?;
    let sort = crate::web::pagination::sort(&q, ExpenseSortField::NAMES, ExpenseSortField::Id)?;
    let bytes = expenses::export_csv(&app, &who, id, &filter, sort).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"spese-progetto-{id}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
