//! The `council/sync/1` protocol, without IO: its messages, their bytes, and what to send a
//! peer given what it says it has.
//!
//! A connection carries one bidirectional stream of length-prefixed frames. Each side first
//! sends a [`Hello`] (its council, its log heads, and the heads of each document it holds), then
//! the items the other side lacks, then every new item as it is accepted. Items are only ever
//! data to be checked: a peer never tells another what to believe.
//!
//! What a peer lacks is not copied out at once: a [`CatchUp`] is a cursor over the replica
//! (log, then each document, then each session) that hands out one frame at a time, built by
//! the items' real encoded size, and resumes from where it stopped. A side with nothing to say
//! sends an empty `Items` frame now and then ([`keepalive`]), so that a silent peer can be told
//! from a gone one.

use std::collections::HashMap;

use automerge::ChangeHash;
use crdt_model::encoding::{DecodeError, Reader, Writer};
use crdt_model::replica::{Item, Replica};
use crdt_model::session::{BallotId, PollId, SessionId, StatementId, StatementKind};
use crdt_model::{CouncilId, DocId, OpId};

/// The protocol's ALPN. Bump the version on any change to the bytes below.
pub const ALPN: &[u8] = b"council/sync/1";
/// Version byte inside [`Hello`].
pub const VERSION: u8 = 1;
/// Largest frame accepted; a larger one closes the connection. Every item fits in one: the
/// largest is a document change of at most 16 MiB of automerge bytes
/// ([`crdt_model::document::MAX_CHANGE_BYTES`]) in an envelope of at most 1024 log heads.
pub const MAX_FRAME: usize = 32 * 1024 * 1024;
/// Items are batched into frames of at most this many encoded bytes; an item larger than
/// this goes alone in its own frame.
pub const BATCH_BYTES: usize = 1024 * 1024;
/// A catch-up's frames hold at most this many encoded bytes (an item larger than this alone):
/// what a connection that stopped reading holds besides QUIC's own buffers. Small next to a
/// QUIC stream window (1.25 MB), large enough that a frame's overhead (a lock, a thread hop,
/// nine bytes) is nothing.
pub const CATCH_UP_BYTES: usize = 256 * 1024;
const MAX_DOCS: usize = 1_000_000;
const MAX_HEADS: usize = 1024;
const MAX_ITEMS: usize = 1_000_000;
/// Bytes of an `Items` frame before its first item: the message kind and the item count.
const ITEMS_HEADER: usize = 5;
/// Bytes before each item inside an `Items` frame: its length.
const ITEM_PREFIX: usize = 4;
/// Lists decoded from a peer reserve at most this many entries up front; they grow with what
/// actually decodes, so a count the bytes do not back costs nothing.
const RESERVE: usize = 64;

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
    /// This device already holds as many connections from that endpoint, or in all, as it
    /// takes (see `Limits`); the reason says which.
    pub const TOO_MANY_CONNECTIONS: u32 = 6;
    /// The peer stopped reading, stalled inside a frame, or said nothing for longer than the
    /// idle timeout; the reason says which.
    pub const TIMEOUT: u32 = 7;
    /// The peer sent more refused items in a short time than an honest peer would; it is
    /// refused again until that time has passed.
    pub const ABUSE: u32 = 8;
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

/// A counted list of at most `max` entries whose room grows with what decodes, never with what
/// the count claims.
fn list<T>(
    r: &mut Reader<'_>,
    what: &'static str,
    max: usize,
    mut f: impl FnMut(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let n = r.len(what, max)?;
    let mut out = Vec::with_capacity(n.min(RESERVE));
    for _ in 0..n {
        out.push(f(r)?);
    }
    Ok(out)
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
                let log_heads = list(&mut r, "log heads", MAX_HEADS, |r| r.hash("head"))?;
                let docs = list(&mut r, "documents", MAX_DOCS, |r| {
                    let id = r.hash("document")?;
                    let heads = list(r, "document heads", MAX_HEADS, |r| {
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
            1 => Message::Items(list(&mut r, "items", MAX_ITEMS, decode_item)?),
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

/// What a frame holds, read from its first bytes only: enough to count a peer's items before
/// anything decodes them (the checks decode the rest, off the network threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peek {
    /// A [`Hello`] (after the first, it changes nothing).
    Hello,
    /// An `Items` frame claiming this many items (zero: a [`keepalive`]). The claim is checked
    /// when the frame is decoded: a frame holding another number does not decode.
    Items(usize),
}

/// Reads what kind of frame `payload` is, and how many items it claims.
pub fn peek(payload: &[u8]) -> Result<Peek, DecodeError> {
    let mut r = Reader::new(payload);
    match r.u8("message kind")? {
        0 => Ok(Peek::Hello),
        1 => Ok(Peek::Items(r.len("items", MAX_ITEMS)?)),
        tag => Err(DecodeError::BadTag {
            what: "message kind",
            tag,
        }),
    }
}

/// An empty `Items` frame: what a side sends when it has said nothing for a while, so that the
/// other can tell it is still there. Every version of the protocol takes it as "no items".
pub fn keepalive() -> Vec<u8> {
    Message::Items(Vec::new()).encode()
}

/// Whether an item's bytes went into a [`FrameBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// It is in the frame.
    Added,
    /// The frame is full: send it, and put the item in the next one.
    Full,
    /// The item alone would make a frame larger than [`MAX_FRAME`], which no peer accepts: it
    /// cannot be sent at all. Items decoded or made by `crdt-model` never are.
    TooLarge,
}

/// Builds the payload of one `Items` frame ([`Message::Items`], byte for byte) from items'
/// bytes, counting their real encoded size.
#[derive(Debug, Clone)]
pub struct FrameBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for FrameBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameBuilder {
    /// An empty frame.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(ITEMS_HEADER);
        buf.push(1);
        buf.extend_from_slice(&[0; ITEMS_HEADER - 1]);
        FrameBuilder { buf, count: 0 }
    }

    /// Adds an item's bytes ([`Item::to_bytes`]) if the frame stays within `budget` bytes; an
    /// item that alone exceeds the budget goes alone in an empty frame.
    pub fn push(&mut self, item: &[u8], budget: usize) -> Pushed {
        let add = ITEM_PREFIX.saturating_add(item.len());
        let Ok(len) = u32::try_from(item.len()) else {
            return Pushed::TooLarge;
        };
        if ITEMS_HEADER.saturating_add(add) > MAX_FRAME {
            return Pushed::TooLarge;
        }
        if self.count > 0
            && (self.buf.len().saturating_add(add) > budget || self.count >= MAX_ITEMS)
        {
            return Pushed::Full;
        }
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(item);
        self.count += 1;
        Pushed::Added
    }

    /// Items in the frame.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether no item was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The frame's bytes so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// The payload.
    pub fn finish(mut self) -> Vec<u8> {
        // At most MAX_ITEMS (checked in `push`), so the count fits.
        let count = u32::try_from(self.count).unwrap_or(u32::MAX).to_be_bytes();
        if let Some(slot) = self.buf.get_mut(1..ITEMS_HEADER) {
            slot.copy_from_slice(&count);
        }
        self.buf
    }
}

/// A one-item frame, or `None` if the item could not go in any frame (see [`Pushed::TooLarge`]).
pub fn single(item: &Item) -> Option<Vec<u8>> {
    let mut f = FrameBuilder::new();
    match f.push(&item.to_bytes(), MAX_FRAME) {
        Pushed::Added => Some(f.finish()),
        Pushed::Full | Pushed::TooLarge => None,
    }
}

/// Splits items into frame payloads of at most `budget` encoded bytes each (an item larger
/// than that alone in its frame). Items that fit no frame at all are left out.
pub fn frames(items: &[Item], budget: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = FrameBuilder::new();
    for it in items {
        let bytes = it.to_bytes();
        if cur.push(&bytes, budget) == Pushed::Full {
            out.push(std::mem::take(&mut cur).finish());
            // An empty frame takes anything that fits a frame at all.
            let _ = cur.push(&bytes, budget);
        }
    }
    if !cur.is_empty() {
        out.push(cur.finish());
    }
    out
}

/// Splits items into messages of at most [`BATCH_BYTES`] encoded bytes each, counting each
/// item's real encoded size (an item larger than that alone in its message). Items that fit no
/// frame at all are left out. [`frames`] does the same without keeping the items.
pub fn batches(items: Vec<Item>) -> Vec<Message> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut size = ITEMS_HEADER;
    for it in items {
        let n = ITEM_PREFIX.saturating_add(it.to_bytes().len());
        if ITEMS_HEADER.saturating_add(n) > MAX_FRAME {
            tracing::error!(bytes = n, "an item too large for any frame");
            continue;
        }
        if !cur.is_empty() && (size.saturating_add(n) > BATCH_BYTES || cur.len() >= MAX_ITEMS) {
            out.push(Message::Items(std::mem::take(&mut cur)));
            size = ITEMS_HEADER;
        }
        size = size.saturating_add(n);
        cur.push(it);
    }
    if !cur.is_empty() {
        out.push(Message::Items(cur));
    }
    out
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

/// What this side held when a catch-up began: its [`Hello`], and how many statements and
/// ballots each session held (a hello says nothing of sessions).
#[derive(Debug, Clone)]
pub struct Summary {
    hello: Hello,
    sessions: HashMap<SessionId, (usize, usize)>,
}

impl Summary {
    /// The replica's summary now.
    pub fn of(replica: &Replica) -> Self {
        Summary {
            hello: hello(replica),
            sessions: replica
                .sessions()
                .iter()
                .map(|(id, s)| (*id, (s.statement_count(), s.ballot_count())))
                .collect(),
        }
    }
}

/// What a peer is known to hold, or to have been sent: a lower bound, so that a catch-up
/// against it sends everything the peer may lack.
#[derive(Debug, Clone, Default)]
pub struct Known {
    log_heads: Vec<OpId>,
    docs: HashMap<DocId, Vec<ChangeHash>>,
    /// Sessions whose every statement and ballot the peer was sent, with the counts they had
    /// then; `None` when nothing is known of the peer's sessions (a hello does not say), and
    /// every session is sent whole.
    sessions: Option<HashMap<SessionId, (usize, usize)>>,
}

impl Known {
    /// What a peer's hello says it holds.
    pub fn from_hello(theirs: &Hello) -> Self {
        Known {
            log_heads: theirs.log_heads.clone(),
            docs: theirs.docs.iter().cloned().collect(),
            sessions: None,
        }
    }

    /// What a peer that said `theirs` holds once a catch-up that began when this side held
    /// `mine` has been sent whole: everything either of them held. A session that has grown
    /// since `mine` is sent whole again by the next catch-up; the others not at all.
    pub fn after_catch_up(theirs: &Hello, mine: &Summary) -> Self {
        let mut known = Known::from_hello(theirs);
        known.log_heads.extend(mine.hello.log_heads.iter().copied());
        for (id, heads) in &mine.hello.docs {
            known
                .docs
                .entry(*id)
                .or_default()
                .extend(heads.iter().copied());
        }
        known.sessions = Some(mine.sessions.clone());
        known
    }
}

/// Where a catch-up stands: its watermark.
#[derive(Debug)]
enum Stage {
    /// The log; the operations to send are listed on first use.
    Log(Option<(Vec<OpId>, usize)>),
    /// Documents in id order: those after `after`, and the one being sent.
    Docs {
        after: Option<DocId>,
        current: Option<DocCursor>,
    },
    /// Sessions in id order: those after `after`, and the one being sent.
    Sessions {
        after: Option<SessionId>,
        current: Option<SessionCursor>,
    },
    /// Everything was offered.
    Done,
}

/// The changes of one document the peer lacks, and how many were sent.
#[derive(Debug)]
struct DocCursor {
    id: DocId,
    changes: Vec<ChangeHash>,
    next: usize,
}

/// One session being sent: its statements (parents first), then each poll's ballots in id
/// order, after the last one sent.
#[derive(Debug)]
struct SessionCursor {
    id: SessionId,
    statements: Vec<StatementId>,
    next: usize,
    polls: Vec<PollId>,
    poll: usize,
    after_ballot: Option<BallotId>,
}

/// How to move past the item [`CatchUp::next_item`] returned.
#[derive(Debug, Clone, Copy)]
enum Step {
    Next,
    Ballot(BallotId),
}

/// A catch-up in progress: what a peer lacks, handed out one frame at a time from a replica
/// that may change in between (read it under the node's lock, write without it). Nothing is
/// copied ahead: the cursor holds the ids of the log operations still to send and of the
/// current document's changes (32 bytes each), and what one frame holds.
///
/// What arrives after the catch-up began may or may not be included: the connection forwards
/// it as it is accepted anyway. Nothing it already handed out is handed out again.
#[derive(Debug)]
pub struct CatchUp {
    known: Known,
    stage: Stage,
}

impl CatchUp {
    /// A catch-up of everything a peer that holds `known` lacks.
    pub fn new(known: Known) -> Self {
        CatchUp {
            known,
            stage: Stage::Log(None),
        }
    }

    /// Whether everything was handed out.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Bytes of ids this cursor holds (besides what it knows of the peer).
    pub fn held_bytes(&self) -> usize {
        let id = std::mem::size_of::<OpId>();
        match &self.stage {
            Stage::Log(Some((ids, _))) => ids.len().saturating_mul(id),
            Stage::Docs {
                current: Some(c), ..
            } => c.changes.len().saturating_mul(id),
            Stage::Sessions {
                current: Some(c), ..
            } => c
                .statements
                .len()
                .saturating_add(c.polls.len())
                .saturating_mul(id),
            _ => 0,
        }
    }

    /// The next frame's payload: items the peer lacks, from where the last frame stopped, up to
    /// `budget` encoded bytes (an item larger than that alone); `None` once everything was
    /// handed out.
    pub fn next_frame(&mut self, replica: &Replica, budget: usize) -> Option<Vec<u8>> {
        let mut frame = FrameBuilder::new();
        while let Some((bytes, step)) = self.next_item(replica) {
            match frame.push(&bytes, budget) {
                Pushed::Added => self.advance(step),
                Pushed::Full => break,
                Pushed::TooLarge => {
                    tracing::error!(bytes = bytes.len(), "an item too large for any frame");
                    self.advance(step);
                }
            }
        }
        (!frame.is_empty()).then(|| frame.finish())
    }

    /// The item at the watermark (moving the watermark past what no longer needs sending),
    /// without moving past it.
    fn next_item(&mut self, replica: &Replica) -> Option<(Vec<u8>, Step)> {
        loop {
            match &mut self.stage {
                Stage::Log(ids) => {
                    let (ids, next) = ids.get_or_insert_with(|| {
                        let missing = replica
                            .log()
                            .ops_after(&self.known.log_heads)
                            .into_iter()
                            .map(|op| op.id())
                            .collect();
                        (missing, 0)
                    });
                    match ids.get(*next) {
                        Some(id) => match replica.log().get(id) {
                            Some(op) => return Some((Item::Op(op.clone()).to_bytes(), Step::Next)),
                            None => *next += 1,
                        },
                        None => {
                            self.stage = Stage::Docs {
                                after: None,
                                current: None,
                            }
                        }
                    }
                }
                Stage::Docs { after, current } => {
                    if let Some(c) = current {
                        let change = replica
                            .documents()
                            .get(&c.id)
                            .and_then(|d| c.changes.get(c.next).and_then(|h| d.change(h)));
                        match change {
                            Some(ch) => {
                                return Some((Item::Change(ch.clone()).to_bytes(), Step::Next));
                            }
                            None if c.next < c.changes.len() => c.next += 1,
                            None => {
                                *after = Some(c.id);
                                *current = None;
                            }
                        }
                        continue;
                    }
                    let range = match after {
                        Some(a) => replica
                            .documents()
                            .range((std::ops::Bound::Excluded(*a), std::ops::Bound::Unbounded)),
                        None => replica.documents().range(..),
                    };
                    let mut found = None;
                    for (id, doc) in range {
                        let heads = self.known.docs.get(id).map(Vec::as_slice).unwrap_or(&[]);
                        let changes: Vec<ChangeHash> =
                            doc.changes_after(heads).iter().map(|c| c.hash()).collect();
                        if !changes.is_empty() {
                            found = Some(DocCursor {
                                id: *id,
                                changes,
                                next: 0,
                            });
                            break;
                        }
                    }
                    match found {
                        Some(c) => *current = Some(c),
                        None => {
                            self.stage = Stage::Sessions {
                                after: None,
                                current: None,
                            };
                        }
                    }
                }
                Stage::Sessions { after, current } => {
                    if let Some(c) = current {
                        let Some(s) = replica.session(&c.id) else {
                            *after = Some(c.id);
                            *current = None;
                            continue;
                        };
                        if let Some(id) = c.statements.get(c.next) {
                            match s.get(id) {
                                Some(st) => {
                                    return Some((
                                        Item::Statement(st.clone()).to_bytes(),
                                        Step::Next,
                                    ));
                                }
                                None => c.next += 1,
                            }
                            continue;
                        }
                        if let Some(poll) = c.polls.get(c.poll) {
                            let next = s
                                .ballots(poll)
                                .find(|b| c.after_ballot.is_none_or(|a| b.id() > a));
                            match next {
                                Some(b) => {
                                    return Some((
                                        Item::Ballot(b.clone()).to_bytes(),
                                        Step::Ballot(b.id()),
                                    ));
                                }
                                None => {
                                    c.poll += 1;
                                    c.after_ballot = None;
                                }
                            }
                            continue;
                        }
                        *after = Some(c.id);
                        *current = None;
                        continue;
                    }
                    let range = match after {
                        Some(a) => replica
                            .sessions()
                            .range((std::ops::Bound::Excluded(*a), std::ops::Bound::Unbounded)),
                        None => replica.sessions().range(..),
                    };
                    let known = self.known.sessions.as_ref();
                    let next = range.into_iter().find(|(id, s)| {
                        known.and_then(|k| k.get(*id))
                            != Some(&(s.statement_count(), s.ballot_count()))
                    });
                    match next {
                        Some((id, s)) => {
                            let statements = s.statements();
                            let polls = statements
                                .iter()
                                .filter(|st| {
                                    matches!(st.statement().kind, StatementKind::OpenPoll(_))
                                })
                                .map(|st| st.id())
                                .collect();
                            *current = Some(SessionCursor {
                                id: *id,
                                statements: statements.iter().map(|st| st.id()).collect(),
                                next: 0,
                                polls,
                                poll: 0,
                                after_ballot: None,
                            });
                        }
                        None => self.stage = Stage::Done,
                    }
                }
                Stage::Done => return None,
            }
        }
    }

    /// Moves the watermark past the item [`CatchUp::next_item`] returned.
    fn advance(&mut self, step: Step) {
        match (&mut self.stage, step) {
            (Stage::Log(Some((_, next))), _) => *next += 1,
            (
                Stage::Docs {
                    current: Some(c), ..
                },
                _,
            ) => c.next += 1,
            (
                Stage::Sessions {
                    current: Some(c), ..
                },
                Step::Ballot(id),
            ) => c.after_ballot = Some(id),
            (
                Stage::Sessions {
                    current: Some(c), ..
                },
                Step::Next,
            ) => c.next += 1,
            _ => {}
        }
    }
}

/// Everything this peer holds that a peer with summary `theirs` lacks, in an order that applies
/// without parking (log first, then each document's changes in dependency order), all at once:
/// what a [`CatchUp`] hands out frame by frame. Kept as the reference the cursor is tested
/// against.
pub fn missing(replica: &Replica, theirs: &Hello) -> Vec<Item> {
    let mut out: Vec<Item> = replica
        .log()
        .ops_after(&theirs.log_heads)
        .into_iter()
        .cloned()
        .map(Item::Op)
        .collect();
    let their_docs: HashMap<&DocId, &Vec<ChangeHash>> =
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

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::hash::Hash;
    use crdt_model::sample::SampleCouncil;
    use crdt_model::session::{AgendaItem, Body, Statement};

    fn full_log() -> (SampleCouncil, Replica) {
        let (c, _) = SampleCouncil::new(5, 2).expect("council");
        let mut r = Replica::new(c.genesis.clone());
        for op in &c.ops {
            r.receive(Item::Op(op.clone())).expect("valid");
        }
        (c, r)
    }

    /// The chair opens `n` sessions, each with an agenda of `items` titles of `title` bytes.
    fn big_agendas(c: &SampleCouncil, r: &mut Replica, n: usize, items: usize, title: usize) {
        for s in 0..n {
            let open = Statement {
                council: r.log().council_id(),
                session: Hash::default(),
                author: c.chair.member_id(),
                parents: vec![],
                time_ms: s as u64,
                kind: StatementKind::OpenSession {
                    body: Body::Council,
                    log_heads: r.log().heads(),
                    label: format!("Сесія {s}"),
                    items: (0..items)
                        .map(|i| AgendaItem {
                            title: format!("{s}.{i} {}", "x".repeat(title)),
                            doc: None,
                        })
                        .collect(),
                },
            }
            .sign(&c.chair);
            r.receive(Item::Statement(open))
                .expect("the chair opens a session");
        }
    }

    fn items_of(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
        frames
            .iter()
            .flat_map(|f| match Message::decode(f) {
                Ok(Message::Items(items)) => items,
                other => panic!("not an items frame: {other:?}"),
            })
            .map(|i| i.to_bytes())
            .collect()
    }

    fn catch_up_frames(r: &Replica, known: Known, budget: usize) -> Vec<Vec<u8>> {
        let mut cu = CatchUp::new(known);
        let mut frames = Vec::new();
        while let Some(f) = cu.next_frame(r, budget) {
            frames.push(f);
        }
        assert!(cu.is_done());
        frames
    }

    #[test]
    fn a_hello_round_trips() {
        let (_, r) = full_log();
        let h = hello(&r);
        match Message::decode(&Message::Hello(h.clone()).encode()) {
            Ok(Message::Hello(back)) => assert_eq!(back, h),
            other => panic!("not a hello: {other:?}"),
        }
    }

    #[test]
    fn a_fresh_peer_is_sent_everything_and_an_equal_peer_nothing() {
        let (c, full) = full_log();
        let empty = Replica::new(c.genesis.clone());
        assert_eq!(missing(&full, &hello(&empty)).len(), c.ops.len());
        assert!(missing(&full, &hello(&full)).is_empty());
        let known = Known::from_hello(&hello(&full));
        assert!(CatchUp::new(known).next_frame(&full, BATCH_BYTES).is_none());
    }

    #[test]
    fn garbage_frames_are_errors() {
        assert!(Message::decode(&[]).is_err());
        assert!(Message::decode(&[9]).is_err());
        assert!(Message::decode(&[1, 0, 0, 0, 1, 0, 0, 0, 0, 3, 1, 2, 3]).is_err());
        let mut ok = Message::Items(vec![]).encode();
        ok.push(0);
        assert!(Message::decode(&ok).is_err());
        assert!(peek(&[9]).is_err());
        assert_eq!(peek(&keepalive()), Ok(Peek::Items(0)));
    }

    /// A frame claiming a million items in a few bytes reserves room for what decodes, not for
    /// the claim (a `Vec<Item>` of a million entries is hundreds of megabytes).
    #[test]
    fn an_item_count_the_bytes_do_not_back_reserves_nothing() {
        let mut lying = vec![1u8];
        lying.extend_from_slice(&1_000_000u32.to_be_bytes());
        lying.extend_from_slice(&[0; 64]);
        assert!(Message::decode(&lying).is_err());
        assert_eq!(peek(&lying), Ok(Peek::Items(1_000_000)));
    }

    #[test]
    fn a_frame_builder_makes_the_bytes_of_an_items_message() {
        let (c, _) = full_log();
        let items: Vec<Item> = c.ops.iter().cloned().map(Item::Op).collect();
        let mut f = FrameBuilder::new();
        for it in &items {
            assert_eq!(f.push(&it.to_bytes(), MAX_FRAME), Pushed::Added);
        }
        assert_eq!(f.finish(), Message::Items(items.clone()).encode());
        assert_eq!(FrameBuilder::new().finish(), keepalive());
        assert_eq!(
            single(&items[0]),
            Some(Message::Items(vec![items[0].clone()]).encode())
        );
    }

    /// The chair's large agendas: each opening is ~300 KB, counted as 512 bytes it made one
    /// frame past `MAX_FRAME`, which every peer refuses, so no fresh peer ever caught up.
    #[test]
    fn frames_of_large_agendas_stay_within_the_batch_budget() {
        let (c, mut r) = full_log();
        big_agendas(&c, &mut r, 130, 70, 4000);
        let all = missing(&r, &hello(&Replica::new(c.genesis.clone())));
        let total: usize = all.iter().map(|i| i.to_bytes().len()).sum();
        assert!(
            total > MAX_FRAME,
            "the agendas together exceed a frame: {total}"
        );
        let frames = frames(&all, BATCH_BYTES);
        for f in &frames {
            let n = match peek(f) {
                Ok(Peek::Items(n)) => n,
                other => panic!("{other:?}"),
            };
            assert!(
                f.len() <= BATCH_BYTES || n == 1,
                "{} bytes in {n} items",
                f.len()
            );
            assert!(f.len() <= MAX_FRAME);
        }
        let sent = items_of(&frames);
        let want: Vec<Vec<u8>> = all.iter().map(Item::to_bytes).collect();
        assert_eq!(sent, want, "every item once, in order");
        // An item larger than the budget goes alone.
        let tiny = super::frames(&all[all.len() - 3..], 1000);
        assert_eq!(tiny.len(), 3);
        // The same, keeping the items.
        let messages = batches(all.clone());
        let encoded: Vec<Vec<u8>> = messages.iter().map(Message::encode).collect();
        assert_eq!(encoded, frames, "batches and frames split alike");
    }

    #[test]
    fn a_catch_up_hands_out_what_missing_lists_once_and_in_order() {
        let (c, mut r) = full_log();
        big_agendas(&c, &mut r, 12, 20, 4000);
        let empty = hello(&Replica::new(c.genesis.clone()));
        let want: Vec<Vec<u8>> = missing(&r, &empty).iter().map(Item::to_bytes).collect();
        for budget in [1, 10_000, 200_000, BATCH_BYTES] {
            let frames = catch_up_frames(&r, Known::from_hello(&empty), budget);
            for f in &frames {
                assert!(f.len() <= budget.max(MAX_FRAME));
            }
            assert_eq!(items_of(&frames), want, "budget {budget}");
        }
    }

    /// After a whole catch-up, a later one (after the connection fell behind) sends what came
    /// since, not the log and every session again.
    #[test]
    fn a_catch_up_after_a_catch_up_sends_only_what_came_since() {
        let (c, mut r) = full_log();
        big_agendas(&c, &mut r, 3, 2, 10);
        let theirs = hello(&Replica::new(c.genesis.clone()));
        let mine = Summary::of(&r);
        let first = catch_up_frames(&r, Known::from_hello(&theirs), BATCH_BYTES);
        assert_eq!(items_of(&first).len(), c.ops.len() + 3);
        let again = catch_up_frames(&r, Known::after_catch_up(&theirs, &mine), BATCH_BYTES);
        assert!(again.is_empty(), "nothing new: nothing sent");
        big_agendas(&c, &mut r, 1, 2, 20);
        let since = catch_up_frames(&r, Known::after_catch_up(&theirs, &mine), BATCH_BYTES);
        assert_eq!(items_of(&since).len(), 1, "only the new session");
    }

    /// Frames handed out while the replica grows never repeat an item.
    #[test]
    fn a_catch_up_resumes_from_its_watermark_while_the_replica_grows() {
        let (c, mut r) = full_log();
        big_agendas(&c, &mut r, 6, 2, 10);
        let theirs = hello(&Replica::new(c.genesis.clone()));
        let mut cu = CatchUp::new(Known::from_hello(&theirs));
        let mut sent = Vec::new();
        let mut grown = 0;
        while let Some(f) = cu.next_frame(&r, 1) {
            sent.extend(items_of(&[f]));
            if grown < 4 {
                big_agendas(&c, &mut r, 1, 1, grown);
                grown += 1;
            }
        }
        let mut unique = sent.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), sent.len(), "no item handed out twice");
        assert!(sent.len() >= c.ops.len() + 6);
    }
}
