//! What the UI asks the engine to do. Each command becomes at most one signed item per
//! document, log or session it touches, and is refused before signing when the council's
//! rules do not allow it.

use crdt_model::document::ChangeHash;
use crdt_model::document::TextField;
use crdt_model::log::{AmendmentStatus, CommitteeId};
use crdt_model::session::{Choice, FloorKind, PollId, SessionId, StatementId};
use crdt_model::{DocId, DraftStatus, MemberId, Roles};

/// A command from the UI (or a test, or a simulated colleague).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Command {
    /// Create a draft decision with this title and text; this member is its author.
    CreateDraft {
        /// Title.
        title: String,
        /// Text.
        body: String,
    },
    /// Write a personal note (private: only its owner reads or writes it, and it never leaves
    /// in the public record).
    CreateNote {
        /// Title.
        title: String,
        /// Text.
        body: String,
    },
    /// Replace `del` characters at `pos` with `insert`, counted in the field as it was at
    /// version `base` (what the editor showed).
    EditText {
        /// Which document.
        doc: DocId,
        /// Which field.
        field: TextField,
        /// The version the positions refer to.
        base: Vec<ChangeHash>,
        /// Position in characters.
        pos: usize,
        /// Characters removed.
        del: usize,
        /// Text inserted.
        insert: String,
    },
    /// Move a draft along the workflow.
    SetDraftStatus {
        /// The draft.
        draft: DocId,
        /// Its new status.
        status: DraftStatus,
        /// The committee, when referring it to one.
        committee: Option<CommitteeId>,
    },
    /// Propose an amendment replacing lines `from_line..=to_line` (1-based) of a draft.
    ProposeAmendment {
        /// The draft.
        draft: DocId,
        /// First line replaced.
        from_line: u32,
        /// Last line replaced (`from_line - 1` inserts before `from_line`).
        to_line: u32,
        /// The new text of those lines.
        text: String,
        /// Why.
        rationale: String,
    },
    /// Accept, reject or withdraw an amendment. Accepting also merges its text into the draft
    /// when this member may edit the draft.
    DecideAmendment {
        /// The amendment.
        amendment: DocId,
        /// The decision.
        status: AmendmentStatus,
    },
    /// Write a committee's opinion on a draft.
    WriteOpinion {
        /// The draft.
        draft: DocId,
        /// The committee.
        committee: CommitteeId,
        /// Its recommendation ("support", "reject", "amend").
        recommendation: String,
        /// Its text.
        text: String,
    },
    /// Start a session's agenda.
    CreateAgenda {
        /// The session's label, e.g. "Сесія 12".
        label: String,
    },
    /// Append an item to an agenda (a dossier, or a title alone).
    AgendaAdd {
        /// The agenda.
        agenda: DocId,
        /// The item's title.
        title: String,
        /// The dossier.
        doc: Option<DocId>,
    },
    /// Move an agenda item.
    AgendaMove {
        /// The agenda.
        agenda: DocId,
        /// From index.
        from: usize,
        /// To index.
        to: usize,
    },
    /// Remove an agenda item.
    AgendaRemove {
        /// The agenda.
        agenda: DocId,
        /// Its index.
        index: usize,
    },
    /// Publish the agenda as it is now.
    PublishAgenda {
        /// The agenda.
        agenda: DocId,
    },
    /// The chair opens a session with a published agenda.
    OpenSession {
        /// The agenda.
        agenda: DocId,
    },
    /// Something done in a session.
    Session {
        /// The session.
        session: SessionId,
        /// What.
        act: SessionAct,
    },
    /// Cast (or change) this member's vote.
    Vote {
        /// The session.
        session: SessionId,
        /// The poll.
        poll: PollId,
        /// The choice.
        choice: Choice,
    },
    /// Admit a member.
    AddMember {
        /// Their key.
        member: MemberId,
        /// Their name.
        name: String,
        /// Their roles.
        roles: Roles,
    },
    /// Remove a member.
    RemoveMember {
        /// Who.
        member: MemberId,
    },
    /// Approve a session's minutes (chair, deputy chair or secretary): signs their hash.
    /// Refused unless `minutes` is the hash of the minutes the record gives now.
    ApproveMinutes {
        /// The session.
        session: SessionId,
        /// The hash of the minutes approved ([`crate::minutes::Minutes::hash`]).
        minutes: crdt_model::hash::Hash,
    },
}

/// What a member or the chair does in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAct {
    /// "I am present".
    Register,
    /// Leave the hall.
    Leave,
    /// Ask for the floor on the current item.
    RequestFloor(FloorKind),
    /// Withdraw one's request.
    Withdraw(StatementId),
    /// Chair: start an item.
    StartItem(u32),
    /// Chair: end an item.
    EndItem(u32),
    /// Chair: give the floor.
    Grant(StatementId),
    /// Chair or speaker: end the speech.
    EndFloor(StatementId),
    /// Chair: open a poll on the current item (on `doc`, or the item's dossier).
    OpenPoll {
        /// The agenda item.
        item: u32,
        /// The document voted on, if not the item's dossier (e.g. an amendment).
        doc: Option<DocId>,
        /// The question, if not the item's title.
        title: Option<String>,
    },
    /// Chair: close a poll with the count of this device.
    ClosePoll(PollId),
    /// Chair: close the session.
    Close,
}
