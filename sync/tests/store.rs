//! The device store: durable, reopened intact, and never confused with another file.

use council_sync::{Node, NodeError, OpenError, Store};
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
