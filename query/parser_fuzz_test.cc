// A deterministic fuzz smoke test for GCC builds: feeds the libFuzzer entry point every
// expression of the upstream test files plus byte-level mutations of them.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace tidemark::query {
namespace {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const char* root = std::getenv("TIDEMARK_SOURCE_DIR");
  if (root == nullptr) return seeds;
  const std::filesystem::path dir =
      std::filesystem::path(root) / ".." / "shared" / "promql-testdata" / "v2.42.0";
  if (!std::filesystem::is_directory(dir)) return seeds;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".test") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      const size_t at = line.find(" at ");
      if (line.rfind("eval", 0) != 0 || at == std::string::npos) continue;
      const size_t space = line.find(' ', at + 4);
      if (space != std::string::npos) seeds.push_back(line.substr(space + 1));
    }
  }
  return seeds;
}

int FuzzOne(const std::string& s) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string Mutate(std::string s, std::mt19937* rng) {
  static const std::string kAlphabet = "()[]{}:,@=~!<>+-*/%^\"'`\\ 0123456789.eEmsxafoO_\n#";
  const int ops = 1 + static_cast<int>((*rng)() % 3);
  for (int i = 0; i < ops && !s.empty(); ++i) {
    const size_t pos = (*rng)() % s.size();
    switch ((*rng)() % 4) {
      case 0:
        s.erase(pos, 1 + (*rng)() % 3);
        break;
      case 1:
        s.insert(pos, 1, kAlphabet[(*rng)() % kAlphabet.size()]);
        break;
      case 2:
        s[pos] = static_cast<char>((*rng)() % 256);
        break;
      default:
        s.insert(pos, s.substr((*rng)() % s.size(), 1 + (*rng)() % 8));
        break;
    }
  }
  return s;
}

TEST(ParserFuzzSmoke, SeedsAndMutations) {
  const std::vector<std::string> seeds = Seeds();
  ASSERT_GT(seeds.size(), 500u);
  std::mt19937 rng(42);
  int runs = 0;
  for (const std::string& seed : seeds) {
    EXPECT_EQ(FuzzOne(seed), 0);
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(FuzzOne(Mutate(seed, &rng)), 0);
      ++runs;
    }
  }
  for (const char* edge : {"", "(", "[", "{", "\"", "a[", "a @", "a offset", "-", "1 +", "sum by",
                           "a{b=~\"(\"}", "((((", "a[5m:]", "a[1ms:1ms] @ start()"}) {
    EXPECT_EQ(FuzzOne(edge), 0);
  }
  EXPECT_GT(runs, 20000);
}

}  // namespace
}  // namespace tidemark::query
