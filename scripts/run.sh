#!/usr/bin/env bash
# Starts Tidemark: installs what is missing (Debian bookworm), builds a Release binary and runs it
# with config/tidemark.yaml. Extra arguments go to the server, e.g. --listen 127.0.0.1:9300.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build/release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTIDEMARK_BUILD_TESTS=OFF -DTIDEMARK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target tidemark
exec "$BUILD_DIR/server/tidemark" --config config/tidemark.yaml "$@"
