//! SHA-256 digests with a domain prefix: the one way this crate names signed things.
//!
//! SHA-256 is chosen over faster hashes because automerge already names its changes with it and
//! because every language's standard library has it, which keeps the public format (see
//! `docs/format.md`) implementable without extra dependencies.

use std::fmt;

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 digest naming a council, a log operation, a document, a statement or a poll.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// Hashes `parts` after the domain `prefix`, so that equal bytes of different kinds never
    /// share an id.
    pub fn of(prefix: &[u8], parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        h.update(prefix);
        for p in parts {
            h.update(p);
        }
        Hash(h.finalize().into())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hexadecimal, the form used in the CLI, tickets and the documentation.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// The first 8 hex digits: enough for a person to tell items apart on screen.
    pub fn short(&self) -> String {
        hex(&self.0[..4])
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let bytes = unhex(s)?;
        Some(Hash(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.short())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Parses hexadecimal (either case); `None` on odd length or a non-hex character.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    s.chunks(2)
        .map(|p| Some((nib(p[0])? << 4) | nib(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let h = Hash::of(b"x", &[b"abc"]);
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_hex("zz"), None);
        assert_eq!(Hash::from_hex("abc"), None);
    }

    #[test]
    fn the_prefix_separates_equal_bytes() {
        assert_ne!(Hash::of(b"a", &[b"bc"]), Hash::of(b"ab", &[b"d"]));
        assert_eq!(Hash::of(b"a", &[b"b", b"c"]), Hash::of(b"a", &[b"bc"]));
    }
}
