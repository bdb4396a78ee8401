#!/usr/bin/env python3
"""An independent verifier of Council poll tallies, written from docs/format.md alone.

Usage: verify.py [VECTORS]     (default: docs/test-vectors.json of this script's repository)
       verify.py --bundle FILE
Recomputes the report of every vector and compares it with the expected one.
Prints one line per mismatch and a final line "N passed, M failed"; exits 1 on any mismatch.

With --bundle, verifies every poll of a signed bundle (docs/format.md section 10) against the
context the bundle states for it, after checking that the council id is the hash of the bundle's
genesis and that the context and the poll's statements all name that council. Prints one line
per poll and a final line "N polls verified, M failed"; exits 1 if any poll fails or the frame
does not hold.

Input is read strictly: a JSON document of at most --max-bytes bytes of UTF-8, nested at most
MAX_DEPTH deep, with no duplicate key in an object and no number that is not an integer (no
fraction, exponent, NaN or Infinity); every field the spec names must be present with its type
(integers are JSON integers, never booleans; booleans are true/false; bytes are lower-case hex
of the exact length the spec gives) and no other field may appear. Anything else is refused with
a one-line reason on stderr and exit status 2; see EXIT_STATUS below.
"""

import argparse
import hashlib
import json
import re
import struct
import sys
import traceback
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
  1  a vector does not match, or the bundle does not verify (a poll fails, the council
     id is not the hash of the genesis, or the genesis is not a signed value)
  2  usage error, or the input cannot be read as the document the spec describes:
     unreadable, larger than --max-bytes, not UTF-8, not JSON, nested deeper than %d,
     a number that is not an integer, a duplicate key, a lone surrogate, a missing,
     unknown or mistyped field, hex that is not lower case or not of the stated length,
     a bundle whose format is not %s
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
    st["parents"] = r.sorted_list(1024, r.h)
    st["time"] = r.u64()
    kind = r.u8()
    st["kind"] = kind
    if kind == 0:
        b = r.u8()
        if b == 1:
            r.h()
        elif b != 0:
            raise Malformed("body")
        heads = r.sorted_list(1024, r.h)
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


def verify(ctx, open_hex, close_hex, ballots_hex, statements_hex=()):
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
        parents = session_parents(statements_hex, [op, cl])
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
    """The input cannot be read as the document the spec describes (exit status 2)."""


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
        raise InputError("cannot read: %s" % (e.strerror or e))
    if len(data) > max_bytes:
        raise InputError("larger than %d bytes (see --max-bytes)" % max_bytes)
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
    doc = read_json(path, max_bytes)
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
# The bundle.


def bundle_frame(doc):
    """Checks the frame's bytes: the genesis is a signed value and the council id its hash.
    Returns the council id, or the reason the file is not a bundle."""
    council = bytes.fromhex(doc["council"])
    try:
        body, _sig = wire(bytes.fromhex(doc["genesis"]), 64 * 1024)
    except Malformed as e:
        return None, "the genesis is not a signed value (%s)" % e
    if sha(ID_GENESIS, body) != council:
        return None, "the council id is not the hash of the genesis"
    return council, None


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
        except Malformed:
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


def verify_bundle(path, max_bytes):
    doc = read_bundle(path, max_bytes)
    council, why = bundle_frame(doc)
    if council is None:
        print("%s: not a bundle: %s" % (show(str(path), 200), why))
        return EXIT_FAILED
    # Each session's statements, from the items (tag 2): what tells a late ballot from an
    # omitted one.
    by_session = {}
    for h in doc["items"]:
        if not h.startswith("02"):
            continue
        try:
            st = decode_statement(bytes.fromhex(h[2:]))
        except Malformed:
            continue
        sid = st["id"] if st["kind"] == 0 else st["session"]
        by_session.setdefault(hx(sid), []).append(h[2:])
    verified = failed = 0
    for p in doc["polls"]:
        problems = council_problems(council, p)
        report = verify(p["context"], p["open"], p["close"], p["ballots"],
                        by_session.get(p["session"], []))
        if "error" not in report and report["poll"] != p["poll"]:
            problems.append("the poll id is not the open statement's id")
        ok = "error" not in report and report["verified"] and not problems
        verified, failed = verified + ok, failed + (not ok)
        print("%s %s %s: %s%s" % ("ok  " if ok else "FAIL", p["poll"][:16], show(p["title"]),
                                  summary(report), "".join("; " + x for x in problems)))
    print("%d polls verified, %d failed" % (verified, failed))
    return EXIT_FAILED if failed else EXIT_OK


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
                    "compares it with the expected one. With --bundle, verifies every poll of a\n"
                    "signed bundle (docs/format.md section 10) against the context the bundle\n"
                    "states for it. Input is read strictly (see the module's docstring).",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("vectors", nargs="?", metavar="VECTORS", type=Path,
                   help="the test-vector file (default: %s)" % DEFAULT_VECTORS)
    p.add_argument("--bundle", metavar="FILE", type=Path,
                   help="verify the polls of this bundle instead of test vectors")
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
            return verify_bundle(path, args.max_bytes)
        return verify_vectors(path, args.max_bytes)
    except InputError as e:
        print("verify.py: %s: %s" % (show(str(path), 200), e), file=sys.stderr)
        return EXIT_INPUT
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
