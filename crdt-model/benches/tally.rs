//! Tally verification throughput against raw ed25519 batch verification of the same signatures.
//!
//! `cargo bench -p crdt-model --bench tally -- [--ballots N] [--threads T]`
//! Prints `tally_verify_ballots_per_s: X` and, last, `tally_vs_raw_batch_ratio: R` (ours / raw).

use std::time::Instant;

use crdt_model::hash::Hash;
use crdt_model::identity::Domain;
use crdt_model::rules::Counts;
use crdt_model::rules::{Base, MajorityRule, SpeechLimits, Threshold};
use crdt_model::sample;
use crdt_model::session::Outcome;
use crdt_model::session::{
    Ballot, BodyContext, Choice, DecodedPoll, PollClose, PollOpen, Statement, StatementKind,
    verify_polls,
};

const VOTERS: usize = 100;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_ballots = arg(&args, "--ballots", 100_000);
    let threads = arg(&args, "--threads", 1);
    let chair = sample::key(1);
    let voters: Vec<_> = (2..2 + VOTERS as u32).map(sample::key).collect();
    let council = Hash::of(b"bench", &[b"council"]);
    let session = Hash::of(b"bench", &[b"session"]);
    let rule = MajorityRule {
        threshold: Threshold::MoreThanHalf,
        base: Base::AllSeats,
    };
    let mut eligible: Vec<_> = voters.iter().map(|k| k.member_id()).collect();
    eligible.sort();
    let ctx = BodyContext {
        council,
        seats: VOTERS as u32,
        quorum: Threshold::MoreThanHalf,
        default_majority: rule,
        allow_poll_override: true,
        speech: SpeechLimits {
            speech: 300,
            pro: 180,
            contra: 180,
            reply: 60,
            point_of_order: 60,
        },
        chairs: [chair.member_id()].into(),
        voters: eligible.iter().copied().collect(),
    };

    // Build polls of up to VOTERS ballots each until n_ballots are made.
    let t = Instant::now();
    let mut polls: Vec<DecodedPoll> = Vec::new();
    let mut made = 0;
    let mut p = 0u32;
    while made < n_ballots {
        let open = Statement {
            council,
            session,
            author: chair.member_id(),
            parents: vec![session],
            time_ms: u64::from(p),
            kind: StatementKind::OpenPoll(PollOpen {
                item: p,
                doc: Hash::of(b"doc", &[&p.to_be_bytes()]),
                version: vec![Hash::of(b"v", &[&p.to_be_bytes()])],
                title: format!("Питання {p}"),
                rule,
                seats: VOTERS as u32,
                quorum_needed: Threshold::MoreThanHalf.required(VOTERS as u32),
                eligible: eligible.clone(),
                recused: vec![],
            }),
        }
        .sign(&chair);
        let k = (n_ballots - made).min(VOTERS);
        let ballots: Vec<_> = voters[..k]
            .iter()
            .enumerate()
            .map(|(i, v)| {
                Ballot {
                    poll: open.id(),
                    voter: v.member_id(),
                    seq: 0,
                    choice: Choice::ALL[i % 3],
                    seen: vec![open.id()],
                }
                .sign(v)
            })
            .collect();
        let mut counts = Counts::default();
        for b in &ballots {
            match b.ballot().choice {
                Choice::For => counts.for_ += 1,
                Choice::Against => counts.against += 1,
                Choice::Abstain => counts.abstain += 1,
            }
        }
        let met = rule.is_met(&counts, VOTERS as u32, VOTERS as u32);
        let close = Statement {
            council,
            session,
            author: chair.member_id(),
            parents: vec![open.id()],
            time_ms: u64::from(p) + 1,
            kind: StatementKind::ClosePoll(PollClose {
                poll: open.id(),
                counted: ballots.iter().map(|b| b.id()).collect(),
                counts,
                present: eligible.clone(),
                outcome: if met {
                    Outcome::Adopted
                } else {
                    Outcome::NotAdopted
                },
            }),
        }
        .sign(&chair);
        let wire: Vec<Vec<u8>> = ballots.iter().map(|b| b.to_bytes()).collect();
        polls.push(
            DecodedPoll::decode(&open.to_bytes(), Some(&close.to_bytes()), &wire, &[])
                .unwrap_or_else(|e| panic!("decode: {e}")),
        );
        made += k;
        p += 1;
    }
    let n_sigs: usize = polls.iter().map(|p| p.ballots.len() + 2).sum();
    eprintln!(
        "built {} ballots in {} polls ({} signatures) in {:.1} s",
        made,
        polls.len(),
        n_sigs,
        t.elapsed().as_secs_f64()
    );

    // Raw inputs: the same signatures, keys decoded up front, messages prebuilt.
    let mut msgs: Vec<Vec<u8>> = Vec::with_capacity(n_sigs);
    let mut sigs = Vec::with_capacity(n_sigs);
    let mut keys = Vec::with_capacity(n_sigs);
    for p in &polls {
        let mut push = |domain: Domain, body: &[u8], key: &[u8; 32], sig: &[u8; 64]| {
            let mut m = domain.prefix().to_vec();
            m.extend_from_slice(body);
            msgs.push(m);
            sigs.push(ed25519_dalek::Signature::from_bytes(sig));
            keys.push(
                ed25519_dalek::VerifyingKey::from_bytes(key).unwrap_or_else(|e| panic!("{e}")),
            );
        };
        for s in std::iter::once(&p.open).chain(p.close.as_ref()) {
            push(
                Domain::Statement,
                s.body(),
                s.statement().author.as_bytes(),
                &s.signature().0,
            );
        }
        for b in p.ballots.iter().flatten() {
            push(
                Domain::Ballot,
                b.body(),
                b.ballot().voter.as_bytes(),
                &b.signature().0,
            );
        }
    }
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();

    let runs = 3;
    let mut ours = f64::MAX;
    let mut raw = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        let pasts: Vec<_> = polls.iter().map(DecodedPoll::past).collect();
        let inputs: Vec<_> = polls
            .iter()
            .zip(&pasts)
            .map(|(p, past)| p.input(&ctx, past))
            .collect();
        let reports = verify_polls(&inputs, threads);
        let dt = t.elapsed().as_secs_f64();
        let bad = reports
            .iter()
            .filter(|r| !r.as_ref().is_ok_and(|r| r.verified()))
            .count();
        assert_eq!(bad, 0, "every poll verifies");
        ours = ours.min(dt);

        let t = Instant::now();
        ed25519_dalek::verify_batch(&refs, &sigs, &keys).unwrap_or_else(|e| panic!("{e}"));
        raw = raw.min(t.elapsed().as_secs_f64());
    }
    println!("threads: {threads}");
    println!("ballots: {made}");
    println!("polls: {}", polls.len());
    println!("tally_verify_s: {ours:.3}");
    println!("raw_batch_verify_s: {raw:.3}");
    println!("raw_batch_sigs_per_s: {:.0}", n_sigs as f64 / raw);
    println!("tally_verify_ballots_per_s: {:.0}", made as f64 / ours);
    println!("tally_vs_raw_batch_ratio: {:.3}", ours / raw);
}
