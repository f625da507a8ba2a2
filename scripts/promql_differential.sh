#!/usr/bin/env bash
# PromQL differential check: evaluates every query of the compliance tester's list
# (../shared/promql-compliance/promql-test-queries.yml, variants expanded, plus extra cases) with
# Tidemark's engine and with Debian's Prometheus 2.42 over the same backfilled dataset, instant
# and as range queries, and prints "N of M queries agree" followed by every difference.
# The same check runs in scripts/test.sh as the ctest query_differential_test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build/release-tests}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIDEMARK_BUILD_BENCHMARKS=OFF \
  >/dev/null
cmake --build "$BUILD_DIR" --target query_differential_test >/dev/null
TIDEMARK_SOURCE_DIR=$PWD "$BUILD_DIR/query/query_differential_test" \
  --gtest_filter='Differential.ResultsMatchPrometheus242' | grep -E '^(differential:|  DIFF|\[  (PASSED|FAILED))'
