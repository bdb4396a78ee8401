//! The app's integration tests, in one binary: each module is one area (the UI, the command
//! line, the bundle, minutes, search, the public site, the demo). One binary links the app and
//! its dependencies once instead of eight times, which keeps a clean build's disk and time small.

mod bundle;
mod cli;
mod demo;
mod join_serve;
mod minutes;
mod publish;
mod search;
mod ui;
