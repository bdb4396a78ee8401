//! Unit tests of the search index (the end-to-end ones are in app/tests/search.rs).

use crdt_model::document::TextField;
use crdt_model::replica::{Item, Replica};
use crdt_model::sample::{SampleCouncil, device};
use crdt_model::{DocId, DocSpec, OpBody};

use super::*;

struct Council {
    c: SampleCouncil,
    r: Replica,
}

fn council() -> Council {
    let (c, _) = SampleCouncil::new(7, 5).expect("council");
    let mut r = Replica::new(c.genesis.clone());
    for op in &c.ops {
        r.receive(Item::Op(op.clone())).expect("op");
    }
    Council { c, r }
}

impl Council {
    fn draft(&mut self, deputy: usize, title: &str, body: &str, t: u64) -> DocId {
        let key = &self.c.deputies[deputy];
        let op = self
            .r
            .log_mut()
            .create(
                key,
                OpBody::CreateDocument {
                    spec: DocSpec::Draft { co_authors: vec![] },
                },
                t,
            )
            .expect("create");
        let id = op.id();
        let (log, doc) = self.r.document_mut(&id).expect("doc");
        doc.edit(log, &device(deputy as u32 + 2, 1), t as i64, |e| {
            e.set_text(TextField::Title, title)?;
            e.set_text(TextField::Body, body)
        })
        .expect("edit");
        id
    }
}

fn open(dir: &std::path::Path, c: &Council) -> Index {
    Index::open_or_rebuild(dir, &c.r, c.c.secretary.member_id(), &mut |_| {}).expect("index")
}

fn ids(hits: &[Hit]) -> Vec<DocId> {
    hits.iter().map(|h| h.id).collect()
}

#[test]
fn title_matches_rank_above_text_matches() {
    let mut c = council();
    let in_text = c.draft(0, "Про ремонт доріг", "Кошти бюджету громади на ремонт.", 1);
    let in_title = c.draft(1, "Про бюджет громади", "Затвердити кошторис.", 2);
    let dir = tempfile::tempdir().expect("dir");
    let hits = open(dir.path(), &c)
        .search(&Query::text("бюджет"))
        .expect("search");
    assert_eq!(ids(&hits), [in_title, in_text]);
    assert!(hits[0].score > hits[1].score);
}

#[test]
fn a_word_s_own_form_ranks_above_its_other_forms() {
    let mut c = council();
    let other = c.draft(0, "Звіт", "Видатки бюджетів сіл.", 1);
    let own = c.draft(1, "Звіт", "Видатки бюджету сіл.", 2);
    let dir = tempfile::tempdir().expect("dir");
    let hits = open(dir.path(), &c)
        .search(&Query::text("бюджету"))
        .expect("search");
    assert_eq!(ids(&hits), [own, other]);
}

#[test]
fn an_update_with_nothing_new_reindexes_nothing() {
    let mut c = council();
    c.draft(0, "Про бюджет", "Текст.", 1);
    let dir = tempfile::tempdir().expect("dir");
    let index = open(dir.path(), &c);
    let again = index.update(&c.r, &mut |_| {}).expect("update");
    assert_eq!((again.indexed, again.removed, again.total), (0, 0, 1));
    drop(index);
    let reopened = open(dir.path(), &c);
    assert_eq!(
        reopened.update(&c.r, &mut |_| {}).expect("update").indexed,
        0
    );
}

#[test]
fn an_index_built_for_another_member_is_rebuilt_for_this_one() {
    let mut c = council();
    c.draft(0, "Про бюджет", "Текст.", 1);
    let dir = tempfile::tempdir().expect("dir");
    drop(open(dir.path(), &c));
    let mut reasons = Vec::new();
    let other = c.c.deputies[0].member_id();
    let index = Index::open_or_rebuild(dir.path(), &c.r, other, &mut |p| {
        if let Progress::Rebuilding { reason } = p {
            reasons.push(reason);
        }
    })
    .expect("index");
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(index.len(), 1);
}

#[test]
fn a_query_with_no_words_lists_the_newest_documents_first() {
    let mut c = council();
    let old = c.draft(0, "Перший", "Текст.", 1_000);
    let new = c.draft(1, "Другий", "Текст.", 2_000);
    let dir = tempfile::tempdir().expect("dir");
    let hits = open(dir.path(), &c)
        .search(&Query::default())
        .expect("search");
    assert_eq!(ids(&hits), [new, old]);
}

#[test]
fn a_word_found_nowhere_finds_nothing_even_beside_common_words() {
    let mut c = council();
    c.draft(0, "Про бюджет громади", "Текст.", 1);
    let dir = tempfile::tempdir().expect("dir");
    let index = open(dir.path(), &c);
    assert!(
        index
            .search(&Query::text("бюджет ракета"))
            .expect("search")
            .is_empty()
    );
    assert_eq!(
        index
            .search(&Query::text("бюджет громади"))
            .expect("search")
            .len(),
        1
    );
}

#[test]
fn query_syntax_characters_are_just_separators() {
    let mut c = council();
    c.draft(0, "Про бюджет", "Текст (і дужки): AND OR NOT.", 1);
    let dir = tempfile::tempdir().expect("dir");
    let index = open(dir.path(), &c);
    for q in [
        "бюджет:",
        "(бюджет",
        "бюджет AND",
        "+бюджет -",
        "\"бюджет",
        "*",
        "",
    ] {
        assert!(index.search(&Query::text(q)).is_ok(), "{q}");
    }
    assert_eq!(
        index
            .search(&Query::text("+бюджет -"))
            .expect("search")
            .len(),
        1
    );
}

#[test]
fn the_html_snippet_escapes_the_text_and_bolds_the_matches() {
    let mut c = council();
    c.draft(0, "Звіт", "Умова <a> & бюджет громади.", 1);
    let dir = tempfile::tempdir().expect("dir");
    let hits = open(dir.path(), &c)
        .search(&Query::text("бюджет"))
        .expect("search");
    assert_eq!(
        hits[0].snippet_html(),
        "Умова &lt;a&gt; &amp; <b>бюджет</b> громади."
    );
}
