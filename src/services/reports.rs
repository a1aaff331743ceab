//! Building the submission documents of a project as of a date.

use chrono::NaiveDate;

use super::summary::{snapshot, snapshot_as_submitted, Snapshot};
use super::{access, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::narrative::{Indicator, Section};
use crate::domain::rules::Scope;
use crate::domain::submission::{NewSubmission, PriorClaim, Submission, SubmittedFile};
use crate::domain::Signatory;
use crate::domain::{Call, ExpenseId, ProjectId};
use crate::reports::model::{self, Fingerprint, NumberedExpense, ReportModel};
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

/// A document of the project as of a date, or, with `submission`, that submission's document
/// made again from the stored data (its date, template, signatory and audit head): byte-identical
/// to the stored one while nothing it counted has changed.
pub async fn rendiconto(
    app: &App,
    who: &Actor,
    project: ProjectId,
    kind: Kind,
    as_of: Option<NaiveDate>,
    template: Option<&str>,
    submission: Option<i64>,
) -> Result<Document, ServiceError> {
    let request = Request {
        kind,
        as_of,
        template,
        submission,
    };
    rendiconto_into(app, who, project, request, None).await
}

/// The same document as [`rendiconto`], written to `out` as it is made rather than returned: a
/// PDF of 100,000 expenses is never whole in memory besides its pages. `out` is flushed; the
/// document returned has no bytes.
pub async fn write_rendiconto(
    app: &App,
    who: &Actor,
    project: ProjectId,
    request: Request<'_>,
    out: Sink,
) -> Result<Document, ServiceError> {
    rendiconto_into(app, who, project, request, Some(out)).await
}

/// Where a document is written as it is made.
pub type Sink = Box<dyn std::io::Write + Send>;

/// Which document: its kind, as of when, with which template, or a submission's made again.
pub struct Request<'a> {
    pub kind: Kind,
    pub as_of: Option<NaiveDate>,
    pub template: Option<&'a str>,
    pub submission: Option<i64>,
}

async fn rendiconto_into(
    app: &App,
    who: &Actor,
    project: ProjectId,
    request: Request<'_>,
    sink: Option<Sink>,
) -> Result<Document, ServiceError> {
    let Request {
        kind,
        as_of,
        template,
        submission,
    } = request;
    let remade;
    let kinds = [kind];
    let order = match submission {
        None => Order {
            kinds: &kinds,
            as_of,
            template,
            signatory: Signatory::default(),
            audit_head: None,
            before_submission: None,
            number: None,
            fingerprint_version: model::CURRENT_VERSION,
        },
        Some(id) => {
            let number;
            (remade, number) = find_submission(app, who, project, id).await?;
            Order::as_submitted(&remade, number, &kinds)
        }
    };
    let made = make_into(app, who, project, order, sink).await?;
    let (stem, ext) = kind.file().split_once('.').unwrap_or((kind.file(), ""));
    Ok(Document {
        bytes: made.files.into_iter().next().unwrap_or_default(),
        fingerprint: made.fingerprint,
        file_name: format!("{stem}-progetto-{}-{}.{ext}", project, made.as_of),
    })
}

/// What to make: which documents, as of when, with which template and signatory. With an audit
/// head the documents are made as submitted (verified expenses only, marked included) and print
/// the head.
pub(super) struct Order<'a> {
    kinds: &'a [Kind],
    as_of: Option<NaiveDate>,
    template: Option<&'a str>,
    signatory: Signatory,
    audit_head: Option<(i64, String)>,
    /// Adjustments are measured against the submissions before this one (all when `None`).
    before_submission: Option<i64>,
    /// The submission's number among the project's, printed in its heading.
    number: Option<usize>,
    /// The canonical text the data's fingerprint is computed over (a submission's own).
    fingerprint_version: i64,
}

impl<'a> Order<'a> {
    /// A submission's documents made again from the stored data: its date, template, signatory
    /// and audit head.
    pub(super) fn as_submitted(
        submission: &'a Submission,
        number: usize,
        kinds: &'a [Kind],
    ) -> Order<'a> {
        Order {
            kinds,
            as_of: Some(submission.as_of),
            template: Some(&submission.template),
            signatory: submission.signatory.clone(),
            audit_head: Some((
                submission.audit_seq.unwrap_or(0),
                submission.audit_hash.clone().unwrap_or_default(),
            )),
            before_submission: Some(submission.id),
            number: Some(number),
            fingerprint_version: submission.fingerprint_version,
        }
    }
}

/// A submission of the project, with its number among them (1 for the first).
pub(super) async fn find_submission(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<(Submission, usize), ServiceError> {
    submissions(app, who, project)
        .await?
        .into_iter()
        .enumerate()
        .find(|(_, s)| s.id == id)
        .map(|(i, s)| (s, i + 1))
        .ok_or(ServiceError::NotFound("rendicontazione"))
}

/// Documents made from one snapshot.
pub(super) struct Made {
    files: Vec<Vec<u8>>,
    pub(super) fingerprint: String,
    as_of: NaiveDate,
    template: String,
    signatory: Signatory,
    contribution_due: crate::domain::Money,
    counted: Vec<(ExpenseId, crate::domain::Money)>,
    /// The counted expenses as the rendiconto numbers them.
    pub(super) lines: Vec<NumberedExpense>,
}

/// Makes the `kinds` of documents from one snapshot; `signatory` overrides the project's settings.
pub(super) async fn make(
    app: &App,
    who: &Actor,
    project: ProjectId,
    order: Order<'_>,
) -> Result<Made, ServiceError> {
    make_into(app, who, project, order, None).await
}

/// [`make`], writing the one document of the order to `sink` when there is one.
async fn make_into(
    app: &App,
    who: &Actor,
    project: ProjectId,
    order: Order<'_>,
    sink: Option<Sink>,
) -> Result<Made, ServiceError> {
    let Order {
        kinds,
        as_of,
        template,
        signatory,
        audit_head,
        before_submission,
        number,
        fingerprint_version,
    } = order;
    let snap = if audit_head.is_some() {
        snapshot_as_submitted(app, who, project, as_of).await?
    } else {
        snapshot(app, who, project, as_of, Scope::All).await?
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
    let signatory = snap.project.data.signatory.overridden_by(&signatory);
    let prior = app.store.prior_claims(project, before_submission).await?;
    // Every document's fingerprint covers the final report's text too (see `fingerprint`).
    let narrative = (
        app.store.sections(project).await?,
        app.store.indicators(project).await?,
    );
    let (as_of, contribution_due) = (snap.summary.as_of, snap.summary.contribution_due);
    let job = Job {
        snap,
        template,
        signatory: signatory.clone(),
        audit_head,
        number,
        prior,
        narrative,
        kinds: kinds.to_vec(),
        sink,
        fingerprint_version,
    };
    // Everything is read: the rest is computation (a second or two at 100,000 expenses), off the
    // async workers so that other requests are not kept waiting.
    let rendered = match tokio::task::spawn_blocking(move || job.render()).await {
        Ok(rendered) => rendered?,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => return Err(ReportError::Interrupted.into()),
    };
    Ok(Made {
        lines: rendered.lines,
        files: rendered.files,
        fingerprint: rendered.fingerprint,
        as_of,
        template: key.to_owned(),
        signatory,
        contribution_due,
        counted: rendered.counted,
    })
}

/// What making the documents needs, all read beforehand.
struct Job {
    snap: Snapshot,
    template: Template,
    signatory: Signatory,
    audit_head: Option<(i64, String)>,
    number: Option<usize>,
    prior: Vec<PriorClaim>,
    /// The final report's sections and indicators.
    narrative: (Vec<Section>, Vec<Indicator>),
    kinds: Vec<Kind>,
    /// Where the documents go as they are made; returned in memory without one.
    sink: Option<Sink>,
    fingerprint_version: i64,
}

struct Rendered {
    files: Vec<Vec<u8>>,
    fingerprint: String,
    counted: Vec<(ExpenseId, crate::domain::Money)>,
    lines: Vec<NumberedExpense>,
}

impl Job {
    /// The data's fingerprint on one core, the documents on the other.
    fn render(self) -> Result<Rendered, ReportError> {
        let Job {
            snap,
            template,
            signatory,
            audit_head,
            number,
            prior,
            narrative,
            kinds,
            mut sink,
            fingerprint_version,
        } = self;
        std::thread::scope(|scope| {
            let fingerprint = Fingerprint::computing(scope.spawn(|| {
                model::fingerprint(&snap, &narrative.0, &narrative.1, fingerprint_version)
            }));
            let mut model = ReportModel::build(&snap, &template, &signatory, fingerprint)?;
            model.audit_head = audit_head;
            model.submission_number = number;
            model.set_adjustments(&prior);
            let mut files = Vec::with_capacity(kinds.len());
            for kind in &kinds {
                let Some(out) = sink.as_mut() else {
                    files.push(match kind {
                        Kind::Xlsx => xlsx::render(&model)?,
                        Kind::Pdf => pdf::render(&model)?,
                        Kind::Relazione => {
                            pdf::render_relazione(&model, &narrative.0, &narrative.1)?
                        }
                    });
                    continue;
                };
                match kind {
                    Kind::Xlsx => out.write_all(&xlsx::render(&model)?).map_err(written)?,
                    Kind::Pdf => pdf::render_to(&model, out)?,
                    Kind::Relazione => {
                        pdf::render_relazione_to(&model, &narrative.0, &narrative.1, out)?
                    }
                }
                out.flush().map_err(written)?;
                files.push(Vec::new());
            }
            let counted = model
                .sections
                .iter()
                .flat_map(|s| {
                    s.lines
                        .iter()
                        .map(|l| (l.expense.id, l.expense.data.amounts.claimed()))
                })
                .collect();
            // Only the evidence pack, which makes no document, needs the numbered lines afterwards.
            let lines = if kinds.is_empty() {
                model
                    .sections
                    .iter()
                    .flat_map(|s| s.lines.iter().map(|l| l.to_numbered()))
                    .collect()
            } else {
                Vec::new()
            };
            Ok(Rendered {
                files,
                fingerprint: model.fingerprint.get().to_owned(),
                counted,
                lines,
            })
        })
    }
}

fn written(e: std::io::Error) -> ReportError {
    ReportError::Write(e.to_string())
}

/// Freezes the project's state as of a day (today by default): makes the XLSX and the PDF, stores
/// them with their fingerprint and marks the counted expenses `included`, after which they cannot
/// change. If an expense changes while the documents are made, nothing is frozen (409).
pub async fn submit(
    app: &App,
    who: &Actor,
    project: ProjectId,
    as_of: Option<NaiveDate>,
    template: Option<&str>,
    signatory: &Signatory,
) -> Result<Submission, ServiceError> {
    access::require(app, who, project, Need::Submit).await?;
    // Read before the documents are made: the head they print precedes everything the
    // submission itself appends.
    let audit_head = app.store.audit_head().await?;
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
        who,
        project,
        Order {
            kinds: &[Kind::Xlsx, Kind::Pdf, Kind::Relazione],
            as_of,
            template,
            signatory: signatory.clone(),
            audit_head: Some(audit_head.clone()),
            before_submission: None,
            number: Some(app.store.submissions(project).await?.len() + 1),
            fingerprint_version: model::CURRENT_VERSION,
        },
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
        audit_head,
        expected_revision: revision,
        fingerprint_version: model::CURRENT_VERSION,
    };
    app.store.insert_submission(project, &new, &app.change(who)).await.map_err(|e| match ServiceError::from(e) {
        ServiceError::Stale => ServiceError::Conflict {
            code: "changed_during_submission",
            message: "le spese del progetto sono cambiate mentre si preparavano i documenti: ripetere la presentazione".into(),
            related: Vec::new(),
        },
        other => other,
    })
}

pub async fn submissions(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Submission>, ServiceError> {
    super::projects::get(app, who, project).await?;
    Ok(app.store.submissions(project).await?)
}

pub async fn submission_file(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    kind: Kind,
) -> Result<Vec<u8>, ServiceError> {
    access::require(app, who, project, Need::Read).await?;
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
