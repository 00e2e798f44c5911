#!/usr/bin/env bash
# Circuit Explorer developer entry point.
#   bash packaging/dev.sh run    install what is missing, build, start the GUI on the demo model
#   bash packaging/dev.sh test   install what is missing, build, run the whole test suite
#   bash packaging/dev.sh build  install what is missing and build only
# Options through the environment: BUILD_DIR (default build), CX_GUI=OFF (engine + cx only),
# CMAKE_PREFIX_PATH (another LibTorch, e.g. a CUDA one), CX_FUZZ_SECONDS (per fuzz target after
# the tests; default 30, 0 skips), CX_SANITIZE_TESTS=0 (skip the ASan + UBSan run of the engine
# and CLI suites in build-asan/).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${BUILD_DIR:-$root/build}"
gui="${CX_GUI:-ON}"

install_deps() {
  local missing=()
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    if [[ "$gui" == OFF && "$pkg" =~ ^(qt6-|libqcustomplot|libgl-dev|xvfb|xauth) ]]; then continue; fi
    if [[ "$pkg" =~ ^libtorch && -n "${CMAKE_PREFIX_PATH:-}" ]]; then continue; fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done < "$here/deps.txt"
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build_all() {
  if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCX_BUILD_GUI="$gui"
  fi
  cmake --build "$build" -j "${CX_JOBS:-$(nproc)}"
}

case "${1:-}" in
  build)
    install_deps; build_all ;;
  test)
    install_deps; build_all
    cd "$build"
    export QT_QPA_PLATFORM=offscreen
    ctest --output-on-failure -j "${CX_TEST_JOBS:-2}" "${@:2}"
    # The readers of untrusted bytes, fuzzed for a bounded time each (CX_FUZZ_SECONDS=0 skips).
    if [[ "${CX_FUZZ_SECONDS:-30}" != 0 ]]; then
      if command -v clang++ > /dev/null; then ENGINE_BUILD_DIR="$build" bash "$root/tests/fuzz/run.sh" "${CX_FUZZ_SECONDS:-30}"
      else echo "clang++ not found: the fuzz targets are skipped" >&2; fi
    fi
    # The engine and CLI suites again, built with AddressSanitizer + UndefinedBehaviorSanitizer.
    if [[ "${CX_SANITIZE_TESTS:-1}" != 0 ]]; then bash "$root/tests/sanitize.sh"; fi ;;
  run)
    install_deps; build_all
    if [[ "$gui" == ON && ( -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ) ]]; then
      exec "$build/app/circuit-explorer" "$root/resources/demo/shapes_cnn.pt" "${@:2}"
    fi
    out="${CX_DEMO_OUT:-$root/demo-output}"
    echo "no display found: running the headless demo instead; outputs go to $out" >&2
    exec "$build/app/cx" demo run --out "$out" ;;
  *)
    sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 2 ;;
esac
