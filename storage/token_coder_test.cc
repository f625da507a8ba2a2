// Tests of the token coder: round trips of narrow, wide, skewed and extreme columns, sizes close
// to the entropy of the values, and rejection of truncated or altered input.
#include "storage/token_coder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tidemark::storage {
namespace {

std::string Encode(const std::vector<uint64_t>& v) {
  std::string out = "prefix";
  PutTokenColumn(v, &out);
  return out.substr(6);
}

void ExpectRoundTrip(const std::vector<uint64_t>& v) {
  std::string enc = Encode(v);
  enc += "next";  // the column ends by itself
  std::string_view in = enc;
  std::vector<uint64_t> out(v.size());
  ASSERT_TRUE(GetTokenColumn(&in, v.size(), out.data()));
  EXPECT_EQ(in, "next");
  EXPECT_EQ(out, v);
}

TEST(TokenCoderTest, ColumnsRoundTrip) {
  std::mt19937_64 rng(7);
  ExpectRoundTrip({0});
  ExpectRoundTrip({UINT64_MAX});
  ExpectRoundTrip(std::vector<uint64_t>(1440, 5));
  std::vector<uint64_t> every_width;
  for (int w = 0; w < 64; ++w) {
    every_width.push_back(uint64_t{1} << w);
    every_width.push_back((uint64_t{1} << w) - 1);
    every_width.push_back(rng() >> (63 - w));
  }
  every_width.push_back(UINT64_MAX);
  ExpectRoundTrip(every_width);
  for (double spread : {1.0, 30.0, 1e4, 1e12}) {
    std::normal_distribution<double> normal(0, spread);
    std::vector<uint64_t> v;
    for (int i = 0; i < 288; ++i) v.push_back(static_cast<uint64_t>(std::fabs(normal(rng))));
    ExpectRoundTrip(v);
  }
}

TEST(TokenCoderTest, SizeIsNearTheEntropy) {
  // 288 values uniform in [0, 40]: 5.36 bits each, 193 bytes of information.
  std::mt19937_64 rng(11);
  std::vector<uint64_t> uniform;
  for (int i = 0; i < 288; ++i) uniform.push_back(rng() % 41);
  EXPECT_LT(Encode(uniform).size(), 193u + 24);
  // A skewed column: 0 with p 0.6, 1 and 2 with 0.2 each (1.37 bits, 50 bytes).
  std::vector<uint64_t> skewed;
  for (int i = 0; i < 288; ++i) {
    const uint64_t r = rng() % 5;
    skewed.push_back(r < 3 ? 0 : r - 2);
  }
  EXPECT_LT(Encode(skewed).size(), 50u + 12);
  // One value throughout: table and coder state only.
  EXPECT_LE(Encode(std::vector<uint64_t>(288, 3)).size(), 6u);
}

TEST(TokenCoderTest, TruncatedOrAlteredColumnsAreRejected) {
  std::mt19937_64 rng(3);
  std::vector<uint64_t> v;
  for (int i = 0; i < 200; ++i) v.push_back(rng() % 1000);
  const std::string enc = Encode(v);
  std::vector<uint64_t> out(v.size());
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    std::string_view in(enc.data(), cut);
    EXPECT_FALSE(GetTokenColumn(&in, v.size(), out.data())) << cut;
  }
  // Values below 16 have no raw bits: every byte is table, state or coded tokens, and most
  // alterations end the decoder in another state than the encoder's start, or run out.
  std::vector<uint64_t> small;
  for (int i = 0; i < 200; ++i) small.push_back(rng() % 7);
  const std::string coded = Encode(small);
  int rejected = 0;
  for (size_t i = 0; i < coded.size(); ++i) {
    std::string bad = coded;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    std::string_view in = bad;
    std::vector<uint64_t> got(small.size());
    if (!GetTokenColumn(&in, small.size(), got.data())) ++rejected;
  }
  EXPECT_GT(rejected, static_cast<int>(coded.size() / 2));
  std::string_view bad_table("\xff", 1);
  EXPECT_FALSE(GetTokenColumn(&bad_table, 1, out.data()));
}

}  // namespace
}  // namespace tidemark::storage
