//! Reading minutes from the signed record: a pure function of the replica.
//!
//! Everything comes from the session's statements as the session applied them (in its
//! deterministic fold order), its ballots, the roster at the log heads the session was opened
//! under, and the documents at the versions that were voted on. Names are those of that
//! roster, so a later change of profile does not change minutes already approved.

use std::collections::{BTreeMap, BTreeSet};

use crdt_model::document::{ChangeHash, TextField};
use crdt_model::hash::Hash;
use crdt_model::log::{CouncilState, DocSpec};
use crdt_model::replica::Replica;
use crdt_model::rules::Counts;
use crdt_model::session::{
    Body, CheckResult, ItemStatus, Outcome, PollState, Session, SessionId, StatementId,
    StatementKind, VoterResult,
};
use crdt_model::{DocId, MemberId, Roles};

use super::MinutesError;
use super::model::{
    Attendance, BodyName, Decision, ItemOutcome, ItemRecord, Minutes, Person, PollRecord, Quorum,
    Recusal, Speech, Subject, Verification,
};

/// Reads the minutes of `session` from the signed record `replica` holds.
pub fn minutes(replica: &Replica, session: &SessionId) -> Result<Minutes, MinutesError> {
    let s = replica
        .session(session)
        .ok_or(MinutesError::UnknownSession(*session))?;
    let open = s
        .get(session)
        .ok_or(MinutesError::UnknownSession(*session))?;
    let StatementKind::OpenSession {
        body,
        log_heads,
        label,
        ..
    } = &open.statement().kind
    else {
        return Err(MinutesError::UnknownSession(*session));
    };
    let roster = replica.log().state_at(log_heads)?;
    let names = Names { state: &roster };
    let state = s.state();
    let ctx = s.context();
    let mut walk = Walk::new(s, &names);
    walk.run();
    let mut items = walk.items;
    let mut decisions = Vec::new();
    let mut polls_verified = 0;
    let mut ballots = 0;
    for p in &state.polls {
        let record = poll_record(replica, s, &names, p);
        ballots += s.ballots(&p.id).count();
        if record.verified {
            polls_verified += 1;
        }
        // A decision is listed only when the signed record shows it was adopted: the declared
        // outcome alone is the chair's word.
        if record.verified
            && record.outcome == Some(Outcome::Adopted)
            && record.subject == Subject::Draft
        {
            let title = text_at(replica, &p.open.doc, TextField::Title, &p.open.version)
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| p.open.title.clone());
            decisions.push(Decision {
                poll: p.id,
                item: p.open.item,
                doc: p.open.doc,
                title,
                text: text_at(replica, &p.open.doc, TextField::Body, &p.open.version),
                version: p.open.version.clone(),
                adopted_ms: record.closed_ms,
            });
        }
        if let Some(item) = items.get_mut(p.open.item as usize) {
            item.polls.push(record);
        }
    }
    let mut attendance: Vec<Attendance> = walk.attendance.into_values().collect();
    attendance.sort_by(|a, b| by_name(&a.person, &b.person));
    let mut absent: Vec<Person> = ctx
        .voters
        .iter()
        .filter(|m| !attendance.iter().any(|a| a.person.member == **m))
        .map(|m| names.person(m))
        .collect();
    absent.sort_by(by_name);
    let mut recusals: Vec<Recusal> = walk
        .recusals
        .into_iter()
        .map(|((item, member), reason)| Recusal {
            person: names.person(&member),
            item,
            reason,
        })
        .collect();
    recusals.sort_by(|a, b| a.item.cmp(&b.item).then(by_name(&a.person, &b.person)));
    let body = match body {
        Body::Council => BodyName::Council,
        Body::Committee(id) => BodyName::Committee {
            id: *id,
            name: roster
                .committees
                .get(id)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| id.short()),
        },
    };
    Ok(Minutes {
        council: replica.log().council_id(),
        council_name: replica.log().genesis().genesis().name.clone(),
        session: *session,
        label: label.clone(),
        body,
        opened_by: names.person(&open.statement().author),
        opened_ms: open.statement().time_ms,
        closed_ms: walk.closed_ms,
        seats: ctx.seats,
        quorum_needed: ctx.quorum_needed(),
        log_heads: log_heads.clone(),
        attendance,
        absent,
        recusals,
        quorum_at_opening: walk.quorum_at_opening,
        items,
        decisions,
        verification: Verification {
            statements: s.statements().len(),
            ignored: state.ignored.len(),
            waiting: s.pending_len(),
            ballots,
            polls: state.polls.len(),
            polls_verified,
        },
        record_hash: s.record_hash(),
    })
}

/// Names from the roster the session was opened under.
struct Names<'a> {
    state: &'a CouncilState,
}

impl Names<'_> {
    fn person(&self, m: &MemberId) -> Person {
        match self.state.members.get(m) {
            Some(member) => Person {
                member: *m,
                name: member.name.clone(),
                roles: member.roles,
            },
            None => Person {
                member: *m,
                name: m.short(),
                roles: Roles::NONE,
            },
        }
    }
}

fn by_name(a: &Person, b: &Person) -> std::cmp::Ordering {
    a.name.cmp(&b.name).then(a.member.cmp(&b.member))
}

/// The session's applied statements, replayed in fold order for what the state does not keep:
/// times, the order of speeches, presence at each moment.
struct Walk<'a> {
    session: &'a Session,
    names: &'a Names<'a>,
    present: BTreeSet<MemberId>,
    attendance: BTreeMap<MemberId, Attendance>,
    recusals: BTreeMap<(u32, MemberId), String>,
    items: Vec<ItemRecord>,
    /// The speech in progress: its request, item index and position in the item's speeches.
    speaking: Option<(StatementId, usize, usize)>,
    quorum_at_opening: Option<Quorum>,
    closed_ms: Option<u64>,
}

impl<'a> Walk<'a> {
    fn new(session: &'a Session, names: &'a Names<'a>) -> Self {
        let items = session
            .state()
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| ItemRecord {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                title: it.item.title.clone(),
                doc: it.item.doc,
                outcome: match &it.status {
                    ItemStatus::Waiting => ItemOutcome::NotTaken,
                    ItemStatus::InProgress => ItemOutcome::InProgress,
                    ItemStatus::Done => ItemOutcome::Done,
                    ItemStatus::Postponed => ItemOutcome::Postponed,
                    ItemStatus::Removed { reason } => ItemOutcome::Removed {
                        reason: reason.clone(),
                    },
                },
                started_ms: None,
                ended_ms: None,
                quorum_at_start: None,
                speeches: Vec::new(),
                polls: Vec::new(),
            })
            .collect();
        Walk {
            session,
            names,
            present: BTreeSet::new(),
            attendance: BTreeMap::new(),
            recusals: BTreeMap::new(),
            items,
            speaking: None,
            quorum_at_opening: None,
            closed_ms: None,
        }
    }

    fn quorum(&self, at_ms: u64) -> Quorum {
        Quorum {
            at_ms,
            present: u32::try_from(self.present.len()).unwrap_or(u32::MAX),
            needed: self.session.context().quorum_needed(),
        }
    }

    /// Ends the speech in progress at `t`, if it is on `item` (or on any item when `None`).
    fn end_speech(&mut self, item: Option<usize>, t: u64) {
        let Some((_, on, ix)) = self.speaking else {
            return;
        };
        if item.is_some_and(|i| i != on) {
            return;
        }
        if let Some(sp) = self.items.get_mut(on).and_then(|i| i.speeches.get_mut(ix)) {
            sp.used_ms = Some(t.saturating_sub(sp.granted_ms));
        }
        self.speaking = None;
    }

    fn run(&mut self) {
        let session = self.session;
        for id in &session.state().applied {
            let Some(st) = session.get(id) else {
                continue;
            };
            let stmt = st.statement();
            let t = stmt.time_ms;
            match &stmt.kind {
                StatementKind::Present { member } => {
                    self.present.insert(*member);
                    let person = self.names.person(member);
                    self.attendance
                        .entry(*member)
                        .or_insert(Attendance {
                            person,
                            registered_ms: t,
                            by_chair: stmt.author != *member,
                            left_ms: None,
                        })
                        .left_ms = None;
                }
                StatementKind::Left { member } => {
                    self.present.remove(member);
                    if let Some(a) = self.attendance.get_mut(member) {
                        a.left_ms = Some(t);
                    }
                }
                StatementKind::StartItem { item } => {
                    let q = self.quorum(t);
                    self.quorum_at_opening.get_or_insert(q);
                    if let Some(rec) = self.items.get_mut(*item as usize) {
                        rec.started_ms.get_or_insert(t);
                        rec.quorum_at_start.get_or_insert(q);
                    }
                }
                StatementKind::EndItem { item }
                | StatementKind::PostponeItem { item }
                | StatementKind::RemoveItem { item, .. } => {
                    self.end_speech(Some(*item as usize), t);
                    if let Some(rec) = self.items.get_mut(*item as usize) {
                        rec.ended_ms = Some(t);
                    }
                }
                StatementKind::GrantFloor { request } => self.grant(*request, t),
                StatementKind::EndFloor { request }
                    if self.speaking.is_some_and(|(r, _, _)| r == *request) =>
                {
                    self.end_speech(None, t);
                }
                StatementKind::DeclareConflict { item, reason } => {
                    self.recusals.insert((*item, stmt.author), reason.clone());
                }
                StatementKind::CloseSession => {
                    self.end_speech(None, t);
                    self.closed_ms = Some(t);
                }
                _ => {}
            }
        }
    }

    fn grant(&mut self, request: StatementId, t: u64) {
        let Some(req) = self.session.get(&request) else {
            return;
        };
        let StatementKind::RequestFloor { item, kind } = req.statement().kind else {
            return;
        };
        let person = self.names.person(&req.statement().author);
        let limit_ms = self.session.context().limit_ms(kind);
        let Some(rec) = self.items.get_mut(item as usize) else {
            return;
        };
        let ix = rec.speeches.len();
        rec.speeches.push(Speech {
            order: u32::try_from(ix + 1).unwrap_or(u32::MAX),
            person,
            kind,
            granted_ms: t,
            used_ms: None,
            limit_ms,
        });
        self.speaking = Some((request, item as usize, ix));
    }
}

/// The text of a document's field at a voted version, if this device holds that version.
fn text_at(replica: &Replica, doc: &DocId, field: TextField, version: &[Hash]) -> Option<String> {
    if version.is_empty() {
        return None;
    }
    let d = replica.documents().get(doc)?;
    let heads: Vec<ChangeHash> = version.iter().map(|h| ChangeHash(h.0)).collect();
    d.text_at(field, &heads).ok()
}

fn poll_record(replica: &Replica, s: &Session, names: &Names<'_>, p: &PollState) -> PollRecord {
    let open = &p.open;
    let time = |id: &StatementId| s.get(id).map(|st| st.statement().time_ms);
    let opened_ms = time(&p.id).unwrap_or(0);
    let closed_ms = p.close_id.as_ref().and_then(time);
    let subject = match replica
        .log()
        .state()
        .documents
        .get(&open.doc)
        .map(|m| &m.spec)
    {
        Some(DocSpec::Draft { .. }) => Subject::Draft,
        Some(DocSpec::Amendment {
            draft,
            from_line,
            to_line,
        }) => Subject::Amendment {
            draft: *draft,
            from_line: *from_line,
            to_line: *to_line,
            text: text_at(replica, &open.doc, TextField::Body, &open.version),
        },
        _ => Subject::Other,
    };
    let report = s.report(&p.id);
    let (mut counts, table, verified, failed_checks, counted_hash, uncounted, rejected) =
        match &report {
            Some(Ok(r)) => {
                let mut table: Vec<(Person, VoterResult)> = r
                    .table
                    .iter()
                    .map(|(m, res)| (names.person(m), *res))
                    .collect();
                table.sort_by(|a, b| by_name(&a.0, &b.0));
                let failed: Vec<String> = r
                    .checks
                    .iter()
                    .filter(|(_, c)| matches!(c, CheckResult::Fail(_)))
                    .map(|(n, c)| {
                        if c.offending().is_empty() {
                            n.name().to_string()
                        } else {
                            format!("{}: {}", n.name(), c.offending().join(", "))
                        }
                    })
                    .collect();
                (
                    r.counts,
                    table,
                    r.verified(),
                    failed,
                    r.counted_hash,
                    r.uncounted.len(),
                    r.rejected.len(),
                )
            }
            Some(Err(e)) => (
                Counts::default(),
                Vec::new(),
                false,
                vec![e.to_string()],
                None,
                0,
                0,
            ),
            None => (
                Counts::default(),
                Vec::new(),
                false,
                vec!["no report".to_string()],
                None,
                0,
                0,
            ),
        };
    let omitted: Vec<Person> = match &report {
        Some(Ok(r)) => r.omitted_voters().iter().map(|m| names.person(m)).collect(),
        _ => Vec::new(),
    };
    if let Some(close) = &p.close {
        counts = close.counts;
    }
    let eligible = u32::try_from(open.eligible.len()).unwrap_or(u32::MAX);
    let registered = u32::try_from(open.eligible.len() + open.recused.len()).unwrap_or(u32::MAX);
    PollRecord {
        id: p.id,
        title: open.title.clone(),
        doc: open.doc,
        subject,
        version: open.version.clone(),
        rule: open.rule,
        required: open.rule.required(&counts, eligible, open.seats),
        seats: open.seats,
        eligible,
        opened_ms,
        closed_ms,
        quorum_at_open: Quorum {
            at_ms: opened_ms,
            present: registered,
            needed: open.quorum_needed,
        },
        quorum_at_close: p.close.as_ref().map(|c| Quorum {
            at_ms: closed_ms.unwrap_or(opened_ms),
            present: u32::try_from(c.present.len()).unwrap_or(u32::MAX),
            needed: open.quorum_needed,
        }),
        counts,
        outcome: p.close.as_ref().map(|c| c.outcome),
        table,
        verified,
        failed_checks,
        counted_hash,
        uncounted,
        omitted,
        rejected,
    }
}
