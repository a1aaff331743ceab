//! The report model: everything a document shows, computed once from a project snapshot, with the
//! template's texts rendered and a SHA-256 fingerprint of the data it was made from. Writers only
//! lay it out; they compute nothing, so every format shows the same figures as the API.

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};

pub use super::fingerprint::{fingerprint, Fingerprint, CURRENT_VERSION};
use super::template::Template;
use super::ReportError;
use crate::domain::rules::{eligible_amount, Exclusion};
use crate::domain::snapshot::Snapshot;
use crate::domain::submission::{adjustments, Adjustment, PriorClaim};
use crate::domain::text::italian_date;
use crate::domain::{Expense, ExpenseId, Money, Signatory};

/// One expense as a row of the documents, borrowed from the snapshot: a 100,000-row document
/// copies no expense.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The row number in the rendiconto (1-based, over counted expenses in table order).
    pub row: usize,
    pub expense: &'a Expense,
    pub entity: &'a str,
    pub category: &'a str,
    /// Signed: negative for a credit note.
    pub eligible: Money,
}

impl Line<'_> {
    /// An amount of the document as the tables show it: negative for a credit note, so that column
    /// sums reduce as the rules do.
    pub fn signed(&self, amount: Money) -> Money {
        self.expense.data.signed(amount)
    }

    /// The line on its own, to outlive the snapshot (the evidence pack files by row number).
    pub fn to_numbered(self) -> NumberedExpense {
        NumberedExpense {
            row: self.row,
            entity: self.entity.to_owned(),
            category: self.category.to_owned(),
            expense: self.expense.clone(),
        }
    }
}

/// An expense with its row number in the rendiconto.
#[derive(Debug, Clone)]
pub struct NumberedExpense {
    pub row: usize,
    pub entity: String,
    pub category: String,
    pub expense: Expense,
}

/// The counted expenses of one category, with their sums.
#[derive(Debug, Clone)]
pub struct Section<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub lines: Vec<Line<'a>>,
}

#[derive(Debug, Clone)]
pub struct ExcludedLine<'a> {
    pub line: Line<'a>,
    pub reason: Exclusion,
    pub message: &'a str,
}

/// The signatory as documents print it: blanks to fill by hand where the settings say nothing.
#[derive(Debug, Clone, serde::Serialize)]
struct PrintedSignatory {
    name: String,
    role: String,
    /// "Presidente e legale rappresentante", or "legale rappresentante" alone when no role is
    /// set (never "legale rappresentante e legale rappresentante").
    capacity: String,
    /// Empty when unknown: templates leave the clause out.
    tax_code: String,
    place: String,
}

impl From<&Signatory> for PrintedSignatory {
    fn from(s: &Signatory) -> PrintedSignatory {
        const LEGAL: &str = "legale rappresentante";
        let role = s.role.clone().unwrap_or_else(|| LEGAL.into());
        let capacity = if role.to_lowercase().contains(LEGAL) {
            role.clone()
        } else {
            format!("{role} e {LEGAL}")
        };
        PrintedSignatory {
            name: s.name.clone().unwrap_or_else(|| "………………………………".into()),
            role,
            capacity,
            tax_code: s
                .tax_code
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            place: s.place.clone().unwrap_or_else(|| "………………".into()),
        }
    }
}

pub struct ReportModel<'a> {
    pub snapshot: &'a Snapshot,
    pub template: &'a Template,
    pub texts: BTreeMap<String, String>,
    pub sections: Vec<Section<'a>>,
    pub excluded: Vec<ExcludedLine<'a>>,
    pub pending: Vec<Line<'a>>,
    pub fingerprint: Fingerprint<'a>,
    /// For a submission: the audit trail's sequence number and hash when it was made.
    pub audit_head: Option<(i64, String)>,
    /// A submission's number among the project's (1 for the first); `None` for a draft.
    pub submission_number: Option<usize>,
    /// Corrections to what earlier submissions claimed, with the expense as it is now.
    pub adjustments: Vec<(Adjustment, Option<Expense>)>,
}

/// The template's texts rendered with the project's data and who signs; the signatory's name also
/// on its own, printed under the signature line.
fn texts(
    snapshot: &Snapshot,
    template: &Template,
    signatory: &Signatory,
) -> Result<BTreeMap<String, String>, ReportError> {
    let s = &snapshot.summary;
    let p = &snapshot.project.data;
    let context = minijinja::context! {
        project => minijinja::context! {
            title => p.title, cup => p.cup.as_ref().map(ToString::to_string), lead_entity => p.lead_entity,
            granted_contribution => p.granted_contribution.italian(),
        },
        call => minijinja::context! {
            name => snapshot.call.name, funder => snapshot.call.funder, act => snapshot.call.act,
        },
        as_of => italian_date(s.as_of),
        date => italian_date(s.as_of),
        signatory => PrintedSignatory::from(signatory),
        contribution_due => s.contribution_due.italian(),
        // A balance still to receive: the declaration asks for it to be paid.
        balance_due => (s.balance_due > Money::ZERO).then(|| s.balance_due.italian()),
    };
    let mut texts = template.render_texts(&context)?;
    // Printed under the signature line.
    texts.insert(
        "signatory_name".into(),
        signatory.name.clone().unwrap_or_default(),
    );
    Ok(texts)
}

/// Printed on every page of a document that is not a stored submission.
pub const DRAFT_MARK: &str = "BOZZA — non valida ai fini della rendicontazione";

impl<'a> ReportModel<'a> {
    pub fn build(
        snapshot: &'a Snapshot,
        template: &'a Template,
        signatory: &Signatory,
        fingerprint: Fingerprint<'a>,
    ) -> Result<ReportModel<'a>, ReportError> {
        let s = &snapshot.summary;
        let texts = texts(snapshot, template, signatory)?;

        let entity_names: HashMap<_, &str> = snapshot
            .entities
            .iter()
            .map(|e| (e.id, e.name.as_str()))
            .collect();
        let category_names: HashMap<&str, &str> = snapshot
            .call
            .categories
            .iter()
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        let excluded_reasons: HashMap<ExpenseId, (Exclusion, &str)> = s
            .excluded
            .iter()
            .map(|x| (x.expense_id, (x.reason, x.message.as_str())))
            .collect();
        let pending_ids: HashSet<ExpenseId> = s.pending.iter().copied().collect();
        // A credit note linked to its invoice is listed where the invoice is (decision 3).
        let by_id: HashMap<ExpenseId, &Expense> =
            snapshot.expenses.iter().map(|e| (e.id, e)).collect();
        let owner = |e: &'a Expense| -> &'a Expense {
            crate::domain::rules::linked_invoice(e, &by_id).unwrap_or(e)
        };
        let line = |e: &'a Expense| Line {
            row: 0,
            expense: e,
            entity: entity_names
                .get(&owner(e).data.entity_id)
                .copied()
                .unwrap_or_default(),
            category: owner(e)
                .data
                .category
                .as_ref()
                .map_or("(senza categoria)", |c| {
                    category_names
                        .get(c.as_str())
                        .copied()
                        .unwrap_or(c.as_str())
                }),
            eligible: eligible_amount(&snapshot.call.rules, e),
        };
        // Table order: category as in the call, then document date, then id.
        let mut sorted: Vec<&Expense> = snapshot.expenses.iter().collect();
        sorted.sort_by_key(|e| (e.data.document.date, e.id));
        let mut sections: Vec<Section> = snapshot
            .call
            .categories
            .iter()
            .map(|c| Section {
                code: c.code.as_str(),
                name: &c.name,
                lines: Vec::new(),
            })
            .collect();
        let mut excluded = Vec::new();
        let mut pending = Vec::new();
        for e in sorted {
            // A document dated after the date does not exist yet on it (decision 5).
            if e.data.document.date > s.as_of {
                continue;
            }
            if pending_ids.contains(&e.id) {
                pending.push(line(e));
            } else if let Some(&(reason, message)) = excluded_reasons.get(&e.id) {
                excluded.push(ExcludedLine {
                    line: line(e),
                    reason,
                    message,
                });
            } else if let Some(section) = owner(e)
                .data
                .category
                .as_ref()
                .and_then(|c| sections.iter_mut().find(|s| s.code == c.as_str()))
            {
                section.lines.push(line(e));
            }
        }
        let mut row = 0;
        for section in &mut sections {
            for l in &mut section.lines {
                row += 1;
                l.row = row;
            }
        }
        for l in excluded
            .iter_mut()
            .map(|x| &mut x.line)
            .chain(pending.iter_mut())
        {
            row += 1;
            l.row = row;
        }
        Ok(ReportModel {
            snapshot,
            template,
            texts,
            sections,
            excluded,
            pending,
            fingerprint,
            audit_head: None,
            submission_number: None,
            adjustments: Vec::new(),
        })
    }

    /// Compares what earlier submissions claimed with what this document counts. The fingerprint
    /// then covers the adjustments too (they are data the document shows).
    pub fn set_adjustments(&mut self, prior: &[PriorClaim]) {
        if prior.is_empty() {
            return;
        }
        let counted: HashMap<ExpenseId, Money> = self
            .sections
            .iter()
            .flat_map(|s| s.lines.iter())
            .map(|l| (l.expense.id, l.expense.data.amounts.claimed()))
            .collect();
        let found = adjustments(prior, &counted);
        if found.is_empty() {
            return;
        }
        let mut h = Sha256::new();
        h.update(self.fingerprint.get().as_bytes());
        for a in &found {
            h.update(format!(
                "|{}:{}:{}:{}",
                a.expense, a.submission, a.before, a.after
            ));
        }
        self.fingerprint =
            Fingerprint::ready(h.finalize().iter().map(|b| format!("{b:02x}")).collect());
        let expenses: HashMap<ExpenseId, &Expense> =
            self.snapshot.expenses.iter().map(|e| (e.id, e)).collect();
        self.adjustments = found
            .into_iter()
            .map(|a| (a, expenses.get(&a.expense).map(|e| (*e).clone())))
            .collect();
    }

    /// One adjustment as documents print it: document, earlier submission, before, after, change.
    pub fn adjustment_cells(a: &Adjustment, expense: Option<&Expense>) -> [String; 5] {
        let document = expense.map_or_else(
            || format!("spesa {} (eliminata)", a.expense),
            |e| {
                format!(
                    "{} – {} {} del {}",
                    e.data.document.supplier_name,
                    e.data.document.kind.italian(),
                    e.data.document.number,
                    italian_date(e.data.document.date)
                )
            },
        );
        [
            document,
            format!("n. {}", a.submission),
            a.before.italian(),
            a.after.italian(),
            a.delta().italian(),
        ]
    }

    /// The line that ties a submission's documents to the audit trail.
    /// Whether this is a submission's document (made when it was submitted, or re-made from it):
    /// only those carry the audit trail's head, and only those are not drafts.
    pub fn is_submission(&self) -> bool {
        self.audit_head.is_some()
    }

    pub fn audit_line(&self) -> Option<String> {
        self.audit_head
            .as_ref()
            .map(|(seq, hash)| format!("Registro delle modifiche: voce {seq}, impronta {hash}"))
    }

    pub fn text(&self, key: &str) -> &str {
        self.texts.get(key).map_or("", String::as_str)
    }
}

/// Row numbers as a reader scans them: `1–12, 15, 20–22`.
pub fn ranges(mut rows: Vec<usize>) -> String {
    rows.sort_unstable();
    rows.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let start = rows[i];
        let mut end = start;
        while i + 1 < rows.len() && rows[i + 1] == end + 1 {
            i += 1;
            end = rows[i];
        }
        parts.push(if end > start {
            format!("{start}–{end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_read_as_ranges() {
        assert_eq!(
            super::ranges(vec![3, 1, 2, 5, 7, 8, 9, 12]),
            "1–3, 5, 7–9, 12"
        );
        assert_eq!(super::ranges(vec![4]), "4");
    }
}
