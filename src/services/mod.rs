//! Application services: the use cases (record a call, a project, an expense...) that the web API,
//! the CLI and the demo loader share. They check what needs the database (does this entity belong
//! to the project? is this category one of the call's?) and translate storage errors into
//! [`ServiceError`], the one error type of this layer.

pub mod access;
pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod backup;
pub mod calls;
pub mod commitments;
pub mod commitments_import;
pub mod csv_import;
pub mod demo;
pub mod evidence;
pub mod expenses;
pub mod funding;
pub mod gc;
pub mod health;
pub mod imports;
pub mod narrative;
pub mod password_gate;
pub mod portfolio;
pub mod projects;
pub mod reconciliation;
pub mod reports;
pub mod signed_copies;
pub mod summary;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::access::Actor;
use crate::domain::{ExpenseId, FieldError};
use crate::storage::blobs::DynBlobs;
pub use crate::storage::Outage;
/// The database pool's and write queue's use, which the web layer's metrics read.
pub use crate::storage::Usage as StoreUsage;
use crate::storage::{Change, DynStore, StoreError};
use password_gate::PasswordGate;

/// Where "now" comes from: injected so tests and documents can fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The date in Italy (Europe/Rome), not UTC: at 00:30 on 1 February in Italy it is already
    /// 1 February (`domain.md`, decision 7).
    fn today(&self) -> NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Europe::Rome)
            .date_naive()
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks a rule; every broken field is listed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The resource changed since the caller read it.
    #[error("stale version")]
    Stale,
    /// A change that must name the version it was made from (`If-Match`) did not.
    #[error("version required")]
    VersionRequired,
    /// The request is valid but conflicts with the state of other data.
    #[error("conflict: {code}")]
    Conflict {
        code: &'static str,
        message: String,
        related: Vec<ExpenseId>,
    },
    /// A well-formed request whose content cannot be accepted as it is (a signed file that does
    /// not sign the submitted document): the code and the reason, in Italian.
    #[error("unprocessable: {code}")]
    Unprocessable { code: &'static str, message: String },
    /// The caller is known but may not do this; the message says why, in Italian.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Wrong email or password (never says which).
    #[error("bad credentials")]
    BadCredentials,
    /// Too many failed sign-ins for this account: try again after this many seconds.
    #[error("throttled")]
    Throttled(u64),
    /// The server is saturated (password hashing): try again after this many seconds.
    #[error("busy")]
    Busy(u64),
    /// The database cannot take the request now (a full disk, a server down); nothing was written.
    #[error("database outage ({0:?}): {1}")]
    Outage(Outage, String),
    #[error(transparent)]
    Store(StoreError),
    /// A report template that does not load: the message names the file, the place and the problem
    /// (for the officer who edited it).
    #[error("broken template: {0}")]
    BrokenTemplate(String),
    #[error(transparent)]
    Report(crate::reports::ReportError),
}

/// A template asked for that does not exist or lacks the document is the caller's mistake (a field
/// error on `template`); a broken template is the installation's; anything else a failure.
impl From<crate::reports::ReportError> for ServiceError {
    fn from(e: crate::reports::ReportError) -> ServiceError {
        use crate::reports::ReportError;
        let template = |code: &str, message: String| {
            ServiceError::Invalid(vec![FieldError {
                field: "template".into(),
                code: code.into(),
                message,
            }])
        };
        match e {
            ReportError::UnknownTemplate(name) => template(
                "unknown_template",
                format!("modello di documento sconosciuto: «{name}»"),
            ),
            ReportError::DocumentNotInTemplate {
                template: t,
                document,
            } => template(
                "document_not_in_template",
                format!("il modello «{t}» non prevede {document}"),
            ),
            broken @ ReportError::BrokenTemplate { .. } => {
                ServiceError::BrokenTemplate(broken.to_string())
            }
            other => ServiceError::Report(other),
        }
    }
}

impl ServiceError {
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<Vec<FieldError>> for ServiceError {
    fn from(errors: Vec<FieldError>) -> ServiceError {
        ServiceError::Invalid(errors)
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> ServiceError {
        match error {
            StoreError::NotFound => ServiceError::NotFound("risorsa"),
            StoreError::VersionMismatch => ServiceError::Stale,
            StoreError::Duplicate(what) => ServiceError::Conflict {
                code: "duplicate",
                message: format!("esiste già un elemento con lo stesso valore ({what})"),
                related: Vec::new(),
            },
            StoreError::DocumentTotalMismatch { first, total } => ServiceError::Conflict {
                code: "document_total_mismatch",
                message: format!(
                    "lo stesso documento del fornitore è già registrato nella spesa {first} con \
                     totale {}: ogni parte deve indicare lo stesso totale del documento",
                    total.italian()
                ),
                related: vec![first],
            },
            StoreError::DocumentOverclaimed {
                others,
                already_claimed,
            } => {
                let ids: Vec<String> = others.iter().map(ToString::to_string).collect();
                ServiceError::Conflict {
                    code: "document_overclaimed",
                    message: format!(
                        "lo stesso documento del fornitore è già rendicontato per {} nelle spese {}: \
                         insieme le parti supererebbero il totale del documento",
                        already_claimed.italian(),
                        ids.join(", ")
                    ),
                    related: others,
                }
            }
            StoreError::InUse(count) => ServiceError::Conflict {
                code: "commitment_in_use",
                message: format!(
                    "{count} spese attingono a questo impegno: collegarle a un altro impegno (o a nessuno) \
                     prima di eliminarlo"
                ),
                related: Vec::new(),
            },
            StoreError::Submitted(submission) => ServiceError::Conflict {
                code: "expense_submitted",
                message: format!(
                    "la spesa fa parte della rendicontazione {submission} già presentata: non si può eliminare, \
                     solo correggere dopo lo sblocco (la correzione comparirà come rettifica nella prossima)"
                ),
                related: Vec::new(),
            },
            StoreError::InEvidence(submission) => ServiceError::Conflict {
                code: "evidence_submitted",
                message: format!(
                    "il documento fa parte delle evidenze della rendicontazione {submission} già \
                     presentata: non si può eliminare (si può allegare un documento che lo integra)"
                ),
                related: Vec::new(),
            },
            StoreError::Refused(why) => ServiceError::Conflict {
                code: "invalid_transition",
                message: why.into(),
                related: Vec::new(),
            },
            other => match other.outage() {
                Some(outage) => ServiceError::Outage(outage, other.to_string()),
                None => ServiceError::Store(other),
            },
        }
    }
}

/// The application: storage, file store and clock, shared by every request.
#[derive(Clone)]
pub struct App {
    pub store: DynStore,
    /// The bytes of attachments, by SHA-256.
    pub blobs: DynBlobs,
    pub clock: Arc<dyn Clock>,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The largest attachment or imported file accepted, in bytes.
    pub max_file_bytes: usize,
    /// Bounds concurrent password hashing (sign-ins, password changes).
    pub passwords: Arc<PasswordGate>,
}

impl App {
    pub fn new(store: DynStore, blobs: DynBlobs) -> App {
        App {
            store,
            blobs,
            clock: Arc::new(SystemClock),
            secure_cookies: false,
            max_file_bytes: crate::domain::attachment::DEFAULT_MAX_BYTES,
            passwords: Arc::new(PasswordGate::for_this_machine()),
        }
    }

    /// A change made now by `who`, for the audit trail.
    pub fn change(&self, who: &Actor) -> Change {
        Change {
            actor: who.clone(),
            now: self.clock.now(),
        }
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    struct At(DateTime<Utc>);

    impl Clock for At {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    fn at(s: &str) -> At {
        At(s.parse().expect("instant"))
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn today_is_the_date_in_italy() {
        // 23:30 UTC on 31 January is 00:30 on 1 February in Rome (CET, UTC+1).
        assert_eq!(at("2021-01-31T23:30:00Z").today(), date("2021-02-01"));
        assert_eq!(at("2021-01-31T22:59:59Z").today(), date("2021-01-31"));
        // In summer (CEST, UTC+2) the day begins at 22:00 UTC.
        assert_eq!(at("2021-06-30T22:00:00Z").today(), date("2021-07-01"));
        assert_eq!(at("2021-06-30T21:59:59Z").today(), date("2021-06-30"));
    }
}
