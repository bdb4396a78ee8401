//! An order in which a set of signed items applies without waiting: each after every item of
//! the set it names (its parents, its document, its session, its poll, the statements it had
//! seen, the log heads it was written against).
//!
//! A peer's catch-up sends parents first, but a bundle file, or any other set of items read at
//! once, may come in any order, and a replica parks only so much of what waits (see
//! [`crate::parking`]). Fed in this order, a set holds nothing back that the set itself could
//! supply, so what a verifier concludes from it does not depend on the order it was written in.

use std::collections::HashMap;

use super::Item;

impl Item {
    /// The 32 bytes that name the item: its id, or for a document change its change hash.
    pub fn name(&self) -> [u8; 32] {
        match self {
            Item::Op(op) => *op.id().as_bytes(),
            Item::Change(c) => c.hash().0,
            Item::Statement(st) => *st.id().as_bytes(),
            Item::Ballot(b) => *b.id().as_bytes(),
        }
    }

    /// Whether the item's own signature verifies (nothing else is checked): what tells two
    /// copies of one item, with the same name and other signature bytes, apart.
    pub fn verify_signature(&self) -> Result<(), crate::identity::SignatureError> {
        match self {
            Item::Op(op) => op.verify(),
            Item::Change(c) => c.verify(),
            Item::Statement(st) => st.verify(),
            Item::Ballot(b) => b.verify(),
        }
    }

    /// The names of what the item depends on. Some may be outside any given set (the genesis,
    /// an item not held): they are simply not waited for here.
    fn needs(&self) -> Vec<[u8; 32]> {
        match self {
            Item::Op(op) => op.op().parents.iter().map(|p| *p.as_bytes()).collect(),
            Item::Change(c) => {
                let mut v: Vec<[u8; 32]> = vec![*c.doc().as_bytes()];
                v.extend(c.log_heads().iter().map(|h| *h.as_bytes()));
                v.extend(c.change().deps().iter().map(|d| d.0));
                v
            }
            Item::Statement(st) => {
                let s = st.statement();
                let mut v: Vec<[u8; 32]> = s.parents.iter().map(|p| *p.as_bytes()).collect();
                v.push(*s.session.as_bytes());
                if let crate::session::StatementKind::OpenSession { log_heads, .. } = &s.kind {
                    v.extend(log_heads.iter().map(|h| *h.as_bytes()));
                }
                v
            }
            Item::Ballot(b) => {
                let mut v = vec![*b.ballot().poll.as_bytes()];
                v.extend(b.ballot().seen.iter().map(|s| *s.as_bytes()));
                v
            }
        }
    }
}

/// The positions of `items` in an order in which each comes after every item of the set it
/// depends on; items with nothing between them keep their given order. An item given twice
/// depends on what its first copy depends on. Linear in the items and the names they hold;
/// iterative, so no depth of dependencies can exhaust the stack.
pub fn causal_order(items: &[Item]) -> Vec<usize> {
    let names: Vec<[u8; 32]> = items.iter().map(Item::name).collect();
    let mut first: HashMap<[u8; 32], usize> = HashMap::with_capacity(items.len());
    for (i, n) in names.iter().enumerate() {
        first.entry(*n).or_insert(i);
    }
    // 0: not seen, 1: its dependencies are being placed, 2: placed.
    let mut state = vec![0u8; items.len()];
    let mut out = Vec::with_capacity(items.len());
    for start in 0..items.len() {
        if state[start] != 0 {
            continue;
        }
        state[start] = 1;
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, deps(items, &first, start))];
        while let Some((at, pending)) = stack.last_mut() {
            let at = *at;
            match pending.pop() {
                Some(d) if state[d] == 0 => {
                    state[d] = 1;
                    let next = deps(items, &first, d);
                    stack.push((d, next));
                }
                // Placed already, or on the way (a cycle, which hashes make impossible in
                // honest data): nothing to wait for.
                Some(_) => {}
                None => {
                    state[at] = 2;
                    out.push(at);
                    stack.pop();
                }
            }
        }
    }
    out
}

/// The positions of the items `items[i]` depends on, reversed so that popping visits them in
/// the order named.
fn deps(items: &[Item], first: &HashMap<[u8; 32], usize>, i: usize) -> Vec<usize> {
    let mut v: Vec<usize> = items[i]
        .needs()
        .iter()
        .filter_map(|n| first.get(n).copied())
        .filter(|d| *d != i)
        .collect();
    v.reverse();
    v
}
