//! The council's state at a point of the log, and the rules that decide whether an operation or a
//! document write is allowed there.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use super::op::{AmendmentStatus, CommitteeId, DocId, DocKind, DocSpec, OpBody, OpId};
use crate::council::Genesis;
use crate::hash::Hash;
use crate::identity::MemberId;
use crate::roles::{Role, Roles};
use crate::rules::{DraftStatus, Rules};

/// One member as the roster knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Displayed name.
    pub name: String,
    /// Contact details.
    pub contact: String,
    /// Current roles.
    pub roles: Roles,
    /// Whether they were removed. Removed members stay listed so that history keeps their name.
    pub removed: bool,
}

impl Member {
    /// Roles that count: none once removed.
    pub fn active_roles(&self) -> Roles {
        if self.removed {
            Roles::NONE
        } else {
            self.roles
        }
    }
}

/// A standing committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    /// Its name.
    pub name: String,
    /// Its members.
    pub members: BTreeSet<MemberId>,
    /// Its head.
    pub head: Option<MemberId>,
}

/// What the log knows about a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMeta {
    /// Kind and subject.
    pub spec: DocSpec,
    /// Who created it.
    pub creator: MemberId,
    /// Workflow status, for drafts.
    pub draft_status: DraftStatus,
    /// The committee a draft is referred to.
    pub referred_to: Option<CommitteeId>,
    /// Status, for amendments.
    pub amendment_status: AmendmentStatus,
    /// Files attached to it, in log order (see [`OpBody::AttachFile`]).
    pub attachments: Vec<Attachment>,
}

/// A file attached to a document, as the signed log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its name as shown.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The BLAKE3 hash of its bytes: what it is stored and fetched under.
    pub hash: Hash,
    /// Who attached it.
    pub by: MemberId,
    /// The operation that attached it.
    pub op: OpId,
}

impl DocMeta {
    /// Whether `who` is among a draft's authors (its creator or a co-author).
    pub fn is_author(&self, who: &MemberId) -> bool {
        self.creator == *who
            || matches!(&self.spec, DocSpec::Draft { co_authors } if co_authors.contains(who))
    }
}

/// A member's approval of a session's minutes, as the signed log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinutesApproval {
    /// The hash of the minutes approved (see [`OpBody::ApproveMinutes`]).
    pub minutes: Hash,
    /// The approver's roles when the approval was applied.
    pub roles: Roles,
    /// The operation that approved them.
    pub op: OpId,
}

/// The council as of some set of log heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouncilState {
    /// Current rules of procedure.
    pub rules: Rules,
    /// Everyone who was ever admitted.
    pub members: BTreeMap<MemberId, Member>,
    /// Committees.
    pub committees: BTreeMap<CommitteeId, Committee>,
    /// Documents created so far.
    pub documents: BTreeMap<DocId, DocMeta>,
    /// Approvals of sessions' minutes: for each session id, each approver's latest approval
    /// (in log order).
    pub approvals: BTreeMap<Hash, BTreeMap<MemberId, MinutesApproval>>,
}

/// Why an operation or a write is not allowed. Every refusal names its reason so that the UI,
/// the CLI and the network layer can say exactly what went wrong.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unauthorized {
    /// The author is not on the roster.
    #[error("{0:?} is not a member of this council")]
    NotAMember(MemberId),
    /// The author was removed before (causally) this write.
    #[error("{0:?} was removed from the council before this write")]
    Removed(MemberId),
    /// Observers and replicas never write.
    #[error("{0:?} is read-only (observer or replica) and cannot write")]
    ReadOnly(MemberId),
    /// The rules give this action to other roles.
    #[error("{action} needs one of the roles {needed:?}")]
    LacksRole {
        /// What was attempted.
        action: &'static str,
        /// Roles that may do it.
        needed: Roles,
    },
    /// A member the operation names is unknown.
    #[error("{0:?} is not on the roster")]
    UnknownMember(MemberId),
    /// The member to add is already an active member.
    #[error("{0:?} is already a member")]
    AlreadyMember(MemberId),
    /// A committee the operation names is unknown.
    #[error("unknown committee {0:?}")]
    UnknownCommittee(CommitteeId),
    /// The committee's head is not among its members, or a listed member is not active.
    #[error("invalid committee composition: {0}")]
    BadCommittee(&'static str),
    /// A document the operation names is unknown.
    #[error("unknown document {0:?}")]
    UnknownDocument(DocId),
    /// The document is of another kind than the operation needs.
    #[error("document {0:?} is not a {1}")]
    WrongKind(DocId, &'static str),
    /// The rules have no such workflow step.
    #[error("the rules do not allow moving a draft from {from} to {to}")]
    NoSuchTransition {
        /// Status name before.
        from: &'static str,
        /// Status name after.
        to: &'static str,
    },
    /// Only the document's authors may do this.
    #[error("only the document's authors may do this")]
    NotAnAuthor,
    /// Only members of the committee may write its opinion.
    #[error("only members of the committee may do this")]
    NotInCommittee,
    /// The document can no longer be changed (adopted, rejected, withdrawn or decided).
    #[error("the document is closed ({0}) and can no longer be changed")]
    Closed(&'static str),
    /// The status change needs a committee (referral) that was not given.
    #[error("referring a draft to a committee needs the committee")]
    MissingCommittee,
    /// A member may not lose all roles this way, or a role set is empty.
    #[error("a member needs at least one role")]
    NoRoles,
    /// A member's displayed name is empty, padded, or holds characters that hide or reorder
    /// text (controls, bidirectional overrides, zero-width characters).
    #[error("invalid name: {0}")]
    BadName(&'static str),
    /// Another active member already goes by this name (letter case aside): two people the
    /// roster, the ballots and the minutes could not tell apart.
    #[error("another member, {0:?}, already has this name")]
    NameTaken(MemberId),
    /// An attachment's name is not a plain file name.
    #[error("invalid attachment name: {0}; give the file's name without any folder")]
    BadAttachmentName(&'static str),
}

impl CouncilState {
    /// The state right after the genesis.
    pub fn from_genesis(g: &Genesis) -> Self {
        let mut members = BTreeMap::new();
        members.insert(
            g.founder,
            Member {
                name: g.founder_name.clone(),
                contact: String::new(),
                roles: g.founder_roles,
                removed: false,
            },
        );
        CouncilState {
            rules: g.rules.clone(),
            members,
            committees: BTreeMap::new(),
            documents: BTreeMap::new(),
            approvals: BTreeMap::new(),
        }
    }

    /// The roles `who` holds now (none if unknown or removed).
    pub fn roles_of(&self, who: &MemberId) -> Roles {
        self.members
            .get(who)
            .map(Member::active_roles)
            .unwrap_or(Roles::NONE)
    }

    /// Active members who may vote in the council (deputies and the chair).
    pub fn voters(&self) -> impl Iterator<Item = &MemberId> {
        self.members
            .iter()
            .filter(|(_, m)| m.active_roles().votes())
            .map(|(id, _)| id)
    }

    /// The author must be an active member who may write.
    pub fn writer(&self, who: &MemberId) -> Result<Roles, Unauthorized> {
        let m = self
            .members
            .get(who)
            .ok_or(Unauthorized::NotAMember(*who))?;
        if m.removed {
            return Err(Unauthorized::Removed(*who));
        }
        if !m.roles.may_write() {
            return Err(Unauthorized::ReadOnly(*who));
        }
        Ok(m.roles)
    }

    fn need(roles: Roles, allowed: Roles, action: &'static str) -> Result<(), Unauthorized> {
        if roles.intersects(allowed) {
            Ok(())
        } else {
            Err(Unauthorized::LacksRole {
                action,
                needed: allowed,
            })
        }
    }

    fn doc(&self, id: &DocId) -> Result<&DocMeta, Unauthorized> {
        self.documents
            .get(id)
            .ok_or(Unauthorized::UnknownDocument(*id))
    }

    fn committee(&self, id: &CommitteeId) -> Result<&Committee, Unauthorized> {
        self.committees
            .get(id)
            .ok_or(Unauthorized::UnknownCommittee(*id))
    }

    fn active_member(&self, id: &MemberId) -> Result<&Member, Unauthorized> {
        match self.members.get(id) {
            Some(m) if !m.removed => Ok(m),
            _ => Err(Unauthorized::UnknownMember(*id)),
        }
    }

    /// Whether `who` may admit members (and so manage the roster): the question the members
    /// screen asks before offering to.
    pub fn may_add_members(&self, who: &MemberId) -> bool {
        self.writer(who)
            .is_ok_and(|r| r.intersects(self.rules.permissions.add_member))
    }

    /// A displayed name must be one that readers can tell apart from every other active
    /// member's: see [`check_name`]; and no other active member may bear it, letter case aside.
    fn check_member_name(&self, member: &MemberId, name: &str) -> Result<(), Unauthorized> {
        check_name(name)?;
        let folded = name.to_lowercase();
        match self
            .members
            .iter()
            .find(|(id, m)| *id != member && !m.removed && m.name.to_lowercase() == folded)
        {
            Some((other, _)) => Err(Unauthorized::NameTaken(*other)),
            None => Ok(()),
        }
    }

    /// Whether `who` may read document `doc` (and fetch its attachments): any active member,
    /// observer or replica for council documents; only its owner for a personal note.
    pub fn may_read(&self, who: &MemberId, doc: &DocId) -> bool {
        let Some(meta) = self.documents.get(doc) else {
            return false;
        };
        match meta.spec {
            DocSpec::Note => meta.creator == *who && self.active_member(who).is_ok(),
            _ => !self.roles_of(who).is_empty(),
        }
    }

    /// Whether `author` may perform `body` in this state.
    pub fn authorize(&self, author: &MemberId, body: &OpBody) -> Result<(), Unauthorized> {
        let roles = self.writer(author)?;
        let p = &self.rules.permissions;
        match body {
            OpBody::AddMember {
                member,
                roles: r,
                name,
            } => {
                Self::need(roles, p.add_member, "adding a member")?;
                if r.is_empty() {
                    return Err(Unauthorized::NoRoles);
                }
                if self.members.get(member).is_some_and(|m| !m.removed) {
                    return Err(Unauthorized::AlreadyMember(*member));
                }
                self.check_member_name(member, name)
            }
            OpBody::RemoveMember { member } => {
                Self::need(roles, p.remove_member, "removing a member")?;
                self.active_member(member).map(|_| ())
            }
            OpBody::SetRoles { member, roles: r } => {
                Self::need(roles, p.set_roles, "changing roles")?;
                if r.is_empty() {
                    return Err(Unauthorized::NoRoles);
                }
                self.active_member(member).map(|_| ())
            }
            OpBody::SetProfile { member, name, .. } => {
                if member != author {
                    Self::need(roles, p.add_member, "editing another member's profile")?;
                }
                self.active_member(member)?;
                self.check_member_name(member, name)
            }
            OpBody::CreateCommittee { .. } => {
                Self::need(roles, p.committees, "creating a committee")
            }
            OpBody::SetCommittee {
                committee,
                members,
                head,
            } => {
                Self::need(roles, p.committees, "setting a committee")?;
                self.committee(committee)?;
                for m in members {
                    self.active_member(m)?;
                }
                if head.is_some_and(|h| !members.contains(&h)) {
                    return Err(Unauthorized::BadCommittee("the head must be a member"));
                }
                Ok(())
            }
            OpBody::AmendRules { .. } => Self::need(roles, p.amend_rules, "amending the rules"),
            OpBody::CreateDocument { spec } => self.authorize_create(author, roles, spec),
            OpBody::SetDraftStatus {
                draft,
                status,
                committee,
            } => {
                let meta = self.doc(draft)?;
                if meta.spec.kind() != DocKind::Draft {
                    return Err(Unauthorized::WrongKind(*draft, "draft"));
                }
                let t = self.rules.transition(meta.draft_status, *status).ok_or(
                    Unauthorized::NoSuchTransition {
                        from: meta.draft_status.name(),
                        to: status.name(),
                    },
                )?;
                if *status == DraftStatus::InCommittee && committee.is_none() {
                    return Err(Unauthorized::MissingCommittee);
                }
                // Whatever the status, a committee named is one the draft is then referred to:
                // it must exist (a referral to nothing would show as one).
                if let Some(c) = committee {
                    self.committee(c)?;
                }
                let head_ok = t.who.committee_head()
                    && meta
                        .referred_to
                        .and_then(|c| self.committees.get(&c))
                        .is_some_and(|c| c.head == Some(*author));
                let author_ok = t.who.authors() && meta.is_author(author);
                if roles.intersects(t.who.role_set()) || head_ok || author_ok {
                    Ok(())
                } else if t.who.role_set().is_empty() && t.who.authors() {
                    Err(Unauthorized::NotAnAuthor)
                } else {
                    Err(Unauthorized::LacksRole {
                        action: "this workflow step",
                        needed: t.who.role_set(),
                    })
                }
            }
            OpBody::SetAmendmentStatus { amendment, status } => {
                let meta = self.doc(amendment)?;
                if meta.spec.kind() != DocKind::Amendment {
                    return Err(Unauthorized::WrongKind(*amendment, "amendment"));
                }
                if meta.amendment_status != AmendmentStatus::Proposed {
                    return Err(Unauthorized::Closed(meta.amendment_status.name()));
                }
                match status {
                    AmendmentStatus::Withdrawn if meta.creator == *author => Ok(()),
                    AmendmentStatus::Withdrawn => Err(Unauthorized::NotAnAuthor),
                    AmendmentStatus::Accepted | AmendmentStatus::Rejected => {
                        Self::need(roles, p.decide_amendments, "deciding an amendment")
                    }
                    AmendmentStatus::Proposed => Err(Unauthorized::NoSuchTransition {
                        from: "proposed",
                        to: "proposed",
                    }),
                }
            }
            OpBody::AttachFile { doc, name, .. } => {
                check_attachment_name(name)?;
                self.authorize_write(author, doc)
            }
            OpBody::ApproveMinutes { .. } => Self::need(
                roles,
                Roles::of(&[Role::Chair, Role::DeputyChair, Role::Secretary]),
                "approving minutes",
            ),
        }
    }

    fn authorize_create(
        &self,
        author: &MemberId,
        roles: Roles,
        spec: &DocSpec,
    ) -> Result<(), Unauthorized> {
        let drafting = Roles::of(&[
            Role::Deputy,
            Role::Chair,
            Role::DeputyChair,
            Role::Secretary,
        ]);
        match spec {
            DocSpec::Draft { co_authors } => {
                Self::need(roles, drafting, "creating a draft")?;
                for m in co_authors {
                    self.active_member(m)?;
                }
                Ok(())
            }
            DocSpec::Opinion { draft, committee } => {
                if self.doc(draft)?.spec.kind() != DocKind::Draft {
                    return Err(Unauthorized::WrongKind(*draft, "draft"));
                }
                if self.committee(committee)?.members.contains(author) {
                    Ok(())
                } else {
                    Err(Unauthorized::NotInCommittee)
                }
            }
            DocSpec::Amendment { draft, .. } => {
                Self::need(
                    roles,
                    Roles::of(&[Role::Deputy, Role::Chair, Role::DeputyChair]),
                    "proposing an amendment",
                )?;
                let meta = self.doc(draft)?;
                if meta.spec.kind() != DocKind::Draft {
                    return Err(Unauthorized::WrongKind(*draft, "draft"));
                }
                if let Some(closed) = closed_draft(meta.draft_status) {
                    return Err(Unauthorized::Closed(closed));
                }
                Ok(())
            }
            DocSpec::Agenda { committee, .. } => {
                if let Some(c) = committee {
                    let c = self.committee(c)?;
                    if c.head == Some(*author) {
                        return Ok(());
                    }
                }
                Self::need(roles, self.rules.permissions.agenda, "building an agenda")
            }
            DocSpec::Note => Ok(()),
        }
    }

    /// Whether `author` may change the content of document `doc` in this state.
    pub fn authorize_write(&self, author: &MemberId, doc: &DocId) -> Result<(), Unauthorized> {
        let roles = self.writer(author)?;
        let meta = self.doc(doc)?;
        match &meta.spec {
            DocSpec::Draft { .. } => {
                if let Some(closed) = closed_draft(meta.draft_status) {
                    return Err(Unauthorized::Closed(closed));
                }
                let in_committee = meta
                    .referred_to
                    .and_then(|c| self.committees.get(&c))
                    .is_some_and(|c| c.members.contains(author));
                if meta.is_author(author) || roles.has(Role::Secretary) || in_committee {
                    Ok(())
                } else {
                    Err(Unauthorized::NotAnAuthor)
                }
            }
            DocSpec::Opinion { committee, .. } => {
                if self.committee(committee)?.members.contains(author) {
                    Ok(())
                } else {
                    Err(Unauthorized::NotInCommittee)
                }
            }
            DocSpec::Amendment { .. } => {
                if meta.creator != *author {
                    return Err(Unauthorized::NotAnAuthor);
                }
                if meta.amendment_status != AmendmentStatus::Proposed {
                    return Err(Unauthorized::Closed(meta.amendment_status.name()));
                }
                Ok(())
            }
            DocSpec::Agenda { committee, .. } => {
                let head = committee
                    .and_then(|c| self.committees.get(&c))
                    .is_some_and(|c| c.head == Some(*author));
                if head {
                    Ok(())
                } else {
                    Self::need(roles, self.rules.permissions.agenda, "editing an agenda")
                }
            }
            DocSpec::Note => {
                if meta.creator == *author {
                    Ok(())
                } else {
                    Err(Unauthorized::NotAnAuthor)
                }
            }
        }
    }

    /// Applies an operation that was authorized in its causal past. Total: in the linear order
    /// concurrent operations may meet states their authors did not see, and each effect is
    /// defined for every state so that all peers end in the same place.
    pub fn apply(&mut self, id: OpId, author: &MemberId, body: &OpBody) {
        match body {
            OpBody::AddMember {
                member,
                name,
                roles,
            } => {
                let m = self.members.entry(*member).or_insert_with(|| Member {
                    name: String::new(),
                    contact: String::new(),
                    roles: Roles::NONE,
                    removed: false,
                });
                m.name.clone_from(name);
                m.roles = *roles;
                m.removed = false;
            }
            OpBody::RemoveMember { member } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.removed = true;
                }
                for c in self.committees.values_mut() {
                    c.members.remove(member);
                    if c.head == Some(*member) {
                        c.head = None;
                    }
                }
            }
            OpBody::SetRoles { member, roles } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.roles = *roles;
                }
            }
            OpBody::SetProfile {
                member,
                name,
                contact,
            } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.name.clone_from(name);
                    m.contact.clone_from(contact);
                }
            }
            OpBody::CreateCommittee { name } => {
                self.committees.insert(
                    id,
                    Committee {
                        name: name.clone(),
                        members: BTreeSet::new(),
                        head: None,
                    },
                );
            }
            OpBody::SetCommittee {
                committee,
                members,
                head,
            } => {
                if let Some(c) = self.committees.get_mut(committee) {
                    c.members = members.iter().copied().collect();
                    c.head = *head;
                }
            }
            OpBody::AmendRules { rules } => self.rules = rules.clone(),
            OpBody::CreateDocument { spec } => {
                self.documents.insert(
                    id,
                    DocMeta {
                        spec: spec.clone(),
                        creator: *author,
                        draft_status: DraftStatus::Draft,
                        referred_to: None,
                        amendment_status: AmendmentStatus::Proposed,
                        attachments: Vec::new(),
                    },
                );
            }
            OpBody::SetDraftStatus {
                draft,
                status,
                committee,
            } => {
                if let Some(d) = self.documents.get_mut(draft) {
                    d.draft_status = *status;
                    if committee.is_some() {
                        d.referred_to = *committee;
                    }
                }
            }
            OpBody::SetAmendmentStatus { amendment, status } => {
                if let Some(d) = self.documents.get_mut(amendment) {
                    d.amendment_status = *status;
                }
            }
            OpBody::AttachFile {
                doc,
                name,
                size,
                hash,
            } => {
                if let Some(d) = self.documents.get_mut(doc) {
                    d.attachments.push(Attachment {
                        name: name.clone(),
                        size: *size,
                        hash: *hash,
                        by: *author,
                        op: id,
                    });
                }
            }
            OpBody::ApproveMinutes { session, minutes } => {
                let roles = self.roles_of(author);
                self.approvals.entry(*session).or_default().insert(
                    *author,
                    MinutesApproval {
                        minutes: *minutes,
                        roles,
                        op: id,
                    },
                );
            }
        }
    }
}

/// A person's displayed name: not empty, no leading or trailing white space, and none of the
/// characters that hide or reorder text on screen and in the minutes — controls (including line
/// breaks), format characters such as the bidirectional overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), the marks U+200E/U+200F/U+061C, zero-width characters and the byte-order
/// mark. Names are shown next to votes; a name that displays as another's is a forged vote on
/// screen.
pub fn check_name(name: &str) -> Result<(), Unauthorized> {
    if name.trim().is_empty() {
        return Err(Unauthorized::BadName("it is empty"));
    }
    if name.trim() != name {
        return Err(Unauthorized::BadName("it starts or ends with white space"));
    }
    let hidden = |c: char| {
        c.is_control()
            || matches!(c,
                '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{061C}'
                | '\u{FEFF}'
                | '\u{00AD}'
                | '\u{180E}'
                | '\u{FFF9}'..='\u{FFFB}')
    };
    if name.chars().any(hidden) {
        return Err(Unauthorized::BadName(
            "it holds control, bidirectional or invisible characters",
        ));
    }
    Ok(())
}

/// An attachment's name must be a plain file name: it may end up as one on a reader's disk.
fn check_attachment_name(name: &str) -> Result<(), Unauthorized> {
    if name.is_empty() {
        return Err(Unauthorized::BadAttachmentName("it is empty"));
    }
    if name == "." || name == ".." {
        return Err(Unauthorized::BadAttachmentName("it is `.` or `..`"));
    }
    if name.contains(['/', '\\', '\0']) {
        return Err(Unauthorized::BadAttachmentName(
            "it contains `/`, `\\` or a NUL character",
        ));
    }
    Ok(())
}

fn closed_draft(status: DraftStatus) -> Option<&'static str> {
    match status {
        DraftStatus::Adopted | DraftStatus::Rejected | DraftStatus::Withdrawn => {
            Some(status.name())
        }
        _ => None,
    }
}
