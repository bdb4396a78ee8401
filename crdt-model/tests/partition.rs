//! The partition property, in the style of p2panda's group fuzzer: a council of a secretary, a
//! chair and deputies on their own devices, split into random partitions for rounds of writes,
//! removals, re-admissions, a sitting and votes, then fully synced. Every peer must end with the
//! same roster, documents and tallies, and no act a removed member signed without having seen
//! their removal may count anywhere (unless a member in good standing built on it, for document
//! edits; see docs/format.md §3, "Revocation").

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crdt_model::document::TextField;
use crdt_model::hash::Hash;
use crdt_model::identity::Device;
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::{Item, ItemRejected, Replica};
use crdt_model::sample::{SampleCouncil, device};
use crdt_model::session::{AgendaItem, Body, Choice, Statement, StatementKind};
use crdt_model::{DocId, MemberId, OpId, Role, Roles, SecretKey};
use proptest::prelude::*;

const T: u64 = 1_800_000_000_000;

/// One member's device.
struct Peer {
    key: SecretKey,
    dev: Device,
    replica: Replica,
}

#[derive(Debug, Clone)]
enum Act {
    /// Peer edits the shared draft (if it may).
    Edit(usize, u8),
    /// A roster keeper (secretary 0 or chair 1) removes member `m`.
    Remove(usize, usize),
    /// A roster keeper re-admits member `m` if removed.
    Readmit(usize, usize),
    /// The chair opens the sitting (once), a peer registers, opens/closes the poll, votes.
    Sit(usize),
    /// A peer creates a note of its own.
    Note(usize),
}

fn act(n: usize) -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0..n, any::<u8>()).prop_map(|(p, x)| Act::Edit(p, x)),
        1 => (0..2usize, 0..n).prop_map(|(k, m)| Act::Remove(k, m)),
        1 => (0..2usize, 0..n).prop_map(|(k, m)| Act::Readmit(k, m)),
        10 => (0..n).prop_map(Act::Sit),
        1 => (0..n).prop_map(Act::Note),
    ]
}

/// Offers `items` to `to` until nothing more is taken (as repeated catch-ups would).
fn feed(to: &mut Replica, items: Vec<Item>) {
    let mut again = Vec::new();
    for it in items {
        if let Err(ItemRejected::NotParked(_)) = to.receive(it.clone()) {
            again.push(it);
        }
    }
    loop {
        let before = again.len();
        again.retain(|it| matches!(to.receive(it.clone()), Err(ItemRejected::NotParked(_))));
        if again.is_empty() || again.len() == before {
            break;
        }
    }
}

fn sync_group(peers: &mut [Peer], group: &[usize]) {
    for _ in 0..2 {
        for &a in group {
            for &b in group {
                if a != b {
                    let items = peers[a].replica.items();
                    feed(&mut peers[b].replica, items);
                }
            }
        }
    }
}

fn world(deputies: u32) -> (SampleCouncil, Vec<Peer>, DocId) {
    let (c, mut log) = SampleCouncil::new(deputies + 1, deputies).expect("council");
    let draft = log
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft {
                    co_authors: c
                        .deputies
                        .iter()
                        .skip(1)
                        .map(SecretKey::member_id)
                        .collect(),
                },
            },
            T,
        )
        .expect("draft");
    let mut keys = vec![(c.secretary.clone(), 0u32), (c.chair.clone(), 1)];
    keys.extend(
        c.deputies
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u32 + 2)),
    );
    let peers = keys
        .into_iter()
        .map(|(key, n)| {
            let mut replica = Replica::new(c.genesis.clone());
            for op in c.ops.iter().chain([&draft]) {
                replica.receive(Item::Op(op.clone())).expect("set-up");
            }
            Peer {
                key,
                dev: device(n, 1),
                replica,
            }
        })
        .collect();
    (c, peers, draft.id())
}

fn roster_op(p: &mut Peer, body: OpBody, t: u64) {
    // Refused when the keeper may not (removed, or the member is in the wrong state): fine.
    let _ = p.replica.log_mut().create(&p.key, body, t);
}

fn sit(p: &mut Peer, t: u64) {
    let me = p.key.member_id();
    let r = &mut p.replica;
    let open_session = r
        .live_sessions()
        .find(|(_, s)| !s.state().closed)
        .map(|(id, _)| *id);
    let Some(sid) = open_session else {
        if r.log().state().roles_of(&me).has(Role::Chair) && r.sessions().is_empty() {
            let st = Statement {
                council: r.log().council_id(),
                session: Hash::default(),
                author: me,
                parents: vec![],
                time_ms: t,
                kind: StatementKind::OpenSession {
                    body: Body::Council,
                    log_heads: r.log().write_heads(),
                    label: "Сесія".into(),
                    items: vec![AgendaItem {
                        title: "Проєкт".into(),
                        doc: None,
                    }],
                },
            }
            .sign(&p.key);
            let _ = r.receive(Item::Statement(st));
        }
        return;
    };
    let Some(s) = r.session_mut(&sid) else { return };
    let state = s.state().clone();
    let chair = s.context().is_chair(&me);
    if !state.present.contains_key(&me) && (s.context().is_voter(&me) || chair) {
        let _ = s.create(&p.key, StatementKind::Present { member: me }, t);
        return;
    }
    if chair {
        if state.current_item.is_none() {
            let _ = s.create(&p.key, StatementKind::StartItem { item: 0 }, t);
            return;
        }
        match state.polls.iter().find(|p| p.close.is_none()) {
            None if state.polls.is_empty()
                && state.present.len() >= s.context().quorum_needed() as usize =>
            {
                let open = s.poll_open(0, Hash::of(b"doc", &[]), vec![], "За основу", None);
                let _ = s.create(&p.key, StatementKind::OpenPoll(open), t);
            }
            Some(poll) if s.ballots(&poll.id).count() >= 2 => {
                let id = poll.id;
                if let Some(c) = s.poll_close(&id) {
                    let _ = s.create(&p.key, StatementKind::ClosePoll(c), t);
                }
            }
            _ => {}
        }
        return;
    }
    if let Some(poll) = state.polls.iter().find(|p| p.close.is_none()) {
        let seq = s
            .ballots(&poll.id)
            .filter(|b| b.ballot().voter == me)
            .count() as u32;
        if seq == 0 {
            let choice = if t.is_multiple_of(2) {
                Choice::For
            } else {
                Choice::Against
            };
            let b = s.ballot(&p.key, poll.id, seq, choice);
            let _ = s.insert_ballot(b);
        }
    }
}

fn apply(peers: &mut [Peer], draft: DocId, a: &Act, t: u64) {
    let n = peers.len();
    match a {
        Act::Edit(i, x) => {
            let p = &mut peers[*i];
            let dev = p.dev.clone();
            if let Some((log, doc)) = p.replica.document_mut(&draft) {
                let len = doc.text(TextField::Body).map_or(0, |t| t.chars().count());
                let pos = len * (*x as usize) / 256;
                let _ = doc.edit(log, &dev, t as i64, |e| {
                    e.splice(TextField::Body, pos, 0, &format!("{i}"))
                });
            }
        }
        Act::Remove(k, m) => {
            let member = peers[*m % n].key.member_id();
            roster_op(&mut peers[*k], OpBody::RemoveMember { member }, t);
        }
        Act::Readmit(k, m) => {
            let member = peers[*m % n].key.member_id();
            let (name, roles) = match peers[*k].replica.log().state().members.get(&member) {
                Some(mm) if mm.removed => (mm.name.clone(), mm.roles),
                _ => return,
            };
            let roles = if roles.is_empty() {
                Roles::of(&[Role::Deputy])
            } else {
                roles
            };
            roster_op(
                &mut peers[*k],
                OpBody::AddMember {
                    member,
                    name,
                    roles,
                },
                t,
            );
        }
        Act::Sit(i) => {
            // The peer takes its next step in the sitting, and the chair (peer 1) its own.
            sit(&mut peers[*i], t);
            for k in 1..4 {
                sit(&mut peers[1], t + k);
            }
        }
        Act::Note(i) => {
            let p = &mut peers[*i];
            let _ = p.replica.log_mut().create(
                &p.key,
                OpBody::CreateDocument {
                    spec: DocSpec::Note,
                },
                t,
            );
        }
    }
}

/// Everything that must be equal on every peer after a full sync.
fn outcome(r: &mut Replica, draft: &DocId) -> String {
    let voided: BTreeSet<OpId> = r.log().voided().map(|(id, _)| *id).collect();
    let mut s = format!("{:?}\n{voided:?}\n", r.log().state());
    if let Some((_, d)) = r.document_mut(draft) {
        s += &format!("{:?} {:?}\n", d.text(TextField::Body), d.heads());
    }
    let sessions: Vec<_> = r.sessions().keys().copied().collect();
    for sid in sessions {
        let held = r.session_revoked(&sid);
        if let Some(sess) = r.session(&sid) {
            s += &format!("{sid:?} {held:?} {:?}\n", sess.state());
            for p in &sess.state().polls {
                s += &format!("{:?}\n", sess.report(&p.id));
            }
        }
    }
    s
}

/// No act of a removed member that the removal had not seen counts.
fn check_removed_members(r: &mut Replica, draft: &DocId) -> Result<(), String> {
    let log = r.log();
    let removals: Vec<(OpId, MemberId)> = log
        .ops()
        .filter(|o| log.void_reason(&o.id()).is_none())
        .filter_map(|o| match o.op().body {
            OpBody::RemoveMember { member } => Some((o.id(), member)),
            _ => None,
        })
        .collect();
    for (rid, m) in &removals {
        for o in log.ops() {
            let id = o.id();
            if o.op().author != *m || log.void_reason(&id).is_some() || id == *rid {
                continue;
            }
            let concurrent = !log.covers(&[*rid], &[id]) && !log.covers(&[id], &[*rid]);
            if concurrent {
                return Err(format!(
                    "{id:?} by a removed member counts, concurrent with {rid:?}"
                ));
            }
        }
    }
    let removals_by: BTreeMap<MemberId, Vec<OpId>> =
        removals.iter().fold(BTreeMap::new(), |mut acc, (r, m)| {
            acc.entry(*m).or_insert_with(Vec::new).push(*r);
            acc
        });
    let log_heads_cover =
        |heads: &[OpId], rid: &OpId| r.log().covers(heads, std::slice::from_ref(rid));
    let mut offending = Vec::new();
    if let Some(d) = r.documents().get(draft) {
        let applied = d.changes();
        // What changes in good standing build on is vouched for.
        let mut vouched: HashSet<_> = HashSet::new();
        for c in applied {
            let reached = removals_by
                .get(&c.author())
                .is_some_and(|rs| rs.iter().any(|rid| !log_heads_cover(c.log_heads(), rid)));
            if !reached {
                vouched.insert(c.hash());
                let mut stack = c.change().deps().to_vec();
                while let Some(h) = stack.pop() {
                    if vouched.insert(h)
                        && let Some(x) = d.change(&h)
                    {
                        stack.extend(x.change().deps().iter().copied());
                    }
                }
            }
        }
        for c in applied {
            if !vouched.contains(&c.hash()) {
                offending.push(c.hash());
            }
        }
    }
    if offending.is_empty() {
        Ok(())
    } else {
        Err(format!("edits of removed members count: {offending:?}"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn partitions_then_a_full_sync_leave_every_peer_alike_and_no_removed_members_act_counts(
        deputies in 2u32..10,
        rounds in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 12), prop::collection::vec(act(12), 1..12)),
            1..10,
        ),
    ) {
        let (_c, mut peers, draft) = world(deputies);
        let n = peers.len();
        let mut t = T;
        for (split, acts) in &rounds {
            for a in acts {
                t += 1000;
                let a = match a {
                    Act::Edit(p, x) => Act::Edit(p % n, *x),
                    Act::Sit(p) => Act::Sit(p % n),
                    Act::Note(p) => Act::Note(p % n),
                    Act::Remove(k, m) => Act::Remove(*k, m % n),
                    Act::Readmit(k, m) => Act::Readmit(*k, m % n),
                };
                apply(&mut peers, draft, &a, t);
            }
            // This round's partitions: peer i is in group split[i] % 3.
            for g in 0..3u8 {
                let group: Vec<usize> = (0..n).filter(|i| split[*i] % 3 == g).collect();
                sync_group(&mut peers, &group);
            }
        }
        let all: Vec<usize> = (0..n).collect();
        sync_group(&mut peers, &all);
        let first = outcome(&mut peers[0].replica, &draft);
        let peers_first_doc = peers[0].replica.documents().get(&draft).map(|d| (d.changes().len(), d.suspended().len(), d.pending_len(), d.evidence().len()));
        for (i, p) in peers.iter_mut().enumerate().skip(1) {
            let o = outcome(&mut p.replica, &draft);
            if o != first {
                let diff: Vec<(&str, &str)> = first
                    .lines()
                    .zip(o.lines())
                    .filter(|(a, b)| a != b)
                    .collect();
                let d = p.replica.documents().get(&draft).map(|d| (d.changes().len(), d.suspended().len(), d.pending_len(), d.evidence().len()));
                let log = p.replica.log();
                let revs: Vec<String> = log.ops().filter_map(|o| match o.op().body { OpBody::RemoveMember{member} => Some(format!("{:?} removes {:?} void={:?}", o.op().author, member, log.void_reason(&o.id()))), _ => None }).collect();
                let d0 = peers_first_doc;
                prop_assert!(false, "peer {} differs from peer 0: {:?}\n peer: {:?} peer0: {:?}\n{:?}", i, diff, d, d0, revs);
            }
        }
        prop_assert_eq!(peers[0].replica.pending_len(), 0);
        if let Err(e) = check_removed_members(&mut peers[0].replica, &draft) {
            prop_assert!(false, "{}", e);
        }
    }
}
