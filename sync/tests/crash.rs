//! Kill a writer with SIGKILL at random points, many times: on reopen every acknowledged item is
//! there, the store opens consistent, and the writer carries on.
//!
//! The test re-runs its own binary as the writer (`crash_writer`, active only when
//! `COUNCIL_CRASH_WRITER` names a store). The writer appends one item per durable transaction
//! and prints `ack <n>` (items stored) after each `Ok`; the parent kills it after a random delay
//! and checks. Set `COUNCIL_CRASH_SEED` to replay a run.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Sitting, item_id};
use council_sync::Node;

const WRITER_ENV: &str = "COUNCIL_CRASH_WRITER";
const ROUNDS: usize = 25;

/// The writer: does nothing in a normal test run.
#[test]
fn crash_writer() {
    let Some(path) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let path = Path::new(&path);
    let sit = Sitting::new();
    let mut node = if path.exists() {
        Node::open(path).expect("the store reopens after a kill")
    } else {
        Node::create(path, sit.council.genesis.clone()).expect("create")
    };
    // On a line of its own: the test harness has printed "test crash_writer ... " before.
    println!("\nready {}", node.stored());
    loop {
        let n = node.stored();
        node.receive(sit.item(n)).expect("a valid item is taken");
        // Line-buffered: each ack reaches the parent as soon as it is printed.
        println!("ack {}", node.stored());
    }
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn acknowledged_items_survive_sigkill_at_random_points() {
    if std::env::var_os(WRITER_ENV).is_some() {
        return;
    }
    let seed = std::env::var("COUNCIL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
        | 1;
    eprintln!("COUNCIL_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let exe = std::env::current_exe().expect("test binary");
    let sit = Sitting::new();
    let started = Instant::now();
    let mut acked = 0u64;
    let mut killed_while_writing = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_writer",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(WRITER_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the writer");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut round_acks = 0u64;
        let mut note = |line: &str, acked: &mut u64| {
            if let Some(n) = line.strip_prefix("ack ") {
                let n: u64 = n.trim().parse().expect("ack number");
                *acked = (*acked).max(n);
                round_acks += 1;
            }
        };
        // Every fourth round is killed soon after start (while it opens, repairs or creates the
        // store); the others a while after they are ready, in the middle of appends.
        let early = round % 4 == 0;
        let mut deadline = Instant::now() + Duration::from_millis(rng.below(40));
        if !early {
            let ready_by = Instant::now() + Duration::from_secs(20);
            loop {
                let line = rx
                    .recv_timeout(ready_by.saturating_duration_since(Instant::now()))
                    .expect("the writer starts");
                note(&line, &mut acked);
                if line.contains("ready ") {
                    break;
                }
            }
            deadline = Instant::now() + Duration::from_millis(5 + rng.below(60));
        }
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            note(&line, &mut acked);
            if Instant::now() >= deadline {
                break;
            }
        }
        child.kill().expect("kill");
        let status = child.wait().expect("wait");
        // Lines printed before the kill are acknowledgements too.
        for line in rx.iter() {
            note(&line, &mut acked);
        }
        reader.join().expect("reader");
        assert_eq!(
            status.code(),
            None,
            "round {round}: the writer stopped by itself ({status}); see its output above"
        );
        if round_acks > 0 {
            killed_while_writing += 1;
        }

        if acked == 0 && !path.exists() {
            // Killed before the store was created: nothing was promised, nothing to find.
            continue;
        }
        // The store opens without error, holds every acknowledged item, and nothing waits.
        let node = Node::open(&path)
            .unwrap_or_else(|e| panic!("round {round}: the store does not reopen: {e}"));
        assert!(
            node.stored() >= acked,
            "round {round}: {} items stored, {acked} acknowledged",
            node.stored()
        );
        assert_eq!(node.replica().pending_len(), 0, "round {round}");
        let held: HashSet<_> = node.replica().items().iter().map(item_id).collect();
        assert_eq!(held.len() as u64, node.stored(), "round {round}");
        for n in 0..acked {
            assert!(
                held.contains(&item_id(&sit.item(n))),
                "round {round}: acknowledged item {n} is missing"
            );
        }
    }
    assert!(
        killed_while_writing >= ROUNDS / 2,
        "only {killed_while_writing} of {ROUNDS} rounds were killed in the middle of writing"
    );
    assert!(acked > sit.prefix.len() as u64, "the writer made progress");
    eprintln!(
        "{ROUNDS} kills, {acked} items acknowledged, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
