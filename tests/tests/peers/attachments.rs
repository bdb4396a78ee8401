//! Attachments over real endpoints on loopback: a 50 MB file moves intact with progress, an
//! interrupted transfer resumes where it stopped, and only those who may read the document get
//! its files.

use std::io::Write;
use std::path::{Path, PathBuf};

use council_sync::net::{AttachError, BLOBS_ALPN, Progress, SyncNode, close};
use council_tests::{PATIENCE, peer};
use crdt_model::hash::Hash;
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::replica::Item;
use crdt_model::sample::{SampleCouncil, key};
use crdt_model::{DocId, SecretKey};
use tokio::sync::watch;
use tokio::time::timeout;

const MB: u64 = 1024 * 1024;

fn council() -> SampleCouncil {
    SampleCouncil::new(10, 4).expect("council").0
}

/// Writes `len` deterministic pseudo-random bytes (xorshift64*) to `path`.
fn random_file(path: &Path, len: u64, seed: u64) -> PathBuf {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create file"));
    let mut x = seed | 1;
    let mut buf = vec![0u8; MB as usize];
    let mut left = len;
    while left > 0 {
        for word in buf.chunks_exact_mut(8) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            word.copy_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(MB) as usize;
        f.write_all(&buf[..n]).expect("write file");
        left -= n as u64;
    }
    f.flush().expect("flush");
    path.to_path_buf()
}

fn blake3_of(path: &Path) -> Hash {
    let bytes = std::fs::read(path).expect("read file");
    Hash(*blake3::hash(&bytes).as_bytes())
}

async fn start(c: &SampleCouncil, k: &SecretKey, dir: &Path, name: &str) -> SyncNode {
    timeout(PATIENCE, peer(c, k, dir, name, None, true))
        .await
        .expect("starts in time")
        .expect("starts")
}

fn create(node: &SyncNode, author: &SecretKey, spec: DocSpec) -> DocId {
    let op = node.with_node(|n| {
        n.replica_mut()
            .log_mut()
            .create(author, OpBody::CreateDocument { spec }, 1)
            .expect("allowed to create")
    });
    let id = op.id();
    node.publish(vec![Item::Op(op)]).expect("published");
    id
}

async fn lists(node: &SyncNode, doc: DocId, hash: Hash) -> bool {
    node.wait_until(PATIENCE, move |r| {
        r.log()
            .state()
            .documents
            .get(&doc)
            .is_some_and(|m| m.attachments.iter().any(|a| a.hash == hash))
    })
    .await
}

/// Collects every progress value seen until the sender goes away.
fn watch_progress(mut rx: watch::Receiver<Progress>) -> tokio::task::JoinHandle<Vec<Progress>> {
    tokio::spawn(async move {
        let mut seen = vec![*rx.borrow_and_update()];
        while rx.changed().await.is_ok() {
            seen.push(*rx.borrow_and_update());
        }
        seen
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_attachment_added_on_one_peer_arrives_intact_on_another_with_progress() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let a = start(&c, &c.deputies[0], dir.path(), "a").await;
    let b = start(&c, &c.deputies[1], dir.path(), "b").await;
    timeout(PATIENCE, b.connect(a.addr()))
        .await
        .expect("in time")
        .expect("b connects");
    let draft = create(&a, &c.deputies[0], DocSpec::Draft { co_authors: vec![] });
    let file = random_file(&dir.path().join("scan.pdf"), 50 * MB, 42);
    let attached = timeout(
        PATIENCE,
        a.attach_file(&c.deputies[0], &file, draft, "scan.pdf"),
    )
    .await
    .expect("in time")
    .expect("the author attaches");
    assert_eq!(attached.size, 50 * MB);
    assert_eq!(
        attached.hash,
        blake3_of(&file),
        "content-addressed by BLAKE3"
    );
    assert!(
        a.blob_store_dir().ends_with("a.redb.blobs"),
        "the blob store lives beside the device store"
    );
    assert!(lists(&b, draft, attached.hash).await, "b learns of it");
    assert_eq!(b.attachments(&draft)[0].name, "scan.pdf");

    let (tx, rx) = watch::channel(Progress::default());
    let seen = watch_progress(rx);
    let fetched = timeout(
        PATIENCE,
        b.fetch_attachment(draft, attached.hash, a.addr(), &tx),
    )
    .await
    .expect("in time")
    .expect("b fetches");
    drop(tx);
    let seen = timeout(PATIENCE, seen)
        .await
        .expect("in time")
        .expect("joined");
    assert_eq!(fetched.size, 50 * MB);
    assert_eq!(fetched.resumed_from, 0);
    assert_eq!(fetched.received, 50 * MB);
    assert!(
        seen.windows(2).all(|w| w[0].done <= w[1].done),
        "progress never goes back"
    );
    assert!(seen.iter().all(|p| p.total == 50 * MB || p.total == 0));
    assert_eq!(
        seen.last().map(|p| p.done),
        Some(50 * MB),
        "ends at the total"
    );
    assert!(
        seen.iter()
            .filter(|p| p.done > 0 && p.done < 50 * MB)
            .count()
            >= 2,
        "progress is seen on the way: {} values",
        seen.len()
    );

    let out = dir.path().join("received.pdf");
    let len = timeout(PATIENCE, b.export_attachment(&attached.hash, &out))
        .await
        .expect("in time")
        .expect("exported");
    assert_eq!(len, 50 * MB);
    assert_eq!(blake3_of(&out), attached.hash, "arrived intact");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_transfer_resumes_without_starting_from_zero() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let a = start(&c, &c.deputies[0], dir.path(), "a").await;
    let b = start(&c, &c.deputies[1], dir.path(), "b").await;
    timeout(PATIENCE, b.connect(a.addr()))
        .await
        .expect("in time")
        .expect("b connects");
    let draft = create(&a, &c.deputies[0], DocSpec::Draft { co_authors: vec![] });
    let total = 50 * MB;
    let file = random_file(&dir.path().join("big.pdf"), total, 7);
    let attached = timeout(
        PATIENCE,
        a.attach_file(&c.deputies[0], &file, draft, "big.pdf"),
    )
    .await
    .expect("in time")
    .expect("attached");
    assert!(lists(&b, draft, attached.hash).await);

    // The first fetch is cut off once a fifth has arrived: the connection is dropped.
    let (tx, mut rx) = watch::channel(Progress::default());
    let cut = tokio::select! {
        r = b.fetch_attachment(draft, attached.hash, a.addr(), &tx) => {
            panic!("the transfer was meant to be cut, but ended: {r:?}")
        }
        r = timeout(PATIENCE, rx.wait_for(|p| p.done >= total / 5)) => {
            r.expect("progress in time").expect("progress").done
        }
    };
    assert!(cut < total);
    // Both devices go down and come back (the app closed, the laptop slept).
    a.shutdown().await;
    b.shutdown().await;
    drop((a, b));
    let a = start(&c, &c.deputies[0], dir.path(), "a").await;
    let b = start(&c, &c.deputies[1], dir.path(), "b").await;
    let kept = timeout(PATIENCE, b.blob_bytes(&attached.hash))
        .await
        .expect("in time")
        .expect("partial state readable");
    assert!(
        kept > 0 && kept < total,
        "the verified part survives a restart: {kept} bytes"
    );

    let (tx, rx) = watch::channel(Progress::default());
    let seen = watch_progress(rx);
    let fetched = timeout(
        PATIENCE,
        b.fetch_attachment(draft, attached.hash, a.addr(), &tx),
    )
    .await
    .expect("in time")
    .expect("the fetch resumes and ends");
    drop(tx);
    let seen = timeout(PATIENCE, seen)
        .await
        .expect("in time")
        .expect("joined");
    eprintln!(
        "cut at {cut} bytes, {kept} kept over the restart, {} fetched to finish, of {total}",
        fetched.received
    );
    assert_eq!(fetched.resumed_from, kept);
    assert!(
        fetched.received < total,
        "only the missing part moved: {} of {total} bytes",
        fetched.received
    );
    assert_eq!(fetched.resumed_from + fetched.received, total);
    let first = seen.iter().find(|p| p.total == total).expect("progress");
    assert_eq!(first.done, kept, "progress starts from what was kept");
    assert_eq!(seen.last().map(|p| p.done), Some(total));
    let out = dir.path().join("out.pdf");
    timeout(PATIENCE, b.export_attachment(&attached.hash, &out))
        .await
        .expect("in time")
        .expect("exported");
    assert_eq!(blake3_of(&out), attached.hash, "resumed file is intact");
    a.shutdown().await;
    b.shutdown().await;
}

/// Fetches `hash` from `from` by hand with iroh-blobs, as `who`: returns whether the bytes
/// arrived, and the connection's close code if it was closed on us.
async fn raw_fetch(who: &SecretKey, from: &SyncNode, hash: &Hash) -> (bool, Option<u64>) {
    let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .secret_key(iroh::SecretKey::from_bytes(&who.to_bytes()))
        .relay_mode(iroh::RelayMode::Disabled)
        .bind_addr((std::net::Ipv4Addr::LOCALHOST, 0))
        .expect("bind addr")
        .bind()
        .await
        .expect("binds");
    let store = iroh_blobs::store::mem::MemStore::new();
    let h = iroh_blobs::Hash::from_bytes(hash.0);
    let mut code = None;
    if let Ok(Ok(conn)) = timeout(PATIENCE, ep.connect(from.addr(), BLOBS_ALPN)).await {
        let r = timeout(PATIENCE, store.remote().fetch(conn.clone(), h)).await;
        assert!(r.is_ok(), "a refusal comes in time");
        if let Some(iroh::endpoint::ConnectionError::ApplicationClosed(c)) = conn.close_reason() {
            code = Some(c.error_code.into_inner());
        }
    }
    let got = store.blobs().has(h).await.unwrap_or(false);
    ep.close().await;
    (got, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_those_who_may_read_the_document_can_fetch_its_attachments() {
    let dir = tempfile::tempdir().expect("dir");
    let c = council();
    let a = start(&c, &c.deputies[0], dir.path(), "a").await;
    let b = start(&c, &c.deputies[1], dir.path(), "b").await;
    timeout(PATIENCE, b.connect(a.addr()))
        .await
        .expect("in time")
        .expect("b connects");
    let draft = create(&a, &c.deputies[0], DocSpec::Draft { co_authors: vec![] });
    // A personal note of deputy 2, whose file `a` holds and serves (as the owner's own device
    // would; here `a` signs for them, which the log allows as the signature is theirs).
    let owner = &c.deputies[2];
    let note = create(&a, owner, DocSpec::Note);
    let public = random_file(&dir.path().join("public.pdf"), 300 * 1024, 1);
    let private = random_file(&dir.path().join("private.pdf"), 300 * 1024, 2);
    let loose = random_file(&dir.path().join("loose.pdf"), 300 * 1024, 3);
    let on_draft = timeout(
        PATIENCE,
        a.attach_file(&c.deputies[0], &public, draft, "public.pdf"),
    )
    .await
    .expect("in time")
    .expect("attached to the draft");
    let on_note = timeout(
        PATIENCE,
        a.attach_file(owner, &private, note, "private.pdf"),
    )
    .await
    .expect("in time")
    .expect("attached to the note");
    let (unattached, _) = timeout(PATIENCE, a.add_blob(&loose))
        .await
        .expect("in time")
        .expect("added");
    // Only a writer of the document may attach to it.
    let refused = timeout(
        PATIENCE,
        b.attach_file(&c.deputies[1], &loose, note, "x.pdf"),
    )
    .await
    .expect("in time");
    assert!(
        matches!(refused, Err(AttachError::Refused(_))),
        "{refused:?}"
    );

    // A stranger is turned away at the handshake.
    let (got, code) = raw_fetch(&key(4242), &a, &on_draft.hash).await;
    assert!(!got, "a stranger gets nothing");
    assert_eq!(code, Some(close::NOT_A_MEMBER as u64));
    assert!(
        a.refusals()
            .iter()
            .any(|r| r.from.as_bytes() == key(4242).member_id().as_bytes())
    );

    // A member gets the draft's file, but not another member's note's, nor a file no
    // document lists.
    let (got, _) = raw_fetch(&c.deputies[1], &a, &on_draft.hash).await;
    assert!(got, "a member fetches a council document's attachment");
    let (got, _) = raw_fetch(&c.deputies[1], &a, &on_note.hash).await;
    assert!(!got, "another member's private note stays private");
    let (got, _) = raw_fetch(&c.deputies[1], &a, &unattached).await;
    assert!(!got, "a file no document lists is served to nobody");
    let refused: Vec<_> = a
        .refusals()
        .into_iter()
        .filter(|r| r.from.as_bytes() == c.deputies[1].member_id().as_bytes())
        .collect();
    assert_eq!(refused.len(), 2, "both refusals are recorded: {refused:?}");
    let (got, _) = raw_fetch(owner, &a, &on_note.hash).await;
    assert!(got, "the owner fetches their note's attachment");

    // Through the API, b is told why before anything moves.
    assert!(lists(&b, note, on_note.hash).await);
    let (tx, _rx) = watch::channel(Progress::default());
    let r = timeout(
        PATIENCE,
        b.fetch_attachment(note, on_note.hash, a.addr(), &tx),
    )
    .await
    .expect("in time");
    assert!(
        matches!(r, Err(AttachError::NotAllowed(d)) if d == note),
        "{r:?}"
    );
    a.shutdown().await;
    b.shutdown().await;
}
