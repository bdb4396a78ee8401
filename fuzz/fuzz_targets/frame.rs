//! Fuzz target `frame`: see `fuzz/harness/frame.rs`, which `cargo test` also runs over
//! the inputs kept in `fuzz/`.
#![no_main]

#[allow(dead_code)]
mod world {
    include!("../harness/world.rs");
}
#[allow(dead_code)]
mod frame {
    include!("../harness/frame.rs");
}
#[allow(dead_code)]
mod panics {
    include!("../harness/panics.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| panics::run(data, frame::run));
