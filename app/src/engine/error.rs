//! Why a command did not happen. The UI shows these to the person who clicked.

use thiserror::Error;

/// A command that was not carried out; nothing was signed or stored.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// The council's rules do not let this member do it.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// The thing it names does not exist on this device (yet).
    #[error("{0} is not known on this device")]
    Unknown(&'static str),
    /// The node refused the signed item.
    #[error("refused: {0}")]
    Refused(String),
    /// The item could not be saved; nothing was acknowledged.
    #[error("could not save: {0}")]
    Save(String),
    /// The edit does not fit the document (e.g. a line range past its end).
    #[error("{0}")]
    Invalid(String),
}

impl From<crdt_model::log::Unauthorized> for CommandError {
    fn from(e: crdt_model::log::Unauthorized) -> Self {
        CommandError::NotAllowed(e.to_string())
    }
}

impl From<crdt_model::document::EditError> for CommandError {
    fn from(e: crdt_model::document::EditError) -> Self {
        match e {
            crdt_model::document::EditError::Unauthorized(u) => u.into(),
            other => CommandError::Invalid(other.to_string()),
        }
    }
}

impl From<crdt_model::session::Refused> for CommandError {
    fn from(e: crdt_model::session::Refused) -> Self {
        CommandError::Refused(e.to_string())
    }
}
