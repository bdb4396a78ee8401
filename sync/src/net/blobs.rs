//! Attachments: files attached to a document (scanned PDFs, up to hundreds of MB), stored
//! content-addressed in the device's blob store and moved between peers with iroh-blobs over
//! the same endpoint (ALPN [`BLOBS_ALPN`]).
//!
//! - **Where.** Beside the device's redb store: `<store path>.blobs/` (for `alice.redb`,
//!   `alice.redb.blobs/`), an iroh-blobs file-system store (its own redb `blobs.db` and data
//!   files). Garbage collection is off: nothing is deleted behind the app's back.
//! - **What is referenced.** The signed log names each attachment with [`OpBody::AttachFile`]
//!   (document, name, size, BLAKE3 hash); the bytes are fetched by that hash and verified chunk
//!   by chunk (BLAKE3 verified streaming), so a peer cannot hand over anything else.
//! - **Who may fetch.** Only roster endpoints (members, observers, replicas) get past the
//!   handshake; then each request is checked: the asked hash must be attached to a document the
//!   asking member may read ([`CouncilState::may_read`]: council documents for everyone on the
//!   roster, a personal note for its owner only). Hash sequences, many-blob requests and pushes
//!   are refused.
//! - **Resuming.** What arrived is kept, verified, in the store; a later fetch asks only for the
//!   missing ranges, and its progress starts from what is already there.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use crdt_model::MemberId;
use crdt_model::SecretKey;
use crdt_model::hash::Hash;
use crdt_model::log::{Attachment, CouncilState, DocId, OpBody, OpRejected};
use crdt_model::replica::Item;
use iroh::endpoint::Connection;
use iroh::protocol::{AcceptError, ProtocolHandler};
use iroh::{EndpointAddr, EndpointId};
use iroh_blobs::api::Store as BlobStore;
use iroh_blobs::api::proto::BlobStatus;
use iroh_blobs::api::remote::GetProgressItem;
use iroh_blobs::provider::events::{
    AbortReason, EventMask, EventSender, ObserveMode, ProviderMessage, RequestMode,
};
use iroh_blobs::store::fs::FsStore;
use iroh_blobs::{BlobFormat, HashAndFormat};
use n0_future::StreamExt;
use thiserror::Error;
use tokio::sync::watch;

use super::{Inner, NetError, SyncNode, close};

/// The ALPN attachments are served under (iroh-blobs' own).
pub const BLOBS_ALPN: &[u8] = iroh_blobs::ALPN;

/// Where the blob store of the device whose redb store is at `store` lives: `<store>.blobs/`.
pub fn blob_dir(store: &Path) -> PathBuf {
    let mut s = store.as_os_str().to_owned();
    s.push(".blobs");
    PathBuf::from(s)
}

/// How far a fetch is: bytes held verified so far, out of the attachment's size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes held so far (starts at what an earlier, interrupted fetch left).
    pub done: u64,
    /// The attachment's size as the log records it.
    pub total: u64,
}

/// What a finished fetch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    /// The attachment's content hash.
    pub hash: Hash,
    /// Its size in bytes.
    pub size: u64,
    /// Bytes already held before this fetch started (from an interrupted one).
    pub resumed_from: u64,
    /// Payload bytes received in this fetch.
    pub received: u64,
}

/// Why an attachment could not be added, attached, fetched or saved.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AttachError {
    /// The blob store failed.
    #[error(
        "the attachment store at {path} failed: {reason}; check that the disk has room and the \
         folder is writable"
    )]
    Store {
        /// The store's folder.
        path: PathBuf,
        /// What the store said.
        reason: String,
    },
    /// The file to attach could not be read.
    #[error("cannot read {path}: {source}; check that the file exists and is readable")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The log refused the attachment (not a writer of the document, bad name, closed draft…).
    #[error("the attachment was refused: {0}")]
    Refused(#[from] OpRejected),
    /// The signed attachment could not be saved or published.
    #[error(transparent)]
    Publish(#[from] NetError),
    /// The document does not list this attachment (yet).
    #[error(
        "document {doc} lists no attachment {hash}; wait until the document's log has synced \
         from a peer, then retry"
    )]
    UnknownAttachment {
        /// The document.
        doc: DocId,
        /// The asked hash.
        hash: Hash,
    },
    /// This device's member may not read the document.
    #[error("this device may not read document {0}, so it cannot fetch its attachments")]
    NotAllowed(DocId),
    /// The peer to fetch from is not on the roster.
    #[error("{0} is not a member of this council; fetch attachments from a member's device")]
    NotAMember(String),
    /// The peer could not be reached.
    #[error("cannot reach {peer}: {reason}; retrying later resumes where the transfer stopped")]
    Connect {
        /// Which peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// The transfer stopped (the peer left, refused, or sent data that failed verification).
    #[error(
        "the transfer from {peer} stopped: {reason}; what arrived is kept, and retrying resumes \
         from there"
    )]
    Transfer {
        /// Which peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// The content is not the size the log records.
    #[error(
        "the attached file is {actual} bytes but the log records {recorded}: it was attached \
         wrongly; ask its author to attach it again"
    )]
    SizeMismatch {
        /// Size in the signed log.
        recorded: u64,
        /// Size seen.
        actual: u64,
    },
    /// The attachment is not (completely) held here.
    #[error("attachment {0} is not (completely) on this device; fetch it from a peer first")]
    Missing(Hash),
}

fn blob_hash(h: &Hash) -> iroh_blobs::Hash {
    iroh_blobs::Hash::from_bytes(h.0)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The device's blob store. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct Blobs {
    store: BlobStore,
    dir: PathBuf,
}

impl Blobs {
    /// Opens (or creates) the blob store beside the redb store at `store_path`.
    pub(super) async fn open(store_path: &Path) -> Result<Self, NetError> {
        let dir = blob_dir(store_path);
        let fs = FsStore::load(&dir).await.map_err(|e| {
            NetError::Bind(format!(
                "cannot open the attachment store {}: {e}; check that the folder is writable \
                 and that no other copy of Council uses it",
                dir.display()
            ))
        })?;
        Ok(Blobs {
            store: (*fs).clone(),
            dir,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> AttachError {
        AttachError::Store {
            path: self.dir.clone(),
            reason: e.to_string(),
        }
    }

    /// The handler serving this store to the council's endpoints.
    pub(super) fn server(&self, inner: &Arc<Inner>) -> BlobServer {
        BlobServer {
            inner: Arc::downgrade(inner),
            store: self.store.clone(),
        }
    }
}

/// Serves the blob store over [`BLOBS_ALPN`], to roster endpoints, for what they may read.
#[derive(Debug, Clone)]
pub(super) struct BlobServer {
    inner: Weak<Inner>,
    store: BlobStore,
}

/// Whether the roster member `who` may fetch the blob `hash`: it is attached to a document
/// they may read.
fn may_fetch(state: &CouncilState, who: &MemberId, hash: &iroh_blobs::Hash) -> bool {
    state.documents.iter().any(|(id, meta)| {
        meta.attachments
            .iter()
            .any(|a| a.hash.0 == *hash.as_bytes())
            && state.may_read(who, id)
    })
}

impl BlobServer {
    /// Per-connection request hooks: every get or observe request is checked against what
    /// `peer` may read, in the state of the log at the moment of the request.
    fn events_for(&self, peer: EndpointId) -> EventSender {
        let mask = EventMask {
            get: RequestMode::Intercept,
            get_many: RequestMode::Disabled,
            push: RequestMode::Disabled,
            observe: ObserveMode::Intercept,
            ..EventMask::DEFAULT
        };
        let (events, mut rx) = EventSender::channel(16, mask);
        let inner = self.inner.clone();
        let who = MemberId(*peer.as_bytes());
        // Ends when the connection's handler drops `events`.
        tokio::spawn(async move {
            let verdict = |hash: &iroh_blobs::Hash, only_root: bool| {
                let Some(inner) = inner.upgrade() else {
                    return Err(AbortReason::Permission);
                };
                let ok = only_root && may_fetch(inner.node().replica().log().state(), &who, hash);
                if ok {
                    Ok(())
                } else {
                    inner.refuse(peer, format!("asked for attachment {hash} it may not read"));
                    Err(AbortReason::Permission)
                }
            };
            while let Some(msg) = rx.recv().await {
                match msg {
                    ProviderMessage::GetRequestReceived(msg) => {
                        let v = verdict(&msg.request.hash, msg.request.ranges.is_blob());
                        msg.tx.send(v).await.ok();
                    }
                    ProviderMessage::ObserveRequestReceived(msg) => {
                        let v = verdict(&msg.request.hash, true);
                        msg.tx.send(v).await.ok();
                    }
                    // Anything else needing an answer is refused by dropping it.
                    _ => {}
                }
            }
        });
        events
    }
}

impl ProtocolHandler for BlobServer {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let peer = conn.remote_id();
        let Some(inner) = self.inner.upgrade() else {
            return Ok(());
        };
        let member = MemberId(*peer.as_bytes());
        if let Err(denied) = inner.access().check(&member) {
            inner.refuse(peer, denied.to_string());
            conn.close(close::NOT_A_MEMBER.into(), denied.to_string().as_bytes());
            return Err(AcceptError::from_err(denied));
        }
        drop(inner);
        let events = self.events_for(peer);
        iroh_blobs::provider::handle_connection(conn, self.store.clone(), events).await;
        Ok(())
    }

    async fn shutdown(&self) {
        if let Err(e) = self.store.shutdown().await {
            tracing::warn!(%e, "attachment store shutdown");
        }
    }
}

impl SyncNode {
    /// Adds a file to this device's blob store (copying it in and hashing it); returns its
    /// BLAKE3 hash and size. The file is served to peers only once a document lists it (see
    /// [`SyncNode::attach_file`]).
    pub async fn add_blob(&self, path: &Path) -> Result<(Hash, u64), AttachError> {
        let meta = std::fs::metadata(path).map_err(|source| AttachError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let abs = std::path::absolute(path).map_err(|source| AttachError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let b = &self.blobs;
        let tag = b.store.blobs().add_path(&abs).await.map_err(|e| b.err(e))?;
        let size = match b
            .store
            .blobs()
            .status(tag.hash)
            .await
            .map_err(|e| b.err(e))?
        {
            BlobStatus::Complete { size } => size,
            _ => meta.len(),
        };
        Ok((Hash(*tag.hash.as_bytes()), size))
    }

    /// Attaches the file at `path` to document `doc` under `name`: adds it to the blob store,
    /// signs an [`OpBody::AttachFile`] with `key` (who must be allowed to write the document),
    /// stores it and pushes it to connected peers. Returns the attachment as the log lists it.
    pub async fn attach_file(
        &self,
        key: &SecretKey,
        path: &Path,
        doc: DocId,
        name: &str,
    ) -> Result<Attachment, AttachError> {
        // Check before hashing hundreds of MB for nothing; checked again when signing.
        let probe = OpBody::AttachFile {
            doc,
            name: name.to_string(),
            size: 0,
            hash: Hash::default(),
        };
        self.with_node(|n| {
            n.replica()
                .log()
                .state()
                .authorize(&key.member_id(), &probe)
        })
        .map_err(OpRejected::Unauthorized)?;
        let (hash, size) = self.add_blob(path).await?;
        let body = OpBody::AttachFile {
            doc,
            name: name.to_string(),
            size,
            hash,
        };
        let op = self.with_node(|n| n.replica_mut().log_mut().create(key, body, now_ms()))?;
        let attachment = Attachment {
            name: name.to_string(),
            size,
            hash,
            by: key.member_id(),
            op: op.id(),
        };
        self.publish(vec![Item::Op(op)])?;
        Ok(attachment)
    }

    /// The attachments document `doc` lists, in log order.
    pub fn attachments(&self, doc: &DocId) -> Vec<Attachment> {
        self.with_node(|n| {
            n.replica()
                .log()
                .state()
                .documents
                .get(doc)
                .map(|m| m.attachments.clone())
                .unwrap_or_default()
        })
    }

    /// Bytes of the blob `hash` held (verified) on this device: its full size once fetched,
    /// less while a fetch is under way or was interrupted.
    pub async fn blob_bytes(&self, hash: &Hash) -> Result<u64, AttachError> {
        let b = &self.blobs;
        let local = b
            .store
            .remote()
            .local(HashAndFormat::raw(blob_hash(hash)))
            .await
            .map_err(|e| b.err(e))?;
        Ok(local.local_bytes())
    }

    /// Fetches attachment `hash` of document `doc` from the peer at `from`, reporting bytes
    /// held / total on `progress` as they arrive. Resumes from whatever an interrupted fetch
    /// left; returns at once if the attachment is already here. Every chunk is verified against
    /// the hash before it is stored.
    pub async fn fetch_attachment(
        &self,
        doc: DocId,
        hash: Hash,
        from: EndpointAddr,
        progress: &watch::Sender<Progress>,
    ) -> Result<Fetched, AttachError> {
        let me = MemberId(*self.id().as_bytes());
        let peer = from.id;
        let size = self.with_node(|n| {
            let state = n.replica().log().state();
            let size = state
                .documents
                .get(&doc)
                .and_then(|m| m.attachments.iter().find(|a| a.hash == hash))
                .map(|a| a.size)
                .ok_or(AttachError::UnknownAttachment { doc, hash })?;
            if !state.may_read(&me, &doc) {
                return Err(AttachError::NotAllowed(doc));
            }
            Ok(size)
        })?;
        if self
            .inner
            .access()
            .check(&MemberId(*peer.as_bytes()))
            .is_err()
        {
            return Err(AttachError::NotAMember(peer.to_string()));
        }
        let b = &self.blobs;
        let content = HashAndFormat::new(blob_hash(&hash), BlobFormat::Raw);
        let resumed_from = self.blob_bytes(&hash).await?;
        progress.send_replace(Progress {
            done: resumed_from,
            total: size,
        });
        let complete = b
            .store
            .remote()
            .local(content)
            .await
            .map_err(|e| b.err(e))?
            .is_complete();
        if !complete {
            self.add_peer_addr(from.clone());
            let conn = self
                .router
                .endpoint()
                .connect(from, BLOBS_ALPN)
                .await
                .map_err(|e| AttachError::Connect {
                    peer: peer.to_string(),
                    reason: e.to_string(),
                })?;
            let result = self
                .receive_blob(&conn, content, resumed_from, size, progress)
                .await;
            conn.close(0u32.into(), b"done");
            let received = result?;
            self.finish_fetch(hash, size).await?;
            return Ok(Fetched {
                hash,
                size,
                resumed_from,
                received,
            });
        }
        self.finish_fetch(hash, size).await?;
        Ok(Fetched {
            hash,
            size,
            resumed_from,
            received: 0,
        })
    }

    /// Runs one get over `conn`, forwarding progress; returns the payload bytes received.
    async fn receive_blob(
        &self,
        conn: &Connection,
        content: HashAndFormat,
        resumed_from: u64,
        size: u64,
        progress: &watch::Sender<Progress>,
    ) -> Result<u64, AttachError> {
        let peer = conn.remote_id().to_string();
        let mut stream = std::pin::pin!(
            self.blobs
                .store
                .remote()
                .fetch(conn.clone(), content)
                .stream()
        );
        let mut received = 0;
        while let Some(item) = stream.next().await {
            match item {
                GetProgressItem::Progress(n) => {
                    received = n;
                    // A peer may claim a larger blob than the log records: stop at once
                    // rather than fill the disk (the hash check would only fail at the end).
                    let done = resumed_from.saturating_add(n);
                    if done > size.saturating_add(64 * 1024) {
                        return Err(AttachError::SizeMismatch {
                            recorded: size,
                            actual: done,
                        });
                    }
                    progress.send_replace(Progress {
                        done: done.min(size),
                        total: size,
                    });
                }
                GetProgressItem::Done(stats) => {
                    received = stats.payload_bytes_read;
                    break;
                }
                GetProgressItem::Error(e) => {
                    return Err(AttachError::Transfer {
                        peer,
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok(received)
    }

    /// Checks that the fetched blob is complete and of the recorded size, keeps it (named
    /// tag), and reports it done.
    async fn finish_fetch(&self, hash: Hash, size: u64) -> Result<(), AttachError> {
        let b = &self.blobs;
        let h = blob_hash(&hash);
        match b.store.blobs().status(h).await.map_err(|e| b.err(e))? {
            BlobStatus::Complete { size: actual } if actual == size => {}
            BlobStatus::Complete { size: actual } => {
                return Err(AttachError::SizeMismatch {
                    recorded: size,
                    actual,
                });
            }
            _ => return Err(AttachError::Missing(hash)),
        }
        b.store
            .tags()
            .set(
                format!("council/attachment/{}", hash.to_hex()),
                HashAndFormat::raw(h),
            )
            .await
            .map_err(|e| b.err(e))?;
        Ok(())
    }

    /// Copies attachment `hash` (completely held) out of the blob store to the file `to`
    /// (created or replaced); returns its size.
    pub async fn export_attachment(&self, hash: &Hash, to: &Path) -> Result<u64, AttachError> {
        let b = &self.blobs;
        let h = blob_hash(hash);
        match b.store.blobs().status(h).await.map_err(|e| b.err(e))? {
            BlobStatus::Complete { .. } => {}
            _ => return Err(AttachError::Missing(*hash)),
        }
        let abs = std::path::absolute(to).map_err(|source| AttachError::Read {
            path: to.to_path_buf(),
            source,
        })?;
        b.store
            .blobs()
            .export(h, &abs)
            .finish()
            .await
            .map_err(|e| b.err(e))
    }

    /// The folder of this device's blob store (`<store path>.blobs/`).
    pub fn blob_store_dir(&self) -> &Path {
        &self.blobs.dir
    }
}
