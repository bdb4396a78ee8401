// The sample world every fuzz harness starts from: the sample council (7 seats, 6 deputies),
// four documents of different kinds with real edits, and a session with a poll, ballots and its
// close. Built once per process from fixed keys, so a replayed input meets the same world the
// fuzzer saw.
//
// `include!`d (inside a `mod world`) by the fuzz targets under `fuzz/fuzz_targets/` and by the
// replay tests (`crdt-model/tests/fuzz_replay.rs`, `sync/tests/fuzz_replay.rs`,
// `app/tests/fuzz_replay.rs`): one copy of the code, compiled in both places.

use std::collections::HashMap;
use std::sync::OnceLock;

use crdt_model::document::{AgendaItem, Document, SignedChange, TextField, fields};
use crdt_model::hash::Hash;
use crdt_model::identity::{Device, parse_actor};
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::{Item, Outcome, Replica};
use crdt_model::sample::{SampleCouncil, device, key};
use crdt_model::session::{
    AgendaItem as SessionItem, Body, Choice, SessionId, Statement, StatementKind,
};
use crdt_model::{DocId, MemberId, OpId, SecretKey, SignedGenesis};

/// Seats of the sample council.
pub const SEATS: u32 = 7;
/// Deputies besides the chair.
pub const DEPUTIES: u32 = 6;
/// The world's clock starts here; every signed thing is one second after the last.
pub const T0: u64 = 1_760_000_000_000;
/// Sample persons: secretary 0, chair 1, deputies 2..=7, observer 999.
pub const PERSONS: [u32; 9] = [0, 1, 2, 3, 4, 5, 6, 7, 999];

/// A document of the world, with the change its writer would make next (made, not applied):
/// the base the `signed_change` target mutates.
pub struct Doc {
    /// Its id.
    pub id: DocId,
    /// The device that made `next` (and that edits it after a fuzzed change arrives).
    pub writer: Device,
    /// A change by `writer` that builds on everything the world holds of this document.
    pub next: SignedChange,
}

/// The sample world.
pub struct World {
    /// The council.
    pub genesis: SignedGenesis,
    /// The sample council's own operations (roster and committees).
    pub council_ops: Vec<Item>,
    /// Every log operation: `council_ops`, then the documents' creation.
    pub log_ops: Vec<Item>,
    /// The documents' changes, in the order made.
    pub changes: Vec<Item>,
    /// The session's statements and ballots, in the order made.
    pub session_items: Vec<Item>,
    /// Everything, in an order that applies without waiting: `log_ops`, `changes`,
    /// `session_items`.
    pub items: Vec<Item>,
    /// Draft (deputy 1, co-author deputy 2), opinion (committee 1), amendment (deputy 3),
    /// agenda (the secretary), in that order.
    pub docs: Vec<Doc>,
    /// The session.
    pub session: SessionId,
    /// The log heads every change of the world names.
    pub write_heads: Vec<OpId>,
    /// Each sample person's key, by member id.
    pub keys: HashMap<MemberId, SecretKey>,
}

// The world is shared read-only across the fuzzer's runs (and the replay tests' threads).
static WORLD: OnceLock<World> = OnceLock::new();

/// The world, built on first use.
pub fn world() -> &'static World {
    WORLD.get_or_init(World::build)
}

fn applied(r: &mut Replica, item: Item, what: &str) {
    match r.receive(item) {
        Ok(Outcome::Applied) => {}
        other => panic!("the sample world's {what} does not apply: {other:?}"),
    }
}

fn edit(
    r: &mut Replica,
    doc: DocId,
    dev: &Device,
    t: &mut u64,
    f: impl FnOnce(
        &mut crdt_model::document::Edit<'_, '_>,
    ) -> Result<(), crdt_model::document::EditError>,
) -> SignedChange {
    *t += 1000;
    let time = i64::try_from(*t).expect("the world's clock fits");
    let (log, d) = r.document_mut(&doc).expect("the world's document exists");
    let (_, c) = d
        .edit(log, dev, time, f)
        .expect("the world's edit is valid");
    c.expect("the world's edit changes something")
}

impl World {
    fn build() -> World {
        let (c, _) = SampleCouncil::new(SEATS, DEPUTIES).expect("the sample council");
        let mut r = Replica::new(c.genesis.clone());
        let mut items = Vec::new();
        let council_ops: Vec<Item> = c.ops.iter().cloned().map(Item::Op).collect();
        for op in &council_ops {
            applied(&mut r, op.clone(), "council operation");
            items.push(op.clone());
        }
        let mut t = T0;
        let mut create = |r: &mut Replica, k: &SecretKey, spec: DocSpec| -> DocId {
            t += 1000;
            let op = r
                .log_mut()
                .create(k, OpBody::CreateDocument { spec }, t)
                .expect("the world's document is created");
            items.push(Item::Op(op.clone()));
            op.id()
        };
        let d = &c.deputies;
        let draft = create(
            &mut r,
            &d[0],
            DocSpec::Draft {
                co_authors: vec![d[1].member_id()],
            },
        );
        let opinion = create(
            &mut r,
            &d[1],
            DocSpec::Opinion {
                draft,
                committee: c.committees[0],
            },
        );
        let amendment = create(
            &mut r,
            &d[3],
            DocSpec::Amendment {
                draft,
                from_line: 2,
                to_line: 2,
            },
        );
        let agenda = create(
            &mut r,
            &c.secretary,
            DocSpec::Agenda {
                label: "Сесія 12".into(),
                committee: None,
            },
        );
        let write_heads = r.log().write_heads();
        let mut t = T0 + 100_000;
        let author = device(2, 1);
        let author2 = device(2, 2);
        let co_author = device(3, 1);
        let head = device(3, 2);
        let amender = device(5, 1);
        let secretary = device(0, 1);
        let chair = device(1, 1);
        let mut changes = vec![
            edit(&mut r, draft, &author, &mut t, |e| {
                e.splice(TextField::Title, 0, 0, "Про бюджет")?;
                e.splice(TextField::Body, 0, 0, "Пункт 1\nПункт 2\n")
            }),
            edit(&mut r, draft, &co_author, &mut t, |e| {
                e.splice(TextField::Body, 16, 0, "Пункт 3\n")
            }),
            edit(&mut r, draft, &author2, &mut t, |e| {
                e.splice(TextField::Body, 6, 1, "перший")
            }),
            edit(&mut r, opinion, &head, &mut t, |e| {
                e.splice(TextField::Body, 0, 0, "Комісія підтримує.")?;
                e.splice(TextField::Rationale, 0, 0, "Кошти є.")?;
                e.set_recommendation("support")
            }),
            edit(&mut r, amendment, &amender, &mut t, |e| {
                e.splice(TextField::Body, 0, 0, "Пункт 2 у новій редакції")?;
                e.splice(TextField::Rationale, 0, 0, "Точніше.")
            }),
            edit(&mut r, agenda, &secretary, &mut t, |e| {
                e.splice(TextField::Title, 0, 0, "Порядок денний")?;
                e.agenda_insert(
                    0,
                    &AgendaItem {
                        doc: Some(draft),
                        title: "Про бюджет".into(),
                    },
                )?;
                e.agenda_insert(
                    1,
                    &AgendaItem {
                        doc: None,
                        title: "Різне".into(),
                    },
                )
            }),
            edit(&mut r, agenda, &chair, &mut t, |e| e.set_published(true)),
        ];
        let log_ops = std::mem::take(&mut items);
        let changes: Vec<Item> = changes.drain(..).map(Item::Change).collect();
        let draft_version: Vec<Hash> = r.documents()[&draft]
            .heads()
            .iter()
            .map(|h| Hash(h.0))
            .collect();

        // The session: opened by the chair on the log as it is, everyone registers, a poll on
        // the draft, six ballots (one voter changes their mind), the close.
        let mut t = T0 + 200_000;
        let open = Statement {
            council: r.log().council_id(),
            session: Hash::default(),
            author: c.chair.member_id(),
            parents: vec![],
            time_ms: t,
            kind: StatementKind::OpenSession {
                body: Body::Council,
                log_heads: r.log().heads(),
                label: "Сесія 12".into(),
                items: vec![
                    SessionItem {
                        title: "Про бюджет".into(),
                        doc: Some(draft),
                    },
                    SessionItem {
                        title: "Різне".into(),
                        doc: None,
                    },
                ],
            },
        }
        .sign(&c.chair);
        let session = open.id();
        applied(&mut r, Item::Statement(open.clone()), "session opening");
        items.push(Item::Statement(open));
        fn say(
            r: &mut Replica,
            items: &mut Vec<Item>,
            t: &mut u64,
            session: SessionId,
            k: &SecretKey,
            kind: StatementKind,
        ) -> crdt_model::session::SignedStatement {
            *t += 1000;
            let s = r.session_mut(&session).expect("the session is open");
            let st = s
                .create(k, kind, *t)
                .expect("the world's statement is valid");
            items.push(Item::Statement(st.clone()));
            st
        }
        let voters: Vec<&SecretKey> = std::iter::once(&c.chair).chain(d.iter()).collect();
        for k in &voters {
            say(
                &mut r,
                &mut items,
                &mut t,
                session,
                k,
                StatementKind::Present {
                    member: k.member_id(),
                },
            );
        }
        say(
            &mut r,
            &mut items,
            &mut t,
            session,
            &c.chair,
            StatementKind::StartItem { item: 0 },
        );
        say(
            &mut r,
            &mut items,
            &mut t,
            session,
            &d[4],
            StatementKind::RequestFloor {
                item: 0,
                kind: crdt_model::session::FloorKind::Speech,
            },
        );
        say(
            &mut r,
            &mut items,
            &mut t,
            session,
            &d[5],
            StatementKind::DeclareConflict {
                item: 0,
                reason: "Родич у підряднику".into(),
            },
        );
        let p = r.session(&session).expect("the session is open").poll_open(
            0,
            draft,
            draft_version,
            "Затвердити бюджет",
            None,
        );
        let poll = say(
            &mut r,
            &mut items,
            &mut t,
            session,
            &c.chair,
            StatementKind::OpenPoll(p),
        )
        .id();
        let choices = [
            Choice::For,
            Choice::For,
            Choice::Against,
            Choice::Abstain,
            Choice::For,
        ];
        for (k, choice) in voters.iter().zip(choices) {
            let b = r
                .session(&session)
                .expect("the session is open")
                .ballot(k, poll, 1, choice);
            applied(&mut r, Item::Ballot(b.clone()), "ballot");
            items.push(Item::Ballot(b));
        }
        let again = r
            .session(&session)
            .expect("the session is open")
            .ballot(&d[2], poll, 2, Choice::For);
        applied(&mut r, Item::Ballot(again.clone()), "second ballot");
        items.push(Item::Ballot(again));
        let close = r
            .session(&session)
            .expect("the session is open")
            .poll_close(&poll)
            .expect("the poll is open");
        say(
            &mut r,
            &mut items,
            &mut t,
            session,
            &c.chair,
            StatementKind::ClosePoll(close),
        );
        say(
            &mut r,
            &mut items,
            &mut t,
            session,
            &c.chair,
            StatementKind::EndItem { item: 0 },
        );

        // What each document's writer would send next: made on the replica, kept out of
        // `items`, so a fresh replica of the world receives it as new.
        let mut t = T0 + 300_000;
        let next = vec![
            Doc {
                id: draft,
                next: edit(&mut r, draft, &author, &mut t, |e| {
                    e.splice(TextField::Title, 0, 0, "Проєкт: ")?;
                    e.splice(TextField::Body, 0, 8, "")?;
                    e.splice(TextField::Body, 0, 0, "Вступ\n")
                }),
                writer: author,
            },
            Doc {
                id: opinion,
                next: edit(&mut r, opinion, &head, &mut t, |e| {
                    e.splice(TextField::Rationale, 0, 0, "Після обговорення. ")?;
                    e.set_recommendation("amend")
                }),
                writer: head,
            },
            Doc {
                id: amendment,
                next: edit(&mut r, amendment, &amender, &mut t, |e| {
                    e.set_text(TextField::Body, "Пункт 2 (нова редакція)")
                }),
                writer: amender,
            },
            Doc {
                id: agenda,
                next: edit(&mut r, agenda, &secretary, &mut t, |e| {
                    e.agenda_remove(1)?;
                    e.agenda_insert(
                        1,
                        &AgendaItem {
                            doc: Some(amendment),
                            title: "Поправка".into(),
                        },
                    )
                }),
                writer: secretary,
            },
        ];
        let keys = PERSONS
            .iter()
            .map(|n| (key(*n).member_id(), key(*n)))
            .collect();
        let session_items = items;
        let items = log_ops
            .iter()
            .chain(&changes)
            .chain(&session_items)
            .cloned()
            .collect();
        World {
            genesis: c.genesis.clone(),
            council_ops,
            log_ops,
            changes,
            session_items,
            items,
            docs: next,
            session,
            write_heads,
            keys,
        }
    }

    /// A fresh replica holding every log operation, and the documents' changes and the session
    /// if asked for.
    pub fn replica_with(&self, changes: bool, session: bool) -> Replica {
        let mut r = Replica::new(self.genesis.clone());
        let none: &[Item] = &[];
        let changes = if changes { &self.changes[..] } else { none };
        let session = if session {
            &self.session_items[..]
        } else {
            none
        };
        for it in self.log_ops.iter().chain(changes).chain(session) {
            applied(&mut r, it.clone(), "item");
        }
        r
    }

    /// A fresh replica holding the whole world.
    pub fn replica(&self) -> Replica {
        self.replica_with(true, true)
    }

    /// A fresh replica holding only the sample council's own operations.
    pub fn council_replica(&self) -> Replica {
        let mut r = Replica::new(self.genesis.clone());
        for it in &self.council_ops {
            applied(&mut r, it.clone(), "council operation");
        }
        r
    }

    /// The key of the sample person `m`, if it is one.
    pub fn key_of(&self, m: &MemberId) -> Option<&SecretKey> {
        self.keys.get(m)
    }

    /// The key of the member whose device is automerge actor `actor`, if a sample person.
    pub fn key_of_actor(&self, actor: &[u8]) -> Option<&SecretKey> {
        parse_actor(actor).and_then(|(m, _)| self.key_of(&m))
    }
}

/// The same item signed again, by the sample person it names as its author, if the signature
/// it carries does not verify: what a member can send about anything they may sign. `None`
/// when it already verifies or its author is no sample person.
pub fn resign(w: &World, item: &Item) -> Option<Item> {
    match item {
        Item::Op(op) => {
            if op.verify().is_ok() {
                return None;
            }
            let k = w.key_of(&op.op().author)?;
            Some(Item::Op(op.op().clone().sign(k)))
        }
        Item::Change(c) => {
            if c.verify().is_ok() {
                return None;
            }
            let k = w.key_of(&c.author())?;
            Some(Item::Change(SignedChange::sign(
                k,
                c.council(),
                c.doc(),
                c.log_heads().to_vec(),
                c.change().clone(),
            )))
        }
        Item::Statement(st) => {
            if st.verify().is_ok() {
                return None;
            }
            let k = w.key_of(&st.statement().author)?;
            Some(Item::Statement(st.statement().clone().sign(k)))
        }
        Item::Ballot(b) => {
            if b.verify().is_ok() {
                return None;
            }
            let k = w.key_of(&b.ballot().voter)?;
            Some(Item::Ballot(b.ballot().clone().sign(k)))
        }
    }
}

/// Reads everything a peer's views read from a replica: every document's every field now and at
/// every version it holds, its history, agenda and scalars, its saved form; every session's
/// state and every poll's report. Nothing here may panic, whatever the replica accepted.
pub fn read_everything(r: &Replica) {
    for d in r.documents().values() {
        read_document(d);
    }
    for s in r.sessions().values() {
        let state = s.state();
        let _ = state.quorum_met();
        let _ = state.may_vote();
        let _ = state.queue();
        let _ = state.speaker();
        let _ = state.remaining_ms(T0 + 10_000_000);
        for p in &state.polls {
            let _ = s.report(&p.id);
            let _ = s.poll_close(&p.id);
        }
        let _ = s.heads();
        let _ = s.write_heads();
    }
    let _ = r.items();
    let _ = r.item_count();
    let _ = r.pending_len();
    let _ = r.parked_bytes();
}

/// Reads one document every way its public API offers; returns its saved form.
pub fn read_document(d: &Document) -> Vec<u8> {
    let heads = d.heads();
    let versions: Vec<Vec<crdt_model::document::ChangeHash>> = std::iter::once(heads.clone())
        .chain(std::iter::once(Vec::new()))
        .chain(d.changes().iter().map(|c| vec![c.hash()]))
        .collect();
    for f in fields(d.kind()) {
        let _ = d.text(*f);
        for v in &versions {
            let _ = d.text_at(*f, v);
        }
        let _ = d.diff(*f, &[], &heads);
    }
    // Fields the kind does not have are errors, not panics.
    for f in [TextField::Title, TextField::Body, TextField::Rationale] {
        let _ = d.text(f);
    }
    let _ = d.history();
    for v in &versions {
        let _ = d.history_at(v);
        let _ = d.agenda_at(v);
        let _ = d.changes_after(v);
    }
    let _ = d.changes_between(&[], &heads);
    let _ = d.agenda();
    let _ = d.recommendation();
    let _ = d.published();
    let _ = d.writers();
    let _ = d.pending_len();
    let _ = d.try_save();
    d.save()
}
