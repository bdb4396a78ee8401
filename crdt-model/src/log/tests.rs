use super::*;
use crate::hash::Hash;
use crate::roles::{Role, Roles};
use crate::rules::DraftStatus;
use crate::sample::{SampleCouncil, key};

const T: u64 = 1_800_000_000_000;

fn council() -> (SampleCouncil, CouncilLog) {
    SampleCouncil::new(10, 6).expect("sample council builds")
}

fn add(
    log: &mut CouncilLog,
    by: &SecretKey,
    n: u32,
    roles: &[Role],
) -> Result<SignedOp, OpRejected> {
    log.create(
        by,
        OpBody::AddMember {
            member: key(n).member_id(),
            name: format!("m{n}"),
            roles: Roles::of(roles),
        },
        T,
    )
}

fn op_on(log: &CouncilLog, by: &SecretKey, parents: Vec<OpId>, body: OpBody) -> SignedOp {
    LogOp {
        council: log.council_id(),
        author: by.member_id(),
        parents,
        time_ms: T,
        body,
    }
    .sign(by)
}

#[test]
fn the_secretary_adds_a_member_and_the_roster_shows_them() {
    let (c, mut log) = council();
    add(&mut log, &c.secretary, 50, &[Role::Deputy]).expect("allowed");
    assert_eq!(
        log.state().roles_of(&key(50).member_id()),
        Roles::of(&[Role::Deputy])
    );
}

#[test]
fn a_deputy_cannot_add_members() {
    let (c, mut log) = council();
    let r = add(&mut log, &c.deputies[0], 50, &[Role::Deputy]);
    assert!(matches!(
        r,
        Err(OpRejected::Unauthorized(Unauthorized::LacksRole { .. }))
    ));
    assert!(!log.state().members.contains_key(&key(50).member_id()));
}

#[test]
fn an_observer_cannot_sign_any_operation() {
    let (c, log) = council();
    let op = op_on(
        &log,
        &c.observer,
        log.heads(),
        OpBody::CreateDocument {
            spec: DocSpec::Note,
        },
    );
    let mut log = log;
    assert_eq!(
        log.insert(op),
        Err(OpRejected::Unauthorized(Unauthorized::ReadOnly(
            c.observer.member_id()
        )))
    );
}

#[test]
fn a_stranger_is_not_a_member() {
    let (_, mut log) = council();
    let stranger = key(4242);
    let op = op_on(
        &log,
        &stranger,
        log.heads(),
        OpBody::CreateDocument {
            spec: DocSpec::Note,
        },
    );
    assert_eq!(
        log.insert(op),
        Err(OpRejected::Unauthorized(Unauthorized::NotAMember(
            stranger.member_id()
        )))
    );
}

#[test]
fn an_operation_with_a_bad_signature_is_refused() {
    let (c, mut log) = council();
    let good = op_on(
        &log,
        &c.secretary,
        log.heads(),
        OpBody::CreateCommittee { name: "x".into() },
    );
    let mut bytes = good.to_bytes();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    let forged = SignedOp::from_bytes(&bytes).expect("still parses");
    assert!(matches!(
        log.insert(forged),
        Err(OpRejected::BadSignature(_))
    ));
    assert_eq!(log.len(), c.ops.len());
}

#[test]
fn an_operation_signed_by_someone_else_than_its_author_is_refused() {
    let (c, mut log) = council();
    let mut op = LogOp {
        council: log.council_id(),
        author: c.secretary.member_id(),
        parents: log.heads(),
        time_ms: T,
        body: OpBody::CreateCommittee { name: "x".into() },
    };
    op.parents.sort();
    let signed_by_deputy = op.clone().sign(&c.deputies[0]);
    assert!(matches!(
        log.insert(signed_by_deputy),
        Err(OpRejected::BadSignature(_))
    ));
}

#[test]
fn an_operation_of_another_council_is_refused() {
    let (c, mut log) = council();
    let op = LogOp {
        council: Hash::of(b"other", &[]),
        author: c.secretary.member_id(),
        parents: log.heads(),
        time_ms: T,
        body: OpBody::CreateCommittee { name: "x".into() },
    }
    .sign(&c.secretary);
    assert_eq!(log.insert(op), Err(OpRejected::WrongCouncil));
}

#[test]
fn malformed_operation_bytes_are_a_decode_error() {
    assert!(SignedOp::from_bytes(&[1, 2, 3]).is_err());
    assert!(SignedOp::from_bytes(&[]).is_err());
}

#[test]
fn a_removed_member_is_refused_for_what_follows_the_removal() {
    let (c, mut log) = council();
    let d = &c.deputies[0];
    log.create(
        &c.secretary,
        OpBody::RemoveMember {
            member: d.member_id(),
        },
        T,
    )
    .expect("removal allowed");
    let after = op_on(
        &log,
        d,
        log.heads(),
        OpBody::CreateDocument {
            spec: DocSpec::Draft { co_authors: vec![] },
        },
    );
    assert_eq!(
        log.insert(after),
        Err(OpRejected::Unauthorized(Unauthorized::Removed(
            d.member_id()
        )))
    );
}

#[test]
fn what_a_removed_member_did_before_the_removal_stays_and_what_is_concurrent_is_void() {
    let (c, mut log) = council();
    let d = c.deputies[0].clone();
    let before = log.heads();
    let draft = log
        .create(
            &d,
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
            T + 5,
        )
        .expect("deputy creates a draft");
    // Concurrent with the removal: built on the same heads as the removal.
    let concurrent = op_on(
        &log,
        &d,
        before.clone(),
        OpBody::CreateDocument {
            spec: DocSpec::Draft { co_authors: vec![] },
        },
    );
    let removal = op_on(
        &log,
        &c.secretary,
        vec![draft.id()],
        OpBody::RemoveMember {
            member: d.member_id(),
        },
    );
    log.insert(removal).expect("removal accepted");
    assert!(matches!(
        log.insert(concurrent.clone()),
        Ok(Inserted::Accepted { .. })
    ));
    assert!(log.state().documents.contains_key(&draft.id()));
    // Accepted (its author was a member at the heads it names) but void: the removal had not
    // seen it, and it cannot be told from one signed after the removal with old parents.
    assert!(log.get(&concurrent.id()).is_some());
    assert!(!log.state().documents.contains_key(&concurrent.id()));
    assert!(log.void_reason(&concurrent.id()).is_some());
    assert!(log.state().members[&d.member_id()].removed);
}

#[test]
fn an_operation_waits_for_its_parents_then_applies() {
    let (c, _) = council();
    let mut fresh = CouncilLog::new(c.genesis.clone());
    let last = c.ops.last().expect("ops").clone();
    assert!(matches!(
        fresh.insert(last.clone()),
        Ok(Inserted::Pending { .. })
    ));
    for op in c.ops.iter().rev().skip(1) {
        fresh.insert(op.clone()).expect("valid");
    }
    assert_eq!(fresh.len(), c.ops.len());
    assert_eq!(fresh.pending_len(), 0);
    assert_eq!(fresh.state(), c.replica().expect("replica").state());
}

#[test]
fn what_follows_a_refused_operation_is_refused_too() {
    let (c, mut log) = council();
    let bad = op_on(
        &log,
        &c.deputies[0],
        log.heads(),
        OpBody::CreateCommittee { name: "x".into() },
    );
    let child = op_on(
        &log,
        &c.secretary,
        vec![bad.id()],
        OpBody::CreateCommittee { name: "y".into() },
    );
    assert!(matches!(
        log.insert(child.clone()),
        Ok(Inserted::Pending { .. })
    ));
    assert!(log.insert(bad).is_err());
    assert!(log.refusal(&child.id()).is_some());
    assert_eq!(log.pending_len(), 0);
}

#[test]
fn a_duplicate_operation_is_recognised() {
    let (c, mut log) = council();
    assert_eq!(log.insert(c.ops[0].clone()), Ok(Inserted::Duplicate));
}

#[test]
fn concurrent_operations_of_two_admins_converge_in_either_order() {
    let (c, log) = council();
    let heads = log.heads();
    let a = op_on(
        &log,
        &c.secretary,
        heads.clone(),
        OpBody::SetRoles {
            member: c.deputies[1].member_id(),
            roles: Roles::of(&[Role::Deputy, Role::DeputyChair]),
        },
    );
    // The chair may set roles too (standard permissions).
    let b = op_on(
        &log,
        &c.chair,
        heads,
        OpBody::SetRoles {
            member: c.deputies[1].member_id(),
            roles: Roles::of(&[Role::Observer]),
        },
    );
    let mut x = c.replica().expect("replica");
    let mut y = c.replica().expect("replica");
    x.insert(a.clone()).expect("ok");
    x.insert(b.clone()).expect("ok");
    y.insert(b).expect("ok");
    y.insert(a).expect("ok");
    assert_eq!(x.state(), y.state());
    assert_eq!(x.heads(), y.heads());
}

#[test]
fn the_committee_head_must_be_a_member_of_it() {
    let (c, mut log) = council();
    let r = log.create(
        &c.secretary,
        OpBody::SetCommittee {
            committee: c.committees[0],
            members: vec![c.deputies[0].member_id()],
            head: Some(c.deputies[1].member_id()),
        },
        T,
    );
    assert!(matches!(
        r,
        Err(OpRejected::Unauthorized(Unauthorized::BadCommittee(_)))
    ));
}

#[test]
fn amended_rules_govern_what_follows() {
    let (c, mut log) = council();
    let mut rules = log.state().rules.clone();
    rules.permissions.add_member = Roles::of(&[Role::Chair]);
    log.create(&c.chair, OpBody::AmendRules { rules }, T)
        .expect("chair amends");
    assert!(add(&mut log, &c.secretary, 77, &[Role::Deputy]).is_err());
    assert!(add(&mut log, &c.chair, 77, &[Role::Deputy]).is_ok());
}

#[test]
fn only_the_chair_amends_the_rules_by_default() {
    let (c, mut log) = council();
    let rules = log.state().rules.clone();
    assert!(
        log.create(&c.secretary, OpBody::AmendRules { rules }, T)
            .is_err()
    );
}

fn new_draft(log: &mut CouncilLog, by: &SecretKey) -> DocId {
    log.create(
        by,
        OpBody::CreateDocument {
            spec: DocSpec::Draft { co_authors: vec![] },
        },
        T,
    )
    .expect("draft created")
    .id()
}

fn status(
    log: &mut CouncilLog,
    by: &SecretKey,
    draft: DocId,
    s: DraftStatus,
    committee: Option<CommitteeId>,
) -> Result<SignedOp, OpRejected> {
    log.create(
        by,
        OpBody::SetDraftStatus {
            draft,
            status: s,
            committee,
        },
        T,
    )
}

#[test]
fn a_draft_follows_its_workflow_through_committee_to_adoption() {
    let (c, mut log) = council();
    let author = c.deputies[3].clone();
    let d = new_draft(&mut log, &author);
    status(&mut log, &author, d, DraftStatus::Submitted, None).expect("author submits");
    status(
        &mut log,
        &c.secretary,
        d,
        DraftStatus::InCommittee,
        Some(c.committees[0]),
    )
    .expect("referred");
    // The committee's head (first deputy) reports it to the agenda.
    status(&mut log, &c.deputies[0], d, DraftStatus::OnAgenda, None).expect("head reports");
    status(&mut log, &c.chair, d, DraftStatus::Adopted, None).expect("adopted");
    let meta = &log.state().documents[&d];
    assert_eq!(meta.draft_status, DraftStatus::Adopted);
    assert_eq!(meta.referred_to, Some(c.committees[0]));
}

#[test]
fn only_its_authors_submit_a_draft() {
    let (c, mut log) = council();
    let d = new_draft(&mut log, &c.deputies[3]);
    assert_eq!(
        status(&mut log, &c.deputies[4], d, DraftStatus::Submitted, None),
        Err(OpRejected::Unauthorized(Unauthorized::NotAnAuthor))
    );
}

#[test]
fn a_draft_cannot_skip_steps_the_rules_do_not_have() {
    let (c, mut log) = council();
    let d = new_draft(&mut log, &c.deputies[3]);
    assert!(matches!(
        status(&mut log, &c.chair, d, DraftStatus::Adopted, None),
        Err(OpRejected::Unauthorized(
            Unauthorized::NoSuchTransition { .. }
        ))
    ));
}

#[test]
fn referral_to_a_committee_names_the_committee() {
    let (c, mut log) = council();
    let d = new_draft(&mut log, &c.deputies[3]);
    status(&mut log, &c.deputies[3], d, DraftStatus::Submitted, None).expect("submitted");
    assert_eq!(
        status(&mut log, &c.secretary, d, DraftStatus::InCommittee, None),
        Err(OpRejected::Unauthorized(Unauthorized::MissingCommittee))
    );
}

#[test]
fn a_status_change_naming_a_committee_that_does_not_exist_is_refused_whatever_the_status() {
    let (c, mut log) = council();
    let d = new_draft(&mut log, &c.deputies[3]);
    let nowhere = Hash::of(b"no", &[b"committee"]);
    assert_eq!(
        status(
            &mut log,
            &c.deputies[3],
            d,
            DraftStatus::Submitted,
            Some(nowhere)
        ),
        Err(OpRejected::Unauthorized(Unauthorized::UnknownCommittee(
            nowhere
        )))
    );
    assert_eq!(log.state().documents[&d].referred_to, None);
}

#[test]
fn a_committee_opinion_is_created_only_by_its_members() {
    let (c, mut log) = council();
    let d = new_draft(&mut log, &c.deputies[3]);
    let spec = DocSpec::Opinion {
        draft: d,
        committee: c.committees[0],
    };
    assert_eq!(
        log.create(
            &c.deputies[5],
            OpBody::CreateDocument { spec: spec.clone() },
            T
        ),
        Err(OpRejected::Unauthorized(Unauthorized::NotInCommittee))
    );
    assert!(
        log.create(&c.deputies[1], OpBody::CreateDocument { spec }, T)
            .is_ok()
    );
}

#[test]
fn an_amendment_is_withdrawn_only_by_its_author_and_decided_by_the_office() {
    let (c, mut log) = council();
    let d = new_draft(&mut log, &c.deputies[3]);
    let a = log
        .create(
            &c.deputies[4],
            OpBody::CreateDocument {
                spec: DocSpec::Amendment {
                    draft: d,
                    from_line: 1,
                    to_line: 1,
                },
            },
            T,
        )
        .expect("any deputy proposes")
        .id();
    let withdraw = OpBody::SetAmendmentStatus {
        amendment: a,
        status: AmendmentStatus::Withdrawn,
    };
    assert_eq!(
        log.create(&c.deputies[3], withdraw.clone(), T),
        Err(OpRejected::Unauthorized(Unauthorized::NotAnAuthor))
    );
    let accept = OpBody::SetAmendmentStatus {
        amendment: a,
        status: AmendmentStatus::Accepted,
    };
    assert!(log.create(&c.deputies[3], accept.clone(), T).is_err());
    log.create(&c.secretary, accept, T)
        .expect("secretary records acceptance");
    assert!(matches!(
        log.create(&c.deputies[4], withdraw, T),
        Err(OpRejected::Unauthorized(Unauthorized::Closed("accepted")))
    ));
}

#[test]
fn an_observer_cannot_propose_an_amendment() {
    let (c, mut log) = council();
    let d = new_draft(&mut log, &c.deputies[3]);
    let r = log.create(
        &c.observer,
        OpBody::CreateDocument {
            spec: DocSpec::Amendment {
                draft: d,
                from_line: 1,
                to_line: 1,
            },
        },
        T,
    );
    assert!(matches!(
        r,
        Err(OpRejected::Unauthorized(Unauthorized::ReadOnly(_)))
    ));
}

#[test]
fn only_the_office_builds_an_agenda() {
    let (c, mut log) = council();
    let spec = DocSpec::Agenda {
        label: "Сесія 1".into(),
        committee: None,
    };
    assert!(
        log.create(
            &c.deputies[0],
            OpBody::CreateDocument { spec: spec.clone() },
            T
        )
        .is_err()
    );
    assert!(
        log.create(&c.secretary, OpBody::CreateDocument { spec }, T)
            .is_ok()
    );
}

#[test]
fn a_member_edits_their_own_profile_but_not_anothers() {
    let (c, mut log) = council();
    let me = c.deputies[0].member_id();
    let mine = OpBody::SetProfile {
        member: me,
        name: "Ірина".into(),
        contact: "+380".into(),
    };
    log.create(&c.deputies[0], mine, T).expect("own profile");
    assert_eq!(log.state().members[&me].contact, "+380");
    let theirs = OpBody::SetProfile {
        member: c.deputies[1].member_id(),
        name: "x".into(),
        contact: String::new(),
    };
    assert!(log.create(&c.deputies[0], theirs, T).is_err());
}

#[test]
fn adding_an_active_member_twice_is_refused_but_a_removed_one_can_return() {
    let (c, mut log) = council();
    let d = c.deputies[0].member_id();
    assert!(matches!(
        log.create(
            &c.secretary,
            OpBody::AddMember {
                member: d,
                name: "x".into(),
                roles: Roles::of(&[Role::Deputy])
            },
            T
        ),
        Err(OpRejected::Unauthorized(Unauthorized::AlreadyMember(_)))
    ));
    log.create(&c.secretary, OpBody::RemoveMember { member: d }, T)
        .expect("removed");
    log.create(
        &c.secretary,
        OpBody::AddMember {
            member: d,
            name: "x".into(),
            roles: Roles::of(&[Role::Deputy]),
        },
        T,
    )
    .expect("re-admitted");
    assert!(!log.state().members[&d].removed);
}

#[test]
fn roles_cannot_be_set_to_nothing() {
    let (c, mut log) = council();
    let r = log.create(
        &c.secretary,
        OpBody::SetRoles {
            member: c.deputies[0].member_id(),
            roles: Roles::NONE,
        },
        T,
    );
    assert_eq!(r, Err(OpRejected::Unauthorized(Unauthorized::NoRoles)));
}

#[test]
fn operations_round_trip_through_their_wire_form() {
    let (c, _) = council();
    for op in &c.ops {
        let back = SignedOp::from_bytes(&op.to_bytes()).expect("parses");
        assert_eq!(&back, op);
        assert_eq!(back.id(), op.id());
    }
}

#[test]
fn state_at_old_heads_shows_the_roster_of_that_time() {
    let (c, mut log) = council();
    let before = log.heads();
    add(&mut log, &c.secretary, 60, &[Role::Deputy]).expect("ok");
    let old = log.state_at(&before).expect("known heads");
    assert!(!old.members.contains_key(&key(60).member_id()));
    assert!(log.state().members.contains_key(&key(60).member_id()));
    assert!(log.covers(&log.heads(), &before));
    assert!(!log.covers(&before, &log.heads()));
}

#[test]
fn a_forged_copy_does_not_shadow_the_genuine_operation() {
    let (c, mut log) = council();
    let good = op_on(
        &log,
        &c.secretary,
        log.heads(),
        OpBody::CreateCommittee { name: "x".into() },
    );
    let mut bytes = good.to_bytes();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    let forged = SignedOp::from_bytes(&bytes).expect("still parses");
    assert!(log.insert(forged).is_err());
    assert!(matches!(log.insert(good), Ok(Inserted::Accepted { .. })));
}

#[test]
fn a_peer_is_sent_exactly_the_operations_after_its_heads() {
    let (c, mut log) = council();
    let before = log.heads();
    let a = add(&mut log, &c.secretary, 70, &[Role::Deputy]).expect("ok");
    let b = add(&mut log, &c.secretary, 71, &[Role::Deputy]).expect("ok");
    let after: Vec<OpId> = log.ops_after(&before).iter().map(|o| o.id()).collect();
    assert_eq!(after, vec![a.id(), b.id()]);
    assert!(log.ops_after(&log.heads()).is_empty());
    assert_eq!(log.ops_after(&[Hash([7; 32])]).len(), log.len());
}

fn attach(
    log: &mut CouncilLog,
    by: &SecretKey,
    doc: DocId,
    name: &str,
) -> Result<SignedOp, OpRejected> {
    log.create(
        by,
        OpBody::AttachFile {
            doc,
            name: name.into(),
            size: 52_428_800,
            hash: Hash([7; 32]),
        },
        T,
    )
}

#[test]
fn a_draft_author_attaches_a_file_and_the_draft_lists_it_by_name_size_and_hash() {
    let (c, mut log) = council();
    let draft = new_draft(&mut log, &c.deputies[0]);
    let op = attach(&mut log, &c.deputies[0], draft, "скан рішення.pdf").expect("allowed");
    let meta = &log.state().documents[&draft];
    assert_eq!(meta.attachments.len(), 1);
    let a = &meta.attachments[0];
    assert_eq!(a.name, "скан рішення.pdf");
    assert_eq!(a.size, 52_428_800);
    assert_eq!(a.hash, Hash([7; 32]));
    assert_eq!(a.by, c.deputies[0].member_id());
    assert_eq!(a.op, op.id());
}

#[test]
fn a_member_who_may_not_write_the_draft_cannot_attach_to_it() {
    let (c, mut log) = council();
    let draft = new_draft(&mut log, &c.deputies[0]);
    assert_eq!(
        attach(&mut log, &c.deputies[1], draft, "a.pdf"),
        Err(OpRejected::Unauthorized(Unauthorized::NotAnAuthor))
    );
    let op = op_on(
        &log,
        &c.observer,
        log.heads(),
        OpBody::AttachFile {
            doc: draft,
            name: "a.pdf".into(),
            size: 1,
            hash: Hash([1; 32]),
        },
    );
    assert!(matches!(
        log.insert(op),
        Err(OpRejected::Unauthorized(Unauthorized::ReadOnly(_)))
    ));
    assert!(log.state().documents[&draft].attachments.is_empty());
    // The secretary may write any open draft, so may attach to it.
    attach(&mut log, &c.secretary, draft, "a.pdf").expect("secretary attaches");
}

#[test]
fn a_file_cannot_be_attached_to_an_unknown_or_closed_document() {
    let (c, mut log) = council();
    let unknown = Hash([9; 32]);
    assert_eq!(
        attach(&mut log, &c.deputies[0], unknown, "a.pdf"),
        Err(OpRejected::Unauthorized(Unauthorized::UnknownDocument(
            unknown
        )))
    );
    let draft = new_draft(&mut log, &c.deputies[0]);
    status(
        &mut log,
        &c.deputies[0],
        draft,
        DraftStatus::Withdrawn,
        None,
    )
    .expect("the author withdraws");
    assert!(matches!(
        attach(&mut log, &c.deputies[0], draft, "a.pdf"),
        Err(OpRejected::Unauthorized(Unauthorized::Closed(_)))
    ));
}

#[test]
fn an_attachment_name_must_be_a_plain_file_name() {
    let (c, mut log) = council();
    let draft = new_draft(&mut log, &c.deputies[0]);
    for bad in [
        "",
        ".",
        "..",
        "../etc/passwd",
        "a/b.pdf",
        "a\\b.pdf",
        "a\0.pdf",
    ] {
        assert!(
            matches!(
                attach(&mut log, &c.deputies[0], draft, bad),
                Err(OpRejected::Unauthorized(Unauthorized::BadAttachmentName(_)))
            ),
            "{bad:?} must be refused"
        );
    }
    assert!(log.state().documents[&draft].attachments.is_empty());
}

#[test]
fn a_personal_note_takes_attachments_from_and_is_readable_by_its_owner_only() {
    let (c, mut log) = council();
    let note = log
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
            T,
        )
        .expect("note")
        .id();
    assert_eq!(
        attach(&mut log, &c.deputies[1], note, "mine.pdf"),
        Err(OpRejected::Unauthorized(Unauthorized::NotAnAuthor))
    );
    attach(&mut log, &c.deputies[0], note, "mine.pdf").expect("the owner attaches");
    let s = log.state();
    assert!(s.may_read(&c.deputies[0].member_id(), &note));
    assert!(!s.may_read(&c.deputies[1].member_id(), &note));
    assert!(!s.may_read(&c.secretary.member_id(), &note));
    let draft = new_draft(&mut log, &c.deputies[0]);
    let s = log.state();
    assert!(s.may_read(&c.deputies[1].member_id(), &draft));
    assert!(s.may_read(&c.observer.member_id(), &draft));
    assert!(!s.may_read(&key(4242).member_id(), &draft));
}

#[test]
fn an_attach_operation_round_trips_through_its_wire_form() {
    let (c, mut log) = council();
    let draft = new_draft(&mut log, &c.deputies[0]);
    let op = attach(&mut log, &c.deputies[0], draft, "протокол.pdf").expect("allowed");
    let back = SignedOp::from_bytes(&op.to_bytes()).expect("parses");
    assert_eq!(back, op);
    assert_eq!(back.id(), op.id());
    assert!(back.verify().is_ok());
}

fn approve(log: &mut CouncilLog, by: &SecretKey, minutes: u8) -> Result<SignedOp, OpRejected> {
    log.create(
        by,
        OpBody::ApproveMinutes {
            session: Hash([5; 32]),
            minutes: Hash([minutes; 32]),
        },
        T,
    )
}

#[test]
fn the_chair_and_the_secretary_approve_minutes_and_the_state_records_each_approval() {
    let (c, mut log) = council();
    let by_chair = approve(&mut log, &c.chair, 1).expect("the chair approves");
    approve(&mut log, &c.secretary, 1).expect("the secretary approves");
    let approvals = &log.state().approvals[&Hash([5; 32])];
    assert_eq!(approvals.len(), 2);
    let chair = &approvals[&c.chair.member_id()];
    assert_eq!(chair.minutes, Hash([1; 32]));
    assert_eq!(chair.op, by_chair.id());
    assert!(chair.roles.has(Role::Chair));
    assert!(
        approvals[&c.secretary.member_id()]
            .roles
            .has(Role::Secretary)
    );
}

#[test]
fn a_later_approval_by_the_same_member_replaces_their_earlier_one() {
    let (c, mut log) = council();
    approve(&mut log, &c.chair, 1).expect("first");
    approve(&mut log, &c.chair, 2).expect("second");
    let approvals = &log.state().approvals[&Hash([5; 32])];
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[&c.chair.member_id()].minutes, Hash([2; 32]));
}

#[test]
fn a_deputy_chair_may_approve_minutes() {
    let (c, mut log) = council();
    add(
        &mut log,
        &c.secretary,
        60,
        &[Role::DeputyChair, Role::Deputy],
    )
    .expect("added");
    approve(&mut log, &key(60), 1).expect("the deputy chair approves");
}

#[test]
fn a_deputy_cannot_approve_minutes_and_is_told_which_roles_may() {
    let (c, mut log) = council();
    assert_eq!(
        approve(&mut log, &c.deputies[0], 1),
        Err(OpRejected::Unauthorized(Unauthorized::LacksRole {
            action: "approving minutes",
            needed: Roles::of(&[Role::Chair, Role::DeputyChair, Role::Secretary]),
        }))
    );
    assert!(log.state().approvals.is_empty());
}

#[test]
fn an_observer_cannot_approve_minutes_because_observers_never_write() {
    let (c, log) = council();
    let op = op_on(
        &log,
        &c.observer,
        log.heads(),
        OpBody::ApproveMinutes {
            session: Hash([5; 32]),
            minutes: Hash([1; 32]),
        },
    );
    let mut log = log;
    assert_eq!(
        log.insert(op),
        Err(OpRejected::Unauthorized(Unauthorized::ReadOnly(
            c.observer.member_id()
        )))
    );
    assert!(log.state().approvals.is_empty());
}

#[test]
fn an_approval_round_trips_through_its_wire_form_with_tag_11() {
    let (c, mut log) = council();
    let op = approve(&mut log, &c.secretary, 3).expect("allowed");
    let bytes = op.to_bytes();
    let back = SignedOp::from_bytes(&bytes).expect("parses");
    assert_eq!(back, op);
    assert_eq!(back.id(), op.id());
    assert!(back.verify().is_ok());
    // The body ends with the kind tag and the two hashes; the signature follows.
    let body_end = bytes.len() - 64;
    let fields = &bytes[body_end - 65..body_end];
    assert_eq!(fields[0], 11);
    assert_eq!(&fields[1..33], &[5; 32]);
    assert_eq!(&fields[33..], &[3; 32]);
}

/// The state at each operation by a full replay of its ancestors, for comparison.
fn replayed(log: &CouncilLog, head: OpId) -> CouncilState {
    let mut anc: Vec<(u64, OpId)> = log
        .ancestors(&[head])
        .into_iter()
        .filter_map(|id| log.ops.get(&id).map(|e| (e.depth, id)))
        .collect();
    anc.sort();
    log.replay(anc.iter().map(|(_, id)| id))
}

#[test]
fn the_state_at_any_operation_is_its_ancestors_fold_whichever_way_it_is_found() {
    let (c, mut log) = council();
    // A line, a fork of two concurrent operations, the merge, and a line again.
    for n in 40..45 {
        add(&mut log, &c.secretary, n, &[Role::Deputy]).expect("added");
    }
    let heads = log.heads();
    let a = op_on(
        &log,
        &c.secretary,
        heads.clone(),
        OpBody::SetRoles {
            member: key(40).member_id(),
            roles: Roles::of(&[Role::Deputy, Role::DeputyChair]),
        },
    );
    let b = op_on(
        &log,
        &c.chair,
        heads,
        OpBody::SetRoles {
            member: key(41).member_id(),
            roles: Roles::of(&[Role::Observer]),
        },
    );
    log.insert(a).expect("a");
    log.insert(b).expect("b");
    for n in 45..50 {
        add(&mut log, &c.secretary, n, &[Role::Deputy]).expect("added");
    }
    let ids: Vec<OpId> = log.ops().map(SignedOp::id).collect();
    assert!(ids.len() > 12);
    let want: Vec<CouncilState> = ids.iter().map(|h| replayed(&log, *h)).collect();
    // Newest first (each walks its line back to the genesis or the current state), then
    // oldest first (each finds its parent's state in the cache), then again (cache hits).
    for order in [
        ids.iter().enumerate().rev().collect::<Vec<_>>(),
        ids.iter().enumerate().collect(),
        ids.iter().enumerate().collect(),
    ] {
        let mut again = c.replica().expect("replica");
        for id in &ids {
            if !again.knows(id) {
                let op = log.ops().find(|o| o.id() == *id).expect("held").clone();
                again.insert(op).expect("replays");
            }
        }
        for (i, h) in order {
            assert_eq!(*log.state_at(&[*h]).expect("known"), want[i], "at op {i}");
            assert_eq!(*again.state_at(&[*h]).expect("known"), want[i], "at op {i}");
        }
    }
}

#[test]
fn a_member_cannot_take_another_members_name() {
    let (c, mut log) = council();
    let d = &c.deputies[0];
    let chairs_name = log.state().members[&c.chair.member_id()].name.clone();
    for name in [chairs_name.clone(), chairs_name.to_uppercase()] {
        let r = log.create(
            d,
            OpBody::SetProfile {
                member: d.member_id(),
                name,
                contact: String::new(),
            },
            T,
        );
        assert_eq!(
            r,
            Err(OpRejected::Unauthorized(Unauthorized::NameTaken(
                c.chair.member_id()
            )))
        );
    }
    // Nor can the secretary admit a newcomer under it.
    let r = log.create(
        &c.secretary,
        OpBody::AddMember {
            member: key(60).member_id(),
            name: chairs_name,
            roles: Roles::of(&[Role::Deputy]),
        },
        T,
    );
    assert!(matches!(
        r,
        Err(OpRejected::Unauthorized(Unauthorized::NameTaken(_)))
    ));
    // Keeping one's own name is fine.
    let own = log.state().members[&d.member_id()].name.clone();
    log.create(
        d,
        OpBody::SetProfile {
            member: d.member_id(),
            name: own,
            contact: "+380 44 000 00 00".into(),
        },
        T,
    )
    .expect("own name");
}

#[test]
fn a_name_with_bidi_control_or_invisible_characters_is_refused() {
    let (c, mut log) = council();
    for name in [
        "Іван \u{202E}околов",
        "Іван\u{2066}",
        "Іван\nПетренко",
        "Іва\u{200B}н",
        " Іван",
        "",
        "\u{FEFF}Іван",
    ] {
        let r = log.create(
            &c.secretary,
            OpBody::AddMember {
                member: key(61).member_id(),
                name: name.into(),
                roles: Roles::of(&[Role::Deputy]),
            },
            T,
        );
        assert!(
            matches!(r, Err(OpRejected::Unauthorized(Unauthorized::BadName(_)))),
            "{name:?} was not refused: {r:?}"
        );
    }
    // A received operation is judged the same way, not only what this device creates.
    let op = op_on(
        &log,
        &c.deputies[1],
        log.heads(),
        OpBody::SetProfile {
            member: c.deputies[1].member_id(),
            name: "Олена\u{202D}".into(),
            contact: String::new(),
        },
    );
    assert!(matches!(
        log.insert(op),
        Err(OpRejected::Unauthorized(Unauthorized::BadName(_)))
    ));
    // Apostrophes, hyphens and Cyrillic letters are ordinary.
    log.create(
        &c.secretary,
        OpBody::AddMember {
            member: key(61).member_id(),
            name: "Мар'яна Петренко-Коваль".into(),
            roles: Roles::of(&[Role::Deputy]),
        },
        T,
    )
    .expect("an ordinary name");
}

#[test]
fn more_concurrent_heads_than_a_decoder_takes_never_brick_the_next_write() {
    // 1,030 members' notes signed on the same heads (offline, then all delivered): the next
    // operation may name at most MAX_PARENTS of them, and every peer decodes and accepts it.
    let (c, mut log) = council();
    let h = log.heads();
    let mut notes = Vec::new();
    for i in 0..(MAX_PARENTS as u32 + 6) {
        let who = &c.deputies[(i as usize) % c.deputies.len()];
        let op = LogOp {
            council: log.council_id(),
            author: who.member_id(),
            parents: h.clone(),
            time_ms: T + u64::from(i),
            body: OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
        }
        .sign(who);
        log.insert(op.clone()).expect("a note");
        notes.push(op);
    }
    assert!(log.heads().len() > MAX_PARENTS);
    let next = log
        .create(
            &c.secretary,
            OpBody::CreateCommittee {
                name: "після".into(),
            },
            T,
        )
        .expect("the secretary writes on");
    assert!(next.op().parents.len() <= MAX_PARENTS);
    let decoded = SignedOp::from_bytes(&next.to_bytes()).expect("decodes");
    assert_eq!(decoded.id(), next.id());
    let mut fresh = CouncilLog::new(c.genesis.clone());
    for op in c.ops.iter().chain(&notes).chain([&decoded]) {
        fresh.insert(op.clone()).expect("a peer accepts it");
    }
    // The heads left out are taken up by the next write.
    let after = log
        .create(
            &c.secretary,
            OpBody::CreateCommittee {
                name: "ще одна".into(),
            },
            T,
        )
        .expect("again");
    assert!(after.op().parents.len() <= MAX_PARENTS);
    assert!(log.heads().len() < 10, "{} heads left", log.heads().len());
}

#[test]
fn a_strangers_operation_waiting_for_parents_is_not_parked() {
    let (c, mut log) = council();
    let stranger = key(4243);
    let missing = crate::hash::Hash::of(b"never sent", &[]);
    for who in [&stranger, &c.observer] {
        let op = op_on(
            &log,
            who,
            vec![missing],
            OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
        );
        assert!(matches!(
            log.insert(op.clone()),
            Err(OpRejected::NotParked(
                crate::parking::ParkRefused::NotAWriter(_)
            ))
        ));
        // Not remembered as refused: offered again once its parents exist, it is judged anew.
        assert!(log.refusal(&op.id()).is_none());
    }
    assert_eq!(log.pending_len(), 0);
    // A member's operation waiting for a parent is kept aside.
    let op = op_on(
        &log,
        &c.deputies[0],
        vec![missing],
        OpBody::CreateDocument {
            spec: DocSpec::Note,
        },
    );
    assert!(matches!(log.insert(op), Ok(Inserted::Pending { .. })));
    assert_eq!(log.pending_len(), 1);
}

#[test]
fn an_amendment_range_ending_at_u32_max_decodes_without_overflow() {
    let (c, log) = council();
    let op = op_on(
        &log,
        &c.deputies[0],
        log.heads(),
        OpBody::CreateDocument {
            spec: DocSpec::Amendment {
                draft: crate::hash::Hash([7; 32]),
                from_line: 3,
                to_line: u32::MAX,
            },
        },
    );
    let back = SignedOp::from_bytes(&op.to_bytes()).expect("a forward range decodes");
    assert_eq!(back.id(), op.id());
}

#[test]
fn the_revocation_that_reaches_an_act_is_the_same_whatever_order_the_revocations_arrived_in() {
    // The secretary removes the chair, and concurrently takes the chair's role away: both reach
    // an act of the chair's on the heads before them; every peer must name the same one.
    let (c, log) = council();
    let before = log.heads();
    let chair = c.chair.member_id();
    let removal = op_on(
        &log,
        &c.secretary,
        before.clone(),
        OpBody::RemoveMember { member: chair },
    );
    let demotion = op_on(
        &log,
        &c.secretary,
        before.clone(),
        OpBody::SetRoles {
            member: chair,
            roles: Roles::of(&[Role::Deputy]),
        },
    );
    let named = |first: &SignedOp, second: &SignedOp| {
        let (_, mut l) = council();
        l.insert(first.clone()).expect("accepted");
        l.insert(second.clone()).expect("accepted");
        l.act_revoked(&chair, &before, |_| false)
    };
    let a = named(&removal, &demotion);
    let b = named(&demotion, &removal);
    assert_eq!(a, b);
    assert_eq!(
        a,
        Some(removal.id().min(demotion.id())),
        "same depth: the smaller id"
    );
}
