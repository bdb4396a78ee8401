// Fuzz harness `frame`: what a connected peer sends on a `council/sync/1` stream. The input is
// the stream's bytes: frames of a `u32` big-endian length and a payload, cut the way
// `net::frame::read_frame` cuts them (a length above `proto::MAX_FRAME` closes the connection;
// the stream ending inside a frame closes it too). As `net::run_connection` does, the first
// frame must decode (`proto::Message::decode`) to a hello of this council and version; it is
// answered with a catch-up (`proto::CatchUp` from `proto::Known::from_hello`, frame by frame,
// then a second pass from `proto::Known::after_catch_up`). Every later frame is peeked at
// (`proto::peek`, as the read loop does) and, if it claims items, decoded and its items
// received into a replica of the sample world (as the checker thread does); then its items are
// listed and encoded, as the store keeps them.
//
// Checked besides "no panic": a decoded frame re-encodes to its bytes; `peek` agrees with the
// decoder; every catch-up frame decodes and fits a frame; the catch-up hands out exactly what
// `proto::missing` (the reference) lists; a second pass with nothing new hands out nothing.
//
// `include!`d inside `mod frame` next to `mod world` (see `world.rs`).

use council_sync::net::proto::{self, CatchUp, Known, Message, Peek, Summary};
use crdt_model::replica::Replica;

use super::world::world;

/// The items' bytes a catch-up from `known` hands out, frame by frame.
fn catch_up(r: &Replica, known: Known) -> Vec<Vec<u8>> {
    let mut cursor = CatchUp::new(known);
    let mut items = Vec::new();
    while let Some(frame) = cursor.next_frame(r, proto::CATCH_UP_BYTES) {
        assert!(
            frame.len() <= proto::MAX_FRAME,
            "a catch-up frame is larger than peers accept"
        );
        match Message::decode(&frame) {
            Ok(Message::Items(got)) => {
                assert!(!got.is_empty(), "a catch-up frame holds no item");
                items.extend(got.iter().map(|i| i.to_bytes()));
            }
            Ok(Message::Hello(_)) => panic!("a catch-up frame is a hello"),
            Err(e) => panic!("a catch-up frame does not decode: {e}"),
        }
    }
    assert!(cursor.is_done(), "a catch-up stopped before it was done");
    items
}

/// One input. Nothing may panic; refusals are fine.
pub fn run(data: &[u8]) {
    let w = world();
    let mut replica: Option<Replica> = None;
    let mut rest = data;
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_be_bytes(*len) as usize;
        if len > proto::MAX_FRAME || tail.len() < len {
            break;
        }
        let (payload, tail) = tail.split_at(len);
        rest = tail;
        let decoded = Message::decode(payload);
        match (&decoded, proto::peek(payload)) {
            (Ok(m), peeked) => {
                // One value, one encoding: a decoded frame re-encodes to the bytes it came from.
                assert_eq!(
                    m.encode(),
                    payload,
                    "a frame decoded from bytes that are not its encoding"
                );
                match (m, peeked) {
                    (Message::Hello(_), Ok(Peek::Hello)) => {}
                    (Message::Items(items), Ok(Peek::Items(n))) => {
                        assert_eq!(items.len(), n, "peek counts other items than decode")
                    }
                    (_, other) => panic!("peek says {other:?} of a frame that decodes"),
                }
            }
            (Err(_), _) => {}
        }
        let Some(r) = replica.as_mut() else {
            let Ok(Message::Hello(theirs)) = decoded else {
                return;
            };
            let r = w.replica();
            if theirs.version != proto::VERSION || theirs.council != r.log().council_id() {
                return;
            }
            let mine = Summary::of(&r);
            let mut sent = catch_up(&r, Known::from_hello(&theirs));
            let mut reference: Vec<Vec<u8>> = proto::missing(&r, &theirs)
                .iter()
                .map(|i| i.to_bytes())
                .collect();
            sent.sort();
            reference.sort();
            assert_eq!(
                sent, reference,
                "the catch-up hands out other items than missing"
            );
            let again = catch_up(&r, Known::after_catch_up(&theirs, &mine));
            assert!(
                again.is_empty(),
                "a second catch-up with nothing new sends items"
            );
            replica = Some(r);
            continue;
        };
        match proto::peek(payload) {
            Ok(Peek::Items(n)) if n > 0 => match decoded {
                Ok(Message::Items(items)) => {
                    for it in items {
                        let _ = r.receive(it);
                    }
                }
                Ok(Message::Hello(_)) => {}
                Err(_) => break,
            },
            Ok(_) => {}
            Err(_) => break,
        }
    }
    // What the disk writer stores and a restart replays (the views' reads are the `item` and
    // `signed_change` targets' business: here they would cost most of each run).
    if let Some(r) = &replica {
        for it in r.items() {
            let _ = it.to_bytes();
        }
    }
}

fn framed(out: &mut Vec<u8>, m: &Message) {
    let payload = m.encode();
    let len = u32::try_from(payload.len()).expect("a seed frame fits");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
}

/// Real streams: a hello from an empty peer, from a peer holding only the council, from a peer
/// holding everything, each followed by real items (all of them, or one of each kind, or the
/// documents' next changes).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use crdt_model::replica::{Item, Replica};
    let w = world();
    let empty = proto::hello(&Replica::new(w.genesis.clone()));
    let council = proto::hello(&w.council_replica());
    let full = proto::hello(&w.replica());
    let next: Vec<Item> = w
        .docs
        .iter()
        .map(|d| Item::Change(d.next.clone()))
        .collect();
    let one_of_each: Vec<Item> = ["op", "change", "statement", "ballot"]
        .iter()
        .filter_map(|k| {
            w.items.iter().rev().find(|it| {
                matches!(
                    (k, it),
                    (&"op", Item::Op(_))
                        | (&"change", Item::Change(_))
                        | (&"statement", Item::Statement(_))
                        | (&"ballot", Item::Ballot(_))
                )
            })
        })
        .cloned()
        .collect();
    let mut out = Vec::new();
    for (name, hello, items) in [
        ("seed-empty-hello-then-everything", &empty, w.items.clone()),
        (
            "seed-council-hello-then-the-rest",
            &council,
            w.items[w.council_ops.len()..].to_vec(),
        ),
        ("seed-full-hello-then-one-of-each", &full, one_of_each),
        ("seed-full-hello-then-next-changes", &full, next),
        ("seed-full-hello-only", &full, Vec::new()),
    ] {
        let mut bytes = Vec::new();
        framed(&mut bytes, &Message::Hello(hello.clone()));
        for batch in proto::batches(items) {
            framed(&mut bytes, &batch);
        }
        out.push((name.to_string(), bytes));
    }
    let mut twice = Vec::new();
    framed(&mut twice, &Message::Hello(empty.clone()));
    framed(&mut twice, &Message::Hello(full.clone()));
    framed(&mut twice, &Message::Items(vec![]));
    out.push(("seed-two-hellos-and-an-empty-batch".to_string(), twice));
    out
}
