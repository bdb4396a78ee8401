//! The council log: a hash-linked graph of signed operations (roster, committees, rules,
//! documents and their workflow), and the council state it implies.
//!
//! Each operation names its parents, the heads its author had seen, so the log is a DAG that
//! concurrent writers extend independently. Two rules make every peer agree, whatever order the
//! operations arrive in:
//!
//! 1. **Acceptance is judged in the causal past.** An operation is accepted (stored and
//!    forwarded) if its author had the right to make it in the state implied by its ancestors
//!    (with revocations among them resolved, see below), and only then. That set never changes
//!    once the parents are known, so the verdict never changes either.
//! 2. **Revocation reaches sideways.** A member removed (or stripped of a role) can always name
//!    the heads from before the removal, so an accepted operation may still be *void*: what a
//!    revoked member signed that is not in the revocation's causal past has no effect, nor has
//!    what depends on it; mutual removals are decided by seniority ([`revocation`]). A void
//!    operation stays in the log (peers need it to reach the same verdict) and
//!    [`CouncilLog::voided`] says why it has no effect.
//! 3. **The state is a pure function of the set of operations.** The ones that are not void are
//!    applied in a deterministic topological order, by `(depth, id)`, where depth is one more
//!    than the deepest parent. Concurrent operations of two admins land in the same order on
//!    every peer.

mod op;
mod revocation;
mod state;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use thiserror::Error;

pub use op::{
    AmendmentStatus, CommitteeId, DocId, DocKind, DocSpec, LogOp, MAX_PARENTS, MINUTES_ID_PREFIX,
    OP_ID_PREFIX, OpBody, OpDecodeError, OpId, SignedOp,
};
pub use revocation::Void;
pub use state::{
    Attachment, Committee, CouncilState, DocMeta, Member, MinutesApproval, Unauthorized, check_name,
};

use crate::council::{CouncilId, SignedGenesis};
use crate::identity::{MemberId, SecretKey, SignatureError};

/// Why an operation was refused. It is not stored and must not be forwarded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpRejected {
    /// It names another council.
    #[error("the operation belongs to another council")]
    WrongCouncil,
    /// The signature does not verify.
    #[error("bad signature on the operation: {0}")]
    BadSignature(#[from] SignatureError),
    /// The author was not allowed to do this in the operation's causal past.
    #[error("not allowed: {0}")]
    Unauthorized(#[from] Unauthorized),
    /// It builds on an operation that was refused.
    #[error("it follows a refused operation {0:?}")]
    ParentRefused(OpId),
    /// Too many operations are waiting for their parents (a flood from one peer).
    #[error("too many operations are waiting for missing parents")]
    TooManyPending,
    /// It waits for parents this peer lacks and was not kept aside (its author may not write
    /// here, or the room is full): not a verdict on the operation, which is offered again later.
    #[error(transparent)]
    NotParked(#[from] crate::parking::ParkRefused),
}

/// What became of an operation that was not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Accepted and applied; operations that were waiting for it were then settled too.
    Accepted {
        /// Waiting operations accepted as a result, in the order they were applied.
        released: Vec<OpId>,
        /// Waiting operations refused as a result.
        refused: Vec<(OpId, OpRejected)>,
    },
    /// Already known.
    Duplicate,
    /// Kept aside until these parents arrive.
    Pending {
        /// The parents still missing.
        missing: Vec<OpId>,
    },
}

/// Parents of an operation, or heads of a write, that this log does not have yet.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{} log operations are not known yet", .0.len())]
pub struct MissingOps(pub Vec<OpId>);

const MAX_PENDING: usize = 100_000;
const STATE_CACHE: usize = 64;

/// How far back [`CouncilLog::state_along_line`] looks for a known state before replaying.
const LINE_WALK: usize = 512;

#[derive(Debug, Clone)]
struct Entry {
    op: SignedOp,
    depth: u64,
}

/// `heads` if there are at most [`MAX_PARENTS`] of them, else the [`MAX_PARENTS`] deepest (by
/// `depth`, then id), sorted: the parents a creator may name, for log operations and session
/// statements alike.
pub(crate) fn deepest(
    heads: Vec<crate::hash::Hash>,
    depth: impl Fn(&crate::hash::Hash) -> u64,
) -> Vec<crate::hash::Hash> {
    if heads.len() <= MAX_PARENTS {
        return heads;
    }
    let mut by_depth: Vec<(u64, crate::hash::Hash)> =
        heads.iter().map(|h| (depth(h), *h)).collect();
    by_depth.sort_by(|a, b| b.cmp(a));
    by_depth.truncate(MAX_PARENTS);
    let mut out: Vec<crate::hash::Hash> = by_depth.into_iter().map(|(_, h)| h).collect();
    out.sort();
    out
}

/// A peer's copy of the council log.
#[derive(Debug)]
pub struct CouncilLog {
    genesis: SignedGenesis,
    genesis_state: Arc<CouncilState>,
    ops: HashMap<OpId, Entry>,
    /// Accepted operations sorted by `(depth, id)`.
    order: Vec<OpId>,
    heads: BTreeSet<OpId>,
    state: Arc<CouncilState>,
    pending: HashMap<OpId, SignedOp>,
    /// The accounts of `pending`, in items and bytes, in all and per author.
    parking: crate::parking::Parking,
    /// Missing parent → pending operations waiting for it.
    waiting: HashMap<OpId, Vec<OpId>>,
    refused: HashMap<OpId, OpRejected>,
    cache: Mutex<HashMap<Vec<OpId>, Arc<CouncilState>>>,
    /// Accepted operations by author, to find what a revocation reaches.
    by_author: HashMap<MemberId, Vec<OpId>>,
    /// Accepted revocations (removals, changes of roles) by the member they concern; only those
    /// no other revocation of the same member follows.
    revocations_of: HashMap<MemberId, Vec<OpId>>,
    /// For each revocation, operations known to have it among their ancestors.
    reach: Mutex<HashMap<OpId, std::collections::HashSet<OpId>>>,
    /// `(revocation, operation by its target)` pairs that are concurrent: only a set of
    /// operations holding both of a pair can have void operations.
    pairs: Vec<(OpId, OpId)>,
    /// Accepted operations that have no effect, and why (see [`revocation`]).
    voided: HashMap<OpId, Void>,
    /// Every accepted revocation, by the member it concerns (not pruned: see
    /// [`CouncilLog::write_revoked`]).
    all_revocations: HashMap<MemberId, Vec<OpId>>,
    /// Counts changes to the revocations in force (a revocation accepted, or the void set
    /// changed): documents re-judge their changes when it moves.
    revocation_epoch: u64,
}

impl CouncilLog {
    /// A log holding only the genesis.
    pub fn new(genesis: SignedGenesis) -> Self {
        let state = Arc::new(CouncilState::from_genesis(genesis.genesis()));
        CouncilLog {
            genesis,
            genesis_state: state.clone(),
            ops: HashMap::new(),
            order: Vec::new(),
            heads: BTreeSet::new(),
            state,
            pending: HashMap::new(),
            parking: crate::parking::Parking::default(),
            waiting: HashMap::new(),
            refused: HashMap::new(),
            cache: Mutex::new(HashMap::new()),
            by_author: HashMap::new(),
            revocations_of: HashMap::new(),
            reach: Mutex::new(HashMap::new()),
            pairs: Vec::new(),
            voided: HashMap::new(),
            all_revocations: HashMap::new(),
            revocation_epoch: 0,
        }
    }

    /// The council id.
    pub fn council_id(&self) -> CouncilId {
        self.genesis.id()
    }

    /// The genesis record.
    pub fn genesis(&self) -> &SignedGenesis {
        &self.genesis
    }

    /// Accepted operations that have no effect because a revocation voids them (or they depend
    /// on one that does), with the reason: what the user is told a removal voided.
    pub fn voided(&self) -> impl Iterator<Item = (&OpId, &Void)> {
        self.voided.iter()
    }

    /// Why an accepted operation has no effect, if it has none.
    pub fn void_reason(&self, id: &OpId) -> Option<&Void> {
        self.voided.get(id)
    }

    /// The state implied by every accepted operation that is not void.
    pub fn state(&self) -> &CouncilState {
        &self.state
    }

    /// The current heads: the operations no other accepted operation follows, or the council id
    /// while the log is empty. New operations and document writes name these.
    pub fn heads(&self) -> Vec<OpId> {
        if self.heads.is_empty() {
            vec![self.council_id()]
        } else {
            self.heads.iter().copied().collect()
        }
    }

    /// The heads a new operation or document change names: [`CouncilLog::heads`], or, when
    /// there are more than [`MAX_PARENTS`] (only a flood of concurrent operations makes that),
    /// the deepest [`MAX_PARENTS`] of them, so that no peer's decoder refuses what this device
    /// writes. The heads left out stay heads and the next writes take them up.
    pub fn write_heads(&self) -> Vec<OpId> {
        deepest(self.heads(), |h| self.ops.get(h).map_or(0, |e| e.depth))
    }

    /// Number of accepted operations.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no operation was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Accepted operations in their deterministic order (parents before children): the order to
    /// send or store them in.
    pub fn ops(&self) -> impl Iterator<Item = &SignedOp> {
        self.order
            .iter()
            .filter_map(|id| self.ops.get(id).map(|e| &e.op))
    }

    /// An accepted operation.
    pub fn get(&self, id: &OpId) -> Option<&SignedOp> {
        self.ops.get(id).map(|e| &e.op)
    }

    /// Whether `id` is the council id or an accepted operation.
    pub fn knows(&self, id: &OpId) -> bool {
        *id == self.council_id() || self.ops.contains_key(id)
    }

    /// Operations waiting for parents.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Why `id` was refused, if it was.
    pub fn refusal(&self, id: &OpId) -> Option<&OpRejected> {
        self.refused.get(id)
    }

    /// Signs `body` as `key` on top of the current heads and inserts it. Refused (and not
    /// signed into the log) if the author may not do it, so a client never emits what its peers
    /// would refuse.
    pub fn create(
        &mut self,
        key: &SecretKey,
        body: OpBody,
        time_ms: u64,
    ) -> Result<SignedOp, OpRejected> {
        self.state.authorize(&key.member_id(), &body)?;
        let op = LogOp {
            council: self.council_id(),
            author: key.member_id(),
            parents: self.write_heads(),
            time_ms,
            body,
        }
        .sign(key);
        self.insert(op.clone())?;
        Ok(op)
    }

    /// Receives an operation from anywhere: checks it, then accepts, parks or refuses it.
    pub fn insert(&mut self, op: SignedOp) -> Result<Inserted, OpRejected> {
        let id = op.id();
        if self.ops.contains_key(&id) || self.pending.contains_key(&id) {
            return Ok(Inserted::Duplicate);
        }
        if let Some(r) = self.refused.get(&id) {
            return Err(r.clone());
        }
        if op.op().council != self.council_id() {
            return Err(OpRejected::WrongCouncil);
        }
        // Not remembered as refused: the id covers the body only, so a forged copy of a
        // genuine operation must not shadow the genuine one when it arrives.
        op.verify()?;
        let missing: Vec<OpId> = op
            .op()
            .parents
            .iter()
            .filter(|p| !self.knows(p))
            .copied()
            .collect();
        if let Some(bad) = missing.iter().find(|p| self.refused.contains_key(p)) {
            let r = OpRejected::ParentRefused(*bad);
            self.refused.insert(id, r.clone());
            return Err(r);
        }
        if !missing.is_empty() {
            if self.pending.len() >= MAX_PENDING {
                return Err(OpRejected::TooManyPending);
            }
            self.parking
                .admit(&self.state, &op.op().author, op.to_bytes().len())?;
            for m in &missing {
                self.waiting.entry(*m).or_default().push(id);
            }
            self.pending.insert(id, op);
            return Ok(Inserted::Pending { missing });
        }
        let mut released = Vec::new();
        let mut refused = Vec::new();
        if let Err(e) = self.settle(op) {
            self.refuse_waiting(id, &mut refused);
            return Err(e);
        }
        let mut ready = vec![id];
        while let Some(done) = ready.pop() {
            for w in self.waiting.remove(&done).unwrap_or_default() {
                let Some(p) = self.pending.get(&w) else {
                    continue;
                };
                if !p.op().parents.iter().all(|p| self.knows(p)) {
                    continue;
                }
                let Some(p) = self.pending.remove(&w) else {
                    continue;
                };
                self.parking.release(&p.op().author, p.to_bytes().len());
                match self.settle(p) {
                    Ok(()) => {
                        released.push(w);
                        ready.push(w);
                    }
                    Err(e) => {
                        refused.push((w, e));
                        self.refuse_waiting(w, &mut refused);
                    }
                }
            }
        }
        Ok(Inserted::Accepted { released, refused })
    }

    /// Refuses, transitively, everything waiting on a refused operation.
    fn refuse_waiting(&mut self, bad: OpId, out: &mut Vec<(OpId, OpRejected)>) {
        let mut stack = vec![bad];
        while let Some(b) = stack.pop() {
            for w in self.waiting.remove(&b).unwrap_or_default() {
                if let Some(p) = self.pending.remove(&w) {
                    self.parking.release(&p.op().author, p.to_bytes().len());
                    let r = OpRejected::ParentRefused(b);
                    self.refused.insert(w, r.clone());
                    out.push((w, r));
                    stack.push(w);
                }
            }
        }
    }

    /// Judges an operation whose parents are all accepted, and applies it if valid.
    fn settle(&mut self, op: SignedOp) -> Result<(), OpRejected> {
        let id = op.id();
        let parents = op.op().parents.clone();
        let verdict = match self.state_at(&parents) {
            Ok(state) => state
                .authorize(&op.op().author, &op.op().body)
                .map_err(OpRejected::from),
            Err(MissingOps(m)) => Err(OpRejected::ParentRefused(m[0])),
        };
        if let Err(r) = verdict {
            self.refused.insert(id, r.clone());
            return Err(r);
        }
        let depth = 1 + parents
            .iter()
            .map(|p| self.ops.get(p).map_or(0, |e| e.depth))
            .max()
            .unwrap_or(0);
        let total = {
            let named: BTreeSet<OpId> = parents
                .iter()
                .filter(|p| **p != self.council_id())
                .copied()
                .collect();
            named == self.heads
        };
        for p in &parents {
            self.heads.remove(p);
        }
        self.heads.insert(id);
        let key = (depth, id);
        let appended = self
            .order
            .last()
            .and_then(|l| self.ops.get(l).map(|e| (e.depth, *l)))
            .is_none_or(|last| last < key);
        let author = op.op().author;
        let body = op.op().body.clone();
        self.ops.insert(id, Entry { op, depth });
        self.by_author.entry(author).or_default().push(id);
        let new_pairs = self.revocation_pairs(&id);
        if let Some(target) = revocation::revoked_member(&body) {
            self.record_revocation(target, id);
            self.all_revocations.entry(target).or_default().push(id);
            self.revocation_epoch += 1;
        }
        let had_pairs = !self.pairs.is_empty();
        self.pairs.extend(new_pairs.iter().copied());
        if appended {
            self.order.push(id);
        } else {
            let pos = self
                .order
                .partition_point(|o| self.ops.get(o).map(|e| (e.depth, *o)) < Some(key));
            self.order.insert(pos, id);
        }
        if self.pairs.is_empty() {
            if appended {
                Arc::make_mut(&mut self.state).apply(id, &author, &body);
            } else {
                self.state = Arc::new(self.replay(self.order.iter()));
            }
        } else if appended && total && had_pairs && new_pairs.is_empty() {
            // It has seen everything and revokes nothing it has not seen: it was accepted on the
            // current state, so it applies on top of it, and no verdict changes.
            Arc::make_mut(&mut self.state).apply(id, &author, &body);
        } else {
            let res = self.resolve(None);
            self.state = Arc::new(res.state);
            if res.voided != self.voided {
                self.revocation_epoch += 1;
            }
            self.voided = res.voided;
        }
        Ok(())
    }

    /// Moves whenever the revocations in force change (one is accepted, or what is void
    /// changes): a document holding changes by revoked members re-judges them then.
    pub fn revocation_epoch(&self) -> u64 {
        self.revocation_epoch
    }

    /// The revocation that reaches a write (a document change) by `author` naming `heads`, if
    /// any: a removal or change of roles of the author that is not void, that the write had not
    /// seen (it is not among the heads' ancestors), and that takes away the right to write
    /// `doc` (for a change of roles: the write is not allowed on the state at `heads` with the
    /// new roles). From the write alone, "signed before the removal reached its author" cannot
    /// be told from "signed later with old heads", so such a write has no effect unless a
    /// member whose standing it does not concern builds on it (see `docs/format.md`).
    pub fn write_revoked(&self, author: &MemberId, heads: &[OpId], doc: &DocId) -> Option<OpId> {
        self.act_revoked(author, heads, |s| s.authorize_write(author, doc).is_ok())
    }

    /// The revocation that reaches an act by `author` naming `heads` (a document change, the
    /// opening of a session), if any: a removal or change of roles of the author that is not
    /// void, is not among the heads' ancestors, and takes away what the act needs — for a change
    /// of roles, `allowed` fails on the state at `heads` with the author's new roles. See
    /// [`CouncilLog::write_revoked`].
    pub fn act_revoked(
        &self,
        author: &MemberId,
        heads: &[OpId],
        allowed: impl Fn(&CouncilState) -> bool,
    ) -> Option<OpId> {
        let revs = self.all_revocations.get(author)?;
        // The first that bites in (depth, id) order, not in the order they arrived: every peer
        // names the same one.
        let mut first: Option<(u64, OpId)> = None;
        for r in revs {
            if self.voided.contains_key(r) || self.covers(heads, std::slice::from_ref(r)) {
                continue;
            }
            let Some(e) = self.ops.get(r) else { continue };
            if first.is_some_and(|f| f <= (e.depth, *r)) {
                continue;
            }
            let bites = match &e.op.op().body {
                OpBody::RemoveMember { .. } => true,
                OpBody::SetRoles { member, roles } => match self.state_at(heads) {
                    Ok(at) => !revocation::allowed_with_roles(&at, member, *roles, &allowed),
                    Err(_) => true,
                },
                _ => false,
            };
            if bites {
                first = Some((e.depth, *r));
            }
        }
        first.map(|(_, r)| r)
    }

    fn replay<'a>(&self, ids: impl Iterator<Item = &'a OpId>) -> CouncilState {
        let mut s = (*self.genesis_state).clone();
        for id in ids {
            if let Some(e) = self.ops.get(id) {
                s.apply(*id, &e.op.op().author, &e.op.op().body);
            }
        }
        s
    }

    /// The state implied by `heads` and everything before them: the point of view of an
    /// operation or a document write that names these heads.
    pub fn state_at(&self, heads: &[OpId]) -> Result<Arc<CouncilState>, MissingOps> {
        let mut key: Vec<OpId> = heads.to_vec();
        key.sort();
        key.dedup();
        let cid = self.council_id();
        if key.iter().all(|h| *h == cid) {
            return Ok(self.genesis_state.clone());
        }
        if key.iter().copied().eq(self.heads.iter().copied()) {
            return Ok(self.state.clone());
        }
        let missing: Vec<OpId> = key.iter().filter(|h| !self.knows(h)).copied().collect();
        if !missing.is_empty() {
            return Err(MissingOps(missing));
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = cache.get(&key) {
            return Ok(s.clone());
        }
        let resolved = if self.pairs.is_empty() {
            None
        } else {
            let mut set = self.ancestors(&key);
            set.extend(key.iter().copied());
            self.has_pair_within(&set)
                .then(|| Arc::new(self.resolve(Some(&set)).state))
        };
        let state = match resolved.or_else(|| self.state_along_line(&key, &cache).map(Arc::new)) {
            Some(s) => s,
            None => {
                let mut anc: Vec<(u64, OpId)> = self
                    .ancestors(&key)
                    .into_iter()
                    .filter_map(|id| self.ops.get(&id).map(|e| (e.depth, id)))
                    .collect();
                anc.sort();
                Arc::new(self.replay(anc.iter().map(|(_, id)| id)))
            }
        };
        if cache.len() >= STATE_CACHE
            && let Some(old) = cache.keys().next().cloned()
        {
            cache.remove(&old);
        }
        cache.insert(key, state.clone());
        Ok(state)
    }

    /// The state at the single head `key` when its history runs back in a line (each operation
    /// naming exactly one parent) to a state already at hand: the genesis, the current state or
    /// a cached one, with the line's operations applied in order. That is the fold of the
    /// head's ancestors, because an operation with one parent is deeper than everything before
    /// it and so comes last in fold order. A council's log is mostly such a line, and a peer
    /// catching up asks for the state at thousands of different points of it (every document
    /// change names the log heads it was written at): replaying the whole log for each made a
    /// term's archive take minutes to sync. `None` when the line forks or runs longer than
    /// [`LINE_WALK`] without reaching a known state.
    fn state_along_line(
        &self,
        key: &[OpId],
        cache: &HashMap<Vec<OpId>, Arc<CouncilState>>,
    ) -> Option<CouncilState> {
        let [head] = key else {
            return None;
        };
        let cid = self.council_id();
        let mut line = vec![*head];
        let mut at = *head;
        for _ in 0..LINE_WALK {
            let [parent] = self.ops.get(&at)?.op.op().parents.as_slice() else {
                return None;
            };
            let base = if *parent == cid {
                Some(self.genesis_state.clone())
            } else if self.heads.len() == 1 && self.heads.contains(parent) {
                Some(self.state.clone())
            } else {
                cache.get(std::slice::from_ref(parent)).cloned()
            };
            if let Some(base) = base {
                let mut s = (*base).clone();
                for id in line.iter().rev() {
                    let e = self.ops.get(id)?;
                    s.apply(*id, &e.op.op().author, &e.op.op().body);
                }
                return Some(s);
            }
            line.push(*parent);
            at = *parent;
        }
        None
    }

    /// Accepted operations that are neither in `heads` nor among their ancestors, in an order
    /// that applies without parking: what a peer whose log has these heads is missing. Heads this
    /// log does not know are ignored (the peer has something we lack; it will send it).
    pub fn ops_after(&self, heads: &[OpId]) -> Vec<&SignedOp> {
        let known: Vec<OpId> = heads
            .iter()
            .filter(|h| self.ops.contains_key(h))
            .copied()
            .collect();
        let have = self.ancestors(&known);
        self.order
            .iter()
            .filter(|id| !have.contains(id))
            .filter_map(|id| self.ops.get(id).map(|e| &e.op))
            .collect()
    }

    /// `heads` and all their ancestors (accepted operations only).
    fn ancestors(&self, heads: &[OpId]) -> BTreeSet<OpId> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<OpId> = heads.to_vec();
        while let Some(id) = stack.pop() {
            if let Some(e) = self.ops.get(&id)
                && seen.insert(id)
            {
                stack.extend(e.op.op().parents.iter().copied());
            }
        }
        seen
    }

    /// Whether every operation in `earlier` is in `later` or among its ancestors: whether a write
    /// naming `later` has seen everything a write naming `earlier` had seen.
    pub fn covers(&self, later: &[OpId], earlier: &[OpId]) -> bool {
        let cid = self.council_id();
        let targets: BTreeSet<OpId> = earlier
            .iter()
            .filter(|e| **e != cid && !later.contains(e))
            .copied()
            .collect();
        if targets.is_empty() {
            return true;
        }
        let min_depth = targets
            .iter()
            .filter_map(|t| self.ops.get(t).map(|e| e.depth))
            .min()
            .unwrap_or(0);
        let mut found = 0;
        let mut seen = BTreeSet::new();
        let mut stack: Vec<OpId> = later.to_vec();
        while let Some(id) = stack.pop() {
            let Some(e) = self.ops.get(&id) else { continue };
            if e.depth < min_depth || !seen.insert(id) {
                continue;
            }
            if targets.contains(&id) {
                found += 1;
                if found == targets.len() {
                    return true;
                }
            }
            stack.extend(e.op.op().parents.iter().copied());
        }
        false
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod revocation_tests;
