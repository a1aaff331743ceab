//! Importers: external formats read into plain records the services turn into expenses. Pure
//! parsing, no database: every input is untrusted, every failure is an error that says why in
//! Italian, and nothing here may panic on any input.

pub mod csv;
mod csv_columns;
pub mod fatturapa;
pub mod signature;
