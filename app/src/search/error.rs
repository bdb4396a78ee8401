//! What can go wrong with the search index.

use std::path::PathBuf;

use thiserror::Error;

/// A search or an index update that failed. A damaged index is never one of these: it is
/// rebuilt from the store.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The index directory could not be created, cleared or written.
    #[error("cannot prepare the search index in {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another program (another app or `council` command on this profile) holds the index.
    #[error("the search index in {path} is in use by another program")]
    Busy {
        /// The directory.
        path: PathBuf,
    },
    /// The search library failed (out of disk space, or a bug).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The background indexer stopped.
    #[error("the search indexer stopped: {0}")]
    Stopped(String),
}
