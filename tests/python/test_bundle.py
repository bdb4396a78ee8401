#!/usr/bin/env python3
"""Self-test of verify.py --bundle's decoding and replay (docs/format.md sections 3, 6, 10).

Mutates docs/example-bundle.json (a tampered signature, an unknown kind, trailing bytes, a
stated context or ballot list that differs from the items...) and builds small bundles from
scratch, signed with the fixed test keys of docs/test-vectors.json (a removed member's
concurrent operation void, a mutual removal, a void session, document changes around hand-made
change chunks, and scenarios: every reason a session ignores a statement, revocations of every
kind, committees, documents and minutes). Each case runs verify.py --bundle --json and checks
its exit status and result; then compare.py is checked. With DUMP_DIR set, each case's bundle is
also written there, to run another implementation on them (council verify; compare.py). Prints
one line per failure and "N passed, M failed"; exits 1 on any failure. Needs PyNaCl
(tests/python/run.sh provides it).
"""

import copy
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from nacl.signing import SigningKey

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VERIFY = HERE / "verify.py"
BUNDLE = json.loads((ROOT / "docs" / "example-bundle.json").read_text("utf-8"))
SEEDS = [bytes.fromhex(k["seed"]) for k in
         json.loads((ROOT / "docs" / "test-vectors.json").read_text("utf-8"))["keys"]]
KEYS = [bytes(SigningKey(s).verify_key) for s in SEEDS]

passed = failed = 0
tmp = Path(tempfile.mkdtemp(prefix="verify-bundle-"))


# --- encoders, from docs/format.md sections 1-5 ------------------------------------------------

def u8(n):
    return bytes([n])


def u32(n):
    return struct.pack(">I", n)


def u64(n):
    return struct.pack(">Q", n)


def bts(b):
    return u32(len(b)) + b


def text(s):
    return bts(s.encode("utf-8"))


def lst(items):
    return u32(len(items)) + b"".join(items)


def sign(prefix, n, body):
    return bts(body) + SigningKey(SEEDS[n]).sign(prefix + body).signature


def rules(seats=1, perms=1):
    """seats, quorum more-than-half, default more-than-half of all-seats, no override, the
    five speaking times, the seven permissions all `perms`, an empty workflow."""
    return (u32(seats) + u8(0) + u8(0) + u8(3) + u8(0) + u32(60) * 5 + u8(perms) * 7
            + lst([]))


def genesis(n=0, roles=9, name="Test council", seats=1, founder="Founder"):
    body = (u8(1) + text(name) + rules(seats) + KEYS[n] + text(founder) + u8(roles)
            + u64(0) + bytes(16))
    return sign(b"council/v1/sign/genesis\0", n, body), \
        hashlib.sha256(b"council/v1/id/genesis\0" + body).digest()


def log_op(n, council, parents, kind, fields):
    body = council + KEYS[n] + lst(sorted(parents)) + u64(0) + u8(kind) + fields
    return (b"\0" + sign(b"council/v1/sign/log-op\0", n, body),
            hashlib.sha256(b"council/v1/id/log-op\0" + body).digest())


def statement(n, council, session, parents, kind, fields):
    body = (u8(1) + council + session + KEYS[n] + lst(sorted(parents)) + u64(0) + u8(kind)
            + fields)
    return (b"\2" + sign(b"council/v1/sign/statement\0", n, body),
            hashlib.sha256(b"council/v1/id/statement\0" + body).digest())


def bundle(gen, council, items, polls=()):
    return {"format": "council-bundle/1", "council": council.hex(), "genesis": gen.hex(),
            "items": [i.hex() for i in items], "polls": list(polls)}


# --- running verify.py ------------------------------------------------------------------------

def run(doc):
    path = tmp / "b.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    r = subprocess.run([sys.executable, str(VERIFY), "--bundle", str(path), "--json"],
                       capture_output=True, timeout=300)
    return r


def case(name, doc, status, expect):
    """Runs verify.py on doc; passes when it exits with `status` without a traceback and
    expect(result) returns no complaint (None). With DUMP_DIR set in the environment, also
    writes each case's bundle there (to run another implementation on them)."""
    global passed, failed
    if os.environ.get("DUMP_DIR"):
        safe = "".join(c if c.isalnum() else "-" for c in name)[:60]
        Path(os.environ["DUMP_DIR"], "%02d-%s.json" % (passed + failed, safe)).write_text(
            json.dumps(doc, ensure_ascii=False), "utf-8")
    r = run(doc)
    problems = []
    if r.returncode != status:
        problems.append("exit status %d, expected %d" % (r.returncode, status))
    err = r.stderr.decode("utf-8", "replace")
    if "Traceback" in err or "internal error" in err:
        problems.append("internal error: %s" % err[-300:])
    if not r.stdout and r.returncode == 1:  # not a bundle: one line on stderr, no verdict
        out = {"not-a-bundle": err}
        if len(err.splitlines()) != 1:
            problems.append("stderr is not one line: %r" % err[-300:])
    else:
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = None
            problems.append("stdout is not JSON: %r" % r.stdout[-300:])
    if out is not None:
        why = expect(out)
        if why:
            problems.append(why)
    if problems:
        failed += 1
        print("FAIL %s: %s" % (name, "; ".join(problems)))
        if out is not None:
            print("     problems: %s" % out.get("problems", out))
    else:
        passed += 1


def has_problem(*words):
    """A problem whose "code item #i: text" holds all the words; for a file that is not a
    bundle, the words "not a bundle" and the others in its one line on stderr."""
    def f(out):
        if "not-a-bundle" in out:
            ok = all(w in out["not-a-bundle"] for w in words)
            return None if ok else "stderr %r lacks %r" % (out["not-a-bundle"], words)
        if any("not a bundle" in w for w in words):
            return "a verdict, where the file is not a bundle"
        for p in out["problems"]:
            line = "%s item #%s: %s" % (p["code"], p["item"], p["text"])
            if all(w in line for w in words):
                return None
        return "no problem mentions %r" % (words,)
    return f


def agreement(poll, name, offending):
    def f(out):
        got = next((c for c in out["reports"][poll]["agreement"] if c["name"] == name), None)
        if got is None or got["result"] != "fail" or got["offending"] != offending:
            return "agreement %s of poll %d is %s, expected fail %s" % (name, poll, got,
                                                                       offending)
        return None
    return f


def mutate(f):
    doc = copy.deepcopy(BUNDLE)
    f(doc)
    return doc


def flip_last(h):
    return h[:-2] + "%02x" % (int(h[-2:], 16) ^ 1)


def op_kind_offset(item_hex):
    """Offset in hex digits of the kind byte of a log-operation item."""
    raw = bytes.fromhex(item_hex)
    nparents = struct.unpack(">I", raw[5 + 64:5 + 68])[0]
    return 2 * (5 + 68 + 32 * nparents + 8)


# --- the example bundle and its mutations ------------------------------------------------------

TAGS = [h[:2] for h in BUNDLE["items"]]
FIRST_STATEMENT = TAGS.index("02")  # the session's opening
FIRST_BALLOT = TAGS.index("03")
N_ITEMS = len(TAGS)


def first_poll():
    """The position of the first OpenPoll statement item (kind 13)."""
    for i, h in enumerate(BUNDLE["items"]):
        raw = bytes.fromhex(h)
        if raw[0] == 2:
            body = raw[5:5 + struct.unpack(">I", raw[1:5])[0]]
            nparents = struct.unpack(">I", body[97:101])[0]
            if body[101 + 32 * nparents + 8] == 13:
                return i
    raise AssertionError("test setup: the example holds no poll")


def example_shape(out):
    want = {"council", "problems", "voided", "ignored", "reports", "verified", "failed"}
    if not want <= set(out):
        return "missing fields %s" % (want - set(out))
    if out["problems"] or out["voided"] or out["ignored"] or out["failed"] or out["verified"] != 2:
        return "the example does not pass cleanly"
    if [c["name"] for c in out["reports"][0]["agreement"]] != [
            "context", "open", "close", "ballots", "document", "version"]:
        return "agreement checks %s" % out["reports"][0]["agreement"]
    return None


case("the example passes", BUNDLE, 0, example_shape)
case("the example, its items in reverse order, passes the same", mutate(
    lambda d: d["items"].reverse()), 0, lambda out: example_shape(out) or (
        None if out["reports"] == json.loads(run(BUNDLE).stdout)["reports"] else "reports differ"))
case("the example, each item twice, passes", mutate(lambda d: d["items"].extend(d["items"])), 0,
     example_shape)
case("a log operation's signature tampered",
     mutate(lambda d: d["items"].__setitem__(3, flip_last(d["items"][3]))), 1,
     has_problem("refused item #3", "bad signature"))
case("... the operations that follow it wait (a good copy of its body may yet come)",
     mutate(lambda d: d["items"].__setitem__(3, flip_last(d["items"][3]))), 1,
     has_problem("waiting item #12"))
case("... and the session at their heads waits",
     mutate(lambda d: d["items"].__setitem__(3, flip_last(d["items"][3]))), 1,
     has_problem("waiting item #%d" % FIRST_STATEMENT))
k = op_kind_offset(BUNDLE["items"][5])
case("an unknown log operation kind",
     mutate(lambda d: d["items"].__setitem__(5, d["items"][5][:k] + "0c" + d["items"][5][k + 2:])),
     1, has_problem("not a bundle", "item #5", "kind 12"))
case("trailing bytes after an item",
     mutate(lambda d: d["items"].__setitem__(0, d["items"][0] + "00")), 1,
     has_problem("not a bundle", "item #0", "trailing"))
case("an empty item", mutate(lambda d: d["items"].append("")), 1,
     has_problem("not a bundle", "empty item"))
case("an item of tag 4", mutate(lambda d: d["items"].append("04" + d["items"][0][2:])), 1,
     has_problem("not a bundle", "tag 4"))
case("a statement item decoded as a ballot",
     mutate(lambda d: d["items"].append("03" + d["items"][FIRST_STATEMENT][2:])), 1,
     has_problem("not a bundle", "item #%d" % N_ITEMS))
case("the genesis signature tampered",
     mutate(lambda d: d.__setitem__("genesis", flip_last(d["genesis"]))), 1,
     has_problem("not a bundle", "genesis", "signature"))
case("a statement's signature tampered",
     mutate(lambda d: d["items"].__setitem__(FIRST_STATEMENT + 2, flip_last(
         d["items"][FIRST_STATEMENT + 2]))), 1,
     has_problem("refused item #%d" % (FIRST_STATEMENT + 2), "bad signature"))
case("a log operation missing (its dependants wait)",
     mutate(lambda d: d["items"].__delitem__(8)), 1, has_problem("waiting item #8"))
case("a ballot whose poll is not held",
     mutate(lambda d: d["items"].__delitem__(first_poll())), 1,
     has_problem("waiting item #%d" % (FIRST_BALLOT - 1), "ballot"))
case("a stated context differing from the derived one",
     mutate(lambda d: d["polls"][0]["context"]["voters"].pop()), 1,
     agreement(0, "context", ["voters"]))
case("a stated context with another seat count",
     mutate(lambda d: d["polls"][1]["context"].__setitem__("seats", 9)), 1,
     agreement(1, "context", ["seats"]))
case("a ballot left out of a poll entry",
     mutate(lambda d: d["polls"][0]["ballots"].pop()), 1,
     lambda out: None if any(o.startswith("missing:ballot:") for c in
                             out["reports"][0]["agreement"] if c["name"] == "ballots"
                             for o in c["offending"]) else "no missing ballot")
case("a poll entry without its close",
     mutate(lambda d: d["polls"][0].__setitem__("close", None)), 1,
     agreement(0, "close", ["missing"]))
case("a poll entry with the other poll's close",
     mutate(lambda d: d["polls"][0].__setitem__("close", d["polls"][1]["close"])), 1,
     agreement(0, "close", ["differs"]))
case("a title differing", mutate(lambda d: d["polls"][0].__setitem__("title", "x")), 1,
     agreement(0, "open", ["title"]))
case("a poll not listed", mutate(lambda d: d["polls"].pop()), 1,
     has_problem("unlisted-poll"))
case("a poll listed twice", mutate(lambda d: d["polls"].append(d["polls"][0])), 1,
     has_problem("listed-twice"))
case("a ballot entry that is not a ballot",
     mutate(lambda d: d["polls"][0]["ballots"].append("00")), 1,
     lambda out: None if "not-in-items:#%d" % (len(BUNDLE["polls"][0]["ballots"])) in
     out["reports"][0]["agreement"][3]["offending"] else "no not-in-items:#i")

# --- bundles built from scratch ------------------------------------------------------------------

gen, council = genesis()
add1, add1_id = log_op(0, council, [council], 0, KEYS[1] + text("B") + u8(1))
def genesis_only(**kw):
    """A bundle of a genesis alone."""
    return bundle(*genesis(**kw), [])


case("a genesis whose founder may not write", genesis_only(roles=16), 1,
     has_problem("not a bundle", "may not write"))
case("a genesis with an empty name", genesis_only(name=" "), 1,
     has_problem("not a bundle", "name"))
case("a genesis whose founder's name is not valid", genesis_only(founder=" F"), 1,
     has_problem("not a bundle", "founder's name"))
case("a genesis and one operation", bundle(gen, council, [add1]), 0,
     lambda out: None if not out["problems"] else "problems")
bad_name, _ = log_op(0, council, [add1_id], 0, KEYS[2] + text("b") + u8(1))
case("a name taken up to case", bundle(gen, council, [add1, bad_name]), 1,
     has_problem("item #1", "taken"))
bad_name, _ = log_op(0, council, [add1_id], 0, KEYS[2] + text("C\u200b") + u8(1))
case("a name with U+200B", bundle(gen, council, [add1, bad_name]), 1,
     has_problem("item #1", "U+200B"))
no_perm, _ = log_op(1, council, [add1_id], 6, rules())
case("an author without the permission (member 1 is chair only; permissions chair: passes)",
     bundle(gen, council, [add1, no_perm]), 0, lambda out: None)
obs, obs_id = log_op(0, council, [add1_id], 0, KEYS[2] + text("Obs") + u8(16))
obs_op, _ = log_op(2, council, [obs_id], 4, text("Committee"))
case("an observer's operation is refused", bundle(gen, council, [add1, obs, obs_op]), 1,
     has_problem("item #2", "may not write"))

# Mutual removal: the founder (longer standing) and member 1 remove each other concurrently.
rm1, rm1_id = log_op(0, council, [add1_id], 1, KEYS[1])
rm0, rm0_id = log_op(1, council, [add1_id], 1, KEYS[0])
add2, add2_id = log_op(1, council, [add1_id], 0, KEYS[2] + text("C") + u8(1))
c2, c2_id = log_op(2, council, [add2_id], 4, text("Committee of C"))
late, _ = log_op(1, council, [rm1_id], 4, text("After the removal"))


def voided(expected):
    def f(out):
        got = sorted((v["op"], v["code"]) for v in out["voided"])
        want = sorted((i.hex(), r) for i, r in expected)
        return None if got == want else "voided %s, expected %s" % (got, want)
    return f


case("a mutual removal: the shorter standing's is void", bundle(gen, council, [add1, rm1, rm0]),
     0, voided([(rm0_id, "lost-mutual-revocation")]))
case("... whatever the order of the items", bundle(gen, council, [rm0, rm1, add1]), 0,
     voided([(rm0_id, "lost-mutual-revocation")]))
case("what a removed member did concurrently is void, and what depends on it",
     bundle(gen, council, [add1, rm1, add2, c2]), 0,
     voided([(add2_id, "revoked"), (c2_id, "depends-on-void")]))
case("... each void operation naming the revocation that voids it",
     bundle(gen, council, [add1, rm1, add2, c2]), 0,
     lambda out: None if sorted((v["op"], v["by"]) for v in out["voided"]) == sorted(
         [(add2_id.hex(), rm1_id.hex()), (c2_id.hex(), None)]) else out["voided"])
case("a removed member's later operation is refused", bundle(gen, council, [add1, rm1, late]), 1,
     has_problem("item #2", "removed"))


# A session opened by the founder at [add1], then the founder removed by member 1: void unless
# someone else in good standing took part.
def session_items(extra_participant):
    z = bytes(32)
    open_, sid = statement(0, council, z, [], 0, u8(0) + lst([add1_id]) + text("S")
                           + lst([text("Item") + u8(0)]))
    pres, pres_id = statement(0, council, sid, [sid], 2, KEYS[0])
    start, start_id = statement(0, council, sid, [pres_id], 4, u32(0))
    items = [open_, pres, start]
    heads = [start_id]
    if extra_participant:
        conf, conf_id = statement(1, council, sid, [start_id], 12, u32(0) + text("none"))
        items.append(conf)
        heads = [conf_id]
    poll, poll_id = statement(0, council, sid, heads, 13, u32(0) + z + lst([]) + text("Poll")
                              + u8(0) + u8(3) + u32(1) + u32(1) + lst([KEYS[0]]) + lst([]))
    close, _ = statement(0, council, sid, [poll_id], 14, poll_id + lst([]) + u32(0) * 3
                         + lst([KEYS[0]]) + u8(0))
    items += [poll, close]
    ctx = {"council": council.hex(), "seats": 1, "quorum": "more-than-half",
           "default_majority": {"threshold": "more-than-half", "base": "all-seats"},
           "allow_poll_override": False, "chairs": sorted([KEYS[0].hex(), KEYS[1].hex()]),
           "voters": sorted([KEYS[0].hex(), KEYS[1].hex()])}
    entry = {"session": sid.hex(), "poll": poll_id.hex(), "title": "Poll", "context": ctx,
             "open": poll[1:].hex(), "close": close[1:].hex(), "ballots": []}
    return items, entry


rm0_late, rm0_late_id = log_op(1, council, [add1_id], 1, KEYS[0])
items, entry = session_items(False)
case("a session and its poll", bundle(gen, council, [add1] + items, [entry]), 0,
     lambda out: None if out["verified"] == 1 else "not verified")
case("a session whose chair was removed after its opening is void",
     bundle(gen, council, [add1, rm0_late] + items, [entry]), 1,
     agreement(0, "session", ["revoked:" + rm0_late_id.hex()]))
case("... and listed as void, by that removal",
     bundle(gen, council, [add1, rm0_late] + items, [entry]), 1,
     lambda out: None if [(v["op"], v["code"], v["by"]) for v in out["voided"]] == [
         (entry["session"], "session-revoked", rm0_late_id.hex())] else out["voided"])
items, entry = session_items(True)
case("... not when another member in good standing took part",
     bundle(gen, council, [add1, rm0_late] + items, [entry]), 0,
     lambda out: None if out["verified"] == 1 else "not verified")
case("a poll the items hold but polls does not list", bundle(gen, council, [add1] + items), 1,
     has_problem("unlisted-poll"))


# Document changes: an envelope around a hand-made uncompressed change chunk.


def uleb(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def chunk(n, chunk_type=1, columns=((0x42, b"\x02\x05"), (0x56, b"\x01\x36"), (0x57, b"abc")),
          actor=None):
    actor = KEYS[n] + bytes(16) if actor is None else actor
    header = (uleb(0) + uleb(len(actor)) + actor + uleb(1) + uleb(1) + b"\x00" + uleb(0)
              + uleb(0))
    meta = uleb(len(columns)) + b"".join(uleb(spec) + uleb(len(d)) for spec, d in columns)
    rest = header + meta + b"".join(d for _, d in columns)
    return b"\x85\x6f\x4a\x83" + bytes(4) + bytes([chunk_type]) + uleb(len(rest)) + rest


def change(n, doc, heads, data, signer=None):
    signed = (council + doc + KEYS[n] + lst(sorted(heads))
              + hashlib.sha256(data[8:]).digest())
    sig = SigningKey(SEEDS[n if signer is None else signer]).sign(
        b"council/v1/sign/change\0" + signed).signature
    return b"\1" + council + doc + KEYS[n] + lst(sorted(heads)) + bts(data) + sig


note, note_id = log_op(0, council, [add1_id], 7, u8(4))
case("a document change by the note's creator", bundle(gen, council, [add1, note, change(
    0, note_id, [note_id], chunk(0))]), 0, lambda out: None if not out["problems"] else "problems")
case("a document change with a bad signature", bundle(gen, council, [add1, note, change(
    0, note_id, [note_id], chunk(0), signer=1)]), 1, has_problem("item #2", "bad signature"))
case("a document change by someone who may not write the note", bundle(
    gen, council, [add1, note, change(1, note_id, [note_id], chunk(1))]), 1,
    has_problem("item #2", "creator"))
case("a document change whose actor is another key", bundle(
    gen, council, [add1, note, change(0, note_id, [note_id], chunk(0, actor=KEYS[1] + bytes(16)))]),
    1, has_problem("item #2", "actor"))
case("a compressed change chunk", bundle(gen, council, [add1, note, change(
    0, note_id, [note_id], chunk(0, chunk_type=2))]), 1,
    has_problem("not a bundle", "uncompressed"))
case("a column Council does not write", bundle(gen, council, [add1, note, change(
    0, note_id, [note_id], chunk(0, columns=((0x03, b""),)))]), 1,
    has_problem("not a bundle", "column 0x3"))
case("columns out of order", bundle(gen, council, [add1, note, change(
    0, note_id, [note_id], chunk(0, columns=((0x42, b""), (0x02, b""))))]), 1,
    has_problem("not a bundle", "out of order"))
case("value lengths beyond the value column", bundle(gen, council, [add1, note, change(
    0, note_id, [note_id], chunk(0, columns=((0x56, b"\x01\x46"), (0x57, b"abc"))))]), 1,
    has_problem("not a bundle", "value lengths"))
case("a column of two million entries", bundle(gen, council, [add1, note, change(
    0, note_id, [note_id], chunk(0, columns=((0x42, b"\x00" + uleb(2000000)),)))]), 1,
    has_problem("not a bundle", "entries"))



# --- scenarios: a session with every reason to ignore a statement, revocations of every kind,
# void sessions, committees, documents and minutes. `council verify --bundle --json` gave the
# same verdicts on each when this was written (compare.py: 0 differences).

SCEN = {}
Z32 = bytes(32)
WORKFLOW = [(0, 1, 0x100), (1, 2, 1), (2, 3, 0x200), (3, 4, 1)]


def rules2(seats, workflow=()):
    """Like rules(), the permissions chair or secretary, and a workflow."""
    wf = lst([u8(a) + u8(b) + struct.pack(">H", who) for a, b, who in workflow])
    return u32(seats) + u8(0) + u8(0) + u8(3) + u8(0) + u32(60) * 5 + u8(1 | 4) * 7 + wf


def genesis2(roles=13, seats=3, workflow=()):
    body = (u8(1) + text("C2") + rules2(seats, workflow) + KEYS[0] + text("Founder") + u8(roles)
            + u64(0) + bytes(16))
    return (sign(b"council/v1/sign/genesis\0", 0, body),
            hashlib.sha256(b"council/v1/id/genesis\0" + body).digest())


def ballot(n, poll, seq, choice, seen):
    body = u8(1) + poll + KEYS[n] + u32(seq) + u8(choice) + lst(sorted(seen))
    return (b"\3" + sign(b"council/v1/sign/ballot\0", n, body),
            hashlib.sha256(b"council/v1/id/ballot\0" + body).digest())


class Chain:
    """A session's statements, each following the previous one."""

    def __init__(self, council, author, heads, body=b"\0", agenda=("I0", "I1")):
        self.council = council
        self.items = []
        self.sid = self.last = self.add(author, Z32, 0, body + lst(heads) + text("S")
                                        + lst([text(t) + u8(0) for t in agenda]), parents=[])

    def add(self, n, session, kind, fields, parents=None):
        item, i = statement(n, self.council, session, [self.last] if parents is None
                            else parents, kind, fields)
        self.items.append(item)
        self.last = i
        return i

    def __call__(self, n, kind, fields=b""):
        return self.add(n, self.sid, kind, fields)


def poll_fields(seats, eligible, recused):
    return (u32(0) + Z32 + lst([]) + text("P") + u8(0) + u8(3) + u32(seats) + u32(2)
            + lst(sorted(KEYS[k] for k in eligible)) + lst(sorted(KEYS[k] for k in recused)))


def close_fields(poll, counted, outcome):
    return (poll + lst(sorted(counted)) + u32(2) + u32(0) + u32(0)
            + lst(sorted(KEYS[k] for k in (0, 1, 2))) + u8(outcome))


def scenario_ignored():
    gen, council = genesis2()
    a1, a1i = log_op(0, council, [council], 0, KEYS[1] + text("One") + u8(8))
    a2, a2i = log_op(0, council, [a1i], 0, KEYS[2] + text("Two") + u8(8))
    s = Chain(council, 0, [a2i])
    s(0, 2, KEYS[0])
    s(1, 2, KEYS[1])
    s(1, 2, KEYS[2])  # not-yourself
    s(2, 2, KEYS[2])
    s(1, 4, u32(0))  # not-chair
    s(0, 4, u32(5))  # unknown-item
    s(0, 4, u32(0))
    s(0, 4, u32(1))  # another-item-in-progress
    s(0, 5, u32(1))  # item-not-current
    rq = s(1, 8, u32(0) + u8(0))
    s(1, 8, u32(0) + u8(1))  # already-requested
    s(2, 8, u32(1) + u8(1))  # item-not-current
    s(2, 9, rq)  # not-your-request
    s(0, 10, rq)
    s(0, 10, rq)  # floor-taken
    s(2, 11, rq)  # not-chair: neither the speaker nor a chair
    s(1, 11, rq)
    s(1, 11, rq)  # not-speaking
    s(2, 12, u32(9) + text("x"))  # unknown-item
    s(2, 12, u32(0) + text("x"))
    bad_poll = s(0, 13, poll_fields(9, (0, 1), (2,)))  # wrong-seats
    poll = s(0, 13, poll_fields(3, (0, 1), (2,)))
    open_item = s.items[-1]
    b0, b0i = ballot(0, poll, 0, 0, [poll])
    b1, b1i = ballot(1, poll, 0, 0, [poll])
    bb, _ = ballot(0, bad_poll, 0, 0, [bad_poll])  # poll-not-opened
    s(0, 14, close_fields(poll, [b0i, b1i], 0))  # outcome-mismatch
    s(0, 14, close_fields(poll, [b0i, b1i], 1))
    close_item = s.items[-1]
    s(0, 14, close_fields(poll, [b0i, b1i], 1))  # poll-closed
    s(0, 1)
    s(0, 4, u32(1))  # session-closed
    ctx = {"council": council.hex(), "seats": 3, "quorum": "more-than-half",
           "default_majority": {"threshold": "more-than-half", "base": "all-seats"},
           "allow_poll_override": False, "chairs": [KEYS[0].hex()],
           "voters": sorted(k.hex() for k in KEYS[:3])}
    entry = {"session": s.sid.hex(), "poll": poll.hex(), "title": "P", "context": ctx,
             "open": open_item[1:].hex(), "close": close_item[1:].hex(),
             "ballots": [b[1:].hex() for _, b in sorted([(b0i, b0), (b1i, b1)])]}
    SCEN["A-ignored"] = bundle(gen, council, [a1, a2] + s.items + [b0, b1, bb], [entry])


def scenario_roles_and_committees():
    gen, council = genesis2(seats=5)
    a1, a1i = log_op(0, council, [council], 0, KEYS[1] + text("One") + u8(9))
    a2, a2i = log_op(0, council, [a1i], 0, KEYS[2] + text("Two") + u8(8))
    cc, cci = log_op(0, council, [a2i], 4, text("Com"))
    sc, sci = log_op(0, council, [cci], 5, cci + lst([KEYS[2], KEYS[1], KEYS[2]]) + u8(1)
                     + KEYS[2])
    ops = [a1, a2, cc, sc]
    more = [log_op(0, council, [sci], 2, KEYS[1] + u8(8))[0],  # One to deputy only
            log_op(1, council, [sci], 4, text("Com by One"))[0],  # concurrent: revoked
            log_op(1, council, [sci], 7, u8(4))[0],  # a note a deputy may write: stands
            log_op(0, council, [sci], 5, cci + lst([KEYS[5]]) + u8(0))[0]]  # refused
    ren, reni = log_op(2, council, [sci], 3, KEYS[2] + text("TWO") + text("phone"))
    more += [ren, log_op(2, council, [reni], 3, KEYS[1] + text("one") + text(""))[0]]
    SCEN["B-setroles"] = bundle(gen, council, ops + more)
    s = Chain(council, 2, [sci], body=u8(1) + cci)
    s(2, 2, KEYS[2])
    SCEN["B-committee-session"] = bundle(gen, council, ops + s.items)


def scenario_documents():
    gen, council = genesis2(workflow=WORKFLOW)
    chain = [council]

    def op(n, kind, fields, parents=None):
        item, i = log_op(n, council, parents or [chain[-1]], kind, fields)
        chain.append(i)
        ops.append(item)
        return i
    ops = []
    op(0, 0, KEYS[1] + text("One") + u8(8))
    op(0, 0, KEYS[3] + text("Sec") + u8(4))
    cci = op(0, 4, text("Com"))
    op(0, 5, cci + lst([KEYS[1]]) + u8(1) + KEYS[1])
    dri = op(1, 7, u8(0) + lst([KEYS[3]]))  # a draft by One, Sec co-author
    sub = op(1, 8, dri + u8(1) + u8(0))  # submitted, by an author (bit 8)
    op(1, 8, dri + u8(2) + u8(0))  # in-committee without a committee: refused
    op(0, 8, dri + u8(2) + u8(1) + cci, parents=[sub])
    op(1, 8, dri + u8(3) + u8(0))  # on-agenda, by the head of the committee (bit 9)
    ami = op(1, 7, u8(2) + dri + u32(2) + u32(1))  # an amendment inserting before line 2
    op(1, 9, ami + u8(1))  # accepted by a deputy: refused
    op(0, 9, ami + u8(1), parents=[ami])
    op(1, 7, u8(1) + dri + cci)  # the committee's opinion
    op(3, 10, dri + text("file.pdf") + u64(10) + bytes(32))  # the secretary attaches
    op(3, 10, dri + text("a/b") + u64(10) + bytes(32))  # a name with /: refused
    op(1, 7, u8(3) + text("Agenda") + u8(1) + cci, parents=[chain[-2]])
    nti = op(3, 7, u8(4))
    s = Chain(council, 0, [nti], agenda=())
    pres = s(0, 2, KEYS[0])
    minutes = hashlib.sha256(b"council/v1/id/minutes\0" + s.sid + lst([pres]) + lst([])).digest()
    base = list(ops)
    ap1 = op(0, 11, s.sid + minutes)
    op(3, 11, s.sid + minutes)
    op(1, 11, s.sid + minutes)  # a deputy may not approve minutes: refused
    SCEN["C-documents"] = bundle(gen, council, ops + s.items)
    other, _ = log_op(3, council, [ap1], 11, s.sid + bytes(32))
    SCEN["C-minutes-mismatch"] = bundle(gen, council, base + [ops[len(base)], other] + s.items)


def revocation_base():
    """Founder F (chair, deputy), B and Y (chair, deputy) and Z (deputy), added in turn."""
    gen, council = genesis2(roles=9, seats=5)
    b, bi = log_op(0, council, [council], 0, KEYS[1] + text("B") + u8(9))
    y, yi = log_op(0, council, [bi], 0, KEYS[2] + text("Y") + u8(9))
    zz, zi = log_op(0, council, [yi], 0, KEYS[3] + text("Z") + u8(8))
    return gen, council, [b, y, zz], zi


def scenario_revocations():
    F, B, Y, Z, D = 0, 1, 2, 3, 4
    gen, council, ops, h = revocation_base()
    SCEN["D1-demotion"] = bundle(gen, council, ops + [
        log_op(B, council, [h], 1, KEYS[Z])[0], log_op(Y, council, [h], 1, KEYS[B])[0]])
    r, ri = log_op(F, council, [h], 1, KEYS[B])
    bd, bdi = log_op(B, council, [h], 0, KEYS[D] + text("D") + u8(9))
    again, againi = log_op(F, council, [ri], 0, KEYS[B] + text("B again") + u8(9))
    SCEN["D2-readmit"] = bundle(gen, council, ops + [
        r, log_op(B, council, [h], 4, text("by B, concurrent"))[0], bd,
        log_op(D, council, [bdi], 4, text("by D"))[0], again,
        log_op(B, council, [againi], 4, text("by B, after"))[0]])
    SCEN["D4-setroles-vs-remove"] = bundle(gen, council, ops + [
        log_op(B, council, [h], 2, KEYS[Y] + u8(16))[0], log_op(Y, council, [h], 1, KEYS[B])[0]])
    SCEN["D5-mutual-setroles"] = bundle(gen, council, ops + [
        log_op(B, council, [h], 2, KEYS[Y] + u8(8))[0],
        log_op(Y, council, [h], 2, KEYS[B] + u8(8))[0]])
    SCEN["D6-three-way"] = bundle(gen, council, ops + [
        log_op(B, council, [h], 1, KEYS[Y])[0], log_op(Y, council, [h], 1, KEYS[Z])[0],
        log_op(Z, council, [h], 7, u8(4))[0], log_op(F, council, [h], 1, KEYS[B])[0]])


def scenario_void_sessions():
    F, B, Z = 0, 1, 3
    gen, council, ops, h = revocation_base()

    def session(author, heads, present_by, body=b"\0"):
        s = Chain(council, author, heads, body=body, agenda=("I",))
        s(present_by, 2, KEYS[present_by if present_by != B else Z])
        return s.items
    rb, rbi = log_op(F, council, [h], 1, KEYS[B])
    rz, _ = log_op(F, council, [rbi], 1, KEYS[Z])
    lost, _ = log_op(F, council, [h], 2, KEYS[B] + u8(8))
    cc, cci = log_op(F, council, [h], 4, text("Com"))
    SCEN["E1-void"] = bundle(gen, council, ops + [rb] + session(B, [h], B))
    SCEN["E2-not-void"] = bundle(gen, council, ops + [rb] + session(B, [h], Z))
    SCEN["E3-void-both"] = bundle(gen, council, ops + [rb, rz] + session(B, [h], Z))
    SCEN["E3b-lost-chair"] = bundle(gen, council, ops + [lost] + session(B, [h], B))
    SCEN["E4-open-by-voter"] = bundle(gen, council, ops + session(Z, [h], Z))
    SCEN["E5-committee-missing"] = bundle(gen, council, ops + [cc] + session(
        F, [h], F, body=u8(1) + cci))
    SCEN["E6-committee-empty"] = bundle(gen, council, ops + [cc] + session(
        F, [cci], F, body=u8(1) + cci))


scenario_ignored()
scenario_roles_and_committees()
scenario_documents()
scenario_revocations()
scenario_void_sessions()

EXPECTED = {
    "A-ignored": (["already-requested", "another-item-in-progress", "floor-taken",
                   "item-not-current", "item-not-current", "not-chair", "not-chair",
                   "not-speaking", "not-your-request", "not-yourself", "outcome-mismatch",
                   "poll-closed", "poll-not-opened", "session-closed", "unknown-item",
                   "unknown-item", "wrong-seats"], [], [], [False]),
    "D1-demotion": ([], ["revoked"], [], []),
    "D2-readmit": ([], ["depends-on-void", "revoked", "revoked"], [], []),
    "D4-setroles-vs-remove": ([], ["lost-mutual-revocation"], [], []),
    "D5-mutual-setroles": ([], ["lost-mutual-revocation"], [], []),
    "D6-three-way": ([], ["lost-mutual-revocation", "revoked"], [], []),
    "E1-void": ([], ["session-revoked"], [], []),
    "E2-not-void": ([], [], [], [False]),
    "E3-void-both": ([], ["session-revoked"], [], []),
    "E3b-lost-chair": ([], ["session-revoked"], [], []),
    "E4-open-by-voter": ([], [], [["refused", 3], ["waiting", 4]], []),
    "E5-committee-missing": ([], [], [["refused", 4], ["waiting", 5]], []),
    "E6-committee-empty": (["not-a-voter"], [], [], [False]),
    "C-documents": ([], [], [["refused", 6], ["refused", 10], ["refused", 14], ["refused", 19]],
                    [True]),
    "C-minutes-mismatch": ([], [], [["refused", 6], ["refused", 10], ["refused", 14]], [True]),
    "B-setroles": ([], ["revoked"], [["refused", 7], ["refused", 9]], []),
}


def digest_is(want):
    def f(out):
        got = (sorted(x["code"] for x in out["ignored"]), sorted(v["code"] for v in out["voided"]),
               [[p["code"], p["item"]] for p in out["problems"]],
               [m["approved"] for m in out.get("minutes", [])])
        return None if got == (want[0], sorted(want[1]), want[2], want[3]) else \
            "got %s, expected %s" % (got, want)
    return f


for name, want in sorted(EXPECTED.items()):
    case("scenario " + name, SCEN[name], 1 if want[2] else 0, digest_is(want))

# compare.py: no difference with itself; a difference in the verdict is found, one in the
# words for people is not (unless --words).
COMPARE = HERE / "compare.py"
ours = json.loads(run(BUNDLE).stdout)
(tmp / "ours.json").write_text(json.dumps(ours), "utf-8")


def compare_case(name, doc, status, *args):
    global passed, failed
    (tmp / "other.json").write_text(json.dumps(doc), "utf-8")
    r = subprocess.run([sys.executable, str(COMPARE), "--bundle", str(ROOT / "docs" /
                        "example-bundle.json"), str(tmp / "other.json")] + list(args),
                       capture_output=True, timeout=300)
    if r.returncode != status or b"Traceback" in r.stderr:
        failed += 1
        print("FAIL compare: %s: exit %d, expected %d: %r" % (name, r.returncode, status,
                                                             r.stdout[-300:] + r.stderr[-300:]))
    else:
        passed += 1


compare_case("the same result", ours, 0)
other = copy.deepcopy(ours)
other["reports"][0]["agreement"][0]["result"] = "fail"
compare_case("an agreement check differs", other, 1)
other = copy.deepcopy(ours)
other["reports"][0]["table"][0]["result"] = "not-a-result"
compare_case("a table entry differs", other, 1)
compare_case("... unless ignored", other, 0, "--ignore", "$.reports[].table")
other = copy.deepcopy(ours)
other["problems"] = [{"code": "refused", "item": 3, "poll": None, "session": None, "text": "x"}]
compare_case("a problem more", other, 1)

for f in tmp.iterdir():
    f.unlink()
tmp.rmdir()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
