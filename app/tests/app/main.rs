//! The app's integration tests, in one binary: each module is one area (the UI, the command
//! line, the bundle, minutes, search, the public site, the demo). One binary links the app and
//! its dependencies once instead of eight times, which keeps a clean build's disk and time small.

use std::path::Path;
use std::process::{Command, Output};

mod bundle;
mod bundle_vectors;
mod cli;
mod demo;
mod hostile_corpus;
mod join_serve;
mod minutes;
mod publish;
mod search;
mod ui;

/// Runs the `council` binary on the profile in `dir`, as a person would, and collects what it
/// printed and its exit status.
fn council(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_council"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("runs")
}

/// What a process printed, as text (lossy: a test shows it, it does not parse bytes).
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
