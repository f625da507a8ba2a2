// Runs every decoder fuzz entry point over hand-picked seeds and a few thousand deterministic
// mutations of them, so the fuzz invariants are checked on every test run, not only when
// someone runs libFuzzer.
#include "server/ingest/fuzz/decoder_fuzz.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tidemark::server::ingest {
namespace {

using FuzzFn = void (*)(const uint8_t*, size_t);

// Returns how many inputs ran; a broken invariant traps inside `fn` and fails the test.
size_t RunMutations(FuzzFn fn, const std::vector<std::string>& seeds, int mutations_per_seed) {
  size_t runs = 0;
  std::mt19937 rng(42);
  for (const std::string& seed : seeds) {
    fn(reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
    ++runs;
    for (int i = 0; i < mutations_per_seed; ++i) {
      std::string input = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = input.empty() ? 0 : rng() % input.size();
        switch (rng() % 4) {
          case 0:
            if (!input.empty()) input[pos] = static_cast<char>(rng());
            break;
          case 1:
            input.insert(pos, 1, static_cast<char>(rng()));
            break;
          case 2:
            if (!input.empty()) input.erase(pos, 1 + rng() % 8);
            break;
          case 3:
            input.insert(pos, input.substr(0, rng() % (input.size() + 1)));
            break;
        }
      }
      fn(reinterpret_cast<const uint8_t*>(input.data()), input.size());
      ++runs;
    }
  }
  return runs;
}

void Expect(FuzzFn fn, const std::vector<std::string>& seeds, int mutations) {
  EXPECT_EQ(RunMutations(fn, seeds, mutations),
            seeds.size() * (1 + static_cast<size_t>(mutations)));
}

TEST(DecoderFuzzTest, LineProtocol) {
  Expect(FuzzLineProtocol,
         {"", "m v=1", "cpu\\,x,host=a\\ b v=1i,s=\"q\\\"\",b=t 1700000000000000000\n# c\nm v=2u",
          "m,t=\xC3\xA9 f=-1.5e3 -1\r\n"},
         1500);
}

TEST(DecoderFuzzTest, PrometheusText) {
  Expect(FuzzPrometheusText,
         {"", "up 1", "# TYPE x counter\nx{a=\"b\\n\\\"\",c=\"d\",} +Inf 123\nx NaN\n"}, 1500);
}

TEST(DecoderFuzzTest, JsonMapping) {
  Expect(FuzzJsonMapping,
         {"", "{}", "[1,2,{}]",
          R"({"meta":{"id":"s1","total":"7"},"data":[{"name":"a","v":"1.5","t":"2020-09-24 04:18",
             "fields":{"x":1,"y":"s"},"tags":{"k":"v"},"names":["p"],"values":[2]}]})"},
         1500);
}

TEST(DecoderFuzzTest, RemoteWrite) {
  // A WriteRequest with one series {__name__="m"} and one sample, written out by hand.
  const std::string series =
      std::string("\x0a\x0c\x0a\x08__name__\x12\x01m", 14) +
      std::string("\x12\x0b\x09\x00\x00\x00\x00\x00\x00\xf0\x3f\x10\x01", 13);
  Expect(FuzzRemoteWrite, {"", std::string("\x0a") + static_cast<char>(series.size()) + series},
         3000);
}

TEST(DecoderFuzzTest, PlainValue) {
  Expect(FuzzPlainValue, {"", "21.5", " on ", "NaN", "-1e308"}, 500);
}

}  // namespace
}  // namespace tidemark::server::ingest
