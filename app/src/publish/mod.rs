//! The public record: a static website of what a council decided and how everyone voted, with
//! the signed bundle that lets anyone recheck it (`council publish --out DIR`).
//!
//! Only what is public leaves: every log operation (the roster that polls are verified against;
//! operations hold names and roles, never document text), every session statement and ballot,
//! and the text of public documents — drafts once their authors submitted them, committee
//! opinions and amendments on such drafts, and published agendas. Personal notes, drafts still
//! being written and agendas not yet published never appear, in the pages or in the bundle.
//! The pages are plain HTML with one stylesheet and no script: they open from disk and from any
//! static web server, and read on a phone.

mod pages;
mod words;

use std::path::{Path, PathBuf};

use crdt_model::replica::Replica;
use crdt_model::{DocId, DocSpec, DraftStatus};
use thiserror::Error;

use crate::bundle::{Bundle, Scope};
use crate::minutes::Lang;

/// Why the site could not be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PublishError {
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Minutes could not be made.
    #[error("minutes of {label}: {why}")]
    Minutes {
        /// The session's label.
        label: String,
        /// Why.
        why: String,
    },
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Every file written, relative to the site's folder, sorted.
    pub files: Vec<String>,
    /// Sessions on the site.
    pub sessions: usize,
    /// Polls on the site.
    pub polls: usize,
    /// Decisions on the site.
    pub decisions: usize,
}

/// Whether the text of document `id` may leave the council.
pub fn is_public(replica: &Replica, id: &DocId) -> bool {
    let state = replica.log().state();
    let Some(meta) = state.documents.get(id) else {
        return false;
    };
    let draft_public = |d: &DocId| {
        state
            .documents
            .get(d)
            .is_some_and(|m| m.draft_status != DraftStatus::Draft)
    };
    match &meta.spec {
        DocSpec::Draft { .. } => meta.draft_status != DraftStatus::Draft,
        DocSpec::Opinion { draft, .. } | DocSpec::Amendment { draft, .. } => draft_public(draft),
        DocSpec::Agenda { .. } => replica.documents().get(id).is_some_and(|d| d.published()),
        DocSpec::Note => false,
    }
}

/// The bundle the site offers: see [`Scope::Public`].
pub fn public_bundle(replica: &Replica) -> Bundle {
    Bundle::from_replica(replica, Scope::Public)
}

/// Writes the site of `replica`'s public record into `out` (created if missing; files of an
/// earlier run are replaced), in `lang`. `progress` is told each file as it is written.
pub fn publish(
    replica: &Replica,
    out: &Path,
    lang: Lang,
    progress: &mut dyn FnMut(&str),
) -> Result<Published, PublishError> {
    let site = pages::Site::build(replica, lang)?;
    std::fs::create_dir_all(out).map_err(|source| PublishError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for (name, bytes) in &site.files {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|source| PublishError::Write { path, source })?;
        progress(name);
        files.push(name.clone());
    }
    files.sort();
    Ok(Published {
        files,
        sessions: site.sessions,
        polls: site.polls,
        decisions: site.decisions,
    })
}
