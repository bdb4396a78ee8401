//! What the sync status panel shows, invite tickets, settings and backups.

use std::path::Path;

use council_sync::ticket::Ticket;
use crdt_model::MemberId;

use super::{CommandError, Engine};
use crate::views::name_of;

/// One peer the device is connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRow {
    /// Its member's name (or short key).
    pub name: String,
    /// Its key.
    pub id: MemberId,
    /// How it is reached: directly, through the relay, or not known yet.
    pub link: council_sync::net::Link,
}

/// The sync status panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// Whether this device has a network endpoint at all.
    pub networked: bool,
    /// Peers connected now.
    pub peers: Vec<PeerRow>,
    /// Items this device holds.
    pub items: usize,
    /// Items waiting for something they depend on.
    pub pending: usize,
    /// The last refusals of items received from peers (newest last), with who sent them.
    pub refusals: Vec<String>,
    /// The relay this device uses.
    pub relay: Option<String>,
}

impl SyncStatus {
    /// Offline: no peer reachable now. Work goes on and is sent when a peer is back.
    pub fn offline(&self) -> bool {
        self.peers.is_empty()
    }
}

impl Engine {
    /// The sync status now.
    pub fn sync_status(&self) -> SyncStatus {
        let (items, pending, peers) = self.read(|r| {
            let state = r.log().state();
            let links = self.backend.net().map(|n| n.links()).unwrap_or_default();
            let mut peers: Vec<PeerRow> = links
                .iter()
                .map(|(e, link)| {
                    let id = MemberId(*e.as_bytes());
                    PeerRow {
                        name: name_of(state, &id),
                        id,
                        link: *link,
                    }
                })
                .collect();
            peers.sort_by(|a, b| a.name.cmp(&b.name));
            (r.item_count(), r.pending_len(), peers)
        });
        let refusals = self
            .backend
            .net()
            .map(|n| {
                let all = n.refusals();
                let skip = all.len().saturating_sub(20);
                all.into_iter()
                    .skip(skip)
                    .map(|r| format!("{}: {}", r.from.fmt_short(), r.reason))
                    .collect()
            })
            .unwrap_or_default();
        SyncStatus {
            networked: self.backend.net().is_some(),
            peers,
            items,
            pending,
            refusals,
            relay: self.setting_string(council_sync::SETTING_RELAY),
        }
    }

    /// An invite ticket: the council's genesis, its relay and how to reach this device now.
    pub fn invite_ticket(&self) -> String {
        let genesis = self.read(|r| r.log().genesis().clone());
        let me = *self.me().as_bytes();
        let addrs = self
            .backend
            .net()
            .map(|n| n.addr().ip_addrs().copied().collect())
            .unwrap_or_default();
        Ticket {
            genesis,
            relay: self.setting_string(council_sync::SETTING_RELAY),
            peers: vec![(me, addrs)],
        }
        .encode()
    }

    /// A device setting (see `council_sync::SETTING_*`), as text.
    pub fn setting_string(&self, name: &str) -> Option<String> {
        self.backend
            .with_node(|n| n.store().setting(name).ok().flatten())
            .and_then(|b| String::from_utf8(b).ok())
    }

    /// Saves a device setting, durably; `None` forgets it.
    pub fn put_setting(&self, name: &str, value: Option<&str>) -> Result<(), CommandError> {
        self.backend
            .with_node(|n| match value {
                Some(v) => n.store().put_setting(name, v.as_bytes()),
                None => n.store().remove_setting(name),
            })
            .map_err(|e| CommandError::Save(e.to_string()))
    }

    /// Writes a backup of this member's identity: the council's genesis and the member's
    /// secret key, readable by the owner only. Restoring it on a new device gives that device a
    /// new device id, so its edits never collide with this one's.
    pub fn write_backup(&self, path: &Path) -> Result<(), CommandError> {
        let genesis = self.read(|r| r.log().genesis().to_bytes());
        let text = format!(
            "council-backup/1\ncouncil-genesis {}\nmember-secret-key {}\n",
            data_encoding::HEXLOWER.encode(&genesis),
            data_encoding::HEXLOWER.encode(&self.device.key().to_bytes()),
        );
        write_private(path, text.as_bytes())
            .map_err(|e| CommandError::Save(format!("cannot write {}: {e}", path.display())))
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
