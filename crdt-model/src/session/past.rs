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

/// Which of up to 64 targets each of many sets of heads descends from, over one causal order:
/// one walk answers a question about every target at once (a node's answer is the union of its
/// parents' and its own bit). Asking about the closes of P polls therefore costs P / 64 walks
/// over the statements, not P: a chair who makes many polls and late ballots cannot make a
/// verifier's work grow as the square of the record.
#[derive(Debug)]
pub struct ReachingMany<'p> {
    order: &'p dyn CausalOrder,
    bits: HashMap<StatementId, u64>,
    memo: HashMap<StatementId, u64>,
}

impl<'p> ReachingMany<'p> {
    /// Most targets one walk answers for.
    pub const TARGETS: usize = 64;

    /// Questions about `targets` (at most [`ReachingMany::TARGETS`]; the rest are ignored) over
    /// `order`: target `i` answers as bit `i`.
    pub fn new(order: &'p dyn CausalOrder, targets: &[StatementId]) -> Self {
        let bits = targets
            .iter()
            .take(Self::TARGETS)
            .enumerate()
            .map(|(i, t)| (*t, 1u64 << i))
            .collect();
        ReachingMany {
            order,
            bits,
            memo: HashMap::new(),
        }
    }

    /// The targets among `heads` or their held ancestors, as bits.
    pub fn from(&mut self, heads: &[StatementId]) -> u64 {
        heads.iter().fold(0, |m, h| m | self.node(*h))
    }

    fn bit(&self, id: &StatementId) -> u64 {
        self.bits.get(id).copied().unwrap_or(0)
    }

    /// The targets `start` is or descends from. Iterative post-order: a node is finished once
    /// every held parent is, and never walked again.
    fn node(&mut self, start: StatementId) -> u64 {
        if let Some(m) = self.memo.get(&start) {
            return *m;
        }
        // (node, index of the next parent to look at, targets found so far)
        let mut stack: Vec<(StatementId, usize, u64)> = vec![(start, 0, self.bit(&start))];
        while let Some(&(id, next, acc)) = stack.last() {
            let parents: &[StatementId] = self.order.parents_of(&id).unwrap_or(&[]);
            if let Some(p) = parents.get(next).copied() {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match self.memo.get(&p) {
                    Some(m) => {
                        let m = *m;
                        if let Some(top) = stack.last_mut() {
                            top.2 |= m;
                        }
                    }
                    None => {
                        let b = self.bit(&p);
                        stack.push((p, 0, b));
                    }
                }
            } else {
                self.memo.insert(id, acc);
                stack.pop();
                if let Some(top) = stack.last_mut() {
                    top.2 |= acc;
                }
            }
        }
        self.memo.get(&start).copied().unwrap_or(0)
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
        let mut r = ReachingMany::new(&past, &[a.id()]);
        assert_eq!(r.from(&[d.id()]), 1, "a is an ancestor of d");
        assert_eq!(r.from(&[a.id()]), 1, "a is among the heads");
        assert_eq!(r.from(&[b.id()]), 0, "b is concurrent with a");
        assert_eq!(r.from(&[e.id()]), 0, "e is concurrent with a");
        let mut many = ReachingMany::new(&past, &[a.id(), b.id(), e.id()]);
        assert_eq!(
            many.from(&[d.id()]),
            0b011,
            "d descends from a and b, not e"
        );
        assert_eq!(many.from(&[c.id()]), 0b001);
        assert_eq!(many.from(&[e.id(), b.id()]), 0b110);
        assert_eq!(many.from(&[o]), 0, "o is not held: nothing follows from it");
        assert_eq!(r.from(&[e.id(), c.id()]), 1);
        // Not held: nothing is proved through it.
        assert_eq!(r.from(&[Hash::of(b"unknown", &[])]), 0);
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
        assert_eq!(ReachingMany::new(&past, &[first]).from(&[last]), 1);
        assert_eq!(ReachingMany::new(&past, &[last]).from(&[first]), 0);
    }
}
