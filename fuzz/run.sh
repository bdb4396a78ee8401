#!/usr/bin/env bash
# Runs one fuzz target the way the team runs them on shared machines: niced, one job, the kept
# seeds and corpus as input (new inputs go to fuzz/corpus/TARGET/, crashes to
# fuzz/artifacts/TARGET/), libFuzzer's log kept in fuzz/logs/.
#
#   fuzz/run.sh TARGET [SECONDS] [more libFuzzer flags, e.g. -runs=10000000]
#
# SECONDS defaults to 600; 0 means no time limit (stop with -runs=N or Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags]}
secs=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target" fuzz/logs
log="fuzz/logs/$target-$(date +%Y%m%dT%H%M%S).log"
status=0
nice -n 10 cargo +nightly fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$secs" -jobs=1 -workers=1 -rss_limit_mb=2048 "$@" || status=$?
# With -jobs, libFuzzer writes its output to fuzz-<job>.log in the working directory.
if [ -f fuzz-0.log ]; then
    mv fuzz-0.log "$log"
    grep -E "^(Done|#[0-9]+[[:space:]]+DONE)|SUMMARY|==ERROR|UNCAUGHT|panicked at" "$log" || true
    echo "log: $log"
fi
exit "$status"
