// Fuzz harness `signed_change`: a malicious writer's change. The input is one selector byte
// (which of the world's documents: 0 draft, 1 opinion, 2 amendment, 3 agenda, modulo 4) and the
// automerge change bytes that writer sends. The bytes go through the same decoder a peer uses
// (`SignedChange::from_bytes`: bounded pre-scan, then automerge); a change that parses is signed
// again by the member whose device it names (or by the document's writer), exactly as a member
// with a valid key can, and received into a replica of the sample world. Then the document's
// writer edits, every text field is read now and at every version, the history, the agenda and
// the scalars are read, the document is saved and the saved bytes loaded back, and the replica is
// rebuilt from its items the way a restarting device rebuilds from its store: every item it
// accepted must be accepted again, into the same documents.
//
// `include!`d inside `mod signed_change` next to `mod world` (see `world.rs`).

use crdt_model::document::{AgendaItem, SignedChange, TextField};
use crdt_model::encoding::Writer;
use crdt_model::replica::{Item, Replica};

use super::world::{T0, World, read_document, world};

/// The wire form of a signed change around `raw` (the signature is not checked by the decoder).
fn envelope(w: &World, doc: usize, raw: &[u8]) -> Vec<u8> {
    let base = &w.docs[doc].next;
    let mut out = Writer::new();
    out.hash(&base.council())
        .hash(&base.doc())
        .raw(base.author().as_bytes())
        .list(base.log_heads(), |w, h| {
            w.hash(h);
        })
        .bytes(raw)
        .raw(&base.signature().0);
    out.finish()
}

/// One input. Nothing may panic; refusals are fine.
pub fn run(data: &[u8]) {
    let Some((&selector, raw)) = data.split_first() else {
        return;
    };
    let w = world();
    let doc = usize::from(selector) % w.docs.len();
    // Only what a peer's decoder takes ever reaches a replica.
    let Ok(parsed) = SignedChange::from_bytes(&envelope(w, doc, raw)) else {
        return;
    };
    let change = parsed.change().clone();
    let target = &w.docs[doc];
    let signer = w
        .key_of_actor(change.actor_id().to_bytes())
        .unwrap_or(target.writer.key());
    let signed = SignedChange::sign(
        signer,
        w.genesis.id(),
        target.id,
        w.write_heads.clone(),
        change,
    );
    let wire = signed.to_bytes();
    let signed = SignedChange::from_bytes(&wire)
        .expect("a change that decoded once decodes again once signed");

    let mut r = w.replica_with(true, false);
    let _ = r.receive(Item::Change(signed));

    // The document's writer keeps working on it.
    {
        let (log, d) = r.document_mut(&target.id).expect("the world's document");
        let time = i64::try_from(T0 + 400_000).expect("fits");
        let kind = d.kind();
        let _ = d.edit(log, &target.writer, time, |e| {
            for f in crdt_model::document::fields(kind) {
                e.splice(*f, 0, 0, "Нове ")?;
            }
            Ok(())
        });
        let _ = d.edit(log, &target.writer, time + 1000, |e| {
            e.agenda_insert(
                0,
                &AgendaItem {
                    doc: None,
                    title: "Відкриття".into(),
                },
            )?;
            e.set_published(false)
        });
        let _ = d.edit(log, &target.writer, time + 2000, |e| {
            e.set_text(TextField::Body, "Текст заново")?;
            e.set_recommendation("reject")
        });
    }

    for d in r.documents().values() {
        let saved = read_document(d);
        if !saved.is_empty() {
            let loaded = automerge::Automerge::load(&saved)
                .expect("automerge loads the bytes it saved for an accepted document");
            let mut loaded_heads = loaded.get_heads();
            loaded_heads.sort();
            assert_eq!(
                loaded_heads,
                d.heads(),
                "the saved document has other heads"
            );
        }
    }

    // What a restarting device does: receive every stored item again, in order.
    let mut again = Replica::new(w.genesis.clone());
    for it in r.items() {
        if let Err(e) = again.receive(it.clone()) {
            panic!("an item this replica accepted is refused when replayed: {e}");
        }
    }
    for (id, d) in r.documents() {
        let back = &again.documents()[id];
        assert_eq!(
            back.heads(),
            d.heads(),
            "a replayed document has other heads"
        );
        for f in crdt_model::document::fields(d.kind()) {
            assert_eq!(
                back.text(*f),
                d.text(*f),
                "a replayed document reads otherwise"
            );
        }
    }
}

/// Real changes: each document's next change, under each selector.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let w = world();
    let names = ["draft", "opinion", "amendment", "agenda"];
    let mut out = Vec::new();
    for (i, d) in w.docs.iter().enumerate() {
        let mut bytes = vec![u8::try_from(i).expect("four documents")];
        bytes.extend_from_slice(d.next.change().raw_bytes());
        out.push((format!("seed-{}", names[i]), bytes));
    }
    // The world's earlier changes, against the document each belongs to: a writer replaying
    // or rewriting something already held.
    for (n, it) in w.items.iter().enumerate() {
        if let Item::Change(c) = it
            && let Some(i) = w.docs.iter().position(|d| d.id == c.doc())
        {
            let mut bytes = vec![u8::try_from(i).expect("four documents")];
            bytes.extend_from_slice(c.change().raw_bytes());
            out.push((format!("seed-held-{n:02}-{}", names[i]), bytes));
        }
    }
    out
}
