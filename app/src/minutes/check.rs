//! Whether a session's minutes are approved: the approvals the council log holds, each checked
//! against the minutes the record gives now.

use crdt_model::hash::Hash;
use crdt_model::log::OpId;
use crdt_model::replica::Replica;
use crdt_model::session::SessionId;
use crdt_model::{MemberId, Role, Roles};

use super::read::minutes;
use super::{Lang, MinutesError};

/// One member's latest approval of the minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalCheck {
    /// The approver.
    pub member: MemberId,
    /// Their name on the roster now.
    pub name: String,
    /// Their roles when they approved.
    pub roles: Roles,
    /// The hash they signed.
    pub minutes: Hash,
    /// The language whose minutes, as the record gives them now, have that hash; `None` if
    /// the record no longer gives those minutes (it changed since, or they were never its).
    pub lang: Option<Lang>,
    /// The log operation that approved.
    pub op: OpId,
}

impl ApprovalCheck {
    /// Whether the approval is of the minutes the record gives now.
    pub fn matches(&self) -> bool {
        self.lang.is_some()
    }

    /// The role the approval counts for: chair, deputy chair or secretary (in that order).
    pub fn role(&self) -> Option<Role> {
        [Role::Chair, Role::DeputyChair, Role::Secretary]
            .into_iter()
            .find(|r| self.roles.has(*r))
    }
}

/// The minutes of a session against their approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinutesCheck {
    /// The session.
    pub session: SessionId,
    /// The hash of the minutes the record gives now, in each language.
    pub hashes: Vec<(Lang, Hash)>,
    /// Each approver's latest approval, sorted by name.
    pub approvals: Vec<ApprovalCheck>,
    /// Whether there are approvals and every one is of the minutes the record gives now.
    pub matches_record: bool,
    /// Who approved the minutes the record gives now, with the role their approval counts for.
    pub approved_by: Vec<(String, Role)>,
    /// Whether a chair (or deputy chair) and the secretary both approved the same minutes, and
    /// those are the minutes the record gives now.
    pub approved: bool,
}

impl MinutesCheck {
    /// The hash of the minutes in `lang` as the record gives them now.
    pub fn hash(&self, lang: Lang) -> Option<Hash> {
        self.hashes
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, h)| *h)
    }

    /// Whether `hash` is the hash of the minutes the record gives now (in any language).
    pub fn matches(&self, hash: &Hash) -> bool {
        self.hashes.iter().any(|(_, h)| h == hash)
    }
}

/// Checks the approvals of `session`'s minutes against its record.
pub fn verify_minutes(
    replica: &Replica,
    session: &SessionId,
) -> Result<MinutesCheck, MinutesError> {
    let m = minutes(replica, session)?;
    let hashes: Vec<(Lang, Hash)> = Lang::ALL.iter().map(|l| (*l, m.hash(*l))).collect();
    let state = replica.log().state();
    let mut approvals: Vec<ApprovalCheck> = state
        .approvals
        .get(session)
        .into_iter()
        .flatten()
        .map(|(member, a)| ApprovalCheck {
            member: *member,
            name: state
                .members
                .get(member)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| member.short()),
            roles: a.roles,
            minutes: a.minutes,
            lang: hashes
                .iter()
                .find(|(_, h)| *h == a.minutes)
                .map(|(l, _)| *l),
            op: a.op,
        })
        .collect();
    approvals.sort_by(|a, b| a.name.cmp(&b.name).then(a.member.cmp(&b.member)));
    let approved_by: Vec<(String, Role)> = approvals
        .iter()
        .filter(|a| a.matches())
        .filter_map(|a| a.role().map(|r| (a.name.clone(), r)))
        .collect();
    let approved = hashes.iter().any(|(_, h)| {
        let of = |roles: &[Role]| {
            approvals
                .iter()
                .any(|a| a.minutes == *h && roles.iter().any(|r| a.roles.has(*r)))
        };
        of(&[Role::Chair, Role::DeputyChair]) && of(&[Role::Secretary])
    });
    Ok(MinutesCheck {
        session: *session,
        matches_record: !approvals.is_empty() && approvals.iter().all(ApprovalCheck::matches),
        hashes,
        approvals,
        approved_by,
        approved,
    })
}
