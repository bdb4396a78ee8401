//! Hostile changes: bombs in the bytes of a change, and changes from authorized writers that
//! parse and apply but would poison the document.

use automerge::legacy as am;
use automerge::marks::{ExpandMark, Mark};
use automerge::transaction::{Transactable, Transaction};
use automerge::{ExpandedChange, ObjType, ROOT};

use super::*;
use crate::encoding::Writer;
use crate::identity::Device;
use crate::log::{DocSpec, OpBody};
use crate::sample::{SampleCouncil, device};

const T: u64 = 1_800_000_000_000;

struct Fx {
    c: SampleCouncil,
    log: CouncilLog,
    draft: DocId,
}

/// A draft by deputy 0 with deputy 1 as co-author.
fn fx() -> Fx {
    let (c, mut log) = SampleCouncil::new(10, 6).expect("council");
    let draft = log
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft {
                    co_authors: vec![c.deputies[1].member_id()],
                },
            },
            T,
        )
        .expect("draft")
        .id();
    Fx { c, log, draft }
}

fn create(log: &mut CouncilLog, key: &crate::identity::SecretKey, spec: DocSpec) -> DocId {
    log.create(key, OpBody::CreateDocument { spec }, T + 1)
        .expect("created")
        .id()
}

/// Device `d` of deputy number `i`.
fn dep(i: u32, d: u8) -> Device {
    device(i + 2, d)
}

/// The author (deputy 0) and the co-author (deputy 1).
fn author() -> Device {
    dep(0, 1)
}
fn co_author() -> Device {
    dep(1, 1)
}
fn secretary() -> Device {
    device(0, 1)
}

/// What travels: the change's wire form, parsed again.
fn wire(c: &SignedChange) -> SignedChange {
    SignedChange::from_bytes(&c.to_bytes()).expect("Council's own change parses")
}

/// A document holding the author's draft text, and the author's change.
fn drafted(f: &Fx) -> (Document, SignedChange) {
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    let (_, c) = d
        .edit(&f.log, &author(), 1, |e| {
            e.splice(TextField::Title, 0, 0, "Про бюджет")?;
            e.splice(TextField::Body, 0, 0, "Пункт 1\nПункт 2\n")
        })
        .expect("edit");
    (d, c.expect("a change"))
}

/// A change `dev` makes with raw automerge calls on a copy of `doc` (what a modified client can
/// do), signed by its owner.
fn forge(
    log: &CouncilLog,
    doc: &Document,
    dev: &Device,
    make: impl FnOnce(&mut Transaction<'_>),
) -> SignedChange {
    let mut copy = doc.doc.clone();
    copy.set_actor(ActorId::from(&dev.actor_bytes()[..]));
    let mut tx = copy.transaction();
    make(&mut tx);
    let (h, _) = tx.commit();
    let change = copy
        .get_change_by_hash(&h.expect("the forged change"))
        .expect("change");
    SignedChange::sign(dev.key(), log.council_id(), doc.id(), log.heads(), change)
}

/// `base`'s operations rewritten by `edit`, re-encoded and re-signed by `dev`.
fn rewrite(
    log: &CouncilLog,
    base: &SignedChange,
    dev: &Device,
    edit: impl FnOnce(&mut ExpandedChange),
) -> SignedChange {
    let mut e = base.change().decode();
    edit(&mut e);
    e.hash = None;
    let change = Change::from(e);
    let change = Change::from_bytes(change.raw_bytes().to_vec()).expect("re-encoded");
    SignedChange::sign(dev.key(), log.council_id(), base.doc(), log.heads(), change)
}

/// The id of the object the first change created for `key`.
fn field_object(d: &Document, key: &str) -> am::OpId {
    let init = d.doc.get_change_by_hash(&d.init).expect("init").decode();
    let i = init
        .operations
        .iter()
        .position(|op| op.key == am::Key::Map(key.into()))
        .expect("a field");
    am::OpId(init.start_op.get() + i as u64, init.actor_id.clone())
}

/// The id of operation `i` of `c`.
fn op_id(c: &SignedChange, i: u64) -> am::OpId {
    am::OpId(
        c.change().start_op().get() + i,
        c.change().actor_id().clone(),
    )
}

/// After a refusal the document still works: its texts read, a local edit applies, it saves and
/// reloads to the same text, and a fresh peer replaying its changes reaches the same version.
fn still_works(log: &CouncilLog, d: &mut Document, dev: &Device) {
    let title = d.text(TextField::Title).expect("the title reads");
    let before = d.text(TextField::Body).expect("the body reads");
    d.edit(log, dev, 9, |e| e.splice(TextField::Body, 0, 0, "✓"))
        .expect("a local edit applies");
    let body = d.text(TextField::Body).expect("the body reads");
    assert_eq!(body, format!("✓{before}"));
    let saved = d.try_save().expect("it saves");
    let loaded = Automerge::load(&saved).expect("it reloads");
    let obj = schema::obj(&loaded, "body").expect("the body is there");
    assert_eq!(loaded.text(&obj).as_deref(), Ok(body.as_str()));
    let mut again = Document::new(log, d.id()).expect("doc");
    for c in d.changes() {
        again.receive(log, wire(c)).expect("accepted again");
    }
    assert_eq!(again.heads(), d.heads());
    assert_eq!(again.text(TextField::Body), Ok(body));
    assert_eq!(again.text(TextField::Title), Ok(title));
}

// ---- Poison changes from authorized writers -------------------------------------------------

#[test]
fn a_co_author_replacing_the_body_by_a_string_is_refused_and_the_draft_stays_readable() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let hostile = forge(&f.log, &d, &co_author(), |tx| {
        tx.put(ROOT, "body", "захоплено").expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&hostile)),
        Err(ChangeRejected::Schema(SchemaViolation::ReplacesField(
            "body"
        )))
    );
    assert_eq!(d.text(TextField::Body).as_deref(), Ok("Пункт 1\nПункт 2\n"));
    // The verdict is remembered: the same change again is refused without being expanded anew.
    for _ in 0..3 {
        assert_eq!(
            d.receive(&f.log, wire(&hostile)),
            Err(ChangeRejected::AlreadyRefused)
        );
    }
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn a_co_author_replacing_a_field_by_another_object_is_refused() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let as_map = forge(&f.log, &d, &co_author(), |tx| {
        tx.put_object(ROOT, "body", ObjType::Map).expect("put");
    });
    let new_title = forge(&f.log, &d, &co_author(), |tx| {
        tx.put_object(ROOT, "title", ObjType::Text).expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&as_map)),
        Err(ChangeRejected::Schema(SchemaViolation::ReplacesField(
            "body"
        )))
    );
    assert_eq!(
        d.receive(&f.log, wire(&new_title)),
        Err(ChangeRejected::Schema(SchemaViolation::ReplacesField(
            "title"
        )))
    );
    assert_eq!(d.text(TextField::Title).as_deref(), Ok("Про бюджет"));
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn a_change_adding_a_mark_is_refused() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let body = schema::obj(&d.doc, "body").expect("body");
    let marked = forge(&f.log, &d, &co_author(), |tx| {
        tx.mark(
            &body,
            Mark::new("bold".into(), true, 0, 5),
            ExpandMark::None,
        )
        .expect("mark");
    });
    // Its bytes carry columns only marks use: refused before automerge parses them.
    assert_eq!(
        SignedChange::from_bytes(&marked.to_bytes()).map(|_| ()),
        Err(ChangeDecodeError::Layout("a column Council never writes"))
    );
    // Handed over in memory, the document refuses it as a mark.
    assert_eq!(
        d.receive(&f.log, marked.clone()),
        Err(ChangeRejected::Schema(SchemaViolation::Mark))
    );
    // An unbalanced mark (its end left out) is refused the same way.
    let unbalanced = rewrite(&f.log, &marked, &co_author(), |e| {
        e.operations
            .retain(|op| !matches!(op.action, am::OpType::MarkEnd(_)));
    });
    assert!(SignedChange::from_bytes(&unbalanced.to_bytes()).is_err());
    assert_eq!(
        d.receive(&f.log, unbalanced),
        Err(ChangeRejected::Schema(SchemaViolation::Mark))
    );
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn a_change_creating_a_map_inside_text_is_refused() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let body = schema::obj(&d.doc, "body").expect("body");
    let nested = forge(&f.log, &d, &co_author(), |tx| {
        let m = tx.insert_object(&body, 3, ObjType::Map).expect("insert");
        tx.put(&m, "x", 1).expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&nested)),
        Err(ChangeRejected::Schema(SchemaViolation::NewObject))
    );
    let number = forge(&f.log, &d, &co_author(), |tx| {
        tx.insert(&body, 0, 7).expect("insert");
    });
    assert_eq!(
        d.receive(&f.log, wire(&number)),
        Err(ChangeRejected::Schema(SchemaViolation::NotACharacter))
    );
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn a_text_element_of_several_characters_is_refused() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let body = schema::obj(&d.doc, "body").expect("body");
    let typed = forge(&f.log, &d, &co_author(), |tx| {
        tx.splice_text(&body, 0, 0, "x").expect("splice");
    });
    let word = rewrite(&f.log, &typed, &co_author(), |e| {
        e.operations[0].action = am::OpType::Put("слово".into());
    });
    assert_eq!(
        d.receive(&f.log, wire(&word)),
        Err(ChangeRejected::Schema(SchemaViolation::NotACharacter))
    );
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn a_deletion_naming_the_field_instead_of_its_character_is_refused() {
    // automerge applies it, then saves a document it cannot load ("MissingOps").
    let f = fx();
    let (mut d, first) = drafted(&f);
    let body = schema::obj(&d.doc, "body").expect("body");
    let deletion = forge(&f.log, &d, &co_author(), |tx| {
        tx.splice_text(&body, 0, 1, "").expect("delete");
    });
    let body_object = field_object(&d, "body");
    let hostile = rewrite(&f.log, &deletion, &co_author(), |e| {
        e.operations[0].pred = vec![body_object.clone()].into();
    });
    assert_eq!(
        d.receive(&f.log, wire(&hostile)),
        Err(ChangeRejected::Schema(SchemaViolation::NotAnEdit(
            "a deletion naming other operations"
        )))
    );
    // Naming, consistently, a character of another field is refused too.
    let title_char = op_id(&first, 0);
    let across = rewrite(&f.log, &deletion, &co_author(), |e| {
        e.operations[0].key = am::Key::Seq(am::ElementId::Id(title_char.clone()));
        e.operations[0].pred = vec![title_char.clone()].into();
    });
    assert_eq!(
        d.receive(&f.log, wire(&across)),
        Err(ChangeRejected::Schema(SchemaViolation::BadReference))
    );
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn a_put_naming_a_field_as_what_it_replaces_is_refused() {
    // automerge would take the body away with the recommendation.
    let mut f = fx();
    let opinion = create(
        &mut f.log,
        &f.c.deputies[2],
        DocSpec::Opinion {
            draft: f.draft,
            committee: f.c.committees[0],
        },
    );
    let mut d = Document::new(&f.log, opinion).expect("doc");
    let sec = dep(2, 1);
    d.edit(&f.log, &sec, 1, |e| e.set_text(TextField::Body, "Висновок"))
        .expect("edit");
    let put = forge(&f.log, &d, &sec, |tx| {
        tx.put(ROOT, "recommendation", "support").expect("put");
    });
    let body_object = field_object(&d, "body");
    let hostile = rewrite(&f.log, &put, &sec, |e| {
        e.operations[0].pred = vec![body_object.clone()].into();
    });
    assert_eq!(
        d.receive(&f.log, wire(&hostile)),
        Err(ChangeRejected::Schema(SchemaViolation::BadReference))
    );
    let wrong_type = forge(&f.log, &d, &sec, |tx| {
        tx.put(ROOT, "recommendation", 3).expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&wrong_type)),
        Err(ChangeRejected::Schema(SchemaViolation::WrongType(
            "recommendation"
        )))
    );
    assert_eq!(d.text(TextField::Body).as_deref(), Ok("Висновок"));
    assert!(d.try_save().is_ok());
}

#[test]
fn an_unknown_root_key_is_refused() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let extra = forge(&f.log, &d, &co_author(), |tx| {
        tx.put(ROOT, "recommendation", "reject").expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&extra)),
        Err(ChangeRejected::Schema(SchemaViolation::UnknownKey(
            "recommendation".into()
        )))
    );
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn an_insertion_after_a_character_outside_its_causal_past_is_refused_in_any_order() {
    // D: the co-author types. C: the author's change names D's character without building on
    // D. A peer that has D would apply C; one that gets C first would panic in automerge. Both
    // must refuse C.
    let f = fx();
    let (base, first) = drafted(&f);
    let mut co_copy = Document::new(&f.log, f.draft).expect("doc");
    co_copy.receive(&f.log, wire(&first)).expect("applies");
    let (_, d_change) = co_copy
        .edit(&f.log, &co_author(), 2, |e| {
            e.splice(TextField::Body, 0, 0, "Д")
        })
        .expect("edit");
    let d_change = d_change.expect("a change");
    let body = schema::obj(&base.doc, "body").expect("body");
    let c_plain = forge(&f.log, &base, &author(), |tx| {
        tx.splice_text(&body, 1, 0, "C").expect("splice");
    });
    let d_char = op_id(&d_change, 0);
    let c_change = rewrite(&f.log, &c_plain, &author(), |e| {
        e.operations[0].key = am::Key::Seq(am::ElementId::Id(d_char.clone()));
    });

    let mut d_first = Document::new(&f.log, f.draft).expect("doc");
    d_first.receive(&f.log, wire(&first)).expect("applies");
    d_first.receive(&f.log, wire(&d_change)).expect("applies");
    assert_eq!(
        d_first.receive(&f.log, wire(&c_change)),
        Err(ChangeRejected::Schema(SchemaViolation::BadReference))
    );

    let mut c_first = Document::new(&f.log, f.draft).expect("doc");
    c_first.receive(&f.log, wire(&first)).expect("applies");
    assert_eq!(
        c_first.receive(&f.log, wire(&c_change)),
        Err(ChangeRejected::Schema(SchemaViolation::BadReference))
    );
    c_first.receive(&f.log, wire(&d_change)).expect("applies");
    assert_eq!(c_first.heads(), d_first.heads());
    assert_eq!(c_first.text(TextField::Body), d_first.text(TextField::Body));
}

#[test]
fn a_change_skipping_its_authors_previous_change_is_refused() {
    let f = fx();
    let (mut d, first) = drafted(&f);
    let body = schema::obj(&d.doc, "body").expect("body");
    let later = forge(&f.log, &d, &author(), |tx| {
        tx.splice_text(&body, 0, 0, "x").expect("splice");
    });
    // The same actor's next change, claiming not to build on its previous one.
    let skipping = rewrite(&f.log, &later, &author(), |e| {
        e.seq = 3;
        e.deps = first.change().deps().to_vec();
        e.operations[0].key = am::Key::head();
    });
    assert_eq!(
        d.receive(&f.log, wire(&skipping)),
        Err(ChangeRejected::Schema(SchemaViolation::SequenceGap))
    );
    still_works(&f.log, &mut d, &author());
}

#[test]
fn a_change_reusing_the_operation_numbers_of_its_past_is_refused() {
    let f = fx();
    let (mut d, first) = drafted(&f);
    let body = schema::obj(&d.doc, "body").expect("body");
    let later = forge(&f.log, &d, &co_author(), |tx| {
        tx.splice_text(&body, 0, 0, "x").expect("splice");
    });
    // Numbered as if the author's change (which it builds on) had not happened.
    let reused = rewrite(&f.log, &later, &co_author(), |e| {
        e.start_op = first.change().start_op();
        e.operations[0].key = am::Key::head();
    });
    assert_eq!(
        d.receive(&f.log, wire(&reused)),
        Err(ChangeRejected::Schema(SchemaViolation::CounterNotAfterPast))
    );
    still_works(&f.log, &mut d, &co_author());
}

#[test]
fn an_edit_of_an_existing_agenda_item_is_refused() {
    let mut f = fx();
    let agenda = create(
        &mut f.log,
        &f.c.secretary,
        DocSpec::Agenda {
            label: "Сесія 3".into(),
            committee: None,
        },
    );
    let mut d = Document::new(&f.log, agenda).expect("doc");
    let sec = secretary();
    d.edit(&f.log, &sec, 1, |e| {
        e.agenda_insert(
            0,
            &AgendaItem {
                doc: Some(f.draft),
                title: "Про бюджет".into(),
            },
        )
    })
    .expect("edit");
    let items = schema::obj(&d.doc, "items").expect("items");
    let retitle = forge(&f.log, &d, &sec, |tx| {
        let (_, item) = tx.get(&items, 0).expect("get").expect("an item");
        tx.put(&item, "title", "Інше").expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&retitle)),
        Err(ChangeRejected::Schema(SchemaViolation::NotAnEdit(
            "writes into an object Council does not edit"
        )))
    );
    let scalar = forge(&f.log, &d, &sec, |tx| {
        tx.insert(&items, 0, "пункт").expect("insert");
    });
    assert_eq!(
        d.receive(&f.log, wire(&scalar)),
        Err(ChangeRejected::Schema(SchemaViolation::NotAnEdit(
            "an item that is not a map"
        )))
    );
    let nested = forge(&f.log, &d, &sec, |tx| {
        let m = tx.insert_object(&items, 1, ObjType::Map).expect("insert");
        tx.put_object(&m, "title", ObjType::Text).expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&nested)),
        Err(ChangeRejected::Schema(SchemaViolation::NewObject))
    );
    let published = forge(&f.log, &d, &sec, |tx| {
        tx.put(ROOT, "published", "так").expect("put");
    });
    assert_eq!(
        d.receive(&f.log, wire(&published)),
        Err(ChangeRejected::Schema(SchemaViolation::WrongType(
            "published"
        )))
    );
    let items_now = d.agenda().expect("the agenda reads");
    assert_eq!(items_now.len(), 1);
    assert_eq!(items_now[0].title, "Про бюджет");
    assert!(!d.published());
    assert!(d.try_save().is_ok());
}

#[test]
fn a_hostile_change_waiting_for_its_dependencies_is_refused_not_parked() {
    let f = fx();
    let (d0, first) = drafted(&f);
    let hostile = forge(&f.log, &d0, &co_author(), |tx| {
        tx.put(ROOT, "body", "захоплено").expect("put");
    });
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    assert_eq!(
        d.receive(&f.log, wire(&hostile)),
        Err(ChangeRejected::Schema(SchemaViolation::ReplacesField(
            "body"
        )))
    );
    assert_eq!(d.pending_len(), 0);
    d.receive(&f.log, wire(&first)).expect("applies");
    still_works(&f.log, &mut d, &co_author());
}

// ---- What Council writes still applies -----------------------------------------------------

#[test]
fn a_change_the_schema_allows_still_applies() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let body = schema::obj(&d.doc, "body").expect("body");
    let typed = forge(&f.log, &d, &co_author(), |tx| {
        tx.splice_text(&body, 8, 7, "Розділ 2").expect("splice");
    });
    assert!(matches!(
        d.receive(&f.log, wire(&typed)),
        Ok(Received::Applied { .. })
    ));
    assert_eq!(
        d.text(TextField::Body).as_deref(),
        Ok("Пункт 1\nРозділ 2\n")
    );
    still_works(&f.log, &mut d, &co_author());
}

type EditFn = Box<dyn Fn(&mut Edit<'_, '_>) -> Result<(), EditError>>;

/// Makes `edits` on one peer's document and checks every change travels to a second peer.
fn round_trip(
    log: &CouncilLog,
    id: DocId,
    dev: &Device,
    edits: Vec<EditFn>,
) -> (Document, Document) {
    let mut here = Document::new(log, id).expect("doc");
    let mut there = Document::new(log, id).expect("doc");
    for (n, edit) in edits.iter().enumerate() {
        let (_, c) = here
            .edit(log, dev, n as i64, |e| edit(e))
            .expect("the edit is allowed");
        let c = c.expect("a change");
        assert_eq!(
            chunk::prescan(c.change().raw_bytes()).map(|s| s.ops),
            Ok(c.change().len() as u64)
        );
        assert!(
            matches!(there.receive(log, wire(&c)), Ok(Received::Applied { .. })),
            "edit {n} is accepted by a peer"
        );
    }
    assert_eq!(here.heads(), there.heads());
    (here, there)
}

#[test]
fn every_edit_council_makes_is_accepted_by_its_peers() {
    let mut f = fx();
    let co = co_author();
    let shown = |d: &Document| d.heads();
    let (here, there) = round_trip(
        &f.log,
        f.draft,
        &co,
        vec![
            Box::new(|e| e.splice(TextField::Title, 0, 0, "Про бюджет")),
            Box::new(|e| e.set_text(TextField::Body, "Пункт 1\nПункт 2\nПункт 3\n")),
            Box::new(|e| e.splice(TextField::Body, 8, 8, "")),
            Box::new(|e| e.set_text(TextField::Body, "Пункт 1, змінений\nПункт 3\n🐻‍❄️")),
            Box::new(|e| {
                e.splice(TextField::Body, 0, 0, "ab")?;
                e.splice(TextField::Body, 1, 1, "")
            }),
            // Over 10,000 operations automerge encodes a change row by row: the same columns.
            Box::new(|e| e.set_text(TextField::Body, &"Пункт бюджету.\n".repeat(1_500))),
        ],
    );
    assert_eq!(here.text(TextField::Body), there.text(TextField::Body));
    // An edit typed against an older version, after someone else's change arrived.
    let mut a = there;
    let base = shown(&a);
    let mut b = Document::new(&f.log, f.draft).expect("doc");
    for c in a.changes() {
        b.receive(&f.log, wire(c)).expect("applies");
    }
    let (_, theirs) = b
        .edit(&f.log, &author(), 9, |e| {
            e.splice(TextField::Body, 0, 2, "A")
        })
        .expect("edit");
    a.receive(&f.log, wire(&theirs.expect("a change")))
        .expect("applies");
    let (_, mine) = a
        .edit(&f.log, &co, 10, |e| {
            e.splice_from(TextField::Body, &base, 3, 2, "xy")
        })
        .expect("edit");
    b.receive(&f.log, wire(&mine.expect("a change")))
        .expect("applies");
    assert_eq!(a.text(TextField::Body), b.text(TextField::Body));

    let opinion = create(
        &mut f.log,
        &f.c.deputies[2],
        DocSpec::Opinion {
            draft: f.draft,
            committee: f.c.committees[0],
        },
    );
    let (_, there) = round_trip(
        &f.log,
        opinion,
        &dep(2, 1),
        vec![
            Box::new(|e| e.set_recommendation("support")),
            Box::new(|e| {
                e.set_recommendation("amend")?;
                e.set_recommendation("reject")?;
                e.set_text(TextField::Rationale, "Бо так")
            }),
        ],
    );
    assert_eq!(there.recommendation().as_deref(), Some("reject"));

    let agenda = create(
        &mut f.log,
        &f.c.secretary,
        DocSpec::Agenda {
            label: "Сесія 3".into(),
            committee: None,
        },
    );
    let draft = f.draft;
    let (_, there) = round_trip(
        &f.log,
        agenda,
        &secretary(),
        vec![
            Box::new(|e| e.set_text(TextField::Title, "Сесія 3")),
            Box::new(move |e| {
                e.agenda_insert(
                    0,
                    &AgendaItem {
                        doc: Some(draft),
                        title: "Про бюджет".into(),
                    },
                )?;
                e.agenda_insert(
                    1,
                    &AgendaItem {
                        doc: None,
                        title: "Різне".into(),
                    },
                )
            }),
            Box::new(|e| {
                e.agenda_remove(0)?;
                e.agenda_insert(
                    1,
                    &AgendaItem {
                        doc: None,
                        title: "Звіт".into(),
                    },
                )
            }),
            Box::new(|e| e.set_published(true)),
            Box::new(|e| e.set_published(false)),
        ],
    );
    let titles: Vec<String> = there
        .agenda()
        .expect("items")
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["Різне", "Звіт"]);
    assert!(!there.published());
}

#[test]
fn two_authors_deleting_the_same_text_concurrently_converge() {
    let f = fx();
    let (mut a, first) = drafted(&f);
    let mut b = Document::new(&f.log, f.draft).expect("doc");
    b.receive(&f.log, wire(&first)).expect("applies");
    let (_, x) = a
        .edit(&f.log, &author(), 2, |e| {
            e.splice(TextField::Body, 0, 8, "А")
        })
        .expect("edit");
    let (_, y) = b
        .edit(&f.log, &co_author(), 2, |e| {
            e.splice(TextField::Body, 2, 8, "Б")
        })
        .expect("edit");
    a.receive(&f.log, wire(&y.expect("a change")))
        .expect("applies");
    b.receive(&f.log, wire(&x.expect("a change")))
        .expect("applies");
    assert_eq!(a.text(TextField::Body), b.text(TextField::Body));
    still_works(&f.log, &mut a, &author());
}

// ---- Panics and sizes ------------------------------------------------------------------------

#[test]
fn a_panic_during_an_edit_is_an_error_and_changes_nothing() {
    let f = fx();
    let (mut d, _) = drafted(&f);
    let heads = d.heads();
    let r = d.edit(&f.log, &author(), 2, |e| -> Result<(), EditError> {
        e.splice(TextField::Body, 0, 0, "half")?;
        panic!("a bug inside the edit")
    });
    assert_eq!(r.map(|_| ()), Err(EditError::Panicked("editing")));
    assert_eq!(d.heads(), heads);
    assert_eq!(d.text(TextField::Body).as_deref(), Ok("Пункт 1\nПункт 2\n"));
    still_works(&f.log, &mut d, &author());
    assert_eq!(
        guard("reading", || -> Result<(), EditError> {
            panic!("inside automerge")
        }),
        Err(EditError::Panicked("reading"))
    );
}

#[test]
fn an_edit_larger_than_peers_accept_is_refused_by_its_author() {
    let f = fx();
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    let huge = "x".repeat(usize::try_from(MAX_CHANGE_OPS).expect("fits") + 1);
    let r = d.edit(&f.log, &author(), 1, |e| e.set_text(TextField::Body, &huge));
    assert!(matches!(r, Err(EditError::TooLarge { .. })));
    assert_eq!(d.text(TextField::Body).as_deref(), Ok(""));
    assert!(d.changes().is_empty());
}

// ---- Bombs in the bytes ----------------------------------------------------------------------

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A change chunk by hand: one actor, seq 1, start op 1, and `columns` (spec, bytes).
fn hand_made(chunk_type: u8, columns: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut data = Vec::new();
    uleb(&mut data, 0); // no dependencies
    let actor = author().actor_bytes();
    uleb(&mut data, actor.len() as u64);
    data.extend_from_slice(&actor);
    uleb(&mut data, 1); // seq
    uleb(&mut data, 1); // start op
    sleb(&mut data, 0); // time
    uleb(&mut data, 0); // message
    uleb(&mut data, 0); // other actors
    uleb(&mut data, columns.len() as u64);
    for (spec, bytes) in columns {
        uleb(&mut data, u64::from(*spec));
        uleb(&mut data, bytes.len() as u64);
    }
    for (_, bytes) in columns {
        data.extend_from_slice(bytes);
    }
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, chunk_type];
    uleb(&mut chunk, data.len() as u64);
    chunk.extend_from_slice(&data);
    chunk
}

/// A run of `n` copies of `value` (unsigned) in a run-length encoded column.
fn run(n: i64, value: u64) -> Vec<u8> {
    let mut v = Vec::new();
    sleb(&mut v, n);
    uleb(&mut v, value);
    v
}

/// The wire form of a signed change of the author's, with its chunk replaced by `chunk`.
fn enveloped(chunk: &[u8]) -> Vec<u8> {
    let f = fx();
    let (_, signed) = drafted(&f);
    let mut w = Writer::new();
    w.hash(&signed.council())
        .hash(&signed.doc())
        .raw(signed.author().as_bytes())
        .list(signed.log_heads(), |w, h| {
            w.hash(h);
        })
        .bytes(chunk)
        .raw(&signed.signature().0);
    w.finish()
}

const HUGE: i64 = 1 << 40;

#[test]
fn a_change_claiming_two_to_the_forty_operations_in_a_few_bytes_is_refused() {
    let mut key = run(HUGE, 1);
    key.push(b'x');
    let chunk = hand_made(
        1,
        &[
            (0x15, key), // key "x", 2^40 times
            (0x34, {
                let mut v = Vec::new();
                uleb(&mut v, 1 << 40); // insert: false, 2^40 times
                v
            }),
            (0x42, run(HUGE, 1)), // action: put, 2^40 times
            (0x56, run(HUGE, 0)), // value: null, 2^40 times
            (0x70, run(HUGE, 0)), // no predecessors, 2^40 times
        ],
    );
    assert!(chunk.len() < 150, "{} bytes", chunk.len());
    assert_eq!(chunk::prescan(&chunk), Err(chunk::ChunkRefused::TooManyOps));
    assert_eq!(
        SignedChange::from_bytes(&enveloped(&chunk)).map(|_| ()),
        Err(ChangeDecodeError::TooManyOps)
    );
    // The action column alone, and a literal run whose count would overflow, too.
    let alone = hand_made(1, &[(0x42, run(HUGE, 1))]);
    assert_eq!(chunk::prescan(&alone), Err(chunk::ChunkRefused::TooManyOps));
    let most_negative = hand_made(1, &[(0x42, run(i64::MIN, 1))]);
    assert_eq!(
        chunk::prescan(&most_negative),
        Err(chunk::ChunkRefused::TooManyOps)
    );
}

#[test]
fn a_predecessor_list_of_two_to_the_forty_entries_is_refused() {
    // automerge collects an operation's predecessors into a vector before checking them.
    let mut key = run(1, 1);
    key.push(b'x');
    let chunk = hand_made(
        1,
        &[
            (0x15, key), // key "x"
            (0x34, {
                let mut v = Vec::new();
                uleb(&mut v, 1); // not an insertion
                v
            }),
            (0x42, run(1, 3)),       // one deletion
            (0x56, run(1, 0)),       // no value
            (0x70, run(1, 1 << 40)), // naming 2^40 predecessors
            (0x71, run(HUGE, 0)),
            (0x73, {
                let mut v = Vec::new();
                sleb(&mut v, HUGE);
                sleb(&mut v, 1);
                v
            }),
        ],
    );
    assert_eq!(
        SignedChange::from_bytes(&enveloped(&chunk)).map(|_| ()),
        Err(ChangeDecodeError::TooManyOps)
    );
}

#[test]
fn a_string_declaring_a_gigabyte_in_a_few_bytes_is_refused() {
    // automerge would allocate the declared length before reading it.
    let mut key = Vec::new();
    sleb(&mut key, 1);
    uleb(&mut key, 999_999_999);
    key.push(b'x');
    let chunk = hand_made(1, &[(0x15, key), (0x42, run(1, 1))]);
    assert_eq!(
        SignedChange::from_bytes(&enveloped(&chunk)).map(|_| ()),
        Err(ChangeDecodeError::Layout("truncated"))
    );
}

#[test]
fn chunks_council_never_writes_are_refused_before_automerge() {
    let marks = hand_made(1, &[(0x42, run(1, 7)), (0xa5, run(1, 0))]);
    assert_eq!(
        chunk::prescan(&marks),
        Err(chunk::ChunkRefused::Layout("a column Council never writes"))
    );
    let compressed_column = hand_made(1, &[(0x42 | 0x08, run(1, 1))]);
    assert_eq!(
        chunk::prescan(&compressed_column),
        Err(chunk::ChunkRefused::Layout("a column Council never writes"))
    );
    let document = hand_made(0, &[]);
    assert_eq!(
        SignedChange::from_bytes(&enveloped(&document)).map(|_| ()),
        Err(ChangeDecodeError::ChunkType(0))
    );
    let mut trailing = hand_made(1, &[(0x42, run(1, 1))]);
    trailing.push(0);
    assert_eq!(
        chunk::prescan(&trailing),
        Err(chunk::ChunkRefused::Layout("chunk length"))
    );
    let values = hand_made(1, &[(0x42, run(1, 1)), (0x56, run(1, 1 << 40 | 6))]);
    assert_eq!(
        chunk::prescan(&values),
        Err(chunk::ChunkRefused::Layout(
            "values longer than their column"
        ))
    );
}
