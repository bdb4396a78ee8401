//! Where the engine's items go: a node on this device only, or a node on the network.

use std::sync::{Arc, Mutex, MutexGuard};

use council_sync::Node;
use council_sync::net::SyncNode;
use crdt_model::replica::{Item, Outcome};

use super::error::CommandError;

/// The device's node, offline or networked. Both store every item durably before a command
/// returns; the networked one also pushes it to every connected peer at once.
#[derive(Debug, Clone)]
pub enum Backend {
    /// No network: the store only (first run, tests, a device kept offline).
    Local(Arc<Mutex<Node>>),
    /// On the network.
    Net(SyncNode),
}

impl Backend {
    /// Runs `f` on the node, under its lock. Keep `f` short: the network waits for it.
    pub fn with_node<R>(&self, f: impl FnOnce(&mut Node) -> R) -> R {
        match self {
            Backend::Local(n) => f(&mut lock(n)),
            Backend::Net(s) => s.with_node(f),
        }
    }

    /// Stores (and sends) items this device made and already applied to its replica.
    pub fn publish(&self, items: Vec<Item>) -> Result<(), CommandError> {
        match self {
            Backend::Local(n) => lock(n)
                .persist(&items)
                .map_err(|e| CommandError::Save(e.to_string())),
            Backend::Net(s) => s
                .publish(items)
                .map_err(|e| CommandError::Save(e.to_string())),
        }
    }

    /// Checks, applies, stores (and sends) an item this device signed but did not apply.
    pub fn submit(&self, item: Item) -> Result<Outcome, CommandError> {
        let r = match self {
            Backend::Local(n) => lock(n).receive(item),
            Backend::Net(s) => s.submit(item),
        };
        r.map_err(|e| CommandError::Refused(e.to_string()))
    }

    /// The network side, if any.
    pub fn net(&self) -> Option<&SyncNode> {
        match self {
            Backend::Local(_) => None,
            Backend::Net(s) => Some(s),
        }
    }
}

/// Locks the node; a panic elsewhere while holding it leaves a node that is still consistent
/// (every mutation is a complete receive), so the poison is cleared rather than spread.
fn lock(n: &Mutex<Node>) -> MutexGuard<'_, Node> {
    n.lock().unwrap_or_else(|p| p.into_inner())
}
