//! Workspace-level tests that run several peers of Council together, each with its own store on
//! disk. The tests live in `tests/`; this library holds what they share.
#![deny(missing_docs)]

pub mod archive;
pub mod bench;

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use council_sync::Node;
use council_sync::net::{Limits, NetConfig, SyncNode};
use crdt_model::SecretKey;
use crdt_model::sample::SampleCouncil;

/// Sends everything `from` holds to `to`, as a reconnecting peer would; returns how many items
/// `to` took (new or parked).
pub fn exchange(from: &Node, to: &mut Node) -> Result<usize, council_sync::NodeError> {
    let mut taken = 0;
    for item in from.replica().items() {
        if to.receive(item)? != crdt_model::replica::Outcome::Duplicate {
            taken += 1;
        }
    }
    Ok(taken)
}

/// Items a peer holds, for comparisons.
pub fn item_count(node: &Node) -> usize {
    node.replica().item_count()
}

/// Every await in these tests is bounded by this: nothing may hang on an unreachable service.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The council's relay on loopback, admitting the sample council's roster.
pub async fn council_relay(
    council: &SampleCouncil,
) -> Result<council_relay::CouncilRelay, Box<dyn std::error::Error>> {
    let log = council.replica()?;
    let gate =
        council_relay::RosterGate::new(crdt_model::access::AccessList::from_state(log.state()));
    let options = council_relay::RelayOptions {
        http: (Ipv4Addr::LOCALHOST, 0).into(),
        tls: None,
        public_host: None,
    };
    Ok(council_relay::CouncilRelay::start(options, gate).await?)
}

/// Starts a peer for `key` with a store at `dir/name.redb` holding the sample council's log.
pub async fn peer(
    council: &SampleCouncil,
    key: &SecretKey,
    dir: &Path,
    name: &str,
    relay: Option<iroh::RelayUrl>,
    direct: bool,
) -> Result<SyncNode, Box<dyn std::error::Error>> {
    peer_with(council, key, dir, name, relay, direct, Limits::default()).await
}

/// Starts a peer like [`peer`], within `limits` (tests shorten its timeouts).
pub async fn peer_with(
    council: &SampleCouncil,
    key: &SecretKey,
    dir: &Path,
    name: &str,
    relay: Option<iroh::RelayUrl>,
    direct: bool,
    limits: Limits,
) -> Result<SyncNode, Box<dyn std::error::Error>> {
    let path = dir.join(format!("{name}.redb"));
    let node = if path.exists() {
        Node::open(&path)?
    } else {
        let mut n = Node::create(&path, council.genesis.clone())?;
        for op in &council.ops {
            n.receive(crdt_model::replica::Item::Op(op.clone()))?;
        }
        n
    };
    let config = NetConfig {
        relay,
        bind: (Ipv4Addr::LOCALHOST, 0).into(),
        direct,
        lan: false,
    };
    let spawned = tokio::time::timeout(PATIENCE, SyncNode::spawn_with(node, key, config, limits))
        .await
        .map_err(|_| "the peer did not start in time")?;
    Ok(spawned?)
}

/// A client speaking `council/sync/1` by hand, to send what an honest peer never would (or to
/// stop reading, or to count what it is sent).
pub mod wire {
    use std::future::Future;

    use council_sync::net::{ALPN, SyncNode, proto};
    use crdt_model::SecretKey;
    use crdt_model::replica::Replica;
    use crdt_model::sample::SampleCouncil;
    use iroh::endpoint::{Connection, ConnectionError, RecvStream, SendStream};

    /// `f`, or an error if it takes longer than [`super::PATIENCE`].
    pub async fn bounded<T>(f: impl Future<Output = T>) -> Result<T, String> {
        tokio::time::timeout(super::PATIENCE, f)
            .await
            .map_err(|_| "no answer in time".to_string())
    }

    /// Connects to `to` as the holder of `key`, from a bare endpoint on loopback.
    pub async fn raw_client(
        key: &SecretKey,
        to: &SyncNode,
    ) -> Result<(Connection, iroh::Endpoint), String> {
        let builder = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
            .secret_key(iroh::SecretKey::from_bytes(&key.to_bytes()))
            .relay_mode(iroh::RelayMode::Disabled)
            .bind_addr((std::net::Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| e.to_string())?;
        let ep = bounded(builder.bind()).await?.map_err(|e| e.to_string())?;
        let conn = bounded(ep.connect(to.addr(), ALPN))
            .await?
            .map_err(|e| e.to_string())?;
        Ok((conn, ep))
    }

    /// Writes one frame; `false` if the stream failed, or took longer than
    /// [`super::PATIENCE`] (the peer stopped reading).
    pub async fn send_frame(send: &mut SendStream, payload: &[u8]) -> bool {
        let Ok(len) = u32::try_from(payload.len()) else {
            return false;
        };
        let write = async {
            send.write_all(&len.to_be_bytes()).await.is_ok()
                && send.write_all(payload).await.is_ok()
        };
        matches!(bounded(write).await, Ok(true))
    }

    /// Reads one frame (of at most `MAX_FRAME` bytes); `None` if the stream ended or failed.
    pub async fn read_frame(recv: &mut RecvStream) -> Option<Vec<u8>> {
        let mut len = [0u8; 4];
        recv.read_exact(&mut len).await.ok()?;
        let len = u32::from_be_bytes(len) as usize;
        if len > proto::MAX_FRAME {
            return None;
        }
        let mut buf = vec![0u8; len];
        recv.read_exact(&mut buf).await.ok()?;
        Some(buf)
    }

    /// The application close code `conn` was closed with, if it was.
    pub fn close_code(conn: &Connection) -> Option<u64> {
        match conn.close_reason() {
            Some(ConnectionError::ApplicationClosed(c)) => Some(c.error_code.into_inner()),
            _ => None,
        }
    }

    /// The hello of a peer that holds only the council's genesis: it is sent everything.
    pub fn empty_hello(council: &SampleCouncil) -> Vec<u8> {
        proto::Message::Hello(proto::hello(&Replica::new(council.genesis.clone()))).encode()
    }

    /// Opens the stream and sends `hello`; the stream's halves.
    pub async fn open(conn: &Connection, hello: &[u8]) -> Result<(SendStream, RecvStream), String> {
        let (mut send, recv) = bounded(conn.open_bi()).await?.map_err(|e| e.to_string())?;
        if !send_frame(&mut send, hello).await {
            return Err("the hello could not be sent".into());
        }
        Ok((send, recv))
    }
}

/// Session actions as a peer's UI would take them: sign on the peer's replica, then publish.
pub mod act {
    use council_sync::net::SyncNode;
    use crdt_model::hash::Hash;
    use crdt_model::replica::Item;
    use crdt_model::session::{
        AgendaItem, Body, Choice, PollId, SessionId, SignedStatement, Statement, StatementKind,
    };
    use crdt_model::{DocId, SecretKey};

    /// Errors are strings here: a test reports them and stops.
    pub type Result<T> = std::result::Result<T, String>;

    /// The chair opens a council session with one agenda item on `doc`.
    pub fn open_session(
        node: &SyncNode,
        chair: &SecretKey,
        label: &str,
        doc: DocId,
    ) -> Result<SessionId> {
        let open = node.with_node(|n| {
            let log = n.replica().log();
            Statement {
                council: log.council_id(),
                session: Hash::default(),
                author: chair.member_id(),
                parents: vec![],
                time_ms: 1,
                kind: StatementKind::OpenSession {
                    body: Body::Council,
                    log_heads: log.heads(),
                    label: label.into(),
                    items: vec![AgendaItem {
                        title: "Про бюджет".into(),
                        doc: Some(doc),
                    }],
                },
            }
            .sign(chair)
        });
        let id = open.id();
        node.submit(Item::Statement(open))
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// `key` signs `kind` in `session` on the peer's current heads, and publishes it.
    pub fn say(
        node: &SyncNode,
        session: SessionId,
        key: &SecretKey,
        kind: StatementKind,
    ) -> Result<SignedStatement> {
        let st = node.with_node(|n| {
            n.replica_mut()
                .session_mut(&session)
                .ok_or_else(|| "session unknown on this peer".to_string())?
                .create(key, kind, 2)
                .map_err(|e| e.to_string())
        })?;
        node.publish(vec![Item::Statement(st.clone())])
            .map_err(|e| e.to_string())?;
        Ok(st)
    }

    /// The chair starts item 0 and opens a poll on it with the default rule.
    pub fn open_poll(
        node: &SyncNode,
        session: SessionId,
        chair: &SecretKey,
        doc: DocId,
    ) -> Result<PollId> {
        say(node, session, chair, StatementKind::StartItem { item: 0 })?;
        let open = node.with_node(|n| {
            n.replica()
                .session(&session)
                .map(|s| s.poll_open(0, doc, vec![], "Затвердити бюджет", None))
                .ok_or_else(|| "session unknown".to_string())
        })?;
        Ok(say(node, session, chair, StatementKind::OpenPoll(open))?.id())
    }

    /// `key` votes `choice` (sequence `seq`).
    pub fn vote(
        node: &SyncNode,
        key: &SecretKey,
        poll: PollId,
        seq: u32,
        choice: Choice,
    ) -> Result<()> {
        let b = node
            .with_node(|n| n.replica().ballot(key, &poll, seq, choice))
            .ok_or_else(|| "the poll is not held".to_string())?;
        node.submit(Item::Ballot(b)).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// The chair closes the poll with what their peer counted.
    pub fn close_poll(
        node: &SyncNode,
        session: SessionId,
        chair: &SecretKey,
        poll: PollId,
    ) -> Result<()> {
        let close = node.with_node(|n| {
            n.replica()
                .session(&session)
                .and_then(|s| s.poll_close(&poll))
                .ok_or_else(|| "poll unknown".to_string())
        })?;
        say(node, session, chair, StatementKind::ClosePoll(close)).map(|_| ())
    }
}
