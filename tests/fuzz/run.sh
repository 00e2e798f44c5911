#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 30)
# from its seed corpus in tests/fuzz/corpus; fails on the first crash, leak or UB report.
#   bash tests/fuzz/run.sh [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${FUZZ_BUILD_DIR:-$here/../../build-fuzz}"
seconds="${1:-30}"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
cmake --build "$build" -j "${CX_JOBS:-$(nproc)}" > /dev/null
declare -A corpus=([safetensors]=safetensors [zip_directory]=zip [args]=args [numbers]=numbers [project]=project)
for target in safetensors zip_directory args numbers project; do
  work="$(mktemp -d)"
  cp -r "$here/corpus/${corpus[$target]}/." "$work/"
  echo "fuzz_$target: ${seconds}s" >&2
  log="$work.log"
  status=0
  "$build/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/crash-$target-" "$work" \
    > "$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" "$log" >&2 || true
  rm -rf "$work" "$log"
  if [[ $status -ne 0 ]]; then echo "fuzz_$target failed (crash input in $build)" >&2; exit 1; fi
done
