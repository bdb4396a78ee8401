//! Generates `docs/test-vectors.json` from real code and checks the committed file matches.
//!
//! Run with `UPDATE_VECTORS=1` to rewrite the file after a deliberate format change.
#![allow(clippy::expect_used)] // Tests state what they expect.

mod session_common;

use serde_json::{Value, json};

use crdt_model::hash::{Hash, hex};
use crdt_model::rules::{Base, MajorityRule, Threshold};
use crdt_model::sample;
use crdt_model::session::{
    BodyContext, Choice, PollClose, SignedBallot, SignedStatement, Statement, StatementKind,
    TallyError, TallyReport, UncountedReason, verify_poll_bytes,
};
use crdt_model::{SecretKey, Signature};
use session_common::Fixture;

fn report_json(r: &Result<TallyReport, TallyError>) -> Value {
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            let code = match e {
                TallyError::MalformedOpen => "malformed-open",
                TallyError::NotAPoll => "not-a-poll",
                TallyError::MalformedClose => "malformed-close",
                _ => "other",
            };
            return json!({ "error": code });
        }
    };
    json!({
        "poll": r.poll.to_hex(),
        "closed": r.closed,
        "verified": r.verified(),
        "checks": r.checks.iter().map(|(n, c)| json!({
            "name": n.name(),
            "result": c.name(),
            "offending": c.offending(),
        })).collect::<Vec<_>>(),
        "counts": { "for": r.counts.for_, "against": r.counts.against, "abstain": r.counts.abstain },
        "outcome": r.outcome.map(|o| o.name()),
        "counted_hash": r.counted_hash.map(|h| h.to_hex()),
        "table": r.table.iter().map(|(m, v)| json!({ "member": m.to_hex(), "result": v.name() })).collect::<Vec<_>>(),
        "uncounted": r.uncounted.iter().map(|u| json!({
            "ballot": u.ballot.to_hex(),
            "voter": u.voter.to_hex(),
            "seq": u.seq,
            "reason": u.reason.name(),
        })).collect::<Vec<_>>(),
        "rejected": r.rejected.iter().map(|x| json!({ "item": x.item, "reason": x.reason.name() })).collect::<Vec<_>>(),
        "evidence": r.evidence.iter().map(|e| json!({
            "voter": e.voter.to_hex(),
            "seq": e.seq,
            "ballots": e.ballots.iter().map(Hash::to_hex).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn context_json(c: &BodyContext) -> Value {
    let rule = |r: &MajorityRule| json!({ "threshold": r.threshold.name(), "base": r.base.name() });
    json!({
        "council": c.council.to_hex(),
        "seats": c.seats,
        "quorum": c.quorum.name(),
        "default_majority": rule(&c.default_majority),
        "allow_poll_override": c.allow_poll_override,
        "chairs": c.chairs.iter().map(|m| m.to_hex()).collect::<Vec<_>>(),
        "voters": c.voters.iter().map(|m| m.to_hex()).collect::<Vec<_>>(),
    })
}

struct Vectors {
    out: Vec<Value>,
}

impl Vectors {
    #[allow(clippy::too_many_arguments)] // One argument per field of a vector, in file order.
    fn add(
        &mut self,
        name: &str,
        description: &str,
        ctx: &BodyContext,
        statements: Vec<Vec<u8>>,
        open: Vec<u8>,
        close: Option<Vec<u8>>,
        ballots: Vec<Vec<u8>>,
    ) -> Result<TallyReport, TallyError> {
        let r = verify_poll_bytes(ctx, &open, close.as_deref(), &ballots, &statements);
        self.out.push(json!({
            "name": name,
            "description": description,
            "context": context_json(ctx),
            "statements": statements.iter().map(|b| hex(b)).collect::<Vec<_>>(),
            "open": hex(&open),
            "close": close.as_deref().map(hex),
            "ballots": ballots.iter().map(|b| hex(b)).collect::<Vec<_>>(),
            "expected": report_json(&r),
        }));
        r
    }
}

/// The wire bytes of every statement the fixture's session holds, in fold order.
fn held(f: &Fixture) -> Vec<Vec<u8>> {
    f.session
        .statements()
        .into_iter()
        .map(SignedStatement::to_bytes)
        .collect()
}

fn bytes(bs: &[&SignedBallot]) -> Vec<Vec<u8>> {
    bs.iter().map(|b| b.to_bytes()).collect()
}

/// A close statement signed by `key` saying exactly `c` (no session validation).
fn close_by(f: &mut Fixture, key: &SecretKey, c: PollClose) -> SignedStatement {
    f.sign(key, StatementKind::ClosePoll(c))
}

fn forged(b: &SignedBallot) -> SignedBallot {
    let mut sig = b.signature().0;
    sig[40] ^= 0x01;
    b.with_signature(Signature(sig))
}

/// The same ballot with a second valid signature: ed25519 signed with another nonce. Both verify,
/// and the ballot id is over the body, so they are one ballot.
fn resigned(b: &SignedBallot, key: &SecretKey) -> SignedBallot {
    use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign};
    let seed = key.to_bytes();
    let mut esk = ExpandedSecretKey::from(&seed);
    esk.hash_prefix[0] ^= 0x5a;
    let vk = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let mut msg = crdt_model::identity::Domain::Ballot.prefix().to_vec();
    msg.extend_from_slice(b.body());
    let sig = raw_sign::<sha2::Sha512>(&esk, &msg, &vk);
    b.with_signature(Signature(sig.to_bytes()))
}

fn build() -> Value {
    let mut v = Vectors { out: vec![] };
    let mut f = Fixture::new();
    let ctx = f.session.context().clone();
    let chair = f.chair();
    let d: Vec<SecretKey> = (1..=6).map(|n| f.dep(n)).collect();

    // Present: chair and deputies 1-5; deputy 6 absent; deputy 5 recused on item 0.
    f.register(&[1, 2, 3, 4, 5]);
    f.say(
        &d[4],
        StatementKind::DeclareConflict {
            item: 0,
            reason: "Родич працює в установі".into(),
        },
    );

    // 1. Adopted, with a changed vote.
    let (poll, open) = f.open_poll(0);
    let b_chair = f.vote(&chair, poll, 0, Choice::For);
    let b1 = f.vote(&d[0], poll, 0, Choice::For);
    let b2a = f.vote(&d[1], poll, 0, Choice::Against);
    let b2b = f.vote(&d[1], poll, 1, Choice::For);
    let b3 = f.vote(&d[2], poll, 0, Choice::Against);
    let b4 = f.vote(&d[3], poll, 0, Choice::For);
    let all = vec![&b_chair, &b1, &b2a, &b2b, &b3, &b4];
    let (good_close, close) = f.close_poll(poll);
    let r = v
        .add(
            "adopted-with-changed-vote",
            "4 of 7 seats vote for (majority of the composition); deputy 2 changed their vote; deputy 5 recused, deputy 6 absent",
            &ctx,
            held(&f),
            open.to_bytes(),
            Some(close.to_bytes()),
            bytes(&all),
        )
        .expect("valid");
    assert!(r.verified(), "{r:?}");
    assert_eq!(f.session.report(&poll), Some(Ok(r)));

    // 2. Still open: provisional table.
    v.add(
        "open-poll",
        "the same ballots without a close: provisional counts, close checks not applicable",
        &ctx,
        held(&f),
        open.to_bytes(),
        None,
        bytes(&all),
    )
    .expect("valid");

    // 3. Rejected ballots are listed, checks still pass.
    let other_poll = Hash::of(b"another", &[b"poll"]);
    let b6 = f.ballot(&d[5], poll, 0, Choice::For);
    let b_other = f.ballot(&d[0], other_poll, 0, Choice::Against);
    let b4_forged = forged(&f.ballot(&d[3], poll, 7, Choice::Against));
    let b3_eq_a = f.ballot(&d[2], poll, 3, Choice::For);
    let b3_eq_b = f.ballot(&d[2], poll, 3, Choice::Against);
    let b4_late = f.ballot(&d[3], poll, 5, Choice::Abstain);
    let b1_forged_copy = forged(&b1);
    let mut with_junk = bytes(&all);
    with_junk.extend(bytes(&[
        &b6,
        &b_other,
        &b4_forged,
        &b3_eq_a,
        &b3_eq_b,
        &b4_late,
        &b1_forged_copy,
    ]));
    with_junk.push(vec![0, 0, 0, 1, 7]);
    with_junk.push(b1.to_bytes());
    let r = v
        .add(
            "rejected-ballots-are-listed",
            "an absent deputy's ballot, a ballot for another poll, a forged ballot, an equivocation, a ballot cast after the close (it names the close among the heads it had seen), a forged copy of a counted ballot, garbage bytes and a duplicate: all listed, every check passes",
            &ctx,
            held(&f),
            open.to_bytes(),
            Some(close.to_bytes()),
            with_junk,
        )
        .expect("valid");
    assert!(r.verified(), "{r:?}");

    // 3a. Deputy 3 equivocates: a second ballot with the seq of the counted one, another choice.
    //     The close counts the one the chair held; no check fails, the evidence is listed.
    let b3_twin = f.ballot(&d[2], poll, b3.ballot().seq, Choice::For);
    let mut twins = all.clone();
    twins.push(&b3_twin);
    let r = v
        .add(
            "equivocation-by-a-counted-voter",
            "deputy 3 signs a second ballot with the seq of their counted one and another choice: both are rejected as an equivocation and listed as evidence, the counted one still counts, every check passes",
            &ctx,
            held(&f),
            open.to_bytes(),
            Some(close.to_bytes()),
            bytes(&twins),
        )
        .expect("valid");
    assert!(r.verified() && r.evidence.len() == 1, "{r:?}");

    // 3b. One ballot body with two valid signatures (ed25519 lets its signer make many): one
    //     ballot, counted once.
    let b1_again = resigned(&b1, &d[0]);
    assert_ne!(b1_again.signature(), b1.signature());
    assert!(b1_again.verify().is_ok());
    let mut again = all.clone();
    again.push(&b1_again);
    let r = v
        .add(
            "one-ballot-two-signatures",
            "deputy 1's ballot is given twice, with two different valid signatures over the same body: one ballot (its id is over the body), counted once, nothing rejected",
            &ctx,
            held(&f),
            open.to_bytes(),
            Some(close.to_bytes()),
            bytes(&again),
        )
        .expect("valid");
    assert!(r.verified() && r.rejected.is_empty(), "{r:?}");

    // 3c. The chair opens a poll stating a quorum of 2 with 2 eligible: `no-quorum` compares the
    //     lists with the context's quorum (4 of 7), not with the figure the open states.
    let mut low = f.poll_open(0);
    low.quorum_needed = 2;
    low.eligible.truncate(2);
    low.recused.clear();
    let low = f.sign(&chair, StatementKind::OpenPoll(low));
    v.add(
        "invalid-open-statement-below-quorum",
        "the chair opens a poll stating 2 as the quorum needed, with 2 eligible: it fails open-statement with quorum-needed and no-quorum (the context's quorum is 4 of 7)",
        &ctx,
        held(&f),
        low.to_bytes(),
        None,
        vec![],
    )
    .expect("report");

    // 4. Late ballots: one naming the close among the heads it had seen, one naming a statement
    //    that follows the close:   open ─ … ─ close ─ end-item ← b1_later
    //                                          ↖ b4_late
    f.say(&chair, StatementKind::EndItem { item: 0 });
    let b1_later = f.ballot(&d[0], poll, 9, Choice::Against);
    let mut late = all.clone();
    late.extend([&b4_late, &b1_later]);
    let r = v
        .add(
            "late-ballots-are-not-omissions",
            "two ballots cast after the close, one naming the close as seen, one naming a statement that follows it: both reported late, every check passes",
            &ctx,
            held(&f),
            open.to_bytes(),
            Some(close.to_bytes()),
            bytes(&late),
        )
        .expect("valid");
    assert!(r.verified(), "{r:?}");
    assert_eq!(
        r.uncounted
            .iter()
            .filter(|u| u.reason == UncountedReason::Late)
            .count(),
        2
    );

    // 5. Not adopted.
    let (poll2, open2) = f.open_poll(1);
    let c1 = f.vote(&chair, poll2, 0, Choice::For);
    let c2 = f.vote(&d[0], poll2, 0, Choice::Against);
    let c3 = f.vote(&d[1], poll2, 0, Choice::Abstain);
    let c4 = f.vote(&d[2], poll2, 0, Choice::For);
    let ballots2 = vec![&c1, &c2, &c3, &c4];
    let (close2_body, close2) = f.close_poll(poll2);
    let r = v
        .add(
            "not-adopted",
            "2 for of 7 seats: not adopted; deputies 4 and 5 did not vote",
            &ctx,
            held(&f),
            open2.to_bytes(),
            Some(close2.to_bytes()),
            bytes(&ballots2),
        )
        .expect("valid");
    assert!(r.verified(), "{r:?}");

    // 6. A poll naming another rule: two thirds of the votes cast for and against.
    f.say(&chair, StatementKind::EndItem { item: 1 });
    f.say(&chair, StatementKind::StartItem { item: 2 });
    let mut p3 = f.poll_open(2);
    p3.rule = MajorityRule {
        threshold: Threshold::TwoThirds,
        base: Base::VotesForAgainst,
    };
    let open3 = f.say(&chair, StatementKind::OpenPoll(p3));
    let poll3 = open3.id();
    let e: Vec<SignedBallot> = [
        (&chair, Choice::For),
        (&d[0], Choice::For),
        (&d[1], Choice::Against),
        (&d[2], Choice::Abstain),
        (&d[3], Choice::Abstain),
        (&d[4], Choice::Abstain),
    ]
    .iter()
    .map(|(k, c)| f.vote(k, poll3, 0, *c))
    .collect();
    let (_, close3) = f.close_poll(poll3);
    let r = v
        .add(
            "two-thirds-of-for-and-against",
            "the poll overrides the rule: 2 for, 1 against, 3 abstain; two thirds of 3 is 2: adopted",
            &ctx,
            held(&f),
            open3.to_bytes(),
            Some(close3.to_bytes()),
            e.iter().map(SignedBallot::to_bytes).collect(),
        )
        .expect("valid");
    assert!(r.verified() && r.outcome.is_some(), "{r:?}");

    // Invalid cases: one per check.
    let bad_open = Statement {
        author: d[0].member_id(),
        ..open.statement().clone()
    }
    .sign(&d[0]);
    let bad_poll = bad_open.id();
    let rebind =
        |b: &SignedBallot, k: &SecretKey| f.ballot(k, bad_poll, b.ballot().seq, b.ballot().choice);
    let rebound: Vec<SignedBallot> = [
        (&b_chair, &chair),
        (&b1, &d[0]),
        (&b2b, &d[1]),
        (&b3, &d[2]),
        (&b4, &d[3]),
    ]
    .iter()
    .map(|(b, k)| rebind(b, k))
    .collect();
    let mut bad_open_close = good_close.clone();
    bad_open_close.poll = bad_poll;
    bad_open_close.counted = rebound.iter().map(SignedBallot::id).collect();
    let c = close_by(&mut f, &chair, bad_open_close);
    v.add(
        "invalid-open-statement",
        "the poll is opened by a deputy who is not the chair",
        &ctx,
        held(&f),
        bad_open.to_bytes(),
        Some(c.to_bytes()),
        rebound.iter().map(SignedBallot::to_bytes).collect(),
    )
    .expect("report");

    let forged4 = forged(&b4);
    let mut fb: Vec<&SignedBallot> = all.clone();
    fb.retain(|b| b.id() != b4.id());
    fb.push(&forged4);
    v.add(
        "invalid-signatures",
        "the close counts a ballot whose only copy has a forged signature",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(close.to_bytes()),
        bytes(&fb),
    )
    .expect("report");

    let mut c = good_close.clone();
    c.counted.retain(|id| *id != b4.id());
    c.counted.push(b_other.id());
    let other_by_d4 = f.ballot(&d[3], other_poll, 0, Choice::For);
    c.counted.retain(|id| *id != b_other.id());
    c.counted.push(other_by_d4.id());
    let c = close_by(&mut f, &chair, c);
    // Deputy 4's ballot for this poll is not given: only the one for another poll is counted.
    let mut bb = all.clone();
    bb.retain(|b| b.id() != b4.id());
    bb.push(&other_by_d4);
    v.add(
        "invalid-ballots-bound-to-poll",
        "the close counts deputy 4's ballot for another poll",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(c.to_bytes()),
        bytes(&bb),
    )
    .expect("report");

    let mut c = good_close.clone();
    c.counted.push(b6.id());
    c.counts.for_ += 1;
    let c = close_by(&mut f, &chair, c);
    let mut bb = all.clone();
    bb.push(&b6);
    v.add(
        "invalid-eligibility",
        "the close counts a ballot of deputy 6, who was absent at opening",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(c.to_bytes()),
        bytes(&bb),
    )
    .expect("report");

    let mut c = good_close.clone();
    c.counted.push(b2a.id());
    c.counts.against += 1;
    let c = close_by(&mut f, &chair, c);
    v.add(
        "invalid-one-vote-per-deputy",
        "the close counts both of deputy 2's ballots",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(c.to_bytes()),
        bytes(&all),
    )
    .expect("report");

    let c = close_by(&mut f, &d[0], good_close.clone());
    v.add(
        "invalid-close-statement",
        "the poll is closed by a deputy who is not the chair",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(c.to_bytes()),
        bytes(&all),
    )
    .expect("report");

    // The close commits to one id more than the ballots it tallies: its counts still match the
    // ballots given, only the commitment names a ballot nobody was shown.
    let mut c = good_close.clone();
    c.counted
        .push(Hash::of(b"a ballot", &[b"nobody was shown"]));
    let c = close_by(&mut f, &chair, c);
    v.add(
        "invalid-close-commitment",
        "the close counts a ballot the verifier was not given",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(c.to_bytes()),
        bytes(&all),
    )
    .expect("report");

    let mut c = good_close.clone();
    c.counts.for_ += 1;
    c.counts.against -= 1;
    let c = close_by(&mut f, &chair, c);
    v.add(
        "invalid-counts",
        "the close claims 5 for and 0 against where the counted ballots say 4 and 1",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(c.to_bytes()),
        bytes(&all),
    )
    .expect("report");

    let mut c = close2_body.clone();
    c.outcome = crdt_model::session::Outcome::Adopted;
    let c = close_by(&mut f, &chair, c);
    v.add(
        "invalid-outcome-majority",
        "the close declares adopted with 2 for of 7 seats",
        &ctx,
        held(&f),
        open2.to_bytes(),
        Some(c.to_bytes()),
        bytes(&ballots2),
    )
    .expect("report");

    let mut c = good_close.clone();
    c.present.truncate(3);
    let c = close_by(&mut f, &chair, c);
    v.add(
        "invalid-outcome-quorum",
        "the close declares adopted with only 3 members present (quorum is 4)",
        &ctx,
        held(&f),
        open.to_bytes(),
        Some(c.to_bytes()),
        bytes(&all),
    )
    .expect("report");

    let mut c = good_close.clone();
    c.counted.retain(|id| *id != b4.id());
    c.counts.for_ -= 1;
    c.outcome = crdt_model::session::Outcome::NotAdopted;
    let c = close_by(&mut f, &chair, c);
    let r = v
        .add(
            "invalid-all-ballots-counted",
            "the close leaves out deputy 4's ballot, cast before the close (it does not name the close as seen), and declares 3 for: not adopted; counted, it makes 4 for: adopted",
            &ctx,
            held(&f),
            open.to_bytes(),
            Some(c.to_bytes()),
            bytes(&all),
        )
        .expect("report");
    assert_eq!(
        r.uncounted
            .iter()
            .filter(|u| u.reason == UncountedReason::Omitted)
            .map(|u| u.ballot)
            .collect::<Vec<_>>(),
        vec![b4.id()]
    );

    // What closes the poll is a registration, not a ClosePoll: close-statement fails with
    // not-a-close alone, and every check that needs a close is not applicable.
    let not_a_close = f.sign(
        &chair,
        StatementKind::Present {
            member: chair.member_id(),
        },
    );
    let r = v
        .add(
            "invalid-close-statement-not-a-close",
            "the statement given as the close is the chair's registration: close-statement fails with not-a-close, checks 3-5 and 7-10 are not applicable, every valid ballot is uncounted",
            &ctx,
            held(&f),
            open.to_bytes(),
            Some(not_a_close.to_bytes()),
            bytes(&all),
        )
        .expect("report");
    assert!(!r.verified());

    let mut truncated = open.to_bytes();
    truncated.truncate(truncated.len() - 1);
    v.add(
        "error-malformed-open",
        "the open statement's bytes are cut short",
        &ctx,
        held(&f),
        truncated,
        None,
        vec![],
    )
    .expect_err("error");
    let present = f.sign(
        &chair,
        StatementKind::Present {
            member: chair.member_id(),
        },
    );
    v.add(
        "error-not-a-poll",
        "the open statement is a registration",
        &ctx,
        held(&f),
        present.to_bytes(),
        None,
        vec![],
    )
    .expect_err("error");

    let keys: Vec<Value> = [0u32, 1, 2, 3, 4, 5, 6, 7, 999]
        .iter()
        .map(|n| {
            let k = sample::key(*n);
            json!({ "n": n, "seed": hex(&k.to_bytes()), "public": k.member_id().to_hex() })
        })
        .collect();
    json!({
        "format": "council/v1",
        "note": "Generated by crdt-model/tests/tally_vectors.rs from real code. Do not edit by hand.",
        "keys": keys,
        "vectors": v.out,
    })
}

#[test]
fn the_committed_test_vectors_match_what_the_code_produces() {
    let text = serde_json::to_string_pretty(&build()).expect("json") + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/test-vectors.json");
    if std::env::var_os("UPDATE_VECTORS").is_some() || !std::path::Path::new(path).exists() {
        std::fs::write(path, &text).expect("write vectors");
    }
    let committed = std::fs::read_to_string(path).expect("read vectors");
    assert!(
        committed == text,
        "docs/test-vectors.json is stale: run with UPDATE_VECTORS=1"
    );
}

#[test]
fn every_invalid_vector_fails_exactly_one_check() {
    let v = build();
    for x in v["vectors"].as_array().expect("list") {
        let name = x["name"].as_str().unwrap_or("");
        if !name.starts_with("invalid-") {
            continue;
        }
        let failing: Vec<&str> = x["expected"]["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|c| c["result"] == "fail")
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(failing.len(), 1, "{name} fails {failing:?}");
    }
}

#[test]
fn every_check_has_an_invalid_vector_of_its_own_name_where_it_fails() {
    let v = build();
    let vectors = v["vectors"].as_array().expect("list");
    for check in crdt_model::session::CheckName::ALL {
        let own = format!("invalid-{}", check.name());
        let fails_in_own = vectors.iter().any(|x| {
            let name = x["name"].as_str().unwrap_or("");
            (name == own || name.starts_with(&format!("{own}-")))
                && x["expected"]["checks"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["name"] == check.name() && c["result"] == "fail")
                })
        });
        assert!(fails_in_own, "no vector {own} makes {} fail", check.name());
    }
}

#[test]
fn every_vector_neither_invalid_nor_an_error_verifies() {
    let v = build();
    for x in v["vectors"].as_array().expect("list") {
        let name = x["name"].as_str().unwrap_or("");
        if name.starts_with("invalid-") || name.starts_with("error-") {
            continue;
        }
        assert_eq!(x["expected"]["verified"], true, "{name}");
    }
}
