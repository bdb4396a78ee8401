//! A connected member attacks a peer's network side: floods, stalls, too many connections,
//! streams of refused items, frames too large for a naive batcher. Each test is named for the
//! attack, and each runs real iroh endpoints on loopback with a bounded wait on every await.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use council_sync::net::{Limits, SyncNode, close, proto};
use council_tests::wire::{close_code, empty_hello, open, raw_client, read_frame, send_frame};
use council_tests::{PATIENCE, peer, peer_with};
use crdt_model::document::TextField;
use crdt_model::hash::Hash;
use crdt_model::log::{DocSpec, LogOp, OpBody};
use crdt_model::replica::Item;
use crdt_model::sample::{SampleCouncil, device, key};
use crdt_model::session::{AgendaItem, Body, Statement, StatementKind};
use crdt_model::{DocId, SecretKey};

fn council() -> SampleCouncil {
    SampleCouncil::new(20, 8).expect("council").0
}

/// `f`, which must finish within [`PATIENCE`].
async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f).await.expect("in time")
}

/// Waits (bounded) until `conn` is closed; its close code.
async fn closed_with(conn: &iroh::endpoint::Connection, within: Duration) -> Option<u64> {
    tokio::time::timeout(within, conn.closed()).await.ok()?;
    close_code(conn)
}

/// Waits (bounded) until `cond` holds of `node`'s stats.
async fn until(node: &SyncNode, within: Duration, cond: impl Fn(&SyncNode) -> bool) -> bool {
    tokio::time::timeout(within, async {
        while !cond(node) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .is_ok()
}

/// One `Items` frame holding `n` copies of `item`.
fn frame_of(item: &Item, n: usize) -> Vec<u8> {
    proto::Message::Items(vec![item.clone(); n]).encode()
}

/// The chair opens `n` sessions on `node`, each with an agenda of `items` titles of about 4 KB.
fn big_agendas(node: &SyncNode, chair: &SecretKey, n: usize, items: usize) {
    for s in 0..n {
        let open = node.with_node(|node| {
            let log = node.replica().log();
            Statement {
                council: log.council_id(),
                session: Hash::default(),
                author: chair.member_id(),
                parents: vec![],
                time_ms: s as u64,
                kind: StatementKind::OpenSession {
                    body: Body::Council,
                    log_heads: log.heads(),
                    label: format!("Сесія {s}"),
                    items: (0..items)
                        .map(|i| AgendaItem {
                            title: format!("{s}.{i} {}", "п".repeat(2000)),
                            doc: None,
                        })
                        .collect(),
                },
            }
            .sign(chair)
        });
        node.submit(Item::Statement(open))
            .expect("the chair opens a session");
    }
}

/// A statement the observer signs for a session nobody holds: it cannot be parked (the
/// observer writes nothing), which says nothing against it, yet checking it costs a signature.
fn unparkable(c: &SampleCouncil, nonce: u64) -> Item {
    let st = Statement {
        council: c.genesis.id(),
        session: Hash([7; 32]),
        author: c.observer.member_id(),
        parents: vec![Hash([8; 32])],
        time_ms: nonce,
        kind: StatementKind::Present {
            member: c.observer.member_id(),
        },
    }
    .sign(&c.observer);
    Item::Statement(st)
}

/// A log operation claiming `author` but signed by someone else: refused, a verdict.
fn forged_op(node: &SyncNode, author: &SecretKey, nonce: u64) -> Item {
    let (council, heads) = node.with_node(|n| {
        let log = n.replica().log();
        (log.council_id(), log.heads())
    });
    Item::Op(
        LogOp {
            council,
            author: author.member_id(),
            parents: heads,
            time_ms: nonce,
            body: OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
        }
        .sign(&key(5000)),
    )
}

fn new_draft(node: &SyncNode, author: &SecretKey) -> DocId {
    let op = node.with_node(|n| {
        n.replica_mut()
            .log_mut()
            .create(
                author,
                OpBody::CreateDocument {
                    spec: DocSpec::Draft { co_authors: vec![] },
                },
                1,
            )
            .expect("a deputy creates a draft")
    });
    let id = op.id();
    node.publish(vec![Item::Op(op)]).expect("published");
    id
}

fn type_into(node: &SyncNode, draft: DocId, who: u32, text: &str) {
    let change = node.with_node(|n| {
        let (log, doc) = n.replica_mut().document_mut(&draft).expect("draft known");
        let len = doc.text(TextField::Body).expect("body").chars().count();
        doc.edit(log, &device(who, 1), 1, |e| {
            e.splice(TextField::Body, len, 0, text)
        })
        .expect("allowed")
        .1
        .expect("a change")
    });
    node.publish(vec![Item::Change(change)]).expect("published");
}

fn has_text(r: &crdt_model::replica::Replica, draft: &DocId, text: &str) -> bool {
    r.documents()
        .get(draft)
        .and_then(|d| d.text(TextField::Body).ok())
        .is_some_and(|b| b.contains(text))
}

/// A chair's large agendas (hundreds of KB each, counted as 512 bytes each) once made one
/// catch-up frame past `MAX_FRAME`: every fresh peer refused it and never caught up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chairs_large_agendas_reach_a_fresh_peer_in_frames_it_accepts() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let hub = peer(&c, &c.chair, dir.path(), "hub", None, true)
        .await
        .expect("hub");
    // 90 openings of ~400 KB: 36 MB in all, more than a frame may hold.
    big_agendas(&hub, &c.chair, 90, 100);
    let total: usize = hub.with_node(|n| {
        n.replica()
            .items()
            .iter()
            .filter(|i| matches!(i, Item::Statement(_)))
            .map(|i| i.to_bytes().len())
            .sum()
    });
    assert!(total > proto::MAX_FRAME, "{total} bytes of agendas");
    let fresh = peer(&c, &c.deputies[0], dir.path(), "fresh", None, true)
        .await
        .expect("fresh");
    within(fresh.connect(hub.addr())).await.expect("connects");
    assert!(
        fresh
            .wait_until(Duration::from_secs(60), |r| r.sessions().len() == 90)
            .await,
        "the fresh peer holds every session (it refused: {:?})",
        fresh.refusals()
    );
    within(fresh.shutdown()).await;
    within(hub.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_connection_from_one_endpoint_is_refused_with_its_code() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let hub = peer(&c, &c.deputies[0], dir.path(), "hub", None, true)
        .await
        .expect("hub");
    let hello = empty_hello(&c);
    let mut held = Vec::new();
    for _ in 0..Limits::default().connections_per_peer {
        let (conn, ep) = raw_client(&c.deputies[1], &hub).await.expect("connects");
        let streams = open(&conn, &hello).await.expect("stream");
        held.push((conn, ep, streams));
    }
    assert!(
        until(&hub, PATIENCE, |h| h.connected().len() == 1).await,
        "the four connections are taken"
    );
    let (fifth, ep) = raw_client(&c.deputies[1], &hub).await.expect("transport");
    let _streams = open(&fifth, &hello).await;
    assert_eq!(
        closed_with(&fifth, PATIENCE).await,
        Some(u64::from(close::TOO_MANY_CONNECTIONS))
    );
    // The four taken stay open, and another member is still served.
    for (conn, _, _) in &held {
        assert!(conn.close_reason().is_none());
    }
    let (other, other_ep) = raw_client(&c.deputies[2], &hub)
        .await
        .expect("another member");
    let _other_streams = open(&other, &hello).await.expect("stream");
    assert!(until(&hub, PATIENCE, |h| h.connected().len() == 2).await);
    for (conn, ep, _) in held {
        conn.close(0u32.into(), b"done");
        within(ep.close()).await;
    }
    within(ep.close()).await;
    within(other_ep.close()).await;
    within(hub.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_devices_total_are_refused_with_their_code() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let mut limits = Limits::default();
    limits.connections = 3;
    let hub = peer_with(&c, &c.deputies[0], dir.path(), "hub", None, true, limits)
        .await
        .expect("hub");
    let hello = empty_hello(&c);
    let mut held = Vec::new();
    for k in &c.deputies[1..4] {
        let (conn, ep) = raw_client(k, &hub).await.expect("connects");
        let streams = open(&conn, &hello).await.expect("stream");
        held.push((conn, ep, streams));
    }
    assert!(until(&hub, PATIENCE, |h| h.connected().len() == 3).await);
    let (fourth, ep) = raw_client(&c.deputies[4], &hub).await.expect("transport");
    let _streams = open(&fourth, &hello).await;
    assert_eq!(
        closed_with(&fourth, PATIENCE).await,
        Some(u64::from(close::TOO_MANY_CONNECTIONS))
    );
    for (conn, ep, _) in held {
        conn.close(0u32.into(), b"done");
        within(ep.close()).await;
    }
    within(ep.close()).await;
    within(hub.shutdown()).await;
}

/// A member's client takes the catch-up and stops reading: without a write timeout the hub's
/// sender waited on flow control forever, holding the connection and what it was sending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_closed_when_the_write_stalls() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let mut limits = Limits::default();
    limits.stall_timeout = Duration::from_secs(1);
    let hub = peer_with(&c, &c.chair, dir.path(), "hub", None, true, limits)
        .await
        .expect("hub");
    // More than QUIC's stream window, so the hub's writes block once the client stops reading.
    big_agendas(&hub, &c.chair, 12, 100);
    let (conn, ep) = raw_client(&c.deputies[1], &hub).await.expect("connects");
    let (_send, _recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
    assert_eq!(
        closed_with(&conn, PATIENCE).await,
        Some(u64::from(close::TIMEOUT))
    );
    assert!(until(&hub, PATIENCE, |h| h.connected().is_empty()).await);
    within(ep.close()).await;
    within(hub.shutdown()).await;
}

/// A member announces a 16 MiB frame, sends a few bytes of it and stops: the hub used to
/// allocate the whole frame up front and wait for the rest forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_frame_is_closed_after_the_stall_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let mut limits = Limits::default();
    limits.stall_timeout = Duration::from_secs(1);
    let hub = peer_with(&c, &c.deputies[0], dir.path(), "hub", None, true, limits)
        .await
        .expect("hub");
    let (conn, ep) = raw_client(&c.deputies[1], &hub).await.expect("connects");
    let (mut send, mut recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
    let started = Instant::now();
    assert!(
        within(send.write_all(&(16u32 << 20).to_be_bytes()))
            .await
            .is_ok()
    );
    assert!(within(send.write_all(&[1u8; 100])).await.is_ok());
    // Read what the hub sends meanwhile, so that only the half frame is stalled.
    let reader = tokio::spawn(async move { while read_frame(&mut recv).await.is_some() {} });
    assert_eq!(
        closed_with(&conn, PATIENCE).await,
        Some(u64::from(close::TIMEOUT))
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        hub.refusals()
            .iter()
            .any(|r| r.reason.contains("no progress")),
        "{:?}",
        hub.refusals()
    );
    let _ = tokio::time::timeout(PATIENCE, reader).await;
    within(ep.close()).await;
    within(hub.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let mut limits = Limits::default();
    limits.idle_timeout = Duration::from_secs(1);
    limits.keepalive = Duration::from_millis(300);
    let hub = peer_with(&c, &c.deputies[0], dir.path(), "hub", None, true, limits)
        .await
        .expect("hub");
    let (conn, ep) = raw_client(&c.deputies[1], &hub).await.expect("connects");
    let (_send, mut recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
    // The client reads (the hub's hello, catch-up, keepalives) but never says anything.
    let reader = tokio::spawn(async move {
        let mut frames = 0usize;
        while read_frame(&mut recv).await.is_some() {
            frames += 1;
        }
        frames
    });
    assert_eq!(
        closed_with(&conn, PATIENCE).await,
        Some(u64::from(close::TIMEOUT))
    );
    let frames = tokio::time::timeout(PATIENCE, reader)
        .await
        .expect("reader ends")
        .expect("reader");
    assert!(
        frames >= 3,
        "hello, catch-up and keepalives: {frames} frames"
    );
    within(ep.close()).await;
    within(hub.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_honest_peers_stay_connected_through_their_keepalives() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let mut limits = Limits::default();
    limits.idle_timeout = Duration::from_secs(2);
    limits.keepalive = Duration::from_millis(250);
    let a = peer_with(
        &c,
        &c.deputies[0],
        dir.path(),
        "a",
        None,
        true,
        limits.clone(),
    )
    .await
    .expect("a");
    let b = peer_with(&c, &c.deputies[1], dir.path(), "b", None, true, limits)
        .await
        .expect("b");
    within(b.connect(a.addr())).await.expect("connects");
    assert!(until(&a, PATIENCE, |a| a.connected().len() == 1).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        a.connected(),
        vec![b.id()],
        "still connected after 3 s of quiet"
    );
    let draft = new_draft(&a, &c.deputies[0]);
    assert!(
        b.wait_until(PATIENCE, move |r| r.documents().contains_key(&draft))
            .await
    );
    within(a.shutdown()).await;
    within(b.shutdown()).await;
}

/// A member streams forged operations: each is refused, but nothing stopped it from going on
/// for ever and filling the hub's refusal list without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_keeps_sending_refused_items_is_disconnected_with_its_code() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let hub = peer(&c, &c.deputies[0], dir.path(), "hub", None, true)
        .await
        .expect("hub");
    let limits = Limits::default();
    let (conn, ep) = raw_client(&c.deputies[1], &hub).await.expect("connects");
    let (mut send, _recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
    let forged: Vec<Item> = (0..1500)
        .map(|i| forged_op(&hub, &c.deputies[1], i))
        .collect();
    for chunk in forged.chunks(100) {
        let frame = proto::Message::Items(chunk.to_vec()).encode();
        if !send_frame(&mut send, &frame).await {
            break;
        }
    }
    assert_eq!(
        closed_with(&conn, PATIENCE).await,
        Some(u64::from(close::ABUSE))
    );
    let refusals = hub.refusals();
    assert!(refusals.len() <= limits.refusals_kept);
    assert!(hub.refusals_total() > u64::from(limits.refusals_per_window));
    assert!(
        refusals
            .last()
            .is_some_and(|r| r.reason.contains("disconnected")),
        "{:?}",
        refusals.last()
    );
    // It is told why again if it comes straight back.
    let (again, ep2) = raw_client(&c.deputies[1], &hub).await.expect("transport");
    assert_eq!(
        closed_with(&again, PATIENCE).await,
        Some(u64::from(close::ABUSE))
    );
    within(ep.close()).await;
    within(ep2.close()).await;
    within(hub.shutdown()).await;
}

/// Items that wait for something missing and cannot be parked are not a verdict on the item:
/// a peer sending many of them is not an abuser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_that_could_not_be_parked_do_not_count_as_abuse() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let mut limits = Limits::default();
    limits.refusals_per_window = 10;
    let hub = peer_with(&c, &c.deputies[0], dir.path(), "hub", None, true, limits)
        .await
        .expect("hub");
    let (conn, ep) = raw_client(&c.observer, &hub).await.expect("connects");
    let (mut send, _recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
    let items: Vec<Item> = (0..100).map(|i| unparkable(&c, i)).collect();
    assert!(send_frame(&mut send, &proto::Message::Items(items).encode()).await);
    assert!(
        until(&hub, PATIENCE, |h| h.stats().items_refused >= 100).await,
        "{:?} {:?}",
        hub.stats(),
        hub.refusals().first()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(conn.close_reason().is_none(), "{:?}", conn.close_reason());
    assert_eq!(hub.stats().abusers_disconnected, 0);
    within(ep.close()).await;
    within(hub.shutdown()).await;
}

/// A member floods items the hub must check: the connection's item budget paces it, so one
/// peer cannot have the hub check for it as fast as it can send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_items_is_paced_to_the_connections_item_budget() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let mut limits = Limits::default();
    limits.items_per_second = 1000;
    limits.item_burst = 500;
    let hub = peer_with(&c, &c.deputies[0], dir.path(), "hub", None, true, limits)
        .await
        .expect("hub");
    let (conn, ep) = raw_client(&c.observer, &hub).await.expect("connects");
    let (mut send, _recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
    let frame = frame_of(&unparkable(&c, 1), 250);
    let started = Instant::now();
    let flood = tokio::spawn(async move {
        for _ in 0..12 {
            if !send_frame(&mut send, &frame).await {
                break;
            }
        }
        send
    });
    assert!(until(&hub, PATIENCE, |h| h.stats().items_checked >= 3000).await);
    let took = started.elapsed();
    println!("3000 items at 1000/s after a burst of 500: checked in {took:?}");
    // (3000 - 500) / 1000 per second, at the least.
    assert!(took >= Duration::from_millis(2400), "{took:?}");
    let _ = tokio::time::timeout(PATIENCE, flood).await;
    within(ep.close()).await;
    within(hub.shutdown()).await;
}

/// How long the hub's replica took to get each of `n` keystrokes typed on `from`, and the
/// reverse.
async fn keystroke_latencies(
    from: &SyncNode,
    to: &SyncNode,
    draft: DocId,
    who: u32,
    n: usize,
) -> Vec<Duration> {
    let mut out = Vec::new();
    for i in 0..n {
        let text = format!("[{who}:{i}]");
        let started = Instant::now();
        type_into(from, draft, who, &text);
        let t = text.clone();
        assert!(
            to.wait_until(PATIENCE, move |r| has_text(r, &draft, &t))
                .await,
            "keystroke {i} arrived"
        );
        out.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    out
}

/// Four members flood a hub with items whose checks are expensive (each a signature) in
/// frames of 20,000. The checks used to run on the async threads that move every connection's
/// bytes (and under the node's lock): those threads were held for seconds, and an honest
/// peer's keystrokes waited behind whole frames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_expensive_items_does_not_stall_other_connections() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    // The budget would pace the flood: lift it, so that only where checks run is tested.
    let mut limits = Limits::default();
    limits.items_per_second = 10_000_000;
    limits.item_burst = 10_000_000;
    let hub = peer_with(&c, &c.deputies[0], dir.path(), "hub", None, true, limits)
        .await
        .expect("hub");
    let honest = peer(&c, &c.deputies[1], dir.path(), "honest", None, true)
        .await
        .expect("honest");
    let authors = vec![c.deputies[1].member_id()];
    let draft = hub.with_node(|n| {
        n.replica_mut()
            .log_mut()
            .create(
                &c.deputies[0],
                OpBody::CreateDocument {
                    spec: DocSpec::Draft {
                        co_authors: authors,
                    },
                },
                1,
            )
            .expect("draft")
    });
    let doc = draft.id();
    hub.publish(vec![Item::Op(draft)]).expect("published");
    within(honest.connect(hub.addr())).await.expect("connects");
    assert!(
        honest
            .wait_until(PATIENCE, move |r| r.documents().contains_key(&doc))
            .await
    );
    let quiet = keystroke_latencies(&hub, &honest, doc, 2, 5).await;

    let frame = frame_of(&unparkable(&c, 1), 20_000);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut flooders = Vec::new();
    for k in [&c.observer, &c.deputies[2], &c.deputies[3], &c.deputies[4]] {
        let (conn, ep) = raw_client(k, &hub).await.expect("flooder connects");
        let (mut send, _recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
        let (frame, stop) = (frame.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let _recv = _recv;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sent = tokio::time::timeout(PATIENCE, send_frame(&mut send, &frame)).await;
                if !matches!(sent, Ok(true)) {
                    break;
                }
            }
        });
        flooders.push((conn, ep, task));
    }
    // The flood is on once the hub is checking it.
    assert!(until(&hub, PATIENCE, |h| h.stats().items_checked >= 20_000).await);
    // How late a task on the async threads runs, ticking every 5 ms, during the flood.
    let ticker = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                tokio::time::sleep(Duration::from_millis(5)).await;
                worst = worst.max(t.elapsed().saturating_sub(Duration::from_millis(5)));
            }
            worst
        })
    };
    let checked_before = hub.stats().items_checked;
    let flood_started = Instant::now();
    let mut during = keystroke_latencies(&hub, &honest, doc, 2, 10).await;
    during.extend(keystroke_latencies(&honest, &hub, doc, 3, 10).await);
    let rate =
        (hub.stats().items_checked - checked_before) as f64 / flood_started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let late = tokio::time::timeout(PATIENCE, ticker)
        .await
        .expect("ticker ends")
        .expect("ticker");
    println!("a task on the async threads ran up to {late:?} late during the flood");
    let worst_quiet = quiet.iter().max().copied().unwrap_or_default();
    let worst = during.iter().max().copied().unwrap_or_default();
    println!(
        "keystroke latency: quiet worst {worst_quiet:?}; during the flood ({rate:.0} checks/s) worst {worst:?}, all {during:?}"
    );
    assert!(
        late < Duration::from_secs(1),
        "the async threads were held {late:?} by the flood"
    );
    assert!(
        worst < Duration::from_secs(1),
        "an honest keystroke waited {worst:?} behind the flood"
    );
    for (conn, ep, task) in flooders {
        conn.close(0u32.into(), b"done");
        let _ = tokio::time::timeout(PATIENCE, task).await;
        within(ep.close()).await;
    }
    within(honest.shutdown()).await;
    within(hub.shutdown()).await;
}

/// A peer falls behind the live items (it reads nothing while the hub takes 5,000 new ones):
/// it used to be sent the whole archive again from its first hello. Now it is sent what came
/// since its catch-up began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_connection_is_sent_what_it_missed_not_the_archive_again() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let hub = peer(&c, &c.chair, dir.path(), "hub", None, true)
        .await
        .expect("hub");
    // The archive: 10 agendas of ~400 KB, more than QUIC's stream window.
    big_agendas(&hub, &c.chair, 10, 100);
    let (conn, ep) = raw_client(&c.deputies[1], &hub).await.expect("connects");
    let (_send, mut recv) = open(&conn, &empty_hello(&c)).await.expect("stream");
    // Its catch-up is blocked on flow control; meanwhile 5,000 new items (drafts) arrive, more
    // than the live items kept for a connection.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ops: Vec<Item> = hub.with_node(|n| {
        (0..5000)
            .map(|i| {
                let op = n
                    .replica_mut()
                    .log_mut()
                    .create(
                        &c.deputies[2],
                        OpBody::CreateDocument {
                            spec: DocSpec::Draft { co_authors: vec![] },
                        },
                        i,
                    )
                    .expect("a draft");
                Item::Op(op)
            })
            .collect()
    });
    hub.publish(ops).expect("published");
    let held = hub.with_node(|n| n.replica().item_count());
    // Now it reads everything it is sent until the hub goes quiet.
    let mut total = 0usize;
    let mut total_bytes = 0usize;
    let mut seen = HashSet::new();
    let mut seen_bytes = 0usize;
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_secs(3), read_frame(&mut recv)).await
    {
        if let Ok(proto::Message::Items(items)) = proto::Message::decode(&frame) {
            for it in items {
                let bytes = it.to_bytes();
                total += 1;
                total_bytes += bytes.len();
                if seen.insert(bytes.clone()) {
                    seen_bytes += bytes.len();
                }
            }
        }
    }
    println!(
        "a lagging peer was sent {total} items ({total_bytes} bytes) for {} distinct ({seen_bytes} bytes); the hub holds {held}",
        seen.len()
    );
    assert_eq!(seen.len(), held, "it got everything");
    assert!(
        total_bytes < seen_bytes + seen_bytes / 4,
        "{total_bytes} bytes sent for {seen_bytes}"
    );
    within(ep.close()).await;
    within(hub.shutdown()).await;
}
