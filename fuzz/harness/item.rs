// Fuzz harness `item`: bytes as they come off the wire or out of a store file, decoded by
// `Item::from_bytes` and, when they decode, received into a replica of the sample world (the
// sample council's operations first, then its documents and its session, as far as the item's
// kind can reach). Because every item is signed, an item the fuzzer mutated is refused at its
// signature; so the decoded item is also signed again by the sample person it names, as that
// member could send it, and received too: that drives the log, document and session checks with
// content the fuzzer chose.
//
// `include!`d inside `mod item` next to `mod world` (see `world.rs`).

use crdt_model::replica::Item;

use super::world::{read_everything, resign, world};

/// One input. Nothing may panic; refusals are fine.
pub fn run(data: &[u8]) {
    let Ok(item) = Item::from_bytes(data) else {
        return;
    };
    // One value, one encoding: what decodes re-encodes to the very bytes it came from.
    assert_eq!(
        item.to_bytes(),
        data,
        "an item decoded from bytes that are not its encoding"
    );
    let w = world();
    // The part of the world the item can touch: an operation may affect documents and sessions
    // (a removal voids, a status closes), a change only its document, a statement or a ballot
    // only the session. Fewer items to rebuild per input, more inputs per second.
    let mut r = match &item {
        Item::Op(_) => w.replica(),
        Item::Change(_) => w.replica_with(true, false),
        Item::Statement(_) | Item::Ballot(_) => w.replica_with(false, true),
    };
    let _ = r.receive(item.clone());
    if let Some(forged) = resign(w, &item) {
        let _ = r.receive(forged);
    }
    read_everything(&r);
}

/// Real items of every kind from the sample world: each council operation, document change,
/// session statement and ballot, and each document's next change.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let w = world();
    let mut out: Vec<(String, Vec<u8>)> = w
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let kind = match it {
                Item::Op(_) => "op",
                Item::Change(_) => "change",
                Item::Statement(_) => "statement",
                Item::Ballot(_) => "ballot",
            };
            (format!("seed-{i:02}-{kind}"), it.to_bytes())
        })
        .collect();
    for (i, d) in w.docs.iter().enumerate() {
        out.push((
            format!("seed-next-change-{i}"),
            Item::Change(d.next.clone()).to_bytes(),
        ));
    }
    out
}

/// An envelope around foreign automerge bytes (automerge's own fuzz crashers and fixtures), as
/// a change of the draft by its author: what reaches `SignedChange::from_bytes` from the wire.
pub fn wrap_change(raw: &[u8]) -> Vec<u8> {
    use crdt_model::encoding::Writer;
    let w = world();
    let d = &w.docs[0];
    let mut out = Writer::new();
    out.u8(1)
        .hash(&d.next.council())
        .hash(&d.next.doc())
        .raw(d.next.author().as_bytes())
        .list(d.next.log_heads(), |w, h| {
            w.hash(h);
        })
        .bytes(raw)
        .raw(&d.next.signature().0);
    out.finish()
}
