//! Replays the automerge-paper editing trace (259,778 edits) through the signed-document layer
//! and through raw automerge, in the same run, with the same commit grouping: an author applies
//! the trace, committing every `GROUP` keystrokes as a typing user's editor would, and a second
//! replica receives every change as bytes and applies it.
//!
//! Last line: `edit_trace_signed_vs_raw_ratio: R` (goal R ≤ 1.3).
//! Options: `--group N` keystrokes per change (default 50), `--rounds N` (default 1; the best
//! round of each variant counts).

use std::io::Read;
use std::time::{Duration, Instant};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, Change, ObjType, ROOT, ReadDoc};
use crdt_model::document::{Document, SignedChange, TextField};
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::sample::{SampleCouncil, device};
use peak_alloc::PeakAlloc;

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

struct Trace {
    edits: Vec<(usize, usize, String)>,
    end: String,
}

fn load() -> Result<Trace, Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/data/automerge-paper.json.gz"
    );
    let mut json = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_string(&mut json)?;
    let v: serde_json::Value = serde_json::from_str(&json)?;
    let mut edits = Vec::new();
    for txn in v["txns"].as_array().ok_or("no txns")? {
        for p in txn["patches"].as_array().ok_or("no patches")? {
            let pos = p[0].as_u64().ok_or("pos")? as usize;
            let del = p[1].as_u64().ok_or("del")? as usize;
            let ins = p[2].as_str().ok_or("ins")?.to_string();
            edits.push((pos, del, ins));
        }
    }
    let end = v["endContent"].as_str().ok_or("endContent")?.to_string();
    Ok(Trace { edits, end })
}

struct Outcome {
    time: Duration,
    peak: usize,
    saved: usize,
    changes: usize,
}

fn raw(trace: &Trace, group: usize) -> Result<Outcome, Box<dyn std::error::Error>> {
    PEAK.reset_peak_usage();
    let start = Instant::now();
    let mut author = Automerge::new().with_actor(ActorId::from(&[1u8; 48][..]));
    let mut tx = author.transaction();
    let text = tx.put_object(ROOT, "body", ObjType::Text)?;
    let (first, _) = tx.commit();
    let first = first.ok_or("empty first change")?;
    let mut replica = Automerge::new();
    let init = author.get_change_by_hash(&first).ok_or("missing change")?;
    replica.apply_changes([Change::from_bytes(init.raw_bytes().to_vec())?])?;
    let mut changes = 0;
    for chunk in trace.edits.chunks(group) {
        let mut tx = author.transaction();
        for (pos, del, ins) in chunk {
            tx.splice_text(&text, *pos, *del as isize, ins)?;
        }
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(1));
        let Some(hash) = hash else { continue };
        let change = author.get_change_by_hash(&hash).ok_or("missing change")?;
        let bytes = change.raw_bytes().to_vec();
        replica.apply_changes([Change::from_bytes(bytes)?])?;
        changes += 1;
    }
    let time = start.elapsed();
    let (_, obj) = replica.get(ROOT, "body")?.ok_or("no body")?;
    if replica.text(&obj)? != trace.end {
        return Err("raw replica diverged from the trace's end content".into());
    }
    Ok(Outcome {
        time,
        peak: PEAK.peak_usage(),
        saved: replica.save().len(),
        changes,
    })
}

fn signed(trace: &Trace, group: usize) -> Result<Outcome, Box<dyn std::error::Error>> {
    let (c, mut log) = SampleCouncil::new(10, 4).map_err(|e| e.to_string())?;
    let draft = log
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
            1,
        )
        .map_err(|e| e.to_string())?
        .id();
    let dev = device(2, 1);
    PEAK.reset_peak_usage();
    let start = Instant::now();
    let mut author = Document::new(&log, draft)?;
    let mut replica = Document::new(&log, draft)?;
    let mut changes = 0;
    for chunk in trace.edits.chunks(group) {
        let (_, change) = author.edit(&log, &dev, 1, |e| {
            for (pos, del, ins) in chunk {
                e.splice(TextField::Body, *pos, *del, ins)?;
            }
            Ok(())
        })?;
        let Some(change) = change else { continue };
        let bytes = change.to_bytes();
        replica.receive(&log, SignedChange::from_bytes(&bytes)?)?;
        changes += 1;
    }
    let time = start.elapsed();
    if replica.text(TextField::Body)? != trace.end {
        return Err("signed replica diverged from the trace's end content".into());
    }
    Ok(Outcome {
        time,
        peak: PEAK.peak_usage(),
        saved: replica.save().len(),
        changes,
    })
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let group = arg("--group", 50).max(1);
    let rounds = arg("--rounds", 1).max(1);
    let trace = load()?;
    println!(
        "edit_trace: automerge-paper, {} edits, {} keystrokes per change, best of {rounds}",
        trace.edits.len(),
        group
    );
    let mut best_raw: Option<Outcome> = None;
    let mut best_signed: Option<Outcome> = None;
    for round in 0..rounds {
        let r = raw(&trace, group)?;
        let s = signed(&trace, group)?;
        println!(
            "round {round}: raw {:.3} s, signed {:.3} s",
            r.time.as_secs_f64(),
            s.time.as_secs_f64()
        );
        if best_raw.as_ref().is_none_or(|b| r.time < b.time) {
            best_raw = Some(r);
        }
        if best_signed.as_ref().is_none_or(|b| s.time < b.time) {
            best_signed = Some(s);
        }
    }
    let (r, s) = (best_raw.ok_or("no round")?, best_signed.ok_or("no round")?);
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!("raw_changes: {}", r.changes);
    println!("signed_changes: {}", s.changes);
    println!("raw_time_ms: {:.1}", r.time.as_secs_f64() * 1e3);
    println!("signed_time_ms: {:.1}", s.time.as_secs_f64() * 1e3);
    println!("raw_peak_heap_mib: {:.1}", mib(r.peak));
    println!("signed_peak_heap_mib: {:.1}", mib(s.peak));
    println!("raw_saved_bytes: {}", r.saved);
    println!("signed_saved_bytes: {}", s.saved);
    println!("end_content_bytes: {}", trace.end.len());
    println!(
        "edit_trace_signed_vs_raw_ratio: {:.3}",
        s.time.as_secs_f64() / r.time.as_secs_f64()
    );
    Ok(())
}
