//! `council serve`: this device as a headless peer of the council, until it is stopped.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use council_sync::net::{NetConfig, SyncNode};
use iroh::RelayUrl;

use super::{CliError, warn_if_loosened};
use crate::profile::Profile;

/// Run this device as a peer of the council without a window: it keeps the connections to the
/// other members, receives, stores and forwards every signed item, and prints a status line
/// whenever something changes. Stops cleanly on Ctrl-C or SIGTERM, after everything received
/// is on disk.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The local address to listen on, e.g. 0.0.0.0:4433 to be reachable at a fixed port (the
    /// address to give `council invite --addr`).
    #[arg(long, default_value = "0.0.0.0:0")]
    pub bind: SocketAddr,
    /// The council's relay URL; by default the one saved by `council join`.
    #[arg(long)]
    pub relay: Option<String>,
    /// Do not look for the council's peers on the local network (mDNS).
    #[arg(long)]
    pub no_lan: bool,
    /// Print a status line at least this often, in seconds, even if nothing changed.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub status_every: u64,
}

/// How often the roster is dialed again, for members who came online.
const REDIAL: Duration = Duration::from_secs(30);

/// Runs the peer until a signal stops it.
pub fn cmd_serve(profile: &Profile, args: ServeArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let node = profile.node()?;
    warn_if_loosened(node.store());
    let relay = match &args.relay {
        Some(r) => Some(relay_url(r)?),
        None => saved_relay(node.store())?,
    };
    let key = node.identity().key().clone();
    let config = NetConfig {
        relay,
        bind: args.bind,
        direct: true,
        lan: !args.no_lan,
    };
    let every = Duration::from_secs(args.status_every.max(1));
    runtime()?.block_on(async move {
        let stop = Stop::install()?;
        let sync = SyncNode::spawn(node, &key, config).await?;
        let served = serve(&sync, stop, every, out).await;
        // Shut down whatever happened to the output: what was received must reach the disk.
        let _ = writeln!(
            out,
            "stopping: closing connections and saving what was received"
        );
        let _ = out.flush();
        sync.shutdown().await;
        let stopped = writeln!(out, "stopped").and_then(|()| out.flush());
        served.and(stopped.map_err(CliError::from))
    })
}

/// Announces the endpoint, then reports until stopped.
async fn serve(
    sync: &SyncNode,
    mut stop: Stop,
    every: Duration,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let addr = sync.addr();
    let addrs: Vec<String> = addr.ip_addrs().map(SocketAddr::to_string).collect();
    writeln!(out, "listening on {} at {}", sync.id(), addrs.join(" "))?;
    for url in addr.relay_urls() {
        writeln!(out, "relay: {url}")?;
    }
    out.flush()?;
    let dialer = tokio::spawn(redial(sync.clone()));
    let mut status = Status::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let signal = loop {
        tokio::select! {
            s = stop.wait() => break Ok(s),
            _ = tick.tick() => if let Err(e) = status.report(sync, every, out) {
                break Err(e);
            },
        }
    };
    dialer.abort();
    writeln!(out, "received {}", signal?)?;
    Ok(())
}

/// Dials the roster (and the addresses remembered for it) now and then, in the background.
async fn redial(sync: SyncNode) {
    loop {
        sync.dial_roster().await;
        tokio::time::sleep(REDIAL).await;
    }
}

/// What the last status line said, so that only changes (and a periodic reminder) are printed.
#[derive(Debug, Default)]
struct Status {
    last: Option<(usize, usize)>,
    printed: Option<tokio::time::Instant>,
    refusals: u64,
}

impl Status {
    fn report(
        &mut self,
        sync: &SyncNode,
        every: Duration,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        // The log keeps the latest refusals only: the new ones are the last `total - seen`.
        let refusals = sync.refusals();
        let total = sync.refusals_total();
        let new = usize::try_from(total.saturating_sub(self.refusals)).unwrap_or(usize::MAX);
        for r in refusals.iter().skip(refusals.len().saturating_sub(new)) {
            writeln!(out, "refused an item from {}: {}", r.from, r.reason)?;
        }
        self.refusals = total;
        let peers = sync.connected();
        let items = sync.with_node(|n| n.replica().item_count());
        let now = tokio::time::Instant::now();
        let due = self.printed.is_none_or(|t| now.duration_since(t) >= every);
        if self.last != Some((peers.len(), items)) || due {
            let names: Vec<String> = peers.iter().map(|p| p.fmt_short().to_string()).collect();
            writeln!(
                out,
                "status: {} peers connected{}{}, {items} items held",
                peers.len(),
                if names.is_empty() { "" } else { ": " },
                names.join(", ")
            )?;
            self.last = Some((peers.len(), items));
            self.printed = Some(now);
        }
        out.flush()
    }
}

/// Ctrl-C and SIGTERM, listened to from the start so that no signal is missed.
struct Stop {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Stop {
    fn install() -> Result<Stop, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stop {
                term: signal(SignalKind::terminate()).map_err(CliError::Runtime)?,
                int: signal(SignalKind::interrupt()).map_err(CliError::Runtime)?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Stop {})
        }
    }

    /// Waits for a signal; says which.
    async fn wait(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "Ctrl-C",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// The async runtime of a networked command (the rest of the CLI stays synchronous).
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// Parses a relay URL given on the command line or in a ticket.
pub(super) fn relay_url(s: &str) -> Result<RelayUrl, CliError> {
    if !(s.starts_with("http://") || s.starts_with("https://")) {
        return Err(CliError::Usage(format!(
            "relay {s}: a relay URL starts with http:// or https://"
        )));
    }
    s.parse()
        .map_err(|e| CliError::Usage(format!("relay {s}: not a URL: {e}")))
}

/// The relay saved by `council join`, if any.
pub(super) fn saved_relay(store: &council_sync::Store) -> Result<Option<RelayUrl>, CliError> {
    let Some(bytes) = store.setting(council_sync::SETTING_RELAY)? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    relay_url(text.trim()).map(Some)
}
