//! The `council/sync/1` protocol, without IO: its messages, their bytes, and what to send a
//! peer given what it says it has.
//!
//! A connection carries one bidirectional stream of length-prefixed frames. Each side first
//! sends a [`Hello`] (its council, its log heads, and the heads of each document it holds), then
//! the items the other side lacks, then every new item as it is accepted. Items are only ever
//! data to be checked: a peer never tells another what to believe.

use automerge::ChangeHash;
use crdt_model::encoding::{DecodeError, Reader, Writer};
use crdt_model::replica::{Item, Replica};
use crdt_model::{CouncilId, DocId, OpId};

/// The protocol's ALPN. Bump the version on any change to the bytes below.
pub const ALPN: &[u8] = b"council/sync/1";
/// Version byte inside [`Hello`].
pub const VERSION: u8 = 1;
/// Largest frame accepted; a larger one closes the connection.
pub const MAX_FRAME: usize = 32 * 1024 * 1024;
/// Items are batched into frames of about this size.
pub const BATCH_BYTES: usize = 1024 * 1024;
const MAX_DOCS: usize = 1_000_000;
const MAX_HEADS: usize = 1024;
const MAX_ITEMS: usize = 1_000_000;

/// Application close codes, so a refused peer can tell why.
pub mod close {
    /// Normal end.
    pub const DONE: u32 = 0;
    /// The endpoint is not on the council's roster (or was removed).
    pub const NOT_A_MEMBER: u32 = 1;
    /// The peer belongs to another council.
    pub const WRONG_COUNCIL: u32 = 2;
    /// A frame could not be decoded.
    pub const MALFORMED: u32 = 3;
    /// A frame was larger than [`super::MAX_FRAME`].
    pub const TOO_LARGE: u32 = 4;
    /// The peer speaks another protocol version.
    pub const VERSION: u32 = 5;
}

/// What a peer holds, in summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Protocol version.
    pub version: u8,
    /// The council.
    pub council: CouncilId,
    /// Heads of its council log.
    pub log_heads: Vec<OpId>,
    /// Heads of each document it holds.
    pub docs: Vec<(DocId, Vec<ChangeHash>)>,
}

/// A frame's content.
#[derive(Debug, Clone)]
pub enum Message {
    /// Sent first by both sides.
    Hello(Hello),
    /// Signed items.
    Items(Vec<Item>),
}

/// Encodes one item as a length-prefixed [`Item::to_bytes`].
pub fn encode_item(item: &Item, w: &mut Writer) {
    w.bytes(&item.to_bytes());
}

/// Decodes [`encode_item`].
pub fn decode_item(r: &mut Reader<'_>) -> Result<Item, DecodeError> {
    Item::from_bytes(r.bytes("item", MAX_FRAME)?).map_err(|_| DecodeError::Invalid {
        what: "item",
        why: "its signed bytes do not decode",
    })
}

impl Message {
    /// The frame payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            Message::Hello(h) => {
                w.u8(0).u8(h.version).hash(&h.council);
                w.list(&h.log_heads, |w, x| {
                    w.hash(x);
                });
                w.list(&h.docs, |w, (id, heads)| {
                    w.hash(id).list(heads, |w, h| {
                        w.raw(&h.0);
                    });
                });
            }
            Message::Items(items) => {
                w.u8(1).list(items, |w, it| encode_item(it, w));
            }
        }
        w.finish()
    }

    /// Decodes a frame payload; anything malformed is an error, never a guess.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let m = match r.u8("message kind")? {
            0 => {
                let version = r.u8("version")?;
                let council = r.hash("council")?;
                let log_heads = r.list("log heads", MAX_HEADS, |r| r.hash("head"))?;
                let docs = r.list("documents", MAX_DOCS, |r| {
                    let id = r.hash("document")?;
                    let heads = r.list("document heads", MAX_HEADS, |r| {
                        Ok(ChangeHash(r.array("change hash")?))
                    })?;
                    Ok((id, heads))
                })?;
                Message::Hello(Hello {
                    version,
                    council,
                    log_heads,
                    docs,
                })
            }
            1 => Message::Items(r.list("items", MAX_ITEMS, decode_item)?),
            tag => {
                return Err(DecodeError::BadTag {
                    what: "message kind",
                    tag,
                });
            }
        };
        r.finish()?;
        Ok(m)
    }
}

/// This peer's summary.
pub fn hello(replica: &Replica) -> Hello {
    Hello {
        version: VERSION,
        council: replica.log().council_id(),
        log_heads: replica.log().heads(),
        docs: replica
            .documents()
            .iter()
            .map(|(id, d)| (*id, d.heads()))
            .collect(),
    }
}

/// Everything this peer holds that a peer with summary `theirs` lacks, in an order that applies
/// without parking (log first, then each document's changes in dependency order).
pub fn missing(replica: &Replica, theirs: &Hello) -> Vec<Item> {
    let mut out: Vec<Item> = replica
        .log()
        .ops_after(&theirs.log_heads)
        .into_iter()
        .cloned()
        .map(Item::Op)
        .collect();
    let their_docs: std::collections::HashMap<&DocId, &Vec<ChangeHash>> =
        theirs.docs.iter().map(|(id, h)| (id, h)).collect();
    for (id, doc) in replica.documents() {
        let heads = their_docs.get(id).map(|h| h.as_slice()).unwrap_or(&[]);
        out.extend(
            doc.changes_after(heads)
                .into_iter()
                .cloned()
                .map(Item::Change),
        );
    }
    // Sessions are small next to documents: send all their statements and ballots; the peer
    // drops what it has.
    out.extend(
        replica
            .items()
            .into_iter()
            .filter(|i| matches!(i, Item::Statement(_) | Item::Ballot(_))),
    );
    out
}

/// Splits items into frames of about [`BATCH_BYTES`] each.
pub fn batches(items: Vec<Item>) -> Vec<Message> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut size = 0;
    for it in items {
        let n = match &it {
            Item::Change(c) => c.change().raw_bytes().len() + 256,
            Item::Op(_) | Item::Statement(_) | Item::Ballot(_) => 512,
        };
        if size + n > BATCH_BYTES && !cur.is_empty() {
            out.push(Message::Items(std::mem::take(&mut cur)));
            size = 0;
        }
        size += n;
        cur.push(it);
    }
    if !cur.is_empty() {
        out.push(Message::Items(cur));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::sample::SampleCouncil;

    #[test]
    fn a_hello_round_trips() {
        let (c, _) = SampleCouncil::new(5, 2).expect("council");
        let mut r = Replica::new(c.genesis.clone());
        for op in &c.ops {
            r.receive(Item::Op(op.clone())).expect("valid");
        }
        let h = hello(&r);
        match Message::decode(&Message::Hello(h.clone()).encode()) {
            Ok(Message::Hello(back)) => assert_eq!(back, h),
            other => panic!("not a hello: {other:?}"),
        }
    }

    #[test]
    fn a_fresh_peer_is_sent_everything_and_an_equal_peer_nothing() {
        let (c, _) = SampleCouncil::new(5, 2).expect("council");
        let mut full = Replica::new(c.genesis.clone());
        for op in &c.ops {
            full.receive(Item::Op(op.clone())).expect("valid");
        }
        let empty = Replica::new(c.genesis.clone());
        assert_eq!(missing(&full, &hello(&empty)).len(), c.ops.len());
        assert!(missing(&full, &hello(&full)).is_empty());
    }

    #[test]
    fn garbage_frames_are_errors() {
        assert!(Message::decode(&[]).is_err());
        assert!(Message::decode(&[9]).is_err());
        assert!(Message::decode(&[1, 0, 0, 0, 1, 0, 0, 0, 0, 3, 1, 2, 3]).is_err());
        let mut ok = Message::Items(vec![]).encode();
        ok.push(0);
        assert!(Message::decode(&ok).is_err());
    }
}
