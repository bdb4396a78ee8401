//! A device's profile directory: one council store, which holds everything the device knows,
//! its identity (member key and device id) included.

use std::path::{Path, PathBuf};

use council_sync::{GenesisError, Node, OpenError, Store};
use crdt_model::{Genesis, Role, Roles, Rules, SignedGenesis};
use thiserror::Error;

/// Why a council could not be created on this device.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The store could not be opened or made.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// This device already belongs to a council.
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    /// The founding record could not be signed (e.g. a name that is too long).
    #[error("{0}")]
    Invalid(String),
}

/// Where a device keeps its store.
#[derive(Debug, Clone)]
pub struct Profile {
    dir: PathBuf,
}

impl Profile {
    /// The profile in `dir` (created on first use).
    pub fn new(dir: &Path) -> Self {
        Profile {
            dir: dir.to_path_buf(),
        }
    }

    /// The council store's file.
    pub fn store_path(&self) -> PathBuf {
        self.dir.join("council.redb")
    }

    /// This device's store, created on first use with a new identity and no council yet. The
    /// directory is created readable by its owner only (0700), the store file is 0600.
    pub fn store(&self) -> Result<Store, OpenError> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&self.dir).map_err(|source| OpenError::Io {
            path: self.dir.clone(),
            source,
        })?;
        Store::open_or_create(&self.store_path())
    }

    /// The device's council: its store and replica. Never creates anything.
    pub fn node(&self) -> Result<Node, OpenError> {
        Node::open(&self.store_path())
    }

    /// Creates a council on this device (its store is made now if `council key` has not made
    /// it); the device's member becomes its founder and secretary.
    pub fn create_council(
        &self,
        name: &str,
        founder_name: &str,
        rules: Rules,
        now_ms: u64,
    ) -> Result<SignedGenesis, CreateError> {
        let mut store = self.store()?;
        if store.genesis().is_some() {
            return Err(OpenError::AlreadyExists {
                path: self.store_path(),
            }
            .into());
        }
        let device = store.identity().clone();
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&crdt_model::DeviceId::generate().0);
        let genesis = Genesis {
            name: name.to_string(),
            rules,
            founder: device.member_id(),
            founder_name: founder_name.to_string(),
            founder_roles: Roles::of(&[Role::Secretary]),
            created_ms: now_ms,
            nonce,
        }
        .sign(device.key())
        .map_err(|e| CreateError::Invalid(e.to_string()))?;
        store.set_genesis(&genesis)?;
        Ok(genesis)
    }
}
