//! Signature checks in bulk: batch verification with a strict fallback, decoded keys cached,
//! optionally spread over several threads.

use std::collections::HashMap;

use ed25519_dalek::{Signature as DalekSignature, VerifyingKey};

use crate::identity::Domain;

/// One signature to check.
#[derive(Debug, Clone, Copy)]
pub struct SigJob<'a> {
    /// The signer's public key.
    pub key: &'a [u8; 32],
    /// What the signature is for.
    pub domain: Domain,
    /// The signed body (the domain prefix is prepended here).
    pub body: &'a [u8],
    /// The signature.
    pub sig: &'a [u8; 64],
}

/// Batches are split into halves on failure until they are this small, then checked one by one.
const LEAF: usize = 8;
/// Signatures per batch call.
const CHUNK: usize = 4096;

/// Encodings of the identity point (y = 1, or the non-canonical y = p + 1, either sign bit): an
/// `R` that strict verification refuses but a batch equation could accept.
fn is_identity_encoding(r: &[u8]) -> bool {
    let mut y = [0u8; 32];
    y.copy_from_slice(&r[..32]);
    y[31] &= 0x7f;
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut p_plus_one = [0xffu8; 32];
    p_plus_one[0] = 0xee;
    p_plus_one[31] = 0x7f;
    y == one || y == p_plus_one
}

/// Checks every job; `result[i]` says whether job `i` verifies under strict ed25519 rules
/// (canonical `s`, no small-order key). Valid inputs are checked in batches; a failing batch is
/// bisected down to single strict checks, so the verdict of each job never depends on the others.
pub fn verify_all(jobs: &[SigJob<'_>], threads: usize) -> Vec<bool> {
    let mut keys: HashMap<[u8; 32], Option<VerifyingKey>> = HashMap::new();
    for j in jobs {
        keys.entry(*j.key).or_insert_with(|| {
            VerifyingKey::from_bytes(j.key)
                .ok()
                .filter(|k| !k.is_weak())
        });
    }
    let mut out = vec![false; jobs.len()];
    let threads = threads.clamp(1, 64);
    if threads == 1 || jobs.len() < 2 * CHUNK {
        verify_range(jobs, &keys, &mut out);
        return out;
    }
    let per = jobs.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (js, os) in jobs.chunks(per).zip(out.chunks_mut(per)) {
            let keys = &keys;
            s.spawn(move || verify_range(js, keys, os));
        }
    });
    out
}

fn verify_range(
    jobs: &[SigJob<'_>],
    keys: &HashMap<[u8; 32], Option<VerifyingKey>>,
    out: &mut [bool],
) {
    // Jobs whose key decodes and whose R is not the identity go to the batch; others fail.
    let mut idx = Vec::with_capacity(jobs.len());
    let mut msgs: Vec<Vec<u8>> = Vec::with_capacity(jobs.len());
    let mut sigs = Vec::with_capacity(jobs.len());
    let mut vks = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        let Some(Some(k)) = keys.get(j.key) else {
            continue;
        };
        if is_identity_encoding(&j.sig[..32]) {
            continue;
        }
        let mut m = Vec::with_capacity(j.domain.prefix().len() + j.body.len());
        m.extend_from_slice(j.domain.prefix());
        m.extend_from_slice(j.body);
        idx.push(i);
        msgs.push(m);
        sigs.push(DalekSignature::from_bytes(j.sig));
        vks.push(*k);
    }
    let mut ok = vec![false; idx.len()];
    let mut start = 0;
    while start < idx.len() {
        let end = (start + CHUNK).min(idx.len());
        check(
            &msgs[start..end],
            &sigs[start..end],
            &vks[start..end],
            &mut ok[start..end],
        );
        start = end;
    }
    for (n, i) in idx.into_iter().enumerate() {
        out[i] = ok[n];
    }
}

fn check(msgs: &[Vec<u8>], sigs: &[DalekSignature], vks: &[VerifyingKey], ok: &mut [bool]) {
    if msgs.is_empty() {
        return;
    }
    if msgs.len() <= LEAF {
        for i in 0..msgs.len() {
            ok[i] = vks[i].verify_strict(&msgs[i], &sigs[i]).is_ok();
        }
        return;
    }
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    if ed25519_dalek::verify_batch(&refs, sigs, vks).is_ok() {
        ok.fill(true);
        return;
    }
    let mid = msgs.len() / 2;
    let (ol, or) = ok.split_at_mut(mid);
    check(&msgs[..mid], &sigs[..mid], &vks[..mid], ol);
    check(&msgs[mid..], &sigs[mid..], &vks[mid..], or);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::SecretKey;

    #[test]
    fn a_bad_signature_in_a_batch_fails_alone() {
        let keys: Vec<SecretKey> = (0..40u8).map(|i| SecretKey::from_bytes(&[i; 32])).collect();
        let ids: Vec<[u8; 32]> = keys.iter().map(|k| k.member_id().0).collect();
        let mut sigs: Vec<[u8; 64]> = keys
            .iter()
            .map(|k| k.sign(Domain::Ballot, b"x").0)
            .collect();
        sigs[17][5] ^= 1;
        let jobs: Vec<SigJob<'_>> = (0..40)
            .map(|i| SigJob {
                key: &ids[i],
                domain: Domain::Ballot,
                body: b"x",
                sig: &sigs[i],
            })
            .collect();
        for threads in [1, 2] {
            let r = verify_all(&jobs, threads);
            assert_eq!(r.iter().filter(|b| !**b).count(), 1);
            assert!(!r[17]);
        }
    }

    #[test]
    fn a_signature_with_the_identity_as_r_is_refused() {
        let mut r = [0u8; 64];
        r[0] = 1;
        assert!(is_identity_encoding(&r[..32]));
        let key = SecretKey::from_bytes(&[1; 32]).member_id().0;
        let job = SigJob {
            key: &key,
            domain: Domain::Ballot,
            body: b"x",
            sig: &r,
        };
        assert_eq!(verify_all(&[job], 1), vec![false]);
    }
}
