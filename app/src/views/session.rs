//! The live session: registration, quorum, the agenda in progress, the speakers' queue, polls
//! and their verified results.

use crdt_model::MemberId;
use crdt_model::replica::Replica;
use crdt_model::rules::Counts;
use crdt_model::session::{
    CheckName, CheckResult, Choice, FloorKind, ItemStatus, Outcome, PollId, RequestStatus,
    SessionId, StatementId, VoterResult,
};

use super::name_of;

/// One session in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session.
    pub id: SessionId,
    /// Its label.
    pub label: String,
    /// Whether it was closed.
    pub closed: bool,
    /// When it opened, by the chair's clock.
    pub opened_ms: u64,
}

/// Every session, the newest first.
pub fn sessions(r: &Replica) -> Vec<SessionRow> {
    let mut rows: Vec<SessionRow> = r
        .live_sessions()
        .map(|(id, s)| SessionRow {
            id: *id,
            label: s.state().label.clone(),
            closed: s.state().closed,
            opened_ms: s.get(id).map(|o| o.statement().time_ms).unwrap_or(0),
        })
        .collect();
    rows.sort_by(|a, b| b.opened_ms.cmp(&a.opened_ms).then(a.id.cmp(&b.id)));
    rows
}

/// One agenda item as the session runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// Its number, from 1.
    pub number: u32,
    /// Its title.
    pub title: String,
    /// Where it stands.
    pub status: ItemStatus,
}

/// One request for the floor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    /// The request.
    pub request: StatementId,
    /// Who asked.
    pub name: String,
    /// Kind.
    pub kind: FloorKind,
    /// Whether it is this member's.
    pub mine: bool,
}

/// A poll's result, from the verification report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultView {
    /// The declared outcome.
    pub outcome: Outcome,
    /// The counts.
    pub counts: Counts,
    /// Every member of the body and how they stand, by name.
    pub table: Vec<(String, VoterResult)>,
    /// Whether every check passed.
    pub verified: bool,
    /// The checks that failed, with what offends.
    pub failed: Vec<(CheckName, Vec<String>)>,
    /// Whose ballots, cast before the close, the close left out, by name.
    pub omitted: Vec<String>,
}

/// A poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollView {
    /// The poll.
    pub id: PollId,
    /// The question.
    pub title: String,
    /// Whether it is still open.
    pub open: bool,
    /// Whether this member may vote in it now.
    pub may_vote: bool,
    /// This member's latest choice.
    pub my_choice: Option<Choice>,
    /// Who has voted (names), while open or after.
    pub voted: Vec<String>,
    /// Eligible members who have not voted.
    pub not_voted: Vec<String>,
    /// The result, once closed.
    pub result: Option<ResultView>,
}

/// The live session screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session.
    pub id: SessionId,
    /// Its label.
    pub label: String,
    /// Whether the chair closed it.
    pub closed: bool,
    /// Whether this member chairs it.
    pub chair: bool,
    /// Whether this member votes in it.
    pub voter: bool,
    /// Whether this member is registered present.
    pub present: bool,
    /// Members present, by name.
    pub present_names: Vec<String>,
    /// Seats of the body.
    pub seats: u32,
    /// Needed for quorum.
    pub quorum_needed: u32,
    /// Whether quorum is present.
    pub quorum: bool,
    /// The agenda.
    pub items: Vec<ItemRow>,
    /// The item in progress (index).
    pub current_item: Option<u32>,
    /// Who has the floor: request, name, kind, milliseconds left (negative: over time).
    pub speaker: Option<(StatementId, String, FloorKind, i64)>,
    /// Waiting requests, in the order they will be called (points of order first).
    pub queue: Vec<QueueRow>,
    /// This member's waiting request, if any.
    pub my_request: Option<StatementId>,
    /// Polls, in the order opened.
    pub polls: Vec<PollView>,
}

/// Builds the session screen for `me` at `now_ms`.
pub fn session(r: &Replica, id: &SessionId, me: &MemberId, now_ms: u64) -> Option<SessionView> {
    let s = r.session(id)?;
    let state = s.state();
    let roster = r.log().state();
    let ctx = s.context();
    let queue: Vec<QueueRow> = state
        .queue()
        .into_iter()
        .map(|q| QueueRow {
            request: q.id,
            name: name_of(roster, &q.member),
            kind: q.kind,
            mine: q.member == *me,
        })
        .collect();
    let speaker = state.speaker().map(|q| {
        (
            q.id,
            name_of(roster, &q.member),
            q.kind,
            state.remaining_ms(now_ms).unwrap_or(0),
        )
    });
    let polls = state
        .polls
        .iter()
        .map(|p| {
            // Who voted how is the tally's answer (provisional while the poll is open: each
            // voter's valid ballot with the highest seq, equivocations left out), never a
            // second reading of the ballots here.
            let report = s.report(&p.id).and_then(Result::ok);
            let choices: std::collections::BTreeMap<MemberId, Choice> = report
                .iter()
                .flat_map(|r| &r.table)
                .filter_map(|(m, v)| match v {
                    VoterResult::Voted(c) => Some((*m, *c)),
                    _ => None,
                })
                .collect();
            let result = if p.close.is_some() {
                report.as_ref().map(|rep| ResultView {
                    outcome: rep.outcome.unwrap_or(Outcome::NotAdopted),
                    counts: rep.counts,
                    table: rep
                        .table
                        .iter()
                        .map(|(m, v)| (name_of(roster, m), *v))
                        .collect(),
                    verified: rep.verified(),
                    failed: rep
                        .checks
                        .iter()
                        .filter_map(|(n, c)| match c {
                            CheckResult::Fail(off) => Some((*n, off.clone())),
                            _ => None,
                        })
                        .collect(),
                    omitted: rep
                        .omitted_voters()
                        .iter()
                        .map(|m| name_of(roster, m))
                        .collect(),
                })
            } else {
                None
            };
            PollView {
                id: p.id,
                title: p.open.title.clone(),
                open: p.close.is_none(),
                may_vote: s.may_vote(&p.id, me).is_ok(),
                my_choice: choices.get(me).copied(),
                voted: p
                    .open
                    .eligible
                    .iter()
                    .filter(|m| choices.contains_key(m))
                    .map(|m| name_of(roster, m))
                    .collect(),
                not_voted: p
                    .open
                    .eligible
                    .iter()
                    .filter(|m| !choices.contains_key(m))
                    .map(|m| name_of(roster, m))
                    .collect(),
                result,
            }
        })
        .collect();
    let my_request = state
        .requests
        .iter()
        .find(|q| q.member == *me && q.status == RequestStatus::Waiting)
        .map(|q| q.id);
    Some(SessionView {
        id: *id,
        label: state.label.clone(),
        closed: state.closed,
        chair: ctx.is_chair(me),
        voter: ctx.is_voter(me),
        present: state.present.contains_key(me),
        present_names: state.present.keys().map(|m| name_of(roster, m)).collect(),
        seats: state.seats,
        quorum_needed: state.quorum_needed,
        quorum: state.quorum_met(),
        items: state
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| ItemRow {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                title: it.item.title.clone(),
                status: it.status.clone(),
            })
            .collect(),
        current_item: state.current_item,
        speaker,
        queue,
        my_request,
        polls,
    })
}
