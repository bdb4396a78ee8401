#!/usr/bin/env python3
"""Compares verify.py's verdict with council verify's on a generated corpus of hostile bundles.

Usage: corpus.py DIR

DIR holds pairs NAME.json (a bundle file's text) and NAME.expected.json (the verdict
`council verify --bundle NAME.json --json` gives it, without its words for people, or null
when the text is not a bundle), as app/tests/app/hostile_corpus.rs writes them. Each verdict of
verify.py is compared field for field (compare.py's diff). Prints one block per disagreement,
then "N agree, M disagree"; exits 1 on any disagreement or an empty corpus, 2 if DIR cannot
be read.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bundle_vectors  # noqa: E402
import compare  # noqa: E402


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    root = Path(argv[1])
    try:
        cases = sorted(p for p in root.iterdir()
                       if p.name.endswith(".json") and not p.name.endswith(".expected.json"))
    except OSError as e:
        print("corpus.py: %s: %s" % (root, e.strerror or e), file=sys.stderr)
        return 2
    agree = disagree = 0
    for case in cases:
        expected_path = case.with_name(case.name[:-len(".json")] + ".expected.json")
        try:
            text = case.read_text("utf-8")
            expected = json.loads(expected_path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            print("corpus.py: %s: %s" % (case.name, e), file=sys.stderr)
            return 2
        found = compare.diff(bundle_vectors.verdict(text), expected, set())
        if not found:
            agree += 1
            continue
        disagree += 1
        print("DISAGREE %s" % case.name)
        for at, x, y in found[:12]:
            print("  %s: python %s | rust %s" % (at, compare.short(x), compare.short(y)))
        if len(found) > 12:
            print("  ... and %d more" % (len(found) - 12))
    print("%d agree, %d disagree" % (agree, disagree))
    return 1 if disagree or not agree else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        sys.stdout = None
        sys.exit(1)
