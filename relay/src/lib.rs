//! Council's self-hosted infrastructure: the relay that serves only the council's endpoints and
//! the always-on replica that stores and forwards signed items without any right to write.
//!
//! Both admit endpoints by the roster's access list ([`crdt_model::access::AccessList`]): the
//! relay refuses to carry traffic for anyone else, and the replica is an ordinary peer whose
//! roster role ([`crdt_model::Role::Replica`]) gives it no write rights — every peer checks every
//! item it forwards anyway.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod gate;
mod server;

pub use crdt_model::access::{Access, AccessList, Denied};
pub use gate::RosterGate;
pub use server::{CouncilRelay, RelayError, RelayOptions, TlsFiles};
