//! Building the submission documents of a project as of a date.

use chrono::NaiveDate;

use super::summary::{snapshot, snapshot_as_submitted};
use super::{App, ServiceError};
use crate::domain::rules::Scope;
use crate::domain::submission::{NewSubmission, Submission, SubmittedFile};
use crate::domain::Signatory;
use crate::domain::{Call, ExpenseId, ProjectId};
use crate::reports::model::ReportModel;
use crate::reports::template::{templates_dir, Template};
use crate::reports::{pdf, xlsx, ReportError};

/// A document made for download.
pub struct Document {
    pub bytes: Vec<u8>,
    pub fingerprint: String,
    pub file_name: String,
}

/// The template a call uses unless one is asked for: the ER 2020 one for the Region's calls.
pub fn default_template(call: &Call) -> &'static str {
    if call.funder.to_lowercase().contains("emilia-romagna") {
        "er-smart-working-2020"
    } else {
        "generic"
    }
}

/// The documents of the rendiconto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xlsx,
    Pdf,
    /// The final activity report.
    Relazione,
}

impl Kind {
    pub fn file(self) -> &'static str {
        match self {
            Kind::Xlsx => "rendiconto.xlsx",
            Kind::Pdf => "rendiconto.pdf",
            Kind::Relazione => "relazione.pdf",
        }
    }
}

pub async fn rendiconto(
    app: &App,
    project: ProjectId,
    kind: Kind,
    as_of: Option<NaiveDate>,
    template: Option<&str>,
) -> Result<Document, ServiceError> {
    let made = make(
        app,
        project,
        &[kind],
        as_of,
        template,
        &Signatory::default(),
        false,
    )
    .await?;
    let (stem, ext) = kind.file().split_once('.').unwrap_or((kind.file(), ""));
    Ok(Document {
        bytes: made.files.into_iter().next().unwrap_or_default(),
        fingerprint: made.fingerprint,
        file_name: format!("{stem}-progetto-{}-{}.{ext}", project, made.as_of),
    })
}

/// Documents made from one snapshot.
struct Made {
    files: Vec<Vec<u8>>,
    fingerprint: String,
    as_of: NaiveDate,
    template: String,
    signatory: Signatory,
    contribution_due: crate::domain::Money,
    counted: Vec<ExpenseId>,
}

/// Makes the `kinds` of documents from one snapshot; `signatory` overrides the project's settings.
async fn make(
    app: &App,
    project: ProjectId,
    kinds: &[Kind],
    as_of: Option<NaiveDate>,
    template: Option<&str>,
    signatory: &Signatory,
    as_submitted: bool,
) -> Result<Made, ServiceError> {
    let snap = if as_submitted {
        snapshot_as_submitted(app, project, as_of).await?
    } else {
        snapshot(app, project, as_of, Scope::All).await?
    };
    let key = template.unwrap_or_else(|| default_template(&snap.call));
    let template = Template::load(&templates_dir(), key)?;
    for kind in kinds {
        if !template.documents.iter().any(|d| d == kind.file()) {
            return Err(ReportError::DocumentNotInTemplate {
                template: key.to_owned(),
                document: kind.file().into(),
            }
            .into());
        }
    }
    let signatory = snap.project.data.signatory.overridden_by(signatory);
    let model = ReportModel::build(&snap, &template, &signatory)?;
    let mut files = Vec::with_capacity(kinds.len());
    for kind in kinds {
        files.push(match kind {
            Kind::Xlsx => xlsx::render(&model)?,
            Kind::Pdf => pdf::render(&model)?,
            Kind::Relazione => {
                let sections = app.store.sections(project).await?;
                let indicators = app.store.indicators(project).await?;
                pdf::render_relazione(&model, &sections, &indicators)?
            }
        });
    }
    let counted = model
        .sections
        .iter()
        .flat_map(|s| s.lines.iter().map(|l| l.expense.id))
        .collect();
    Ok(Made {
        files,
        fingerprint: model.fingerprint.clone(),
        as_of: snap.summary.as_of,
        template: key.to_owned(),
        signatory,
        contribution_due: snap.summary.contribution_due,
        counted,
    })
}

/// Freezes the project's state as of a day (today by default): makes the XLSX and the PDF, stores
/// them with their fingerprint and marks the counted expenses `included`, after which they cannot
/// change. If an expense changes while the documents are made, nothing is frozen (409).
pub async fn submit(
    app: &App,
    project: ProjectId,
    as_of: Option<NaiveDate>,
    template: Option<&str>,
    signatory: &Signatory,
) -> Result<Submission, ServiceError> {
    let revision =
        app.store
            .expenses_revision(project)
            .await
            .map_err(|e| match ServiceError::from(e) {
                ServiceError::NotFound(_) => ServiceError::NotFound("progetto"),
                other => other,
            })?;
    let made = make(
        app,
        project,
        &[Kind::Xlsx, Kind::Pdf, Kind::Relazione],
        as_of,
        template,
        signatory,
        true,
    )
    .await?;
    let [xlsx, pdf, relazione]: [Vec<u8>; 3] = made
        .files
        .try_into()
        .map_err(|_| ServiceError::Report(ReportError::Pdf("documents")))?;
    let new = NewSubmission {
        as_of: made.as_of,
        template: made.template,
        fingerprint: made.fingerprint,
        signatory: made.signatory,
        contribution_due: made.contribution_due,
        xlsx,
        pdf,
        relazione,
        expenses: made.counted,
        expected_revision: revision,
    };
    app.store.insert_submission(project, &new, app.clock.now()).await.map_err(|e| match ServiceError::from(e) {
        ServiceError::Stale => ServiceError::Conflict {
            code: "changed_during_submission",
            message: "le spese del progetto sono cambiate mentre si preparavano i documenti: ripetere la presentazione".into(),
            related: Vec::new(),
        },
        other => other,
    })
}

pub async fn submissions(app: &App, project: ProjectId) -> Result<Vec<Submission>, ServiceError> {
    super::projects::get(app, project).await?;
    Ok(app.store.submissions(project).await?)
}

pub async fn submission_file(
    app: &App,
    project: ProjectId,
    id: i64,
    kind: Kind,
) -> Result<Vec<u8>, ServiceError> {
    app.store
        .submission_file(
            project,
            id,
            match kind {
                Kind::Xlsx => SubmittedFile::Xlsx,
                Kind::Pdf => SubmittedFile::Pdf,
                Kind::Relazione => SubmittedFile::Relazione,
            },
        )
        .await?
        .ok_or(ServiceError::NotFound("rendicontazione"))
}
