// Replays the fuzz inputs kept in the repository through a harness, under plain `cargo test`:
// the seeds (`fuzz/seeds/TARGET/`), the corpus the fuzzer grew (`fuzz/corpus/TARGET/`) and the
// inputs that once crashed it (`fuzz/artifacts/TARGET/`). automerge's habit
// (`tests/fuzz-crashers` and `fn fuzz_crashers()`), one directory per target.
//
// `include!`d inside `mod replay` by the replay tests.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The repository's `fuzz/` directory, from a crate one level below the root.
pub fn fuzz_dir(manifest_dir: &str) -> PathBuf {
    Path::new(manifest_dir).join("..").join("fuzz")
}

/// The files of `fuzz/KIND/TARGET/` (KIND is `seeds`, `corpus` or `artifacts`), sorted; none if
/// the directory does not exist.
pub fn inputs(fuzz: &Path, kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz.join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n.ends_with(".md"))
        })
        .collect();
    files.sort();
    files
}

/// Runs every file through `run`, except those named in `skip` (crashers not fixed yet, each
/// replayed by its own ignored test); fails naming every file that panicked. Returns how many
/// ran.
pub fn replay(files: &[PathBuf], skip: &[&str], run: fn(&[u8])) -> usize {
    let mut failed = Vec::new();
    let mut ran = 0;
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if skip.contains(&name) {
            continue;
        }
        let bytes = std::fs::read(f).expect("a fuzz input is readable");
        ran += 1;
        if catch_unwind(AssertUnwindSafe(|| run(&bytes))).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(failed.is_empty(), "these fuzz inputs panic: {failed:#?}");
    ran
}

/// Runs one file through `run` (a crasher's own regression test).
pub fn replay_one(fuzz: &Path, target: &str, name: &str, run: fn(&[u8])) {
    let path = fuzz.join("artifacts").join(target).join(name);
    let bytes = std::fs::read(&path).expect("the crasher is kept in the repository");
    run(&bytes);
}

/// Writes `seeds` into `fuzz/seeds/TARGET/`, replacing what is there.
pub fn write_seeds(fuzz: &Path, target: &str, seeds: &[(String, Vec<u8>)]) {
    let dir = fuzz.join("seeds").join(target);
    if dir.exists() {
        for f in inputs(fuzz, "seeds", target) {
            std::fs::remove_file(f).expect("an old seed is removable");
        }
    }
    std::fs::create_dir_all(&dir).expect("the seed directory is creatable");
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).expect("a seed is writable");
    }
}
