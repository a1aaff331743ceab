//! Building the submission documents of a project as of a date.

use chrono::NaiveDate;

use super::summary::snapshot;
use super::{App, ServiceError};
use crate::domain::rules::Scope;
use crate::domain::{Call, ProjectId};
use crate::reports::model::{ReportModel, Signatory};
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
}

impl Kind {
    pub fn file(self) -> &'static str {
        match self {
            Kind::Xlsx => "rendiconto.xlsx",
            Kind::Pdf => "rendiconto.pdf",
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
    let snap = snapshot(app, project, as_of, Scope::All).await?;
    let key = template.unwrap_or_else(|| default_template(&snap.call));
    let template = Template::load(&templates_dir(), key)?;
    if !template.documents.iter().any(|d| d == kind.file()) {
        return Err(ReportError::DocumentNotInTemplate {
            template: key.to_owned(),
            document: kind.file().into(),
        }
        .into());
    }
    let model = ReportModel::build(&snap, &template, &Signatory::default())?;
    let bytes = match kind {
        Kind::Xlsx => xlsx::render(&model)?,
        Kind::Pdf => pdf::render(&model)?,
    };
    let (stem, ext) = kind.file().split_once('.').unwrap_or((kind.file(), ""));
    Ok(Document {
        bytes,
        fingerprint: model.fingerprint.clone(),
        file_name: format!("{stem}-progetto-{}-{}.{ext}", project, snap.summary.as_of),
    })
}
