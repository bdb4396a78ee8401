//! The searchable archive: Ukrainian, Bulgarian and English text, filters, snippets,
//! incremental updates, rebuilding a lost or damaged index, privacy of notes, the command line
//! and the app's background service.

use crate::{council, text};
use std::path::{Path, PathBuf};
use std::time::Duration;

use council_app::engine::Engine;
use council_app::search::{self, Hit, Index, Kind, Query, SearchService, ServiceStatus, Status};
use council_sync::Node;
use crdt_model::document::TextField;
use crdt_model::log::CommitteeId;
use crdt_model::replica::{Item, Replica};
use crdt_model::sample::{SampleCouncil, device};
use crdt_model::{DocId, DocSpec, DraftStatus, MemberId, OpBody, SecretKey};

/// A profile directory holding the sample council's store, as its secretary's device.
struct Fixture {
    dir: tempfile::TempDir,
    c: SampleCouncil,
    node: Node,
}

/// 2024-01-01 UTC.
const JAN_2024: u64 = 1_704_067_200_000;
const DAY: u64 = 24 * 3600 * 1000;

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("dir");
    let (c, _) = SampleCouncil::new(7, 5).expect("council");
    let mut node = Node::create_for(
        &dir.path().join("council.redb"),
        c.genesis.clone(),
        c.secretary.clone(),
    )
    .expect("store");
    for op in &c.ops {
        node.receive(Item::Op(op.clone())).expect("op");
    }
    Fixture { dir, c, node }
}

impl Fixture {
    fn deputy(&self, i: usize) -> SecretKey {
        self.c.deputies[i].clone()
    }

    fn op(&mut self, key: &SecretKey, body: OpBody, t: u64) -> DocId {
        let op = self
            .node
            .replica_mut()
            .log_mut()
            .create(key, body, t)
            .expect("op");
        self.node.persist(&[Item::Op(op.clone())]).expect("persist");
        op.id()
    }

    fn write(&mut self, doc: &DocId, person: u32, t: u64, fields: &[(TextField, &str)]) {
        let (log, d) = self.node.replica_mut().document_mut(doc).expect("doc");
        let (_, ch) = d
            .edit(log, &device(person, 1), t as i64, |e| {
                for (f, text) in fields {
                    e.set_text(*f, text)?;
                }
                Ok(())
            })
            .expect("edit");
        let items: Vec<Item> = ch.into_iter().map(Item::Change).collect();
        self.node.persist(&items).expect("persist");
    }

    /// A draft by deputy `i`, created `day` days into 2024.
    fn draft(&mut self, i: usize, title: &str, body: &str, day: u64) -> DocId {
        let t = JAN_2024 + day * DAY;
        let spec = DocSpec::Draft { co_authors: vec![] };
        let id = self.op(&self.deputy(i), OpBody::CreateDocument { spec }, t);
        self.write(
            &id,
            i as u32 + 2,
            t,
            &[(TextField::Title, title), (TextField::Body, body)],
        );
        id
    }

    fn status(&mut self, draft: DocId, by: &SecretKey, status: DraftStatus, c: Option<usize>) {
        let committee = c.map(|c| self.c.committees[c]);
        let body = OpBody::SetDraftStatus {
            draft,
            status,
            committee,
        };
        self.op(by, body, JAN_2024 + 300 * DAY);
    }

    /// Submits (as deputy `author`), refers to committee `c`, puts on the agenda, adopts.
    fn adopt(&mut self, draft: DocId, author: usize, c: usize) {
        let office = self.c.secretary.clone();
        self.status(draft, &self.deputy(author), DraftStatus::Submitted, None);
        self.status(draft, &office, DraftStatus::InCommittee, Some(c));
        self.status(draft, &office, DraftStatus::OnAgenda, None);
        self.status(draft, &office, DraftStatus::Adopted, None);
    }

    /// An opinion of committee `c` (written by deputy `member`, who sits on it).
    fn opinion(&mut self, draft: DocId, c: usize, member: usize, body: &str) -> DocId {
        let committee: CommitteeId = self.c.committees[c];
        let spec = DocSpec::Opinion { draft, committee };
        let id = self.op(
            &self.deputy(member),
            OpBody::CreateDocument { spec },
            JAN_2024,
        );
        self.write(&id, member as u32 + 2, JAN_2024, &[(TextField::Body, body)]);
        id
    }

    fn amendment(&mut self, draft: DocId, by: usize, body: &str) -> DocId {
        let spec = DocSpec::Amendment {
            draft,
            from_line: 1,
            to_line: 1,
        };
        let id = self.op(&self.deputy(by), OpBody::CreateDocument { spec }, JAN_2024);
        self.write(&id, by as u32 + 2, JAN_2024, &[(TextField::Body, body)]);
        id
    }

    fn note(&mut self, i: usize, title: &str, body: &str) -> DocId {
        let id = self.op(
            &self.deputy(i),
            OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
            JAN_2024,
        );
        self.write(
            &id,
            i as u32 + 2,
            JAN_2024,
            &[(TextField::Title, title), (TextField::Body, body)],
        );
        id
    }

    fn replica(&self) -> &Replica {
        self.node.replica()
    }

    fn me(&self) -> MemberId {
        self.c.secretary.member_id()
    }

    fn index_dir(&self) -> PathBuf {
        search::index_dir(self.dir.path())
    }

    fn index(&self) -> Index {
        Index::open_or_rebuild(&self.index_dir(), self.replica(), self.me(), &mut |_| {})
            .expect("index")
    }
}

fn ids(hits: &[Hit]) -> Vec<DocId> {
    let mut v: Vec<DocId> = hits.iter().map(|h| h.id).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<DocId>) -> Vec<DocId> {
    v.sort();
    v
}

fn find(index: &Index, text: &str) -> Vec<DocId> {
    ids(&index.search(&Query::text(text)).expect("search"))
}

#[test]
fn a_ukrainian_query_finds_a_title_in_the_other_case() {
    let mut f = fixture();
    let upper = f.draft(0, "БЮДЖЕТ ГРОМАДИ на 2025 рік", "Затвердити кошторис.", 1);
    let lower = f.draft(1, "Про бюджет громади", "Внести зміни.", 2);
    f.draft(2, "Про ремонт доріг", "Відремонтувати вулицю Шевченка.", 3);
    let index = f.index();
    assert_eq!(find(&index, "бюджет"), sorted(vec![upper, lower]));
    assert_eq!(find(&index, "БЮДЖЕТ"), sorted(vec![upper, lower]));
    assert_eq!(find(&index, "Громади"), sorted(vec![upper, lower]));
    assert_eq!(find(&index, "ШЕВЧЕНКА"), find(&index, "шевченка"));
    assert_eq!(find(&index, "шевченка").len(), 1);
}

#[test]
fn a_ukrainian_word_is_found_in_its_other_forms_and_with_any_apostrophe() {
    let mut f = fixture();
    let d = f.draft(0, "Про виконання бюджету", "Охорона здоров’я та сім'ї.", 1);
    let index = f.index();
    assert_eq!(find(&index, "бюджетом"), [d]);
    assert_eq!(find(&index, "здоров'я"), [d]);
    assert_eq!(find(&index, "ЗДОРОВʼЯ"), [d]);
}

#[test]
fn bulgarian_words_are_found_in_any_case_and_form() {
    let mut f = fixture();
    let d = f.draft(
        0,
        "ОТНОСНО ПРИЕМАНЕ НА БЮДЖЕТА НА ОБЩИНА ГАБРОВО",
        "Общинският съвет реши да приеме бюджета. Общински съвет Габрово одобрява разходите.",
        1,
    );
    f.draft(1, "Относно ремонт на улица Шипка", "Възлага на кмета.", 2);
    let index = f.index();
    assert_eq!(find(&index, "общински съвет"), [d]);
    assert_eq!(find(&index, "ОБЩИНСКИЯ СЪВЕТ"), [d]);
    assert_eq!(find(&index, "\"общински съвет\""), [d]);
    assert_eq!(find(&index, "бюджет габрово"), [d]);
    assert!(find(&index, "\"съвет общински\"").is_empty());
}

#[test]
fn english_words_are_found_regardless_of_case() {
    let mut f = fixture();
    let d = f.draft(
        0,
        "Road Maintenance Plan",
        "Repair the ROADS near the school.",
        1,
    );
    let index = f.index();
    assert_eq!(find(&index, "roads"), [d]);
    assert_eq!(find(&index, "MAINTENANCE plan"), [d]);
    assert!(find(&index, "budget").is_empty());
}

/// Two committees' worth of documents of every kind, by different deputies and dates.
struct Archive {
    f: Fixture,
    adopted: DocId,
    draft: DocId,
    opinion: DocId,
    amendment: DocId,
    late: DocId,
}

fn archive() -> Archive {
    let mut f = fixture();
    // Committee 0 holds deputies 0 and 1; committee 1 holds deputies 2, 3 and 4.
    let adopted = f.draft(0, "Про бюджет освіти", "Виділити кошти на школи.", 10);
    f.adopt(adopted, 0, 0);
    let draft = f.draft(
        2,
        "Про бюджет культури",
        "Виділити кошти на бібліотеки.",
        40,
    );
    let office = f.c.secretary.clone();
    f.status(draft, &f.deputy(2), DraftStatus::Submitted, None);
    f.status(draft, &office, DraftStatus::InCommittee, Some(1));
    let opinion = f.opinion(adopted, 0, 1, "Комісія підтримує бюджет освіти.");
    let amendment = f.amendment(draft, 3, "Збільшити бюджет бібліотек.");
    let late = f.draft(4, "Про бюджет спорту", "Виділити кошти на стадіон.", 200);
    Archive {
        f,
        adopted,
        draft,
        opinion,
        amendment,
        late,
    }
}

#[test]
fn filters_by_kind_status_committee_author_and_date_each_narrow_the_results() {
    let a = archive();
    let index = a.f.index();
    let all = sorted(vec![a.adopted, a.draft, a.opinion, a.amendment, a.late]);
    let q = |edit: &dyn Fn(&mut Query)| {
        let mut q = Query::text("бюджет");
        edit(&mut q);
        ids(&index.search(&q).expect("search"))
    };
    assert_eq!(q(&|_| {}), all);
    assert_eq!(
        q(&|q| q.kind = Some(Kind::Draft)),
        sorted(vec![a.adopted, a.draft, a.late])
    );
    assert_eq!(q(&|q| q.kind = Some(Kind::Decision)), [a.adopted]);
    assert_eq!(q(&|q| q.kind = Some(Kind::Opinion)), [a.opinion]);
    assert_eq!(q(&|q| q.kind = Some(Kind::Amendment)), [a.amendment]);
    assert_eq!(
        q(&|q| q.status = Some(Status::Draft(DraftStatus::Adopted))),
        [a.adopted]
    );
    assert_eq!(
        q(&|q| q.status = Some(Status::parse("proposed").expect("status"))),
        [a.amendment]
    );
    let budget_committee = a.f.c.committees[0];
    assert_eq!(
        q(&|q| q.committee = Some(budget_committee)),
        sorted(vec![a.adopted, a.opinion])
    );
    let education = a.f.c.committees[1];
    assert_eq!(
        q(&|q| q.committee = Some(education)),
        sorted(vec![a.draft, a.amendment])
    );
    assert_eq!(
        q(&|q| q.author = Some(a.f.c.deputies[3].member_id())),
        [a.amendment]
    );
    let from = (JAN_2024 + 100 * DAY) as i64;
    assert_eq!(q(&|q| q.from_ms = Some(from)), [a.late]);
    assert_eq!(
        q(&|q| {
            q.from_ms = Some((JAN_2024 + 20 * DAY) as i64);
            q.to_ms = Some(from);
        }),
        [a.draft]
    );
    let hits = index
        .search(&Query {
            kind: Some(Kind::Decision),
            ..Query::text("бюджет")
        })
        .expect("search");
    assert_eq!(hits[0].kind, Kind::Decision);
    assert_eq!(hits[0].status, Some(Status::Draft(DraftStatus::Adopted)));
    assert_eq!(hits[0].committee, Some(budget_committee));
    assert_eq!(hits[0].author, Some(a.f.c.deputies[0].member_id()));
    assert_eq!(search::format_day(hits[0].date_ms), "2024-01-11");
    let opinion = index
        .search(&Query {
            kind: Some(Kind::Opinion),
            ..Query::text("бюджет")
        })
        .expect("search");
    assert_eq!(opinion[0].draft, Some(a.adopted));
}

#[test]
fn the_snippet_highlights_the_match() {
    let mut f = fixture();
    let long = "Вступ до рішення. ".repeat(30);
    f.draft(
        0,
        "Про фінанси",
        &format!("{long}Затвердити БЮДЖЕТ громади на рік. {long}"),
        1,
    );
    let index = f.index();
    let hits = index.search(&Query::text("бюджет")).expect("search");
    let marked = hits[0].snippet_marked("«", "»");
    assert!(marked.contains("«БЮДЖЕТ» громади"), "{marked}");
    assert!(hits[0].snippet.chars().count() < 250, "{}", hits[0].snippet);
    let titled = index.search(&Query::text("фінанси")).expect("search");
    assert_eq!(titled[0].title_marked("[", "]"), "Про [фінанси]");
    assert!(titled[0].highlights.is_empty());
    assert!(titled[0].snippet.starts_with("Вступ до рішення."));
}

#[test]
fn an_edit_that_arrives_later_is_found_after_update_and_the_old_text_no_longer_matches() {
    let mut f = fixture();
    let d = f.draft(0, "Про парк", "Висадити каштани у парку.", 1);
    f.draft(1, "Про сквер", "Висадити клени.", 2);
    let index = f.index();
    assert_eq!(find(&index, "каштани"), [d]);
    // The author edits on their own device; the change arrives here by sync.
    let mut theirs = Replica::new(f.c.genesis.clone());
    for item in f.replica().items() {
        theirs.receive(item).expect("item");
    }
    let (log, doc) = theirs.document_mut(&d).expect("doc");
    let (_, change) = doc
        .edit(log, &device(2, 1), 5, |e| {
            e.set_text(TextField::Body, "Висадити липи у парку.")
        })
        .expect("edit");
    let change = change.expect("a change");
    f.node.receive(Item::Change(change)).expect("received");
    let updated = index.update(f.replica(), &mut |_| {}).expect("update");
    assert_eq!((updated.indexed, updated.total), (1, 2));
    assert_eq!(find(&index, "липи"), [d]);
    assert!(find(&index, "каштани").is_empty());
    // A status change is picked up too.
    f.status(d, &f.deputy(0), DraftStatus::Submitted, None);
    assert_eq!(
        index
            .update(f.replica(), &mut |_| {})
            .expect("update")
            .indexed,
        1
    );
    let q = Query {
        status: Some(Status::Draft(DraftStatus::Submitted)),
        ..Query::text("парку")
    };
    assert_eq!(ids(&index.search(&q).expect("search")), [d]);
}

fn results(index: &Index) -> Vec<Vec<DocId>> {
    ["бюджет", "кошти", "бібліотек", "освіти"]
        .iter()
        .map(|q| find(index, q))
        .collect()
}

#[test]
fn a_deleted_index_is_rebuilt_with_the_same_results() {
    let a = archive();
    let before = results(&a.f.index());
    std::fs::remove_dir_all(a.f.index_dir()).expect("delete");
    assert_eq!(results(&a.f.index()), before);
    assert!(!before[0].is_empty());
}

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect()
}

#[test]
fn an_index_with_garbage_in_its_files_is_rebuilt_with_the_same_results() {
    let a = archive();
    let before = results(&a.f.index());
    let damages: [fn(&Path) -> bool; 2] = [
        // Every file overwritten.
        |_| true,
        // Only the segment files, leaving the index's own bookkeeping readable.
        |p| !p.to_string_lossy().ends_with(".json"),
    ];
    for damage in damages {
        for file in files(&a.f.index_dir()) {
            if damage(&file) {
                std::fs::write(&file, b"\x00garbage\xff not an index").expect("write");
            }
        }
        let mut rebuilt = false;
        let index = Index::open_or_rebuild(&a.f.index_dir(), a.f.replica(), a.f.me(), &mut |p| {
            rebuilt |= matches!(p, search::Progress::Rebuilding { .. });
        })
        .expect("rebuilt, not an error");
        assert!(rebuilt);
        assert_eq!(results(&index), before);
    }
}

#[test]
fn others_personal_notes_never_appear() {
    let mut f = fixture();
    f.note(0, "Таємниця депутата", "Моя таємниця про бюджет.");
    let public = f.draft(1, "Про бюджет", "Текст.", 1);
    let index = f.index();
    assert!(find(&index, "таємниця").is_empty());
    assert_eq!(find(&index, "бюджет"), [public]);
    let notes = Query {
        kind: Some(Kind::Note),
        ..Query::default()
    };
    assert!(index.search(&notes).expect("search").is_empty());
    // The owner finds their own note.
    let own = tempfile::tempdir().expect("dir");
    let owner = f.c.deputies[0].member_id();
    let theirs = Index::open_or_rebuild(own.path(), f.replica(), owner, &mut |_| {}).expect("ix");
    assert_eq!(theirs.search(&notes).expect("search").len(), 1);
    assert_eq!(find(&theirs, "таємниця").len(), 1);
}

#[test]
fn the_cli_prints_ranked_hits_and_exits_0() {
    let a = archive();
    let dir = a.f.dir.path().to_path_buf();
    drop(a.f.node);
    let out = council(&dir, &["search", "БЮДЖЕТ", "освіти"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().expect("a line");
    assert!(
        first.starts_with("1. [") && first.contains("«бюджет» «освіти»"),
        "{stdout}"
    );
    assert!(
        stdout.contains("adopted · Бюджетна комісія · Депутат 1 · 2024-01-11"),
        "{stdout}"
    );
    let out = council(
        &dir,
        &[
            "search",
            "бюджет",
            "--kind",
            "amendment",
            "--committee",
            "освіт",
            "--author",
            "Депутат 4",
            "--from",
            "2023-12-31",
            "--to",
            "2024-12-31",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.contains(". [")).count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains("[amendment] on «Про бюджет культури»"),
        "{stdout}"
    );
    assert!(search::index_dir(&dir).join("meta.json").is_file());
    let none = council(&dir, &["search", "ракета"]);
    assert!(none.status.success());
    assert_eq!(text(&none.stdout).trim(), "no documents found");
}

#[test]
fn the_cli_refuses_a_bad_date_with_a_clear_message() {
    let f = fixture();
    let dir = f.dir.path().to_path_buf();
    drop(f.node);
    let out = council(&dir, &["search", "бюджет", "--from", "2024-13-01"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("2024-13-01") && stderr.contains("--from"),
        "{stderr}"
    );
    let out = council(&dir, &["search", "бюджет", "--to", "31.12.2024"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("YYYY-MM-DD"),
        "{}",
        text(&out.stderr)
    );
    let out = council(
        &dir,
        &["search", "x", "--from", "2024-05-01", "--to", "2024-04-01"],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--from is after --to"));
}

#[test]
fn the_search_service_indexes_in_the_background_and_follows_the_engine() {
    let mut f = fixture();
    f.draft(0, "Про бюджет", "Текст.", 1);
    let dir = f.index_dir();
    let key = f.deputy(1);
    let engine = Engine::local(f.node);
    let service = SearchService::start(&dir, &engine).expect("service");
    assert!(service.wait_idle(Duration::from_secs(20)));
    assert_eq!(service.status(), ServiceStatus::Ready { docs: 1 });
    assert_eq!(
        service
            .search(&Query::text("бюджет"))
            .expect("search")
            .len(),
        1
    );
    // Nothing new: refreshing schedules nothing.
    service.refresh(&engine);
    assert!(service.wait_idle(Duration::ZERO));
    // A draft arrives.
    engine.backend().with_node(|n| {
        let op = n
            .replica_mut()
            .log_mut()
            .create(
                &key,
                OpBody::CreateDocument {
                    spec: DocSpec::Draft { co_authors: vec![] },
                },
                JAN_2024,
            )
            .expect("op");
        let id = op.id();
        let (log, doc) = n.replica_mut().document_mut(&id).expect("doc");
        doc.edit(log, &device(3, 1), 1, |e| {
            e.set_text(TextField::Title, "Бюджет села")
        })
        .expect("edit");
    });
    service.refresh(&engine);
    assert!(service.wait_idle(Duration::from_secs(20)));
    assert_eq!(
        service
            .search(&Query::text("бюджет"))
            .expect("search")
            .len(),
        2
    );
    assert_eq!(service.status(), ServiceStatus::Ready { docs: 2 });
}

#[test]
fn a_session_s_minutes_are_found_and_follow_the_session() {
    use crdt_model::hash::Hash;
    use crdt_model::session::{AgendaItem, Body, Statement, StatementKind};
    let mut f = fixture();
    let d = f.draft(0, "Про бюджет громади", "Текст.", 1);
    let chair = f.c.chair.clone();
    let log = f.replica().log();
    let open = Statement {
        council: log.council_id(),
        session: Hash::default(),
        author: chair.member_id(),
        parents: vec![],
        time_ms: JAN_2024 + 30 * DAY,
        kind: StatementKind::OpenSession {
            body: Body::Council,
            log_heads: log.heads(),
            label: "Сесія 7".into(),
            items: vec![AgendaItem {
                title: "Про бюджет громади на 2025 рік".into(),
                doc: Some(d),
            }],
        },
    }
    .sign(&chair);
    let session = open.id();
    f.node.receive(Item::Statement(open)).expect("opened");
    let index = f.index();
    let q = Query {
        kind: Some(Kind::Minutes),
        ..Query::text("сесія 7 бюджет")
    };
    let hits = index.search(&q).expect("search");
    assert_eq!(ids(&hits), [session]);
    assert!(hits[0].title.contains("Сесія 7"), "{}", hits[0].title);
    assert_eq!(hits[0].author, Some(chair.member_id()));
    assert_eq!(search::format_day(hits[0].date_ms), "2024-01-31");
    // Someone registers: the minutes change and are indexed again, alone.
    let member = f.c.deputies[0].member_id();
    let st = f
        .node
        .replica_mut()
        .session_mut(&session)
        .expect("session")
        .create(&f.c.deputies[0], StatementKind::Present { member }, 2)
        .expect("present");
    f.node.persist(&[Item::Statement(st)]).expect("persist");
    assert_eq!(
        index
            .update(f.replica(), &mut |_| {})
            .expect("update")
            .indexed,
        1
    );
    let present = Query {
        kind: Some(Kind::Minutes),
        ..Query::text("Депутат 1")
    };
    assert_eq!(ids(&index.search(&present).expect("search")), [session]);
}
