//! Sessions' minutes as searchable text: the Markdown [`crate::minutes`] writes from the
//! signed record, read as plain text. Minutes are public council records: every member finds
//! them.

use crdt_model::replica::Replica;
use crdt_model::session::SessionId;

use super::source::{Entry, fingerprint};
use super::types::Kind;
use crate::minutes::{self, Lang};

/// The fingerprint of every session's minutes, written in `lang`: they change only when the
/// session's record does (its statements or ballots).
pub(super) fn fingerprints(r: &Replica, lang: Lang) -> impl Iterator<Item = (SessionId, u64)> {
    r.live_sessions().map(move |(id, s)| {
        let heads = s.heads();
        let ballots: Vec<u8> = s
            .state()
            .polls
            .iter()
            .flat_map(|p| (s.ballots(&p.id).count() as u64).to_le_bytes())
            .collect();
        let mut parts: Vec<&[u8]> = vec![b"minutes/", lang.code().as_bytes(), b"/", &ballots];
        parts.extend(heads.iter().map(|h| &h.0[..]));
        (*id, fingerprint(&parts))
    })
}

/// The minutes of session `id` as they are indexed.
pub(super) fn entry(r: &Replica, id: &SessionId, lang: Lang, fp: u64) -> Option<Entry> {
    let m = minutes::minutes(r, id).ok()?;
    let text = plain(&minutes::markdown(&m, lang));
    let (title, body) = match text.split_once('\n') {
        Some((t, b)) => (t.to_string(), b.trim().to_string()),
        None => (text, String::new()),
    };
    Some(Entry {
        id: *id,
        fp,
        kinds: vec![Kind::Minutes],
        status: None,
        committee: match &m.body {
            minutes::BodyName::Committee { id, .. } => Some(*id),
            minutes::BodyName::Council => None,
        },
        authors: vec![m.opened_by.member],
        parent: None,
        date_ms: i64::try_from(m.opened_ms).unwrap_or(i64::MAX),
        title,
        body,
    })
}

/// Markdown as the text a person reads: no heading marks, list bullets, table rules, emphasis
/// or escapes.
pub(super) fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('|') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
            continue;
        }
        let line = line.trim_start_matches('#').trim_start();
        let line = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("> "))
            .unwrap_or(line);
        let line = line.trim_matches('|').trim();
        let mut escaped = false;
        let mut text = String::with_capacity(line.len());
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if escaped {
                text.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '*' && chars.peek() == Some(&'*') {
                chars.next();
            } else if c == '|' {
                text.push('·');
            } else {
                text.push(c);
            }
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn markdown_is_read_as_plain_text() {
        let md = "# Протокол сесії\n\n## Порядок денний\n\n- **Про бюджет** \\[1\\]\n\n\
                  | Депутат | Голос |\n| --- | --- |\n| Олена | за |\n";
        assert_eq!(
            plain(md),
            "Протокол сесії\nПорядок денний\nПро бюджет [1]\nДепутат · Голос\nОлена · за\n"
        );
    }
}
