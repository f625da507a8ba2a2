#!/usr/bin/env bash
# Runs every test: installs what is missing (Debian bookworm), checks formatting, builds with
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs the whole ctest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/check-format.sh

BUILD_DIR=${BUILD_DIR:-build/asan}
JOBS=${JOBS:-$(nproc)}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# -O1 keeps sanitized tests quick without losing useful stack traces.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DTIDEMARK_SANITIZE=ON -DTIDEMARK_BUILD_TESTS=ON -DTIDEMARK_BUILD_BENCHMARKS=ON >/dev/null
start=$(date +%s)
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "build: $(( $(date +%s) - start ))s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD_DIR" -j "$JOBS" --output-on-failure --timeout 1200
