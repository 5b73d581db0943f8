#!/usr/bin/env bash
# Runs one fuzzer: replays its checked-in corpus (tests/fuzz/corpus/NAME), then fuzzes
# SECONDS more. New inputs go to a temporary folder, never into the checked-in corpus.
# Exits non-zero on a finding (crash, sanitizer report, leak, timeout, out of memory) and
# prints the path of the input that caused it, which is kept.
#
#   tests/fuzz/run_fuzzer.sh NAME SECONDS
#
# The binaries are looked up in $CASCADE_FUZZ_BIN_DIR (default build/fuzz/fuzz).
set -uo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 NAME SECONDS" >&2
  exit 2
fi
name=$1
seconds=$2
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${CASCADE_FUZZ_BIN_DIR:-$root/build/fuzz/fuzz}/$name"
seeds="$here/corpus/$name"
if [[ ! -x "$bin" ]]; then
  echo "run_fuzzer: no fuzzer $bin (build it: cmake --build --preset fuzz)" >&2
  exit 2
fi
if [[ ! -d "$seeds" ]]; then
  echo "run_fuzzer: no corpus $seeds" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cascade-fuzz-$name.XXXXXX")"
mkdir -p "$work/corpus"
flags=(-artifact_prefix="$work/" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
if [[ -f "$here/$name.dict" ]]; then flags+=(-dict="$here/$name.dict"); fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

finding() {
  echo "run_fuzzer: $name found a bug ($1); the input that causes it:" >&2
  find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
       -o -name 'oom-*' -o -name 'slow-unit-*' \) -print >&2
  echo "run_fuzzer: reproduce with: $bin FILE (everything is kept in $work)" >&2
  exit 1
}

echo "run_fuzzer: $name: replaying $(find "$seeds" -type f | wc -l) corpus inputs"
"$bin" "${flags[@]}" -runs=0 "$seeds" >"$work/replay.log" 2>&1 || {
  tail -n 60 "$work/replay.log" >&2
  finding "replaying the corpus"
}
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$work/replay.log"

echo "run_fuzzer: $name: fuzzing $seconds s"
"$bin" "${flags[@]}" -max_total_time="$seconds" "$work/corpus" "$seeds" >"$work/log" 2>&1
status=$?
# The summary: start, end, coverage (cov, ft) and the number of executions.
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|peak_rss_mb)' "$work/log"
if [[ $status -ne 0 ]]; then
  tail -n 60 "$work/log" >&2
  finding "exit status $status"
fi
echo "run_fuzzer: $name: no finding; $(find "$work/corpus" -type f | wc -l) new inputs discarded"
rm -rf "$work"
