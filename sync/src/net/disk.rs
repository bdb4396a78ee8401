//! Received items on their way to disk.
//!
//! A peer's connection tasks hand every item the trust core accepted to a [`DiskQueue`]; one
//! thread per device writes what gathered in one durable transaction, about [`FLUSH_EVERY`]
//! after the first of it arrived. Received items are not acknowledged to
//! anyone, so the only cost of a crash before their commit is receiving them again when this
//! device reconnects; this device's own items are committed durably before they are
//! acknowledged (see [`super::SyncNode::publish`]).
//!
//! Why not a channel and a commit per item: during a vote a device takes a ballot every few
//! milliseconds, and a transaction (or merely waking a thread to take an item off a channel)
//! costs about as much as checking the ballot's signature. Here the writer is woken once per
//! window, however many items come, and a device commits a few times a second.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crdt_model::replica::Item;

use crate::store::Store;

/// How long received items wait, on average, for their durable commit.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// The window of the device whose endpoint id starts with `first_byte`: between 150 and
/// 250 ms. Devices that take the same ballot at the same moment then do not all write at the
/// same moment too, which matters where several share one disk (the demo's colleagues, the
/// benchmark's fifty peers): a burst of simultaneous commits stalls whatever comes next.
pub(crate) fn window_for(first_byte: u8) -> Duration {
    FLUSH_EVERY - Duration::from_millis(50) + Duration::from_micros(u64::from(first_byte) * 392)
}

/// The most received items held for one commit.
pub(crate) const MAX_BATCH: usize = 4096;

/// Items waiting for the writer, and whether the device is shutting down.
#[derive(Debug, Default)]
struct Waiting {
    items: Vec<Item>,
    closed: bool,
}

/// The hand-over between connection tasks and the writer thread.
#[derive(Debug)]
pub(crate) struct DiskQueue {
    waiting: Mutex<Waiting>,
    wake: Condvar,
    /// How long the first item of a batch waits for the rest.
    window: Duration,
}

impl DiskQueue {
    /// An empty queue whose batches gather for `window` (see [`window_for`]).
    pub(crate) fn new(window: Duration) -> Self {
        DiskQueue {
            waiting: Mutex::default(),
            wake: Condvar::new(),
            window,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an item for the next commit; `false` once the queue is closed (the item will not
    /// be stored). Wakes the writer only when a window opens or a batch is full.
    pub(crate) fn push(&self, item: Item) -> bool {
        let mut w = self.lock();
        if w.closed {
            return false;
        }
        w.items.push(item);
        if w.items.len() == 1 || w.items.len() >= MAX_BATCH {
            self.wake.notify_one();
        }
        true
    }

    /// Stops taking items; the writer commits what is waiting and ends.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_one();
    }

    /// The next batch to commit, once its window has passed (or the batch is full, or the
    /// queue closed); `None` when the queue is closed and empty.
    fn next_batch(&self) -> Option<Vec<Item>> {
        let mut w = self.lock();
        while w.items.is_empty() && !w.closed {
            w = self.wake.wait(w).unwrap_or_else(|p| p.into_inner());
        }
        let deadline = Instant::now() + self.window;
        while !w.closed && w.items.len() < MAX_BATCH {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            w = self
                .wake
                .wait_timeout(w, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        if w.items.is_empty() {
            return None;
        }
        Some(std::mem::take(&mut w.items))
    }
}

/// The writer thread's body: commits batches from `queue` until it is closed and drained.
pub(crate) fn writer(store: Arc<Store>, queue: Arc<DiskQueue>) {
    while let Some(batch) = queue.next_batch() {
        if let Err(e) = store.append(&batch) {
            tracing::error!(%e, items = batch.len(), "cannot store received items");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::sample::SampleCouncil;

    #[test]
    fn windows_spread_around_the_average_and_stay_short() {
        let all: Vec<Duration> = (0..=255).map(window_for).collect();
        assert_eq!(all[0], Duration::from_millis(150));
        assert!(all[255] <= Duration::from_millis(250));
        assert!(
            all.windows(2).all(|w| w[0] < w[1]),
            "distinct for distinct ids"
        );
    }

    #[test]
    fn a_closed_queue_is_drained_into_the_store_and_refuses_more() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (c, _) = SampleCouncil::new(10, 4).expect("council");
        let store = Arc::new(Store::create(&dir.path().join("s.redb"), &c.genesis).expect("store"));
        let queue = Arc::new(DiskQueue::new(FLUSH_EVERY));
        let thread = {
            let (s, q) = (store.clone(), queue.clone());
            std::thread::spawn(move || writer(s, q))
        };
        let items: Vec<Item> = c.ops.iter().cloned().map(Item::Op).collect();
        assert!(!items.is_empty());
        let before = store.len();
        for item in &items {
            assert!(queue.push(item.clone()));
        }
        // Closing does not wait for the window: the writer commits at once and ends.
        let started = Instant::now();
        queue.close();
        thread.join().expect("writer ended");
        assert!(started.elapsed() < FLUSH_EVERY * 10);
        assert_eq!(store.len(), before + items.len() as u64);
        assert!(
            !queue.push(items[0].clone()),
            "a closed queue takes nothing"
        );
    }
}
