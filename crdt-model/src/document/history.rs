//! A document's audit trail: who changed what and when, and paragraph diffs between versions.

use std::collections::HashSet;

use automerge::ChangeHash;
use similar::{ChangeTag, TextDiff};

use super::{Document, EditError, TextField};
use crate::identity::{DeviceId, MemberId, parse_actor};
use crate::log::OpId;

/// One accepted change, as the history screen and the minutes show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// The change hash.
    pub hash: ChangeHash,
    /// Who signed it.
    pub author: MemberId,
    /// From which of their devices.
    pub device: DeviceId,
    /// The author's clock when they made it, milliseconds since the epoch.
    pub time_ms: i64,
    /// Number of automerge operations in it (roughly, characters typed or deleted).
    pub ops: usize,
    /// The changes it builds on.
    pub deps: Vec<ChangeHash>,
    /// The point of the council log it was authorized against.
    pub log_heads: Vec<OpId>,
}

/// How one paragraph differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParagraphDiff {
    /// Present in both.
    Same(String),
    /// Only in the later version.
    Added(String),
    /// Only in the earlier version.
    Removed(String),
}

impl Document {
    /// Every accepted change in the order applied, with its author.
    pub fn history(&self) -> Vec<ChangeRecord> {
        self.accepted
            .iter()
            .filter_map(|c| {
                let ch = c.change();
                let (author, device) = parse_actor(ch.actor_id().to_bytes())?;
                Some(ChangeRecord {
                    hash: ch.hash(),
                    author,
                    device,
                    time_ms: ch.timestamp(),
                    ops: ch.len(),
                    deps: ch.deps().to_vec(),
                    log_heads: c.log_heads().to_vec(),
                })
            })
            .collect()
    }

    /// The changes that make up version `heads` (it and everything it builds on), with authors.
    pub fn history_at(&self, heads: &[ChangeHash]) -> Result<Vec<ChangeRecord>, EditError> {
        self.check_version(heads)?;
        let included = self.ancestry(heads);
        Ok(self
            .history()
            .into_iter()
            .filter(|r| included.contains(&r.hash))
            .collect())
    }

    /// Changes in version `to` that are not in version `from`: who changed what between them.
    pub fn changes_between(
        &self,
        from: &[ChangeHash],
        to: &[ChangeHash],
    ) -> Result<Vec<ChangeRecord>, EditError> {
        self.check_version(from)?;
        self.check_version(to)?;
        let before = self.ancestry(from);
        let after = self.ancestry(to);
        Ok(self
            .history()
            .into_iter()
            .filter(|r| after.contains(&r.hash) && !before.contains(&r.hash))
            .collect())
    }

    pub(super) fn ancestry(&self, heads: &[ChangeHash]) -> HashSet<ChangeHash> {
        let mut seen = HashSet::new();
        let mut stack: Vec<ChangeHash> = heads.to_vec();
        while let Some(h) = stack.pop() {
            if let Some(c) = self.change(&h)
                && seen.insert(h)
            {
                stack.extend(c.change().deps().iter().copied());
            }
        }
        seen
    }

    /// Paragraph-by-paragraph diff of `field` between two versions. A paragraph is a line: drafts
    /// are written one paragraph per line, which is also how amendments address them.
    pub fn diff(
        &self,
        field: TextField,
        from: &[ChangeHash],
        to: &[ChangeHash],
    ) -> Result<Vec<ParagraphDiff>, EditError> {
        let a = self.text_at(field, from)?;
        let b = self.text_at(field, to)?;
        Ok(paragraph_diff(&a, &b))
    }
}

/// Paragraph diff of two texts.
pub fn paragraph_diff(a: &str, b: &str) -> Vec<ParagraphDiff> {
    TextDiff::from_lines(a, b)
        .iter_all_changes()
        .map(|c| {
            let line = c.value().trim_end_matches('\n').to_string();
            match c.tag() {
                ChangeTag::Equal => ParagraphDiff::Same(line),
                ChangeTag::Insert => ParagraphDiff::Added(line),
                ChangeTag::Delete => ParagraphDiff::Removed(line),
            }
        })
        .collect()
}
