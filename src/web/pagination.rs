//! `?page=&per_page=&sort=` for every list, and the list envelope.

use serde::Serialize;

use super::error::ApiError;
use super::extract::QueryPairs;
use crate::domain::query::{PageRequest, Sort};

pub const DEFAULT_PER_PAGE: u32 = 50;
pub const MAX_PER_PAGE: u32 = 500;

pub fn page_request(q: &QueryPairs) -> Result<PageRequest, ApiError> {
    let number = |key: &str, default: u32, max: u32| -> Result<u32, ApiError> {
        match q.get(key) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::field(
                        key,
                        "out_of_range",
                        format!("deve essere un intero fra 1 e {max}"),
                    )
                }),
        }
    };
    Ok(PageRequest {
        page: number("page", 1, 1_000_000)?,
        per_page: number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    })
}

/// Parses `sort=field` or `sort=-field` against a whitelist.
pub fn sort<F: Copy>(
    q: &QueryPairs,
    allowed: &[(&str, F)],
    default: F,
) -> Result<Sort<F>, ApiError> {
    let Some(raw) = q.get("sort") else {
        return Ok(Sort {
            field: default,
            descending: false,
        });
    };
    let (descending, name) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    allowed
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, field)| Sort {
            field: *field,
            descending,
        })
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            ApiError::field(
                "sort",
                "unknown_sort",
                format!(
                    "ordinamento non previsto: usare {} (con - per l'ordine inverso)",
                    names.join(", ")
                ),
            )
        })
}

#[derive(Serialize)]
pub struct ListEnvelope<T: Serialize> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T: Serialize> ListEnvelope<T> {
    /// A list that is never paged (the few variations, entities or submissions of a project).
    pub fn whole(items: Vec<T>) -> ListEnvelope<T> {
        let n = items.len();
        ListEnvelope {
            items,
            total: i64::try_from(n).unwrap_or(i64::MAX),
            page: 1,
            per_page: u32::try_from(n).unwrap_or(u32::MAX).max(1),
        }
    }
}

/// A `201 Created` with the resource, its `Location` and, for versioned resources, its `ETag`.
pub fn created<T: Serialize>(
    location: String,
    version: Option<i64>,
    body: T,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = (axum::http::StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = location.parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, value);
    }
    if let Some(v) = version {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, super::extract::etag(v));
    }
    response
}
