//! What a search asks for and what it finds.

use std::ops::Range;

use crdt_model::log::{AmendmentStatus, CommitteeId};
use crdt_model::{DocId, DraftStatus, MemberId};

/// The kind of a searchable document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A draft decision, in any status (adopted ones too).
    Draft,
    /// An adopted decision: a draft whose status is adopted.
    Decision,
    /// A committee's opinion on a draft.
    Opinion,
    /// An amendment to a draft.
    Amendment,
    /// A session's agenda.
    Agenda,
    /// A personal note of this device's member (never anyone else's).
    Note,
    /// A session's minutes.
    Minutes,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 7] = [
        Kind::Draft,
        Kind::Decision,
        Kind::Opinion,
        Kind::Amendment,
        Kind::Agenda,
        Kind::Note,
        Kind::Minutes,
    ];

    /// The stable name, as the command line takes it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Draft => "draft",
            Kind::Decision => "decision",
            Kind::Opinion => "opinion",
            Kind::Amendment => "amendment",
            Kind::Agenda => "agenda",
            Kind::Note => "note",
            Kind::Minutes => "minutes",
        }
    }

    /// The kind named `name` ([`Kind::name`]).
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A workflow status to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// A draft's status.
    Draft(DraftStatus),
    /// An amendment's status.
    Amendment(AmendmentStatus),
}

const AMENDMENT_STATUSES: [AmendmentStatus; 4] = [
    AmendmentStatus::Proposed,
    AmendmentStatus::Accepted,
    AmendmentStatus::Rejected,
    AmendmentStatus::Withdrawn,
];

impl Status {
    /// The stable name. Drafts and amendments share `rejected` and `withdrawn`: a filter on
    /// such a name matches both kinds.
    pub fn name(self) -> &'static str {
        match self {
            Status::Draft(s) => s.name(),
            Status::Amendment(s) => s.name(),
        }
    }

    /// The status named `name` (draft statuses first).
    pub fn parse(name: &str) -> Option<Status> {
        DraftStatus::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .map(Status::Draft)
            .or_else(|| {
                AMENDMENT_STATUSES
                    .into_iter()
                    .find(|s| s.name() == name)
                    .map(Status::Amendment)
            })
    }

    /// The status of a document of `kind` named `name` as the index stores it.
    pub(super) fn stored(kind: Kind, name: &str) -> Option<Status> {
        match kind {
            Kind::Amendment => AMENDMENT_STATUSES
                .into_iter()
                .find(|s| s.name() == name)
                .map(Status::Amendment),
            Kind::Draft | Kind::Decision => DraftStatus::ALL
                .into_iter()
                .find(|s| s.name() == name)
                .map(Status::Draft),
            _ => None,
        }
    }

    /// Every name [`Status::parse`] takes.
    pub fn names() -> Vec<&'static str> {
        let mut names: Vec<&str> = DraftStatus::ALL.iter().map(|s| s.name()).collect();
        for s in AMENDMENT_STATUSES {
            if !names.contains(&s.name()) {
                names.push(s.name());
            }
        }
        names
    }
}

/// A search: words and filters, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Words to find (each must appear, in any form starting like it); `"..."` for a phrase.
    /// Empty: every document the filters let through, newest first.
    pub text: String,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only documents of this committee (drafts referred to it, its opinions, amendments to
    /// drafts referred to it, its agendas).
    pub committee: Option<CommitteeId>,
    /// Only documents by this member (a draft's creator or co-authors; the creator of others).
    pub author: Option<MemberId>,
    /// Only documents created at or after this time (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Only documents created before this time (ms since the epoch).
    pub to_ms: Option<i64>,
    /// At most this many hits; 0 means [`Query::DEFAULT_LIMIT`].
    pub limit: usize,
}

impl Query {
    /// Hits returned when [`Query::limit`] is 0.
    pub const DEFAULT_LIMIT: usize = 20;

    /// A search for `text` with no filters.
    pub fn text(text: &str) -> Query {
        Query {
            text: text.to_string(),
            ..Query::default()
        }
    }
}

/// One document found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The document (for [`Kind::Minutes`], the session).
    pub id: DocId,
    /// Its kind ([`Kind::Decision`] for an adopted draft).
    pub kind: Kind,
    /// The draft (dossier) an opinion or an amendment belongs to.
    pub draft: Option<DocId>,
    /// Its title (empty for opinions and amendments, which have none: show the draft's; the
    /// first line for minutes).
    pub title: String,
    /// Byte ranges of `title` that matched the query.
    pub title_highlights: Vec<Range<usize>>,
    /// A passage of its text around the best matches (or its beginning).
    pub snippet: String,
    /// Byte ranges of `snippet` that matched the query.
    pub highlights: Vec<Range<usize>>,
    /// Relevance (BM25); 0 when the query had no words.
    pub score: f32,
    /// Its workflow status, for drafts and amendments.
    pub status: Option<Status>,
    /// Its committee (see [`Query::committee`]).
    pub committee: Option<CommitteeId>,
    /// Who created it.
    pub author: Option<MemberId>,
    /// When it was created (ms since the epoch, by its author's clock).
    pub date_ms: i64,
}

impl Hit {
    /// The snippet with every match wrapped in `open` and `close` (e.g. `«` `»`, or ANSI bold).
    pub fn snippet_marked(&self, open: &str, close: &str) -> String {
        mark(&self.snippet, &self.highlights, open, close, |s| {
            s.to_string()
        })
    }

    /// The title with every match wrapped in `open` and `close`.
    pub fn title_marked(&self, open: &str, close: &str) -> String {
        mark(&self.title, &self.title_highlights, open, close, |s| {
            s.to_string()
        })
    }

    /// The snippet as HTML: text escaped, matches in `<b>`.
    pub fn snippet_html(&self) -> String {
        mark(&self.snippet, &self.highlights, "<b>", "</b>", escape_html)
    }
}

fn mark(
    text: &str,
    ranges: &[Range<usize>],
    open: &str,
    close: &str,
    plain: impl Fn(&str) -> String,
) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 8);
    let mut at = 0;
    for r in ranges {
        let (Some(before), Some(word)) = (text.get(at..r.start), text.get(r.clone())) else {
            continue;
        };
        out.push_str(&plain(before));
        out.push_str(open);
        out.push_str(&plain(word));
        out.push_str(close);
        at = r.end;
    }
    out.push_str(&plain(text.get(at..).unwrap_or_default()));
    out
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
