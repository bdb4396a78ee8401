//! Tally verification: one pure function from a poll's statements and ballots to a report that
//! anyone can reproduce (see `docs/format.md`, "Verifying a poll").

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::hash::Hash;
use crate::identity::{Domain, MemberId};
use crate::rules::Counts;

use super::ballot::{BallotId, Choice, SignedBallot};
use super::context::BodyContext;
use super::past::{CausalOrder, ReachingMany, SessionPast};
use super::statement::{
    Outcome, PollClose, PollId, PollOpen, SignedStatement, StatementId, StatementKind,
};
use super::verify::{SigJob, verify_all};

/// Prefix of the hash that commits to the set of ballots a close counted.
pub const COUNTED_PREFIX: &[u8] = b"council/v1/id/counted\0";

/// The named checks of a report, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckName {
    /// The open statement is the chair's, for this council, with the body's seats, quorum and an
    /// allowed rule, and its snapshot names only voters of the body with quorum present.
    OpenStatement,
    /// The open, the close and every counted ballot carry valid signatures.
    Signatures,
    /// Every counted ballot names this poll.
    BallotsBoundToPoll,
    /// Every counted ballot is by an eligible voter.
    Eligibility,
    /// No voter has more than one counted ballot.
    OneVotePerDeputy,
    /// The close is the chair's, for this council, session and poll, and lists only voters as
    /// present.
    CloseStatement,
    /// Every ballot the close commits to is known.
    CloseCommitment,
    /// The close's counts are the counts of the ballots it commits to.
    Counts,
    /// The declared outcome follows from the rule, the counts and quorum at close.
    Outcome,
    /// Every valid ballot that had not seen the close is counted, or superseded by a counted
    /// ballot of the same voter: nothing the voters cast before the close was left out.
    AllBallotsCounted,
}

impl CheckName {
    /// Every check, in report order.
    pub const ALL: [CheckName; 10] = [
        CheckName::OpenStatement,
        CheckName::Signatures,
        CheckName::BallotsBoundToPoll,
        CheckName::Eligibility,
        CheckName::OneVotePerDeputy,
        CheckName::CloseStatement,
        CheckName::CloseCommitment,
        CheckName::Counts,
        CheckName::Outcome,
        CheckName::AllBallotsCounted,
    ];

    /// Stable name, as in the format and the vectors.
    pub fn name(self) -> &'static str {
        match self {
            CheckName::OpenStatement => "open-statement",
            CheckName::Signatures => "signatures",
            CheckName::BallotsBoundToPoll => "ballots-bound-to-poll",
            CheckName::Eligibility => "eligibility",
            CheckName::OneVotePerDeputy => "one-vote-per-deputy",
            CheckName::CloseStatement => "close-statement",
            CheckName::CloseCommitment => "close-commitment",
            CheckName::Counts => "counts",
            CheckName::Outcome => "outcome",
            CheckName::AllBallotsCounted => "all-ballots-counted",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CheckResult {
    /// It holds.
    Pass,
    /// It fails; the offending items, sorted (see the format for their spelling).
    Fail(Vec<String>),
    /// The poll is not closed, so there is nothing to check yet.
    NotApplicable,
}

impl CheckResult {
    /// Stable name.
    pub fn name(&self) -> &'static str {
        match self {
            CheckResult::Pass => "pass",
            CheckResult::Fail(_) => "fail",
            CheckResult::NotApplicable => "not-applicable",
        }
    }

    /// The offending items (empty unless failed).
    pub fn offending(&self) -> &[String] {
        match self {
            CheckResult::Fail(v) => v,
            _ => &[],
        }
    }

    fn from(mut offending: Vec<String>) -> Self {
        if offending.is_empty() {
            CheckResult::Pass
        } else {
            offending.sort();
            offending.dedup();
            CheckResult::Fail(offending)
        }
    }
}

/// How one member of the body stands in the poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoterResult {
    /// Voted (the counted ballot, or the latest valid one while the poll is open).
    Voted(Choice),
    /// Eligible but no ballot counted.
    DidNotVote,
    /// Declared a conflict of interest on the item.
    Recused,
    /// Not registered present when the poll opened.
    Absent,
}

impl VoterResult {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            VoterResult::Voted(c) => c.name(),
            VoterResult::DidNotVote => "did-not-vote",
            VoterResult::Recused => "recused",
            VoterResult::Absent => "absent",
        }
    }
}

/// Why a known ballot is not a valid vote in this poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BallotRejection {
    /// The bytes are not a ballot.
    Malformed,
    /// It names another poll.
    OtherPoll,
    /// Its voter is not in the poll's eligible snapshot.
    NotEligible,
    /// No copy of it carries a valid signature.
    BadSignature,
    /// Its voter signed another choice with the same sequence number.
    Equivocation,
}

impl BallotRejection {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            BallotRejection::Malformed => "malformed",
            BallotRejection::OtherPoll => "other-poll",
            BallotRejection::NotEligible => "not-eligible",
            BallotRejection::BadSignature => "bad-signature",
            BallotRejection::Equivocation => "equivocation",
        }
    }
}

/// A known ballot that is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rejected {
    /// `ballot:<hex id>`, or `#<index>` for bytes that are not a ballot.
    pub item: String,
    /// Why.
    pub reason: BallotRejection,
}

/// A valid ballot the close did not count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uncounted {
    /// The ballot.
    pub ballot: BallotId,
    /// Its voter.
    pub voter: MemberId,
    /// Its sequence number.
    pub seq: u32,
    /// Why it is not counted.
    pub reason: UncountedReason,
}

/// Why a valid ballot is not among those a close counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UncountedReason {
    /// A counted ballot of the same voter has a higher sequence number: a changed vote.
    Superseded,
    /// Its voter had seen the close (the close is among the heads it names or their
    /// ancestors): cast after the poll closed.
    Late,
    /// Neither: the voter cast it without having seen the close, and the close left it out.
    /// The poll does not verify ([`CheckName::AllBallotsCounted`]).
    Omitted,
}

impl UncountedReason {
    /// Stable name, as in the format and the vectors.
    pub fn name(self) -> &'static str {
        match self {
            UncountedReason::Superseded => "superseded",
            UncountedReason::Late => "late",
            UncountedReason::Omitted => "omitted",
        }
    }
}

/// Proof that a voter signed two different choices with one sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Equivocation {
    /// The voter.
    pub voter: MemberId,
    /// The sequence number.
    pub seq: u32,
    /// The conflicting ballots, sorted.
    pub ballots: Vec<BallotId>,
}

/// The verification report of one poll.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TallyReport {
    /// The poll.
    pub poll: PollId,
    /// Whether a close was given.
    pub closed: bool,
    /// Each check, in [`CheckName::ALL`] order.
    pub checks: Vec<(CheckName, CheckResult)>,
    /// Counts of the ballots the close commits to (while open: of the latest valid ballots).
    pub counts: Counts,
    /// The outcome the close declares.
    pub outcome: Option<Outcome>,
    /// Hash of the counted set (see [`COUNTED_PREFIX`]).
    pub counted_hash: Option<Hash>,
    /// Every member of the body and how they stand, sorted by key.
    pub table: Vec<(MemberId, VoterResult)>,
    /// Valid ballots the close did not count, sorted by id.
    pub uncounted: Vec<Uncounted>,
    /// Rejected ballots, sorted by item.
    pub rejected: Vec<Rejected>,
    /// Equivocations, sorted by voter and sequence number.
    pub evidence: Vec<Equivocation>,
}

impl TallyReport {
    /// Whether every check that applies passes.
    pub fn verified(&self) -> bool {
        self.checks
            .iter()
            .all(|(_, r)| !matches!(r, CheckResult::Fail(_)))
    }

    /// The voters whose valid ballots, cast before the close, the close left out
    /// ([`UncountedReason::Omitted`]), each once: whom the minutes, the screen and the site
    /// name.
    pub fn omitted_voters(&self) -> BTreeSet<MemberId> {
        omitted(&self.uncounted).map(|u| u.voter).collect()
    }

    /// The result of one check.
    pub fn check(&self, name: CheckName) -> Option<&CheckResult> {
        self.checks.iter().find(|(n, _)| *n == name).map(|(_, r)| r)
    }
}

/// Why a poll could not be verified at all.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TallyError {
    /// The open statement does not decode.
    #[error("the poll's open statement is malformed")]
    MalformedOpen,
    /// The open statement is not a poll opening.
    #[error("the open statement does not open a poll")]
    NotAPoll,
    /// The close statement does not decode.
    #[error("the poll's close statement is malformed")]
    MalformedClose,
}

/// The uncounted ballots the close omitted.
fn omitted(uncounted: &[Uncounted]) -> impl Iterator<Item = &Uncounted> {
    uncounted
        .iter()
        .filter(|u| u.reason == UncountedReason::Omitted)
}

/// The commitment hash of a set of ballot ids: `sha256(prefix || sorted ids)`.
pub fn counted_hash(ids: &[BallotId]) -> Hash {
    let mut v = ids.to_vec();
    v.sort();
    v.dedup();
    let parts: Vec<&[u8]> = v.iter().map(|h| &h.0[..]).collect();
    Hash::of(COUNTED_PREFIX, &parts)
}

/// One poll's decoded inputs.
#[derive(Debug, Clone)]
pub struct PollInput<'a> {
    /// The body's context at the session's log heads.
    pub ctx: &'a BodyContext,
    /// The statement that opened the poll.
    pub open: &'a SignedStatement,
    /// The statement that closed it, if any.
    pub close: Option<&'a SignedStatement>,
    /// Known ballots (any order, duplicates allowed); `Err(index)` for bytes that are not one.
    pub ballots: Vec<Result<&'a SignedBallot, usize>>,
    /// The session's statements the verifier holds: what tells a late ballot from an omitted
    /// one.
    pub past: &'a dyn CausalOrder,
}

/// Verifies one poll: [`verify_polls`] for a single input.
pub fn verify_one(input: PollInput<'_>) -> Result<TallyReport, TallyError> {
    verify_polls(&[input], 1)
        .pop()
        .unwrap_or(Err(TallyError::NotAPoll))
}

/// Verifies one poll whose late ballots are already known (a session works them out for all
/// its polls at once; see [`late_ballots`]).
pub(crate) fn verify_one_with_late(
    input: PollInput<'_>,
    late: &BTreeSet<BallotId>,
) -> Result<TallyReport, TallyError> {
    verify_batch(
        std::slice::from_ref(&input),
        1,
        Some(std::slice::from_ref(late)),
    )
    .pop()
    .unwrap_or(Err(TallyError::NotAPoll))
}

/// Verifies one poll from its decoded items; `statements` are the session's statements held
/// (the open and the close need not be among them).
pub fn verify_poll(
    ctx: &BodyContext,
    open: &SignedStatement,
    close: Option<&SignedStatement>,
    ballots: &[SignedBallot],
    statements: &[SignedStatement],
) -> Result<TallyReport, TallyError> {
    let past = SessionPast::new(statements.iter().chain([open]).chain(close));
    verify_one(PollInput {
        ctx,
        open,
        close,
        ballots: ballots.iter().map(Ok).collect(),
        past: &past,
    })
}

/// Decoded bytes of one poll, ready for [`verify_polls`].
#[derive(Debug, Clone)]
pub struct DecodedPoll {
    /// The open statement.
    pub open: SignedStatement,
    /// The close statement.
    pub close: Option<SignedStatement>,
    /// The ballots; `Err(index)` for bytes that do not decode.
    pub ballots: Vec<Result<SignedBallot, usize>>,
    /// The session's other statements that decode (those that do not prove nothing).
    pub statements: Vec<SignedStatement>,
}

impl DecodedPoll {
    /// Decodes a poll's wire bytes.
    pub fn decode(
        open: &[u8],
        close: Option<&[u8]>,
        ballots: &[Vec<u8>],
        statements: &[Vec<u8>],
    ) -> Result<Self, TallyError> {
        let open = SignedStatement::from_bytes(open).map_err(|_| TallyError::MalformedOpen)?;
        let close = close
            .map(SignedStatement::from_bytes)
            .transpose()
            .map_err(|_| TallyError::MalformedClose)?;
        let ballots = ballots
            .iter()
            .enumerate()
            .map(|(i, b)| SignedBallot::from_bytes(b).map_err(|_| i))
            .collect();
        let statements = statements
            .iter()
            .filter_map(|s| SignedStatement::from_bytes(s).ok())
            .collect();
        Ok(DecodedPoll {
            open,
            close,
            ballots,
            statements,
        })
    }

    /// The causal order of this poll's statements, for [`DecodedPoll::input`].
    pub fn past(&self) -> SessionPast<'_> {
        SessionPast::new(
            self.statements
                .iter()
                .chain([&self.open])
                .chain(self.close.as_ref()),
        )
    }

    /// The input for [`verify_polls`]; `past` is [`DecodedPoll::past`] (or the session's, shared
    /// by its polls).
    pub fn input<'a>(&'a self, ctx: &'a BodyContext, past: &'a dyn CausalOrder) -> PollInput<'a> {
        PollInput {
            ctx,
            open: &self.open,
            close: self.close.as_ref(),
            ballots: self
                .ballots
                .iter()
                .map(|b| b.as_ref().map_err(|i| *i))
                .collect(),
            past,
        }
    }
}

/// Verifies one poll from its wire bytes: the entry point the test vectors exercise.
/// `statements` are the session's statements the verifier holds, in any order.
pub fn verify_poll_bytes(
    ctx: &BodyContext,
    open: &[u8],
    close: Option<&[u8]>,
    ballots: &[Vec<u8>],
    statements: &[Vec<u8>],
) -> Result<TallyReport, TallyError> {
    let d = DecodedPoll::decode(open, close, ballots, statements)?;
    let past = d.past();
    verify_one(d.input(ctx, &past))
}

/// Verifies many polls at once: every signature of every poll goes through one batch pipeline
/// (spread over `threads` threads), then each poll's report is derived.
pub fn verify_polls(
    polls: &[PollInput<'_>],
    threads: usize,
) -> Vec<Result<TallyReport, TallyError>> {
    verify_batch(polls, threads, None)
}

/// [`verify_polls`], with each poll's late ballots given or, when `late` is `None`, worked out.
fn verify_batch(
    polls: &[PollInput<'_>],
    threads: usize,
    late: Option<&[BTreeSet<BallotId>]>,
) -> Vec<Result<TallyReport, TallyError>> {
    let mut jobs: Vec<SigJob<'_>> = Vec::new();
    // Per poll: index of the open's job, of the close's job, and of each ballot's job.
    let mut slots: Vec<(usize, Option<usize>, Vec<Option<usize>>)> =
        Vec::with_capacity(polls.len());
    for p in polls {
        let open_job = jobs.len();
        jobs.push(statement_job(p.open));
        let close_job = p.close.map(|c| {
            jobs.push(statement_job(c));
            jobs.len() - 1
        });
        let mut bj = Vec::with_capacity(p.ballots.len());
        for b in &p.ballots {
            match b {
                Ok(b) => {
                    bj.push(Some(jobs.len()));
                    jobs.push(SigJob {
                        key: b.ballot().voter.as_bytes(),
                        domain: Domain::Ballot,
                        body: b.body(),
                        sig: &b.signature().0,
                    });
                }
                Err(_) => bj.push(None),
            }
        }
        slots.push((open_job, close_job, bj));
    }
    let ok = verify_all(&jobs, threads);
    let worked_out;
    let late = match late {
        Some(l) => l,
        None => {
            worked_out = late_ballots(polls);
            &worked_out[..]
        }
    };
    let none = BTreeSet::new();
    polls
        .iter()
        .zip(slots)
        .enumerate()
        .map(|(i, (p, (o, c, bj)))| {
            let ballot_ok: Vec<bool> = bj.iter().map(|j| j.is_some_and(|j| ok[j])).collect();
            report(
                p,
                ok[o],
                c.map(|c| ok[c]),
                &ballot_ok,
                late.get(i).unwrap_or(&none),
            )
        })
        .collect()
}

/// For each poll, the ballots cast after its close: those not in the close's `counted` whose
/// `seen` holds the close or a held statement that follows it (§7 step 5). Polls that share a
/// causal order are asked together, [`ReachingMany::TARGETS`] closes per walk.
pub(crate) fn late_ballots(polls: &[PollInput<'_>]) -> Vec<BTreeSet<BallotId>> {
    let mut late: Vec<BTreeSet<BallotId>> = vec![BTreeSet::new(); polls.len()];
    // The polls with a close, grouped by the causal order they share (by its address).
    let mut groups: Vec<(*const u8, Vec<usize>)> = Vec::new();
    for (i, p) in polls.iter().enumerate() {
        if p.close.is_none() {
            continue;
        }
        let at = p.past as *const dyn CausalOrder as *const u8;
        match groups.iter_mut().find(|(a, _)| std::ptr::eq(*a, at)) {
            Some((_, v)) => v.push(i),
            None => groups.push((at, vec![i])),
        }
    }
    for (_, members) in groups {
        for batch in members.chunks(ReachingMany::TARGETS) {
            let Some(first) = batch.first() else { continue };
            let targets: Vec<StatementId> = batch
                .iter()
                .filter_map(|i| polls[*i].close.map(SignedStatement::id))
                .collect();
            let mut walk = ReachingMany::new(polls[*first].past, &targets);
            for (bit, i) in batch.iter().enumerate() {
                let p = &polls[*i];
                let counted: BTreeSet<BallotId> = match p.close.map(|c| &c.statement().kind) {
                    Some(StatementKind::ClosePoll(c)) => c.counted.iter().copied().collect(),
                    _ => BTreeSet::new(),
                };
                for b in p.ballots.iter().flatten() {
                    let id = b.id();
                    if !counted.contains(&id) && walk.from(&b.ballot().seen) & (1u64 << bit) != 0 {
                        late[*i].insert(id);
                    }
                }
            }
        }
    }
    late
}

fn statement_job(s: &SignedStatement) -> SigJob<'_> {
    SigJob {
        key: s.statement().author.as_bytes(),
        domain: Domain::Statement,
        body: s.body(),
        sig: &s.signature().0,
    }
}

fn member_item(prefix: &str, m: &MemberId) -> String {
    format!("{prefix}:{}", m.to_hex())
}

fn ballot_item(id: &BallotId) -> String {
    format!("ballot:{}", id.to_hex())
}

/// What is known of one ballot id: the decoded ballot and whether any copy's signature verifies.
struct Known<'a> {
    ballot: &'a SignedBallot,
    sig_ok: bool,
}

fn check_open(ctx: &BodyContext, s: &SignedStatement, p: &PollOpen) -> Vec<String> {
    let mut off = Vec::new();
    let st = s.statement();
    if st.council != ctx.council {
        off.push("wrong-council".to_string());
    }
    if !ctx.is_chair(&st.author) {
        off.push("author-not-chair".to_string());
    }
    if p.seats != ctx.seats {
        off.push("seats".to_string());
    }
    if p.quorum_needed != ctx.quorum_needed() {
        off.push("quorum-needed".to_string());
    }
    if p.rule != ctx.default_majority && !ctx.allow_poll_override {
        off.push("rule-not-allowed".to_string());
    }
    for m in p.eligible.iter().chain(&p.recused) {
        if !ctx.is_voter(m) {
            off.push(member_item("not-a-voter", m));
        }
    }
    let eligible: BTreeSet<&MemberId> = p.eligible.iter().collect();
    for m in &p.recused {
        if eligible.contains(m) {
            off.push(member_item("eligible-and-recused", m));
        }
    }
    if (p.eligible.len() + p.recused.len()) < ctx.quorum_needed() as usize {
        off.push("no-quorum".to_string());
    }
    off
}

fn check_close<'a>(
    ctx: &BodyContext,
    open: &SignedStatement,
    poll: PollId,
    s: &'a SignedStatement,
) -> (Vec<String>, Option<&'a PollClose>) {
    let mut off = Vec::new();
    let st = s.statement();
    let StatementKind::ClosePoll(c) = &st.kind else {
        return (vec!["not-a-close".to_string()], None);
    };
    if st.council != ctx.council {
        off.push("wrong-council".to_string());
    }
    if st.session != open.statement().session {
        off.push("wrong-session".to_string());
    }
    if c.poll != poll {
        off.push("wrong-poll".to_string());
    }
    if !ctx.is_chair(&st.author) {
        off.push("author-not-chair".to_string());
    }
    for m in &c.present {
        if !ctx.is_voter(m) {
            off.push(member_item("not-a-voter", m));
        }
    }
    (off, Some(c))
}

fn tally_of<'a>(ballots: impl Iterator<Item = &'a SignedBallot>) -> Counts {
    let mut c = Counts::default();
    for b in ballots {
        match b.ballot().choice {
            Choice::For => c.for_ += 1,
            Choice::Against => c.against += 1,
            Choice::Abstain => c.abstain += 1,
        }
    }
    c
}

fn report(
    p: &PollInput<'_>,
    open_sig: bool,
    close_sig: Option<bool>,
    ballot_sig: &[bool],
    late: &BTreeSet<BallotId>,
) -> Result<TallyReport, TallyError> {
    let ctx = p.ctx;
    let StatementKind::OpenPoll(open) = &p.open.statement().kind else {
        return Err(TallyError::NotAPoll);
    };
    let poll = p.open.id();
    let eligible: BTreeSet<MemberId> = open.eligible.iter().copied().collect();
    let recused: BTreeSet<MemberId> = open.recused.iter().copied().collect();

    // Known ballots by id; a ballot id is signed if any copy verifies.
    let mut known: BTreeMap<BallotId, Known<'_>> = BTreeMap::new();
    let mut rejected: Vec<Rejected> = Vec::new();
    for (b, sig) in p.ballots.iter().zip(ballot_sig) {
        match b {
            Ok(b) => {
                let k = known.entry(b.id()).or_insert(Known {
                    ballot: b,
                    sig_ok: false,
                });
                k.sig_ok |= *sig;
            }
            Err(i) => rejected.push(Rejected {
                item: format!("#{i}"),
                reason: BallotRejection::Malformed,
            }),
        }
    }
    // Classify: rejected, or valid.
    let mut valid: BTreeMap<BallotId, &SignedBallot> = BTreeMap::new();
    for (id, k) in &known {
        let b = k.ballot.ballot();
        let reason = if b.poll != poll {
            Some(BallotRejection::OtherPoll)
        } else if !eligible.contains(&b.voter) {
            Some(BallotRejection::NotEligible)
        } else if !k.sig_ok {
            Some(BallotRejection::BadSignature)
        } else {
            None
        };
        match reason {
            Some(reason) => rejected.push(Rejected {
                item: ballot_item(id),
                reason,
            }),
            None => {
                valid.insert(*id, k.ballot);
            }
        }
    }
    // Equivocation: two valid ballots of one voter with one sequence number.
    let mut by_slot: BTreeMap<(MemberId, u32), Vec<BallotId>> = BTreeMap::new();
    for (id, b) in &valid {
        by_slot
            .entry((b.ballot().voter, b.ballot().seq))
            .or_default()
            .push(*id);
    }
    let mut evidence = Vec::new();
    for ((voter, seq), ids) in by_slot {
        if ids.len() > 1 {
            for id in &ids {
                valid.remove(id);
                rejected.push(Rejected {
                    item: ballot_item(id),
                    reason: BallotRejection::Equivocation,
                });
            }
            evidence.push(Equivocation {
                voter,
                seq,
                ballots: ids,
            });
        }
    }
    rejected.sort_by(|a, b| a.item.cmp(&b.item));

    let mut checks: Vec<(CheckName, CheckResult)> = Vec::new();
    let mut sig_off = Vec::new();
    if !open_sig {
        sig_off.push("open".to_string());
    }
    if close_sig == Some(false) {
        sig_off.push("close".to_string());
    }
    let open_off = check_open(ctx, p.open, open);
    let na = CheckResult::NotApplicable;

    let close = p.close.map(|s| check_close(ctx, p.open, poll, s));
    let (counts, outcome, counted_hash, table_votes, uncounted);
    match &close {
        Some((close_off, c)) => {
            let counted_ids: &[BallotId] = c.map(|c| &c.counted[..]).unwrap_or(&[]);
            let counted: Vec<(&BallotId, Option<&Known<'_>>)> =
                counted_ids.iter().map(|id| (id, known.get(id))).collect();
            let mut bound_off = Vec::new();
            let mut elig_off = Vec::new();
            let mut unknown_off = Vec::new();
            let mut per_voter: BTreeMap<MemberId, Vec<&SignedBallot>> = BTreeMap::new();
            for (id, k) in &counted {
                let Some(k) = k else {
                    unknown_off.push(format!("unknown-ballot:{}", id.to_hex()));
                    continue;
                };
                let b = k.ballot.ballot();
                if !k.sig_ok {
                    sig_off.push(ballot_item(id));
                }
                if b.poll != poll {
                    bound_off.push(ballot_item(id));
                }
                if !eligible.contains(&b.voter) {
                    elig_off.push(ballot_item(id));
                }
                per_voter.entry(b.voter).or_default().push(k.ballot);
            }
            let one_off: Vec<String> = per_voter
                .iter()
                .filter(|(_, v)| v.len() > 1)
                .map(|(m, _)| member_item("member", m))
                .collect();
            let actual = tally_of(counted.iter().filter_map(|(_, k)| k.map(|k| k.ballot)));
            let mut count_off = Vec::new();
            let mut outcome_off = Vec::new();
            if let Some(c) = c {
                for (name, claimed, real) in [
                    ("for", c.counts.for_, actual.for_),
                    ("against", c.counts.against, actual.against),
                    ("abstain", c.counts.abstain, actual.abstain),
                ] {
                    if claimed != real {
                        count_off.push(name.to_string());
                    }
                }
                let basis = open.judge(&c.counts, c.present.len());
                match (c.outcome, basis.majority, basis.quorum) {
                    (Outcome::Adopted, _, false) => outcome_off.push("no-quorum-at-close".into()),
                    (Outcome::Adopted, false, true) => outcome_off.push("majority-not-met".into()),
                    (Outcome::NotAdopted, true, true) => outcome_off.push("majority-met".into()),
                    _ => {}
                }
            }
            let applies = |off: Vec<String>| {
                if c.is_some() {
                    CheckResult::from(off)
                } else {
                    CheckResult::NotApplicable
                }
            };
            checks.push((CheckName::OpenStatement, CheckResult::from(open_off)));
            checks.push((CheckName::Signatures, CheckResult::from(sig_off)));
            checks.push((CheckName::BallotsBoundToPoll, applies(bound_off)));
            checks.push((CheckName::Eligibility, applies(elig_off)));
            checks.push((CheckName::OneVotePerDeputy, applies(one_off)));
            checks.push((
                CheckName::CloseStatement,
                CheckResult::from(close_off.clone()),
            ));
            checks.push((CheckName::CloseCommitment, applies(unknown_off)));
            checks.push((CheckName::Counts, applies(count_off)));
            checks.push((CheckName::Outcome, applies(outcome_off)));
            counts = actual;
            outcome = c.map(|c| c.outcome);
            counted_hash = Some(self::counted_hash(counted_ids));
            // The vote shown for a voter: their counted, valid, bound ballot with the highest
            // sequence number.
            let mut votes: BTreeMap<MemberId, (u32, Choice)> = BTreeMap::new();
            for (_, k) in &counted {
                let Some(k) = k else { continue };
                let b = k.ballot.ballot();
                if !k.sig_ok || b.poll != poll {
                    continue;
                }
                let e = votes.entry(b.voter).or_insert((b.seq, b.choice));
                if b.seq > e.0 {
                    *e = (b.seq, b.choice);
                }
            }
            let counted_set: BTreeSet<&BallotId> = counted_ids.iter().collect();
            let mut best_counted: BTreeMap<MemberId, u32> = BTreeMap::new();
            for (_, k) in &counted {
                if let Some(k) = k {
                    let b = k.ballot.ballot();
                    let e = best_counted.entry(b.voter).or_insert(b.seq);
                    *e = (*e).max(b.seq);
                }
            }
            uncounted = valid
                .iter()
                .filter(|(id, _)| !counted_set.contains(id))
                .map(|(id, b)| {
                    let b = b.ballot();
                    let reason = if best_counted.get(&b.voter).is_some_and(|s| *s > b.seq) {
                        UncountedReason::Superseded
                    } else if late.contains(id) {
                        UncountedReason::Late
                    } else {
                        UncountedReason::Omitted
                    };
                    Uncounted {
                        ballot: *id,
                        voter: b.voter,
                        seq: b.seq,
                        reason,
                    }
                })
                .collect::<Vec<_>>();
            let omitted_off: Vec<String> = omitted(&uncounted)
                .map(|u| ballot_item(&u.ballot))
                .collect();
            checks.push((CheckName::AllBallotsCounted, applies(omitted_off)));
            table_votes = votes;
        }
        None => {
            checks.push((CheckName::OpenStatement, CheckResult::from(open_off)));
            checks.push((CheckName::Signatures, CheckResult::from(sig_off)));
            for n in [
                CheckName::BallotsBoundToPoll,
                CheckName::Eligibility,
                CheckName::OneVotePerDeputy,
                CheckName::CloseStatement,
                CheckName::CloseCommitment,
                CheckName::Counts,
                CheckName::Outcome,
                CheckName::AllBallotsCounted,
            ] {
                checks.push((n, na.clone()));
            }
            // Provisional: each voter's valid ballot with the highest sequence number.
            let mut votes: BTreeMap<MemberId, (u32, Choice)> = BTreeMap::new();
            for b in valid.values() {
                let b = b.ballot();
                let e = votes.entry(b.voter).or_insert((b.seq, b.choice));
                if b.seq > e.0 {
                    *e = (b.seq, b.choice);
                }
            }
            let mut c = Counts::default();
            for (_, ch) in votes.values() {
                match ch {
                    Choice::For => c.for_ += 1,
                    Choice::Against => c.against += 1,
                    Choice::Abstain => c.abstain += 1,
                }
            }
            counts = c;
            outcome = None;
            counted_hash = None;
            uncounted = Vec::new();
            table_votes = votes;
        }
    }

    let members: BTreeSet<MemberId> = ctx
        .voters
        .iter()
        .chain(&eligible)
        .chain(&recused)
        .copied()
        .collect();
    let table = members
        .into_iter()
        .map(|m| {
            let r = if recused.contains(&m) {
                VoterResult::Recused
            } else if let Some((_, c)) = table_votes.get(&m).filter(|_| eligible.contains(&m)) {
                VoterResult::Voted(*c)
            } else if eligible.contains(&m) {
                VoterResult::DidNotVote
            } else {
                VoterResult::Absent
            };
            (m, r)
        })
        .collect();

    Ok(TallyReport {
        poll,
        closed: p.close.is_some(),
        checks,
        counts,
        outcome,
        counted_hash,
        table,
        uncounted,
        rejected,
        evidence,
    })
}
