//! `reconcile`: the accounting system's payments export matched to a project's expenses from the
//! command line, so that a nightly export can be applied by a scheduled job. Prints what matched,
//! what did not and why, and the expenses still without payment.

use super::{describe, project_id, Outcome};
use crate::domain::access::Actor;
use crate::domain::text::{italian_amount_of, italian_date_of};
use crate::imports::csv::Mapping;
use crate::services::reconciliation::{self, DocumentView};
use crate::services::App;

#[derive(clap::Args)]
pub struct ReconcileArgs {
    #[arg(long)]
    project: String,
    /// Shows what would be recorded and writes nothing.
    #[arg(long)]
    dry_run: bool,
    /// `FIELD=Header`: the export's header for a field (e.g. `payment_order_number=Mandato n.`).
    #[arg(long = "map", value_name = "FIELD=Header")]
    map: Vec<String>,
    /// The payments export (CSV: `Numero mandato`, `Data mandato`, `Partita IVA`,
    /// `Numero fattura`, `Importo`, optionally `Data pagamento`).
    file: std::path::PathBuf,
}

/// Exit 1 when some payment matched nothing or some line was unreadable: a scheduled job should
/// tell someone. Payments recorded by an earlier run are not news: the same export can be applied
/// again every night.
pub async fn run(args: ReconcileArgs, app: &App) -> Result<Outcome, String> {
    let project = project_id(&args.project)?;
    let mut mapping = Mapping::default();
    for pair in &args.map {
        let (field, header) = pair
            .split_once('=')
            .filter(|(f, h)| !f.trim().is_empty() && !h.trim().is_empty())
            .ok_or_else(|| format!("--map {pair}: usare CAMPO=Intestazione"))?;
        mapping
            .0
            .insert(field.trim().to_owned(), header.trim().to_owned());
    }
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let report = reconciliation::run(app, &Actor::cli(), project, &bytes, &mapping, args.dry_run)
        .await
        .map_err(|e| describe(e, &args.project))?;

    let document = |d: &DocumentView| {
        format!(
            "riga {}: mandato {} – P.IVA {} fattura {} – pagato {}",
            d.rows
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            d.payment_order_number,
            d.supplier_vat,
            d.document_number,
            italian_amount_of(&d.paid),
        )
    };
    println!("Pagamenti abbinati ({}):", report.matched.len());
    for d in &report.matched {
        println!(
            "  {} → spese {}{}",
            document(d),
            d.expenses.join(", "),
            if d.message.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.message)
            }
        );
    }
    println!(
        "Pagamenti non abbinati ({}):",
        report.unmatched_payments.len()
    );
    for d in &report.unmatched_payments {
        println!("  {} – {} [{}]", document(d), d.message, d.outcome);
    }
    if !report.errors.is_empty() {
        println!("Righe illeggibili ({}):", report.errors.len());
        for e in &report.errors {
            println!("  riga {}, {}: {}", e.row, e.field, e.message);
        }
    }
    println!("Spese senza pagamento ({}):", report.unpaid_expenses.len());
    for e in &report.unpaid_expenses {
        println!(
            "  spesa {}: {} {} del {} – {}",
            e.id,
            e.supplier_name,
            e.document_number,
            italian_date_of(&e.document_date),
            italian_amount_of(&e.total)
        );
    }
    println!(
        "{} righe lette: {} pagamenti abbinati, {}{} non abbinati, {} righe illeggibili",
        report.lines,
        report.matched.len(),
        if args.dry_run {
            "nulla scritto (prova), ".to_owned()
        } else {
            format!("{} spese aggiornate, ", report.updated.len())
        },
        report.unmatched_payments.len(),
        report.errors.len()
    );
    let news = report
        .unmatched_payments
        .iter()
        .any(|d| d.outcome != "already_reconciled");
    Ok(if news || !report.errors.is_empty() {
        Outcome::Attention
    } else {
        Outcome::Ok
    })
}
