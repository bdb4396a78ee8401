//! Invite tickets: one copy-pasteable string with everything a newcomer needs to reach the
//! council — its genesis record (so the council id is checked, not trusted), the relay URL, and
//! a few members' endpoint ids with the addresses they were last seen at.
//!
//! Form: `council1` followed by lower-case base32 (no padding) of
//! `version(1) bytes(genesis) option(str relay) list(endpoint(32) list(str addr)) checksum(4)`,
//! where the checksum is the first four bytes of SHA-256 over everything before it, so a
//! truncated or mistyped ticket is caught before anything is parsed.

use std::net::SocketAddr;

use crdt_model::SignedGenesis;
use crdt_model::encoding::{DecodeError, Reader, Writer};
use crdt_model::hash::Hash;
use data_encoding::BASE32_NOPAD;
use thiserror::Error;

/// Prefix of every ticket (and its version).
pub const PREFIX: &str = "council1";
const VERSION: u8 = 1;
const CHECKSUM_PREFIX: &[u8] = b"council/v1/ticket\0";

/// An invitation to a council.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// The council's founding record.
    pub genesis: SignedGenesis,
    /// The council's relay, if it runs one.
    pub relay: Option<String>,
    /// Members to reach first: endpoint id and direct addresses.
    pub peers: Vec<([u8; 32], Vec<SocketAddr>)>,
}

/// Why a string is not a usable ticket. Each message says what to do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketError {
    /// It does not start with the ticket prefix.
    #[error(
        "this is not a Council invite ticket (it should start with \"{PREFIX}\"); copy the whole ticket again"
    )]
    NotATicket,
    /// Characters outside the ticket alphabet.
    #[error(
        "the ticket contains characters that cannot be in a ticket; copy it again without changes"
    )]
    BadCharacters,
    /// The checksum does not match: truncated or altered.
    #[error("the ticket is incomplete or altered (checksum mismatch); copy the whole ticket again")]
    Checksum,
    /// A newer ticket format.
    #[error("this ticket was made by a newer version of Council (format {0}); update the app")]
    Version(u8),
    /// The content does not decode.
    #[error("the ticket is damaged: {0}")]
    Damaged(String),
}

impl From<DecodeError> for TicketError {
    fn from(e: DecodeError) -> Self {
        TicketError::Damaged(e.to_string())
    }
}

impl Ticket {
    /// The ticket string.
    pub fn encode(&self) -> String {
        let mut w = Writer::new();
        w.u8(VERSION).bytes(&self.genesis.to_bytes());
        w.option(self.relay.as_ref(), |w, r| {
            w.str(r);
        });
        w.list(&self.peers, |w, (id, addrs)| {
            w.raw(id).list(addrs, |w, a| {
                w.str(&a.to_string());
            });
        });
        let mut body = w.finish();
        let sum = Hash::of(CHECKSUM_PREFIX, &[&body]);
        body.extend_from_slice(&sum.0[..4]);
        format!("{PREFIX}{}", BASE32_NOPAD.encode(&body).to_lowercase())
    }

    /// Parses a ticket, checking its checksum and the genesis signature.
    pub fn decode(s: &str) -> Result<Self, TicketError> {
        let s = s.trim();
        let rest = s.strip_prefix(PREFIX).ok_or(TicketError::NotATicket)?;
        if !rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        {
            return Err(TicketError::BadCharacters);
        }
        // Only the alphabet is used, so a failure here is a length that cannot be: a cut ticket.
        let bytes = BASE32_NOPAD
            .decode(rest.to_uppercase().as_bytes())
            .map_err(|_| TicketError::Checksum)?;
        if bytes.len() < 5 {
            return Err(TicketError::Checksum);
        }
        let (body, sum) = bytes.split_at(bytes.len() - 4);
        if Hash::of(CHECKSUM_PREFIX, &[body]).0[..4] != *sum {
            return Err(TicketError::Checksum);
        }
        let mut r = Reader::new(body);
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(TicketError::Version(version));
        }
        let genesis = SignedGenesis::from_bytes(r.bytes("genesis", 64 * 1024)?)
            .map_err(|e| TicketError::Damaged(e.to_string()))?;
        let relay = r.option("relay", |r| r.str("relay", 2048))?;
        let peers = r.list("peers", 64, |r| {
            let id: [u8; 32] = r.array("endpoint id")?;
            let addrs = r.list("addresses", 16, |r| {
                r.str("address", 128)?
                    .parse::<SocketAddr>()
                    .map_err(|_| DecodeError::Invalid {
                        what: "address",
                        why: "not a socket address",
                    })
            })?;
            Ok((id, addrs))
        })?;
        r.finish()?;
        Ok(Ticket {
            genesis,
            relay,
            peers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::sample::SampleCouncil;

    fn ticket() -> Ticket {
        let (c, _) = SampleCouncil::new(5, 2).expect("council");
        Ticket {
            genesis: c.genesis.clone(),
            relay: Some("http://192.168.1.10:3340".into()),
            peers: vec![(
                *c.secretary.member_id().as_bytes(),
                vec!["192.168.1.11:4433".parse().expect("addr")],
            )],
        }
    }

    #[test]
    fn a_ticket_round_trips() {
        let t = ticket();
        let back = Ticket::decode(&t.encode()).expect("decodes");
        assert_eq!(back.genesis.id(), t.genesis.id());
        assert_eq!(back.relay, t.relay);
        assert_eq!(back.peers, t.peers);
    }

    #[test]
    fn a_truncated_ticket_is_reported_as_incomplete() {
        let s = ticket().encode();
        assert_eq!(
            Ticket::decode(&s[..s.len() - 3]).err(),
            Some(TicketError::Checksum)
        );
    }

    #[test]
    fn an_altered_ticket_is_caught_by_its_checksum() {
        let s = ticket().encode();
        let mut chars: Vec<char> = s.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        let altered: String = chars.into_iter().collect();
        assert_eq!(Ticket::decode(&altered).err(), Some(TicketError::Checksum));
    }

    #[test]
    fn something_else_is_not_a_ticket() {
        assert_eq!(Ticket::decode("hello").err(), Some(TicketError::NotATicket));
        assert_eq!(
            Ticket::decode("council1!!!").err(),
            Some(TicketError::BadCharacters)
        );
    }
}
