//! `council verify --bundle` on a hostile bundle of about 16 MiB: the example bundle plus
//! items an attacker can make for free — ballots a stranger signed for polls that do not exist,
//! ballots with forged signatures, log operations a stranger signed on parents nobody has —
//! read and verified as the command does. Prints the time and the peak memory, and the floor:
//! parsing the same JSON and checking the same number of signatures, with nothing else.
//!
//! `cargo bench --bench hostile [-- --mib M]`
//! Last lines: `hostile_bundle_verify_ms: X`, `hostile_bundle_peak_mib: Y`,
//! `hostile_verify_vs_floor_ratio: R`.

use std::time::Instant;

use council_app::bundle::Bundle;
use council_tests::bench::arg;
use crdt_model::hash::{Hash, hex};
use crdt_model::log::{DocSpec, LogOp, OpBody};
use crdt_model::sample;
use crdt_model::session::{Ballot, Choice};
use peak_alloc::PeakAlloc;
use serde_json::Value;

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mib: usize = arg("--mib", 16);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/example-bundle.json");
    let mut bundle: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let council = crdt_model::CouncilId::from_hex(
        bundle["council"]
            .as_str()
            .ok_or("the example names its council")?,
    )
    .ok_or("council id")?;
    let stranger = sample::key(31337);
    let mut items: Vec<Value> = Vec::new();
    let mut bytes = 0usize;
    let mut n = 0u64;
    while bytes < mib * 1024 * 1024 {
        let poll = Hash::of(b"no such poll", &[&n.to_be_bytes()]);
        let b = Ballot {
            poll,
            voter: stranger.member_id(),
            seq: 0,
            choice: Choice::For,
            seen: vec![poll],
        }
        .sign(&stranger);
        let mut forged = b.to_bytes();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        let op = LogOp {
            council,
            author: stranger.member_id(),
            parents: vec![Hash::of(b"never sent", &[&n.to_be_bytes()])],
            time_ms: n,
            body: OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
        }
        .sign(&stranger);
        for item in [
            format!("03{}", hex(&b.to_bytes())),
            format!("03{}", hex(&forged)),
            format!("00{}", hex(&op.to_bytes())),
        ] {
            bytes += item.len() + 4;
            items.push(Value::from(item));
        }
        n += 1;
    }
    let count = items.len();
    bundle["items"].as_array_mut().ok_or("items")?.extend(items);
    let text = serde_json::to_vec(&bundle)?;
    println!(
        "hostile_bundle_mib: {:.1}",
        text.len() as f64 / (1024.0 * 1024.0)
    );
    println!("hostile_items: {count}");

    // The floor: the JSON read and one strict signature check per hostile item.
    let floor = Instant::now();
    let v: Value = serde_json::from_slice(&text)?;
    let key = stranger.member_id().verifying_key()?;
    let msg = [0u8; 70];
    let sig = stranger.sign(crdt_model::Domain::Ballot, &msg);
    let dalek = ed25519_dalek::Signature::from_bytes(&sig.0);
    let mut ok = 0usize;
    for _ in 0..count {
        let mut m = crdt_model::Domain::Ballot.prefix().to_vec();
        m.extend_from_slice(&msg);
        ok += usize::from(key.verify_strict(&m, &dalek).is_ok());
    }
    let floor_ms = floor.elapsed().as_secs_f64() * 1e3;
    drop(v);
    println!("floor_parse_and_signature_checks_ms: {floor_ms:.0} ({ok} checks)");

    PEAK.reset_peak_usage();
    let start = Instant::now();
    let parsed = Bundle::parse(&text)?;
    let verdict = parsed.verify();
    let verify_ms = start.elapsed().as_secs_f64() * 1e3;
    let peak = PEAK.peak_usage_as_mb();
    println!(
        "hostile_bundle_problems: {} (passed: {})",
        verdict.problems.len(),
        verdict.passed()
    );
    println!("hostile_bundle_verify_ms: {verify_ms:.0}");
    println!("hostile_bundle_peak_mib: {peak:.0}");
    println!(
        "hostile_bundle_peak_vs_input_ratio: {:.1}",
        f64::from(peak) / (text.len() as f64 / (1024.0 * 1024.0))
    );
    println!(
        "hostile_verify_vs_floor_ratio: {:.2}",
        verify_ms / floor_ms.max(1.0)
    );
    Ok(())
}
