//! The app's search: an index kept up to date from the engine on a worker thread, searched
//! synchronously from the UI thread (a search takes milliseconds; indexing may take seconds).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::error::SearchError;
use super::index::{Index, Progress};
use super::types::{Hit, Query};
use crate::engine::Engine;
use crate::minutes::Lang;

/// What the search index is doing, for the UI to show beside the search box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceStatus {
    /// Bringing the index up to date: `done` of `total` changed documents indexed.
    Indexing {
        /// Done.
        done: usize,
        /// To do.
        total: usize,
        /// Why the whole index is being rebuilt, if it is.
        rebuilding: Option<String>,
    },
    /// Up to date as of the engine's last revision seen.
    Ready {
        /// Documents searchable.
        docs: usize,
    },
    /// The last update failed (searches still answer from what was indexed before); the next
    /// refresh tries again.
    Failed(String),
}

struct Shared {
    index: Index,
    inner: Mutex<Inner>,
    idle: Condvar,
    /// The engine revision last handed to the worker (`usize::MAX`: none, or it failed).
    seen: AtomicUsize,
}

struct Inner {
    status: ServiceStatus,
    /// Refreshes sent and not yet handled.
    queued: usize,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, status: ServiceStatus) {
        self.inner().status = status;
    }
}

/// The search behind the app's search box. Create it once per open council with
/// [`SearchService::start`], call [`SearchService::refresh`] whenever convenient (every frame
/// is fine: it does nothing unless the engine's revision moved), and [`SearchService::search`]
/// as the person types.
pub struct SearchService {
    shared: Arc<Shared>,
    jobs: Option<mpsc::Sender<Engine>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService")
            .field("index", &self.shared.index)
            .field("status", &self.status())
            .finish()
    }
}

impl SearchService {
    /// Opens the index in `dir` (see [`super::index_dir`]) for `engine`'s council and member
    /// and starts bringing it up to date in the background. A damaged or outdated index is
    /// replaced by an empty one here and rebuilt by the worker; searches answer meanwhile from
    /// what is indexed.
    pub fn start(dir: &Path, engine: &Engine) -> Result<SearchService, SearchError> {
        let council = engine.read(|r| r.log().council_id());
        let lang = engine
            .setting_string(council_sync::SETTING_LANGUAGE)
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default();
        let mut rebuilding = None;
        let index = Index::open(dir, council, engine.me(), &mut |p| {
            if let Progress::Rebuilding { reason } = p {
                rebuilding = Some(reason);
            }
        })?
        .with_minutes_language(lang);
        let shared = Arc::new(Shared {
            index,
            inner: Mutex::new(Inner {
                status: ServiceStatus::Indexing {
                    done: 0,
                    total: 0,
                    rebuilding: rebuilding.clone(),
                },
                queued: 0,
            }),
            idle: Condvar::new(),
            seen: AtomicUsize::new(usize::MAX),
        });
        let (jobs, rx) = mpsc::channel::<Engine>();
        let worker_shared = shared.clone();
        let worker = std::thread::Builder::new()
            .name("council-search".into())
            .spawn(move || work(&worker_shared, &rx, rebuilding))
            .map_err(|e| SearchError::Stopped(e.to_string()))?;
        let service = SearchService {
            shared,
            jobs: Some(jobs),
            worker: Some(worker),
        };
        service.refresh(engine);
        Ok(service)
    }

    /// Schedules an update if `engine` holds anything new since the last call; cheap otherwise.
    pub fn refresh(&self, engine: &Engine) {
        let revision = engine.revision();
        if self.shared.seen.swap(revision, Ordering::SeqCst) == revision {
            return;
        }
        let Some(jobs) = &self.jobs else { return };
        let mut inner = self.shared.inner();
        if jobs.send(engine.clone()).is_ok() {
            inner.queued += 1;
        }
    }

    /// Searches what is indexed now.
    pub fn search(&self, q: &Query) -> Result<Vec<Hit>, SearchError> {
        self.shared.index.search(q)
    }

    /// What the index is doing.
    pub fn status(&self) -> ServiceStatus {
        self.shared.inner().status.clone()
    }

    /// Waits until every scheduled update is done, at most `timeout`; whether they are.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut inner = self.shared.inner();
        while inner.queued > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            inner = self
                .shared
                .idle
                .wait_timeout(inner, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

impl Drop for SearchService {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(w) = self.worker.take() {
            // The worker ends after the update in hand; a panic in it was already reported.
            let _ = w.join();
        }
    }
}

/// How long the worker holds the engine's lock at a time while reading documents.
const READ_SLICE: Duration = Duration::from_millis(10);
/// The least time between two updates: items arriving one by one (ballots in a vote) are
/// taken in together, and the engine is left alone in between.
const MIN_INTERVAL: Duration = Duration::from_millis(250);

/// The worker: takes the newest engine handed over, updates the index from it, repeats.
fn work(shared: &Shared, jobs: &mpsc::Receiver<Engine>, mut rebuilding: Option<String>) {
    let mut last: Option<Instant> = None;
    while let Ok(mut engine) = jobs.recv() {
        if let Some(wait) = last.and_then(|t| MIN_INTERVAL.checked_sub(t.elapsed())) {
            std::thread::sleep(wait);
        }
        let mut taken = 1;
        while let Ok(newer) = jobs.try_recv() {
            engine = newer;
            taken += 1;
        }
        let why = rebuilding.take();
        let indexing = |(done, total): (usize, usize)| ServiceStatus::Indexing {
            done,
            total,
            rebuilding: why.clone(),
        };
        let mut plan = engine.read(|r| shared.index.plan(r));
        while !engine.read(|r| plan.read(r, READ_SLICE)) {
            shared.set(indexing(plan.progress()));
        }
        let result = shared.index.apply(plan, &mut |p| {
            if let Progress::Indexed { done, total } = p {
                shared.set(indexing((done, total)));
            }
        });
        last = Some(Instant::now());
        let mut inner = shared.inner();
        inner.status = match result {
            Ok(u) => ServiceStatus::Ready { docs: u.total },
            Err(e) => {
                shared.seen.store(usize::MAX, Ordering::SeqCst);
                ServiceStatus::Failed(e.to_string())
            }
        };
        inner.queued = inner.queued.saturating_sub(taken);
        drop(inner);
        shared.idle.notify_all();
    }
}
