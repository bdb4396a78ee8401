//! Changes by a member whose removal (or change of roles) they had not seen: held, stored and
//! passed on, applied only if a change in good standing builds on them; the same in any order.

use super::*;
use crate::log::{DocSpec, OpBody, SignedOp};
use crate::sample::{SampleCouncil, device};

const T: u64 = 1_800_000_000_000;

/// A draft by deputy 0 with deputy 1 as co-author, and the log heads right after it.
fn setup() -> (SampleCouncil, CouncilLog, DocId) {
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
    (c, log, draft)
}

fn typed(
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

fn removal(log: &CouncilLog, c: &SampleCouncil, who: &crate::SecretKey) -> SignedOp {
    crate::log::LogOp {
        council: log.council_id(),
        author: c.secretary.member_id(),
        parents: log.heads(),
        time_ms: T + 1,
        body: OpBody::RemoveMember {
            member: who.member_id(),
        },
    }
    .sign(&c.secretary)
}

/// Delivers the log operations, then `changes`, in every order that places the removal before,
/// between and after them; returns the body text each order ends with.
fn texts(
    c: &SampleCouncil,
    base: &CouncilLog,
    draft: DocId,
    r: &SignedOp,
    changes: &[SignedChange],
) -> Vec<String> {
    let mut out = Vec::new();
    for cut in 0..=changes.len() {
        for reversed in [false, true] {
            let mut log = CouncilLog::new(c.genesis.clone());
            for op in base.ops() {
                log.insert(op.clone()).expect("op");
            }
            let mut doc = Document::new(&log, draft).expect("doc");
            let mut order: Vec<&SignedChange> = changes.iter().collect();
            if reversed {
                order.reverse();
            }
            for (i, ch) in order.iter().enumerate() {
                if i == cut {
                    log.insert(r.clone()).expect("removal");
                    doc.rejudge(&log);
                }
                let _ = doc.receive(&log, (*ch).clone());
            }
            if cut == changes.len() {
                log.insert(r.clone()).expect("removal");
                doc.rejudge(&log);
            }
            out.push(doc.text(TextField::Body).expect("readable"));
        }
    }
    out
}

#[test]
fn a_removed_co_authors_backdated_edit_has_no_effect_in_any_order() {
    //   log:  … ── draft ── R (secretary removes the co-author)
    //   doc:  the co-author types "ПІДРОБКА", naming the log heads from before R
    let (c, log, draft) = setup();
    let mut theirs = Document::new(&log, draft).expect("doc");
    let forged = typed(&mut theirs, &log, &device(3, 1), 0, "ПІДРОБКА");
    let r = removal(&log, &c, &c.deputies[1]);
    let all = texts(&c, &log, draft, &r, std::slice::from_ref(&forged));
    assert!(all.iter().all(|t| t.is_empty()), "{all:?}");
    // Held and passed on (peers need it to agree), but not applied.
    let mut with = log_with(&c, &log, &r);
    let mut doc = Document::new(&with, draft).expect("doc");
    assert!(matches!(
        doc.receive(&with, forged.clone()),
        Ok(Received::Suspended { revocation }) if revocation == r.id()
    ));
    assert_eq!(doc.suspended().len(), 1);
    assert_eq!(doc.changes_after(&[]).len(), 1);
    assert_eq!(doc.receive(&with, forged), Ok(Received::Duplicate));
    with.insert(r).expect("duplicate is fine");
}

fn log_with(c: &SampleCouncil, base: &CouncilLog, r: &SignedOp) -> CouncilLog {
    let mut log = CouncilLog::new(c.genesis.clone());
    for op in base.ops() {
        log.insert(op.clone()).expect("op");
    }
    log.insert(r.clone()).expect("removal");
    log
}

#[test]
fn an_edit_the_author_built_on_before_learning_of_the_removal_stays_in_any_order() {
    //   doc:  co-author types "спільне " (concurrent with R) ── the author, in good standing,
    //         types after it (its change depends on the co-author's): it vouches for it.
    let (c, log, draft) = setup();
    let mut shared = Document::new(&log, draft).expect("doc");
    let theirs = typed(&mut shared, &log, &device(3, 1), 0, "спільне ");
    let mine = typed(&mut shared, &log, &device(2, 1), 8, "текст");
    let r = removal(&log, &c, &c.deputies[1]);
    let all = texts(&c, &log, draft, &r, &[theirs, mine]);
    assert!(all.iter().all(|t| t == "спільне текст"), "{all:?}");
}

#[test]
fn a_removal_that_turns_void_releases_what_it_held() {
    // The chair "removes" deputy 1 on heads from before the secretary removed the chair: the
    // chair's removal is void, so deputy 1's edits (which had not seen it) count.
    let (c, log, draft) = setup();
    let mut d = Document::new(&log, draft).expect("doc");
    let theirs = typed(&mut d, &log, &device(3, 1), 0, "залишається");
    let heads = log.heads();
    let by_chair = crate::log::LogOp {
        council: log.council_id(),
        author: c.chair.member_id(),
        parents: heads.clone(),
        time_ms: T + 1,
        body: OpBody::RemoveMember {
            member: c.deputies[1].member_id(),
        },
    }
    .sign(&c.chair);
    let chair_removed = crate::log::LogOp {
        council: log.council_id(),
        author: c.secretary.member_id(),
        parents: heads,
        time_ms: T + 2,
        body: OpBody::RemoveMember {
            member: c.chair.member_id(),
        },
    }
    .sign(&c.secretary);
    let mut l = CouncilLog::new(c.genesis.clone());
    for op in log.ops() {
        l.insert(op.clone()).expect("op");
    }
    l.insert(by_chair).expect("accepted at its heads");
    let mut doc = Document::new(&l, draft).expect("doc");
    doc.rejudge(&l);
    let _ = doc.receive(&l, theirs);
    assert_eq!(doc.text(TextField::Body).as_deref(), Ok(""));
    l.insert(chair_removed)
        .expect("the secretary removes the chair");
    doc.rejudge(&l);
    assert_eq!(doc.text(TextField::Body).as_deref(), Ok("залишається"));
}
