//! The network side: one iroh endpoint per device, whose id is the member's key, speaking
//! `council/sync/1` with the council's other peers.
//!
//! Nothing here decides what to believe: every received item goes through the trust core
//! ([`Node::receive`]) before it is stored, and only items it applied are forwarded. Nothing
//! reaches out to public services: no address lookup but the addresses we were given, no relay
//! but the council's own, no DNS fallback resolvers.
//!
//! What a peer may cost this device is bounded ([`Limits`]): connections per endpoint and in
//! all; time (a frame must keep moving, a connection must not fall silent); items checked per
//! second per connection; refused items per peer (past the limit it is disconnected with
//! [`close::ABUSE`]); memory (a catch-up is read from the replica a frame at a time, never
//! copied whole, and received frames wait for the checker a few at a time). The trust core's
//! checks run on one checker thread (see [`check`]), not on the async threads that move every
//! connection's bytes.

mod blobs;
mod check;
mod disk;
mod frame;
mod limits;
pub mod proto;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crdt_model::access::AccessList;
use crdt_model::replica::{Item, Outcome, Replica};
use crdt_model::{MemberId, SecretKey};
use iroh::address_lookup::MemoryLookup;
use iroh::dns::DnsResolver;
use iroh::endpoint::{Connection, SendStream, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{
    Endpoint, EndpointAddr, EndpointId, NetReportConfig, RelayConfig, RelayMap, RelayMode, RelayUrl,
};
use thiserror::Error;
use tokio::sync::{Notify, Semaphore, broadcast, mpsc};

pub use blobs::{AttachError, BLOBS_ALPN, Fetched, Progress, blob_dir};
pub use frame::FrameError;
pub use limits::Limits;
pub use proto::{ALPN, close};

use crate::node::{Node, NodeError};
use limits::{RefusalLog, SlotRefused, Slots, Strikes};

/// Frames of one connection read but not yet checked: one being checked, one waiting. A peer
/// that sends faster than its items are checked is not read from meanwhile (QUIC flow control
/// then slows it down).
const IN_FLIGHT: usize = 2;
/// Frames waiting for the checker, from all connections together.
const CHECK_QUEUE: usize = 64;
/// New items kept for connections that are behind; one further behind catches up again from
/// what it was sent (see `send_loop`).
const EVENTS: usize = 4096;

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

/// What the network side has done and holds now, for diagnostics and resource tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetStats {
    /// Items received from peers and checked by the trust core.
    pub items_checked: u64,
    /// Of those, refused (for any reason, those merely not parked included).
    pub items_refused: u64,
    /// Peers disconnected for sending too many refused items.
    pub abusers_disconnected: u64,
    /// Bytes catch-ups hold now: frames built and not yet written, and their cursors' ids.
    pub catch_up_bytes: usize,
    /// The most catch-ups held at once since the device started.
    pub catch_up_peak_bytes: usize,
}

/// The counters behind [`NetStats`], shared with the connection tasks.
#[derive(Debug, Default)]
struct Counters {
    checked: AtomicU64,
    refused: AtomicU64,
    abusers: AtomicU64,
    held: AtomicUsize,
    peak: AtomicUsize,
}

/// Bytes a catch-up holds, counted in [`Counters`] while this lives.
struct Held {
    counters: Arc<Counters>,
    bytes: usize,
}

impl Held {
    fn new(counters: &Arc<Counters>, bytes: usize) -> Self {
        let mut h = Held {
            counters: counters.clone(),
            bytes: 0,
        };
        h.set(bytes);
        h
    }

    fn set(&mut self, bytes: usize) {
        if bytes >= self.bytes {
            let more = bytes - self.bytes;
            let now = self
                .counters
                .held
                .fetch_add(more, Ordering::Relaxed)
                .saturating_add(more);
            self.counters.peak.fetch_max(now, Ordering::Relaxed);
        } else {
            self.counters
                .held
                .fetch_sub(self.bytes - bytes, Ordering::Relaxed);
        }
        self.bytes = bytes;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.set(0);
    }
}

#[derive(Debug)]
struct Event {
    /// The item, already framed as a one-item `Items` message: encoded once, sent to many.
    frame: Vec<u8>,
    origin: Option<EndpointId>,
    /// When it was made, in the device's order of events: a connection whose catch-up began
    /// after it skips it (the catch-up holds it).
    seq: u64,
}

#[derive(Debug)]
struct Inner {
    node: Mutex<Node>,
    limits: Limits,
    /// Received items on their way to disk (see [`disk`]); closed at shutdown.
    to_disk: Arc<disk::DiskQueue>,
    /// The disk writer thread, joined at shutdown so the store is closed when the node is.
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Received frames on their way to the checker thread (see [`check`]); taken at shutdown.
    checks: Mutex<Option<mpsc::Sender<check::Job>>>,
    /// The checker thread, joined at shutdown.
    checker: Mutex<Option<std::thread::JoinHandle<()>>>,
    lookup: MemoryLookup,
    events: broadcast::Sender<Arc<Event>>,
    /// The next [`Event::seq`].
    next_seq: AtomicU64,
    changed: Notify,
    peers: Mutex<HashMap<EndpointId, usize>>,
    /// The latest connection to each connected peer, to tell how it is reached.
    links: Mutex<HashMap<EndpointId, Connection>>,
    refusals: Mutex<RefusalLog<Refusal>>,
    /// Accepted connections, per endpoint and in all.
    slots: Mutex<Slots<EndpointId>>,
    /// Refused items per peer, to disconnect a peer that keeps sending them.
    strikes: Mutex<Strikes<EndpointId>>,
    counters: Arc<Counters>,
    /// Connection tasks still running (each holds a reference to this).
    tasks: AtomicUsize,
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
        inner.tasks.fetch_add(1, Ordering::SeqCst);
        TaskGuard(inner.clone())
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.tasks.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// An accepted connection's place in [`Inner::slots`], given back when it ends.
struct Slot {
    inner: Arc<Inner>,
    peer: EndpointId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.inner.slots).give_back(self.peer);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `f` on a blocking thread (it takes the node's lock, or works long), so that the async
/// threads only move bytes; `None` if the device is gone.
async fn blocking<R: Send + 'static>(
    inner: &Weak<Inner>,
    f: impl FnOnce(&Inner) -> R + Send + 'static,
) -> Option<R> {
    let inner = inner.upgrade()?;
    tokio::task::spawn_blocking(move || f(&inner)).await.ok()
}

impl Inner {
    fn node(&self) -> MutexGuard<'_, Node> {
        lock(&self.node)
    }

    fn access(&self) -> AccessList {
        AccessList::from_state(self.node().replica().log().state())
    }

    fn refuse(&self, from: EndpointId, reason: String) {
        tracing::debug!(%from, %reason, "refused");
        lock(&self.refusals).push(Refusal { from, reason }, self.limits.refusals_kept);
    }

    /// The event of an item just applied, numbered; `None` if no frame can hold it.
    fn event(&self, item: &Item, origin: Option<EndpointId>) -> Option<Arc<Event>> {
        let Some(frame) = proto::single(item) else {
            tracing::error!("an item too large for any frame is not forwarded");
            return None;
        };
        Some(Arc::new(Event {
            frame,
            origin,
            seq: self.next_seq.fetch_add(1, Ordering::SeqCst),
        }))
    }

    /// Sends an applied item to every connection.
    fn forward(&self, item: &Item, origin: Option<EndpointId>) {
        if let Some(ev) = self.event(item, origin) {
            // No receiver simply means every connection closed meanwhile.
            let _ = self.events.send(ev);
        }
    }

    /// Whether a peer other than `from` is connected: only then is a received item worth
    /// framing and handing to the connections. A device linked to one hub (most deputies in a
    /// hall) would otherwise frame every item and wake its one connection only to skip it.
    /// A connection not counted yet still gets the item: it is counted before it reads the
    /// replica for its catch-up, so whatever this misses was applied before that read.
    fn has_peer_besides(&self, from: EndpointId) -> bool {
        lock(&self.peers).keys().any(|p| *p != from)
    }

    fn store(&self, item: Item) {
        if !self.to_disk.push(item) {
            tracing::error!("the disk writer has stopped; a received item is not stored");
        }
    }

    fn stats(&self) -> NetStats {
        let c = &self.counters;
        NetStats {
            items_checked: c.checked.load(Ordering::Relaxed),
            items_refused: c.refused.load(Ordering::Relaxed),
            abusers_disconnected: c.abusers.load(Ordering::Relaxed),
            catch_up_bytes: c.held.load(Ordering::Relaxed),
            catch_up_peak_bytes: c.peak.load(Ordering::Relaxed),
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

/// Why an accepted connection was closed before its handshake.
#[derive(Debug, Error)]
enum Turned {
    /// See [`SlotRefused`].
    #[error(transparent)]
    Slots(#[from] SlotRefused),
    /// The peer sent too many refused items lately.
    #[error("too many refused items lately")]
    Abuse,
}

impl ProtocolHandler for Handler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let peer = conn.remote_id();
        let member = MemberId(*peer.as_bytes());
        if let Err(denied) = self.inner.access().check(&member) {
            conn.close(close::NOT_A_MEMBER.into(), denied.to_string().as_bytes());
            return Err(AcceptError::from_err(denied));
        }
        let now = std::time::Instant::now();
        if lock(&self.inner.strikes).over(&peer, now, &self.inner.limits) {
            conn.close(close::ABUSE.into(), Turned::Abuse.to_string().as_bytes());
            return Err(AcceptError::from_err(Turned::Abuse));
        }
        let taken = lock(&self.inner.slots).take(peer, &self.inner.limits);
        if let Err(full) = taken {
            tracing::debug!(%peer, %full, "connection refused");
            conn.close(
                close::TOO_MANY_CONNECTIONS.into(),
                full.to_string().as_bytes(),
            );
            return Err(AcceptError::from_err(Turned::from(full)));
        }
        let slot = Slot {
            inner: self.inner.clone(),
            peer,
        };
        run_connection(self.inner.clone(), conn, false, Some(slot)).await;
        Ok(())
    }
}

impl SyncNode {
    /// Starts the endpoint of the device holding `key`, serving `node`, within the default
    /// [`Limits`].
    pub async fn spawn(node: Node, key: &SecretKey, config: NetConfig) -> Result<Self, NetError> {
        Self::spawn_with(node, key, config, Limits::default()).await
    }

    /// Starts the endpoint of the device holding `key`, serving `node`, within `limits`.
    pub async fn spawn_with(
        node: Node,
        key: &SecretKey,
        config: NetConfig,
        limits: Limits,
    ) -> Result<Self, NetError> {
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
        let (events, _) = broadcast::channel(EVENTS);
        let to_disk = Arc::new(disk::DiskQueue::new(disk::window_for(
            endpoint.id().as_bytes()[0],
        )));
        let (store, queue) = (node.store_handle(), to_disk.clone());
        let writer = std::thread::Builder::new()
            .name("council-store-writer".into())
            .spawn(move || disk::writer(store, queue))
            .map_err(|e| NetError::Bind(format!("cannot start the store writer: {e}")))?;
        let (checks, jobs) = mpsc::channel(CHECK_QUEUE);
        let inner = Arc::new(Inner {
            node: Mutex::new(node),
            limits,
            to_disk,
            writer: Mutex::new(Some(writer)),
            checks: Mutex::new(Some(checks)),
            checker: Mutex::new(None),
            lookup,
            events,
            next_seq: AtomicU64::new(0),
            changed: Notify::new(),
            peers: Mutex::new(HashMap::new()),
            links: Mutex::new(HashMap::new()),
            refusals: Mutex::new(RefusalLog::default()),
            slots: Mutex::new(Slots::default()),
            strikes: Mutex::new(Strikes::default()),
            counters: Arc::default(),
            tasks: AtomicUsize::new(0),
        });
        let checker = {
            let inner = Arc::downgrade(&inner);
            std::thread::Builder::new()
                .name("council-checker".into())
                .spawn(move || check::run(inner, jobs))
                .map_err(|e| NetError::Bind(format!("cannot start the checker: {e}")))?
        };
        *lock(&inner.checker) = Some(checker);
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
        tokio::spawn(run_connection(self.inner.clone(), conn, true, None));
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
            self.inner.forward(item, None);
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
            self.inner.forward(&item, None);
        }
        self.inner.changed.notify_waiters();
        Ok(outcome)
    }

    /// Peers connected now.
    pub fn connected(&self) -> Vec<EndpointId> {
        lock(&self.inner.peers).keys().copied().collect()
    }

    /// How each connected peer is reached now (the connection's selected path).
    pub fn links(&self) -> Vec<(EndpointId, Link)> {
        let links = lock(&self.inner.links);
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

    /// The latest refusals (at most [`Limits::refusals_kept`]), oldest first: items refused
    /// from peers, and connections closed for what they sent.
    pub fn refusals(&self) -> Vec<Refusal> {
        lock(&self.inner.refusals).latest()
    }

    /// How many refusals there were since the device started, including those
    /// [`SyncNode::refusals`] no longer holds: to tell which of them are new.
    pub fn refusals_total(&self) -> u64 {
        lock(&self.inner.refusals).total()
    }

    /// What the network side has done and holds now.
    pub fn stats(&self) -> NetStats {
        self.inner.stats()
    }

    /// The limits this device runs within.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
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
        while self.inner.tasks.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline
        {
            let notified = self.inner.changed.notified();
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
        // Stop the checker: its queue ends once no connection holds a sender; what is queued
        // is from closed connections and checked (or skipped) quickly.
        drop(lock(&self.inner.checks).take());
        let checker = lock(&self.inner.checker).take();
        if let Some(h) = checker {
            let joined = tokio::task::spawn_blocking(move || h.join());
            if tokio::time::timeout(Duration::from_secs(5), joined)
                .await
                .is_err()
            {
                tracing::warn!("the checker did not stop in time");
            }
        }
        // Let the writer finish what it holds, then stop it: it owns a handle on the store.
        self.inner.to_disk.close();
        let handle = lock(&self.inner.writer).take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
    }
}

/// Closes `conn` with the code for a frame error (a peer that sent too much, went silent or
/// stalled; remembered as a refusal unless it merely went silent). A stream that ended needs
/// nothing.
fn close_for(inner: &Inner, conn: &Connection, peer: EndpointId, e: &FrameError) {
    match e {
        FrameError::TooLarge { len, .. } => {
            inner.refuse(peer, format!("oversized frame of {len} bytes"));
            conn.close(close::TOO_LARGE.into(), b"frame too large");
        }
        FrameError::Idle(d) => {
            tracing::debug!(%peer, ?d, "silent peer");
            conn.close(
                close::TIMEOUT.into(),
                b"nothing received within the idle timeout",
            );
        }
        FrameError::Stalled(d) => {
            inner.refuse(peer, format!("closed: a frame made no progress for {d:?}"));
            conn.close(close::TIMEOUT.into(), b"a frame stalled");
        }
        _ => {}
    }
}

/// One connection's life: hello, catch-up, then live exchange until either side leaves.
async fn run_connection(inner: Arc<Inner>, conn: Connection, dialer: bool, slot: Option<Slot>) {
    let _slot = slot;
    let _alive = TaskGuard::new(&inner);
    let peer = conn.remote_id();
    let limits = inner.limits.clone();
    let streams = if dialer {
        tokio::time::timeout(limits.idle_timeout, conn.open_bi()).await
    } else {
        tokio::time::timeout(limits.idle_timeout, conn.accept_bi()).await
    };
    let (mut send, mut recv) = match streams {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => return,
        Err(_) => {
            conn.close(close::TIMEOUT.into(), b"no stream opened");
            return;
        }
    };
    // Subscribe before the catch-up reads the replica, so nothing accepted in between is missed.
    let events = inner.events.subscribe();
    let weak = Arc::downgrade(&inner);
    let Some(mine) = blocking(&weak, |i| proto::hello(i.node().replica())).await else {
        return;
    };
    let council = mine.council;
    if let Err(e) = frame::write_frame(
        &mut send,
        &proto::Message::Hello(mine).encode(),
        limits.stall_timeout,
    )
    .await
    {
        close_for(&inner, &conn, peer, &e);
        return;
    }
    let theirs = match frame::read_frame(
        &mut recv,
        proto::MAX_FRAME,
        limits.idle_timeout,
        limits.stall_timeout,
    )
    .await
    {
        Ok(bytes) => match proto::Message::decode(&bytes) {
            Ok(proto::Message::Hello(h)) => h,
            _ => {
                conn.close(close::MALFORMED.into(), b"expected a hello");
                return;
            }
        },
        Err(e) => {
            close_for(&inner, &conn, peer, &e);
            return;
        }
    };
    if theirs.version != proto::VERSION {
        conn.close(close::VERSION.into(), b"unsupported protocol version");
        return;
    }
    if theirs.council != council {
        conn.close(close::WRONG_COUNCIL.into(), b"another council");
        return;
    }
    let Some(checks) = lock(&inner.checks).clone() else {
        // Shutting down.
        return;
    };
    *lock(&inner.peers).entry(peer).or_insert(0) += 1;
    lock(&inner.links).insert(peer, conn.clone());
    // Sending runs in its own task (catch-up, then every new item as it is accepted); this task
    // reads. Neither waits on the other, and neither needs a cancel-unsafe select.
    let sender = tokio::spawn(send_loop(Outgoing {
        inner: weak,
        send,
        events,
        theirs,
        peer,
        conn: conn.clone(),
        limits: limits.clone(),
        counters: inner.counters.clone(),
    }));
    read_loop(&inner, &conn, &mut recv, checks, &limits).await;
    sender.abort();
    // Wait for the sender to be gone, so that nothing outlives the connection's guard.
    let _ = sender.await;
    let mut peers = lock(&inner.peers);
    if let Some(n) = peers.get_mut(&peer) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            peers.remove(&peer);
            lock(&inner.links).remove(&peer);
        }
    }
    drop(peers);
    inner.changed.notify_waiters();
}

/// Reads frames until the connection ends: counts each frame's items against the
/// connection's budget (waiting when it is spent), and hands the frame to the checker thread,
/// at most [`IN_FLIGHT`] at a time. Decoding and checking happen there, not here.
async fn read_loop(
    inner: &Arc<Inner>,
    conn: &Connection,
    recv: &mut iroh::endpoint::RecvStream,
    checks: mpsc::Sender<check::Job>,
    limits: &Limits,
) {
    let peer = conn.remote_id();
    let mut bucket = limits::TokenBucket::new(
        limits.items_per_second,
        limits.item_burst,
        std::time::Instant::now(),
    );
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let bytes = match frame::read_frame(
            recv,
            proto::MAX_FRAME,
            limits.idle_timeout,
            limits.stall_timeout,
        )
        .await
        {
            Ok(bytes) => bytes,
            Err(e) => {
                close_for(inner, conn, peer, &e);
                return;
            }
        };
        let n = match proto::peek(&bytes) {
            Ok(proto::Peek::Items(n)) if n > 0 => n,
            // A keepalive, or a hello after the first: nothing to check.
            Ok(_) => continue,
            Err(e) => {
                inner.refuse(peer, format!("malformed frame: {e}"));
                conn.close(close::MALFORMED.into(), b"malformed frame");
                return;
            }
        };
        let wait = bucket.take(n, std::time::Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let job = check::Job {
            from: peer,
            conn: conn.clone(),
            frame: bytes,
            _permit: permit,
        };
        if checks.send(job).await.is_err() {
            return;
        }
    }
}

/// What a connection's sending task owns.
struct Outgoing {
    inner: Weak<Inner>,
    send: SendStream,
    events: broadcast::Receiver<Arc<Event>>,
    theirs: proto::Hello,
    peer: EndpointId,
    conn: Connection,
    limits: Limits,
    counters: Arc<Counters>,
}

impl Outgoing {
    /// Writes one frame; `false` (and the connection closed, if the peer stalled) if it failed.
    async fn write(&mut self, payload: &[u8]) -> bool {
        match frame::write_frame(&mut self.send, payload, self.limits.stall_timeout).await {
            Ok(()) => true,
            Err(e) => {
                if let Some(inner) = self.inner.upgrade() {
                    close_for(&inner, &self.conn, self.peer, &e);
                }
                false
            }
        }
    }
}

/// Sends a peer what it lacks, then every new item as it is accepted, in passes: a pass is a
/// catch-up (read from the replica a frame at a time, under the node's lock, and written
/// without it) followed by live forwarding. A connection that falls too far behind the live
/// items starts a new pass, from what it is known to hold: its hello and everything this
/// device held when the previous pass began (all of which that pass sent). So falling behind
/// costs what came since, not the whole archive.
async fn send_loop(mut s: Outgoing) {
    send_passes(&mut s).await;
    // However sending ended (the device is going, or the peer stopped reading), the connection
    // ends with it: a connection that only reads would leave the peer waiting for nothing.
    if s.conn.close_reason().is_none() {
        s.conn.close(close::DONE.into(), b"done");
    }
}

/// The passes of [`send_loop`]; returns when sending can go on no longer.
async fn send_passes(s: &mut Outgoing) {
    let mut known = proto::Known::from_hello(&s.theirs);
    let mut last_write = tokio::time::Instant::now();
    loop {
        let start = blocking(&s.inner, |i| {
            // Events numbered before this are applied, so this pass holds them.
            let seq = i.next_seq.load(Ordering::SeqCst);
            (seq, proto::Summary::of(i.node().replica()))
        })
        .await;
        let Some((start_seq, mine)) = start else {
            return;
        };
        let mut cursor = proto::CatchUp::new(known);
        let mut held = Held::new(&s.counters, 0);
        loop {
            let taken = blocking(&s.inner, move |i| {
                let frame = cursor.next_frame(i.node().replica(), proto::CATCH_UP_BYTES);
                (cursor, frame)
            })
            .await;
            let Some((c, frame)) = taken else {
                return;
            };
            cursor = c;
            held.set(cursor.held_bytes());
            let Some(frame) = frame else {
                break;
            };
            let _frame = Held::new(&s.counters, frame.len());
            if !s.write(&frame).await {
                return;
            }
            last_write = tokio::time::Instant::now();
        }
        drop(held);
        known = proto::Known::after_catch_up(&s.theirs, &mine);
        drop(mine);
        loop {
            let next = tokio::time::timeout_at(last_write + s.limits.keepalive, s.events.recv());
            match next.await {
                Err(_) => {
                    if !s.write(&proto::keepalive()).await {
                        return;
                    }
                    last_write = tokio::time::Instant::now();
                }
                Ok(Ok(ev)) => {
                    if ev.seq < start_seq || ev.origin == Some(s.peer) {
                        continue;
                    }
                    if !s.write(&ev.frame).await {
                        return;
                    }
                    last_write = tokio::time::Instant::now();
                }
                Ok(Err(broadcast::error::RecvError::Lagged(missed))) => {
                    tracing::debug!(peer = %s.peer, missed, "behind the live items; catching up");
                    break;
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return,
            }
        }
    }
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
