//! The network side: one iroh endpoint per device, whose id is the member's key, speaking
//! `council/sync/1` with the council's other peers.
//!
//! Nothing here decides what to believe: every received item goes through the trust core
//! ([`Node::receive`]) before it is stored, and only items it applied are forwarded. Nothing
//! reaches out to public services: no address lookup but the addresses we were given, no relay
//! but the council's own, no DNS fallback resolvers.

mod frame;
pub mod proto;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crdt_model::access::AccessList;
use crdt_model::replica::{Item, Outcome, Replica};
use crdt_model::{MemberId, SecretKey};
use iroh::address_lookup::MemoryLookup;
use iroh::dns::DnsResolver;
use iroh::endpoint::{Connection, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{
    Endpoint, EndpointAddr, EndpointId, NetReportConfig, RelayConfig, RelayMap, RelayMode, RelayUrl,
};
use thiserror::Error;
use tokio::sync::{Notify, broadcast, mpsc};

pub use frame::FrameError;
pub use proto::{ALPN, close};

use crate::node::{Node, NodeError};

/// How a device reaches its peers.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The council's relay, if it runs one.
    pub relay: Option<RelayUrl>,
    /// Local address to bind (use `127.0.0.1:0` in tests).
    pub bind: SocketAddr,
    /// Whether to use direct IP paths; `false` forces everything through the relay.
    pub direct: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            relay: None,
            bind: SocketAddr::from(([0, 0, 0, 0], 0)),
            direct: true,
        }
    }
}

/// Why the network side could not do something.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    /// The endpoint could not bind.
    #[error("cannot start the network endpoint: {0}")]
    Bind(String),
    /// A peer could not be reached.
    #[error("cannot connect to {peer}: {reason}")]
    Connect {
        /// Which peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// The peer is not on the roster: we do not talk to it.
    #[error("{0} is not a member of this council; refusing to connect")]
    NotAMember(String),
    /// Saving a local item failed.
    #[error(transparent)]
    Store(#[from] crate::store::WriteError),
}

/// A refusal seen on the wire, for diagnostics and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The peer that sent it.
    pub from: EndpointId,
    /// Why it was refused.
    pub reason: String,
}

#[derive(Debug)]
struct Event {
    item: Item,
    origin: Option<EndpointId>,
}

#[derive(Debug)]
struct Inner {
    node: Mutex<Node>,
    lookup: MemoryLookup,
    events: broadcast::Sender<Arc<Event>>,
    changed: Notify,
    peers: Mutex<HashMap<EndpointId, usize>>,
    refusals: Mutex<Vec<Refusal>>,
    /// Connection tasks still running (each holds a reference to this).
    tasks: std::sync::atomic::AtomicUsize,
}

/// Counts a running connection task for as long as it lives.
struct TaskGuard(Arc<Inner>);

impl TaskGuard {
    fn new(inner: &Arc<Inner>) -> Self {
        inner
            .tasks
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        TaskGuard(inner.clone())
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0
            .tasks
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

impl Inner {
    fn node(&self) -> MutexGuard<'_, Node> {
        self.node.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn access(&self) -> AccessList {
        AccessList::from_state(self.node().replica().log().state())
    }

    fn refuse(&self, from: EndpointId, reason: String) {
        tracing::debug!(%from, %reason, "refused");
        self.refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Refusal { from, reason });
    }

    /// Checks and stores one received item; forwards it if it was applied.
    fn receive(&self, item: Item, from: EndpointId) {
        let outcome = self.node().receive(item.clone());
        match outcome {
            Ok(Outcome::Applied) => {
                // No receiver simply means no peer is connected.
                let _ = self.events.send(Arc::new(Event {
                    item,
                    origin: Some(from),
                }));
                self.changed.notify_waiters();
            }
            Ok(Outcome::Pending) => self.changed.notify_waiters(),
            Ok(Outcome::Duplicate) => {}
            Err(NodeError::Refused(e)) => self.refuse(from, e.to_string()),
            Err(NodeError::Write(e)) => tracing::error!(%e, "cannot store a received item"),
        }
    }
}

/// A device on the network: its node, its endpoint, its connections. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SyncNode {
    inner: Arc<Inner>,
    router: Router,
}

#[derive(Debug, Clone)]
struct Handler {
    inner: Arc<Inner>,
}

impl ProtocolHandler for Handler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let peer = conn.remote_id();
        let member = MemberId(*peer.as_bytes());
        if let Err(denied) = self.inner.access().check(&member) {
            conn.close(close::NOT_A_MEMBER.into(), denied.to_string().as_bytes());
            return Err(AcceptError::from_err(denied));
        }
        run_connection(self.inner.clone(), conn, false).await;
        Ok(())
    }
}

impl SyncNode {
    /// Starts the endpoint of the device holding `key`, serving `node`.
    pub async fn spawn(node: Node, key: &SecretKey, config: NetConfig) -> Result<Self, NetError> {
        let lookup = MemoryLookup::new();
        let relay_mode = match &config.relay {
            Some(url) => RelayMode::Custom(RelayMap::from(RelayConfig::new(url.clone(), None))),
            None => RelayMode::Disabled,
        };
        let mut report = NetReportConfig::minimal();
        report.https_probes = config.relay.is_some();
        let mut builder = Endpoint::builder(presets::Minimal)
            .secret_key(iroh::SecretKey::from_bytes(&key.to_bytes()))
            .alpns(vec![ALPN.to_vec()])
            .relay_mode(relay_mode)
            .address_lookup(lookup.clone())
            .net_report_config(report)
            .dns_resolver(
                DnsResolver::builder()
                    .with_system_defaults()
                    .disable_fallback()
                    .build(),
            )
            .bind_addr(config.bind)
            .map_err(|e| NetError::Bind(e.to_string()))?;
        if !config.direct {
            builder = builder.clear_ip_transports();
        }
        let endpoint = builder
            .bind()
            .await
            .map_err(|e| NetError::Bind(e.to_string()))?;
        let (events, _) = broadcast::channel(4096);
        let inner = Arc::new(Inner {
            node: Mutex::new(node),
            lookup,
            events,
            changed: Notify::new(),
            peers: Mutex::new(HashMap::new()),
            refusals: Mutex::new(Vec::new()),
            tasks: std::sync::atomic::AtomicUsize::new(0),
        });
        let router = Router::builder(endpoint)
            .accept(
                ALPN,
                Handler {
                    inner: inner.clone(),
                },
            )
            .spawn();
        Ok(SyncNode { inner, router })
    }

    /// This device's endpoint id (its member key).
    pub fn id(&self) -> EndpointId {
        self.router.endpoint().id()
    }

    /// Where peers can reach this device now.
    pub fn addr(&self) -> EndpointAddr {
        self.router.endpoint().addr()
    }

    /// Waits until the endpoint has its relay connection (if one is configured), bounded.
    pub async fn online(&self, within: Duration) -> bool {
        tokio::time::timeout(within, self.router.endpoint().online())
            .await
            .is_ok()
    }

    /// Remembers how to reach a peer.
    pub fn add_peer_addr(&self, addr: EndpointAddr) {
        self.inner.lookup.add_endpoint_info(addr);
    }

    /// Connects to a roster member and keeps the connection in the background.
    pub async fn connect(&self, addr: EndpointAddr) -> Result<(), NetError> {
        let peer = addr.id;
        let member = MemberId(*peer.as_bytes());
        if self.inner.access().check(&member).is_err() {
            return Err(NetError::NotAMember(peer.to_string()));
        }
        self.add_peer_addr(addr.clone());
        let conn = self
            .router
            .endpoint()
            .connect(addr, ALPN)
            .await
            .map_err(|e| NetError::Connect {
                peer: peer.to_string(),
                reason: e.to_string(),
            })?;
        tokio::spawn(run_connection(self.inner.clone(), conn, true));
        Ok(())
    }

    /// Runs `f` on the device's node (to read, or to make local edits whose items are then
    /// passed to [`SyncNode::publish`]).
    pub fn with_node<R>(&self, f: impl FnOnce(&mut Node) -> R) -> R {
        f(&mut self.inner.node())
    }

    /// Stores items this device made, then pushes them to every connected peer at once.
    pub fn publish(&self, items: Vec<Item>) -> Result<(), NetError> {
        self.inner.node().persist(&items)?;
        for item in items {
            let _ = self
                .inner
                .events
                .send(Arc::new(Event { item, origin: None }));
        }
        self.inner.changed.notify_waiters();
        Ok(())
    }

    /// Takes items this device signed but has not applied yet (a ballot, a session opening):
    /// checks them like any received item, stores them, and pushes the accepted ones to every
    /// connected peer. A refused item is returned with its reason and goes nowhere.
    pub fn submit(&self, item: Item) -> Result<Outcome, NodeError> {
        let outcome = self.inner.node().receive(item.clone())?;
        if outcome == Outcome::Applied {
            let _ = self
                .inner
                .events
                .send(Arc::new(Event { item, origin: None }));
        }
        self.inner.changed.notify_waiters();
        Ok(outcome)
    }

    /// Peers connected now.
    pub fn connected(&self) -> Vec<EndpointId> {
        self.inner
            .peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// Items refused from peers so far.
    pub fn refusals(&self) -> Vec<Refusal> {
        self.inner
            .refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until `cond` holds for the replica, or `within` passes; returns whether it holds.
    pub async fn wait_until(&self, within: Duration, cond: impl Fn(&Replica) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.inner.changed.notified();
            if cond(self.inner.node().replica()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return cond(self.inner.node().replica());
            }
        }
    }

    /// Closes every connection and the endpoint, and waits (bounded) for the connection tasks
    /// to end, so that once the caller drops this handle the store is closed and can be reopened.
    pub async fn shutdown(&self) {
        if let Err(e) = self.router.shutdown().await {
            tracing::warn!(%e, "router shutdown");
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.inner.tasks.load(std::sync::atomic::Ordering::SeqCst) > 0
            && tokio::time::Instant::now() < deadline
        {
            let notified = self.inner.changed.notified();
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
    }
}

/// One connection's life: hello, catch-up, then live exchange until either side leaves.
async fn run_connection(inner: Arc<Inner>, conn: Connection, dialer: bool) {
    let _alive = TaskGuard::new(&inner);
    let peer = conn.remote_id();
    let streams = if dialer {
        conn.open_bi().await
    } else {
        conn.accept_bi().await
    };
    let Ok((mut send, mut recv)) = streams else {
        return;
    };
    // Subscribe before taking the snapshot, so nothing accepted in between is missed.
    let mut events = inner.events.subscribe();
    let mine = proto::hello(inner.node().replica());
    if frame::write_frame(&mut send, &proto::Message::Hello(mine).encode())
        .await
        .is_err()
    {
        return;
    }
    let theirs = match frame::read_frame(&mut recv, proto::MAX_FRAME).await {
        Ok(bytes) => match proto::Message::decode(&bytes) {
            Ok(proto::Message::Hello(h)) => h,
            _ => {
                conn.close(close::MALFORMED.into(), b"expected a hello");
                return;
            }
        },
        Err(FrameError::TooLarge { .. }) => {
            conn.close(close::TOO_LARGE.into(), b"frame too large");
            return;
        }
        Err(_) => return,
    };
    if theirs.version != proto::VERSION {
        conn.close(close::VERSION.into(), b"unsupported protocol version");
        return;
    }
    if theirs.council != inner.node().replica().log().council_id() {
        conn.close(close::WRONG_COUNCIL.into(), b"another council");
        return;
    }
    *inner
        .peers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(peer)
        .or_insert(0) += 1;
    let catch_up = proto::missing(inner.node().replica(), &theirs);
    // Reading runs in its own task: reading a frame is not cancel-safe.
    let (frames_tx, mut frames) = mpsc::channel::<Result<Vec<u8>, FrameError>>(64);
    let reader = tokio::spawn(async move {
        loop {
            let f = frame::read_frame(&mut recv, proto::MAX_FRAME).await;
            let stop = f.is_err();
            if frames_tx.send(f).await.is_err() || stop {
                break;
            }
        }
    });
    let mut ok = true;
    for batch in proto::batches(catch_up) {
        if frame::write_frame(&mut send, &batch.encode())
            .await
            .is_err()
        {
            ok = false;
            break;
        }
    }
    while ok {
        tokio::select! {
            f = frames.recv() => match f {
                Some(Ok(bytes)) => match proto::Message::decode(&bytes) {
                    Ok(proto::Message::Items(items)) => {
                        for item in items {
                            inner.receive(item, peer);
                        }
                    }
                    Ok(proto::Message::Hello(_)) => {}
                    Err(e) => {
                        inner.refuse(peer, format!("malformed frame: {e}"));
                        conn.close(close::MALFORMED.into(), b"malformed frame");
                        ok = false;
                    }
                },
                Some(Err(FrameError::TooLarge { len, .. })) => {
                    inner.refuse(peer, format!("oversized frame of {len} bytes"));
                    conn.close(close::TOO_LARGE.into(), b"frame too large");
                    ok = false;
                }
                Some(Err(FrameError::Closed(_))) | None => ok = false,
            },
            ev = events.recv() => match ev {
                Ok(ev) => {
                    if ev.origin != Some(peer) {
                        let msg = proto::Message::Items(vec![ev.item.clone()]);
                        ok = frame::write_frame(&mut send, &msg.encode()).await.is_ok();
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Too far behind: send everything after their hello again; duplicates are
                    // dropped on their side.
                    let again = proto::missing(inner.node().replica(), &theirs);
                    for batch in proto::batches(again) {
                        if frame::write_frame(&mut send, &batch.encode()).await.is_err() {
                            ok = false;
                            break;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => ok = false,
            },
        }
    }
    reader.abort();
    let mut peers = inner.peers.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = peers.get_mut(&peer) {
        *n -= 1;
        if *n == 0 {
            peers.remove(&peer);
        }
    }
    drop(peers);
    inner.changed.notify_waiters();
}
