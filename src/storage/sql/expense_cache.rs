//! The expenses (and the commitments) of the few projects in use, kept in memory with the revision
//! they were read at. Every change to a project's expenses or commitments bumps
//! `projects.expenses_revision` in its own transaction, so a reader that finds the revision
//! unchanged may reuse the list: correct with several instances on one database, and the summary
//! (or the forecast) of a large project no longer re-reads every row each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::commitment::Commitment;
use crate::domain::{Expense, ProjectId};

pub(super) type ExpenseCache = RevisionCache<Vec<Expense>>;
pub(super) type CommitmentCache = RevisionCache<Vec<Commitment>>;

/// How many projects are kept; the least recently used one goes first.
const CAPACITY: usize = 8;

pub(super) struct RevisionCache<T> {
    entries: Mutex<HashMap<ProjectId, Entry<T>>>,
}

impl<T> Default for RevisionCache<T> {
    fn default() -> Self {
        RevisionCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

struct Entry<T> {
    revision: i64,
    value: Arc<T>,
    last_used: u64,
}

impl<T> RevisionCache<T> {
    fn tick(entries: &HashMap<ProjectId, Entry<T>>) -> u64 {
        entries.values().map(|e| e.last_used).max().unwrap_or(0) + 1
    }

    pub fn get(&self, project: ProjectId, revision: i64) -> Option<Arc<T>> {
        let mut entries = self.entries.lock().ok()?;
        let tick = Self::tick(&entries);
        let entry = entries
            .get_mut(&project)
            .filter(|e| e.revision == revision)?;
        entry.last_used = tick;
        Some(entry.value.clone())
    }

    pub fn put(&self, project: ProjectId, revision: i64, value: Arc<T>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.get(&project).is_some_and(|e| e.revision > revision) {
            return;
        }
        if !entries.contains_key(&project) && entries.len() >= CAPACITY {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(p, _)| *p)
            {
                entries.remove(&oldest);
            }
        }
        let last_used = Self::tick(&entries);
        entries.insert(
            project,
            Entry {
                revision,
                value,
                last_used,
            },
        );
    }
}
