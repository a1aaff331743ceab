//! rendiconta: the reporting of co-funded projects of Italian public bodies, from the first invoice
//! to the submission to the Region.
//!
//! Layers, with dependencies pointing inwards: [`web`] (HTTP) → [`services`] (use cases) →
//! [`domain`] (pure rules and types) ← [`storage`] (SQLite and PostgreSQL);
//! [`reports`] lays the documents out. [`cli`] drives the same
//! services from the command line.

pub mod cli;
pub mod domain;
pub mod imports;
pub mod reports;
pub mod services;
pub mod storage;
pub mod web;
