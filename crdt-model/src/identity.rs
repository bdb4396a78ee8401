//! People and devices: ed25519 keys, domain-separated signatures, and automerge actor ids that
//! are unique per device yet bound to the person's key.
//!
//! The key type is the one iroh uses for endpoint ids (ed25519, 32-byte compressed point), so a
//! member's [`MemberId`] *is* the endpoint id of each of their devices: the network layer can check
//! who is connecting without a second key.

use std::collections::HashMap;
use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use thiserror::Error;

use crate::hash::{hex, unhex};

/// What a signature is for. Every signature covers `prefix || body`, with a distinct prefix per
/// kind of message, so a signature made for one kind can never be replayed as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// The founding record of a council.
    Genesis,
    /// An operation of the council log (roster, committees, rules, documents, workflow).
    LogOp,
    /// An automerge change to one document.
    Change,
    /// A session statement (registration, agenda progress, speakers, poll open/close).
    Statement,
    /// A ballot in a poll.
    Ballot,
}

impl Domain {
    /// The exact bytes prepended to the body before signing (see `docs/format.md`).
    pub const fn prefix(self) -> &'static [u8] {
        match self {
            Domain::Genesis => b"council/v1/sign/genesis\0",
            Domain::LogOp => b"council/v1/sign/log-op\0",
            Domain::Change => b"council/v1/sign/change\0",
            Domain::Statement => b"council/v1/sign/statement\0",
            Domain::Ballot => b"council/v1/sign/ballot\0",
        }
    }
}

/// A member's public key: who they are on every device and every connection.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemberId(pub [u8; 32]);

impl MemberId {
    /// The raw 32 bytes (the same bytes as an iroh endpoint id).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// First 8 hex digits, for display.
    pub fn short(&self) -> String {
        hex(&self.0[..4])
    }

    /// Parses 64 hex digits into a key that is a valid curve point.
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let bytes: [u8; 32] = unhex(s)
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyError::NotHex)?;
        let id = MemberId(bytes);
        id.verifying_key()?;
        Ok(id)
    }

    /// The dalek key, or an error if the bytes are not a valid point.
    pub fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        cached_key(&self.0)
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberId({})", self.short())
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Most decompressed keys kept; a council has far fewer members, so the cache never churns in
/// practice, and a flood of strangers' keys only empties it.
const KEY_CACHE: usize = 4096;

/// Decompressing an ed25519 key (a field square root) costs about a third of a signature check,
/// and every item of a council is signed by one of a few dozen members: keep them decompressed.
/// Pure memoization (the result for given bytes never changes), shared by every replica.
fn cached_key(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<HashMap<[u8; 32], VerifyingKey>>> =
        std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(k) = cache.lock().ok().and_then(|c| c.get(bytes).copied()) {
        return Ok(k);
    }
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotAPoint)?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= KEY_CACHE {
            c.clear();
        }
        c.insert(*bytes, key);
    }
    Ok(key)
}

/// A key that could not be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Not 64 hexadecimal digits.
    #[error("a key must be 64 hexadecimal digits")]
    NotHex,
    /// 32 bytes that are not an ed25519 public key.
    #[error("these 32 bytes are not a valid ed25519 public key")]
    NotAPoint,
}

/// A signature check that failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The author's key is not a valid public key.
    #[error("the author key is not a valid ed25519 public key")]
    BadKey,
    /// The signature does not match the message and key (wrong key, altered bytes, or made for
    /// another kind of message).
    #[error("the signature does not match the signed bytes")]
    Mismatch,
}

/// A 64-byte ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", hex(&self.0[..4]))
    }
}

/// A member's secret key. Never printed; compared only through its public key.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// A key from its 32-byte seed (backups, tests with fixed keys).
    pub fn from_bytes(seed: &[u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed, for the device's key file and backups.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn member_id(&self) -> MemberId {
        MemberId(self.0.verifying_key().to_bytes())
    }

    /// Signs `body` for `domain`.
    pub fn sign(&self, domain: Domain, body: &[u8]) -> Signature {
        let mut msg = Vec::with_capacity(domain.prefix().len() + body.len());
        msg.extend_from_slice(domain.prefix());
        msg.extend_from_slice(body);
        Signature(self.0.sign(&msg).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(for {})", self.member_id().short())
    }
}

/// Checks `signature` over `prefix(domain) || body` by `author`, strictly (no malleable
/// signatures, no small-order keys).
pub fn verify(
    author: &MemberId,
    domain: Domain,
    body: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    let key = author.verifying_key().map_err(|_| SignatureError::BadKey)?;
    let mut msg = Vec::with_capacity(domain.prefix().len() + body.len());
    msg.extend_from_slice(domain.prefix());
    msg.extend_from_slice(body);
    key.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&signature.0))
        .map_err(|_| SignatureError::Mismatch)
}

/// Length of a device id in bytes.
pub const DEVICE_ID_LEN: usize = 16;
/// Length of a bound automerge actor id: the member key, then the device id.
pub const ACTOR_ID_LEN: usize = 32 + DEVICE_ID_LEN;

/// One installation of the app. Random per install (and per restore of a backup), so that two
/// devices of one person never share an automerge actor id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct DeviceId(pub [u8; DEVICE_ID_LEN]);

impl DeviceId {
    /// A fresh random device id.
    pub fn generate() -> Self {
        let mut b = [0u8; DEVICE_ID_LEN];
        rand::fill(&mut b);
        DeviceId(b)
    }
}

/// A person's key on one device: signs as the person, edits as this device's actor.
///
/// Backups carry the [`SecretKey`] only; restoring one makes a new `Device` with a new
/// [`DeviceId`]. That is what keeps a restored copy and the original from ever producing two
/// different changes under one actor id, which would corrupt every document they touch.
#[derive(Clone, Debug)]
pub struct Device {
    key: SecretKey,
    device: DeviceId,
}

impl Device {
    /// A device of the person holding `key`.
    pub fn new(key: SecretKey, device: DeviceId) -> Self {
        Self { key, device }
    }

    /// The person's key.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    /// The person's public id.
    pub fn member_id(&self) -> MemberId {
        self.key.member_id()
    }

    /// This device's id.
    pub fn device_id(&self) -> DeviceId {
        self.device
    }

    /// The automerge actor id of this device: `member key (32) || device id (16)`.
    pub fn actor_bytes(&self) -> [u8; ACTOR_ID_LEN] {
        let mut a = [0u8; ACTOR_ID_LEN];
        a[..32].copy_from_slice(self.member_id().as_bytes());
        a[32..].copy_from_slice(&self.device.0);
        a
    }
}

/// Splits a bound actor id into the member and device it names; `None` if it is not of the
/// bound form (a foreign or forged actor).
pub fn parse_actor(actor: &[u8]) -> Option<(MemberId, DeviceId)> {
    if actor.len() != ACTOR_ID_LEN {
        return None;
    }
    let mut m = [0u8; 32];
    m.copy_from_slice(&actor[..32]);
    let mut d = [0u8; DEVICE_ID_LEN];
    d.copy_from_slice(&actor[32..]);
    Some((MemberId(m), DeviceId(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_bytes(&[n; 32])
    }

    #[test]
    fn a_signature_verifies_for_its_domain_and_body() {
        let k = key(1);
        let sig = k.sign(Domain::Ballot, b"body");
        assert_eq!(
            verify(&k.member_id(), Domain::Ballot, b"body", &sig),
            Ok(())
        );
    }

    #[test]
    fn a_signature_for_one_domain_is_rejected_in_another() {
        let k = key(1);
        let sig = k.sign(Domain::Ballot, b"body");
        assert_eq!(
            verify(&k.member_id(), Domain::Statement, b"body", &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_by_another_key_is_rejected() {
        let sig = key(1).sign(Domain::LogOp, b"x");
        assert_eq!(
            verify(&key(2).member_id(), Domain::LogOp, b"x", &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn altered_bytes_are_rejected() {
        let k = key(3);
        let sig = k.sign(Domain::LogOp, b"x");
        assert_eq!(
            verify(&k.member_id(), Domain::LogOp, b"y", &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn domain_prefixes_are_distinct_and_none_is_a_prefix_of_another() {
        let all = [
            Domain::Genesis,
            Domain::LogOp,
            Domain::Change,
            Domain::Statement,
            Domain::Ballot,
        ];
        for a in all {
            for b in all {
                if a != b {
                    assert!(!a.prefix().starts_with(b.prefix()));
                }
            }
        }
    }

    #[test]
    fn two_devices_of_one_person_have_distinct_actors_bound_to_the_same_key() {
        let k = key(4);
        let a = Device::new(k.clone(), DeviceId([1; 16]));
        let b = Device::new(k.clone(), DeviceId([2; 16]));
        assert_ne!(a.actor_bytes(), b.actor_bytes());
        assert_eq!(
            parse_actor(&a.actor_bytes()).map(|p| p.0),
            Some(k.member_id())
        );
        assert_eq!(
            parse_actor(&b.actor_bytes()).map(|p| p.0),
            Some(k.member_id())
        );
    }

    #[test]
    fn an_actor_of_another_length_is_not_bound_to_anyone() {
        assert_eq!(parse_actor(&[0u8; 16]), None);
    }

    #[test]
    fn member_ids_parse_from_hex_only_when_they_are_points() {
        let id = key(5).member_id();
        assert_eq!(MemberId::from_hex(&id.to_hex()), Ok(id));
        assert_eq!(MemberId::from_hex("12"), Err(KeyError::NotHex));
    }
}
