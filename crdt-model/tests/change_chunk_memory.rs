//! A compressed automerge chunk inside a signed change is refused before it is inflated: the
//! memory spent refusing it stays within a small multiple of its size.
//!
//! The measuring allocator is global to the process, so this binary holds this one test only.

use std::io::Write;

use crdt_model::document::{ChangeDecodeError, Document, SignedChange, TextField};
use crdt_model::encoding::Writer;
use crdt_model::log::{DocSpec, OpBody};
use crdt_model::sample::{SampleCouncil, device};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use peak_alloc::PeakAlloc;

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

/// The wire form of `signed` with its automerge chunk replaced by `chunk`.
fn with_chunk(signed: &SignedChange, chunk: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.hash(&signed.council())
        .hash(&signed.doc())
        .raw(signed.author().as_bytes())
        .list(signed.log_heads(), |w, h| {
            w.hash(h);
        })
        .bytes(chunk)
        .raw(&signed.signature().0);
    w.finish()
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A chunk of type 2 (a DEFLATE-compressed change) whose data inflates to `inflated` zero bytes.
fn deflate_bomb(inflated: usize) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..inflated / zeros.len() {
        enc.write_all(&zeros).expect("deflate");
    }
    let data = enc.finish().expect("deflate");
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    uleb(&mut chunk, data.len() as u64);
    chunk.extend_from_slice(&data);
    chunk
}

#[test]
fn a_compressed_change_chunk_is_refused_before_it_is_inflated() {
    let (c, mut log) = SampleCouncil::new(10, 6).expect("council");
    let draft = log
        .create(
            &c.deputies[0],
            OpBody::CreateDocument {
                spec: DocSpec::Draft { co_authors: vec![] },
            },
            1_800_000_000_000,
        )
        .expect("draft")
        .id();
    let author = device(2, 1);
    let mut doc = Document::new(&log, draft).expect("doc");
    let text = "Пункт бюджету громади.\n".repeat(2_000);
    let (_, signed) = doc
        .edit(&log, &author, 1, |e| e.set_text(TextField::Body, &text))
        .expect("edit");
    let signed = signed.expect("a change");

    // What Council sends is the uncompressed chunk, and it parses.
    assert!(SignedChange::from_bytes(&signed.to_bytes()).is_ok());

    // automerge's own compressed form of the same change (`Change::bytes` deflates any change
    // over 256 bytes) is refused by its chunk type.
    let mut change = signed.change().clone();
    let compressed = change.bytes().into_owned();
    assert_eq!(compressed.get(8), Some(&2), "automerge compressed it");
    assert_eq!(
        SignedChange::from_bytes(&with_chunk(&signed, &compressed)).map(|_| ()),
        Err(ChangeDecodeError::ChunkType(2))
    );

    // A hand-made chunk that inflates to 64 MiB, from about 64 KB, is refused without
    // inflating it: memory during the refusal stays within a few times the input.
    let wire = with_chunk(&signed, &deflate_bomb(64 << 20));
    PEAK.reset_peak_usage();
    let before = PEAK.current_usage();
    let verdict = SignedChange::from_bytes(&wire).map(|_| ());
    let spent = PEAK.peak_usage().saturating_sub(before);
    assert_eq!(verdict, Err(ChangeDecodeError::ChunkType(2)));
    assert!(
        spent <= 4 * wire.len(),
        "refusing a {} byte change allocated {spent} bytes",
        wire.len()
    );
}
