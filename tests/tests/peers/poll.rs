//! Twenty peers in one session: the chair opens a poll, everyone votes over the network, and
//! every peer ends with the same verified tally.

use council_tests::{PATIENCE, act, peer};
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::Item;
use crdt_model::sample::SampleCouncil;
use crdt_model::session::{CheckResult, Choice};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_peers_vote_and_all_hold_the_same_verified_tally() {
    let dir = tempfile::tempdir().expect("dir");
    let (c, _) = SampleCouncil::new(21, 19).expect("council");
    let chair = peer(&c, &c.chair, dir.path(), "chair", None, true)
        .await
        .expect("chair");
    let mut deputies = Vec::new();
    for (i, k) in c.deputies.iter().enumerate() {
        let p = peer(&c, k, dir.path(), &format!("d{i}"), None, true)
            .await
            .expect("deputy");
        p.connect(chair.addr())
            .await
            .expect("connects to the chair");
        deputies.push(p);
    }
    let draft = chair.with_node(|n| {
        n.replica_mut()
            .log_mut()
            .create(
                &c.chair,
                OpBody::CreateDocument {
                    spec: DocSpec::Draft { co_authors: vec![] },
                },
                1,
            )
            .expect("draft")
    });
    let doc = draft.id();
    chair.publish(vec![Item::Op(draft)]).expect("published");
    let session = act::open_session(&chair, &c.chair, "Сесія 20", doc).expect("opened");
    act::say(
        &chair,
        session,
        &c.chair,
        crdt_model::session::StatementKind::Present {
            member: c.chair.member_id(),
        },
    )
    .expect("chair present");
    for (p, k) in deputies.iter().zip(&c.deputies) {
        assert!(
            p.wait_until(PATIENCE, move |r| r.session(&session).is_some())
                .await
        );
        act::say(
            p,
            session,
            k,
            crdt_model::session::StatementKind::Present {
                member: k.member_id(),
            },
        )
        .expect("present");
    }
    let everyone = c.deputies.len() + 1;
    assert!(
        chair
            .wait_until(PATIENCE, move |r| r.session(&session).is_some_and(|s| s
                .state()
                .present
                .len()
                == everyone))
            .await,
        "everyone registered"
    );
    let poll = act::open_poll(&chair, session, &c.chair, doc).expect("poll opened");
    for (i, (p, k)) in deputies.iter().zip(&c.deputies).enumerate() {
        assert!(
            p.wait_until(PATIENCE, move |r| r
                .session(&session)
                .is_some_and(|s| s.state().poll(&poll).is_some()))
                .await
        );
        let choice = if i % 5 == 0 {
            Choice::Against
        } else {
            Choice::For
        };
        act::vote(p, k, poll, 1, choice).expect("vote");
    }
    act::vote(&chair, &c.chair, poll, 1, Choice::For).expect("chair votes");
    assert!(
        chair
            .wait_until(PATIENCE, move |r| r
                .session(&session)
                .is_some_and(|s| s.ballots(&poll).count() == everyone))
            .await,
        "every ballot reached the chair"
    );
    act::close_poll(&chair, session, &c.chair, poll).expect("closed");
    let mut reports = Vec::new();
    for p in deputies.iter().chain([&chair]) {
        assert!(
            p.wait_until(PATIENCE, move |r| r.session(&session).is_some_and(|s| s
                .state()
                .poll(&poll)
                .is_some_and(|ps| ps.close.is_some())))
                .await,
            "the close reached every peer"
        );
        let report = p
            .with_node(|n| n.replica().session(&session).and_then(|s| s.report(&poll)))
            .expect("report")
            .expect("verifiable");
        assert!(report.verified(), "{report:?}");
        assert!(
            report
                .checks
                .iter()
                .all(|(_, r)| matches!(r, CheckResult::Pass)),
            "{report:?}"
        );
        reports.push(report);
    }
    let first = format!("{:?}", reports[0]);
    assert!(
        reports.iter().all(|r| format!("{r:?}") == first),
        "every peer holds the same report"
    );
    assert_eq!(reports[0].counts.for_, 16);
    assert_eq!(reports[0].counts.against, 4);
    for p in deputies.iter().chain([&chair]) {
        p.shutdown().await;
    }
}
