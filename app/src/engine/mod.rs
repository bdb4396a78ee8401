//! The app's engine: this device's council as the UI sees it. The UI never touches the
//! replica's automerge documents or signs anything itself: it reads view models
//! ([`crate::views`]) built from [`Engine::read`] and sends [`Command`]s to [`Engine::run`],
//! which checks them against the council's rules, signs them with the member's key, stores them
//! durably and pushes them to the connected peers before returning.

mod backend;
mod command;
mod error;
mod run;
mod status;

use std::sync::Arc;

use council_sync::Node;
use council_sync::net::SyncNode;
use crdt_model::replica::Replica;
use crdt_model::{Device, MemberId};

pub use backend::Backend;
pub use command::{Command, SessionAct};
pub use error::CommandError;
pub use run::{Made, replace_lines};
pub use status::{PeerRow, SyncStatus};

/// Milliseconds since the Unix epoch, as this device sees them. Tests and the demo pin it.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    })
}

/// One member's device: its identity and its node. Cheap to clone; every clone drives the same
/// node.
#[derive(Clone)]
pub struct Engine {
    device: Device,
    backend: Backend,
    clock: Clock,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("member", &self.device.member_id())
            .field("backend", &self.backend)
            .finish()
    }
}

impl Engine {
    /// An engine over a node with no network.
    pub fn local(node: Node) -> Self {
        let device = node.identity().clone();
        Engine {
            device,
            backend: Backend::Local(Arc::new(std::sync::Mutex::new(node))),
            clock: system_clock(),
        }
    }

    /// An engine over a node on the network.
    pub fn networked(sync: SyncNode) -> Self {
        let device = sync.with_node(|n| n.identity().clone());
        Engine {
            device,
            backend: Backend::Net(sync),
            clock: system_clock(),
        }
    }

    /// The same engine with another clock (tests, the demo).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// This device's member.
    pub fn me(&self) -> MemberId {
        self.device.member_id()
    }

    /// This device's identity (to show the key, or export a backup).
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Now, by this device's clock.
    pub fn now_ms(&self) -> u64 {
        (self.clock)()
    }

    /// The node underneath.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Reads the replica. Keep `f` short: it holds the node while the network waits.
    pub fn read<R>(&self, f: impl FnOnce(&Replica) -> R) -> R {
        self.backend.with_node(|n| f(n.replica()))
    }

    /// A number that grows whenever the replica takes an item: views rebuild when it moves.
    pub fn revision(&self) -> usize {
        self.read(Replica::item_count)
    }
}
