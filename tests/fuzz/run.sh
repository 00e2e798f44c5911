#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 30)
# from its seed corpus in tests/fuzz/corpus; fails on the first crash, leak or UB report. The
# targets on torch tensors link the engine of the main build (ENGINE_BUILD_DIR, default build/,
# built first by dev.sh); without it only the plain readers are fuzzed. fuzz_archive is not in
# the default list: it feeds any bytes to LibTorch's own archive reader, which crashes on some
# (the product contains those crashes in a child process: engine/model/internal/model_probe.h), so
# it runs only when named: `bash tests/fuzz/run.sh 600 archive`.
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${FUZZ_BUILD_DIR:-$here/../../build-fuzz}"
engine="${ENGINE_BUILD_DIR:-$here/../../build}"
seconds="${1:-30}"
targets=(safetensors zip_directory args numbers curve_csv project tokenizer)
if [[ -f "$engine/engine/libcx_engine.a" ]]; then
  engine="$(cd "$engine" && pwd)"
  targets+=(masks task image)
else
  echo "no engine build in $engine: the fuzz targets on torch tensors are skipped" >&2
  engine=""
fi
if (($# > 1)); then targets=("${@:2}"); fi
CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCX_ENGINE_BUILD="$engine" > /dev/null
cmake --build "$build" -j "${CX_JOBS:-$(nproc)}" > /dev/null
declare -A corpus=([safetensors]=safetensors [zip_directory]=zip [args]=args [numbers]=numbers [curve_csv]=curves [project]=project
                   [masks]=masks [task]=task [image]=images [archive]=zip [tokenizer]=tokenizer)
for target in "${targets[@]}"; do
  work="$(mktemp -d)"
  cp -r "$here/corpus/${corpus[$target]}/." "$work/"
  echo "fuzz_$target: ${seconds}s" >&2
  log="$work.log"
  status=0
  supp="$here/../sanitize.supp"
  [[ -f "$here/$target.supp" ]] && supp="$here/$target.supp"
  LSAN_OPTIONS="suppressions=$supp" "$build/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/crash-$target-" "$work" \
    > "$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" "$log" >&2 || true
  if [[ $status -ne 0 ]]; then tail -n 40 "$log" >&2; fi
  rm -rf "$work" "$log"
  if [[ $status -ne 0 ]]; then echo "fuzz_$target failed (crash input in $build)" >&2; exit 1; fi
done
