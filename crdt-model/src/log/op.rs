//! Operations of the council log and their canonical encoding.

use crate::council::{CouncilId, MAX_NAME};
use crate::encoding::{DecodeError, Reader, Writer};
use crate::hash::Hash;
use crate::identity::{Domain, MemberId, SecretKey, Signature, SignatureError, verify};
use crate::roles::Roles;
use crate::rules::{DraftStatus, Rules};

/// An operation's id: the hash of its signed body.
pub type OpId = Hash;
/// A committee's id: the id of the operation that created it.
pub type CommitteeId = Hash;
/// A document's id: the id of the operation that created it.
pub type DocId = Hash;

/// Prefix of the hash that names a log operation.
pub const OP_ID_PREFIX: &[u8] = b"council/v1/id/log-op\0";
/// Prefix of the hash that names a session's minutes: the hash of the session's record (see
/// `Session::record_hash`).
pub const MINUTES_ID_PREFIX: &[u8] = b"council/v1/id/minutes\0";
/// Most parents one operation (or statement, or change's log heads) may name. Each writing
/// device adds at most one head (its items name the heads it knows, its own last one among
/// them), so honest writers stay far below this; creators never name more (see
/// [`crate::log::CouncilLog::write_heads`]), so nothing they make is refused by a decoder.
pub const MAX_PARENTS: usize = 1024;
/// Most members one committee may list.
pub const MAX_COMMITTEE: usize = 1024;
/// Longest contact text, in bytes.
pub const MAX_CONTACT: usize = 2048;

/// The status of an amendment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum AmendmentStatus {
    /// Proposed, awaiting a decision.
    Proposed = 0,
    /// Accepted: its text is merged into the draft.
    Accepted = 1,
    /// Rejected.
    Rejected = 2,
    /// Withdrawn by its author.
    Withdrawn = 3,
}

impl AmendmentStatus {
    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        [
            AmendmentStatus::Proposed,
            AmendmentStatus::Accepted,
            AmendmentStatus::Rejected,
            AmendmentStatus::Withdrawn,
        ]
        .get(tag as usize)
        .copied()
        .ok_or(DecodeError::BadTag {
            what: "amendment status",
            tag,
        })
    }

    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            AmendmentStatus::Proposed => "proposed",
            AmendmentStatus::Accepted => "accepted",
            AmendmentStatus::Rejected => "rejected",
            AmendmentStatus::Withdrawn => "withdrawn",
        }
    }
}

/// What kind of document is created, with what it is about. Decides who may write it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocSpec {
    /// A draft decision, written by its creator and co-authors.
    Draft {
        /// Co-authors beside the creator.
        co_authors: Vec<MemberId>,
    },
    /// A committee's opinion on a draft, written by members of that committee.
    Opinion {
        /// The draft it is about.
        draft: DocId,
        /// The committee giving it.
        committee: CommitteeId,
    },
    /// An amendment to a draft, written by its author only.
    Amendment {
        /// The draft it amends.
        draft: DocId,
        /// First line (1-based) of the draft body it replaces.
        from_line: u32,
        /// Last line (inclusive) it replaces; `from_line - 1` inserts before `from_line`.
        to_line: u32,
    },
    /// A session's agenda, kept by the secretary and the chair.
    Agenda {
        /// Which session, e.g. "Сесія 12".
        label: String,
        /// The committee holding the session, or `None` for the council.
        committee: Option<CommitteeId>,
    },
    /// A personal note, written by its owner only.
    Note,
}

/// The kind of a document, without its details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// See [`DocSpec::Draft`].
    Draft,
    /// See [`DocSpec::Opinion`].
    Opinion,
    /// See [`DocSpec::Amendment`].
    Amendment,
    /// See [`DocSpec::Agenda`].
    Agenda,
    /// See [`DocSpec::Note`].
    Note,
}

impl DocSpec {
    /// The kind.
    pub fn kind(&self) -> DocKind {
        match self {
            DocSpec::Draft { .. } => DocKind::Draft,
            DocSpec::Opinion { .. } => DocKind::Opinion,
            DocSpec::Amendment { .. } => DocKind::Amendment,
            DocSpec::Agenda { .. } => DocKind::Agenda,
            DocSpec::Note => DocKind::Note,
        }
    }

    fn encode(&self, w: &mut Writer) {
        match self {
            DocSpec::Draft { co_authors } => {
                w.u8(0).list(co_authors, |w, m| {
                    w.raw(m.as_bytes());
                });
            }
            DocSpec::Opinion { draft, committee } => {
                w.u8(1).hash(draft).hash(committee);
            }
            DocSpec::Amendment {
                draft,
                from_line,
                to_line,
            } => {
                w.u8(2).hash(draft).u32(*from_line).u32(*to_line);
            }
            DocSpec::Agenda { label, committee } => {
                w.u8(3).str(label).option(committee.as_ref(), |w, c| {
                    w.hash(c);
                });
            }
            DocSpec::Note => {
                w.u8(4);
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("document kind")? {
            0 => DocSpec::Draft {
                co_authors: r.list("co-authors", MAX_COMMITTEE, |r| {
                    Ok(MemberId(r.array("co-author")?))
                })?,
            },
            1 => DocSpec::Opinion {
                draft: r.hash("draft")?,
                committee: r.hash("committee")?,
            },
            2 => {
                let draft = r.hash("draft")?;
                let from_line = r.u32("from line")?;
                let to_line = r.u32("to line")?;
                if from_line == 0 || u64::from(to_line) + 1 < u64::from(from_line) {
                    return Err(DecodeError::Invalid {
                        what: "amendment range",
                        why: "lines are 1-based and the range must not run backwards",
                    });
                }
                DocSpec::Amendment {
                    draft,
                    from_line,
                    to_line,
                }
            }
            3 => DocSpec::Agenda {
                label: r.str("agenda label", MAX_NAME)?,
                committee: r.option("committee", |r| r.hash("committee"))?,
            },
            4 => DocSpec::Note,
            tag => {
                return Err(DecodeError::BadTag {
                    what: "document kind",
                    tag,
                });
            }
        })
    }
}

/// What an operation does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OpBody {
    /// Admit a member (or re-admit a removed one) with roles.
    AddMember {
        /// Their key.
        member: MemberId,
        /// Their name.
        name: String,
        /// Their roles.
        roles: Roles,
    },
    /// Remove a member: their later operations and changes are rejected.
    RemoveMember {
        /// Their key.
        member: MemberId,
    },
    /// Replace a member's roles.
    SetRoles {
        /// Their key.
        member: MemberId,
        /// The new roles.
        roles: Roles,
    },
    /// Set a member's displayed name and contact details (by themselves or the roster keepers).
    SetProfile {
        /// Their key.
        member: MemberId,
        /// Displayed name.
        name: String,
        /// Contact details (phone, e-mail, office hours).
        contact: String,
    },
    /// Create a committee; its id is this operation's id.
    CreateCommittee {
        /// Its name.
        name: String,
    },
    /// Set a committee's members and head.
    SetCommittee {
        /// Which committee.
        committee: CommitteeId,
        /// Its members.
        members: Vec<MemberId>,
        /// Its head, who must be a member of it.
        head: Option<MemberId>,
    },
    /// Replace the rules of procedure.
    AmendRules {
        /// The new rules.
        rules: Rules,
    },
    /// Create a document; its id is this operation's id.
    CreateDocument {
        /// Its kind and subject.
        spec: DocSpec,
    },
    /// Move a draft to another workflow status.
    SetDraftStatus {
        /// The draft.
        draft: DocId,
        /// The new status.
        status: DraftStatus,
        /// The committee it is referred to (required for `InCommittee`).
        committee: Option<CommitteeId>,
    },
    /// Decide or withdraw an amendment.
    SetAmendmentStatus {
        /// The amendment.
        amendment: DocId,
        /// The new status.
        status: AmendmentStatus,
    },
    /// Attach a file (a scanned PDF, say) to a document. The log carries only its name, size
    /// and content hash; the bytes move between peers by that hash (see `council_sync`), and
    /// whoever fetches them checks them against it. Allowed to whoever may write the document.
    AttachFile {
        /// The document it is attached to.
        doc: DocId,
        /// The file's name as shown (no path: no `/`, `\`, NUL, and not `.` or `..`).
        name: String,
        /// Its size in bytes.
        size: u64,
        /// The BLAKE3 hash of its bytes (the iroh-blobs hash), not a SHA-256 [`Hash::of`].
        hash: Hash,
    },
    /// Approve a session's minutes by signing the hash of the record they are made from (see
    /// [`MINUTES_ID_PREFIX`]).
    /// Allowed to the chair, a deputy chair and the secretary; a later approval by the same
    /// member replaces their earlier one.
    ApproveMinutes {
        /// The session (the id of its opening statement).
        session: Hash,
        /// The hash of the minutes approved: the session's record hash (`Session::record_hash`).
        minutes: Hash,
    },
}

impl OpBody {
    fn encode(&self, w: &mut Writer) {
        match self {
            OpBody::AddMember {
                member,
                name,
                roles,
            } => {
                w.u8(0).raw(member.as_bytes()).str(name).u8(roles.0);
            }
            OpBody::RemoveMember { member } => {
                w.u8(1).raw(member.as_bytes());
            }
            OpBody::SetRoles { member, roles } => {
                w.u8(2).raw(member.as_bytes()).u8(roles.0);
            }
            OpBody::SetProfile {
                member,
                name,
                contact,
            } => {
                w.u8(3).raw(member.as_bytes()).str(name).str(contact);
            }
            OpBody::CreateCommittee { name } => {
                w.u8(4).str(name);
            }
            OpBody::SetCommittee {
                committee,
                members,
                head,
            } => {
                w.u8(5)
                    .hash(committee)
                    .list(members, |w, m| {
                        w.raw(m.as_bytes());
                    })
                    .option(head.as_ref(), |w, h| {
                        w.raw(h.as_bytes());
                    });
            }
            OpBody::AmendRules { rules } => {
                w.u8(6);
                rules.encode(w);
            }
            OpBody::CreateDocument { spec } => {
                w.u8(7);
                spec.encode(w);
            }
            OpBody::SetDraftStatus {
                draft,
                status,
                committee,
            } => {
                w.u8(8)
                    .hash(draft)
                    .u8(*status as u8)
                    .option(committee.as_ref(), |w, c| {
                        w.hash(c);
                    });
            }
            OpBody::SetAmendmentStatus { amendment, status } => {
                w.u8(9).hash(amendment).u8(*status as u8);
            }
            OpBody::AttachFile {
                doc,
                name,
                size,
                hash,
            } => {
                w.u8(10).hash(doc).str(name).u64(*size).hash(hash);
            }
            OpBody::ApproveMinutes { session, minutes } => {
                w.u8(11).hash(session).hash(minutes);
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let roles = |r: &mut Reader<'_>| -> Result<Roles, DecodeError> {
            let b = r.u8("roles")?;
            if b & !Roles::VALID_BITS != 0 {
                return Err(DecodeError::BadTag {
                    what: "roles",
                    tag: b,
                });
            }
            Ok(Roles(b))
        };
        let member = |r: &mut Reader<'_>| -> Result<MemberId, DecodeError> {
            Ok(MemberId(r.array("member key")?))
        };
        Ok(match r.u8("operation kind")? {
            0 => OpBody::AddMember {
                member: member(r)?,
                name: r.str("name", MAX_NAME)?,
                roles: roles(r)?,
            },
            1 => OpBody::RemoveMember { member: member(r)? },
            2 => OpBody::SetRoles {
                member: member(r)?,
                roles: roles(r)?,
            },
            3 => OpBody::SetProfile {
                member: member(r)?,
                name: r.str("name", MAX_NAME)?,
                contact: r.str("contact", MAX_CONTACT)?,
            },
            4 => OpBody::CreateCommittee {
                name: r.str("committee name", MAX_NAME)?,
            },
            5 => OpBody::SetCommittee {
                committee: r.hash("committee")?,
                members: r.list("committee members", MAX_COMMITTEE, member)?,
                head: r.option("head", member)?,
            },
            6 => OpBody::AmendRules {
                rules: Rules::decode(r)?,
            },
            7 => OpBody::CreateDocument {
                spec: DocSpec::decode(r)?,
            },
            8 => OpBody::SetDraftStatus {
                draft: r.hash("draft")?,
                status: DraftStatus::from_tag(r.u8("draft status")?)?,
                committee: r.option("committee", |r| r.hash("committee"))?,
            },
            9 => OpBody::SetAmendmentStatus {
                amendment: r.hash("amendment")?,
                status: AmendmentStatus::from_tag(r.u8("amendment status")?)?,
            },
            10 => OpBody::AttachFile {
                doc: r.hash("document")?,
                name: r.str("attachment name", MAX_NAME)?,
                size: r.u64("attachment size")?,
                hash: r.hash("attachment hash")?,
            },
            11 => OpBody::ApproveMinutes {
                session: r.hash("session")?,
                minutes: r.hash("minutes")?,
            },
            tag => {
                return Err(DecodeError::BadTag {
                    what: "operation kind",
                    tag,
                });
            }
        })
    }
}

/// An unsigned operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogOp {
    /// The council it belongs to.
    pub council: CouncilId,
    /// Who signs it.
    pub author: MemberId,
    /// The operations (or the council id, for the first) it follows: its causal past.
    pub parents: Vec<OpId>,
    /// When it was made, by the author's clock (informational; never used for ordering).
    pub time_ms: u64,
    /// What it does.
    pub body: OpBody,
}

/// A signed operation as it travels and is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOp {
    op: LogOp,
    body: Vec<u8>,
    id: OpId,
    signature: Signature,
}

impl LogOp {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.hash(&self.council)
            .raw(self.author.as_bytes())
            .list(&self.parents, |w, p| {
                w.hash(p);
            })
            .u64(self.time_ms);
        self.body.encode(&mut w);
        w.finish()
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let council = r.hash("council")?;
        let author = MemberId(r.array("author")?);
        let parents = r.list("parents", MAX_PARENTS, |r| r.hash("parent"))?;
        if parents.is_empty() {
            return Err(DecodeError::Invalid {
                what: "parents",
                why: "an operation follows at least the genesis",
            });
        }
        if parents.windows(2).any(|w| w[0] >= w[1]) {
            return Err(DecodeError::Invalid {
                what: "parents",
                why: "parents must be sorted and distinct",
            });
        }
        let time_ms = r.u64("time")?;
        let body = OpBody::decode(&mut r)?;
        r.finish()?;
        Ok(LogOp {
            council,
            author,
            parents,
            time_ms,
            body,
        })
    }

    /// Signs the operation. Parents are sorted and deduplicated first (the canonical form).
    pub fn sign(mut self, key: &SecretKey) -> SignedOp {
        self.parents.sort();
        self.parents.dedup();
        let body = self.encode();
        let signature = key.sign(Domain::LogOp, &body);
        let id = Hash::of(OP_ID_PREFIX, &[&body]);
        SignedOp {
            op: self,
            body,
            id,
            signature,
        }
    }
}

/// Why bytes are not a signed operation.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpDecodeError {
    /// Not the encoding of an operation.
    #[error("malformed log operation: {0}")]
    Decode(#[from] DecodeError),
}

impl SignedOp {
    /// The id.
    pub fn id(&self) -> OpId {
        self.id
    }

    /// The operation.
    pub fn op(&self) -> &LogOp {
        &self.op
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Checks the author's signature.
    pub fn verify(&self) -> Result<(), SignatureError> {
        verify(&self.op.author, Domain::LogOp, &self.body, &self.signature)
    }

    /// Wire form: `bytes(body) || signature(64)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.body).raw(&self.signature.0);
        w.finish()
    }

    /// Parses [`SignedOp::to_bytes`]. Does not verify the signature: the log does, so that the
    /// refusal carries its reason.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, OpDecodeError> {
        let mut r = Reader::new(bytes);
        let body = r.bytes("operation", 1024 * 1024)?.to_vec();
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        let op = LogOp::decode(&body)?;
        let id = Hash::of(OP_ID_PREFIX, &[&body]);
        Ok(SignedOp {
            op,
            body,
            id,
            signature,
        })
    }
}
