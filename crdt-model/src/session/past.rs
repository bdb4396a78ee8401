//! What a verifier knows of a session's causal order: which statements follow which. A ballot
//! names the session heads its voter had seen; whether those include a poll's close (directly or
//! through their ancestors) is what tells a late ballot from one the close left out.

use std::collections::HashMap;

use super::statement::{SignedStatement, StatementId};

/// Who follows whom among the statements a verifier holds: the parents each held statement
/// names. A peer's [`super::Session`] answers from what it stores; a verifier given loose
/// statements builds a [`SessionPast`].
pub trait CausalOrder: std::fmt::Debug {
    /// The parents statement `id` names, if it is held.
    fn parents_of(&self, id: &StatementId) -> Option<&[StatementId]>;
}

/// The session statements a verifier holds, by id, with the parents each names.
#[derive(Debug, Clone, Default)]
pub struct SessionPast<'a> {
    parents: HashMap<StatementId, &'a [StatementId]>,
}

impl<'a> SessionPast<'a> {
    /// The causal order of `statements` (any order, duplicates allowed). Parents that are not
    /// among them are not followed: what a verifier does not hold proves nothing.
    pub fn new(statements: impl IntoIterator<Item = &'a SignedStatement>) -> Self {
        let parents = statements
            .into_iter()
            .map(|s| (s.id(), &s.statement().parents[..]))
            .collect();
        SessionPast { parents }
    }
}

impl CausalOrder for SessionPast<'_> {
    fn parents_of(&self, id: &StatementId) -> Option<&[StatementId]> {
        self.parents.get(id).copied()
    }
}

/// Answers "does this set of heads descend from the target?" for one target over one causal
/// order. Answers share one memo, so asking for every ballot of a poll costs at most one walk
/// over the statements held.
#[derive(Debug)]
pub struct Reaching<'p> {
    order: &'p dyn CausalOrder,
    target: StatementId,
    memo: HashMap<StatementId, bool>,
}

impl<'p> Reaching<'p> {
    /// Questions about `target` over `order`.
    pub fn new(order: &'p dyn CausalOrder, target: StatementId) -> Self {
        Reaching {
            order,
            target,
            memo: HashMap::new(),
        }
    }

    /// Whether the target is among `heads` or their ancestors (held ones only).
    pub fn from(&mut self, heads: &[StatementId]) -> bool {
        heads.iter().any(|h| self.node(*h))
    }

    /// Whether the target is `start` or one of its held ancestors. Iterative (a session may be
    /// deep): a node is decided once all its held parents are.
    fn node(&mut self, start: StatementId) -> bool {
        if let Some(r) = self.memo.get(&start) {
            return *r;
        }
        // (node, index of the next parent to look at)
        let mut stack: Vec<(StatementId, usize)> = vec![(start, 0)];
        while let Some((id, next)) = stack.pop() {
            if self.memo.contains_key(&id) {
                continue;
            }
            if id == self.target {
                self.memo.insert(id, true);
                continue;
            }
            let parents: &[StatementId] = self.order.parents_of(&id).unwrap_or(&[]);
            let mut i = next;
            let mut decided = None;
            while i < parents.len() {
                match self.memo.get(&parents[i]) {
                    Some(true) => {
                        decided = Some(true);
                        break;
                    }
                    Some(false) => i += 1,
                    None => break,
                }
            }
            match decided {
                Some(r) => {
                    self.memo.insert(id, r);
                }
                None if i >= parents.len() => {
                    self.memo.insert(id, false);
                }
                None => {
                    let p = parents[i];
                    stack.push((id, i));
                    stack.push((p, 0));
                }
            }
        }
        self.memo.get(&start).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hash;
    use crate::identity::SecretKey;
    use crate::session::statement::{Statement, StatementKind};

    fn st(key: &SecretKey, parents: Vec<StatementId>, n: u64) -> SignedStatement {
        Statement {
            council: Hash::of(b"c", &[]),
            session: Hash::of(b"s", &[]),
            author: key.member_id(),
            parents,
            time_ms: n,
            kind: StatementKind::CloseSession,
        }
        .sign(key)
    }

    //   o ── a ── c ── d
    //    \            /
    //     b ─────────'        e (names o only)
    #[test]
    fn reaches_through_ancestors_and_not_across_branches() {
        let k = SecretKey::from_bytes(&[7; 32]);
        let o = Hash::of(b"open", &[]);
        let a = st(&k, vec![o], 1);
        let b = st(&k, vec![o], 2);
        let c = st(&k, vec![a.id()], 3);
        let d = st(&k, vec![b.id(), c.id()], 4);
        let e = st(&k, vec![o], 5);
        let all = [&a, &b, &c, &d, &e];
        let past = SessionPast::new(all);
        let mut r = Reaching::new(&past, a.id());
        assert!(r.from(&[d.id()]), "a is an ancestor of d");
        assert!(r.from(&[a.id()]), "a is among the heads");
        assert!(!r.from(&[b.id()]), "b is concurrent with a");
        assert!(!r.from(&[e.id()]), "e is concurrent with a");
        assert!(r.from(&[e.id(), c.id()]));
        // Not held: nothing is proved through it.
        assert!(!r.from(&[Hash::of(b"unknown", &[])]));
    }

    #[test]
    fn a_deep_session_is_walked_without_recursion() {
        let k = SecretKey::from_bytes(&[8; 32]);
        let mut chain = vec![st(&k, vec![Hash::of(b"open", &[])], 0)];
        for n in 1..30_000u64 {
            let prev = chain[chain.len() - 1].id();
            chain.push(st(&k, vec![prev], n));
        }
        let past = SessionPast::new(chain.iter());
        let first = chain[0].id();
        let last = chain[chain.len() - 1].id();
        assert!(Reaching::new(&past, first).from(&[last]));
        assert!(!Reaching::new(&past, last).from(&[first]));
    }
}
