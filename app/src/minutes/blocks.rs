//! The minutes as a sequence of localized blocks (headings, paragraphs, lists, tables, quoted
//! texts): one structure that the Markdown, HTML and PDF writers each render, so the three
//! always say the same thing in the same order.

use crdt_model::hash::Hash;
use crdt_model::session::Outcome;

use super::Lang;
use super::date::{clock, date_time, duration};
use super::model::{BodyName, ItemOutcome, ItemRecord, Minutes, PollRecord, Quorum, Subject};
use super::words::{Words, floor_kind, role, rule, voter_result, words};

/// A run of text in a paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inline {
    /// Plain text.
    Text(String),
    /// Emphasized (bold) text.
    Strong(String),
}

/// A table: a header row and rows of cells, with each column's relative width.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub widths: Vec<f32>,
}

/// One block of the minutes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    /// The document's title.
    Title(String),
    /// A section heading.
    Heading(String),
    /// A subsection heading.
    Subheading(String),
    /// A paragraph.
    Para(Vec<Inline>),
    /// A bulleted list.
    Bullets(Vec<Vec<Inline>>),
    /// A table.
    Table(Table),
    /// A text quoted as it is in the record (a decision, an amendment), line by line.
    Quote(String),
}

fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}

/// "**Label:** value".
fn field(label: &str, value: impl Into<String>) -> Block {
    Block::Para(vec![
        strong(format!("{label}:")),
        text(format!(" {}", value.into())),
    ])
}

fn heads(version: &[Hash]) -> String {
    if version.is_empty() {
        "—".to_string()
    } else {
        version
            .iter()
            .map(Hash::to_hex)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn quorum(w: &Words, q: &Quorum, seats: u32) -> String {
    format!(
        "{} {} {seats}, {} {} — {}",
        q.present,
        w.registered_of,
        w.needed,
        q.needed,
        if q.met() {
            w.quorum_present
        } else {
            w.quorum_absent
        }
    )
}

/// The blocks of `m` in `lang`.
pub(crate) fn blocks(m: &Minutes, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    let mut out = vec![Block::Title(format!("{} — {}", w.minutes, m.label))];
    out.push(field(w.council, &m.council_name));
    let body = match &m.body {
        BodyName::Council => w.plenary.to_string(),
        BodyName::Committee { name, .. } => format!("{}: {name}", w.committee),
    };
    out.push(field(w.body, body));
    out.push(field(w.session, &m.label));
    out.push(field(w.opened, date_time(m.opened_ms)));
    out.push(field(
        w.closed,
        m.closed_ms
            .map(date_time)
            .unwrap_or_else(|| w.not_closed.to_string()),
    ));
    out.push(field(
        w.chair,
        format!("{} ({})", m.opened_by.name, role(lang, m.opened_by.roles)),
    ));
    out.push(field(w.place, w.place_value));
    out.push(field(w.seats, m.seats.to_string()));
    out.push(field(w.quorum, format!("{} {}", w.needed, m.quorum_needed)));
    out.push(field(w.session_id, m.session.to_hex()));
    attendance(&mut out, m, lang, w);
    agenda(&mut out, m, w);
    for item in &m.items {
        item_blocks(&mut out, m, item, lang, w);
    }
    decisions(&mut out, m, w);
    verification(&mut out, m, w);
    out
}

fn attendance(out: &mut Vec<Block>, m: &Minutes, lang: Lang, w: &Words) {
    out.push(Block::Heading(w.attendance.to_string()));
    out.push(Block::Subheading(format!(
        "{} ({})",
        w.present,
        m.attendance.len()
    )));
    if m.attendance.is_empty() {
        out.push(Block::Para(vec![text(w.none)]));
    } else {
        out.push(Block::Table(Table {
            head: vec![
                w.name.into(),
                w.role.into(),
                w.registered.into(),
                w.left.into(),
            ],
            rows: m
                .attendance
                .iter()
                .map(|a| {
                    let registered = if a.by_chair {
                        format!("{} {}", clock(a.registered_ms), w.by_chair)
                    } else {
                        clock(a.registered_ms)
                    };
                    vec![
                        a.person.name.clone(),
                        role(lang, a.person.roles).to_string(),
                        registered,
                        a.left_ms.map(clock).unwrap_or_else(|| "—".into()),
                    ]
                })
                .collect(),
            widths: vec![4.0, 2.5, 3.0, 1.5],
        }));
    }
    out.push(Block::Subheading(format!(
        "{} ({})",
        w.absent,
        m.absent.len()
    )));
    if m.absent.is_empty() {
        out.push(Block::Para(vec![text(w.none)]));
    } else {
        out.push(Block::Bullets(
            m.absent
                .iter()
                .map(|p| vec![text(format!("{} ({})", p.name, role(lang, p.roles)))])
                .collect(),
        ));
    }
    out.push(Block::Subheading(format!(
        "{} ({})",
        w.recused,
        m.recusals.len()
    )));
    if m.recusals.is_empty() {
        out.push(Block::Para(vec![text(w.none)]));
    } else {
        out.push(Block::Table(Table {
            head: vec![w.name.into(), w.item.into(), w.reason.into()],
            rows: m
                .recusals
                .iter()
                .map(|r| {
                    let title = m
                        .items
                        .get(r.item as usize)
                        .map(|i| format!("{}. {}", r.item + 1, i.title))
                        .unwrap_or_else(|| (r.item + 1).to_string());
                    vec![r.person.name.clone(), title, r.reason.clone()]
                })
                .collect(),
            widths: vec![3.0, 3.5, 4.5],
        }));
    }
    let opening = match &m.quorum_at_opening {
        Some(q) => format!("{} ({})", quorum(w, q, m.seats), clock(q.at_ms)),
        None => w.no_item_started.to_string(),
    };
    out.push(field(w.quorum_at_opening, opening));
}

fn item_outcome(w: &Words, o: &ItemOutcome) -> String {
    match o {
        ItemOutcome::NotTaken => w.not_taken.to_string(),
        ItemOutcome::InProgress => w.in_progress.to_string(),
        ItemOutcome::Done => w.done.to_string(),
        ItemOutcome::Postponed => w.postponed.to_string(),
        ItemOutcome::Removed { reason } => format!("{} ({reason})", w.removed),
    }
}

fn agenda(out: &mut Vec<Block>, m: &Minutes, w: &Words) {
    out.push(Block::Heading(w.agenda.to_string()));
    if m.items.is_empty() {
        out.push(Block::Para(vec![text(w.none)]));
        return;
    }
    out.push(Block::Bullets(
        m.items
            .iter()
            .map(|i| {
                vec![
                    strong(format!("{}.", i.index + 1)),
                    text(format!(" {} — {}", i.title, item_outcome(w, &i.outcome))),
                ]
            })
            .collect(),
    ));
}

fn item_blocks(out: &mut Vec<Block>, m: &Minutes, item: &ItemRecord, lang: Lang, w: &Words) {
    out.push(Block::Heading(format!(
        "{} {}. {}",
        w.item,
        item.index + 1,
        item.title
    )));
    out.push(field(w.result, item_outcome(w, &item.outcome)));
    if let Some(doc) = item.doc {
        out.push(field(w.dossier, doc.to_hex()));
    }
    if let Some(t) = item.started_ms {
        out.push(field(w.started, date_time(t)));
    }
    if let Some(t) = item.ended_ms {
        out.push(field(w.ended, date_time(t)));
    }
    if let Some(q) = &item.quorum_at_start {
        out.push(field(w.quorum, quorum(w, q, m.seats)));
    }
    if item.started_ms.is_none() {
        return;
    }
    out.push(Block::Subheading(w.speakers.to_string()));
    if item.speeches.is_empty() {
        out.push(Block::Para(vec![text(w.no_speeches)]));
    } else {
        out.push(Block::Table(Table {
            head: vec![
                w.number.into(),
                w.speaker.into(),
                w.kind.into(),
                w.floor_given.into(),
                w.time_used.into(),
            ],
            rows: item
                .speeches
                .iter()
                .map(|s| {
                    vec![
                        s.order.to_string(),
                        s.person.name.clone(),
                        floor_kind(lang, s.kind).to_string(),
                        clock(s.granted_ms),
                        format!(
                            "{} / {}",
                            s.used_ms.map(duration).unwrap_or_else(|| "—".into()),
                            duration(s.limit_ms)
                        ),
                    ]
                })
                .collect(),
            widths: vec![0.8, 3.6, 2.6, 1.8, 2.4],
        }));
    }
    if item.polls.is_empty() {
        out.push(Block::Para(vec![text(w.no_votes)]));
    }
    for p in &item.polls {
        poll_blocks(out, p, lang, w);
    }
}

fn poll_blocks(out: &mut Vec<Block>, p: &PollRecord, lang: Lang, w: &Words) {
    out.push(Block::Subheading(format!("{}: {}", w.vote, p.title)));
    let subject = match &p.subject {
        Subject::Draft => w.subject_draft.to_string(),
        Subject::Amendment {
            from_line, to_line, ..
        } => format!(
            "{} ({} {from_line}–{to_line})",
            w.subject_amendment, w.lines
        ),
        Subject::Other => w.subject_other.to_string(),
    };
    out.push(field(w.subject, format!("{subject}, {}", p.doc.to_hex())));
    out.push(field(w.version, heads(&p.version)));
    out.push(field(
        w.rule,
        format!(
            "{}; {} {}",
            rule(lang, p.rule.threshold, p.rule.base),
            w.for_needed,
            p.required
        ),
    ));
    let mut q = format!(
        "{} ({}): {}, {} {}",
        w.at_open,
        clock(p.opened_ms),
        quorum(w, &p.quorum_at_open, p.seats),
        w.eligible,
        p.eligible
    );
    if let Some(c) = &p.quorum_at_close {
        q.push_str(&format!(
            "; {} ({}): {}",
            w.at_close,
            clock(c.at_ms),
            quorum(w, c, p.seats)
        ));
    }
    out.push(field(w.quorum, q));
    if let Subject::Amendment { text: t, .. } = &p.subject {
        out.push(Block::Para(vec![strong(format!("{}:", w.amendment_text))]));
        match t {
            Some(t) => out.push(Block::Quote(t.clone())),
            None => out.push(Block::Para(vec![text(w.not_held)])),
        }
    }
    let counts = format!(
        "{} {}, {} {}, {} {}",
        w.for_, p.counts.for_, w.against, p.counts.against, w.abstained, p.counts.abstain
    );
    let outcome = match p.outcome {
        Some(Outcome::Adopted) => w.adopted,
        Some(Outcome::NotAdopted) => w.not_adopted,
        None => w.still_open,
    };
    out.push(Block::Para(vec![
        strong(format!("{}:", w.result)),
        text(format!(" {counts} — ")),
        strong(outcome),
    ]));
    if !p.table.is_empty() {
        out.push(Block::Para(vec![strong(format!("{}:", w.roll_call))]));
        out.push(Block::Table(Table {
            head: vec![w.number.into(), w.name.into(), w.ballot.into()],
            rows: p
                .table
                .iter()
                .enumerate()
                .map(|(i, (person, r))| {
                    vec![
                        (i + 1).to_string(),
                        person.name.clone(),
                        voter_result(lang, *r).to_string(),
                    ]
                })
                .collect(),
            widths: vec![0.8, 6.0, 3.2],
        }));
    }
    let mut check = if p.verified {
        w.checks_pass.to_string()
    } else {
        format!("{}: {}", w.checks_fail, p.failed_checks.join("; "))
    };
    if let Some(h) = p.counted_hash {
        check.push_str(&format!("; {} {}", w.counted_set, h.to_hex()));
    }
    if p.uncounted > 0 {
        check.push_str(&format!("; {} {}", w.uncounted, p.uncounted));
    }
    if !p.omitted.is_empty() {
        let names: Vec<&str> = p.omitted.iter().map(|o| o.name.as_str()).collect();
        check.push_str(&format!("; {} {}", w.omitted, names.join(", ")));
    }
    if p.rejected > 0 {
        check.push_str(&format!("; {} {}", w.rejected, p.rejected));
    }
    out.push(field(w.tally_check, check));
}

fn decisions(out: &mut Vec<Block>, m: &Minutes, w: &Words) {
    out.push(Block::Heading(w.decisions.to_string()));
    if m.decisions.is_empty() {
        out.push(Block::Para(vec![text(w.no_decisions)]));
        return;
    }
    for (i, d) in m.decisions.iter().enumerate() {
        out.push(Block::Subheading(format!(
            "{} {}. {}",
            w.decision,
            i + 1,
            d.title
        )));
        let poll = m
            .items
            .get(d.item as usize)
            .and_then(|it| it.polls.iter().find(|p| p.id == d.poll))
            .map(|p| p.title.clone())
            .unwrap_or_default();
        let when = d.adopted_ms.map(date_time).unwrap_or_default();
        out.push(field(
            w.adopted_by,
            format!("«{poll}» ({} {}), {when}", w.item, d.item + 1),
        ));
        out.push(field(w.version, heads(&d.version)));
        match &d.text {
            Some(t) => out.push(Block::Quote(t.clone())),
            None => out.push(Block::Para(vec![text(w.not_held)])),
        }
    }
}

fn verification(out: &mut Vec<Block>, m: &Minutes, w: &Words) {
    let v = &m.verification;
    out.push(Block::Heading(w.verification.to_string()));
    let mut statements = format!("{}: {}", w.statements, v.statements);
    if v.ignored > 0 {
        statements.push_str(&format!(" ({} {})", w.without_effect, v.ignored));
    }
    if v.waiting > 0 {
        statements.push_str(&format!(" ({} {})", w.waiting, v.waiting));
    }
    out.push(Block::Bullets(vec![
        vec![text(statements)],
        vec![text(format!("{}: {}", w.ballots, v.ballots))],
        vec![text(format!(
            "{}: {} {} {}",
            w.polls_verified, v.polls_verified, w.of, v.polls
        ))],
        vec![text(format!("{}: {}", w.roster_at, heads(&m.log_heads)))],
    ]));
    out.push(Block::Para(vec![text(w.signatures_note)]));
    out.push(Block::Para(vec![text(w.generated_note)]));
}
