//! The signed envelope every automerge change travels in.
//!
//! The signature covers the change hash together with the council, the document and the log
//! heads the author wrote against, so a change signed for one document can never be accepted
//! into another, nor replayed in another council, nor claim a point of the roster its author had
//! not seen.

use automerge::{Change, ChangeHash};
use thiserror::Error;

use super::chunk::{ChunkRefused, MAX_CHANGE_OPS, prescan};
use crate::council::CouncilId;
use crate::encoding::{DecodeError, Reader, Writer};
use crate::identity::{Domain, MemberId, SecretKey, Signature, SignatureError, verify};
use crate::log::{DocId, MAX_PARENTS, OpId};

/// Largest automerge change accepted in one envelope.
pub const MAX_CHANGE_BYTES: usize = 16 * 1024 * 1024;

/// A signed automerge change.
#[derive(Debug, Clone)]
pub struct SignedChange {
    council: CouncilId,
    doc: DocId,
    author: MemberId,
    log_heads: Vec<OpId>,
    change: Change,
    signature: Signature,
}

/// Why bytes are not a signed change.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeDecodeError {
    /// The envelope's encoding is wrong.
    #[error("malformed change envelope: {0}")]
    Envelope(#[from] DecodeError),
    /// The automerge change inside does not parse.
    #[error("malformed automerge change: {0}")]
    Change(String),
    /// The chunk inside is not an uncompressed automerge change (a compressed one would be
    /// inflated without limit; Council never sends one).
    #[error("the automerge chunk has type {0}, not an uncompressed change")]
    ChunkType(u8),
    /// The change declares more operations (or column entries) than any change Council makes.
    #[error("the automerge change declares more than {MAX_CHANGE_OPS} operations")]
    TooManyOps,
    /// The change's header or column layout is malformed, or holds what Council never writes;
    /// found before automerge expanded anything.
    #[error("malformed automerge change layout: {0}")]
    Layout(&'static str),
}

impl From<ChunkRefused> for ChangeDecodeError {
    fn from(e: ChunkRefused) -> Self {
        match e {
            ChunkRefused::ChunkType(t) => ChangeDecodeError::ChunkType(t),
            ChunkRefused::TooManyOps => ChangeDecodeError::TooManyOps,
            ChunkRefused::Layout(why) => ChangeDecodeError::Layout(why),
        }
    }
}

fn signed_body(
    council: &CouncilId,
    doc: &DocId,
    author: &MemberId,
    log_heads: &[OpId],
    hash: &ChangeHash,
) -> Vec<u8> {
    let mut w = Writer::new();
    w.hash(council)
        .hash(doc)
        .raw(author.as_bytes())
        .list(log_heads, |w, h| {
            w.hash(h);
        })
        .raw(&hash.0);
    w.finish()
}

impl SignedChange {
    /// Signs `change` as `key` for document `doc` of `council`, written against `log_heads`.
    pub fn sign(
        key: &SecretKey,
        council: CouncilId,
        doc: DocId,
        mut log_heads: Vec<OpId>,
        change: Change,
    ) -> Self {
        log_heads.sort();
        log_heads.dedup();
        let author = key.member_id();
        let body = signed_body(&council, &doc, &author, &log_heads, &change.hash());
        let signature = key.sign(Domain::Change, &body);
        SignedChange {
            council,
            doc,
            author,
            log_heads,
            change,
            signature,
        }
    }

    /// Checks the signature.
    pub fn verify(&self) -> Result<(), SignatureError> {
        verify(
            &self.author,
            Domain::Change,
            &self.signed_body(),
            &self.signature,
        )
    }

    /// The bytes the signature covers (after the domain prefix).
    pub fn signed_body(&self) -> Vec<u8> {
        signed_body(
            &self.council,
            &self.doc,
            &self.author,
            &self.log_heads,
            &self.change.hash(),
        )
    }

    /// The council it claims.
    pub fn council(&self) -> CouncilId {
        self.council
    }

    /// The document it claims.
    pub fn doc(&self) -> DocId {
        self.doc
    }

    /// Who signed it.
    pub fn author(&self) -> MemberId {
        self.author
    }

    /// The log heads the author wrote against.
    pub fn log_heads(&self) -> &[OpId] {
        &self.log_heads
    }

    /// The automerge change.
    pub fn change(&self) -> &Change {
        &self.change
    }

    /// The change hash.
    pub fn hash(&self) -> ChangeHash {
        self.change.hash()
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Wire form: `council(32) doc(32) author(32) list(log heads) bytes(change) signature(64)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.hash(&self.council)
            .hash(&self.doc)
            .raw(self.author.as_bytes())
            .list(&self.log_heads, |w, h| {
                w.hash(h);
            })
            .bytes(self.change.raw_bytes())
            .raw(&self.signature.0);
        w.finish()
    }

    /// Parses [`SignedChange::to_bytes`], including the automerge change inside: only an
    /// uncompressed change chunk of at most [`MAX_CHANGE_OPS`] operations, checked by a bounded
    /// pre-scan before automerge expands anything. Does not verify the signature (the document
    /// does, so that the refusal carries its reason).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChangeDecodeError> {
        let mut r = Reader::new(bytes);
        let council = r.hash("council")?;
        let doc = r.hash("document")?;
        let author = MemberId(r.array("author")?);
        let log_heads = r.list("log heads", MAX_PARENTS, |r| r.hash("log head"))?;
        if log_heads.is_empty() || log_heads.windows(2).any(|w| w[0] >= w[1]) {
            return Err(DecodeError::Invalid {
                what: "log heads",
                why: "must be non-empty, sorted and distinct",
            }
            .into());
        }
        let raw = r.bytes("change", MAX_CHANGE_BYTES)?;
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        let change = parse_change(raw)?;
        Ok(SignedChange {
            council,
            doc,
            author,
            log_heads,
            change,
            signature,
        })
    }
}

/// Parses an automerge change from untrusted bytes: first the bounded pre-scan (an uncompressed
/// change chunk of at most [`MAX_CHANGE_OPS`] operations), then automerge. automerge has known
/// panics on malformed input; a panic here is turned into an error instead of taking the peer
/// down.
fn parse_change(raw: &[u8]) -> Result<Change, ChangeDecodeError> {
    prescan(raw)?;
    let raw = raw.to_vec();
    match std::panic::catch_unwind(move || Change::from_bytes(raw)) {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(ChangeDecodeError::Change(e.to_string())),
        Err(_) => Err(ChangeDecodeError::Change(
            "automerge panicked while parsing the change".into(),
        )),
    }
}
