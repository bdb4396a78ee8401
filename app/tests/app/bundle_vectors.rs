//! Generates `docs/bundle-vectors.json` from real code and checks the committed file matches:
//! whole bundles, each with the verdict `council verify --bundle --json` gives it, for the
//! points of `docs/format.md` §6 and §10 that a poll's test vector cannot show (what a session
//! ignores, what a bundle may hold twice or in any order, what is refused and what waits, what a
//! reader must refuse outright). A second implementation reproduces every `expected` field for
//! field (`tests/python/verify.py` does).
//!
//! Run with `UPDATE_VECTORS=1` to rewrite the file after a deliberate format change.

use crate::bundle::{Sample, T0, sample, sample_sitting};
use council_app::bundle::{Bundle, Scope, verdict_json};
use crdt_model::hash::{Hash, hex, unhex};
use crdt_model::log::{LogOp, OpBody};
use crdt_model::replica::{Item, Replica};
use crdt_model::session::{Body, Choice, Statement, StatementKind};
use crdt_model::{Role, Roles};
use serde_json::{Value, json};

/// The committed file.
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/bundle-vectors.json");

/// The verdict with the words for people left out (problems' text, voided's and ignored's reason
/// and author, minutes approvals' names and errors): what two implementations must agree on
/// (docs/format.md §10, "Verifying a bundle").
pub(crate) fn normative(mut v: Value) -> Value {
    for (list, words) in [
        ("problems", &["text"][..]),
        ("voided", &["reason", "author"][..]),
        ("ignored", &["reason", "author"][..]),
    ] {
        if let Some(entries) = v.get_mut(list).and_then(Value::as_array_mut) {
            for e in entries {
                if let Some(o) = e.as_object_mut() {
                    for w in words {
                        o.remove(*w);
                    }
                }
            }
        }
    }
    if let Some(sessions) = v.get_mut("minutes").and_then(Value::as_array_mut) {
        for m in sessions {
            if let Some(o) = m.as_object_mut() {
                o.remove("error");
                if let Some(list) = o.get_mut("approvals").and_then(Value::as_array_mut) {
                    for a in list {
                        if let Some(a) = a.as_object_mut() {
                            a.remove("name");
                        }
                    }
                }
            }
        }
    }
    v
}

struct Vectors {
    out: Vec<Value>,
}

impl Vectors {
    /// A vector of `text`; its verdict is whatever the code says, and `passes` what the test
    /// expects of it (checked here, so a vector never silently changes sides).
    fn add(&mut self, name: &str, description: &str, text: String, passes: Option<bool>) {
        let expected = match Bundle::parse(text.as_bytes()) {
            Ok(b) => {
                let (v, replica) = b.verify_rebuilt();
                assert_eq!(Some(v.passed()), passes, "{name}: {:?}", v.to_json());
                normative(verdict_json(&v, &replica))
            }
            Err(e) => {
                assert_eq!(passes, None, "{name} is not a bundle: {e}");
                Value::Null
            }
        };
        self.out.push(json!({
            "name": name,
            "description": description,
            "bundle": text,
            "expected": expected,
        }));
    }
}

pub(crate) fn text_of(replica: &Replica) -> String {
    Bundle::from_replica(replica, Scope::Everything).to_text()
}

pub(crate) fn json_of(replica: &Replica) -> Value {
    serde_json::from_str(&text_of(replica)).expect("json")
}

pub(crate) fn to_text(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("json") + "\n"
}

/// `items` of a bundle, to edit.
pub(crate) fn items(v: &mut Value) -> &mut Vec<Value> {
    v["items"].as_array_mut().expect("items")
}

/// An item's hex as a bundle lists it: its tag, then its wire form.
pub(crate) fn item_hex(item: &Item) -> Value {
    Value::String(hex(&item.to_bytes()))
}

/// A present chair and four deputies: quorum (4 of 7) with one to spare.
fn quorate() -> Sample {
    let mut s = Sample::new();
    let chair = s.chair();
    s.present(&chair);
    for n in 1..=4 {
        let d = s.dep(n);
        s.present(&d);
    }
    s
}

fn build() -> Value {
    let mut v = Vectors { out: vec![] };

    v.add(
        "no-poll",
        "a council with a session in which nobody voted: no poll, no problem, the bundle passes",
        text_of(&Sample::new().replica),
        Some(true),
    );

    let mut twice = json_of(&sample());
    let first = items(&mut twice)[0].clone();
    let last = items(&mut twice).len() - 1;
    let last_item = items(&mut twice)[last].clone();
    items(&mut twice).push(first);
    items(&mut twice).insert(3, last_item);
    v.add(
        "items-given-twice",
        "the sample sitting with its first log operation and its last ballot each given a second time: an item given twice is read once, and nothing else changes",
        to_text(&twice),
        Some(true),
    );

    let mut reversed = json_of(&sample());
    items(&mut reversed).reverse();
    v.add(
        "items-in-reverse-order",
        "the sample sitting with its items in reverse order, each after what follows it: the verdict does not depend on the order of items",
        to_text(&reversed),
        Some(true),
    );

    // Deputy 1 registers deputy 5 (only deputy 5 or a chair may): ignored, and it does not count
    // toward presence. A chair's opening that lists deputy 5 as eligible is then ignored too,
    // and the one that does not is applied.
    let mut s = quorate();
    let (d1, d5) = (s.dep(1), s.dep(5));
    s.say(
        &d1,
        StatementKind::Present {
            member: d5.member_id(),
        },
    );
    let chair = s.chair();
    s.say(&chair, StatementKind::StartItem { item: 0 });
    let version = s.heads(&s.doc);
    let good = s.replica.session(&s.session).expect("session").poll_open(
        0,
        s.doc,
        version,
        "Затвердити бюджет",
        None,
    );
    let mut padded = good.clone();
    padded.eligible.push(d5.member_id());
    padded.eligible.sort();
    s.say(&chair, StatementKind::OpenPoll(padded));
    let poll = s.say(&chair, StatementKind::OpenPoll(good));
    s.vote(&chair, poll, 0, Choice::For);
    s.vote(&d1, poll, 0, Choice::For);
    s.close_poll(poll);
    v.add(
        "an-ignored-registration-does-not-count",
        "deputy 1 registers deputy 5 as present (not-yourself: ignored); the chair's opening that lists deputy 5 as eligible is ignored (snapshot-mismatch), the one that does not is the poll",
        text_of(&s.replica),
        Some(true),
    );

    // Items: postponed and started again; done, then started again (ignored); removed, then
    // started (ignored); an item that does not exist (ignored).
    let mut s = Sample::new();
    let chair = s.chair();
    for kind in [
        StatementKind::StartItem { item: 0 },
        StatementKind::PostponeItem { item: 0 },
        StatementKind::StartItem { item: 0 },
        StatementKind::EndItem { item: 0 },
        StatementKind::StartItem { item: 0 },
        StatementKind::RemoveItem {
            item: 1,
            reason: "Знято на вимогу ініціатора".into(),
        },
        StatementKind::StartItem { item: 1 },
        StatementKind::StartItem { item: 7 },
    ] {
        s.say(&chair, kind);
    }
    v.add(
        "items-postponed-done-removed",
        "item 0 is postponed and started again (applied), ended, then started again (item-closed); item 1 is removed, then started (item-closed); item 7 does not exist (unknown-item)",
        text_of(&s.replica),
        Some(true),
    );

    // Deputy 4 declares a conflict on item 1 while item 0 is in progress: it counts for the
    // poll on item 1, where deputy 4 is recused.
    let mut s = quorate();
    let d4 = s.dep(4);
    let chair = s.chair();
    s.say(&chair, StatementKind::StartItem { item: 0 });
    s.say(
        &d4,
        StatementKind::DeclareConflict {
            item: 1,
            reason: "Член наглядової ради школи".into(),
        },
    );
    s.say(&chair, StatementKind::EndItem { item: 0 });
    let d5 = s.dep(5);
    s.present(&d5);
    let poll = s.open_poll(1, "Виділити кошти на ремонт школи № 3");
    for n in [1, 2, 3, 5] {
        let d = s.dep(n);
        s.vote(&d, poll, 0, Choice::For);
    }
    s.close_poll(poll);
    v.add(
        "a-conflict-declared-before-its-item",
        "deputy 4 declares a conflict of interest on item 1 while item 0 is in progress; at the poll on item 1 deputy 4 is recused, the other four present deputies vote for",
        text_of(&s.replica),
        Some(true),
    );

    // A deputy (a voter, not a chair) opens a session: refused, and the registration signed in
    // it waits for a session that never exists.
    let s = Sample::new();
    let d1 = s.dep(1);
    let rogue = Statement {
        council: s.replica.log().council_id(),
        session: Hash::default(),
        author: d1.member_id(),
        parents: vec![],
        time_ms: T0,
        kind: StatementKind::OpenSession {
            body: Body::Council,
            log_heads: s.replica.log().heads(),
            label: "Позачергова сесія".into(),
            items: vec![],
        },
    }
    .sign(&d1);
    let present = Statement {
        council: s.replica.log().council_id(),
        session: rogue.id(),
        author: d1.member_id(),
        parents: vec![rogue.id()],
        time_ms: T0 + 1000,
        kind: StatementKind::Present {
            member: d1.member_id(),
        },
    }
    .sign(&d1);
    let mut b = json_of(&s.replica);
    items(&mut b).push(item_hex(&Item::Statement(rogue)));
    items(&mut b).push(item_hex(&Item::Statement(present)));
    v.add(
        "a-voter-opens-a-session",
        "deputy 1, who votes but does not chair, signs an OpenSession (refused) and registers in it (waiting: its session never exists)",
        to_text(&b),
        Some(false),
    );

    // An observer signs an operation: refused; the chair then signs one on top of it, refused
    // too (it follows a refused operation), while one of the chair's on the heads before it is
    // applied.
    let s = Sample::new();
    let log = s.replica.log();
    let observer = s.council.observer.clone();
    let refused = LogOp {
        council: log.council_id(),
        author: observer.member_id(),
        parents: log.heads(),
        time_ms: T0 + 1,
        body: OpBody::AddMember {
            member: crdt_model::sample::key(71).member_id(),
            name: "Гість".into(),
            roles: Roles::of(&[Role::Deputy]),
        },
    }
    .sign(&observer);
    let after = LogOp {
        council: log.council_id(),
        author: s.council.chair.member_id(),
        parents: vec![refused.id()],
        time_ms: T0 + 2,
        body: OpBody::CreateCommittee {
            name: "Бюджетна комісія".into(),
        },
    }
    .sign(&s.council.chair);
    let beside = LogOp {
        council: log.council_id(),
        author: s.council.chair.member_id(),
        parents: log.heads(),
        time_ms: T0 + 3,
        body: OpBody::CreateCommittee {
            name: "Комісія з освіти".into(),
        },
    }
    .sign(&s.council.chair);
    let mut b = json_of(&s.replica);
    for op in [refused, after, beside] {
        items(&mut b).push(item_hex(&Item::Op(op)));
    }
    v.add(
        "a-refused-operation-and-what-follows-it",
        "an observer adds a member (refused); the chair's operation naming it as parent is refused too (it follows a refused operation); the chair's concurrent one is applied",
        to_text(&b),
        Some(false),
    );

    // The session ignores a second close and a deputy's poll opening; a ballot for that opening
    // is listed as ignored; the bundle passes.
    let mut s = quorate();
    let poll = s.open_poll(0, "Затвердити бюджет");
    let (chair, d1, d2) = (s.chair(), s.dep(1), s.dep(2));
    s.vote(&chair, poll, 0, Choice::For);
    s.vote(&d1, poll, 0, Choice::Against);
    let close = s
        .replica
        .session(&s.session)
        .and_then(|x| x.poll_close(&poll))
        .expect("close");
    s.say(&chair, StatementKind::ClosePoll(close.clone()));
    s.say(&chair, StatementKind::ClosePoll(close));
    let version = s.heads(&s.doc);
    let own = s.replica.session(&s.session).expect("session").poll_open(
        0,
        s.doc,
        version,
        "Самочинне голосування",
        None,
    );
    let rogue = s.say(&d1, StatementKind::OpenPoll(own));
    let ballot = s
        .replica
        .ballot(&d2, &rogue, 0, Choice::For)
        .expect("the opening is held");
    s.replica
        .session_mut(&s.session)
        .expect("session")
        .insert_ballot(ballot)
        .expect("kept");
    v.add(
        "statements-the-session-ignores",
        "a second close of the poll (poll-closed), a poll opened by a deputy (not-chair) and a ballot for it (poll-not-opened): all listed as ignored, none a failure",
        text_of(&s.replica),
        Some(true),
    );

    // The chair's close leaves out deputy 3's ballot against (cast before the close): the
    // counts and the outcome agree with what it counted, and the poll fails check 10.
    let mut s = quorate();
    let poll = s.open_poll(0, "Затвердити бюджет");
    let chair = s.chair();
    s.vote(&chair, poll, 0, Choice::For);
    for (n, c) in [(1, Choice::For), (2, Choice::For), (3, Choice::Against)] {
        let d = s.dep(n);
        s.vote(&d, poll, 0, c);
    }
    let d4 = s.dep(4);
    s.vote(&d4, poll, 0, Choice::For);
    let mut close = s
        .replica
        .session(&s.session)
        .and_then(|x| x.poll_close(&poll))
        .expect("close");
    let d3_ballot = s
        .replica
        .session(&s.session)
        .and_then(|x| {
            x.ballots(&poll)
                .find(|b| b.ballot().voter == s.dep(3).member_id())
                .map(|b| b.id())
        })
        .expect("deputy 3 voted");
    close.counted.retain(|id| *id != d3_ballot);
    close.counts.against -= 1;
    s.say(&chair, StatementKind::ClosePoll(close));
    v.add(
        "a-close-omits-a-ballot",
        "the chair's close leaves out deputy 3's ballot against, cast before the close, and states 4 for, 0 against: the session applies it, and the poll fails all-ballots-counted",
        text_of(&s.replica),
        Some(false),
    );

    // The secretary removes the chair; the removed chair signs, on the heads before the removal,
    // the admission of a chair of their own: void, listed, not a failure.
    let (c, _) = crdt_model::sample::SampleCouncil::new(7, 6).expect("sample council");
    let mut replica = Replica::new(c.genesis.clone());
    for op in &c.ops {
        replica.receive(Item::Op(op.clone())).expect("op");
    }
    let before = replica.log().heads();
    let secretary = c.secretary.clone();
    let chair = c.chair.clone();
    replica
        .log_mut()
        .create(
            &secretary,
            OpBody::RemoveMember {
                member: chair.member_id(),
            },
            T0 + 10,
        )
        .expect("removal");
    let backdated = LogOp {
        council: replica.log().council_id(),
        author: chair.member_id(),
        parents: before,
        time_ms: T0 + 11,
        body: OpBody::AddMember {
            member: crdt_model::sample::key(70).member_id(),
            name: "Самопроголошений голова".into(),
            roles: Roles::of(&[Role::Chair, Role::Deputy]),
        },
    }
    .sign(&chair);
    replica
        .receive(Item::Op(backdated))
        .expect("accepted at the heads it names");
    v.add(
        "a-removal-voids-what-it-had-not-seen",
        "the secretary removes the chair; the chair, on the heads before the removal, admits a chair of their own: that admission is void (revoked) and listed, not a failure",
        text_of(&replica),
        Some(true),
    );

    // The chair opens a session in which nobody else takes part; the secretary then removes the
    // chair, an operation the opening's log heads had not seen: the session is void.
    let mut s = Sample::new();
    let secretary = s.council.secretary.clone();
    let chair = s.chair();
    s.say(&chair, StatementKind::StartItem { item: 0 });
    s.replica
        .log_mut()
        .create(
            &secretary,
            OpBody::RemoveMember {
                member: chair.member_id(),
            },
            T0 + 10,
        )
        .expect("removal");
    v.add(
        "a-removal-voids-a-session-only-its-chair-took-part-in",
        "the chair opens a session and starts an item, nobody else takes part; the secretary then removes the chair: the session is void (session-revoked), listed, not a failure (it holds no poll)",
        text_of(&s.replica),
        Some(true),
    );

    // Text binding (§10 step 4, document and version).
    let mut s = quorate();
    let chair = s.chair();
    s.say(&chair, StatementKind::StartItem { item: 0 });
    let school = s
        .replica
        .session(&s.session)
        .and_then(|x| x.state().items.get(1).and_then(|i| i.item.doc))
        .expect("item 1 has a document");
    let version = s.heads(&school);
    let open = s.replica.session(&s.session).expect("session").poll_open(
        0,
        school,
        version,
        "Про ремонт школи № 3",
        None,
    );
    s.say(&chair, StatementKind::OpenPoll(open));
    v.add(
        "a-poll-on-another-items-document",
        "on item 0 (the budget) the chair opens a poll naming item 1's draft: the session applies it (it does not hold documents), the poll fails its document check (other-document)",
        text_of(&s.replica),
        Some(false),
    );

    let mut s = quorate();
    let chair = s.chair();
    s.say(&chair, StatementKind::StartItem { item: 0 });
    let doc = s.doc;
    let mut version = s.heads(&doc);
    version.push(Hash::of(b"a change", &[b"nobody wrote"]));
    version.sort();
    let open = s.replica.session(&s.session).expect("session").poll_open(
        0,
        doc,
        version,
        "Затвердити бюджет",
        None,
    );
    s.say(&chair, StatementKind::OpenPoll(open));
    let text = text_of(&s.replica);
    v.add(
        "a-version-naming-a-change-not-in-items",
        "the poll's version names the draft's head and a change no item holds: the version check fails (not-in-items)",
        text,
        Some(false),
    );
    v.add(
        "without-document-changes-the-version-is-not-checked",
        "the same record exported without document changes (council export --polls-only): the document check passes, the version check is not-applicable, the bundle passes",
        Bundle::from_replica(&s.replica, Scope::PollsOnly).to_text(),
        Some(true),
    );

    // A deputy's amendment of the budget draft, voted on the budget's item: bound to its item.
    let mut s = quorate();
    let d2 = s.dep(2);
    let draft = s.doc;
    let amendment = s.write(
        &d2,
        3,
        crdt_model::log::DocSpec::Amendment {
            draft,
            from_line: 2,
            to_line: 2,
        },
        "2. Контроль покласти на постійну комісію з питань бюджету.",
    );
    let chair = s.chair();
    s.say(&chair, StatementKind::StartItem { item: 0 });
    let version = s.heads(&amendment);
    let open = s.replica.session(&s.session).expect("session").poll_open(
        0,
        amendment,
        version,
        "Поправка депутата 2",
        None,
    );
    let poll = s.say(&chair, StatementKind::OpenPoll(open));
    for n in 1..=4 {
        let d = s.dep(n);
        s.vote(&d, poll, 0, Choice::For);
    }
    s.close_poll(poll);
    v.add(
        "an-amendment-voted-on-its-drafts-item",
        "deputy 2's amendment of the budget draft is put to the vote on the budget's item, at the amendment's heads: document and version pass",
        text_of(&s.replica),
        Some(true),
    );

    // Minutes: the chair and the secretary approve the record hash of the sample sitting; a
    // third copy of the record has a statement signed after the approvals.
    let mut s = sample_sitting();
    let hash = s
        .replica
        .session(&s.session)
        .expect("session")
        .record_hash();
    for key in [s.chair(), s.council.secretary.clone()] {
        s.replica
            .log_mut()
            .create(
                &key,
                OpBody::ApproveMinutes {
                    session: s.session,
                    minutes: hash,
                },
                T0 + 100_000,
            )
            .expect("approval");
    }
    v.add(
        "minutes-approved-by-the-chair-and-the-secretary",
        "the chair and the secretary each sign ApproveMinutes of the sample sitting's record hash: the minutes are approved and match the record",
        text_of(&s.replica),
        Some(true),
    );
    let d6 = s.dep(6);
    s.present(&d6);
    v.add(
        "minutes-approved-before-a-later-statement",
        "the same approvals, then deputy 6 registers: a statement added after the approvals, so they no longer match the record and the minutes are not approved; the bundle still passes (minutes do not change the verdict)",
        text_of(&s.replica),
        Some(true),
    );

    let mut b = json_of(&sample());
    b["polls"].as_array_mut().expect("polls").remove(1);
    v.add(
        "a-poll-left-out",
        "the sample sitting with its second poll left out of polls: unlisted-poll",
        to_text(&b),
        Some(false),
    );
    let mut b = json_of(&sample());
    let p = b["polls"][0].clone();
    b["polls"].as_array_mut().expect("polls").push(p);
    v.add(
        "a-poll-listed-twice",
        "the sample sitting with its first poll listed twice: listed-twice",
        to_text(&b),
        Some(false),
    );

    // A forged copy of a genuine ballot (its last signature byte flipped), before and after
    // the genuine one: the copy is refused either way, the ballot counts.
    for (name, description, before) in [
        (
            "a-forged-copy-before-the-genuine-item",
            "a copy of a counted ballot with a forged signature, listed before the genuine one: the copy is refused, the genuine one counts",
            true,
        ),
        (
            "a-forged-copy-after-the-genuine-item",
            "the same forged copy listed after the genuine one: the same verdict, whatever the order",
            false,
        ),
    ] {
        let mut b = json_of(&sample());
        let list = items(&mut b);
        let j = list
            .iter()
            .rposition(|x| x.as_str().is_some_and(|h| h.starts_with("03")))
            .expect("a ballot");
        let mut forged = list[j].as_str().and_then(unhex).expect("hex");
        if let Some(last) = forged.last_mut() {
            *last ^= 0x01;
        }
        let at = if before { j } else { j + 1 };
        list.insert(at, Value::String(hex(&forged)));
        v.add(name, description, to_text(&b), Some(false));
    }

    let mut b = json_of(&sample());
    for list in ["chairs", "voters"] {
        b["polls"][0]["context"][list]
            .as_array_mut()
            .expect("keys")
            .reverse();
    }
    v.add(
        "context-keys-in-any-order",
        "the first poll's stated chairs and voters listed in reverse order: they are sets, so the context agrees and the bundle passes",
        to_text(&b),
        Some(true),
    );

    // What a reader refuses outright (step 1).
    let full = text_of(&Sample::new().replica);
    let council = json_of(&Sample::new().replica)["council"]
        .as_str()
        .expect("council")
        .to_string();
    let once = |from: &str, to: &str| {
        assert!(full.contains(from), "{from}");
        full.replacen(from, to, 1)
    };
    for (name, description, text) in [
        (
            "not-a-bundle-key-twice",
            "the key format given twice in the bundle object",
            once(
                "\"format\": \"council-bundle/1\",",
                "\"format\": \"council-bundle/1\", \"format\": \"council-bundle/1\",",
            ),
        ),
        (
            "not-a-bundle-unknown-field",
            "a field the format does not define",
            once("\"polls\": [", "\"signed_by\": \"me\", \"polls\": ["),
        ),
        (
            "not-a-bundle-upper-case-hex",
            "the council id in upper-case hex",
            once(
                &format!("\"council\": \"{council}\""),
                &format!("\"council\": \"{}\"", council.to_uppercase()),
            ),
        ),
        (
            "not-a-bundle-item-not-hex",
            "an item that is not hex",
            once("\"items\": [\n    \"", "\"items\": [\n    \"zz"),
        ),
        (
            "not-a-bundle-unknown-tag",
            "an item of tag 9",
            once("\"items\": [\n    \"00", "\"items\": [\n    \"09"),
        ),
    ] {
        v.add(name, description, text, None);
    }
    let mut b = json_of(&sample());
    b["polls"][0]["context"]["seats"] = json!(7.0);
    v.add(
        "not-a-bundle-fraction",
        "a context's seats written 7.0",
        to_text(&b),
        None,
    );
    let mut b = json_of(&sample());
    b["polls"][0]["context"]["allow_poll_override"] = json!(1);
    v.add(
        "not-a-bundle-number-for-a-boolean",
        "a context's allow_poll_override written 1",
        to_text(&b),
        None,
    );
    let mut b = json_of(&sample());
    let chair = b["polls"][0]["context"]["chairs"][0].clone();
    b["polls"][0]["context"]["chairs"]
        .as_array_mut()
        .expect("chairs")
        .push(chair);
    v.add(
        "not-a-bundle-key-listed-twice",
        "a context's chairs listing a key twice",
        to_text(&b),
        None,
    );

    json!({
        "format": "council-bundle-vectors/1",
        "note": "Generated by app/tests/app/bundle_vectors.rs from real code. Do not edit by hand. Each bundle is a file's text; expected is the verdict of council verify --bundle --json without its words for people (problems' text, voided's and ignored's reason and author), or null when the text is not a bundle (step 1).",
        "vectors": v.out,
    })
}

#[test]
fn the_committed_bundle_vectors_match_what_the_code_produces() {
    let text = serde_json::to_string_pretty(&build()).expect("json") + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(PATH, &text).expect("write");
    }
    let committed = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        committed == text,
        "docs/bundle-vectors.json is stale: run UPDATE_VECTORS=1 cargo test -p council-app --test app bundle_vectors::"
    );
}
