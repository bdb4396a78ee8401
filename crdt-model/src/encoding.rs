//! The canonical byte encoding of everything this crate signs or hashes.
//!
//! One value has exactly one encoding, so a signature or a hash over it is unambiguous and a
//! second implementation can rebuild the same bytes from `docs/format.md`:
//! integers are fixed-width big-endian, byte strings and UTF-8 strings carry a `u32` length,
//! lists a `u32` count, options a `0`/`1` tag, booleans are `0` or `1`, fixed-size keys, hashes
//! and signatures are raw. Decoding is strict: any other tag, an overlong length, invalid UTF-8 or
//! trailing bytes is an error, never a guess.

use thiserror::Error;

use crate::hash::Hash;

/// Why bytes could not be decoded. Returned for anything received from outside.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a value.
    #[error("the data ends early while reading {0}")]
    Truncated(&'static str),
    /// Bytes are left after the value: the sender used another format or appended data.
    #[error("{0} unexpected bytes after the end of the value")]
    TrailingBytes(usize),
    /// A tag byte (enum variant, option, boolean) has no meaning here.
    #[error("invalid tag {tag} for {what}")]
    BadTag {
        /// What was being decoded.
        what: &'static str,
        /// The byte found.
        tag: u8,
    },
    /// A string is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    BadUtf8(&'static str),
    /// A length or count is larger than this kind of value may be.
    #[error("{what} is too long: {len} > {max}")]
    TooLong {
        /// What was being decoded.
        what: &'static str,
        /// The length claimed.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A value is well-formed but out of its domain (e.g. a seat count of zero).
    #[error("invalid {what}: {why}")]
    Invalid {
        /// What was being decoded.
        what: &'static str,
        /// Why it is invalid.
        why: &'static str,
    },
}

/// Upper bound on any single length prefix, to refuse absurd allocations from hostile input.
pub const MAX_LEN: usize = 64 * 1024 * 1024;

/// Builds canonical bytes.
#[derive(Default, Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Big-endian `u16`.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Big-endian `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// `0` or `1`.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    /// Raw bytes of a fixed-size value (key, hash, signature).
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// A 32-byte hash.
    pub fn hash(&mut self, h: &Hash) -> &mut Self {
        self.raw(&h.0)
    }

    /// `u32` length, then the bytes.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.len(v.len());
        self.raw(v)
    }

    /// `u32` length, then UTF-8.
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    /// A `u32` count or length. Lengths above `u32::MAX` cannot be produced by this crate's
    /// values (they are bounded far lower), so saturating is unreachable in practice.
    pub fn len(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// `0`, or `1` followed by the value.
    pub fn option<T>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
                self
            }
        }
    }

    /// A `u32` count, then each item.
    pub fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.len(items.len());
        for it in items {
            f(self, it);
        }
        self
    }
}

/// Reads canonical bytes, strictly.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Fails unless every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.data.len()))
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.data.len() < n {
            return Err(DecodeError::Truncated(what));
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let s = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    /// Big-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// Big-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Big-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// `0` or `1`; anything else is an error.
    pub fn bool(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::BadTag { what, tag }),
        }
    }

    /// A 32-byte hash.
    pub fn hash(&mut self, what: &'static str) -> Result<Hash, DecodeError> {
        Ok(Hash(self.array(what)?))
    }

    /// A count or length, at most `max`.
    pub fn len(&mut self, what: &'static str, max: usize) -> Result<usize, DecodeError> {
        let n = self.u32(what)? as usize;
        if n > max.min(MAX_LEN) {
            return Err(DecodeError::TooLong {
                what,
                len: n,
                max: max.min(MAX_LEN),
            });
        }
        Ok(n)
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let n = self.len(what, max)?;
        self.take(n, what)
    }

    /// A length-prefixed UTF-8 string of at most `max` bytes.
    pub fn str(&mut self, what: &'static str, max: usize) -> Result<String, DecodeError> {
        let b = self.bytes(what, max)?;
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError::BadUtf8(what))
    }

    /// An option: `0`, or `1` and the value.
    pub fn option<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        match self.u8(what)? {
            0 => Ok(None),
            1 => Ok(Some(f(self)?)),
            tag => Err(DecodeError::BadTag { what, tag }),
        }
    }

    /// A counted list of at most `max` items.
    pub fn list<T>(
        &mut self,
        what: &'static str,
        max: usize,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.len(what, max)?;
        // Each item takes at least one byte: never reserve more than the input could hold.
        let mut out = Vec::with_capacity(n.min(self.data.len()));
        for _ in 0..n {
            out.push(f(self)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let mut w = Writer::new();
        w.u8(7)
            .u16(300)
            .u32(70_000)
            .u64(1 << 40)
            .bool(true)
            .str("Рада");
        w.option(Some(&5u32), |w, v| {
            w.u32(*v);
        });
        w.list(&[1u8, 2, 3], |w, v| {
            w.u8(*v);
        });
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("a"), Ok(7));
        assert_eq!(r.u16("b"), Ok(300));
        assert_eq!(r.u32("c"), Ok(70_000));
        assert_eq!(r.u64("d"), Ok(1 << 40));
        assert_eq!(r.bool("e"), Ok(true));
        assert_eq!(r.str("f", 100).as_deref(), Ok("Рада"));
        assert_eq!(r.option("g", |r| r.u32("g")), Ok(Some(5)));
        assert_eq!(r.list("h", 10, |r| r.u8("h")), Ok(vec![1, 2, 3]));
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn a_boolean_other_than_zero_or_one_is_rejected() {
        let mut r = Reader::new(&[2]);
        assert!(matches!(
            r.bool("flag"),
            Err(DecodeError::BadTag { tag: 2, .. })
        ));
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut r = Reader::new(&[1, 2]);
        assert_eq!(r.u8("x"), Ok(1));
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes(1)));
    }

    #[test]
    fn an_overlong_length_is_refused_before_allocating() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            r.bytes("blob", 1024),
            Err(DecodeError::TooLong { .. })
        ));
    }

    #[test]
    fn truncated_input_is_reported() {
        let mut r = Reader::new(&[0, 0, 0, 5, b'a']);
        assert_eq!(r.str("name", 100), Err(DecodeError::Truncated("name")));
    }
}
