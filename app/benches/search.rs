//! Full-text search over a term's archive: the archive the sync benchmark uses (2000 drafts
//! in Ukrainian, Bulgarian and English with opinions and amendments, 100 sessions, 30 000
//! ballots) is written to a store, loaded as the app loads it, and indexed from scratch; then a
//! fixed set of queries (Ukrainian, Bulgarian and English, with and without filters) is run many
//! times, each one complete with its snippets.
//!
//! `cargo bench --bench search [-- --drafts D --sessions S --ballots B --rounds R]`
//! Last line: `search_query_p99_ms: X` (goal: ≤ 20 ms).

use std::time::Instant;

use council_app::search::{self, Index, Kind, Query, Status};
use council_sync::Node;
use council_tests::archive::{self, ArchiveSpec, TERM_START_MS};
use crdt_model::DraftStatus;

type Error = Box<dyn std::error::Error>;

use council_tests::bench::{arg, percentile};

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// The fixed queries: words alone, phrases, and words with each kind of filter.
fn queries(a: &archive::Archive) -> Vec<Query> {
    let words = [
        // Ukrainian
        "бюджет",
        "БЮДЖЕТ ГРОМАДИ",
        "освіти",
        "охорони здоров'я",
        "благоустрою міста",
        "водопостачання",
        "енергозбереження",
        "капітальний ремонт",
        "вулиці Шевченка",
        "комунальному підприємству",
        "програми розвитку",
        "\"постійну комісію\"",
        "звіту про виконання",
        "фінансовому управлінню",
        "молодіжної політики",
        "гривень",
        // Bulgarian
        "общински съвет",
        "бюджета на общината",
        "Габрово",
        "НАРЕДБА",
        "пътната инфраструктура",
        "социалните услуги",
        "кмета на общината",
        "\"постоянната комисия\"",
        "енергийната ефективност",
        "ремонт на сградата",
        "Велико Търново",
        // English
        "budget",
        "road maintenance",
        "Energy Efficiency",
        "water supply",
        "municipal property",
        "standing committee",
    ];
    let mut out: Vec<Query> = words.iter().map(|w| Query::text(w)).collect();
    let year = 365 * 24 * 3600 * 1000;
    let start = TERM_START_MS as i64;
    let c = &a.council;
    out.extend([
        Query {
            kind: Some(Kind::Decision),
            ..Query::text("бюджет")
        },
        Query {
            status: Some(Status::Draft(DraftStatus::InCommittee)),
            ..Query::text("освіти")
        },
        Query {
            committee: c.committees.first().copied(),
            ..Query::text("общински")
        },
        Query {
            author: c.deputies.get(3).map(|k| k.member_id()),
            ..Query::text("ремонт")
        },
        Query {
            from_ms: Some(start + year),
            to_ms: Some(start + 2 * year),
            ..Query::text("бюджет")
        },
        Query {
            kind: Some(Kind::Decision),
            ..Query::default()
        },
        Query {
            kind: Some(Kind::Amendment),
            ..Query::text("поправка")
        },
        Query {
            kind: Some(Kind::Opinion),
            ..Query::text("комісія рекомендує")
        },
        Query {
            kind: Some(Kind::Draft),
            from_ms: Some(start + 2 * year),
            ..Query::text("budget")
        },
        Query {
            kind: Some(Kind::Opinion),
            ..Query::text("становище")
        },
    ]);
    out
}

fn main() -> Result<(), Error> {
    let spec = ArchiveSpec {
        drafts: arg("--drafts", 2000),
        sessions: arg("--sessions", 100),
        ballots: arg("--ballots", 30_000),
        ..ArchiveSpec::default()
    };
    let rounds = arg("--rounds", 30).max(1);
    let dir = tempfile::tempdir()?;

    let start = Instant::now();
    let a = archive::generate(dir.path(), &spec)?;
    let generate_ms = ms(start);
    let bytes = std::fs::metadata(&a.store)?.len();
    println!(
        "archive: {} drafts, {} sessions, {} ballots, {} signed items, {bytes} bytes on disk",
        spec.drafts, spec.sessions, spec.ballots, a.items
    );
    println!("archive_generate_ms: {generate_ms:.0}");

    let start = Instant::now();
    let node = Node::open(&a.store)?;
    println!("store_load_ms: {:.0}", ms(start));
    let replica = node.replica();
    let me = a.council.secretary.member_id();
    let index_dir = search::index_dir(dir.path());

    // Indexing from scratch: what `Index::open_or_rebuild` does on a missing index, in its
    // steps (reading the documents and minutes out of the replica, then writing the index).
    let start = Instant::now();
    let index = Index::open(&index_dir, replica.log().council_id(), me, &mut |_| {})?;
    let mut plan = index.plan(replica);
    plan.read(replica, std::time::Duration::MAX);
    let extract_ms = ms(start);
    let write = Instant::now();
    index.apply(plan, &mut |_| {})?;
    let write_ms = ms(write);
    let index_ms = ms(start);
    let docs = index.len();
    println!(
        "docs_indexed: {docs} ({} documents held, others' notes left out; one minutes per session)",
        replica.documents().len()
    );
    println!("search_extract_ms: {extract_ms:.0} (texts and minutes read from the replica)");
    println!("search_write_ms: {write_ms:.0} (tantivy indexing and commit)");
    println!("search_index_ms: {index_ms:.0}");

    let start = Instant::now();
    let noop = index.update(replica, &mut |_| {})?;
    println!(
        "search_update_unchanged_ms: {:.1} ({} reindexed)",
        ms(start),
        noop.indexed
    );
    drop(index);
    let start = Instant::now();
    let index = Index::open_or_rebuild(&index_dir, replica, me, &mut |_| {})?;
    println!("search_reopen_ms: {:.1}", ms(start));

    let queries = queries(&a);
    let mut empty = Vec::new();
    let mut hits = 0usize;
    for q in &queries {
        let n = index.search(q)?.len();
        hits += n;
        if n == 0 {
            empty.push(q.text.clone());
        }
    }
    if !empty.is_empty() {
        eprintln!("queries that found nothing: {empty:?}");
    }
    let mut lat = Vec::with_capacity(rounds * queries.len());
    for _ in 0..rounds {
        for q in &queries {
            let start = Instant::now();
            let found = index.search(q)?;
            lat.push(ms(start));
            std::hint::black_box(found);
        }
    }
    println!(
        "queries: {} distinct ({} found nothing), {} timed, {:.1} hits each on average",
        queries.len(),
        empty.len(),
        lat.len(),
        hits as f64 / queries.len() as f64
    );
    let p50 = percentile(&mut lat, 0.5);
    let p99 = percentile(&mut lat, 0.99);
    println!("search_query_p50_ms: {p50:.2}");
    println!("search_query_p99_ms: {p99:.2}");
    Ok(())
}
