//! Whether a session's minutes are approved: the approvals the council log holds, each checked
//! against the minutes the record gives now.

use crdt_model::hash::Hash;
use crdt_model::log::OpId;
use crdt_model::replica::Replica;
use crdt_model::session::SessionId;
use crdt_model::{MemberId, Role, Roles};

use super::MinutesError;
use super::read::minutes;

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
    /// Whether that hash is the hash of the record now; `false` if the record changed since
    /// (a statement or ballot was added) or it was never its.
    pub current: bool,
    /// The log operation that approved.
    pub op: OpId,
}

impl ApprovalCheck {
    /// Whether the approval is of the minutes the record gives now.
    pub fn matches(&self) -> bool {
        self.current
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
    /// The hash of the minutes the record gives now (the session's record hash).
    pub hash: Hash,
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
    /// Whether `hash` is the hash of the minutes the record gives now.
    pub fn matches(&self, hash: &Hash) -> bool {
        self.hash == *hash
    }
}

/// Checks the approvals of `session`'s minutes against its record.
pub fn verify_minutes(
    replica: &Replica,
    session: &SessionId,
) -> Result<MinutesCheck, MinutesError> {
    let m = minutes(replica, session)?;
    let hash = m.hash();
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
            current: a.minutes == hash,
            op: a.op,
        })
        .collect();
    approvals.sort_by(|a, b| a.name.cmp(&b.name).then(a.member.cmp(&b.member)));
    let approved_by: Vec<(String, Role)> = approvals
        .iter()
        .filter(|a| a.matches())
        .filter_map(|a| a.role().map(|r| (a.name.clone(), r)))
        .collect();
    let of = |roles: &[Role]| {
        approvals
            .iter()
            .any(|a| a.minutes == hash && roles.iter().any(|r| a.roles.has(*r)))
    };
    let approved = of(&[Role::Chair, Role::DeputyChair]) && of(&[Role::Secretary]);
    Ok(MinutesCheck {
        session: *session,
        matches_record: !approvals.is_empty() && approvals.iter().all(ApprovalCheck::matches),
        hash,
        approvals,
        approved_by,
        approved,
    })
}

/// A session's minutes check as JSON, for `council verify --json`: `session`, `label`,
/// `hash` (the record hash approvals sign), `approvals` (`name`, `member`, `role`, `minutes`, `matches`),
/// `matches_record`, `approved`; or `error` when no minutes can be made.
pub fn check_json(replica: &Replica, id: &SessionId) -> serde_json::Value {
    use serde_json::json;
    let label = replica
        .session(id)
        .map(|s| s.state().label.clone())
        .unwrap_or_default();
    match verify_minutes(replica, id) {
        Err(e) => json!({ "session": id.to_hex(), "label": label, "error": e.to_string() }),
        Ok(c) => {
            // By member key: an order any verifier reproduces (the text report sorts by name).
            let mut by_member: Vec<&ApprovalCheck> = c.approvals.iter().collect();
            by_member.sort_by_key(|a| a.member);
            let approvals: Vec<serde_json::Value> = by_member
                .into_iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "member": a.member.to_hex(),
                        "role": a.role().map(|r| r.name()),
                        "minutes": a.minutes.to_hex(),
                        "matches": a.matches(),
                    })
                })
                .collect();
            json!({
                "session": id.to_hex(),
                "label": label,
                "hash": c.hash.to_hex(),
                "approvals": approvals,
                "matches_record": c.matches_record,
                "approved": c.approved,
            })
        }
    }
}
