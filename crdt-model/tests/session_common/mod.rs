//! A council session with fixed keys, shared by the session tests and the test-vector generator.
#![allow(dead_code, clippy::expect_used)]

use crdt_model::hash::Hash;
use crdt_model::sample::SampleCouncil;
use crdt_model::session::{
    AgendaItem, Body, Choice, PollClose, PollId, PollOpen, Session, SignedBallot, SignedStatement,
    Statement, StatementKind,
};
use crdt_model::{CouncilLog, SecretKey};

/// Seats of the sample council.
pub const SEATS: u32 = 7;
/// Deputies besides the chair: with the chair, 7 voters.
pub const DEPUTIES: u32 = 6;
/// Start of the session clock.
pub const T0: u64 = 1_760_000_000_000;

/// A session of the sample council.
pub struct Fixture {
    pub council: SampleCouncil,
    pub log: CouncilLog,
    pub session: Session,
    pub open: SignedStatement,
    pub t: u64,
}

impl Fixture {
    /// An open session with three agenda items.
    pub fn new() -> Self {
        let (council, log) = SampleCouncil::new(SEATS, DEPUTIES).expect("sample council");
        let open = Statement {
            council: log.council_id(),
            session: Hash::default(),
            author: council.chair.member_id(),
            parents: vec![],
            time_ms: T0,
            kind: StatementKind::OpenSession {
                body: Body::Council,
                log_heads: log.heads(),
                label: "Сесія 12".into(),
                items: vec![
                    AgendaItem {
                        title: "Про бюджет".into(),
                        doc: Some(Hash::of(b"doc", &[b"budget"])),
                    },
                    AgendaItem {
                        title: "Про школу".into(),
                        doc: None,
                    },
                    AgendaItem {
                        title: "Різне".into(),
                        doc: None,
                    },
                ],
            },
        }
        .sign(&council.chair);
        let session = Session::from_log(&log, open.clone()).expect("session");
        Fixture {
            council,
            log,
            session,
            open,
            t: T0,
        }
    }

    pub fn chair(&self) -> SecretKey {
        self.council.chair.clone()
    }

    /// Deputy `n` (1-based).
    pub fn dep(&self, n: usize) -> SecretKey {
        self.council.deputies[n - 1].clone()
    }

    /// Signs and inserts a statement on the current heads.
    pub fn say(&mut self, key: &SecretKey, kind: StatementKind) -> SignedStatement {
        self.t += 1000;
        self.session
            .create(key, kind, self.t)
            .expect("statement accepted")
    }

    /// Signs a statement on the current heads without inserting it.
    pub fn sign(&mut self, key: &SecretKey, kind: StatementKind) -> SignedStatement {
        self.t += 1000;
        Statement {
            council: self.log.council_id(),
            session: self.session.id(),
            author: key.member_id(),
            parents: self.session.heads(),
            time_ms: self.t,
            kind,
        }
        .sign(key)
    }

    /// Registers the chair and deputies `deps` present (each by themselves).
    pub fn register(&mut self, deps: &[usize]) {
        let chair = self.chair();
        self.say(
            &chair,
            StatementKind::Present {
                member: chair.member_id(),
            },
        );
        for d in deps {
            let k = self.dep(*d);
            self.say(
                &k,
                StatementKind::Present {
                    member: k.member_id(),
                },
            );
        }
    }

    /// Starts item `item` and opens a poll on it with the default rule.
    pub fn open_poll(&mut self, item: u32) -> (PollId, SignedStatement) {
        let chair = self.chair();
        if self.session.state().current_item != Some(item) {
            self.say(&chair, StatementKind::StartItem { item });
        }
        let p = self.poll_open(item);
        let st = self.say(&chair, StatementKind::OpenPoll(p));
        (st.id(), st)
    }

    pub fn poll_open(&self, item: u32) -> PollOpen {
        self.session.poll_open(
            item,
            Hash::of(b"doc", &[b"budget"]),
            vec![Hash::of(b"change", &[b"1"]), Hash::of(b"change", &[b"2"])],
            "Затвердити бюджет",
            None,
        )
    }

    /// A signed ballot (not inserted), naming the session's current heads as seen.
    pub fn ballot(&self, key: &SecretKey, poll: PollId, seq: u32, choice: Choice) -> SignedBallot {
        self.session.ballot(key, poll, seq, choice)
    }

    /// Signs and inserts a ballot.
    pub fn vote(
        &mut self,
        key: &SecretKey,
        poll: PollId,
        seq: u32,
        choice: Choice,
    ) -> SignedBallot {
        let b = self.ballot(key, poll, seq, choice);
        self.session
            .insert_ballot(b.clone())
            .expect("ballot accepted");
        b
    }

    /// Closes a poll as the session computes it.
    pub fn close_poll(&mut self, poll: PollId) -> (PollClose, SignedStatement) {
        let c = self.session.poll_close(&poll).expect("poll known");
        let chair = self.chair();
        let st = self.say(&chair, StatementKind::ClosePoll(c.clone()));
        (c, st)
    }
}
