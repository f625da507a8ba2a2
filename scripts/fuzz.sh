#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) and runs each for a while.
# Usage: scripts/fuzz.sh [seconds-per-target, default 60] [target-name-regex, default all]
# Crashes land in build/fuzz/artifacts/; the run fails if any target finds one.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
FILTER=${2:-.}
bash scripts/setup.sh
BUILD_DIR=build/fuzz
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DTIDEMARK_SANITIZE=ON -DTIDEMARK_BUILD_BENCHMARKS=OFF >/dev/null
targets=$(cmake --build "$BUILD_DIR" --target help | sed -n 's/^\([a-z_]*_fuzzer\|query_parser_fuzz\):.*/\1/p' | grep -E "$FILTER" || true)
[ -n "$targets" ] || { echo "fuzz: no targets match $FILTER" >&2; exit 1; }
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" --target $targets
mkdir -p "$BUILD_DIR/artifacts"
for target in $targets; do
  binary=$(find "$BUILD_DIR" -type f -name "$target" -perm -u+x | head -n 1)
  corpus="$BUILD_DIR/corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${SECONDS_EACH}s"
  "$binary" -max_total_time="$SECONDS_EACH" -artifact_prefix="$BUILD_DIR/artifacts/$target-" \
    -print_final_stats=1 "$corpus" 2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY)' || true
  if ls "$BUILD_DIR/artifacts/$target-"* >/dev/null 2>&1; then
    echo "fuzz: $target found a crash: $(ls "$BUILD_DIR/artifacts/$target-"*)" >&2
    exit 1
  fi
done
echo "fuzz: ok"
