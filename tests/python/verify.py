#!/usr/bin/env python3
"""An independent verifier of Council poll tallies and signed bundles, written from
docs/format.md alone.

Usage: verify.py [VECTORS]     (default: docs/test-vectors.json of this script's repository)
       verify.py --bundle FILE [--json]
Recomputes the report of every vector and compares it with the expected one.
Prints one line per mismatch and a final line "N passed, M failed"; exits 1 on any mismatch.

With --bundle, checks everything section 10 defines: the frame (the genesis decodes, is valid
and signed, and is what the council id names; every item decodes: log operations of every
kind, document-change envelopes with the pre-scan of their change chunk, statements,
ballots); the replay of the log (depth, (depth, id) order, step 4's checks for every kind
including the document rules, names, and step 6's revocations, with the void operations
listed), of the document changes (as far as the spec goes without automerge) and of every
session (section 6: statements applied or ignored, polls, closes, ballots accepted); each
listed poll's tally (section 7) against its stated context; the agreement checks context,
open, close, ballots, document, version and session of each poll with what the items imply;
and each session's minutes hash and approvals. Prints the problems, the void operations, the
ignored statements and ballots, one line per poll and a final line "N polls verified, M
failed"; with --json, the result in the shape `council verify --bundle FILE --json` prints
(tests/python/compare.py compares the two, tests/python/bundle_vectors.py checks it against
docs/bundle-vectors.json). Exits 1 unless the bundle passes. Where the spec is silent, the
choices made are listed in tests/python/SPEC-GAPS.md.

Input is read strictly: a JSON document of at most --max-bytes bytes of UTF-8, nested at most
MAX_DEPTH deep, with no duplicate key in an object and no number that is not an integer (no
fraction, exponent, NaN or Infinity); every field the spec names must be present with its type
(integers are JSON integers, never booleans; booleans are true/false; bytes are lower-case hex
of the exact length the spec gives) and no other field may appear. Anything else is refused with
a one-line reason on stderr and exit status 2 (for a bundle: "not a bundle: ..." and status 1,
with or without --json, as section 10 says); see EXIT_STATUS below.
"""

import argparse
import hashlib
import json
import re
import struct
import sys
import traceback
import unicodedata
from pathlib import Path

try:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey
    NACL_ERROR = None
except ImportError as e:  # reported by main(), so that --help works without PyNaCl
    BadSignatureError = VerifyKey = None
    NACL_ERROR = e

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
    "all-ballots-counted",
]
MAX_SEEN = 1024
MAX_BALLOT_BODY = 70 + 4 + 32 * MAX_SEEN

DEFAULT_VECTORS = Path(__file__).resolve().parent.parent.parent / "docs" / "test-vectors.json"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # the vectors are 130 KB; parsing takes up to ~25x
MAX_DEPTH = 32  # the deepest document of the spec (the vector file) nests 7 deep
MAX_INT_DIGITS = 20  # enough for any u64
U32_MAX = 2 ** 32 - 1

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_STATUS = """\
exit status:
  0  every vector matches its expected report / every poll of the bundle passes
  1  a vector does not match, or the bundle does not pass (it is not a bundle: the
     genesis or an item is malformed, the genesis is refused or not what the council id
     names; or the replay found a problem; or a poll's tally or agreement fails)
  2  usage error, or the input cannot be read as the document the spec describes:
     unreadable, larger than --max-bytes, not UTF-8, not JSON, nested deeper than %d,
     a number that is not an integer, a duplicate key, a lone surrogate, a missing,
     unknown or mistyped field, hex that is not lower case or not of the stated length;
     but a bundle file that is readable and no larger than --max-bytes and yet not a
     bundle (any of these, a format other than %s, a malformed item) gives
     one line "not a bundle: ..." on stderr and status 1, as section 10 says
  3  the verifier could not run: PyNaCl is missing, or an internal error (a bug), whose
     reason and location are printed (--traceback prints the whole traceback)
""" % (MAX_DEPTH, BUNDLE_FORMAT)


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

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

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

    def bool_(self):
        v = self.u8()
        if v > 1:
            raise Malformed("bool")
        return v == 1

    def list_(self, maxn, f):
        """A list in any order, repeats allowed."""
        return [f() for _ in range(self.length(maxn))]

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
    st["parents"] = r.sorted_list(1024, r.h)
    st["time"] = r.u64()
    kind = r.u8()
    st["kind"] = kind
    if kind == 0:
        b = r.u8()
        if b == 1:
            st["committee"] = r.h()
        elif b != 0:
            raise Malformed("body")
        st["on"] = b
        heads = r.sorted_list(1024, r.h)
        if not heads:
            raise Malformed("no log heads")
        st["log_heads"] = heads
        st["label"] = r.str_(512)
        st["agenda"] = r.list_(1024, lambda: (r.str_(4096), r.option(r.h)))
    elif kind == 1:
        pass
    elif kind in (2, 3):
        st["member"] = r.h()
    elif kind in (4, 5, 6):
        st["item"] = r.u32()
    elif kind in (7, 12):
        st["item"] = r.u32()
        st["reason"] = r.str_(4096)
    elif kind == 8:
        st["item"] = r.u32()
        st["floor_kind"] = r.u8()
        if st["floor_kind"] > 4:
            raise Malformed("floor kind")
    elif kind in (9, 10, 11):
        st["request"] = r.h()
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
    body, sig = wire(data, MAX_BALLOT_BODY)
    r = Reader(body)
    if r.u8() != 1:
        raise Malformed("version")
    b = {"poll": r.h(), "voter": r.h(), "seq": r.u32(), "choice": r.u8()}
    if b["choice"] > 2:
        raise Malformed("choice")
    b["seen"] = r.sorted_list(MAX_SEEN, r.h)
    if not b["seen"]:
        raise Malformed("a ballot names at least one session head")
    r.end()
    b["id"] = sha(ID_BALLOT, body)
    b["body"] = body
    b["sig"] = sig
    return b


def sig_ok(key, prefix, body, sig):
    try:
        VerifyKey(key).verify(prefix + body, sig)
        return True
    except (BadSignatureError, ValueError):  # a forged signature, or a key that is no point
        return False


def hx(b):
    return b.hex()


def reaches(parents, target, memo, heads):
    """Whether `target` is among `heads` or their ancestors, following the parents of the
    statements held (`parents`: id -> list of ids); `memo` is shared by the questions about one
    target. Iterative: a session may be deeper than Python's recursion limit."""
    for start in heads:
        stack = [start]
        while stack:
            node = stack[-1]
            if node in memo:
                stack.pop()
                continue
            if node == target:
                memo[node] = True
                stack.pop()
                continue
            pending = [p for p in parents.get(node, ()) if p not in memo]
            if any(memo.get(p) for p in parents.get(node, ())):
                memo[node] = True
                stack.pop()
            elif not pending:
                memo[node] = False
                stack.pop()
            else:
                stack.extend(pending)
        if memo.get(start):
            return True
    return False


def session_parents(statements_hex, extra):
    """id -> parents of every statement that decodes, for the late / omitted distinction."""
    parents = {}
    for h in statements_hex:
        try:
            st = decode_statement(bytes.fromhex(h))
        except Malformed:
            continue
        parents[st["id"]] = st["parents"]
    for st in extra:
        parents[st["id"]] = st["parents"]
    return parents


def verify(ctx, open_hex, close_hex, ballots_hex, statements_hex=(), held=None):
    """Section 7. `held`, when given, is the session's statements already decoded (id ->
    parents), in place of decoding `statements_hex`."""
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
        if held is None:
            parents = session_parents(statements_hex, [op, cl])
        else:
            parents = dict(held)
            parents.update({st["id"]: st["parents"] for st in (op, cl)})
        memo = {}
        for bid in sorted(valid):
            if bid in counted_set:
                continue
            b = valid[bid]
            if b["voter"] in best and best[b["voter"]] > b["seq"]:
                reason = "superseded"
            elif reaches(parents, cl["id"], memo, b["seen"]):
                reason = "late"
            else:
                reason = "omitted"
            uncounted.append({"ballot": hx(bid), "voter": hx(b["voter"]), "seq": b["seq"],
                              "reason": reason})
        omitted = ["ballot:" + u["ballot"] for u in uncounted if u["reason"] == "omitted"]
        checks["all-ballots-counted"] = result(omitted, is_close)
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


# ---------------------------------------------------------------------------------------------
# Reading the input strictly. Everything here raises InputError, never anything else, for any
# input; the verification above only ever sees values of the types the spec gives.


class InputError(Exception):
    """The input cannot be read as the document the spec describes (exit status 2; for a
    bundle, 1: the file is not a bundle, section 10 step 1)."""


class Unreadable(InputError):
    """The file cannot be read at all, or is larger than --max-bytes (exit status 2)."""


def show(s, limit=80):
    """A string made safe for a one-line message: control characters escaped, length bounded."""
    cut = s[:limit]
    cut = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                  for c in cut)
    return cut if len(s) <= limit else cut + "..."


class _NotAnInteger:
    """What the parser makes of a number with a fraction or exponent, NaN, Infinity, or an
    integer of too many digits; refused by _check_tree, which knows where it is."""

    def __init__(self, text, why=None):
        self.why = why or "%s is not an integer (every number of the spec is one)" % show(text, 40)


class _DuplicateKeys(dict):
    """What the parser makes of an object with a key given twice; refused by _check_tree."""

    def __init__(self, key):
        super().__init__()
        self.key = key


def _parse_int(s):
    if len(s.lstrip("-")) > MAX_INT_DIGITS:
        return _NotAnInteger(s, "an integer of more than %d digits" % MAX_INT_DIGITS)
    return int(s)


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            return _DuplicateKeys(k)
        out[k] = v
    return out


_SURROGATE = re.compile("[\ud800-\udfff]")


def _path(node):
    """The location of a value, from the (parent, key) chain _check_tree keeps."""
    keys = []
    while node is not None:
        node, k = node
        keys.append(k)
    out = ""
    for k in reversed(keys):
        out += "[%d]" % k if isinstance(k, int) else ("." if out else "") + show(k, 40)
    return out or "the top level"


def _check_scalar(v, at):
    if isinstance(v, _NotAnInteger):
        raise InputError("%s: %s" % (_path(at), v.why))
    if isinstance(v, str) and _SURROGATE.search(v):
        raise InputError("%s: a lone surrogate (not Unicode text)" % _path(at))


def _check_container(v, depth, at):
    if isinstance(v, _DuplicateKeys):
        raise InputError("%s: duplicate key %r" % (_path(at), show(v.key)))
    if depth > MAX_DEPTH:
        raise InputError("%s: nested deeper than %d levels" % (_path(at), MAX_DEPTH))
    return iter(v.items()) if isinstance(v, dict) else enumerate(v)


def _check_tree(doc):
    """Refuses, with its location, anything the parser let through that JSON as the spec uses
    it does not have: a non-integer number, a duplicate key, nesting deeper than MAX_DEPTH, a
    string that is not Unicode text (a lone surrogate, from a \\u escape). A depth-first walk
    in document order over a stack of at most MAX_DEPTH iterators."""
    if not isinstance(doc, (dict, list)):
        _check_scalar(doc, None)
        return
    stack = [(_check_container(doc, 1, None), 1, None)]
    while stack:
        items, depth, at = stack[-1]
        for k, x in items:
            if type(k) is str and _SURROGATE.search(k):
                raise InputError("%s: a key holds a lone surrogate (not Unicode text)"
                                 % _path(at))
            if isinstance(x, (dict, list)):
                stack.append((_check_container(x, depth + 1, (at, k)), depth + 1, (at, k)))
                break
            _check_scalar(x, (at, k))
        else:
            stack.pop()


def read_json(path, max_bytes):
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise Unreadable("cannot read: %s" % (e.strerror or e))
    if len(data) > max_bytes:
        raise Unreadable("larger than %d bytes (see --max-bytes)" % max_bytes)
    return parse_json(data)


def parse_json(data):
    """The strict reading of read_json, over bytes already read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError("not UTF-8 (byte %d)" % e.start)
    try:
        doc = json.loads(text, parse_float=_NotAnInteger, parse_int=_parse_int,
                         parse_constant=_NotAnInteger, object_pairs_hook=_pairs)
    except RecursionError:
        raise InputError("nested deeper than %d levels" % MAX_DEPTH)
    except json.JSONDecodeError as e:
        raise InputError("not JSON: %s at line %d column %d" % (e.msg, e.lineno, e.colno))
    _check_tree(doc)
    return doc


def _kind(v):
    if v is None:
        return "null"
    return {bool: "a boolean", int: "an integer", str: "a string", list: "an array",
            dict: "an object"}.get(type(v), type(v).__name__)


def want_object(v, where, required, optional=()):
    if type(v) is not dict:
        raise InputError("%s: expected an object, got %s" % (where, _kind(v)))
    for k in v:
        if k not in required and k not in optional:
            raise InputError("%s: unknown field %r" % (where, show(k)))
    for k in required:
        if k not in v:
            raise InputError("%s: missing field %r" % (where, k))
    return v


def want_int(v, where, lo=0, hi=U32_MAX):
    if type(v) is not int:  # bool is a subclass of int: refused here
        raise InputError("%s: expected an integer, got %s" % (where, _kind(v)))
    if not lo <= v <= hi:
        raise InputError("%s: %d is outside %d..%d" % (where, v, lo, hi))
    return v


def want_bool(v, where):
    if type(v) is not bool:
        raise InputError("%s: expected true or false, got %s" % (where, _kind(v)))
    return v


def want_str(v, where):
    if type(v) is not str:
        raise InputError("%s: expected a string, got %s" % (where, _kind(v)))
    return v


def want_name(v, where, names):
    if want_str(v, where) not in names:
        raise InputError("%s: %r is not one of %s" % (where, show(v), ", ".join(names)))
    return v


_LOWER_HEX = re.compile("[0-9a-f]*")


def want_hex(v, where, nbytes=None):
    """Lower-case hex of whole bytes; of exactly nbytes bytes when given."""
    want_str(v, where)
    if not _LOWER_HEX.fullmatch(v):
        if re.fullmatch("[0-9a-fA-F]*", v):
            raise InputError("%s: hex must be lower case" % where)
        raise InputError("%s: not hex" % where)
    if len(v) % 2:
        raise InputError("%s: odd number of hex digits" % where)
    if nbytes is not None and len(v) != 2 * nbytes:
        raise InputError("%s: %d bytes where the spec has %d" % (where, len(v) // 2, nbytes))
    return v


def want_array(v, where):
    if type(v) is not list:
        raise InputError("%s: expected an array, got %s" % (where, _kind(v)))
    return v


def want_hex_list(v, where, nbytes=None):
    for i, x in enumerate(want_array(v, where)):
        want_hex(x, "%s[%d]" % (where, i), nbytes)
    return v


def want_key_set(v, where):
    """A list of 32-byte keys, each at most once (chairs, voters)."""
    want_hex_list(v, where, 32)
    if len(set(v)) != len(v):
        raise InputError("%s: a key is listed twice" % where)
    return v


def want_context(v, where):
    """The poll context of docs/format.md section 3, spelled as in section 9."""
    want_object(v, where, ("council", "seats", "quorum", "default_majority",
                           "allow_poll_override", "chairs", "voters"))
    want_hex(v["council"], where + ".council", 32)
    want_int(v["seats"], where + ".seats")
    want_name(v["quorum"], where + ".quorum", THRESHOLDS)
    rule = want_object(v["default_majority"], where + ".default_majority", ("threshold", "base"))
    want_name(rule["threshold"], where + ".default_majority.threshold", THRESHOLDS)
    want_name(rule["base"], where + ".default_majority.base", BASES)
    want_bool(v["allow_poll_override"], where + ".allow_poll_override")
    want_key_set(v["chairs"], where + ".chairs")
    want_key_set(v["voters"], where + ".voters")
    return v


def want_poll_input(v, where):
    """The fields of a poll's input shared by a vector and a bundle entry (section 7)."""
    want_context(v["context"], where + ".context")
    want_hex(v["open"], where + ".open")
    if v["close"] is not None:
        want_hex(v["close"], where + ".close")
    want_hex_list(v["ballots"], where + ".ballots")
    if "statements" in v:
        want_hex_list(v["statements"], where + ".statements")


def read_vectors(path, max_bytes):
    """The test-vector file of section 9."""
    doc = read_json(path, max_bytes)
    # format and note are in the file the generator writes though section 9 does not name them.
    want_object(doc, "the vector file", ("keys", "vectors"), ("format", "note"))
    for name in ("format", "note"):
        if name in doc:
            want_str(doc[name], name)
    for i, k in enumerate(want_array(doc["keys"], "keys")):
        w = "keys[%d]" % i
        want_object(k, w, ("seed", "public"), ("n",))  # n: likewise written, not specified
        want_hex(k["seed"], w + ".seed", 32)
        want_hex(k["public"], w + ".public", 32)
        if "n" in k:
            want_int(k["n"], w + ".n")
    for i, v in enumerate(want_array(doc["vectors"], "vectors")):
        w = "vectors[%d]" % i
        want_object(v, w, ("name", "description", "context", "statements", "open", "close",
                           "ballots", "expected"))
        want_str(v["name"], w + ".name")
        want_str(v["description"], w + ".description")
        want_poll_input(v, w)
        # The expected report is compared with the computed one, types included (same()).
        if type(v["expected"]) is not dict:
            raise InputError("%s.expected: expected an object, got %s"
                             % (w, _kind(v["expected"])))
    return doc


def read_bundle(path, max_bytes):
    """The signed bundle of section 10, its JSON frame only."""
    return bundle_doc(read_json(path, max_bytes))


def bundle_doc(doc):
    """Checks that a JSON value read strictly is a bundle's frame (section 10, "Form")."""
    if type(doc) is not dict:
        raise InputError("not a bundle: expected an object, got %s" % _kind(doc))
    if doc.get("format") != BUNDLE_FORMAT:
        f = doc.get("format")
        raise InputError("not a bundle: format is %s, not %r" % (
            "missing" if "format" not in doc else
            "'%s'" % show(f) if type(f) is str else _kind(f), BUNDLE_FORMAT))
    want_object(doc, "the bundle", ("format", "council", "genesis", "items", "polls"))
    want_hex(doc["council"], "council", 32)
    want_hex(doc["genesis"], "genesis")
    want_hex_list(doc["items"], "items")
    for i, p in enumerate(want_array(doc["polls"], "polls")):
        w = "polls[%d]" % i
        want_object(p, w, ("session", "poll", "title", "context", "open", "close", "ballots"))
        want_hex(p["session"], w + ".session", 32)
        want_hex(p["poll"], w + ".poll", 32)
        want_str(p["title"], w + ".title")
        want_poll_input(p, w)
    return doc


def same(a, b):
    """Equality of JSON values, types included: true is not 1, 1 is not 1.0."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


# ---------------------------------------------------------------------------------------------
# The council: genesis, rules and log operations (section 3), the document-change envelope and
# the items of a bundle (section 10). Decoding only: what is malformed raises Malformed.

SIGN_GENESIS = b"council/v1/sign/genesis\0"
SIGN_LOG_OP = b"council/v1/sign/log-op\0"
SIGN_CHANGE = b"council/v1/sign/change\0"
ID_LOG_OP = b"council/v1/id/log-op\0"

MAX_GENESIS_BODY = 64 * 1024
MAX_LOG_OP_BODY = 1024 * 1024
MAX_CHANGE = 16 * 1024 * 1024

CHAIR, DEPUTY_CHAIR, SECRETARY, DEPUTY, OBSERVER, REPLICA = (1 << i for i in range(6))
# The seven permission bytes of the Rules, in order.
PERMISSIONS = ["add-member", "remove-member", "set-roles", "committees", "amend-rules",
               "decide-amendments", "agenda"]
DRAFT_STATUSES = ["draft", "submitted", "in-committee", "on-agenda", "adopted", "rejected",
                  "withdrawn", "referred-back"]
AMENDMENT_STATUSES = ["proposed", "accepted", "rejected", "withdrawn"]
LOG_KINDS = ["AddMember", "RemoveMember", "SetRoles", "SetProfile", "CreateCommittee",
             "SetCommittee", "AmendRules", "CreateDocument", "SetDraftStatus",
             "SetAmendmentStatus", "AttachFile", "ApproveMinutes"]
WHO_AUTHORS, WHO_HEAD = 1 << 8, 1 << 9
WHO_VALID = 0x3f | WHO_AUTHORS | WHO_HEAD


def may_write(roles):
    """Section 3: at least one role, and neither observer nor replica."""
    return roles != 0 and not roles & (OBSERVER | REPLICA)


def votes_role(roles):
    return may_write(roles) and bool(roles & (DEPUTY | CHAIR))


def chairs_role(roles):
    return may_write(roles) and bool(roles & (CHAIR | DEPUTY_CHAIR))


def read_roles(r):
    v = r.u8()
    if v & 0xc0:
        raise Malformed("a roles byte with bit 6 or 7 set")
    return v


def read_rule(r):
    th, base = r.u8(), r.u8()
    if th > 4 or base > 3:
        raise Malformed("majority rule")
    return (th, base)


def read_rules(r):
    """Rules, with their validity rules (section 3): an invalid one is malformed."""
    rules = {"seats": r.u32()}
    if rules["seats"] < 1:
        raise Malformed("rules with no seat")
    rules["quorum"] = r.u8()
    if rules["quorum"] > 4:
        raise Malformed("quorum threshold")
    rules["default_majority"] = read_rule(r)
    rules["allow_poll_override"] = r.bool_()
    rules["times"] = [r.u32() for _ in range(5)]  # speech, pro, contra, reply, point of order
    rules["permissions"] = [read_roles(r) for _ in range(7)]
    workflow = []
    for _ in range(r.length(256)):
        fr, to, who = r.u8(), r.u8(), r.u16()
        if fr >= len(DRAFT_STATUSES) or to >= len(DRAFT_STATUSES):
            raise Malformed("draft status in the workflow")
        if who & ~WHO_VALID:
            raise Malformed("workflow who bits")
        workflow.append((fr, to, who))
    rules["workflow"] = workflow
    return rules


def decode_genesis(data):
    body, sig = wire(data, MAX_GENESIS_BODY)
    r = Reader(body)
    if r.u8() != 1:
        raise Malformed("genesis version")
    g = {"name": r.str_(512), "rules": read_rules(r), "founder": r.h(),
         "founder_name": r.str_(512), "founder_roles": read_roles(r), "created": r.u64(),
         "nonce": r.take(16)}
    r.end()
    g["id"] = sha(ID_GENESIS, body)
    g["body"], g["sig"] = body, sig
    return g


def genesis_refusal(g):
    """Why a well-formed genesis is refused (section 3 and 10 step 1), or None."""
    if not g["name"].strip():
        return "its name is empty"
    why = name_problem(g["founder_name"])
    if why:
        return "its founder's name is not valid: %s" % why
    if not may_write(g["founder_roles"]):
        return "its founder's roles may not write"
    if not sig_ok(g["founder"], SIGN_GENESIS, g["body"], g["sig"]):
        return "its signature does not verify under the founder's key"
    return None


def read_doc_spec(r):
    kind = r.u8()
    spec = {"kind": kind}
    if kind == 0:
        spec["co_authors"] = r.list_(1024, r.h)
    elif kind == 1:
        spec["draft"], spec["committee"] = r.h(), r.h()
    elif kind == 2:
        spec["draft"], spec["from"], spec["to"] = r.h(), r.u32(), r.u32()
        if spec["from"] < 1 or spec["to"] + 1 < spec["from"]:
            raise Malformed("amendment line range")
    elif kind == 3:
        spec["label"], spec["committee"] = r.str_(512), r.option(r.h)
    elif kind != 4:
        raise Malformed("document kind")
    return spec


def _status(r, names):
    v = r.u8()
    if v >= len(names):
        raise Malformed("status")
    return v


LOG_FIELDS = {
    0: lambda r: {"member": r.h(), "name": r.str_(512), "roles": read_roles(r)},
    1: lambda r: {"member": r.h()},
    2: lambda r: {"member": r.h(), "roles": read_roles(r)},
    3: lambda r: {"member": r.h(), "name": r.str_(512), "contact": r.str_(2048)},
    4: lambda r: {"name": r.str_(512)},
    5: lambda r: {"committee": r.h(), "members": r.list_(1024, r.h), "head": r.option(r.h)},
    6: lambda r: {"rules": read_rules(r)},
    7: lambda r: {"spec": read_doc_spec(r)},
    8: lambda r: {"draft": r.h(), "status": _status(r, DRAFT_STATUSES),
                  "committee": r.option(r.h)},
    9: lambda r: {"amendment": r.h(), "status": _status(r, AMENDMENT_STATUSES)},
    10: lambda r: {"doc": r.h(), "name": r.str_(512), "size": r.u64(), "content": r.h()},
    11: lambda r: {"session": r.h(), "minutes": r.h()},
}


def decode_log_op(data):
    body, sig = wire(data, MAX_LOG_OP_BODY)
    r = Reader(body)
    op = {"council": r.h(), "author": r.h(), "parents": r.sorted_list(1024, r.h)}
    if not op["parents"]:
        raise Malformed("a log operation with no parent")
    op["time"] = r.u64()
    op["kind"] = r.u8()
    if op["kind"] not in LOG_FIELDS:
        raise Malformed("log operation kind %d" % op["kind"])
    op.update(LOG_FIELDS[op["kind"]](r))
    r.end()
    op["id"] = sha(ID_LOG_OP, body)
    op["body"], op["sig"] = body, sig
    return op


# The automerge change chunk inside a document change ("The document-change envelope").
CHUNK_MAGIC = bytes.fromhex("856f4a83")
COLUMN_SPECS = (0x01, 0x02, 0x11, 0x13, 0x15, 0x34, 0x42, 0x56, 0x57, 0x70, 0x71, 0x73)
MAX_COLUMN_ENTRIES = 1000000


def uleb(r, limit=2 ** 64 - 1):
    """An unsigned LEB128 of at most 10 bytes, not above `limit`."""
    v = shift = 0
    for _ in range(10):
        b = r.u8()
        v |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            if v > limit:
                raise Malformed("LEB128 value too large")
            return v
    raise Malformed("LEB128 longer than 10 bytes")


def sleb(r):
    """A signed LEB128 of at most 10 bytes."""
    v = shift = 0
    for _ in range(10):
        b = r.u8()
        v |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            if b & 0x40:
                v -= 1 << shift
            return v
    raise Malformed("LEB128 longer than 10 bytes")


def _leb_bytes(r, maxn):
    return r.take(uleb(r, maxn))


def column_entries(data, ctype):
    """Entries a column declares (run lengths summed), stopping past MAX_COLUMN_ENTRIES; for a
    value-metadata column also the sum of the value lengths it declares. Column types of the
    automerge binary format: 0 group, 1 actor, 2 uLEB, 3 delta, 5 string and 6 value metadata
    are run-length encoded, 4 boolean is alternating run lengths, 7 raw values hold none."""
    r = Reader(data)
    count = lengths = 0
    if ctype == 7:
        return 0, 0
    while r.i < len(data) and count <= MAX_COLUMN_ENTRIES:
        if ctype == 4:
            count += uleb(r)
            continue
        run = sleb(r)
        if run == 0:
            count += uleb(r)  # a run of nulls
            continue
        values = []
        for _ in range(1 if run > 0 else min(-run, len(data))):
            values.append(_leb_bytes(r, len(data)) if ctype == 5 else
                          sleb(r) if ctype == 3 else uleb(r))
        if run < 0 and len(values) != -run:
            raise Malformed("a literal run longer than its column")
        count += abs(run)
        if ctype == 6:
            lengths += sum(v >> 4 for v in values) * (run if run > 0 else 1)
    if count > MAX_COLUMN_ENTRIES:
        raise Malformed("a column of more than %d entries" % MAX_COLUMN_ENTRIES)
    return count, lengths


def prescan_change(change):
    """The pre-scan of an automerge change chunk, items 1 to 3 of "The change inside". Returns
    its header fields. Automerge's own parse (Change::from_bytes) is not reproduced."""
    r = Reader(change)
    if r.take(4) != CHUNK_MAGIC:
        raise Malformed("change chunk magic")
    r.take(4)  # checksum: not checked by Council
    if r.u8() != 1:
        raise Malformed("not an uncompressed change chunk")
    if uleb(r) != len(change) - r.i:
        raise Malformed("change chunk length")
    head = {"deps": [r.h() for _ in range(uleb(r, len(change) // 32))]}
    head["actor"] = _leb_bytes(r, len(change))
    head["seq"], head["start_op"], head["time"] = uleb(r), uleb(r), sleb(r)
    try:
        head["message"] = _leb_bytes(r, len(change)).decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("change message not UTF-8")
    head["other_actors"] = [_leb_bytes(r, len(change)) for _ in range(uleb(r, len(change)))]
    columns = []
    for _ in range(uleb(r, len(COLUMN_SPECS))):
        spec, n = uleb(r), uleb(r, len(change))
        if spec not in COLUMN_SPECS or (columns and spec <= columns[-1][0]):
            raise Malformed("change column 0x%x not allowed or out of order" % spec)
        columns.append((spec, n))
    value_meta = value_len = 0
    for spec, n in columns:
        count, lengths = column_entries(r.take(n), spec & 7)
        if spec == 0x56:
            value_meta = lengths
        if spec == 0x57:
            value_len = n
    if value_meta > value_len:
        raise Malformed("value lengths beyond the value column")
    r.end()
    return head


def decode_change(data):
    """A document-change envelope (tag 1). Its signature covers the change hash."""
    r = Reader(data)
    ch = {"council": r.h(), "doc": r.h(), "author": r.h(),
          "log_heads": r.sorted_list(1024, r.h)}
    if not ch["log_heads"]:
        raise Malformed("a change with no log head")
    ch["change"] = r.bytes_(MAX_CHANGE)
    ch["sig"] = r.take(64)
    r.end()
    ch["header"] = prescan_change(ch["change"])
    ch["hash"] = hashlib.sha256(ch["change"][8:]).digest()
    ch["signed"] = (ch["council"] + ch["doc"] + ch["author"]
                    + struct.pack(">I", len(ch["log_heads"])) + b"".join(ch["log_heads"])
                    + ch["hash"])
    ch["id"] = ch["hash"]
    return ch


ITEM_DECODERS = {0: decode_log_op, 1: decode_change, 2: decode_statement, 3: decode_ballot}


def decode_item(data):
    """`u8 tag ‖ wire form` (section 10, "Items"): returns (tag, decoded value)."""
    if not data:
        raise Malformed("an empty item")
    if data[0] not in ITEM_DECODERS:
        raise Malformed("item tag %d" % data[0])
    return data[0], ITEM_DECODERS[data[0]](data[1:])


# ---------------------------------------------------------------------------------------------
# The council state and its checks ("Deriving the context from the log", steps 3 and 4, and
# "The other log operations").

# Code points a name may not hold besides the controls (general category Cc).
NAME_FORBIDDEN = frozenset([0xAD, 0x61C, 0x180E, 0xFEFF, *range(0x200B, 0x2010),
                            *range(0x202A, 0x202F), *range(0x2060, 0x206A),
                            *range(0xFFF9, 0xFFFC)])
ATTACHMENT_FORBIDDEN = ("/", "\\", "\0")
CLOSED_DRAFT = (4, 5, 6)  # adopted, rejected, withdrawn
IN_COMMITTEE = 2


def name_problem(name):
    """Why `name` is not a valid member name (step 4), or None. "White space" is taken as
    Python's str.isspace, which agrees with Unicode's White_Space outside the controls, and
    the controls are refused anyway."""
    if not name:
        return "the name is empty"
    if name != name.strip():
        return "the name has leading or trailing white space"
    for c in name:
        if unicodedata.category(c) == "Cc" or ord(c) in NAME_FORBIDDEN:
            return "the name holds U+%04X" % ord(c)
    return None


class Member:
    __slots__ = ("name", "roles", "removed", "contact")

    def __init__(self, name, roles, removed=False, contact=""):
        self.name, self.roles, self.removed, self.contact = name, roles, removed, contact

    def replace(self, **kw):
        m = Member(self.name, self.roles, self.removed, self.contact)
        for k, v in kw.items():
            setattr(m, k, v)
        return m


class State:
    """The council state: rules, roster, committees, documents, approvals of minutes. Entries
    are replaced, never changed in place, so that copy() can be shallow."""

    def __init__(self, genesis=None):
        if genesis is None:
            return
        self.rules = genesis["rules"]
        self.members = {genesis["founder"]: Member(genesis["founder_name"],
                                                   genesis["founder_roles"])}
        self.committees = {}  # id -> (name, frozenset of members, head or None)
        self.docs = {}  # id -> dict (replaced on change)
        self.approvals = {}  # (session, author) -> (minutes, roles)

    def copy(self):
        s = State()
        s.rules = self.rules
        s.members, s.committees = dict(self.members), dict(self.committees)
        s.docs, s.approvals = dict(self.docs), dict(self.approvals)
        return s

    def active_roles(self, key):
        m = self.members.get(key)
        return 0 if m is None or m.removed else m.roles

    def active(self, key):
        m = self.members.get(key)
        return m is not None and not m.removed

    def with_roles(self, key, roles):
        s = self.copy()
        if key in s.members:
            s.members[key] = s.members[key].replace(roles=roles)
        return s

    def name_taken(self, name, key):
        low = name.lower()
        return any(k != key and not m.removed and m.name.lower() == low
                   for k, m in self.members.items())

    def doc_authors(self, d):
        return {d["creator"], *d["spec"].get("co_authors", ())}

    def may_write_doc(self, author, doc_id):
        """"An author may write a document D" ("The other log operations"); the author is
        already known to be an active member whose roles may write."""
        d = self.docs.get(doc_id)
        if d is None:
            return "the document does not exist"
        roles, spec, kind = self.active_roles(author), d["spec"], d["spec"]["kind"]
        if kind == 0:
            if d["status"] in CLOSED_DRAFT:
                return "the draft is closed"
            c = self.committees.get(d["committee"])
            if (author in self.doc_authors(d) or roles & SECRETARY
                    or (c is not None and author in c[1])):
                return None
            return "the author is not one of the draft's writers"
        if kind == 1:
            c = self.committees.get(spec["committee"])
            return None if c is not None and author in c[1] else "not a member of the committee"
        if kind == 2:
            if author != d["creator"]:
                return "not the amendment's creator"
            return None if d["amendment_status"] == 0 else "the amendment is no longer proposed"
        if kind == 3:
            c = self.committees.get(spec["committee"]) if spec["committee"] else None
            if c is not None and c[2] == author:
                return None
            return None if roles & self.rules["permissions"][6] else "no agenda permission"
        return None if author == d["creator"] else "not the note's creator"


def _perm(state, roles, p):
    if roles & state.rules["permissions"][p]:
        return None
    return "the author lacks the %s permission" % PERMISSIONS[p]


def _check_name(state, name, key):
    why = name_problem(name)
    if why is None and state.name_taken(name, key):
        why = "the name is taken"
    return why


def _check_create_document(state, op, roles):
    spec = op["spec"]
    kind = spec["kind"]
    if kind == 0:
        if not roles & (DEPUTY | CHAIR | DEPUTY_CHAIR | SECRETARY):
            return "the author may not create a draft"
        if any(not state.active(k) for k in spec["co_authors"]):
            return "a co-author is not an active member"
    elif kind == 1:
        d = state.docs.get(spec["draft"])
        if d is None or d["spec"]["kind"] != 0:
            return "the opinion's draft is not a draft"
        c = state.committees.get(spec["committee"])
        if c is None or op["author"] not in c[1]:
            return "the author is not a member of the opinion's committee"
    elif kind == 2:
        if not roles & (DEPUTY | CHAIR | DEPUTY_CHAIR):
            return "the author may not propose an amendment"
        d = state.docs.get(spec["draft"])
        if d is None or d["spec"]["kind"] != 0 or d["status"] in CLOSED_DRAFT:
            return "the amended draft is not an open draft"
    elif kind == 3:
        c = None
        if spec["committee"] is not None:
            c = state.committees.get(spec["committee"])
            if c is None:
                return "the agenda's committee does not exist"
        if not (c is not None and c[2] == op["author"]):
            return _perm(state, roles, 6)
    return None


def _check_draft_status(state, op, roles):
    d = state.docs.get(op["draft"])
    if d is None or d["spec"]["kind"] != 0:
        return "not a draft"
    t = next((t for t in state.rules["workflow"] if t[0] == d["status"] and t[1] == op["status"]),
             None)
    if t is None:
        return "the workflow has no such transition"
    if op["status"] == IN_COMMITTEE and op["committee"] is None:
        return "in-committee needs a committee"
    if op["committee"] is not None and op["committee"] not in state.committees:
        return "the committee does not exist"
    who, author = t[2], op["author"]
    if roles & who & 0x3f:
        return None
    c = state.committees.get(d["committee"])
    if who & WHO_HEAD and c is not None and c[2] == author:
        return None
    if who & WHO_AUTHORS and author in state.doc_authors(d):
        return None
    return "the author may not make this transition"


def _check_amendment_status(state, op, roles):
    d = state.docs.get(op["amendment"])
    if d is None or d["spec"]["kind"] != 2 or d["amendment_status"] != 0:
        return "not a proposed amendment"
    if op["status"] == 3:
        return None if op["author"] == d["creator"] else "only its creator may withdraw it"
    if op["status"] in (1, 2):
        return _perm(state, roles, 5)
    return "nobody may set an amendment back to proposed"


def _check_attach(state, op, roles):
    name = op["name"]
    if not name or name in (".", "..") or any(c in name for c in ATTACHMENT_FORBIDDEN):
        return "the attachment name is not allowed"
    return state.may_write_doc(op["author"], op["doc"])


def authorize(state, op):
    """Step 4's check of a log operation against a state, but for its council and signature
    (checked once, see log_op_refusal): the reason it is refused, or None."""
    m = state.members.get(op["author"])
    if m is None:
        return "the author is not a member"
    if m.removed:
        return "the author was removed"
    roles = m.roles
    if not may_write(roles):
        return "the author's roles may not write"
    k = op["kind"]
    if k == 0:
        return (_perm(state, roles, 0) or ("no roles" if not op["roles"] else None)
                or ("already an active member" if state.active(op["member"]) else None)
                or _check_name(state, op["name"], op["member"]))
    if k == 1:
        return _perm(state, roles, 1) or (None if state.active(op["member"])
                                          else "not an active member")
    if k == 2:
        return (_perm(state, roles, 2) or ("no roles" if not op["roles"] else None)
                or (None if state.active(op["member"]) else "not an active member"))
    if k == 3:
        if op["member"] != op["author"]:
            why = _perm(state, roles, 0)
            if why:
                return why
        if not state.active(op["member"]):
            return "not an active member"
        return _check_name(state, op["name"], op["member"])
    if k == 4:
        return _perm(state, roles, 3)
    if k == 5:
        return (_perm(state, roles, 3)
                or (None if op["committee"] in state.committees else "no such committee")
                or ("a listed member is not active"
                    if any(not state.active(x) for x in op["members"]) else None)
                or ("the head is not a member" if op["head"] is not None
                    and op["head"] not in op["members"] else None))
    if k == 6:
        return _perm(state, roles, 4)
    if k == 7:
        return _check_create_document(state, op, roles)
    if k == 8:
        return _check_draft_status(state, op, roles)
    if k == 9:
        return _check_amendment_status(state, op, roles)
    if k == 10:
        return _check_attach(state, op, roles)
    return None if roles & (CHAIR | DEPUTY_CHAIR | SECRETARY) else \
        "the author may not approve minutes"


def apply_op(state, op):
    """Step 3's effects and those of "The other log operations", in place on `state`."""
    k, members = op["kind"], state.members
    if k == 0:
        old = members.get(op["member"])
        members[op["member"]] = Member(op["name"], op["roles"], False,
                                       old.contact if old else "")
    elif k == 1 and op["member"] in members:
        key = op["member"]
        members[key] = members[key].replace(removed=True)
        for cid, (name, ms, head) in list(state.committees.items()):
            if key in ms or head == key:
                state.committees[cid] = (name, ms - {key}, None if head == key else head)
    elif k == 2 and op["member"] in members:
        members[op["member"]] = members[op["member"]].replace(roles=op["roles"])
    elif k == 3 and op["member"] in members:
        members[op["member"]] = members[op["member"]].replace(name=op["name"],
                                                              contact=op["contact"])
    elif k == 4:
        state.committees[op["id"]] = (op["name"], frozenset(), None)
    elif k == 5 and op["committee"] in state.committees:
        name = state.committees[op["committee"]][0]
        state.committees[op["committee"]] = (name, frozenset(op["members"]), op["head"])
    elif k == 6:
        state.rules = op["rules"]
    elif k == 7:
        state.docs[op["id"]] = {"spec": op["spec"], "creator": op["author"], "status": 0,
                                "committee": None, "amendment_status": 0, "attachments": ()}
    elif k == 8 and op["draft"] in state.docs:
        d = dict(state.docs[op["draft"]], status=op["status"])
        if op["committee"] is not None and op["committee"] in state.committees:
            d["committee"] = op["committee"]
        state.docs[op["draft"]] = d
    elif k == 9 and op["amendment"] in state.docs:
        state.docs[op["amendment"]] = dict(state.docs[op["amendment"]],
                                           amendment_status=op["status"])
    elif k == 10 and op["doc"] in state.docs:
        d = state.docs[op["doc"]]
        att = (op["name"], op["size"], op["content"], op["author"], op["id"])
        state.docs[op["doc"]] = dict(d, attachments=d["attachments"] + (att,))
    elif k == 11:
        state.approvals[(op["session"], op["author"])] = (op["minutes"],
                                                          state.active_roles(op["author"]))


def context_of(state, council, on, committee):
    """Step 5: the poll context read off a state, as JSON (section 9 spelling); None when a
    committee session names a committee the state does not hold."""
    rules = state.rules
    live = {k: m.roles for k, m in state.members.items() if not m.removed}
    council_chairs = sorted(k for k, r in live.items() if chairs_role(r))
    if on == 0:
        seats = rules["seats"]
        chairs = council_chairs
        voters = sorted(k for k, r in live.items() if votes_role(r))
    else:
        c = state.committees.get(committee)
        if c is None:
            return None
        seats = len(c[1])
        voters = sorted(k for k in c[1] if may_write(live.get(k, 0)))
        head = c[2]
        chairs = [head] if head is not None and may_write(live.get(head, 0)) else council_chairs
    th, base = rules["default_majority"]
    return {"council": hx(council), "seats": seats, "quorum": THRESHOLDS[rules["quorum"]],
            "default_majority": {"threshold": THRESHOLDS[th], "base": BASES[base]},
            "allow_poll_override": rules["allow_poll_override"],
            "chairs": [hx(k) for k in chairs], "voters": [hx(k) for k in voters]}


# ---------------------------------------------------------------------------------------------
# Replaying the log ("Deriving the context from the log", steps 1, 2, 4 and 6). The accepted
# operations are numbered in (depth, id) order; a set of them is a Python int used as a bit
# set, and each operation's ancestors are such a set, so that every walk is a loop.

MAX_LOG_OPS = 5000  # this verifier's bound on its (at worst quadratic) replay; not the spec's
CACHE_SIZE = 256  # folds and resolutions kept for reuse
MAX_WORK = 4000000  # steps of revocation resolution and of sessions' causal pasts (about a
#                    minute); beyond it, the bundle is not verified

VOID_DROPPED = "lost-mutual-revocation"
VOID_DEPENDS = "depends-on-void"
VOID_REVOKED = "revoked"
VOID_SESSION = "session-revoked"
VOID_WORDS = {VOID_DROPPED: "lost a mutual revocation", VOID_DEPENDS: "depends on a void "
              "operation", VOID_REVOKED: "revoked", VOID_SESSION: "its chair was revoked"}


def problem(code, item, text, poll=None, session=None):
    """A problem of section 10 step 2: code refused | waiting | unlisted-poll | listed-twice;
    the item's position, for refused and waiting; the poll and its session (bytes), for
    unlisted-poll and listed-twice (`council verify` gives them only there)."""
    return {"code": code, "item": item, "poll": None if poll is None else hx(poll),
            "session": None if session is None else hx(session), "text": text}


class LogLimit(Exception):
    """The bundle holds more log operations than this verifier replays."""


def toposort_depths(nodes, roots):
    """Depths of the nodes (id -> parents) whose ancestors are all held; `roots` count as
    depth 0. Returns (depth by id, ids never reached). Kahn's algorithm, no recursion."""
    children, missing = {}, {}
    for nid, parents in nodes.items():
        n = 0
        for p in parents:
            if p in roots:
                continue
            n += 1
            children.setdefault(p, []).append(nid)
        missing[nid] = n
    depth = {}
    ready = [nid for nid, n in missing.items() if n == 0]
    while ready:
        nid = ready.pop()
        depth[nid] = 1 + max((depth.get(p, 0) for p in nodes[nid]), default=-1)
        for c in children.get(nid, ()):
            missing[c] -= 1
            if missing[c] == 0:
                ready.append(c)
    return depth, [nid for nid in nodes if nid not in depth]


class Log:
    """The council log of a bundle: the accepted operations, with revocations resolved."""

    def __init__(self, genesis, council):
        self.genesis, self.council = genesis, council
        self.ops = []  # accepted, in (depth, id) order
        self.index = {}  # op id -> position in self.ops
        self.anc = []  # ancestor bit set of each accepted op
        self.refused = {}  # op id -> reason
        self.waiting = set()  # ids of ops some of whose ancestors are not held
        self._folds, self._resolved, self._standing = {}, {}, {}
        self.by_author = {}  # member -> bit set of the accepted operations they signed
        self.revoking = {}  # member -> bit set of the accepted revocations of them
        self.work = 0  # steps of revocation resolution and causal pasts, bounded by MAX_WORK

    # --- replay -------------------------------------------------------------------------------

    def replay(self, entries):
        """entries: [(position, op)]. Returns the problems (see problem()). A copy of an
        operation that fails what its bytes alone show (its council, its signature) is
        refused; the operation is there if another copy (other signature bytes, same body)
        passes, and what follows it waits for such a copy otherwise. An operation that follows
        one refused on its step-4 check (has it among its ancestors) is refused; one that needs
        an operation the bundle does not hold, or holds only in bad copies, waits."""
        problems, ops = [], {}
        for pos, op in entries:
            why = self.static_refusal(op)
            if why:
                problems.append(problem("refused", pos, "log operation %s: %s"
                                        % (hx(op["id"]), why)))
            elif op["id"] not in ops:
                ops[op["id"]] = (pos, op)
        if len(ops) > MAX_LOG_OPS:
            raise LogLimit("more than %d log operations" % MAX_LOG_OPS)
        depth, unreached = toposort_depths({i: o["parents"] for i, (_, o) in ops.items()},
                                           {self.council})
        for i in unreached:
            self.waiting.add(i)
        for i in sorted(depth, key=lambda x: (depth[x], x)):
            pos, op = ops[i]
            op["depth"] = depth[i]
            bad = [p for p in op["parents"] if p in self.refused]
            if bad:  # it follows a refused operation: refused itself (step 4)
                self.refused[i] = "it follows the refused operation %s" % hx(bad[0])
                problems.append(problem("refused", pos, "log operation %s: %s"
                                        % (hx(i), self.refused[i])))
                continue
            if any(p in self.waiting for p in op["parents"]):
                self.waiting.add(i)
                continue
            why = authorize(self.resolve(self.past(op["parents"]))[0], op)
            if why:
                self.refused[i] = why
                problems.append(problem("refused", pos, "log operation %s (%s): %s"
                                        % (hx(i), LOG_KINDS[op["kind"]], why)))
                continue
            n = len(self.ops)
            self.index[i] = n
            self.anc.append(self.past(op["parents"]))
            self.ops.append(op)
            self.by_author[op["author"]] = self.by_author.get(op["author"], 0) | 1 << n
            if op["kind"] in (1, 2):
                self.revoking[op["member"]] = self.revoking.get(op["member"], 0) | 1 << n
        problems += self._refuse_waiting_descendants(ops)
        for i in sorted(self.waiting, key=lambda x: ops[x][0]):
            missing = [p for p in ops[i][1]["parents"] if p != self.council and p not in ops]
            problems.append(problem("waiting", ops[i][0], "log operation %s needs %s" % (
                hx(i), "%s, which the bundle does not hold" % hx(missing[0]) if missing
                else "a parent that was refused or waits")))
        return problems

    def _refuse_waiting_descendants(self, ops):
        """A waiting operation (some ancestor not held) that has a refused one among its
        ancestors is refused, not waiting. A walk from the refused operations down to their
        waiting descendants, over a work list."""
        children = {}
        for i in self.waiting:
            for p in ops[i][1]["parents"]:
                children.setdefault(p, []).append(i)
        problems, work = [], list(self.refused)
        while work:
            for c in children.get(work.pop(), ()):
                if c in self.waiting:
                    self.waiting.discard(c)
                    self.refused[c] = "it follows a refused operation"
                    problems.append(problem("refused", ops[c][0], "log operation %s: %s"
                                            % (hx(c), self.refused[c])))
                    work.append(c)
        return problems

    def static_refusal(self, op):
        if op["council"] != self.council:
            return "it names another council"
        if not sig_ok(op["author"], SIGN_LOG_OP, op["body"], op["sig"]):
            return "bad signature"
        return None

    def past(self, heads):
        """The bit set of the accepted heads and all their ancestors (the council id adds
        nothing). Every head must be accepted."""
        mask = 0
        for h in heads:
            if h != self.council:
                i = self.index[h]
                mask |= (1 << i) | self.anc[i]
        return mask

    def head_problem(self, heads):
        """Why a set of log heads names no accepted point of the log, or None."""
        for h in heads:
            if h == self.council or h in self.index:
                continue
            return "waiting", "its log head %s %s" % (hx(h), "was refused" if h in self.refused
                                                     else "is not applied")
        return None

    # --- folds --------------------------------------------------------------------------------

    def bits(self, mask):
        return [i for i in range(len(self.ops)) if mask >> i & 1]

    def fold(self, mask):
        """The plain fold (steps 2-3, nothing void) of a set of operations; cached. The last
        operation of a set comes last in (depth, id) order, so a set one operation larger than
        a cached one is one step from it (the common case of a linear log)."""
        s = self._folds.get(mask)
        if s is not None:
            return s
        top = mask.bit_length() - 1
        prev = self._folds.get(mask ^ (1 << top)) if mask else None
        if prev is not None:
            s = prev.copy()
            apply_op(s, self.ops[top])
        else:
            s = State(self.genesis)
            ids = self.bits(mask)
            self.spend(len(ids))
            for i in ids:
                apply_op(s, self.ops[i])
        self._remember(self._folds, mask, s)
        return s

    @staticmethod
    def _remember(cache, key, value):
        """A bounded cache: emptied when full, so that memory stays linear in the log."""
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[key] = value

    def plain(self, i):
        """The plain fold of the ancestors of operation i."""
        return self.fold(self.anc[i])

    def concurrent(self, a, b):
        return a != b and not self.anc[a] >> b & 1 and not self.anc[b] >> a & 1

    def target(self, i):
        op = self.ops[i]
        return op["member"] if op["kind"] in (1, 2) else None

    def bites(self, k, x, base):
        """Whether revocation k bites operation x (by k's target), judged on state `base`."""
        rev = self.ops[k]
        if rev["kind"] == 1:
            return True
        return authorize(base.with_roles(rev["member"], rev["roles"]), self.ops[x]) is not None

    def standing(self, r):
        """The (depth, id) order of the latest AddMember of r's author among r's ancestors,
        as a position + 1, or 0 (the founder's (0, zero bytes))."""
        if r not in self._standing:
            author, best = self.ops[r]["author"], 0
            for i in self.bits(self.anc[r]):
                op = self.ops[i]
                if op["kind"] == 0 and op["member"] == author:
                    best = i + 1
            self._standing[r] = best
        return self._standing[r]

    def spend(self, n):
        self.work += n
        if self.work > MAX_WORK:
            raise LogLimit("resolving its revocations and its sessions' causal pasts takes more "
                           "than %d steps" % MAX_WORK)

    def _choose(self, candidates):
        """One round of "Candidates": the kept revocations, and the dropped ones, each with
        the first kept revocation (in candidate order) that drops it."""
        demoted = set()
        while True:
            kept, dropped, kept_of = [], {}, {}  # kept_of: member -> kept revocations
            for c in candidates:
                if c in demoted:
                    continue
                a = self.ops[c]["author"]
                self.spend(1 + len(kept_of.get(a, ())))
                by = next((k for k in kept_of.get(a, ()) if self.concurrent(k, c)
                           and self.bites(k, c, self.plain(c))), None)
                if by is not None:
                    dropped[c] = by
                else:
                    kept.append(c)
                    kept_of.setdefault(self.target(c), []).append(c)
            new = set()
            for k in kept:
                a = self.ops[k]["author"]
                self.spend(1 + len(kept_of.get(a, ())))
                if any(self.concurrent(c, k) and self.bites(c, k, self.plain(k))
                       for c in kept_of.get(a, ())):
                    new.add(k)
            if not new:
                return set(kept), dropped
            demoted |= new

    def revocations_of(self, member, among):
        """The positions of the revocations of `member` in the set `among`."""
        out, m = [], self.revoking.get(member, 0) & among
        while m:
            low = m & -m
            out.append(low.bit_length() - 1)
            m ^= low
        return out

    def _judge(self, x, run, kept, dropped):
        """The "Fold" of step 6 for operation x, given the run so far: run is [state, void
        (position -> (code, position of the revocation or None)), applied bit set, void bit
        set], updated in place. The revocation named is the first that voids x in candidate
        order: (standing of its author, depth, id)."""
        state, void, applied, void_mask = run
        op = self.ops[x]
        reason = None
        self.spend(1)
        if x in dropped:
            reason = (VOID_DROPPED, dropped[x])
        else:
            live = self.anc[x] & ~void_mask
            base = state if live == applied else self.fold(live)
            if authorize(base, op) is not None:
                reason = (VOID_DEPENDS, None)
            elif x not in kept:
                revs = sorted((k for k in self.revocations_of(op["author"], ~self.anc[x])
                               if k in kept), key=lambda k: (self.standing(k), k))
                self.spend(1 + len(revs))
                by = next((k for k in revs if self.concurrent(k, x) and self.bites(k, x, base)),
                          None)
                if by is not None:
                    reason = (VOID_REVOKED, by)
        if reason:
            void[x] = reason
            run[3] = void_mask | 1 << x
        else:
            apply_op(state, op)
            run[2] = applied | 1 << x

    def resolve(self, mask):
        """Step 6 over the set `mask` (closed under ancestors): (state, void), cached. A set
        one operation larger than a cached one, that operation not a revocation, is one step
        of the fold from it: the candidates, and so all earlier verdicts, are the same."""
        hit = self._resolved.get(mask)
        if hit is not None:
            return hit[0], hit[1]
        top = mask.bit_length() - 1
        prev = self._resolved.get(mask ^ (1 << top)) if mask else None
        if prev is not None and (self.ops[top]["kind"] not in (1, 2)
                                 or self._isolated(top, mask)):
            state, void, applied, void_mask, kept, dropped = prev
            run = [state.copy(), dict(void), applied, void_mask]
            if self.ops[top]["kind"] in (1, 2):
                kept = kept | {top}
            self._judge(top, run, kept, dropped)
            if top in run[1]:
                kept = kept - {top}
        else:
            run, kept, dropped = self._resolve_full(mask)
        self._remember(self._resolved, mask, (run[0], run[1], run[2], run[3], kept, dropped))
        return run[0], run[1]

    def _isolated(self, r, mask):
        """Whether revocation r, the last of `mask`, is concurrent with no operation of the
        member it revokes and with no revocation of its author: then it is kept, drops and
        demotes nothing, and voids nothing before it."""
        others = mask & ~self.anc[r] & ~(1 << r)
        return not (self.by_author.get(self.ops[r]["member"], 0) & others
                    or self.revoking.get(self.ops[r]["author"], 0) & others)

    def _resolve_full(self, mask):
        ids = self.bits(mask)
        revs = [i for i in ids if self.ops[i]["kind"] in (1, 2)]
        excluded = set()
        while True:
            candidates = sorted((i for i in revs if i not in excluded),
                                key=lambda i: (self.standing(i), i))
            kept, dropped = self._choose(candidates)
            run = [State(self.genesis), {}, 0, 0]
            for x in ids:
                self._judge(x, run, kept, dropped)
            came_void = [k for k in kept if k in run[1]]
            if not came_void:
                return run, kept, dropped
            excluded.update(came_void)

    def all_mask(self):
        return (1 << len(self.ops)) - 1


# ---------------------------------------------------------------------------------------------
# Sessions (section 6), as a session peer derives them from the statement and ballot items.

STATEMENT_KINDS = ["OpenSession", "CloseSession", "Present", "Left", "StartItem", "EndItem",
                   "PostponeItem", "RemoveItem", "RequestFloor", "WithdrawRequest",
                   "GrantFloor", "EndFloor", "DeclareConflict", "OpenPoll", "ClosePoll"]


class Session:
    """One session: its opening, the statements applied or ignored, its polls and ballots."""

    def __init__(self, open_pos, op, council):
        self.id, self.open, self.open_pos, self.council = op["id"], op, open_pos, council
        self.context = None  # JSON form, once the opening is accepted
        self.log_mask = 0
        self.statements = {}  # id -> (position, statement), the stored ones
        self.status = {}  # id -> "applied" | "ignored" | "refused" | "waiting"
        self.ignored = []  # ("statement", id, author, code, words) of the ignored statements
        self.order = []  # stored ids in (depth, id) order
        self.anc = {}  # id -> bit set of ancestors over self.order positions
        self.polls = {}  # poll id -> {"open", "close", "ballots": {bytes: ballot}}
        self.poll_order = []
        self.ignored_polls = set()
        self.participants = set()  # authors of the statements stored (applied or ignored)
        self.pos_of = {}  # id -> position in self.order
        self.presence_mask = 0  # positions of the Present, Left and DeclareConflict statements
        self.state, self.chairs, self.voters = None, set(), set()  # set by accept_open
        # The derived state (derive): the item in progress, whether closed, the request
        # holding the floor, each agenda item's status, the voters present, the requests.
        self.current, self.closed, self.floor = None, False, None
        self.items, self.present, self.requests = [], set(), {}
        self.waiting_by_item, self.waiting_members = {}, set()  # the waiting requests
        self.spend = lambda n: None  # the log's work budget, set by accept_open

    # --- storing ------------------------------------------------------------------------------

    def accept_open(self, log):
        """Rule 1 and 6 for the OpenSession: None, or ("refused" | "waiting", reason)."""
        op = self.open
        if op["council"] != self.council:
            return "refused", "it names another council"
        if not sig_ok(op["author"], SIGN_STATEMENT, op["body"], op["sig"]):
            return "refused", "bad signature"
        bad = log.head_problem(op["log_heads"])
        if bad:
            return bad
        if op["on"] == 1 and op["committee"] not in log.index:
            return "waiting", "its committee %s is not an applied operation" % hx(op["committee"])
        self.log_mask = log.past(op["log_heads"])
        self.state = log.resolve(self.log_mask)[0]
        self.context = context_of(self.state, self.council, op["on"], op.get("committee"))
        if self.context is None:
            return "refused", "its committee does not exist at its log heads"
        self.chairs = {bytes.fromhex(k) for k in self.context["chairs"]}
        self.voters = {bytes.fromhex(k) for k in self.context["voters"]}
        self.spend = log.spend
        if op["author"] not in self.chairs:
            return "refused", "its author does not chair the body"
        return None

    def static_refusal(self, st):
        if st["council"] != self.council:
            return "it names another council"
        if not sig_ok(st["author"], SIGN_STATEMENT, st["body"], st["sig"]):
            return "bad signature"
        if st["author"] not in self.chairs and st["author"] not in self.voters:
            return "its author is neither a chair nor a voter of the body"
        return None

    def store(self, entries, stmt_session):
        """Rules 1 and 2 for the other statements, entries [(position, statement)];
        `stmt_session` maps every statement id of the items to its session. Returns the
        problems; fills self.order and self.anc. A parent in another session is refused
        ("names another session"); a parent refused, waiting or not held makes it wait."""
        problems, nodes, by_id = [], {self.id: []}, {self.id: (self.open_pos, self.open)}
        refused = set()
        for pos, st in entries:
            why = self.static_refusal(st)
            if why is None:
                other = [p for p in st["parents"] if stmt_session.get(p, self.id) != self.id]
                if other:
                    why = "its parent %s is in another session" % hx(other[0])
            if why:
                problems.append(problem("refused", pos, "statement %s: %s" % (hx(st["id"]), why)))
                refused.add(st["id"])
            elif st["id"] not in nodes:
                by_id[st["id"]] = (pos, st)
                nodes[st["id"]] = st["parents"]
        refused -= set(nodes)  # another copy of it passed
        for i in refused:
            self.status[i] = "refused"
        depth, unreached = toposort_depths(nodes, set())
        waiting = set(unreached)
        for i in sorted(depth, key=lambda x: (depth[x], x)):
            if i == self.id:
                self._add(i, self.open, self.open_pos)
                continue
            pos, st = by_id[i]
            if any(p in refused or p in waiting for p in st["parents"]):
                waiting.add(i)
                continue
            self._add(i, st, pos)
        for i in sorted(waiting, key=lambda x: by_id[x][0]):
            self.status[i] = "waiting"
            problems.append(problem("waiting", by_id[i][0], "statement %s needs a parent the "
                                    "bundle does not hold, or one refused" % hx(i)))
        return problems

    def _add(self, i, st, pos):
        """Stores statement i, its parents being stored already."""
        mask = 0
        for p in st["parents"]:
            mask |= (1 << self.pos_of[p]) | self.anc[p]
        self.pos_of[i] = len(self.order)
        if st["kind"] in (2, 3, 12):
            self.presence_mask |= 1 << len(self.order)
        self.order.append(i)
        self.anc[i] = mask
        self.statements[i] = (pos, st)

    # --- applying (rules 2 to 4, 6, and "Why a statement is ignored") -------------------------

    def derive(self):
        """Applies the stored statements in (depth, id) order, each applied or ignored with
        the first reason of section 6's table that holds."""
        self.current, self.closed, self.floor = None, False, None
        self.items = ["pending"] * len(self.open["agenda"])
        self.present, self.requests = set(), {}
        self.waiting_by_item, self.waiting_members = {}, set()
        self.status[self.id] = "applied"
        self.participants.add(self.open["author"])
        for i in self.order[1:]:
            st = self.statements[i][1]
            code = "session-closed" if self.closed else self.judge(st)
            self.participants.add(st["author"])
            if code is None:
                self.status[i] = "applied"
            else:
                self.status[i] = "ignored"
                self.ignored.append(("statement", i, st["author"], code,
                                     "%s ignored: %s" % (STATEMENT_KINDS[st["kind"]], code)))
                if st["kind"] == 13:
                    self.ignored_polls.add(i)

    def judge(self, st):
        """The code of the reason `st` is ignored, or None after applying it."""
        handler = {1: self._close_session, 2: self._presence, 3: self._presence,
                   4: self._start, 5: self._end, 6: self._postpone, 7: self._postpone,
                   8: self._request, 9: self._withdraw, 10: self._grant, 11: self._end_floor,
                   12: self._conflict, 13: self._open_poll, 14: self._close_poll}[st["kind"]]
        return handler(st)

    def not_chair(self, st):
        return "not-chair" if st["author"] not in self.chairs else None

    def _close_session(self, st):
        why = self.not_chair(st)
        if why is None:
            self.closed = True
        return why

    def presence_code(self, st):
        """Rule 3 for Present and Left, also what makes one count in a causal past."""
        if st["member"] not in self.voters:
            return "not-a-voter"
        if st["author"] != st["member"] and st["author"] not in self.chairs:
            return "not-yourself"
        return None

    def _presence(self, st):
        why = self.presence_code(st)
        if why is None:
            (self.present.add if st["kind"] == 2 else self.present.discard)(st["member"])
        return why

    def conflict_counts(self, st):
        """Rule 6: a DeclareConflict counts when its author is a voter and names an item."""
        if st["author"] not in self.voters:
            return "not-a-voter"
        return "unknown-item" if st["item"] >= len(self.items) else None

    def _conflict(self, st):
        return self.conflict_counts(st)

    def _leave_item(self, item):
        """Ending, postponing or removing an item: its waiting requests are withdrawn and its
        speech ends."""
        for rid in self.waiting_by_item.pop(item, ()):
            self._unwait(rid, "withdrawn")
        if self.floor is not None and self.requests[self.floor]["item"] == item:
            self.requests[self.floor]["state"] = "ended"
            self.floor = None
        if self.current == item:
            self.current = None

    def _item_code(self, st, closed_check=True):
        why = self.not_chair(st)
        if why is None and st["item"] >= len(self.items):
            why = "unknown-item"
        if why is None and closed_check and self.items[st["item"]] in ("done", "removed"):
            why = "item-closed"
        return why

    def _start(self, st):
        why = self._item_code(st)
        if why is None and self.current is not None:
            why = "another-item-in-progress"
        if why is None:
            self.current = st["item"]
            self.items[st["item"]] = "in-progress"
        return why

    def _end(self, st):
        why = self._item_code(st, closed_check=False)
        if why is None and st["item"] != self.current:
            why = "item-not-current"
        if why is None:
            self._leave_item(st["item"])
            self.items[st["item"]] = "done"
        return why

    def _postpone(self, st):
        why = self._item_code(st)
        if why is None:
            self._leave_item(st["item"])
            self.items[st["item"]] = "postponed" if st["kind"] == 6 else "removed"
        return why

    def _request(self, st):
        if self.current is None or st["item"] != self.current:
            return "item-not-current"
        if st["author"] in self.waiting_members:
            return "already-requested"
        self.requests[st["id"]] = {"member": st["author"], "item": st["item"],
                                   "kind": st["floor_kind"], "state": "waiting"}
        self.waiting_members.add(st["author"])
        self.waiting_by_item.setdefault(st["item"], set()).add(st["id"])
        return None

    def _unwait(self, rid, state):
        """A waiting request leaves the queue, withdrawn or granted."""
        r = self.requests[rid]
        if r["state"] == "waiting":
            r["state"] = state
            self.waiting_members.discard(r["member"])
            self.waiting_by_item.get(r["item"], set()).discard(rid)

    def _withdraw(self, st):
        r = self.requests.get(st["request"])
        if r is None:
            return "unknown-request"
        if r["member"] != st["author"]:
            return "not-your-request"
        if r["state"] != "waiting":
            return "request-not-waiting"
        self._unwait(st["request"], "withdrawn")
        return None

    def _grant(self, st):
        why = self.not_chair(st)
        if why is None and self.floor is not None:
            why = "floor-taken"
        r = self.requests.get(st["request"])
        if why is None and r is None:
            why = "unknown-request"
        if why is None and r["state"] != "waiting":
            why = "request-not-waiting"
        if why is None:
            self._unwait(st["request"], "granted")
            self.floor = st["request"]
        return why

    def _end_floor(self, st):
        r = self.requests.get(st["request"])
        if r is None:
            return "unknown-request"
        if st["author"] not in self.chairs and st["author"] != r["member"]:
            return "not-chair"
        if self.floor != st["request"]:
            return "not-speaking"
        r["state"], self.floor = "ended", None
        return None

    def causal_past(self, st):
        """Present voters and conflicts (item -> members) in st's causal past, each Present,
        Left and DeclareConflict counting exactly when rule 3 or 6 would apply it."""
        present, conflicts = set(), {}
        mask = self.anc[st["id"]] & self.presence_mask
        self.spend(1 + len(self.order) // 64)
        while mask:
            low = mask & -mask
            mask ^= low
            self.spend(1)
            s = self.statements[self.order[low.bit_length() - 1]][1]
            if s["kind"] in (2, 3) and self.presence_code(s) is None:
                (present.add if s["kind"] == 2 else present.discard)(s["member"])
            elif s["kind"] == 12 and self.conflict_counts(s) is None:
                conflicts.setdefault(s["item"], set()).add(s["author"])
        return present, conflicts

    def _open_poll(self, st):
        ctx = self.context
        why = self.not_chair(st)
        if why is None and (self.current is None or st["item"] != self.current):
            why = "item-not-current"
        needed = required(THRESHOLDS.index(ctx["quorum"]), ctx["seats"])
        if why is None and (st["seats"] != ctx["seats"] or st["quorum_needed"] != needed):
            why = "wrong-seats"
        default = (THRESHOLDS.index(ctx["default_majority"]["threshold"]),
                   BASES.index(ctx["default_majority"]["base"]))
        if why is None and st["rule"] != default and not ctx["allow_poll_override"]:
            why = "rule-not-allowed"
        if why is not None:
            return why
        present, conflicts = self.causal_past(st)
        conflicted = conflicts.get(st["item"], set())
        if len(present) < st["quorum_needed"]:
            return "no-quorum"
        if st["eligible"] != sorted(present - conflicted) or \
                st["recused"] != sorted(present & conflicted):
            return "snapshot-mismatch"
        self.polls[st["id"]] = {"open": st, "close": None, "ballots": {}}
        self.poll_order.append(st["id"])
        return None

    def _close_poll(self, st):
        why = self.not_chair(st)
        if why is not None:
            return why
        poll = self.polls.get(st["poll"])
        if poll is None or not self.anc[st["id"]] >> self.pos_of[st["poll"]] & 1:
            return "unknown-poll"
        if poll["close"] is not None:
            return "poll-closed"
        present, _ = self.causal_past(st)
        if st["present"] != sorted(present):
            return "snapshot-mismatch"
        op = poll["open"]
        f, a, ab = st["counts"]
        th, base = op["rule"]
        b = [f + a, f + a + ab, len(op["eligible"]), op["seats"]][base]
        quorum = len(st["present"]) >= op["quorum_needed"]
        if st["outcome"] != int(quorum and f >= required(th, b)):
            return "outcome-mismatch" if quorum else "no-quorum"
        poll["close"] = st
        return None

    # --- ballots (rule 5) ---------------------------------------------------------------------

    def accept_ballot(self, b, raw):
        """Rule 5 for a ballot naming one of this session's statements as its poll, its
        signature verified already (own_refusal): returns None when stored, else ("refused" |
        "waiting" | "ignored", reason)."""
        if b["poll"] not in self.statements:
            return "waiting", "its poll was refused or waits"
        if self.statements[b["poll"]][1]["kind"] != 13:
            return "refused", "its poll is not an OpenPoll"
        missing = [x for x in b["seen"] if x not in self.statements]
        if missing:
            return "waiting", "it names a statement the session does not hold (%s)" % hx(
                missing[0])
        if b["poll"] in self.ignored_polls:
            return "ignored", "poll-not-opened"
        if b["voter"] not in self.polls[b["poll"]]["open"]["eligible"]:
            return "refused", "its voter is not eligible"
        self.polls[b["poll"]]["ballots"][raw] = b
        return None

    # --- revocation ---------------------------------------------------------------------------

    def revoked_by(self, log, void, member, roles_ok):
        """The positions, in (depth, id) order, of the revocations of `member` that are not
        void over the whole log, that the opening's log heads had not seen, and that bite: a
        removal always, a change of roles when `roles_ok(new roles)` is false."""
        out = []
        for i in log.revocations_of(member, ~self.log_mask):
            op = log.ops[i]
            if i not in void and (op["kind"] == 1 or not roles_ok(op["roles"])):
                out.append(i)
        return out

    def _in_context(self, member, field):
        """A test of new roles: whether `member` with them is in the context's `field`."""
        def ok(roles):
            ctx = context_of(self.state.with_roles(member, roles), self.council,
                             self.open["on"], self.open.get("committee"))
            return hx(member) in ctx[field]
        return ok

    def void_by(self, log, void):
        """Whether the items void this session: the positions of the revocations of its chair
        that do (first in (depth, id) order first), or [] when it is not void. A participant
        other than the chair (the author of a statement the session stores, applied or
        ignored; ballots do not count) is in good standing when no such revocation leaves them
        unable to write (removed, or roles that may not write)."""
        chair = self.open["author"]
        revs = self.revoked_by(log, void, chair, self._in_context(chair, "chairs"))
        if not revs:
            return []
        for p in self.participants - {chair}:
            if not self.revoked_by(log, void, p, may_write):
                return []
        return revs


# ---------------------------------------------------------------------------------------------
# The bundle (section 10): frame, replay, tallies, agreement.

ID_MINUTES = b"council/v1/id/minutes\0"
Z32 = bytes(32)


def wire_bytes(v):
    """The wire form `bytes(body) ‖ sig` of a decoded signed value."""
    return struct.pack(">I", len(v["body"])) + v["body"] + v["sig"]


def bundle_frame(doc):
    """Step 1: returns ((genesis, items), None) or (None, the reason the file is not a
    bundle); items are (position, tag, decoded, wire bytes after the tag), each distinct
    item once (an item given twice is read once)."""
    council = bytes.fromhex(doc["council"])
    try:
        g = decode_genesis(bytes.fromhex(doc["genesis"]))
    except Malformed as e:
        return None, "the genesis is malformed (%s)" % e
    if g["id"] != council:
        return None, "the council id is not the hash of the genesis"
    why = genesis_refusal(g)
    if why:
        return None, "the genesis is refused: %s" % why
    items, seen = [], set()
    for i, h in enumerate(doc["items"]):
        raw = bytes.fromhex(h)
        try:
            tag, v = decode_item(raw)
        except Malformed as e:
            return None, "item #%d is malformed (%s)" % (i, e)
        if raw not in seen:
            seen.add(raw)
            items.append((i, tag, v, raw[1:]))
    return (g, items), None


def change_own_refusal(ch, council):
    """A document change's own checks: council, actor id, signature (over the change hash)."""
    if ch["council"] != council:
        return "it names another council"
    actor = ch["header"]["actor"]
    if len(actor) != 48 or actor[:32] != ch["author"]:
        return "its actor id is not the author's key and a device id"
    if not sig_ok(ch["author"], SIGN_CHANGE, ch["signed"], ch["sig"]):
        return "bad signature"
    return None


def change_refusal(log, ch):
    """The rest of "What a peer checks" that this verifier can check, after
    change_own_refusal: the log heads, and that the author may write the document there.
    Returns ("refused" | "waiting", reason) or None. Not checked: the document's schema,
    automerge's own parse, and whether a change held back by a revocation ("Document
    changes") applies."""
    bad = log.head_problem(ch["log_heads"])
    if bad:
        return bad
    if ch["doc"] not in log.index:
        return "waiting", "its document %s is not an applied operation" % hx(ch["doc"])
    state = log.resolve(log.past(ch["log_heads"]))[0]
    m = state.members.get(ch["author"])
    if m is None or m.removed or not may_write(m.roles):
        return "refused", "its author may not write"
    why = state.may_write_doc(ch["author"], ch["doc"])
    return ("refused", why) if why else None


def replay_changes(log, items, council):
    """The document changes (tag 1), in the order of their automerge dependencies among the
    held changes: each is checked as change_refusal says, waits when a change it depends on
    was refused or waits, and is refused unless its log heads cover those of every change it
    depends on. Two changes of one actor with the same sequence number (an equivocation) are
    both refused, so that the verdict does not depend on the order of the items. Returns the
    problems and the accepted changes, as a set of (document, change hash)."""
    problems, held = [], {}
    for pos, tag, ch, _ in items:
        if tag != 1:
            continue
        why = change_own_refusal(ch, council)
        if why:
            problems.append(problem("refused", pos, "document change %s: %s"
                                    % (hx(ch["hash"]), why)))
        elif ch["hash"] not in held:
            held[ch["hash"]] = (pos, ch)
    slots = {}
    for h, (_, ch) in held.items():
        slots.setdefault((ch["doc"], ch["header"]["actor"], ch["header"]["seq"]), []).append(h)
    deps = {h: [d for d in ch["header"]["deps"] if d in held] for h, (_, ch) in held.items()}
    depth, _ = toposort_depths(deps, set())  # hashes name no cycle
    failed = set()
    for h in sorted(depth, key=lambda x: (depth[x], x)):
        pos, ch = held[h]
        twins = slots[(ch["doc"], ch["header"]["actor"], ch["header"]["seq"])]
        bad = change_refusal(log, ch)
        if bad is None and len(twins) > 1:
            bad = ("refused", "an equivocation: %s have one actor and sequence number"
                   % ", ".join(hx(t) for t in sorted(twins)))
        if bad is None and any(d in failed for d in deps[h]):
            bad = ("waiting", "a change it depends on was refused or waits")
        if bad is None:
            mine = log.past(ch["log_heads"])
            for d in deps[h]:
                if log.past(held[d][1]["log_heads"]) & ~mine:
                    bad = ("refused", "its log heads do not cover those of %s" % hx(d))
                    break
        if bad:
            failed.add(h)
            problems.append(problem(bad[0], pos, "document change %s: %s" % (hx(h), bad[1])))
    accepted = {(ch["doc"], h) for h, (_, ch) in held.items() if h not in failed and h in depth}
    return problems, accepted


def own_refusal(tag, v, council):
    """An item's own checks, those that need nothing else (section 10 step 2: a refused item
    "fails its own checks"; what it needs comes after): council and signature."""
    if tag == 2:
        if v["council"] != council:
            return "it names another council"
        if not sig_ok(v["author"], SIGN_STATEMENT, v["body"], v["sig"]):
            return "bad signature"
    elif tag == 3 and not sig_ok(v["voter"], SIGN_BALLOT, v["body"], v["sig"]):
        return "bad signature"
    return None


def _open_sessions(log, sessions, members):
    """Accepts or refuses each session's opening, then stores and derives its statements."""
    problems, live = [], {}
    stmt_session = {}
    for sid, s in sessions.items():
        stmt_session[sid] = sid
    for sid, entries in members.items():
        for _, st in entries:
            stmt_session.setdefault(st["id"], sid)
    for sid in sorted(sessions):
        s = sessions[sid]
        bad = ("refused", None) if s.status.get(sid) == "refused" else s.accept_open(log)
        if bad:
            if bad[1] is not None:  # else reported already, copy by copy
                problems.append(problem(bad[0], s.open_pos, "session opening %s: %s"
                                        % (hx(sid), bad[1])))
            for pos, st in members.get(sid, []):
                why = own_refusal(2, st, s.council)
                problems.append(problem("refused", pos, "statement %s: %s" % (hx(st["id"]), why))
                                if why else
                                problem("waiting", pos, "statement %s: its session's opening "
                                        "was refused or waits" % hx(st["id"])))
            s.status[sid] = bad[0]
            continue
        problems += s.store(members.get(sid, []), stmt_session)
        s.derive()
        live[sid] = s
    return live, stmt_session, problems


def replay_sessions(log, items, council):
    """Rules 1-6 of section 6 over the statement and ballot items. Returns (live sessions by
    id, problems, ignored ballots [(session, poll, ballot id, voter)])."""
    statements = [(pos, st) for pos, tag, st, _ in items if tag == 2]
    sessions, members, problems = {}, {}, []
    for pos, st in statements:
        if st["kind"] != 0:
            members.setdefault(st["session"], []).append((pos, st))
            continue
        why = own_refusal(2, st, council)
        if why:
            problems.append(problem("refused", pos, "session opening %s: %s" % (hx(st["id"]), why)))
        elif st["id"] not in sessions:
            sessions[st["id"]] = Session(pos, st, council)
    for pos, st in statements:  # an opening all of whose copies fail their own checks
        if st["kind"] == 0 and st["id"] not in sessions:
            sessions[st["id"]] = Session(pos, st, council)
            sessions[st["id"]].status[st["id"]] = "refused"
    for sid, entries in sorted(members.items()):
        if sid not in sessions:
            for pos, st in entries:
                why = own_refusal(2, st, council)
                problems.append(problem("refused", pos, "statement %s: %s" % (hx(st["id"]), why))
                                if why else
                                problem("waiting", pos, "statement %s: its session's opening "
                                        "%s is not among the items" % (hx(st["id"]), hx(sid))))
    live, stmt_session, more = _open_sessions(log, sessions, members)
    problems += more
    ignored = []
    for pos, tag, b, raw in items:
        if tag != 3:
            continue
        sid = stmt_session.get(b["poll"])
        s = live.get(sid)
        why = own_refusal(3, b, council)
        bad = (("refused", why) if why
               else ("waiting", "its poll %s is not among the items" % hx(b["poll"])) if sid is None
               else ("waiting", "its session's opening was refused or waits") if s is None
               else s.accept_ballot(b, raw))
        if bad is None:
            continue
        if bad[0] == "ignored":
            ignored.append((sid, b["poll"], b["id"], b["voter"]))
        else:
            problems.append(problem(bad[0], pos, "ballot %s: %s" % (hx(b["id"]), bad[1])))
    return live, problems, ignored


def check_result(name, offending):
    off = sorted(set(offending), key=lambda x: x.encode())
    return {"name": name, "result": "fail" if off else "pass", "offending": off}


CONTEXT_FIELDS = ("council", "seats", "quorum", "default_majority", "allow_poll_override",
                  "chairs", "voters")


def context_field(ctx, name):
    """A context's field for the `context` check: `chairs` and `voters` are sets, in any
    order (section 10, "Form")."""
    return sorted(ctx[name]) if name in ("chairs", "voters") else ctx[name]


def not_applicable(name):
    return {"name": name, "result": "not-applicable", "offending": []}


def document_check(poll, session, log, void):
    """`document`: the OpenPoll's document is its agenda item's, or an Amendment or Opinion
    of it (a CreateDocument among the applied log operations, void ones left out)."""
    op = poll["open"]
    item_doc = session.open["agenda"][op["item"]][1]
    off = []
    if item_doc is None and op["doc"] != Z32:
        off.append("item-has-no-document")
    if item_doc is not None and op["doc"] != item_doc:
        i = log.index.get(op["doc"])
        spec = log.ops[i].get("spec") if i is not None and i not in void else None
        if not (log.ops[i]["kind"] == 7 and spec["kind"] in (1, 2) and spec["draft"] == item_doc
                if spec is not None else False):
            off.append("other-document")
    if op["doc"] != Z32 and not op["version"]:
        off.append("no-version")
    return check_result("document", off)


def version_check(poll, changes):
    """`version`: each hash of the OpenPoll's version is an accepted change of its document;
    not applicable when the items hold no "such change" of that document: none accepted
    (read as `council verify` reads it: a document whose only changes are refused is not
    checked either)."""
    op = poll["open"]
    if op["doc"] not in changes["docs"]:
        return not_applicable("version")
    return check_result("version", ["not-in-items:" + hx(h) for h in op["version"]
                                    if (op["doc"], h) not in changes["accepted"]])


def agreement(p, session, revs, log, void, changes):
    """Section 10 step 4 for one entry of `polls`; `revs` the revocations voiding its
    session (their ids), or []; `changes` {"docs": documents with an accepted change,
    "accepted": (document, change hash) of the accepted changes}."""
    if session is None:
        return [check_result(n, ["session-not-in-items"]) for n in
                ("context", "open", "close", "ballots")] + [not_applicable("document"),
                                                            not_applicable("version")]
    checks = [check_result("context", [f for f in CONTEXT_FIELDS
                                       if not same(context_field(p["context"], f),
                                                   context_field(session.context, f))])]
    poll = session.polls.get(bytes.fromhex(p["poll"]))
    if poll is None:
        checks.append(check_result("open", ["not-in-items"]))
    else:
        off = [] if wire_bytes(poll["open"]) == bytes.fromhex(p["open"]) else ["differs"]
        if p["title"] != poll["open"]["title"]:
            off.append("title")
        checks.append(check_result("open", off))
    held = wire_bytes(poll["close"]) if poll and poll["close"] else None
    stated = bytes.fromhex(p["close"]) if p["close"] is not None else None
    off = []
    if stated is None and held is not None:
        off = ["missing"]
    elif stated is not None and held is None:
        off = ["not-in-items"]
    elif stated != held:
        off = ["differs"]
    checks.append(check_result("close", off))
    held_ballots = poll["ballots"] if poll else {}
    listed, off = set(), []
    for i, h in enumerate(p["ballots"]):
        raw = bytes.fromhex(h)
        listed.add(raw)
        if raw in held_ballots:
            continue
        try:
            off.append("not-in-items:ballot:" + hx(decode_ballot(raw)["id"]))
        except Malformed:
            off.append("not-in-items:#%d" % i)
    for raw, b in held_ballots.items():
        if raw not in listed:
            off.append("missing:ballot:" + hx(b["id"]))
    checks.append(check_result("ballots", off))
    if poll is None:
        checks += [not_applicable("document"), not_applicable("version")]
    else:
        checks += [document_check(poll, session, log, void), version_check(poll, changes)]
    if revs:
        checks.append(check_result("session", ["revoked:" + hx(revs[0])]))
    return checks


def held_statements(items):
    """Step 3: for each session id, its statement items (its OpenSession included), as
    id -> parents: what tells a late ballot from an omitted one in the tally of its polls."""
    out = {}
    for _, tag, st, _ in items:
        if tag == 2:
            sid = st["id"] if st["kind"] == 0 else st["session"]
            out.setdefault(sid, {})[st["id"]] = st["parents"]
    return out


def member_name(state, key):
    m = state.members.get(key)
    return m.name if m is not None else hx(key)


APPROVER_ROLES = ((CHAIR, "chair"), (DEPUTY_CHAIR, "deputy-chair"), (SECRETARY, "secretary"))


def minutes_hash(session, ignored_ballots):
    """Section 2: over the session id, the ids of the statements the session stored (applied
    or ignored) but its opening, and of the ballots it stored for its polls or ignored for a
    poll opening it ignored. ("Held" is read as stored: refused and waiting items are not
    part of the record; `council verify` reads it so too.)"""
    sid = session.id
    stmts = [i for i in session.statements if i != sid]
    ballots = {b["id"] for p in session.polls.values() for b in p["ballots"].values()}
    ballots |= {bid for s, _, bid, _ in ignored_ballots if s == sid}
    body = sid + struct.pack(">I", len(stmts)) + b"".join(sorted(stmts)) \
        + struct.pack(">I", len(ballots)) + b"".join(sorted(ballots))
    return sha(ID_MINUTES, body)


def minutes_of(sessions, state, ignored_ballots, voided_sessions):
    """Per session that is not void: its minutes hash, each approver's latest approval, and
    whether a member who held chair or deputy chair and one who held secretary, when they
    approved, both approved that hash. `role`: the first of chair, deputy-chair, secretary
    the approver held (the spec does not say how a role is spelled, or which of several)."""
    out = []
    for sid in sorted(sessions):
        if sid in voided_sessions:
            continue
        h = minutes_hash(sessions[sid], ignored_ballots)
        approvals = []
        for (s, a), (m, roles) in sorted(state.approvals.items()):
            if s != sid:
                continue
            role = next((n for bit, n in APPROVER_ROLES if roles & bit), None)
            approvals.append({"name": member_name(state, a), "member": hx(a), "role": role,
                              "minutes": hx(m), "matches": m == h, "_roles": roles})
        by_chair = any(x["matches"] and x["_roles"] & (CHAIR | DEPUTY_CHAIR) for x in approvals)
        by_secretary = any(x["matches"] and x["_roles"] & SECRETARY for x in approvals)
        for x in approvals:
            del x["_roles"]
        out.append({"session": hx(sid), "label": sessions[sid].open["label"], "hash": hx(h),
                    "approvals": approvals,
                    "matches_record": bool(approvals) and all(x["matches"] for x in approvals),
                    "approved": by_chair and by_secretary})
    return out


def poll_problems(doc, sessions):
    """Step 2's listed-twice problems, one for each entry of `polls` whose (session, poll) an
    earlier entry has, in the order of `polls`; then the unlisted-poll ones, sessions by
    increasing id, each one's polls in the order it applied their openings. A poll counts as
    listed when an entry names it with its session."""
    out, listed = [], set()
    for p in doc["polls"]:
        key = (p["session"], p["poll"])
        if key in listed:
            out.append(problem("listed-twice", None, "poll %s of session %s is listed again"
                               % (p["poll"], p["session"]), poll=bytes.fromhex(p["poll"]),
                               session=bytes.fromhex(p["session"])))
        listed.add(key)
    for sid in sorted(sessions):
        for pid in sessions[sid].poll_order:
            if (hx(sid), hx(pid)) not in listed:
                out.append(problem("unlisted-poll", None, "poll %s of session %s is not listed "
                                   "in polls" % (hx(pid), hx(sid)), poll=pid, session=sid))
    return out


def ordered_problems(problems):
    """refused items, then waiting items, each by increasing position, then the polls'
    problems in the order poll_problems gives them."""
    rank = {"refused": 0, "waiting": 1, "listed-twice": 2, "unlisted-poll": 3}
    return sorted(problems, key=lambda p: (rank[p["code"]], -1 if p["item"] is None
                                           else p["item"]))


def voided_list(log, void, voided_sessions, sessions, state):
    out = []
    for i, (code, by) in void.items():
        op = log.ops[i]
        out.append({"op": hx(op["id"]), "author": member_name(state, op["author"]),
                    "code": code, "by": None if by is None else hx(log.ops[by]["id"]),
                    "reason": VOID_WORDS[code]})
    for sid, revs in voided_sessions.items():
        out.append({"op": hx(sid), "author": member_name(state, sessions[sid].open["author"]),
                    "code": VOID_SESSION, "by": hx(log.ops[revs[0]]["id"]),
                    "reason": VOID_WORDS[VOID_SESSION]})
    return sorted(out, key=lambda v: v["op"])


def ignored_list(sessions, ignored_ballots, voided_sessions, state):
    out = []
    for sid in sorted(sessions):
        if sid in voided_sessions:
            continue  # nothing in a void session counts, nor is listed (section 6, rule 6)
        for kind, i, author, code, reason in sorted(sessions[sid].ignored, key=lambda x: x[1]):
            out.append({"session": hx(sid), "kind": kind, "id": hx(i),
                        "author": member_name(state, author), "code": code, "reason": reason})
        for _, poll, bid, voter in sorted(x for x in ignored_ballots if x[0] == sid):
            out.append({"session": hx(sid), "kind": "ballot", "id": hx(bid),
                        "author": member_name(state, voter), "code": "poll-not-opened",
                        "reason": "a ballot for a poll whose opening the session ignored"})
    return out


def check_bundle(doc):
    """The whole of section 10 over a bundle read by read_bundle: the result in the JSON
    shape of `council verify --bundle --json`, and whether the bundle passes; or (None, the
    reason) when it is not a bundle (step 1: no verdict at all)."""
    out = {"council": doc["council"], "problems": [], "voided": [], "ignored": [],
           "reports": [], "verified": 0, "failed": 0}
    frame, why = bundle_frame(doc)
    if frame is None:
        return None, why
    genesis, items = frame
    council = genesis["id"]
    log = Log(genesis, council)
    try:
        problems = log.replay([(pos, v) for pos, tag, v, _ in items if tag == 0])
        more_problems, accepted = replay_changes(log, items, council)
        problems += more_problems
        changes = {"docs": {doc for doc, _ in accepted}, "accepted": accepted}
        sessions, more, ignored_ballots = replay_sessions(log, items, council)
        state, void = log.resolve(log.all_mask())
        voided_sessions = {}
        for sid, s in sessions.items():
            revs = s.void_by(log, void)
            if revs:
                voided_sessions[sid] = revs
    except LogLimit as e:
        out["problems"].append(problem("not-verified", None, "not verified: %s (this verifier's "
                                       "limit)" % e))
        return out, False
    out["problems"] = ordered_problems(problems + more + poll_problems(doc, sessions))
    out["voided"] = voided_list(log, void, voided_sessions, sessions, state)
    out["ignored"] = ignored_list(sessions, ignored_ballots, voided_sessions, state)
    held = held_statements(items)
    for p in doc["polls"]:
        report = verify(p["context"], p["open"], p["close"], p["ballots"],
                        held=held.get(bytes.fromhex(p["session"]), {}))
        report["session"], report["title"] = p["session"], p["title"]
        sid = bytes.fromhex(p["session"])
        revs = [log.ops[i]["id"] for i in voided_sessions.get(sid, [])]
        report["agreement"] = agreement(p, sessions.get(sid), revs, log, void, changes)
        ok = ("error" not in report and report["verified"]
              and all(c["result"] != "fail" for c in report["agreement"]))
        out["verified" if ok else "failed"] += 1
        out["reports"].append(report)
    out["minutes"] = minutes_of(sessions, state, ignored_ballots, voided_sessions)
    return out, not out["problems"] and out["failed"] == 0


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
              for k in report["checks"] + report.get("agreement", []) if k["result"] == "fail"]
    if failed:
        line += "; failed: " + "; ".join(failed)
    return line


def print_bundle(out):
    """The text form of check_bundle's result."""
    for p in out["problems"]:
        print("problem: %s%s: %s" % (p["code"], "" if p["item"] is None else " item #%d"
                                     % p["item"], show(p["text"], 400)))
    for v in out["voided"]:
        print("void: operation %s by %s has no effect: %s" % (v["op"], show(v["author"]),
                                                             v["reason"]))
    for x in out["ignored"]:
        print("ignored: %s %s by %s in session %s: %s" % (x["kind"], x["id"], show(x["author"]),
                                                          x["session"], x["code"]))
    for r in out["reports"]:
        ok = ("error" not in r and r["verified"]
              and all(c["result"] != "fail" for c in r["agreement"]))
        print("%s %s %s: %s" % ("ok  " if ok else "FAIL", r.get("poll", r["session"])[:16],
                                show(r["title"]), summary(r)))
    for m in out.get("minutes", []):
        print("minutes of session %s (%s): %s" % (m["session"][:16], show(m["label"]),
                                                 "approved" if m["approved"] else "not approved"))
    print("%d polls verified, %d failed" % (out["verified"], out["failed"]))


def verify_bundle(path, max_bytes, as_json=False):
    """A file that is not a bundle gives one error line and status 1, with or without
    --json (section 10); one that cannot be read, status 2."""
    try:
        out, ok = check_bundle(read_bundle(path, max_bytes))
        why = None if out is not None else ok
    except Unreadable:
        raise
    except InputError as e:
        out, why = None, str(e)
    if out is None:
        why = why[len("not a bundle: "):] if why.startswith("not a bundle: ") else why
        print("verify.py: %s: not a bundle: %s" % (show(str(path), 200), why), file=sys.stderr)
        return EXIT_FAILED
    if as_json:
        print(json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print_bundle(out)
    return EXIT_OK if ok else EXIT_FAILED


# ---------------------------------------------------------------------------------------------
# The test vectors.


def verify_vectors(path, max_bytes):
    doc = read_vectors(path, max_bytes)
    passed = failed = 0
    for v in doc["vectors"]:
        got = verify(v["context"], v["open"], v["close"], v["ballots"], v["statements"])
        if same(got, v["expected"]):
            passed += 1
        else:
            failed += 1
            print("MISMATCH %s" % show(v["name"]))
            for k in sorted(set(got) | set(v["expected"])):
                if k not in got or k not in v["expected"] or not same(got[k], v["expected"][k]):
                    print("  %s: got %s, expected %s" % (show(k), show(repr(got.get(k)), 300),
                                                         show(repr(v["expected"].get(k)), 300)))
    print("%d passed, %d failed" % (passed, failed))
    return EXIT_FAILED if failed or not passed else EXIT_OK


# ---------------------------------------------------------------------------------------------


def parser():
    p = argparse.ArgumentParser(
        prog="verify.py",
        description="An independent verifier of Council poll tallies, written from docs/format.md\n"
                    "alone. Without --bundle, recomputes the report of every test vector and\n"
                    "compares it with the expected one. With --bundle, checks a signed bundle\n"
                    "as docs/format.md section 10 defines: frame, log and session replay,\n"
                    "tallies, agreement. Input is read strictly (see the module's docstring).",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("vectors", nargs="?", metavar="VECTORS", type=Path,
                   help="the test-vector file (default: %s)" % DEFAULT_VECTORS)
    p.add_argument("--bundle", metavar="FILE", type=Path,
                   help="verify the polls of this bundle instead of test vectors")
    p.add_argument("--json", action="store_true",
                   help="with --bundle, print the result as JSON, in the shape of "
                        "`council verify --bundle FILE --json`")
    p.add_argument("--max-bytes", metavar="N", type=int, default=DEFAULT_MAX_BYTES,
                   help="refuse an input file larger than N bytes (default: %(default)s)")
    p.add_argument("--traceback", action="store_true",
                   help="on an internal error, print the whole Python traceback")
    return p


def main(argv=None):
    ap = parser()
    args = ap.parse_args(argv)
    if args.bundle is not None and args.vectors is not None:
        ap.error("give either VECTORS or --bundle FILE, not both")
    if args.json and args.bundle is None:
        ap.error("--json goes with --bundle FILE")
    if args.max_bytes < 1:
        ap.error("--max-bytes must be at least 1")
    # A title or name that cannot be encoded for this terminal is escaped, not a crash.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if NACL_ERROR is not None:
        print("verify.py: PyNaCl is required (pip install pynacl): %s" % NACL_ERROR,
              file=sys.stderr)
        return EXIT_INTERNAL
    path = args.bundle if args.bundle is not None else (args.vectors or DEFAULT_VECTORS)
    try:
        if args.bundle is not None:
            return verify_bundle(path, args.max_bytes, args.json)
        return verify_vectors(path, args.max_bytes)
    except InputError as e:
        print("verify.py: %s: %s" % (show(str(path), 200), e), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        sys.stdout = None
        return EXIT_FAILED
    except Exception as e:  # a bug: say what and where, in one line, unless asked for more
        if args.traceback:
            raise
        where = traceback.extract_tb(e.__traceback__)[-1]
        print("verify.py: internal error: %s: %s (%s line %d, in %s); rerun with --traceback"
              % (type(e).__name__, show(str(e), 200), Path(where.filename).name, where.lineno,
                 where.name), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
