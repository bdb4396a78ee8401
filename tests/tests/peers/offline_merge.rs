//! Three deputies edit one draft while apart, each on their own device store, then meet again.

use council_sync::Node;
use council_tests::{exchange, item_count};
use crdt_model::document::TextField;
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::Item;
use crdt_model::sample::{SampleCouncil, device};

#[test]
fn partitioned_edits_merge_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let (c, log) = SampleCouncil::new(10, 6).expect("council");
    let co_authors = vec![c.deputies[1].member_id(), c.deputies[2].member_id()];
    let mut founder_log = log;
    let draft = founder_log
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors },
            },
            1,
        )
        .expect("draft");
    let mut nodes: Vec<Node> = (0..3)
        .map(|i| {
            let mut n = Node::create(&dir.path().join(format!("peer{i}.redb")), c.genesis.clone())
                .expect("store");
            for op in c.ops.iter().chain([&draft]) {
                n.receive(Item::Op(op.clone())).expect("valid");
            }
            n
        })
        .collect();
    // Apart: each types a paragraph of their own.
    for (i, node) in nodes.iter_mut().enumerate() {
        let dev = device(i as u32 + 2, 1);
        let (log, doc) = node.replica_mut().document_mut(&draft.id()).expect("doc");
        let (_, ch) = doc
            .edit(log, &dev, 1, |e| {
                e.splice(TextField::Body, 0, 0, &format!("Абзац депутата {i}\n"))
            })
            .expect("author edits");
        node.persist(&[Item::Change(ch.expect("change"))])
            .expect("saved");
    }
    // Together again: everyone sends everyone everything.
    for a in 0..3 {
        for b in 0..3 {
            if a != b {
                let (from, to) = if a < b {
                    let (l, r) = nodes.split_at_mut(b);
                    (&l[a], &mut r[0])
                } else {
                    let (l, r) = nodes.split_at_mut(a);
                    (&r[0], &mut l[b])
                };
                exchange(from, to).expect("valid items");
            }
        }
    }
    let texts: Vec<String> = nodes
        .iter_mut()
        .map(|n| {
            n.replica_mut()
                .document_mut(&draft.id())
                .expect("doc")
                .1
                .text(TextField::Body)
                .expect("text")
        })
        .collect();
    assert!(texts.iter().all(|t| t == &texts[0]));
    for i in 0..3 {
        assert!(
            texts[0].contains(&format!("Абзац депутата {i}")),
            "{}",
            texts[0]
        );
    }
    let counts: Vec<usize> = nodes.iter().map(item_count).collect();
    drop(nodes);
    // Restart every peer from its store: nothing is missing.
    for (i, count) in counts.iter().enumerate() {
        let mut n = Node::open(&dir.path().join(format!("peer{i}.redb"))).expect("reopens");
        assert_eq!(item_count(&n), *count);
        let t = n
            .replica_mut()
            .document_mut(&draft.id())
            .expect("doc")
            .1
            .text(TextField::Body)
            .expect("text");
        assert_eq!(t, texts[0]);
    }
}
