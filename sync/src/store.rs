//! The redb store of one device: the genesis and every accepted signed item, in the order
//! accepted, so that replaying it rebuilds the same replica.

use std::path::{Path, PathBuf};

use crdt_model::SignedGenesis;
use crdt_model::document::SignedChange;
use crdt_model::log::SignedOp;
use crdt_model::replica::{Item, Replica};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use thiserror::Error;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const ITEMS: TableDefinition<u64, &[u8]> = TableDefinition::new("items");
const FORMAT: &[u8] = b"council-store/1";

const TAG_OP: u8 = 0;
const TAG_CHANGE: u8 = 1;

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
}

/// A write that did not become durable: nothing of it may be acknowledged.
#[derive(Debug, Error)]
#[error("writing to {path} failed, nothing was saved: {source}")]
pub struct WriteError {
    path: PathBuf,
    source: redb::Error,
}

/// One device's database.
#[derive(Debug)]
pub struct Store {
    db: Database,
    path: PathBuf,
    next: u64,
}

fn read_err(path: &Path) -> impl Fn(redb::Error) -> OpenError + '_ {
    move |source| OpenError::Read {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Creates a new store for the council of `genesis` at `path`. Refuses to touch an existing
    /// store.
    pub fn create(path: &Path, genesis: &SignedGenesis) -> Result<Store, OpenError> {
        if path.exists() && std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(true) {
            return Err(OpenError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let db = Database::create(path).map_err(|source| OpenError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let err = read_err(path);
        let tx = db.begin_write().map_err(|e| err(e.into()))?;
        {
            let mut meta = tx.open_table(META).map_err(|e| err(e.into()))?;
            meta.insert("format", FORMAT).map_err(|e| err(e.into()))?;
            meta.insert("genesis", genesis.to_bytes().as_slice())
                .map_err(|e| err(e.into()))?;
            tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
        }
        tx.commit().map_err(|e| err(e.into()))?;
        Ok(Store {
            db,
            path: path.to_path_buf(),
            next: 0,
        })
    }

    /// Opens an existing store and rebuilds the replica from it. A file that is not a Council
    /// store is reported, never overwritten.
    pub fn open(path: &Path) -> Result<(Store, Replica), OpenError> {
        if !path.exists() {
            return Err(OpenError::Damaged {
                path: path.to_path_buf(),
                what: "the file does not exist".into(),
            });
        }
        let db = Database::open(path).map_err(|source| OpenError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
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
        let genesis = meta
            .get("genesis")
            .map_err(|e| err(e.into()))?
            .ok_or_else(|| damaged("no genesis record".into()))?;
        let genesis = SignedGenesis::from_bytes(genesis.value())
            .map_err(|e| damaged(format!("genesis: {e}")))?;
        let mut replica = Replica::new(genesis);
        let items = tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
        let mut next = 0;
        for entry in items.iter().map_err(|e| err(e.into()))? {
            let (k, v) = entry.map_err(|e| err(e.into()))?;
            next = k.value() + 1;
            let item =
                decode_item(v.value()).map_err(|e| damaged(format!("item {}: {e}", k.value())))?;
            // Items were checked before they were stored; a refusal now means the file was edited.
            replica
                .receive(item)
                .map_err(|e| damaged(format!("item {} is refused: {e}", k.value())))?;
        }
        drop(items);
        drop(meta);
        drop(tx);
        Ok((
            Store {
                db,
                path: path.to_path_buf(),
                next,
            },
            replica,
        ))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of items stored.
    pub fn len(&self) -> u64 {
        self.next
    }

    /// Whether no item is stored.
    pub fn is_empty(&self) -> bool {
        self.next == 0
    }

    /// Appends items in one durable transaction (fsync before returning). Only after `Ok` may
    /// they be acknowledged to the UI or the sender.
    pub fn append(&mut self, items: &[Item]) -> Result<(), WriteError> {
        let err = |source: redb::Error| WriteError {
            path: self.path.clone(),
            source,
        };
        let mut tx = self.db.begin_write().map_err(|e| err(e.into()))?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| err(e.into()))?;
        {
            let mut table = tx.open_table(ITEMS).map_err(|e| err(e.into()))?;
            for (i, item) in items.iter().enumerate() {
                table
                    .insert(self.next + i as u64, encode_item(item).as_slice())
                    .map_err(|e| err(e.into()))?;
            }
        }
        tx.commit().map_err(|e| err(e.into()))?;
        self.next += items.len() as u64;
        Ok(())
    }
}

fn encode_item(item: &Item) -> Vec<u8> {
    let (tag, bytes) = match item {
        Item::Op(op) => (TAG_OP, op.to_bytes()),
        Item::Change(c) => (TAG_CHANGE, c.to_bytes()),
    };
    let mut out = Vec::with_capacity(bytes.len() + 1);
    out.push(tag);
    out.extend_from_slice(&bytes);
    out
}

fn decode_item(bytes: &[u8]) -> Result<Item, String> {
    match bytes.split_first() {
        Some((&TAG_OP, rest)) => SignedOp::from_bytes(rest)
            .map(Item::Op)
            .map_err(|e| e.to_string()),
        Some((&TAG_CHANGE, rest)) => SignedChange::from_bytes(rest)
            .map(Item::Change)
            .map_err(|e| e.to_string()),
        Some((tag, _)) => Err(format!("unknown item tag {tag}")),
        None => Err("empty item".into()),
    }
}
