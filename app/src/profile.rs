//! A device's profile directory: one council store, which holds everything the device knows,
//! its identity (member key and device id) included.

use std::path::{Path, PathBuf};

use council_sync::{Node, OpenError, Store};

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
}
