//! A generated corpus of hostile bundles, each with the verdict `council verify --bundle --json`
//! gives it, written to `target/tmp/hostile-bundles/` for the independent Python verifier to
//! reproduce field for field (`tests/python/run.sh` runs this test, then compares).
//!
//! Every case starts from the sample sitting (two polls, a changed vote, a recusal) and does what
//! an attacker with some of the council's keys, or none, could do to the file: flip a byte of an
//! item, drop, repeat or reorder items, equivocate, vote after the close or before it and be
//! left out, re-sign a close with other counts, open a poll on another version, forge the roster
//! with a deputy's or an observer's key, write ed25519 edge cases (S ≥ L, a small-order R, a
//! zero signature), and state what the items do not say. The cases are drawn from a fixed seed,
//! so the corpus is the same on every run.

use std::path::PathBuf;

use crate::bundle::{Sample, sample_sitting};
use crate::bundle_vectors::{item_hex, items, json_of, normative, to_text};
use council_app::bundle::{Bundle, verdict_json};
use crdt_model::hash::{Hash, hex, unhex};
use crdt_model::log::{LogOp, OpBody};
use crdt_model::replica::Item;
use crdt_model::session::{Ballot, Choice, SignedBallot, Statement, StatementKind};
use crdt_model::{Role, Roles, SecretKey};
use serde_json::{Value, json};

/// How many cases of each kind.
const KINDS: &[(&str, usize)] = &[
    ("flip-byte", 40),
    ("drop-item", 25),
    ("repeat-item", 10),
    ("reorder", 10),
    ("equivocation", 15),
    ("late-or-omitted-ballot", 20),
    ("re-signed-close", 15),
    ("other-version", 10),
    ("roster-forgery", 20),
    ("ed25519-edge", 25),
    ("stated-field", 25),
];

/// The group order of ed25519, little-endian (RFC 8032).
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }
}

/// The base record and what a case may use of it.
struct Base {
    sample: Sample,
    json: Value,
}

impl Base {
    fn new() -> Base {
        let sample = sample_sitting();
        let json = json_of(&sample.replica);
        Base { sample, json }
    }

    fn polls(&self) -> Vec<crdt_model::session::PollId> {
        self.sample
            .replica
            .session(&self.sample.session)
            .map(|s| s.state().polls.iter().map(|p| p.id).collect())
            .unwrap_or_default()
    }

    /// The session's current heads, as a ballot names what it had seen.
    fn heads(&self) -> Vec<Hash> {
        self.sample
            .replica
            .session(&self.sample.session)
            .map(|s| s.write_heads())
            .unwrap_or_default()
    }

    /// A statement of the sample session signed by `key`, on its current heads.
    fn statement(&self, key: &SecretKey, kind: StatementKind) -> Item {
        Item::Statement(
            Statement {
                council: self.sample.replica.log().council_id(),
                session: self.sample.session,
                author: key.member_id(),
                parents: self.heads(),
                time_ms: 1_760_000_900_000,
                kind,
            }
            .sign(key),
        )
    }

    /// A log operation signed by `key` on the log's heads.
    fn op(&self, key: &SecretKey, body: OpBody) -> Item {
        let log = self.sample.replica.log();
        Item::Op(
            LogOp {
                council: log.council_id(),
                author: key.member_id(),
                parents: log.heads(),
                time_ms: 1_760_000_900_000,
                body,
            }
            .sign(key),
        )
    }

    /// A key of the sample: the chair, a deputy, the secretary or the observer.
    fn someone(&self, rng: &mut Rng) -> SecretKey {
        match rng.below(9) {
            0 => self.sample.chair(),
            1 => self.sample.council.secretary.clone(),
            2 => self.sample.council.observer.clone(),
            n => self.sample.dep(n - 2),
        }
    }
}

/// The hex of an item's bytes with `f` applied to them.
fn edit_item(v: &Value, f: impl FnOnce(&mut Vec<u8>)) -> Value {
    let mut bytes = v.as_str().and_then(unhex).unwrap_or_default();
    f(&mut bytes);
    Value::String(hex(&bytes))
}

/// One case: the bundle's text, from the base and the case's draw.
fn case(base: &Base, kind: &str, rng: &mut Rng) -> String {
    let mut b = base.json.clone();
    let n = items(&mut b).len();
    let polls = base.polls();
    match kind {
        "flip-byte" => {
            let i = rng.below(n);
            let bit = rng.below(8);
            let at = rng.next();
            let v = edit_item(&items(&mut b)[i], |bytes| {
                // Anywhere after the tag: lengths, fields, signatures.
                let len = bytes.len().saturating_sub(1).max(1);
                let j = 1 + (at as usize % len);
                if let Some(x) = bytes.get_mut(j) {
                    *x ^= 1 << bit;
                }
            });
            items(&mut b)[i] = v;
        }
        "drop-item" => {
            let i = rng.below(n);
            items(&mut b).remove(i);
        }
        "repeat-item" => {
            let i = rng.below(n);
            let x = items(&mut b)[i].clone();
            let at = rng.below(n + 1);
            items(&mut b).insert(at, x);
        }
        "reorder" => {
            let list = items(&mut b);
            for i in (1..list.len()).rev() {
                let j = rng.below(i + 1);
                list.swap(i, j);
            }
        }
        "equivocation" => {
            // A voter signs a second ballot with the seq of one they cast, another choice.
            let poll = polls[rng.below(polls.len())];
            let s = base.sample.replica.session(&base.sample.session);
            let cast: Vec<SignedBallot> = s
                .map(|s| s.ballots(&poll).cloned().collect())
                .unwrap_or_default();
            if let Some(orig) = cast.get(rng.below(cast.len())) {
                let voter = (0..=8)
                    .map(|k| match k {
                        0 => base.sample.chair(),
                        k => base.sample.dep(k.min(6)),
                    })
                    .find(|k| k.member_id() == orig.ballot().voter);
                if let Some(key) = voter {
                    let choice = match orig.ballot().choice {
                        Choice::For => Choice::Against,
                        _ => Choice::For,
                    };
                    let twin = Ballot {
                        choice,
                        ..orig.ballot().clone()
                    }
                    .sign(&key);
                    items(&mut b).push(item_hex(&Item::Ballot(twin.clone())));
                    if rng.below(2) == 0 {
                        let ix = polls.iter().position(|p| *p == poll).unwrap_or(0);
                        if let Some(list) = b["polls"][ix]["ballots"].as_array_mut() {
                            list.push(Value::String(hex(&twin.to_bytes())));
                        }
                    }
                }
            }
        }
        "late-or-omitted-ballot" => {
            // Deputy 6 (absent, not eligible) or an eligible deputy votes again, naming the
            // final heads (after the close) or only the poll (before it: left out).
            let ix = rng.below(polls.len());
            let poll = polls[ix];
            let key = base.sample.dep(1 + rng.below(6));
            let seen = if rng.below(2) == 0 {
                base.heads()
            } else {
                vec![poll]
            };
            let ballot = Ballot {
                poll,
                voter: key.member_id(),
                seq: 5 + rng.below(3) as u32,
                choice: Choice::Abstain,
                seen,
            }
            .sign(&key);
            items(&mut b).push(item_hex(&Item::Ballot(ballot.clone())));
            if let Some(list) = b["polls"][ix]["ballots"].as_array_mut() {
                list.push(Value::String(hex(&ballot.to_bytes())));
            }
        }
        "re-signed-close" => {
            // The chair re-signs a close with other counts or another commitment, and states it.
            let ix = rng.below(polls.len());
            let poll = polls[ix];
            let s = base.sample.replica.session(&base.sample.session);
            if let Some(mut close) = s.and_then(|s| s.poll_close(&poll)) {
                match rng.below(4) {
                    0 => close.counts.for_ = close.counts.for_.saturating_add(1),
                    1 => close.counts.against = close.counts.against.saturating_sub(1),
                    2 => {
                        close.counted.pop();
                    }
                    _ => close.present.truncate(2),
                }
                let st = base.statement(&base.sample.chair(), StatementKind::ClosePoll(close));
                b["polls"][ix]["close"] = Value::String(hex(&st.to_bytes()[1..]));
                if rng.below(2) == 0 {
                    items(&mut b).push(item_hex(&st));
                }
            }
        }
        "other-version" => {
            // The chair states an opening of the same poll on another version.
            let ix = rng.below(polls.len());
            let s = base.sample.replica.session(&base.sample.session);
            if let Some(p) = s.and_then(|s| s.state().poll(&polls[ix])) {
                let mut open = p.open.clone();
                open.version = vec![Hash::of(b"another", &[&rng.next().to_be_bytes()])];
                let st = base.statement(&base.sample.chair(), StatementKind::OpenPoll(open));
                b["polls"][ix]["open"] = Value::String(hex(&st.to_bytes()[1..]));
                if rng.below(2) == 0 {
                    items(&mut b).push(item_hex(&st));
                }
            }
        }
        "roster-forgery" => {
            let key = base.someone(rng);
            let target = base.someone(rng).member_id();
            let body = match rng.below(4) {
                0 => OpBody::AddMember {
                    member: crdt_model::sample::key(200 + rng.below(50) as u32).member_id(),
                    name: "Підставний депутат".into(),
                    roles: Roles::of(&[Role::Chair, Role::Deputy]),
                },
                1 => OpBody::RemoveMember { member: target },
                2 => OpBody::SetRoles {
                    member: key.member_id(),
                    roles: Roles::of(&[Role::Chair, Role::Secretary, Role::Deputy]),
                },
                _ => OpBody::SetRoles {
                    member: target,
                    roles: Roles::of(&[Role::Observer]),
                },
            };
            let op = base.op(&key, body);
            items(&mut b).push(item_hex(&op));
        }
        "ed25519-edge" => {
            // A signed item (not a change) whose signature is made S + L, given a small-order
            // R, or zeroed.
            let signed: Vec<usize> = (0..n)
                .filter(|i| {
                    items(&mut b)[*i]
                        .as_str()
                        .is_some_and(|h| !h.starts_with("01"))
                })
                .collect();
            let i = signed[rng.below(signed.len())];
            let how = rng.below(3);
            let v = edit_item(&items(&mut b)[i], |bytes| {
                let len = bytes.len();
                if len < 65 {
                    return;
                }
                let sig = &mut bytes[len - 64..];
                match how {
                    0 => {
                        // S + L: the same point, a scalar strict verification refuses.
                        let mut carry = 0u16;
                        for (k, l) in L.iter().enumerate() {
                            let x = u16::from(sig[32 + k]) + u16::from(*l) + carry;
                            sig[32 + k] = (x & 0xff) as u8;
                            carry = x >> 8;
                        }
                    }
                    1 => {
                        // R = the identity point (small order).
                        sig[..32].copy_from_slice(&[0; 32]);
                        sig[0] = 1;
                    }
                    _ => sig.copy_from_slice(&[0; 64]),
                }
            });
            items(&mut b)[i] = v;
        }
        _ => {
            // "stated-field": what the entry states, not what the items say.
            let ix = rng.below(polls.len());
            let p = &mut b["polls"][ix];
            match rng.below(8) {
                0 => p["context"]["seats"] = json!(8),
                1 => p["context"]["quorum"] = json!("two-thirds"),
                2 => {
                    if let Some(c) = p["context"]["chairs"].as_array_mut() {
                        c.clear();
                    }
                }
                3 => p["title"] = json!("Інше питання"),
                4 => p["close"] = Value::Null,
                5 => {
                    if let Some(list) = p["ballots"].as_array_mut() {
                        list.pop();
                    }
                }
                6 => p["poll"] = json!(hex(&[7; 32])),
                _ => p["context"]["allow_poll_override"] = json!(false),
            }
        }
    }
    to_text(&b)
}

/// The directory the corpus is written to.
fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-bundles")
}

#[test]
fn a_corpus_of_hostile_bundles_is_written_with_the_verdict_of_each() {
    let base = Base::new();
    let out = dir();
    let _fresh = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("corpus dir");
    let mut rng = Rng(0x00C0_FFEE_5EED_1234);
    let mut written = 0usize;
    let mut failing = 0usize;
    for (kind, count) in KINDS {
        for k in 0..*count {
            let text = case(&base, kind, &mut rng);
            let expected = match Bundle::parse(text.as_bytes()) {
                Ok(bundle) => {
                    let (v, replica) = bundle.verify_rebuilt();
                    if !v.passed() {
                        failing += 1;
                    }
                    normative(verdict_json(&v, &replica))
                }
                Err(_) => {
                    failing += 1;
                    Value::Null
                }
            };
            let name = format!("{written:03}-{kind}-{k}");
            std::fs::write(out.join(format!("{name}.json")), &text).expect("write");
            let e = serde_json::to_string_pretty(&expected).expect("json");
            std::fs::write(out.join(format!("{name}.expected.json")), e).expect("write");
            written += 1;
        }
    }
    assert!(written >= 200, "{written} cases");
    // Most hostile cases must fail; the few that do not are harmless (a repeated item, an
    // order, a flip in a field nobody reads): a corpus where nothing failed tests nothing.
    assert!(
        failing * 2 > written,
        "only {failing} of {written} cases fail"
    );
}
