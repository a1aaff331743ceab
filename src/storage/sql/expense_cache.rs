//! The expenses of the few projects in use, kept in memory with the revision they were read at.
//! Every change to a project's expenses bumps `projects.expenses_revision` in its own transaction,
//! so a reader that finds the revision unchanged may reuse the list: correct with several instances
//! on one database, and the summary of a large project no longer re-reads every row each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::{Expense, ProjectId};

/// How many projects are kept; the least recently used one goes first.
const CAPACITY: usize = 8;

#[derive(Default)]
pub(super) struct ExpenseCache {
    entries: Mutex<HashMap<ProjectId, Entry>>,
}

struct Entry {
    revision: i64,
    expenses: Arc<Vec<Expense>>,
    last_used: u64,
}

impl ExpenseCache {
    fn tick(entries: &HashMap<ProjectId, Entry>) -> u64 {
        entries.values().map(|e| e.last_used).max().unwrap_or(0) + 1
    }

    pub fn get(&self, project: ProjectId, revision: i64) -> Option<Arc<Vec<Expense>>> {
        let mut entries = self.entries.lock().ok()?;
        let tick = Self::tick(&entries);
        let entry = entries
            .get_mut(&project)
            .filter(|e| e.revision == revision)?;
        entry.last_used = tick;
        Some(entry.expenses.clone())
    }

    pub fn put(&self, project: ProjectId, revision: i64, expenses: Arc<Vec<Expense>>) {
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
                expenses,
                last_used,
            },
        );
    }
}
