//! The fuzz inputs kept in the repository for the bundle reader (`council verify`), replayed
//! through the very harness the fuzz target runs (`fuzz/harness/bundle.rs`, included here and by
//! `fuzz/fuzz_targets/bundle.rs`): the seeds, the corpus the fuzzer grew, and every input that
//! once crashed it. A plain `cargo test` runs them, without libFuzzer; `fuzz/README.md` says how
//! to fuzz.
#![allow(clippy::expect_used)] // Tests state what they expect.

#[allow(dead_code)]
mod world {
    include!("../../fuzz/harness/world.rs");
}
#[allow(dead_code)]
mod bundle {
    include!("../../fuzz/harness/bundle.rs");
}
#[allow(dead_code)]
mod replay {
    include!("../../fuzz/harness/replay.rs");
}

use std::path::PathBuf;

fn fuzz() -> PathBuf {
    replay::fuzz_dir(env!("CARGO_MANIFEST_DIR"))
}

/// Crashers of `bundle` not fixed yet: each has its own ignored test below.
const BUNDLE_OPEN: &[&str] = &[];

#[test]
fn bundle_seeds_and_corpus_replay_without_panicking() {
    let f = fuzz();
    let mut files = replay::inputs(&f, "seeds", "bundle");
    files.extend(replay::inputs(&f, "corpus", "bundle"));
    assert!(
        replay::replay(&files, &[], bundle::run) > 0,
        "no bundle seeds"
    );
}

#[test]
fn bundle_crashers_replay_without_panicking() {
    let files = replay::inputs(&fuzz(), "artifacts", "bundle");
    replay::replay(&files, BUNDLE_OPEN, bundle::run);
}

/// The seeds are bundles that verify: the fuzzer starts from files `council verify` passes.
#[test]
fn the_seeds_are_bundles_that_verify() {
    let example = std::fs::read(fuzz().join("../docs/example-bundle.json")).expect("the example");
    for (name, bytes) in bundle::seeds(&example) {
        let b = council_app::bundle::Bundle::parse(&bytes).expect("a seed parses");
        let v = b.verify();
        assert!(v.passed(), "seed {name} verifies: {:?}", v.problems);
    }
}

/// Writes `fuzz/seeds/bundle/` from `docs/example-bundle.json` and the sample world.
#[test]
#[ignore = "regenerates the seed files: cargo test -p council-app --test fuzz_replay -- --ignored write_seeds"]
fn write_seeds() {
    let f = fuzz();
    let example = std::fs::read(f.join("../docs/example-bundle.json")).expect("the example");
    replay::write_seeds(&f, "bundle", &bundle::seeds(&example));
}
