//! The network side: one iroh endpoint per device, whose id is the member's key, speaking
//! `council/sync/1` with the council's other peers.
//!
//! Nothing here decides what to believe: every received item goes through the trust core
//! ([`Node::receive`]) before it is stored, and only items it applied are forwarded. Nothing
//! reaches out to public services: no address lookup but the addresses we were given, no relay
//! but the council's own, no DNS fallback resolvers.

mod blobs;
mod disk;
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
use tokio::sync::{Notify, broadcast};

pub use blobs::{AttachError, BLOBS_ALPN, Fetched, Progress, blob_dir};
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
    /// Whether to find the council's peers on the local network by mDNS (a council hall LAN
    /// with no internet). Advertises under a service name derived from the council id.
    pub lan: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            relay: None,
            bind: SocketAddr::from(([0, 0, 0, 0], 0)),
            direct: true,
            lan: true,
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

/// How a connected peer is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A direct path (LAN or hole-punched).
    Direct,
    /// Through the council's relay.
    Relay,
    /// Not known yet.
    Unknown,
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
    /// The item, already framed as a one-item `Items` message: encoded once, sent to many.
    frame: Vec<u8>,
    origin: Option<EndpointId>,
}

impl Event {
    fn new(item: Item, origin: Option<EndpointId>) -> Arc<Self> {
        Arc::new(Event {
            frame: proto::Message::Items(vec![item]).encode(),
            origin,
        })
    }
}

#[derive(Debug)]
struct Inner {
    node: Mutex<Node>,
    /// Received items on their way to disk (see [`disk`]); closed at shutdown.
    to_disk: Arc<disk::DiskQueue>,
    /// The disk writer thread, joined at shutdown so the store is closed when the node is.
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    lookup: MemoryLookup,
    events: broadcast::Sender<Arc<Event>>,
    changed: Notify,
    peers: Mutex<HashMap<EndpointId, usize>>,
    /// The latest connection to each connected peer, to tell how it is reached.
    links: Mutex<HashMap<EndpointId, Connection>>,
    refusals: Mutex<Vec<Refusal>>,
    /// Connection tasks still running (each holds a reference to this).
    tasks: std::sync::atomic::AtomicUsize,
}

impl Drop for Inner {
    /// A device dropped without [`SyncNode::shutdown`] still writes what it received and lets
    /// go of its store: the writer thread holds the store, not the device, and ends only when
    /// its queue is closed.
    fn drop(&mut self) {
        self.to_disk.close();
    }
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

    /// Checks one received item; if the trust core takes it, forwards it at once and hands it
    /// to the disk writer. Nothing refused is stored or forwarded.
    fn receive(&self, item: Item, from: EndpointId) {
        let outcome = self.node().apply(item.clone());
        match outcome {
            Ok(Outcome::Applied) => {
                if self.has_peer_besides(from) {
                    // No receiver simply means every connection closed meanwhile.
                    let _ = self.events.send(Event::new(item.clone(), Some(from)));
                }
                self.store(item);
                self.changed.notify_waiters();
            }
            Ok(Outcome::Pending) => {
                self.store(item);
                self.changed.notify_waiters();
            }
            Ok(Outcome::Duplicate) => {}
            Err(e) => self.refuse(from, e.to_string()),
        }
    }

    /// Whether a peer other than `from` is connected: only then is a received item worth
    /// framing and handing to the connections. A device linked to one hub (most deputies in a
    /// hall) would otherwise frame every item and wake its one connection only to skip it.
    /// A connection not counted yet still gets the item: it is counted before it reads the
    /// replica for its catch-up, so whatever this misses was applied before that read.
    fn has_peer_besides(&self, from: EndpointId) -> bool {
        self.peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .any(|p| *p != from)
    }

    fn store(&self, item: Item) {
        if !self.to_disk.push(item) {
            tracing::error!("the disk writer has stopped; a received item is not stored");
        }
    }
}

/// A device on the network: its node, its endpoint, its connections. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SyncNode {
    inner: Arc<Inner>,
    router: Router,
    relay: Option<RelayUrl>,
    /// Attachments: the blob store served under [`BLOBS_ALPN`] (see `blobs.rs`).
    blobs: blobs::Blobs,
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
        let blobs = blobs::Blobs::open(node.store().path()).await?;
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
        if config.lan {
            let council = node.replica().log().council_id();
            builder = builder.address_lookup(
                iroh_mdns_address_lookup::MdnsAddressLookup::builder()
                    .service_name(format!("council-{}", &council.to_hex()[..16])),
            );
        }
        let relay_url = config.relay.clone();
        let endpoint = builder
            .bind()
            .await
            .map_err(|e| NetError::Bind(e.to_string()))?;
        let (events, _) = broadcast::channel(4096);
        let to_disk = Arc::new(disk::DiskQueue::new(disk::window_for(
            endpoint.id().as_bytes()[0],
        )));
        let (store, queue) = (node.store_handle(), to_disk.clone());
        let writer = std::thread::Builder::new()
            .name("council-store-writer".into())
            .spawn(move || disk::writer(store, queue))
            .map_err(|e| NetError::Bind(format!("cannot start the store writer: {e}")))?;
        let inner = Arc::new(Inner {
            node: Mutex::new(node),
            to_disk,
            writer: Mutex::new(Some(writer)),
            lookup,
            events,
            changed: Notify::new(),
            peers: Mutex::new(HashMap::new()),
            links: Mutex::new(HashMap::new()),
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
            .accept(BLOBS_ALPN, blobs.server(&inner))
            .spawn();
        Ok(SyncNode {
            inner,
            router,
            relay: relay_url,
            blobs,
        })
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
        self.dial(addr).await
    }

    /// Connects to a peer an invite ticket names, even if the roster this device holds does
    /// not list it yet: a newcomer knows only the founder until the roster arrives, and the
    /// ticket may come from any member. Safe, because everything the peer sends still passes
    /// the trust core's checks, and the peer itself refuses us unless we are on its roster.
    pub async fn connect_introduced(&self, addr: EndpointAddr) -> Result<(), NetError> {
        self.dial(addr).await
    }

    async fn dial(&self, addr: EndpointAddr) -> Result<(), NetError> {
        let peer = addr.id;
        self.add_peer_addr(addr.clone());
        let remembered = addr.clone();
        let conn = self
            .router
            .endpoint()
            .connect(addr, ALPN)
            .await
            .map_err(|e| NetError::Connect {
                peer: peer.to_string(),
                reason: e.to_string(),
            })?;
        self.remember(&remembered);
        tokio::spawn(run_connection(self.inner.clone(), conn, true));
        Ok(())
    }

    /// Remembers, durably, the direct addresses a peer was reached at, for the next start.
    fn remember(&self, addr: &EndpointAddr) {
        let ips: Vec<SocketAddr> = addr.ip_addrs().copied().collect();
        if ips.is_empty() {
            return;
        }
        let record = crate::store::PeerRecord {
            addr: encode_addrs(&ips),
            last_contact_ms: now_ms(),
        };
        if let Err(e) = self.with_node(|n| n.put_peer(addr.id.as_bytes(), &record)) {
            tracing::warn!(%e, "cannot remember a peer's address");
        }
    }

    /// Dials every roster member (writers, observers, replicas) not connected yet, by what is
    /// known of them: addresses learned before (kept in the store), the local network, and the
    /// council's relay. Returns how many connections were opened. Failures are expected (peers
    /// are offline) and only logged.
    pub async fn dial_roster(&self) -> usize {
        let me = self.id();
        let connected = self.connected();
        let (members, known) = self.with_node(|n| {
            let members: Vec<MemberId> = n
                .replica()
                .log()
                .state()
                .members
                .iter()
                .filter(|(_, m)| !m.removed)
                .map(|(id, _)| *id)
                .collect();
            (members, n.peers().unwrap_or_default())
        });
        let mut attempts = tokio::task::JoinSet::new();
        for m in members {
            let Ok(id) = EndpointId::from_bytes(m.as_bytes()) else {
                continue;
            };
            if id == me || connected.contains(&id) {
                continue;
            }
            let mut addr = EndpointAddr::new(id);
            if let Some(url) = &self.relay {
                addr = addr.with_relay_url(url.clone());
            }
            if let Some(rec) = known.get(m.as_bytes()) {
                addr = addr.with_addrs(decode_addrs(&rec.addr));
            }
            let this = self.clone();
            attempts.spawn(async move {
                match tokio::time::timeout(Duration::from_secs(5), this.connect(addr)).await {
                    Ok(Ok(())) => true,
                    Ok(Err(e)) => {
                        tracing::debug!(%e, "peer not reachable");
                        false
                    }
                    Err(_) => {
                        tracing::debug!(peer = %id, "peer did not answer in time");
                        false
                    }
                }
            });
        }
        let mut opened = 0;
        while let Some(r) = attempts.join_next().await {
            if matches!(r, Ok(true)) {
                opened += 1;
            }
        }
        opened
    }

    /// Runs `f` on the device's node (to read, or to make local edits whose items are then
    /// passed to [`SyncNode::publish`]).
    pub fn with_node<R>(&self, f: impl FnOnce(&mut Node) -> R) -> R {
        f(&mut self.inner.node())
    }

    /// Pushes items this device made (already applied to its replica) to every connected peer,
    /// and returns once they are durably stored: only then may the UI say they are saved.
    pub fn publish(&self, items: Vec<Item>) -> Result<(), NetError> {
        // Durable before anyone sees it: a crash between the two must never leave peers holding
        // a ballot or change this device has forgotten, or its next one would reuse the seq and
        // void both as equivocation.
        let store = self.inner.node().store_handle();
        store.append(&items)?;
        for item in &items {
            let _ = self.inner.events.send(Event::new(item.clone(), None));
        }
        self.inner.changed.notify_waiters();
        Ok(())
    }

    /// Takes an item this device signed but has not applied yet (a ballot, a session opening):
    /// checks it like any received item, pushes it to every connected peer if accepted, and
    /// returns once it is durably stored. A refused item is returned with its reason and goes
    /// nowhere.
    pub fn submit(&self, item: Item) -> Result<Outcome, NodeError> {
        let (outcome, store) = {
            let mut node = self.inner.node();
            (node.apply(item.clone())?, node.store_handle())
        };
        // Durable first, then sent (see `publish`).
        if outcome != Outcome::Duplicate {
            store.append(std::slice::from_ref(&item))?;
        }
        if outcome == Outcome::Applied {
            let _ = self.inner.events.send(Event::new(item.clone(), None));
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

    /// How each connected peer is reached now (the connection's selected path).
    pub fn links(&self) -> Vec<(EndpointId, Link)> {
        let links = self.inner.links.lock().unwrap_or_else(|p| p.into_inner());
        links
            .iter()
            .map(|(id, conn)| {
                let paths = conn.paths();
                let selected = paths.iter().find(|p| p.is_selected());
                let link = match selected {
                    Some(p) if p.is_relay() => Link::Relay,
                    Some(p) if p.is_ip() => Link::Direct,
                    _ => Link::Unknown,
                };
                (*id, link)
            })
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
        // Let the writer finish what it holds, then stop it: it owns a handle on the store.
        self.inner.to_disk.close();
        let handle = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
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
    inner
        .links
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(peer, conn.clone());
    let catch_up = proto::missing(inner.node().replica(), &theirs);
    // Sending runs in its own task (catch-up, then every new item as it is accepted); this task
    // reads. Neither waits on the other, and neither needs a cancel-unsafe select.
    let sender = {
        let inner = Arc::downgrade(&inner);
        tokio::spawn(async move {
            for batch in proto::batches(catch_up) {
                if frame::write_frame(&mut send, &batch.encode())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            loop {
                match events.recv().await {
                    Ok(ev) => {
                        if ev.origin != Some(peer)
                            && frame::write_frame(&mut send, &ev.frame).await.is_err()
                        {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too far behind: send everything after their hello again; duplicates
                        // are dropped on their side.
                        let Some(inner) = inner.upgrade() else {
                            return;
                        };
                        let again = proto::missing(inner.node().replica(), &theirs);
                        drop(inner);
                        for batch in proto::batches(again) {
                            if frame::write_frame(&mut send, &batch.encode())
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    };
    loop {
        match frame::read_frame(&mut recv, proto::MAX_FRAME).await {
            Ok(bytes) => match proto::Message::decode(&bytes) {
                Ok(proto::Message::Items(items)) => {
                    for item in items {
                        inner.receive(item, peer);
                    }
                }
                Ok(proto::Message::Hello(_)) => {}
                Err(e) => {
                    inner.refuse(peer, format!("malformed frame: {e}"));
                    conn.close(close::MALFORMED.into(), b"malformed frame");
                    break;
                }
            },
            Err(FrameError::TooLarge { len, .. }) => {
                inner.refuse(peer, format!("oversized frame of {len} bytes"));
                conn.close(close::TOO_LARGE.into(), b"frame too large");
                break;
            }
            Err(FrameError::Closed(_)) => break,
        }
    }
    sender.abort();
    // Wait for the sender to be gone, so that nothing outlives the connection's guard.
    let _ = sender.await;
    let mut peers = inner.peers.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = peers.get_mut(&peer) {
        *n -= 1;
        if *n == 0 {
            peers.remove(&peer);
            inner
                .links
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&peer);
        }
    }
    drop(peers);
    inner.changed.notify_waiters();
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Addresses as stored in the peer table: one `ip:port` per line.
fn encode_addrs(addrs: &[SocketAddr]) -> Vec<u8> {
    addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn decode_addrs(bytes: &[u8]) -> Vec<iroh::TransportAddr> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| l.parse::<SocketAddr>().ok())
        .map(iroh::TransportAddr::Ip)
        .collect()
}
