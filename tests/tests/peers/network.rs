//! Peers over real iroh endpoints on loopback, with and without a real local relay.

use std::time::Duration;

use council_sync::net::{ALPN, SyncNode, close, proto};
use council_tests::{PATIENCE, council_relay, peer};
use crdt_model::document::{SignedChange, TextField};
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::{Item, Replica};
use crdt_model::sample::{SampleCouncil, device, key};
use crdt_model::{DocId, SecretKey};

fn council() -> SampleCouncil {
    SampleCouncil::new(20, 8).expect("council").0
}

/// The author creates a draft on `node` and publishes it.
fn new_draft(node: &SyncNode, author: &SecretKey, co_authors: Vec<crdt_model::MemberId>) -> DocId {
    let op = node.with_node(|n| {
        n.replica_mut()
            .log_mut()
            .create(
                author,
                OpBody::CreateDocument {
                    spec: DocSpec::Draft { co_authors },
                },
                1,
            )
            .expect("deputy creates a draft")
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

fn body(r: &Replica, draft: &DocId) -> Option<String> {
    r.documents()
        .get(draft)
        .and_then(|d| d.text(TextField::Body).ok())
}

async fn has_text(node: &SyncNode, draft: DocId, text: &str) -> bool {
    let text = text.to_string();
    node.wait_until(PATIENCE, move |r| {
        body(r, &draft).is_some_and(|b| b.contains(&text))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keystroke_reaches_a_connected_peer_without_waiting_for_a_timer() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let a = peer(&c, &c.deputies[0], dir.path(), "a", None, true)
        .await
        .expect("a");
    let b = peer(&c, &c.deputies[1], dir.path(), "b", None, true)
        .await
        .expect("b");
    a.connect(b.addr()).await.expect("connects");
    let draft = new_draft(&a, &c.deputies[0], vec![c.deputies[1].member_id()]);
    type_into(&a, draft, 2, "Стаття 1.");
    assert!(has_text(&b, draft, "Стаття 1.").await);
    type_into(&b, draft, 3, " Стаття 2.");
    let started = std::time::Instant::now();
    assert!(has_text(&a, draft, "Стаття 2.").await);
    // Far below any periodic timer: the push is immediate.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        a.links(),
        vec![(b.id(), council_sync::net::Link::Direct)],
        "the sync status can tell the peer is reached directly"
    );
    a.shutdown().await;
    b.shutdown().await;
}

/// Received items wait up to a commit window before they reach the disk; a device dropped
/// without `shutdown` (a window closed, a crash of the task that held it) still writes them
/// and lets go of its store, so the next start opens it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_dropped_without_shutdown_stores_what_it_received_and_frees_its_store() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let a = peer(&c, &c.deputies[0], dir.path(), "a", None, true)
        .await
        .expect("a");
    let b = peer(&c, &c.deputies[1], dir.path(), "b", None, true)
        .await
        .expect("b");
    b.connect(a.addr()).await.expect("connects");
    let draft = new_draft(&a, &c.deputies[0], vec![]);
    assert!(
        b.wait_until(PATIENCE, move |r| r.documents().contains_key(&draft))
            .await
    );
    a.shutdown().await;
    drop(b);
    let path = dir.path().join("b.redb");
    let deadline = std::time::Instant::now() + PATIENCE;
    let reopened = loop {
        match council_sync::Node::open(&path) {
            Ok(node) => break node,
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the dropped peer's store stays locked: {e}"),
        }
    };
    assert!(
        reopened.replica().documents().contains_key(&draft),
        "what the peer received before it was dropped is stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_partitioned_deputies_converge_when_they_reconnect() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let authors = vec![c.deputies[1].member_id(), c.deputies[2].member_id()];
    let nodes = [
        peer(&c, &c.deputies[0], dir.path(), "p0", None, true)
            .await
            .expect("p0"),
        peer(&c, &c.deputies[1], dir.path(), "p1", None, true)
            .await
            .expect("p1"),
        peer(&c, &c.deputies[2], dir.path(), "p2", None, true)
            .await
            .expect("p2"),
    ];
    let draft = new_draft(&nodes[0], &c.deputies[0], authors);
    // The draft op reaches everyone, then the links are cut.
    nodes[0].connect(nodes[1].addr()).await.expect("connect");
    nodes[0].connect(nodes[2].addr()).await.expect("connect");
    for n in &nodes[1..] {
        assert!(
            n.wait_until(PATIENCE, move |r| r.documents().contains_key(&draft))
                .await
        );
    }
    for n in &nodes {
        n.shutdown().await;
    }
    drop(nodes);
    // Offline: each writes its own paragraph on a restarted device.
    let mut nodes = Vec::new();
    for (i, name) in ["p0", "p1", "p2"].iter().enumerate() {
        let n = peer(&c, &c.deputies[i], dir.path(), name, None, true)
            .await
            .expect("restart");
        type_into(&n, draft, i as u32 + 2, &format!("Абзац {i}. "));
        nodes.push(n);
    }
    nodes[0].connect(nodes[1].addr()).await.expect("connect");
    nodes[1].connect(nodes[2].addr()).await.expect("connect");
    for n in &nodes {
        for i in 0..3 {
            assert!(
                has_text(n, draft, &format!("Абзац {i}.")).await,
                "peer misses paragraph {i}"
            );
        }
    }
    let texts: Vec<Option<String>> = nodes
        .iter()
        .map(|n| n.with_node(|n| body(n.replica(), &draft)))
        .collect();
    assert!(texts.iter().all(|t| t == &texts[0]));
    for n in &nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_works_through_the_relay_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let relay = council_relay(&c).await.expect("relay");
    let a = peer(
        &c,
        &c.deputies[0],
        dir.path(),
        "a",
        Some(relay.url().clone()),
        false,
    )
    .await
    .expect("a");
    let b = peer(
        &c,
        &c.deputies[1],
        dir.path(),
        "b",
        Some(relay.url().clone()),
        false,
    )
    .await
    .expect("b");
    assert!(a.online(PATIENCE).await, "a reached the relay");
    assert!(b.online(PATIENCE).await, "b reached the relay");
    let b_addr = b.addr();
    assert!(
        b_addr.ip_addrs().next().is_none(),
        "b offers no direct address"
    );
    a.connect(b_addr).await.expect("connects through the relay");
    let draft = new_draft(&a, &c.deputies[0], vec![c.deputies[1].member_id()]);
    type_into(&a, draft, 2, "через реле");
    assert!(has_text(&b, draft, "через реле").await);
    assert_eq!(
        a.links(),
        vec![(b.id(), council_sync::net::Link::Relay)],
        "the sync status can tell the peer is reached through the relay"
    );
    a.shutdown().await;
    b.shutdown().await;
    relay.stop().await;
}

/// A raw client speaking the protocol by hand, to send what an honest peer never would.
async fn raw_client(
    key: &SecretKey,
    to: &SyncNode,
) -> Result<(iroh::endpoint::Connection, iroh::Endpoint), String> {
    let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .secret_key(iroh::SecretKey::from_bytes(&key.to_bytes()))
        .relay_mode(iroh::RelayMode::Disabled)
        .bind_addr((std::net::Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| e.to_string())?
        .bind()
        .await
        .map_err(|e| e.to_string())?;
    let conn = ep
        .connect(to.addr(), ALPN)
        .await
        .map_err(|e| e.to_string())?;
    Ok((conn, ep))
}

async fn send_frame(send: &mut iroh::endpoint::SendStream, payload: &[u8]) {
    let len = (payload.len() as u32).to_be_bytes();
    let _ = send.write_all(&len).await;
    let _ = send.write_all(payload).await;
}

/// The reason of the first item `node` refused, waiting for it (bounded).
async fn first_refusal(node: &SyncNode) -> String {
    tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(r) = node.refusals().first() {
                break r.reason.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a refusal in time")
}

fn close_code(conn: &iroh::endpoint::Connection) -> Option<u64> {
    match conn.close_reason() {
        Some(iroh::endpoint::ConnectionError::ApplicationClosed(c)) => {
            Some(c.error_code.into_inner())
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_is_refused_at_the_handshake_with_a_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let a = peer(&c, &c.deputies[0], dir.path(), "a", None, true)
        .await
        .expect("a");
    let stranger = key(4242);
    let (conn, ep) = raw_client(&stranger, &a).await.expect("transport connects");
    tokio::time::timeout(PATIENCE, conn.closed())
        .await
        .expect("closed promptly");
    assert_eq!(close_code(&conn), Some(close::NOT_A_MEMBER as u64));
    assert!(a.connected().is_empty());
    ep.close().await;
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_change_is_refused_and_not_forwarded_and_garbage_closes_only_that_connection() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let hub = peer(&c, &c.deputies[0], dir.path(), "hub", None, true)
        .await
        .expect("hub");
    let third = peer(&c, &c.deputies[1], dir.path(), "third", None, true)
        .await
        .expect("third");
    third.connect(hub.addr()).await.expect("third connects");
    let draft = new_draft(&hub, &c.deputies[0], vec![]);
    assert!(
        third
            .wait_until(PATIENCE, move |r| r.documents().contains_key(&draft))
            .await
    );

    // The observer connects (it may read) and sends a change it signed for the draft.
    let observer_dev = device(999, 1);
    let forged = hub.with_node(|n| {
        let (log, doc) = n.replica_mut().document_mut(&draft).expect("draft");
        let mut copy = crdt_model::document::Document::with_kind(
            log.council_id(),
            draft,
            crdt_model::DocKind::Draft,
        )
        .expect("copy");
        // An author's device makes a real change; the observer re-signs it as theirs.
        let (_, ch) = copy
            .edit(log, &device(2, 7), 1, |e| {
                e.splice(TextField::Body, 0, 0, "підробка")
            })
            .expect("edit");
        let _ = doc;
        SignedChange::sign(
            observer_dev.key(),
            log.council_id(),
            draft,
            log.heads(),
            ch.expect("change").change().clone(),
        )
    });
    let (conn, ep) = raw_client(&c.observer, &hub)
        .await
        .expect("observer connects");
    let (mut send, mut recv) = conn.open_bi().await.expect("stream");
    let hello = hub.with_node(|n| proto::hello(n.replica()));
    send_frame(&mut send, &proto::Message::Hello(hello).encode()).await;
    send_frame(
        &mut send,
        &proto::Message::Items(vec![Item::Change(forged)]).encode(),
    )
    .await;
    let refused = first_refusal(&hub).await;
    assert!(refused.contains("actor"), "{refused}");
    // Garbage on the same connection closes it, and only it.
    send_frame(&mut send, &[0xde, 0xad, 0xbe, 0xef]).await;
    tokio::time::timeout(PATIENCE, conn.closed())
        .await
        .expect("closed");
    assert_eq!(close_code(&conn), Some(close::MALFORMED as u64));
    let _ = recv.stop(0u32.into());
    ep.close().await;
    // The honest connection still works, and the forged text reached nobody.
    type_into(&hub, draft, 2, "справжній текст");
    assert!(has_text(&third, draft, "справжній текст").await);
    assert!(
        third
            .with_node(|n| body(n.replica(), &draft))
            .is_some_and(|b| !b.contains("підробка"))
    );
    assert!(
        hub.with_node(|n| body(n.replica(), &draft))
            .is_some_and(|b| !b.contains("підробка"))
    );
    hub.shutdown().await;
    third.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_the_connection_with_its_code() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let hub = peer(&c, &c.deputies[0], dir.path(), "hub", None, true)
        .await
        .expect("hub");
    let (conn, ep) = raw_client(&c.deputies[1], &hub).await.expect("connects");
    let (mut send, _recv) = conn.open_bi().await.expect("stream");
    let hello = hub.with_node(|n| proto::hello(n.replica()));
    send_frame(&mut send, &proto::Message::Hello(hello).encode()).await;
    let _ = send.write_all(&(u32::MAX).to_be_bytes()).await;
    tokio::time::timeout(PATIENCE, conn.closed())
        .await
        .expect("closed");
    assert_eq!(close_code(&conn), Some(close::TOO_LARGE as u64));
    let stored = hub.with_node(|n| n.stored());
    assert_eq!(stored as usize, c.ops.len());
    ep.close().await;
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_council_relay_serves_members_and_turns_strangers_away() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let relay = council_relay(&c).await.expect("relay");
    let member = peer(
        &c,
        &c.deputies[0],
        dir.path(),
        "m",
        Some(relay.url().clone()),
        false,
    )
    .await
    .expect("member");
    assert!(member.online(PATIENCE).await, "a member is served");
    let stranger = peer(
        &c,
        &key(4242),
        dir.path(),
        "s",
        Some(relay.url().clone()),
        false,
    )
    .await
    .expect("stranger");
    assert!(
        !stranger.online(Duration::from_secs(3)).await,
        "a stranger is not served"
    );
    assert!(
        relay
            .gate()
            .admits(c.deputies[0].member_id().as_bytes())
            .is_ok()
    );
    assert!(
        relay
            .gate()
            .admits(key(4242).member_id().as_bytes())
            .is_err()
    );
    member.shutdown().await;
    stranger.shutdown().await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_finds_the_others_from_the_roster_and_the_relay_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let relay = council_relay(&c).await.expect("relay");
    let a = peer(
        &c,
        &c.deputies[0],
        dir.path(),
        "a",
        Some(relay.url().clone()),
        true,
    )
    .await
    .expect("a");
    let b = peer(
        &c,
        &c.deputies[1],
        dir.path(),
        "b",
        Some(relay.url().clone()),
        true,
    )
    .await
    .expect("b");
    assert!(a.online(PATIENCE).await && b.online(PATIENCE).await);
    // b was told nothing about a: only the roster and the relay URL.
    assert!(b.dial_roster().await >= 1);
    let draft = new_draft(&a, &c.deputies[0], vec![c.deputies[1].member_id()]);
    type_into(&a, draft, 2, "знайдено за реєстром");
    assert!(has_text(&b, draft, "знайдено за реєстром").await);
    a.shutdown().await;
    b.shutdown().await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_reached_once_is_found_again_after_a_restart_without_a_relay() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let a = peer(&c, &c.deputies[0], dir.path(), "a", None, true)
        .await
        .expect("a");
    let b = peer(&c, &c.deputies[1], dir.path(), "b", None, true)
        .await
        .expect("b");
    b.connect(a.addr()).await.expect("connects");
    let known = b.with_node(|n| n.peers().expect("peers"));
    assert!(
        known.contains_key(c.deputies[0].member_id().as_bytes()),
        "address remembered"
    );
    b.shutdown().await;
    drop(b);
    let b = peer(&c, &c.deputies[1], dir.path(), "b", None, true)
        .await
        .expect("b again");
    assert_eq!(
        b.dial_roster().await,
        1,
        "found a by the remembered address"
    );
    let draft = new_draft(&a, &c.deputies[0], vec![]);
    assert!(
        b.wait_until(PATIENCE, move |r| r.documents().contains_key(&draft))
            .await
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observers_own_signed_write_is_refused_over_the_wire() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let hub = peer(&c, &c.deputies[0], dir.path(), "hub", None, true)
        .await
        .expect("hub");
    let draft = new_draft(&hub, &c.deputies[0], vec![c.observer.member_id()]);
    let hub_heads = hub.with_node(|n| n.replica().log().heads());
    // A modified client: in a private copy of the log the observer is made a deputy, so its
    // device produces a well-formed change under its own bound actor. It then signs that change
    // against the council's real log heads, where it is an observer.
    let mut private = c.replica().expect("log");
    for op in hub.with_node(|n| n.replica().log().ops().cloned().collect::<Vec<_>>()) {
        let _ = private.insert(op);
    }
    private
        .create(
            &c.secretary,
            OpBody::SetRoles {
                member: c.observer.member_id(),
                roles: crdt_model::Roles::of(&[crdt_model::Role::Deputy]),
            },
            9,
        )
        .expect("private promotion");
    let observer_dev = device(999, 1);
    let mut d = crdt_model::document::Document::new(&private, draft).expect("doc");
    let (_, ch) = d
        .edit(&private, &observer_dev, 1, |e| {
            e.splice(TextField::Body, 0, 0, "спостерігач")
        })
        .expect("edit in the private copy");
    let raw = ch.expect("change").change().clone();
    let observer_change = SignedChange::sign(
        observer_dev.key(),
        private.council_id(),
        draft,
        hub_heads,
        raw,
    );

    let (conn, ep) = raw_client(&c.observer, &hub)
        .await
        .expect("an observer may connect to read");
    let (mut send, _recv) = conn.open_bi().await.expect("stream");
    let hello = hub.with_node(|n| proto::hello(n.replica()));
    send_frame(&mut send, &proto::Message::Hello(hello).encode()).await;
    send_frame(
        &mut send,
        &proto::Message::Items(vec![Item::Change(observer_change)]).encode(),
    )
    .await;
    let refused = first_refusal(&hub).await;
    assert!(refused.contains("read-only"), "{refused}");
    assert!(
        hub.with_node(|n| body(n.replica(), &draft))
            .is_some_and(|b| b.is_empty())
    );
    ep.close().await;
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_reaches_the_council_through_any_member_a_ticket_names() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let member = peer(&c, &c.deputies[0], dir.path(), "member", None, true)
        .await
        .expect("member");
    // The newcomer (already admitted by the secretary) holds only the genesis from the ticket:
    // the roster it holds lists nobody but the founder.
    let node = council_sync::Node::create(&dir.path().join("new.redb"), c.genesis.clone())
        .expect("newcomer's store");
    let config = council_sync::net::NetConfig {
        relay: None,
        bind: (std::net::Ipv4Addr::LOCALHOST, 0).into(),
        direct: true,
        lan: false,
    };
    let newcomer = SyncNode::spawn(node, &c.deputies[1], config)
        .await
        .expect("newcomer");
    assert!(
        newcomer.connect(member.addr()).await.is_err(),
        "an ordinary connect only dials the roster it holds"
    );
    newcomer
        .connect_introduced(member.addr())
        .await
        .expect("the ticket's member is dialled");
    let me = c.deputies[1].member_id();
    assert!(
        newcomer
            .wait_until(PATIENCE, move |r| r.log().state().members.contains_key(&me))
            .await,
        "the roster that admits the newcomer arrives"
    );
    newcomer.shutdown().await;
    member.shutdown().await;
}
