//! Sessions delivered through the replica: any order, the same session; refusals are not kept.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;
use crate::SecretKey;
use crate::hash::Hash;
use crate::sample::SampleCouncil;
use crate::session::{AgendaItem, Ballot, Body, Choice, Statement, TallyReport};

const T0: u64 = 1_760_000_000_000;

/// A recorded sitting of the sample council: the log operations, then every statement and
/// ballot, and the session as its chair's device saw it.
struct Sitting {
    council: SampleCouncil,
    ops: Vec<Item>,
    statements: Vec<Item>,
    ballots: Vec<Item>,
    session: Session,
    poll: PollId,
}

impl Sitting {
    fn all(&self) -> Vec<Item> {
        let mut v = self.ops.clone();
        v.extend(self.statements.iter().cloned());
        v.extend(self.ballots.iter().cloned());
        v
    }
}

/// A ballot naming only its poll as seen (for polls this test's replica may not hold).
fn ballot(key: &SecretKey, poll: PollId, seq: u32, choice: Choice) -> SignedBallot {
    Ballot {
        poll,
        voter: key.member_id(),
        seq,
        choice,
        seen: vec![poll],
    }
    .sign(key)
}

fn record() -> Sitting {
    let (council, log) = SampleCouncil::new(7, 6).expect("sample council");
    let chair = council.chair.clone();
    let d = council.deputies.clone();
    let open = Statement {
        council: log.council_id(),
        session: Hash::default(),
        author: chair.member_id(),
        parents: vec![],
        time_ms: T0,
        kind: StatementKind::OpenSession {
            body: Body::Council,
            log_heads: log.heads(),
            label: "Сесія 12".into(),
            items: vec![
                AgendaItem {
                    title: "Про бюджет".into(),
                    doc: None,
                },
                AgendaItem {
                    title: "Різне".into(),
                    doc: None,
                },
            ],
        },
    }
    .sign(&chair);
    let mut s = Session::from_log(&log, open).expect("session");
    let mut t = T0;
    let mut say = |s: &mut Session, k: &SecretKey, kind: StatementKind| {
        t += 1000;
        s.create(k, kind, t).expect("statement accepted")
    };
    for k in std::iter::once(&chair).chain(&d[..4]) {
        say(
            &mut s,
            k,
            StatementKind::Present {
                member: k.member_id(),
            },
        );
    }
    say(&mut s, &chair, StatementKind::StartItem { item: 0 });
    let p = s.poll_open(0, Hash::of(b"doc", &[b"budget"]), vec![], "Бюджет", None);
    let poll = say(&mut s, &chair, StatementKind::OpenPoll(p)).id();
    let mut ballots = vec![
        s.ballot(&chair, poll, 0, Choice::For),
        s.ballot(&d[0], poll, 0, Choice::Against),
        s.ballot(&d[0], poll, 1, Choice::For),
        s.ballot(&d[1], poll, 0, Choice::For),
        s.ballot(&d[2], poll, 0, Choice::Abstain),
    ];
    for b in &ballots {
        s.insert_ballot(b.clone()).expect("ballot accepted");
    }
    let close = s.poll_close(&poll).expect("poll known");
    say(&mut s, &chair, StatementKind::ClosePoll(close));
    // A ballot that arrives after the close: held, not counted.
    let late = s.ballot(&d[3], poll, 0, Choice::Against);
    s.insert_ballot(late.clone()).expect("late ballot held");
    ballots.push(late);
    say(&mut s, &chair, StatementKind::EndItem { item: 0 });
    say(&mut s, &chair, StatementKind::CloseSession);
    assert!(s.state().ignored.is_empty(), "{:?}", s.state().ignored);
    Sitting {
        ops: council.ops.iter().cloned().map(Item::Op).collect(),
        statements: s
            .statements()
            .into_iter()
            .cloned()
            .map(Item::Statement)
            .collect(),
        ballots: ballots.into_iter().map(Item::Ballot).collect(),
        council,
        session: s,
        poll,
    }
}

fn shuffle(items: &mut [Item], seed: u64) {
    let mut x = seed | 1;
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = (x % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// Delivers `items` in order, then offers again what was not kept aside because its author
/// was not yet known as a writer (as a peer's next catch-up does), until nothing changes.
fn deliver(genesis: &SignedGenesis, items: &[Item]) -> Replica {
    let mut r = Replica::new(genesis.clone());
    let mut again = offer(&mut r, items);
    while !again.is_empty() {
        let before = again.len();
        again = offer(&mut r, &again);
        assert!(again.len() < before, "re-offering makes no progress");
    }
    r
}

/// Offers each item once; returns those refused a place to wait.
fn offer(r: &mut Replica, items: &[Item]) -> Vec<Item> {
    let mut again = Vec::new();
    for it in items {
        match r.receive(it.clone()) {
            Ok(_) => {}
            Err(ItemRejected::NotParked(_)) => again.push(it.clone()),
            Err(e) => panic!("a valid item was refused: {e}"),
        }
    }
    again
}

fn reports(s: &Session) -> Vec<TallyReport> {
    s.state()
        .polls
        .iter()
        .map(|p| s.report(&p.id).expect("poll").expect("report"))
        .collect()
}

#[test]
fn a_sessions_statements_and_ballots_in_any_order_give_the_same_session() {
    let sit = record();
    let sid = sit.session.id();
    let want = sit.session.state();
    let want_reports = reports(&sit.session);
    assert!(want_reports.iter().all(TallyReport::verified));
    for seed in 0..40u64 {
        let mut order = sit.all();
        // Duplicates too.
        order.extend(sit.statements.iter().step_by(3).cloned());
        order.extend(sit.ballots.iter().step_by(2).cloned());
        shuffle(
            &mut order,
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xC0FFEE,
        );
        let r = deliver(&sit.council.genesis, &order);
        assert_eq!(r.pending_len(), 0, "seed {seed}");
        let s = r.session(&sid).expect("session opened");
        assert_eq!(s.state(), want, "seed {seed}");
        assert_eq!(reports(s), want_reports, "seed {seed}");
        assert_eq!(s.ballots(&sit.poll).count(), sit.ballots.len());
    }
}

#[test]
fn what_arrives_before_its_authors_admission_is_offered_again_and_applies() {
    let sit = record();
    let mut order: Vec<Item> = sit.ballots.clone();
    order.extend(sit.statements.iter().rev().cloned());
    order.extend(sit.ops.iter().rev().cloned());
    let mut r = Replica::new(sit.council.genesis.clone());
    // Before the roster arrives nobody but the founder is a writer here: nothing of theirs is
    // held, not even aside.
    let again = offer(&mut r, &order);
    assert_eq!(again.len(), sit.ballots.len() + sit.statements.len());
    assert_eq!(r.pending_len(), 0);
    // Offered again (the next catch-up), everything now waits for the opening, then applies.
    let mut outcomes = vec![];
    for it in &again {
        outcomes.push(r.receive(it.clone()).expect("valid item"));
    }
    assert!(
        outcomes[..sit.ballots.len()]
            .iter()
            .all(|o| *o == Outcome::Pending)
    );
    assert_eq!(r.pending_len(), 0);
    assert_eq!(
        r.session(&sit.session.id()).expect("opened").state(),
        sit.session.state()
    );
    assert_eq!(
        r.receive(sit.ballots[0].clone()).expect("held"),
        Outcome::Duplicate
    );
    assert_eq!(
        r.receive(sit.statements[0].clone()).expect("held"),
        Outcome::Duplicate
    );
}

#[test]
fn items_apply_in_order_on_a_fresh_replica_without_parking() {
    let sit = record();
    let mut order = sit.all();
    shuffle(&mut order, 7);
    let r = deliver(&sit.council.genesis, &order);
    let items = r.items();
    assert_eq!(
        items.len(),
        sit.ops.len() + sit.statements.len() + sit.ballots.len()
    );
    assert_eq!(r.item_count(), items.len());
    let mut fresh = Replica::new(sit.council.genesis.clone());
    for it in items {
        assert_eq!(fresh.receive(it).expect("valid"), Outcome::Applied);
    }
    assert_eq!(
        fresh.session(&sit.session.id()).expect("opened").state(),
        sit.session.state()
    );
}

#[test]
fn in_causal_order_any_shuffle_applies_at_once_with_nothing_parked() {
    let sit = record();
    for seed in 0..40u64 {
        let mut order = sit.all();
        order.extend(sit.statements.iter().step_by(4).cloned());
        shuffle(
            &mut order,
            seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xBEEF,
        );
        let positions = causal_order(&order);
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (0..order.len()).collect::<Vec<_>>(),
            "a permutation"
        );
        let mut fresh = Replica::new(sit.council.genesis.clone());
        for i in positions {
            let outcome = fresh.receive(order[i].clone()).expect("valid item");
            assert_ne!(outcome, Outcome::Pending, "seed {seed}: nothing waits");
        }
        assert_eq!(fresh.pending_len(), 0);
        assert_eq!(
            fresh.session(&sit.session.id()).expect("opened").state(),
            sit.session.state(),
            "seed {seed}"
        );
    }
}

#[test]
fn causal_order_keeps_the_given_order_where_nothing_is_between_items() {
    let sit = record();
    let order = sit.all();
    assert_eq!(causal_order(&order), (0..order.len()).collect::<Vec<_>>());
    assert!(causal_order(&[]).is_empty());
}

#[test]
fn a_refused_ballot_is_not_in_items() {
    let sit = record();
    let mut r = deliver(&sit.council.genesis, &sit.all());
    let before = r.items().len();
    // The observer has no vote; deputy 6 did not register, so is not in the poll's snapshot.
    for key in [&sit.council.observer, &sit.council.deputies[5]] {
        let b = sit.session.ballot(key, sit.poll, 0, Choice::For);
        let err = r.receive(Item::Ballot(b.clone())).expect_err("refused");
        assert_eq!(
            err,
            ItemRejected::Session(FromLogError::Refused(Refused::NotEligible(key.member_id())))
        );
        assert!(
            !r.items()
                .iter()
                .any(|i| matches!(i, Item::Ballot(x) if x.id() == b.id()))
        );
    }
    // A forged ballot of an eligible voter is refused too.
    let forged = ballot(&sit.council.deputies[1], sit.poll, 5, Choice::Against)
        .with_signature(crate::Signature([7; 64]));
    assert!(matches!(
        r.receive(Item::Ballot(forged)),
        Err(ItemRejected::Session(FromLogError::Refused(
            Refused::BadSignature(_)
        )))
    ));
    assert_eq!(r.items().len(), before);
}

#[test]
fn a_forged_statement_of_an_unknown_session_is_refused_not_parked() {
    let sit = record();
    let mut r = Replica::new(sit.council.genesis.clone());
    for op in &sit.ops {
        r.receive(op.clone()).expect("op");
    }
    let Item::Statement(st) = sit.statements[1].clone() else {
        panic!("a statement");
    };
    let mut bytes = st.to_bytes();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    let forged = SignedStatement::from_bytes(&bytes).expect("decodes");
    assert!(r.receive(Item::Statement(forged)).is_err());
    assert_eq!(r.pending_len(), 0);
    assert_eq!(
        r.receive(Item::Statement(st)).expect("parked"),
        Outcome::Pending
    );
    assert_eq!(r.pending_len(), 1);
}

#[test]
fn a_statement_of_another_council_is_refused() {
    let sit = record();
    let (other, _) = SampleCouncil::new(9, 3).expect("another council");
    let mut r = Replica::new(other.genesis.clone());
    assert!(matches!(
        r.receive(sit.statements[0].clone()),
        Err(ItemRejected::Session(FromLogError::Refused(
            Refused::WrongCouncil
        )))
    ));
    assert_eq!(r.pending_len(), 0);
}

/// A change signed by `key` for a document no peer has heard of (its creation never arrives).
fn change_for_unknown_document(
    c: &SampleCouncil,
    log: &CouncilLog,
    key: &SecretKey,
    n: u8,
) -> SignedChange {
    use automerge::transaction::Transactable;
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "x", i64::from(n)).expect("put");
    doc.commit();
    let change = doc.get_last_local_change().expect("a change").clone();
    let _ = c;
    SignedChange::sign(
        key,
        log.council_id(),
        Hash::of(b"unknown doc", &[&[n]]),
        log.heads(),
        change,
    )
}

#[test]
fn a_strangers_change_for_an_unknown_document_is_not_parked() {
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let mut r = Replica::new(c.genesis.clone());
    for op in &c.ops {
        r.receive(Item::Op(op.clone())).expect("op");
    }
    let stranger = crate::sample::key(4242);
    let got = r.receive(Item::Change(change_for_unknown_document(
        &c, &log, &stranger, 1,
    )));
    assert!(
        matches!(
            got,
            Err(ItemRejected::NotParked(ParkRefused::NotAWriter(_)))
        ),
        "{got:?}"
    );
    // Nor an observer's.
    let got = r.receive(Item::Change(change_for_unknown_document(
        &c,
        &log,
        &c.observer,
        2,
    )));
    assert!(matches!(got, Err(ItemRejected::NotParked(_))), "{got:?}");
    assert_eq!(r.pending_len(), 0);
}

#[test]
fn a_forged_change_for_an_unknown_document_is_refused_not_parked() {
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let mut r = Replica::new(c.genesis.clone());
    for op in &c.ops {
        r.receive(Item::Op(op.clone())).expect("op");
    }
    let good = change_for_unknown_document(&c, &log, &c.deputies[0], 1);
    let mut bytes = good.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let forged = SignedChange::from_bytes(&bytes).expect("decodes");
    assert!(matches!(
        r.receive(Item::Change(forged)),
        Err(ItemRejected::Change(ChangeRejected::BadSignature(_)))
    ));
    assert_eq!(r.pending_len(), 0);
}

#[test]
fn the_same_waiting_change_is_parked_once() {
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let mut r = Replica::new(c.genesis.clone());
    for op in &c.ops {
        r.receive(Item::Op(op.clone())).expect("op");
    }
    let ch = change_for_unknown_document(&c, &log, &c.deputies[0], 1);
    assert_eq!(r.receive(Item::Change(ch.clone())), Ok(Outcome::Pending));
    for _ in 0..100 {
        assert_eq!(r.receive(Item::Change(ch.clone())), Ok(Outcome::Duplicate));
    }
    assert_eq!(r.pending_len(), 1);
}

#[test]
fn one_member_cannot_fill_the_room_for_waiting_items() {
    use crate::parking::MAX_PARKED_ITEMS_PER_AUTHOR;
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let mut r = Replica::new(c.genesis.clone());
    for op in &c.ops {
        r.receive(Item::Op(op.clone())).expect("op");
    }
    let flooder = &c.deputies[0];
    let mut refused = None;
    for i in 0..=MAX_PARKED_ITEMS_PER_AUTHOR {
        let poll = Hash::of(b"unknown poll", &[&(i as u64).to_be_bytes()]);
        match r.receive(Item::Ballot(ballot(flooder, poll, 0, Choice::For))) {
            Ok(Outcome::Pending) => {}
            other => {
                refused = Some((i, other));
                break;
            }
        }
    }
    let (at, why) = refused.expect("the flood is cut off");
    assert_eq!(at, MAX_PARKED_ITEMS_PER_AUTHOR);
    assert!(matches!(
        why,
        Err(ItemRejected::NotParked(ParkRefused::AuthorFull))
    ));
    // Another member still has room.
    let other = Hash::of(b"unknown poll", &[b"other"]);
    assert_eq!(
        r.receive(Item::Ballot(ballot(&c.deputies[1], other, 0, Choice::For))),
        Ok(Outcome::Pending)
    );
    assert!(r.parked_bytes() > 0);
    let _ = log;
}

#[test]
fn an_observers_statement_for_an_unopened_session_is_not_parked() {
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let mut r = Replica::new(c.genesis.clone());
    for op in &c.ops {
        r.receive(Item::Op(op.clone())).expect("op");
    }
    let st = Statement {
        council: log.council_id(),
        session: Hash::of(b"unopened", &[]),
        author: c.observer.member_id(),
        parents: vec![Hash::of(b"unopened", &[])],
        time_ms: T0,
        kind: StatementKind::Present {
            member: c.observer.member_id(),
        },
    }
    .sign(&c.observer);
    assert!(matches!(
        r.receive(Item::Statement(st)),
        Err(ItemRejected::NotParked(ParkRefused::NotAWriter(_)))
    ));
}

/// An opening of a council session by `chair` naming `log_heads`.
fn opening(
    log: &CouncilLog,
    chair: &SecretKey,
    log_heads: Vec<crate::log::OpId>,
) -> SignedStatement {
    Statement {
        council: log.council_id(),
        session: Hash::default(),
        author: chair.member_id(),
        parents: vec![],
        time_ms: T0,
        kind: StatementKind::OpenSession {
            body: Body::Council,
            log_heads,
            label: "Сесія".into(),
            items: vec![],
        },
    }
    .sign(chair)
}

fn removal_of(log: &CouncilLog, c: &SampleCouncil, who: &SecretKey) -> SignedOp {
    crate::log::LogOp {
        council: log.council_id(),
        author: c.secretary.member_id(),
        parents: log.heads(),
        time_ms: T0,
        body: crate::log::OpBody::RemoveMember {
            member: who.member_id(),
        },
    }
    .sign(&c.secretary)
}

#[test]
fn a_removed_chairs_backdated_session_counts_nowhere_in_any_order() {
    //   log:     … ── h ── R (secretary removes the chair)
    //   session: opened by the chair naming h, after the removal; only the chair takes part
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let open = opening(&log, &c.chair, log.heads());
    let sid = open.id();
    let r = removal_of(&log, &c, &c.chair);
    let chair_present = Statement {
        council: log.council_id(),
        session: sid,
        author: c.chair.member_id(),
        parents: vec![sid],
        time_ms: T0 + 1,
        kind: StatementKind::Present {
            member: c.chair.member_id(),
        },
    }
    .sign(&c.chair);
    let items: Vec<Item> = c.ops.iter().cloned().map(Item::Op).collect();
    let tail = [
        Item::Op(r.clone()),
        Item::Statement(open),
        Item::Statement(chair_present),
    ];
    for order in [[0, 1, 2], [1, 2, 0], [1, 0, 2]] {
        let mut all = items.clone();
        all.extend(order.iter().map(|&i| tail[i].clone()));
        let rep = deliver(&c.genesis, &all);
        assert!(rep.session(&sid).is_some(), "held, so peers agree");
        assert_eq!(rep.session_revoked(&sid), Some(r.id()), "order {order:?}");
        assert_eq!(rep.live_sessions().count(), 0);
        // Held items are passed on like any other.
        assert!(
            rep.items()
                .iter()
                .any(|i| matches!(i, Item::Statement(s) if s.id() == sid))
        );
    }
}

#[test]
fn a_session_the_deputies_took_part_in_before_the_removal_reached_them_stands() {
    //   session opened by the chair on h; deputy 1 registers; the secretary removes the chair
    //   concurrently (the removal had not seen the session): deputy 1, in good standing, vouches.
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let open = opening(&log, &c.chair, log.heads());
    let sid = open.id();
    let d = &c.deputies[0];
    let present = Statement {
        council: log.council_id(),
        session: sid,
        author: d.member_id(),
        parents: vec![sid],
        time_ms: T0 + 1,
        kind: StatementKind::Present {
            member: d.member_id(),
        },
    }
    .sign(d);
    let r = removal_of(&log, &c, &c.chair);
    let mut all: Vec<Item> = c.ops.iter().cloned().map(Item::Op).collect();
    all.extend([Item::Statement(open), Item::Op(r), Item::Statement(present)]);
    let rep = deliver(&c.genesis, &all);
    assert_eq!(rep.session_revoked(&sid), None);
    assert_eq!(rep.live_sessions().count(), 1);
}
