//! A peer's copy of one session: the statements and ballots it holds, and the state they imply.
//!
//! Statements name their parents (the session heads their author had seen), so they form a DAG
//! rooted at the opening. The state is a pure function of the set of statements held: they are
//! folded in the deterministic order `(depth, id)` (depth = one more than the deepest parent),
//! each judged against the state the fold has reached. Presence and recusals that a poll's
//! opening or closing commits to are judged against the statement's causal past instead, which
//! its author had seen. Statements whose parents are missing wait, unapplied.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use thiserror::Error;

use crate::hash::Hash;
use crate::identity::{MemberId, SecretKey, SignatureError};
use crate::log::{CouncilLog, DocId, MissingOps, Unauthorized};
use crate::rules::{Counts, MajorityRule};

use super::ballot::{Ballot, BallotId, Choice, SignedBallot};
use super::context::BodyContext;
use super::past::CausalOrder;
use super::statement::{
    AgendaItem, Body, FloorKind, PollClose, PollId, PollOpen, SessionId, SignedStatement,
    Statement, StatementId, StatementKind,
};
use super::tally::{PollInput, TallyError, TallyReport, late_ballots, verify_one_with_late};

/// Most statements and ballots kept waiting for what they follow.
const MAX_PENDING: usize = 100_000;

/// Why a statement or a ballot is refused outright (not stored, not forwarded).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refused {
    /// It belongs to another council.
    #[error("it belongs to another council")]
    WrongCouncil,
    /// It belongs to another session.
    #[error("it belongs to another session")]
    WrongSession,
    /// A second opening of a session.
    #[error("a session has exactly one opening")]
    SecondOpening,
    /// The signature does not verify.
    #[error("bad signature: {0}")]
    BadSignature(#[from] SignatureError),
    /// The author neither chairs nor votes in the body.
    #[error("{0:?} takes no part in this body's sessions")]
    NotAParticipant(MemberId),
    /// The ballot names a statement that is not a poll opening.
    #[error("the ballot names a statement that does not open a poll")]
    NotAPoll,
    /// The ballot's voter is not in the poll's eligible snapshot.
    #[error("{0:?} is not eligible in this poll")]
    NotEligible(MemberId),
    /// Too much is waiting for missing statements.
    #[error("too many items are waiting for missing statements")]
    TooManyPending,
    /// It waits for something this peer lacks and was not kept aside: the room for waiting
    /// items is full, or its author already has as much waiting as one participant may.
    #[error(transparent)]
    NotParked(#[from] crate::parking::ParkRefused),
}

/// What became of a statement or ballot that was not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored; the state now includes it.
    Accepted,
    /// Already held.
    Duplicate,
    /// Held until these statements arrive.
    Pending {
        /// What is missing.
        missing: Vec<StatementId>,
    },
    /// A ballot that contradicts another ballot of the same voter with the same sequence
    /// number: both are kept as evidence and neither counts (see the tally report).
    Equivocation {
        /// The ballot already held.
        earlier: BallotId,
    },
}

/// Why a stored statement has no effect on the session state.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ignored {
    /// Only the chair may do this.
    #[error("only the chair may do this")]
    NotChair,
    /// The member is not a voting member of the body.
    #[error("{0:?} is not a voting member of the body")]
    NotAVoter(MemberId),
    /// Only the member themselves or the chair may record this.
    #[error("only the member or the chair may record this")]
    NotYourself,
    /// The session was already closed.
    #[error("the session is closed")]
    SessionClosed,
    /// No such agenda item.
    #[error("no agenda item {0}")]
    UnknownItem(u32),
    /// The item is not the one in progress.
    #[error("item {0} is not in progress")]
    ItemNotCurrent(u32),
    /// The item is done or removed.
    #[error("item {0} is done or removed")]
    ItemClosed(u32),
    /// Another item is in progress.
    #[error("another item is in progress")]
    AnotherItemInProgress,
    /// The request for the floor is unknown.
    #[error("unknown request for the floor")]
    UnknownRequest,
    /// The request is not waiting (granted, withdrawn or done).
    #[error("the request is not waiting")]
    RequestNotWaiting,
    /// The member already has a waiting request on the item.
    #[error("a request is already waiting")]
    AlreadyRequested,
    /// Only the requester may withdraw.
    #[error("only the requester may do this")]
    NotYourRequest,
    /// Someone else has the floor.
    #[error("someone else has the floor")]
    FloorTaken,
    /// The request does not hold the floor.
    #[error("this request does not hold the floor")]
    NotSpeaking,
    /// Quorum is not present.
    #[error("quorum is not present: {present} of {needed}")]
    NoQuorum {
        /// Present.
        present: u32,
        /// Needed.
        needed: u32,
    },
    /// The poll's seats or quorum differ from the body's.
    #[error("the poll's seats or quorum differ from the rules")]
    WrongSeats,
    /// The rules do not allow this poll to name another majority.
    #[error("the rules do not allow overriding the majority")]
    RuleNotAllowed,
    /// The eligible or recused snapshot differs from presence and declarations in the
    /// statement's causal past.
    #[error("the snapshot of voters does not match the registrations")]
    SnapshotMismatch,
    /// No such poll (or the close does not follow it).
    #[error("unknown poll")]
    UnknownPoll,
    /// The poll was already closed.
    #[error("the poll is already closed")]
    PollClosed,
    /// The declared outcome does not follow from the counts, the rule and quorum.
    #[error("the declared outcome does not follow from the counts and the rule")]
    OutcomeMismatch,
}

impl Ignored {
    /// The reason's name in the record's reports (`docs/format.md` §6, "Why a statement is
    /// ignored"): the same for every implementation, whatever words the reader is shown.
    pub fn code(&self) -> &'static str {
        match self {
            Ignored::NotChair => "not-chair",
            Ignored::NotAVoter(_) => "not-a-voter",
            Ignored::NotYourself => "not-yourself",
            Ignored::SessionClosed => "session-closed",
            Ignored::UnknownItem(_) => "unknown-item",
            Ignored::ItemNotCurrent(_) => "item-not-current",
            Ignored::ItemClosed(_) => "item-closed",
            Ignored::AnotherItemInProgress => "another-item-in-progress",
            Ignored::UnknownRequest => "unknown-request",
            Ignored::RequestNotWaiting => "request-not-waiting",
            Ignored::AlreadyRequested => "already-requested",
            Ignored::NotYourRequest => "not-your-request",
            Ignored::FloorTaken => "floor-taken",
            Ignored::NotSpeaking => "not-speaking",
            Ignored::NoQuorum { .. } => "no-quorum",
            Ignored::WrongSeats => "wrong-seats",
            Ignored::RuleNotAllowed => "rule-not-allowed",
            Ignored::SnapshotMismatch => "snapshot-mismatch",
            Ignored::UnknownPoll => "unknown-poll",
            Ignored::PollClosed => "poll-closed",
            Ignored::OutcomeMismatch => "outcome-mismatch",
        }
    }
}

/// Why a member may not vote in a poll now ([`Session::may_vote`]).
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VoteRefused {
    /// The session holds no such poll.
    #[error("no such poll in this session")]
    UnknownPoll,
    /// The poll is closed.
    #[error("the poll is closed")]
    Closed,
    /// The voter was not registered present, or had declared a conflict of interest, when the
    /// poll opened.
    #[error(
        "you were not registered present (or declared a conflict of interest) when the poll opened"
    )]
    NotEligible,
}

/// A member's registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// Recorded by the chair on the member's behalf.
    pub by_chair: bool,
    /// The statement.
    pub statement: StatementId,
    /// When, by the signer's clock.
    pub time_ms: u64,
}

/// Where an agenda item stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemStatus {
    /// Not started.
    Waiting,
    /// Being discussed.
    InProgress,
    /// Finished.
    Done,
    /// Postponed to a later sitting (may be started again).
    Postponed,
    /// Removed from the agenda.
    Removed {
        /// Why.
        reason: String,
    },
}

/// One agenda item and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    /// The item.
    pub item: AgendaItem,
    /// Its status.
    pub status: ItemStatus,
    /// Members who declared a conflict of interest, with their reason.
    pub conflicts: BTreeMap<MemberId, String>,
}

/// Where a request for the floor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// In the queue.
    Waiting,
    /// Withdrawn by the requester.
    Withdrawn,
    /// Holding the floor.
    Speaking {
        /// When the floor was granted, by the chair's clock.
        granted_ms: u64,
        /// Time allowed.
        limit_ms: u64,
    },
    /// Spoke.
    Done,
}

/// A request for the floor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorRequest {
    /// The request statement.
    pub id: StatementId,
    /// Who asked.
    pub member: MemberId,
    /// On which item.
    pub item: u32,
    /// Kind.
    pub kind: FloorKind,
    /// Status.
    pub status: RequestStatus,
    /// Position in the fold (queue order within a kind class).
    pub order: usize,
}

/// A poll as the session sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollState {
    /// The poll id.
    pub id: PollId,
    /// What the opening says.
    pub open: PollOpen,
    /// What the closing says, once closed.
    pub close: Option<PollClose>,
    /// The closing statement.
    pub close_id: Option<StatementId>,
}

/// The state a set of statements implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// The session.
    pub id: SessionId,
    /// Council or committee.
    pub body: Body,
    /// Its label.
    pub label: String,
    /// Whether the chair closed it.
    pub closed: bool,
    /// Voting members registered present.
    pub present: BTreeMap<MemberId, Registration>,
    /// Seats of the body.
    pub seats: u32,
    /// Members needed present for quorum.
    pub quorum_needed: u32,
    /// The agenda.
    pub items: Vec<ItemState>,
    /// The item in progress.
    pub current_item: Option<u32>,
    /// Requests for the floor, in fold order.
    pub requests: Vec<FloorRequest>,
    /// Polls, in the order opened.
    pub polls: Vec<PollState>,
    /// Statements applied, in fold order.
    pub applied: Vec<StatementId>,
    /// Statements held that have no effect, and why; sorted by id.
    pub ignored: Vec<(StatementId, Ignored)>,
}

impl SessionState {
    /// Whether quorum is present now.
    pub fn quorum_met(&self) -> bool {
        self.present.len() >= self.quorum_needed as usize
    }

    /// Whether the chair may open a poll now (or close one as adopted): quorum is present and
    /// the session is open.
    pub fn may_vote(&self) -> bool {
        !self.closed && self.quorum_met()
    }

    /// Waiting requests in speaking order: points of order first, then in order of request.
    pub fn queue(&self) -> Vec<&FloorRequest> {
        let mut q: Vec<&FloorRequest> = self
            .requests
            .iter()
            .filter(|r| r.status == RequestStatus::Waiting)
            .collect();
        q.sort_by_key(|r| (r.kind != FloorKind::PointOfOrder, r.order));
        q
    }

    /// The request holding the floor.
    pub fn speaker(&self) -> Option<&FloorRequest> {
        self.requests
            .iter()
            .find(|r| matches!(r.status, RequestStatus::Speaking { .. }))
    }

    /// Milliseconds the speaker has left at `now_ms` (negative once over time).
    pub fn remaining_ms(&self, now_ms: u64) -> Option<i64> {
        let s = self.speaker()?;
        let RequestStatus::Speaking {
            granted_ms,
            limit_ms,
        } = s.status
        else {
            return None;
        };
        let end = i128::from(granted_ms) + i128::from(limit_ms);
        i64::try_from(end - i128::from(now_ms)).ok()
    }

    /// A poll by id.
    pub fn poll(&self, id: &PollId) -> Option<&PollState> {
        self.polls.iter().find(|p| p.id == *id)
    }

    /// Polls open now.
    pub fn open_polls(&self) -> impl Iterator<Item = &PollState> {
        self.polls.iter().filter(|p| p.close.is_none())
    }
}

#[derive(Debug, Clone)]
struct Entry {
    st: SignedStatement,
    depth: u64,
}

/// A peer's copy of one session.
#[derive(Debug, Clone)]
pub struct Session {
    ctx: BodyContext,
    id: SessionId,
    statements: HashMap<StatementId, Entry>,
    pending: HashMap<StatementId, SignedStatement>,
    waiting: HashMap<StatementId, Vec<StatementId>>,
    ballots: BTreeMap<PollId, BTreeMap<BallotId, SignedBallot>>,
    /// Statements no held statement follows, kept as statements are stored (a statement is
    /// stored only after its parents, so it never follows a held one).
    heads: BTreeSet<StatementId>,
    /// For each poll, the first ballot held under each `(voter, seq)`: finds an equivocation in
    /// one lookup instead of a scan of every ballot of the poll (which made a voter's flood of
    /// ballots quadratic).
    by_voter_seq: HashMap<PollId, HashMap<(MemberId, u32), BallotId>>,
    /// Ballots waiting for a statement (their poll's opening, or one they name as seen), by the
    /// first such statement missing when they arrived.
    pending_ballots: BTreeMap<StatementId, BTreeMap<BallotId, SignedBallot>>,
    pending_ballot_count: usize,
    /// The accounts of `pending` and `pending_ballots`, in items and bytes, per author.
    parking: crate::parking::Parking,
    state: SessionState,
    /// The fold-order key (depth, id) of the last statement folded into `state`: a statement
    /// that sorts after it is folded on top; one that sorts before it means folding again.
    fold_end: (u64, StatementId),
    /// Which ballots of each closed poll were cast after its close, for the statements and
    /// ballots held when it was computed.
    late: LateCache,
}

/// The late ballots of every closed poll of a session, worked out for all polls at once (one
/// walk per 64 closes, see [`super::past::ReachingMany`]) and kept until a statement or a
/// ballot is added: asking for each poll's report one by one would otherwise walk the session
/// once per poll. Statements and ballots are only ever added, so their numbers date it. A
/// copy of a session starts without it.
#[derive(Debug, Default)]
struct LateCache(std::sync::Mutex<Option<LateSets>>);

/// The late ballots by poll, with the numbers of statements and ballots they were worked out for.
type LateSets = (
    (usize, usize),
    std::sync::Arc<BTreeMap<PollId, BTreeSet<BallotId>>>,
);

impl Clone for LateCache {
    fn clone(&self) -> Self {
        LateCache::default()
    }
}

/// A session answers who follows whom from the statements it stores, without a copy.
impl CausalOrder for Session {
    fn parents_of(&self, id: &StatementId) -> Option<&[StatementId]> {
        self.statements
            .get(id)
            .map(|e| &e.st.statement().parents[..])
    }
}

impl Session {
    /// A session from its opening and the context of its body. The opening must verify, belong
    /// to `ctx.council`, and be signed by a chair of the body.
    pub fn new(ctx: BodyContext, open: SignedStatement) -> Result<Self, Refused> {
        let st = open.statement();
        if !matches!(st.kind, StatementKind::OpenSession { .. }) {
            return Err(Refused::WrongSession);
        }
        if st.council != ctx.council {
            return Err(Refused::WrongCouncil);
        }
        open.verify()?;
        if !ctx.is_chair(&st.author) {
            return Err(Refused::NotAParticipant(st.author));
        }
        let id = open.id();
        let mut statements = HashMap::new();
        statements.insert(id, Entry { st: open, depth: 0 });
        let mut s = Session {
            state: empty_state(&ctx, id, &statements),
            ctx,
            id,
            statements,
            pending: HashMap::new(),
            waiting: HashMap::new(),
            ballots: BTreeMap::new(),
            by_voter_seq: HashMap::new(),
            heads: BTreeSet::from([id]),
            pending_ballots: BTreeMap::new(),
            parking: crate::parking::Parking::default(),
            pending_ballot_count: 0,
            fold_end: (0, id),
            late: LateCache::default(),
        };
        s.recompute();
        Ok(s)
    }

    /// A session whose body context is read from the council log at the heads the opening
    /// names.
    pub fn from_log(log: &CouncilLog, open: SignedStatement) -> Result<Self, FromLogError> {
        let StatementKind::OpenSession {
            body, log_heads, ..
        } = &open.statement().kind
        else {
            return Err(FromLogError::Refused(Refused::WrongSession));
        };
        let state = log.state_at(log_heads)?;
        let ctx = BodyContext::from_state(log.council_id(), &state, *body)?;
        Ok(Session::new(ctx, open)?)
    }

    /// The session id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The body's context.
    pub fn context(&self) -> &BodyContext {
        &self.ctx
    }

    /// The current state.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// The parents a new statement names: [`Session::heads`], or, past [`crate::log::MAX_PARENTS`] of them
    /// (only a flood of concurrent statements makes that), the deepest of them, so that
    /// no decoder refuses what this device signs.
    pub fn write_heads(&self) -> Vec<StatementId> {
        crate::log::deepest(self.heads(), |h| {
            self.statements.get(h).map_or(0, |e| e.depth)
        })
    }

    /// The session's heads: statements no other held statement follows. New statements name
    /// these as parents (through [`Session::write_heads`]).
    pub fn heads(&self) -> Vec<StatementId> {
        self.heads.iter().copied().collect()
    }

    /// How many statements the session holds (the opening included), without ordering them.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// How many ballots the session holds for its polls, changed votes and evidence included.
    pub fn ballot_count(&self) -> usize {
        self.ballots.values().map(BTreeMap::len).sum()
    }

    /// Statements held (applied or ignored), parents before children.
    pub fn statements(&self) -> Vec<&SignedStatement> {
        let mut v: Vec<&Entry> = self.statements.values().collect();
        v.sort_by_key(|e| (e.depth, e.st.id()));
        v.into_iter().map(|e| &e.st).collect()
    }

    /// A held statement.
    pub fn get(&self, id: &StatementId) -> Option<&SignedStatement> {
        self.statements.get(id).map(|e| &e.st)
    }

    /// Statements waiting for parents.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Ballots held for a poll.
    pub fn ballots(&self, poll: &PollId) -> impl Iterator<Item = &SignedBallot> {
        self.ballots.get(poll).into_iter().flat_map(|m| m.values())
    }

    /// Receives a statement from anywhere.
    pub fn insert(&mut self, st: SignedStatement) -> Result<Received, Refused> {
        let id = st.id();
        if self.statements.contains_key(&id) || self.pending.contains_key(&id) {
            return Ok(Received::Duplicate);
        }
        let s = st.statement();
        if s.council != self.ctx.council {
            return Err(Refused::WrongCouncil);
        }
        if matches!(s.kind, StatementKind::OpenSession { .. }) {
            return Err(Refused::SecondOpening);
        }
        if s.session != self.id {
            return Err(Refused::WrongSession);
        }
        st.verify()?;
        if !self.ctx.is_chair(&s.author) && !self.ctx.is_voter(&s.author) {
            return Err(Refused::NotAParticipant(s.author));
        }
        let missing: Vec<StatementId> = s
            .parents
            .iter()
            .filter(|p| !self.statements.contains_key(*p))
            .copied()
            .collect();
        if !missing.is_empty() {
            if self.pending.len() >= MAX_PENDING {
                return Err(Refused::TooManyPending);
            }
            self.parking
                .admit_participant(&s.author, st.to_bytes().len())?;
            for m in &missing {
                self.waiting.entry(*m).or_default().push(id);
            }
            self.pending.insert(id, st);
            return Ok(Received::Pending { missing });
        }
        self.store(st);
        let mut stored = vec![id];
        let mut ready = vec![id];
        while let Some(done) = ready.pop() {
            for w in self.waiting.remove(&done).unwrap_or_default() {
                let all = self.pending.get(&w).is_some_and(|p| {
                    p.statement()
                        .parents
                        .iter()
                        .all(|p| self.statements.contains_key(p))
                });
                if all && let Some(p) = self.pending.remove(&w) {
                    self.parking
                        .release(&p.statement().author, p.to_bytes().len());
                    self.store(p);
                    stored.push(w);
                    ready.push(w);
                }
            }
        }
        self.fold_in(stored);
        Ok(Received::Accepted)
    }

    fn store(&mut self, st: SignedStatement) {
        let id = st.id();
        let depth = 1 + st
            .statement()
            .parents
            .iter()
            .filter_map(|p| self.statements.get(p).map(|e| e.depth))
            .max()
            .unwrap_or(0);
        for p in &st.statement().parents {
            self.heads.remove(p);
        }
        self.heads.insert(id);
        self.statements.insert(id, Entry { st, depth });
        if let Some(bs) = self.pending_ballots.remove(&id) {
            self.pending_ballot_count -= bs.len();
            for (_, b) in bs {
                self.parking.release(&b.ballot().voter, b.to_bytes().len());
                // Refusals of released ballots are final; nothing to report to anyone.
                let _ = self.insert_ballot(b);
            }
        }
    }

    /// Receives a ballot from anywhere. It waits until its poll's opening and every statement
    /// it names as seen are held.
    pub fn insert_ballot(&mut self, b: SignedBallot) -> Result<Received, Refused> {
        let poll = b.ballot().poll;
        let missing: Vec<StatementId> = std::iter::once(&poll)
            .chain(&b.ballot().seen)
            .filter(|id| !self.statements.contains_key(id))
            .copied()
            .collect();
        if let Some(first) = missing.first().copied() {
            if self
                .pending_ballots
                .get(&first)
                .is_some_and(|m| m.contains_key(&b.id()))
            {
                return Ok(Received::Duplicate);
            }
            if self.pending_ballot_count >= MAX_PENDING {
                return Err(Refused::TooManyPending);
            }
            if let Some(e) = self.statements.get(&poll) {
                let StatementKind::OpenPoll(open) = &e.st.statement().kind else {
                    return Err(Refused::NotAPoll);
                };
                if open.eligible.binary_search(&b.ballot().voter).is_err() {
                    return Err(Refused::NotEligible(b.ballot().voter));
                }
            } else if !self.ctx.is_voter(&b.ballot().voter) {
                return Err(Refused::NotEligible(b.ballot().voter));
            }
            b.verify()?;
            self.parking
                .admit_participant(&b.ballot().voter, b.to_bytes().len())?;
            let slot = self.pending_ballots.entry(first).or_default();
            slot.insert(b.id(), b);
            self.pending_ballot_count += 1;
            return Ok(Received::Pending { missing });
        }
        let Some(e) = self.statements.get(&poll) else {
            return Err(Refused::NotAPoll);
        };
        let StatementKind::OpenPoll(open) = &e.st.statement().kind else {
            return Err(Refused::NotAPoll);
        };
        if self
            .ballots
            .get(&poll)
            .is_some_and(|m| m.contains_key(&b.id()))
        {
            return Ok(Received::Duplicate);
        }
        if open.eligible.binary_search(&b.ballot().voter).is_err() {
            return Err(Refused::NotEligible(b.ballot().voter));
        }
        b.verify()?;
        let key = (b.ballot().voter, b.ballot().seq);
        let index = self.by_voter_seq.entry(poll).or_default();
        let earlier = match index.get(&key) {
            Some(first) => Some(*first),
            None => {
                index.insert(key, b.id());
                None
            }
        };
        self.ballots.entry(poll).or_default().insert(b.id(), b);
        Ok(match earlier {
            Some(earlier) => Received::Equivocation { earlier },
            None => Received::Accepted,
        })
    }

    /// The polls this session holds ballots for, the opening of each among its statements:
    /// with [`SessionState::polls`], what tells ballots for an opening the session ignored.
    pub fn ballot_polls(&self) -> impl Iterator<Item = &PollId> {
        self.ballots.keys()
    }

    /// The hash of the session's record as this device holds it: every statement but the
    /// opening and every ballot, by id (`docs/format.md` §2, "minutes"). Minutes are a function
    /// of this record (with the roster at the opening's log heads and the texts at the polls'
    /// versions, which the statements name), so the chair and the secretary approve minutes by
    /// signing it, and anyone can recompute it from a bundle without writing minutes the way
    /// Council words them. Any statement or ballot added later changes it.
    pub fn record_hash(&self) -> Hash {
        let mut statements: Vec<StatementId> = self
            .statements
            .keys()
            .filter(|id| **id != self.id)
            .copied()
            .collect();
        statements.sort();
        let mut ballots: Vec<BallotId> = self
            .ballots
            .values()
            .flat_map(|m| m.keys().copied())
            .collect();
        ballots.sort();
        let mut w = crate::encoding::Writer::new();
        w.hash(&self.id);
        w.list(&statements, |w, h| {
            w.hash(h);
        });
        w.list(&ballots, |w, h| {
            w.hash(h);
        });
        Hash::of(crate::log::MINUTES_ID_PREFIX, &[&w.finish()])
    }

    /// The verification report of a poll over the ballots held.
    pub fn report(&self, poll: &PollId) -> Option<Result<TallyReport, TallyError>> {
        let input = self.poll_input(poll)?;
        let late = self.late_sets();
        let none = BTreeSet::new();
        Some(verify_one_with_late(input, late.get(poll).unwrap_or(&none)))
    }

    /// The tally input of `poll` as this session holds it.
    fn poll_input(&self, poll: &PollId) -> Option<PollInput<'_>> {
        let p = self.state.poll(poll)?;
        let open = self.get(&p.id)?;
        let close = p.close_id.and_then(|c| self.get(&c));
        Some(PollInput {
            ctx: &self.ctx,
            open,
            close,
            ballots: self.ballots(poll).map(Ok).collect(),
            past: self,
        })
    }

    /// The late ballots of every closed poll, from the cache when nothing was added since.
    fn late_sets(&self) -> std::sync::Arc<BTreeMap<PollId, BTreeSet<BallotId>>> {
        let key = (
            self.statements.len(),
            self.ballots.values().map(BTreeMap::len).sum::<usize>(),
        );
        if let Ok(held) = self.late.0.lock()
            && let Some((k, sets)) = held.as_ref()
            && *k == key
        {
            return sets.clone();
        }
        let polls: Vec<(PollId, PollInput<'_>)> = self
            .state
            .polls
            .iter()
            .filter(|p| p.close_id.is_some())
            .filter_map(|p| Some((p.id, self.poll_input(&p.id)?)))
            .collect();
        let inputs: Vec<PollInput<'_>> = polls.iter().map(|(_, i)| i.clone()).collect();
        let sets: BTreeMap<PollId, BTreeSet<BallotId>> = polls
            .iter()
            .map(|(id, _)| *id)
            .zip(late_ballots(&inputs))
            .collect();
        let sets = std::sync::Arc::new(sets);
        if let Ok(mut held) = self.late.0.lock() {
            *held = Some((key, sets.clone()));
        }
        sets
    }

    /// Whether `voter` may cast a ballot in `poll` now, as this session stands: the poll is
    /// open here and `voter` was eligible when it opened (registered present, no conflict of
    /// interest declared). The question every client asks before signing; a ballot is judged
    /// again where it arrives.
    pub fn may_vote(&self, poll: &PollId, voter: &MemberId) -> Result<(), VoteRefused> {
        let p = self.state.poll(poll).ok_or(VoteRefused::UnknownPoll)?;
        if p.close.is_some() {
            return Err(VoteRefused::Closed);
        }
        if !p.open.eligible.contains(voter) {
            return Err(VoteRefused::NotEligible);
        }
        Ok(())
    }

    /// The sequence number `voter`'s next ballot in `poll` takes: one more than the highest of
    /// theirs this session holds (0 for the first), so that it supersedes every one of them.
    pub fn next_seq(&self, poll: &PollId, voter: &MemberId) -> u32 {
        self.ballots(poll)
            .filter(|b| b.ballot().voter == *voter)
            .map(|b| b.ballot().seq.saturating_add(1))
            .max()
            .unwrap_or(0)
    }

    /// The ballot `key` casts for `choice` in `poll` now: allowed as [`Session::may_vote`] says,
    /// numbered by [`Session::next_seq`], naming this device's session heads as seen (so a
    /// close it has not seen cannot excuse leaving it out). Not inserted.
    pub fn vote(
        &self,
        key: &SecretKey,
        poll: PollId,
        choice: Choice,
    ) -> Result<SignedBallot, VoteRefused> {
        let voter = key.member_id();
        self.may_vote(&poll, &voter)?;
        Ok(self.ballot(key, poll, self.next_seq(&poll, &voter), choice))
    }

    /// A ballot for `poll` signed by `key`, naming this device's session heads as seen, not
    /// inserted.
    pub fn ballot(&self, key: &SecretKey, poll: PollId, seq: u32, choice: Choice) -> SignedBallot {
        Ballot {
            poll,
            voter: key.member_id(),
            seq,
            choice,
            seen: self.write_heads(),
        }
        .sign(key)
    }

    /// Signs `kind` as `key` on top of the current heads and inserts it: how a client writes.
    pub fn create(
        &mut self,
        key: &SecretKey,
        kind: StatementKind,
        time_ms: u64,
    ) -> Result<SignedStatement, Refused> {
        let st = Statement {
            council: self.ctx.council,
            session: self.id,
            author: key.member_id(),
            parents: self.write_heads(),
            time_ms,
            kind,
        }
        .sign(key);
        self.insert(st.clone())?;
        Ok(st)
    }

    /// What a poll opening on `item` must say now: the body's seats and quorum, and the
    /// eligible and recused snapshot from the registrations held. `rule` defaults to the rules'.
    pub fn poll_open(
        &self,
        item: u32,
        doc: DocId,
        version: Vec<Hash>,
        title: &str,
        rule: Option<MajorityRule>,
    ) -> PollOpen {
        let (present, conflicts) = self.causal_presence(&self.heads(), item);
        PollOpen {
            item,
            doc,
            version,
            title: title.to_string(),
            rule: rule.unwrap_or(self.ctx.default_majority),
            seats: self.ctx.seats,
            quorum_needed: self.ctx.quorum_needed(),
            eligible: present.difference(&conflicts).copied().collect(),
            recused: present.intersection(&conflicts).copied().collect(),
        }
    }

    /// What the close of `poll` must say now: each eligible voter's valid ballot with the
    /// highest sequence number (equivocated ones left out), the counts, who is present, and the
    /// outcome that follows. `None` if the poll is unknown.
    pub fn poll_close(&self, poll: &PollId) -> Option<PollClose> {
        let open = &self.state.poll(poll)?.open;
        let mut slots: BTreeMap<(MemberId, u32), Vec<&SignedBallot>> = BTreeMap::new();
        for b in self.ballots(poll) {
            slots
                .entry((b.ballot().voter, b.ballot().seq))
                .or_default()
                .push(b);
        }
        let mut latest: BTreeMap<MemberId, &SignedBallot> = BTreeMap::new();
        for ((voter, _), bs) in slots {
            if let [b] = bs[..] {
                latest.insert(voter, b);
            }
        }
        let mut counts = Counts::default();
        for b in latest.values() {
            match b.ballot().choice {
                Choice::For => counts.for_ += 1,
                Choice::Against => counts.against += 1,
                Choice::Abstain => counts.abstain += 1,
            }
        }
        let (present, _) = self.causal_presence(&self.heads(), open.item);
        let outcome = open.judge(&counts, present.len()).outcome();
        let mut counted: Vec<BallotId> = latest.values().map(|b| b.id()).collect();
        counted.sort();
        Some(PollClose {
            poll: *poll,
            counted,
            counts,
            present: present.into_iter().collect(),
            outcome,
        })
    }

    /// `ids` and all their ancestors.
    fn ancestors(&self, ids: &[StatementId]) -> BTreeSet<StatementId> {
        let mut seen = BTreeSet::new();
        let mut stack = ids.to_vec();
        while let Some(id) = stack.pop() {
            if let Some(e) = self.statements.get(&id)
                && seen.insert(id)
            {
                stack.extend(e.st.statement().parents.iter().copied());
            }
        }
        seen
    }

    /// Voting members present, and conflicts declared on `item`, in the causal past `parents`.
    fn causal_presence(
        &self,
        parents: &[StatementId],
        item: u32,
    ) -> (BTreeSet<MemberId>, BTreeSet<MemberId>) {
        let mut anc: Vec<(u64, StatementId, &SignedStatement)> = self
            .ancestors(parents)
            .into_iter()
            .filter_map(|id| self.statements.get(&id).map(|e| (e.depth, id, &e.st)))
            .collect();
        anc.sort_by_key(|(d, id, _)| (*d, *id));
        let mut present = BTreeSet::new();
        let mut recused = BTreeSet::new();
        for (_, _, st) in anc {
            let s = st.statement();
            match &s.kind {
                StatementKind::Present { member } if self.may_register(&s.author, member) => {
                    present.insert(*member);
                }
                StatementKind::Left { member } if self.may_register(&s.author, member) => {
                    present.remove(member);
                }
                StatementKind::DeclareConflict { item: i, .. }
                    if *i == item && self.ctx.is_voter(&s.author) =>
                {
                    recused.insert(s.author);
                }
                _ => {}
            }
        }
        (present, recused)
    }

    fn may_register(&self, author: &MemberId, member: &MemberId) -> bool {
        self.ctx.is_voter(member) && (author == member || self.ctx.is_chair(author))
    }

    /// Brings the state up to date after `new` statements were stored. The state is a fold of
    /// every statement in (depth, id) order; what a statement does depends only on the fold so
    /// far and its own causal past. So statements that all sort after the last one folded (the
    /// usual case: each new statement names the latest ones as parents) are folded on top, and
    /// only one that sorts earlier (a concurrent statement with a smaller id) folds everything
    /// again. A session of many polls would otherwise replay every poll's quorum check, each
    /// walking the whole statement graph, for every request to speak.
    fn fold_in(&mut self, new: Vec<StatementId>) {
        let mut keys: Vec<(u64, StatementId)> = new
            .into_iter()
            .filter_map(|id| self.statements.get(&id).map(|e| (e.depth, id)))
            .collect();
        keys.sort();
        if keys.first().is_none_or(|k| *k <= self.fold_end) {
            self.recompute();
            return;
        }
        // Taken out while folding, because folding reads the rest of the session.
        let placeholder = empty_state(&self.ctx, self.id, &HashMap::new());
        let mut s = std::mem::replace(&mut self.state, placeholder);
        for key in keys {
            self.fold(&mut s, key);
        }
        s.ignored.sort_by_key(|(id, _)| *id);
        self.state = s;
    }

    /// Folds every statement again, from the opening.
    fn recompute(&mut self) {
        let mut order: Vec<(u64, StatementId)> = self
            .statements
            .iter()
            .map(|(id, e)| (e.depth, *id))
            .collect();
        order.sort();
        let mut s = empty_state(&self.ctx, self.id, &self.statements);
        for key in order {
            self.fold(&mut s, key);
        }
        s.ignored.sort_by_key(|(id, _)| *id);
        self.state = s;
    }

    /// Folds the statement with fold-order key `key` into `s`.
    fn fold(&mut self, s: &mut SessionState, key: (u64, StatementId)) {
        let (depth, id) = key;
        self.fold_end = key;
        let Some(e) = self.statements.get(&id) else {
            return;
        };
        if depth == 0 {
            s.applied.push(id);
            return;
        }
        match self.apply(s, &e.st) {
            Ok(()) => s.applied.push(id),
            Err(why) => s.ignored.push((id, why)),
        }
    }

    fn apply(&self, s: &mut SessionState, st: &SignedStatement) -> Result<(), Ignored> {
        let id = st.id();
        let stmt = st.statement();
        let author = stmt.author;
        let ctx = &self.ctx;
        let chair = || {
            if ctx.is_chair(&author) {
                Ok(())
            } else {
                Err(Ignored::NotChair)
            }
        };
        if s.closed {
            return Err(Ignored::SessionClosed);
        }
        let item_mut = |s: &mut SessionState, i: u32| -> Result<usize, Ignored> {
            let ix = i as usize;
            if ix < s.items.len() {
                Ok(ix)
            } else {
                Err(Ignored::UnknownItem(i))
            }
        };
        match &stmt.kind {
            StatementKind::OpenSession { .. } => return Err(Ignored::NotChair),
            StatementKind::CloseSession => {
                chair()?;
                s.closed = true;
                s.current_item = None;
            }
            StatementKind::Present { member } | StatementKind::Left { member } => {
                if !ctx.is_voter(member) {
                    return Err(Ignored::NotAVoter(*member));
                }
                if author != *member && !ctx.is_chair(&author) {
                    return Err(Ignored::NotYourself);
                }
                if matches!(stmt.kind, StatementKind::Present { .. }) {
                    s.present.insert(
                        *member,
                        Registration {
                            by_chair: author != *member,
                            statement: id,
                            time_ms: stmt.time_ms,
                        },
                    );
                } else {
                    s.present.remove(member);
                }
            }
            StatementKind::StartItem { item } => {
                chair()?;
                let ix = item_mut(s, *item)?;
                if matches!(
                    s.items[ix].status,
                    ItemStatus::Done | ItemStatus::Removed { .. }
                ) {
                    return Err(Ignored::ItemClosed(*item));
                }
                if s.current_item.is_some() {
                    return Err(Ignored::AnotherItemInProgress);
                }
                s.items[ix].status = ItemStatus::InProgress;
                s.current_item = Some(*item);
            }
            StatementKind::EndItem { item } => {
                chair()?;
                let ix = item_mut(s, *item)?;
                if s.current_item != Some(*item) {
                    return Err(Ignored::ItemNotCurrent(*item));
                }
                s.items[ix].status = ItemStatus::Done;
                s.current_item = None;
                end_requests_on(s, *item);
            }
            StatementKind::PostponeItem { item } | StatementKind::RemoveItem { item, .. } => {
                chair()?;
                let ix = item_mut(s, *item)?;
                if matches!(
                    s.items[ix].status,
                    ItemStatus::Done | ItemStatus::Removed { .. }
                ) {
                    return Err(Ignored::ItemClosed(*item));
                }
                s.items[ix].status = match &stmt.kind {
                    StatementKind::RemoveItem { reason, .. } => ItemStatus::Removed {
                        reason: reason.clone(),
                    },
                    _ => ItemStatus::Postponed,
                };
                if s.current_item == Some(*item) {
                    s.current_item = None;
                }
                end_requests_on(s, *item);
            }
            StatementKind::RequestFloor { item, kind } => {
                if s.current_item != Some(*item) {
                    return Err(Ignored::ItemNotCurrent(*item));
                }
                if s.requests.iter().any(|r| {
                    r.member == author && r.item == *item && r.status == RequestStatus::Waiting
                }) {
                    return Err(Ignored::AlreadyRequested);
                }
                let order = s.applied.len();
                s.requests.push(FloorRequest {
                    id,
                    member: author,
                    item: *item,
                    kind: *kind,
                    status: RequestStatus::Waiting,
                    order,
                });
            }
            StatementKind::WithdrawRequest { request } => {
                let r = request_mut(s, request)?;
                if r.member != author {
                    return Err(Ignored::NotYourRequest);
                }
                if r.status != RequestStatus::Waiting {
                    return Err(Ignored::RequestNotWaiting);
                }
                r.status = RequestStatus::Withdrawn;
            }
            StatementKind::GrantFloor { request } => {
                chair()?;
                if s.speaker().is_some() {
                    return Err(Ignored::FloorTaken);
                }
                let r = request_mut(s, request)?;
                if r.status != RequestStatus::Waiting {
                    return Err(Ignored::RequestNotWaiting);
                }
                r.status = RequestStatus::Speaking {
                    granted_ms: stmt.time_ms,
                    limit_ms: ctx.limit_ms(r.kind),
                };
            }
            StatementKind::EndFloor { request } => {
                let r = request_mut(s, request)?;
                if r.member != author && !ctx.is_chair(&author) {
                    return Err(Ignored::NotChair);
                }
                if !matches!(r.status, RequestStatus::Speaking { .. }) {
                    return Err(Ignored::NotSpeaking);
                }
                r.status = RequestStatus::Done;
            }
            StatementKind::DeclareConflict { item, reason } => {
                if !ctx.is_voter(&author) {
                    return Err(Ignored::NotAVoter(author));
                }
                let ix = item_mut(s, *item)?;
                s.items[ix].conflicts.insert(author, reason.clone());
            }
            StatementKind::OpenPoll(p) => {
                chair()?;
                if s.current_item != Some(p.item) {
                    return Err(Ignored::ItemNotCurrent(p.item));
                }
                if p.seats != ctx.seats || p.quorum_needed != ctx.quorum_needed() {
                    return Err(Ignored::WrongSeats);
                }
                if p.rule != ctx.default_majority && !ctx.allow_poll_override {
                    return Err(Ignored::RuleNotAllowed);
                }
                let (present, conflicts) = self.causal_presence(&stmt.parents, p.item);
                let needed = ctx.quorum_needed();
                if present.len() < needed as usize {
                    return Err(Ignored::NoQuorum {
                        present: u32::try_from(present.len()).unwrap_or(u32::MAX),
                        needed,
                    });
                }
                let recused: Vec<MemberId> = present.intersection(&conflicts).copied().collect();
                let eligible: Vec<MemberId> = present.difference(&conflicts).copied().collect();
                if recused != p.recused || eligible != p.eligible {
                    return Err(Ignored::SnapshotMismatch);
                }
                s.polls.push(PollState {
                    id,
                    open: p.clone(),
                    close: None,
                    close_id: None,
                });
            }
            StatementKind::ClosePoll(c) => {
                chair()?;
                if !self.ancestors(&stmt.parents).contains(&c.poll) {
                    return Err(Ignored::UnknownPoll);
                }
                let Some(ix) = s.polls.iter().position(|p| p.id == c.poll) else {
                    return Err(Ignored::UnknownPoll);
                };
                if s.polls[ix].close.is_some() {
                    return Err(Ignored::PollClosed);
                }
                let open = &s.polls[ix].open;
                let (present, _) = self.causal_presence(&stmt.parents, open.item);
                if present.iter().copied().collect::<Vec<_>>() != c.present {
                    return Err(Ignored::SnapshotMismatch);
                }
                let basis = open.judge(&c.counts, c.present.len());
                if c.outcome != basis.outcome() {
                    return Err(if basis.quorum {
                        Ignored::OutcomeMismatch
                    } else {
                        Ignored::NoQuorum {
                            present: u32::try_from(c.present.len()).unwrap_or(u32::MAX),
                            needed: open.quorum_needed,
                        }
                    });
                }
                s.polls[ix].close = Some(c.clone());
                s.polls[ix].close_id = Some(id);
            }
        }
        Ok(())
    }
}

/// Why a session could not be set up from the log.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FromLogError {
    /// The log does not hold the heads the opening names yet.
    #[error(transparent)]
    Missing(#[from] MissingOps),
    /// The body does not exist at those heads.
    #[error(transparent)]
    Body(#[from] Unauthorized),
    /// The opening itself is refused.
    #[error(transparent)]
    Refused(#[from] Refused),
}

fn request_mut<'a>(
    s: &'a mut SessionState,
    id: &StatementId,
) -> Result<&'a mut FloorRequest, Ignored> {
    s.requests
        .iter_mut()
        .find(|r| r.id == *id)
        .ok_or(Ignored::UnknownRequest)
}

fn end_requests_on(s: &mut SessionState, item: u32) {
    for r in s.requests.iter_mut().filter(|r| r.item == item) {
        match r.status {
            RequestStatus::Waiting => r.status = RequestStatus::Withdrawn,
            RequestStatus::Speaking { .. } => r.status = RequestStatus::Done,
            _ => {}
        }
    }
}

fn empty_state(
    ctx: &BodyContext,
    id: SessionId,
    statements: &HashMap<StatementId, Entry>,
) -> SessionState {
    let (body, label, items) = match statements.get(&id).map(|e| &e.st.statement().kind) {
        Some(StatementKind::OpenSession {
            body, label, items, ..
        }) => (*body, label.clone(), items.clone()),
        _ => (Body::Council, String::new(), Vec::new()),
    };
    SessionState {
        id,
        body,
        label,
        closed: false,
        present: BTreeMap::new(),
        seats: ctx.seats,
        quorum_needed: ctx.quorum_needed(),
        items: items
            .into_iter()
            .map(|item| ItemState {
                item,
                status: ItemStatus::Waiting,
                conflicts: BTreeMap::new(),
            })
            .collect(),
        current_item: None,
        requests: Vec::new(),
        polls: Vec::new(),
        applied: Vec::new(),
        ignored: Vec::new(),
    }
}
