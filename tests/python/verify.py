#!/usr/bin/env python3
"""An independent verifier of Council poll tallies, written from docs/format.md alone.

Usage: verify.py [docs/test-vectors.json]
       verify.py --bundle FILE
Recomputes the report of every vector and compares it with the expected one.
Prints one line per mismatch and a final line "N passed, M failed"; exits 1 on any mismatch.

With --bundle, verifies every poll of a signed bundle (docs/format.md section 10) against the
context the bundle states for it, after checking that the council id is the hash of the bundle's
genesis and that the context and the poll's statements all name that council. Prints one line
per poll and a final line "N polls verified, M failed"; exits 1 if any poll fails or the file is
not a bundle.
"""

import hashlib
import json
import struct
import sys

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

SIGN_STATEMENT = b"council/v1/sign/statement\0"
SIGN_BALLOT = b"council/v1/sign/ballot\0"
ID_STATEMENT = b"council/v1/id/statement\0"
ID_BALLOT = b"council/v1/id/ballot\0"
ID_COUNTED = b"council/v1/id/counted\0"
ID_GENESIS = b"council/v1/id/genesis\0"
BUNDLE_FORMAT = "council-bundle/1"

THRESHOLDS = ["more-than-half", "two-thirds", "three-quarters", "four-fifths", "unanimous"]
BASES = ["votes-for-against", "votes-cast", "present", "all-seats"]
CHOICES = ["for", "against", "abstain"]
CHECKS = [
    "open-statement", "signatures", "ballots-bound-to-poll", "eligibility",
    "one-vote-per-deputy", "close-statement", "close-commitment", "counts", "outcome",
]


class Malformed(Exception):
    pass


def sha(prefix, data):
    return hashlib.sha256(prefix + data).digest()


def required(threshold, base):
    b = base
    if threshold == 0:
        r = b // 2 + 1
    elif threshold == 1:
        r = -(-2 * b // 3)
    elif threshold == 2:
        r = -(-3 * b // 4)
    elif threshold == 3:
        r = -(-4 * b // 5)
    else:
        r = b
    return max(r, 1)


class Reader:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def take(self, n):
        if self.i + n > len(self.d):
            raise Malformed("truncated")
        out = self.d[self.i:self.i + n]
        self.i += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def h(self):
        return self.take(32)

    def length(self, maxn):
        n = self.u32()
        if n > maxn:
            raise Malformed("too long")
        return n

    def bytes_(self, maxn):
        return self.take(self.length(maxn))

    def str_(self, maxn):
        b = self.bytes_(maxn)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("utf-8")

    def option(self, f):
        t = self.u8()
        if t == 0:
            return None
        if t == 1:
            return f()
        raise Malformed("option tag")

    def sorted_list(self, maxn, f):
        n = self.length(maxn)
        v = [f() for _ in range(n)]
        if any(v[k] >= v[k + 1] for k in range(len(v) - 1)):
            raise Malformed("unsorted")
        return v

    def end(self):
        if self.i != len(self.d):
            raise Malformed("trailing bytes")


def wire(data, maxn):
    r = Reader(data)
    body = r.bytes_(maxn)
    sig = r.take(64)
    r.end()
    return body, sig


def decode_statement(data):
    body, sig = wire(data, 1024 * 1024)
    r = Reader(body)
    if r.u8() != 1:
        raise Malformed("version")
    st = {"council": r.h(), "session": r.h(), "author": r.h()}
    st["parents"] = r.sorted_list(64, r.h)
    st["time"] = r.u64()
    kind = r.u8()
    st["kind"] = kind
    if kind == 0:
        b = r.u8()
        if b == 1:
            r.h()
        elif b != 0:
            raise Malformed("body")
        heads = r.sorted_list(64, r.h)
        if not heads:
            raise Malformed("no log heads")
        r.str_(512)
        for _ in range(r.length(1024)):
            r.str_(4096)
            r.option(r.h)
    elif kind == 1:
        pass
    elif kind in (2, 3):
        r.h()
    elif kind in (4, 5, 6):
        r.u32()
    elif kind in (7, 12):
        r.u32()
        r.str_(4096)
    elif kind == 8:
        r.u32()
        if r.u8() > 4:
            raise Malformed("floor kind")
    elif kind in (9, 10, 11):
        r.h()
    elif kind == 13:
        st["item"] = r.u32()
        st["doc"] = r.h()
        st["version"] = r.sorted_list(256, r.h)
        st["title"] = r.str_(4096)
        th, base = r.u8(), r.u8()
        if th > 4 or base > 3:
            raise Malformed("rule")
        st["rule"] = (th, base)
        st["seats"] = r.u32()
        st["quorum_needed"] = r.u32()
        st["eligible"] = r.sorted_list(1024, r.h)
        st["recused"] = r.sorted_list(1024, r.h)
    elif kind == 14:
        st["poll"] = r.h()
        st["counted"] = r.sorted_list(4096, r.h)
        st["counts"] = (r.u32(), r.u32(), r.u32())
        st["present"] = r.sorted_list(1024, r.h)
        o = r.u8()
        if o > 1:
            raise Malformed("outcome")
        st["outcome"] = o
    else:
        raise Malformed("kind")
    r.end()
    opening = kind == 0
    if opening and (st["session"] != bytes(32) or st["parents"]):
        raise Malformed("opening")
    if not opening and not st["parents"]:
        raise Malformed("parents")
    st["id"] = sha(ID_STATEMENT, body)
    st["body"] = body
    st["sig"] = sig
    return st


def decode_ballot(data):
    body, sig = wire(data, 70)
    r = Reader(body)
    if r.u8() != 1:
        raise Malformed("version")
    b = {"poll": r.h(), "voter": r.h(), "seq": r.u32(), "choice": r.u8()}
    if b["choice"] > 2:
        raise Malformed("choice")
    r.end()
    b["id"] = sha(ID_BALLOT, body)
    b["body"] = body
    b["sig"] = sig
    return b


def sig_ok(key, prefix, body, sig):
    try:
        VerifyKey(key).verify(prefix + body, sig)
        return True
    except (BadSignatureError, ValueError, Exception):
        return False


def hx(b):
    return b.hex()


def verify(ctx, open_hex, close_hex, ballots_hex):
    council = bytes.fromhex(ctx["council"])
    seats = ctx["seats"]
    quorum = THRESHOLDS.index(ctx["quorum"])
    default = (THRESHOLDS.index(ctx["default_majority"]["threshold"]),
               BASES.index(ctx["default_majority"]["base"]))
    allow = ctx["allow_poll_override"]
    chairs = {bytes.fromhex(x) for x in ctx["chairs"]}
    voters = {bytes.fromhex(x) for x in ctx["voters"]}
    quorum_needed = required(quorum, seats)

    # Step 1: decode.
    try:
        op = decode_statement(bytes.fromhex(open_hex))
    except Malformed:
        return {"error": "malformed-open"}
    if op["kind"] != 13:
        return {"error": "not-a-poll"}
    cl = None
    if close_hex is not None:
        try:
            cl = decode_statement(bytes.fromhex(close_hex))
        except Malformed:
            return {"error": "malformed-close"}
    poll = op["id"]
    eligible = set(op["eligible"])
    recused = set(op["recused"])

    # Step 2: signatures.
    open_sig = sig_ok(op["author"], SIGN_STATEMENT, op["body"], op["sig"])
    close_sig = None if cl is None else sig_ok(cl["author"], SIGN_STATEMENT, cl["body"], cl["sig"])

    # Step 3: known ballots.
    rejected = []
    known = {}  # id -> (ballot, signed)
    for i, bh in enumerate(ballots_hex):
        try:
            b = decode_ballot(bytes.fromhex(bh))
        except Malformed:
            rejected.append({"item": "#%d" % i, "reason": "malformed"})
            continue
        ok = sig_ok(b["voter"], SIGN_BALLOT, b["body"], b["sig"])
        if b["id"] in known:
            prev, pok = known[b["id"]]
            known[b["id"]] = (prev, pok or ok)
        else:
            known[b["id"]] = (b, ok)
    valid = {}
    for bid, (b, signed) in known.items():
        if b["poll"] != poll:
            reason = "other-poll"
        elif b["voter"] not in eligible:
            reason = "not-eligible"
        elif not signed:
            reason = "bad-signature"
        else:
            valid[bid] = b
            continue
        rejected.append({"item": "ballot:" + hx(bid), "reason": reason})
    slots = {}
    for bid, b in valid.items():
        slots.setdefault((b["voter"], b["seq"]), []).append(bid)
    evidence = []
    for (voter, seq), ids in sorted(slots.items()):
        if len(ids) > 1:
            ids = sorted(ids)
            for bid in ids:
                del valid[bid]
                rejected.append({"item": "ballot:" + hx(bid), "reason": "equivocation"})
            evidence.append({"voter": hx(voter), "seq": seq, "ballots": [hx(x) for x in ids]})
    rejected.sort(key=lambda x: x["item"].encode())

    # Step 4: checks.
    def result(off, applicable=True):
        if not applicable:
            return ("not-applicable", [])
        off = sorted(set(off), key=lambda s: s.encode())
        return ("fail", off) if off else ("pass", [])

    o_off = []
    if op["council"] != council:
        o_off.append("wrong-council")
    if op["author"] not in chairs:
        o_off.append("author-not-chair")
    if op["seats"] != seats:
        o_off.append("seats")
    if op["quorum_needed"] != quorum_needed:
        o_off.append("quorum-needed")
    if op["rule"] != default and not allow:
        o_off.append("rule-not-allowed")
    for m in op["eligible"] + op["recused"]:
        if m not in voters:
            o_off.append("not-a-voter:" + hx(m))
    for m in op["recused"]:
        if m in eligible:
            o_off.append("eligible-and-recused:" + hx(m))
    if len(op["eligible"]) + len(op["recused"]) < quorum_needed:
        o_off.append("no-quorum")

    s_off = []
    if not open_sig:
        s_off.append("open")
    if close_sig is False:
        s_off.append("close")

    checks = {}
    checks["open-statement"] = result(o_off)
    is_close = cl is not None and cl["kind"] == 14
    counted_known = []
    if cl is None:
        for name in CHECKS[2:]:
            checks[name] = result([], False)
    else:
        c_off = []
        if not is_close:
            c_off.append("not-a-close")
        else:
            if cl["council"] != council:
                c_off.append("wrong-council")
            if cl["session"] != op["session"]:
                c_off.append("wrong-session")
            if cl["poll"] != poll:
                c_off.append("wrong-poll")
            if cl["author"] not in chairs:
                c_off.append("author-not-chair")
            for m in cl["present"]:
                if m not in voters:
                    c_off.append("not-a-voter:" + hx(m))
        checks["close-statement"] = result(c_off)
        bound, elig, unknown, per_voter = [], [], [], {}
        tally = [0, 0, 0]
        if is_close:
            for bid in cl["counted"]:
                if bid not in known:
                    unknown.append("unknown-ballot:" + hx(bid))
                    continue
                b, signed = known[bid]
                counted_known.append((b, signed))
                if not signed:
                    s_off.append("ballot:" + hx(bid))
                if b["poll"] != poll:
                    bound.append("ballot:" + hx(bid))
                if b["voter"] not in eligible:
                    elig.append("ballot:" + hx(bid))
                per_voter[b["voter"]] = per_voter.get(b["voter"], 0) + 1
                tally[b["choice"]] += 1
        one = ["member:" + hx(m) for m, n in per_voter.items() if n > 1]
        cnt, out = [], []
        if is_close:
            for name, k in (("for", 0), ("against", 1), ("abstain", 2)):
                if cl["counts"][k] != tally[k]:
                    cnt.append(name)
            f, a, ab = cl["counts"]
            th, base = op["rule"]
            b = [f + a, f + a + ab, len(op["eligible"]), op["seats"]][base]
            majority = f >= required(th, b)
            quorum_ok = len(cl["present"]) >= op["quorum_needed"]
            if cl["outcome"] == 1 and not quorum_ok:
                out.append("no-quorum-at-close")
            elif cl["outcome"] == 1 and not majority:
                out.append("majority-not-met")
            elif cl["outcome"] == 0 and majority and quorum_ok:
                out.append("majority-met")
        checks["ballots-bound-to-poll"] = result(bound, is_close)
        checks["eligibility"] = result(elig, is_close)
        checks["one-vote-per-deputy"] = result(one, is_close)
        checks["close-commitment"] = result(unknown, is_close)
        checks["counts"] = result(cnt, is_close)
        checks["outcome"] = result(out, is_close)
    checks["signatures"] = result(s_off)

    # Step 5: results.
    votes = {}
    uncounted = []
    if cl is not None:
        counts = {"for": 0, "against": 0, "abstain": 0}
        for b, _ in counted_known:
            counts[CHOICES[b["choice"]]] += 1
        best = {}
        for b, signed in counted_known:
            v = b["voter"]
            best[v] = max(best.get(v, b["seq"]), b["seq"])
            if not signed or b["poll"] != poll:
                continue
            if v not in votes or b["seq"] > votes[v][0]:
                votes[v] = (b["seq"], b["choice"])
        counted_set = set(cl["counted"]) if is_close else set()
        for bid in sorted(valid):
            if bid in counted_set:
                continue
            b = valid[bid]
            sup = b["voter"] in best and best[b["voter"]] > b["seq"]
            uncounted.append({"ballot": hx(bid), "voter": hx(b["voter"]), "seq": b["seq"],
                              "reason": "superseded" if sup else "not-counted"})
        outcome = ["not-adopted", "adopted"][cl["outcome"]] if is_close else None
        ids = cl["counted"] if is_close else []
        counted_hash = hx(sha(ID_COUNTED, b"".join(sorted(ids))))
    else:
        for bid in sorted(valid):
            b = valid[bid]
            v = b["voter"]
            if v not in votes or b["seq"] > votes[v][0]:
                votes[v] = (b["seq"], b["choice"])
        counts = {"for": 0, "against": 0, "abstain": 0}
        for _, ch in votes.values():
            counts[CHOICES[ch]] += 1
        outcome = None
        counted_hash = None

    table = []
    for m in sorted(voters | eligible | recused):
        if m in recused:
            r = "recused"
        elif m in eligible and m in votes:
            r = CHOICES[votes[m][1]]
        elif m in eligible:
            r = "did-not-vote"
        else:
            r = "absent"
        table.append({"member": hx(m), "result": r})

    check_list = [{"name": n, "result": checks[n][0], "offending": checks[n][1]} for n in CHECKS]
    return {
        "poll": hx(poll),
        "closed": cl is not None,
        "verified": all(c["result"] != "fail" for c in check_list),
        "checks": check_list,
        "counts": counts,
        "outcome": outcome,
        "counted_hash": counted_hash,
        "table": table,
        "uncounted": uncounted,
        "rejected": rejected,
        "evidence": evidence,
    }


class NotABundle(Exception):
    pass


def load_bundle(path):
    """Reads a bundle and checks its frame: format, council id = hash of the genesis body."""
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except OSError as e:
        raise NotABundle("cannot read: %s" % e)
    except (UnicodeDecodeError, ValueError) as e:
        raise NotABundle("not JSON: %s" % e)
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise NotABundle("format is %r, not %r" % (
            data.get("format") if isinstance(data, dict) else None, BUNDLE_FORMAT))
    try:
        council = bytes.fromhex(data["council"])
        body, _sig = wire(bytes.fromhex(data["genesis"]), 64 * 1024)
        polls = data["polls"]
    except (KeyError, TypeError, ValueError, Malformed) as e:
        raise NotABundle("council, genesis or polls missing or malformed: %r" % (e,))
    if len(council) != 32 or sha(ID_GENESIS, body) != council:
        raise NotABundle("the council id is not the hash of the genesis")
    if not isinstance(polls, list):
        raise NotABundle("polls is not a list")
    return council, polls


def council_problems(council, p):
    """The ways a poll's context and statements fail to name the bundle's council."""
    problems = []
    if p["context"]["council"] != council.hex():
        problems.append("the context names another council")
    for name in ("open", "close"):
        if p[name] is None:
            continue
        try:
            st = decode_statement(bytes.fromhex(p[name]))
        except (Malformed, ValueError):
            continue  # the tally verification reports it
        if st["council"] != council:
            problems.append("the %s statement names another council" % name)
    return problems


def summary(report):
    if "error" in report:
        return report["error"]
    c = report["counts"]
    line = "%d for, %d against, %d abstain" % (c["for"], c["against"], c["abstain"])
    if report["outcome"]:
        line += ", " + report["outcome"]
    elif not report["closed"]:
        line += ", still open"
    failed = ["%s (%s)" % (k["name"], ", ".join(k["offending"]))
              for k in report["checks"] if k["result"] == "fail"]
    if failed:
        line += "; failed: " + "; ".join(failed)
    return line


def verify_bundle(path):
    try:
        council, polls = load_bundle(path)
    except NotABundle as e:
        print("%s: %s" % (path, e))
        return 1
    verified = failed = 0
    for i, p in enumerate(polls):
        try:
            problems = council_problems(council, p)
            report = verify(p["context"], p["open"], p["close"], p["ballots"])
        except (KeyError, TypeError, ValueError) as e:
            print("FAIL poll #%d: malformed entry (%r)" % (i, e))
            failed += 1
            continue
        if "error" not in report and report["poll"] != p["poll"]:
            problems.append("the poll id is not the open statement's id")
        ok = "error" not in report and report["verified"] and not problems
        verified, failed = verified + ok, failed + (not ok)
        print("%s %s %s: %s%s" % ("ok  " if ok else "FAIL", p["poll"][:16], p["title"],
                                  summary(report), "".join("; " + x for x in problems)))
    print("%d polls verified, %d failed" % (verified, failed))
    return 1 if failed else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--bundle":
        if len(sys.argv) != 3:
            print("usage: verify.py --bundle FILE")
            return 2
        return verify_bundle(sys.argv[2])
    path = sys.argv[1] if len(sys.argv) > 1 else "docs/test-vectors.json"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    passed = failed = 0
    for v in data["vectors"]:
        got = verify(v["context"], v["open"], v["close"], v["ballots"])
        if got == v["expected"]:
            passed += 1
        else:
            failed += 1
            print("MISMATCH %s" % v["name"])
            for k in sorted(set(got) | set(v["expected"])):
                if got.get(k) != v["expected"].get(k):
                    print("  %s: got %r, expected %r" % (k, got.get(k), v["expected"].get(k)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
