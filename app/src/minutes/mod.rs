//! A session's minutes, generated from its signed record alone: who was registered, quorum,
//! each agenda item with its speakers and polls (rule, counts, outcome, roll-call table), the
//! decisions adopted with the exact text voted on, and what was verified.
//!
//! [`minutes`] reads the record into a [`Minutes`] value; [`markdown`], [`html`] and [`pdf`]
//! write it in the council's language. The same record always gives the same bytes: nothing
//! here reads a clock or a random source, times are the statements' own, printed in UTC. The
//! chair and the secretary approve minutes by signing [`Minutes::hash`] (the hash of the
//! session's record they are made from, `docs/format.md` §2) in the council log; [`verify_minutes`] says whether those approvals match what the
//! record gives now.

mod blocks;
mod check;
mod date;
mod html;
mod markdown;
mod model;
mod pdf;
mod read;
mod words;

use crdt_model::hash::Hash;
use crdt_model::log::MissingOps;
use crdt_model::session::SessionId;
use thiserror::Error;

pub use check::{ApprovalCheck, MinutesCheck, check_json, verify_minutes};
pub use model::{
    Attendance, BodyName, Decision, ItemOutcome, ItemRecord, Minutes, Person, PollRecord, Quorum,
    Recusal, Speech, Subject, Verification,
};
pub use read::minutes;

/// The language minutes are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Lang {
    /// Українська.
    #[default]
    Uk,
    /// Български.
    Bg,
    /// English.
    En,
}

impl Lang {
    /// Every language, in a fixed order.
    pub const ALL: [Lang; 3] = [Lang::Uk, Lang::Bg, Lang::En];

    /// The ISO 639-1 code (`uk`, `bg`, `en`), also the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Uk => "uk",
            Lang::Bg => "bg",
            Lang::En => "en",
        }
    }

    /// Parses [`Lang::code`].
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// Why minutes could not be made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MinutesError {
    /// The device holds no session with this id.
    #[error("no session {0} is held on this device")]
    UnknownSession(SessionId),
    /// The council log lacks the operations the session was opened under.
    #[error("the council log does not hold the roster the session was opened under: {0}")]
    Log(#[from] MissingOps),
    /// The PDF could not be written (the embedded font could not be read or subset).
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The minutes as Markdown: the canonical text, whose hash the chair and the secretary sign.
pub fn markdown(m: &Minutes, lang: Lang) -> String {
    markdown::render(&blocks::blocks(m, lang))
}

/// The minutes as one self-contained HTML page (inline CSS, no script, nothing fetched).
pub fn html(m: &Minutes, lang: Lang) -> String {
    html::render(m, lang, &blocks::blocks(m, lang))
}

/// The minutes as a paginated A4 PDF with the fonts it needs embedded.
pub fn pdf(m: &Minutes, lang: Lang) -> Result<Vec<u8>, MinutesError> {
    pdf::render(m, lang, &blocks::blocks(m, lang))
}

/// A time of the record as minutes print it: `2025-10-09 08:53 UTC`.
pub fn format_utc(ms: u64) -> String {
    date::date_time(ms)
}

impl Minutes {
    /// The hash of these minutes: the hash of the session's record they are made from, which
    /// [`OpBody::ApproveMinutes`] signs (the same in every language and format).
    ///
    /// [`OpBody::ApproveMinutes`]: crdt_model::OpBody::ApproveMinutes
    pub fn hash(&self) -> Hash {
        self.record_hash
    }
}
