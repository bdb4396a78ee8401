// Panics in the fuzz targets. libFuzzer's Rust glue aborts on *every* panic, before unwinding,
// even one the code under test catches. Council catches automerge's known panics on received
// data on purpose (`catch_unwind` around every automerge call on received data: see
// `../shared/notes/security.md`), and turns them into refusals; those are not crashes. So each
// target runs its harness through `run`, which aborts (a crash libFuzzer records) only on a panic
// that escapes the harness, after printing that panic's message, place and backtrace. A caught
// panic is reported once per place, on stderr, and the run goes on.
//
// `COUNCIL_FUZZ_STRICT=1` keeps libFuzzer's behaviour: any panic, caught or not, is a crash.
//
// `include!`d inside `mod panics` by the fuzz targets only (under `cargo test` a caught panic is
// not a failure anyway).

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, Once};

static LAST: Mutex<Option<String>> = Mutex::new(None);
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
static INIT: Once = Once::new();

fn install() {
    INIT.call_once(|| {
        if std::env::var_os("COUNCIL_FUZZ_STRICT").is_some() {
            return;
        }
        std::panic::set_hook(Box::new(|info| {
            let place = info
                .location()
                .map(|l| l.to_string())
                .unwrap_or_else(|| "an unknown place".into());
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let trace = std::backtrace::Backtrace::force_capture();
            let first = SEEN
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert_with(HashSet::new)
                .insert(place.clone());
            if first {
                eprintln!(
                    "council-fuzz: panic at {place}: {msg} (caught, unless reported as uncaught)"
                );
            }
            *LAST.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!(
                "panicked at {place}:\n{msg}\nstack backtrace:\n{trace}"
            ));
        }));
    });
}

/// Runs `harness` on `data`; aborts on a panic that escapes it.
pub fn run(data: &[u8], harness: fn(&[u8])) {
    install();
    *LAST.lock().unwrap_or_else(|p| p.into_inner()) = None;
    if catch_unwind(AssertUnwindSafe(|| harness(data))).is_err() {
        let last = LAST.lock().unwrap_or_else(|p| p.into_inner()).take();
        eprintln!(
            "council-fuzz: UNCAUGHT PANIC: {}",
            last.unwrap_or_else(|| "(no message)".into())
        );
        std::process::abort();
    }
}
