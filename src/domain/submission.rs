//! A submission (rendicontazione) to the funder: the documents as first made, frozen with the
//! fingerprint of their data and the expenses they included.

use chrono::{DateTime, NaiveDate, Utc};

use super::ids::{ExpenseId, ProjectId};
use super::money::Money;
use super::project::Signatory;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    pub as_of: NaiveDate,
    pub template: String,
    pub fingerprint: String,
    pub signatory: Signatory,
    pub contribution_due: Money,
    pub xlsx: Vec<u8>,
    pub pdf: Vec<u8>,
    pub relazione: Vec<u8>,
    /// The expenses the documents count, with what each claims; they become `included`.
    pub expenses: Vec<(ExpenseId, Money)>,
    /// The audit trail's head when the documents were made: sequence number and hash.
    pub audit_head: (i64, String),
    /// The project's expense revision the documents were made from: if it moved meanwhile, the
    /// submission is refused rather than frozen on data the documents do not show.
    pub expected_revision: i64,
    /// The version of the canonical text the fingerprint was computed over.
    pub fingerprint_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Submission {
    pub id: i64,
    pub project_id: ProjectId,
    pub as_of: NaiveDate,
    pub template: String,
    pub fingerprint: String,
    /// The version of the canonical text the fingerprint was computed over: the documents are
    /// re-made with it.
    pub fingerprint_version: i64,
    pub signatory: Signatory,
    pub contribution_due: Money,
    pub expense_count: i64,
    pub audit_seq: Option<i64>,
    pub audit_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The documents a submission keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmittedFile {
    Xlsx,
    Pdf,
    Relazione,
}

/// What an earlier submission claimed of an expense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorClaim {
    pub expense: ExpenseId,
    pub submission: i64,
    pub claimed: Money,
}

/// A correction after submission: what an earlier submission claimed and what is claimed now
/// (zero when the expense no longer counts). The earlier documents stay as they were; the next
/// ones show this line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjustment {
    pub expense: ExpenseId,
    pub submission: i64,
    pub before: Money,
    pub after: Money,
}

impl Adjustment {
    pub fn delta(&self) -> Money {
        self.after - self.before
    }
}

/// The adjustments: for each expense, its latest prior claim against what `now` counts (by
/// expense id). Ordered by expense.
pub fn adjustments(
    prior: &[PriorClaim],
    now: &std::collections::HashMap<ExpenseId, Money>,
) -> Vec<Adjustment> {
    let mut latest: std::collections::BTreeMap<ExpenseId, PriorClaim> = Default::default();
    for claim in prior {
        let keep = latest
            .get(&claim.expense)
            .map_or(true, |c| c.submission < claim.submission);
        if keep {
            latest.insert(claim.expense, *claim);
        }
    }
    latest
        .into_values()
        .filter_map(|c| {
            let after = now.get(&c.expense).copied().unwrap_or_default();
            (after != c.claimed).then_some(Adjustment {
                expense: c.expense,
                submission: c.submission,
                before: c.claimed,
                after,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn only_changed_claims_become_adjustments_against_the_latest_submission() {
        let prior = [
            PriorClaim {
                expense: ExpenseId(1),
                submission: 1,
                claimed: m("100.00"),
            },
            PriorClaim {
                expense: ExpenseId(1),
                submission: 2,
                claimed: m("90.00"),
            },
            PriorClaim {
                expense: ExpenseId(2),
                submission: 1,
                claimed: m("50.00"),
            },
            PriorClaim {
                expense: ExpenseId(3),
                submission: 2,
                claimed: m("10.00"),
            },
        ];
        let now = [(ExpenseId(1), m("80.00")), (ExpenseId(2), m("50.00"))]
            .into_iter()
            .collect();
        let found = adjustments(&prior, &now);
        assert_eq!(
            found,
            vec![
                Adjustment {
                    expense: ExpenseId(1),
                    submission: 2,
                    before: m("90.00"),
                    after: m("80.00")
                },
                Adjustment {
                    expense: ExpenseId(3),
                    submission: 2,
                    before: m("10.00"),
                    after: Money::ZERO
                },
            ]
        );
        assert_eq!(found[0].delta(), m("-10.00"));
    }
}
