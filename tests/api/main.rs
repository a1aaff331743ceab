//! Black-box tests of the JSON API over HTTP, each run on SQLite and on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod attachments;
mod bad_input;
mod commitments;
mod concurrency;
mod credit_notes;
mod csv_import;
mod dated_acts;
mod hardening;
mod heading_fields;
mod imports;
mod reconciliation;
mod request_ids;
mod story;
mod summary;
mod ui;
mod ui_commitments;
mod workflow;
