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

/// Whether a point's encoding may go into a batch: it is canonical and decodes to a point with
/// no small-order component. A batch checks a random combination of the signatures' equations,
/// and a torsion component can vanish from it (an even coefficient kills an order-2 point) while
/// strict verification, which checks each equation exactly, refuses it; a non-canonical `R`
/// decodes to the same point as its canonical form, which strict verification also refuses.
/// Anything else is checked alone, strictly, so the verdict never depends on the batch.
fn batchable(point: &[u8; 32]) -> bool {
    let c = curve25519_dalek::edwards::CompressedEdwardsY(*point);
    match c.decompress() {
        Some(p) => p.compress() == c && p.is_torsion_free() && !p.is_small_order(),
        None => false,
    }
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
    // Jobs whose key decodes and whose points are batchable go to the batch; the rest are
    // checked alone, strictly; a key that does not decode (or is weak) fails.
    let mut idx = Vec::with_capacity(jobs.len());
    let mut msgs: Vec<Vec<u8>> = Vec::with_capacity(jobs.len());
    let mut sigs = Vec::with_capacity(jobs.len());
    let mut vks = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        let Some(Some(k)) = keys.get(j.key) else {
            continue;
        };
        let mut m = Vec::with_capacity(j.domain.prefix().len() + j.body.len());
        m.extend_from_slice(j.domain.prefix());
        m.extend_from_slice(j.body);
        let mut r = [0u8; 32];
        r.copy_from_slice(&j.sig[..32]);
        if !batchable(&r) || !batchable(j.key) {
            out[i] = k
                .verify_strict(&m, &DalekSignature::from_bytes(j.sig))
                .is_ok();
            continue;
        }
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
        let mut point = [0u8; 32];
        point.copy_from_slice(&r[..32]);
        assert!(!batchable(&point));
        let key = SecretKey::from_bytes(&[1; 32]).member_id().0;
        let job = SigJob {
            key: &key,
            domain: Domain::Ballot,
            body: b"x",
            sig: &r,
        };
        assert_eq!(verify_all(&[job], 1), vec![false]);
    }

    /// A signature whose `R` carries an order-2 component: its equation is off by exactly that
    /// point, which a batch's random combination drops whenever the signature's coefficient is
    /// even. Strict verification (and PyNaCl) refuse it.
    fn torsioned_signature(body: &[u8]) -> ([u8; 32], [u8; 64]) {
        use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
        use curve25519_dalek::edwards::CompressedEdwardsY;
        use curve25519_dalek::scalar::Scalar;
        use sha2::{Digest, Sha512};
        let signing = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let a = signing.to_scalar();
        let public = signing.verifying_key().to_bytes();
        let mut minus_one = [0xffu8; 32];
        minus_one[0] = 0xec;
        minus_one[31] = 0x7f;
        let t = CompressedEdwardsY(minus_one)
            .decompress()
            .expect("(0, -1) is on the curve");
        assert!(t.is_small_order());
        let r = Scalar::from(123_456_789u64);
        let big_r = (ED25519_BASEPOINT_POINT * r + t).compress().to_bytes();
        let mut h = Sha512::new();
        h.update(big_r);
        h.update(public);
        h.update(Domain::Ballot.prefix());
        h.update(body);
        let wide: [u8; 64] = h.finalize().into();
        let k = Scalar::from_bytes_mod_order_wide(&wide);
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&big_r);
        sig[32..].copy_from_slice(s.as_bytes());
        (public, sig)
    }

    #[test]
    fn a_small_order_component_in_r_is_refused_in_every_batch_composition() {
        let (bad_key, bad_sig) = torsioned_signature(b"x");
        let vk = VerifyingKey::from_bytes(&bad_key).expect("key");
        let mut msg = Domain::Ballot.prefix().to_vec();
        msg.extend_from_slice(b"x");
        assert!(
            vk.verify_strict(&msg, &DalekSignature::from_bytes(&bad_sig))
                .is_err(),
            "strict verification refuses it"
        );
        let keys: Vec<SecretKey> = (0..48u8).map(|i| SecretKey::from_bytes(&[i; 32])).collect();
        let ids: Vec<[u8; 32]> = keys.iter().map(|k| k.member_id().0).collect();
        let sigs: Vec<[u8; 64]> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| k.sign(Domain::Ballot, &[i as u8]).0)
            .collect();
        let bodies: Vec<[u8; 1]> = (0..48u8).map(|i| [i]).collect();
        // Different batch sizes and positions give different batch coefficients.
        for n in 9..48 {
            for pos in [0, n / 2, n - 1] {
                let mut jobs: Vec<SigJob<'_>> = (0..n)
                    .map(|i| SigJob {
                        key: &ids[i],
                        domain: Domain::Ballot,
                        body: &bodies[i],
                        sig: &sigs[i],
                    })
                    .collect();
                jobs[pos] = SigJob {
                    key: &bad_key,
                    domain: Domain::Ballot,
                    body: b"x",
                    sig: &bad_sig,
                };
                let r = verify_all(&jobs, 1);
                assert!(!r[pos], "counted in a batch of {n} at {pos}");
                assert_eq!(r.iter().filter(|ok| !**ok).count(), 1);
            }
        }
    }
}
