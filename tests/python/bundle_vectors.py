#!/usr/bin/env python3
"""Runs verify.py's bundle verification over docs/bundle-vectors.json and compares each verdict
with the expected one.

Usage: bundle_vectors.py [FILE]     (default: docs/bundle-vectors.json of this repository)
Each vector holds a bundle file's text and the verdict `council verify --bundle --json` gave
on it without its words for people (problems' text, voided's and ignored's reason and author,
an approval's name, a minutes entry's error), or null when the text is not a bundle
(docs/format.md sections 9 and 10). verify.py's verdict (check_bundle
on the text read strictly) is compared field for field (compare.py's diff). Prints one line
per difference, then "N passed, M failed"; exits 1 on any difference, 2 if the file cannot be
read.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402
import verify  # noqa: E402

DEFAULT = HERE.parent.parent / "docs" / "bundle-vectors.json"
WORDS = ("text", "reason", "author")


def verdict(text):
    """verify.py's verdict on a bundle file's text, as the vectors give it; None when the
    text is not a bundle."""
    try:
        doc = verify.bundle_doc(verify.parse_json(text.encode("utf-8")))
    except verify.InputError:
        return None
    out, _ = verify.check_bundle(doc)
    if out is None:  # not a bundle (step 1)
        return None
    out = json.loads(json.dumps(out))
    for name in ("problems", "voided", "ignored"):
        for entry in out[name]:
            for w in WORDS:
                entry.pop(w, None)
    for m in out.get("minutes", []):
        m.pop("error", None)
        for a in m["approvals"]:
            a.pop("name", None)
    return out


def main(argv):
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    try:
        doc = json.loads(path.read_text("utf-8"))
        vectors = doc["vectors"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        print("bundle_vectors.py: %s: %s" % (path, e), file=sys.stderr)
        return 2
    passed = failed = 0
    for v in vectors:
        got = verdict(v["bundle"])
        found = compare.diff(got, v["expected"], set())
        if not found:
            passed += 1
            continue
        failed += 1
        print("MISMATCH %s" % v["name"])
        for at, x, y in found[:20]:
            print("  %s: python %s | expected %s" % (at, compare.short(x), compare.short(y)))
        if len(found) > 20:
            print("  ... and %d more" % (len(found) - 20))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        sys.stdout = None
        sys.exit(1)
