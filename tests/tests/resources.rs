//! What attacks on the network side cost a peer, measured and printed: the memory a hub holds
//! for twenty connections that stopped reading during their catch-up of an archive, and the
//! time a peer spends on ten thousand refused items. The bounds asserted are generous: they
//! tell a cost that grows with the number of connections (a copy of the archive each) or per
//! refusal from one that does not; the figures are for reading.
//!
//! Its own binary, because it counts every allocation of the process (`peak_alloc`), and its
//! tests run one at a time. Run with `--nocapture` to see the figures.

use std::time::{Duration, Instant};

use council_sync::net::{Limits, SyncNode, close, proto};
use council_tests::archive::{self, ArchiveSpec};
use council_tests::wire::{close_code, empty_hello, open, raw_client, send_frame};
use council_tests::{PATIENCE, peer, peer_with};
use crdt_model::SecretKey;
use crdt_model::log::{DocSpec, LogOp, OpBody};
use crdt_model::replica::Item;
use crdt_model::sample::{SampleCouncil, key};
use peak_alloc::PeakAlloc;

#[global_allocator]
static MEMORY: PeakAlloc = PeakAlloc;

/// The tests measure the whole process: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const MB: f64 = 1024.0 * 1024.0;

/// `f`, which must finish within [`PATIENCE`].
async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f).await.expect("in time")
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / MB
}

/// Connects twenty members' clients to `hub`, each sending an empty hello and then reading
/// nothing; waits until the process's memory stops growing (every catch-up is blocked on flow
/// control). The peak allocated above what the process held before, what it holds then, and
/// the clients (to close).
async fn twenty_stalled(
    hub: &SyncNode,
    c: &SampleCouncil,
) -> (
    usize,
    usize,
    Vec<(iroh::endpoint::Connection, iroh::Endpoint)>,
) {
    let baseline = MEMORY.current_usage();
    MEMORY.reset_peak_usage();
    let hello = empty_hello(c);
    let mut stalled = Vec::new();
    let mut streams = Vec::new();
    for k in &c.deputies[..20] {
        let (conn, ep) = raw_client(k, hub).await.expect("connects");
        streams.push(open(&conn, &hello).await.expect("stream"));
        stalled.push((conn, ep));
    }
    let mut last = MEMORY.current_usage();
    let mut still = 0;
    let deadline = Instant::now() + PATIENCE;
    while still < 5 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = MEMORY.current_usage();
        if now.abs_diff(last) < 256 * 1024 {
            still += 1;
        } else {
            still = 0;
        }
        last = now;
    }
    assert_eq!(hub.connected().len(), 20, "all twenty are connected");
    for (conn, _) in &stalled {
        assert!(conn.close_reason().is_none(), "none is closed yet");
    }
    let peak = MEMORY.peak_usage().saturating_sub(baseline);
    let held = MEMORY.current_usage().saturating_sub(baseline);
    drop(streams);
    (peak, held, stalled)
}

async fn close_all(clients: Vec<(iroh::endpoint::Connection, iroh::Endpoint)>) {
    for (conn, ep) in clients {
        conn.close(0u32.into(), b"done");
        within(ep.close()).await;
    }
}

/// Twenty members' clients each send an empty hello to a hub holding an archive and then read
/// nothing. Each connection used to copy the whole catch-up out of the replica (under the
/// node's lock) and hold it while waiting on flow control: twenty copies of the archive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_stalled_connections_do_not_each_hold_a_copy_of_the_archive() {
    let _one = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("dir");
    let spec = ArchiveSpec {
        drafts: 1000,
        sessions: 30,
        ballots: 10_000,
        ..ArchiveSpec::default()
    };
    let at = dir.path().to_path_buf();
    let started = Instant::now();
    let generating = tokio::task::spawn_blocking(move || archive::generate(&at, &spec));
    let made = tokio::time::timeout(Duration::from_secs(300), generating)
        .await
        .expect("generated in time")
        .expect("generator")
        .expect("archive");
    println!(
        "archive: {} items, generated in {:.1} s",
        made.items,
        started.elapsed().as_secs_f64()
    );
    let c = &made.council;

    // The control: the same twenty clients on a hub with nothing to send them but the roster.
    // What the connections themselves cost (twenty client endpoints live in this process).
    let control = peer(c, &c.secretary, dir.path(), "control", None, true)
        .await
        .expect("control hub");
    let (control_peak, _, clients) = twenty_stalled(&control, c).await;
    close_all(clients).await;
    within(control.shutdown()).await;
    drop(control);

    let hub = peer(c, &c.secretary, dir.path(), "archive", None, true)
        .await
        .expect("hub");
    let archive_bytes: usize =
        hub.with_node(|n| n.replica().items().iter().map(|i| i.to_bytes().len()).sum());
    let before = MEMORY.current_usage();
    let (peak, held, clients) = twenty_stalled(&hub, c).await;
    let stats = hub.stats();
    let catch_up = peak.saturating_sub(control_peak);
    println!(
        "archive {:.1} MiB encoded; the process held {:.1} MiB with the hub open",
        mb(archive_bytes),
        mb(before)
    );
    println!(
        "20 stalled connections: peak {:.1} MiB above that, {:.1} MiB still held once stalled; the same 20 on a hub with nothing to send: {:.1} MiB",
        mb(peak),
        mb(held),
        mb(control_peak)
    );
    println!(
        "what the archive's catch-ups added: {:.1} MiB = {:.2}x the archive, {:.2} MiB per connection",
        mb(catch_up),
        catch_up as f64 / archive_bytes as f64,
        mb(catch_up) / 20.0
    );
    println!(
        "catch-up buffers (frames and cursors): {:.2} MiB now, {:.2} MiB at most",
        mb(stats.catch_up_bytes),
        mb(stats.catch_up_peak_bytes)
    );
    // Each connection may hold a frame being written (CATCH_UP_BYTES) and what QUIC buffers
    // for a reader that does not read (a stream window, 1.25 MB, on each side). Twenty copies
    // of the archive would be 20x plus the same.
    let per_connection = proto::CATCH_UP_BYTES + 3 * 1024 * 1024;
    assert!(
        catch_up < 2 * archive_bytes + 20 * per_connection,
        "{:.1} MiB for an archive of {:.1} MiB",
        mb(catch_up),
        mb(archive_bytes)
    );
    assert!(stats.catch_up_peak_bytes <= 20 * (proto::CATCH_UP_BYTES + 1024 * 1024));
    close_all(clients).await;
    within(hub.shutdown()).await;
}

/// `n` log operations claiming a deputy but signed by someone else: each is a refusal whose
/// check costs a signature.
fn forged_ops(hub: &SyncNode, author: &SecretKey, n: u64) -> Vec<Item> {
    let (council, heads) = hub.with_node(|n| {
        let log = n.replica().log();
        (log.council_id(), log.heads())
    });
    let forger = key(5000);
    (0..n)
        .map(|i| {
            Item::Op(
                LogOp {
                    council,
                    author: author.member_id(),
                    parents: heads.clone(),
                    time_ms: i,
                    body: OpBody::CreateDocument {
                        spec: DocSpec::Draft { co_authors: vec![] },
                    },
                }
                .sign(&forger),
            )
        })
        .collect()
}

/// Sends `items` in frames of 500 on a new connection as `from`; the connection.
async fn send_all(
    hub: &SyncNode,
    c: &SampleCouncil,
    from: &SecretKey,
    items: &[Item],
) -> (iroh::endpoint::Connection, iroh::Endpoint) {
    let (conn, ep) = raw_client(from, hub).await.expect("connects");
    let (mut send, recv) = open(&conn, &empty_hello(c)).await.expect("stream");
    let frames: Vec<Vec<u8>> = items
        .chunks(500)
        .map(|chunk| proto::Message::Items(chunk.to_vec()).encode())
        .collect();
    tokio::spawn(async move {
        let _recv = recv;
        for f in frames {
            if !send_frame(&mut send, &f).await {
                break;
            }
        }
        let _ = tokio::time::timeout(PATIENCE, send.stopped()).await;
    });
    (conn, ep)
}

/// A member sends ten thousand forged operations. With the default limits the hub stops
/// after a thousand and disconnects it; with the limit lifted, it checks all ten thousand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_refused_items_cost_a_peer_little() {
    let _one = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("dir");
    let c = SampleCouncil::new(20, 8).expect("council").0;

    let hub = peer(&c, &c.deputies[0], dir.path(), "hub", None, true)
        .await
        .expect("hub");
    let items = forged_ops(&hub, &c.deputies[1], 10_000);
    let cpu = cpu_time::ProcessTime::now();
    let started = Instant::now();
    let (conn, ep) = send_all(&hub, &c, &c.deputies[1], &items).await;
    tokio::time::timeout(PATIENCE, conn.closed())
        .await
        .expect("disconnected in time");
    let (wall, cpu) = (started.elapsed(), cpu.elapsed());
    assert_eq!(close_code(&conn), Some(u64::from(close::ABUSE)));
    let stats = hub.stats();
    println!(
        "10,000 refused items, default limits: disconnected after {} checked ({} refused) in {:.0} ms wall, {:.0} ms CPU (whole process); {} refusals kept of {}",
        stats.items_checked,
        stats.items_refused,
        wall.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3,
        hub.refusals().len(),
        hub.refusals_total()
    );
    assert!(stats.items_checked < 2 * u64::from(Limits::default().refusals_per_window));
    assert!(wall < Duration::from_secs(10));
    within(ep.close()).await;
    within(hub.shutdown()).await;

    let mut lifted = Limits::default();
    lifted.refusals_per_window = 1_000_000;
    let hub = peer_with(&c, &c.deputies[0], dir.path(), "hub2", None, true, lifted)
        .await
        .expect("hub");
    let items = forged_ops(&hub, &c.deputies[1], 10_000);
    let cpu = cpu_time::ProcessTime::now();
    let started = Instant::now();
    let (conn, ep) = send_all(&hub, &c, &c.deputies[1], &items).await;
    let all = tokio::time::timeout(Duration::from_secs(60), async {
        while hub.stats().items_checked < 10_000 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(all.is_ok(), "checked {:?}", hub.stats());
    let (wall, cpu) = (started.elapsed(), cpu.elapsed());
    println!(
        "10,000 refused items, no refusal limit: all checked in {:.0} ms wall ({:.0} µs each), {:.0} ms CPU (whole process); {} refusals kept of {}",
        wall.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e6 / 10_000.0,
        cpu.as_secs_f64() * 1e3,
        hub.refusals().len(),
        hub.refusals_total()
    );
    assert!(hub.refusals().len() <= Limits::default().refusals_kept);
    assert!(wall < Duration::from_secs(30));
    assert!(conn.close_reason().is_none(), "{:?}", conn.close_reason());
    within(ep.close()).await;
    within(hub.shutdown()).await;
}
