//! The genesis record: how a council begins, and what its id is.

use thiserror::Error;

use crate::encoding::{DecodeError, Reader, Writer};
use crate::hash::Hash;
use crate::identity::{Domain, MemberId, SecretKey, Signature, SignatureError, verify};
use crate::roles::Roles;
use crate::rules::Rules;

/// A council's id: the hash of its genesis record. Every signed item names it, so nothing signed
/// for one council is accepted by another.
pub type CouncilId = Hash;

/// Version byte of the genesis encoding.
pub const GENESIS_VERSION: u8 = 1;
/// Prefix of the hash that names a council.
pub const GENESIS_ID_PREFIX: &[u8] = b"council/v1/id/genesis\0";
/// Longest council or person name, in bytes.
pub const MAX_NAME: usize = 512;

/// What the founder declares when creating a council.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// The council's name, e.g. "Житомирська міська рада".
    pub name: String,
    /// Its rules of procedure.
    pub rules: Rules,
    /// The founder's key.
    pub founder: MemberId,
    /// The founder's name.
    pub founder_name: String,
    /// The founder's roles (usually secretary).
    pub founder_roles: Roles,
    /// Creation time, milliseconds since the Unix epoch (informational).
    pub created_ms: u64,
    /// Random bytes, so that two councils with the same name and founder differ.
    pub nonce: [u8; 16],
}

/// A genesis record with the founder's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedGenesis {
    genesis: Genesis,
    body: Vec<u8>,
    id: CouncilId,
    signature: Signature,
}

/// Why a genesis record was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenesisError {
    /// The bytes are not a genesis record.
    #[error("not a valid genesis record: {0}")]
    Decode(#[from] DecodeError),
    /// The founder's signature does not verify.
    #[error("the founder's signature on the genesis record is invalid: {0}")]
    Signature(#[from] SignatureError),
    /// The founder would be unable to do anything.
    #[error("the founder must hold a role that may write (not observer or replica)")]
    FounderCannotWrite,
    /// The name is empty.
    #[error("the council needs a name")]
    EmptyName,
    /// The founder's displayed name is not one readers can tell apart (see
    /// [`crate::log::check_name`]).
    #[error("the founder's name is not valid: {0}")]
    FounderName(crate::log::Unauthorized),
}

impl Genesis {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(GENESIS_VERSION).str(&self.name);
        self.rules.encode(&mut w);
        w.raw(self.founder.as_bytes())
            .str(&self.founder_name)
            .u8(self.founder_roles.0)
            .u64(self.created_ms)
            .raw(&self.nonce);
        w.finish()
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("genesis version")?;
        if version != GENESIS_VERSION {
            return Err(DecodeError::BadTag {
                what: "genesis version",
                tag: version,
            });
        }
        let name = r.str("council name", MAX_NAME)?;
        let rules = Rules::decode(&mut r)?;
        let founder = MemberId(r.array("founder key")?);
        let founder_name = r.str("founder name", MAX_NAME)?;
        let roles = r.u8("founder roles")?;
        if roles & !Roles::VALID_BITS != 0 {
            return Err(DecodeError::BadTag {
                what: "founder roles",
                tag: roles,
            });
        }
        let created_ms = r.u64("created")?;
        let nonce = r.array("nonce")?;
        r.finish()?;
        Ok(Genesis {
            name,
            rules,
            founder,
            founder_name,
            founder_roles: Roles(roles),
            created_ms,
            nonce,
        })
    }

    /// Signs the record with the founder's key (which must be `self.founder`'s).
    pub fn sign(self, founder: &SecretKey) -> Result<SignedGenesis, GenesisError> {
        crate::log::check_name(&self.founder_name).map_err(GenesisError::FounderName)?;
        let body = self.encode();
        let signature = founder.sign(Domain::Genesis, &body);
        SignedGenesis::from_parts(body, signature)
    }
}

impl SignedGenesis {
    fn from_parts(body: Vec<u8>, signature: Signature) -> Result<Self, GenesisError> {
        let genesis = Genesis::decode(&body)?;
        if genesis.name.trim().is_empty() {
            return Err(GenesisError::EmptyName);
        }
        // Checked on every genesis read, not only when signing one: the founder's name is shown
        // next to their votes like any member's.
        crate::log::check_name(&genesis.founder_name).map_err(GenesisError::FounderName)?;
        if !genesis.founder_roles.may_write() {
            return Err(GenesisError::FounderCannotWrite);
        }
        verify(&genesis.founder, Domain::Genesis, &body, &signature)?;
        let id = Hash::of(GENESIS_ID_PREFIX, &[&body]);
        Ok(SignedGenesis {
            genesis,
            body,
            id,
            signature,
        })
    }

    /// The council id.
    pub fn id(&self) -> CouncilId {
        self.id
    }

    /// The record.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Wire form: `bytes(body) || signature(64)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.body).raw(&self.signature.0);
        w.finish()
    }

    /// Parses and verifies [`SignedGenesis::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GenesisError> {
        let mut r = Reader::new(bytes);
        let body = r.bytes("genesis", 64 * 1024)?.to_vec();
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        Self::from_parts(body, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    fn genesis(founder: &SecretKey) -> Genesis {
        Genesis {
            name: "Славутицька міська рада".into(),
            rules: Rules::ukraine(26),
            founder: founder.member_id(),
            founder_name: "Олена".into(),
            founder_roles: Roles::of(&[Role::Secretary]),
            created_ms: 1,
            nonce: [7; 16],
        }
    }

    #[test]
    fn a_genesis_read_with_a_founder_name_that_hides_text_is_refused() {
        let k = SecretKey::from_bytes(&[1; 32]);
        for bad in ["", " Олена", "Оле\u{200B}на", "Олена\u{202E}"] {
            let g = Genesis {
                founder_name: bad.into(),
                ..genesis(&k)
            };
            // Signed by hand, as a hostile founder would (`sign` refuses it already).
            let body = g.encode();
            let sig = k.sign(Domain::Genesis, &body);
            let mut bytes = Writer::new();
            bytes.bytes(&body).raw(&sig.0);
            assert!(
                matches!(
                    SignedGenesis::from_bytes(&bytes.finish()),
                    Err(GenesisError::FounderName(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_signed_genesis_round_trips_and_keeps_its_id() {
        let k = SecretKey::from_bytes(&[1; 32]);
        let g = genesis(&k).sign(&k).expect("valid genesis");
        let back = SignedGenesis::from_bytes(&g.to_bytes()).expect("round trip");
        assert_eq!(back.id(), g.id());
        assert_eq!(back.genesis().name, "Славутицька міська рада");
    }

    #[test]
    fn a_genesis_signed_by_someone_else_is_refused() {
        let k = SecretKey::from_bytes(&[1; 32]);
        let other = SecretKey::from_bytes(&[2; 32]);
        assert!(matches!(
            genesis(&k).sign(&other),
            Err(GenesisError::Signature(_))
        ));
    }

    #[test]
    fn a_founder_who_is_only_an_observer_is_refused() {
        let k = SecretKey::from_bytes(&[1; 32]);
        let mut g = genesis(&k);
        g.founder_roles = Roles::of(&[Role::Observer]);
        assert_eq!(g.sign(&k), Err(GenesisError::FounderCannotWrite));
    }

    #[test]
    fn a_truncated_genesis_is_a_decode_error() {
        let k = SecretKey::from_bytes(&[1; 32]);
        let bytes = genesis(&k).sign(&k).expect("valid").to_bytes();
        assert!(matches!(
            SignedGenesis::from_bytes(&bytes[..bytes.len() - 3]),
            Err(GenesisError::Decode(_))
        ));
    }

    #[test]
    fn different_nonces_make_different_councils() {
        let k = SecretKey::from_bytes(&[1; 32]);
        let a = genesis(&k).sign(&k).expect("valid");
        let mut g = genesis(&k);
        g.nonce = [8; 16];
        let b = g.sign(&k).expect("valid");
        assert_ne!(a.id(), b.id());
    }
}
