//! Cold start to the first frame with a term's archive: open the device's store, rebuild the
//! replica from every signed item (each signature checked again), build the app, draw one frame.

use std::time::{Duration, Instant};

use council_app::engine::Engine;
use council_app::host::{Host, NewCouncil};
use council_app::ui::App;
use council_sync::Node;
use council_tests::archive::{ArchiveSpec, generate};
use egui_kittest::Harness;

/// The app needs a host; the cold start never asks it for anything.
struct Idle;

impl Host for Idle {
    fn open_existing(&mut self) -> Result<Option<Engine>, String> {
        Ok(None)
    }
    fn create_council(&mut self, _: &NewCouncil) -> Result<Engine, String> {
        Err("not in the benchmark".into())
    }
    fn join(&mut self, _: &str) -> Result<Engine, String> {
        Err("not in the benchmark".into())
    }
    fn demo(&mut self) -> Result<Engine, String> {
        Err("not in the benchmark".into())
    }
    fn my_key(&mut self) -> Result<String, String> {
        Err("not in the benchmark".into())
    }
}

/// What the cold start measured.
pub struct ColdStart {
    /// Signed items in the archive.
    pub items: usize,
    /// Opening the store and rebuilding the replica.
    pub load: Duration,
    /// From nothing to the first frame drawn.
    pub first_frame: Duration,
}

/// Generates the sync benchmark's term archive (2,000 drafts, 100 sessions, 30,000 ballots;
/// `COUNCIL_BENCH_SMALL=1` for a tenth of it), then measures the cold start over it.
pub fn measure() -> Result<ColdStart, Box<dyn std::error::Error>> {
    let mut spec = ArchiveSpec::default();
    if std::env::var_os("COUNCIL_BENCH_SMALL").is_some() {
        spec.drafts /= 10;
        spec.sessions /= 10;
        spec.ballots /= 10;
    }
    let dir = tempfile::tempdir()?;
    let made = Instant::now();
    let archive = generate(dir.path(), &spec)?;
    eprintln!(
        "archive: {} drafts, {} sessions, {} ballots, {} signed items, generated in {:.1} s",
        spec.drafts,
        spec.sessions,
        spec.ballots,
        archive.items,
        made.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let node = Node::open(&archive.store)?;
    let load = start.elapsed();
    let engine = Engine::local(node);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(cc, Box::new(Idle), Some(engine)));
    harness.step();
    let first_frame = start.elapsed();
    Ok(ColdStart {
        items: archive.items,
        load,
        first_frame,
    })
}
