//! A device: its replica in memory and its store on disk, kept in step.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crdt_model::SignedGenesis;
use crdt_model::identity::Device;
use crdt_model::replica::{Item, ItemRejected, Outcome, Replica};
use thiserror::Error;

use crate::store::{OpenError, PeerRecord, ReadError, Store, WriteError};

/// Why an item was not taken.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The trust core refused it: it is neither stored nor forwarded.
    #[error("refused: {0}")]
    Refused(#[from] ItemRejected),
    /// It was valid but could not be saved; it is not acknowledged.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// One device's council.
#[derive(Debug)]
pub struct Node {
    replica: Replica,
    store: Arc<Store>,
}

impl Node {
    /// Creates a device store (with a new device identity) for a new (or newly joined) council.
    /// Refuses an existing store: for a device that already has one (made by `council key`),
    /// use [`Store::open_or_create`], [`Store::set_genesis`] and [`Node::from_store`].
    pub fn create(path: &Path, genesis: SignedGenesis) -> Result<Node, OpenError> {
        let store = Store::create(path, &genesis)?;
        Ok(Node {
            replica: Replica::new(genesis),
            store: Arc::new(store),
        })
    }

    /// Creates a device store for the member holding `key` (see [`Store::create_for`]).
    pub fn create_for(
        path: &Path,
        genesis: SignedGenesis,
        key: crdt_model::SecretKey,
    ) -> Result<Node, OpenError> {
        let store = Store::create_for(path, Some(&genesis), key)?;
        Ok(Node {
            replica: Replica::new(genesis),
            store: Arc::new(store),
        })
    }

    /// Opens a device's store and rebuilds its replica.
    pub fn open(path: &Path) -> Result<Node, OpenError> {
        let (store, replica) = Store::open(path)?;
        Ok(Node {
            replica,
            store: Arc::new(store),
        })
    }

    /// A node over an open store that belongs to a council ([`OpenError::NoCouncil`] if not
    /// yet): rebuilds its replica.
    pub fn from_store(store: Store) -> Result<Node, OpenError> {
        let replica = store.load_replica()?;
        Ok(Node {
            replica,
            store: Arc::new(store),
        })
    }

    /// The replica, to read.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// The replica, for local edits; call [`Node::persist`] with the items they produced.
    pub fn replica_mut(&mut self) -> &mut Replica {
        &mut self.replica
    }

    /// The store, for its peer and sync-progress tables.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This device's identity (member key and device id), kept in the store.
    pub fn identity(&self) -> &Device {
        self.store.identity()
    }

    /// Receives an item (from a peer): checks it, stores it durably, and only then reports it
    /// taken. A refused item is never stored.
    pub fn receive(&mut self, item: Item) -> Result<Outcome, NodeError> {
        let outcome = self.replica.receive(item.clone())?;
        if outcome != Outcome::Duplicate {
            self.store.append(std::slice::from_ref(&item))?;
        }
        Ok(outcome)
    }

    /// Checks and applies an item in memory only; the caller stores it (through
    /// [`Node::store_handle`]) before acknowledging it. Lets the network layer forward a checked
    /// item at once and commit it to disk off the hot path.
    pub fn apply(&mut self, item: Item) -> Result<Outcome, ItemRejected> {
        self.replica.receive(item)
    }

    /// A shared handle on the store, to append from another thread without holding the node.
    pub fn store_handle(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// Stores items this device produced itself (already applied to the replica).
    pub fn persist(&mut self, items: &[Item]) -> Result<(), WriteError> {
        self.store.append(items)
    }

    /// Items stored.
    pub fn stored(&self) -> u64 {
        self.store.len()
    }

    /// Records how to reach `peer` (an endpoint id), durably.
    pub fn put_peer(&self, peer: &[u8; 32], record: &PeerRecord) -> Result<(), WriteError> {
        self.store.put_peer(peer, record)
    }

    /// Every peer known, by endpoint id.
    pub fn peers(&self) -> Result<BTreeMap<[u8; 32], PeerRecord>, ReadError> {
        self.store.peers()
    }

    /// Saves what the sync protocol remembers about `peer`, durably.
    pub fn put_progress(&self, peer: &[u8; 32], progress: &[u8]) -> Result<(), WriteError> {
        self.store.put_progress(peer, progress)
    }

    /// What the sync protocol saved about `peer`.
    pub fn progress(&self, peer: &[u8; 32]) -> Result<Option<Vec<u8>>, ReadError> {
        self.store.progress(peer)
    }
}
