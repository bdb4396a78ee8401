//! Minutes generated from a session's signed record: what they state, that the same record
//! always gives the same bytes (also after the store is reopened from disk, and against the
//! checked-in `app/tests/data/minutes.md`), the PDF, approval by the chair and the secretary,
//! and the `council minutes` command.
//!
//! Run with `UPDATE_VECTORS=1` to rewrite the golden file after a deliberate change.
#![allow(clippy::expect_used)] // Tests state what they expect.

use crate::{council, text};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use council_app::minutes::{self, Lang, Subject};
use council_sync::Node;
use crdt_model::document::{ChangeHash, TextField};
use crdt_model::hash::Hash;
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::{Item, Replica};
use crdt_model::sample::{self, SampleCouncil};
use crdt_model::session::{
    AgendaItem, Body, Choice, FloorKind, PollId, SessionId, Statement, StatementKind,
};
use crdt_model::{DocId, SecretKey};

/// The session clock: 2025-10-09 08:53:20 UTC.
const T0: u64 = 1_760_000_000_000;

const BUDGET_TEXT: &str = "1. Затвердити бюджет громади на 2026 рік за доходами у сумі \
                           412 500 000 гривень.\n2. Затвердити видатки на освіту у сумі \
                           120 000 000 гривень.\n3. Контроль покласти на постійну комісію з \
                           питань бюджету.";

/// A council's replica built as its peers would, with fixed keys and times.
struct Sample {
    council: SampleCouncil,
    replica: Replica,
    session: SessionId,
    budget: DocId,
    school: DocId,
    amendment: DocId,
    t: u64,
}

impl Sample {
    fn dep(&self, n: usize) -> SecretKey {
        self.council.deputies[n - 1].clone()
    }

    fn chair(&self) -> SecretKey {
        self.council.chair.clone()
    }

    /// Signs an edit of a document as person `n` (device 1).
    fn edit(&mut self, doc: DocId, n: u32, fields: &[(TextField, &str)]) {
        let t = self.t as i64;
        let (log, d) = self.replica.document_mut(&doc).expect("document");
        d.edit(log, &sample::device(n, 1), t, |e| {
            for (f, text) in fields {
                e.set_text(*f, text)?;
            }
            Ok(())
        })
        .expect("edit allowed");
    }

    fn heads(&self, doc: DocId) -> Vec<Hash> {
        self.replica.documents()[&doc]
            .heads()
            .into_iter()
            .map(|h| Hash(h.0))
            .collect()
    }

    fn say(&mut self, key: &SecretKey, kind: StatementKind) -> Hash {
        self.t += 1000;
        self.replica
            .session_mut(&self.session)
            .expect("session")
            .create(key, kind, self.t)
            .expect("statement accepted")
            .id()
    }

    /// Lets `secs` seconds pass on the session clock.
    fn wait(&mut self, secs: u64) {
        self.t += secs * 1000;
    }

    fn present(&mut self, by: &SecretKey, who: &SecretKey) {
        self.say(
            by,
            StatementKind::Present {
                member: who.member_id(),
            },
        );
    }

    /// `who` asks for the floor, the chair gives it, `secs` pass; the chair ends the speech
    /// unless `keep`.
    fn speech(&mut self, who: &SecretKey, item: u32, kind: FloorKind, secs: u64, keep: bool) {
        let request = self.say(who, StatementKind::RequestFloor { item, kind });
        let chair = self.chair();
        self.say(&chair, StatementKind::GrantFloor { request });
        self.wait(secs);
        if !keep {
            self.say(&chair, StatementKind::EndFloor { request });
        }
    }

    fn poll(&mut self, item: u32, doc: DocId, title: &str) -> PollId {
        let version = self.heads(doc);
        let open = self
            .replica
            .session(&self.session)
            .expect("session")
            .poll_open(item, doc, version, title, None);
        let chair = self.chair();
        self.say(&chair, StatementKind::OpenPoll(open))
    }

    fn vote(&mut self, key: &SecretKey, poll: PollId, seq: u32, choice: Choice) {
        let b = self
            .replica
            .ballot(key, &poll, seq, choice)
            .expect("the poll is held");
        self.replica
            .session_mut(&self.session)
            .expect("session")
            .insert_ballot(b)
            .expect("ballot accepted");
    }

    fn close(&mut self, poll: PollId) {
        let close = self
            .replica
            .session(&self.session)
            .and_then(|s| s.poll_close(&poll))
            .expect("poll known");
        let chair = self.chair();
        self.say(&chair, StatementKind::ClosePoll(close));
    }

    fn approve(&mut self, key: &SecretKey, minutes: Hash) {
        self.replica
            .log_mut()
            .create(
                key,
                OpBody::ApproveMinutes {
                    session: self.session,
                    minutes,
                },
                self.t,
            )
            .expect("approval allowed");
    }
}

fn create(replica: &mut Replica, by: &SecretKey, spec: DocSpec) -> DocId {
    replica
        .log_mut()
        .create(by, OpBody::CreateDocument { spec }, T0)
        .expect("document created")
        .id()
}

/// Seven seats: the chair and six deputies. Present: the chair and deputies 1–5 (deputy 5
/// registered by the chair), deputy 6 absent; deputy 5 recused on the budget. Item 1: three
/// speeches, an amendment rejected, the budget adopted 5 to 0 with one abstention (deputy 2
/// changed their vote). Item 2: a speech cut short when the item is postponed. Item 3 removed.
/// Deputy 4 leaves before the close.
fn sample() -> Sample {
    let (council, _) = SampleCouncil::new(7, 6).expect("sample council");
    let mut replica = Replica::new(council.genesis.clone());
    for op in &council.ops {
        replica.receive(Item::Op(op.clone())).expect("op");
    }
    let budget = create(
        &mut replica,
        &council.deputies[0],
        DocSpec::Draft { co_authors: vec![] },
    );
    let school = create(
        &mut replica,
        &council.chair,
        DocSpec::Draft { co_authors: vec![] },
    );
    let mut s = Sample {
        council,
        replica,
        session: Hash::default(),
        budget,
        school,
        amendment: Hash::default(),
        t: T0,
    };
    // Deputy 1 is person 2.
    s.edit(
        budget,
        2,
        &[
            (TextField::Title, "Про бюджет громади на 2026 рік"),
            (TextField::Body, BUDGET_TEXT),
        ],
    );
    s.edit(
        school,
        1,
        &[
            (TextField::Title, "Про ремонт школи № 3"),
            (
                TextField::Body,
                "Виділити 2 400 000 гривень на ремонт покрівлі школи № 3.",
            ),
        ],
    );
    let by = s.dep(2);
    s.amendment = create(
        &mut s.replica,
        &by,
        DocSpec::Amendment {
            draft: budget,
            from_line: 2,
            to_line: 2,
        },
    );
    s.edit(
        s.amendment,
        3,
        &[
            (
                TextField::Body,
                "2. Затвердити видатки на освіту у сумі 150 000 000 гривень.",
            ),
            (TextField::Rationale, "Ремонт шкіл потребує більше коштів."),
        ],
    );
    let open = Statement {
        council: s.replica.log().council_id(),
        session: Hash::default(),
        author: s.council.chair.member_id(),
        parents: vec![],
        time_ms: T0,
        kind: StatementKind::OpenSession {
            body: Body::Council,
            log_heads: s.replica.log().heads(),
            label: "Сесія 12".into(),
            items: vec![
                AgendaItem {
                    title: "Про бюджет громади на 2026 рік".into(),
                    doc: Some(budget),
                },
                AgendaItem {
                    title: "Про ремонт школи № 3".into(),
                    doc: Some(school),
                },
                AgendaItem {
                    title: "Різне".into(),
                    doc: None,
                },
            ],
        },
    }
    .sign(&s.council.chair);
    s.session = open.id();
    s.replica.receive(Item::Statement(open)).expect("opened");

    let chair = s.chair();
    s.present(&chair, &chair);
    for n in 1..=4 {
        let d = s.dep(n);
        s.present(&d, &d);
    }
    let d5 = s.dep(5);
    s.present(&chair, &d5);
    s.say(
        &d5,
        StatementKind::DeclareConflict {
            item: 0,
            reason: "Родич працює у фінансовому управлінні".into(),
        },
    );

    s.say(&chair, StatementKind::StartItem { item: 0 });
    let (d1, d2, d3) = (s.dep(1), s.dep(2), s.dep(3));
    s.speech(&d1, 0, FloorKind::Speech, 95, false);
    s.speech(&d2, 0, FloorKind::Contra, 60, false);
    s.speech(&d3, 0, FloorKind::Reply, 30, false);
    let amendment = s.amendment;
    let on_amendment = s.poll(0, amendment, "Поправка депутата 2 до пункту 2");
    s.vote(&chair, on_amendment, 0, Choice::Against);
    for (n, choice) in [(1, Choice::Against), (2, Choice::For), (3, Choice::Abstain)] {
        let d = s.dep(n);
        s.vote(&d, on_amendment, 0, choice);
    }
    s.close(on_amendment);
    let on_budget = s.poll(0, budget, "Затвердити бюджет громади на 2026 рік");
    for (n, seq, choice) in [
        (1, 0, Choice::For),
        (2, 0, Choice::Against),
        (2, 1, Choice::For),
        (3, 0, Choice::Abstain),
        (4, 0, Choice::For),
    ] {
        let d = s.dep(n);
        s.vote(&d, on_budget, seq, choice);
    }
    s.vote(&chair, on_budget, 0, Choice::For);
    s.close(on_budget);
    s.say(&chair, StatementKind::EndItem { item: 0 });

    s.say(&chair, StatementKind::StartItem { item: 1 });
    s.speech(&d1, 1, FloorKind::Pro, 125, true);
    s.say(&chair, StatementKind::PostponeItem { item: 1 });
    s.say(
        &chair,
        StatementKind::RemoveItem {
            item: 2,
            reason: "Питань не надійшло".into(),
        },
    );
    let d4 = s.dep(4);
    s.say(
        &d4,
        StatementKind::Left {
            member: d4.member_id(),
        },
    );
    s.say(&chair, StatementKind::CloseSession);
    s
}

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn the_minutes_state_attendance_quorum_speeches_and_each_poll_with_its_named_table() {
    let s = sample();
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    let names: Vec<&str> = m
        .attendance
        .iter()
        .map(|a| a.person.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Голова",
            "Депутат 1",
            "Депутат 2",
            "Депутат 3",
            "Депутат 4",
            "Депутат 5"
        ]
    );
    assert!(
        m.attendance
            .iter()
            .any(|a| a.person.name == "Депутат 5" && a.by_chair)
    );
    assert!(
        m.attendance
            .iter()
            .any(|a| a.person.name == "Депутат 4" && a.left_ms.is_some())
    );
    let absent: Vec<&str> = m.absent.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(absent, ["Депутат 6"]);
    assert_eq!(m.recusals.len(), 1);
    assert_eq!(m.recusals[0].person.name, "Депутат 5");
    let q = m.quorum_at_opening.expect("an item was started");
    assert_eq!((q.present, q.needed), (6, 4));

    let item = &m.items[0];
    let speeches: Vec<(u32, &str, FloorKind, Option<u64>)> = item
        .speeches
        .iter()
        .map(|s| (s.order, s.person.name.as_str(), s.kind, s.used_ms))
        .collect();
    assert_eq!(
        speeches,
        [
            (1, "Депутат 1", FloorKind::Speech, Some(96_000)),
            (2, "Депутат 2", FloorKind::Contra, Some(61_000)),
            (3, "Депутат 3", FloorKind::Reply, Some(31_000)),
        ]
    );
    // Each speech ends with the statement that ends it, a second after the last words; the
    // speech cut short by the postponement ends with it.
    assert_eq!(m.items[1].speeches[0].used_ms, Some(126_000));
    assert_eq!(m.items.len(), 3);
    assert_eq!(m.items[1].doc, Some(s.school));

    let [amendment, budget] = &item.polls[..] else {
        panic!("two polls on the first item");
    };
    assert!(matches!(
        &amendment.subject,
        Subject::Amendment { text: Some(t), .. } if t.contains("150 000 000")
    ));
    assert_eq!(
        (
            budget.counts.for_,
            budget.counts.against,
            budget.counts.abstain
        ),
        (4, 0, 1)
    );
    assert!(budget.verified && amendment.verified);
    assert_eq!(
        budget.uncounted, 1,
        "deputy 2's first ballot was superseded"
    );

    let md = minutes::markdown(&m, Lang::Uk);
    for expected in [
        "# Протокол — Сесія 12",
        "| Депутат 5 | депутат | 08:53:26 (зареєстровано головуючим) | — |",
        "- Депутат 6 (депутат)",
        "| Депутат 5 | 1. Про бюджет громади на 2026 рік | Родич працює у фінансовому управлінні |",
        "| 1 | Депутат 1 | виступ | ",
        "| 1:36 / 5:00 |",
        "| 2 | Депутат 2 | виступ «проти» |",
        "**Результат:** за 4, проти 0, утрималися 1 — **ПРИЙНЯТО**",
        "**Результат:** за 1, проти 2, утрималися 1 — **НЕ ПРИЙНЯТО**",
        "| 1 | Голова | за |",
        "| 6 | Депутат 5 | конфлікт інтересів |",
        "| 7 | Депутат 6 | відсутній |",
        "перенесено",
        "знято з розгляду (Питань не надійшло)",
        "> 2\\. Затвердити видатки на освіту у сумі 150 000 000 гривень.",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in:\n{md}");
    }
}

#[test]
fn the_adopted_decision_is_the_text_of_the_version_voted_on_not_the_text_now() {
    let mut s = sample();
    let budget = s.budget;
    s.edit(
        budget,
        2,
        &[(TextField::Body, "Текст, змінений після голосування.")],
    );
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    assert_eq!(m.decisions.len(), 1, "only the budget was adopted");
    let d = &m.decisions[0];
    assert_eq!(d.title, "Про бюджет громади на 2026 рік");
    assert_eq!(d.text.as_deref(), Some(BUDGET_TEXT));
    let now = s.replica.documents()[&budget]
        .text(TextField::Body)
        .expect("text");
    assert_ne!(now, BUDGET_TEXT);
    let heads: Vec<ChangeHash> = d.version.iter().map(|h| ChangeHash(h.0)).collect();
    assert_eq!(
        s.replica.documents()[&budget]
            .text_at(TextField::Body, &heads)
            .expect("voted version"),
        BUDGET_TEXT
    );
    let md = minutes::markdown(&m, Lang::En);
    assert!(md.contains("## Decisions adopted"), "{md}");
    assert!(md.contains("> 3\\. Контроль покласти на постійну комісію з питань бюджету."));
    assert!(!md.contains("змінений після голосування"));
}

#[test]
fn minutes_regenerated_from_the_store_reopened_from_disk_are_byte_identical() {
    let s = sample();
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    let (md, html) = (minutes::markdown(&m, Lang::Uk), minutes::html(&m, Lang::Uk));
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("council.redb");
    {
        let mut node = Node::create(&path, s.replica.log().genesis().clone()).expect("store");
        for item in s.replica.items() {
            node.receive(item).expect("item stored");
        }
    }
    let node = Node::open(&path).expect("reopened");
    let again = minutes::minutes(node.replica(), &s.session).expect("minutes again");
    assert_eq!(minutes::markdown(&again, Lang::Uk), md);
    assert_eq!(minutes::html(&again, Lang::Uk), html);
    assert_eq!(again.hash(), m.hash());

    let golden = data_path("minutes.md");
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&golden, &md).expect("write golden");
    }
    let stored = std::fs::read_to_string(&golden).expect("app/tests/data/minutes.md");
    assert!(
        stored == md,
        "the minutes differ from {}; if the change is deliberate, run with UPDATE_VECTORS=1",
        golden.display()
    );
}

#[test]
fn the_html_page_is_self_contained_escaped_and_in_the_minutes_language() {
    let s = sample();
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    let html = minutes::html(&m, Lang::Bg);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"bg\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<h2>Регистрация</h2>"));
    assert!(html.contains(&m.hash().to_hex()));
    assert!(!html.contains("<script") && !html.contains("http"));
    assert!(html.contains("<td>Депутат 6</td><td>отсъства</td>"));
}

/// Decompressed streams of a PDF (what follows `stream\n` up to `endstream`).
fn streams(pdf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(start) = find(rest, b"stream\n") {
        let body = &rest[start + 7..];
        let Some(end) = find(body, b"endstream") else {
            break;
        };
        let mut inflated = Vec::new();
        if flate2::read::ZlibDecoder::new(&body[..end])
            .read_to_end(&mut inflated)
            .is_ok()
        {
            out.push(inflated);
        }
        rest = &body[end + 9..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The text a PDF shows, read back through its ToUnicode maps: per font resource (`F1`,
/// `F2`, in the order their maps appear), glyph → text, then every `Tj` string decoded.
fn pdf_text(pdf: &[u8]) -> String {
    let all = streams(pdf);
    let maps: Vec<BTreeMap<u16, String>> = all
        .iter()
        .filter(|s| find(s, b"beginbfchar").is_some())
        .map(|s| {
            let text = String::from_utf8_lossy(s);
            let mut map = BTreeMap::new();
            for line in text.lines() {
                let parts: Vec<&str> = line
                    .split(['<', '>'])
                    .filter(|p| !p.trim().is_empty())
                    .collect();
                if let [g, u] = parts[..]
                    && g.len() == 4
                    && let Ok(g) = u16::from_str_radix(g, 16)
                {
                    let units: Vec<u16> = (0..u.len() / 4)
                        .filter_map(|i| u16::from_str_radix(&u[i * 4..i * 4 + 4], 16).ok())
                        .collect();
                    map.insert(g, String::from_utf16_lossy(&units));
                }
            }
            map
        })
        .collect();
    let mut out = String::new();
    for s in all.iter().filter(|s| find(s, b" Tj").is_some()) {
        let mut font = 0usize;
        let mut i = 0;
        while i < s.len() {
            if s[i..].starts_with(b"/F2 ") {
                font = 1;
            } else if s[i..].starts_with(b"/F1 ") {
                font = 0;
            }
            let bytes = match s[i] {
                b'(' => {
                    let (bytes, next) = literal(s, i + 1);
                    i = next;
                    bytes
                }
                b'<' => {
                    let end = i + s[i..].iter().position(|b| *b == b'>').unwrap_or(0);
                    let hex = String::from_utf8_lossy(&s[i + 1..end]).to_string();
                    i = end + 1;
                    (0..hex.len() / 2)
                        .filter_map(|k| u8::from_str_radix(&hex[k * 2..k * 2 + 2], 16).ok())
                        .collect()
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            for pair in bytes.chunks(2) {
                if let [hi, lo] = pair
                    && let Some(t) = maps
                        .get(font)
                        .and_then(|m| m.get(&u16::from_be_bytes([*hi, *lo])))
                {
                    out.push_str(t);
                }
            }
            out.push('\n');
        }
    }
    out
}

/// A PDF literal string starting after its `(`: its bytes and the index after its `)`.
fn literal(s: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0;
    while i < s.len() {
        match s[i] {
            b'\\' => {
                i += 1;
                match s.get(i) {
                    Some(b'n') => out.push(b'\n'),
                    Some(b'r') => out.push(b'\r'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'b') => out.push(8),
                    Some(b'f') => out.push(12),
                    Some(d) if d.is_ascii_digit() => {
                        let mut v = 0u32;
                        let mut k = 0;
                        while k < 3 && s.get(i + k).is_some_and(|c| (b'0'..=b'7').contains(c)) {
                            v = v * 8 + u32::from(s[i + k] - b'0');
                            k += 1;
                        }
                        out.push(v as u8);
                        i += k - 1;
                    }
                    Some(c) => out.push(*c),
                    None => {}
                }
            }
            b'(' => {
                depth += 1;
                out.push(b'(');
            }
            b')' if depth == 0 => return (out, i + 1),
            b')' => {
                depth -= 1;
                out.push(b')');
            }
            b => out.push(b),
        }
        i += 1;
    }
    (out, i)
}

#[test]
fn the_pdf_is_paginated_embeds_its_font_and_carries_the_cyrillic_text() {
    let s = sample();
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    let pdf = minutes::pdf(&m, Lang::Uk).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page\n").count()
        + text.matches("/Type /Page\r").count()
        + text.matches("/Type /Page ").count()
        + text.matches("/Type /Page/").count()
        + text.matches("/Type /Page>").count();
    assert!(
        pages >= 2,
        "a long session takes several pages, got {pages}"
    );
    assert!(text.contains("/FontFile2"), "the font is embedded");
    assert!(text.contains("+DejaVuSans"), "as a subset");
    assert!(!text.contains("/CreationDate"), "no clock in the file");
    let shown = pdf_text(&pdf);
    for expected in [
        "Протокол — Сесія 12",
        "Тестова міська рада",
        "Затвердити бюджет громади на 2026 рік",
        "Депутат 6",
        "відсутній",
        &format!("Сторінка 1 з {pages}"),
        &format!("Сторінка {pages} з {pages}"),
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    assert_eq!(minutes::pdf(&m, Lang::Uk).expect("pdf again"), pdf);
    let bg = pdf_text(&minutes::pdf(&m, Lang::Bg).expect("bg pdf"));
    assert!(bg.contains("Поименно гласуване"), "{bg}");
}

#[test]
fn approval_by_the_chair_and_the_secretary_makes_the_minutes_approved() {
    let mut s = sample();
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    let hash = m.hash();
    let check = minutes::verify_minutes(&s.replica, &s.session).expect("check");
    assert!(!check.approved && !check.matches_record && check.approvals.is_empty());

    let chair = s.chair();
    s.approve(&chair, hash);
    let check = minutes::verify_minutes(&s.replica, &s.session).expect("check");
    assert!(check.matches_record);
    assert!(!check.approved, "the secretary has not approved yet");

    let secretary = s.council.secretary.clone();
    s.approve(&secretary, hash);
    let check = minutes::verify_minutes(&s.replica, &s.session).expect("check");
    assert!(check.approved && check.matches_record);
    let by: Vec<(&str, &str)> = check
        .approved_by
        .iter()
        .map(|(n, r)| (n.as_str(), r.name()))
        .collect();
    assert_eq!(by, [("Голова", "chair"), ("Секретар", "secretary")]);
    assert!(check.approvals.iter().all(|a| a.current));
    // Approvals are log operations: the minutes of the session do not change with them.
    assert_eq!(
        minutes::minutes(&s.replica, &s.session)
            .expect("minutes")
            .hash(),
        hash
    );
}

#[test]
fn a_changed_record_no_longer_matches_the_approved_minutes() {
    let mut s = sample();
    let hash = minutes::minutes(&s.replica, &s.session)
        .expect("minutes")
        .hash();
    let (chair, secretary) = (s.chair(), s.council.secretary.clone());
    s.approve(&chair, hash);
    s.approve(&secretary, hash);
    assert!(
        minutes::verify_minutes(&s.replica, &s.session)
            .expect("check")
            .approved
    );
    // A statement signed after the close is kept (without effect) and changes the record.
    let d6 = s.dep(6);
    s.present(&d6, &d6);
    let check = minutes::verify_minutes(&s.replica, &s.session).expect("check");
    assert!(!check.matches_record && !check.approved);
    assert!(!check.matches(&hash));
    assert!(check.approvals.iter().all(|a| !a.current));
    assert!(check.approved_by.is_empty());
}

#[test]
fn minutes_of_an_unknown_session_are_refused_with_the_session_named() {
    let s = sample();
    let unknown = Hash([7; 32]);
    let err = minutes::minutes(&s.replica, &unknown).expect_err("unknown");
    assert_eq!(err, minutes::MinutesError::UnknownSession(unknown));
}

/// A profile whose device is the chair's, holding `replica`'s council and items.
fn chairs_profile(replica: &Replica) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let mut node = Node::create_for(
        &dir.path().join("council.redb"),
        replica.log().genesis().clone(),
        sample::key(1),
    )
    .expect("store");
    for item in replica.items() {
        node.receive(item).expect("item stored");
    }
    dir
}

#[test]
fn the_cli_writes_each_format_approves_checks_and_names_an_unknown_session() {
    let s = sample();
    let dir = chairs_profile(&s.replica);
    let d = dir.path();
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    for (name, format) in [("m.md", None), ("m.html", None), ("m.pdf", Some("pdf"))] {
        let path = d.join(name);
        let path_s = path.to_str().expect("utf-8");
        let mut args = vec!["minutes", "Сесія 12", "--out", path_s];
        if let Some(f) = format {
            args.extend(["--format", f]);
        }
        let out = council(d, &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains(&m.hash().to_hex()));
        let bytes = std::fs::read(&path).expect("written");
        match name {
            "m.md" => assert_eq!(text(&bytes), minutes::markdown(&m, Lang::Uk)),
            "m.html" => assert_eq!(text(&bytes), minutes::html(&m, Lang::Uk)),
            _ => assert_eq!(bytes, minutes::pdf(&m, Lang::Uk).expect("pdf")),
        }
    }
    // By a start of the session id, in English, to standard output.
    let prefix = &s.session.to_hex()[..8];
    let out = council(d, &["minutes", prefix, "--lang", "en"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), minutes::markdown(&m, Lang::En));

    let out = council(d, &["minutes", "Сесія 99", "--out", "x.md"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no session \"Сесія 99\""), "{err}");
    assert!(
        err.contains(&s.session.to_hex()) && err.contains("Сесія 12"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");

    let out = council(d, &["minutes", "check", "Сесія 12"]);
    assert_eq!(out.status.code(), Some(1), "not approved yet");
    assert!(text(&out.stdout).contains("approvals: none yet"));

    let out = council(d, &["minutes", "approve", "Сесія 12"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("Голова (chair) signed"), "{shown}");
    assert!(
        shown.contains("approved by a chair and the secretary: no"),
        "{shown}"
    );

    let out = council(d, &["verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("minutes of \"Сесія 12\"") && report.contains("Голова (chair)"),
        "{report}"
    );
}

/// A second sitting, "Сесія 13", on the school draft alone: the chair and deputies 1–4
/// register, and the chair starts the item.
fn second_sitting(s: &mut Sample) {
    let open = Statement {
        council: s.replica.log().council_id(),
        session: Hash::default(),
        author: s.council.chair.member_id(),
        parents: vec![],
        time_ms: T0 + 10_000_000,
        kind: StatementKind::OpenSession {
            body: Body::Council,
            log_heads: s.replica.log().heads(),
            label: "Сесія 13".into(),
            items: vec![AgendaItem {
                title: "Про ремонт школи № 3".into(),
                doc: Some(s.school),
            }],
        },
    }
    .sign(&s.council.chair);
    s.session = open.id();
    s.t = T0 + 10_000_000;
    s.replica.receive(Item::Statement(open)).expect("opened");
    let chair = s.chair();
    s.present(&chair, &chair);
    for n in 1..=4 {
        let d = s.dep(n);
        s.present(&d, &d);
    }
    s.say(&chair, StatementKind::StartItem { item: 0 });
}

#[test]
fn a_decision_the_tally_does_not_support_is_not_listed_as_adopted() {
    // A second sitting: the chair closes the vote on the school draft as "adopted", stating
    // counts the ballots do not give (three against, stated as four for). The close follows
    // its own counts, so the session applies it; the tally does not verify, so the minutes
    // list no decision.
    let mut s = sample();
    second_sitting(&mut s);
    let chair = s.chair();
    let school = s.school;
    let poll = s.poll(0, school, "Виділити кошти на ремонт школи № 3");
    for n in 1..=3 {
        let d = s.dep(n);
        s.vote(&d, poll, 0, Choice::Against);
    }
    let mut close = s
        .replica
        .session(&s.session)
        .and_then(|x| x.poll_close(&poll))
        .expect("poll known");
    assert_eq!(close.outcome, crdt_model::session::Outcome::NotAdopted);
    close.counts.for_ = 4;
    close.counts.against = 0;
    close.outcome = crdt_model::session::Outcome::Adopted;
    s.say(&chair, StatementKind::ClosePoll(close));
    let state = s.replica.session(&s.session).expect("session").state();
    assert!(
        state
            .polls
            .iter()
            .any(|p| p.id == poll && p.close.is_some()),
        "the session applied the close"
    );
    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    assert!(
        m.decisions.is_empty(),
        "listed as adopted although the tally fails: {:?}",
        m.decisions.iter().map(|d| &d.title).collect::<Vec<_>>()
    );
}

#[test]
fn a_ballot_the_close_left_out_is_named_in_the_minutes_the_screen_and_the_site() {
    // A second sitting: deputies 1–3 vote for, deputy 4 against; the chair's close leaves
    // out deputy 3's ballot, which had not seen the close, and declares 2 for, 1 against.
    let mut s = sample();
    second_sitting(&mut s);
    let chair = s.chair();
    let school = s.school;
    let poll = s.poll(0, school, "Виділити кошти на ремонт школи № 3");
    for (n, choice) in [
        (1, Choice::For),
        (2, Choice::For),
        (3, Choice::For),
        (4, Choice::Against),
    ] {
        let d = s.dep(n);
        s.vote(&d, poll, 0, choice);
    }
    let d3 = s.dep(3).member_id();
    let session = s.replica.session(&s.session).expect("session");
    let left_out = session
        .ballots(&poll)
        .find(|b| b.ballot().voter == d3)
        .map(|b| b.id())
        .expect("deputy 3 voted");
    let mut close = session.poll_close(&poll).expect("poll known");
    close.counted.retain(|id| *id != left_out);
    close.counts.for_ -= 1;
    s.say(&chair, StatementKind::ClosePoll(close));

    let m = minutes::minutes(&s.replica, &s.session).expect("minutes");
    let md = minutes::markdown(&m, Lang::Uk);
    assert!(
        md.contains("бюлетені, подані до закриття й пропущені ним: Депутат 3"),
        "{md}"
    );
    let p = m
        .items
        .iter()
        .flat_map(|i| &i.polls)
        .find(|p| p.id == poll)
        .expect("the poll is in the minutes");
    assert!(!p.verified);
    assert_eq!(
        p.omitted
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["Депутат 3"]
    );

    let view = council_app::views::session(&s.replica, &s.session, &d3, s.t).expect("session view");
    let result = view
        .polls
        .iter()
        .find(|p| p.id == poll)
        .and_then(|p| p.result.as_ref())
        .expect("closed poll");
    assert!(!result.verified);
    assert_eq!(result.omitted, ["Депутат 3"]);

    let site = tempfile::tempdir().expect("dir");
    council_app::publish::publish(&s.replica, site.path(), Lang::Uk, &mut |_| {})
        .expect("published");
    let pages: String = walk(site.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    assert!(
        pages.contains("Бюлетені, подані до закриття голосування й не враховані: Депутат 3"),
        "the site names the omitted ballot's voter"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn the_screen_shows_the_choice_the_tally_counts_so_an_equivocation_shows_as_no_vote() {
    // Deputy 3 signs two ballots with one seq and two choices: the tally counts neither, and the
    // session screen must not show either as their vote (it once kept the last one it read).
    let mut s = sample();
    second_sitting(&mut s);
    let school = s.school;
    let poll = s.poll(0, school, "Виділити кошти на ремонт школи № 3");
    let (d2, d3) = (s.dep(2), s.dep(3));
    s.vote(&d2, poll, 0, Choice::For);
    s.vote(&d3, poll, 0, Choice::For);
    s.vote(&d3, poll, 0, Choice::Against);
    let view = council_app::views::session(&s.replica, &s.session, &d3.member_id(), s.t)
        .expect("session view");
    let p = view.polls.iter().find(|p| p.id == poll).expect("the poll");
    assert_eq!(p.my_choice, None);
    assert!(
        p.not_voted.iter().any(|n| n == "Депутат 3"),
        "{:?}",
        p.not_voted
    );
    assert!(p.voted.iter().any(|n| n == "Депутат 2"), "{:?}", p.voted);
    // Their next ballot supersedes both.
    let next = s
        .replica
        .session(&s.session)
        .expect("session")
        .vote(&d3, poll, Choice::Abstain)
        .expect("eligible");
    assert_eq!(next.ballot().seq, 1);
}
