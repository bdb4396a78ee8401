//! Dossiers: drafts with their opinions, amendments, attachments and history; and agendas.

use std::collections::BTreeSet;

use crdt_model::document::{ChangeHash, Document, TextField};
use crdt_model::log::{AmendmentStatus, CommitteeId, CouncilState};
use crdt_model::replica::Replica;
use crdt_model::{DocId, DocKind, DocSpec, DraftStatus, MemberId, OpBody};

use super::name_of;

/// One line of the dossier list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRow {
    /// The draft.
    pub id: DocId,
    /// Its title.
    pub title: String,
    /// Its workflow status.
    pub status: DraftStatus,
    /// The committee it is referred to.
    pub committee: Option<String>,
    /// Its creator's name.
    pub author: String,
    /// Committee opinions given on it.
    pub opinions: usize,
    /// Amendments proposed to it.
    pub amendments: usize,
    /// When it was created, by its author's clock.
    pub created_ms: u64,
}

/// Which dossiers to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierFilter {
    /// Only this status.
    pub status: Option<DraftStatus>,
    /// Only drafts referred to this committee.
    pub committee: Option<CommitteeId>,
    /// Only drafts by this author.
    pub author: Option<MemberId>,
    /// Only titles containing this (case-insensitive).
    pub text: String,
}

/// The dossier list, newest first.
pub fn dossiers(r: &Replica, filter: &DossierFilter) -> Vec<DossierRow> {
    let state = r.log().state();
    let needle = filter.text.to_lowercase();
    let mut rows: Vec<DossierRow> = state
        .documents
        .iter()
        .filter(|(_, m)| m.spec.kind() == DocKind::Draft)
        .filter(|(_, m)| filter.status.is_none_or(|s| s == m.draft_status))
        .filter(|(_, m)| filter.committee.is_none_or(|c| m.referred_to == Some(c)))
        .filter(|(_, m)| filter.author.is_none_or(|a| m.is_author(&a)))
        .map(|(id, m)| DossierRow {
            id: *id,
            title: title_of(r, id),
            status: m.draft_status,
            committee: m
                .referred_to
                .and_then(|c| state.committees.get(&c))
                .map(|c| c.name.clone()),
            author: name_of(state, &m.creator),
            opinions: related(state, id, DocKind::Opinion).len(),
            amendments: related(state, id, DocKind::Amendment).len(),
            created_ms: r.log().get(id).map(|o| o.op().time_ms).unwrap_or(0),
        })
        .filter(|row| needle.is_empty() || row.title.to_lowercase().contains(&needle))
        .collect();
    rows.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(a.id.cmp(&b.id)));
    rows
}

/// A document's title (drafts, notes, agendas), or its first line.
pub fn title_of(r: &Replica, id: &DocId) -> String {
    let Some(d) = r.documents().get(id) else {
        return String::new();
    };
    match d.text(TextField::Title) {
        Ok(t) if !t.trim().is_empty() => t,
        _ => d
            .text(TextField::Body)
            .ok()
            .and_then(|b| b.lines().next().map(str::to_string))
            .unwrap_or_default(),
    }
}

fn related(state: &CouncilState, draft: &DocId, kind: DocKind) -> Vec<DocId> {
    state
        .documents
        .iter()
        .filter(|(_, m)| m.spec.kind() == kind)
        .filter(|(_, m)| match &m.spec {
            DocSpec::Opinion { draft: d, .. } | DocSpec::Amendment { draft: d, .. } => d == draft,
            _ => false,
        })
        .map(|(id, _)| *id)
        .collect()
}

/// A committee opinion on a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionView {
    /// The opinion.
    pub id: DocId,
    /// The committee's name.
    pub committee: String,
    /// Its recommendation ("support", "reject", "amend"…).
    pub recommendation: String,
    /// Its text.
    pub text: String,
}

/// An amendment to a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendmentView {
    /// The amendment.
    pub id: DocId,
    /// Its author's name.
    pub author: String,
    /// First line replaced (1-based).
    pub from_line: u32,
    /// Last line replaced.
    pub to_line: u32,
    /// The proposed text.
    pub text: String,
    /// Why.
    pub rationale: String,
    /// Its status.
    pub status: AmendmentStatus,
    /// Whether this member may accept or reject it.
    pub may_decide: bool,
}

/// A file attached to a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentView {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Who attached it.
    pub by: String,
}

/// One change in a document's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    /// Its author's name.
    pub author: String,
    /// When, by the author's clock.
    pub time_ms: i64,
    /// Roughly how many characters it typed or deleted.
    pub ops: usize,
    /// The version right after it (to diff against).
    pub version: Vec<ChangeHash>,
}

/// A draft opened in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftView {
    /// The draft.
    pub id: DocId,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The version `title` and `body` are at.
    pub version: Vec<ChangeHash>,
    /// Workflow status.
    pub status: DraftStatus,
    /// The statuses this member may move it to now.
    pub next: Vec<DraftStatus>,
    /// Whether this member may edit its text.
    pub may_edit: bool,
    /// Authors' names.
    pub authors: Vec<String>,
    /// The committee it is referred to.
    pub committee: Option<String>,
    /// Members who changed it in the last minute (by their clocks), not counting this one.
    pub editing_now: Vec<String>,
    /// Committee opinions.
    pub opinions: Vec<OpinionView>,
    /// Amendments.
    pub amendments: Vec<AmendmentView>,
    /// Attachments.
    pub attachments: Vec<AttachmentView>,
    /// Changes, oldest first (the deterministic first change excluded).
    pub history: Vec<ChangeRow>,
}

/// Builds the view of draft `id` for `me` at `now_ms`.
pub fn draft(r: &Replica, id: &DocId, me: &MemberId, now_ms: u64) -> Option<DraftView> {
    let state = r.log().state();
    let meta = state.documents.get(id)?;
    if meta.spec.kind() != DocKind::Draft {
        return None;
    }
    let doc = r.documents().get(id)?;
    let mut authors = vec![name_of(state, &meta.creator)];
    if let DocSpec::Draft { co_authors } = &meta.spec {
        authors.extend(co_authors.iter().map(|a| name_of(state, a)));
    }
    let next = DraftStatus::ALL
        .into_iter()
        .filter(|s| {
            let committee = if *s == DraftStatus::InCommittee {
                meta.referred_to
                    .or_else(|| state.committees.keys().next().copied())
            } else {
                None
            };
            state
                .authorize(
                    me,
                    &OpBody::SetDraftStatus {
                        draft: *id,
                        status: *s,
                        committee,
                    },
                )
                .is_ok()
        })
        .collect();
    let history = history(state, doc);
    let recent: BTreeSet<String> = doc
        .history()
        .iter()
        .filter(|c| c.author != *me && c.time_ms > 0)
        .filter(|c| now_ms.saturating_sub(c.time_ms as u64) < 60_000)
        .map(|c| name_of(state, &c.author))
        .collect();
    Some(DraftView {
        id: *id,
        title: doc.text(TextField::Title).unwrap_or_default(),
        body: doc.text(TextField::Body).unwrap_or_default(),
        version: doc.heads(),
        status: meta.draft_status,
        next,
        may_edit: state.authorize_write(me, id).is_ok(),
        authors,
        committee: meta
            .referred_to
            .and_then(|c| state.committees.get(&c))
            .map(|c| c.name.clone()),
        editing_now: recent.into_iter().collect(),
        opinions: related(state, id, DocKind::Opinion)
            .into_iter()
            .filter_map(|o| opinion(r, state, &o))
            .collect(),
        amendments: related(state, id, DocKind::Amendment)
            .into_iter()
            .filter_map(|a| amendment(r, state, &a, me))
            .collect(),
        attachments: meta
            .attachments
            .iter()
            .map(|a| AttachmentView {
                name: a.name.clone(),
                size: a.size,
                by: name_of(state, &a.by),
            })
            .collect(),
        history,
    })
}

fn history(state: &CouncilState, doc: &Document) -> Vec<ChangeRow> {
    doc.history()
        .into_iter()
        .map(|c| ChangeRow {
            author: name_of(state, &c.author),
            time_ms: c.time_ms,
            ops: c.ops,
            version: vec![c.hash],
        })
        .collect()
}

fn opinion(r: &Replica, state: &CouncilState, id: &DocId) -> Option<OpinionView> {
    let meta = state.documents.get(id)?;
    let DocSpec::Opinion { committee, .. } = &meta.spec else {
        return None;
    };
    let doc = r.documents().get(id)?;
    Some(OpinionView {
        id: *id,
        committee: state
            .committees
            .get(committee)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        recommendation: doc.recommendation().unwrap_or_default(),
        text: doc.text(TextField::Body).unwrap_or_default(),
    })
}

fn amendment(
    r: &Replica,
    state: &CouncilState,
    id: &DocId,
    me: &MemberId,
) -> Option<AmendmentView> {
    let meta = state.documents.get(id)?;
    let DocSpec::Amendment {
        from_line, to_line, ..
    } = meta.spec
    else {
        return None;
    };
    let doc = r.documents().get(id)?;
    let may_decide = meta.amendment_status == AmendmentStatus::Proposed
        && state
            .authorize(
                me,
                &OpBody::SetAmendmentStatus {
                    amendment: *id,
                    status: AmendmentStatus::Accepted,
                },
            )
            .is_ok();
    Some(AmendmentView {
        id: *id,
        author: name_of(state, &meta.creator),
        from_line,
        to_line,
        text: doc.text(TextField::Body).unwrap_or_default(),
        rationale: doc.text(TextField::Rationale).unwrap_or_default(),
        status: meta.amendment_status,
        may_decide,
    })
}

/// One agenda in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaRow {
    /// The agenda document.
    pub id: DocId,
    /// The session's label.
    pub label: String,
    /// Whether it was published.
    pub published: bool,
    /// Number of items.
    pub items: usize,
}

/// Every agenda, newest first.
pub fn agendas(r: &Replica) -> Vec<AgendaRow> {
    let state = r.log().state();
    let mut rows: Vec<(u64, AgendaRow)> = state
        .documents
        .iter()
        .filter_map(|(id, m)| match &m.spec {
            DocSpec::Agenda { label, .. } => {
                let doc = r.documents().get(id)?;
                Some((
                    r.log().get(id).map(|o| o.op().time_ms).unwrap_or(0),
                    AgendaRow {
                        id: *id,
                        label: label.clone(),
                        published: doc.published(),
                        items: doc.agenda().map(|a| a.len()).unwrap_or(0),
                    },
                ))
            }
            _ => None,
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    rows.into_iter().map(|(_, r)| r).collect()
}

/// An agenda being built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaView {
    /// The agenda document.
    pub id: DocId,
    /// The session's label.
    pub label: String,
    /// Items in order: number (from 1), title, dossier.
    pub items: Vec<(usize, String, Option<DocId>)>,
    /// Whether it was published.
    pub published: bool,
    /// Whether this member may edit it.
    pub may_edit: bool,
    /// Whether this member may open a session with it (chairs, once it is published).
    pub may_open: bool,
}

/// Builds the agenda view.
pub fn agenda(r: &Replica, id: &DocId, me: &MemberId) -> Option<AgendaView> {
    let state = r.log().state();
    let meta = state.documents.get(id)?;
    let DocSpec::Agenda { label, .. } = &meta.spec else {
        return None;
    };
    let doc = r.documents().get(id)?;
    let roles = state.roles_of(me);
    Some(AgendaView {
        id: *id,
        label: label.clone(),
        items: doc
            .agenda()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, it)| (i + 1, it.title, it.doc))
            .collect(),
        published: doc.published(),
        may_edit: state.authorize_write(me, id).is_ok(),
        may_open: doc.published()
            && (roles.has(crdt_model::Role::Chair) || roles.has(crdt_model::Role::DeputyChair)),
    })
}
