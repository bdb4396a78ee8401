#!/usr/bin/env python3
"""Self-test of verify.py's strict reading of its input (no pytest needed).

Writes hostile variants of docs/example-bundle.json and docs/test-vectors.json to a temporary
directory, runs verify.py on each and checks that it refuses them with the documented exit
status, a one-line reason and no Python traceback; also checks --help, usage errors, and that
the default vector file is found whatever the current directory. Run it with a Python that has
PyNaCl (tests/python/run.sh does). Prints one line per failure and "N passed, M failed"; exits 1
on any failure.
"""

import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VERIFY = HERE / "verify.py"
BUNDLE = ROOT / "docs" / "example-bundle.json"
VECTORS = ROOT / "docs" / "test-vectors.json"

OK, FAILED, INPUT = 0, 1, 2  # verify.py's exit statuses

passed = failed = 0
tmp = Path(tempfile.mkdtemp(prefix="verify-strict-"))


def run(args, cwd=None):
    return subprocess.run([sys.executable, str(VERIFY)] + [str(a) for a in args], cwd=cwd,
                          capture_output=True, timeout=300)


def check(name, args, status, reason=None, out=None, cwd=None, one_line=None, silent=False):
    """Runs verify.py; passes when it exits with `status`, prints no traceback, and (when given)
    stderr contains `reason` and stdout contains `out`, or is empty when `silent`. Input errors
    are one line on stderr."""
    global passed, failed
    r = run(args, cwd)
    stdout = r.stdout.decode("utf-8", "replace")
    stderr = r.stderr.decode("utf-8", "replace")
    problems = []
    if r.returncode != status:
        problems.append("exit status %d, expected %d" % (r.returncode, status))
    if "Traceback" in stderr or "Traceback" in stdout:
        problems.append("a Python traceback")
    if reason is not None and reason not in stderr:
        problems.append("stderr lacks %r" % reason)
    if out is not None and out not in stdout:
        problems.append("stdout lacks %r" % out)
    if silent and stdout:
        problems.append("stdout is not empty")
    if one_line if one_line is not None else status == INPUT and reason is not None:
        if len(stderr.splitlines()) != 1:
            problems.append("stderr is %d lines, not one" % len(stderr.splitlines()))
    if problems:
        failed += 1
        print("FAIL %s: %s" % (name, "; ".join(problems)))
        print("     stdout: %r" % stdout[-400:])
        print("     stderr: %r" % stderr[-400:])
    else:
        passed += 1


def write(name, content):
    path = tmp / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def dump(doc):
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)


def replace_once(text, old, new):
    assert old in text, "test setup: %r not in the document" % old
    return text.replace(old, new, 1)


def mutate(doc, f):
    doc = copy.deepcopy(doc)
    f(doc)
    return doc


def setitem(path, value):
    """A mutation setting doc[path[0]][path[1]]... to value."""
    def f(doc):
        for k in path[:-1]:
            doc = doc[k]
        doc[path[-1]] = value
    return f


def delitem(path):
    def f(doc):
        for k in path[:-1]:
            doc = doc[k]
        del doc[path[-1]]
    return f


bundle = json.loads(BUNDLE.read_text("utf-8"))
vectors = json.loads(VECTORS.read_text("utf-8"))
bundle_text = dump(bundle)
vectors_text = dump(vectors)
ctx = ["polls", 0, "context"]
voter = bundle["polls"][0]["context"]["voters"][0]
chair = bundle["polls"][0]["context"]["chairs"][0]
ballot = bundle["polls"][0]["ballots"][0]
deep = 100000


def hostile_bundle(name, content, reason, status=FAILED, args=(), verdict=False):
    """A bundle file that is readable but not a bundle: one line "not a bundle: <reason>" on
    stderr, nothing on stdout and status 1 (docs/format.md section 10), with or without
    --json; or, with `verdict`, a bundle that fails (status 1, a verdict on stdout)."""
    if not isinstance(content, (str, bytes)):
        content = dump(content)
    path = write("b.json", content)
    for extra in ([], ["--json"]):
        check("bundle: " + name + (" (--json)" if extra else ""),
              list(args) + extra + ["--bundle", path], status, reason,
              one_line=reason is not None, silent=status == FAILED and not verdict)


def hostile_vectors(name, content, reason, status=INPUT, out=None):
    if not isinstance(content, (str, bytes)):
        content = dump(content)
    check("vectors: " + name, [write("v.json", content)], status, reason, out=out)


# The harness itself: the documents, re-encoded, still pass.
check("bundle: the example, re-encoded", ["--bundle", write("b.json", bundle_text)], OK,
      out="2 polls verified, 0 failed", one_line=False)
check("vectors: the vectors, re-encoded", [write("v.json", vectors_text)], OK,
      out="%d passed, 0 failed" % len(vectors["vectors"]), one_line=False)

# Numbers: integers only, in range, and never a boolean.
hostile_bundle("float seats 7.0", mutate(bundle, setitem(ctx + ["seats"], 7.0)),
               "not an integer")
hostile_bundle("float seats 7.5", mutate(bundle, setitem(ctx + ["seats"], 7.5)),
               "not an integer")
hostile_bundle("exponent seats 7e0", replace_once(bundle_text, '"seats": 7,', '"seats": 7e0,'),
               "not an integer")
hostile_bundle("bool seats true", mutate(bundle, setitem(ctx + ["seats"], True)),
               "expected an integer, got a boolean")
hostile_bundle("seats -1", mutate(bundle, setitem(ctx + ["seats"], -1)), "outside")
hostile_bundle("seats 2^32", mutate(bundle, setitem(ctx + ["seats"], 2 ** 32)), "outside")
hostile_bundle("seats of 5000 digits", replace_once(bundle_text, '"seats": 7,',
                                                    '"seats": %s,' % ("9" * 5000)),
               "more than 20 digits")
hostile_bundle("seats NaN", replace_once(bundle_text, '"seats": 7,', '"seats": NaN,'), "NaN")
hostile_bundle("seats -Infinity", replace_once(bundle_text, '"seats": 7,', '"seats": -Infinity,'),
               "Infinity")
hostile_bundle("seats as a string", mutate(bundle, setitem(ctx + ["seats"], "7")),
               "expected an integer, got a string")
# Booleans: true or false only.
hostile_bundle("allow_poll_override 1", mutate(bundle, setitem(ctx + ["allow_poll_override"], 1)),
               "expected true or false, got an integer")
hostile_bundle("allow_poll_override 0", mutate(bundle, setitem(ctx + ["allow_poll_override"], 0)),
               "expected true or false, got an integer")
hostile_bundle("allow_poll_override null",
               mutate(bundle, setitem(ctx + ["allow_poll_override"], None)),
               "expected true or false, got null")
# Bytes: lower-case hex of the stated length.
hostile_bundle("31-byte voter key", mutate(bundle, setitem(ctx + ["voters", 0], voter[:62])),
               "31 bytes where the spec has 32")
hostile_bundle("33-byte voter key", mutate(bundle, setitem(ctx + ["voters", 0], voter + "00")),
               "33 bytes where the spec has 32")
hostile_bundle("31-byte council id", mutate(bundle, setitem(["council"], bundle["council"][:62])),
               "31 bytes where the spec has 32")
hostile_bundle("33-byte poll id", mutate(bundle, setitem(["polls", 0, "poll"],
                                                         bundle["polls"][0]["poll"] + "00")),
               "33 bytes where the spec has 32")
hostile_bundle("upper-case council id",
               mutate(bundle, setitem(["council"], bundle["council"].upper())), "lower case")
hostile_bundle("upper-case chair key", mutate(bundle, setitem(ctx + ["chairs", 0], chair.upper())),
               "lower case")
hostile_bundle("upper-case ballot", mutate(bundle, setitem(["polls", 0, "ballots", 0],
                                                           ballot.upper())), "lower case")
hostile_bundle("odd hex digits", mutate(bundle, setitem(["polls", 0, "ballots", 0], ballot[:-1])),
               "odd number of hex digits")
hostile_bundle("hex with a space", mutate(bundle, setitem(["polls", 0, "ballots", 0],
                                                          ballot[:10] + " " + ballot[10:])),
               "not hex")
hostile_bundle("a key listed twice", mutate(bundle, setitem(ctx + ["chairs"], [chair, chair])),
               "listed twice")
hostile_bundle("unknown threshold", mutate(bundle, setitem(ctx + ["quorum"], "half")),
               "is not one of")
# Shape: no duplicate key, no unknown field, no missing one, each of its type.
hostile_bundle("duplicate top-level key", replace_once(
    bundle_text, '"format": "council-bundle/1",',
    '"format": "council-bundle/1",\n  "format": "council-bundle/1",'), "duplicate key")
hostile_bundle("duplicate key in a context", replace_once(bundle_text, '"seats": 7,',
                                                          '"seats": 7, "seats": 7,'),
               "duplicate key")
hostile_bundle("unknown top-level field", mutate(bundle, setitem(["extra"], 1)), "unknown field")
hostile_bundle("unknown field in a poll", mutate(bundle, setitem(["polls", 0, "extra"], None)),
               "unknown field")
hostile_bundle("unknown field in a context", mutate(bundle, setitem(ctx + ["extra"], [])),
               "unknown field")
hostile_bundle("unknown field in a rule",
               mutate(bundle, setitem(ctx + ["default_majority", "extra"], "x")), "unknown field")
hostile_bundle("missing close", mutate(bundle, delitem(["polls", 0, "close"])), "missing field")
hostile_bundle("missing polls", mutate(bundle, delitem(["polls"])), "missing field")
hostile_bundle("close false", mutate(bundle, setitem(["polls", 0, "close"], False)),
               "expected a string, got a boolean")
hostile_bundle("ballots a string", mutate(bundle, setitem(["polls", 0, "ballots"], ballot)),
               "expected an array")
hostile_bundle("item a number", mutate(bundle, setitem(["items", 0], 0)), "expected a string")
hostile_bundle("context an array", mutate(bundle, setitem(ctx, [])), "expected an object")
hostile_bundle("wrong format", mutate(bundle, setitem(["format"], "council-bundle/2")),
               "not a bundle")
hostile_bundle("top level an array", "[]", "not a bundle")
hostile_bundle("top level a number", "1", "not a bundle")
# Nesting.
hostile_bundle("%d-deep arrays" % deep, "[" * deep + "]" * deep, "nested deeper")
hostile_bundle("%d-deep objects" % deep, '{"a":' * deep + "1" + "}" * deep, "nested deeper")
hostile_bundle("%d-deep unterminated" % deep, "[" * deep, None)
hostile_bundle("%d-deep in a title" % deep, replace_once(
    bundle_text, '"title": ', '"title": %s%s, "x": ' % ("[" * deep, "]" * deep)), "nested deeper")
hostile_bundle("40-deep in a title", mutate(bundle, setitem(
    ["polls", 0, "title"], json.loads("[" * 40 + "]" * 40))), "nested deeper than 32")
# Encoding and size.
hostile_bundle("lone surrogate in a title", replace_once(bundle_text, '"title": "',
                                                         '"title": "\\ud800'), "lone surrogate")
hostile_bundle("not UTF-8", bundle_text.encode("utf-8").replace(b'"format"', b'"form\xffat"', 1),
               "not UTF-8")
hostile_bundle("UTF-8 byte-order mark", b"\xef\xbb\xbf" + bundle_text.encode("utf-8"), "not JSON")
hostile_bundle("truncated", bundle_text[:len(bundle_text) // 2], "not JSON")
hostile_bundle("empty file", "", "not JSON")
hostile_bundle("binary", bytes(range(256)), None)
hostile_bundle("larger than --max-bytes", bundle_text, "larger than 1000 bytes", status=INPUT,
               args=["--max-bytes", "1000"])
check("bundle: a file that does not exist", ["--bundle", tmp / "absent.json"], INPUT,
      "cannot read")
check("bundle: a directory", ["--bundle", tmp], INPUT, "cannot read")
# Well-typed but false: a verification failure (status 1), still no traceback.
hostile_bundle("council id not the genesis hash",
               mutate(bundle, setitem(["council"], "00" * 32)),
               None, status=FAILED)
hostile_bundle("genesis not a signed value", mutate(bundle, setitem(["genesis"], "00")),
               None, status=FAILED)
hostile_bundle("open statement empty", mutate(bundle, setitem(["polls", 0, "open"], "")),
               None, status=FAILED, verdict=True)
# A title with control characters reaches the terminal escaped (and fails the agreement check
# `open`, the OpenPoll's title being another).
escaped = mutate(bundle, setitem(["polls", 0, "title"], "\x1b[2J\x1b]0;pwned\x07\nok  fake"))
check("bundle: a title with an escape sequence", ["--bundle", write("b.json", dump(escaped))],
      FAILED, out="\\x1b[2J", one_line=False)

# The vector file.
vctx = ["vectors", 0, "context"]
hostile_vectors("float seats", mutate(vectors, setitem(vctx + ["seats"], 7.0)), "not an integer")
hostile_vectors("bool seats", mutate(vectors, setitem(vctx + ["seats"], True)),
                "expected an integer, got a boolean")
hostile_vectors("allow_poll_override 1", mutate(vectors, setitem(vctx + ["allow_poll_override"],
                                                                 1)), "expected true or false")
hostile_vectors("31-byte public key", mutate(vectors, setitem(
    ["keys", 0, "public"], vectors["keys"][0]["public"][:62])), "31 bytes where the spec has 32")
hostile_vectors("33-byte seed", mutate(vectors, setitem(
    ["keys", 0, "seed"], vectors["keys"][0]["seed"] + "00")), "33 bytes where the spec has 32")
hostile_vectors("upper-case open", mutate(vectors, setitem(
    ["vectors", 0, "open"], vectors["vectors"][0]["open"].upper())), "lower case")
hostile_vectors("unknown field in a vector", mutate(vectors, setitem(["vectors", 0, "extra"], 1)),
                "unknown field")
hostile_vectors("unknown top-level field", mutate(vectors, setitem(["extra"], 1)),
                "unknown field")
hostile_vectors("duplicate key", replace_once(vectors_text, '"seats": 7,',
                                              '"seats": 7, "seats": 7,'), "duplicate key")
hostile_vectors("%d-deep arrays" % deep, "[" * deep + "]" * deep, "nested deeper")
hostile_vectors("expected count true for 1", replace_once(
    vectors_text, '"against": 1,', '"against": true,'), None, status=FAILED, out="MISMATCH")
hostile_vectors("expected report with an extra field", mutate(
    vectors, setitem(["vectors", 0, "expected", "extra"], 1)), None, status=FAILED,
    out="MISMATCH")

# The command line.
check("--help exits 0", ["--help"], OK, out="usage: verify.py", one_line=False)
check("-h lists the exit statuses", ["-h"], OK, out="exit status:", one_line=False)
check("VECTORS and --bundle together", [VECTORS, "--bundle", BUNDLE], INPUT, "not both",
      one_line=False)
check("--bundle without a file", ["--bundle"], INPUT, "expected one argument", one_line=False)
check("an unknown option", ["--frobnicate"], INPUT, "unrecognized arguments", one_line=False)
# The default vectors are found from any directory, and paths work from there.
check("default vectors, run from /", [], OK,
      out="%d passed, 0 failed" % len(vectors["vectors"]), cwd="/", one_line=False)
check("default vectors, run from a temporary directory", [], OK,
      out="%d passed, 0 failed" % len(vectors["vectors"]), cwd=tmp, one_line=False)
check("bundle by absolute path, run from /", ["--bundle", BUNDLE], OK,
      out="2 polls verified, 0 failed", cwd="/", one_line=False)

for f in tmp.iterdir():
    f.unlink()
tmp.rmdir()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
