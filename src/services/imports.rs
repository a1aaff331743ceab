//! Importing FatturaPA e-invoices as expenses: a preview of what each file would create, with
//! warnings a person should read (CUP different from the project's, document outside the period,
//! supplier invoice already recorded), then, unless it is a dry run, a batch of files in one
//! transaction with each file all or nothing (a savepoint each). A file already imported creates
//! nothing and says so.

/// The largest FatturaPA file accepted (the body limit of its uploads).
pub use crate::imports::fatturapa::MAX_BYTES as FATTURAPA_MAX_BYTES;
use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{access, projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::attachment::{AttachmentKind, NewAttachment};
use crate::domain::{
    Amounts, CategoryCode, Cig, Cup, Document as Doc, DocumentType, EntityId, Expense, ExpenseData,
    ExpenseId, FieldError, Nature, Payment, Project, ProjectId, TaxId,
};
use crate::imports::fatturapa::{self, Fattura};
use crate::storage::{ExpenseFile, StoreError};

/// What to import into, shared by every file of a batch.
#[derive(Debug, Clone)]
pub struct Target {
    pub project: ProjectId,
    pub entity: EntityId,
    /// Without one the expenses are drafts excluded as `uncategorised` until a category is set.
    pub category: Option<CategoryCode>,
    pub nature: Nature,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedExpense {
    pub supplier_name: String,
    pub supplier_vat: Option<String>,
    pub document_type: &'static str,
    pub number: String,
    pub date: String,
    pub net: String,
    pub vat: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Dry run: what would be created.
    Preview,
    Created,
    /// Every document of the file is already recorded: nothing created.
    Skipped,
    Refused,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub outcome: Outcome,
    /// Why it was refused or skipped, in Italian.
    pub message: Option<String>,
    pub expenses: Vec<PlannedExpense>,
    pub created: Vec<String>,
}

/// Turns one file into the expenses it would create, with warnings; `Err` says why the file is
/// refused.
fn plan(
    target: &Target,
    project: &crate::domain::Project,
    fattura: &Fattura,
    seen: &Seen,
) -> Result<(Vec<ExpenseData>, Vec<PlannedExpense>, usize), ServiceError> {
    let supplier_vat = TaxId::parse(&fattura.supplier_vat).ok();
    let mut data = Vec::new();
    let mut planned = Vec::new();
    let mut already = 0;
    for doc in &fattura.documents {
        let mut warnings = doc.warnings.clone();
        if supplier_vat.is_none() {
            warnings.push(format!(
                "partita IVA del fornitore «{}» non valida: registrata senza",
                fattura.supplier_vat
            ));
        }
        let amounts = Amounts::new(doc.taxable, doc.vat, None).map_err(|_| {
            ServiceError::field(
                "file",
                "zero_total",
                format!("documento {}: totale nullo o negativo", doc.number),
            )
        })?;
        let cup = doc.cups.first().and_then(|c| Cup::parse(c).ok());
        if let (Some(first), None) = (doc.cups.first(), &cup) {
            warnings.push(format!("CUP «{first}» non valido: ignorato"));
        }
        if let (Some(found), Some(own)) = (&cup, &project.data.cup) {
            if found != own {
                warnings.push(format!(
                    "CUP {found} diverso da quello del progetto ({own})"
                ));
            }
        }
        let cig = doc.cigs.first().and_then(|c| Cig::parse(c).ok());
        if let (Some(first), None) = (doc.cigs.first(), &cig) {
            warnings.push(format!("CIG «{first}» non valido: ignorato"));
        }
        if doc.date < project.data.start_date || doc.date > project.data.end_date {
            warnings.push(format!(
                "documento del {} fuori dal periodo del progetto",
                crate::domain::text::italian_date(doc.date)
            ));
        }
        if doc.split_payment {
            warnings.push(
                "scissione dei pagamenti: l'IVA è versata dall'ente ma resta un costo del progetto"
                    .into(),
            );
        }
        let duplicate = seen.documents.contains(&document_key(
            supplier_vat.as_ref(),
            &fattura.supplier_name,
            &doc.number,
            doc.date,
        ));
        if duplicate {
            already += 1;
            warnings.push("fattura del fornitore già registrata in questo progetto".into());
        }
        let kind = if doc.is_credit_note() {
            DocumentType::CreditNote
        } else {
            DocumentType::Invoice
        };
        let corrects = linked_invoice(
            seen,
            doc,
            kind,
            supplier_vat.as_ref(),
            &fattura.supplier_name,
            &mut warnings,
        );
        let description = if doc.description.trim().is_empty() {
            format!("Fattura {} del fornitore", doc.number)
        } else {
            doc.description.chars().take(1000).collect()
        };
        planned.push(PlannedExpense {
            supplier_name: fattura.supplier_name.clone(),
            supplier_vat: supplier_vat.as_ref().map(ToString::to_string),
            document_type: kind.as_str(),
            number: doc.number.clone(),
            date: doc.date.to_string(),
            net: doc.taxable.to_string(),
            vat: doc.vat.to_string(),
            warnings,
        });
        if !duplicate {
            data.push(ExpenseData {
                entity_id: target.entity,
                category: target.category.clone(),
                nature: target.nature,
                document: Doc {
                    supplier_name: fattura.supplier_name.chars().take(300).collect(),
                    supplier_vat: supplier_vat.clone(),
                    kind,
                    number: doc.number.chars().take(100).collect(),
                    date: doc.date,
                },
                description,
                amounts,
                vat_recoverable: false,
                cig,
                cup,
                payment: Payment::default(),
                corrects,
            });
        }
    }
    Ok((data, planned, already))
}

/// Decision 3: the recorded invoice a credit note names (`DatiFattureCollegate`), or a warning that
/// it is not among the project's expenses yet.
fn linked_invoice(
    seen: &Seen,
    doc: &fatturapa::Document,
    kind: DocumentType,
    supplier_vat: Option<&TaxId>,
    supplier_name: &str,
    warnings: &mut Vec<String>,
) -> Option<ExpenseId> {
    let (number, date) = doc.corrects.as_ref()?;
    if kind != DocumentType::CreditNote {
        return None;
    }
    let supplier =
        crate::domain::expense::supplier_identity(supplier_vat.map(|v| v.as_str()), supplier_name);
    let found = seen.invoice(supplier, number, *date);
    if found.is_none() {
        warnings.push(format!(
            "rettifica la fattura {number}, che non è tra le spese del progetto: collegarla a \
             mano quando sarà registrata"
        ));
    }
    found
}

/// What the project already holds: the supplier documents recorded (or planned earlier in the
/// batch) — by VAT number, or by name when the file's VAT number is unusable — and the recorded
/// invoices a credit note may name, by supplier (as parts are tied) and number.
struct Seen {
    documents: HashSet<(String, String, chrono::NaiveDate)>,
    invoices: HashMap<(String, String), Vec<(chrono::NaiveDate, ExpenseId)>>,
}

impl Seen {
    fn of(expenses: &[Expense]) -> Seen {
        let mut seen = Seen {
            documents: HashSet::new(),
            invoices: HashMap::new(),
        };
        for e in expenses {
            let d = &e.data.document;
            seen.documents.insert(document_key(
                d.supplier_vat.as_ref(),
                &d.supplier_name,
                &d.number,
                d.date,
            ));
            if d.kind != DocumentType::CreditNote {
                seen.invoices
                    .entry((e.data.supplier_identity(), d.number.trim().to_owned()))
                    .or_default()
                    .push((d.date, e.id));
            }
        }
        seen
    }

    /// The recorded invoice of this supplier with this number (and date, when the credit note
    /// gives it): the one a credit note corrects.
    fn invoice(
        &self,
        supplier: String,
        number: &str,
        date: Option<chrono::NaiveDate>,
    ) -> Option<ExpenseId> {
        let found = self.invoices.get(&(supplier, number.trim().to_owned()))?;
        found
            .iter()
            .find(|(d, _)| date.map_or(true, |date| *d == date))
            .map(|(_, id)| *id)
    }
}

fn document_key(
    vat: Option<&TaxId>,
    name: &str,
    number: &str,
    date: chrono::NaiveDate,
) -> (String, String, chrono::NaiveDate) {
    let who = vat.map_or_else(|| format!("nome:{name}"), |v| format!("iva:{v}"));
    (who, number.to_owned(), date)
}

/// Imports one file (plain XML or signed `.p7m`).
pub async fn fatturapa(
    app: &App,
    who: &Actor,
    target: &Target,
    file: &str,
    bytes: &[u8],
) -> Result<FileReport, ServiceError> {
    let mut reports =
        fatturapa_batch(app, who, target, vec![(file.to_owned(), bytes.to_vec())]).await?;
    reports
        .pop()
        .ok_or_else(|| ServiceError::Store(crate::storage::StoreError::Corrupt("no report".into())))
}

/// Imports several files in one transaction, each all or nothing: a refused file leaves the
/// others. The same document twice in a batch is created once. One report per file, in order.
pub async fn fatturapa_batch(
    app: &App,
    who: &Actor,
    target: &Target,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<FileReport>, ServiceError> {
    let project = check_target(app, who, target).await?;
    let mut seen = Seen::of(&app.store.all_expenses(target.project).await?);
    let mut steps = Vec::with_capacity(files.len());
    let mut writes: Vec<ExpenseFile> = Vec::new();
    let mut blobs = Vec::new();
    for (name, bytes) in files {
        match prepare(app, target, &project, &name, &bytes, &mut seen)? {
            Prepared::Done(outcome, message, planned) => {
                steps.push(Step::Done(FileReport {
                    file: name,
                    outcome,
                    message,
                    expenses: planned,
                    created: Vec::new(),
                }));
            }
            Prepared::Write(planned, file) => {
                if let Some(evidence) = &file.evidence {
                    blobs.push((evidence.digest.clone(), bytes));
                }
                steps.push(Step::Write {
                    name,
                    planned,
                    index: writes.len(),
                });
                writes.push(file);
            }
        }
    }
    // Every file's bytes are stored, and synced, before any row refers to them.
    app.blobs.put_many(blobs).await?;
    let mut outcomes: Vec<Option<Result<Vec<Expense>, StoreError>>> = Vec::new();
    if !writes.is_empty() {
        let all: Vec<ExpenseData> = writes.iter().flat_map(|w| w.expenses.clone()).collect();
        super::expenses::validate_many(app, who, target.project, all).await?;
        let written = app
            .store
            .insert_expense_files(target.project, &writes, &app.change(who))
            .await?;
        outcomes = written.into_iter().map(Some).collect();
    }
    Ok(steps
        .into_iter()
        .map(|step| match step {
            Step::Done(report) => report,
            Step::Write {
                name,
                planned,
                index,
            } => written_report(
                name,
                planned,
                outcomes.get_mut(index).and_then(Option::take),
            ),
        })
        .collect())
}

/// What became of a file before the database is written: reported already, or to be written
/// (its place among the writes).
enum Step {
    Done(FileReport),
    Write {
        name: String,
        planned: Vec<PlannedExpense>,
        index: usize,
    },
}

/// One file read and planned: refused, previewed or skipped with its message, or to be written
/// with the file itself as the evidence of every expense it creates.
enum Prepared {
    Done(Outcome, Option<String>, Vec<PlannedExpense>),
    Write(Vec<PlannedExpense>, ExpenseFile),
}

/// The project, once `who` may record expenses for the target's entity, a partner of it.
async fn check_target(app: &App, who: &Actor, target: &Target) -> Result<Project, ServiceError> {
    let project = projects::get(app, who, target.project).await?;
    let need = Need::RecordExpense {
        entity: target.entity,
    };
    access::require(app, who, target.project, need).await?;
    let entities = app.store.list_entities(target.project).await?;
    if !entities.iter().any(|e| e.id == target.entity) {
        return Err(ServiceError::field(
            "entity",
            "unknown_entity",
            "l'ente indicato non è un partner di questo progetto",
        ));
    }
    Ok(project)
}

/// Reads and plans one file; the documents it will record join `seen`, so that a second copy in
/// the same batch is skipped.
fn prepare(
    app: &App,
    target: &Target,
    project: &Project,
    name: &str,
    bytes: &[u8],
    seen: &mut Seen,
) -> Result<Prepared, ServiceError> {
    let fattura = match fatturapa::parse(bytes) {
        Ok(f) => f,
        Err(e) => {
            return Ok(Prepared::Done(
                Outcome::Refused,
                Some(e.to_string()),
                Vec::new(),
            ))
        }
    };
    let (data, planned, already) = match plan(target, project, &fattura, seen) {
        Ok(p) => p,
        Err(ServiceError::Invalid(errors)) => {
            let message = Some(FieldError::joined(&errors));
            return Ok(Prepared::Done(Outcome::Refused, message, Vec::new()));
        }
        Err(other) => return Err(other),
    };
    if target.dry_run {
        return Ok(Prepared::Done(Outcome::Preview, None, planned));
    }
    if data.is_empty() {
        let message = match already {
            1 => "già importata: il documento è già registrato, nessuna spesa creata".to_owned(),
            n => format!("già importata: {n} documenti già registrati, nessuna spesa creata"),
        };
        return Ok(Prepared::Done(Outcome::Skipped, Some(message), planned));
    }
    let evidence =
        match NewAttachment::check(AttachmentKind::Invoice, name, bytes, app.max_file_bytes) {
            Ok(e) => e,
            Err(e) => return Ok(Prepared::Done(Outcome::Refused, Some(e.message), planned)),
        };
    for d in &data {
        let doc = &d.document;
        seen.documents.insert(document_key(
            doc.supplier_vat.as_ref(),
            &doc.supplier_name,
            &doc.number,
            doc.date,
        ));
    }
    let file = ExpenseFile {
        expenses: data,
        evidence: Some(evidence),
    };
    Ok(Prepared::Write(planned, file))
}

/// The report of a file that was to be written, from what its write did.
fn written_report(
    name: String,
    planned: Vec<PlannedExpense>,
    result: Option<Result<Vec<Expense>, StoreError>>,
) -> FileReport {
    let (outcome, message, created) = match result {
        Some(Ok(created)) => (
            Outcome::Created,
            None,
            created.iter().map(|e| e.id.to_string()).collect(),
        ),
        // Recorded meanwhile by another import: nothing of this file was written.
        Some(Err(StoreError::Duplicate(_))) => (
            Outcome::Skipped,
            Some(
                "già importata: documento registrato nel frattempo da un'altra importazione, \
                 nessuna spesa creata"
                    .into(),
            ),
            Vec::new(),
        ),
        Some(Err(e)) => {
            let message = match ServiceError::from(e) {
                ServiceError::Conflict { message, .. } => message,
                other => other.to_string(),
            };
            (Outcome::Refused, Some(message), Vec::new())
        }
        None => (Outcome::Refused, Some("non scritto".into()), Vec::new()),
    };
    FileReport {
        file: name,
        outcome,
        message,
        expenses: planned,
        created,
    }
}

/// The project's entities, if `who` may record expenses for at least one of them (a file import
/// is refused before it is read otherwise).
pub async fn recordable_entities(
    app: &App,
    who: &Actor,
    project: crate::domain::ProjectId,
) -> Result<Vec<crate::domain::Entity>, ServiceError> {
    let entities = projects::entities(app, who, project).await?;
    let membership = access::membership(app, who, project).await?;
    let mut refusal = None;
    for entity in &entities {
        let need = Need::RecordExpense { entity: entity.id };
        match crate::domain::access::permits(who, membership.as_ref(), need) {
            Ok(()) => return Ok(entities),
            Err(denied) => refusal = refusal.or(Some(denied.0)),
        }
    }
    Err(ServiceError::Forbidden(refusal.unwrap_or_else(|| {
        "il progetto non ha enti per cui registrare spese".into()
    })))
}
