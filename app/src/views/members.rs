//! The roster and committees.

use crdt_model::log::CommitteeId;
use crdt_model::replica::Replica;
use crdt_model::{MemberId, Role};

use super::name_of;

/// One member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Their key.
    pub id: MemberId,
    /// Name.
    pub name: String,
    /// Contact details.
    pub contact: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Removed from the roster (kept for history).
    pub removed: bool,
    /// Committees they sit on.
    pub committees: Vec<String>,
}

/// One committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeRow {
    /// Its id.
    pub id: CommitteeId,
    /// Name.
    pub name: String,
    /// Its head's name.
    pub head: Option<String>,
    /// Members' names.
    pub members: Vec<String>,
}

/// The members screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembersView {
    /// The council's name.
    pub council: String,
    /// Everyone, current members first, by name.
    pub members: Vec<MemberRow>,
    /// Committees, by name.
    pub committees: Vec<CommitteeRow>,
    /// Whether this member may admit and remove members (and so make invites).
    pub may_manage: bool,
}

/// Builds the members screen for `me`.
pub fn members(r: &Replica, me: &MemberId) -> MembersView {
    let state = r.log().state();
    let mut rows: Vec<MemberRow> = state
        .members
        .iter()
        .map(|(id, m)| MemberRow {
            id: *id,
            name: m.name.clone(),
            contact: m.contact.clone(),
            roles: m.roles.iter().collect(),
            removed: m.removed,
            committees: state
                .committees
                .values()
                .filter(|c| c.members.contains(id))
                .map(|c| c.name.clone())
                .collect(),
        })
        .collect();
    rows.sort_by(|a, b| (a.removed, &a.name).cmp(&(b.removed, &b.name)));
    let mut committees: Vec<CommitteeRow> = state
        .committees
        .iter()
        .map(|(id, c)| CommitteeRow {
            id: *id,
            name: c.name.clone(),
            head: c.head.map(|h| name_of(state, &h)),
            members: c.members.iter().map(|m| name_of(state, m)).collect(),
        })
        .collect();
    committees.sort_by(|a, b| a.name.cmp(&b.name));
    MembersView {
        council: r.log().genesis().genesis().name.clone(),
        members: rows,
        committees,
        may_manage: state.may_add_members(me),
    }
}
