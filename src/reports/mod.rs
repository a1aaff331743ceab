//! The submission documents: a report model built once from the project's state as of a date,
//! then written as XLSX and PDF from a template. The same data and date always give the
//! same bytes: dates and metadata come from the as-of date, rows have a stable order.

pub mod columns;
pub mod csv;
pub mod evidence;
pub mod fingerprint;
pub mod heading;
pub mod ics;
pub mod model;
pub mod pdf;
pub mod template;
pub mod xlsx;

/// The one error type of the reports layer.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("modello di documento sconosciuto: «{0}»")]
    UnknownTemplate(String),
    #[error("modello non valido in {file}, {place}: {problem}")]
    BrokenTemplate {
        file: String,
        place: String,
        problem: String,
    },
    #[error("il modello «{template}» non prevede il documento {document}")]
    DocumentNotInTemplate { template: String, document: String },
    #[error("scrittura del foglio di calcolo: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("composizione del PDF: {0}")]
    Pdf(&'static str),
    /// The file being written refused the bytes (a full disk, say).
    #[error("scrittura del documento: {0}")]
    Write(String),
    #[error("scrittura del CSV: {0}")]
    Csv(String),
    #[error("composizione dell'archivio ZIP: {0}")]
    Zip(String),
    /// The documents were being made when the service stopped.
    #[error("composizione interrotta")]
    Interrupted,
}
