//! Whether a poll is bound to the text its agenda item is about (`docs/format.md` §10, step 4,
//! `document` and `version`): the document it names is the item's, or an amendment or a
//! committee opinion of it, and the version it names is made of that document's changes.
//!
//! A session applies an opening without the documents (a peer may not hold them yet, and an
//! amendment may be created after the session opened), so this is checked over a whole record:
//! by `council verify`, on a bundle and on a device, with the same function.

use std::collections::BTreeSet;

use crate::hash::Hash;
use crate::log::DocSpec;
use crate::session::{PollId, SessionId};

use super::Replica;

/// How a poll binds to its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBinding {
    /// What is wrong with the document the poll names, sorted: `item-has-no-document` (the
    /// item names none, the poll does), `other-document` (neither the item's document nor an
    /// amendment or opinion of it), `no-version` (a document without a version).
    pub document: Vec<String>,
    /// `not-in-items:<hash hex>` for each hash of the version that is not a change of the
    /// document the record holds, sorted; `None` when the record holds no change of the
    /// document at all (a bundle written without document changes), so the version cannot be
    /// checked.
    pub version: Option<Vec<String>>,
}

impl Replica {
    /// The text binding of `poll` in `session`, or `None` if this replica holds no such poll.
    pub fn text_binding(&self, session: &SessionId, poll: &PollId) -> Option<TextBinding> {
        let s = self.session(session)?;
        let p = s.state().poll(poll)?;
        let open = &p.open;
        let item_doc = s
            .state()
            .items
            .get(usize::try_from(open.item).ok()?)
            .and_then(|i| i.item.doc);
        let named = open.doc != Hash::default();
        let mut document = Vec::new();
        match item_doc {
            None if named => document.push("item-has-no-document".to_string()),
            None => {}
            Some(d) if open.doc == d => {}
            Some(d) => {
                let of_item = self
                    .log()
                    .state()
                    .documents
                    .get(&open.doc)
                    .is_some_and(|m| {
                        matches!(
                            m.spec,
                            DocSpec::Amendment { draft, .. } | DocSpec::Opinion { draft, .. }
                                if draft == d
                        )
                    });
                if !of_item {
                    document.push("other-document".to_string());
                }
            }
        }
        if named && open.version.is_empty() {
            document.push("no-version".to_string());
        }
        document.sort();
        let changes: BTreeSet<Hash> = self
            .documents()
            .get(&open.doc)
            .map(|d| {
                d.changes()
                    .iter()
                    .chain(d.suspended())
                    .map(|c| Hash(c.hash().0))
                    .collect()
            })
            .unwrap_or_default();
        let version = (!changes.is_empty()).then(|| {
            let mut off: Vec<String> = open
                .version
                .iter()
                .filter(|h| !changes.contains(h))
                .map(|h| format!("not-in-items:{}", h.to_hex()))
                .collect();
            off.sort();
            off.dedup();
            off
        });
        Some(TextBinding { document, version })
    }
}
