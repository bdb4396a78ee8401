//! The redb store of one device: everything the device knows, in one file readable by its owner
//! only (mode 0600).
//!
//! - `meta`: the format marker and, once the device belongs to a council, its genesis;
//! - `identity`: the device's secret key seed and device id, created with the store;
//! - `items`: every accepted signed item (log operations, document changes, session statements,
//!   ballots), in the order accepted, so that replaying it rebuilds the same replica;
//! - `peers`: how to reach peers (endpoint id → opaque address bytes and the last contact);
//! - `sync_progress`: what the sync protocol remembers per peer (opaque bytes).
//!
//! Every write is one durable transaction (fsync before it returns): only after `Ok` may what it
//! wrote be acknowledged.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use crdt_model::identity::{DEVICE_ID_LEN, Device, DeviceId, SecretKey};
use crdt_model::replica::{Item, Replica};
use crdt_model::{CouncilId, SignedGenesis};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use thiserror::Error;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const IDENTITY: TableDefinition<&str, &[u8]> = TableDefinition::new("identity");
const ITEMS: TableDefinition<u64, &[u8]> = TableDefinition::new("items");
/// A table keyed by a peer's endpoint id.
type PeerTable = TableDefinition<'static, &'static [u8; 32], &'static [u8]>;
const PEERS: PeerTable = TableDefinition::new("peers");
const PROGRESS: PeerTable = TableDefinition::new("sync_progress");
/// The device's settings (relay URL, language…), by name. Added to format 2 without a version
/// bump: an older store simply has no settings yet.
const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// Items that did not decode or were refused when the store was opened, moved out of `items`
/// so that one bad record never keeps a device from opening: key → `u32 reason length ‖ reason
/// (UTF-8) ‖ item bytes`.
const QUARANTINE: TableDefinition<u64, &[u8]> = TableDefinition::new("quarantine");
/// Setting: the council relay's URL this device uses (UTF-8).
pub const SETTING_RELAY: &str = "relay";
/// Setting: the language of the app (`uk`, `bg` or `en`).
pub const SETTING_LANGUAGE: &str = "language";

/// Version 2 added the identity, peers and sync progress tables, and made the genesis optional.
const FORMAT: &[u8] = b"council-store/2";

/// Permission bits of the store file: read and write for its owner only.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

/// Why a store could not be opened or created. Every variant names the file, so the person
/// reading the message knows which one to look at.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file exists but is not a redb database (or is damaged beyond redb's repair).
    #[error("{path} is not a readable Council store (not a database, or damaged): {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What redb said.
        source: redb::DatabaseError,
    },
    /// The file is a redb database of some other program, or of another format version.
    #[error("{path} is a database, but not a Council store (format {found:?})")]
    Foreign {
        /// The file.
        path: PathBuf,
        /// The format marker found, if any.
        found: Option<String>,
    },
    /// A store already exists where a new council was to be created.
    #[error("{path} already holds a Council store; choose another place or open it instead")]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The stored data does not decode: the file was damaged or edited.
    #[error("{path} holds damaged data: {what}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What could not be read.
        what: String,
    },
    /// redb failed while reading.
    #[error("reading {path} failed: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What redb said.
        source: redb::Error,
    },
    /// Another process (another window of Council, a `council serve`) has the store open.
    #[error("{path} is in use by another Council process; close it first, then try again")]
    InUse {
        /// The file.
        path: PathBuf,
    },
    /// There is no store at this place.
    #[error("{path} does not exist: there is no Council store there yet")]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The store exists but its device belongs to no council yet.
    #[error("{path} belongs to no council yet: create a council or join one first")]
    NoCouncil {
        /// The file.
        path: PathBuf,
    },
    /// The file system refused to create the file or to make it private.
    #[error("cannot create {path} or make it private: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// An item set aside when the store was opened, because it did not decode or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// Its key in the items table (the order it was stored in).
    pub key: u64,
    /// Why it was set aside.
    pub reason: String,
    /// Its bytes, as stored.
    pub bytes: Vec<u8>,
}

/// A write that did not become durable: nothing of it may be acknowledged.
#[derive(Debug, Error)]
#[error("writing to {path} failed, nothing was saved: {source}")]
pub struct WriteError {
    path: PathBuf,
    source: redb::Error,
}

/// A record that could not be read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// redb failed.
    #[error("reading {path} failed: {source}")]
    Redb {
        /// The file.
        path: PathBuf,
        /// What redb said.
        source: redb::Error,
    },
    /// A record is too short to be what it should be: the file was damaged or edited.
    #[error("{path} holds a damaged {what} record")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Which kind of record.
        what: &'static str,
    },
}

/// Why a genesis could not be set.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GenesisError {
    /// The store already belongs to another council.
    #[error(
        "{path} already belongs to council {existing}; a device store holds one council, so use \
         another profile for council {new}"
    )]
    OtherCouncil {
        /// The file.
        path: PathBuf,
        /// The council the store belongs to.
        existing: CouncilId,
        /// The council that was to be set.
        new: CouncilId,
    },
    /// The genesis could not be saved.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// How to reach a peer, as last learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    /// The peer's addresses, encoded by the network layer (opaque here).
    pub addr: Vec<u8>,
    /// When this device last reached the peer, in milliseconds since the epoch.
    pub last_contact_ms: u64,
}

impl PeerRecord {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.addr.len());
        out.extend_from_slice(&self.last_contact_ms.to_be_bytes());
        out.extend_from_slice(&self.addr);
        out
    }

    fn decode(bytes: &[u8]) -> Option<PeerRecord> {
        let (ms, addr) = bytes.split_first_chunk::<8>()?;
        Some(PeerRecord {
            addr: addr.to_vec(),
            last_contact_ms: u64::from_be_bytes(*ms),
        })
    }
}

/// One device's database.
#[derive(Debug)]
pub struct Store {
    db: Database,
    path: PathBuf,
    /// Items stored so far (a cache of the table's length, for reporting).
    next: std::sync::atomic::AtomicU64,
    device: Device,
    genesis: Option<SignedGenesis>,
    tightened_from: Option<u32>,
}

fn read_err(path: &Path) -> impl Fn(redb::Error) -> OpenError + '_ {
    move |source| OpenError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `path` names nothing, or an empty file (what a crash during creation may leave).
fn absent_or_empty(path: &Path) -> Result<bool, OpenError> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.is_file() && m.len() == 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(source) => Err(OpenError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Creates an empty file readable by its owner only, before redb writes anything to it. The file
/// is a temporary one of ours: whatever an interrupted creation left in it is discarded.
fn create_private_file(path: &Path) -> Result<(), OpenError> {
    let io = |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(PRIVATE_MODE);
    }
    o.open(path).map_err(io)?;
    // A file left by an earlier attempt keeps its old mode: make it private too.
    tighten(path)?;
    Ok(())
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Moves the finished `from` to `to` atomically and makes the move durable.
fn publish(from: &Path, to: &Path) -> Result<(), OpenError> {
    let io = |source| OpenError::Io {
        path: to.to_path_buf(),
        source,
    };
    std::fs::rename(from, to).map_err(io)?;
    #[cfg(unix)]
    if let Some(dir) = to.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

/// Makes the file readable by its owner only; returns the mode it had if that was looser.
fn tighten(path: &Path) -> Result<Option<u32>, OpenError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let io = |source| OpenError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE_MODE))
                .map_err(io)?;
            return Ok(Some(mode));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(None)
}

impl Store {
    /// Creates a new store for the council of `genesis` at `path`, with a new device identity.
    /// Refuses to touch an existing store (see [`Store::open_or_create`] and
    /// [`Store::set_genesis`] for a device that already has one).
    pub fn create(path: &Path, genesis: &SignedGenesis) -> Result<Store, OpenError> {
        if !absent_or_empty(path)? {
            return Err(OpenError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        Store::init(path, Some(genesis), SecretKey::generate())
    }

    /// Creates a new store for the member holding `key` (restoring a backup on a new device,
    /// or the demo's simulated colleagues), with a new device id so that its edits never reuse
    /// another device's automerge actor. Refuses to touch an existing store.
    pub fn create_for(
        path: &Path,
        genesis: Option<&SignedGenesis>,
        key: SecretKey,
    ) -> Result<Store, OpenError> {
        if !absent_or_empty(path)? {
            return Err(OpenError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        Store::init(path, genesis, key)
    }

    /// Opens the device's store at `path`, or creates it (empty, with a new device identity,
    /// belonging to no council yet) if there is none. A file that is not a Council store is
    /// reported, never overwritten.
    pub fn open_or_create(path: &Path) -> Result<Store, OpenError> {
        if absent_or_empty(path)? {
            Store::init(path, None, SecretKey::generate())
        } else {
            Store::open_existing(path)
        }
    }

    /// Opens an existing store and rebuilds the replica from it. A file that is not a Council
    /// store is reported, never overwritten; a store that belongs to no council yet is
    /// [`OpenError::NoCouncil`].
    pub fn open(path: &Path) -> Result<(Store, Replica), OpenError> {
        let store = Store::open_existing(path)?;
        let replica = store.load_replica()?;
        Ok((store, replica))
    }

    /// Opens an existing store, whether or not it belongs to a council yet. Tightens the file's
    /// permissions to 0600 if they were looser (see [`Store::tightened_from`]).
    pub fn open_existing(path: &Path) -> Result<Store, OpenError> {
        if !path.exists() {
            return Err(OpenError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let db = Database::open(path).map_err(|source| match source {
            redb::DatabaseError::DatabaseAlreadyOpen => OpenError::InUse {
                path: path.to_path_buf(),
            },
            source => OpenError::Unreadable {
                path: path.to_path_buf(),
                source,
            },
        })?;
        let mut store = Store::load(db, path)?;
        store.tightened_from = tighten(path)?;
        Ok(store)
    }

    /// Creates the store in a temporary file beside `path` and moves it into place once
    /// complete, so that a crash during creation never leaves half a store at `path`.
    fn init(
        path: &Path,
        genesis: Option<&SignedGenesis>,
        key: SecretKey,
    ) -> Result<Store, OpenError> {
        let tmp = with_suffix(path, ".new");
        create_private_file(&tmp)?;
        let db = Database::create(&tmp).map_err(|source| OpenError::Unreadable {
            path: tmp.clone(),
            source,
        })?;
        let device = Device::new(key, DeviceId::generate());
        let err = read_err(path);
        let tx = db.begin_write().map_err(|e| err(e.into()))?;
        {
            let mut meta = tx.open_table(META).map_err(|e| err(e.into()))?;
            meta.insert("format", FORMAT).map_err(|e| err(e.into()))?;
            if let Some(g) = genesis {
                meta.insert("genesis", g.to_bytes().as_slice())
                    .map_err(|e| err(e.into()))?;
            }
            let mut id = tx.open_table(IDENTITY).map_err(|e| err(e.into()))?;
            id.insert("secret_key", device.key().to_bytes().as_slice())
                .map_err(|e| err(e.into()))?;
            id.insert("device_id", device.device_id().0.as_slice())
                .map_err(|e| err(e.into()))?;
            tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
            tx.open_table(PEERS).map_err(|e| err(e.into()))?;
            tx.open_table(PROGRESS).map_err(|e| err(e.into()))?;
        }
        tx.commit().map_err(|e| err(e.into()))?;
        publish(&tmp, path)?;
        Ok(Store {
            db,
            path: path.to_path_buf(),
            next: std::sync::atomic::AtomicU64::new(0),
            device,
            genesis: genesis.cloned(),
            tightened_from: None,
        })
    }

    /// Reads the format marker, the identity, the genesis and the number of items.
    fn load(db: Database, path: &Path) -> Result<Store, OpenError> {
        let err = read_err(path);
        let damaged = |what: String| OpenError::Damaged {
            path: path.to_path_buf(),
            what,
        };
        let tx = db.begin_read().map_err(|e| err(e.into()))?;
        let meta = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => {
                return Err(OpenError::Foreign {
                    path: path.to_path_buf(),
                    found: None,
                });
            }
            Err(e) => return Err(err(e.into())),
        };
        let format = meta
            .get("format")
            .map_err(|e| err(e.into()))?
            .map(|v| v.value().to_vec());
        if format.as_deref() != Some(FORMAT) {
            return Err(OpenError::Foreign {
                path: path.to_path_buf(),
                found: format.map(|f| String::from_utf8_lossy(&f).into_owned()),
            });
        }
        let genesis = match meta.get("genesis").map_err(|e| err(e.into()))? {
            Some(g) => Some(
                SignedGenesis::from_bytes(g.value())
                    .map_err(|e| damaged(format!("genesis: {e}")))?,
            ),
            None => None,
        };
        let id = tx
            .open_table(IDENTITY)
            .map_err(|e| damaged(format!("identity table: {e}")))?;
        let seed: [u8; 32] = id
            .get("secret_key")
            .map_err(|e| err(e.into()))?
            .and_then(|v| v.value().try_into().ok())
            .ok_or_else(|| damaged("no valid device key".into()))?;
        let device_id: [u8; DEVICE_ID_LEN] = id
            .get("device_id")
            .map_err(|e| err(e.into()))?
            .and_then(|v| v.value().try_into().ok())
            .ok_or_else(|| damaged("no valid device id".into()))?;
        let device = Device::new(SecretKey::from_bytes(&seed), DeviceId(device_id));
        let items = tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
        let next = match items.last().map_err(|e| err(e.into()))? {
            Some((k, _)) => k.value() + 1,
            None => 0,
        };
        drop((items, id, meta, tx));
        Ok(Store {
            db,
            path: path.to_path_buf(),
            next: std::sync::atomic::AtomicU64::new(next),
            device,
            genesis,
            tightened_from: None,
        })
    }

    /// Rebuilds the replica from the genesis and every stored item. An item that does not decode
    /// or is refused (the file was edited or damaged, or an older version accepted what this one
    /// refuses) does not keep the device from opening: it is moved to the quarantine, with its
    /// reason, and [`Store::quarantined`] reports it.
    pub fn load_replica(&self) -> Result<Replica, OpenError> {
        let path = self.path.as_path();
        let Some(genesis) = self.genesis.clone() else {
            return Err(OpenError::NoCouncil {
                path: path.to_path_buf(),
            });
        };
        let err = read_err(path);
        let mut replica = Replica::new(genesis);
        let mut bad: Vec<(u64, String, Vec<u8>)> = Vec::new();
        {
            let tx = self.db.begin_read().map_err(|e| err(e.into()))?;
            let items = tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
            for entry in items.iter().map_err(|e| err(e.into()))? {
                let (k, v) = entry.map_err(|e| err(e.into()))?;
                let verdict = match Item::from_bytes(v.value()) {
                    Ok(item) => replica
                        .receive(item)
                        .map(|_| ())
                        .map_err(|e| format!("refused: {e}")),
                    Err(e) => Err(format!("does not decode: {e}")),
                };
                if let Err(why) = verdict {
                    bad.push((k.value(), why, v.value().to_vec()));
                }
            }
        }
        if !bad.is_empty() {
            let tx = self.db.begin_write().map_err(|e| err(e.into()))?;
            {
                let mut items = tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
                let mut q = tx.open_table(QUARANTINE).map_err(|e| err(e.into()))?;
                for (k, why, bytes) in &bad {
                    let mut record = Vec::with_capacity(4 + why.len() + bytes.len());
                    let len = u32::try_from(why.len()).unwrap_or(u32::MAX);
                    record.extend_from_slice(&len.to_be_bytes());
                    record.extend_from_slice(&why.as_bytes()[..len as usize]);
                    record.extend_from_slice(bytes);
                    q.insert(*k, record.as_slice()).map_err(|e| err(e.into()))?;
                    items.remove(*k).map_err(|e| err(e.into()))?;
                }
            }
            tx.commit().map_err(|e| err(e.into()))?;
            tracing::warn!(
                path = %path.display(),
                count = bad.len(),
                "items that do not decode or are refused were moved to the quarantine"
            );
        }
        Ok(replica)
    }

    /// Items moved to the quarantine when the store was opened (see [`Store::load_replica`]):
    /// what to tell the person, and what a support engineer can still read.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>, ReadError> {
        let tx = self.db.begin_read().map_err(|e| self.redb(e.into()))?;
        let table = match tx.open_table(QUARANTINE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(self.redb(e.into())),
        };
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.redb(e.into()))? {
            let (k, v) = entry.map_err(|e| self.redb(e.into()))?;
            let v = v.value();
            let len = v
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| self.damaged("quarantine"))? as usize;
            let reason = v
                .get(4..4 + len)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .ok_or_else(|| self.damaged("quarantine"))?;
            out.push(Quarantined {
                key: k.value(),
                reason,
                bytes: v.get(4 + len..).unwrap_or_default().to_vec(),
            });
        }
        Ok(out)
    }

    /// Reads every stored item's bytes without decoding or checking them and returns their total
    /// size: the floor a full load (which checks everything) is measured against.
    pub fn read_all_item_bytes(&self) -> Result<u64, OpenError> {
        let err = read_err(&self.path);
        let tx = self.db.begin_read().map_err(|e| err(e.into()))?;
        let items = tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
        let mut total = 0u64;
        for entry in items.iter().map_err(|e| err(e.into()))? {
            let (_, v) = entry.map_err(|e| err(e.into()))?;
            total += std::hint::black_box(v.value()).len() as u64;
        }
        Ok(total)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This device's identity: the member key it signs with and its device id. Created with the
    /// store; never leaves it except through the person's own backup.
    pub fn identity(&self) -> &Device {
        &self.device
    }

    /// The council this device belongs to, if any yet.
    pub fn genesis(&self) -> Option<&SignedGenesis> {
        self.genesis.as_ref()
    }

    /// If the file was readable by others when opened, the mode it had (it is now 0600).
    pub fn tightened_from(&self) -> Option<u32> {
        self.tightened_from
    }

    /// Makes this device's store belong to the council of `genesis`, durably. Setting the same
    /// genesis again does nothing; a different one is refused.
    pub fn set_genesis(&mut self, genesis: &SignedGenesis) -> Result<(), GenesisError> {
        if let Some(existing) = &self.genesis {
            if existing.id() == genesis.id() {
                return Ok(());
            }
            return Err(GenesisError::OtherCouncil {
                path: self.path.clone(),
                existing: existing.id(),
                new: genesis.id(),
            });
        }
        let bytes = genesis.to_bytes();
        self.write(|tx| {
            tx.open_table(META)?.insert("genesis", bytes.as_slice())?;
            Ok(())
        })?;
        self.genesis = Some(genesis.clone());
        Ok(())
    }

    /// Number of items stored.
    pub fn len(&self) -> u64 {
        self.next.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether no item is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends items in one durable transaction (fsync before returning). Only after `Ok` may
    /// they be acknowledged to the UI or the sender. Safe to call from several threads: the
    /// position is taken inside redb's write transaction, which redb serializes.
    pub fn append(&self, items: &[Item]) -> Result<(), WriteError> {
        let mut end = 0;
        self.write(|tx| {
            let mut table = tx.open_table(ITEMS)?;
            let next = table.last()?.map_or(0, |(k, _)| k.value() + 1);
            for (i, item) in items.iter().enumerate() {
                table.insert(next + i as u64, item.to_bytes().as_slice())?;
            }
            end = next + items.len() as u64;
            Ok(())
        })?;
        self.next
            .fetch_max(end, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Records how to reach `peer` (an endpoint id), durably, replacing what was known.
    pub fn put_peer(&self, peer: &[u8; 32], record: &PeerRecord) -> Result<(), WriteError> {
        let bytes = record.encode();
        self.write(|tx| {
            tx.open_table(PEERS)?.insert(peer, bytes.as_slice())?;
            Ok(())
        })
    }

    /// Forgets `peer`'s addresses, durably; whether there were any.
    pub fn remove_peer(&self, peer: &[u8; 32]) -> Result<bool, WriteError> {
        let mut found = false;
        self.write(|tx| {
            found = tx.open_table(PEERS)?.remove(peer)?.is_some();
            Ok(())
        })?;
        Ok(found)
    }

    /// How to reach `peer`, if known.
    pub fn peer(&self, peer: &[u8; 32]) -> Result<Option<PeerRecord>, ReadError> {
        let v = self.read(PEERS, |t| Ok(t.get(peer)?.map(|v| v.value().to_vec())))?;
        v.map(|b| PeerRecord::decode(&b).ok_or_else(|| self.damaged("peer address")))
            .transpose()
    }

    /// Every peer known, by endpoint id.
    pub fn peers(&self) -> Result<BTreeMap<[u8; 32], PeerRecord>, ReadError> {
        let raw = self.read(PEERS, |t| {
            let mut v = Vec::new();
            for e in t.iter()? {
                let (k, val) = e?;
                v.push((*k.value(), val.value().to_vec()));
            }
            Ok(v)
        })?;
        raw.into_iter()
            .map(|(k, b)| {
                PeerRecord::decode(&b)
                    .map(|r| (k, r))
                    .ok_or_else(|| self.damaged("peer address"))
            })
            .collect()
    }

    /// Saves the device setting `name` (e.g. [`SETTING_RELAY`]), durably.
    pub fn put_setting(&self, name: &str, value: &[u8]) -> Result<(), WriteError> {
        self.write(|tx| {
            tx.open_table(SETTINGS)?.insert(name, value)?;
            Ok(())
        })
    }

    /// Forgets the device setting `name`, durably.
    pub fn remove_setting(&self, name: &str) -> Result<(), WriteError> {
        self.write(|tx| {
            tx.open_table(SETTINGS)?.remove(name)?;
            Ok(())
        })
    }

    /// The device setting `name`, if it was ever saved.
    pub fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, ReadError> {
        let run = || -> Result<Option<Vec<u8>>, redb::Error> {
            let tx = self.db.begin_read()?;
            let t = match tx.open_table(SETTINGS) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            Ok(t.get(name)?.map(|v| v.value().to_vec()))
        };
        run().map_err(|source| ReadError::Redb {
            path: self.path.clone(),
            source,
        })
    }

    /// Saves what the sync protocol remembers about `peer`, durably, replacing what was saved.
    pub fn put_progress(&self, peer: &[u8; 32], progress: &[u8]) -> Result<(), WriteError> {
        self.write(|tx| {
            tx.open_table(PROGRESS)?.insert(peer, progress)?;
            Ok(())
        })
    }

    /// What the sync protocol saved about `peer`.
    pub fn progress(&self, peer: &[u8; 32]) -> Result<Option<Vec<u8>>, ReadError> {
        self.read(PROGRESS, |t| Ok(t.get(peer)?.map(|v| v.value().to_vec())))
    }

    /// Every peer's saved sync progress.
    pub fn all_progress(&self) -> Result<BTreeMap<[u8; 32], Vec<u8>>, ReadError> {
        self.read(PROGRESS, |t| {
            let mut v = BTreeMap::new();
            for e in t.iter()? {
                let (k, val) = e?;
                v.insert(*k.value(), val.value().to_vec());
            }
            Ok(v)
        })
    }

    fn redb(&self, source: redb::Error) -> ReadError {
        ReadError::Redb {
            path: self.path.clone(),
            source,
        }
    }

    fn damaged(&self, what: &'static str) -> ReadError {
        ReadError::Damaged {
            path: self.path.clone(),
            what,
        }
    }

    /// Runs `f` in one durable write transaction.
    fn write(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), WriteError> {
        let run = || -> Result<(), redb::Error> {
            let tx = self.db.begin_write()?;
            f(&tx)?;
            tx.commit()?;
            Ok(())
        };
        run().map_err(|source| WriteError {
            path: self.path.clone(),
            source,
        })
    }

    /// Runs `f` on one table in a read transaction.
    fn read<T>(
        &self,
        table: PeerTable,
        f: impl FnOnce(&redb::ReadOnlyTable<&'static [u8; 32], &'static [u8]>) -> Result<T, redb::Error>,
    ) -> Result<T, ReadError> {
        let run = || -> Result<T, redb::Error> {
            let tx = self.db.begin_read()?;
            let t = tx.open_table(table)?;
            f(&t)
        };
        run().map_err(|source| ReadError::Redb {
            path: self.path.clone(),
            source,
        })
    }
}
