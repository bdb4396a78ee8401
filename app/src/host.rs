//! What the app asks of the machine it runs on: create or join a council, start the demo.
//! The desktop implementation ([`DesktopHost`]) keeps a profile directory and the network;
//! tests give the UI their own.

use crate::engine::Engine;
use crdt_model::rules::Rules;

/// Which rules of procedure a new council starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Ukraine: quorum and decisions by a majority of the total composition.
    Ukraine,
    /// Bulgaria: quorum of all councillors, decisions by a majority of those present.
    Bulgaria,
}

impl Preset {
    /// The rules for a council of `seats` seats.
    pub fn rules(self, seats: u32) -> Rules {
        match self {
            Preset::Ukraine => Rules::ukraine(seats),
            Preset::Bulgaria => Rules::bulgaria(seats),
        }
    }
}

/// A new council's details, from the welcome screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCouncil {
    /// The council's name, e.g. "Броварська міська рада".
    pub council_name: String,
    /// The founder's (secretary's) name.
    pub my_name: String,
    /// Seats (the total composition).
    pub seats: u32,
    /// Rules of procedure.
    pub preset: Preset,
}

/// The machine the app runs on. Every method may take a while (opening stores, starting the
/// network); errors are sentences that say what to do.
pub trait Host {
    /// The council this device already belongs to, if any (the app then skips the welcome
    /// screen).
    fn open_existing(&mut self) -> Result<Option<Engine>, String>;
    /// Creates a council on this device; the person becomes its founder (secretary).
    fn create_council(&mut self, new: &NewCouncil) -> Result<Engine, String>;
    /// Joins the council of an invite ticket. Returns once the device belongs to the council
    /// (its roster may still be arriving).
    fn join(&mut self, ticket: &str) -> Result<Engine, String>;
    /// Starts the demo council (a local relay and simulated colleagues) and returns the
    /// engine of the member the person plays.
    fn demo(&mut self) -> Result<Engine, String>;
    /// This device's member key, to give to the secretary before joining.
    fn my_key(&mut self) -> Result<String, String>;
    /// Where the search index of the council last opened or started here is kept (see
    /// [`crate::search::index_dir`]); `None`: this host offers no search.
    fn index_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}

/// The desktop's host: one profile directory, the network on a tokio runtime, and the demo.
pub struct DesktopHost {
    profile: crate::profile::Profile,
    runtime: std::sync::Arc<tokio::runtime::Runtime>,
    demo: Option<crate::demo::Demo>,
    /// Stores of the demo's peers, removed when the host goes.
    demo_dir: Option<tempfile::TempDir>,
    /// Find peers on the local network (mDNS).
    lan: bool,
}

impl std::fmt::Debug for DesktopHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesktopHost")
            .field("profile", &self.profile)
            .finish()
    }
}

impl DesktopHost {
    /// A host keeping its council in `dir`.
    pub fn new(dir: &std::path::Path) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the network runtime: {e}"))?;
        Ok(DesktopHost {
            profile: crate::profile::Profile::new(dir),
            runtime: std::sync::Arc::new(runtime),
            demo: None,
            demo_dir: None,
            lan: true,
        })
    }

    /// Opens the council of this profile on another thread ([`Host::open_existing`]: the
    /// store is read and every item checked again, then the network starts), so that the
    /// window can show that it is opening meanwhile.
    pub fn open_in_background(&self) -> crate::ui::Opening {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut worker = DesktopHost {
            profile: self.profile.clone(),
            runtime: self.runtime.clone(),
            demo: None,
            demo_dir: None,
            lan: self.lan,
        };
        let spawned = std::thread::Builder::new()
            .name("council-open".into())
            .spawn(move || {
                let _ = tx.send(worker.open_existing());
            });
        if let Err(e) = spawned {
            let (tx, rx) = std::sync::mpsc::channel();
            let _ = tx.send(Err(format!("cannot start opening the council: {e}")));
            return rx;
        }
        rx
    }

    /// Starts the network for `node`: the saved relay, the roster's remembered addresses and
    /// the local network, redialled every half minute so that a peer coming back is found.
    fn go_online(
        &mut self,
        node: council_sync::Node,
        first: Vec<iroh::EndpointAddr>,
    ) -> Result<Engine, String> {
        let key = node.identity().key().clone();
        let relay = node
            .store()
            .setting(council_sync::SETTING_RELAY)
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.trim().parse::<iroh::RelayUrl>().ok());
        let config = council_sync::net::NetConfig {
            relay,
            lan: self.lan,
            ..Default::default()
        };
        let sync = self
            .runtime
            .block_on(council_sync::net::SyncNode::spawn(node, &key, config))
            .map_err(|e| e.to_string())?;
        let bg = sync.clone();
        self.runtime.spawn(async move {
            for addr in first {
                if let Err(e) = bg.connect_introduced(addr).await {
                    tracing::info!(%e, "ticket peer not reached");
                }
            }
            loop {
                bg.dial_roster().await;
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            }
        });
        Ok(Engine::networked(sync))
    }
}

impl Host for DesktopHost {
    fn open_existing(&mut self) -> Result<Option<Engine>, String> {
        if !self.profile.store_path().exists() {
            return Ok(None);
        }
        match self.profile.node() {
            Ok(node) => self.go_online(node, vec![]).map(Some),
            Err(council_sync::OpenError::NoCouncil { .. }) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn create_council(&mut self, new: &NewCouncil) -> Result<Engine, String> {
        if new.council_name.trim().is_empty() {
            return Err("give the council a name".into());
        }
        if new.seats == 0 {
            return Err("a council has at least one seat".into());
        }
        let now = (crate::engine::system_clock())();
        self.profile
            .create_council(
                new.council_name.trim(),
                new.my_name.trim(),
                new.preset.rules(new.seats),
                now,
            )
            .map_err(|e| e.to_string())?;
        let node = self.profile.node().map_err(|e| e.to_string())?;
        self.go_online(node, vec![])
    }

    fn join(&mut self, ticket: &str) -> Result<Engine, String> {
        let ticket =
            council_sync::ticket::Ticket::decode(ticket.trim()).map_err(|e| e.to_string())?;
        let mut store = self.profile.store().map_err(|e| e.to_string())?;
        store
            .set_genesis(&ticket.genesis)
            .map_err(|e| e.to_string())?;
        let relay = match &ticket.relay {
            Some(r) => {
                store
                    .put_setting(council_sync::SETTING_RELAY, r.as_bytes())
                    .map_err(|e| e.to_string())?;
                r.parse::<iroh::RelayUrl>().ok()
            }
            None => None,
        };
        let first = ticket
            .peers
            .iter()
            .filter_map(|(id, addrs)| {
                let mut a = iroh::EndpointAddr::new(iroh::EndpointId::from_bytes(id).ok()?)
                    .with_addrs(addrs.iter().copied().map(iroh::TransportAddr::Ip));
                if let Some(url) = &relay {
                    a = a.with_relay_url(url.clone());
                }
                Some(a)
            })
            .collect();
        let node = council_sync::Node::from_store(store).map_err(|e| e.to_string())?;
        self.go_online(node, first)
    }

    fn demo(&mut self) -> Result<Engine, String> {
        if let Some(e) = self.demo.as_ref().and_then(crate::demo::Demo::player) {
            return Ok(e);
        }
        let dir = tempfile::Builder::new()
            .prefix("council-demo-")
            .tempdir()
            .map_err(|e| format!("cannot make a folder for the demo: {e}"))?;
        let demo = crate::demo::Demo::start(crate::demo::DemoConfig {
            dir: dir.path().to_path_buf(),
            pace: std::time::Duration::from_millis(500),
            player: Some(std::time::Duration::from_secs(20)),
        })
        .map_err(|e| e.to_string())?;
        let engine = demo
            .player()
            .ok_or_else(|| "the demo has no player".to_string())?;
        self.demo = Some(demo);
        self.demo_dir = Some(dir);
        Ok(engine)
    }

    fn my_key(&mut self) -> Result<String, String> {
        let store = self.profile.store().map_err(|e| e.to_string())?;
        Ok(store.identity().member_id().to_string())
    }

    fn index_dir(&self) -> Option<std::path::PathBuf> {
        if let Some(dir) = &self.demo_dir {
            return Some(crate::search::index_dir(dir.path()));
        }
        let store = self.profile.store_path();
        store.parent().map(crate::search::index_dir)
    }
}
