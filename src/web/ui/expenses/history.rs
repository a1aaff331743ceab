//! An expense's history as its page lists it: when (Italian time), who, what, and the note a
//! step carried (a rejection's reason, an unlock's justification).

use serde::Serialize;
use serde_json::Value;

use crate::domain::audit::{AuditAction, Entry};
use crate::domain::text::italian_date;

#[derive(Serialize)]
pub(super) struct HistoryRow {
    at: String,
    actor: String,
    action: &'static str,
    note: Option<String>,
}

pub(super) fn history_rows(entries: &[Entry]) -> Vec<HistoryRow> {
    entries
        .iter()
        .map(|e| HistoryRow {
            at: format!(
                "{} {}",
                italian_date(e.at.with_timezone(&chrono_tz::Europe::Rome).date_naive()),
                e.at.with_timezone(&chrono_tz::Europe::Rome).format("%H:%M")
            ),
            actor: e.actor.clone(),
            // An action the trail knows nothing of (from a later version) reads as a change.
            action: AuditAction::parse(&e.action)
                .and_then(AuditAction::expense_italian)
                .unwrap_or("modificata"),
            note: e
                .after
                .as_deref()
                .and_then(|a| serde_json::from_str::<Value>(a).ok())
                .and_then(|v| v.get("note").and_then(Value::as_str).map(str::to_owned)),
        })
        .collect()
}
