// Runner for Prometheus' PromQL test files (promql/testdata/*.test): `load`, `clear`,
// `eval instant`, `eval_fail`, `eval_ordered`, executed against the Engine over a real Storage
// opened in a temporary directory. Instant evals are re-run as range queries over [t-1m, t+1m]
// as Prometheus' own runner does; values compare with its relative tolerance (1e-6).
//
// Test support code; one runner per thread.
#pragma once

#include <string>
#include <vector>

namespace tidemark::query {

struct TestFileResult {
  int evals = 0;
  int passed = 0;
  int setup_failures = 0;             // load/seal/storage problems outside evals
  std::vector<std::string> failures;  // "file:line: expr: reason"
};

// Runs every command of `path`; storage directories are created under `tmp_dir`. With `seal`,
// every `load` is followed by Storage::Seal past its last sample, so queries read sealed
// partitions instead of the head.
TestFileResult RunPromqlTestFile(const std::string& path, const std::string& tmp_dir,
                                 bool seal = false);

}  // namespace tidemark::query
