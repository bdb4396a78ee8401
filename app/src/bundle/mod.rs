//! The signed bundle (`docs/format.md` §10): what a device holds of its council's signed record,
//! in one JSON file that anyone can check again.
//!
//! [`Bundle::from_replica`] makes one (what `council export` writes), [`Bundle::parse`] reads
//! one strictly, and [`Bundle::verify`] rebuilds a replica from its genesis and items — each item
//! through the trust core — then verifies every poll it lists and checks that what it states
//! about each poll (context, open, close, ballots) is what the signed items imply.
//! [`Verdict::of_replica`] verifies the polls a device holds itself.

use std::collections::{BTreeMap, BTreeSet};

use crdt_model::hash::{Hash, hex};
use crdt_model::replica::{Item, ItemRejected, Replica, TextBinding, causal_order};
use crdt_model::rules::MajorityRule;
use crdt_model::session::{
    BodyContext, DecodedPoll, PollId, PollInput, SessionId, SessionPast, SignedBallot,
    SignedStatement, StatementId, TallyError, TallyReport, verify_polls,
};
use crdt_model::{CouncilId, MemberId, SignedGenesis};
use serde_json::{Value, json};

mod read;
use thiserror::Error;

/// The `format` field of every bundle of this version.
pub const FORMAT: &str = "council-bundle/1";

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every signed item: log operations, document changes, session statements and ballots.
    #[default]
    Everything,
    /// Everything but document changes (which no poll needs to be verified).
    PollsOnly,
    /// What the public may see (`council publish`): every log operation (the roster the polls
    /// are verified against; they name documents but hold no text), every session statement and
    /// ballot, and the changes of public documents only — never personal notes, drafts their
    /// authors have not submitted, or agendas not published (see [`crate::publish::is_public`]).
    Public,
}

/// One poll as a bundle states it: enough to verify its tally without anything else.
#[derive(Debug, Clone)]
pub struct BundlePoll {
    /// The session that holds it.
    pub session: SessionId,
    /// The poll (the id of its open statement).
    pub poll: PollId,
    /// The question, as its open statement words it.
    pub title: String,
    /// The poll context (§3) the tally is verified against.
    pub context: BodyContext,
    /// The OpenPoll statement, wire bytes.
    pub open: Vec<u8>,
    /// The ClosePoll statement, wire bytes, once closed.
    pub close: Option<Vec<u8>>,
    /// The ballots held for the poll, wire bytes, sorted by ballot id.
    pub ballots: Vec<Vec<u8>>,
}

/// A council's signed record, as `council export` writes it.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The council id, as the bundle states it.
    pub council: CouncilId,
    /// The council's founding record.
    pub genesis: SignedGenesis,
    /// Every signed item, in an order that applies without waiting.
    pub items: Vec<Item>,
    /// Every poll of every session the items hold.
    pub polls: Vec<BundlePoll>,
}

/// Why a file is not a bundle at all. Each message names the part at fault.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The text is not JSON (or is cut short).
    #[error("not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// The `format` field names another format.
    #[error("format is {0}, not \"{FORMAT}\": this is not a Council bundle of this version")]
    Format(String),
    /// A field is missing or has the wrong type or encoding.
    #[error("{at}: {why}")]
    Field {
        /// Where, e.g. `polls[2].ballots[0]`.
        at: String,
        /// What is wrong.
        why: String,
    },
    /// The genesis does not decode or its signature does not verify.
    #[error("genesis is not a signed genesis: {0}")]
    Genesis(String),
    /// The stated council id is not the genesis's.
    #[error("council {stated} is not the id of the genesis (which is {actual})")]
    Council {
        /// What the bundle says.
        stated: CouncilId,
        /// The id of its genesis.
        actual: CouncilId,
    },
    /// An item does not decode.
    #[error("item {index} is not a signed item: {why}")]
    Item {
        /// Its position in `items`, from 0.
        index: usize,
        /// What is wrong.
        why: String,
    },
}

impl Bundle {
    /// The bundle of everything `replica` holds (or all but document changes).
    pub fn from_replica(replica: &Replica, scope: Scope) -> Bundle {
        let items = replica
            .items()
            .into_iter()
            .filter(|i| match (scope, i) {
                (Scope::Everything, _)
                | (_, Item::Op(_) | Item::Statement(_) | Item::Ballot(_)) => true,
                (Scope::PollsOnly, Item::Change(_)) => false,
                (Scope::Public, Item::Change(c)) => crate::publish::is_public(replica, &c.doc()),
            })
            .collect();
        let mut polls = Vec::new();
        for (sid, s) in replica.sessions() {
            for p in &s.state().polls {
                let Some(open) = s.get(&p.id) else {
                    continue;
                };
                polls.push(BundlePoll {
                    session: *sid,
                    poll: p.id,
                    title: p.open.title.clone(),
                    context: s.context().clone(),
                    open: open.to_bytes(),
                    close: p.close_id.and_then(|c| s.get(&c)).map(|c| c.to_bytes()),
                    ballots: s.ballots(&p.id).map(SignedBallot::to_bytes).collect(),
                });
            }
        }
        Bundle {
            council: replica.log().council_id(),
            genesis: replica.log().genesis().clone(),
            items,
            polls,
        }
    }

    /// The bundle as JSON (§10).
    pub fn to_json(&self) -> Value {
        let polls: Vec<Value> = self
            .polls
            .iter()
            .map(|p| {
                json!({
                    "session": p.session.to_hex(),
                    "poll": p.poll.to_hex(),
                    "title": p.title,
                    "context": context_json(&p.context),
                    "open": hex(&p.open),
                    "close": p.close.as_deref().map(hex),
                    "ballots": p.ballots.iter().map(|b| hex(b)).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "format": FORMAT,
            "council": self.council.to_hex(),
            "genesis": hex(&self.genesis.to_bytes()),
            "items": self.items.iter().map(|i| hex(&i.to_bytes())).collect::<Vec<_>>(),
            "polls": polls,
        })
    }

    /// The file's text: pretty JSON with sorted keys and a final newline, the same bytes for
    /// the same record.
    pub fn to_text(&self) -> String {
        let text = serde_json::to_string_pretty(&sorted(self.to_json()))
            .unwrap_or_else(|_| String::from("{}"));
        text + "\n"
    }

    /// Rebuilds the council from the genesis and the items, then verifies every poll listed,
    /// against its stated context, and checks that it agrees with the signed items.
    pub fn verify(&self) -> Verdict {
        self.verify_rebuilt().0
    }

    /// [`Bundle::verify`], with the council it rebuilt from the items (what refused to apply
    /// left out), for what else is read from the same record (the minutes check).
    pub fn verify_rebuilt(&self) -> (Verdict, Replica) {
        let (replica, refused) = self.replay();
        let mut refusals: BTreeMap<usize, String> =
            refused.iter().map(|(i, e)| (*i, e.to_string())).collect();
        // What is neither refused nor held waits for something the bundle does not hold (or
        // that it refused). A copy of a held item with other signature bytes is refused if its
        // own signature fails, whichever copy came first.
        let held: BTreeMap<[u8; 32], Vec<u8>> = replica
            .items()
            .iter()
            .map(|it| (it.name(), it.to_bytes()))
            .collect();
        let mut waiting = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            if refusals.contains_key(&i) {
                continue;
            }
            match held.get(&item.name()) {
                Some(bytes) if *bytes == item.to_bytes() => {}
                Some(_) => {
                    if let Err(e) = item.verify_signature() {
                        refusals.insert(
                            i,
                            format!("a copy of a held item whose own signature fails: {e}"),
                        );
                    }
                }
                None => waiting.push(i),
            }
        }
        let mut problems: Vec<Problem> = refusals
            .iter()
            .map(|(i, why)| Problem {
                code: ProblemCode::Refused,
                item: Some(*i),
                poll: None,
                session: None,
                text: format!("item {i} ({}) is refused: {why}", describe(&self.items[*i])),
            })
            .collect();
        problems.extend(waiting.into_iter().map(|i| Problem {
            code: ProblemCode::Waiting,
            item: Some(i),
            poll: None,
            session: None,
            text: format!(
                "item {i} ({}) waits for an item the bundle does not hold or refused",
                describe(&self.items[i])
            ),
        }));
        problems.extend(self.unlisted_polls(&replica));
        // Each session's causal order, from the statements the bundle holds: what tells a ballot
        // cast after its poll's close from one the close left out.
        let mut by_session: BTreeMap<SessionId, Vec<&SignedStatement>> = BTreeMap::new();
        for item in &self.items {
            if let Item::Statement(st) = item {
                by_session.entry(st.session_id()).or_default().push(st);
            }
        }
        let pasts: BTreeMap<SessionId, SessionPast<'_>> = by_session
            .into_iter()
            .map(|(sid, sts)| (sid, SessionPast::new(sts)))
            .collect();
        let nothing = SessionPast::default();
        // Every poll verified in one batch: polls of one session share its causal order, so
        // telling their late ballots from omitted ones walks it once per 64 closes.
        let decoded: Vec<Result<DecodedPoll, TallyError>> = self
            .polls
            .iter()
            .map(|p| DecodedPoll::decode(&p.open, p.close.as_deref(), &p.ballots, &[]))
            .collect();
        let inputs: Vec<(usize, PollInput<'_>)> = decoded
            .iter()
            .zip(&self.polls)
            .enumerate()
            .filter_map(|(i, (d, p))| {
                let past = pasts.get(&p.session).unwrap_or(&nothing);
                d.as_ref().ok().map(|d| (i, d.input(&p.context, past)))
            })
            .collect();
        let batch: Vec<PollInput<'_>> = inputs.iter().map(|(_, x)| x.clone()).collect();
        let mut reports: BTreeMap<usize, Result<TallyReport, TallyError>> = inputs
            .iter()
            .map(|(i, _)| *i)
            .zip(verify_polls(&batch, 1))
            .collect();
        let polls = self
            .polls
            .iter()
            .zip(decoded)
            .enumerate()
            .map(|(i, (p, d))| {
                let report = match d {
                    Err(e) => Err(e),
                    Ok(_) => reports.remove(&i).unwrap_or(Err(TallyError::NotAPoll)),
                };
                PollVerdict {
                    session: p.session,
                    poll: p.poll,
                    title: p.title.clone(),
                    report,
                    agreement: Some(agreement(p, &replica)),
                }
            })
            .collect();
        let verdict = Verdict {
            names: member_names(&replica),
            council: self.council,
            council_name: replica.log().genesis().genesis().name.clone(),
            problems,
            voided: voided_ops(&replica),
            ignored: ignored_items(&replica),
            polls,
        };
        (verdict, replica)
    }

    /// Replays the items into a council of the genesis alone, in an order where each follows
    /// what it names, so that the result does not depend on the order the file lists them in (a
    /// peer parks only so much of what waits); returns it with the refused items by position.
    fn replay(&self) -> (Replica, BTreeMap<usize, ItemRejected>) {
        let mut replica = Replica::new(self.genesis.clone());
        let mut refused = BTreeMap::new();
        for i in causal_order(&self.items) {
            match replica.receive(self.items[i].clone()) {
                // Not a verdict on the item: it waits for something the bundle lacks or refused.
                Ok(_) | Err(ItemRejected::NotParked(_)) => {}
                Err(e) => {
                    refused.insert(i, e);
                }
            }
        }
        (replica, refused)
    }

    /// Polls the items hold that `polls` does not list, and polls listed twice.
    fn unlisted_polls(&self, replica: &Replica) -> Vec<Problem> {
        let mut listed = BTreeSet::new();
        let mut problems = Vec::new();
        for p in &self.polls {
            if !listed.insert((p.session, p.poll)) {
                problems.push(Problem {
                    code: ProblemCode::ListedTwice,
                    item: None,
                    poll: Some(p.poll),
                    session: Some(p.session),
                    text: format!("poll {} is listed twice", p.poll),
                });
            }
        }
        for (sid, s) in replica.sessions() {
            for p in &s.state().polls {
                if !listed.contains(&(*sid, p.id)) {
                    problems.push(Problem {
                        code: ProblemCode::UnlistedPoll,
                        item: None,
                        poll: Some(p.id),
                        session: Some(*sid),
                        text: format!(
                            "poll {} of session {sid} is held by the items but missing from polls",
                            p.id
                        ),
                    });
                }
            }
        }
        problems
    }
}

/// What kind of problem a bundle has beyond its polls (`docs/format.md` §10, step 2): the
/// name every implementation gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemCode {
    /// An item fails its own checks.
    Refused,
    /// An item waits for a parent or dependency the bundle does not hold, or refused.
    Waiting,
    /// The items hold a poll that `polls` does not list.
    UnlistedPoll,
    /// `polls` lists a poll twice.
    ListedTwice,
}

impl ProblemCode {
    /// The code as the JSON verdict spells it.
    pub fn name(self) -> &'static str {
        match self {
            ProblemCode::Refused => "refused",
            ProblemCode::Waiting => "waiting",
            ProblemCode::UnlistedPoll => "unlisted-poll",
            ProblemCode::ListedTwice => "listed-twice",
        }
    }
}

/// One problem of a bundle beyond its polls, each a failure of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub code: ProblemCode,
    /// The item's position in `items`, for `refused` and `waiting`.
    pub item: Option<usize>,
    /// The poll, for `unlisted-poll` and `listed-twice`.
    pub poll: Option<PollId>,
    /// Its session, with `poll`.
    pub session: Option<SessionId>,
    /// The problem in words (the implementation's own; not compared).
    pub text: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// How one stated part of a poll compares with what the signed items imply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// `context`, `open`, `close`, `ballots`, `document`, `version` or `session`.
    pub name: &'static str,
    /// What differs (empty when it agrees), sorted.
    pub offending: Vec<String>,
    /// Whether the items allow the check at all (`version` of a bundle without the document's
    /// changes does not; it then neither passes nor fails).
    pub applicable: bool,
}

impl Agreement {
    fn new(name: &'static str, mut offending: Vec<String>) -> Self {
        offending.sort();
        offending.dedup();
        Agreement {
            name,
            offending,
            applicable: true,
        }
    }

    fn not_applicable(name: &'static str) -> Self {
        Agreement {
            name,
            offending: Vec::new(),
            applicable: false,
        }
    }

    /// Whether the stated part is what the items imply (a check the items do not allow is no
    /// failure).
    pub fn passed(&self) -> bool {
        self.offending.is_empty()
    }

    /// `pass`, `fail` or `not-applicable`, as the JSON verdict spells it.
    pub fn result(&self) -> &'static str {
        match (self.applicable, self.passed()) {
            (false, _) => "not-applicable",
            (true, true) => "pass",
            (true, false) => "fail",
        }
    }
}

/// The verification of one poll.
#[derive(Debug, Clone)]
pub struct PollVerdict {
    /// The session that holds it.
    pub session: SessionId,
    /// The poll.
    pub poll: PollId,
    /// Its question.
    pub title: String,
    /// The tally report (§8), or why the poll cannot be verified at all.
    pub report: Result<TallyReport, TallyError>,
    /// For a bundle: whether what it states agrees with its signed items.
    pub agreement: Option<Vec<Agreement>>,
}

impl PollVerdict {
    /// Whether every check of the report passed and the bundle agrees with its items.
    pub fn passed(&self) -> bool {
        self.report.as_ref().is_ok_and(TallyReport::verified)
            && self.agreement.iter().flatten().all(Agreement::passed)
    }
}

/// A log operation (or a session, by the id of its opening) a revocation voided, as the
/// verdict reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidedOp {
    /// The operation, or the session.
    pub op: crdt_model::OpId,
    /// Its author's name on the roster.
    pub author: String,
    /// Why, as every implementation names it: `revoked`, `lost-mutual-revocation`,
    /// `depends-on-void` or `session-revoked`.
    pub code: &'static str,
    /// The revocation that voids it, when one does directly.
    pub by: Option<crdt_model::OpId>,
    /// Why it has no effect, in words.
    pub reason: String,
}

/// A signed item the record holds that no poll's report covers: a statement its session
/// ignored, or a ballot for a poll opening the session ignored. Not a failure of the record
/// (concurrent acts make honest ones), but never left unsaid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredItem {
    /// The session.
    pub session: SessionId,
    /// `statement` or `ballot`.
    pub kind: &'static str,
    /// The item's id.
    pub id: Hash,
    /// Its signer's name on the roster (their short key if none).
    pub author: String,
    /// Why, as every implementation names it (`docs/format.md` §6): an ignored statement's
    /// reason code, or `poll-not-opened` for a ballot.
    pub code: &'static str,
    /// Why it has no effect, in words.
    pub reason: String,
}

/// Every statement a live session ignored and every ballot for a poll it did not open, in
/// session order, then by id.
fn ignored_items(replica: &Replica) -> Vec<IgnoredItem> {
    let names = member_names(replica);
    let name = |m: &MemberId| names.get(m).cloned().unwrap_or_else(|| m.short());
    let mut out = Vec::new();
    for (sid, s) in replica.live_sessions() {
        let mut ignored: Vec<(StatementId, &'static str, String)> = s
            .state()
            .ignored
            .iter()
            .map(|(id, why)| (*id, why.code(), why.to_string()))
            .collect();
        ignored.sort();
        for (id, code, reason) in ignored {
            let author = s.get(&id).map(|st| name(&st.statement().author));
            out.push(IgnoredItem {
                session: *sid,
                kind: "statement",
                id,
                author: author.unwrap_or_default(),
                code,
                reason,
            });
        }
        let opened: BTreeSet<PollId> = s.state().polls.iter().map(|p| p.id).collect();
        for poll in s.ballot_polls().filter(|p| !opened.contains(p)) {
            for b in s.ballots(poll) {
                out.push(IgnoredItem {
                    session: *sid,
                    kind: "ballot",
                    id: b.id(),
                    author: name(&b.ballot().voter),
                    code: "poll-not-opened",
                    reason: format!(
                        "its poll {} is an opening the session ignored: no tally counts it",
                        poll.short()
                    ),
                });
            }
        }
    }
    out
}

/// Every void operation of `replica`'s log, and every void session.
fn voided_ops(replica: &Replica) -> Vec<VoidedOp> {
    let log = replica.log();
    let names = member_names(replica);
    let mut out: Vec<VoidedOp> = log
        .voided()
        .map(|(id, why)| VoidedOp {
            op: *id,
            author: log
                .get(id)
                .and_then(|o| names.get(&o.op().author).cloned())
                .unwrap_or_default(),
            code: why.code(),
            by: why.by(),
            reason: why.to_string(),
        })
        .collect();
    // Sessions a removal of their chair voids (docs/format.md §3, "Revocation"), by their id.
    for (sid, s) in replica.sessions() {
        if let Some(r) = replica.session_revoked(sid) {
            let opener = s.get(sid).map(|o| o.statement().author);
            out.push(VoidedOp {
                op: *sid,
                author: opener
                    .and_then(|a| names.get(&a).cloned())
                    .unwrap_or_default(),
                code: "session-revoked",
                by: Some(r),
                reason: format!(
                    "the session \"{}\" has no effect: its chair's standing was revoked by {}, \
                     which the log heads its opening names had not seen",
                    s.state().label,
                    r.short()
                ),
            });
        }
    }
    out.sort_by_key(|v| v.op);
    out
}

/// The verification of every poll of a bundle or a device.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The council.
    pub council: CouncilId,
    /// Its name.
    pub council_name: String,
    /// Members' names by key, for the tables.
    pub names: BTreeMap<MemberId, String>,
    /// What is wrong with the bundle beyond its polls (refused and waiting items, polls left
    /// out or listed twice), in that order.
    pub problems: Vec<Problem>,
    /// Log operations that are accepted but void (a revocation their author had not seen, or
    /// what depends on one: docs/format.md, "Deriving the context from the log", step 6), with
    /// their author's name and the reason, sorted by id. Not a failure: what a removal voided.
    pub voided: Vec<VoidedOp>,
    /// Statements the sessions ignored and ballots for polls they did not open: what no
    /// poll's report covers. Not a failure.
    pub ignored: Vec<IgnoredItem>,
    /// Each poll, in bundle (or session) order.
    pub polls: Vec<PollVerdict>,
}

impl Verdict {
    /// Verifies every poll of every session `replica` holds, against the contexts it derived.
    pub fn of_replica(replica: &Replica) -> Verdict {
        let mut polls = Vec::new();
        for (sid, s) in replica.live_sessions() {
            for p in &s.state().polls {
                let Some(report) = s.report(&p.id) else {
                    continue;
                };
                polls.push(PollVerdict {
                    session: *sid,
                    poll: p.id,
                    title: p.open.title.clone(),
                    report,
                    agreement: None,
                });
            }
        }
        Verdict {
            council: replica.log().council_id(),
            council_name: replica.log().genesis().genesis().name.clone(),
            names: member_names(replica),
            problems: Vec::new(),
            voided: voided_ops(replica),
            ignored: ignored_items(replica),
            polls,
        }
    }

    /// Polls that failed.
    pub fn failed(&self) -> usize {
        self.polls.iter().filter(|p| !p.passed()).count()
    }

    /// Whether every poll passed and the bundle has no other problem.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.failed() == 0
    }

    /// The verdict as JSON: each poll's report in the §8 shape, with its session, title and
    /// agreement beside it (see §10).
    pub fn to_json(&self) -> Value {
        let reports: Vec<Value> = self.polls.iter().map(poll_json).collect();
        json!({
            "council": self.council.to_hex(),
            "problems": self.problems.iter().map(|p| json!({
                "code": p.code.name(),
                "item": p.item,
                "poll": p.poll.map(|x| x.to_hex()),
                "session": p.session.map(|x| x.to_hex()),
                "text": p.text,
            })).collect::<Vec<Value>>(),
            "voided": self.voided.iter().map(|v| json!({
                "op": v.op.to_hex(),
                "author": v.author,
                "code": v.code,
                "by": v.by.map(|x| x.to_hex()),
                "reason": v.reason,
            })).collect::<Vec<Value>>(),
            "ignored": self.ignored.iter().map(|i| json!({
                "session": i.session.to_hex(),
                "kind": i.kind,
                "id": i.id.to_hex(),
                "author": i.author,
                "code": i.code,
                "reason": i.reason,
            })).collect::<Vec<Value>>(),
            "reports": reports,
            "verified": self.polls.len() - self.failed(),
            "failed": self.failed(),
        })
    }
}

/// What `council verify --json` prints (`docs/format.md` §10): the verdict, and under `minutes`
/// each live session's minutes check against `replica`, the council the verdict is of.
pub fn verdict_json(verdict: &Verdict, replica: &Replica) -> Value {
    let mut json = verdict.to_json();
    if let Value::Object(obj) = &mut json {
        let minutes: Vec<Value> = replica
            .live_sessions()
            .map(|(id, _)| crate::minutes::check_json(replica, id))
            .collect();
        obj.insert("minutes".into(), Value::Array(minutes));
    }
    json
}

fn poll_json(p: &PollVerdict) -> Value {
    let mut v = report_json(&p.report);
    if let Value::Object(m) = &mut v {
        m.insert("session".into(), json!(p.session.to_hex()));
        m.insert("title".into(), json!(p.title));
        if let Some(a) = &p.agreement {
            let list: Vec<Value> = a
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "result": a.result(),
                        "offending": a.offending,
                    })
                })
                .collect();
            m.insert("agreement".into(), Value::Array(list));
        }
        if p.report.is_err() {
            m.insert("poll".into(), json!(p.poll.to_hex()));
        }
    }
    v
}

/// A tally report as JSON, in the shape of §8 and the test vectors.
pub fn report_json(r: &Result<TallyReport, TallyError>) -> Value {
    let r = match r {
        Ok(r) => r,
        Err(e) => return json!({ "error": error_name(e) }),
    };
    json!({
        "poll": r.poll.to_hex(),
        "closed": r.closed,
        "verified": r.verified(),
        "checks": r.checks.iter().map(|(n, c)| json!({
            "name": n.name(),
            "result": c.name(),
            "offending": c.offending(),
        })).collect::<Vec<_>>(),
        "counts": { "for": r.counts.for_, "against": r.counts.against, "abstain": r.counts.abstain },
        "outcome": r.outcome.map(|o| o.name()),
        "counted_hash": r.counted_hash.map(|h| h.to_hex()),
        "table": r.table.iter().map(|(m, v)| json!({ "member": m.to_hex(), "result": v.name() })).collect::<Vec<_>>(),
        "uncounted": r.uncounted.iter().map(|u| json!({
            "ballot": u.ballot.to_hex(),
            "voter": u.voter.to_hex(),
            "seq": u.seq,
            "reason": u.reason.name(),
        })).collect::<Vec<_>>(),
        "rejected": r.rejected.iter().map(|x| json!({ "item": x.item, "reason": x.reason.name() })).collect::<Vec<_>>(),
        "evidence": r.evidence.iter().map(|e| json!({
            "voter": e.voter.to_hex(),
            "seq": e.seq,
            "ballots": e.ballots.iter().map(Hash::to_hex).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The §8 name of an error that stops verification.
pub fn error_name(e: &TallyError) -> &'static str {
    match e {
        TallyError::MalformedOpen => "malformed-open",
        TallyError::NotAPoll => "not-a-poll",
        TallyError::MalformedClose => "malformed-close",
        _ => "unverifiable",
    }
}

/// A poll context as JSON, spelled as in the test vectors (§9).
pub fn context_json(c: &BodyContext) -> Value {
    json!({
        "council": c.council.to_hex(),
        "seats": c.seats,
        "quorum": c.quorum.name(),
        "default_majority": rule_json(&c.default_majority),
        "allow_poll_override": c.allow_poll_override,
        "chairs": c.chairs.iter().map(|m| m.to_hex()).collect::<Vec<_>>(),
        "voters": c.voters.iter().map(|m| m.to_hex()).collect::<Vec<_>>(),
    })
}

fn rule_json(r: &MajorityRule) -> Value {
    json!({ "threshold": r.threshold.name(), "base": r.base.name() })
}

/// Rebuilds `v` with every object's keys inserted in sorted order, so the text is the same
/// whichever map serde_json was built with.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// "ballot 1a2b3c4d", "log operation …": what an item is, for messages.
fn describe(item: &Item) -> String {
    match item {
        Item::Op(op) => format!("log operation {}", op.id().short()),
        Item::Change(_) => "document change".to_string(),
        Item::Statement(st) => format!(
            "{} statement {}",
            st.statement().kind.name(),
            st.id().short()
        ),
        Item::Ballot(b) => format!("ballot {}", b.id().short()),
    }
}

fn member_names(replica: &Replica) -> BTreeMap<MemberId, String> {
    replica
        .log()
        .state()
        .members
        .iter()
        .map(|(id, m)| (*id, m.name.clone()))
        .collect()
}

/// Compares what a bundle states about a poll with what its items imply.
fn agreement(p: &BundlePoll, replica: &Replica) -> Vec<Agreement> {
    let Some(s) = replica.session(&p.session) else {
        let missing = || vec!["session-not-in-items".to_string()];
        let mut checks: Vec<Agreement> = ["context", "open", "close", "ballots"]
            .into_iter()
            .map(|n| Agreement::new(n, missing()))
            .collect();
        checks.extend(binding(None));
        return checks;
    };
    let state = s.state().poll(&p.poll);
    let held_open = state.and_then(|_| s.get(&p.poll));
    let held_close = state.and_then(|ps| ps.close_id).and_then(|c| s.get(&c));
    let mut open = Vec::new();
    match (held_open, state) {
        (Some(o), Some(ps)) => {
            if o.to_bytes() != p.open {
                open.push("differs".to_string());
            }
            if ps.open.title != p.title {
                open.push("title".to_string());
            }
        }
        _ => open.push("not-in-items".to_string()),
    }
    let close = match (&p.close, held_close) {
        (None, None) => vec![],
        (Some(_), None) => vec!["not-in-items".to_string()],
        (None, Some(_)) => vec!["missing".to_string()],
        (Some(a), Some(b)) if *a != b.to_bytes() => vec!["differs".to_string()],
        _ => vec![],
    };
    let held: BTreeSet<Vec<u8>> = s.ballots(&p.poll).map(SignedBallot::to_bytes).collect();
    let mut checks = vec![
        Agreement::new("context", context_diff(&p.context, s.context())),
        Agreement::new("open", open),
        Agreement::new("close", close),
        Agreement::new("ballots", ballot_diff(&p.ballots, &held)),
    ];
    checks.extend(binding(replica.text_binding(&p.session, &p.poll)));
    // A session its chair's removal voids (docs/format.md §3, "Revocation") counts nowhere.
    if let Some(r) = replica.session_revoked(&p.session) {
        checks.push(Agreement::new(
            "session",
            vec![format!("revoked:{}", r.to_hex())],
        ));
    }
    checks
}

/// The `document` and `version` checks of a poll's text binding; both `not-applicable` when
/// the items do not hold the poll.
fn binding(b: Option<TextBinding>) -> [Agreement; 2] {
    match b {
        Some(b) => [
            Agreement::new("document", b.document),
            match b.version {
                Some(v) => Agreement::new("version", v),
                None => Agreement::not_applicable("version"),
            },
        ],
        None => [
            Agreement::not_applicable("document"),
            Agreement::not_applicable("version"),
        ],
    }
}

/// The context fields (§3) in which `stated` differs from `derived`.
fn context_diff(stated: &BodyContext, derived: &BodyContext) -> Vec<String> {
    let fields = [
        ("council", stated.council == derived.council),
        ("seats", stated.seats == derived.seats),
        ("quorum", stated.quorum == derived.quorum),
        (
            "default_majority",
            stated.default_majority == derived.default_majority,
        ),
        (
            "allow_poll_override",
            stated.allow_poll_override == derived.allow_poll_override,
        ),
        ("chairs", stated.chairs == derived.chairs),
        ("voters", stated.voters == derived.voters),
    ];
    fields
        .iter()
        .filter(|(_, same)| !same)
        .map(|(name, _)| (*name).to_string())
        .collect()
}

/// Ballots listed that the items do not hold (`not-in-items:…`), and held ones not listed
/// (`missing:…`).
fn ballot_diff(stated: &[Vec<u8>], held: &BTreeSet<Vec<u8>>) -> Vec<String> {
    let label = |i: usize, b: &[u8]| match SignedBallot::from_bytes(b) {
        Ok(b) => format!("ballot:{}", b.id().to_hex()),
        Err(_) => format!("#{i}"),
    };
    let listed: BTreeSet<&[u8]> = stated.iter().map(Vec::as_slice).collect();
    let mut off: Vec<String> = stated
        .iter()
        .enumerate()
        .filter(|(_, b)| !held.contains(*b))
        .map(|(i, b)| format!("not-in-items:{}", label(i, b)))
        .collect();
    off.extend(
        held.iter()
            .filter(|b| !listed.contains(b.as_slice()))
            .map(|b| format!("missing:{}", label(0, b))),
    );
    off
}
