//! `council-relay`: the council's own relay server, and optionally its always-on replica.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use council_relay::{AccessList, CouncilRelay, RelayOptions, RosterGate, TlsFiles};
use council_sync::net::{NetConfig, SyncNode};
use council_sync::ticket::Ticket;
use council_sync::{Node, Store};

/// Runs the council's relay (only the council's endpoints are served) and, with `--replica`,
/// an always-on peer that stores and forwards every signed item for members who were offline.
#[derive(Debug, Parser)]
#[command(name = "council-relay", version, about)]
struct Args {
    /// This server's store (created on first run; its identity is the replica's key).
    #[arg(long, default_value = "council-relay.redb")]
    store: PathBuf,
    /// An invite ticket for the council, needed on the first run only.
    #[arg(long)]
    ticket: Option<String>,
    /// Plain HTTP address (the relay on a LAN; the captive-portal probe when TLS is on).
    #[arg(long, default_value = "0.0.0.0:3340")]
    http: SocketAddr,
    /// HTTPS address, with --cert and --key, for a relay reachable from the internet.
    #[arg(long, requires_all = ["cert", "key"])]
    https: Option<SocketAddr>,
    /// Certificate chain (PEM) for HTTPS.
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Private key (PEM) for HTTPS.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Host name peers use in the relay URL.
    #[arg(long)]
    public_host: Option<String>,
    /// Also run the always-on replica (its key must be on the roster with the replica role).
    #[arg(long)]
    replica: bool,
    /// Address the replica's endpoint binds.
    #[arg(long, default_value = "0.0.0.0:0")]
    replica_bind: SocketAddr,
}

fn fail(msg: String) -> std::process::ExitCode {
    eprintln!("error: {msg}");
    std::process::ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let mut store = match Store::open_or_create(&args.store) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    if let Some(t) = &args.ticket {
        let ticket = match Ticket::decode(t) {
            Ok(t) => t,
            Err(e) => return fail(e.to_string()),
        };
        if let Err(e) = store.set_genesis(&ticket.genesis) {
            return fail(e.to_string());
        }
    }
    if store.genesis().is_none() {
        println!("this server's key: {}", store.identity().member_id());
        return fail(
            "this store belongs to no council yet: have the secretary add the key above with the \
             replica role, then run again with --ticket TICKET"
                .into(),
        );
    }
    let key = store.identity().key().clone();
    let node = match Node::from_store(store) {
        Ok(n) => n,
        Err(e) => return fail(e.to_string()),
    };
    let gate = RosterGate::new(AccessList::from_state(node.replica().log().state()));
    let tls = match (args.https, args.cert, args.key) {
        (Some(https), Some(cert), Some(key)) => Some(TlsFiles { cert, key, https }),
        _ => None,
    };
    let options = RelayOptions {
        http: args.http,
        tls,
        public_host: args.public_host,
    };
    let relay = match CouncilRelay::start(options, gate.clone()).await {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    println!("relay: {}", relay.url());
    let replica = if args.replica {
        let config = NetConfig {
            relay: Some(relay.url().clone()),
            bind: args.replica_bind,
            direct: true,
            lan: true,
        };
        match SyncNode::spawn(node, &key, config).await {
            Ok(s) => {
                println!("replica: {}", s.id());
                Some(s)
            }
            Err(e) => return fail(e.to_string()),
        }
    } else {
        None
    };
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => {
                if let Some(r) = &replica {
                    gate.update(r.with_node(|n| AccessList::from_state(n.replica().log().state())));
                }
            }
        }
    }
    if let Some(r) = replica {
        r.shutdown().await;
    }
    relay.stop().await;
    std::process::ExitCode::SUCCESS
}
