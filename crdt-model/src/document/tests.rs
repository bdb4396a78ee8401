use super::*;
use crate::identity::Device;
use crate::log::{AmendmentStatus, DocSpec, OpBody, OpId};
use crate::rules::DraftStatus;
use crate::sample::{SampleCouncil, device};

const T: u64 = 1_800_000_000_000;

struct Fx {
    c: SampleCouncil,
    log: CouncilLog,
    draft: DocId,
}

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

/// Device `d` of deputy number `i` (persons 2.. in the sample council).
fn dep(i: u32, d: u8) -> Device {
    device(i + 2, d)
}

fn type_text(
    doc: &mut Document,
    log: &CouncilLog,
    dev: &Device,
    pos: usize,
    text: &str,
) -> SignedChange {
    doc.edit(log, dev, 1, |e| e.splice(TextField::Body, pos, 0, text))
        .expect("edit allowed")
        .1
        .expect("a change")
}

#[test]
fn the_first_change_is_identical_on_every_peer() {
    let f = fx();
    let a = Document::new(&f.log, f.draft).expect("doc");
    let b = Document::new(&f.log, f.draft).expect("doc");
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.text(TextField::Body).as_deref(), Ok(""));
}

#[test]
fn an_authors_change_is_applied_by_another_peer() {
    let f = fx();
    let mut a = Document::new(&f.log, f.draft).expect("doc");
    let mut b = Document::new(&f.log, f.draft).expect("doc");
    let ch = type_text(&mut a, &f.log, &dep(0, 1), 0, "Про бюджет громади");
    let wire = SignedChange::from_bytes(&ch.to_bytes()).expect("parses");
    assert!(matches!(
        b.receive(&f.log, wire),
        Ok(Received::Applied { .. })
    ));
    assert_eq!(b.text(TextField::Body).as_deref(), Ok("Про бюджет громади"));
    assert_eq!(a.heads(), b.heads());
}

#[test]
fn a_deputy_who_is_not_an_author_cannot_edit_a_draft() {
    let f = fx();
    let mut a = Document::new(&f.log, f.draft).expect("doc");
    let r = a.edit(&f.log, &dep(4, 1), 1, |e| {
        e.splice(TextField::Body, 0, 0, "x")
    });
    assert_eq!(
        r.map(|_| ()),
        Err(EditError::Unauthorized(Unauthorized::NotAnAuthor))
    );
    assert_eq!(a.text(TextField::Body).as_deref(), Ok(""));
}

#[test]
fn a_change_from_a_non_author_is_refused_when_received() {
    let f = fx();
    // The intruder edits a private copy whose log says nothing against it.
    let mut intruder_copy =
        Document::with_kind(f.log.council_id(), f.draft, DocKind::Draft).expect("doc");
    let mut tx_doc = Document::new(&f.log, f.draft).expect("doc");
    let dev = dep(4, 1);
    intruder_copy
        .doc
        .set_actor(automerge::ActorId::from(&dev.actor_bytes()[..]));
    let mut tx = intruder_copy.doc.transaction();
    let body = schema::obj(&tx_doc.doc, "body").expect("body");
    automerge::transaction::Transactable::splice_text(&mut tx, &body, 0, 0, "вторгнення")
        .expect("splice");
    let (h, _) = tx.commit();
    let change = intruder_copy
        .doc
        .get_change_by_hash(&h.expect("hash"))
        .expect("change");
    let signed = SignedChange::sign(
        dev.key(),
        f.log.council_id(),
        f.draft,
        f.log.heads(),
        change,
    );
    assert_eq!(
        tx_doc.receive(&f.log, signed),
        Err(ChangeRejected::Unauthorized(Unauthorized::NotAnAuthor))
    );
    assert_eq!(tx_doc.text(TextField::Body).as_deref(), Ok(""));
}

fn foreign_change(
    f: &Fx,
    dev: &Device,
    signer: &crate::identity::SecretKey,
    doc: DocId,
    heads: Vec<OpId>,
) -> SignedChange {
    let mut d = Document::with_kind(f.log.council_id(), f.draft, DocKind::Draft).expect("doc");
    d.doc
        .set_actor(automerge::ActorId::from(&dev.actor_bytes()[..]));
    let body = schema::obj(&d.doc, "body").expect("body");
    let mut tx = d.doc.transaction();
    automerge::transaction::Transactable::splice_text(&mut tx, &body, 0, 0, "x").expect("splice");
    let (h, _) = tx.commit();
    let change = d.doc.get_change_by_hash(&h.expect("hash")).expect("change");
    SignedChange::sign(signer, f.log.council_id(), doc, heads, change)
}

#[test]
fn an_observers_change_is_refused() {
    let f = fx();
    let obs = device(999, 1);
    let ch = foreign_change(&f, &obs, obs.key(), f.draft, f.log.heads());
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    assert!(matches!(
        d.receive(&f.log, ch),
        Err(ChangeRejected::Unauthorized(Unauthorized::ReadOnly(_)))
    ));
}

#[test]
fn a_change_whose_actor_belongs_to_someone_else_is_refused() {
    let f = fx();
    // Deputy 0's device made it, deputy 1 signs it.
    let ch = foreign_change(&f, &dep(0, 1), &f.c.deputies[1], f.draft, f.log.heads());
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    assert_eq!(d.receive(&f.log, ch), Err(ChangeRejected::ActorNotBound));
}

#[test]
fn a_change_with_a_bad_signature_is_refused() {
    let f = fx();
    let ch = foreign_change(&f, &dep(0, 1), &f.c.deputies[0], f.draft, f.log.heads());
    let mut bytes = ch.to_bytes();
    let n = bytes.len();
    bytes[n - 5] ^= 0x40;
    let forged = SignedChange::from_bytes(&bytes).expect("parses");
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    assert!(matches!(
        d.receive(&f.log, forged),
        Err(ChangeRejected::BadSignature(_))
    ));
}

#[test]
fn a_change_signed_for_one_document_is_never_accepted_into_another() {
    let mut f = fx();
    let other = f
        .log
        .create(
            &f.c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
            T + 1,
        )
        .expect("second draft")
        .id();
    let ch = foreign_change(&f, &dep(0, 1), &f.c.deputies[0], f.draft, f.log.heads());
    let mut d = Document::new(&f.log, other).expect("doc");
    assert_eq!(
        d.receive(&f.log, ch.clone()),
        Err(ChangeRejected::WrongDocument)
    );
    // Rewriting the document id in the envelope breaks the signature.
    let mut bytes = ch.to_bytes();
    bytes[32..64].copy_from_slice(&other.0);
    let moved = SignedChange::from_bytes(&bytes).expect("parses");
    assert!(matches!(
        d.receive(&f.log, moved),
        Err(ChangeRejected::BadSignature(_))
    ));
}

#[test]
fn a_change_of_another_council_is_refused() {
    let f = fx();
    let (other, other_log) = SampleCouncil::new(5, 2).expect("council");
    let _ = other;
    let ch = foreign_change(&f, &dep(0, 1), &f.c.deputies[0], f.draft, other_log.heads());
    let mut bytes = ch.to_bytes();
    bytes[..32].copy_from_slice(&other_log.council_id().0);
    let moved = SignedChange::from_bytes(&bytes).expect("parses");
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    assert_eq!(d.receive(&f.log, moved), Err(ChangeRejected::WrongCouncil));
}

#[test]
fn malformed_envelopes_and_changes_are_decode_errors() {
    assert!(SignedChange::from_bytes(&[]).is_err());
    let f = fx();
    let ch = foreign_change(&f, &dep(0, 1), &f.c.deputies[0], f.draft, f.log.heads());
    let mut bytes = ch.to_bytes();
    // Corrupt a byte inside the automerge change: the pre-scan or automerge refuses it.
    let mid = bytes.len() - 64 - 10;
    bytes[mid] ^= 0xff;
    assert!(matches!(
        SignedChange::from_bytes(&bytes),
        Err(ChangeDecodeError::Change(_))
            | Err(ChangeDecodeError::Envelope(_))
            | Err(ChangeDecodeError::Layout(_))
            | Err(ChangeDecodeError::TooManyOps)
    ));
    let n = bytes.len();
    assert!(SignedChange::from_bytes(&bytes[..n - 1]).is_err());
}

#[test]
fn a_removed_members_later_change_is_refused() {
    let mut f = fx();
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    let dev = dep(0, 1);
    f.log
        .create(
            &f.c.secretary,
            OpBody::RemoveMember {
                member: dev.member_id(),
            },
            T,
        )
        .expect("removed");
    assert_eq!(
        d.edit(&f.log, &dev, 1, |e| e.splice(TextField::Body, 0, 0, "x"))
            .map(|_| ()),
        Err(EditError::Unauthorized(Unauthorized::Removed(
            dev.member_id()
        )))
    );
    let ch = foreign_change(&f, &dev, dev.key(), f.draft, f.log.heads());
    assert_eq!(
        d.receive(&f.log, ch),
        Err(ChangeRejected::Unauthorized(Unauthorized::Removed(
            dev.member_id()
        )))
    );
}

#[test]
fn a_removed_member_cannot_backdate_a_change_past_their_removal() {
    let mut f = fx();
    let mut author_doc = Document::new(&f.log, f.draft).expect("doc");
    let old_heads = f.log.heads();
    let removed = dep(0, 1);
    f.log
        .create(
            &f.c.secretary,
            OpBody::RemoveMember {
                member: removed.member_id(),
            },
            T,
        )
        .expect("removed");
    // The co-author writes after the removal; the removed member builds on it but names the
    // log heads from before the removal.
    let co = type_text(&mut author_doc, &f.log, &dep(1, 1), 0, "текст");
    let mut their = Document::new(&f.log, f.draft).expect("doc");
    their
        .receive(&f.log, co.clone())
        .expect("co-author's change applies");
    their
        .doc
        .set_actor(automerge::ActorId::from(&removed.actor_bytes()[..]));
    let body = schema::obj(&their.doc, "body").expect("body");
    let mut tx = their.doc.transaction();
    automerge::transaction::Transactable::splice_text(&mut tx, &body, 0, 0, "!").expect("splice");
    let (h, _) = tx.commit();
    let change = their
        .doc
        .get_change_by_hash(&h.expect("hash"))
        .expect("change");
    let backdated = SignedChange::sign(
        removed.key(),
        f.log.council_id(),
        f.draft,
        old_heads,
        change,
    );
    assert_eq!(
        author_doc.receive(&f.log, backdated),
        Err(ChangeRejected::LogRegression)
    );
    assert_eq!(author_doc.text(TextField::Body).as_deref(), Ok("текст"));
}

#[test]
fn a_change_waits_for_its_dependency_then_applies() {
    let f = fx();
    let mut a = Document::new(&f.log, f.draft).expect("doc");
    let first = type_text(&mut a, &f.log, &dep(0, 1), 0, "перший ");
    let second = type_text(&mut a, &f.log, &dep(0, 1), 7, "другий");
    let mut b = Document::new(&f.log, f.draft).expect("doc");
    assert_eq!(b.receive(&f.log, second.clone()), Ok(Received::Pending));
    assert_eq!(b.pending_len(), 1);
    assert!(
        matches!(b.receive(&f.log, first), Ok(Received::Applied { released, .. }) if released == vec![second.hash()])
    );
    assert_eq!(b.text(TextField::Body).as_deref(), Ok("перший другий"));
}

#[test]
fn a_change_naming_unknown_log_operations_waits_for_them() {
    let (c, log) = SampleCouncil::new(10, 6).expect("council");
    let mut ahead = c.replica().expect("replica");
    let draft = ahead
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
            T,
        )
        .expect("draft");
    let mut a = Document::new(&ahead, draft.id()).expect("doc");
    let ch = type_text(&mut a, &ahead, &dep(0, 1), 0, "x");
    let mut behind = log;
    let mut b = Document::with_kind(behind.council_id(), draft.id(), DocKind::Draft).expect("doc");
    assert_eq!(b.receive(&behind, ch), Ok(Received::Pending));
    behind.insert(draft).expect("op arrives");
    let (released, refused) = b.retry(&behind);
    assert_eq!(released.len(), 1);
    assert!(refused.is_empty());
    assert_eq!(b.text(TextField::Body).as_deref(), Ok("x"));
}

#[test]
fn two_devices_of_one_person_edit_concurrently_and_converge() {
    let f = fx();
    let mut laptop = Document::new(&f.log, f.draft).expect("doc");
    let mut tablet = Document::new(&f.log, f.draft).expect("doc");
    let a = type_text(&mut laptop, &f.log, &dep(0, 1), 0, "ноутбук ");
    let b = type_text(&mut tablet, &f.log, &dep(0, 2), 0, "планшет ");
    laptop.receive(&f.log, b).expect("applies");
    tablet.receive(&f.log, a).expect("applies");
    assert_eq!(laptop.text(TextField::Body), tablet.text(TextField::Body));
    assert_eq!(laptop.writers().len(), 2);
    assert!(
        laptop
            .writers()
            .iter()
            .all(|(m, _)| *m == f.c.deputies[0].member_id())
    );
}

#[test]
fn a_cloned_device_writing_twice_under_one_actor_voids_both_in_either_order() {
    // Two copies of one device (one actor) each sign change number 1; a co-author then builds
    // on the first. Every peer, whatever arrived first, ends with neither and without what
    // builds on them, and holds the pair as proof.
    let f = fx();
    let mut original = Document::new(&f.log, f.draft).expect("doc");
    let mut restored_copy = Document::new(&f.log, f.draft).expect("doc");
    let same_device = dep(0, 1);
    let a = type_text(&mut original, &f.log, &same_device, 0, "оригінал");
    let b = type_text(&mut restored_copy, &f.log, &same_device, 0, "копія");
    let mut coauthor = Document::new(&f.log, f.draft).expect("doc");
    coauthor.receive(&f.log, a.clone()).expect("applies");
    let c = type_text(&mut coauthor, &f.log, &dep(1, 1), 0, "співавтор ");
    let honest = type_text(
        &mut Document::new(&f.log, f.draft).expect("doc"),
        &f.log,
        &dep(1, 2),
        0,
        "окремо",
    );
    let orders: [Vec<&SignedChange>; 3] = [
        vec![&a, &c, &honest, &b],
        vec![&b, &a, &c, &honest],
        vec![&honest, &c, &b, &a],
    ];
    let mut results = Vec::new();
    for order in orders {
        let mut d = Document::new(&f.log, f.draft).expect("doc");
        let mut proof_seen = false;
        for ch in order {
            // The others apply, wait or are refused (building on a voided change).
            if let Ok(Received::Equivocation { .. }) = d.receive(&f.log, ch.clone()) {
                proof_seen = true;
            }
        }
        assert!(proof_seen, "the second of the pair is taken as proof");
        assert_eq!(d.text(TextField::Body).as_deref(), Ok("окремо"));
        assert_eq!(d.evidence().len(), 2);
        // A third copy under the same actor and number is refused outright; the proof again
        // is a duplicate, not a refusal.
        assert_eq!(d.receive(&f.log, a.clone()), Ok(Received::Duplicate));
        assert_eq!(d.receive(&f.log, b.clone()), Ok(Received::Duplicate));
        results.push((d.heads(), d.text(TextField::Body)));
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn the_secretary_may_edit_any_draft_and_the_referred_committee_may_too() {
    let mut f = fx();
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    assert!(
        d.edit(&f.log, &device(0, 1), 1, |e| e.splice(
            TextField::Title,
            0,
            0,
            "Про"
        ))
        .is_ok()
    );
    // Deputy 1 is in committee 0 ... but is also a co-author; use deputy 2 (committee 0).
    let member = dep(2, 1);
    assert!(
        d.edit(&f.log, &member, 1, |e| e.splice(TextField::Body, 0, 0, "x"))
            .is_err()
    );
    f.log
        .create(
            &f.c.deputies[0],
            OpBody::SetDraftStatus {
                draft: f.draft,
                status: DraftStatus::Submitted,
                committee: None,
            },
            T,
        )
        .expect("submitted");
    f.log
        .create(
            &f.c.secretary,
            OpBody::SetDraftStatus {
                draft: f.draft,
                status: DraftStatus::InCommittee,
                committee: Some(f.c.committees[0]),
            },
            T,
        )
        .expect("referred");
    assert!(
        d.edit(&f.log, &member, 1, |e| e.splice(TextField::Body, 0, 0, "x"))
            .is_ok()
    );
}

#[test]
fn an_adopted_draft_can_no_longer_be_edited() {
    let mut f = fx();
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    for (who, s) in [
        (&f.c.deputies[0], DraftStatus::Submitted),
        (&f.c.secretary, DraftStatus::OnAgenda),
        (&f.c.chair, DraftStatus::Adopted),
    ] {
        f.log
            .create(
                who,
                OpBody::SetDraftStatus {
                    draft: f.draft,
                    status: s,
                    committee: None,
                },
                T,
            )
            .expect("step");
    }
    assert_eq!(
        d.edit(&f.log, &dep(0, 1), 1, |e| e.splice(
            TextField::Body,
            0,
            0,
            "x"
        ))
        .map(|_| ()),
        Err(EditError::Unauthorized(Unauthorized::Closed("adopted")))
    );
}

#[test]
fn only_its_author_edits_an_amendment_and_only_while_proposed() {
    let mut f = fx();
    let a = f
        .log
        .create(
            &f.c.deputies[3],
            OpBody::CreateDocument {
                spec: DocSpec::Amendment {
                    draft: f.draft,
                    from_line: 1,
                    to_line: 2,
                },
            },
            T,
        )
        .expect("amendment")
        .id();
    let mut d = Document::new(&f.log, a).expect("doc");
    assert!(
        d.edit(&f.log, &dep(3, 1), 1, |e| e
            .set_text(TextField::Body, "нова редакція"))
            .is_ok()
    );
    assert!(
        d.edit(&f.log, &dep(0, 1), 1, |e| e.set_text(TextField::Body, "x"))
            .is_err()
    );
    f.log
        .create(
            &f.c.secretary,
            OpBody::SetAmendmentStatus {
                amendment: a,
                status: AmendmentStatus::Rejected,
            },
            T,
        )
        .expect("decided");
    assert!(
        d.edit(&f.log, &dep(3, 1), 1, |e| e.set_text(TextField::Body, "y"))
            .is_err()
    );
}

#[test]
fn a_note_is_written_only_by_its_owner() {
    let mut f = fx();
    let n = f
        .log
        .create(
            &f.c.deputies[2],
            OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
            T,
        )
        .expect("note")
        .id();
    let mut d = Document::new(&f.log, n).expect("doc");
    assert!(
        d.edit(&f.log, &dep(2, 1), 1, |e| e
            .set_text(TextField::Body, "мої нотатки"))
            .is_ok()
    );
    assert!(
        d.edit(&f.log, &device(0, 1), 1, |e| e
            .set_text(TextField::Body, "x"))
            .is_err()
    );
}

#[test]
fn history_names_who_changed_what_and_diffs_by_paragraph() {
    let f = fx();
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    type_text(&mut d, &f.log, &dep(0, 1), 0, "Пункт 1\nПункт 2\n");
    let v1 = d.heads();
    d.edit(&f.log, &dep(1, 1), 2, |e| {
        e.set_text(TextField::Body, "Пункт 1\nПункт 2, змінений\nПункт 3\n")
    })
    .expect("co-author edits");
    let v2 = d.heads();
    let hist = d.history_at(&v2).expect("known");
    assert_eq!(hist.len(), 2);
    assert_eq!(hist[0].author, f.c.deputies[0].member_id());
    assert_eq!(hist[1].author, f.c.deputies[1].member_id());
    let between = d.changes_between(&v1, &v2).expect("known");
    assert_eq!(between.len(), 1);
    assert_eq!(between[0].author, f.c.deputies[1].member_id());
    let diff = d.diff(TextField::Body, &v1, &v2).expect("diff");
    assert_eq!(
        diff,
        vec![
            ParagraphDiff::Same("Пункт 1".into()),
            ParagraphDiff::Removed("Пункт 2".into()),
            ParagraphDiff::Added("Пункт 2, змінений".into()),
            ParagraphDiff::Added("Пункт 3".into()),
        ]
    );
    assert_eq!(
        d.text_at(TextField::Body, &v1).as_deref(),
        Ok("Пункт 1\nПункт 2\n")
    );
    assert_eq!(
        d.text_at(TextField::Body, &[automerge::ChangeHash([9; 32])]),
        Err(EditError::UnknownVersion)
    );
}

#[test]
fn the_agenda_keeps_its_items_in_order() {
    let mut f = fx();
    let ag = f
        .log
        .create(
            &f.c.secretary,
            OpBody::CreateDocument {
                spec: DocSpec::Agenda {
                    label: "Сесія 3".into(),
                    committee: None,
                },
            },
            T,
        )
        .expect("agenda")
        .id();
    let mut d = Document::new(&f.log, ag).expect("doc");
    let sec = device(0, 1);
    d.edit(&f.log, &sec, 1, |e| {
        e.agenda_insert(
            0,
            &AgendaItem {
                doc: Some(f.draft),
                title: "Про бюджет".into(),
            },
        )?;
        e.agenda_insert(
            1,
            &AgendaItem {
                doc: None,
                title: "Різне".into(),
            },
        )?;
        e.agenda_insert(
            1,
            &AgendaItem {
                doc: None,
                title: "Звіт".into(),
            },
        )
    })
    .expect("edits");
    d.edit(&f.log, &sec, 2, |e| e.agenda_remove(2))
        .expect("remove");
    let items = d.agenda().expect("items");
    assert_eq!(
        items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        ["Про бюджет", "Звіт"]
    );
    assert_eq!(items[0].doc, Some(f.draft));
    assert!(
        d.edit(&f.log, &dep(0, 1), 3, |e| e.agenda_remove(0))
            .is_err()
    );
}

#[test]
fn a_failed_edit_leaves_the_document_unchanged() {
    let f = fx();
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    type_text(&mut d, &f.log, &dep(0, 1), 0, "abc");
    let r = d.edit(&f.log, &dep(0, 1), 2, |e| {
        e.splice(TextField::Body, 0, 0, "zz")?;
        e.splice(TextField::Body, 99, 1, "")
    });
    assert!(matches!(r, Err(EditError::OutOfRange { .. })));
    assert_eq!(d.text(TextField::Body).as_deref(), Ok("abc"));
    assert_eq!(d.changes().len(), 1);
}

#[test]
fn a_peer_is_sent_exactly_the_changes_after_its_version() {
    let f = fx();
    let mut d = Document::new(&f.log, f.draft).expect("doc");
    type_text(&mut d, &f.log, &dep(0, 1), 0, "a");
    let v1 = d.heads();
    let second = type_text(&mut d, &f.log, &dep(0, 1), 1, "b");
    let after: Vec<ChangeHash> = d.changes_after(&v1).iter().map(|c| c.hash()).collect();
    assert_eq!(after, vec![second.hash()]);
    assert_eq!(d.changes_after(&[]).len(), 2);
}

#[test]
fn an_edit_typed_against_an_older_version_lands_where_it_was_typed() {
    let f = fx();
    let mut a = Document::new(&f.log, f.draft).expect("doc");
    let mut b = Document::new(&f.log, f.draft).expect("doc");
    let first = type_text(&mut a, &f.log, &dep(0, 1), 0, "Бюджет міста");
    b.receive(&f.log, first).expect("applies");
    // What the first author's editor shows:
    let shown = a.heads();
    // Meanwhile the co-author inserts a word before the cursor of the first author.
    let theirs = type_text(&mut b, &f.log, &dep(1, 1), 7, "нашого ");
    a.receive(&f.log, theirs).expect("applies");
    assert_eq!(
        a.text(TextField::Body).as_deref(),
        Ok("Бюджет нашого міста")
    );
    // The first author, still looking at "Бюджет міста", appends at its end and replaces the
    // first word: both land where they were typed.
    a.edit(&f.log, &dep(0, 1), 2, |e| {
        e.splice_from(TextField::Body, &shown, 12, 0, " на 2027 рік")?;
        e.splice_from(TextField::Body, &shown, 0, 6, "Кошторис")
    })
    .expect("edit allowed");
    assert_eq!(
        a.text(TextField::Body).as_deref(),
        Ok("Кошторис нашого міста на 2027 рік")
    );
    let r = a.edit(&f.log, &dep(0, 1), 3, |e| {
        e.splice_from(TextField::Body, &shown, 13, 0, "x")
    });
    assert!(matches!(r, Err(EditError::OutOfRange { .. })));
}

#[test]
fn a_published_agenda_says_so() {
    let f = fx();
    let mut log = f.log;
    let agenda = log
        .create(
            &f.c.secretary,
            OpBody::CreateDocument {
                spec: DocSpec::Agenda {
                    label: "Сесія 3".into(),
                    committee: None,
                },
            },
            T + 1,
        )
        .expect("agenda")
        .id();
    let mut doc = Document::new(&log, agenda).expect("doc");
    assert!(!doc.published());
    doc.edit(&log, &device(0, 1), 1, |e| e.set_published(true))
        .expect("the secretary publishes");
    assert!(doc.published());
    let mut draft = Document::new(&log, f.draft).expect("doc");
    let r = draft.edit(&log, &dep(0, 1), 1, |e| e.set_published(true));
    assert!(matches!(r, Err(EditError::NoSuchField(_))));
}
