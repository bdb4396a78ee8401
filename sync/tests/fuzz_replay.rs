//! The fuzz inputs kept in the repository for the sync protocol's frames and for invite
//! tickets, replayed through the very harnesses the fuzz targets run (`fuzz/harness/*.rs`,
//! included here and by `fuzz/fuzz_targets/*.rs`): the seeds, the corpus the fuzzer grew, and
//! every input that once crashed it. A plain `cargo test` runs them, without libFuzzer;
//! `fuzz/README.md` says how to fuzz.
#![allow(clippy::expect_used)] // Tests state what they expect.

#[allow(dead_code)]
mod world {
    include!("../../fuzz/harness/world.rs");
}
#[allow(dead_code)]
mod frame {
    include!("../../fuzz/harness/frame.rs");
}
#[allow(dead_code)]
mod ticket {
    include!("../../fuzz/harness/ticket.rs");
}
#[allow(dead_code)]
mod replay {
    include!("../../fuzz/harness/replay.rs");
}

use std::path::PathBuf;

fn fuzz() -> PathBuf {
    replay::fuzz_dir(env!("CARGO_MANIFEST_DIR"))
}

/// Crashers of `frame` not fixed yet: each has its own ignored test below.
const FRAME_OPEN: &[&str] = &[];
/// Crashers of `ticket` not fixed yet: each has its own ignored test below.
const TICKET_OPEN: &[&str] = &[];

#[test]
fn frame_seeds_and_corpus_replay_without_panicking() {
    let f = fuzz();
    let mut files = replay::inputs(&f, "seeds", "frame");
    files.extend(replay::inputs(&f, "corpus", "frame"));
    assert!(
        replay::replay(&files, &[], frame::run) > 0,
        "no frame seeds"
    );
}

#[test]
fn frame_crashers_replay_without_panicking() {
    let files = replay::inputs(&fuzz(), "artifacts", "frame");
    replay::replay(&files, FRAME_OPEN, frame::run);
}

#[test]
fn ticket_seeds_and_corpus_replay_without_panicking() {
    let f = fuzz();
    let mut files = replay::inputs(&f, "seeds", "ticket");
    files.extend(replay::inputs(&f, "corpus", "ticket"));
    assert!(
        replay::replay(&files, &[], ticket::run) > 0,
        "no ticket seeds"
    );
}

#[test]
fn ticket_crashers_replay_without_panicking() {
    let files = replay::inputs(&fuzz(), "artifacts", "ticket");
    replay::replay(&files, TICKET_OPEN, ticket::run);
}

/// The seeds are what real peers send: each stream starts with a hello the world accepts,
/// and each ticket decodes.
#[test]
fn the_seeds_are_real_streams_and_tickets() {
    for (name, bytes) in ticket::seeds() {
        let s = String::from_utf8(bytes).expect("a ticket is text");
        assert!(
            council_sync::ticket::Ticket::decode(&s).is_ok(),
            "seed {name} decodes"
        );
    }
    for (name, bytes) in frame::seeds() {
        let len = u32::from_be_bytes(bytes[..4].try_into().expect("four bytes")) as usize;
        assert!(
            matches!(
                council_sync::net::proto::Message::decode(&bytes[4..4 + len]),
                Ok(council_sync::net::proto::Message::Hello(_))
            ),
            "seed {name} starts with a hello"
        );
    }
}

/// Writes `fuzz/seeds/frame/` and `fuzz/seeds/ticket/` from the sample world.
#[test]
#[ignore = "regenerates the seed files: cargo test -p council-sync --test fuzz_replay -- --ignored write_seeds"]
fn write_seeds() {
    let f = fuzz();
    replay::write_seeds(&f, "frame", &frame::seeds());
    replay::write_seeds(&f, "ticket", &ticket::seeds());
}
