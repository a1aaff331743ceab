//! The audit trail: one append-only chain of entries, each sealed with the SHA-256 of its content
//! and of the entry before it. Changing or deleting an entry breaks the chain at that point; cutting
//! the tail is caught against the stored head and the heads that submissions recorded.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

string_enum!(
    /// What a change did, as the audit trail stores it (the text is part of each entry's seal, so
    /// a variant's text never changes).
    AuditAction {
        CallCreate = "call.create",
        ProjectCreate = "project.create",
        ProjectUpdate = "project.update",
        EntityCreate = "entity.create",
        EntityUpdate = "entity.update",
        ExpenseCreate = "expense.create",
        ExpenseUpdate = "expense.update",
        ExpenseReconcile = "expense.reconcile",
        ExpenseDelete = "expense.delete",
        ExpenseReady = "expense.ready",
        ExpenseVerify = "expense.verify",
        ExpenseReject = "expense.reject",
        ExpenseUnlock = "expense.unlock",
        ExpenseInclude = "expense.include",
        AttachmentCreate = "attachment.create",
        AttachmentDelete = "attachment.delete",
        VariationCreate = "variation.create",
        VariationStatus = "variation.status",
        ExtensionCreate = "extension.create",
        MilestoneCreate = "milestone.create",
        MilestoneUpdate = "milestone.update",
        TrancheCreate = "tranche.create",
        CommitmentCreate = "commitment.create",
        CommitmentUpdate = "commitment.update",
        CommitmentDelete = "commitment.delete",
        CalendarTokenCreate = "calendar_token.create",
        CalendarTokenRevoke = "calendar_token.revoke",
        SubmissionCreate = "submission.create",
        SignedCopyCreate = "signed_copy.create",
        SectionCreate = "section.create",
        SectionUpdate = "section.update",
        SectionDelete = "section.delete",
        IndicatorCreate = "indicator.create",
        IndicatorUpdate = "indicator.update",
        IndicatorDelete = "indicator.delete",
        UserCreate = "user.create",
        UserPassword = "user.password",
        MembershipSet = "membership.set",
        MembershipRemove = "membership.remove",
        TokenCreate = "token.create",
        TokenRevoke = "token.revoke",
    }
);

impl AuditAction {
    /// What happened to an expense, as its history reads ("verificata"); `None` for other objects.
    pub fn expense_italian(self) -> Option<&'static str> {
        Some(match self {
            AuditAction::ExpenseCreate => "registrata",
            AuditAction::ExpenseUpdate => "modificata",
            AuditAction::ExpenseReconcile => "riconciliata con la contabilità",
            AuditAction::ExpenseReady => "inviata alla verifica",
            AuditAction::ExpenseVerify => "verificata",
            AuditAction::ExpenseReject => "respinta",
            AuditAction::ExpenseUnlock => "sbloccata",
            AuditAction::ExpenseInclude => "inclusa in una rendicontazione",
            AuditAction::ExpenseDelete => "eliminata",
            AuditAction::AttachmentCreate => "documento allegato",
            AuditAction::AttachmentDelete => "documento rimosso",
            _ => return None,
        })
    }
}

/// What a change appends: the object it touched and its state before and after (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub action: AuditAction,
    pub object_type: &'static str,
    pub object_id: String,
    pub project_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Record {
    pub fn new(action: AuditAction, object_type: &'static str, id: impl ToString) -> Record {
        Record {
            action,
            object_type,
            object_id: id.to_string(),
            project_id: None,
            before: None,
            after: None,
        }
    }

    pub fn project(mut self, project: crate::domain::ProjectId) -> Record {
        self.project_id = Some(project.0);
        self
    }

    pub fn before(mut self, state: &impl serde::Serialize) -> Record {
        self.before = Some(json(state));
        self
    }

    pub fn after(mut self, state: &impl serde::Serialize) -> Record {
        self.after = Some(json(state));
        self
    }
}

/// Canonical JSON: `serde_json` maps keep their keys sorted, so the same state gives the same text.
fn json(state: &impl serde::Serialize) -> String {
    serde_json::to_value(state)
        .map(|v| v.to_string())
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub user_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub project_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// Seals a record as entry `seq` after `prev_hash`. The time is kept to the microsecond, as
    /// both databases store it, so the hash survives the round trip.
    pub fn seal(
        record: Record,
        seq: i64,
        at: DateTime<Utc>,
        actor: &str,
        user_id: Option<i64>,
        prev_hash: &str,
    ) -> Entry {
        let at = micros(at);
        let mut entry = Entry {
            seq,
            at,
            actor: actor.to_owned(),
            user_id,
            action: record.action.as_str().to_owned(),
            object_type: record.object_type.to_owned(),
            object_id: record.object_id,
            project_id: record.project_id,
            before: record.before,
            after: record.after,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.content_hash();
        entry
    }

    /// The hash of everything in the entry but the hash itself. Each field is length-prefixed, so
    /// no two different entries encode alike.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "\u{0}null".into());
        let fields = [
            self.seq.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor.clone(),
            self.user_id.map(|u| u.to_string()).unwrap_or_default(),
            self.action.clone(),
            self.object_type.clone(),
            self.object_id.clone(),
            self.project_id.map(|p| p.to_string()).unwrap_or_default(),
            opt(&self.before),
            opt(&self.after),
            self.prev_hash.clone(),
        ];
        for f in &fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        hex(&h.finalize())
    }
}

pub fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A point of the chain recorded elsewhere (a submission's head), which must still be in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub label: String,
    pub seq: i64,
    pub hash: String,
}

/// What is wrong with the chain, each naming the entries involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry's content no longer matches its hash.
    Altered { seq: i64 },
    /// The entry does not follow the one before (its link was rewritten).
    BrokenLink { seq: i64 },
    /// Entries `from..=to` are gone.
    Missing { from: i64, to: i64 },
    /// The stored head names an entry the log no longer ends with.
    TailCut { head_seq: i64, last_seq: i64 },
    /// A submission recorded a head the log no longer has.
    AnchorLost { label: String, seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Altered { seq } => write!(f, "voce {seq}: contenuto alterato (l'impronta non corrisponde)"),
            Problem::BrokenLink { seq } => write!(f, "voce {seq}: non segue la voce precedente (catena spezzata)"),
            Problem::Missing { from, to } if from == to => write!(f, "voce {from}: cancellata"),
            Problem::Missing { from, to } => write!(f, "voci da {from} a {to}: cancellate"),
            Problem::TailCut { head_seq, last_seq } => write!(
                f,
                "il registro termina alla voce {last_seq} ma la testa registrata è la voce {head_seq}: coda tagliata o testa alterata"
            ),
            Problem::AnchorLost { label, seq } => write!(
                f,
                "{label} ha registrato la voce {seq}, che nel registro manca o è diversa"
            ),
        }
    }
}

/// Checks the chain entry by entry, in `seq` order, without holding it all in memory.
pub struct ChainCheck {
    expected_seq: i64,
    prev_hash: String,
    anchors: Vec<Anchor>,
    pub problems: Vec<Problem>,
    pub entries: i64,
}

impl ChainCheck {
    pub fn new(mut anchors: Vec<Anchor>) -> ChainCheck {
        anchors.retain(|a| a.seq > 0);
        ChainCheck {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
            anchors,
            problems: Vec::new(),
            entries: 0,
        }
    }

    pub fn push(&mut self, entry: &Entry) {
        self.entries += 1;
        if entry.content_hash() != entry.hash {
            self.problems.push(Problem::Altered { seq: entry.seq });
        }
        if entry.seq > self.expected_seq {
            self.problems.push(Problem::Missing {
                from: self.expected_seq,
                to: entry.seq - 1,
            });
        } else if entry.prev_hash != self.prev_hash {
            self.problems.push(Problem::BrokenLink { seq: entry.seq });
        }
        self.anchors.retain(|a| {
            if a.seq != entry.seq {
                return true;
            }
            if a.hash != entry.hash {
                self.problems.push(Problem::AnchorLost {
                    label: a.label.clone(),
                    seq: a.seq,
                });
            }
            false
        });
        self.expected_seq = entry.seq + 1;
        self.prev_hash = entry.hash.clone();
    }

    /// Ends the check against the stored head; returns every problem found.
    pub fn finish(mut self, head_seq: i64, head_hash: &str) -> Vec<Problem> {
        let last_seq = self.expected_seq - 1;
        if head_seq != last_seq || (head_seq > 0 && head_hash != self.prev_hash) {
            if head_seq > last_seq {
                self.problems.push(Problem::Missing {
                    from: last_seq + 1,
                    to: head_seq,
                });
            }
            self.problems.push(Problem::TailCut { head_seq, last_seq });
        }
        for a in self.anchors {
            self.problems.push(Problem::AnchorLost {
                label: a.label,
                seq: a.seq,
            });
        }
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        let at = DateTime::from_timestamp(1_600_000_000, 123_456_789).unwrap_or_default();
        (1..=n)
            .map(|seq| {
                let e = Entry::seal(
                    Record::new(AuditAction::ExpenseCreate, "expense", seq).after(&seq),
                    seq,
                    at,
                    "a@b.it",
                    Some(1),
                    &prev,
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(entries: &[Entry], anchors: Vec<Anchor>) -> Vec<Problem> {
        let mut c = ChainCheck::new(anchors);
        for e in entries {
            c.push(e);
        }
        let (seq, hash) = entries
            .last()
            .map(|e| (e.seq, e.hash.clone()))
            .unwrap_or((0, GENESIS.into()));
        c.finish(seq, &hash)
    }

    #[test]
    fn an_intact_chain_passes() {
        assert_eq!(check(&chain(5), vec![]), vec![]);
        assert_eq!(check(&[], vec![]), vec![]);
    }

    #[test]
    fn time_is_sealed_to_the_microsecond() {
        let e = &chain(1)[0];
        assert_eq!(e.at.timestamp_subsec_nanos(), 123_456_000);
    }

    #[test]
    fn an_altered_entry_is_named() {
        let mut c = chain(5);
        c[2].after = Some("99".into());
        assert_eq!(check(&c, vec![]), vec![Problem::Altered { seq: 3 }]);
    }

    #[test]
    fn a_resealed_entry_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].actor = "someone@else.it".into();
        c[2].hash = c[2].content_hash();
        assert_eq!(check(&c, vec![]), vec![Problem::BrokenLink { seq: 4 }]);
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(check(&c, vec![]), vec![Problem::Missing { from: 2, to: 2 }]);
    }

    #[test]
    fn a_cut_tail_is_caught_by_the_head_and_by_anchors() {
        let c = chain(5);
        let mut k = ChainCheck::new(vec![Anchor {
            label: "rendicontazione 1".into(),
            seq: 5,
            hash: c[4].hash.clone(),
        }]);
        for e in &c[..3] {
            k.push(e);
        }
        let problems = k.finish(5, &c[4].hash);
        assert!(problems.contains(&Problem::TailCut {
            head_seq: 5,
            last_seq: 3
        }));
        assert!(problems
            .iter()
            .any(|p| matches!(p, Problem::AnchorLost { seq: 5, .. })));
    }
}
