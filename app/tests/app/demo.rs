//! The demo council runs end to end with nobody playing: every simulated peer ends with the same
//! verified tally.

use std::process::Command;

#[test]
fn the_headless_demo_ends_with_every_peer_holding_the_same_verified_tally() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(env!("CARGO_BIN_EXE_council"))
        .args(["--dir"])
        .arg(dir.path())
        .args(["demo", "--headless"])
        .output()
        .expect("council runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("every one of the 17 peers holds the same verified tally of every poll"),
        "{stdout}"
    );
    assert!(
        stdout.contains("poll \"Про бюджет громади на 2027 рік\""),
        "{stdout}"
    );
    assert!(stdout.contains("held by 17 of 17 peers"), "{stdout}");
}
