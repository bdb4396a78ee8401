#!/usr/bin/env python3
"""Compares verify.py's JSON result for a bundle with another implementation's, field by field.

Usage: compare.py --bundle FILE OTHER_JSON [--ignore PATTERN ...] [--words]
       compare.py PY_JSON OTHER_JSON [--ignore PATTERN ...] [--words]
OTHER_JSON is, for instance, what `council verify --bundle FILE --json` printed. With --bundle,
Python's side is computed by verify.py (check_bundle); otherwise read from PY_JSON. Prints one
line per difference, as `path: python <value> | other <value>`, then a summary line; exits 1
on any difference, 2 when an input cannot be read.

By default the fields docs/format.md section 10 calls "words for people, not part of the
verdict" are left out: problems[].text, voided[].author and .reason, ignored[].author and
.reason, minutes[].approvals[].name and minutes[].error; --words compares them too.
--ignore PATTERN leaves out more: a field name (anywhere, e.g. `minutes`) or a path with list
indices written [] (e.g. `$.reports[].table`). A file that is not a bundle has no verdict:
Python's side is then null, and so is an empty OTHER_JSON (what `council verify` prints).
"""

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import verify  # noqa: E402

MAX_SHOWN = 200
WORDS = {"$.problems[].text", "$.voided[].author", "$.voided[].reason", "$.ignored[].author",
         "$.ignored[].reason", "$.minutes[].approvals[].name", "$.minutes[].error"}


def ignored(path, key, ignore):
    return key in ignore or re.sub(r"\[\d+\]", "[]", path) in ignore


def short(v):
    s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= 160 else s[:157] + "..."


def diff(a, b, ignore, path="$"):
    """The differences between JSON values a and b, as (path, a, b); iterative."""
    out, stack = [], [(a, b, path)]
    while stack:
        x, y, at = stack.pop()
        if type(x) is not type(y):
            out.append((at, x, y))
        elif type(x) is dict:
            for k in sorted(set(x) | set(y), reverse=True):
                if ignored("%s.%s" % (at, k), k, ignore):
                    continue
                if k not in x or k not in y:
                    out.append(("%s.%s" % (at, k), x.get(k, "<absent>"), y.get(k, "<absent>")))
                else:
                    stack.append((x[k], y[k], "%s.%s" % (at, k)))
        elif type(x) is list:
            if len(x) != len(y):
                out.append((at + ".length", len(x), len(y)))
            for i in reversed(range(min(len(x), len(y)))):
                stack.append((x[i], y[i], "%s[%d]" % (at, i)))
        elif x != y:
            out.append((at, x, y))
    return out


def load(path):
    """A JSON file; None for an empty one (what `council verify --json` prints, nothing, for a
    file that is not a bundle)."""
    try:
        text = Path(path).read_text("utf-8")
        return json.loads(text) if text.strip() else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SystemExit("compare.py: %s: %s" % (path, e))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="compare.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("python_json", nargs="?", help="verify.py's JSON (unless --bundle)")
    ap.add_argument("other_json", help="the other implementation's JSON")
    ap.add_argument("--bundle", metavar="FILE", help="compute Python's side from this bundle")
    ap.add_argument("--ignore", metavar="PATTERN", action="append", default=[])
    ap.add_argument("--words", action="store_true",
                    help="also compare the words for people (text, reason, author, name)")
    args = ap.parse_args(argv)
    if (args.bundle is None) == (args.python_json is None):
        ap.error("give either PY_JSON or --bundle FILE")
    if args.bundle is not None:
        try:
            mine, why = verify.check_bundle(verify.read_bundle(Path(args.bundle),
                                                               verify.DEFAULT_MAX_BYTES))
        except verify.Unreadable as e:
            print("compare.py: %s: %s" % (args.bundle, e), file=sys.stderr)
            return 2
        except verify.InputError as e:
            mine, why = None, str(e)
        if mine is None:
            print("python: not a bundle: %s" % why)
        mine = json.loads(json.dumps(mine))  # tuples and the like as JSON has them
    else:
        mine = load(args.python_json)
    other = load(args.other_json)
    found = diff(mine, other, set(args.ignore) | (set() if args.words else WORDS))
    for at, x, y in found[:MAX_SHOWN]:
        print("%s: python %s | other %s" % (at, short(x), short(y)))
    if len(found) > MAX_SHOWN:
        print("... and %d more" % (len(found) - MAX_SHOWN))
    print("%d difference%s" % (len(found), "" if len(found) == 1 else "s"))
    return 1 if found else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        sys.stdout = None
        sys.exit(1)
