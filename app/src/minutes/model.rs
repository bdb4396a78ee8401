//! What minutes state, before they are written in a language: plain data, read from the
//! signed record by [`super::minutes`].

use crdt_model::hash::Hash;
use crdt_model::log::{CommitteeId, OpId};
use crdt_model::rules::{Counts, MajorityRule};
use crdt_model::session::{FloorKind, Outcome, PollId, SessionId, VoterResult};
use crdt_model::{CouncilId, DocId, MemberId, Roles};

/// A member as the minutes name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their key.
    pub member: MemberId,
    /// Their name on the roster the session was opened under (their short key if none).
    pub name: String,
    /// Their roles on that roster.
    pub roles: Roles,
}

/// Which body sat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyName {
    /// The council in plenary.
    Council,
    /// A standing committee.
    Committee {
        /// Its id.
        id: CommitteeId,
        /// Its name.
        name: String,
    },
}

/// How many voting members were registered at a moment, against the quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    /// When (the statement's time, milliseconds since the epoch).
    pub at_ms: u64,
    /// Voting members registered present.
    pub present: u32,
    /// Members needed for quorum.
    pub needed: u32,
}

impl Quorum {
    /// Whether quorum was present.
    pub fn met(&self) -> bool {
        self.present >= self.needed
    }
}

/// A member who was registered present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// Who.
    pub person: Person,
    /// When first registered.
    pub registered_ms: u64,
    /// Whether that registration was recorded by the chair on their behalf.
    pub by_chair: bool,
    /// When they left, if they had left (and not registered again) by the end.
    pub left_ms: Option<u64>,
}

/// A declared conflict of interest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recusal {
    /// Who declared it.
    pub person: Person,
    /// On which agenda item (0-based).
    pub item: u32,
    /// Their reason, as declared.
    pub reason: String,
}

/// What became of an agenda item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Never started.
    NotTaken,
    /// Started and not finished when the record ends.
    InProgress,
    /// Considered and ended.
    Done,
    /// Postponed to a later sitting.
    Postponed,
    /// Removed from the agenda.
    Removed {
        /// Why.
        reason: String,
    },
}

/// One speech: a request for the floor that the chair granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    /// Its place among the item's speeches (from 1, in the order the floor was given).
    pub order: u32,
    /// The speaker.
    pub person: Person,
    /// The kind of request.
    pub kind: FloorKind,
    /// When the floor was given (the chair's clock).
    pub granted_ms: u64,
    /// Time used: from the grant to the end of the speech (the end of the floor, of the item,
    /// or of the session); `None` if it had not ended.
    pub used_ms: Option<u64>,
    /// Time the rules allow for this kind.
    pub limit_ms: u64,
}

/// What a poll was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A draft decision.
    Draft,
    /// An amendment to a draft.
    Amendment {
        /// The draft it amends.
        draft: DocId,
        /// First line it replaces (1-based).
        from_line: u32,
        /// Last line it replaces.
        to_line: u32,
        /// Its text at the version voted on, if this device holds that version.
        text: Option<String>,
    },
    /// Another document.
    Other,
}

/// One poll, as opened, voted, closed and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRecord {
    /// The poll id.
    pub id: PollId,
    /// The question.
    pub title: String,
    /// The document voted on.
    pub doc: DocId,
    /// What kind of document it is.
    pub subject: Subject,
    /// The exact version voted on: the document's heads.
    pub version: Vec<Hash>,
    /// The majority rule.
    pub rule: MajorityRule,
    /// Votes for needed under the rule, with these counts.
    pub required: u32,
    /// Seats of the body.
    pub seats: u32,
    /// Members eligible to vote.
    pub eligible: u32,
    /// When it was opened.
    pub opened_ms: u64,
    /// When it was closed, if it was.
    pub closed_ms: Option<u64>,
    /// Registered voters when it opened (eligible and recused).
    pub quorum_at_open: Quorum,
    /// Registered voters when it closed.
    pub quorum_at_close: Option<Quorum>,
    /// The counts the chair declared at the close (while open: the provisional tally).
    pub counts: Counts,
    /// The declared outcome.
    pub outcome: Option<Outcome>,
    /// Each member of the body and how they stood, sorted by name.
    pub table: Vec<(Person, VoterResult)>,
    /// Whether every check of the tally passed.
    pub verified: bool,
    /// The checks that failed, with their offending items.
    pub failed_checks: Vec<String>,
    /// The commitment to the set of ballots counted.
    pub counted_hash: Option<Hash>,
    /// Valid ballots the close did not count (changed votes, late ballots).
    pub uncounted: usize,
    /// Whose valid ballots, cast before the close, the close left out (the poll then does not
    /// verify): named, so the dispute is in the minutes.
    pub omitted: Vec<Person>,
    /// Ballots rejected by the verification.
    pub rejected: usize,
}

/// An agenda item and what happened under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// Its index on the agenda (0-based; printed from 1).
    pub index: u32,
    /// Its title.
    pub title: String,
    /// Its dossier.
    pub doc: Option<DocId>,
    /// What became of it.
    pub outcome: ItemOutcome,
    /// When it was first started.
    pub started_ms: Option<u64>,
    /// When it was last ended, postponed or removed.
    pub ended_ms: Option<u64>,
    /// Registered voters when it was first started.
    pub quorum_at_start: Option<Quorum>,
    /// Its speeches, in order.
    pub speeches: Vec<Speech>,
    /// Its polls, in the order opened.
    pub polls: Vec<PollRecord>,
}

/// A decision adopted: a poll on a draft decision closed as adopted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The poll that adopted it.
    pub poll: PollId,
    /// Its agenda item (0-based).
    pub item: u32,
    /// The draft.
    pub doc: DocId,
    /// Its title at the version voted on (the poll's question if the draft has none).
    pub title: String,
    /// Its text at the version voted on, if this device holds that version.
    pub text: Option<String>,
    /// The version voted on.
    pub version: Vec<Hash>,
    /// When the poll closed.
    pub adopted_ms: Option<u64>,
}

/// What the record holds and what was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// Signed statements of the session held.
    pub statements: usize,
    /// Of those, statements that had no effect (the session lists why).
    pub ignored: usize,
    /// Statements waiting for statements they follow.
    pub waiting: usize,
    /// Signed ballots held.
    pub ballots: usize,
    /// Polls.
    pub polls: usize,
    /// Polls whose tally verified.
    pub polls_verified: usize,
}

/// A session's minutes: everything they state, before they are written in a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minutes {
    /// The council.
    pub council: CouncilId,
    /// Its name.
    pub council_name: String,
    /// The session.
    pub session: SessionId,
    /// The session's label (e.g. "Сесія 12").
    pub label: String,
    /// Which body sat.
    pub body: BodyName,
    /// Who opened it (the chair of the sitting).
    pub opened_by: Person,
    /// When it was opened.
    pub opened_ms: u64,
    /// When it was closed, if it was.
    pub closed_ms: Option<u64>,
    /// Seats of the body.
    pub seats: u32,
    /// Members needed for quorum.
    pub quorum_needed: u32,
    /// The council log heads whose roster and rules governed it.
    pub log_heads: Vec<OpId>,
    /// Members registered present, sorted by name.
    pub attendance: Vec<Attendance>,
    /// Voting members never registered, sorted by name.
    pub absent: Vec<Person>,
    /// Declared conflicts of interest, by item then name.
    pub recusals: Vec<Recusal>,
    /// Registered voters when the first item was started.
    pub quorum_at_opening: Option<Quorum>,
    /// The agenda items, in order.
    pub items: Vec<ItemRecord>,
    /// The decisions adopted, in the order of their polls.
    pub decisions: Vec<Decision>,
    /// What was verified.
    pub verification: Verification,
    /// The hash of the session's record the minutes are made from (`Session::record_hash`):
    /// what approving them signs, the same in every language and every format.
    pub record_hash: Hash,
}
