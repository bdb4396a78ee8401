//! One peer's whole view of a council: the log, every document and every session, fed by signed
//! items in any order. This is what the sync layer stores and serves; it decides nothing on its
//! own beyond the checks of [`CouncilLog`], [`Document`] and [`Session`].

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

use crate::council::SignedGenesis;
use crate::document::{ChangeRejected, Document, Received, SignedChange};
use crate::log::{CouncilLog, DocId, Inserted, OpRejected, SignedOp};
use crate::parking::{ParkRefused, Parking};
use crate::session::{
    self, BallotId, FromLogError, PollId, Refused, Session, SessionId, SignedBallot,
    SignedStatement, StatementId, StatementKind,
};

/// A signed item as peers exchange it.
// Items are moved one at a time between the network, the replica and the store; boxing the
// larger variant would add an allocation per item for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Item {
    /// A council log operation.
    Op(SignedOp),
    /// A document change.
    Change(SignedChange),
    /// A session statement (the opening of a session, or anything said in it).
    Statement(SignedStatement),
    /// A ballot in a poll of a session.
    Ballot(SignedBallot),
}

const TAG_OP: u8 = 0;
const TAG_CHANGE: u8 = 1;
const TAG_STATEMENT: u8 = 2;
const TAG_BALLOT: u8 = 3;

impl Item {
    /// The item's bytes: a kind tag (0 log operation, 1 change, 2 statement, 3 ballot), then
    /// its signed wire form. The same bytes are stored on disk and sent to peers.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (tag, bytes) = match self {
            Item::Op(op) => (TAG_OP, op.to_bytes()),
            Item::Change(c) => (TAG_CHANGE, c.to_bytes()),
            Item::Statement(st) => (TAG_STATEMENT, st.to_bytes()),
            Item::Ballot(b) => (TAG_BALLOT, b.to_bytes()),
        };
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(tag);
        out.extend_from_slice(&bytes);
        out
    }

    /// Parses [`Item::to_bytes`]; says what is wrong with bytes that are not an item. Does not
    /// check signatures or rights: [`Replica::receive`] does.
    pub fn from_bytes(bytes: &[u8]) -> Result<Item, String> {
        match bytes.split_first() {
            Some((&TAG_OP, rest)) => SignedOp::from_bytes(rest)
                .map(Item::Op)
                .map_err(|e| e.to_string()),
            Some((&TAG_CHANGE, rest)) => SignedChange::from_bytes(rest)
                .map(Item::Change)
                .map_err(|e| e.to_string()),
            Some((&TAG_STATEMENT, rest)) => SignedStatement::from_bytes(rest)
                .map(Item::Statement)
                .map_err(|e| e.to_string()),
            Some((&TAG_BALLOT, rest)) => SignedBallot::from_bytes(rest)
                .map(Item::Ballot)
                .map_err(|e| e.to_string()),
            Some((tag, _)) => Err(format!("unknown item kind {tag}")),
            None => Err("empty item".into()),
        }
    }
}

/// Why an item was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemRejected {
    /// A refused log operation.
    #[error(transparent)]
    Op(#[from] OpRejected),
    /// A refused change.
    #[error(transparent)]
    Change(#[from] ChangeRejected),
    /// A refused session statement or ballot (for an opening, also: its body does not exist at
    /// the log heads it names).
    #[error(transparent)]
    Session(#[from] FromLogError),
    /// It waits for something this peer lacks and was not kept aside (see [`crate::parking`]):
    /// not a verdict on the item, which its sender offers again later.
    #[error(transparent)]
    NotParked(#[from] ParkRefused),
}

impl From<Refused> for ItemRejected {
    fn from(r: Refused) -> Self {
        ItemRejected::Session(FromLogError::Refused(r))
    }
}

/// What became of an accepted or parked item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now (with whatever it unblocked).
    Applied,
    /// Already held.
    Duplicate,
    /// Waiting for something it depends on.
    Pending,
}

/// A peer's council: log, documents, sessions, and what waits for a document, a session or a poll
/// not yet known.
#[derive(Debug)]
pub struct Replica {
    log: CouncilLog,
    docs: BTreeMap<DocId, Document>,
    orphans: HashMap<DocId, Vec<SignedChange>>,
    sessions: BTreeMap<SessionId, Session>,
    /// Openings whose log heads this replica does not hold yet.
    openings: HashMap<SessionId, SignedStatement>,
    /// Statements of sessions not opened yet.
    orphan_statements: HashMap<SessionId, BTreeMap<StatementId, SignedStatement>>,
    /// Ballots of polls no session holds yet.
    orphan_ballots: HashMap<PollId, BTreeMap<BallotId, SignedBallot>>,
    /// The accounts of everything waiting here (changes of unknown documents, openings,
    /// statements and ballots of sessions or polls not held yet).
    parking: Parking,
    /// Which session holds a poll, learnt as ballots are routed.
    poll_sessions: HashMap<PollId, SessionId>,
    /// Sessions whose opening a revocation of its chair reaches (one the opening had not seen),
    /// with that revocation: held and passed on, but of no effect (see
    /// [`Replica::session_revoked`]).
    held_sessions: BTreeMap<SessionId, crate::log::OpId>,
    /// The log's revocation epoch the sessions were last judged at.
    sessions_judged_at: u64,
}

impl Replica {
    /// A replica holding only the genesis.
    pub fn new(genesis: SignedGenesis) -> Self {
        Replica {
            log: CouncilLog::new(genesis),
            docs: BTreeMap::new(),
            orphans: HashMap::new(),
            sessions: BTreeMap::new(),
            openings: HashMap::new(),
            orphan_statements: HashMap::new(),
            orphan_ballots: HashMap::new(),
            parking: Parking::default(),
            poll_sessions: HashMap::new(),
            held_sessions: BTreeMap::new(),
            sessions_judged_at: 0,
        }
    }

    /// The log.
    pub fn log(&self) -> &CouncilLog {
        &self.log
    }

    /// The log, for local operations.
    pub fn log_mut(&mut self) -> &mut CouncilLog {
        &mut self.log
    }

    /// The documents known (created by an accepted operation).
    pub fn documents(&self) -> &BTreeMap<DocId, Document> {
        &self.docs
    }

    /// One document, created empty on first use if the log knows it.
    pub fn document_mut(&mut self, id: &DocId) -> Option<(&CouncilLog, &mut Document)> {
        self.refresh();
        self.ensure_doc(id);
        let doc = self.docs.get_mut(id)?;
        Some((&self.log, doc))
    }

    /// The sessions known (opened by an accepted opening statement), by id.
    pub fn sessions(&self) -> &BTreeMap<SessionId, Session> {
        &self.sessions
    }

    /// One session.
    pub fn session(&self, id: &SessionId) -> Option<&Session> {
        self.sessions.get(id)
    }

    /// The revocation that voids session `id`, if one does: its chair was removed (or lost the
    /// chair's role) by an operation that the log heads the opening names had not seen, and no
    /// other participant in good standing took part in it. Such a session is held and passed on
    /// (peers reach the same verdict) but nothing in it counts: views, minutes, the public site
    /// and `council verify` leave it out and say so.
    pub fn session_revoked(&self, id: &SessionId) -> Option<crate::log::OpId> {
        self.held_sessions.get(id).copied()
    }

    /// The sessions that count: every session but those [`Replica::session_revoked`] voids.
    pub fn live_sessions(&self) -> impl Iterator<Item = (&SessionId, &Session)> {
        self.sessions
            .iter()
            .filter(|(id, _)| !self.held_sessions.contains_key(id))
    }

    /// Judges whether a revocation of its chair voids session `sid` (see
    /// [`Replica::session_revoked`]).
    fn judge_session(&mut self, sid: &SessionId) {
        let Some(s) = self.sessions.get(sid) else {
            return;
        };
        let Some(open) = s.get(sid) else { return };
        let StatementKind::OpenSession {
            body, log_heads, ..
        } = &open.statement().kind
        else {
            return;
        };
        let opener = open.statement().author;
        let council = self.log.council_id();
        let body = *body;
        let reached = self.log.act_revoked(&opener, log_heads, |st| {
            crate::session::BodyContext::from_state(council, st, body)
                .is_ok_and(|ctx| ctx.is_chair(&opener))
        });
        let vouched = reached.is_some()
            && s.statements().iter().any(|st| {
                let a = st.statement().author;
                a != opener
                    && self
                        .log
                        .act_revoked(&a, log_heads, |state| state.writer(&a).is_ok())
                        .is_none()
            });
        match reached {
            Some(r) if !vouched => {
                self.held_sessions.insert(*sid, r);
            }
            _ => {
                self.held_sessions.remove(sid);
            }
        }
    }

    /// Re-judges every session after the log's revocations changed.
    fn judge_sessions(&mut self) {
        if self.sessions_judged_at == self.log.revocation_epoch() {
            return;
        }
        self.sessions_judged_at = self.log.revocation_epoch();
        let ids: Vec<SessionId> = self.sessions.keys().copied().collect();
        for id in ids {
            self.judge_session(&id);
        }
    }

    /// One session, for local statements and ballots ([`Session::create`],
    /// [`Session::insert_ballot`]). What they produce is already held here, so receiving it
    /// again reports a duplicate: persist it directly (the sync crate's `Node::persist`).
    pub fn session_mut(&mut self, id: &SessionId) -> Option<&mut Session> {
        self.refresh();
        self.sessions.get_mut(id)
    }

    /// Re-judges documents and sessions if the log's revocations changed since they were last
    /// judged (a local operation made through [`Replica::log_mut`] does not pass through
    /// [`Replica::receive`]): called before every write and every received item.
    fn refresh(&mut self) {
        let epoch = self.log.revocation_epoch();
        if self.sessions_judged_at == epoch && self.docs.values().all(|d| d.judged_at() == epoch) {
            return;
        }
        for doc in self.docs.values_mut() {
            doc.rejudge(&self.log);
        }
        self.judge_sessions();
    }

    /// Items waiting for something (log operations, changes, changes of unknown documents,
    /// statements and ballots waiting for what they follow).
    pub fn pending_len(&self) -> usize {
        self.log.pending_len()
            + self.docs.values().map(Document::pending_len).sum::<usize>()
            + self.parking.len()
            + self
                .sessions
                .values()
                .map(Session::pending_len)
                .sum::<usize>()
    }

    /// Bytes of the items waiting here for a document, a session or a poll not held yet: what a
    /// flood of waiting items costs (bounded, see [`crate::parking`]).
    pub fn parked_bytes(&self) -> usize {
        self.parking.bytes()
    }

    /// Receives one item.
    pub fn receive(&mut self, item: Item) -> Result<Outcome, ItemRejected> {
        self.refresh();
        match item {
            Item::Op(op) => {
                let r = self.log.insert(op).map_err(|e| match e {
                    OpRejected::NotParked(p) => ItemRejected::NotParked(p),
                    e => ItemRejected::Op(e),
                })?;
                Ok(match r {
                    Inserted::Accepted { .. } => {
                        self.after_log_change();
                        Outcome::Applied
                    }
                    Inserted::Duplicate => Outcome::Duplicate,
                    Inserted::Pending { .. } => Outcome::Pending,
                })
            }
            Item::Change(c) => {
                let id = c.doc();
                if !self.docs.contains_key(&id) && !self.log.state().documents.contains_key(&id) {
                    if c.council() != self.log.council_id() {
                        return Err(ChangeRejected::WrongCouncil.into());
                    }
                    if self
                        .orphans
                        .get(&id)
                        .is_some_and(|l| l.iter().any(|x| x.hash() == c.hash()))
                    {
                        return Ok(Outcome::Duplicate);
                    }
                    c.verify().map_err(ChangeRejected::BadSignature)?;
                    self.parking
                        .admit(self.log.state(), &c.author(), c.to_bytes().len())?;
                    self.orphans.entry(id).or_default().push(c);
                    return Ok(Outcome::Pending);
                }
                self.ensure_doc(&id);
                let Some(doc) = self.docs.get_mut(&id) else {
                    return Ok(Outcome::Pending);
                };
                Ok(match doc.receive(&self.log, c)? {
                    Received::Applied { .. }
                    | Received::Equivocation { .. }
                    | Received::Suspended { .. } => Outcome::Applied,
                    Received::Duplicate => Outcome::Duplicate,
                    Received::Pending => Outcome::Pending,
                })
            }
            Item::Statement(st) => self.receive_statement(st),
            Item::Ballot(b) => self.receive_ballot(b),
        }
    }

    fn receive_statement(&mut self, st: SignedStatement) -> Result<Outcome, ItemRejected> {
        if st.statement().council != self.log.council_id() {
            return Err(Refused::WrongCouncil.into());
        }
        let sid = st.session_id();
        if matches!(st.statement().kind, StatementKind::OpenSession { .. }) {
            if self.sessions.contains_key(&sid) || self.openings.contains_key(&sid) {
                return Ok(Outcome::Duplicate);
            }
            return match Session::from_log(&self.log, st.clone()) {
                Ok(s) => {
                    self.install(s);
                    Ok(Outcome::Applied)
                }
                Err(FromLogError::Missing(_)) => {
                    // The log heads it names have not arrived yet: park it, checked, until they do.
                    st.verify().map_err(Refused::from)?;
                    self.parking.admit(
                        self.log.state(),
                        &st.statement().author,
                        st.to_bytes().len(),
                    )?;
                    self.openings.insert(sid, st);
                    Ok(Outcome::Pending)
                }
                Err(e) => Err(e.into()),
            };
        }
        if let Some(s) = self.sessions.get_mut(&sid) {
            let r = s.insert(st)?;
            if self.held_sessions.contains_key(&sid) {
                // A participant in good standing taking part vouches for the session.
                self.judge_session(&sid);
            }
            return Ok(match r {
                session::Received::Accepted | session::Received::Equivocation { .. } => {
                    self.release_ballots(sid);
                    Outcome::Applied
                }
                session::Received::Duplicate => Outcome::Duplicate,
                session::Received::Pending { .. } => Outcome::Pending,
            });
        }
        if self
            .orphan_statements
            .get(&sid)
            .is_some_and(|m| m.contains_key(&st.id()))
        {
            return Ok(Outcome::Duplicate);
        }
        st.verify().map_err(Refused::from)?;
        self.parking.admit(
            self.log.state(),
            &st.statement().author,
            st.to_bytes().len(),
        )?;
        self.orphan_statements
            .entry(sid)
            .or_default()
            .insert(st.id(), st);
        Ok(Outcome::Pending)
    }

    fn receive_ballot(&mut self, b: SignedBallot) -> Result<Outcome, ItemRejected> {
        let poll = b.ballot().poll;
        let Some(sid) = self.session_of(&poll) else {
            if self
                .orphan_ballots
                .get(&poll)
                .is_some_and(|m| m.contains_key(&b.id()))
            {
                return Ok(Outcome::Duplicate);
            }
            b.verify().map_err(Refused::from)?;
            self.parking
                .admit(self.log.state(), &b.ballot().voter, b.to_bytes().len())?;
            self.orphan_ballots
                .entry(poll)
                .or_default()
                .insert(b.id(), b);
            return Ok(Outcome::Pending);
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Ok(Outcome::Pending);
        };
        Ok(match s.insert_ballot(b)? {
            session::Received::Accepted | session::Received::Equivocation { .. } => {
                Outcome::Applied
            }
            session::Received::Duplicate => Outcome::Duplicate,
            session::Received::Pending { .. } => Outcome::Pending,
        })
    }

    /// A ballot for `poll` signed by `key`, naming what this replica has seen of the poll's
    /// session ([`Session::ballot`]); `None` if no session held here holds the poll. Builds the
    /// item only: it enters the replica like any received one.
    pub fn ballot(
        &self,
        key: &crate::identity::SecretKey,
        poll: &PollId,
        seq: u32,
        choice: crate::session::Choice,
    ) -> Option<SignedBallot> {
        let sid = self.holder_of(poll)?;
        Some(self.sessions.get(&sid)?.ballot(key, *poll, seq, choice))
    }

    /// The session holding the statement `poll`, if any (from the cache, else by a search).
    fn holder_of(&self, poll: &PollId) -> Option<SessionId> {
        self.poll_sessions.get(poll).copied().or_else(|| {
            self.sessions
                .iter()
                .find(|(_, s)| s.get(poll).is_some())
                .map(|(id, _)| *id)
        })
    }

    /// The session holding the statement `poll`, if any, remembered for the next ballot.
    fn session_of(&mut self, poll: &PollId) -> Option<SessionId> {
        let sid = self.holder_of(poll)?;
        self.poll_sessions.insert(*poll, sid);
        Some(sid)
    }

    /// Takes in a newly opened session with whatever waited for it.
    fn install(&mut self, s: Session) {
        let sid = s.id();
        self.sessions.insert(sid, s);
        self.judge_session(&sid);
        if let Some(list) = self.orphan_statements.remove(&sid)
            && let Some(s) = self.sessions.get_mut(&sid)
        {
            for (_, st) in list {
                self.parking
                    .release(&st.statement().author, st.to_bytes().len());
                // Refusals of orphans are final and need no answer: their sender is gone.
                let _ = s.insert(st);
            }
        }
        self.release_ballots(sid);
        self.judge_session(&sid);
    }

    /// Hands the session `sid` the waiting ballots of polls it now holds.
    fn release_ballots(&mut self, sid: SessionId) {
        if self.orphan_ballots.is_empty() {
            return;
        }
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        let polls: Vec<PollId> = self
            .orphan_ballots
            .keys()
            .filter(|p| s.get(p).is_some())
            .copied()
            .collect();
        for poll in polls {
            self.poll_sessions.insert(poll, sid);
            if let Some(list) = self.orphan_ballots.remove(&poll) {
                for (_, b) in list {
                    self.parking.release(&b.ballot().voter, b.to_bytes().len());
                    // Refusals of orphans are final and need no answer: their sender is gone.
                    let _ = s.insert_ballot(b);
                }
            }
        }
    }

    /// Opens the sessions whose openings waited for log operations that have now arrived.
    fn retry_openings(&mut self) {
        if self.openings.is_empty() {
            return;
        }
        let ids: Vec<SessionId> = self.openings.keys().copied().collect();
        for id in ids {
            let Some(open) = self.openings.get(&id) else {
                continue;
            };
            match Session::from_log(&self.log, open.clone()) {
                Err(FromLogError::Missing(_)) => {}
                r => {
                    if let Some(open) = self.openings.remove(&id) {
                        self.parking
                            .release(&open.statement().author, open.to_bytes().len());
                    }
                    // A refusal is final: the opening names heads whose body does not exist.
                    if let Ok(s) = r {
                        self.install(s);
                    }
                }
            }
        }
    }

    /// Creates the (empty) document `id` if the log knows it and it does not exist yet: one
    /// lookup, where [`Replica::ensure_docs`] walks every document the log knows, which made
    /// each received change cost as much as the number of documents in the council.
    fn ensure_doc(&mut self, id: &DocId) {
        if self.docs.contains_key(id) {
            return;
        }
        let council = self.log.council_id();
        if let Some(meta) = self.log.state().documents.get(id)
            && let Ok(d) = Document::with_kind(council, *id, meta.spec.kind())
        {
            self.docs.insert(*id, d);
        }
    }

    fn ensure_docs(&mut self) {
        let missing: Vec<DocId> = self
            .log
            .state()
            .documents
            .keys()
            .filter(|id| !self.docs.contains_key(id))
            .copied()
            .collect();
        for id in missing {
            self.ensure_doc(&id);
        }
    }

    fn after_log_change(&mut self) {
        self.ensure_docs();
        let ids: Vec<DocId> = self.orphans.keys().copied().collect();
        for id in ids {
            if let Some(doc) = self.docs.get_mut(&id)
                && let Some(list) = self.orphans.remove(&id)
            {
                for c in list {
                    self.parking.release(&c.author(), c.to_bytes().len());
                    // Refusals of orphans are final and need no answer: their sender is gone.
                    let _ = doc.receive(&self.log, c);
                }
            }
        }
        for doc in self.docs.values_mut() {
            // A revocation that arrived (or turned void) re-judges what it reaches.
            doc.rejudge(&self.log);
            if doc.pending_len() > 0 {
                doc.retry(&self.log);
            }
        }
        self.retry_openings();
        self.judge_sessions();
    }

    /// How many accepted items this replica holds (log operations, document changes, session
    /// statements and ballots), without copying them: a cheap progress measure.
    pub fn item_count(&self) -> usize {
        self.log.len()
            + self
                .docs
                .values()
                .map(|d| d.changes().len() + d.suspended().len() + d.evidence().len())
                .sum::<usize>()
            + self
                .sessions
                .values()
                .map(|s| s.statement_count() + s.ballot_count())
                .sum::<usize>()
    }

    /// Every accepted item, in an order any peer can apply without parking anything: the log
    /// first, then each document's changes, then each session's statements (parents first) and
    /// its ballots.
    pub fn items(&self) -> Vec<Item> {
        let mut out: Vec<Item> = self.log.ops().cloned().map(Item::Op).collect();
        for d in self.docs.values() {
            out.extend(d.changes().iter().cloned().map(Item::Change));
            out.extend(d.suspended().iter().cloned().map(Item::Change));
            out.extend(d.evidence().iter().cloned().map(Item::Change));
        }
        for s in self.sessions.values() {
            let statements = s.statements();
            let polls: Vec<PollId> = statements
                .iter()
                .filter(|st| matches!(st.statement().kind, StatementKind::OpenPoll(_)))
                .map(|st| st.id())
                .collect();
            out.extend(statements.into_iter().cloned().map(Item::Statement));
            for p in &polls {
                out.extend(s.ballots(p).cloned().map(Item::Ballot));
            }
        }
        out
    }
}

mod binding;
mod order;
#[cfg(test)]
mod tests;

pub use binding::TextBinding;
pub use order::causal_order;
