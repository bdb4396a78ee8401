//! Several real peers on loopback, in one binary: each module is one scenario family (the
//! network's gatekeeping and relay, attacks on it, offline merge, polls, the replica,
//! attachments). One binary links iroh and the stack once instead of six times.

mod abuse;
mod attachments;
mod network;
mod offline_merge;
mod poll;
mod replica;
