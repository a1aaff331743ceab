//! The expenses (and the commitments) of the projects in use, kept in memory with the revision
//! they were read at. Every change to a project's expenses or commitments bumps
//! `projects.expenses_revision` in its own transaction, so a reader that finds the revision
//! unchanged may reuse the list: correct with several instances on one database, and the summary
//! (or the forecast) of a large project no longer re-reads every row each time.
//!
//! The cache is bounded by rows, not by projects: a Region's server holds many small projects or a
//! few large ones in the same memory (`--cache-expenses`, see `StoreOptions`). The least recently
//! used project goes first; a project larger than the whole budget is not kept at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::commitment::Commitment;
use crate::domain::{Expense, ProjectId};

pub(super) type ExpenseCache = RevisionCache<Expense>;
pub(super) type CommitmentCache = RevisionCache<Commitment>;

pub(super) struct RevisionCache<T> {
    max_rows: usize,
    state: Mutex<State<T>>,
}

struct State<T> {
    entries: HashMap<ProjectId, Entry<T>>,
    rows: usize,
    tick: u64,
}

struct Entry<T> {
    revision: i64,
    value: Arc<Vec<T>>,
    last_used: u64,
}

impl<T> RevisionCache<T> {
    /// A cache of at most `max_rows` rows over all projects (0: nothing is kept).
    pub fn new(max_rows: usize) -> Self {
        RevisionCache {
            max_rows,
            state: Mutex::new(State {
                entries: HashMap::new(),
                rows: 0,
                tick: 0,
            }),
        }
    }

    pub fn get(&self, project: ProjectId, revision: i64) -> Option<Arc<Vec<T>>> {
        let mut state = self.state.lock().ok()?;
        state.tick += 1;
        let tick = state.tick;
        let entry = state
            .entries
            .get_mut(&project)
            .filter(|e| e.revision == revision)?;
        entry.last_used = tick;
        Some(entry.value.clone())
    }

    pub fn put(&self, project: ProjectId, revision: i64, value: Arc<Vec<T>>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state
            .entries
            .get(&project)
            .is_some_and(|e| e.revision > revision)
        {
            return;
        }
        if let Some(old) = state.entries.remove(&project) {
            state.rows -= old.value.len();
        }
        if value.len() > self.max_rows {
            return;
        }
        while state.rows + value.len() > self.max_rows {
            let Some(oldest) = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(p, _)| *p)
            else {
                break;
            };
            if let Some(gone) = state.entries.remove(&oldest) {
                state.rows -= gone.value.len();
            }
        }
        state.tick += 1;
        state.rows += value.len();
        let last_used = state.tick;
        state.entries.insert(
            project,
            Entry {
                revision,
                value,
                last_used,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Arc<Vec<u8>> {
        Arc::new(vec![0; n])
    }

    #[test]
    fn keeps_at_most_its_rows_dropping_the_least_recently_used() {
        let cache = RevisionCache::new(10);
        cache.put(ProjectId(1), 1, rows(4));
        cache.put(ProjectId(2), 1, rows(4));
        assert!(cache.get(ProjectId(1), 1).is_some()); // 1 is now the most recent
        cache.put(ProjectId(3), 1, rows(4)); // 12 > 10: project 2 goes
        assert!(cache.get(ProjectId(2), 1).is_none());
        assert!(cache.get(ProjectId(1), 1).is_some());
        assert!(cache.get(ProjectId(3), 1).is_some());
        // Larger than the whole budget: not kept, and nothing else dropped for it.
        cache.put(ProjectId(4), 1, rows(11));
        assert!(cache.get(ProjectId(4), 1).is_none());
        assert!(cache.get(ProjectId(1), 1).is_some());
        // A newer revision replaces the entry and its rows; an older one is ignored.
        cache.put(ProjectId(1), 2, rows(6));
        assert!(cache.get(ProjectId(1), 1).is_none());
        assert_eq!(cache.get(ProjectId(1), 2).map(|v| v.len()), Some(6));
        cache.put(ProjectId(1), 1, rows(1));
        assert_eq!(cache.get(ProjectId(1), 2).map(|v| v.len()), Some(6));
        assert_eq!(cache.state.lock().map(|s| s.rows).unwrap_or(0), 10);
    }

    #[test]
    fn a_cache_of_no_rows_keeps_nothing() {
        let cache = RevisionCache::new(0);
        cache.put(ProjectId(1), 1, rows(1));
        assert!(cache.get(ProjectId(1), 1).is_none());
    }
}
