//! Session statements: what the chair and the deputies sign during a sitting, and their canonical
//! encoding (see `docs/format.md`, "Session statements").

use thiserror::Error;

use crate::council::{CouncilId, MAX_NAME};
use crate::encoding::{DecodeError, Reader, Writer};
use crate::hash::Hash;
use crate::identity::{Domain, MemberId, SecretKey, Signature, SignatureError, verify};
use crate::log::{CommitteeId, DocId, MAX_PARENTS, OpId};

/// Most members one poll snapshot may list (the log's committee bound).
pub const MAX_MEMBERS: usize = 1024;
use crate::rules::{Counts, MajorityRule};

/// A statement's id: the hash of its signed body.
pub type StatementId = Hash;
/// A session's id: the id of the statement that opened it.
pub type SessionId = Hash;
/// A poll's id: the id of the statement that opened it.
pub type PollId = Hash;

/// Prefix of the hash that names a statement.
pub const STATEMENT_ID_PREFIX: &[u8] = b"council/v1/id/statement\0";
/// Version byte that starts every statement body.
pub const STATEMENT_VERSION: u8 = 1;
/// Most agenda items one session may list.
pub const MAX_ITEMS: usize = 1024;
/// Most automerge heads a poll subject may name.
pub const MAX_HEADS: usize = 256;
/// Most ballots one close may count.
pub const MAX_COUNTED: usize = 4096;
/// Longest reason or title, in bytes.
pub const MAX_TEXT: usize = 4096;
/// Largest encoded statement accepted.
pub const MAX_STATEMENT_BYTES: usize = 1024 * 1024;

/// Which body holds the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// The council in plenary.
    Council,
    /// One standing committee.
    Committee(CommitteeId),
}

/// One item of the session's agenda, referred to by its index (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgendaItem {
    /// What is discussed, as shown to everyone.
    pub title: String,
    /// The draft decision or document discussed, if any.
    pub doc: Option<DocId>,
}

/// The kind of a request for the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum FloorKind {
    /// A speech on the item.
    Speech = 0,
    /// A speech for the proposal.
    Pro = 1,
    /// A speech against the proposal.
    Contra = 2,
    /// A reply to a previous speaker.
    Reply = 3,
    /// A point of order: jumps the queue.
    PointOfOrder = 4,
}

impl FloorKind {
    /// Every kind, in tag order.
    pub const ALL: [FloorKind; 5] = [
        FloorKind::Speech,
        FloorKind::Pro,
        FloorKind::Contra,
        FloorKind::Reply,
        FloorKind::PointOfOrder,
    ];

    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        FloorKind::ALL
            .get(tag as usize)
            .copied()
            .ok_or(DecodeError::BadTag {
                what: "floor kind",
                tag,
            })
    }

    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            FloorKind::Speech => "speech",
            FloorKind::Pro => "pro",
            FloorKind::Contra => "contra",
            FloorKind::Reply => "reply",
            FloorKind::PointOfOrder => "point-of-order",
        }
    }
}

/// The outcome a chair declares when closing a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Outcome {
    /// Not adopted (the majority was not reached, or quorum was lost).
    NotAdopted = 0,
    /// Adopted.
    Adopted = 1,
}

impl Outcome {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::NotAdopted => "not-adopted",
            Outcome::Adopted => "adopted",
        }
    }
}

/// The opening of a poll: what is voted on, by which rule, and who may vote.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PollOpen {
    /// Agenda item the poll belongs to.
    pub item: u32,
    /// The document voted on (draft or amendment).
    pub doc: DocId,
    /// Its exact version: the automerge change hashes of its heads, sorted.
    pub version: Vec<Hash>,
    /// The question, as shown to voters.
    pub title: String,
    /// The majority needed.
    pub rule: MajorityRule,
    /// Seats of the body (council seats, or committee members).
    pub seats: u32,
    /// Members needed present for quorum.
    pub quorum_needed: u32,
    /// Who may vote: members of the body with a vote, present and not recused. Sorted.
    pub eligible: Vec<MemberId>,
    /// Members present who declared a conflict of interest on the item. Sorted.
    pub recused: Vec<MemberId>,
}

/// The closing of a poll: the exact ballots counted and the result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PollClose {
    /// The poll closed.
    pub poll: PollId,
    /// Ids of the ballots counted, sorted: the commitment to what was counted.
    pub counted: Vec<Hash>,
    /// The counts.
    pub counts: Counts,
    /// Voting members of the body present at the close, sorted (for quorum at close).
    pub present: Vec<MemberId>,
    /// The declared outcome.
    pub outcome: Outcome,
}

/// What a poll's counts and the voters present at its close make of it: whether the rule's
/// majority is met (the base `present` being the poll's eligible voters, `all-seats` its seats)
/// and whether quorum is present (`docs/format.md` §6 rule 4, §7 check 9). The one place a
/// poll's outcome is derived: the chair's close, the session's judgement of a close and the
/// tally's `outcome` check all ask it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeBasis {
    /// The votes for reach the votes required over the rule's base.
    pub majority: bool,
    /// At least `quorum_needed` voters present.
    pub quorum: bool,
}

impl OutcomeBasis {
    /// Adopted exactly when both hold.
    pub fn outcome(self) -> Outcome {
        if self.majority && self.quorum {
            Outcome::Adopted
        } else {
            Outcome::NotAdopted
        }
    }
}

impl PollOpen {
    /// What `counts`, with `present` voters present at the close, make of this poll.
    pub fn judge(&self, counts: &Counts, present: usize) -> OutcomeBasis {
        OutcomeBasis {
            majority: self.rule.is_met(
                counts,
                u32::try_from(self.eligible.len()).unwrap_or(u32::MAX),
                self.seats,
            ),
            quorum: present >= self.quorum_needed as usize,
        }
    }
}

/// What a statement says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatementKind {
    /// The chair opens a session. Its id is the session id; its `session` field is all zeros.
    OpenSession {
        /// Council or committee.
        body: Body,
        /// The council log heads whose roster and rules govern the session, sorted.
        log_heads: Vec<OpId>,
        /// A label such as "Сесія 12, пленарне засідання".
        label: String,
        /// The agenda.
        items: Vec<AgendaItem>,
    },
    /// The chair closes the session.
    CloseSession,
    /// A member is registered present (by themselves, or by the chair on their behalf).
    Present {
        /// Who.
        member: MemberId,
    },
    /// A member leaves (by themselves, or recorded by the chair).
    Left {
        /// Who.
        member: MemberId,
    },
    /// The chair starts an agenda item.
    StartItem {
        /// Index of the item.
        item: u32,
    },
    /// The chair ends the current item.
    EndItem {
        /// Index of the item.
        item: u32,
    },
    /// The chair postpones an item.
    PostponeItem {
        /// Index of the item.
        item: u32,
    },
    /// The chair removes an item from the agenda.
    RemoveItem {
        /// Index of the item.
        item: u32,
        /// Why.
        reason: String,
    },
    /// A member asks for the floor on the current item.
    RequestFloor {
        /// Index of the item.
        item: u32,
        /// Kind of request.
        kind: FloorKind,
    },
    /// A member withdraws their request.
    WithdrawRequest {
        /// The request statement.
        request: StatementId,
    },
    /// The chair gives the floor.
    GrantFloor {
        /// The request statement.
        request: StatementId,
    },
    /// The chair (or the speaker) ends the speech.
    EndFloor {
        /// The request statement.
        request: StatementId,
    },
    /// A member declares a conflict of interest on an item: they are excluded from its polls.
    DeclareConflict {
        /// Index of the item.
        item: u32,
        /// Why (shown in the minutes).
        reason: String,
    },
    /// The chair opens a poll. Its id is the poll id.
    OpenPoll(PollOpen),
    /// The chair closes a poll.
    ClosePoll(PollClose),
}

/// An unsigned statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Statement {
    /// The council.
    pub council: CouncilId,
    /// The session; all zeros in the statement that opens it.
    pub session: SessionId,
    /// Who signs it.
    pub author: MemberId,
    /// The session's statements its author had seen (its heads), sorted; empty only when opening.
    pub parents: Vec<StatementId>,
    /// The author's clock, milliseconds since the Unix epoch. Used for speaking time only, never
    /// for ordering.
    pub time_ms: u64,
    /// What it says.
    pub kind: StatementKind,
}

/// A signed statement as it travels and is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedStatement {
    statement: Statement,
    body: Vec<u8>,
    id: StatementId,
    signature: Signature,
}

/// Why bytes are not a statement.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatementDecodeError {
    /// Not the encoding of a statement.
    #[error("malformed session statement: {0}")]
    Decode(#[from] DecodeError),
}

fn sorted_distinct<T: Ord>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

fn member(r: &mut Reader<'_>) -> Result<MemberId, DecodeError> {
    Ok(MemberId(r.array("member key")?))
}

fn members(
    r: &mut Reader<'_>,
    what: &'static str,
    max: usize,
) -> Result<Vec<MemberId>, DecodeError> {
    let v = r.list(what, max, member)?;
    if !sorted_distinct(&v) {
        return Err(DecodeError::Invalid {
            what,
            why: "keys must be sorted and distinct",
        });
    }
    Ok(v)
}

fn hashes(r: &mut Reader<'_>, what: &'static str, max: usize) -> Result<Vec<Hash>, DecodeError> {
    let v = r.list(what, max, |r| r.hash(what))?;
    if !sorted_distinct(&v) {
        return Err(DecodeError::Invalid {
            what,
            why: "hashes must be sorted and distinct",
        });
    }
    Ok(v)
}

fn write_members(w: &mut Writer, v: &[MemberId]) {
    w.list(v, |w, m| {
        w.raw(m.as_bytes());
    });
}

fn write_hashes(w: &mut Writer, v: &[Hash]) {
    w.list(v, |w, h| {
        w.hash(h);
    });
}

impl StatementKind {
    fn encode(&self, w: &mut Writer) {
        match self {
            StatementKind::OpenSession {
                body,
                log_heads,
                label,
                items,
            } => {
                w.u8(0);
                match body {
                    Body::Council => w.u8(0),
                    Body::Committee(c) => w.u8(1).hash(c),
                };
                write_hashes(w, log_heads);
                w.str(label).list(items, |w, it| {
                    w.str(&it.title).option(it.doc.as_ref(), |w, d| {
                        w.hash(d);
                    });
                });
            }
            StatementKind::CloseSession => {
                w.u8(1);
            }
            StatementKind::Present { member } => {
                w.u8(2).raw(member.as_bytes());
            }
            StatementKind::Left { member } => {
                w.u8(3).raw(member.as_bytes());
            }
            StatementKind::StartItem { item } => {
                w.u8(4).u32(*item);
            }
            StatementKind::EndItem { item } => {
                w.u8(5).u32(*item);
            }
            StatementKind::PostponeItem { item } => {
                w.u8(6).u32(*item);
            }
            StatementKind::RemoveItem { item, reason } => {
                w.u8(7).u32(*item).str(reason);
            }
            StatementKind::RequestFloor { item, kind } => {
                w.u8(8).u32(*item).u8(*kind as u8);
            }
            StatementKind::WithdrawRequest { request } => {
                w.u8(9).hash(request);
            }
            StatementKind::GrantFloor { request } => {
                w.u8(10).hash(request);
            }
            StatementKind::EndFloor { request } => {
                w.u8(11).hash(request);
            }
            StatementKind::DeclareConflict { item, reason } => {
                w.u8(12).u32(*item).str(reason);
            }
            StatementKind::OpenPoll(p) => {
                w.u8(13).u32(p.item).hash(&p.doc);
                write_hashes(w, &p.version);
                w.str(&p.title);
                p.rule.encode(w);
                w.u32(p.seats).u32(p.quorum_needed);
                write_members(w, &p.eligible);
                write_members(w, &p.recused);
            }
            StatementKind::ClosePoll(c) => {
                w.u8(14).hash(&c.poll);
                write_hashes(w, &c.counted);
                w.u32(c.counts.for_)
                    .u32(c.counts.against)
                    .u32(c.counts.abstain);
                write_members(w, &c.present);
                w.u8(c.outcome as u8);
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("statement kind")? {
            0 => {
                let body = match r.u8("body")? {
                    0 => Body::Council,
                    1 => Body::Committee(r.hash("committee")?),
                    tag => return Err(DecodeError::BadTag { what: "body", tag }),
                };
                let log_heads = hashes(r, "log heads", MAX_PARENTS)?;
                if log_heads.is_empty() {
                    return Err(DecodeError::Invalid {
                        what: "log heads",
                        why: "a session names at least one log head",
                    });
                }
                StatementKind::OpenSession {
                    body,
                    log_heads,
                    label: r.str("session label", MAX_NAME)?,
                    items: r.list("agenda items", MAX_ITEMS, |r| {
                        Ok(AgendaItem {
                            title: r.str("item title", MAX_TEXT)?,
                            doc: r.option("item document", |r| r.hash("item document"))?,
                        })
                    })?,
                }
            }
            1 => StatementKind::CloseSession,
            2 => StatementKind::Present { member: member(r)? },
            3 => StatementKind::Left { member: member(r)? },
            4 => StatementKind::StartItem {
                item: r.u32("item")?,
            },
            5 => StatementKind::EndItem {
                item: r.u32("item")?,
            },
            6 => StatementKind::PostponeItem {
                item: r.u32("item")?,
            },
            7 => StatementKind::RemoveItem {
                item: r.u32("item")?,
                reason: r.str("reason", MAX_TEXT)?,
            },
            8 => StatementKind::RequestFloor {
                item: r.u32("item")?,
                kind: FloorKind::from_tag(r.u8("floor kind")?)?,
            },
            9 => StatementKind::WithdrawRequest {
                request: r.hash("request")?,
            },
            10 => StatementKind::GrantFloor {
                request: r.hash("request")?,
            },
            11 => StatementKind::EndFloor {
                request: r.hash("request")?,
            },
            12 => StatementKind::DeclareConflict {
                item: r.u32("item")?,
                reason: r.str("reason", MAX_TEXT)?,
            },
            13 => {
                let item = r.u32("item")?;
                let doc = r.hash("document")?;
                let version = hashes(r, "document version", MAX_HEADS)?;
                let title = r.str("poll title", MAX_TEXT)?;
                let rule = MajorityRule::decode(r)?;
                let seats = r.u32("seats")?;
                let quorum_needed = r.u32("quorum needed")?;
                let eligible = members(r, "eligible voters", MAX_MEMBERS)?;
                let recused = members(r, "recused members", MAX_MEMBERS)?;
                StatementKind::OpenPoll(PollOpen {
                    item,
                    doc,
                    version,
                    title,
                    rule,
                    seats,
                    quorum_needed,
                    eligible,
                    recused,
                })
            }
            14 => {
                let poll = r.hash("poll")?;
                let counted = hashes(r, "counted ballots", MAX_COUNTED)?;
                let counts = Counts {
                    for_: r.u32("votes for")?,
                    against: r.u32("votes against")?,
                    abstain: r.u32("abstentions")?,
                };
                let present = members(r, "present members", MAX_MEMBERS)?;
                let outcome = match r.u8("outcome")? {
                    0 => Outcome::NotAdopted,
                    1 => Outcome::Adopted,
                    tag => {
                        return Err(DecodeError::BadTag {
                            what: "outcome",
                            tag,
                        });
                    }
                };
                StatementKind::ClosePoll(PollClose {
                    poll,
                    counted,
                    counts,
                    present,
                    outcome,
                })
            }
            tag => {
                return Err(DecodeError::BadTag {
                    what: "statement kind",
                    tag,
                });
            }
        })
    }

    /// Stable name of the kind, for the UI and the minutes.
    pub fn name(&self) -> &'static str {
        match self {
            StatementKind::OpenSession { .. } => "open-session",
            StatementKind::CloseSession => "close-session",
            StatementKind::Present { .. } => "present",
            StatementKind::Left { .. } => "left",
            StatementKind::StartItem { .. } => "start-item",
            StatementKind::EndItem { .. } => "end-item",
            StatementKind::PostponeItem { .. } => "postpone-item",
            StatementKind::RemoveItem { .. } => "remove-item",
            StatementKind::RequestFloor { .. } => "request-floor",
            StatementKind::WithdrawRequest { .. } => "withdraw-request",
            StatementKind::GrantFloor { .. } => "grant-floor",
            StatementKind::EndFloor { .. } => "end-floor",
            StatementKind::DeclareConflict { .. } => "declare-conflict",
            StatementKind::OpenPoll(_) => "open-poll",
            StatementKind::ClosePoll(_) => "close-poll",
        }
    }
}

impl Statement {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(STATEMENT_VERSION)
            .hash(&self.council)
            .hash(&self.session)
            .raw(self.author.as_bytes());
        write_hashes(&mut w, &self.parents);
        w.u64(self.time_ms);
        self.kind.encode(&mut w);
        w.finish()
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("statement version")?;
        if version != STATEMENT_VERSION {
            return Err(DecodeError::BadTag {
                what: "statement version",
                tag: version,
            });
        }
        let council = r.hash("council")?;
        let session = r.hash("session")?;
        let author = member(&mut r)?;
        let parents = hashes(&mut r, "parents", MAX_PARENTS)?;
        let time_ms = r.u64("time")?;
        let kind = StatementKind::decode(&mut r)?;
        r.finish()?;
        let opening = matches!(kind, StatementKind::OpenSession { .. });
        if opening && (session != Hash::default() || !parents.is_empty()) {
            return Err(DecodeError::Invalid {
                what: "session opening",
                why: "it has a zero session id and no parents",
            });
        }
        if !opening && parents.is_empty() {
            return Err(DecodeError::Invalid {
                what: "parents",
                why: "a statement follows at least the session opening",
            });
        }
        Ok(Statement {
            council,
            session,
            author,
            parents,
            time_ms,
            kind,
        })
    }

    /// Signs the statement. Lists the format keeps sorted (parents, heads, keys, ballot ids) are
    /// sorted and deduplicated first, so any statement built here has its one canonical form.
    pub fn sign(mut self, key: &SecretKey) -> SignedStatement {
        fn canon<T: Ord>(v: &mut Vec<T>) {
            v.sort();
            v.dedup();
        }
        canon(&mut self.parents);
        match &mut self.kind {
            StatementKind::OpenSession { log_heads, .. } => canon(log_heads),
            StatementKind::OpenPoll(p) => {
                canon(&mut p.version);
                canon(&mut p.eligible);
                canon(&mut p.recused);
            }
            StatementKind::ClosePoll(c) => {
                canon(&mut c.counted);
                canon(&mut c.present);
            }
            _ => {}
        }
        let body = self.encode();
        let signature = key.sign(Domain::Statement, &body);
        let id = Hash::of(STATEMENT_ID_PREFIX, &[&body]);
        SignedStatement {
            statement: self,
            body,
            id,
            signature,
        }
    }
}

impl SignedStatement {
    /// The id (for an opening, the session id; for a poll opening, the poll id).
    pub fn id(&self) -> StatementId {
        self.id
    }

    /// The statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// The signed body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The session this statement belongs to (its own id for an opening).
    pub fn session_id(&self) -> SessionId {
        if matches!(self.statement.kind, StatementKind::OpenSession { .. }) {
            self.id
        } else {
            self.statement.session
        }
    }

    /// Checks the author's signature, strictly.
    pub fn verify(&self) -> Result<(), SignatureError> {
        verify(
            &self.statement.author,
            Domain::Statement,
            &self.body,
            &self.signature,
        )
    }

    /// Wire form: `bytes(body) || signature(64)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.body).raw(&self.signature.0);
        w.finish()
    }

    /// Parses [`SignedStatement::to_bytes`]. Does not verify the signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StatementDecodeError> {
        let mut r = Reader::new(bytes);
        let body = r.bytes("statement", MAX_STATEMENT_BYTES)?.to_vec();
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        let statement = Statement::decode(&body)?;
        let id = Hash::of(STATEMENT_ID_PREFIX, &[&body]);
        Ok(SignedStatement {
            statement,
            body,
            id,
            signature,
        })
    }
}
