//! Ballots: a deputy's signed choice in one poll (see `docs/format.md`, "Ballots").

use thiserror::Error;

use crate::encoding::{DecodeError, Reader, Writer};
use crate::hash::Hash;
use crate::identity::{Domain, MemberId, SecretKey, Signature, SignatureError, verify};

use super::statement::{PollId, StatementId};

/// A ballot's id: the hash of its signed body.
pub type BallotId = Hash;

/// Prefix of the hash that names a ballot.
pub const BALLOT_ID_PREFIX: &[u8] = b"council/v1/id/ballot\0";
/// Version byte that starts every ballot body.
pub const BALLOT_VERSION: u8 = 1;
/// Most session heads a ballot names as `seen` (as many as a statement names as parents).
pub const MAX_SEEN: usize = crate::log::MAX_PARENTS;
/// Longest ballot body: version, poll, voter, sequence number, choice, and `seen` at its bound.
pub const MAX_BALLOT_BODY: usize = 1 + 32 + 32 + 4 + 1 + 4 + 32 * MAX_SEEN;

/// A voter's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Choice {
    /// For (за / за).
    For = 0,
    /// Against (проти / против).
    Against = 1,
    /// Abstain (утримався / въздържал се).
    Abstain = 2,
}

impl Choice {
    /// Every choice, in tag order.
    pub const ALL: [Choice; 3] = [Choice::For, Choice::Against, Choice::Abstain];

    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Choice::For => "for",
            Choice::Against => "against",
            Choice::Abstain => "abstain",
        }
    }
}

/// An unsigned ballot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ballot {
    /// The poll.
    pub poll: PollId,
    /// Who votes.
    pub voter: MemberId,
    /// The voter's sequence number in this poll: the highest one counts.
    pub seq: u32,
    /// The choice.
    pub choice: Choice,
    /// The session heads the voter's device held when it signed (sorted, distinct, 1 to
    /// [`MAX_SEEN`]): what the voter had seen. A ballot that had seen the poll's close is *late*;
    /// one that had not cannot be excused as late, so a close that leaves it out *omits* it.
    pub seen: Vec<StatementId>,
}

/// A signed ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBallot {
    ballot: Ballot,
    body: Vec<u8>,
    id: BallotId,
    signature: Signature,
}

/// Why bytes are not a ballot.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BallotDecodeError {
    /// Not the encoding of a ballot.
    #[error("malformed ballot: {0}")]
    Decode(#[from] DecodeError),
}

impl Ballot {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(BALLOT_VERSION)
            .hash(&self.poll)
            .raw(self.voter.as_bytes())
            .u32(self.seq)
            .u8(self.choice as u8)
            .list(&self.seen, |w, h| {
                w.hash(h);
            });
        w.finish()
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("ballot version")?;
        if version != BALLOT_VERSION {
            return Err(DecodeError::BadTag {
                what: "ballot version",
                tag: version,
            });
        }
        let poll = r.hash("poll")?;
        let voter = MemberId(r.array("voter")?);
        let seq = r.u32("sequence number")?;
        let choice = match r.u8("choice")? {
            0 => Choice::For,
            1 => Choice::Against,
            2 => Choice::Abstain,
            tag => {
                return Err(DecodeError::BadTag {
                    what: "choice",
                    tag,
                });
            }
        };
        let seen = r.list("seen", MAX_SEEN, |r| r.hash("seen"))?;
        if seen.is_empty() {
            return Err(DecodeError::Invalid {
                what: "seen",
                why: "a ballot names at least one session head",
            });
        }
        if !seen.windows(2).all(|w| w[0] < w[1]) {
            return Err(DecodeError::Invalid {
                what: "seen",
                why: "hashes must be sorted and distinct",
            });
        }
        r.finish()?;
        Ok(Ballot {
            poll,
            voter,
            seq,
            choice,
            seen,
        })
    }

    /// Signs the ballot with the voter's key; `seen` is sorted and deduplicated first, so the
    /// ballot has its one canonical form.
    pub fn sign(mut self, key: &SecretKey) -> SignedBallot {
        self.seen.sort();
        self.seen.dedup();
        let body = self.encode();
        let signature = key.sign(Domain::Ballot, &body);
        let id = Hash::of(BALLOT_ID_PREFIX, &[&body]);
        SignedBallot {
            ballot: self,
            body,
            id,
            signature,
        }
    }
}

impl SignedBallot {
    /// The id.
    pub fn id(&self) -> BallotId {
        self.id
    }

    /// The ballot.
    pub fn ballot(&self) -> &Ballot {
        &self.ballot
    }

    /// The signed body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Checks the voter's signature, strictly.
    pub fn verify(&self) -> Result<(), SignatureError> {
        verify(
            &self.ballot.voter,
            Domain::Ballot,
            &self.body,
            &self.signature,
        )
    }

    /// Wire form: `bytes(body) || signature(64)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.body).raw(&self.signature.0);
        w.finish()
    }

    /// Parses [`SignedBallot::to_bytes`]. Does not verify the signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BallotDecodeError> {
        let mut r = Reader::new(bytes);
        let body = r.bytes("ballot", MAX_BALLOT_BODY)?;
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        let ballot = Ballot::decode(body)?;
        Ok(SignedBallot {
            ballot,
            body: body.to_vec(),
            id: Hash::of(BALLOT_ID_PREFIX, &[body]),
            signature,
        })
    }

    /// A copy with another signature (tests and test vectors of forged ballots).
    pub fn with_signature(&self, signature: Signature) -> SignedBallot {
        SignedBallot {
            signature,
            ..self.clone()
        }
    }
}
