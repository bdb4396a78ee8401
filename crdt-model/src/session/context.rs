//! What a session and a tally need to know about the council: the body's seats and voters, who
//! chairs it, and the rules. Derived from the council log at the heads the session names, or
//! given explicitly to the standalone verifier (see `docs/format.md`, "Poll context").

use std::collections::BTreeSet;

use crate::council::CouncilId;
use crate::identity::MemberId;
use crate::log::{CouncilState, Unauthorized};
use crate::roles::Role;
use crate::rules::{MajorityRule, SpeechLimits, Threshold};

use super::statement::{Body, FloorKind};

/// The part of the council state a session of one body depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyContext {
    /// The council.
    pub council: CouncilId,
    /// Seats of the body: the council's seats, or the committee's member count.
    pub seats: u32,
    /// Share of the seats needed present.
    pub quorum: Threshold,
    /// The majority a poll uses unless it names another.
    pub default_majority: MajorityRule,
    /// Whether a poll may name another majority.
    pub allow_poll_override: bool,
    /// Speaking time limits.
    pub speech: SpeechLimits,
    /// Who may chair: council chair and deputy chairs; for a committee, its head (or the
    /// council's chairs if it has none).
    pub chairs: BTreeSet<MemberId>,
    /// Members of the body who vote.
    pub voters: BTreeSet<MemberId>,
}

impl BodyContext {
    /// The context of `body` in the council state `state` (taken at the session's log heads).
    pub fn from_state(
        council: CouncilId,
        state: &CouncilState,
        body: Body,
    ) -> Result<Self, Unauthorized> {
        let council_chairs: BTreeSet<MemberId> = state
            .members
            .keys()
            .filter(|m| {
                let r = state.roles_of(m);
                r.may_write() && (r.has(Role::Chair) || r.has(Role::DeputyChair))
            })
            .copied()
            .collect();
        let rules = &state.rules;
        let (seats, chairs, voters) = match body {
            Body::Council => (
                rules.seats,
                council_chairs,
                state.voters().copied().collect::<BTreeSet<_>>(),
            ),
            Body::Committee(id) => {
                let c = state
                    .committees
                    .get(&id)
                    .ok_or(Unauthorized::UnknownCommittee(id))?;
                let voters: BTreeSet<MemberId> = c
                    .members
                    .iter()
                    .filter(|m| state.roles_of(m).may_write())
                    .copied()
                    .collect();
                let chairs = match c.head {
                    Some(h) if state.roles_of(&h).may_write() => BTreeSet::from([h]),
                    _ => council_chairs,
                };
                (
                    u32::try_from(c.members.len()).unwrap_or(u32::MAX),
                    chairs,
                    voters,
                )
            }
        };
        Ok(BodyContext {
            council,
            seats,
            quorum: rules.quorum,
            default_majority: rules.default_majority,
            allow_poll_override: rules.allow_poll_override,
            speech: rules.speech,
            chairs,
            voters,
        })
    }

    /// Members needed present for quorum.
    pub fn quorum_needed(&self) -> u32 {
        self.quorum.required(self.seats)
    }

    /// Whether `m` may chair the body.
    pub fn is_chair(&self, m: &MemberId) -> bool {
        self.chairs.contains(m)
    }

    /// Whether `m` votes in the body.
    pub fn is_voter(&self, m: &MemberId) -> bool {
        self.voters.contains(m)
    }

    /// Speaking time for a kind of request, in milliseconds.
    pub fn limit_ms(&self, kind: FloorKind) -> u64 {
        let s = &self.speech;
        let secs = match kind {
            FloorKind::Speech => s.speech,
            FloorKind::Pro => s.pro,
            FloorKind::Contra => s.contra,
            FloorKind::Reply => s.reply,
            FloorKind::PointOfOrder => s.point_of_order,
        };
        u64::from(secs) * 1000
    }
}
