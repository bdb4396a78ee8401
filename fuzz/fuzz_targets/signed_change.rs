//! Fuzz target `signed_change`: see `fuzz/harness/signed_change.rs`, which `cargo test` also runs over
//! the inputs kept in `fuzz/`.
#![no_main]

#[allow(dead_code)]
mod world {
    include!("../harness/world.rs");
}
#[allow(dead_code)]
mod signed_change {
    include!("../harness/signed_change.rs");
}
#[allow(dead_code)]
mod panics {
    include!("../harness/panics.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| panics::run(data, signed_change::run));
