//! What a revocation voids: the rule that makes a removal (or a change of roles) bite on what the
//! revoked member signed without having seen it.
//!
//! An operation is checked against the state its parents imply, but a member removed an hour
//! ago can always name the heads from before their removal: from the operation alone, "signed
//! concurrently" cannot be told from "signed later, with old parents". So a revocation also
//! reaches sideways (see `docs/format.md`, "Revocation"):
//!
//! * A **revocation** of member M is an operation `RemoveMember { M }` or `SetRoles { M, .. }`.
//! * An operation X by M is **void** when some kept revocation R of M is *concurrent* with X
//!   (neither is an ancestor of the other) and X would not be allowed with R applied to the state
//!   at X's parents: for a removal always, for a change of roles when X needs a role M lost.
//! * **Mutual revocations** (M revokes N while N revokes M) are decided by seniority: the
//!   revocations are considered by their author's standing — the founder first, then members by
//!   the position of the operation that last admitted them in the log's order — and a revocation
//!   whose author was already revoked, concurrently, by a kept one is dropped (void). So a removed
//!   member who signs a backdated removal of the member who removed them loses whenever the
//!   remover has the longer standing, and two peers always decide alike.
//! * **Dependence**: the state is folded from the operations that are not void; an operation
//!   whose author is not allowed in that fold (a member admitted by a void operation, a right
//!   granted by one) is void too.
//! * A kept revocation that turns out void itself (its author's standing rested on a void
//!   operation) is taken out of the candidates and the resolution runs again; the candidates only
//!   shrink, so this ends.
//!
//! Everything here is a pure function of a set of operations (the whole log, or the causal past
//! of some heads), so every peer computes the same verdicts in any delivery order.

use std::collections::{BTreeSet, HashMap};

use super::op::{OpBody, OpId};
use super::state::{CouncilState, Unauthorized};
use super::{CouncilLog, Entry};
use crate::identity::MemberId;

/// Why an accepted operation has no effect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Void {
    /// Its author's standing was revoked by `revocation`, which it did not see (it is concurrent
    /// with it), and it needs what the revocation took away.
    Revoked {
        /// The removal or change of roles that voids it.
        revocation: OpId,
    },
    /// It is a revocation by a member who was concurrently revoked by a member of longer standing
    /// (a mutual removal this operation lost).
    LostMutualRevocation {
        /// The revocation that won.
        revocation: OpId,
    },
    /// Once void operations are left out, its author was not allowed to do it (it depends on a
    /// void operation: a membership, a role or a committee seat that a void operation gave).
    DependsOnVoid(Unauthorized),
}

impl Void {
    /// The reason's name in the record's reports (`docs/format.md` §3, "Revocation"): the same
    /// for every implementation, whatever words the reader is shown.
    pub fn code(&self) -> &'static str {
        match self {
            Void::Revoked { .. } => "revoked",
            Void::LostMutualRevocation { .. } => "lost-mutual-revocation",
            Void::DependsOnVoid(_) => "depends-on-void",
        }
    }

    /// The revocation that makes it void, when one does directly.
    pub fn by(&self) -> Option<OpId> {
        match self {
            Void::Revoked { revocation } | Void::LostMutualRevocation { revocation } => {
                Some(*revocation)
            }
            Void::DependsOnVoid(_) => None,
        }
    }
}

impl std::fmt::Display for Void {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Void::Revoked { revocation } => write!(
                f,
                "its author's standing was revoked by {} before they had seen it",
                revocation.short()
            ),
            Void::LostMutualRevocation { revocation } => write!(
                f,
                "its author was concurrently removed by {}, signed by a member of longer standing",
                revocation.short()
            ),
            Void::DependsOnVoid(u) => write!(f, "it depends on a void operation: {u}"),
        }
    }
}

/// The member an operation revokes, if it is a revocation.
pub(super) fn revoked_member(body: &OpBody) -> Option<MemberId> {
    match body {
        OpBody::RemoveMember { member } | OpBody::SetRoles { member, .. } => Some(*member),
        _ => None,
    }
}

/// Whether `allowed` still holds on `base` once `member`'s roles are `roles`: what a change of
/// roles leaves of an act (one rule for log operations, document changes and openings alike).
pub(super) fn allowed_with_roles(
    base: &CouncilState,
    member: &MemberId,
    roles: crate::roles::Roles,
    allowed: impl Fn(&CouncilState) -> bool,
) -> bool {
    let mut s = base.clone();
    if let Some(m) = s.members.get_mut(member) {
        m.roles = roles;
    }
    allowed(&s)
}

/// A revocation considered by the resolution.
struct Candidate {
    id: OpId,
    author: MemberId,
    target: MemberId,
    /// Strict ancestors.
    anc: BTreeSet<OpId>,
    /// `(depth, id)` of the operation that last admitted the author before it; the founder's
    /// standing is `(0, zero)`, older than every operation.
    standing: (u64, OpId),
    depth: u64,
}

/// The outcome of a resolution over a set of operations.
pub(super) struct Resolution {
    /// Void operations and why.
    pub voided: HashMap<OpId, Void>,
    /// The state folded from the operations that are not void.
    pub state: CouncilState,
}

impl CouncilLog {
    /// Whether `x`, just accepted, is concurrent with a revocation that concerns it: `x` revokes
    /// a member who signed operations it has not seen, or `x`'s author was revoked by an
    /// operation `x` has not seen. Returns the pairs found, for [`CouncilLog::pairs`].
    pub(super) fn revocation_pairs(&self, x: &OpId) -> Vec<(OpId, OpId)> {
        let Some(e) = self.ops.get(x) else {
            return Vec::new();
        };
        let op = e.op.op();
        let mut out = Vec::new();
        if let Some(target) = revoked_member(&op.body)
            && let Some(theirs) = self.by_author.get(&target)
        {
            let anc = self.ancestors(&op.parents);
            for y in theirs {
                if y != x && !anc.contains(y) {
                    out.push((*x, *y));
                }
            }
        }
        if let Some(revs) = self.revocations_of.get(&op.author) {
            for r in revs {
                if r != x && !self.reaches(x, r) {
                    out.push((*r, *x));
                }
            }
        }
        out
    }

    /// Whether revocation `r` is among the ancestors of operation `x`, by its author, remembering
    /// the answer: the next operation by the same author usually reaches this one within a few
    /// steps, so a member's operations cost, together, one walk over the log per revocation.
    fn reaches(&self, x: &OpId, r: &OpId) -> bool {
        let Some(rdepth) = self.ops.get(r).map(|e| e.depth) else {
            return false;
        };
        let mut memo = self.reach.lock().unwrap_or_else(|p| p.into_inner());
        let known = memo.entry(*r).or_default();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<OpId> = self
            .ops
            .get(x)
            .map(|e| e.op.op().parents.clone())
            .unwrap_or_default();
        let mut found = false;
        while let Some(n) = stack.pop() {
            if n == *r || known.contains(&n) {
                found = true;
                break;
            }
            let Some(e) = self.ops.get(&n) else { continue };
            if e.depth <= rdepth || !seen.insert(n) {
                continue;
            }
            stack.extend(e.op.op().parents.iter().copied());
        }
        if found {
            known.insert(*x);
        }
        found
    }

    /// Records revocation `r` of `target`, keeping only the revocations of `target` that no other
    /// one follows: an operation that has seen those has seen them all.
    pub(super) fn record_revocation(&mut self, target: MemberId, r: OpId) {
        let earlier: Vec<OpId> = self
            .revocations_of
            .get(&target)
            .cloned()
            .unwrap_or_default();
        let parents = self
            .ops
            .get(&r)
            .map(|e| e.op.op().parents.clone())
            .unwrap_or_default();
        let mut keep: Vec<OpId> = earlier
            .into_iter()
            .filter(|e| !self.covers(&parents, std::slice::from_ref(e)))
            .collect();
        keep.push(r);
        self.revocations_of.insert(target, keep);
    }

    /// Whether both operations of some recorded revocation pair lie in `set`: only then can the
    /// state of `set` differ from the plain fold of its operations.
    pub(super) fn has_pair_within(&self, set: &BTreeSet<OpId>) -> bool {
        self.pairs
            .iter()
            .any(|(a, b)| set.contains(a) && set.contains(b))
    }

    /// Resolves revocations over `within` (every accepted operation when `None`), which must be
    /// closed under ancestors.
    pub(super) fn resolve(&self, within: Option<&BTreeSet<OpId>>) -> Resolution {
        let inside = |id: &OpId| within.is_none_or(|w| w.contains(id));
        let mut candidates: Vec<Candidate> = self
            .order
            .iter()
            .filter(|id| inside(id))
            .filter_map(|id| {
                let e = self.ops.get(id)?;
                let target = revoked_member(&e.op.op().body)?;
                let author = e.op.op().author;
                let anc = self.ancestors(&e.op.op().parents);
                let standing = self.standing(&author, &anc);
                Some(Candidate {
                    id: *id,
                    author,
                    target,
                    anc,
                    standing,
                    depth: e.depth,
                })
            })
            .collect();
        candidates.sort_by_key(|c| (c.standing, c.depth, c.id));
        let mut excluded: BTreeSet<OpId> = BTreeSet::new();
        // Revocations dropped because a kept revocation of their author (by a junior member,
        // not a mutual one) reaches them: with the member who dropped them.
        let mut demoted: HashMap<OpId, OpId> = HashMap::new();
        loop {
            let mut kept: Vec<&Candidate> = Vec::new();
            let mut dropped: HashMap<OpId, OpId> = HashMap::new();
            for c in candidates
                .iter()
                .filter(|c| !excluded.contains(&c.id) && !demoted.contains_key(&c.id))
            {
                let beaten = kept.iter().find(|k| {
                    k.target == c.author
                        && !k.anc.contains(&c.id)
                        && !c.anc.contains(&k.id)
                        && self.revocation_bites(k.id, &c.id, None)
                });
                match beaten {
                    Some(k) => {
                        dropped.insert(c.id, k.id);
                    }
                    None => kept.push(c),
                }
            }
            // A kept revocation of B reaches B's concurrent kept revocations too (seniority
            // only decides mutual ones, which the pass above already dropped): drop those and
            // go again, since what they dropped may now stand.
            let mut newly = false;
            for c in &kept {
                for k in &kept {
                    if k.author == c.target
                        && k.id != c.id
                        && !demoted.contains_key(&k.id)
                        && !k.anc.contains(&c.id)
                        && !c.anc.contains(&k.id)
                        && self.revocation_bites(c.id, &k.id, None)
                    {
                        demoted.insert(k.id, c.id);
                        newly = true;
                    }
                }
            }
            if newly {
                continue;
            }
            let res = self.fold(within, &kept, &dropped, &demoted);
            let bad: Vec<OpId> = kept
                .iter()
                .filter(|k| res.voided.contains_key(&k.id))
                .map(|k| k.id)
                .collect();
            if bad.is_empty() {
                return res;
            }
            excluded.extend(bad);
        }
    }

    /// The standing of `author` as seen from `anc`: when they were last admitted.
    fn standing(&self, author: &MemberId, anc: &BTreeSet<OpId>) -> (u64, OpId) {
        let zero = crate::hash::Hash([0; 32]);
        anc.iter()
            .filter_map(|id| self.ops.get(id).map(|e| (id, e)))
            .filter(|(_, e)| {
                matches!(&e.op.op().body, OpBody::AddMember { member, .. } if member == author)
            })
            .map(|(id, e)| (e.depth, *id))
            .max()
            .unwrap_or((0, zero))
    }

    /// Whether revocation `r` takes away what operation `x` needs, judged on `base` (the state
    /// at `x`'s parents; the plain fold of its ancestors when `None`).
    fn revocation_bites(&self, r: OpId, x: &OpId, base: Option<&CouncilState>) -> bool {
        let (Some(re), Some(xe)) = (self.ops.get(&r), self.ops.get(x)) else {
            return false;
        };
        match &re.op.op().body {
            OpBody::RemoveMember { .. } => true,
            OpBody::SetRoles { member, roles } => {
                let xo = xe.op.op();
                let owned;
                let base = match base {
                    Some(b) => b,
                    None => match self.plain_state_at(&xo.parents) {
                        Some(s) => {
                            owned = s;
                            &owned
                        }
                        None => return true,
                    },
                };
                !allowed_with_roles(base, member, *roles, |s| {
                    s.authorize(&xo.author, &xo.body).is_ok()
                })
            }
            _ => false,
        }
    }

    /// The fold of every accepted operation before `heads` (and of them), voids ignored.
    fn plain_state_at(&self, heads: &[OpId]) -> Option<CouncilState> {
        let anc = self.ancestors(heads);
        Some(self.replay_except(&anc, &HashMap::new()))
    }

    /// The fold, in log order, of the operations of `set` that are not in `voided`.
    pub(super) fn replay_except(
        &self,
        set: &BTreeSet<OpId>,
        voided: &HashMap<OpId, Void>,
    ) -> CouncilState {
        let mut s = (*self.genesis_state).clone();
        for id in self.order.iter().filter(|id| set.contains(id)) {
            if voided.contains_key(id) {
                continue;
            }
            if let Some(Entry { op, .. }) = self.ops.get(id) {
                s.apply(*id, &op.op().author, &op.op().body);
            }
        }
        s
    }

    /// One pass: folds the operations of `within` in log order, voiding the dropped revocations,
    /// what a kept revocation bites, and whatever is not allowed once those are left out.
    fn fold(
        &self,
        within: Option<&BTreeSet<OpId>>,
        kept: &[&Candidate],
        dropped: &HashMap<OpId, OpId>,
        demoted: &HashMap<OpId, OpId>,
    ) -> Resolution {
        let cid = self.council_id();
        let mut by_target: HashMap<MemberId, Vec<&Candidate>> = HashMap::new();
        for k in kept {
            by_target.entry(k.target).or_default().push(k);
        }
        let kept_ids: BTreeSet<OpId> = kept.iter().map(|k| k.id).collect();
        let mut voided: HashMap<OpId, Void> = HashMap::new();
        let mut running = (*self.genesis_state).clone();
        // Heads of the operations folded so far (void or not): an operation naming exactly these
        // has every earlier operation in its past, and its state is the running one.
        let mut prefix_heads: BTreeSet<OpId> = BTreeSet::new();
        for id in self.order.iter() {
            if within.is_some_and(|w| !w.contains(id)) {
                continue;
            }
            let Some(e) = self.ops.get(id) else { continue };
            let op = e.op.op();
            let parents: BTreeSet<OpId> =
                op.parents.iter().filter(|p| **p != cid).copied().collect();
            let verdict = if let Some(by) = dropped.get(id) {
                Some(Void::LostMutualRevocation { revocation: *by })
            } else if let Some(by) = demoted.get(id) {
                Some(Void::Revoked { revocation: *by })
            } else {
                let owned;
                let base: &CouncilState = if parents == prefix_heads {
                    &running
                } else {
                    owned = self.replay_except(&self.ancestors(&op.parents), &voided);
                    &owned
                };
                if let Err(u) = base.authorize(&op.author, &op.body) {
                    Some(Void::DependsOnVoid(u))
                } else if kept_ids.contains(id) {
                    None
                } else {
                    by_target.get(&op.author).and_then(|ks| {
                        ks.iter()
                            .find(|k| {
                                !k.anc.contains(id)
                                    && !self.covers(&op.parents, std::slice::from_ref(&k.id))
                                    && self.revocation_bites(k.id, id, Some(base))
                            })
                            .map(|k| Void::Revoked { revocation: k.id })
                    })
                }
            };
            match verdict {
                Some(v) => {
                    voided.insert(*id, v);
                }
                None => running.apply(*id, &op.author, &op.body),
            }
            for p in &parents {
                prefix_heads.remove(p);
            }
            prefix_heads.insert(*id);
        }
        Resolution {
            voided,
            state: running,
        }
    }
}
