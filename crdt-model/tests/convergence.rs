//! Property: whatever order signed items arrive in, with duplicates, every peer ends with the
//! same council and the same documents, and nothing unauthorized ever appears.

use std::collections::BTreeSet;

use automerge::ChangeHash;
use crdt_model::document::{SignedChange, TextField};
use crdt_model::identity::Device;
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::{Item, ItemRejected, Replica};
use crdt_model::rules::DraftStatus;
use crdt_model::sample::{SampleCouncil, device};
use crdt_model::{DocId, Role, Roles};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Action {
    /// Peer types text at a relative position of the body.
    Type { peer: usize, text: String, at: u8 },
    /// Peer `from` sends everything it has to peer `to`.
    Sync { from: usize, to: usize },
    /// The secretary (peer 2) removes the co-author (peer 1).
    Remove,
    /// The author (peer 0) submits the draft.
    Submit,
    /// The secretary (peer 2) gives the co-author an extra role.
    Promote,
    /// A deputy who is no author, and an observer, try to write the draft.
    Forge { text: String },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0..3usize, "[a-zа-я ]{1,6}", any::<u8>()).prop_map(|(peer, text, at)| Action::Type { peer, text, at }),
        3 => (0..3usize, 0..3usize).prop_map(|(from, to)| Action::Sync { from, to }),
        1 => Just(Action::Remove),
        1 => Just(Action::Submit),
        1 => Just(Action::Promote),
        1 => "[a-z]{1,4}".prop_map(|text| Action::Forge { text }),
    ]
}

struct World {
    council: SampleCouncil,
    draft: DocId,
    peers: Vec<(Replica, Device)>,
    forged: Vec<SignedChange>,
    /// Log operations the forger made on the way (valid, delivered to everyone).
    extra: Vec<Item>,
}

const T: u64 = 1_800_000_000_000;

fn world() -> World {
    let (council, mut log) = SampleCouncil::new(10, 6).expect("council");
    let draft_op = log
        .create(
            &council.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft {
                    co_authors: vec![council.deputies[1].member_id()],
                },
            },
            T,
        )
        .expect("draft");
    let draft = draft_op.id();
    let devices = [device(2, 1), device(3, 1), device(0, 1)];
    let peers = devices
        .into_iter()
        .map(|d| {
            let mut r = Replica::new(council.genesis.clone());
            for op in council.ops.iter().chain([&draft_op]) {
                r.receive(Item::Op(op.clone())).expect("valid op");
            }
            (r, d)
        })
        .collect();
    World {
        council,
        draft,
        peers,
        forged: vec![],
        extra: vec![],
    }
}

fn run(w: &mut World, actions: &[Action]) {
    let draft = w.draft;
    for a in actions {
        match a {
            Action::Type { peer, text, at } => {
                let (r, dev) = &mut w.peers[*peer];
                let (_, doc) = r.document_mut(&draft).expect("draft known");
                let len = doc.text(TextField::Body).expect("body").chars().count();
                let pos = len * (*at as usize) / 256;
                // Refused edits (removed member) are fine: they must simply leave no trace.
                let _ = r.document_mut(&draft).map(|(log, doc)| {
                    doc.edit(log, dev, 1, |e| e.splice(TextField::Body, pos, 0, text))
                });
            }
            Action::Sync { from, to } => {
                if from != to {
                    let items = w.peers[*from].0.items();
                    for it in items {
                        w.peers[*to]
                            .0
                            .receive(it)
                            .expect("a peer's own items are valid");
                    }
                }
            }
            Action::Remove => {
                let key = w.council.secretary.clone();
                let member = w.council.deputies[1].member_id();
                let _ = w.peers[2]
                    .0
                    .log_mut()
                    .create(&key, OpBody::RemoveMember { member }, T);
            }
            Action::Submit => {
                let key = w.council.deputies[0].clone();
                let _ = w.peers[0].0.log_mut().create(
                    &key,
                    OpBody::SetDraftStatus {
                        draft,
                        status: DraftStatus::Submitted,
                        committee: None,
                    },
                    T,
                );
            }
            Action::Promote => {
                let key = w.council.secretary.clone();
                let member = w.council.deputies[1].member_id();
                let _ = w.peers[2].0.log_mut().create(
                    &key,
                    OpBody::SetRoles {
                        member,
                        roles: Roles::of(&[Role::Deputy, Role::DeputyChair]),
                    },
                    T + 1,
                );
            }
            Action::Forge { text } => {
                // Deputy 4 writes in a note of their own, then signs that change for the draft.
                let outsider = device(6, 1);
                let mut r = Replica::new(w.council.genesis.clone());
                for it in w.peers[0].0.items() {
                    let _ = r.receive(it);
                }
                let note_op = r
                    .log_mut()
                    .create(
                        outsider.key(),
                        OpBody::CreateDocument {
                            spec: DocSpec::Note,
                        },
                        T + w.forged.len() as u64,
                    )
                    .expect("a deputy may create a note");
                let note = note_op.id();
                w.extra.push(Item::Op(note_op));
                let (log, doc) = r.document_mut(&note).expect("note");
                let (_, ch) = doc
                    .edit(log, &outsider, 1, |e| e.splice(TextField::Body, 0, 0, text))
                    .expect("own note");
                let ch = ch.expect("change");
                let heads = log.heads();
                w.forged.push(SignedChange::sign(
                    outsider.key(),
                    log.council_id(),
                    draft,
                    heads.clone(),
                    ch.change().clone(),
                ));
                // The observer signs the same change: its actor is not theirs.
                w.forged.push(SignedChange::sign(
                    &w.council.observer,
                    log.council_id(),
                    draft,
                    heads,
                    ch.change().clone(),
                ));
            }
        }
    }
}

fn snapshot(
    r: &mut Replica,
    draft: &DocId,
) -> (
    String,
    Vec<ChangeHash>,
    BTreeSet<ChangeHash>,
    Vec<crdt_model::OpId>,
    String,
) {
    let state = format!("{:?}", r.log().state());
    let heads = r.log().heads();
    let (_, doc) = r.document_mut(draft).expect("draft");
    // Held: applied, or held aside because a revocation its author had not seen reaches it
    // (peers agree on that too); both arrived.
    let accepted = doc
        .changes()
        .iter()
        .chain(doc.suspended())
        .map(|c| c.hash())
        .collect();
    (
        doc.text(TextField::Body).expect("body"),
        doc.heads(),
        accepted,
        heads,
        state,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_delivery_order_with_duplicates_converges_and_admits_nothing_unauthorized(
        actions in prop::collection::vec(action(), 1..24),
        order_a in Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
        order_b in Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
    ) {
        let mut w = world();
        run(&mut w, &actions);
        let mut all: Vec<Item> = vec![];
        for (r, _) in &w.peers {
            all.extend(r.items());
        }
        all.extend(w.extra.iter().cloned());
        all.extend(w.forged.iter().cloned().map(Item::Change));
        let forged: BTreeSet<ChangeHash> = w.forged.iter().map(|c| c.hash()).collect();

        let mut receivers = vec![];
        for seed in [order_a, order_b] {
            let mut items = all.clone();
            // Shuffle and duplicate deterministically from the seed.
            let mut s = seed | 1;
            let mut next = || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s };
            for i in (1..items.len()).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                items.swap(i, j);
            }
            let dups: Vec<Item> = items.iter().filter(|_| next() % 4 == 0).cloned().collect();
            items.extend(dups);
            let mut r = Replica::new(w.council.genesis.clone());
            // What was not kept aside (its author not yet a writer here) is offered again, as
            // the next catch-up does, until nothing changes.
            let mut again = Vec::new();
            for it in items {
                if let Err(ItemRejected::NotParked(_)) = r.receive(it.clone()) {
                    again.push(it);
                }
            }
            loop {
                let before = again.len();
                again.retain(|it| matches!(r.receive(it.clone()), Err(ItemRejected::NotParked(_))));
                if again.len() == before {
                    break;
                }
            }
            receivers.push(r);
        }
        let draft = w.draft;
        let a = snapshot(&mut receivers[0], &draft);
        let b = snapshot(&mut receivers[1], &draft);
        prop_assert_eq!(&a, &b);
        prop_assert!(a.2.is_disjoint(&forged), "a forged change was accepted");
        prop_assert_eq!(receivers[0].pending_len(), 0);
        // Everything the honest peers accepted arrived everywhere.
        for (r, _) in &mut w.peers {
            let (_, doc) = r.document_mut(&draft).expect("draft");
            for c in doc.changes() {
                prop_assert!(a.2.contains(&c.hash()));
            }
        }
    }
}
