//! What telling late ballots from omitted ones costs a verifier when a chair makes it expensive:
//! P polls opened and closed one after the other, F statements after them, and for every poll
//! one ballot of the chair's signed after it all (naming the last statement as seen), so that
//! each poll's check walks back from the end of the session to its close.
//!
//! `cargo bench -p crdt-model --bench late -- [--polls P] [--filler F]`
//! Prints, for P and 2P polls (F and 2F statements after them): the time to verify every poll
//! with the late ballots, the floor (the same polls without them), their ratio, and last
//! `late_scaling_2x: R` — how much longer twice the record takes (2 is linear, 4 quadratic).

use std::time::Instant;

use crdt_model::hash::Hash;
use crdt_model::rules::{Base, Counts, MajorityRule, SpeechLimits, Threshold};
use crdt_model::sample;
use crdt_model::session::{
    Ballot, BodyContext, Choice, Outcome, PollClose, PollInput, PollOpen, SessionPast,
    SignedBallot, SignedStatement, Statement, StatementKind, verify_polls,
};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One recorded session: its statements, and per poll its open, close, counted ballot and the
/// chair's late ballot.
struct Record {
    ctx: BodyContext,
    statements: Vec<SignedStatement>,
    polls: Vec<(usize, usize, SignedBallot, SignedBallot)>,
}

fn record(polls: usize, filler: usize) -> Record {
    let chair = sample::key(1);
    let council = Hash::of(b"bench", &[b"council"]);
    let session = Hash::of(b"bench", &[b"late session"]);
    let rule = MajorityRule {
        threshold: Threshold::MoreThanHalf,
        base: Base::VotesCast,
    };
    let me = chair.member_id();
    let ctx = BodyContext {
        council,
        seats: 1,
        quorum: Threshold::MoreThanHalf,
        default_majority: rule,
        allow_poll_override: false,
        speech: SpeechLimits {
            speech: 300,
            pro: 180,
            contra: 180,
            reply: 60,
            point_of_order: 60,
        },
        chairs: [me].into(),
        voters: [me].into(),
    };
    let say = |parents: Vec<Hash>, t: u64, kind: StatementKind| {
        Statement {
            council,
            session,
            author: me,
            parents,
            time_ms: t,
            kind,
        }
        .sign(&chair)
    };
    let mut statements = Vec::new();
    let mut made = Vec::new();
    let mut prev = session;
    for p in 0..polls {
        let t = p as u64 * 10;
        let open = say(
            vec![prev],
            t,
            StatementKind::OpenPoll(PollOpen {
                item: 0,
                doc: Hash::of(b"doc", &[&p.to_be_bytes()]),
                version: vec![Hash::of(b"v", &[&p.to_be_bytes()])],
                title: format!("Питання {p}"),
                rule,
                seats: 1,
                quorum_needed: 1,
                eligible: vec![me],
                recused: vec![],
            }),
        );
        let counted = Ballot {
            poll: open.id(),
            voter: me,
            seq: 0,
            choice: Choice::For,
            seen: vec![open.id()],
        }
        .sign(&chair);
        let close = say(
            vec![open.id()],
            t + 1,
            StatementKind::ClosePoll(PollClose {
                poll: open.id(),
                counted: vec![counted.id()],
                counts: Counts {
                    for_: 1,
                    against: 0,
                    abstain: 0,
                },
                present: vec![me],
                outcome: Outcome::Adopted,
            }),
        );
        prev = close.id();
        let (o, c) = (statements.len(), statements.len() + 1);
        statements.push(open);
        statements.push(close);
        made.push((o, c, counted));
    }
    for f in 0..filler {
        let st = say(
            vec![prev],
            1_000_000 + f as u64,
            StatementKind::CloseSession,
        );
        prev = st.id();
        statements.push(st);
    }
    let polls = made
        .into_iter()
        .map(|(o, c, counted)| {
            let late = Ballot {
                poll: statements[o].id(),
                voter: me,
                seq: 1,
                choice: Choice::Against,
                seen: vec![prev],
            }
            .sign(&chair);
            (o, c, counted, late)
        })
        .collect();
    Record {
        ctx,
        statements,
        polls,
    }
}

/// Seconds to verify every poll of `r`, with or without the late ballots; checks each report.
fn verify(r: &Record, with_late: bool) -> f64 {
    let past = SessionPast::new(r.statements.iter());
    let inputs: Vec<PollInput<'_>> = r
        .polls
        .iter()
        .map(|(o, c, counted, late)| {
            let mut ballots = vec![Ok(counted)];
            if with_late {
                ballots.push(Ok(late));
            }
            PollInput {
                ctx: &r.ctx,
                open: &r.statements[*o],
                close: Some(&r.statements[*c]),
                ballots,
                past: &past,
            }
        })
        .collect();
    let t = Instant::now();
    let reports = verify_polls(&inputs, 1);
    let s = t.elapsed().as_secs_f64();
    for rep in &reports {
        let rep = rep.as_ref().unwrap_or_else(|e| panic!("report: {e}"));
        assert!(rep.verified(), "every poll verifies");
        assert_eq!(rep.uncounted.len(), usize::from(with_late));
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let polls = arg(&args, "--polls", 500);
    let filler = arg(&args, "--filler", 4 * polls);
    let mut times = Vec::new();
    for scale in [1, 2] {
        let r = record(polls * scale, filler * scale);
        let floor = verify(&r, false);
        let late = verify(&r, true);
        println!(
            "polls: {} statements: {} late_s: {late:.3} floor_s: {floor:.3} late_vs_floor_ratio: {:.1}",
            polls * scale,
            r.statements.len(),
            late / floor.max(1e-9)
        );
        times.push(late);
    }
    println!("late_scaling_2x: {:.2}", times[1] / times[0].max(1e-9));
}
