#!/usr/bin/env bash
# Builds the engine, cx and their test suites with AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake option CX_SANITIZE; no GUI, no benchmarks) in build-asan/ and runs the engine and CLI
# suites there. Any sanitizer report aborts the process, so the test that caused it fails.
#   bash tests/sanitize.sh [ctest arguments...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${ASAN_BUILD_DIR:-$root/build-asan}"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  # -O1 with line tables: the usual sanitizer build, about half the compile time of -O2 -g.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DCX_BUILD_GUI=OFF -DCX_BUILD_BENCH=OFF -DCX_SANITIZE=address,undefined > /dev/null
fi
cmake --build "$build" -j "${CX_JOBS:-$(nproc)}" --target cx cx_engine_tests cx_cli_tests
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$here/sanitize.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$build"
ctest --output-on-failure -j "${CX_TEST_JOBS:-2}" -L "engine|cli" "$@"
