//! `council join`: make this device a peer of the council an invite ticket names, and fetch the
//! roster that admits it.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use council_sync::net::{NetConfig, SyncNode, close};
use council_sync::ticket::Ticket;
use council_sync::{Node, PeerRecord, SETTING_RELAY, Store};
use crdt_model::access::AccessList;
use crdt_model::replica::Replica;
use crdt_model::{MemberId, SecretKey};
use iroh::endpoint::{ConnectionError, presets};
use iroh::{
    Endpoint, EndpointAddr, EndpointId, NetReportConfig, RelayConfig, RelayMap, RelayMode,
    RelayUrl, TransportAddr,
};
use tokio::time::Instant;

use super::serve::{relay_url, runtime};
use super::{CliError, warn_if_loosened};
use crate::profile::Profile;

/// Join a council with the invite ticket its secretary (or any member) gave you: this device's
/// store becomes the council's, the relay and the members' addresses in the ticket are saved,
/// and the council's data is fetched until the roster that admits this device has arrived. Give
/// the key `council key` prints to the secretary first; the ticket itself grants nothing.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The invite ticket, as `council invite` printed it (it starts with council1).
    pub ticket: String,
    /// Seconds to wait for the roster that admits this device; 0 only saves the ticket.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub wait: u64,
    /// The local address to use.
    #[arg(long, default_value = "0.0.0.0:0")]
    pub bind: SocketAddr,
    /// Do not look for the council's peers on the local network (mDNS).
    #[arg(long)]
    pub no_lan: bool,
}

/// Bound on reaching one peer.
const CONNECT: Duration = Duration::from_secs(5);
/// How long to wait after a connection for a refusal, at least (see [`door`]).
const DOOR: Duration = Duration::from_millis(500);
/// How often the ticket's peers are dialed again while none is connected.
const RETRY: Duration = Duration::from_secs(3);
/// Once admitted, how long the items may keep arriving before the command ends anyway.
const SETTLE: Duration = Duration::from_secs(10);

/// Joins, syncs and says who this device is in the council.
pub fn cmd_join(profile: &Profile, args: JoinArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let ticket = Ticket::decode(&args.ticket)?;
    let relay = ticket.relay.as_deref().map(relay_url).transpose()?;
    let mut store = profile.store()?;
    warn_if_loosened(&store);
    store.set_genesis(&ticket.genesis)?;
    save_ticket(&store, &ticket)?;
    let g = ticket.genesis.genesis();
    writeln!(
        out,
        "this device now belongs to {} ({})",
        g.name,
        ticket.genesis.id()
    )?;
    if args.wait == 0 {
        writeln!(
            out,
            "saved; run `council join` again with --wait, or `council serve`, to fetch the council"
        )?;
        return Ok(());
    }
    let node = Node::from_store(store)?;
    let key = node.identity().key().clone();
    let me = key.member_id();
    let mut peers = ticket_peers(&ticket, relay.as_ref());
    peers.retain(|p| p.id.as_bytes() != me.as_bytes());
    let config = NetConfig {
        relay,
        bind: args.bind,
        direct: true,
        lan: !args.no_lan,
    };
    let within = Duration::from_secs(args.wait);
    runtime()?.block_on(join(node, key, config, peers, within, out))
}

/// Saves the ticket's relay and its members' addresses, for this and later starts.
fn save_ticket(store: &Store, ticket: &Ticket) -> Result<(), CliError> {
    if let Some(relay) = &ticket.relay {
        store.put_setting(SETTING_RELAY, relay.as_bytes())?;
    }
    let known = store.peers()?;
    for (id, addrs) in &ticket.peers {
        if addrs.is_empty() {
            continue;
        }
        let record = PeerRecord {
            // As the network layer stores addresses: one `ip:port` per line.
            addr: addrs
                .iter()
                .map(SocketAddr::to_string)
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes(),
            last_contact_ms: known.get(id).map_or(0, |r| r.last_contact_ms),
        };
        store.put_peer(id, &record)?;
    }
    Ok(())
}

/// The ticket's members as endpoint addresses (with the council's relay, if any).
fn ticket_peers(ticket: &Ticket, relay: Option<&RelayUrl>) -> Vec<EndpointAddr> {
    ticket
        .peers
        .iter()
        .filter_map(|(id, addrs)| {
            let mut a = EndpointAddr::new(EndpointId::from_bytes(id).ok()?)
                .with_addrs(addrs.iter().copied().map(TransportAddr::Ip));
            if let Some(url) = relay {
                a = a.with_relay_url(url.clone());
            }
            Some(a)
        })
        .collect()
}

/// The network part: ask the ticket's peers whether they admit this device, then sync until
/// the roster that admits it has arrived.
async fn join(
    node: Node,
    key: SecretKey,
    config: NetConfig,
    peers: Vec<EndpointAddr>,
    within: Duration,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let me = key.member_id();
    let mut doors = Vec::new();
    for p in &peers {
        writeln!(out, "connecting to {} at {}…", p.id, addr_list(p))?;
        out.flush()?;
        let d = door(&key, &config, p.clone(), DOOR).await;
        writeln!(out, "  {}", d.describe(p.id))?;
        doors.push(d);
    }
    if refused_everywhere(&doors) {
        return Err(CliError::NotOnRoster { key: me.to_hex() });
    }
    let sync = SyncNode::spawn(node, &key, config.clone()).await?;
    let followed = follow(&sync, &peers, me, within, out).await;
    let who = sync.with_node(|n| whoami(n.replica(), &me));
    sync.shutdown().await;
    match followed {
        Ok(items) => {
            writeln!(
                out,
                "this device holds {} of the council; everything is saved",
                count(items)
            )?;
            writeln!(out, "{who}")?;
            Ok(())
        }
        Err(Waited::NeverConnected) => {
            // Perhaps a peer came up meanwhile and refuses us: say so rather than "no peer".
            for p in &peers {
                if let Door::Refused(_) = door(&key, &config, p.clone(), 4 * DOOR).await {
                    return Err(CliError::NotOnRoster { key: me.to_hex() });
                }
            }
            Err(CliError::NoPeer {
                secs: within.as_secs(),
            })
        }
        Err(Waited::NotAdmitted) => Err(CliError::NotAdmittedYet {
            secs: within.as_secs(),
        }),
        Err(Waited::Output(e)) => Err(e.into()),
    }
}

/// Why waiting for the roster ended without it.
enum Waited {
    /// No peer ever completed a handshake with this device.
    NeverConnected,
    /// Peers synced with this device, but no roster listing it arrived.
    NotAdmitted,
    /// Printing failed.
    Output(std::io::Error),
}

impl From<std::io::Error> for Waited {
    fn from(e: std::io::Error) -> Self {
        Waited::Output(e)
    }
}

/// Connects to the ticket's peers and waits, printing progress, until the roster admits `me`;
/// then lets the rest of the catch-up arrive (bounded). Returns the items held.
async fn follow(
    sync: &SyncNode,
    peers: &[EndpointAddr],
    me: MemberId,
    within: Duration,
    out: &mut dyn Write,
) -> Result<usize, Waited> {
    let deadline = Instant::now() + within;
    dial(sync, peers, Some(&mut *out)).await?;
    let mut progress = Progress::new(sync);
    let mut ever = false;
    let mut dialed = Instant::now();
    loop {
        let slice = deadline
            .saturating_duration_since(Instant::now())
            .min(Duration::from_secs(1));
        let admitted = sync.wait_until(slice, move |r| admits(r, &me)).await;
        ever |= !sync.connected().is_empty();
        progress.report(sync, out)?;
        if admitted {
            break;
        }
        if Instant::now() >= deadline {
            return Err(if ever {
                Waited::NotAdmitted
            } else {
                Waited::NeverConnected
            });
        }
        if sync.connected().is_empty() && dialed.elapsed() >= RETRY {
            dial(sync, peers, None).await?;
            sync.dial_roster().await;
            dialed = Instant::now();
        }
    }
    settle(sync, &mut progress, out).await?;
    Ok(progress.items)
}

/// Waits until no new item has arrived for a second (at most [`SETTLE`]).
async fn settle(
    sync: &SyncNode,
    progress: &mut Progress,
    out: &mut dyn Write,
) -> Result<(), Waited> {
    let end = Instant::now() + SETTLE;
    while Instant::now() < end {
        let before = progress.items;
        tokio::time::sleep(Duration::from_secs(1)).await;
        progress.report(sync, out)?;
        if progress.items == before {
            break;
        }
    }
    Ok(())
}

/// Connects to each peer (bounded); prints failures when `out` is given.
async fn dial(
    sync: &SyncNode,
    peers: &[EndpointAddr],
    mut out: Option<&mut dyn Write>,
) -> std::io::Result<()> {
    for p in peers {
        let r = tokio::time::timeout(CONNECT, sync.connect_introduced(p.clone())).await;
        let failed = match r {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("{} did not answer in time", p.id.fmt_short())),
        };
        if let (Some(why), Some(out)) = (failed, out.as_deref_mut()) {
            writeln!(out, "  {why}")?;
        }
    }
    Ok(())
}

/// What was last reported, so each line says something new.
struct Progress {
    items: usize,
    refusals: u64,
}

impl Progress {
    fn new(sync: &SyncNode) -> Self {
        Progress {
            items: sync.with_node(|n| n.replica().item_count()),
            refusals: 0,
        }
    }

    fn report(&mut self, sync: &SyncNode, out: &mut dyn Write) -> std::io::Result<()> {
        let items = sync.with_node(|n| n.replica().item_count());
        if items != self.items {
            writeln!(out, "received {}", count(items))?;
            self.items = items;
        }
        // The log keeps the latest refusals only: the new ones are the last `total - seen`.
        let refusals = sync.refusals();
        let total = sync.refusals_total();
        let new = usize::try_from(total.saturating_sub(self.refusals)).unwrap_or(usize::MAX);
        for r in refusals.iter().skip(refusals.len().saturating_sub(new)) {
            writeln!(
                out,
                "refused an item from {}: {}",
                r.from.fmt_short(),
                r.reason
            )?;
        }
        self.refusals = total;
        out.flush()
    }
}

/// "1 signed item", "5 signed items".
fn count(items: usize) -> String {
    match items {
        1 => "1 signed item".to_string(),
        n => format!("{n} signed items"),
    }
}

/// Whether the roster `r` holds lets `me` connect.
fn admits(r: &Replica, me: &MemberId) -> bool {
    AccessList::from_state(r.log().state()).check(me).is_ok()
}

/// "you are Олена (deputy) in Міська рада, key …".
fn whoami(r: &Replica, me: &MemberId) -> String {
    let council = &r.log().genesis().genesis().name;
    match r.log().state().members.get(me) {
        Some(m) => {
            let roles: Vec<&str> = m.roles.iter().map(|r| r.name()).collect();
            format!(
                "you are {} ({}) in {council}, key {me}",
                m.name,
                roles.join(", ")
            )
        }
        None => format!("you are not on the roster of {council} yet, key {me}"),
    }
}

fn addr_list(a: &EndpointAddr) -> String {
    let mut parts: Vec<String> = a.ip_addrs().map(SocketAddr::to_string).collect();
    parts.extend(a.relay_urls().map(|u| format!("relay {u}")));
    if parts.is_empty() {
        "no known address".to_string()
    } else {
        parts.join(", ")
    }
}

/// What a peer said when this device knocked.
#[derive(Debug)]
enum Door {
    /// It kept the connection: this device is on its roster.
    Open,
    /// It closed the connection because this device is not on its roster.
    Refused(String),
    /// It could not be reached (or closed for another reason).
    Unreachable(String),
}

impl Door {
    fn describe(&self, peer: EndpointId) -> String {
        let p = peer.fmt_short();
        match self {
            Door::Open => format!("{p} admits this device"),
            Door::Refused(why) => {
                format!("{p} refused this device: it is not on the roster ({why})")
            }
            Door::Unreachable(why) => format!("cannot reach {p} yet: {why}"),
        }
    }
}

/// Every peer that answered refused, and at least one answered.
fn refused_everywhere(doors: &[Door]) -> bool {
    doors.iter().any(|d| matches!(d, Door::Refused(_)))
        && doors.iter().all(|d| !matches!(d, Door::Open))
}

/// Knocks at `peer` with this device's key on an endpoint of its own: a peer closes the
/// connection of an endpoint not on its roster right after the handshake (close code
/// [`close::NOT_A_MEMBER`]), which the sync layer does not report. A connection still open after
/// four handshake times (at least `floor`) was admitted.
async fn door(key: &SecretKey, config: &NetConfig, peer: EndpointAddr, floor: Duration) -> Door {
    let ep = match knocker(key, config).await {
        Ok(ep) => ep,
        Err(e) => return Door::Unreachable(e),
    };
    let started = Instant::now();
    let door = match tokio::time::timeout(CONNECT, ep.connect(peer, council_sync::net::ALPN)).await
    {
        Err(_) => Door::Unreachable("no answer in time".to_string()),
        Ok(Err(e)) => Door::Unreachable(e.to_string()),
        Ok(Ok(conn)) => {
            let patience = (started.elapsed() * 4).max(floor);
            match tokio::time::timeout(patience, conn.closed()).await {
                Err(_) => {
                    conn.close(close::DONE.into(), b"checked");
                    Door::Open
                }
                Ok(ConnectionError::ApplicationClosed(c))
                    if c.error_code.into_inner() == u64::from(close::NOT_A_MEMBER) =>
                {
                    Door::Refused(String::from_utf8_lossy(&c.reason).into_owned())
                }
                Ok(e) => Door::Unreachable(e.to_string()),
            }
        }
    };
    // Closing waits for the peer to acknowledge; never for long.
    let _ = tokio::time::timeout(Duration::from_secs(2), ep.close()).await;
    door
}

/// A client endpoint configured like the sync layer's: the council's relay only, no public
/// service of any kind.
async fn knocker(key: &SecretKey, config: &NetConfig) -> Result<Endpoint, String> {
    let relay_mode = match &config.relay {
        Some(url) => RelayMode::Custom(RelayMap::from(RelayConfig::new(url.clone(), None))),
        None => RelayMode::Disabled,
    };
    let mut report = NetReportConfig::minimal();
    report.https_probes = config.relay.is_some();
    Endpoint::builder(presets::Minimal)
        .secret_key(iroh::SecretKey::from_bytes(&key.to_bytes()))
        .relay_mode(relay_mode)
        .net_report_config(report)
        .dns_resolver(
            iroh::dns::DnsResolver::builder()
                .with_system_defaults()
                .disable_fallback()
                .build(),
        )
        .bind_addr(SocketAddr::new(config.bind.ip(), 0))
        .map_err(|e| e.to_string())?
        .bind()
        .await
        .map_err(|e| e.to_string())
}
