//! The `council` binary, run as a person would.

use crate::{council, text};

#[test]
fn a_secretary_creates_a_council_and_admits_a_deputy() {
    let sec = tempfile::tempdir().expect("dir");
    let dep = tempfile::tempdir().expect("dir");
    let out = council(
        sec.path(),
        &["init", "--name", "Житомирська міська рада", "--seats", "42"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(&council(dep.path(), &["key"]).stdout)
        .trim()
        .to_string();
    assert_eq!(key.len(), 64);
    let out = council(
        sec.path(),
        &[
            "member",
            "add",
            "--key",
            &key,
            "--name",
            "Олена",
            "--role",
            "deputy",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let roster = text(&council(sec.path(), &["roster"]).stdout);
    assert!(roster.contains("Житомирська міська рада"));
    assert!(roster.contains(&format!("{key}  Олена  [deputy]")));
    assert!(roster.contains("seats: 42, quorum: 22"));
}

#[test]
fn the_identity_lives_in_the_private_store_and_is_stable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let a = text(&council(dir.path(), &["key"]).stdout);
    let b = text(&council(dir.path(), &["key"]).stdout);
    assert_eq!(a.trim().len(), 64);
    assert_eq!(a, b);
    let mode = std::fs::metadata(dir.path().join("council.redb"))
        .expect("store file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        vec!["council.redb".to_string()],
        "one file holds everything"
    );
}

#[test]
fn a_store_readable_by_others_is_made_private_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let key = text(&council(dir.path(), &["key"]).stdout);
    let store = dir.path().join("council.redb");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = council(dir.path(), &["key"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), key);
    assert!(
        text(&out.stderr).contains("warning:"),
        "{}",
        text(&out.stderr)
    );
    let mode = std::fs::metadata(&store)
        .expect("store")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_newcomer_prints_a_key_before_any_council_and_founds_one_with_it() {
    let dir = tempfile::tempdir().expect("dir");
    let key = text(&council(dir.path(), &["key"]).stdout)
        .trim()
        .to_string();
    let out = council(dir.path(), &["roster"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no council yet"), "{err}");
    assert!(err.contains("council init"), "{err}");
    let out = council(dir.path(), &["init", "--name", "Рада", "--seats", "5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&key),
        "the founder is the key printed before"
    );
    let roster = text(&council(dir.path(), &["roster"]).stdout);
    assert!(
        roster.contains(&format!("{key}  Secretary  [secretary]")),
        "{roster}"
    );
}

#[test]
fn a_file_that_is_not_a_store_is_named_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let store = dir.path().join("council.redb");
    std::fs::write(&store, b"not a database").expect("write");
    for args in [
        &["key"][..],
        &["init", "--name", "Рада", "--seats", "5"],
        &["roster"],
    ] {
        let out = council(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("council.redb"), "{err}");
        assert!(err.contains("hint:"), "{err}");
    }
    assert_eq!(std::fs::read(&store).expect("read"), b"not a database");
}

#[test]
fn a_wrong_key_is_a_usage_error_that_says_what_to_do() {
    let dir = tempfile::tempdir().expect("dir");
    council(dir.path(), &["init", "--name", "Рада", "--seats", "5"]);
    let out = council(
        dir.path(),
        &[
            "member", "add", "--key", "abc", "--name", "x", "--role", "deputy",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("--key abc"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn initialising_twice_is_refused_and_keeps_the_council() {
    let dir = tempfile::tempdir().expect("dir");
    assert!(
        council(dir.path(), &["init", "--name", "Рада", "--seats", "5"])
            .status
            .success()
    );
    let out = council(dir.path(), &["init", "--name", "Інша", "--seats", "7"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already holds a Council store"));
    assert!(text(&council(dir.path(), &["roster"]).stdout).contains("Рада"));
}

#[test]
fn a_roster_command_without_a_council_explains_itself() {
    let dir = tempfile::tempdir().expect("dir");
    let out = council(dir.path(), &["roster"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("council init"));
}

#[test]
fn a_deputy_cannot_sign_roster_changes() {
    let sec = tempfile::tempdir().expect("dir");
    council(sec.path(), &["init", "--name", "Рада", "--seats", "5"]);
    // Make the secretary's own key a plain deputy, then try to add someone.
    let own = text(&council(sec.path(), &["key"]).stdout)
        .trim()
        .to_string();
    let out = council(
        sec.path(),
        &["member", "role", "--key", &own, "--role", "deputy"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let other = tempfile::tempdir().expect("dir");
    let key = text(&council(other.path(), &["key"]).stdout)
        .trim()
        .to_string();
    let out = council(
        sec.path(),
        &[
            "member", "add", "--key", &key, "--name", "x", "--role", "deputy",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("refused"));
}

#[test]
fn an_invite_ticket_carries_the_council_and_a_wrong_relay_url_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    assert!(
        council(dir.path(), &["init", "--name", "Рада", "--seats", "5"])
            .status
            .success()
    );
    let out = council(
        dir.path(),
        &[
            "invite",
            "--relay",
            "http://192.168.1.10:3340",
            "--addr",
            "192.168.1.11:4433",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ticket = text(&out.stdout).trim().to_string();
    let parsed = council_sync::ticket::Ticket::decode(&ticket).expect("a valid ticket");
    assert_eq!(parsed.genesis.genesis().name, "Рада");
    assert_eq!(parsed.relay.as_deref(), Some("http://192.168.1.10:3340"));
    let out = council(dir.path(), &["invite", "--relay", "192.168.1.10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("http://"));
}
