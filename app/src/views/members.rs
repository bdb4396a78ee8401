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

/// What kind of act a revocation voided, and why (the screen words it in the user's language).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidKind {
    /// A log operation signed after a removal or change of roles its author had not seen.
    Revoked,
    /// A removal by a member who was concurrently removed by a member of longer standing.
    LostMutual,
    /// A log operation that depends on a void one (a member or a right a void one gave).
    DependsOnVoid,
    /// A session opened by a chair whose removal the opening had not seen.
    Session,
    /// A document edit by a member whose removal it had not seen, that nobody built on.
    Edit,
}

/// One act of a member that a removal voided (docs/format.md §3, "Revocation").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidedRow {
    /// Who signed it.
    pub author: String,
    /// What it was and why it has no effect.
    pub kind: VoidKind,
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
    /// Acts that removals voided, so nobody wonders where they went.
    pub voided: Vec<VoidedRow>,
}

/// Every act a revocation voids in `r`: log operations, sessions and document edits.
pub fn voided(r: &Replica) -> Vec<VoidedRow> {
    use crdt_model::log::Void;
    let log = r.log();
    let state = log.state();
    let mut out: Vec<VoidedRow> = log
        .voided()
        .filter_map(|(id, why)| {
            let author = log.get(id)?.op().author;
            let kind = match why {
                Void::LostMutualRevocation { .. } => VoidKind::LostMutual,
                Void::DependsOnVoid(_) => VoidKind::DependsOnVoid,
                _ => VoidKind::Revoked,
            };
            Some(VoidedRow {
                author: name_of(state, &author),
                kind,
            })
        })
        .collect();
    for (sid, s) in r.sessions() {
        if r.session_revoked(sid).is_some()
            && let Some(open) = s.get(sid)
        {
            out.push(VoidedRow {
                author: name_of(state, &open.statement().author),
                kind: VoidKind::Session,
            });
        }
    }
    for d in r.documents().values() {
        for c in d.suspended() {
            out.push(VoidedRow {
                author: name_of(state, &c.author()),
                kind: VoidKind::Edit,
            });
        }
    }
    out.sort_by(|a, b| (&a.author, a.kind as u8).cmp(&(&b.author, b.kind as u8)));
    out
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
        voided: voided(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::log::{LogOp, OpBody};
    use crdt_model::replica::Item;
    use crdt_model::sample::{SampleCouncil, key};
    use crdt_model::{Role, Roles};

    #[test]
    fn the_members_screen_lists_what_a_removal_voided() {
        let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
        let mut r = Replica::new(c.genesis.clone());
        for op in &c.ops {
            r.receive(Item::Op(op.clone())).expect("op");
        }
        let before = log.heads();
        r.log_mut()
            .create(
                &c.secretary,
                OpBody::RemoveMember {
                    member: c.chair.member_id(),
                },
                1,
            )
            .expect("removal");
        let backdated = LogOp {
            council: log.council_id(),
            author: c.chair.member_id(),
            parents: before,
            time_ms: 2,
            body: OpBody::AddMember {
                member: key(71).member_id(),
                name: "Підставний".into(),
                roles: Roles::of(&[Role::Deputy]),
            },
        }
        .sign(&c.chair);
        r.receive(Item::Op(backdated))
            .expect("accepted at its heads");
        let view = members(&r, &c.secretary.member_id());
        assert_eq!(
            view.voided,
            vec![VoidedRow {
                author: "Голова".into(),
                kind: VoidKind::Revoked,
            }]
        );
        assert!(!view.members.iter().any(|m| m.name == "Підставний"));
    }
}
