//! A device's profile directory: its identity key, its device id and its council store.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crdt_model::hash::{hex, unhex};
use crdt_model::identity::{Device, DeviceId, SecretKey};
use thiserror::Error;

/// A profile that could not be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file does not hold a key.
    #[error("{0} does not hold a valid key")]
    BadKey(PathBuf),
}

/// Where a device keeps its files.
#[derive(Debug, Clone)]
pub struct Profile {
    dir: PathBuf,
}

impl Profile {
    /// The profile in `dir` (created on first write).
    pub fn new(dir: &Path) -> Self {
        Profile {
            dir: dir.to_path_buf(),
        }
    }

    /// The council store's file.
    pub fn store_path(&self) -> PathBuf {
        self.dir.join("council.redb")
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join("identity.key")
    }

    fn device_path(&self) -> PathBuf {
        self.dir.join("device.id")
    }

    /// This device's identity, created on first use. The key file is readable by its owner only
    /// (mode 0600), written to a temporary file and renamed so that a crash never leaves half a
    /// key behind.
    pub fn device(&self) -> Result<Device, ProfileError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ProfileError::Io {
                path: path.clone(),
                source,
            }
        };
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let key = match fs::read_to_string(self.key_path()) {
            Ok(s) => {
                let seed: [u8; 32] = unhex(s.trim())
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| ProfileError::BadKey(self.key_path()))?;
                SecretKey::from_bytes(&seed)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let k = SecretKey::generate();
                write_private(&self.key_path(), hex(&k.to_bytes()).as_bytes())
                    .map_err(io(&self.key_path()))?;
                k
            }
            Err(e) => return Err(io(&self.key_path())(e)),
        };
        let device = match fs::read_to_string(self.device_path()) {
            Ok(s) => DeviceId(
                unhex(s.trim())
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| ProfileError::BadKey(self.device_path()))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let d = DeviceId::generate();
                write_private(&self.device_path(), hex(&d.0).as_bytes())
                    .map_err(io(&self.device_path()))?;
                d
            }
            Err(e) => return Err(io(&self.device_path())(e)),
        };
        Ok(Device::new(key, device))
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}
