//! `council join` and `council serve` as real processes on loopback: no relay, no mDNS, every
//! wait bounded.
#![allow(clippy::expect_used)] // Tests state what they expect.

use crate::{council, text};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Every wait on a child process is bounded by this.
const PATIENCE: Duration = Duration::from_secs(30);

fn key_of(dir: &Path) -> String {
    let out = council(dir, &["key"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

/// A UDP port on loopback that was free a moment ago (iroh listens on UDP).
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port()
}

/// A founded council with one admitted deputy (`member`), and its invite ticket naming
/// `127.0.0.1:port`. Returns the founder's key and the ticket.
fn council_with_member(founder: &Path, member: &str, port: u16) -> (String, String) {
    let out = council(founder, &["init", "--name", "Рада громади", "--seats", "5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = council(
        founder,
        &[
            "member",
            "add",
            "--key",
            member,
            "--name",
            "Олена",
            "--role",
            "deputy",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The ticket is made before `serve` holds the store open.
    let addr = format!("127.0.0.1:{port}");
    let out = council(founder, &["invite", "--addr", &addr]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (key_of(founder), text(&out.stdout).trim().to_string())
}

/// A running `council serve` and the lines it prints.
struct Served {
    child: Child,
    lines: Receiver<String>,
}

impl Served {
    fn start(dir: &Path, port: u16) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_council"))
            .arg("--dir")
            .arg(dir)
            .args(["serve", "--no-lan", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Served { child, lines }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(PATIENCE)
            .expect("serve prints a line in time")
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit; returns the rest of the output.
    fn stop(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM sent");
        let end = Instant::now() + PATIENCE;
        let mut rest = String::new();
        loop {
            match self
                .lines
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok(line) => rest.push_str(&(line + "\n")),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("serve did not stop in time: {rest}"),
            }
        }
        let status = self.child.wait().expect("exit status");
        (status.success(), rest)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Whatever happened in the test, no serve process outlives it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_deputy_joins_through_a_served_peer_and_a_stranger_is_told_to_ask_the_secretary() {
    let a = tempfile::tempdir().expect("dir");
    let b = tempfile::tempdir().expect("dir");
    let c = tempfile::tempdir().expect("dir");
    let key_b = key_of(b.path());
    let port = free_port();
    let (key_a, ticket) = council_with_member(a.path(), &key_b, port);

    let served = Served::start(a.path(), port);
    let first = served.next_line();
    assert!(
        first.starts_with(&format!("listening on {key_a} at ")),
        "{first}"
    );
    assert!(first.contains(&format!("127.0.0.1:{port}")), "{first}");

    let out = council(
        b.path(),
        &[
            "join",
            &ticket,
            "--wait",
            "30",
            "--no-lan",
            "--bind",
            "127.0.0.1:0",
        ],
    );
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}\n{}", text(&out.stderr));
    assert!(said.contains("connecting to"), "{said}");
    assert!(said.contains("received"), "{said}");
    assert!(
        said.contains("you are Олена (deputy) in Рада громади"),
        "{said}"
    );
    let roster = text(&council(b.path(), &["roster"]).stdout);
    assert!(
        roster.contains(&format!("{key_a}  Secretary  [secretary]")),
        "{roster}"
    );
    assert!(
        roster.contains(&format!("{key_b}  Олена  [deputy]")),
        "{roster}"
    );

    let out = council(
        c.path(),
        &[
            "join",
            &ticket,
            "--wait",
            "10",
            "--no-lan",
            "--bind",
            "127.0.0.1:0",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}\n{err}", text(&out.stdout));
    assert!(err.contains("not on the council's roster"), "{err}");
    assert!(err.contains(&key_of(c.path())), "names the key: {err}");
    assert!(err.contains("council key"), "says what to do: {err}");

    let (clean, rest) = served.stop();
    assert!(clean, "serve exits cleanly on SIGTERM: {rest}");
    assert!(rest.contains("stopped"), "{rest}");
}

#[test]
fn a_truncated_ticket_is_refused_with_the_tickets_own_message() {
    let a = tempfile::tempdir().expect("dir");
    let b = tempfile::tempdir().expect("dir");
    let (_, ticket) = council_with_member(a.path(), &key_of(b.path()), free_port());
    let out = council(
        b.path(),
        &[
            "join",
            &ticket[..ticket.len() - 7],
            "--no-lan",
            "--wait",
            "1",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("incomplete or altered"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    let out = council(b.path(), &["roster"]);
    assert_eq!(out.status.code(), Some(1), "nothing was joined");
}

#[test]
fn joining_without_waiting_saves_the_council_and_another_council_is_refused() {
    let a = tempfile::tempdir().expect("dir");
    let b = tempfile::tempdir().expect("dir");
    let (key_a, ticket) = council_with_member(a.path(), &key_of(b.path()), free_port());
    let out = council(b.path(), &["join", &ticket, "--wait", "0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let roster = text(&council(b.path(), &["roster"]).stdout);
    assert!(roster.contains("Рада громади"), "{roster}");
    assert!(
        roster.contains(&key_a),
        "the founder, from the ticket: {roster}"
    );

    let other = tempfile::tempdir().expect("dir");
    let out = council(
        other.path(),
        &["init", "--name", "Інша рада", "--seats", "3"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = council(other.path(), &["join", &ticket, "--wait", "0"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("already belongs to council"), "{err}");
}
