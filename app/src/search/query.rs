//! From a [`Query`] to ranked hits with snippets.
//!
//! The query is built from the analyzer's words directly (no query language to get wrong):
//! each word becomes "any of the indexed words starting like it, in the title (double weight) or
//! the text", found by walking the term dictionary from the word's stem; the word's own form
//! weighs more than its other forms. Filters do not change the ranking.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Bound, Range};

use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query as TQuery,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, TantivyError, Term};

use super::schema::{DATE, Fields};
use super::tokenizer::{Part, analyzer, parse, stem, words};
use super::types::{Hit, Kind, Query, Status};

/// Other forms of one word taken into a query, at most.
const MAX_FORMS: usize = 64;
/// Weight of a word's other forms against its own.
const OTHER_FORM_BOOST: f32 = 0.6;
/// Weight of the title against the text.
const TITLE_BOOST: f32 = 2.0;
/// Characters of text a snippet shows.
const SNIPPET_CHARS: usize = 180;

/// Runs `q` over `searcher`.
pub(super) fn run(f: &Fields, searcher: &Searcher, q: &Query) -> Result<Vec<Hit>, TantivyError> {
    let limit = if q.limit == 0 {
        Query::DEFAULT_LIMIT
    } else {
        q.limit
    };
    let mut clauses: Vec<(Occur, Box<dyn TQuery>)> = Vec::new();
    let mut marks = BTreeSet::new();
    for part in parse(&q.text) {
        let clause = match part {
            Part::Word(w) => {
                let forms = forms(searcher, f, &w)?;
                if forms.is_empty() {
                    return Ok(Vec::new());
                }
                marks.extend(forms.iter().map(|(t, _)| t.clone()));
                word_query(f, &forms)
            }
            Part::Phrase(ws) => {
                marks.extend(ws.iter().cloned());
                phrase_query(f, &ws)
            }
        };
        clauses.push((Occur::Must, clause));
    }
    let scored = !clauses.is_empty();
    clauses.extend(filters(f, q).into_iter().map(|c| {
        let c: Box<dyn TQuery> = Box::new(ConstScoreQuery::new(c, 0.0));
        (Occur::Must, c)
    }));
    let query: Box<dyn TQuery> = if clauses.is_empty() {
        Box::new(AllQuery)
    } else {
        Box::new(BooleanQuery::new(clauses))
    };
    let found: Vec<(f32, DocAddress)> = if scored {
        searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?
    } else {
        searcher
            .search(
                &query,
                &TopDocs::with_limit(limit).order_by_fast_field::<i64>(DATE, Order::Desc),
            )?
            .into_iter()
            .map(|(_, a)| (0.0, a))
            .collect()
    };
    let terms: BTreeMap<String, f32> = marks.iter().map(|t| (t.clone(), 1.0)).collect();
    let mut snippets = SnippetGenerator::new(terms, analyzer(), f.body, SNIPPET_CHARS);
    snippets.set_max_num_chars(SNIPPET_CHARS);
    let mut hits = Vec::with_capacity(found.len());
    for (score, addr) in found {
        let doc: TantivyDocument = searcher.doc(addr)?;
        hits.push(hit(f, &doc, score, &snippets, &marks));
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.date_ms.cmp(&a.date_ms)));
    Ok(hits)
}

/// The indexed words `word` stands for: itself (weight 1) and other words starting with its
/// stem (weight [`OTHER_FORM_BOOST`]), in titles or texts.
fn forms(searcher: &Searcher, f: &Fields, word: &str) -> Result<Vec<(String, f32)>, TantivyError> {
    let mut exact = false;
    let mut others = BTreeSet::new();
    let prefix = stem(word);
    for seg in searcher.segment_readers() {
        for field in [f.title, f.body] {
            let inverted = seg.inverted_index(field)?;
            let dict = inverted.terms();
            exact = exact || dict.get(word.as_bytes())?.is_some();
            let Some(prefix) = prefix else { continue };
            let mut stream = dict.range().ge(prefix.as_bytes()).into_stream()?;
            while others.len() < MAX_FORMS && stream.advance() {
                let key = stream.key();
                if !key.starts_with(prefix.as_bytes()) {
                    break;
                }
                if key != word.as_bytes()
                    && let Ok(s) = std::str::from_utf8(key)
                {
                    others.insert(s.to_string());
                }
            }
        }
    }
    let mut out: Vec<(String, f32)> = Vec::with_capacity(others.len() + 1);
    if exact {
        out.push((word.to_string(), 1.0));
    }
    out.extend(others.into_iter().map(|t| (t, OTHER_FORM_BOOST)));
    Ok(out)
}

fn word_query(f: &Fields, forms: &[(String, f32)]) -> Box<dyn TQuery> {
    let mut should: Vec<(Occur, Box<dyn TQuery>)> = Vec::with_capacity(forms.len() * 2);
    for (form, weight) in forms {
        for (field, boost) in [(f.title, TITLE_BOOST), (f.body, 1.0)] {
            let term = TermQuery::new(
                Term::from_field_text(field, form),
                IndexRecordOption::WithFreqs,
            );
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(term), boost * weight)),
            ));
        }
    }
    Box::new(BooleanQuery::new(should))
}

fn phrase_query(f: &Fields, words: &[String]) -> Box<dyn TQuery> {
    let phrase = |field: Field| -> Box<dyn TQuery> {
        Box::new(PhraseQuery::new(
            words
                .iter()
                .map(|w| Term::from_field_text(field, w))
                .collect(),
        ))
    };
    Box::new(BooleanQuery::new(vec![
        (
            Occur::Should,
            Box::new(BoostQuery::new(phrase(f.title), TITLE_BOOST)),
        ),
        (Occur::Should, phrase(f.body)),
    ]))
}

fn term(field: Field, value: &str) -> Box<dyn TQuery> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn filters(f: &Fields, q: &Query) -> Vec<Box<dyn TQuery>> {
    let mut out = Vec::new();
    if let Some(k) = q.kind {
        out.push(term(f.kind, k.name()));
    }
    if let Some(s) = q.status {
        out.push(term(f.status, s.name()));
    }
    if let Some(c) = q.committee {
        out.push(term(f.committee, &c.to_hex()));
    }
    if let Some(a) = q.author {
        out.push(term(f.author, &a.to_hex()));
    }
    if q.from_ms.is_some() || q.to_ms.is_some() {
        let bound = |ms: Option<i64>, inclusive: bool| match ms {
            Some(ms) if inclusive => Bound::Included(Term::from_field_i64(f.date, ms)),
            Some(ms) => Bound::Excluded(Term::from_field_i64(f.date, ms)),
            None => Bound::Unbounded,
        };
        out.push(Box::new(RangeQuery::new(
            bound(q.from_ms, true),
            bound(q.to_ms, false),
        )));
    }
    out
}

fn hit(
    f: &Fields,
    doc: &TantivyDocument,
    score: f32,
    snippets: &SnippetGenerator,
    marks: &BTreeSet<String>,
) -> Hit {
    let text = |field: Field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    };
    let hex = |field: Field| crdt_model::Hash::from_hex(text(field));
    let kinds: Vec<Kind> = doc
        .get_all(f.kind)
        .filter_map(|v| v.as_str().and_then(Kind::parse))
        .collect();
    let kind = if kinds.contains(&Kind::Decision) {
        Kind::Decision
    } else {
        kinds.first().copied().unwrap_or(Kind::Draft)
    };
    let body = text(f.body);
    let snippet = snippets.snippet(body);
    let (snippet, highlights) = if snippet.highlighted().is_empty() {
        (beginning(body), Vec::new())
    } else {
        passage(body, snippet.fragment_range(), snippet.highlighted())
    };
    let title = text(f.title).to_string();
    Hit {
        id: hex(f.id).unwrap_or_default(),
        kind,
        draft: hex(f.parent),
        title_highlights: highlight(&title, marks),
        title,
        snippet,
        highlights,
        score,
        status: Status::stored(kind, text(f.status)),
        committee: hex(f.committee),
        author: crdt_model::MemberId::from_hex(text(f.author)).ok(),
        date_ms: doc.get_first(f.date).and_then(|v| v.as_i64()).unwrap_or(0),
    }
}

/// The fragment `range` of `text` with its trailing punctuation, marked with `…` where the
/// text goes on; `highlights` are relative to the fragment and are moved along.
fn passage(
    text: &str,
    range: Range<usize>,
    highlights: &[Range<usize>],
) -> (String, Vec<Range<usize>>) {
    let rest = text.get(range.end..).unwrap_or_default();
    let end = range.end
        + rest
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map_or(rest.len(), |(i, _)| i);
    let goes_on = |part: Option<&str>| part.is_some_and(|p| !p.trim().is_empty());
    let before = if goes_on(text.get(..range.start)) {
        "…"
    } else {
        ""
    };
    let fragment = text.get(range.start..end).unwrap_or_default();
    let after = match fragment.chars().last() {
        _ if !goes_on(text.get(end..)) => "",
        Some(c) if c.is_alphanumeric() => "…",
        _ => " …",
    };
    let out = format!("{before}{fragment}{after}");
    let shift = before.len();
    let moved = highlights
        .iter()
        .map(|r| r.start + shift..r.end + shift)
        .collect();
    (out, moved)
}

/// The start of `text`, cut at a word boundary near [`SNIPPET_CHARS`].
fn beginning(text: &str) -> String {
    let text = text.trim();
    let Some((cut, _)) = text.char_indices().nth(SNIPPET_CHARS) else {
        return text.to_string();
    };
    let head = &text[..cut];
    let end = head.rfind(char::is_whitespace).unwrap_or(cut);
    format!("{}…", head[..end].trim_end())
}

/// Byte ranges of the words of `text` that are in `marks`.
fn highlight(text: &str, marks: &BTreeSet<String>) -> Vec<Range<usize>> {
    words(text)
        .into_iter()
        .filter(|(w, _)| marks.contains(w))
        .map(|(_, r)| r)
        .collect()
}
