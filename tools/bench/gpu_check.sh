#!/usr/bin/env bash
# The whole GPU proof in one command: runs the prebuilt, self-contained GPU test and benchmark
# and prints one table.
#
# Here (Debian 12, no GPU needed), build what it carries, well under 64 MiB:
#   tools/bench/gpu_check.sh build
# which configures the `gpu` preset (build/cuda-gpu: static cascade-gpu-test and
# cascade-gpu-bench, sm_90 + compute_90 PTX) and makes the F16 bard pair with cascade-quantize
# in build/cuda-gpu/models. On the GPU machine (a CUDA image without Debian's packages), from
# the repository root with build/cuda-gpu/bin and build/cuda-gpu/models carried:
#   tools/bench/gpu_check.sh [--quick]
# --quick benchmarks only the 1B shape. Without a GPU both binaries say so and skip.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=build/cuda-gpu/bin
MODELS=build/cuda-gpu/models

if [[ "${1:-}" == "build" ]]; then
  cmake --preset gpu >/dev/null
  cmake --build --preset gpu -j "${JOBS:-2}"
  mkdir -p "$MODELS"
  for model in bard-target-3m bard-draft-0.5m; do
    "$BIN/cascade-quantize" "models/$model.gguf" "$MODELS/$model-f16.gguf" --type f16 >/dev/null
  done
  echo "carried files:"
  du -ch "$BIN/cascade-gpu-test" "$BIN/cascade-gpu-bench" "$MODELS"/*.gguf
  for program in "$BIN/cascade-gpu-test" "$BIN/cascade-gpu-bench"; do
    echo "$program needs: $(ldd "$program" | awk '{print $1}' | tr '\n' ' ')"
  done
  exit 0
fi

shapes=1b,7b
[[ "${1:-}" == "--quick" ]] && shapes=1b
for program in "$BIN/cascade-gpu-test" "$BIN/cascade-gpu-bench"; do
  [[ -x "$program" ]] || { echo "missing $program: run 'tools/bench/gpu_check.sh build' first" >&2; exit 2; }
done

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
test_rc=0
CASCADE_GPU_MODELS="$MODELS" "$BIN/cascade-gpu-test" >"$log/test.txt" 2>&1 || test_rc=$?
bench_rc=0
"$BIN/cascade-gpu-bench" --models "$MODELS" --shapes "$shapes" >"$log/bench.txt" 2>&1 || bench_rc=$?

echo "## GPU check ($(date -u +%Y-%m-%dT%H:%MZ))"
grep -E '^(GPU|NO GPU):' "$log/test.txt" || true
echo
echo "| test | result |"
echo "| --- | --- |"
grep -E '^\[ +(OK|FAILED|SKIPPED) +\] Gpu\.' "$log/test.txt" |
  sed -E 's/^\[ *([A-Z]+) *\] (Gpu\.[A-Za-z0-9_]+).*/| \2 | \1 |/' | sort -u
echo
grep -E '^\[ metric \]' "$log/test.txt" | sed -E 's/^\[ metric \] /- /' || true
echo
cat "$log/bench.txt"
if [[ $test_rc -ne 0 ]]; then
  echo
  echo "GPU test failures (exit $test_rc):"
  grep -E 'Failure|error|Expected|Which is|actual' "$log/test.txt" | head -40
fi
echo
echo "exit: test $test_rc, bench $bench_rc"
exit $(( test_rc != 0 || bench_rc != 0 ))
