//! What is searchable in a replica, and a fingerprint of each searchable thing that changes
//! whenever anything indexed about it does.
//!
//! Council documents and sessions' minutes are searchable by every member; a personal note
//! only by its owner, so an index built for member `me` holds `me`'s notes and nobody else's.

use std::collections::HashMap;

use crdt_model::document::{Document, TextField};
use crdt_model::hash::Hash;
use crdt_model::log::{AmendmentStatus, CommitteeId, DocMeta};
use crdt_model::replica::Replica;
use crdt_model::{DocId, DocSpec, DraftStatus, MemberId};

use super::types::Kind;
use crate::minutes::Lang;

/// One document as it is indexed.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub id: DocId,
    pub fp: u64,
    /// Kinds it is found under (an adopted draft: draft and decision).
    pub kinds: Vec<Kind>,
    pub status: Option<&'static str>,
    pub committee: Option<CommitteeId>,
    /// The creator first, then co-authors.
    pub authors: Vec<MemberId>,
    pub parent: Option<DocId>,
    pub date_ms: i64,
    pub title: String,
    pub body: String,
}

/// Whether `me` may find the document described by `meta` (see the module's documentation).
fn searchable(meta: &DocMeta, me: &MemberId) -> bool {
    match meta.spec {
        DocSpec::Note => meta.creator == *me,
        _ => true,
    }
}

/// The first 8 bytes of a domain-separated hash of `parts`.
pub(super) fn fingerprint(parts: &[&[u8]]) -> u64 {
    let h = Hash::of(b"council/search/fingerprint\0", parts);
    let mut first = [0u8; 8];
    first.copy_from_slice(&h.0[..8]);
    u64::from_le_bytes(first)
}

/// The fingerprint of every document `me` may find, and of every session's minutes (written
/// in `lang`).
pub(super) fn fingerprints(r: &Replica, me: &MemberId, lang: Lang) -> HashMap<Hash, u64> {
    let state = r.log().state();
    let docs = r.documents();
    let mut out: HashMap<Hash, u64> = state
        .documents
        .iter()
        .filter(|(_, meta)| searchable(meta, me))
        .map(|(id, meta)| {
            let heads = docs.get(id).map(Document::heads).unwrap_or_default();
            let parent_referral = parent(meta)
                .and_then(|p| state.documents.get(&p))
                .and_then(|p| p.referred_to);
            let statuses = [meta.draft_status as u8, meta.amendment_status as u8];
            let mut parts: Vec<&[u8]> = vec![
                &statuses,
                meta.referred_to.as_ref().map_or(&[], |c| &c.0[..]),
                b"/",
                parent_referral.as_ref().map_or(&[], |c| &c.0[..]),
                b"/",
            ];
            parts.extend(heads.iter().map(|h| &h.0[..]));
            (*id, fingerprint(&parts))
        })
        .collect();
    out.extend(super::minutes::fingerprints(r, lang));
    out
}

fn parent(meta: &DocMeta) -> Option<DocId> {
    match meta.spec {
        DocSpec::Opinion { draft, .. } | DocSpec::Amendment { draft, .. } => Some(draft),
        _ => None,
    }
}

/// Document or session `id` as it is indexed, if `me` may find it.
pub(super) fn entry(r: &Replica, me: &MemberId, lang: Lang, id: &Hash, fp: u64) -> Option<Entry> {
    let state = r.log().state();
    let Some(meta) = state.documents.get(id) else {
        return super::minutes::entry(r, id, lang, fp);
    };
    if !searchable(meta, me) {
        return None;
    }
    let doc = r.documents().get(id);
    let text = |f: TextField| doc.and_then(|d| d.text(f).ok()).unwrap_or_default();
    let mut authors = vec![meta.creator];
    let (kinds, status, committee, title, body) = match &meta.spec {
        DocSpec::Draft { co_authors } => {
            authors.extend(co_authors.iter().copied());
            let mut kinds = vec![Kind::Draft];
            if meta.draft_status == DraftStatus::Adopted {
                kinds.push(Kind::Decision);
            }
            (
                kinds,
                Some(meta.draft_status.name()),
                meta.referred_to,
                text(TextField::Title),
                text(TextField::Body),
            )
        }
        DocSpec::Opinion { committee, .. } => (
            vec![Kind::Opinion],
            None,
            Some(*committee),
            String::new(),
            join(&text(TextField::Body), &text(TextField::Rationale)),
        ),
        DocSpec::Amendment { draft, .. } => (
            vec![Kind::Amendment],
            Some(amendment_status(meta.amendment_status)),
            state.documents.get(draft).and_then(|d| d.referred_to),
            String::new(),
            join(&text(TextField::Body), &text(TextField::Rationale)),
        ),
        DocSpec::Agenda { label, committee } => {
            let items: Vec<String> = doc
                .and_then(|d| d.agenda().ok())
                .unwrap_or_default()
                .into_iter()
                .map(|i| i.title)
                .collect();
            let title = text(TextField::Title);
            (
                vec![Kind::Agenda],
                None,
                *committee,
                if title.trim().is_empty() {
                    label.clone()
                } else {
                    title
                },
                items.join("\n"),
            )
        }
        DocSpec::Note => (
            vec![Kind::Note],
            None,
            None,
            text(TextField::Title),
            text(TextField::Body),
        ),
    };
    Some(Entry {
        id: *id,
        fp,
        kinds,
        status,
        committee,
        authors,
        parent: parent(meta),
        date_ms: r
            .log()
            .get(id)
            .map_or(0, |o| i64::try_from(o.op().time_ms).unwrap_or(i64::MAX)),
        title,
        body,
    })
}

fn amendment_status(s: AmendmentStatus) -> &'static str {
    s.name()
}

fn join(a: &str, b: &str) -> String {
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (_, true) => a.to_string(),
        (true, false) => b.to_string(),
        (false, false) => format!("{a}\n\n{b}"),
    }
}
