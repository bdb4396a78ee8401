//! Collaborative documents (drafts, opinions, amendments, agendas, notes) as automerge documents
//! whose every change is signed, bound to its author's device, and authorized against the council
//! log before it is applied.
//!
//! A received change goes through, in order: the council and document it names; the binding of
//! its automerge actor to the signing key; the signature; its dependencies and log heads (missing
//! ones park it as pending, nothing is applied); the author's right to write this document at
//! those log heads; that it does not name an older point of the log than a change it builds on
//! (so a removed member cannot backdate past their removal); that no other change already used
//! its actor and sequence number (a cloned device); that it writes only what Council's own edits
//! write in this kind of document (module `validate`). Only then is it applied, to a copy of the
//! automerge document that replaces it on success: a failure or a panic inside automerge leaves
//! the document exactly as it was.
//!
//! Before any of that, the bytes of a received change are pre-scanned (module `chunk`): only an
//! uncompressed change chunk of at most [`MAX_CHANGE_OPS`] operations reaches automerge.
//!
//! Every automerge call on the document (reads, edits, saves) runs under `catch_unwind`: a panic
//! inside automerge becomes [`EditError::Panicked`], not a crash of the peer.

mod chunk;
mod envelope;
mod history;
mod schema;
mod validate;

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, AutomergeError, Change, ReadDoc};
use thiserror::Error;

/// A version of a document is a set of these (automerge change hashes).
pub use automerge::ChangeHash;
pub use chunk::MAX_CHANGE_OPS;
pub use envelope::{ChangeDecodeError, MAX_CHANGE_BYTES, SignedChange};
pub use history::{ChangeRecord, ParagraphDiff};
pub use schema::{AgendaItem, Edit, TextField, fields};
pub use validate::SchemaViolation;

use crate::council::CouncilId;
use crate::identity::{Device, DeviceId, MemberId, SignatureError, parse_actor};
use crate::log::{CouncilLog, DocId, DocKind, Unauthorized};

/// Why a received change was refused. It is not applied and must not be forwarded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeRejected {
    /// It names another council.
    #[error("the change belongs to another council")]
    WrongCouncil,
    /// It names another document.
    #[error("the change was signed for another document")]
    WrongDocument,
    /// Its automerge actor is not a device of the signer.
    #[error("the change's actor is not a device of its signer")]
    ActorNotBound,
    /// The signature does not verify.
    #[error("bad signature on the change: {0}")]
    BadSignature(#[from] SignatureError),
    /// The author may not write this document at the log heads they named.
    #[error("not allowed: {0}")]
    Unauthorized(#[from] Unauthorized),
    /// It names an older point of the log than a change it builds on.
    #[error("the change names an older point of the council log than a change it builds on")]
    LogRegression,
    /// It builds on a change that was refused.
    #[error("it builds on a refused change")]
    DependsOnRefused,
    /// This very change was refused before (the verdict is remembered).
    #[error("this change was refused before")]
    AlreadyRefused,
    /// Its actor and sequence number were already proven to be used twice (see
    /// [`Received::Equivocation`]): nothing more under them is taken.
    #[error("actor {actor} already signed two different changes number {seq}; both are void")]
    Equivocated {
        /// The actor, in hex.
        actor: String,
        /// The sequence number.
        seq: u64,
    },
    /// automerge could not apply it (or panicked); the document is as it was.
    #[error("the change could not be applied: {0}")]
    Malformed(String),
    /// Too many changes are waiting for their dependencies.
    #[error("too many changes are waiting for missing dependencies")]
    TooManyPending,
    /// It writes what Council's edits never write in this kind of document.
    #[error("the change writes what Council never writes: {0}")]
    Schema(#[from] SchemaViolation),
    /// It holds more operations than any change Council makes.
    #[error("the change holds more than {MAX_CHANGE_OPS} operations")]
    TooManyOps,
}

/// An edit that could not be made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EditError {
    /// The editor may not write this document now.
    #[error("you may not edit this document: {0}")]
    Unauthorized(#[from] Unauthorized),
    /// The document has no such field.
    #[error("this document has no field {0}")]
    NoSuchField(String),
    /// This device's key signed two different changes under one number (it was copied to a
    /// second device): its changes here are void, and it writes no more under that identity.
    #[error(
        "this device's key was used on two devices at once; restore it as a new device to write again"
    )]
    Equivocated,
    /// A position outside the text.
    #[error("position {pos} (+{del}) is outside the text of length {len}")]
    OutOfRange {
        /// Position.
        pos: usize,
        /// Characters to delete.
        del: usize,
        /// Length of the text.
        len: usize,
    },
    /// automerge refused the edit.
    #[error("automerge: {0}")]
    Automerge(String),
    /// A version (heads) this document does not contain.
    #[error("unknown version of the document")]
    UnknownVersion,
    /// A bug: an invariant of this module was broken.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The edit would make a change larger than peers accept ([`MAX_CHANGE_OPS`],
    /// [`MAX_CHANGE_BYTES`]); nothing was changed. Make it in smaller steps.
    #[error("the edit is too large for one change ({ops} operations); make it in smaller steps")]
    TooLarge {
        /// Operations the edit made.
        ops: usize,
    },
    /// automerge panicked while doing this; nothing was changed.
    #[error("automerge failed while {0}; nothing was changed")]
    Panicked(&'static str),
}

impl From<AutomergeError> for EditError {
    fn from(e: AutomergeError) -> Self {
        EditError::Automerge(e.to_string())
    }
}

/// What became of a received change that was not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Applied; changes that were waiting for it were then settled too.
    Applied {
        /// Waiting changes applied as a result.
        released: Vec<ChangeHash>,
        /// Waiting changes refused as a result.
        refused: Vec<(ChangeHash, ChangeRejected)>,
    },
    /// Already applied.
    Duplicate,
    /// Kept aside until its dependencies (changes or log operations) arrive.
    Pending,
    /// Its author's device signed two different changes with one actor and sequence number
    /// (a cloned device, or a hostile one): this change is the proof. Both are void, with every
    /// change that builds on either, whichever arrived first, so every peer ends alike. The
    /// proof is kept, stored and passed on, so that peers which hold only one of the two learn.
    Equivocation {
        /// Accepted changes taken out of the document as a result.
        voided: Vec<ChangeHash>,
    },
    /// Held, stored and passed on, but not applied: a revocation its author had not seen
    /// reaches it ([`CouncilLog::write_revoked`]), and no change by a member in good standing
    /// builds on it. It takes effect if one comes to, or if the revocation turns out void.
    Suspended {
        /// The removal or change of roles that reaches it.
        revocation: crate::log::OpId,
    },
}

/// What settling one change did.
enum Settled {
    Applied,
    Equivocation(Vec<ChangeHash>),
    /// Held but not applied: its author's standing was revoked by an operation it had not seen.
    Suspended(crate::log::OpId),
}

const MAX_PENDING: usize = 100_000;

/// Runs `f`, an automerge call on this document, turning a panic into [`EditError::Panicked`].
fn guard<T>(what: &'static str, f: impl FnOnce() -> Result<T, EditError>) -> Result<T, EditError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(EditError::Panicked(what)))
}

/// One document of one council, as this peer holds it.
pub struct Document {
    id: DocId,
    council: CouncilId,
    kind: DocKind,
    doc: Automerge,
    init: ChangeHash,
    shape: validate::Shape,
    index: validate::Index,
    accepted: Vec<SignedChange>,
    by_hash: HashMap<ChangeHash, usize>,
    by_actor_seq: HashMap<(ActorId, u64), ChangeHash>,
    pending: HashMap<ChangeHash, SignedChange>,
    refused: HashSet<ChangeHash>,
    /// Actor and sequence numbers proven used twice, and the pairs of changes that prove it
    /// (kept out of the document, passed on to peers).
    equivocated: HashSet<(ActorId, u64)>,
    evidence: Vec<SignedChange>,
    /// Changes held but not applied because a revocation their author had not seen reaches
    /// them (see [`Received::Suspended`]), in the order they arrived (dependencies first).
    suspended: Vec<SignedChange>,
    /// The log's revocation epoch these changes were last judged at.
    judged_at: u64,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("changes", &self.accepted.len())
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Document {
    /// The empty document `id`, of the kind its creation operation declared.
    pub fn new(log: &CouncilLog, id: DocId) -> Result<Self, Unauthorized> {
        let kind = log
            .state()
            .documents
            .get(&id)
            .map(|m| m.spec.kind())
            .ok_or(Unauthorized::UnknownDocument(id))?;
        Self::with_kind(log.council_id(), id, kind).map_err(|_| Unauthorized::UnknownDocument(id))
    }

    /// The empty document `id` of `kind` (when the kind is known without the log).
    pub fn with_kind(council: CouncilId, id: DocId, kind: DocKind) -> Result<Self, EditError> {
        let (doc, init) = schema::init(&id, kind)?;
        let first = doc
            .get_change_by_hash(&init)
            .ok_or(EditError::Internal("first change not found"))?;
        let shape = validate::Shape::new(kind, &first);
        let index = validate::Index::new(&first);
        Ok(Document {
            id,
            council,
            kind,
            doc,
            init,
            shape,
            index,
            accepted: Vec::new(),
            by_hash: HashMap::new(),
            by_actor_seq: HashMap::new(),
            pending: HashMap::new(),
            refused: HashSet::new(),
            equivocated: HashSet::new(),
            evidence: Vec::new(),
            suspended: Vec::new(),
            judged_at: 0,
        })
    }

    /// The id.
    pub fn id(&self) -> DocId {
        self.id
    }

    /// The kind.
    pub fn kind(&self) -> DocKind {
        self.kind
    }

    /// The current version: automerge heads, sorted.
    pub fn heads(&self) -> Vec<ChangeHash> {
        let mut h = self.doc.get_heads();
        h.sort();
        h
    }

    /// Accepted signed changes, in the order applied (dependencies first): what to store and
    /// send.
    pub fn changes(&self) -> &[SignedChange] {
        &self.accepted
    }

    /// Accepted changes that are neither in `heads` nor among their ancestors, dependencies
    /// first: what a peer holding version `heads` of this document is missing. Unknown heads are
    /// ignored.
    pub fn changes_after(&self, heads: &[ChangeHash]) -> Vec<&SignedChange> {
        let have = self.ancestry(heads);
        self.accepted
            .iter()
            .chain(&self.suspended)
            .filter(|c| !have.contains(&c.hash()))
            .chain(&self.evidence)
            .collect()
    }

    /// Changes held but not applied, because a revocation their author had not seen reaches
    /// them (see [`Received::Suspended`]): what a removal voided in this document. Stored and
    /// sent with it.
    pub fn suspended(&self) -> &[SignedChange] {
        &self.suspended
    }

    fn is_suspended(&self, hash: &ChangeHash) -> bool {
        self.suspended.iter().any(|c| c.hash() == *hash)
    }

    /// Pairs of changes proving that an actor signed two different changes with one sequence
    /// number (see [`Received::Equivocation`]): not in the document, but stored and sent with
    /// it, so that every peer voids the same changes.
    pub fn evidence(&self) -> &[SignedChange] {
        &self.evidence
    }

    /// A signed change by hash.
    pub fn change(&self, hash: &ChangeHash) -> Option<&SignedChange> {
        self.by_hash.get(hash).and_then(|i| self.accepted.get(*i))
    }

    /// Number of changes waiting for dependencies.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The text of `field` now.
    pub fn text(&self, field: TextField) -> Result<String, EditError> {
        guard("reading a text", || {
            let obj = schema::obj(&self.doc, field.key())?;
            Ok(self.doc.text(&obj)?)
        })
    }

    /// The text of `field` at version `heads`.
    pub fn text_at(&self, field: TextField, heads: &[ChangeHash]) -> Result<String, EditError> {
        self.check_version(heads)?;
        guard("reading a text", || {
            let obj = schema::obj(&self.doc, field.key())?;
            Ok(self.doc.text_at(&obj, heads)?)
        })
    }

    /// A scalar of the root, if it is set (`None` also if automerge fails reading it).
    fn scalar(&self, key: schema::ScalarKey) -> Option<automerge::ScalarValue> {
        guard("reading a value", || {
            Ok(match self.doc.get(automerge::ROOT, key.key())? {
                Some((automerge::Value::Scalar(s), _)) => Some(s.into_owned()),
                _ => None,
            })
        })
        .ok()
        .flatten()
    }

    /// An opinion's recommendation.
    pub fn recommendation(&self) -> Option<String> {
        match self.scalar(schema::ScalarKey::Recommendation)? {
            automerge::ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        }
    }

    /// Whether an agenda was published (see [`Edit::set_published`]).
    pub fn published(&self) -> bool {
        matches!(
            self.scalar(schema::ScalarKey::Published),
            Some(automerge::ScalarValue::Boolean(true))
        )
    }

    /// An agenda's items now.
    pub fn agenda(&self) -> Result<Vec<AgendaItem>, EditError> {
        guard("reading the agenda", || {
            schema::agenda_items(&self.doc, None)
        })
    }

    /// An agenda's items at version `heads`.
    pub fn agenda_at(&self, heads: &[ChangeHash]) -> Result<Vec<AgendaItem>, EditError> {
        self.check_version(heads)?;
        guard("reading the agenda", || {
            schema::agenda_items(&self.doc, Some(heads))
        })
    }

    fn check_version(&self, heads: &[ChangeHash]) -> Result<(), EditError> {
        if heads
            .iter()
            .all(|h| *h == self.init || self.by_hash.contains_key(h))
        {
            Ok(())
        } else {
            Err(EditError::UnknownVersion)
        }
    }

    /// Makes a local edit on `device` at `time_ms` and returns the signed change to store and
    /// send (`None` if the edit changed nothing). Refused without touching the document if the
    /// device's owner may not write it now, if it would make a change larger than peers accept
    /// ([`EditError::TooLarge`]), or if automerge fails ([`EditError::Panicked`]): the edit is
    /// made on a copy of the automerge document that replaces it only on success.
    pub fn edit<R>(
        &mut self,
        log: &CouncilLog,
        device: &Device,
        time_ms: i64,
        f: impl FnOnce(&mut Edit<'_, '_>) -> Result<R, EditError>,
    ) -> Result<(R, Option<SignedChange>), EditError> {
        let author = device.member_id();
        log.state().authorize_write(&author, &self.id)?;
        // Allowed to write again (re-admitted): this device's own changes that a revocation it
        // had not seen held aside are taken up by what it writes now, which builds on them (and
        // so vouches for them on every peer); its sequence numbers then never repeat.
        let actor = ActorId::from(&device.actor_bytes()[..]);
        // A device whose key signed two different changes under one number (a cloned device)
        // writes no more under that actor: its next change would reuse a voided number.
        if self.equivocated.iter().any(|(a, _)| *a == actor) {
            return Err(EditError::Equivocated);
        }
        let mine: Vec<ChangeHash> = self
            .suspended
            .iter()
            .filter(|c| *c.change().actor_id() == actor)
            .map(SignedChange::hash)
            .collect();
        if !mine.is_empty() {
            self.unsuspend_closure(mine)
                .map_err(|_| EditError::Internal("a held change of this device does not apply"))?;
        }
        let kind = self.kind;
        let mut fork = self.doc.clone();
        let (result, change) = guard("editing", || {
            fork.set_actor(ActorId::from(&device.actor_bytes()[..]));
            let mut tx = fork.transaction();
            let mut edit = Edit { tx: &mut tx, kind };
            let result = match f(&mut edit) {
                Ok(r) => r,
                Err(e) => {
                    tx.rollback();
                    return Err(e);
                }
            };
            let ops = tx.pending_ops();
            if u64::try_from(ops).map_or(true, |n| n > MAX_CHANGE_OPS) {
                tx.rollback();
                return Err(EditError::TooLarge { ops });
            }
            let (hash, _) = tx.commit_with(CommitOptions::default().with_time(time_ms));
            let change = match hash {
                Some(h) => Some(
                    fork.get_change_by_hash(&h)
                        .ok_or(EditError::Internal("committed change not found"))?,
                ),
                None => None,
            };
            Ok((result, change))
        })?;
        let Some(change) = change else {
            return Ok((result, None));
        };
        // Creators never produce what decoders refuse: the same bounds as for a received change.
        let raw = change.raw_bytes();
        if raw.len() > MAX_CHANGE_BYTES || chunk::prescan(raw).is_err() {
            return Err(EditError::TooLarge { ops: change.len() });
        }
        self.doc = fork;
        let signed = SignedChange::sign(
            device.key(),
            self.council,
            self.id,
            log.write_heads(),
            change,
        );
        self.record(signed.clone(), None);
        Ok((result, Some(signed)))
    }

    /// Records an accepted change, with the places of its operations if they are known (a
    /// received change's were found checking it; a local one's are found when first needed).
    fn record(&mut self, c: SignedChange, places: Option<Vec<validate::Place>>) {
        let ch = c.change();
        self.by_actor_seq
            .insert((ch.actor_id().clone(), ch.seq()), ch.hash());
        self.by_hash.insert(ch.hash(), self.accepted.len());
        self.index.add(ch, self.accepted.len(), places);
        self.accepted.push(c);
    }

    /// Receives a signed change from anywhere: checks it, then applies, parks or refuses it.
    pub fn receive(
        &mut self,
        log: &CouncilLog,
        c: SignedChange,
    ) -> Result<Received, ChangeRejected> {
        let hash = c.hash();
        if self.by_hash.contains_key(&hash)
            || hash == self.init
            || self.evidence.iter().any(|e| e.hash() == hash)
            || self.is_suspended(&hash)
        {
            return Ok(Received::Duplicate);
        }
        if self.pending.contains_key(&hash) {
            return Ok(Received::Pending);
        }
        self.check_static(&c)?;
        // A verdict is remembered (only after the signature and the actor check, so a forged
        // envelope never shadows the genuine change): the same bytes again cost one lookup, not
        // another expansion of the change.
        if self.refused.contains(&hash) {
            return Err(ChangeRejected::AlreadyRefused);
        }
        // An author without the right is refused at once, not parked until its dependencies
        // arrive: nothing unauthorized is held, whatever it claims to build on.
        if c.log_heads().iter().all(|h| log.knows(h))
            && let Err(e) = Self::authorize(log, &self.id, &c)
        {
            self.refused.insert(hash);
            return Err(e);
        }
        if !self.ready(log, &c) {
            if self.pending.len() >= MAX_PENDING {
                return Err(ChangeRejected::TooManyPending);
            }
            if c.change().deps().iter().any(|d| self.refused.contains(d)) {
                self.refused.insert(hash);
                return Err(ChangeRejected::DependsOnRefused);
            }
            // What can be judged without its dependencies is judged before it is held.
            self.check_alone(&c)?;
            self.pending.insert(hash, c);
            return Ok(Received::Pending);
        }
        let settled = self.settle(log, c)?;
        let (released, refused) = self.retry(log);
        Ok(match settled {
            Settled::Applied => Received::Applied { released, refused },
            Settled::Equivocation(voided) => Received::Equivocation { voided },
            Settled::Suspended(revocation) => Received::Suspended { revocation },
        })
    }

    /// Settles waiting changes whose dependencies have since arrived (call after new log
    /// operations are accepted, too).
    pub fn retry(
        &mut self,
        log: &CouncilLog,
    ) -> (Vec<ChangeHash>, Vec<(ChangeHash, ChangeRejected)>) {
        let mut released = Vec::new();
        let mut refused = Vec::new();
        let unauthorized: Vec<(ChangeHash, ChangeRejected)> = self
            .pending
            .iter()
            .filter(|(_, c)| c.log_heads().iter().all(|h| log.knows(h)))
            .filter_map(|(h, c)| Self::authorize(log, &self.id, c).err().map(|e| (*h, e)))
            .collect();
        for (h, e) in unauthorized {
            self.pending.remove(&h);
            self.refused.insert(h);
            refused.push((h, e));
        }
        loop {
            let ready: Vec<ChangeHash> = self
                .pending
                .iter()
                .filter(|(_, c)| self.ready(log, c))
                .map(|(h, _)| *h)
                .collect();
            if ready.is_empty() {
                break;
            }
            for h in ready {
                if let Some(c) = self.pending.remove(&h) {
                    match self.settle(log, c) {
                        Ok(_) => released.push(h),
                        Err(e) => refused.push((h, e)),
                    }
                }
            }
        }
        // Whatever builds on a refused change can never apply.
        loop {
            let doomed: Vec<ChangeHash> = self
                .pending
                .iter()
                .filter(|(_, c)| c.change().deps().iter().any(|d| self.refused.contains(d)))
                .map(|(h, _)| *h)
                .collect();
            if doomed.is_empty() {
                break;
            }
            for h in doomed {
                self.pending.remove(&h);
                self.refused.insert(h);
                refused.push((h, ChangeRejected::DependsOnRefused));
            }
        }
        (released, refused)
    }

    /// Checks that need nothing but the change itself.
    fn check_static(&self, c: &SignedChange) -> Result<(), ChangeRejected> {
        if u64::try_from(c.change().len()).map_or(true, |n| n > MAX_CHANGE_OPS) {
            return Err(ChangeRejected::TooManyOps);
        }
        if c.council() != self.council {
            return Err(ChangeRejected::WrongCouncil);
        }
        if c.doc() != self.id {
            return Err(ChangeRejected::WrongDocument);
        }
        match parse_actor(c.change().actor_id().to_bytes()) {
            Some((member, _)) if member == c.author() => {}
            _ => return Err(ChangeRejected::ActorNotBound),
        }
        c.verify()?;
        Ok(())
    }

    fn ready(&self, log: &CouncilLog, c: &SignedChange) -> bool {
        c.change()
            .deps()
            .iter()
            .all(|d| *d == self.init || self.by_hash.contains_key(d) || self.is_suspended(d))
            && c.log_heads().iter().all(|h| log.knows(h))
    }

    /// Judges a change whose dependencies are all present, and applies it if valid: to a copy
    /// of the automerge document, which replaces it only if automerge applied the change.
    fn settle(&mut self, log: &CouncilLog, c: SignedChange) -> Result<Settled, ChangeRejected> {
        let hash = c.hash();
        let key = (c.change().actor_id().clone(), c.change().seq());
        if self.equivocated.contains(&key) {
            self.refused.insert(hash);
            return Err(ChangeRejected::Equivocated {
                actor: key.0.to_hex_string(),
                seq: key.1,
            });
        }
        if let Some(other) = self.by_actor_seq.get(&key).copied()
            && other != hash
        {
            // Both are the member's own signed changes (the actor is bound to them): proof, if it
            // is one Council could have taken on its own; junk under a used number is refused
            // as junk, in every order, not taken as proof.
            Self::authorize(log, &self.id, &c)?;
            self.check_alone(&c)?;
            return Ok(Settled::Equivocation(self.equivocate(log, other, c)));
        }
        if let Err(e) = self.judge(log, &c) {
            self.refused.insert(hash);
            return Err(e);
        }
        if let Some(revocation) = log.write_revoked(&c.author(), c.log_heads(), &self.id) {
            // Held aside, judged for what needs no other change; applied if a change by a
            // member in good standing comes to build on it.
            self.check_alone(&c)?;
            self.hold(c);
            return Ok(Settled::Suspended(revocation));
        }
        // A change in good standing vouches for the suspended changes it builds on.
        self.unsuspend_for(log, &c)?;
        self.apply_one(c)?;
        Ok(Settled::Applied)
    }

    /// Applies, dependencies first, the suspended changes that `c` builds on.
    fn unsuspend_for(&mut self, log: &CouncilLog, c: &SignedChange) -> Result<(), ChangeRejected> {
        let _ = log;
        self.unsuspend_closure(c.change().deps().to_vec())
    }

    /// Applies, dependencies first, the suspended changes among `start` and what they build on.
    fn unsuspend_closure(&mut self, start: Vec<ChangeHash>) -> Result<(), ChangeRejected> {
        if self.suspended.is_empty() {
            return Ok(());
        }
        let mut need: HashSet<ChangeHash> = HashSet::new();
        let mut stack = start;
        while let Some(h) = stack.pop() {
            if let Some(s) = self.suspended.iter().find(|s| s.hash() == h)
                && need.insert(h)
            {
                stack.extend(s.change().deps().iter().copied());
            }
        }
        if need.is_empty() {
            return Ok(());
        }
        let (take, keep): (Vec<SignedChange>, Vec<SignedChange>) =
            std::mem::take(&mut self.suspended)
                .into_iter()
                .partition(|s| need.contains(&s.hash()));
        self.suspended = keep;
        for s in take {
            self.apply_one(s)?;
        }
        Ok(())
    }

    /// Checks a change against the schema and applies it to a copy of the automerge document,
    /// which replaces the document only if automerge applied the change.
    fn apply_one(&mut self, c: SignedChange) -> Result<(), ChangeRejected> {
        let hash = c.hash();
        let places = match self.check_schema(&c) {
            Ok(p) => p,
            Err(e) => {
                self.refused.insert(hash);
                return Err(e);
            }
        };
        let change: Change = c.change().clone();
        let mut fork = self.doc.clone();
        let applied = catch_unwind(AssertUnwindSafe(|| {
            fork.apply_changes([change])
                .map(|()| fork.get_change_meta_by_hash(&hash).is_some())
        }));
        match applied {
            Ok(Ok(true)) => {
                self.doc = fork;
                self.record(c, Some(places));
                Ok(())
            }
            outcome => {
                let why = match outcome {
                    Ok(Err(e)) => e.to_string(),
                    Ok(Ok(_)) => "automerge did not apply it".to_string(),
                    Err(_) => "automerge panicked".to_string(),
                };
                self.refused.insert(hash);
                Err(ChangeRejected::Malformed(why))
            }
        }
    }

    /// The log's revocation epoch this document's changes were last judged at.
    pub fn judged_at(&self) -> u64 {
        self.judged_at
    }

    /// Re-judges every held change after the log's revocations changed: a change reached by a
    /// revocation its author had not seen is applied only if a change in good standing builds on
    /// it; the document is rebuilt when that changes what is applied.
    pub fn rejudge(&mut self, log: &CouncilLog) {
        if self.judged_at == log.revocation_epoch() {
            return;
        }
        self.judged_at = log.revocation_epoch();
        let held: Vec<SignedChange> = self
            .accepted
            .iter()
            .chain(&self.suspended)
            .cloned()
            .collect();
        let suspect: HashSet<ChangeHash> = held
            .iter()
            .filter(|c| {
                log.write_revoked(&c.author(), c.log_heads(), &self.id)
                    .is_some()
            })
            .map(SignedChange::hash)
            .collect();
        // Everything a change in good standing builds on is vouched for.
        let by_hash: HashMap<ChangeHash, &SignedChange> =
            held.iter().map(|c| (c.hash(), c)).collect();
        let mut valid: HashSet<ChangeHash> = HashSet::new();
        let mut stack: Vec<ChangeHash> = held
            .iter()
            .map(SignedChange::hash)
            .filter(|h| !suspect.contains(h))
            .collect();
        while let Some(h) = stack.pop() {
            if valid.insert(h)
                && let Some(c) = by_hash.get(&h)
            {
                stack.extend(c.change().deps().iter().copied());
            }
        }
        let applied: HashSet<ChangeHash> = self.accepted.iter().map(SignedChange::hash).collect();
        let want: HashSet<ChangeHash> = held
            .iter()
            .map(SignedChange::hash)
            .filter(|h| valid.contains(h))
            .collect();
        if applied == want {
            return;
        }
        let Some(mut fresh) = self.emptied() else {
            return;
        };
        for c in held {
            if want.contains(&c.hash()) {
                // Each passed these checks when it arrived; one that fails now stays out.
                let _ = fresh.apply_one(c);
            } else {
                fresh.hold(c);
            }
        }
        *self = fresh;
    }

    /// Checks that a change whose dependencies are all accepted writes only what Council's edits
    /// write here, naming only operations of its causal past; returns where its operations are.
    fn check_schema(&mut self, c: &SignedChange) -> Result<Vec<validate::Place>, ChangeRejected> {
        let expanded = validate::expand(c.change())?;
        let scanned = validate::scan(&self.shape, &expanded)?;
        self.index
            .check(c.change(), &scanned.refs, &self.shape, &self.accepted)?;
        Ok(scanned.places)
    }

    fn authorize(log: &CouncilLog, id: &DocId, c: &SignedChange) -> Result<(), ChangeRejected> {
        let state = log
            .state_at(c.log_heads())
            .map_err(|_| ChangeRejected::Unauthorized(Unauthorized::UnknownDocument(*id)))?;
        state.authorize_write(&c.author(), id)?;
        Ok(())
    }

    fn judge(&self, log: &CouncilLog, c: &SignedChange) -> Result<(), ChangeRejected> {
        Self::authorize(log, &self.id, c)?;
        for d in c.change().deps() {
            if let Some(dep) = self.change(d)
                && !log.covers(c.log_heads(), dep.log_heads())
            {
                return Err(ChangeRejected::LogRegression);
            }
        }
        Ok(())
    }

    /// Takes `earlier` (accepted) and every accepted change that builds on it out of the
    /// document, keeps `earlier` and `proof` (same actor and sequence number) as evidence, and
    /// rebuilds the document from the changes that remain. Returns what was taken out.
    fn equivocate(
        &mut self,
        log: &CouncilLog,
        earlier: ChangeHash,
        proof: SignedChange,
    ) -> Vec<ChangeHash> {
        let key = (proof.change().actor_id().clone(), proof.change().seq());
        let mut out: HashSet<ChangeHash> = HashSet::from([earlier]);
        for c in &self.accepted {
            if c.change().deps().iter().any(|d| out.contains(d)) {
                out.insert(c.hash());
            }
        }
        let keep: Vec<SignedChange> = self
            .accepted
            .iter()
            .filter(|c| !out.contains(&c.hash()))
            .cloned()
            .collect();
        let first = self
            .change(&earlier)
            .or_else(|| self.suspended.iter().find(|c| c.hash() == earlier))
            .cloned();
        let Some(mut fresh) = self.emptied() else {
            return Vec::new();
        };
        fresh.equivocated.insert(key);
        fresh.refused.extend(out.iter().copied());
        fresh.refused.insert(proof.hash());
        for c in std::mem::take(&mut self.suspended) {
            if c.hash() == earlier {
                continue;
            }
            if c.change().deps().iter().any(|d| out.contains(d)) {
                out.insert(c.hash());
                fresh.refused.insert(c.hash());
            } else {
                fresh.hold(c);
            }
        }
        for k in keep {
            // Each was accepted on these same checks; one that now fails is left out too.
            if fresh.settle(log, k.clone()).is_err() {
                out.insert(k.hash());
            }
        }
        fresh.evidence.extend(first);
        fresh.evidence.push(proof);
        *self = fresh;
        let mut voided: Vec<ChangeHash> = out.into_iter().collect();
        voided.sort();
        voided
    }

    /// The checks a change passes without its dependencies (its operations expand and write only
    /// what this kind's schema allows); a refusal is remembered.
    fn check_alone(&mut self, c: &SignedChange) -> Result<(), ChangeRejected> {
        let verdict =
            validate::expand(c.change()).and_then(|e| validate::scan(&self.shape, &e).map(|_| ()));
        verdict.map_err(|e| {
            self.refused.insert(c.hash());
            e.into()
        })
    }

    /// Holds a change aside without applying it (see [`Received::Suspended`]); its actor and
    /// sequence number count for equivocation like an applied change's.
    fn hold(&mut self, c: SignedChange) {
        self.by_actor_seq
            .insert((c.change().actor_id().clone(), c.change().seq()), c.hash());
        self.suspended.push(c);
    }

    /// An empty copy of this document that keeps its verdicts (refusals, equivocations and their
    /// evidence, waiting changes, the epoch judged at), taking them from `self`: what a rebuild
    /// applies the remaining changes to.
    fn emptied(&mut self) -> Option<Document> {
        let mut fresh = Document::with_kind(self.council, self.id, self.kind).ok()?;
        fresh.equivocated = std::mem::take(&mut self.equivocated);
        fresh.evidence = std::mem::take(&mut self.evidence);
        fresh.refused = std::mem::take(&mut self.refused);
        fresh.pending = std::mem::take(&mut self.pending);
        fresh.judged_at = self.judged_at;
        Some(fresh)
    }

    /// Compact saved form of the document (for storage next to the signed changes), or why
    /// automerge could not make it.
    pub fn try_save(&self) -> Result<Vec<u8>, EditError> {
        guard("saving", || Ok(self.doc.save()))
    }

    /// Like [`Document::try_save`], but empty if automerge panics (the signed changes, which
    /// rebuild the document, are the record; the saved form only speeds loading).
    pub fn save(&self) -> Vec<u8> {
        self.try_save().unwrap_or_default()
    }

    /// Members whose devices wrote this document, with their devices.
    pub fn writers(&self) -> Vec<(MemberId, DeviceId)> {
        let mut w: Vec<(MemberId, DeviceId)> = self
            .accepted
            .iter()
            .filter_map(|c| parse_actor(c.change().actor_id().to_bytes()))
            .collect();
        w.sort();
        w.dedup();
        w
    }
}

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod revocation_tests;
