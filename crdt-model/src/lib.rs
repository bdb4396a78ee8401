//! Council's domain model: identities, the council roster, signed and authorized documents,
//! sessions, polls and tallies.
//!
//! Pure by design: no IO, no async, no network. Every rule that decides what a peer accepts lives
//! here, so it can be tested message by message and reused by the sync layer, the app, the CLI
//! and the independent verifier's test vectors.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![deny(missing_docs)]

pub mod access;
pub mod council;
pub mod document;
pub mod encoding;
pub mod hash;
pub mod identity;
pub mod log;
pub mod parking;
pub mod replica;
pub mod roles;
pub mod rules;
pub mod sample;
pub mod session;

pub use council::{CouncilId, Genesis, SignedGenesis};
pub use hash::Hash;
pub use identity::{Device, DeviceId, Domain, MemberId, SecretKey, Signature};
pub use log::{CouncilLog, CouncilState, DocId, DocKind, DocSpec, OpBody, OpId, SignedOp};
pub use roles::{Role, Roles};
pub use rules::{Base, DraftStatus, MajorityRule, Rules, Threshold};
