//! Fuzz target `ticket`: see `fuzz/harness/ticket.rs`, which `cargo test` also runs over
//! the inputs kept in `fuzz/`.
#![no_main]

#[allow(dead_code)]
mod world {
    include!("../harness/world.rs");
}
#[allow(dead_code)]
mod ticket {
    include!("../harness/ticket.rs");
}
#[allow(dead_code)]
mod panics {
    include!("../harness/panics.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| panics::run(data, ticket::run));
