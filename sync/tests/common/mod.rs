//! A sitting of the sample council as a deterministic stream of signed items: the roster, a
//! session with a poll, then as many ballots as wanted. Every process that builds it gets the
//! same bytes, so a writer process and the test that checks it agree on item `n`.
#![allow(dead_code, clippy::expect_used)]

use crdt_model::SecretKey;
use crdt_model::hash::Hash;
use crdt_model::replica::Item;
use crdt_model::sample::SampleCouncil;
use crdt_model::session::{
    AgendaItem, Ballot, Body, Choice, PollId, Session, SessionId, Statement, StatementKind,
};

/// The sample council, its roster operations and an open poll.
pub struct Sitting {
    /// The council.
    pub council: SampleCouncil,
    /// Roster operations, then the session's statements up to the poll's opening.
    pub prefix: Vec<Item>,
    /// The session.
    pub session: SessionId,
    /// The poll.
    pub poll: PollId,
    /// Who may vote in the poll.
    pub voters: Vec<SecretKey>,
}

impl Sitting {
    /// The sitting (deterministic).
    pub fn new() -> Self {
        let (council, log) = SampleCouncil::new(7, 6).expect("sample council");
        let chair = council.chair.clone();
        let open = Statement {
            council: log.council_id(),
            session: Hash::default(),
            author: chair.member_id(),
            parents: vec![],
            time_ms: 1_760_000_000_000,
            kind: StatementKind::OpenSession {
                body: Body::Council,
                log_heads: log.heads(),
                label: "Сесія 1".into(),
                items: vec![AgendaItem {
                    title: "Про бюджет".into(),
                    doc: None,
                }],
            },
        }
        .sign(&chair);
        let mut s = Session::from_log(&log, open).expect("session");
        let mut voters = vec![chair.clone()];
        voters.extend(council.deputies[..5].iter().cloned());
        let mut t = 1_760_000_000_000;
        for k in &voters {
            t += 1000;
            s.create(
                k,
                StatementKind::Present {
                    member: k.member_id(),
                },
                t,
            )
            .expect("registration");
        }
        s.create(&chair, StatementKind::StartItem { item: 0 }, t + 1000)
            .expect("start");
        let p = s.poll_open(0, Hash::of(b"doc", &[b"budget"]), vec![], "Бюджет", None);
        let poll = s
            .create(&chair, StatementKind::OpenPoll(p), t + 2000)
            .expect("poll")
            .id();
        let mut prefix: Vec<Item> = council.ops.iter().cloned().map(Item::Op).collect();
        prefix.extend(s.statements().into_iter().cloned().map(Item::Statement));
        Sitting {
            session: s.id(),
            council,
            prefix,
            poll,
            voters,
        }
    }

    /// Item number `n`: the prefix, then ballots (each voter in turn, with rising sequence
    /// numbers, so every one is new and valid).
    pub fn item(&self, n: u64) -> Item {
        let n = n as usize;
        if let Some(it) = self.prefix.get(n) {
            return it.clone();
        }
        let k = n - self.prefix.len();
        let voter = &self.voters[k % self.voters.len()];
        Item::Ballot(
            Ballot {
                poll: self.poll,
                voter: voter.member_id(),
                seq: (k / self.voters.len()) as u32,
                choice: Choice::ALL[k % 3],
                seen: vec![self.poll],
            }
            .sign(voter),
        )
    }
}

/// The id of an item.
pub fn item_id(item: &Item) -> Hash {
    match item {
        Item::Op(o) => o.id(),
        Item::Statement(s) => s.id(),
        Item::Ballot(b) => b.id(),
        Item::Change(c) => Hash(c.hash().0),
    }
}
