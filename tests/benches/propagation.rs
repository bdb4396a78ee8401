//! Vote propagation over real iroh endpoints on loopback, against the raw floor of plain iroh
//! streams in the same run, and the sync of a whole term's archive to a fresh peer against
//! reading the same stored bytes locally.
//!
//! `cargo bench --bench propagation [-- --peers N --rounds P --drafts D --sessions S --ballots B]`
//!
//! Each of `P` polls (default 4) takes a ballot from every peer, so the percentiles rest on
//! `N × P` samples (with 50 alone, the p99 would be the single slowest). The CPU time the whole
//! process spends per delivery (one message reaching one peer) is printed for both paths: it is
//! steady where wall-clock figures on a shared machine are not.
//! Last line: `propagation_vs_raw_ratio: R` (goal: p99 under 100 ms for 50 peers, R ≤ 2).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use council_sync::net::SyncNode;
use council_tests::archive::{self, ArchiveSpec};
use council_tests::{PATIENCE, act, peer};
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::Item;
use crdt_model::sample::SampleCouncil;
use crdt_model::session::{Ballot, Choice, PollId, StatementKind};
use iroh::endpoint::{Connection, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error>;

use council_tests::bench::{arg, percentile};

/// What one path measured.
#[derive(Debug, Default)]
struct Run {
    /// From each message's sending (a ballot's signing) until every peer holds it.
    latency_ms: Vec<f64>,
    /// From each poll's closing until every peer holds its verified tally (ours only).
    tally_ms: Vec<f64>,
    /// CPU time of the whole process (every peer, every thread) while the messages moved.
    cpu: Duration,
    /// One ballot signature check, in µs (ours only): what every delivery costs on top of the
    /// network, since no peer may take a ballot it has not checked itself.
    signature_us: f64,
}

/// The mean time to check one ballot's signature, the way every peer checks it.
fn signature_check_us(key: &crdt_model::SecretKey, poll: PollId) -> Result<f64, Error> {
    let b = Ballot {
        poll,
        voter: key.member_id(),
        seq: u32::MAX,
        choice: Choice::Abstain,
        seen: vec![poll],
    }
    .sign(key);
    let n = 2000;
    let start = Instant::now();
    for _ in 0..n {
        b.verify()?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(n))
}

/// Our path: the chair's peer is the hub; each voter signs a ballot; time until every peer
/// holds it, checked by the trust core and stored. `rounds` polls, one after another.
async fn ours(n: usize, rounds: usize) -> Result<Run, Error> {
    let dir = tempfile::tempdir()?;
    let (c, _) = SampleCouncil::new(n as u32 + 1, n as u32 - 1)?;
    let chair = peer(&c, &c.chair, dir.path(), "chair", None, true).await?;
    let mut deps = Vec::new();
    for (i, k) in c.deputies.iter().enumerate() {
        let p = peer(&c, k, dir.path(), &format!("d{i}"), None, true).await?;
        p.connect(chair.addr()).await?;
        deps.push(p);
    }
    let draft = chair.with_node(|n| {
        n.replica_mut().log_mut().create(
            &c.chair,
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
            1,
        )
    })?;
    let doc = draft.id();
    chair.publish(vec![Item::Op(draft)])?;
    let session = act::open_session(&chair, &c.chair, "bench", doc)?;
    act::say(
        &chair,
        session,
        &c.chair,
        StatementKind::Present {
            member: c.chair.member_id(),
        },
    )?;
    for (p, k) in deps.iter().zip(&c.deputies) {
        if !p
            .wait_until(PATIENCE, move |r| r.session(&session).is_some())
            .await
        {
            return Err("session did not arrive".into());
        }
        act::say(
            p,
            session,
            k,
            StatementKind::Present {
                member: k.member_id(),
            },
        )?;
    }
    let all: Vec<&SyncNode> = deps.iter().chain([&chair]).collect();
    if !chair
        .wait_until(PATIENCE, move |r| {
            r.session(&session)
                .is_some_and(|s| s.state().present.len() == n)
        })
        .await
    {
        return Err("registration incomplete".into());
    }
    let voters: Vec<(&SyncNode, &crdt_model::SecretKey)> = deps
        .iter()
        .zip(&c.deputies)
        .chain([(&chair, &c.chair)])
        .collect();
    let mut run = Run::default();
    let mut last_poll = None;
    for _ in 0..rounds {
        let poll = act::open_poll(&chair, session, &c.chair, doc)?;
        for p in &all {
            if !p
                .wait_until(PATIENCE, move |r| {
                    r.session(&session)
                        .is_some_and(|s| s.state().poll(&poll).is_some())
                })
                .await
            {
                return Err("poll did not arrive".into());
            }
        }
        let cpu = cpu_time::ProcessTime::now();
        for (k, (p, key)) in voters.iter().enumerate() {
            let start = Instant::now();
            // The voter's own durable commit (what its UI waits for) runs beside the
            // propagation being measured, as it does on a real device.
            let (voter, voter_key) = ((*p).clone(), (*key).clone());
            let cast = tokio::task::spawn_blocking(move || {
                act::vote(&voter, &voter_key, poll, 1, Choice::For)
            });
            let want = k + 1;
            let waits = all.iter().map(|q| {
                q.wait_until(PATIENCE, move |r| {
                    r.session(&session)
                        .is_some_and(|s| s.ballots(&poll).count() >= want)
                })
            });
            for ok in futures_join(waits).await {
                if !ok {
                    return Err("a ballot did not propagate".into());
                }
            }
            run.latency_ms.push(start.elapsed().as_secs_f64() * 1e3);
            cast.await??;
        }
        run.cpu += cpu.elapsed();
        let start = Instant::now();
        act::close_poll(&chair, session, &c.chair, poll)?;
        let waits = all.iter().map(|q| {
            q.wait_until(PATIENCE, move |r| {
                r.session(&session)
                    .and_then(|s| s.report(&poll))
                    .and_then(|r| r.ok())
                    .is_some_and(|rep| rep.closed && rep.verified())
            })
        });
        for ok in futures_join(waits).await {
            if !ok {
                return Err("the verified tally did not reach every peer".into());
            }
        }
        run.tally_ms.push(start.elapsed().as_secs_f64() * 1e3);
        last_poll = Some(poll);
    }
    if let Some(poll) = last_poll {
        run.signature_us = signature_check_us(&c.chair, poll)?;
    }
    for p in &all {
        p.shutdown().await;
    }
    Ok(run)
}

async fn futures_join<F: std::future::Future<Output = bool>>(
    fs: impl Iterator<Item = F>,
) -> Vec<bool> {
    let handles: Vec<_> = fs.collect();
    let mut out = Vec::with_capacity(handles.len());
    for f in handles {
        out.push(f.await);
    }
    out
}

const RAW_ALPN: &[u8] = b"council-bench/raw/0";

#[derive(Debug, Clone)]
struct Sink {
    got: mpsc::UnboundedSender<Vec<u8>>,
}

impl ProtocolHandler for Sink {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        loop {
            let Ok(mut recv) = conn.accept_uni().await else {
                break;
            };
            let Ok(msg) = recv.read_to_end(1024).await else {
                break;
            };
            let _ = self.got.send(msg);
        }
        Ok(())
    }
}

async fn raw_endpoint() -> Result<(Router, mpsc::UnboundedReceiver<Vec<u8>>), Error> {
    let ep = iroh::Endpoint::builder(presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .bind_addr((Ipv4Addr::LOCALHOST, 0))?
        .bind()
        .await?;
    let (tx, rx) = mpsc::unbounded_channel();
    Ok((
        Router::builder(ep)
            .accept(RAW_ALPN, Sink { got: tx })
            .spawn(),
        rx,
    ))
}

/// The floor: the same star, plain iroh uni-streams, no signing, checks or storage. A spoke
/// sends a small message to the hub, the hub sends it to every other spoke.
async fn raw(n: usize, rounds: usize) -> Result<Run, Error> {
    let (hub, mut hub_rx) = raw_endpoint().await?;
    let mut spokes = Vec::new();
    for _ in 1..n {
        spokes.push(raw_endpoint().await?);
    }
    // spoke → hub connections, and hub → spoke connections.
    let mut up = Vec::new();
    let mut down = Vec::new();
    for (s, _) in &spokes {
        up.push(
            s.endpoint()
                .connect(hub.endpoint().addr(), RAW_ALPN)
                .await?,
        );
        down.push(
            hub.endpoint()
                .connect(s.endpoint().addr(), RAW_ALPN)
                .await?,
        );
    }
    let down = Arc::new(down);
    let fwd_down = down.clone();
    let forward = tokio::spawn(async move {
        while let Some(msg) = hub_rx.recv().await {
            for (i, c) in fwd_down.iter().enumerate() {
                if msg.first().copied() == Some(i as u8) {
                    continue;
                }
                if let Ok(mut s) = c.open_uni().await {
                    let _ = s.write_all(&msg).await;
                    let _ = s.finish();
                }
            }
        }
    });
    let mut run = Run::default();
    let cpu = cpu_time::ProcessTime::now();
    for (i, c) in up.iter().enumerate().cycle().take(up.len() * rounds) {
        let start = Instant::now();
        let mut msg = vec![i as u8];
        msg.extend_from_slice(&[7u8; 100]);
        let mut s = c.open_uni().await?;
        s.write_all(&msg).await?;
        s.finish()?;
        for (j, (_, rx)) in spokes.iter_mut().enumerate() {
            if j != i {
                tokio::time::timeout(PATIENCE, rx.recv())
                    .await?
                    .ok_or("raw message lost")?;
            }
        }
        run.latency_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    run.cpu = cpu.elapsed();
    forward.abort();
    hub.shutdown().await?;
    for (s, _) in spokes {
        s.shutdown().await?;
    }
    Ok(run)
}

/// A fresh peer syncs a term's archive from one peer; the floor is reading the same stored
/// bytes from disk.
async fn archive(
    drafts: usize,
    sessions: usize,
    ballots: usize,
) -> Result<(f64, f64, usize, u64), Error> {
    let dir = tempfile::tempdir()?;
    let gen_start = Instant::now();
    let spec = ArchiveSpec {
        drafts,
        sessions,
        ballots,
        ..ArchiveSpec::default()
    };
    let at = dir.path().to_path_buf();
    let made = tokio::task::spawn_blocking(move || archive::generate(&at, &spec)).await??;
    let items = made.items;
    eprintln!(
        "archive generated in {:.1} s: {items} items",
        gen_start.elapsed().as_secs_f64()
    );

    // Floor: read every stored item's bytes back from the holder's database file.
    let start = Instant::now();
    let store = council_sync::Store::open_existing(&made.store)?;
    let total_bytes = store.read_all_item_bytes()?;
    let local_ms = start.elapsed().as_secs_f64() * 1e3;
    drop(store);

    let c = &made.council;
    let holder = peer(c, &c.secretary, dir.path(), "archive", None, true).await?;
    let fresh = peer(c, &c.deputies[0], dir.path(), "fresh", None, true).await?;
    let start = Instant::now();
    fresh.connect(holder.addr()).await?;
    let want = items;
    if !fresh
        .wait_until(Duration::from_secs(600), move |r| r.item_count() >= want)
        .await
    {
        return Err("archive did not sync".into());
    }
    let sync_ms = start.elapsed().as_secs_f64() * 1e3;
    fresh.shutdown().await;
    holder.shutdown().await;
    Ok((sync_ms, local_ms, items, total_bytes))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let peers = arg("--peers", 50).max(3);
    let drafts = arg("--drafts", 2000);
    let sessions = arg("--sessions", 100);
    let ballots = arg("--ballots", 30_000);
    let rounds = arg("--rounds", 4).max(1);
    println!(
        "propagation: {peers} peers on loopback, star around the chair's peer, {rounds} polls of {peers} ballots"
    );
    let mut ours_run = ours(peers, rounds).await?;
    let mut raw_run = raw(peers, rounds).await?;
    let messages = (peers * rounds) as f64;
    // Each message reaches every peer but its sender.
    let per_delivery = |cpu: Duration| cpu.as_secs_f64() * 1e6 / (messages * (peers - 1) as f64);
    let ours_cpu = per_delivery(ours_run.cpu);
    let raw_cpu = per_delivery(raw_run.cpu);
    let ours_p50 = percentile(&mut ours_run.latency_ms, 0.5);
    let ours_p99 = percentile(&mut ours_run.latency_ms, 0.99);
    let raw_p50 = percentile(&mut raw_run.latency_ms, 0.5);
    let raw_p99 = percentile(&mut raw_run.latency_ms, 0.99);
    let tally_ms = percentile(&mut ours_run.tally_ms, 0.5);
    if drafts > 0 && sessions > 0 {
        let (sync_ms, local_ms, items, bytes) = archive(drafts, sessions, ballots).await?;
        println!(
            "archive: {drafts} drafts, {sessions} sessions, {ballots} ballots, {items} signed items, {bytes} stored bytes"
        );
        println!("archive_sync_ms: {sync_ms:.0}");
        println!("archive_local_read_ms: {local_ms:.1}");
        println!(
            "archive_sync_vs_local_load_ratio: {:.1}",
            sync_ms / local_ms
        );
    }
    println!("vote_cpu_us_per_delivery: {ours_cpu:.1}");
    println!("raw_cpu_us_per_delivery: {raw_cpu:.1}");
    println!("signature_check_us: {:.1}", ours_run.signature_us);
    // With every peer on the same cores, a ballot is in every peer's hands once each of them
    // has checked it: the floor with those checks, against the floor without.
    println!(
        "raw_plus_signature_checks_cpu_ratio: {:.2}",
        (raw_cpu + ours_run.signature_us) / raw_cpu
    );
    println!("vote_propagation_p50_ms: {ours_p50:.2}");
    println!("raw_iroh_p50_ms: {raw_p50:.2}");
    println!("verified_tally_everywhere_p50_ms: {tally_ms:.1}");
    println!("vote_propagation_p99_ms: {ours_p99:.2}");
    println!("raw_iroh_p99_ms: {raw_p99:.2}");
    println!("propagation_vs_raw_ratio: {:.2}", ours_p99 / raw_p99);
    Ok(())
}
