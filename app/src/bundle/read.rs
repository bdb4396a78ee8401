//! Reading a bundle file strictly (`docs/format.md` §10, "Form"): JSON as the format uses it and
//! nothing looser, so that two verifiers never read one file two ways. Each error names where
//! in the file it is.
//!
//! Refused: a key given twice in one object (a reader keeping the first and one keeping the last
//! would verify different bundles), a field the format does not define, a number with a fraction
//! or an exponent (`7.0`, `7e0`: every number of the format is an integer), a value of another
//! type (`1` for `true`), hex that is not lower-case, and a key listed twice in `chairs` or
//! `voters`.

use std::collections::BTreeSet;
use std::fmt;

use crdt_model::hash::{Hash, unhex};
use crdt_model::replica::Item;
use crdt_model::rules::{Base, MajorityRule, SpeechLimits, Threshold};
use crdt_model::session::BodyContext;
use crdt_model::{MemberId, SignedGenesis};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::{Bundle, BundleError, BundlePoll, FORMAT};

/// The fields of the bundle object.
const TOP: &[&str] = &["format", "council", "genesis", "items", "polls"];
/// The fields of an entry of `polls`.
const POLL: &[&str] = &[
    "session", "poll", "title", "context", "open", "close", "ballots",
];
/// The fields of a poll context.
const CONTEXT: &[&str] = &[
    "council",
    "seats",
    "quorum",
    "default_majority",
    "allow_poll_override",
    "chairs",
    "voters",
];
/// The fields of a majority rule.
const RULE: &[&str] = &["threshold", "base"];

impl Bundle {
    /// Reads a bundle strictly: JSON as above, every field present with its type, hex where hex
    /// is due, the genesis signed, the council id its id, every item a decodable signed item.
    /// Signatures of items and the polls' contents are checked by [`Bundle::verify`], which
    /// reports them.
    pub fn parse(text: &[u8]) -> Result<Bundle, BundleError> {
        let Strict(v) = serde_json::from_slice(text)?;
        let top = object(&v, "the bundle")?;
        let format = field(top, "the bundle", "format")?;
        if format.as_str() != Some(FORMAT) {
            return Err(BundleError::Format(format.to_string()));
        }
        only(top, "the bundle", TOP)?;
        let council = hash_at(field(top, "the bundle", "council")?, "council")?;
        let genesis_bytes = hex_at(field(top, "the bundle", "genesis")?, "genesis")?;
        let genesis = SignedGenesis::from_bytes(&genesis_bytes)
            .map_err(|e| BundleError::Genesis(e.to_string()))?;
        if genesis.id() != council {
            return Err(BundleError::Council {
                stated: council,
                actual: genesis.id(),
            });
        }
        let items = array(field(top, "the bundle", "items")?, "items")?
            .iter()
            .enumerate()
            .map(|(i, v)| parse_item(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        let polls = array(field(top, "the bundle", "polls")?, "polls")?
            .iter()
            .enumerate()
            .map(|(i, v)| parse_poll(&format!("polls[{i}]"), v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Bundle {
            council,
            genesis,
            items,
            polls,
        })
    }
}

/// A JSON value read with the checks serde_json leaves out: no key twice in an object, no
/// number that is not an integer. Nesting stays bounded by serde_json's recursion limit.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json reads every number with a fraction or an exponent, and every integer
        // beyond 64 bits, as a float.
        Err(E::custom(format!(
            "the number {} is not an integer (every number of a bundle is one, written without \
             a fraction or an exponent)",
            Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom(format!(
                    "the key \"{}\" is given twice in one object",
                    k.escape_debug()
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

fn field<'a>(obj: &'a Map<String, Value>, at: &str, key: &str) -> Result<&'a Value, BundleError> {
    obj.get(key).ok_or_else(|| BundleError::Field {
        at: at.to_string(),
        why: format!("has no field \"{key}\""),
    })
}

/// Refuses a field the format does not define for this object.
fn only(obj: &Map<String, Value>, at: &str, known: &[&str]) -> Result<(), BundleError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(wrong(
            at,
            &format!(
                "has the field \"{}\", which the format does not define",
                k.escape_debug()
            ),
        )),
        None => Ok(()),
    }
}

fn wrong(at: &str, why: &str) -> BundleError {
    BundleError::Field {
        at: at.to_string(),
        why: why.to_string(),
    }
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, BundleError> {
    v.as_object()
        .ok_or_else(|| wrong(at, "is not a JSON object"))
}

fn array<'a>(v: &'a Value, at: &str) -> Result<&'a Vec<Value>, BundleError> {
    v.as_array().ok_or_else(|| wrong(at, "is not a list"))
}

fn string<'a>(v: &'a Value, at: &str) -> Result<&'a str, BundleError> {
    v.as_str().ok_or_else(|| wrong(at, "is not a string"))
}

/// Lower-case hex (the only case Council writes), as text.
fn lower_hex<'a>(v: &'a Value, at: &str) -> Result<&'a str, BundleError> {
    let s = string(v, at)?;
    if s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(s)
    } else if s.bytes().all(|c| c.is_ascii_hexdigit()) {
        Err(wrong(
            at,
            "is hexadecimal in upper case: the format writes lower case only",
        ))
    } else {
        Err(wrong(at, "is not hexadecimal"))
    }
}

fn hex_at(v: &Value, at: &str) -> Result<Vec<u8>, BundleError> {
    unhex(lower_hex(v, at)?)
        .ok_or_else(|| wrong(at, "is not hexadecimal (an odd number of digits)"))
}

fn hash_at(v: &Value, at: &str) -> Result<Hash, BundleError> {
    Hash::from_hex(lower_hex(v, at)?).ok_or_else(|| wrong(at, "is not 64 hexadecimal digits"))
}

fn key_at(v: &Value, at: &str) -> Result<MemberId, BundleError> {
    MemberId::from_hex(lower_hex(v, at)?).map_err(|e| wrong(at, &e.to_string()))
}

fn parse_item(index: usize, v: &Value) -> Result<Item, BundleError> {
    let bytes = hex_at(v, &format!("items[{index}]"))?;
    Item::from_bytes(&bytes).map_err(|why| BundleError::Item { index, why })
}

fn parse_poll(at: &str, v: &Value) -> Result<BundlePoll, BundleError> {
    let o = object(v, at)?;
    only(o, at, POLL)?;
    let get = |key: &str| field(o, at, key);
    let close = match get("close")? {
        Value::Null => None,
        c => Some(hex_at(c, &format!("{at}.close"))?),
    };
    let ballots = array(get("ballots")?, &format!("{at}.ballots"))?
        .iter()
        .enumerate()
        .map(|(i, b)| hex_at(b, &format!("{at}.ballots[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BundlePoll {
        session: hash_at(get("session")?, &format!("{at}.session"))?,
        poll: hash_at(get("poll")?, &format!("{at}.poll"))?,
        title: string(get("title")?, &format!("{at}.title"))?.to_string(),
        context: parse_context(get("context")?, &format!("{at}.context"))?,
        open: hex_at(get("open")?, &format!("{at}.open"))?,
        close,
        ballots,
    })
}

/// Reads a context spelled as in the test vectors. Speaking times are not part of it (no tally
/// depends on them): they are left at zero.
fn parse_context(v: &Value, at: &str) -> Result<BodyContext, BundleError> {
    let o = object(v, at)?;
    only(o, at, CONTEXT)?;
    let get = |key: &str| field(o, at, key);
    let seats = get("seats")?
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| wrong(&format!("{at}.seats"), "is not a number of seats"))?;
    let allow = get("allow_poll_override")?
        .as_bool()
        .ok_or_else(|| wrong(&format!("{at}.allow_poll_override"), "is not true or false"))?;
    Ok(BodyContext {
        council: hash_at(get("council")?, &format!("{at}.council"))?,
        seats,
        quorum: threshold(get("quorum")?, &format!("{at}.quorum"))?,
        default_majority: parse_rule(get("default_majority")?, &format!("{at}.default_majority"))?,
        allow_poll_override: allow,
        speech: SpeechLimits {
            speech: 0,
            pro: 0,
            contra: 0,
            reply: 0,
            point_of_order: 0,
        },
        chairs: keys(get("chairs")?, &format!("{at}.chairs"))?,
        voters: keys(get("voters")?, &format!("{at}.voters"))?,
    })
}

fn parse_rule(v: &Value, at: &str) -> Result<MajorityRule, BundleError> {
    let o = object(v, at)?;
    only(o, at, RULE)?;
    let base_at = format!("{at}.base");
    let name = string(field(o, at, "base")?, &base_at)?;
    let base = Base::ALL
        .into_iter()
        .find(|b| b.name() == name)
        .ok_or_else(|| wrong(&base_at, "is not a majority base"))?;
    Ok(MajorityRule {
        threshold: threshold(field(o, at, "threshold")?, &format!("{at}.threshold"))?,
        base,
    })
}

fn threshold(v: &Value, at: &str) -> Result<Threshold, BundleError> {
    let name = string(v, at)?;
    Threshold::ALL
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(|| wrong(at, "is not a threshold"))
}

/// A set of keys, given as a list in which each key appears once (in any order).
fn keys(v: &Value, at: &str) -> Result<BTreeSet<MemberId>, BundleError> {
    let mut out = BTreeSet::new();
    for (i, k) in array(v, at)?.iter().enumerate() {
        let here = format!("{at}[{i}]");
        if !out.insert(key_at(k, &here)?) {
            return Err(wrong(&here, "lists a key already listed"));
        }
    }
    Ok(out)
}
