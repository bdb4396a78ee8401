//! Any delivery order of a session's statements and ballots, with duplicates, gives the same
//! session state and the same tally reports.
#![allow(clippy::expect_used)] // Tests state what they expect.

mod session_common;

use proptest::prelude::*;

use crdt_model::hash::Hash;
use crdt_model::session::{
    Choice, FloorKind, Session, SessionState, SignedBallot, SignedStatement, StatementKind,
    TallyReport, UncountedReason,
};
use session_common::Fixture;

#[derive(Debug, Clone)]
enum Item {
    Statement(SignedStatement),
    Ballot(SignedBallot),
}

struct Recorded {
    fixture: Fixture,
    items: Vec<Item>,
}

/// A sitting with concurrent registrations, a speakers' queue, a conflict, two polls with
/// changed votes, an equivocation, and closes.
fn record() -> Recorded {
    let mut f = Fixture::new();
    let chair = f.chair();
    let d: Vec<_> = (1..=6).map(|n| f.dep(n)).collect();
    // Concurrent registrations: all signed on the same heads.
    let regs: Vec<SignedStatement> = std::iter::once(&chair)
        .chain(&d[..5])
        .map(|k| {
            f.sign(
                k,
                StatementKind::Present {
                    member: k.member_id(),
                },
            )
        })
        .collect();
    for r in &regs {
        f.session.insert(r.clone()).expect("registration");
    }
    f.say(
        &d[4],
        StatementKind::DeclareConflict {
            item: 0,
            reason: "Конфлікт".into(),
        },
    );
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let a = f.sign(
        &d[0],
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::Speech,
        },
    );
    let b = f.sign(
        &d[1],
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::PointOfOrder,
        },
    );
    f.session.insert(a.clone()).expect("request");
    f.session.insert(b.clone()).expect("request");
    f.say(&chair, StatementKind::GrantFloor { request: b.id() });
    f.say(&chair, StatementKind::EndFloor { request: b.id() });
    f.say(&d[0], StatementKind::WithdrawRequest { request: a.id() });
    let (p1, _) = f.open_poll(0);
    let mut ballots = vec![
        f.vote(&chair, p1, 0, Choice::For),
        f.vote(&d[0], p1, 0, Choice::Against),
        f.vote(&d[0], p1, 1, Choice::For),
        f.vote(&d[1], p1, 0, Choice::For),
        f.vote(&d[2], p1, 0, Choice::Abstain),
        f.vote(&d[3], p1, 4, Choice::For),
    ];
    let eq = f.ballot(&d[2], p1, 0, Choice::Against);
    f.session
        .insert_ballot(eq.clone())
        .expect("kept as evidence");
    ballots.push(eq);
    f.close_poll(p1);
    // A concurrent departure and the end of the item.
    let left = f.sign(
        &d[3],
        StatementKind::Left {
            member: d[3].member_id(),
        },
    );
    let end = f.sign(&chair, StatementKind::EndItem { item: 0 });
    f.session.insert(left).expect("left");
    f.session.insert(end).expect("end");
    let (p2, _) = f.open_poll(1);
    ballots.push(f.vote(&d[4], p2, 0, Choice::Against));
    ballots.push(f.vote(&chair, p2, 0, Choice::For));
    f.close_poll(p2);
    // Signed after the close (it names the close as seen): late, not omitted.
    let late = f.ballot(&d[1], p2, 0, Choice::For);
    f.session.insert_ballot(late.clone()).expect("late ballot");
    ballots.push(late);
    f.say(&chair, StatementKind::CloseSession);

    let mut items: Vec<Item> = f
        .session
        .statements()
        .into_iter()
        .skip(1)
        .cloned()
        .map(Item::Statement)
        .collect();
    items.extend(ballots.into_iter().map(Item::Ballot));
    Recorded { fixture: f, items }
}

/// The state, the reports and the record hash (what minutes approvals sign) after `order`.
fn replay(f: &Fixture, order: &[Item]) -> (SessionState, Vec<TallyReport>, Hash) {
    let mut s = Session::new(f.session.context().clone(), f.open.clone()).expect("session");
    for it in order {
        match it {
            Item::Statement(st) => {
                s.insert(st.clone()).expect("statement");
            }
            Item::Ballot(b) => {
                s.insert_ballot(b.clone()).expect("ballot");
            }
        }
    }
    let reports = s
        .state()
        .polls
        .iter()
        .map(|p| s.report(&p.id).expect("poll").expect("report"))
        .collect();
    (s.state().clone(), reports, s.record_hash())
}

#[test]
fn the_recorded_sitting_has_what_the_property_relies_on() {
    let r = record();
    let st = r.fixture.session.state();
    assert_eq!(st.polls.len(), 2);
    assert!(st.polls.iter().all(|p| p.close.is_some()));
    assert!(st.closed);
    assert!(st.ignored.is_empty(), "{:?}", st.ignored);
    let (state, reports, _) = replay(&r.fixture, &r.items);
    assert_eq!(&state, st);
    assert!(reports.iter().all(TallyReport::verified));
    assert_eq!(reports[0].evidence.len(), 1);
    assert_eq!(reports[1].uncounted.len(), 1);
    assert_eq!(reports[1].uncounted[0].reason, UncountedReason::Late);
}

/// The state after each delivery in `order`, each compared with a fresh session that received
/// the same items in the recorded (causal) order. A session folds a statement that sorts after
/// everything it holds on top of its state, and folds everything again when one sorts earlier:
/// a shuffled order takes the second path where the recorded one takes the first, and both
/// must give the same state at every step, not only at the end.
fn each_step_matches_the_causal_order(r: &Recorded, order: &[Item]) -> Result<(), TestCaseError> {
    let mut s =
        Session::new(r.fixture.session.context().clone(), r.fixture.open.clone()).expect("session");
    let mut delivered: Vec<&Item> = Vec::new();
    for it in order {
        match it {
            Item::Statement(st) => {
                s.insert(st.clone()).expect("statement");
            }
            Item::Ballot(b) => {
                s.insert_ballot(b.clone()).expect("ballot");
            }
        }
        delivered.push(it);
        let fresh_order: Vec<Item> = r
            .items
            .iter()
            .filter(|x| delivered.iter().any(|d| same(d, x)))
            .cloned()
            .collect();
        let (fresh, _, _) = replay(&r.fixture, &fresh_order);
        prop_assert_eq!(s.state(), &fresh);
    }
    Ok(())
}

fn same(a: &Item, b: &Item) -> bool {
    match (a, b) {
        (Item::Statement(x), Item::Statement(y)) => x.id() == y.id(),
        (Item::Ballot(x), Item::Ballot(y)) => x.id() == y.id(),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn in_any_order_every_step_matches_the_causal_order(seed in any::<u64>()) {
        let r = record();
        let mut order = r.items.clone();
        let mut x = seed | 1;
        for i in (1..order.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let j = (x % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        each_step_matches_the_causal_order(&r, &order)?;
    }

    #[test]
    fn any_delivery_order_with_duplicates_gives_the_same_state_and_reports(
        seed in any::<u64>(),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let r = record();
        let (want_state, want_reports, want_hash) = replay(&r.fixture, &r.items);
        let mut order = r.items.clone();
        for d in &dups {
            order.push(d.get(&r.items).clone());
        }
        // Fisher–Yates with a small deterministic generator driven by the seed.
        let mut x = seed | 1;
        for i in (1..order.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let j = (x % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let (state, reports, hash) = replay(&r.fixture, &order);
        prop_assert_eq!(state, want_state);
        prop_assert_eq!(reports, want_reports);
        prop_assert_eq!(hash, want_hash);
    }
}
