//! An update in three steps: what changed (cheap: fingerprints only), reading the changed
//! documents' texts out of the replica (in slices, so that a caller holding the engine's lock
//! for each slice never holds it long), and writing them ([`super::Index::apply`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crdt_model::replica::Replica;
use crdt_model::{DocId, MemberId};

use super::source::{self, Entry};
use crate::minutes::Lang;

/// The changes [`super::Index::plan`] found, read by [`Plan::read`] and written by
/// [`super::Index::apply`].
#[derive(Debug, Default)]
pub struct Plan {
    pub(super) me: Option<MemberId>,
    pub(super) lang: Lang,
    /// Changed documents not read yet, with their fingerprints.
    pub(super) todo: Vec<(DocId, u64)>,
    /// Changed documents read.
    pub(super) entries: Vec<Entry>,
    /// Documents to take out of the index.
    pub(super) removed: Vec<DocId>,
    /// The fingerprint of everything searchable now.
    pub(super) fingerprints: HashMap<DocId, u64>,
    /// Changed documents in all.
    pub(super) changed: usize,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.todo.is_empty() && self.entries.is_empty() && self.removed.is_empty()
    }

    /// Changed documents read so far, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.changed - self.todo.len(), self.changed)
    }

    /// Reads changed documents out of `replica` for about `budget` (at least one); whether all
    /// are read. The replica may have moved on since [`super::Index::plan`]: what is read is
    /// then newer than its fingerprint, and the next update reads it again.
    pub fn read(&mut self, replica: &Replica, budget: Duration) -> bool {
        let Some(me) = self.me else {
            self.todo.clear();
            return true;
        };
        let start = Instant::now();
        while let Some((id, fp)) = self.todo.pop() {
            match source::entry(replica, &me, self.lang, &id, fp) {
                Some(e) => self.entries.push(e),
                // Gone, or its minutes cannot be written: nothing of it may stay findable.
                None => self.removed.push(id),
            }
            if start.elapsed() >= budget {
                break;
            }
        }
        self.todo.is_empty()
    }
}
