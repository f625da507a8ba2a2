#include "storage/rans_coder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>

namespace tidemark::storage {
namespace {

std::string Coded(std::string_view bytes) {
  std::string out;
  RansEncode(bytes, &out);
  return out;
}

// Decodes one stream from `coded`, which must be consumed exactly.
std::string RoundTrip(std::string_view bytes) {
  const std::string coded = Coded(bytes);
  std::string_view in = coded;
  std::string out;
  EXPECT_TRUE(RansDecode(&in, &out, bytes.size()));
  EXPECT_TRUE(in.empty()) << in.size() << " bytes left";
  return out;
}

// Order-0 entropy of `bytes`, in bytes.
double EntropyBytes(std::string_view bytes) {
  std::map<char, double> count;
  for (char c : bytes) ++count[c];
  double bits = 0;
  for (const auto& [c, k] : count) bits -= k * std::log2(k / static_cast<double>(bytes.size()));
  return bits / 8;
}

// Bytes drawn from `weights` (byte value -> relative weight).
std::string Draw(const std::map<uint8_t, int>& weights, size_t n, uint32_t seed) {
  std::vector<uint8_t> values;
  std::vector<int> w;
  for (const auto& [v, k] : weights) {
    values.push_back(v);
    w.push_back(k);
  }
  std::mt19937 rng(seed);
  std::discrete_distribution<size_t> pick(w.begin(), w.end());
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(values[pick(rng)]));
  return out;
}

TEST(RansCoderTest, RoundTripsEdgeCases) {
  EXPECT_EQ(RoundTrip(""), "");
  EXPECT_EQ(RoundTrip("a"), "a");
  EXPECT_EQ(RoundTrip(std::string(10'000, '\0')), std::string(10'000, '\0'));
  EXPECT_EQ(RoundTrip("ab"), "ab");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(RoundTrip(all), all);
  std::string uniform;
  std::mt19937 rng(7);
  for (int i = 0; i < 100'000; ++i) uniform.push_back(static_cast<char>(rng()));
  EXPECT_EQ(RoundTrip(uniform), uniform);
  // One rare byte among a million of another: the most skewed table a stream can have.
  std::string skewed(1'000'000, '\x02');
  skewed[123'456] = '\xff';
  EXPECT_EQ(RoundTrip(skewed), skewed);
}

TEST(RansCoderTest, RoundTripsRandomDistributionsAndLengths) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::map<uint8_t, int> weights;
    const int distinct = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < distinct; ++i) weights[static_cast<uint8_t>(rng())] = 1 + rng() % 1000;
    const std::string bytes = Draw(weights, rng() % 3000, static_cast<uint32_t>(round));
    ASSERT_EQ(RoundTrip(bytes), bytes) << "round " << round;
    // The estimate is what the sealed-chunk encoder chooses by.
    EXPECT_NEAR(static_cast<double>(RansEncodedSizeEstimate(bytes)),
                static_cast<double>(Coded(bytes).size()), 3)
        << "round " << round;
  }
}

// The point of the coder: a two-hour chunk of 0.1-resolution temperature deltas (zigzag 0 for
// no change, 1 and 2 for -1 and +1) codes near its entropy, with the table, the length and the
// two 4-byte coder states (about 14 bytes) on top.
TEST(RansCoderTest, CodesCloseToTheEntropy) {
  const std::string temperature = Draw({{0, 3}, {1, 1}, {2, 1}}, 720, 1);
  EXPECT_LE(Coded(temperature).size(), EntropyBytes(temperature) * 1.02 + 14);
  const std::string energy = [] {
    std::map<uint8_t, int> even;
    for (int v = 0; v <= 80; v += 2) even[static_cast<uint8_t>(v)] = 1;
    return Draw(even, 6480, 2);
  }();
  EXPECT_LE(Coded(energy).size(), EntropyBytes(energy) * 1.01 + 40);
  // A motion sensor: almost always unchanged. Far below one bit per byte.
  const std::string motion = Draw({{0, 980}, {1, 10}, {2, 10}}, 6480, 3);
  EXPECT_LE(Coded(motion).size(), EntropyBytes(motion) * 1.05 + 14);
  EXPECT_LT(Coded(motion).size(), 6480 / 8 / 3);
}

TEST(RansCoderTest, StreamsAreSelfDelimiting) {
  const std::string a = Draw({{0, 5}, {1, 2}, {2, 2}}, 500, 4);
  const std::string b = "tail bytes";
  std::string coded;
  RansEncode(a, &coded);
  RansEncode("", &coded);
  RansEncode(b, &coded);
  coded += "rest";
  std::string_view in = coded;
  std::string out;
  ASSERT_TRUE(RansDecode(&in, &out, 1000));
  ASSERT_TRUE(RansDecode(&in, &out, 1000));
  ASSERT_TRUE(RansDecode(&in, &out, 1000));
  EXPECT_EQ(out, a + b);
  EXPECT_EQ(in, "rest");
}

TEST(RansCoderTest, RejectsTruncatedAndOversizedStreams) {
  const std::string bytes = Draw({{0, 5}, {1, 2}, {2, 2}, {40, 1}}, 2000, 5);
  const std::string coded = Coded(bytes);
  for (size_t len = 0; len < coded.size(); ++len) {
    std::string_view in(coded.data(), len);
    std::string out;
    EXPECT_FALSE(RansDecode(&in, &out, bytes.size())) << "prefix of " << len << " bytes";
  }
  std::string_view in = coded;
  std::string out;
  EXPECT_FALSE(RansDecode(&in, &out, bytes.size() - 1));  // the length bound holds
}

// Corrupt input must fail or decode to something, never read out of bounds (run under ASan).
TEST(RansCoderTest, SurvivesCorruptedBytes) {
  const std::string bytes = Draw({{0, 5}, {1, 2}, {2, 2}, {9, 1}}, 3000, 6);
  const std::string coded = Coded(bytes);
  std::mt19937 rng(8);
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string bad = coded;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    std::string_view in = bad;
    std::string out;
    if (!RansDecode(&in, &out, 1 << 20)) {
      ++rejected;
    } else {
      EXPECT_LE(out.size(), size_t{1} << 20);
    }
  }
  // The end-state check catches most corruption of the coded bytes.
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace tidemark::storage
