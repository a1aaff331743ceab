//! Importing FatturaPA e-invoices as expenses: a preview of what each file would create, with
//! warnings a person should read (CUP different from the project's, document outside the period,
//! supplier invoice already recorded), then, unless it is a dry run, each file's documents in one
//! transaction: all or nothing per file. A file already imported creates nothing and says so.

use serde::Serialize;

use super::{access, attachments, projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::attachment::AttachmentKind;
use crate::domain::{
    Amounts, CategoryCode, Cig, Cup, Document as Doc, DocumentType, EntityId, ExpenseData, Nature,
    Payment, ProjectId, TaxId,
};
use crate::imports::fatturapa::{self, Fattura};

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
async fn plan(
    app: &App,
    target: &Target,
    project: &crate::domain::Project,
    fattura: &Fattura,
) -> Result<(Vec<ExpenseData>, Vec<PlannedExpense>, usize), ServiceError> {
    let existing = app.store.all_expenses(target.project).await?;
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
        // The same supplier document: by VAT number, or by name when the file's is unusable.
        let duplicate = existing.iter().any(|e| {
            e.data.document.number == doc.number
                && e.data.document.date == doc.date
                && e.data.document.supplier_vat == supplier_vat
                && (supplier_vat.is_some()
                    || e.data.document.supplier_name == fattura.supplier_name)
        });
        if duplicate {
            already += 1;
            warnings.push("fattura del fornitore già registrata in questo progetto".into());
        }
        let kind = if doc.is_credit_note() {
            DocumentType::CreditNote
        } else {
            DocumentType::Invoice
        };
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
            });
        }
    }
    Ok((data, planned, already))
}

/// Imports one file (plain XML or signed `.p7m`).
pub async fn fatturapa(
    app: &App,
    who: &Actor,
    target: &Target,
    file: &str,
    bytes: &[u8],
) -> Result<FileReport, ServiceError> {
    let project = projects::get(app, who, target.project).await?;
    access::require(
        app,
        who,
        target.project,
        Need::RecordExpense {
            entity: target.entity,
        },
    )
    .await?;
    if !app
        .store
        .list_entities(target.project)
        .await?
        .iter()
        .any(|e| e.id == target.entity)
    {
        return Err(ServiceError::field(
            "entity",
            "unknown_entity",
            "l'ente indicato non è un partner di questo progetto",
        ));
    }
    let report = |outcome, message: Option<String>, expenses, created| FileReport {
        file: file.to_owned(),
        outcome,
        message,
        expenses,
        created,
    };
    let fattura = match fatturapa::parse(bytes) {
        Ok(f) => f,
        Err(e) => {
            return Ok(report(
                Outcome::Refused,
                Some(e.to_string()),
                Vec::new(),
                Vec::new(),
            ))
        }
    };
    let (data, planned, already) = match plan(app, target, &project, &fattura).await {
        Ok(p) => p,
        Err(ServiceError::Invalid(errors)) => {
            let message = errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; ");
            return Ok(report(
                Outcome::Refused,
                Some(message),
                Vec::new(),
                Vec::new(),
            ));
        }
        Err(other) => return Err(other),
    };
    if target.dry_run {
        return Ok(report(Outcome::Preview, None, planned, Vec::new()));
    }
    if data.is_empty() {
        let message =
            format!("già importata: {already} documenti già registrati, nessuna spesa creata");
        return Ok(report(Outcome::Skipped, Some(message), planned, Vec::new()));
    }
    // The original file becomes the evidence of every expense it creates.
    let evidence =
        match attachments::store_file(app, AttachmentKind::Invoice, file, bytes.to_vec()).await {
            Ok(evidence) => evidence,
            Err(ServiceError::Invalid(errors)) => {
                let message = errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; ");
                return Ok(report(Outcome::Refused, Some(message), planned, Vec::new()));
            }
            Err(other) => return Err(other),
        };
    match super::expenses::create_many(app, who, target.project, data, Some(&evidence)).await {
        Ok(created) => Ok(report(
            Outcome::Created,
            None,
            planned,
            created.iter().map(|e| e.id.to_string()).collect(),
        )),
        Err(ServiceError::Invalid(errors)) => {
            let message = errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            Ok(report(Outcome::Refused, Some(message), planned, Vec::new()))
        }
        Err(ServiceError::Conflict { message, .. }) => {
            Ok(report(Outcome::Refused, Some(message), planned, Vec::new()))
        }
        Err(other) => Err(other),
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
