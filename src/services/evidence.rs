//! A submission's evidence: the pack it froze when it was made (its documents and the files of the
//! expenses it counted, as they were then — the same bytes for ever), and its integrazioni, the
//! files attached since to those expenses, which the Region often asks for and the next
//! submission takes into its own pack.

use std::collections::HashMap;

use super::reports::{find_submission, make, submission_file, Kind, Order};
use super::{App, ServiceError};
use crate::domain::access::Actor;
use crate::domain::attachment::Attachment;
use crate::domain::submission::Submission;
use crate::domain::{ExpenseId, ProjectId};
use crate::reports::evidence::{self, EvidencePack, PackKind};
use crate::reports::ReportError;
use crate::storage::StoreError;

/// A document written to an unnamed temporary file (gone when dropped): the evidence pack, which
/// may hold hundreds of megabytes of evidence, is never whole in memory.
pub struct SpooledDocument {
    pub file: std::fs::File,
    pub len: u64,
    pub fingerprint: String,
    pub file_name: String,
}

/// The evidence pack of a submission: its documents, and each claimed expense's files under its
/// row number in the rendiconto, with an index (see [`crate::reports::evidence`]). The files are
/// those the submission froze; written to a temporary file one entry at a time, each read from
/// the store when its turn comes.
pub async fn evidence_pack(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<SpooledDocument, ServiceError> {
    let submitted = find_submission(app, who, project, id).await?;
    let files = app.store.submission_evidence(project, id).await?;
    let spooled = spool(app, who, project, submitted, PackKind::Evidence, files).await?;
    Ok(SpooledDocument {
        file_name: format!("evidenze-rendicontazione-{id}.zip"),
        ..spooled
    })
}

/// The integrazioni of a submission: files attached since to the expenses it counted, with who
/// added them and when, in the order they came.
pub async fn integrazioni(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<Vec<Attachment>, ServiceError> {
    find_submission(app, who, project, id).await?;
    Ok(app.store.integrazioni(project, id).await?)
}

/// The integrazioni of each of the project's submissions, newest submission first, with the
/// submissions themselves (for the *Documenti* page: the rights checked and the list read once).
pub async fn submissions_with_integrazioni(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<(Submission, Vec<Attachment>)>, ServiceError> {
    let list = super::reports::submissions(app, who, project).await?;
    let mut out = Vec::with_capacity(list.len());
    for s in list.into_iter().rev() {
        let added = app.store.integrazioni(project, s.id).await?;
        out.push((s, added));
    }
    Ok(out)
}

/// The integrazioni as a pack of their own: each file in its expense's folder, named
/// `integrazione_<kind>_<file name>`, with an index saying who added it and when.
pub async fn integrazioni_pack(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<SpooledDocument, ServiceError> {
    let submitted = find_submission(app, who, project, id).await?;
    let files = app.store.integrazioni(project, id).await?;
    let spooled = spool(app, who, project, submitted, PackKind::Integrazioni, files).await?;
    Ok(SpooledDocument {
        file_name: format!("integrazioni-rendicontazione-{id}.zip"),
        ..spooled
    })
}

/// Makes a pack of `files`, under the rows the submission's rendiconto gives their expenses.
async fn spool(
    app: &App,
    who: &Actor,
    project: ProjectId,
    (submitted, number): (Submission, usize),
    kind: PackKind,
    files: Vec<Attachment>,
) -> Result<SpooledDocument, ServiceError> {
    let id = submitted.id;
    let made = make(
        app,
        who,
        project,
        Order::as_submitted(&submitted, number, &[]),
    )
    .await?;
    let mut by_expense: HashMap<ExpenseId, Vec<Attachment>> = HashMap::new();
    for attachment in files {
        by_expense
            .entry(attachment.expense_id)
            .or_default()
            .push(attachment);
    }
    let mut rows = Vec::with_capacity(made.lines.len());
    for line in made.lines {
        let files = by_expense.remove(&line.expense.id).unwrap_or_default();
        // The integrazioni list only the expenses that have some.
        if kind == PackKind::Integrazioni && files.is_empty() {
            continue;
        }
        let mut listed = Vec::with_capacity(files.len());
        for attachment in files {
            let present = app.blobs.contains(&attachment.digest).await?;
            listed.push((attachment, present));
        }
        rows.push(evidence::EvidenceRow {
            row: line.row,
            entity: line.entity,
            category: line.category,
            expense: line.expense,
            files: listed,
        });
    }
    let project_data = super::projects::get(app, who, project).await?;
    // The signed copies go with the documents they sign (the evidence itself stays frozen).
    let signed = match kind {
        PackKind::Evidence => app.store.signed_copies(project, Some(id)).await?,
        PackKind::Integrazioni => Vec::new(),
    };
    let pack = EvidencePack {
        kind,
        project_title: &project_data.data.title,
        submission: id,
        as_of: submitted.as_of,
        fingerprint: &made.fingerprint,
        signed: signed.iter().map(|c| c.file_name()).collect(),
        rows,
    };
    let spool = tempfile::tempfile().map_err(|e| ReportError::Zip(e.to_string()))?;
    let mut writer = evidence::PackWriter::start(spool, &pack)?;
    if kind == PackKind::Evidence {
        // Every submitted document: the rendiconto for signature, its workbook, the final report.
        for kind in [Kind::Pdf, Kind::Xlsx, Kind::Relazione] {
            let bytes = submission_file(app, who, project, id, kind).await?;
            writer = add_entry(writer, kind.file().to_owned(), bytes).await?;
        }
        for copy in &signed {
            let bytes = app.blobs.get(&copy.digest).await?.ok_or_else(|| {
                StoreError::Files(format!("manca la copia firmata {}", copy.digest))
            })?;
            writer = add_entry(writer, copy.file_name(), bytes).await?;
        }
    }
    for (name, attachment) in pack.entries() {
        let bytes = app.blobs.get(&attachment.digest).await?.ok_or_else(|| {
            StoreError::Files(format!(
                "il file {} è stato tolto dall'archivio durante la preparazione",
                attachment.digest
            ))
        })?;
        writer = add_entry(writer, name, bytes).await?;
    }
    let mut file = tokio::task::spawn_blocking(move || writer.finish())
        .await
        .map_err(|_| ReportError::Interrupted)??;
    let len = std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))
        .and_then(|len| std::io::Seek::rewind(&mut file).map(|()| len))
        .map_err(|e| ReportError::Zip(e.to_string()))?;
    Ok(SpooledDocument {
        file,
        len,
        fingerprint: made.fingerprint,
        file_name: String::new(),
    })
}

type PackWriter = evidence::PackWriter<std::fs::File>;

/// Compresses and writes one entry off the async workers (an evidence file may be 20 MB).
async fn add_entry(
    mut writer: PackWriter,
    name: String,
    bytes: Vec<u8>,
) -> Result<PackWriter, ReportError> {
    tokio::task::spawn_blocking(move || writer.add(&name, &bytes).map(|()| writer))
        .await
        .map_err(|_| ReportError::Interrupted)?
}
