//! Sessions: registration, quorum, agenda, speakers, conflicts, polls and ballots — every
//! refusal and every ignored statement has a test here.
#![allow(clippy::expect_used)] // Tests state what they expect.

mod session_common;

use crdt_model::hash::Hash;
use crdt_model::rules::{Base, Counts, MajorityRule, Threshold};
use crdt_model::session::{
    Ballot, Choice, FloorKind, Ignored, ItemStatus, Outcome, Received, Refused, RequestStatus,
    Session, SignedBallot, SignedStatement, Statement, StatementKind, UncountedReason, VoterResult,
    verify_poll,
};
use crdt_model::{SecretKey, Signature};
use session_common::{Fixture, T0};

fn ignored(f: &Fixture, st: &SignedStatement) -> Option<Ignored> {
    f.session
        .state()
        .ignored
        .iter()
        .find(|(id, _)| *id == st.id())
        .map(|(_, w)| w.clone())
}

fn present(k: &SecretKey) -> StatementKind {
    StatementKind::Present {
        member: k.member_id(),
    }
}

// ---- Refused outright ----

#[test]
fn a_statement_for_another_council_is_refused() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let mut st = f.sign(&chair, present(&chair)).statement().clone();
    st.council = Hash::of(b"x", &[b"other"]);
    assert_eq!(
        f.session.insert(st.sign(&chair)),
        Err(Refused::WrongCouncil)
    );
}

#[test]
fn a_statement_for_another_session_is_refused() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let mut st = f.sign(&chair, present(&chair)).statement().clone();
    st.session = Hash::of(b"x", &[b"other"]);
    assert_eq!(
        f.session.insert(st.sign(&chair)),
        Err(Refused::WrongSession)
    );
}

#[test]
fn a_second_opening_of_a_session_is_refused() {
    let mut f = Fixture::new();
    let mut st = f.open.statement().clone();
    st.time_ms += 1;
    let chair = f.chair();
    assert_eq!(
        f.session.insert(st.sign(&chair)),
        Err(Refused::SecondOpening)
    );
}

#[test]
fn a_statement_with_a_bad_signature_is_refused() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let d1 = f.dep(1);
    let st = f.sign(&chair, present(&chair));
    let forged = Statement {
        author: d1.member_id(),
        ..st.statement().clone()
    }
    .sign(&chair);
    assert!(matches!(
        f.session.insert(forged),
        Err(Refused::BadSignature(_))
    ));
}

#[test]
fn a_statement_by_someone_outside_the_body_is_refused() {
    let mut f = Fixture::new();
    let obs = f.council.observer.clone();
    let st = f.sign(&obs, present(&obs));
    assert_eq!(
        f.session.insert(st),
        Err(Refused::NotAParticipant(obs.member_id()))
    );
}

#[test]
fn a_session_opened_by_a_deputy_is_refused() {
    let f = Fixture::new();
    let d1 = f.dep(1);
    let open = Statement {
        author: d1.member_id(),
        ..f.open.statement().clone()
    }
    .sign(&d1);
    assert!(matches!(
        Session::new(f.session.context().clone(), open),
        Err(Refused::NotAParticipant(_))
    ));
}

#[test]
fn a_ballot_with_a_bad_signature_is_refused() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let b = f.ballot(&f.dep(1), poll, 0, Choice::For);
    let mut sig = b.signature().0;
    sig[3] ^= 1;
    assert!(matches!(
        f.session.insert_ballot(b.with_signature(Signature(sig))),
        Err(Refused::BadSignature(_))
    ));
}

#[test]
fn a_ballot_from_a_member_who_is_not_eligible_is_refused() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let d6 = f.dep(6);
    let b = f.ballot(&d6, poll, 0, Choice::For);
    assert_eq!(
        f.session.insert_ballot(b),
        Err(Refused::NotEligible(d6.member_id()))
    );
}

#[test]
fn a_ballot_naming_a_statement_that_is_not_a_poll_is_refused() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let st = f.say(&chair, present(&chair));
    let b = f.ballot(&f.dep(1), st.id(), 0, Choice::For);
    assert_eq!(f.session.insert_ballot(b), Err(Refused::NotAPoll));
}

#[test]
fn an_equivocating_ballot_is_kept_as_evidence_and_neither_counts() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let d1 = f.dep(1);
    let a = f.vote(&d1, poll, 0, Choice::For);
    let b = f.ballot(&d1, poll, 0, Choice::Against);
    assert_eq!(
        f.session.insert_ballot(b),
        Ok(Received::Equivocation { earlier: a.id() })
    );
    let close = f.session.poll_close(&poll).expect("poll");
    assert_eq!(close.counts, Counts::default());
    let report = f.session.report(&poll).expect("poll").expect("report");
    assert_eq!(report.evidence.len(), 1);
    assert_eq!(report.evidence[0].voter, d1.member_id());
}

#[test]
fn a_ballot_for_a_poll_not_yet_known_waits_and_then_counts() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let open = f.sign(&chair, StatementKind::OpenPoll(f.poll_open(0)));
    let d1 = f.dep(1);
    let b = f.ballot(&d1, open.id(), 0, Choice::For);
    assert!(matches!(
        f.session.insert_ballot(b.clone()),
        Ok(Received::Pending { .. })
    ));
    f.session.insert(open.clone()).expect("open");
    assert_eq!(f.session.ballots(&open.id()).count(), 1);
}

#[test]
fn a_ballot_naming_a_statement_not_yet_held_as_seen_waits_for_it() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let d1 = f.dep(1);
    // Deputy 1 has seen a registration this peer has not received yet.
    let elsewhere = f.sign(
        &f.dep(2),
        StatementKind::Left {
            member: f.dep(2).member_id(),
        },
    );
    let b = Ballot {
        poll,
        voter: d1.member_id(),
        seq: 0,
        choice: Choice::For,
        seen: vec![elsewhere.id()],
    }
    .sign(&d1);
    assert_eq!(
        f.session.insert_ballot(b.clone()),
        Ok(Received::Pending {
            missing: vec![elsewhere.id()]
        })
    );
    assert_eq!(f.session.ballots(&poll).count(), 0);
    assert_eq!(f.session.insert_ballot(b.clone()), Ok(Received::Duplicate));
    f.session.insert(elsewhere).expect("registration");
    assert_eq!(f.session.ballots(&poll).count(), 1);
}

#[test]
fn a_ballot_names_its_seen_heads_sorted_distinct_and_at_least_one() {
    let mut f = Fixture::new();
    f.register(&[1]);
    let (poll, _) = f.open_poll(0);
    let d1 = f.dep(1);
    let good = f.ballot(&d1, poll, 0, Choice::For);
    assert_eq!(good.ballot().seen, f.session.write_heads());
    let wire = good.to_bytes();
    assert_eq!(SignedBallot::from_bytes(&wire), Ok(good.clone()));
    // The body's seen list: u32 count at byte 70, then the hashes.
    let body_at = 4;
    let with_seen = |seen: &[Hash]| {
        let mut body = good.body()[..70].to_vec();
        body.extend((seen.len() as u32).to_be_bytes());
        for h in seen {
            body.extend(h.0);
        }
        let mut w = (body.len() as u32).to_be_bytes().to_vec();
        w.extend(&body);
        w.extend(good.signature().0);
        w
    };
    let (a, b) = (Hash::of(b"a", &[]), Hash::of(b"b", &[]));
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    assert!(SignedBallot::from_bytes(&with_seen(&[lo, hi])).is_ok());
    for bad in [vec![], vec![hi, lo], vec![lo, lo]] {
        assert!(
            SignedBallot::from_bytes(&with_seen(&bad)).is_err(),
            "seen {bad:?} must not decode"
        );
    }
    assert_eq!(&wire[body_at..body_at + 70], &good.body()[..70]);
}

#[test]
fn a_statement_whose_parent_is_missing_waits_and_applies_once_it_arrives() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let first = f.sign(&chair, present(&chair));
    let d1 = f.dep(1);
    let second = Statement {
        council: f.log.council_id(),
        session: f.session.id(),
        author: d1.member_id(),
        parents: vec![first.id()],
        time_ms: T0 + 5,
        kind: present(&d1),
    }
    .sign(&d1);
    assert!(matches!(
        f.session.insert(second),
        Ok(Received::Pending { .. })
    ));
    assert_eq!(f.session.state().present.len(), 0);
    assert_eq!(f.session.insert(first), Ok(Received::Accepted));
    assert_eq!(f.session.state().present.len(), 2);
    assert_eq!(f.session.pending_len(), 0);
}

// ---- Registration and quorum ----

#[test]
fn the_chair_may_register_a_deputy_on_their_behalf_and_it_is_marked() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let d1 = f.dep(1);
    f.say(&chair, present(&d1));
    let r = f.session.state().present[&d1.member_id()];
    assert!(r.by_chair);
}

#[test]
fn a_deputy_cannot_register_someone_else() {
    let mut f = Fixture::new();
    let (d1, d2) = (f.dep(1), f.dep(2));
    let st = f.say(&d1, present(&d2));
    assert_eq!(ignored(&f, &st), Some(Ignored::NotYourself));
}

#[test]
fn registering_a_member_who_does_not_vote_is_ignored() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let sec = f.council.secretary.clone();
    let st = f.say(&chair, present(&sec));
    assert_eq!(ignored(&f, &st), Some(Ignored::NotAVoter(sec.member_id())));
}

#[test]
fn quorum_is_live_and_lost_when_deputies_leave() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    assert_eq!(f.session.state().quorum_needed, 4);
    assert!(f.session.state().quorum_met() && f.session.state().may_vote());
    let d3 = f.dep(3);
    f.say(
        &d3,
        StatementKind::Left {
            member: d3.member_id(),
        },
    );
    assert!(!f.session.state().quorum_met());
    assert!(!f.session.state().may_vote());
}

#[test]
fn a_poll_cannot_be_opened_without_quorum() {
    let mut f = Fixture::new();
    f.register(&[1, 2]);
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let st = f.say(&chair, StatementKind::OpenPoll(f.poll_open(0)));
    assert_eq!(
        ignored(&f, &st),
        Some(Ignored::NoQuorum {
            present: 3,
            needed: 4
        })
    );
    assert!(f.session.state().polls.is_empty());
}

#[test]
fn a_poll_cannot_be_closed_as_adopted_once_quorum_is_lost() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    for k in [f.chair(), f.dep(1), f.dep(2), f.dep(3)] {
        f.vote(&k, poll, 0, Choice::For);
    }
    let d3 = f.dep(3);
    f.say(
        &d3,
        StatementKind::Left {
            member: d3.member_id(),
        },
    );
    let mut c = f.session.poll_close(&poll).expect("poll");
    assert_eq!(c.outcome, Outcome::NotAdopted, "the close helper says so");
    c.outcome = Outcome::Adopted;
    let chair = f.chair();
    let st = f.say(&chair, StatementKind::ClosePoll(c));
    assert!(matches!(ignored(&f, &st), Some(Ignored::NoQuorum { .. })));
    let (c, _) = f.close_poll(poll);
    assert_eq!(c.outcome, Outcome::NotAdopted);
    assert!(
        f.session
            .state()
            .poll(&poll)
            .is_some_and(|p| p.close.is_some())
    );
}

// ---- Agenda ----

#[test]
fn the_chair_moves_through_the_agenda() {
    let mut f = Fixture::new();
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    assert_eq!(f.session.state().current_item, Some(0));
    f.say(&chair, StatementKind::EndItem { item: 0 });
    f.say(&chair, StatementKind::PostponeItem { item: 1 });
    f.say(
        &chair,
        StatementKind::RemoveItem {
            item: 2,
            reason: "Знято автором".into(),
        },
    );
    let items = &f.session.state().items;
    assert_eq!(items[0].status, ItemStatus::Done);
    assert_eq!(items[1].status, ItemStatus::Postponed);
    assert_eq!(
        items[2].status,
        ItemStatus::Removed {
            reason: "Знято автором".into()
        }
    );
}

#[test]
fn agenda_progress_by_a_deputy_is_ignored() {
    let mut f = Fixture::new();
    let d1 = f.dep(1);
    let st = f.say(&d1, StatementKind::StartItem { item: 0 });
    assert_eq!(ignored(&f, &st), Some(Ignored::NotChair));
}

#[test]
fn starting_an_item_that_does_not_exist_is_ignored() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let st = f.say(&chair, StatementKind::StartItem { item: 9 });
    assert_eq!(ignored(&f, &st), Some(Ignored::UnknownItem(9)));
}

#[test]
fn starting_a_second_item_while_one_is_in_progress_is_ignored() {
    let mut f = Fixture::new();
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let st = f.say(&chair, StatementKind::StartItem { item: 1 });
    assert_eq!(ignored(&f, &st), Some(Ignored::AnotherItemInProgress));
}

#[test]
fn ending_an_item_that_is_not_in_progress_is_ignored() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let st = f.say(&chair, StatementKind::EndItem { item: 1 });
    assert_eq!(ignored(&f, &st), Some(Ignored::ItemNotCurrent(1)));
}

#[test]
fn a_removed_item_cannot_be_started() {
    let mut f = Fixture::new();
    let chair = f.chair();
    f.say(
        &chair,
        StatementKind::RemoveItem {
            item: 1,
            reason: "—".into(),
        },
    );
    let st = f.say(&chair, StatementKind::StartItem { item: 1 });
    assert_eq!(ignored(&f, &st), Some(Ignored::ItemClosed(1)));
}

#[test]
fn nothing_applies_after_the_session_is_closed() {
    let mut f = Fixture::new();
    let chair = f.chair();
    f.say(&chair, StatementKind::CloseSession);
    let st = f.say(&chair, StatementKind::StartItem { item: 0 });
    assert_eq!(ignored(&f, &st), Some(Ignored::SessionClosed));
    assert!(f.session.state().closed);
}

// ---- Speakers ----

#[test]
fn a_point_of_order_jumps_the_queue_and_the_speaker_gets_the_time_for_their_kind() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let (d1, d2) = (f.dep(1), f.dep(2));
    f.say(&chair, StatementKind::StartItem { item: 0 });
    f.say(
        &d1,
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::Speech,
        },
    );
    let poo = f.say(
        &d2,
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::PointOfOrder,
        },
    );
    let q = f.session.state().queue();
    assert_eq!(q[0].member, d2.member_id());
    assert_eq!(q[1].member, d1.member_id());
    let grant = f.say(&chair, StatementKind::GrantFloor { request: poo.id() });
    let t = grant.statement().time_ms;
    assert_eq!(f.session.state().remaining_ms(t), Some(60_000));
    assert_eq!(f.session.state().remaining_ms(t + 15_000), Some(45_000));
    assert_eq!(f.session.state().remaining_ms(t + 61_000), Some(-1_000));
    f.say(&chair, StatementKind::EndFloor { request: poo.id() });
    assert_eq!(f.session.state().speaker(), None);
    assert_eq!(f.session.state().queue().len(), 1);
}

#[test]
fn a_request_can_be_withdrawn_only_by_its_author() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let (d1, d2) = (f.dep(1), f.dep(2));
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let r = f.say(
        &d1,
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::Contra,
        },
    );
    let st = f.say(&d2, StatementKind::WithdrawRequest { request: r.id() });
    assert_eq!(ignored(&f, &st), Some(Ignored::NotYourRequest));
    f.say(&d1, StatementKind::WithdrawRequest { request: r.id() });
    assert_eq!(
        f.session.state().requests[0].status,
        RequestStatus::Withdrawn
    );
    let st = f.say(&d1, StatementKind::WithdrawRequest { request: r.id() });
    assert_eq!(ignored(&f, &st), Some(Ignored::RequestNotWaiting));
    let st = f.say(&chair, StatementKind::GrantFloor { request: r.id() });
    assert_eq!(ignored(&f, &st), Some(Ignored::RequestNotWaiting));
}

#[test]
fn requesting_the_floor_on_an_item_not_in_progress_is_ignored() {
    let mut f = Fixture::new();
    let d1 = f.dep(1);
    let st = f.say(
        &d1,
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::Pro,
        },
    );
    assert_eq!(ignored(&f, &st), Some(Ignored::ItemNotCurrent(0)));
}

#[test]
fn a_second_waiting_request_of_one_member_is_ignored() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let d1 = f.dep(1);
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let req = StatementKind::RequestFloor {
        item: 0,
        kind: FloorKind::Reply,
    };
    f.say(&d1, req.clone());
    let st = f.say(&d1, req);
    assert_eq!(ignored(&f, &st), Some(Ignored::AlreadyRequested));
}

#[test]
fn the_floor_cannot_be_granted_while_someone_speaks_or_for_an_unknown_request() {
    let mut f = Fixture::new();
    let chair = f.chair();
    let (d1, d2) = (f.dep(1), f.dep(2));
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let a = f.say(
        &d1,
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::Speech,
        },
    );
    let b = f.say(
        &d2,
        StatementKind::RequestFloor {
            item: 0,
            kind: FloorKind::Speech,
        },
    );
    f.say(&chair, StatementKind::GrantFloor { request: a.id() });
    let st = f.say(&chair, StatementKind::GrantFloor { request: b.id() });
    assert_eq!(ignored(&f, &st), Some(Ignored::FloorTaken));
    let st = f.say(&chair, StatementKind::EndFloor { request: b.id() });
    assert_eq!(ignored(&f, &st), Some(Ignored::NotSpeaking));
    let st = f.say(
        &chair,
        StatementKind::EndFloor {
            request: Hash::default(),
        },
    );
    assert_eq!(ignored(&f, &st), Some(Ignored::UnknownRequest));
    let st = f.say(&d2, StatementKind::EndFloor { request: a.id() });
    assert_eq!(ignored(&f, &st), Some(Ignored::NotChair));
}

// ---- Conflicts and polls ----

#[test]
fn a_deputy_with_a_conflict_of_interest_is_excluded_from_the_items_polls_and_shown_recused() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3, 4]);
    let d4 = f.dep(4);
    f.say(
        &d4,
        StatementKind::DeclareConflict {
            item: 0,
            reason: "Власник ділянки".into(),
        },
    );
    let (poll, open) = f.open_poll(0);
    assert_eq!(
        f.session.state().items[0].conflicts.get(&d4.member_id()),
        Some(&"Власник ділянки".to_string())
    );
    let StatementKind::OpenPoll(p) = &open.statement().kind else {
        panic!("a poll")
    };
    assert!(p.recused.contains(&d4.member_id()));
    assert!(!p.eligible.contains(&d4.member_id()));
    assert_eq!(
        f.session.insert_ballot(f.ballot(&d4, poll, 0, Choice::For)),
        Err(Refused::NotEligible(d4.member_id()))
    );
    let r = f.session.report(&poll).expect("poll").expect("report");
    assert!(r.table.contains(&(d4.member_id(), VoterResult::Recused)));
}

#[test]
fn declaring_a_conflict_on_an_unknown_item_is_ignored() {
    let mut f = Fixture::new();
    let d1 = f.dep(1);
    let st = f.say(
        &d1,
        StatementKind::DeclareConflict {
            item: 7,
            reason: String::new(),
        },
    );
    assert_eq!(ignored(&f, &st), Some(Ignored::UnknownItem(7)));
}

#[test]
fn a_poll_opened_by_a_deputy_is_ignored() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let d1 = f.dep(1);
    let st = f.say(&d1, StatementKind::OpenPoll(f.poll_open(0)));
    assert_eq!(ignored(&f, &st), Some(Ignored::NotChair));
}

#[test]
fn a_poll_on_an_item_not_in_progress_is_ignored() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let chair = f.chair();
    let st = f.say(&chair, StatementKind::OpenPoll(f.poll_open(0)));
    assert_eq!(ignored(&f, &st), Some(Ignored::ItemNotCurrent(0)));
}

#[test]
fn a_poll_with_the_wrong_seats_is_ignored() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let mut p = f.poll_open(0);
    p.seats += 1;
    let st = f.say(&chair, StatementKind::OpenPoll(p));
    assert_eq!(ignored(&f, &st), Some(Ignored::WrongSeats));
}

#[test]
fn a_poll_whose_snapshot_leaves_out_a_present_deputy_is_ignored() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let mut p = f.poll_open(0);
    p.eligible.pop();
    let st = f.say(&chair, StatementKind::OpenPoll(p));
    assert_eq!(ignored(&f, &st), Some(Ignored::SnapshotMismatch));
}

#[test]
fn a_poll_overriding_the_majority_is_ignored_when_the_rules_forbid_it() {
    let f0 = Fixture::new();
    let mut ctx = f0.session.context().clone();
    ctx.allow_poll_override = false;
    let mut f = Fixture::new();
    f.session = Session::new(ctx, f.open.clone()).expect("session");
    f.register(&[1, 2, 3]);
    let chair = f.chair();
    f.say(&chair, StatementKind::StartItem { item: 0 });
    let mut p = f.poll_open(0);
    p.rule = MajorityRule {
        threshold: Threshold::TwoThirds,
        base: Base::Present,
    };
    let st = f.say(&chair, StatementKind::OpenPoll(p));
    assert_eq!(ignored(&f, &st), Some(Ignored::RuleNotAllowed));
}

#[test]
fn closing_a_poll_twice_or_an_unknown_poll_is_ignored() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let (c, _) = f.close_poll(poll);
    let chair = f.chair();
    let st = f.say(&chair, StatementKind::ClosePoll(c.clone()));
    assert_eq!(ignored(&f, &st), Some(Ignored::PollClosed));
    let mut other = c;
    other.poll = Hash::default();
    let st = f.say(&chair, StatementKind::ClosePoll(other));
    assert_eq!(ignored(&f, &st), Some(Ignored::UnknownPoll));
}

#[test]
fn a_close_declaring_the_wrong_outcome_is_ignored() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let mut c = f.session.poll_close(&poll).expect("poll");
    c.outcome = Outcome::Adopted;
    let chair = f.chair();
    let st = f.say(&chair, StatementKind::ClosePoll(c));
    assert_eq!(ignored(&f, &st), Some(Ignored::OutcomeMismatch));
}

#[test]
fn a_close_whose_present_list_differs_from_the_registrations_is_ignored() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let mut c = f.session.poll_close(&poll).expect("poll");
    c.present.pop();
    let chair = f.chair();
    let st = f.say(&chair, StatementKind::ClosePoll(c));
    assert_eq!(ignored(&f, &st), Some(Ignored::SnapshotMismatch));
}

#[test]
fn a_full_poll_verifies_and_the_highest_sequence_number_counts() {
    let mut f = Fixture::new();
    f.register(&[1, 2, 3, 4]);
    let (poll, open) = f.open_poll(0);
    let chair = f.chair();
    let mut ballots = vec![];
    for k in [chair.clone(), f.dep(1), f.dep(2)] {
        ballots.push(f.vote(&k, poll, 0, Choice::Against));
        ballots.push(f.vote(&k, poll, 2, Choice::For));
    }
    ballots.push(f.vote(&f.dep(3), poll, 0, Choice::For));
    let (c, close) = f.close_poll(poll);
    assert_eq!(
        c.counts,
        Counts {
            for_: 4,
            against: 0,
            abstain: 0
        }
    );
    assert_eq!(c.outcome, Outcome::Adopted);
    let ctx = f.session.context().clone();
    let statements: Vec<SignedStatement> = f.session.statements().into_iter().cloned().collect();
    let r = verify_poll(&ctx, &open, Some(&close), &ballots, &statements).expect("report");
    assert!(r.verified(), "{r:?}");
    assert_eq!(
        r.uncounted
            .iter()
            .filter(|u| u.reason == UncountedReason::Superseded)
            .count(),
        3
    );
    assert!(
        r.table
            .contains(&(f.dep(4).member_id(), VoterResult::DidNotVote))
    );
}

// ---- Majority rules: every threshold over every base ----

#[test]
fn every_threshold_over_every_base_has_a_worked_example() {
    // 10 for, 5 against, 3 abstain; 20 eligible present; 35 seats.
    let counts = Counts {
        for_: 10,
        against: 5,
        abstain: 3,
    };
    let (present, seats) = (20, 35);
    // (threshold, [required over for+against = 15, votes cast = 18, present = 20, seats = 35])
    let table = [
        (Threshold::MoreThanHalf, [8, 10, 11, 18]),
        (Threshold::TwoThirds, [10, 12, 14, 24]),
        (Threshold::ThreeQuarters, [12, 14, 15, 27]),
        (Threshold::FourFifths, [12, 15, 16, 28]),
        (Threshold::Unanimous, [15, 18, 20, 35]),
    ];
    for (threshold, required) in table {
        for (base, req) in Base::ALL.into_iter().zip(required) {
            let rule = MajorityRule { threshold, base };
            assert_eq!(
                rule.required(&counts, present, seats),
                req,
                "{} of {}",
                threshold.name(),
                base.name()
            );
            assert_eq!(rule.is_met(&counts, present, seats), 10 >= req);
            let exactly = Counts {
                for_: req,
                ..counts
            };
            let below = Counts {
                for_: req - 1,
                ..counts
            };
            // Over vote-based bases the base moves with the votes for; recheck the boundary.
            if matches!(base, Base::Present | Base::AllSeats) {
                assert!(rule.is_met(&exactly, present, seats));
                assert!(!rule.is_met(&below, present, seats));
            }
        }
    }
}

#[test]
fn a_tie_is_not_a_majority_and_two_thirds_of_35_seats_is_24() {
    let half = MajorityRule {
        threshold: Threshold::MoreThanHalf,
        base: Base::VotesForAgainst,
    };
    let tie = Counts {
        for_: 9,
        against: 9,
        abstain: 0,
    };
    assert!(!half.is_met(&tie, 18, 35));
    let two_thirds = MajorityRule {
        threshold: Threshold::TwoThirds,
        base: Base::AllSeats,
    };
    let c = Counts {
        for_: 23,
        against: 0,
        abstain: 0,
    };
    assert!(!two_thirds.is_met(&c, 30, 35));
    assert!(two_thirds.is_met(&Counts { for_: 24, ..c }, 30, 35));
}

#[test]
fn seventy_deputies_registering_at_once_leave_the_chairs_next_statement_decodable() {
    use crdt_model::session::SignedStatement;
    let (council, log) = crdt_model::sample::SampleCouncil::new(75, 72).expect("council");
    let open = crdt_model::session::Statement {
        council: log.council_id(),
        session: crdt_model::hash::Hash::default(),
        author: council.chair.member_id(),
        parents: vec![],
        time_ms: 1,
        kind: crdt_model::session::StatementKind::OpenSession {
            body: crdt_model::session::Body::Council,
            log_heads: log.write_heads(),
            label: "Сесія".into(),
            items: vec![],
        },
    }
    .sign(&council.chair);
    let mut session = crdt_model::session::Session::from_log(&log, open.clone()).expect("open");
    // Each deputy registers having seen only the opening: 72 concurrent heads.
    for d in &council.deputies {
        let st = crdt_model::session::Statement {
            council: log.council_id(),
            session: open.id(),
            author: d.member_id(),
            parents: vec![open.id()],
            time_ms: 2,
            kind: crdt_model::session::StatementKind::Present {
                member: d.member_id(),
            },
        }
        .sign(d);
        session.insert(st).expect("registered");
    }
    assert_eq!(session.heads().len(), 72);
    let next = session
        .create(
            &council.chair,
            crdt_model::session::StatementKind::Present {
                member: council.chair.member_id(),
            },
            3,
        )
        .expect("the chair registers");
    let back = SignedStatement::from_bytes(&next.to_bytes()).expect("decodes");
    assert_eq!(back.id(), next.id());
    // And every registration is in its causal past: presence counts all 73.
    assert_eq!(next.statement().parents.len(), 72);
}

#[test]
fn one_participant_cannot_fill_the_room_for_waiting_statements() {
    use crdt_model::parking::{MAX_PARKED_BYTES_PER_AUTHOR, ParkRefused};
    use crdt_model::session::{Refused, Statement, StatementKind};
    let mut f = Fixture::new();
    let d = f.dep(1);
    let reason = "ж".repeat(2000); // 4,000 bytes
    let mut parked = 0usize;
    let mut refusal = None;
    for i in 0u64..10_000 {
        let st = Statement {
            council: f.log.council_id(),
            session: f.open.id(),
            author: d.member_id(),
            parents: vec![Hash::of(b"never sent", &[&i.to_be_bytes()])],
            time_ms: T0 + i,
            kind: StatementKind::DeclareConflict {
                item: 0,
                reason: reason.clone(),
            },
        }
        .sign(&d);
        match f.session.insert(st) {
            Ok(_) => parked += 1,
            Err(e) => {
                refusal = Some(e);
                break;
            }
        }
    }
    assert!(matches!(
        refusal,
        Some(Refused::NotParked(ParkRefused::AuthorFull))
    ));
    assert!(parked * 4_000 <= MAX_PARKED_BYTES_PER_AUTHOR);
    assert!(parked * 4_200 >= MAX_PARKED_BYTES_PER_AUTHOR / 2);
    // Another deputy still gets a place.
    let e = f.dep(2);
    let st = Statement {
        council: f.log.council_id(),
        session: f.open.id(),
        author: e.member_id(),
        parents: vec![Hash::of(b"never sent", &[b"other"])],
        time_ms: T0,
        kind: StatementKind::Present {
            member: e.member_id(),
        },
    }
    .sign(&e);
    assert!(f.session.insert(st).is_ok());
}

#[test]
fn a_chair_signed_close_stating_counts_past_u32_is_folded_without_overflow() {
    use crdt_model::session::{Outcome, StatementKind};
    for base in Base::ALL {
        let mut f = Fixture::new();
        f.register(&[1, 2, 3, 4]);
        let chair = f.chair();
        f.say(&chair, StatementKind::StartItem { item: 0 });
        let open = f.session.poll_open(
            0,
            Hash::of(b"doc", &[b"budget"]),
            vec![Hash::of(b"change", &[b"1"])],
            "Затвердити бюджет",
            Some(MajorityRule {
                threshold: Threshold::TwoThirds,
                base,
            }),
        );
        let poll = f.say(&chair, StatementKind::OpenPoll(open)).id();
        let mut c = f.session.poll_close(&poll).expect("poll known");
        c.counts = Counts {
            for_: u32::MAX,
            against: u32::MAX,
            abstain: u32::MAX,
        };
        c.outcome = Outcome::Adopted;
        let st = f.sign(&chair, StatementKind::ClosePoll(c));
        // Whatever the verdict, it is a verdict: no overflow, no panic.
        let _ = f.session.insert(st);
        // Ignored (its outcome does not follow from its counts), or applied and then failing the
        // recount of the ballots (none were cast).
        let report = f.session.report(&poll).expect("poll").expect("report");
        assert!(!report.closed || !report.verified(), "{}", base.name());
    }
}

/// The record hash as `docs/format.md` §2 spells it, computed here from the definition alone.
fn record_hash_by_the_spec(session: Hash, statements: &[Hash], ballots: &[Hash]) -> Hash {
    let list = |ids: &[Hash]| {
        let mut ids = ids.to_vec();
        ids.sort();
        let mut out = u32::try_from(ids.len())
            .expect("few")
            .to_be_bytes()
            .to_vec();
        for id in ids {
            out.extend_from_slice(id.as_bytes());
        }
        out
    };
    Hash::of(
        b"council/v1/id/minutes\0",
        &[session.as_bytes(), &list(statements), &list(ballots)],
    )
}

#[test]
fn the_record_hash_covers_every_statement_and_ballot_and_changes_with_any() {
    let mut f = Fixture::new();
    let chair = f.chair();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    let b = f.vote(&chair, poll, 0, Choice::For);
    let statements: Vec<Hash> = f
        .session
        .statements()
        .into_iter()
        .map(SignedStatement::id)
        .filter(|id| *id != f.session.id())
        .collect();
    let before = f.session.record_hash();
    assert_eq!(
        before,
        record_hash_by_the_spec(f.session.id(), &statements, &[b.id()])
    );
    // An ignored statement is part of the record too (the minutes count it).
    let d1 = f.dep(1);
    let ignored_one = f.say(&d1, StatementKind::StartItem { item: 1 });
    assert_eq!(ignored(&f, &ignored_one), Some(Ignored::NotChair));
    let with_statement = f.session.record_hash();
    assert_ne!(with_statement, before);
    let mut all = statements.clone();
    all.push(ignored_one.id());
    assert_eq!(
        with_statement,
        record_hash_by_the_spec(f.session.id(), &all, &[b.id()])
    );
    let b2 = f.vote(&d1, poll, 0, Choice::Against);
    assert_eq!(
        f.session.record_hash(),
        record_hash_by_the_spec(f.session.id(), &all, &[b.id(), b2.id()])
    );
}

#[test]
fn who_may_vote_is_asked_of_the_session_with_each_reason_to_refuse() {
    use crdt_model::session::VoteRefused;
    let mut f = Fixture::new();
    let chair = f.chair();
    f.register(&[1, 2, 3]);
    let d6 = f.dep(6);
    let (poll, _) = f.open_poll(0);
    assert_eq!(f.session.may_vote(&poll, &chair.member_id()), Ok(()));
    assert_eq!(
        f.session.may_vote(&poll, &d6.member_id()),
        Err(VoteRefused::NotEligible),
        "deputy 6 was not registered when the poll opened"
    );
    assert_eq!(
        f.session.may_vote(&Hash([9; 32]), &chair.member_id()),
        Err(VoteRefused::UnknownPoll)
    );
    assert!(f.session.vote(&d6, poll, Choice::For).is_err());
    // Numbered after the voter's own ballots, whatever order they arrived in.
    assert_eq!(f.session.next_seq(&poll, &chair.member_id()), 0);
    let first = f
        .session
        .vote(&chair, poll, Choice::Against)
        .expect("eligible");
    assert_eq!(first.ballot().seq, 0);
    f.session.insert_ballot(first).expect("kept");
    f.vote(&chair, poll, 4, Choice::Abstain);
    let next = f.session.vote(&chair, poll, Choice::For).expect("eligible");
    assert_eq!(next.ballot().seq, 5);
    assert_eq!(next.ballot().seen, f.session.write_heads());
    f.close_poll(poll);
    assert_eq!(
        f.session.may_vote(&poll, &chair.member_id()),
        Err(VoteRefused::Closed)
    );
}

#[test]
fn a_report_asked_again_after_a_ballot_arrives_sees_it_late_or_omitted() {
    // The session keeps the late ballots of its polls between reports; what arrives after a
    // report must still be judged.
    let mut f = Fixture::new();
    let chair = f.chair();
    f.register(&[1, 2, 3]);
    let (poll, _) = f.open_poll(0);
    f.vote(&chair, poll, 0, Choice::For);
    let before_close = f.session.heads();
    f.close_poll(poll);
    let first = f.session.report(&poll).expect("poll").expect("report");
    assert!(first.verified() && first.uncounted.is_empty());
    let d1 = f.dep(1);
    let late = f.vote(&d1, poll, 0, Choice::Against);
    let r = f.session.report(&poll).expect("poll").expect("report");
    assert_eq!(
        r.uncounted
            .iter()
            .map(|u| (u.ballot, u.reason))
            .collect::<Vec<_>>(),
        [(late.id(), UncountedReason::Late)]
    );
    assert!(r.verified());
    // A ballot naming only what came before the close: left out, and the poll fails.
    let d2 = f.dep(2);
    let early = Ballot {
        poll,
        voter: d2.member_id(),
        seq: 0,
        choice: Choice::For,
        seen: before_close,
    }
    .sign(&d2);
    f.session.insert_ballot(early.clone()).expect("kept");
    let r = f.session.report(&poll).expect("poll").expect("report");
    assert!(
        r.uncounted
            .iter()
            .any(|u| u.ballot == early.id() && u.reason == UncountedReason::Omitted),
        "{:?}",
        r.uncounted
    );
    assert!(!r.verified());
}
