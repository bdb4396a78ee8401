//! Full-text search over the council's archive: drafts, adopted decisions, committee opinions,
//! amendments, agendas, sessions' minutes and this device's owner's own notes, in Ukrainian,
//! Bulgarian and English.
//!
//! The store is the truth and the index is a cache of it, kept in a directory beside the store
//! ([`index_dir`]). [`Index::open_or_rebuild`] deletes and rebuilds an index that is missing,
//! damaged, of another format, or built for another council or member; [`Index::update`]
//! re-indexes only the documents whose content (automerge heads) or workflow (status, referral)
//! changed since the last update. Each indexed document carries its fingerprint, committed
//! atomically with it, so the index always knows exactly what it holds.
//!
//! Words are split on Unicode word boundaries (an apostrophe inside a Ukrainian word such as
//! «сім'я» belongs to it) and lower-cased, so a query in one case finds the other in any of the
//! three languages. Every word of a query must appear in a document (its title or text), in
//! any form starting like it: «бюджет» also finds «бюджету» and «бюджетні», «общински» finds
//! «общинския». Words in double quotes must appear together as a phrase. Results are ranked by
//! BM25 (title matches count double) and carry a snippet of the text with the matches
//! highlighted. [`SearchService`] keeps an index up to date from an [`crate::engine::Engine`]
//! for the app.

mod date;
mod error;
mod index;
mod minutes;
mod plan;
mod query;
mod schema;
mod service;
mod source;
mod tokenizer;
mod types;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use date::{day_start_ms, format_day, parse_day};
pub use error::SearchError;
pub use index::{Index, Progress, Updated};
pub use plan::Plan;
pub use service::{SearchService, ServiceStatus};
pub use types::{Hit, Kind, Query, Status};

/// The search index's directory for a profile whose council store lives in `profile_dir`.
pub fn index_dir(profile_dir: &Path) -> PathBuf {
    profile_dir.join("search-index")
}
