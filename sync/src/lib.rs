//! Council's replication and storage layer.
//!
//! Today it holds the durable store: every signed item a device accepts (log operations and
//! document changes) is appended to one redb database in a single durable transaction before it
//! is acknowledged, and a device's replica is rebuilt from it on start. The iroh endpoint that
//! exchanges these items between peers builds on this store (issue 4).
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod net;
mod node;
mod store;
pub mod ticket;

pub use node::{Node, NodeError};
pub use store::{
    GenesisError, OpenError, PeerRecord, Quarantined, ReadError, SETTING_LANGUAGE, SETTING_RELAY,
    Store, WriteError,
};
