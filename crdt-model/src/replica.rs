//! One peer's whole view of a council: the log and every document, fed by signed items in any
//! order. This is what the sync layer stores and serves; it decides nothing on its own beyond the
//! checks of [`CouncilLog`] and [`Document`].

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

use crate::council::SignedGenesis;
use crate::document::{ChangeRejected, Document, Received, SignedChange};
use crate::log::{CouncilLog, DocId, Inserted, OpRejected, SignedOp};

/// A signed item as peers exchange it.
// Items are moved one at a time between the network, the replica and the store; boxing the
// larger variant would add an allocation per item for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Item {
    /// A council log operation.
    Op(SignedOp),
    /// A document change.
    Change(SignedChange),
}

/// Why an item was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemRejected {
    /// A refused log operation.
    #[error(transparent)]
    Op(#[from] OpRejected),
    /// A refused change.
    #[error(transparent)]
    Change(#[from] ChangeRejected),
}

/// What became of an accepted or parked item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now (with whatever it unblocked).
    Applied,
    /// Already held.
    Duplicate,
    /// Waiting for something it depends on.
    Pending,
}

const MAX_ORPHANS: usize = 100_000;

/// A peer's council: log, documents, and changes for documents not yet known.
#[derive(Debug)]
pub struct Replica {
    log: CouncilLog,
    docs: BTreeMap<DocId, Document>,
    orphans: HashMap<DocId, Vec<SignedChange>>,
    orphan_count: usize,
}

impl Replica {
    /// A replica holding only the genesis.
    pub fn new(genesis: SignedGenesis) -> Self {
        Replica {
            log: CouncilLog::new(genesis),
            docs: BTreeMap::new(),
            orphans: HashMap::new(),
            orphan_count: 0,
        }
    }

    /// The log.
    pub fn log(&self) -> &CouncilLog {
        &self.log
    }

    /// The log, for local operations.
    pub fn log_mut(&mut self) -> &mut CouncilLog {
        &mut self.log
    }

    /// The documents known (created by an accepted operation).
    pub fn documents(&self) -> &BTreeMap<DocId, Document> {
        &self.docs
    }

    /// One document, created empty on first use if the log knows it.
    pub fn document_mut(&mut self, id: &DocId) -> Option<(&CouncilLog, &mut Document)> {
        self.ensure_docs();
        let doc = self.docs.get_mut(id)?;
        Some((&self.log, doc))
    }

    /// Items waiting for something (log operations, changes, changes of unknown documents).
    pub fn pending_len(&self) -> usize {
        self.log.pending_len()
            + self.docs.values().map(Document::pending_len).sum::<usize>()
            + self.orphan_count
    }

    /// Receives one item.
    pub fn receive(&mut self, item: Item) -> Result<Outcome, ItemRejected> {
        match item {
            Item::Op(op) => {
                let r = self.log.insert(op)?;
                Ok(match r {
                    Inserted::Accepted { .. } => {
                        self.after_log_change();
                        Outcome::Applied
                    }
                    Inserted::Duplicate => Outcome::Duplicate,
                    Inserted::Pending { .. } => Outcome::Pending,
                })
            }
            Item::Change(c) => {
                let id = c.doc();
                if !self.docs.contains_key(&id) && !self.log.state().documents.contains_key(&id) {
                    if self.orphan_count >= MAX_ORPHANS {
                        return Err(ChangeRejected::TooManyPending.into());
                    }
                    if c.council() != self.log.council_id() {
                        return Err(ChangeRejected::WrongCouncil.into());
                    }
                    self.orphans.entry(id).or_default().push(c);
                    self.orphan_count += 1;
                    return Ok(Outcome::Pending);
                }
                self.ensure_docs();
                let Some(doc) = self.docs.get_mut(&id) else {
                    return Ok(Outcome::Pending);
                };
                Ok(match doc.receive(&self.log, c)? {
                    Received::Applied { .. } => Outcome::Applied,
                    Received::Duplicate => Outcome::Duplicate,
                    Received::Pending => Outcome::Pending,
                })
            }
        }
    }

    fn ensure_docs(&mut self) {
        let council = self.log.council_id();
        for (id, meta) in &self.log.state().documents {
            if !self.docs.contains_key(id)
                && let Ok(d) = Document::with_kind(council, *id, meta.spec.kind())
            {
                self.docs.insert(*id, d);
            }
        }
    }

    fn after_log_change(&mut self) {
        self.ensure_docs();
        let ids: Vec<DocId> = self.orphans.keys().copied().collect();
        for id in ids {
            if let Some(doc) = self.docs.get_mut(&id)
                && let Some(list) = self.orphans.remove(&id)
            {
                self.orphan_count -= list.len();
                for c in list {
                    // Refusals of orphans are final and need no answer: their sender is gone.
                    let _ = doc.receive(&self.log, c);
                }
            }
        }
        for doc in self.docs.values_mut() {
            if doc.pending_len() > 0 {
                doc.retry(&self.log);
            }
        }
    }

    /// Every accepted item, in an order any peer can apply without parking anything: the log
    /// first, then each document's changes.
    pub fn items(&self) -> Vec<Item> {
        let mut out: Vec<Item> = self.log.ops().cloned().map(Item::Op).collect();
        for d in self.docs.values() {
            out.extend(d.changes().iter().cloned().map(Item::Change));
        }
        out
    }
}
