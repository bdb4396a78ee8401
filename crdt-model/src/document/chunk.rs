//! A bounded pre-scan of an automerge change chunk, run on received bytes before automerge
//! expands anything.
//!
//! automerge's `Change::from_bytes` inflates a compressed chunk (type 2, DEFLATE) with no limit,
//! and then walks every operation of the change, whose columns are run-length encoded: a few
//! bytes can declare billions of operations, or strings of a gigabyte. Council never writes a
//! compressed chunk (it sends [`automerge::Change::raw_bytes`], the uncompressed change chunk
//! automerge builds on commit; only `Change::bytes` compresses), nor a change larger than
//! [`MAX_CHANGE_OPS`]. So before automerge sees the bytes, this checks the chunk header, the
//! change header and the column layout, and sums the run lengths each column declares with
//! checked arithmetic, without materialising a single value.
//!
//! It is a bound check, not a second parser: it accepts some chunks automerge then refuses, and
//! refuses only what automerge would have to expand beyond the bounds, or what Council never
//! writes (another chunk type, an unknown or compressed column, bytes after the columns). The
//! layout follows automerge 0.12's `storage/chunk.rs`, `storage/change.rs`,
//! `storage/columns/raw_column.rs` and `columnar/encoding/{rle,boolean}.rs`.

use thiserror::Error;

/// Most operations one change may hold. A change is one edit of one person: typing, a paste, a
/// whole field replaced. The largest a person makes is a paste into an empty field, one
/// operation per character: a million covers a 1 MB ASCII text (a 1 MB Cyrillic text is about
/// half a million characters). Replacing such a text by another of the same size needs twice as
/// many and is refused by [`super::Document::edit`] ([`super::EditError::TooLarge`]), so
/// creators never produce what decoders refuse. At the bound a received change costs about
/// 220 MB while it is checked (automerge's expanded form, measured) and a few seconds of CPU.
pub const MAX_CHANGE_OPS: u64 = 1_000_000;

/// The first bytes of every automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// The chunk type of an uncompressed change, the only one Council writes.
const CHANGE_CHUNK: u8 = 1;

/// The operation columns: their specification (`id << 4 | type`, deflate bit clear), as
/// automerge 0.12 writes them for the operations Council makes, in the order it writes them
/// (`ChangeOpsColumns::raw_columns`). Expand (9) and mark-name (10) columns only ever hold marks,
/// which Council never writes.
const COLUMNS: [(u32, Col); 12] = [
    (0x01, Col::Rle(Val::Uleb)), // object actor
    (0x02, Col::Rle(Val::Uleb)), // object counter
    (0x11, Col::Rle(Val::Uleb)), // key actor
    (0x13, Col::Rle(Val::Sleb)), // key counter (delta)
    (0x15, Col::Rle(Val::Str)),  // key string
    (0x34, Col::Bool),           // insert
    (0x42, Col::Rle(Val::Uleb)), // action
    (0x56, Col::ValueMeta),      // value metadata
    (0x57, Col::Raw),            // value bytes
    (0x70, Col::Rle(Val::Uleb)), // predecessor count (group)
    (0x71, Col::Rle(Val::Uleb)), // predecessor actor
    (0x73, Col::Rle(Val::Sleb)), // predecessor counter (delta)
];

/// The column whose length is the number of operations (automerge stops at its end).
const ACTION: u32 = 0x42;

#[derive(Clone, Copy)]
enum Val {
    Uleb,
    Sleb,
    Str,
}

#[derive(Clone, Copy)]
enum Col {
    Rle(Val),
    ValueMeta,
    Bool,
    Raw,
}

/// Why a chunk was refused before automerge saw it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub(crate) enum ChunkRefused {
    /// Not an uncompressed change chunk.
    #[error("chunk type {0}")]
    ChunkType(u8),
    /// A column declares more entries than a change may have operations.
    #[error("more than {MAX_CHANGE_OPS} operations")]
    TooManyOps,
    /// The header or the column layout is malformed, or holds what Council never writes.
    #[error("{0}")]
    Layout(&'static str),
}

/// What the pre-scan learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// The number of operations the change declares.
    pub(crate) ops: u64,
}

struct Bytes<'a> {
    data: &'a [u8],
}

const TRUNCATED: ChunkRefused = ChunkRefused::Layout("truncated");

impl<'a> Bytes<'a> {
    fn done(&self) -> bool {
        self.data.is_empty()
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], ChunkRefused> {
        let n = usize::try_from(n).map_err(|_| TRUNCATED)?;
        if n > self.data.len() {
            return Err(TRUNCATED);
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, ChunkRefused> {
        let (b, rest) = self.data.split_first().ok_or(TRUNCATED)?;
        self.data = rest;
        Ok(*b)
    }

    /// Unsigned LEB128, at most 64 bits (overlong encodings are accepted, as `leb128` does).
    fn uleb(&mut self) -> Result<u64, ChunkRefused> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(ChunkRefused::Layout("integer overflow"));
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ChunkRefused::Layout("integer overflow"))
    }

    /// Signed LEB128, at most 64 bits.
    fn sleb(&mut self) -> Result<i64, ChunkRefused> {
        let mut value: i128 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= i128::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if b & 0x40 != 0 {
                    value -= 1i128 << (shift + 7);
                }
                return i64::try_from(value).map_err(|_| ChunkRefused::Layout("integer overflow"));
            }
        }
        Err(ChunkRefused::Layout("integer overflow"))
    }

    /// A length-prefixed byte string.
    fn prefixed(&mut self) -> Result<&'a [u8], ChunkRefused> {
        let n = self.uleb()?;
        self.take(n)
    }
}

/// Checks `chunk` is one uncompressed change chunk whose columns declare at most
/// [`MAX_CHANGE_OPS`] entries each, and that every length it declares fits in the bytes it has.
/// Costs one pass over the bytes; allocates nothing proportional to what they declare.
pub(crate) fn prescan(chunk: &[u8]) -> Result<Scanned, ChunkRefused> {
    let mut b = Bytes { data: chunk };
    if b.take(4)? != MAGIC {
        return Err(ChunkRefused::Layout("not an automerge chunk"));
    }
    b.take(4)?; // checksum: automerge derives the hash from the data, which the signature covers
    let chunk_type = b.byte()?;
    if chunk_type != CHANGE_CHUNK {
        return Err(ChunkRefused::ChunkType(chunk_type));
    }
    let len = b.uleb()?;
    if usize::try_from(len).ok() != Some(b.data.len()) {
        return Err(ChunkRefused::Layout("chunk length"));
    }
    // The change header (storage/change.rs, `parse_following_header`).
    let deps = b.uleb()?;
    b.take(deps.checked_mul(32).ok_or(TRUNCATED)?)?;
    b.prefixed()?; // actor
    b.uleb()?; // seq
    b.uleb()?; // start op
    b.sleb()?; // time
    b.prefixed()?; // message
    let others = b.uleb()?;
    for _ in 0..others {
        // each actor takes at least its length byte, so this ends with the bytes
        b.prefixed()?;
    }
    // The column metadata: how many, then (specification, length) each, in increasing order.
    let count = b.uleb()?;
    let mut layout: Vec<(Col, u32, u64)> = Vec::new();
    for _ in 0..count {
        let spec = b.uleb()?;
        let len = b.uleb()?;
        let Some(&(spec, col)) = COLUMNS.iter().find(|(s, _)| u64::from(*s) == spec) else {
            return Err(ChunkRefused::Layout("a column Council never writes"));
        };
        if layout.last().is_some_and(|(_, last, _)| *last >= spec) {
            return Err(ChunkRefused::Layout("columns out of order"));
        }
        layout.push((col, spec, len));
    }
    let mut ops = 0;
    let mut value_bytes = 0u64;
    let mut raw_len = 0u64;
    for (col, spec, len) in layout {
        let mut data = Bytes { data: b.take(len)? };
        let entries = match col {
            Col::Rle(val) => rle(&mut data, val, None)?,
            Col::ValueMeta => rle(&mut data, Val::Uleb, Some(&mut value_bytes))?,
            Col::Bool => booleans(&mut data)?,
            Col::Raw => {
                raw_len = len;
                0
            }
        };
        if spec == ACTION {
            ops = entries;
        }
    }
    if value_bytes > raw_len {
        return Err(ChunkRefused::Layout("values longer than their column"));
    }
    if !b.done() {
        return Err(ChunkRefused::Layout("bytes after the columns"));
    }
    Ok(Scanned { ops })
}

/// Adds `n` entries to `total`, refusing past the bound.
fn add(total: u64, n: u64) -> Result<u64, ChunkRefused> {
    total
        .checked_add(n)
        .filter(|t| *t <= MAX_CHANGE_OPS)
        .ok_or(ChunkRefused::TooManyOps)
}

/// Skips one value of a run-length encoded column; for value metadata, returns the length of the
/// value it describes.
fn skip(data: &mut Bytes<'_>, val: Val) -> Result<u64, ChunkRefused> {
    match val {
        Val::Uleb => data.uleb(),
        Val::Sleb => data.sleb().map(|_| 0),
        Val::Str => data.prefixed().map(|_| 0),
    }
}

/// The number of entries of a run-length encoded column: runs of one repeated value (positive
/// count), literal runs (negative count, then that many values), null runs (zero, then the
/// count). With `value_bytes`, also sums the value lengths metadata entries declare (`meta >> 4`).
fn rle(
    data: &mut Bytes<'_>,
    val: Val,
    mut value_bytes: Option<&mut u64>,
) -> Result<u64, ChunkRefused> {
    let mut total = 0;
    while !data.done() {
        let count = data.sleb()?;
        let n = count.unsigned_abs();
        total = add(total, if count == 0 { data.uleb()? } else { n })?;
        let values = match count {
            0 => 0,
            c if c > 0 => 1,
            _ => n,
        };
        let each = if count > 0 { n } else { 1 };
        for _ in 0..values {
            let v = skip(data, val)?;
            if let Some(sum) = value_bytes.as_deref_mut() {
                let len = (v >> 4).checked_mul(each).ok_or(TRUNCATED)?;
                *sum = sum.checked_add(len).ok_or(TRUNCATED)?;
            }
        }
    }
    Ok(total)
}

/// The number of entries of a boolean column: alternating run lengths, starting with false.
fn booleans(data: &mut Bytes<'_>) -> Result<u64, ChunkRefused> {
    let mut total = 0;
    while !data.done() {
        total = add(total, data.uleb()?)?;
    }
    Ok(total)
}
