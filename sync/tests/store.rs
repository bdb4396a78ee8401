//! The device store: durable, reopened intact, and never confused with another file.

mod common;

use council_sync::{GenesisError, Node, NodeError, OpenError, PeerRecord, Store};
use crdt_model::document::TextField;
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::{Item, Outcome};
use crdt_model::sample::{SampleCouncil, device};

#[test]
fn a_reopened_store_holds_every_acknowledged_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let (c, _) = SampleCouncil::new(10, 4).expect("council");
    let mut node = Node::create(&path, c.genesis.clone()).expect("create");
    for op in &c.ops {
        assert_eq!(
            node.receive(Item::Op(op.clone())).expect("valid"),
            Outcome::Applied
        );
    }
    let draft = node
        .replica_mut()
        .log_mut()
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
            1,
        )
        .expect("draft");
    node.persist(&[Item::Op(draft.clone())]).expect("saved");
    let (log, doc) = node.replica_mut().document_mut(&draft.id()).expect("doc");
    let (_, ch) = doc
        .edit(log, &device(2, 1), 1, |e| {
            e.set_text(TextField::Body, "Текст рішення")
        })
        .expect("edit");
    node.persist(&[Item::Change(ch.expect("change"))])
        .expect("saved");
    let before = node.replica().log().state().clone();
    drop(node);

    let mut again = Node::open(&path).expect("reopens");
    assert_eq!(again.replica().log().state(), &before);
    let (_, doc) = again.replica_mut().document_mut(&draft.id()).expect("doc");
    assert_eq!(doc.text(TextField::Body).as_deref(), Ok("Текст рішення"));
}

#[test]
fn a_refused_item_is_not_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let (c, log) = SampleCouncil::new(10, 4).expect("council");
    let mut node = Node::create(&path, c.genesis.clone()).expect("create");
    let bad = crdt_model::log::LogOp {
        council: log.council_id(),
        author: c.observer.member_id(),
        parents: log.heads(),
        time_ms: 1,
        body: OpBody::CreateCommittee { name: "x".into() },
    }
    .sign(&c.observer);
    for op in &c.ops {
        node.receive(Item::Op(op.clone())).expect("valid");
    }
    let stored = node.stored();
    assert!(matches!(
        node.receive(Item::Op(bad)),
        Err(NodeError::Refused(_))
    ));
    assert_eq!(node.stored(), stored);
}

#[test]
fn a_file_that_is_not_a_database_is_reported_by_name_and_left_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, b"this is not a database at all, just some text").expect("write");
    let err = Store::open(&path).expect_err("refused");
    assert!(matches!(err, OpenError::Unreadable { .. }), "{err}");
    assert!(err.to_string().contains("notes.txt"));
    assert_eq!(
        std::fs::read(&path).expect("read"),
        b"this is not a database at all, just some text"
    );
}

#[test]
fn creating_over_an_existing_store_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let (c, _) = SampleCouncil::new(10, 4).expect("council");
    Node::create(&path, c.genesis.clone()).expect("create");
    assert!(matches!(
        Node::create(&path, c.genesis.clone()),
        Err(OpenError::AlreadyExists { .. })
    ));
    assert!(Node::open(&path).is_ok());
}

#[test]
fn a_redb_database_of_another_program_is_foreign() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).expect("db");
        let tx = db.begin_write().expect("tx");
        {
            let mut t = tx
                .open_table(redb::TableDefinition::<&str, &str>::new("stuff"))
                .expect("table");
            t.insert("a", "b").expect("insert");
        }
        tx.commit().expect("commit");
    }
    assert!(matches!(Store::open(&path), Err(OpenError::Foreign { .. })));
}

#[test]
fn a_store_made_before_joining_keeps_its_identity_and_takes_its_council_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let (c, _) = SampleCouncil::new(10, 4).expect("council");
    let (other, _) = SampleCouncil::new(11, 4).expect("another council");
    let me = {
        let store = Store::open_or_create(&path).expect("created");
        assert!(store.genesis().is_none());
        store.identity().member_id()
    };
    assert!(matches!(
        Node::open(&path),
        Err(OpenError::NoCouncil { .. })
    ));
    let mut store = Store::open_or_create(&path).expect("reopened");
    assert_eq!(store.identity().member_id(), me, "the identity is stable");
    store.set_genesis(&c.genesis).expect("joins");
    store
        .set_genesis(&c.genesis)
        .expect("the same council again is fine");
    let err = store
        .set_genesis(&other.genesis)
        .expect_err("one council per store");
    assert!(matches!(err, GenesisError::OtherCouncil { .. }), "{err}");
    assert!(err.to_string().contains("council.redb"), "{err}");
    drop(store);
    let node = Node::open(&path).expect("opens with its council");
    assert_eq!(node.replica().log().council_id(), c.genesis.id());
    assert_eq!(node.identity().member_id(), me);
}

#[test]
fn two_stores_have_different_identities() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Store::open_or_create(&dir.path().join("a.redb")).expect("a");
    let b = Store::open_or_create(&dir.path().join("b.redb")).expect("b");
    assert_ne!(a.identity().member_id(), b.identity().member_id());
    assert_ne!(a.identity().device_id(), b.identity().device_id());
}

#[cfg(unix)]
#[test]
fn the_store_file_is_private_and_looser_permissions_are_tightened_on_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    let store = Store::open_or_create(&path).expect("created");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(store.tightened_from(), None);
    drop(store);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let store = Store::open_or_create(&path).expect("reopened");
    assert_eq!(store.tightened_from(), Some(0o644));
    assert_eq!(mode(&path), 0o600);
    let (c, _) = SampleCouncil::new(10, 4).expect("council");
    let created = dir.path().join("created.redb");
    Node::create(&created, c.genesis.clone()).expect("create");
    assert_eq!(mode(&created), 0o600);
}

#[test]
fn peer_addresses_and_sync_progress_are_kept_across_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let (c, _) = SampleCouncil::new(10, 4).expect("council");
    let a = [1u8; 32];
    let b = [2u8; 32];
    {
        let node = Node::create(&path, c.genesis.clone()).expect("create");
        assert!(node.peers().expect("peers").is_empty());
        node.put_peer(
            &a,
            &PeerRecord {
                addr: b"first".to_vec(),
                last_contact_ms: 1,
            },
        )
        .expect("saved");
        node.put_peer(
            &a,
            &PeerRecord {
                addr: b"127.0.0.1:4242".to_vec(),
                last_contact_ms: 1_700_000_000_000,
            },
        )
        .expect("replaced");
        node.put_peer(
            &b,
            &PeerRecord {
                addr: vec![],
                last_contact_ms: 0,
            },
        )
        .expect("saved");
        node.put_progress(&a, b"heads of a").expect("saved");
        assert!(node.store().remove_peer(&b).expect("removed"));
        assert!(!node.store().remove_peer(&b).expect("already gone"));
    }
    let node = Node::open(&path).expect("reopens");
    assert_eq!(
        node.peers().expect("peers"),
        std::collections::BTreeMap::from([(
            a,
            PeerRecord {
                addr: b"127.0.0.1:4242".to_vec(),
                last_contact_ms: 1_700_000_000_000,
            }
        )])
    );
    assert_eq!(
        node.store()
            .peer(&a)
            .expect("read")
            .map(|r| r.last_contact_ms),
        Some(1_700_000_000_000)
    );
    assert_eq!(node.store().peer(&b).expect("read"), None);
    assert_eq!(
        node.progress(&a).expect("read").as_deref(),
        Some(&b"heads of a"[..])
    );
    assert_eq!(node.progress(&b).expect("read"), None);
    assert_eq!(node.store().all_progress().expect("read").len(), 1);
}

#[test]
fn session_statements_and_ballots_are_stored_and_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let sit = common::Sitting::new();
    let n = sit.prefix.len() as u64 + 20;
    let state = {
        let mut node = Node::create(&path, sit.council.genesis.clone()).expect("create");
        // The roster first (nothing of a member who is not yet a writer here waits), then
        // ballots before the statements: they wait for their poll, and are stored while they
        // wait.
        let ops = sit.council.ops.len() as u64;
        for i in (0..ops).chain((ops..n).rev()) {
            node.receive(sit.item(i)).expect("valid");
        }
        assert_eq!(node.replica().pending_len(), 0);
        node.replica()
            .session(&sit.session)
            .expect("session")
            .state()
            .clone()
    };
    let node = Node::open(&path).expect("reopens");
    assert_eq!(node.stored(), n);
    let s = node
        .replica()
        .session(&sit.session)
        .expect("session rebuilt");
    assert_eq!(s.state(), &state);
    assert_eq!(s.ballots(&sit.poll).count(), 20);
}

#[test]
fn a_missing_store_is_reported_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let err = Node::open(&path).expect_err("nothing there");
    assert!(matches!(err, OpenError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("council.redb"), "{err}");
    assert!(!path.exists(), "opening never creates");
}

/// A store with some items, as bytes.
fn a_store_file(path: &std::path::Path) -> Vec<u8> {
    let (c, _) = SampleCouncil::new(10, 4).expect("council");
    let mut node = Node::create(path, c.genesis.clone()).expect("create");
    for op in &c.ops {
        node.receive(Item::Op(op.clone())).expect("valid");
    }
    drop(node);
    std::fs::read(path).expect("read")
}

#[test]
fn a_garbled_database_is_reported_by_name_and_left_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let mut bytes = a_store_file(&path);
    // Garble the header (magic number and commit slots).
    for b in bytes.iter_mut().take(512) {
        *b ^= 0x5A;
    }
    std::fs::write(&path, &bytes).expect("write");
    for _ in 0..2 {
        let err = Node::open(&path).expect_err("refused");
        assert!(err.to_string().contains("council.redb"), "{err}");
        let err = Store::open_or_create(&path).expect_err("refused, not recreated");
        assert!(matches!(err, OpenError::Unreadable { .. }), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), bytes, "left intact");
    }
}

#[test]
fn a_truncated_database_is_reported_by_name_and_left_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let bytes = a_store_file(&path);
    for keep in [100, 4096, bytes.len() / 2] {
        let cut = &bytes[..keep.min(bytes.len() - 1)];
        std::fs::write(&path, cut).expect("write");
        let err = Store::open_or_create(&path).expect_err("refused, not recreated");
        assert!(err.to_string().contains("council.redb"), "{keep}: {err}");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            cut,
            "{keep}: left intact"
        );
    }
}

#[test]
fn a_store_with_one_refused_item_opens_quarantines_and_reports_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let (c, log) = SampleCouncil::new(10, 4).expect("council");
    let mut node = Node::create(&path, c.genesis.clone()).expect("create");
    for op in &c.ops {
        node.receive(Item::Op(op.clone())).expect("valid");
    }
    // Written past the checks (an older version's rules, or an edited file): an observer's op.
    let bad = crdt_model::log::LogOp {
        council: log.council_id(),
        author: c.observer.member_id(),
        parents: log.heads(),
        time_ms: 1,
        body: OpBody::CreateDocument {
            spec: DocSpec::Note,
        },
    }
    .sign(&c.observer);
    node.store()
        .append(&[Item::Op(bad.clone())])
        .expect("raw write");
    let before = node.replica().log().state().clone();
    drop(node);

    let again = Node::open(&path).expect("a store with one bad item still opens");
    assert_eq!(again.replica().log().state(), &before);
    let q = again.store().quarantined().expect("readable");
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("refused"), "{}", q[0].reason);
    assert_eq!(q[0].bytes, Item::Op(bad).to_bytes());
    drop(again);
    // It stays set aside: the next open finds nothing new to quarantine and still reports it.
    let third = Node::open(&path).expect("opens again");
    assert_eq!(third.store().quarantined().expect("readable").len(), 1);
}

#[test]
fn a_store_open_in_another_process_is_reported_as_in_use_not_damaged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("council.redb");
    let (c, _) = SampleCouncil::new(10, 4).expect("council");
    let node = Node::create(&path, c.genesis.clone()).expect("create");
    match Node::open(&path) {
        Err(OpenError::InUse { path: p }) => assert_eq!(p, path),
        Err(other) => panic!("expected in use, got {other}"),
        Ok(_) => panic!("a second open of a store in use succeeded"),
    }
    drop(node);
    Node::open(&path).expect("opens once released");
}
