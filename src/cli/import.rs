//! `import fatturapa`: a folder of e-invoices at once, with progress and a summary; `import csv`:
//! an expense spreadsheet, all rows or none, as the API and the workspace import it.

use clap::Subcommand;

use super::{describe, project_id, Outcome};
use crate::domain::access::Actor;
use crate::domain::{CategoryCode, Nature};
use crate::services::csv_import::{self, CsvOutcome};
use crate::services::imports::{self, Outcome as FileOutcome, Target};
use crate::services::App;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// FatturaPA files (plain XML or signed .p7m, binary or Base64); a folder imports its files.
    Fatturapa {
        #[arg(long)]
        project: String,
        #[arg(long)]
        entity: String,
        /// One of the call's categories; without it the expenses wait, excluded, for one.
        #[arg(long)]
        category: Option<String>,
        #[arg(long, default_value = "current")]
        nature: String,
        /// Shows what would be created and writes nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// An expense spreadsheet (CSV with Italian headers: Fornitore, Partita IVA, Numero fattura,
    /// Data fattura, Imponibile, IVA, Ente, Categoria…): every row created, or none when any is
    /// wrong, each row's errors listed.
    Csv {
        #[arg(long)]
        project: String,
        /// The entity (id or name) of rows without an Ente column.
        #[arg(long)]
        entity: Option<String>,
        /// Another header for a field, as FIELD=Header (e.g. supplier_name=Ragione sociale).
        #[arg(long = "map", value_name = "FIELD=HEADER")]
        map: Vec<String>,
        /// Checks every row and writes nothing.
        #[arg(long)]
        dry_run: bool,
        file: std::path::PathBuf,
    },
}

/// `import csv`: the service's report, printed row by row.
async fn csv(
    app: &App,
    project: &str,
    entity: Option<String>,
    map: &[String],
    dry_run: bool,
    file: &std::path::Path,
) -> Result<Outcome, String> {
    let mut mapping = csv_import::Mapping::default();
    for pair in map {
        let (field, header) = pair
            .split_once('=')
            .ok_or_else(|| format!("--map {pair}: usare CAMPO=Intestazione"))?;
        mapping
            .0
            .insert(field.trim().to_owned(), header.trim().to_owned());
    }
    let options = csv_import::Options {
        mapping,
        entity,
        dry_run,
    };
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let report = csv_import::run(app, &Actor::cli(), project_id(project)?, &bytes, &options)
        .await
        .map_err(|e| describe(e, project))?;
    for e in &report.errors {
        println!("riga {}: {}", e.row, e.message);
    }
    let (word, outcome) = match report.outcome {
        CsvOutcome::Created => ("importate", Outcome::Ok),
        CsvOutcome::Preview if report.errors.is_empty() => {
            ("controllate (prova senza scrivere nulla)", Outcome::Ok)
        }
        CsvOutcome::Preview => (
            "controllate, con errori (nulla è stato scritto)",
            Outcome::Attention,
        ),
        CsvOutcome::Refused => ("rifiutate: nessuna spesa creata", Outcome::Attention),
    };
    println!(
        "{}: {} righe {word}; {} spese create",
        file.display(),
        report.rows,
        report.created.len()
    );
    Ok(outcome)
}

/// The files named, a folder standing for the files in it (sorted, so runs are repeatable).
fn expand(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file())
                .collect();
            inside.sort();
            out.extend(inside);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Files per transaction.
const BATCH: usize = 250;

pub async fn run(command: ImportCommand, app: &App) -> Result<Outcome, String> {
    let (project, entity, category, nature, dry_run, files) = match command {
        ImportCommand::Csv {
            project,
            entity,
            map,
            dry_run,
            file,
        } => return csv(app, &project, entity, &map, dry_run, &file).await,
        ImportCommand::Fatturapa {
            project,
            entity,
            category,
            nature,
            dry_run,
            files,
        } => (project, entity, category, nature, dry_run, files),
    };
    let target = Target {
        project: project_id(&project)?,
        entity: entity
            .parse()
            .map_err(|()| format!("--entity {entity}: identificativo non valido"))?,
        category: category
            .map(|c| {
                CategoryCode::parse(&c).ok_or_else(|| format!("--category {c}: codice non valido"))
            })
            .transpose()?,
        nature: Nature::parse(&nature)
            .ok_or_else(|| format!("--nature {nature}: usare current oppure capital"))?,
        dry_run,
    };
    let files = expand(&files)?;
    let operator = Actor::cli();
    let (mut created, mut skipped, mut refused, mut expenses) = (0, 0, 0, 0);
    let mut done = 0;
    // A batch of files shares one transaction (each file all or nothing within it): one commit,
    // one sync, for many files.
    for chunk in files.chunks(BATCH) {
        let mut batch = Vec::with_capacity(chunk.len());
        for path in chunk {
            let name = path.display().to_string();
            match std::fs::read(path) {
                Ok(bytes) => batch.push((name, bytes)),
                Err(e) => {
                    refused += 1;
                    done += 1;
                    println!("[{done}/{}] {name}: RIFIUTATO – {e}", files.len());
                }
            }
        }
        let reports = imports::fatturapa_batch(app, &operator, &target, batch)
            .await
            .map_err(|e| describe(e, &project))?;
        for outcome in reports {
            done += 1;
            let name = &outcome.file;
            let word = match outcome.outcome {
                FileOutcome::Preview => "anteprima",
                FileOutcome::Created => {
                    created += 1;
                    expenses += outcome.created.len();
                    "importato"
                }
                FileOutcome::Skipped => {
                    skipped += 1;
                    "saltato"
                }
                FileOutcome::Refused => {
                    refused += 1;
                    "RIFIUTATO"
                }
            };
            println!(
                "[{done}/{}] {name}: {word}{}",
                files.len(),
                outcome
                    .message
                    .as_deref()
                    .map(|m| format!(" – {m}"))
                    .unwrap_or_default()
            );
            for e in &outcome.expenses {
                println!(
                    "    {} {} del {}: imponibile {} IVA {}{}",
                    e.supplier_name,
                    e.number,
                    e.date,
                    e.net,
                    e.vat,
                    if e.warnings.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", e.warnings.join("; "))
                    }
                );
            }
        }
        eprintln!(
            "{done}/{} file: {created} importati, {skipped} saltati, {refused} rifiutati",
            files.len()
        );
    }
    println!(
        "{} file: {created} importati ({expenses} spese create), {skipped} saltati, {refused} rifiutati{}",
        files.len(),
        if dry_run { " – prova senza scrivere nulla" } else { "" }
    );
    Ok(if refused > 0 {
        Outcome::Attention
    } else {
        Outcome::Ok
    })
}
