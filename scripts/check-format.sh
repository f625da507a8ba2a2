#!/usr/bin/env bash
# Fails when a tracked C++ file differs from clang-format's Google-based style (.clang-format).
# Fix with: git ls-files '*.h' '*.cc' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.h' '*.cc' '*.cpp' '*.hpp')
[ -z "$files" ] && exit 0
if ! echo "$files" | xargs clang-format --dry-run --Werror 2>/tmp/tidemark-format.log; then
  grep -E '^[^ ].*(warning|error):' /tmp/tidemark-format.log | cut -d: -f1 | sort -u |
    sed 's/^/format: needs clang-format: /' >&2
  exit 1
fi
echo "format: ok"
