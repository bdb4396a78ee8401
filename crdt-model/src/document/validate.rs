//! What Council writes, checked on every received change before it is applied.
//!
//! A change from an authorized writer can parse and apply and still poison the document: a mark,
//! an object inside a text, a field replaced by a string, a deletion naming an operation that is
//! not where it says (automerge then saves a document it cannot load), an insertion after an
//! element of another field (automerge panics). So a received change must consist of the
//! operations [`super::Edit`] makes, derived from [`super::schema`]'s tables, and nothing else:
//!
//! - in a text field ([`Seq::Text`]): insertions of one character (what `splice_text` makes) and
//!   deletions of one element naming exactly that element;
//! - in an agenda's items ([`Seq::Items`]): insertions of a new map and deletions as above; in a
//!   map created by the same change, one put of each [`ItemKey`], a string;
//! - in the root: puts of the kind's [`ScalarKey`]s, with a value of the key's type, replacing
//!   only earlier values of that key.
//!
//! Every element or value an operation names must be an earlier operation of the same change, or
//! of a change in its causal past, of the kind the operation expects (a character of the same
//! field, an item, a value of the same key). [`Index`] answers that from the accepted changes, so
//! the verdict is the same on every peer whatever the order changes arrive in.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy as am;
use automerge::{ActorId, Change, ChangeHash, ExpandedChange, ObjType, ScalarValue};
use thiserror::Error;

use super::SignedChange;
use super::schema::{ItemKey, ScalarKey, Seq, objects};
use crate::log::DocKind;

/// What a received change writes that Council never writes.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaViolation {
    /// It adds or removes a mark (formatting); Council writes plain text.
    #[error("it adds a mark")]
    Mark,
    /// It creates an object Council's edits do not create there (a map or list inside a text, a
    /// new root object, an object inside an agenda item).
    #[error("it creates an object where Council creates none")]
    NewObject,
    /// It replaces or deletes one of the document's fields.
    #[error("it replaces the field {0}")]
    ReplacesField(&'static str),
    /// It writes a key this kind of document does not have.
    #[error("this kind of document has no key {0:?}")]
    UnknownKey(String),
    /// It gives a key a value of another type.
    #[error("a value of the wrong type for {0}")]
    WrongType(&'static str),
    /// It inserts into a text something other than one character.
    #[error("it inserts into a text something other than one character")]
    NotACharacter,
    /// It names an element or value that is not where it says: in another field or key, a later
    /// operation, or a change outside its causal past.
    #[error("it names an operation that is not where it says")]
    BadReference,
    /// Its author's previous change is not in its causal past.
    #[error("its author's previous change is not in its causal past")]
    SequenceGap,
    /// Its operations are not numbered after every operation of its causal past (automerge
    /// numbers a change's operations from one more than the highest it has seen), so they could
    /// collide with, or sort before, the operations they replace.
    #[error("its operations are not numbered after those it builds on")]
    CounterNotAfterPast,
    /// An operation Council's edits never make.
    #[error("{0}")]
    NotAnEdit(&'static str),
    /// automerge could not expand it.
    #[error("automerge could not expand it")]
    Undecodable,
}

/// What an operation is, as far as later operations may name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Nothing later operations may name (a deletion, a put into an agenda item).
    Other,
    /// An element of a sequence.
    Elem(Seq),
    /// A value of a root scalar key.
    Scalar(ScalarKey),
}

/// The objects of one document: the operations of its first change that created them.
#[derive(Debug, Clone)]
pub(super) struct Shape {
    kind: DocKind,
    objects: Vec<(am::OpId, Seq)>,
}

impl Shape {
    /// The shape of a document of `kind` whose first change is `init`.
    pub(super) fn new(kind: DocKind, init: &Change) -> Self {
        let e = init.decode();
        let seqs = objects(kind);
        let objects = e
            .operations
            .iter()
            .zip(e.start_op.get()..)
            .filter_map(|(op, ctr)| match (&op.key, &op.action) {
                (am::Key::Map(k), am::OpType::Make(_)) => seqs
                    .iter()
                    .find(|s| s.key() == k.as_str())
                    .map(|s| (am::OpId(ctr, e.actor_id.clone()), *s)),
                _ => None,
            })
            .collect();
        Shape { kind, objects }
    }

    fn object(&self, id: &am::OpId) -> Option<Seq> {
        self.objects.iter().find(|(o, _)| o == id).map(|(_, s)| *s)
    }
}

/// The result of [`scan`]: where each operation of the change is, and what it names outside the
/// change.
pub(super) struct Scanned<'a> {
    pub(super) places: Vec<Place>,
    pub(super) refs: Vec<(&'a am::OpId, Place)>,
}

/// Expands a change with automerge, turning a panic into [`SchemaViolation::Undecodable`].
pub(super) fn expand(c: &Change) -> Result<ExpandedChange, SchemaViolation> {
    catch_unwind(AssertUnwindSafe(|| c.decode())).map_err(|_| SchemaViolation::Undecodable)
}

/// Checks that every operation of `e` is one Council's edits make in a document of this shape,
/// and collects what it names in earlier changes (to be checked with [`Index::check`]).
pub(super) fn scan<'a>(
    shape: &Shape,
    e: &'a ExpandedChange,
) -> Result<Scanned<'a>, SchemaViolation> {
    use SchemaViolation as V;
    let start = e.start_op.get();
    let mut places: Vec<Place> = Vec::with_capacity(e.operations.len());
    let mut refs = Vec::new();
    // Agenda items this change creates (by op counter), with the keys put into each so far.
    let mut new_items: HashMap<u64, Vec<ItemKey>> = HashMap::new();
    for (i, op) in e.operations.iter().enumerate() {
        let ctr = u64::try_from(i)
            .ok()
            .and_then(|i| start.checked_add(i))
            .ok_or(V::NotAnEdit("operation counter overflow"))?;
        // Names `id`, which must be an operation at `want`: an earlier one of this change, or one
        // of an earlier change (checked later against the index).
        let mut name = |id: &'a am::OpId, want: Place, places: &[Place]| {
            if id.1 == e.actor_id && id.0 >= start {
                let own = usize::try_from(id.0 - start).ok();
                match own.and_then(|k| places.get(k)) {
                    Some(p) if *p == want => Ok(()),
                    _ => Err(V::BadReference),
                }
            } else {
                refs.push((id, want));
                Ok(())
            }
        };
        if matches!(op.action, am::OpType::MarkBegin(_) | am::OpType::MarkEnd(_)) {
            return Err(V::Mark);
        }
        let place = match &op.obj {
            am::ObjectId::Root => {
                let am::Key::Map(k) = &op.key else {
                    return Err(V::NotAnEdit("a list operation on the root"));
                };
                if let Some(s) = objects(shape.kind).into_iter().find(|s| s.key() == k) {
                    return Err(V::ReplacesField(s.key()));
                }
                let Some(sk) = ScalarKey::of(shape.kind, k) else {
                    return Err(V::UnknownKey(k.chars().take(64).collect()));
                };
                if op.insert {
                    return Err(V::NotAnEdit("an insertion into a map"));
                }
                match &op.action {
                    am::OpType::Put(v) if sk.accepts(v) => {}
                    am::OpType::Put(_) => return Err(V::WrongType(sk.key())),
                    am::OpType::Make(_) => return Err(V::NewObject),
                    _ => return Err(V::NotAnEdit("deletes or increments a root value")),
                }
                for p in op.pred.iter() {
                    name(p, Place::Scalar(sk), &places)?;
                }
                Place::Scalar(sk)
            }
            am::ObjectId::Id(obj) => {
                if let Some(seq) = shape.object(obj) {
                    let am::Key::Seq(elem) = &op.key else {
                        return Err(V::NotAnEdit("a map key in a sequence"));
                    };
                    if op.insert {
                        match (seq, &op.action) {
                            (Seq::Text(_), am::OpType::Put(ScalarValue::Str(s)))
                                if s.chars().count() == 1 => {}
                            (Seq::Items, am::OpType::Make(ObjType::Map)) => {
                                new_items.insert(ctr, Vec::new());
                            }
                            (_, am::OpType::Make(_)) => return Err(V::NewObject),
                            (Seq::Text(_), _) => return Err(V::NotACharacter),
                            (Seq::Items, _) => {
                                return Err(V::NotAnEdit("an item that is not a map"));
                            }
                        }
                        if !op.pred.is_empty() {
                            return Err(V::NotAnEdit("an insertion that replaces"));
                        }
                        if let am::ElementId::Id(after) = elem {
                            name(after, Place::Elem(seq), &places)?;
                        }
                        Place::Elem(seq)
                    } else {
                        if op.action != am::OpType::Delete {
                            return Err(V::NotAnEdit("overwrites an element"));
                        }
                        let am::ElementId::Id(gone) = elem else {
                            return Err(V::NotAnEdit("deletes the head"));
                        };
                        if op.pred.len() != 1 || op.pred.get(0) != Some(gone) {
                            return Err(V::NotAnEdit("a deletion naming other operations"));
                        }
                        name(gone, Place::Elem(seq), &places)?;
                        Place::Other
                    }
                } else if let Some(keys) = (obj.1 == e.actor_id)
                    .then(|| new_items.get_mut(&obj.0))
                    .flatten()
                {
                    let am::Key::Map(k) = &op.key else {
                        return Err(V::NotAnEdit("a list operation on an agenda item"));
                    };
                    let Some(ik) = ItemKey::of(k) else {
                        return Err(V::UnknownKey(k.chars().take(64).collect()));
                    };
                    if op.insert {
                        return Err(V::NotAnEdit("an insertion into a map"));
                    }
                    match &op.action {
                        am::OpType::Put(v) if ik.accepts(v) => {}
                        am::OpType::Put(_) => return Err(V::WrongType(ik.key())),
                        am::OpType::Make(_) => return Err(V::NewObject),
                        _ => return Err(V::NotAnEdit("deletes or increments an item's field")),
                    }
                    if !op.pred.is_empty() || keys.contains(&ik) {
                        return Err(V::NotAnEdit("sets an item's field twice"));
                    }
                    keys.push(ik);
                    Place::Other
                } else {
                    return Err(V::NotAnEdit("writes into an object Council does not edit"));
                }
            }
        };
        places.push(place);
    }
    Ok(Scanned { places, refs })
}

/// The places of the operations of an accepted change, found again (for a change this peer made
/// itself, the first time a received change names one of its operations).
fn places_of(shape: &Shape, c: &Change) -> Box<[Place]> {
    let len = c.len();
    expand(c)
        .ok()
        .and_then(|e| scan(shape, &e).ok().map(|s| s.places))
        .filter(|p| p.len() == len)
        .unwrap_or_else(|| vec![Place::Other; len])
        .into_boxed_slice()
}

/// One accepted change's operations: one actor's counters `start .. start + len`.
#[derive(Debug)]
struct Run {
    seq: u64,
    len: u64,
    /// Its position among the accepted changes.
    change: usize,
    places: Option<Box<[Place]>>,
}

/// What a change's causal past holds: the highest sequence number of each actor, sorted by
/// actor, and the highest operation counter.
#[derive(Debug)]
struct Clock {
    seqs: Box<[(usize, u64)]>,
    max_op: u64,
}

/// Where the operations of the accepted changes are, and each accepted change's causal past.
#[derive(Debug)]
pub(super) struct Index {
    actors: HashMap<ActorId, usize>,
    /// Per actor: the runs of its changes, by first counter.
    runs: Vec<BTreeMap<u64, Run>>,
    /// Per accepted change: its causal past, itself included.
    clocks: HashMap<ChangeHash, Clock>,
    /// The first change's highest operation counter (it is in every causal past; nothing names
    /// its operations but as the objects of [`Shape`]).
    init_max_op: u64,
}

impl Index {
    /// The index of a document whose first change is `init`.
    pub(super) fn new(init: &Change) -> Self {
        Index {
            actors: HashMap::new(),
            runs: Vec::new(),
            clocks: HashMap::new(),
            init_max_op: init.max_op(),
        }
    }

    /// The causal past of `deps`.
    fn past(&self, deps: &[ChangeHash]) -> (BTreeMap<usize, u64>, u64) {
        let mut past = BTreeMap::new();
        let mut max_op = self.init_max_op;
        for clock in deps.iter().filter_map(|d| self.clocks.get(d)) {
            max_op = max_op.max(clock.max_op);
            for (a, s) in clock.seqs.iter() {
                let e = past.entry(*a).or_insert(0);
                *e = (*e).max(*s);
            }
        }
        (past, max_op)
    }

    /// Records accepted change `c`, number `at` among the accepted changes, whose dependencies
    /// are all recorded; with its places if they are known.
    pub(super) fn add(&mut self, c: &Change, at: usize, places: Option<Vec<Place>>) {
        let (mut past, max_op) = self.past(c.deps());
        let next = self.actors.len();
        let actor = *self.actors.entry(c.actor_id().clone()).or_insert(next);
        if actor == self.runs.len() {
            self.runs.push(BTreeMap::new());
        }
        past.insert(actor, c.seq());
        let clock = Clock {
            seqs: past.into_iter().collect(),
            max_op: max_op.max(c.max_op()),
        };
        self.clocks.insert(c.hash(), clock);
        if let Some(runs) = self.runs.get_mut(actor) {
            runs.insert(
                c.start_op().get(),
                Run {
                    seq: c.seq(),
                    len: u64::try_from(c.len()).unwrap_or(u64::MAX),
                    change: at,
                    places: places.map(Vec::into_boxed_slice),
                },
            );
        }
    }

    /// Checks a change whose dependencies are all accepted: its author's previous change is in
    /// its causal past, its operations are numbered after that past's, and each of `refs` is an
    /// operation of a change in its causal past, at the place expected.
    pub(super) fn check(
        &mut self,
        c: &Change,
        refs: &[(&am::OpId, Place)],
        shape: &Shape,
        accepted: &[SignedChange],
    ) -> Result<(), SchemaViolation> {
        let (past, max_op) = self.past(c.deps());
        if c.start_op().get() <= max_op {
            return Err(SchemaViolation::CounterNotAfterPast);
        }
        let before = self
            .actors
            .get(c.actor_id())
            .and_then(|a| past.get(a))
            .copied()
            .unwrap_or(0);
        if before.checked_add(1) != Some(c.seq()) {
            return Err(SchemaViolation::SequenceGap);
        }
        for (id, want) in refs {
            let run = self
                .actors
                .get(&id.1)
                .and_then(|a| Some((past.get(a)?, self.runs.get_mut(*a)?)))
                .and_then(|(seen, runs)| {
                    let (start, run) = runs.range_mut(..=id.0).next_back()?;
                    let off = usize::try_from(id.0 - start).ok()?;
                    (id.0 - start < run.len && run.seq <= *seen).then_some((off, run))
                });
            let Some((off, run)) = run else {
                return Err(SchemaViolation::BadReference);
            };
            if run.places.is_none() {
                let Some(change) = accepted.get(run.change) else {
                    return Err(SchemaViolation::BadReference);
                };
                run.places = Some(places_of(shape, change.change()));
            }
            if run.places.as_ref().and_then(|p| p.get(off)) != Some(want) {
                return Err(SchemaViolation::BadReference);
            }
        }
        Ok(())
    }
}
