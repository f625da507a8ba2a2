// Runs Prometheus 2.42's PromQL test suite (../shared/promql-testdata/v2.42.0/*.test) against the
// engine and fails when fewer evals pass than the recorded floor.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "gtest/gtest.h"
#include "query/promql_test_file.h"

namespace tidemark::query {
namespace {

// Evals known to pass; raise it when the engine improves, never lower it.
constexpr int kPassFloor = 566;
constexpr int kTotalEvals = 566;

std::string TestDataDir() {
  const char* root = std::getenv("TIDEMARK_SOURCE_DIR");
  std::filesystem::path base = root != nullptr ? root : TIDEMARK_SOURCE_DIR_FALLBACK;
  return (base / ".." / "shared" / "promql-testdata" / "v2.42.0").string();
}

void RunAll(bool seal) {
  const std::string dir = TestDataDir();
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  const std::string tmp =
      (std::filesystem::temp_directory_path() / ("tidemark-promql-" + std::to_string(getpid())))
          .string();
  std::filesystem::create_directories(tmp);
  int evals = 0, passed = 0, setup_failures = 0;
  for (const std::string& f : files) {
    TestFileResult r = RunPromqlTestFile(f, tmp, seal);
    evals += r.evals;
    passed += r.passed;
    setup_failures += r.setup_failures;
    std::cout << std::filesystem::path(f).filename().string() << ": " << r.passed << "/" << r.evals
              << "\n";
    for (const std::string& failure : r.failures) std::cout << "  FAIL " << failure << "\n";
  }
  std::filesystem::remove_all(tmp);
  std::cout << "PromQL conformance" << (seal ? " (sealed partitions)" : "") << ": " << passed
            << " of " << evals << " evals pass\n";
  EXPECT_EQ(evals, kTotalEvals);
  EXPECT_EQ(setup_failures, 0);
  EXPECT_GE(passed, kPassFloor);
}

TEST(PromqlConformance, UpstreamTestFiles) { RunAll(false); }

// The same suite with every load sealed into LevelDB partitions before querying.
TEST(PromqlConformance, UpstreamTestFilesOnSealedPartitions) { RunAll(true); }

}  // namespace
}  // namespace tidemark::query
