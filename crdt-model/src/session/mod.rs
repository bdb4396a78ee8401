//! Sessions and signed votes: registration and quorum, agenda progress, speakers, conflicts of
//! interest, polls, ballots, and a tally that anyone can verify.
//!
//! Everything here is pure. A session is a set of signed [`SignedStatement`]s (the chair's and
//! the deputies') plus [`SignedBallot`]s; [`Session`] derives the same [`SessionState`] from the
//! same set whatever order it arrived in, and [`verify_poll`] turns one poll's statements and
//! ballots into a [`TallyReport`] with named checks. The byte format is public:
//! `docs/format.md`.

mod ballot;
mod context;
mod past;
mod state;
mod statement;
mod tally;
mod verify;

pub use ballot::{
    BALLOT_ID_PREFIX, BALLOT_VERSION, Ballot, BallotDecodeError, BallotId, Choice, MAX_BALLOT_BODY,
    MAX_SEEN, SignedBallot,
};
pub use context::BodyContext;
pub use past::{CausalOrder, ReachingMany, SessionPast};
pub use state::{
    FloorRequest, FromLogError, Ignored, ItemState, ItemStatus, PollState, Received, Refused,
    Registration, RequestStatus, Session, SessionState, VoteRefused,
};
pub use statement::{
    AgendaItem, Body, FloorKind, Outcome, OutcomeBasis, PollClose, PollId, PollOpen,
    STATEMENT_ID_PREFIX, STATEMENT_VERSION, SessionId, SignedStatement, Statement,
    StatementDecodeError, StatementId, StatementKind,
};
pub use tally::{
    BallotRejection, COUNTED_PREFIX, CheckName, CheckResult, DecodedPoll, Equivocation, PollInput,
    Rejected, TallyError, TallyReport, Uncounted, UncountedReason, VoterResult, counted_hash,
    verify_one, verify_poll, verify_poll_bytes, verify_polls,
};
pub use verify::{SigJob, verify_all};
