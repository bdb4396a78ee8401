// Fuzz harness `ticket`: an invite ticket pasted by a newcomer, `Ticket::decode` on the input
// read as UTF-8 (lossily, as a text field would hand it over). The checksum at the end of a
// ticket catches typos, not attackers: whoever makes a hostile ticket computes it. So when the
// input is a well-formed ticket string whose checksum is wrong, it is decoded a second time with
// the checksum made right, which lets the fuzzer's mutations reach the parser behind it. A
// ticket that decodes must encode to a ticket that decodes to the same thing.
//
// `include!`d inside `mod ticket` (needs no world but for its seeds).

use council_sync::ticket::{PREFIX, Ticket};
use crdt_model::hash::Hash;
use data_encoding::BASE32_NOPAD;

/// The prefix of the ticket checksum's hash (`sync/src/ticket.rs`, `CHECKSUM_PREFIX`).
const CHECKSUM_PREFIX: &[u8] = b"council/v1/ticket\0";

fn check(s: &str) {
    if let Ok(t) = Ticket::decode(s) {
        let again = Ticket::decode(&t.encode()).expect("a decoded ticket re-encodes to a ticket");
        assert_eq!(again.genesis.id(), t.genesis.id());
        assert_eq!(again.relay, t.relay);
        assert_eq!(again.peers, t.peers);
        assert_eq!(again.encode(), t.encode());
    }
}

/// `s` with its checksum made right, if it is a ticket-shaped string at all.
fn rechecksummed(s: &str) -> Option<String> {
    let rest = s.trim().strip_prefix(PREFIX)?;
    let bytes = BASE32_NOPAD.decode(rest.to_uppercase().as_bytes()).ok()?;
    let body = bytes.get(..bytes.len().checked_sub(4)?)?;
    let sum = Hash::of(CHECKSUM_PREFIX, &[body]);
    let mut fixed = body.to_vec();
    fixed.extend_from_slice(&sum.0[..4]);
    let fixed = format!("{PREFIX}{}", BASE32_NOPAD.encode(&fixed).to_lowercase());
    (fixed != s.trim()).then_some(fixed)
}

/// One input. Nothing may panic; refusals are fine.
pub fn run(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    check(&s);
    if let Some(fixed) = rechecksummed(&s) {
        check(&fixed);
    }
}

/// Real tickets: the sample council's, with and without a relay, with peers and addresses of
/// both families, the most peers and addresses a ticket may hold.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let w = super::world::world();
    let id = |n: u32| *crdt_model::sample::key(n).member_id().as_bytes();
    let addr = |s: &str| s.parse::<std::net::SocketAddr>().expect("a socket address");
    let tickets = [
        (
            "seed-relay-and-one-peer",
            Ticket {
                genesis: w.genesis.clone(),
                relay: Some("http://192.168.1.10:3340".into()),
                peers: vec![(id(0), vec![addr("192.168.1.11:4433")])],
            },
        ),
        (
            "seed-no-relay-no-peers",
            Ticket {
                genesis: w.genesis.clone(),
                relay: None,
                peers: vec![],
            },
        ),
        (
            "seed-ipv6-and-several-peers",
            Ticket {
                genesis: w.genesis.clone(),
                relay: Some("https://relay.rada.example:443/".into()),
                peers: vec![
                    (id(0), vec![addr("[fe80::1]:4433"), addr("10.0.0.2:1")]),
                    (id(1), vec![]),
                    (id(999), vec![addr("127.0.0.1:65535")]),
                ],
            },
        ),
        (
            "seed-most-peers-and-addresses",
            Ticket {
                genesis: w.genesis.clone(),
                relay: Some("http://10.0.0.2:3340".into()),
                peers: (0..64)
                    .map(|n| {
                        (
                            id(n),
                            (0..16)
                                .map(|p| addr(&format!("10.0.{n}.{p}:4433")))
                                .collect(),
                        )
                    })
                    .collect(),
            },
        ),
    ];
    tickets
        .into_iter()
        .map(|(name, t)| (name.to_string(), t.encode().into_bytes()))
        .collect()
}
