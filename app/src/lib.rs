//! Council's desktop app and its `council` command line.
//!
//! For now this is the command line that creates a council and keeps its roster on this device
//! (`init`, `key`, `member add/remove/role`, `roster`); the egui app and the networked commands
//! build on the same library (issue 5). `main.rs` only parses arguments and reports errors.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bundle;
mod calendar;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod host;
pub mod i18n;
pub mod minutes;
pub mod profile;
pub mod publish;
pub mod search;
pub mod ui;
pub mod views;
