//! The checker: one thread per device that decodes received frames and passes their items
//! through the trust core ([`Node::apply`](crate::Node::apply): signatures, rights, document
//! validation), away from the async threads that move every connection's bytes.
//!
//! Connections hand it frames through a bounded queue, each at most `IN_FLIGHT` at a time, so
//! a peer that sends faster than its items are checked waits (and QUIC flow control slows it
//! down) instead of piling frames up, and a flood of expensive items costs at most this one
//! thread, never the IO of every connection. Frames taken in are checked in turns of
//! [`TURN`] items each, round robin, so an honest peer's item waits behind a few turns of a
//! flooding peer's, not behind its whole frames. The node's lock is taken per item.
//!
//! Here too a peer that keeps sending refused items is disconnected ([`close::ABUSE`]).
//! Items refused only because what they wait for is not here and could not be parked
//! ([`ItemRejected::NotParked`]) are not a verdict on the item and do not count.

use std::collections::VecDeque;
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crdt_model::replica::{Item, ItemRejected, Outcome};
use iroh::EndpointId;
use iroh::endpoint::Connection;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::{Inner, close, lock, proto};

/// A frame received from a peer, to be checked.
pub(super) struct Job {
    /// The peer.
    pub(super) from: EndpointId,
    /// Its connection, closed from here if it abuses.
    pub(super) conn: Connection,
    /// The frame's payload (an `Items` message, not yet decoded).
    pub(super) frame: Vec<u8>,
    /// The connection's room for frames in flight, given back once checked.
    pub(super) _permit: OwnedSemaphorePermit,
}

/// What became of one received item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Applied, or parked.
    Taken,
    /// Already held.
    Duplicate,
    /// Refused: a verdict on the item.
    Refused,
    /// Not parked: it waits for something missing, and is offered again later.
    NotParked,
}

/// Items checked from one frame before the next frame waiting gets its turn.
const TURN: usize = 256;

/// A frame taken in by the checker, decoded on its first turn.
struct Work {
    job: Job,
    items: Option<std::vec::IntoIter<Item>>,
}

/// The checker thread's body: checks jobs, round robin, until the queue closes (and what was
/// taken in is done) or the device is gone.
pub(super) fn run(inner: Weak<Inner>, mut jobs: mpsc::Receiver<Job>) {
    let mut ready: VecDeque<Work> = VecDeque::new();
    let mut open = true;
    loop {
        if ready.is_empty() {
            if !open {
                return;
            }
            match jobs.blocking_recv() {
                Some(job) => ready.push_back(Work { job, items: None }),
                None => return,
            }
        }
        // Each connection has at most IN_FLIGHT jobs, so this holds at most that many per
        // connection.
        while open {
            match jobs.try_recv() {
                Ok(job) => ready.push_back(Work { job, items: None }),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => open = false,
            }
        }
        let Some(mut work) = ready.pop_front() else {
            continue;
        };
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if !inner.check_turn(&mut work) {
            ready.push_back(work);
        }
    }
}

impl Inner {
    /// Checks up to [`TURN`] of a frame's items, in order (decoding it on its first turn);
    /// `true` once the frame is done. Stops at the first refused item past the peer's limit,
    /// disconnecting it.
    fn check_turn(&self, work: &mut Work) -> bool {
        let from = work.job.from;
        let conn = &work.job.conn;
        if conn.close_reason().is_some() {
            // Closed meanwhile (for abuse, or it left): what it sent is not worth the work.
            return true;
        }
        if lock(&self.strikes).over(&from, Instant::now(), &self.limits) {
            // Another of its connections was found abusing: this one goes too.
            conn.close(close::ABUSE.into(), b"too many refused items");
            return true;
        }
        let items = match &mut work.items {
            Some(items) => items,
            None => {
                let frame = std::mem::take(&mut work.job.frame);
                match proto::Message::decode(&frame) {
                    Ok(proto::Message::Items(items)) => work.items.insert(items.into_iter()),
                    Ok(proto::Message::Hello(_)) => return true,
                    Err(e) => {
                        self.refuse(from, format!("malformed frame: {e}"));
                        conn.close(close::MALFORMED.into(), b"malformed frame");
                        return true;
                    }
                }
            }
        };
        for item in items.by_ref().take(TURN) {
            self.counters.checked.fetch_add(1, Ordering::Relaxed);
            if self.receive(item, from) != Verdict::Refused {
                continue;
            }
            let over = lock(&self.strikes).strike(from, Instant::now(), &self.limits);
            if over {
                self.counters.abusers.fetch_add(1, Ordering::Relaxed);
                self.refuse(
                    from,
                    format!(
                        "disconnected: more than {} refused items within {:?}",
                        self.limits.refusals_per_window, self.limits.refusal_window
                    ),
                );
                conn.close(close::ABUSE.into(), b"too many refused items");
                return true;
            }
        }
        items.len() == 0
    }

    /// Checks one received item; if the trust core takes it, forwards it at once and hands it
    /// to the disk writer. Nothing refused is stored or forwarded.
    fn receive(&self, item: Item, from: EndpointId) -> Verdict {
        let outcome = self.node().apply(item.clone());
        match outcome {
            Ok(Outcome::Applied) => {
                if self.has_peer_besides(from) {
                    self.forward(&item, Some(from));
                }
                self.store(item);
                self.changed.notify_waiters();
                Verdict::Taken
            }
            Ok(Outcome::Pending) => {
                self.store(item);
                self.changed.notify_waiters();
                Verdict::Taken
            }
            Ok(Outcome::Duplicate) => Verdict::Duplicate,
            Err(ItemRejected::NotParked(e)) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                self.refuse(from, e.to_string());
                Verdict::NotParked
            }
            Err(e) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                self.refuse(from, e.to_string());
                Verdict::Refused
            }
        }
    }
}
