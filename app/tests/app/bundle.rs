//! `council export` and `council verify`, run as a person would, over a sample council with
//! fixed keys and times; and the example bundle of `docs/example-bundle.json`.
//!
//! Run with `UPDATE_VECTORS=1` to rewrite the example after a deliberate format change.
#![allow(clippy::expect_used)] // Tests state what they expect.

use crate::{council, text};
use std::path::{Path, PathBuf};
use std::process::Output;

use council_app::bundle::{Bundle, Scope};
use council_sync::Node;
use crdt_model::document::TextField;
use crdt_model::hash::{Hash, hex, unhex};
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::{Item, Replica};
use crdt_model::sample::{self, SampleCouncil};
use crdt_model::session::{
    AgendaItem, Body, Choice, PollId, SessionId, SignedBallot, Statement, StatementKind,
};
use crdt_model::{DocId, SecretKey};
use serde_json::Value;

/// The session clock of the sample.
pub(crate) const T0: u64 = 1_760_000_000_000;

/// A sample council's replica, built statement by statement as its peers would.
pub(crate) struct Sample {
    pub(crate) council: SampleCouncil,
    pub(crate) replica: Replica,
    pub(crate) session: SessionId,
    pub(crate) doc: DocId,
    t: u64,
}

impl Sample {
    /// Seven seats: the chair and six deputies vote; a secretary and an observer do not.
    pub(crate) fn new() -> Sample {
        let (council, _) = SampleCouncil::new(7, 6).expect("sample council");
        let mut replica = Replica::new(council.genesis.clone());
        for op in &council.ops {
            replica.receive(Item::Op(op.clone())).expect("op");
        }
        // Each item's draft, written by the chair: the polls vote on exactly these texts.
        let mut draft = |title: &str, body: &str| {
            let op = replica
                .log_mut()
                .create(
                    &council.chair,
                    OpBody::CreateDocument {
                        spec: DocSpec::Draft { co_authors: vec![] },
                    },
                    T0,
                )
                .expect("draft");
            let id = op.id();
            replica
                .receive(Item::Op(op))
                .expect("the draft is in the log");
            let (log, d) = replica.document_mut(&id).expect("document");
            let (_, change) = d
                .edit(log, &sample::device(1, 1), T0 as i64, |e| {
                    e.set_text(TextField::Title, title)?;
                    e.set_text(TextField::Body, body)
                })
                .expect("the chair writes the draft");
            change.expect("a change");
            id
        };
        let budget = draft(
            "Про бюджет на 2026 рік",
            "1. Затвердити бюджет міста на 2026 рік.\n2. Контроль покласти на фінансове управління.",
        );
        let school = draft(
            "Про ремонт школи № 3",
            "1. Виділити 4,2 млн грн на ремонт школи № 3.",
        );
        let open = Statement {
            council: replica.log().council_id(),
            session: Hash::default(),
            author: council.chair.member_id(),
            parents: vec![],
            time_ms: T0,
            kind: StatementKind::OpenSession {
                body: Body::Council,
                log_heads: replica.log().heads(),
                label: "Сесія 12".into(),
                items: vec![
                    AgendaItem {
                        title: "Про бюджет на 2026 рік".into(),
                        doc: Some(budget),
                    },
                    AgendaItem {
                        title: "Про ремонт школи № 3".into(),
                        doc: Some(school),
                    },
                ],
            },
        }
        .sign(&council.chair);
        let session = open.id();
        replica.receive(Item::Statement(open)).expect("opened");
        Sample {
            council,
            replica,
            session,
            doc: budget,
            t: T0,
        }
    }

    pub(crate) fn chair(&self) -> SecretKey {
        self.council.chair.clone()
    }

    /// Deputy `n` (1-based).
    pub(crate) fn dep(&self, n: usize) -> SecretKey {
        self.council.deputies[n - 1].clone()
    }

    pub(crate) fn say(&mut self, key: &SecretKey, kind: StatementKind) -> Hash {
        self.t += 1000;
        self.replica
            .session_mut(&self.session)
            .expect("session")
            .create(key, kind, self.t)
            .expect("statement accepted")
            .id()
    }

    pub(crate) fn present(&mut self, key: &SecretKey) {
        let member = key.member_id();
        self.say(key, StatementKind::Present { member });
    }

    pub(crate) fn open_poll(&mut self, item: u32, title: &str) -> PollId {
        let chair = self.chair();
        self.say(&chair, StatementKind::StartItem { item });
        // The item's document, at its heads: the exact text voted on.
        let s = self.replica.session(&self.session).expect("session");
        let doc = s
            .state()
            .items
            .get(item as usize)
            .and_then(|i| i.item.doc)
            .expect("the item has a document");
        let open = s.poll_open(item, doc, self.heads(&doc), title, None);
        self.say(&chair, StatementKind::OpenPoll(open))
    }

    /// Creates a document of `spec` by `author` (sample person `n`) and writes `body` into it.
    pub(crate) fn write(&mut self, author: &SecretKey, n: u32, spec: DocSpec, body: &str) -> DocId {
        self.t += 1000;
        let op = self
            .replica
            .log_mut()
            .create(author, OpBody::CreateDocument { spec }, self.t)
            .expect("document");
        let id = op.id();
        self.replica.receive(Item::Op(op)).expect("in the log");
        let (log, d) = self.replica.document_mut(&id).expect("document");
        d.edit(log, &sample::device(n, 1), self.t as i64, |e| {
            e.set_text(TextField::Body, body)
        })
        .expect("the author writes it");
        id
    }

    /// The heads of `doc` as this replica holds it: a poll's version.
    pub(crate) fn heads(&self, doc: &DocId) -> Vec<Hash> {
        self.replica
            .documents()
            .get(doc)
            .map(|d| d.heads().into_iter().map(|h| Hash(h.0)).collect())
            .unwrap_or_default()
    }

    pub(crate) fn vote(&mut self, key: &SecretKey, poll: PollId, seq: u32, choice: Choice) {
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

    pub(crate) fn close_poll(&mut self, poll: PollId) {
        let close = self
            .replica
            .session(&self.session)
            .and_then(|s| s.poll_close(&poll))
            .expect("poll known");
        let chair = self.chair();
        self.say(&chair, StatementKind::ClosePoll(close));
    }
}

/// The sample session: the chair and deputies 1–5 present, deputy 5 recused on the budget,
/// deputy 6 absent. The budget is adopted 4 to 1, deputy 2 having changed their vote; the school
/// repair is not adopted (2 for, 1 against, 1 abstention).
pub(crate) fn sample() -> Replica {
    sample_sitting().replica
}

/// The sample session of [`sample`], still open to more statements.
pub(crate) fn sample_sitting() -> Sample {
    let mut s = Sample::new();
    let chair = s.chair();
    s.present(&chair);
    for n in 1..=5 {
        let d = s.dep(n);
        s.present(&d);
    }
    let d5 = s.dep(5);
    s.say(
        &d5,
        StatementKind::DeclareConflict {
            item: 0,
            reason: "Родич працює у фінансовому управлінні".into(),
        },
    );
    let budget = s.open_poll(0, "Затвердити бюджет на 2026 рік");
    s.vote(&chair, budget, 0, Choice::For);
    for (n, seq, choice) in [
        (1, 0, Choice::For),
        (2, 0, Choice::Against),
        (2, 1, Choice::For),
        (3, 0, Choice::Against),
        (4, 0, Choice::For),
    ] {
        let d = s.dep(n);
        s.vote(&d, budget, seq, choice);
    }
    s.close_poll(budget);
    s.say(&chair, StatementKind::EndItem { item: 0 });
    let school = s.open_poll(1, "Виділити кошти на ремонт школи № 3");
    s.vote(&chair, school, 0, Choice::For);
    for (n, choice) in [(1, Choice::Against), (2, Choice::Abstain), (3, Choice::For)] {
        let d = s.dep(n);
        s.vote(&d, school, 0, choice);
    }
    s.close_poll(school);
    s
}

/// A profile directory whose store holds `replica`'s council and items.
fn profile_with(replica: &Replica) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let mut node = Node::create(
        &dir.path().join("council.redb"),
        replica.log().genesis().clone(),
    )
    .expect("store");
    for item in replica.items() {
        node.receive(item).expect("item stored");
    }
    dir
}

/// Exports the profile in `dir` to `dir/bundle.json`.
fn export(dir: &Path) -> PathBuf {
    let path = dir.join("bundle.json");
    let out = council(dir, &["export", "--out", path.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    path
}

fn verify_bundle(dir: &Path, bundle: &Path) -> Output {
    council(
        dir,
        &["verify", "--bundle", bundle.to_str().expect("utf-8")],
    )
}

fn verify_bundle_json(dir: &Path, bundle: &Path) -> Output {
    council(
        dir,
        &[
            "verify",
            "--json",
            "--bundle",
            bundle.to_str().expect("utf-8"),
        ],
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).expect("json")).expect("write");
}

/// The counted ballot of the chair in the first poll, as listed there (hex).
fn chairs_ballot(bundle: &Value) -> (usize, String) {
    let chair = sample::key(1).member_id();
    bundle["polls"][0]["ballots"]
        .as_array()
        .expect("ballots")
        .iter()
        .enumerate()
        .find_map(|(i, b)| {
            let s = b.as_str()?;
            let ballot = SignedBallot::from_bytes(&unhex(s)?).ok()?;
            (ballot.ballot().voter == chair).then(|| (i, s.to_string()))
        })
        .expect("the chair voted")
}

#[test]
fn the_example_bundle_is_what_export_writes_for_the_sample_council() {
    let replica = sample();
    let dir = profile_with(&replica);
    let exported = std::fs::read_to_string(export(dir.path())).expect("read");
    assert_eq!(
        exported,
        Bundle::from_replica(&replica, Scope::Everything).to_text(),
        "a device's export is the same bytes as the bundle of the replica it holds"
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/example-bundle.json");
    if std::env::var_os("UPDATE_VECTORS").is_some() || !Path::new(path).exists() {
        std::fs::write(path, &exported).expect("write the example");
    }
    let committed = std::fs::read_to_string(path).expect("read the example");
    assert!(
        committed == exported,
        "docs/example-bundle.json is stale: run UPDATE_VECTORS=1 cargo test -p council-app --test app bundle::"
    );
}

#[test]
fn an_exported_bundle_verifies_with_every_check_passing() {
    let dir = profile_with(&sample());
    let bundle = export(dir.path());
    let out = verify_bundle(dir.path(), &bundle);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}\n{}", text(&out.stderr));
    assert!(report.contains("2 polls verified, 0 failed"), "{report}");
    assert!(report.contains("closed: 4 for, 1 against, 0 abstain; declared adopted"));
    assert!(report.contains("closed: 2 for, 1 against, 1 abstain; declared not-adopted"));
    assert!(report.contains("superseded"), "deputy 2 changed their vote");
    assert!(report.contains("recused       Депутат 5"), "{report}");
    assert!(report.contains("absent        Депутат 6"), "{report}");
    assert!(!report.contains("FAIL"), "{report}");
}

#[test]
fn a_device_verifies_every_poll_it_holds() {
    let dir = profile_with(&sample());
    let out = council(dir.path(), &["verify"]);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}\n{}", text(&out.stderr));
    assert!(report.contains("2 polls verified, 0 failed"), "{report}");
    assert!(report.contains("Затвердити бюджет на 2026 рік"), "{report}");
}

#[test]
fn a_flipped_ballot_byte_fails_with_the_check_that_catches_it() {
    let dir = profile_with(&sample());
    let path = export(dir.path());
    let mut bundle = read_json(&path);
    let (i, ballot) = chairs_ballot(&bundle);
    let id = SignedBallot::from_bytes(&unhex(&ballot).expect("hex"))
        .expect("ballot")
        .id();
    // Flip a bit of the signature, where the ballot is listed and among the items alike.
    let mut bytes = unhex(&ballot).expect("hex");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let forged = hex(&bytes);
    bundle["polls"][0]["ballots"][i] = Value::from(forged.clone());
    for item in bundle["items"].as_array_mut().expect("items") {
        if item.as_str() == Some(&format!("03{ballot}")) {
            *item = Value::from(format!("03{forged}"));
        }
    }
    write_json(&path, &bundle);
    let out = verify_bundle(dir.path(), &path);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&format!("FAIL  signatures: ballot:{}", id.to_hex())),
        "{report}"
    );
    assert!(report.contains("is refused: bad signature"), "{report}");
    assert!(report.contains("1 polls verified, 1 failed"), "{report}");
    assert!(text(&out.stderr).contains("failed verification"));
}

#[test]
fn a_tampered_context_fails_its_agreement_with_the_signed_log() {
    let dir = profile_with(&sample());
    let path = export(dir.path());
    let mut bundle = read_json(&path);
    let stranger = sample::key(4242).member_id().to_hex();
    bundle["polls"][1]["context"]["voters"]
        .as_array_mut()
        .expect("voters")
        .push(Value::from(stranger));
    write_json(&path, &bundle);
    let out = verify_bundle(dir.path(), &path);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("FAIL  context: voters"), "{report}");
    assert!(report.contains("1 polls verified, 1 failed"), "{report}");
}

#[test]
fn a_truncated_or_foreign_file_is_a_clear_error() {
    let dir = profile_with(&sample());
    let path = export(dir.path());
    let full = std::fs::read_to_string(&path).expect("read");
    let cases: Vec<(String, &str)> = vec![
        (full[..full.len() / 2].to_string(), "not JSON"),
        ("hello".to_string(), "not JSON"),
        (
            full.replace("council-bundle/1", "council-bundle/9"),
            "format is",
        ),
        (
            {
                let mut v: Value = serde_json::from_str(&full).expect("json");
                v["items"][3] = Value::from("00ff");
                v.to_string()
            },
            "item 3 is not a signed item",
        ),
    ];
    for (content, says) in cases {
        std::fs::write(&path, content).expect("write");
        let out = verify_bundle(dir.path(), &path);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("bundle.json"), "names the file: {err}");
        assert!(err.contains(says), "says {says:?}: {err}");
    }
    let out = verify_bundle(dir.path(), &dir.path().join("missing.json"));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read"));
}

#[test]
fn verify_on_a_profile_without_polls_says_so_and_succeeds() {
    let dir = tempfile::tempdir().expect("dir");
    let out = council(dir.path(), &["init", "--name", "Рада", "--seats", "5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = council(dir.path(), &["verify"]);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(report.contains("no polls to verify"), "{report}");
    assert!(report.contains("0 polls verified, 0 failed"), "{report}");
}

#[test]
fn verify_json_prints_each_report_in_the_shape_of_the_format() {
    let dir = profile_with(&sample());
    let path = export(dir.path());
    let out = council(
        dir.path(),
        &[
            "verify",
            "--json",
            "--bundle",
            path.to_str().expect("utf-8"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let reports = v["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 2);
    for key in [
        "poll",
        "closed",
        "verified",
        "checks",
        "counts",
        "outcome",
        "counted_hash",
        "table",
        "uncounted",
        "rejected",
        "evidence",
        "session",
        "title",
        "agreement",
    ] {
        assert!(reports[0].get(key).is_some(), "{key} in {}", reports[0]);
    }
    assert_eq!(reports[0]["checks"].as_array().map(Vec::len), Some(10));
    assert_eq!(reports[0]["outcome"], "adopted");
    assert_eq!(reports[1]["outcome"], "not-adopted");
    assert_eq!(v["verified"], 2);
    assert_eq!(v["failed"], 0);
}

#[test]
fn verify_names_what_a_removal_voided() {
    // The secretary removes the chair; the removed chair then signs, on the heads from before
    // the removal, the admission of a chair of their own. Both travel in the bundle.
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let mut replica = Replica::new(c.genesis.clone());
    for op in &c.ops {
        replica.receive(Item::Op(op.clone())).expect("op");
    }
    let before = log.heads();
    replica
        .log_mut()
        .create(
            &c.secretary,
            OpBody::RemoveMember {
                member: c.chair.member_id(),
            },
            T0,
        )
        .expect("removal");
    let backdated = crdt_model::log::LogOp {
        council: log.council_id(),
        author: c.chair.member_id(),
        parents: before,
        time_ms: T0 + 1,
        body: OpBody::AddMember {
            member: sample::key(70).member_id(),
            name: "Самопроголошений голова".into(),
            roles: crdt_model::Roles::of(&[crdt_model::Role::Chair, crdt_model::Role::Deputy]),
        },
    }
    .sign(&c.chair);
    replica
        .receive(Item::Op(backdated.clone()))
        .expect("accepted: the chair could do it at the heads it names");
    assert!(
        !replica
            .log()
            .state()
            .members
            .contains_key(&sample::key(70).member_id())
    );
    let dir = profile_with(&replica);
    let bundle = export(dir.path());
    let out = verify_bundle(dir.path(), &bundle);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "void: operation {} by Голова has no effect",
            backdated.id().short()
        )),
        "{stdout}"
    );
    let json = verify_bundle_json(dir.path(), &bundle);
    let v: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["voided"][0]["op"], backdated.id().to_hex());
}

#[test]
fn a_chair_signed_close_stating_counts_past_u32_is_a_failure_not_a_panic() {
    // The chair signs a close whose counts sum past u32 (each near u32::MAX) and puts it, re-
    // signed, in place of the real one, in the poll and among the items.
    let dir = profile_with(&sample());
    let path = export(dir.path());
    let mut bundle = read_json(&path);
    let close_hex = bundle["polls"][0]["close"]
        .as_str()
        .expect("a closed poll")
        .to_string();
    let close = crdt_model::session::SignedStatement::from_bytes(&unhex(&close_hex).expect("hex"))
        .expect("close");
    let mut st = close.statement().clone();
    let StatementKind::ClosePoll(c) = &mut st.kind else {
        panic!("a close");
    };
    c.counts.for_ = u32::MAX;
    c.counts.against = u32::MAX;
    c.counts.abstain = u32::MAX;
    c.outcome = crdt_model::session::Outcome::NotAdopted;
    let forged = hex(&st.sign(&sample::key(1)).to_bytes());
    bundle["polls"][0]["close"] = Value::from(forged.clone());
    for item in bundle["items"].as_array_mut().expect("items") {
        if item.as_str() == Some(&format!("02{close_hex}")) {
            *item = Value::from(format!("02{forged}"));
        }
    }
    write_json(&path, &bundle);
    for args in [vec![], vec!["--json"]] {
        let mut a = vec!["verify", "--bundle", path.to_str().expect("utf-8")];
        a.extend(args);
        let out = council(dir.path(), &a);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(out.status.code(), Some(1), "{}{stderr}", text(&out.stdout));
    }
}

#[test]
fn verify_names_a_session_a_removed_chair_opened_on_old_heads() {
    let (c, log) = SampleCouncil::new(7, 6).expect("sample council");
    let mut replica = Replica::new(c.genesis.clone());
    for op in &c.ops {
        replica.receive(Item::Op(op.clone())).expect("op");
    }
    let before = log.heads();
    replica
        .log_mut()
        .create(
            &c.secretary,
            OpBody::RemoveMember {
                member: c.chair.member_id(),
            },
            T0,
        )
        .expect("removal");
    let open = Statement {
        council: log.council_id(),
        session: Hash::default(),
        author: c.chair.member_id(),
        parents: vec![],
        time_ms: T0 + 1,
        kind: StatementKind::OpenSession {
            body: Body::Council,
            log_heads: before,
            label: "Самочинна сесія".into(),
            items: vec![],
        },
    }
    .sign(&c.chair);
    replica
        .receive(Item::Statement(open.clone()))
        .expect("held: the chair could open it at the heads it names");
    assert_eq!(replica.live_sessions().count(), 0);
    let dir = profile_with(&replica);
    let bundle = export(dir.path());
    let out = verify_bundle(dir.path(), &bundle);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("void: operation {} by Голова", open.id().short()))
            && stdout.contains("Самочинна сесія"),
        "{stdout}"
    );
}

#[test]
fn verify_lists_statements_the_session_ignored_and_ballots_no_poll_counts() {
    // Deputy 1, who does not chair, opens a poll of their own; the session ignores it, but
    // deputy 2 signs a ballot for it. Neither counts anywhere; verify names both and still
    // passes (an ignored act is not a forged one).
    let mut s = Sample::new();
    let chair = s.chair();
    s.present(&chair);
    for n in 1..=4 {
        let d = s.dep(n);
        s.present(&d);
    }
    s.say(&chair, StatementKind::StartItem { item: 0 });
    let version = s.heads(&s.doc);
    let open = s.replica.session(&s.session).expect("session").poll_open(
        0,
        s.doc,
        version,
        "Самочинне голосування",
        None,
    );
    let d1 = s.dep(1);
    let rogue = s.say(&d1, StatementKind::OpenPoll(open));
    let d2 = s.dep(2);
    let ballot = s
        .replica
        .ballot(&d2, &rogue, 0, Choice::For)
        .expect("the opening is held");
    s.replica
        .session_mut(&s.session)
        .expect("session")
        .insert_ballot(ballot.clone())
        .expect("a ballot for a stored opening is kept");
    let dir = profile_with(&s.replica);
    let path = export(dir.path());
    // Whether or not export writes it, a bundle may hold it: make sure this one does.
    let mut v = read_json(&path);
    let wire = format!("03{}", hex(&ballot.to_bytes()));
    let items = v["items"].as_array_mut().expect("items");
    if !items.iter().any(|i| i.as_str() == Some(wire.as_str())) {
        items.push(Value::String(wire));
    }
    write_json(&path, &v);

    let out = verify_bundle(dir.path(), &path);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "ignored: statement {} by Депутат 1",
            rogue.short()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "ignored: ballot {} by Депутат 2",
            ballot.id().short()
        )),
        "{stdout}"
    );
    let out = verify_bundle_json(dir.path(), &path);
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let ignored = j["ignored"].as_array().expect("ignored");
    let kinds: Vec<(&str, &str)> = ignored
        .iter()
        .filter_map(|i| Some((i["kind"].as_str()?, i["id"].as_str()?)))
        .collect();
    assert!(
        kinds.contains(&("statement", rogue.to_hex().as_str())),
        "{ignored:?}"
    );
    assert!(
        kinds.contains(&("ballot", ballot.id().to_hex().as_str())),
        "{ignored:?}"
    );
}

/// Every way of writing JSON the format does not use is refused, saying where (docs/format.md
/// §10, "Form"): two readers must never read one file two ways.
#[test]
fn json_the_format_does_not_use_is_refused_saying_where() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/example-bundle.json");
    let full = std::fs::read_to_string(path).expect("example bundle");
    assert!(Bundle::parse(full.as_bytes()).is_ok(), "the example reads");
    let council = full
        .lines()
        .nth(1)
        .and_then(|l| l.split('"').nth(3))
        .expect("council line")
        .to_string();
    let chairs_first = {
        let v: Value = serde_json::from_str(&full).expect("json");
        v["polls"][0]["context"]["chairs"][0]
            .as_str()
            .expect("a chair")
            .to_string()
    };
    let once = |from: &str, to: &str| {
        assert!(full.contains(from), "{from}");
        full.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a key twice",
            once(
                "\"format\": \"council-bundle/1\",",
                "\"format\": \"council-bundle/1\", \"format\": \"council-bundle/1\",",
            ),
            "given twice",
        ),
        (
            "an unknown field",
            once("\"polls\": [", "\"signed_by\": \"me\", \"polls\": ["),
            "the bundle: has the field \"signed_by\"",
        ),
        (
            "an unknown field in a context",
            once("\"seats\": 7,", "\"seats\": 7, \"senate\": 1,"),
            "polls[0].context: has the field \"senate\"",
        ),
        (
            "a fraction",
            once("\"seats\": 7,", "\"seats\": 7.0,"),
            "is not an integer",
        ),
        (
            "an exponent",
            once("\"seats\": 7,", "\"seats\": 7e0,"),
            "is not an integer",
        ),
        (
            "a number for a boolean",
            once(
                "\"allow_poll_override\": true,",
                "\"allow_poll_override\": 1,",
            ),
            "polls[0].context.allow_poll_override: is not true or false",
        ),
        (
            "upper-case hex",
            once(
                &format!("\"council\": \"{council}\""),
                &format!("\"council\": \"{}\"", council.to_uppercase()),
            ),
            "council: is hexadecimal in upper case",
        ),
        (
            "a chair listed twice",
            once(
                &format!("\"chairs\": [\n          \"{chairs_first}\""),
                &format!("\"chairs\": [\n          \"{chairs_first}\", \"{chairs_first}\""),
            ),
            "polls[0].context.chairs[1]: lists a key already listed",
        ),
    ];
    for (what, text, says) in cases {
        let err = Bundle::parse(text.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("{what} is read"));
        assert!(err.to_string().contains(says), "{what}: {err}");
    }
}
