//! The pages of the public site, built in memory (deterministically: the same record always
//! gives the same bytes) before anything is written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crdt_model::document::{ChangeHash, TextField};
use crdt_model::hash::Hash;
use crdt_model::replica::Replica;
use crdt_model::session::{
    Choice, ItemStatus, Outcome, PollState, Session, SessionId, VoterResult,
};
use crdt_model::{DocId, DocSpec, DraftStatus};

use super::words::{Words, words};
use super::{PublishError, is_public, public_bundle};
use crate::minutes::{self, Lang};
use crate::views::name_of;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;\
margin:0;color:#1b1b1b;background:#fafafa;line-height:1.5}\
header{background:#0b4f6c;color:#fff;padding:.75rem 1rem;font-size:1.05rem}\
header a{color:#fff;font-weight:600;text-decoration:none}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;line-height:1.25}h2{font-size:1.2rem;margin-top:1.75rem}\
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}\
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}\
.for{color:#0a6b2c}.against{color:#a11}.abstain{color:#8a5a00}\
.outcome{font-size:1.2rem;font-weight:700}\
.verified{background:#e3f5e8;border-left:4px solid #0a6b2c;padding:.5rem .75rem}\
.failed{background:#fde8e8;border-left:4px solid #a11;padding:.5rem .75rem}\
pre{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:.75rem;overflow-x:auto}\
li{margin:.25rem 0}\
@media (prefers-color-scheme:dark){body{background:#161616;color:#e6e6e6}\
th,td{border-color:#333}pre{background:#1f1f1f;border-color:#333}a{color:#7cc4ff}\
.verified{background:#12301c}.failed{background:#3a1515}.for{color:#6fd08c}\
.against{color:#ff8a8a}.abstain{color:#f0c060}}\n";

/// Everything the site holds, by file name.
pub(super) struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
    pub sessions: usize,
    pub polls: usize,
    pub decisions: usize,
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn short(h: &Hash) -> String {
    h.to_hex()[..16].to_string()
}

fn session_file(id: &SessionId) -> String {
    format!("session-{}.html", short(id))
}
fn poll_file(id: &Hash) -> String {
    format!("poll-{}.html", short(id))
}
fn decision_file(id: &DocId) -> String {
    format!("decision-{}.html", short(id))
}
fn agenda_file(id: &DocId) -> String {
    format!("agenda-{}.html", short(id))
}
fn minutes_file(id: &SessionId, ext: &str) -> String {
    format!("minutes-{}.{ext}", short(id))
}

fn page(lang: Lang, council: &str, title: &str, body: &str) -> Vec<u8> {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} — {council}</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n\
         </head>\n<body>\n<header><a href=\"index.html\">{council}</a></header>\n<main>\n\
         <h1>{title}</h1>\n{body}</main>\n</body>\n</html>\n",
        lang = lang.code(),
        title = esc(title),
        council = esc(council),
    )
    .into_bytes()
}

fn choice_word(w: &Words, c: Choice) -> (&'static str, &'static str) {
    match c {
        Choice::For => (w.for_, "for"),
        Choice::Against => (w.against, "against"),
        Choice::Abstain => (w.abstain, "abstain"),
    }
}

fn voter_word(w: &Words, v: VoterResult) -> (&'static str, &'static str) {
    match v {
        VoterResult::Voted(c) => choice_word(w, c),
        VoterResult::DidNotVote => (w.did_not_vote, "dnv"),
        VoterResult::Recused => (w.recused, "recused"),
        VoterResult::Absent => (w.absent, "absent"),
    }
}

fn outcome_word(w: &Words, p: &PollState) -> &'static str {
    match p.close.as_ref().map(|c| c.outcome) {
        Some(Outcome::Adopted) => w.adopted,
        Some(Outcome::NotAdopted) => w.not_adopted,
        None => w.poll_open,
    }
}

fn date(ms: u64) -> String {
    minutes::format_utc(ms)
}

fn opened_ms(s: &Session) -> u64 {
    s.get(&s.id()).map(|o| o.statement().time_ms).unwrap_or(0)
}

fn doc_title(r: &Replica, id: &DocId) -> String {
    r.documents()
        .get(id)
        .and_then(|d| d.text(TextField::Title).ok())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| short(id))
}

impl Site {
    pub(super) fn build(r: &Replica, lang: Lang) -> Result<Site, PublishError> {
        let w = words(lang);
        let council = r.log().genesis().genesis().name.clone();
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut sessions: Vec<(&SessionId, &Session)> = r.live_sessions().collect();
        sessions.sort_by_key(|(id, s)| (std::cmp::Reverse(opened_ms(s)), **id));
        let mut polls = 0;
        // The poll that adopted each draft, for the decisions' "text voted on".
        let mut adopted_by: BTreeMap<DocId, (SessionId, &PollState)> = BTreeMap::new();
        for (sid, s) in &sessions {
            for p in &s.state().polls {
                polls += 1;
                // Only a poll whose tally verifies adopted anything: the declared outcome alone
                // is the chair's word.
                if p.close
                    .as_ref()
                    .is_some_and(|c| c.outcome == Outcome::Adopted)
                    && s.report(&p.id)
                        .is_some_and(|r| r.is_ok_and(|r| r.verified()))
                {
                    adopted_by.insert(p.open.doc, (**sid, p));
                }
                files.insert(poll_file(&p.id), poll_page(r, lang, &council, sid, s, p));
            }
            files.insert(session_file(sid), session_page(r, lang, &council, sid, s));
            let m = minutes::minutes(r, sid).map_err(|e| PublishError::Minutes {
                label: s.state().label.clone(),
                why: e.to_string(),
            })?;
            files.insert(
                minutes_file(sid, "html"),
                minutes::html(&m, lang).into_bytes(),
            );
            let pdf = minutes::pdf(&m, lang).map_err(|e| PublishError::Minutes {
                label: s.state().label.clone(),
                why: e.to_string(),
            })?;
            files.insert(minutes_file(sid, "pdf"), pdf);
        }
        let state = r.log().state();
        let decisions: Vec<DocId> = state
            .documents
            .iter()
            .filter(|(id, m)| {
                m.spec.kind() == crdt_model::DocKind::Draft
                    && m.draft_status == DraftStatus::Adopted
                    && is_public(r, id)
            })
            .map(|(id, _)| *id)
            .collect();
        for d in &decisions {
            files.insert(
                decision_file(d),
                decision_page(r, lang, &council, d, adopted_by.get(d)),
            );
        }
        let agendas: Vec<DocId> = state
            .documents
            .iter()
            .filter(|(id, m)| matches!(m.spec, DocSpec::Agenda { .. }) && is_public(r, id))
            .map(|(id, _)| *id)
            .collect();
        for a in &agendas {
            files.insert(agenda_file(a), agenda_page(r, lang, &council, a));
        }
        files.insert(
            "index.html".into(),
            index_page(r, lang, &council, &sessions, &decisions, &agendas),
        );
        files.insert("verify.html".into(), verify_page(w, lang, &council));
        files.insert(
            "council-bundle.json".into(),
            public_bundle(r).to_text().into_bytes(),
        );
        files.insert(
            "format.md".into(),
            include_str!("../../../docs/format.md").as_bytes().to_vec(),
        );
        files.insert(
            "verify.py".into(),
            include_str!("../../../tests/python/verify.py")
                .as_bytes()
                .to_vec(),
        );
        files.insert("style.css".into(), STYLE.as_bytes().to_vec());
        Ok(Site {
            files,
            sessions: sessions.len(),
            polls,
            decisions: decisions.len(),
        })
    }
}

fn index_page(
    r: &Replica,
    lang: Lang,
    council: &str,
    sessions: &[(&SessionId, &Session)],
    decisions: &[DocId],
    agendas: &[DocId],
) -> Vec<u8> {
    let w = words(lang);
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<p><a href=\"verify.html\">{}</a> · <a href=\"council-bundle.json\">{}</a></p>",
        w.how_to_verify, w.bundle
    );
    let _ = writeln!(b, "<h2>{}</h2>\n<ul>", w.sessions);
    for (id, s) in sessions {
        let st = s.state();
        let _ = writeln!(
            b,
            "<li><a href=\"{}\">{}</a> — {} · {} {}</li>",
            session_file(id),
            esc(&st.label),
            date(opened_ms(s)),
            st.polls.len(),
            w.polls.to_lowercase(),
        );
    }
    if sessions.is_empty() {
        let _ = writeln!(b, "<li>{}</li>", w.none);
    }
    let _ = writeln!(b, "</ul>\n<h2>{}</h2>\n<ul>", w.decisions);
    for d in decisions {
        let _ = writeln!(
            b,
            "<li><a href=\"{}\">{}</a></li>",
            decision_file(d),
            esc(&doc_title(r, d))
        );
    }
    if decisions.is_empty() {
        let _ = writeln!(b, "<li>{}</li>", w.none);
    }
    let _ = writeln!(b, "</ul>\n<h2>{}</h2>\n<ul>", w.agendas);
    for a in agendas {
        let label = match r.log().state().documents.get(a).map(|m| &m.spec) {
            Some(DocSpec::Agenda { label, .. }) => label.clone(),
            _ => short(a),
        };
        let _ = writeln!(
            b,
            "<li><a href=\"{}\">{}</a></li>",
            agenda_file(a),
            esc(&label)
        );
    }
    if agendas.is_empty() {
        let _ = writeln!(b, "<li>{}</li>", w.none);
    }
    b.push_str("</ul>\n");
    page(lang, council, w.public_record, &b)
}

fn session_page(r: &Replica, lang: Lang, council: &str, id: &SessionId, s: &Session) -> Vec<u8> {
    let w = words(lang);
    let st = s.state();
    let mut b = String::new();
    let _ = writeln!(b, "<p>{}: {}", w.opened, date(opened_ms(s)));
    let closed = s
        .statements()
        .into_iter()
        .filter(|x| {
            matches!(
                x.statement().kind,
                crdt_model::session::StatementKind::CloseSession
            )
        })
        .map(|x| x.statement().time_ms)
        .max();
    match closed {
        Some(t) if st.closed => {
            let _ = write!(b, " · {}: {}", w.closed, date(t));
        }
        _ => {
            let _ = write!(b, " · {}", w.still_open);
        }
    }
    b.push_str("</p>\n");
    let _ = writeln!(
        b,
        "<p><a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
        minutes_file(id, "html"),
        w.minutes,
        minutes_file(id, "pdf"),
        w.minutes_pdf
    );
    match minutes::verify_minutes(r, id) {
        Ok(check) if check.approved => {
            let names: Vec<String> = check
                .approved_by
                .iter()
                .map(|(name, role)| format!("{} ({})", esc(name), role.name()))
                .collect();
            let _ = writeln!(
                b,
                "<p class=\"verified\">{}: {}</p>",
                w.minutes_approved,
                names.join(", ")
            );
        }
        _ => {
            let _ = writeln!(b, "<p>{}</p>", w.minutes_not_approved);
        }
    }
    let _ = writeln!(b, "<h2>{}</h2>\n<ol>", w.agenda);
    for item in &st.items {
        let title = esc(&item.item.title);
        let link = item.item.doc.filter(|d| {
            is_public(r, d)
                && r.log()
                    .state()
                    .documents
                    .get(d)
                    .is_some_and(|m| m.draft_status == DraftStatus::Adopted)
        });
        let removed = matches!(item.status, ItemStatus::Removed { .. });
        match link {
            Some(d) => {
                let _ = writeln!(b, "<li><a href=\"{}\">{title}</a></li>", decision_file(&d));
            }
            None if removed => {
                let _ = writeln!(b, "<li><s>{title}</s></li>");
            }
            None => {
                let _ = writeln!(b, "<li>{title}</li>");
            }
        }
    }
    let _ = writeln!(
        b,
        "</ol>\n<h2>{}</h2>\n<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        w.polls, w.question, w.counts, w.status
    );
    for p in &st.polls {
        let counts = p
            .close
            .as_ref()
            .map(|c| {
                format!(
                    "{} / {} / {}",
                    c.counts.for_, c.counts.against, c.counts.abstain
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "<tr><td><a href=\"{}\">{}</a></td><td>{counts}</td><td>{}</td></tr>",
            poll_file(&p.id),
            esc(&p.open.title),
            outcome_word(w, p)
        );
    }
    b.push_str("</tbody></table>\n");
    page(lang, council, &st.label, &b)
}

fn poll_page(
    r: &Replica,
    lang: Lang,
    council: &str,
    sid: &SessionId,
    s: &Session,
    p: &PollState,
) -> Vec<u8> {
    let w = words(lang);
    let state = r.log().state();
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<p>{}: <a href=\"{}\">{}</a></p>",
        w.session,
        session_file(sid),
        esc(&s.state().label)
    );
    let _ = writeln!(b, "<p class=\"outcome\">{}</p>", outcome_word(w, p));
    let report = s.report(&p.id).and_then(Result::ok);
    if let Some(rep) = &report {
        let _ = writeln!(
            b,
            "<p>{}: {} {} · {} {} · {} {}</p>",
            w.counts,
            w.for_,
            rep.counts.for_,
            w.against,
            rep.counts.against,
            w.abstain,
            rep.counts.abstain
        );
    }
    let _ = writeln!(
        b,
        "<p>{}: {} / {} · {}: {} / {}</p>",
        w.rule,
        p.open.rule.threshold.name(),
        p.open.rule.base.name(),
        w.seats_quorum,
        p.open.seats,
        p.open.quorum_needed
    );
    if let Some(rep) = &report {
        if rep.verified() {
            let _ = writeln!(b, "<p class=\"verified\">✔ {}</p>", w.verified);
        } else {
            let _ = writeln!(b, "<p class=\"failed\">✖ {}</p>", w.not_verified);
        }
        let mut omitted: Vec<String> = rep
            .omitted_voters()
            .iter()
            .map(|m| name_of(state, m))
            .collect();
        omitted.sort();
        if !omitted.is_empty() {
            let _ = writeln!(
                b,
                "<p class=\"failed\">{}: {}</p>",
                w.omitted,
                esc(&omitted.join(", "))
            );
        }
        let mut table: Vec<(String, VoterResult)> = rep
            .table
            .iter()
            .map(|(m, v)| (name_of(state, m), *v))
            .collect();
        table.sort_by(|a, b| a.0.cmp(&b.0));
        let _ = writeln!(
            b,
            "<table class=\"named\"><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>",
            w.member, w.vote
        );
        for (name, v) in table {
            let (word, class) = voter_word(w, v);
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td class=\"{class}\">{word}</td></tr>",
                esc(&name)
            );
        }
        b.push_str("</tbody></table>\n");
        let _ = writeln!(b, "<h2>{}</h2>\n<ul>", w.checks);
        for (name, result) in &rep.checks {
            let _ = writeln!(b, "<li>{}: {}</li>", name.name(), result.name());
        }
        b.push_str("</ul>\n");
    }
    if is_public(r, &p.open.doc) {
        let link = if state
            .documents
            .get(&p.open.doc)
            .is_some_and(|m| m.draft_status == DraftStatus::Adopted)
        {
            format!(
                "<a href=\"{}\">{}</a>",
                decision_file(&p.open.doc),
                esc(&doc_title(r, &p.open.doc))
            )
        } else {
            esc(&doc_title(r, &p.open.doc))
        };
        let _ = writeln!(b, "<p>{}: {link}</p>", w.text_voted);
    }
    let version: Vec<String> = p.open.version.iter().map(short).collect();
    let _ = writeln!(
        b,
        "<p>{}: <code>{}</code> · poll <code>{}</code></p>",
        w.version,
        version.join(" "),
        p.id.to_hex()
    );
    page(lang, council, &p.open.title, &b)
}

fn decision_page(
    r: &Replica,
    lang: Lang,
    council: &str,
    d: &DocId,
    adopted: Option<&(SessionId, &PollState)>,
) -> Vec<u8> {
    let w = words(lang);
    let mut b = String::new();
    let doc = r.documents().get(d);
    let text = match adopted {
        Some((_, p)) => {
            let heads: Vec<ChangeHash> = p.open.version.iter().map(|h| ChangeHash(h.0)).collect();
            doc.and_then(|x| x.text_at(TextField::Body, &heads).ok())
        }
        None => None,
    }
    .or_else(|| doc.and_then(|x| x.text(TextField::Body).ok()))
    .unwrap_or_default();
    if let Some((sid, p)) = adopted {
        let _ = writeln!(
            b,
            "<p>{}: <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
            w.polls,
            poll_file(&p.id),
            esc(&p.open.title),
            session_file(sid),
            w.session
        );
        let version: Vec<String> = p.open.version.iter().map(short).collect();
        let _ = writeln!(
            b,
            "<p>{}: <code>{}</code></p>",
            w.version,
            version.join(" ")
        );
    }
    let _ = writeln!(b, "<h2>{}</h2>\n<pre>{}</pre>", w.text_voted, esc(&text));
    page(lang, council, &doc_title(r, d), &b)
}

fn agenda_page(r: &Replica, lang: Lang, council: &str, a: &DocId) -> Vec<u8> {
    let w = words(lang);
    let label = match r.log().state().documents.get(a).map(|m| &m.spec) {
        Some(DocSpec::Agenda { label, .. }) => label.clone(),
        _ => short(a),
    };
    let mut b = String::from("<ol>\n");
    let items = r
        .documents()
        .get(a)
        .and_then(|d| d.agenda().ok())
        .unwrap_or_default();
    for it in items {
        let _ = writeln!(b, "<li>{}</li>", esc(&it.title));
    }
    b.push_str("</ol>\n");
    page(lang, council, &format!("{} — {label}", w.agenda), &b)
}

fn verify_page(w: &Words, lang: Lang, council: &str) -> Vec<u8> {
    let b = format!(
        "<p>{intro}</p>\n<p><a href=\"council-bundle.json\">{bundle}</a> · \
         <a href=\"format.md\">{format}</a> · <a href=\"verify.py\">verify.py</a></p>\n\
         <p>{cli}</p>\n<pre>council verify --bundle council-bundle.json</pre>\n\
         <p>{py}</p>\n<pre>python3 -m pip install pynacl\npython3 verify.py --bundle council-bundle.json</pre>\n\
         <p>{own}</p>\n",
        intro = w.verify_intro,
        bundle = w.bundle,
        format = w.format,
        cli = w.verify_cli,
        py = w.verify_python,
        own = w.verify_yourself,
    );
    page(lang, council, w.how_to_verify, &b)
}
