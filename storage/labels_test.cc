#include "storage/labels.h"

#include <gtest/gtest.h>

#include <random>

#include "storage/matcher.h"
#include "storage/write_batch.h"

namespace tidemark::storage {
namespace {

TEST(LabelsTest, SortsDropsEmptyAndKeepsLastDuplicate) {
  Labels l({{"z", "1"}, {"__name__", "temp"}, {"a", ""}, {"b", "x"}, {"b", "y"}});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l.labels()[0].name, "__name__");
  EXPECT_EQ(l.labels()[1].name, "b");
  EXPECT_EQ(l.Get("b"), "y");
  EXPECT_EQ(l.Get("a"), "");
  EXPECT_FALSE(l.Has("a"));
  EXPECT_EQ(l.MetricName(), "temp");
}

TEST(LabelsTest, ToStringPrometheusForm) {
  Labels l({{"__name__", "up"}, {"job", "a\"b\\c\nd"}, {"env", "prod"}});
  EXPECT_EQ(l.ToString(), "up{env=\"prod\", job=\"a\\\"b\\\\c\\nd\"}");
  EXPECT_EQ(Labels({{"a", "b"}}).ToString(), "{a=\"b\"}");
}

TEST(LabelsTest, HashAndCompareFollowContent) {
  Labels a({{"x", "1"}, {"y", "2"}});
  Labels b({{"y", "2"}, {"x", "1"}});
  Labels c({{"x", "1"}, {"y", "3"}});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.Hash(), b.Hash());
  EXPECT_NE(a, c);
  EXPECT_NE(a.Hash(), c.Hash());
  EXPECT_LT(a, c);
  // Boundaries between name and value must matter.
  EXPECT_NE(Labels({{"ab", "c"}}).Hash(), Labels({{"a", "bc"}}).Hash());
}

TEST(LabelsTest, ValidateRejectsBadNames) {
  EXPECT_TRUE(Labels({{"__name__", "m"}, {"a_1:b", "v"}}).Validate().ok());
  EXPECT_FALSE(Labels({{"1a", "v"}}).Validate().ok());
  EXPECT_FALSE(Labels({{"a-b", "v"}}).Validate().ok());
  EXPECT_FALSE(Labels().Validate().ok());
}

TEST(LabelsTest, EncodeDecodeRoundTripRandom) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<Label> v;
    int n = rng() % 8;
    for (int i = 0; i < n; ++i) {
      std::string name = "l" + std::to_string(rng() % 20);
      std::string value(rng() % 300, static_cast<char>('a' + rng() % 26));
      v.push_back({name, value});
    }
    Labels l(v);
    auto decoded = Labels::Decode(l.Encode());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, l);
  }
}

TEST(LabelsTest, DecodeRejectsTruncation) {
  std::string enc = Labels({{"name", "value"}}).Encode();
  for (size_t i = 0; i < enc.size(); ++i) {
    EXPECT_FALSE(Labels::Decode(enc.substr(0, i)).ok()) << i;
  }
}

TEST(MatcherTest, EqualityAndMissingLabel) {
  Labels l({{"__name__", "temp"}, {"room", "kitchen"}});
  EXPECT_TRUE(MatchesAll({Matcher::Equal("room", "kitchen")}, l));
  EXPECT_FALSE(MatchesAll({Matcher::Equal("room", "hall")}, l));
  EXPECT_TRUE(MatchesAll({Matcher::NotEqual("room", "hall")}, l));
  // Missing label compares as "".
  EXPECT_TRUE(MatchesAll({Matcher::Equal("floor", "")}, l));
  EXPECT_FALSE(MatchesAll({Matcher::NotEqual("floor", "")}, l));
  EXPECT_TRUE(MatchesAll({Matcher::NotEqual("floor", "1")}, l));
}

TEST(MatcherTest, RegexIsFullyAnchored) {
  auto m = Matcher::Regex("room", "kit.*|hall");
  EXPECT_TRUE(m.Matches("kitchen"));
  EXPECT_TRUE(m.Matches("hall"));
  EXPECT_FALSE(m.Matches("hallway"));
  EXPECT_FALSE(m.Matches("the kitchen"));
  EXPECT_FALSE(m.Matches(""));
  EXPECT_TRUE(Matcher::Regex("a", ".*").Matches(""));
  EXPECT_TRUE(Matcher::Regex("a", "x.y").Matches("x\ny"));  // dot matches newline
  auto nm = Matcher::NotRegex("room", "kit.*");
  EXPECT_FALSE(nm.Matches("kitchen"));
  EXPECT_TRUE(nm.Matches(""));
  EXPECT_TRUE(nm.Matches("hall"));
}

TEST(MatcherTest, InvalidRegexIsAnError) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "a", "(unclosed");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), base::StatusCode::kInvalidArgument);
}

TEST(MatcherTest, ToString) {
  EXPECT_EQ(Matcher::NotRegex("job", "a\"b").ToString(), "job!~\"a\\\"b\"");
  EXPECT_EQ(Matcher::Equal("job", "x").ToString(), "job=\"x\"");
}

TEST(WriteBatchTest, GroupsConsecutiveSeries) {
  WriteBatch b;
  Labels a({{"__name__", "a"}});
  Labels c({{"__name__", "c"}});
  b.Add(a, 1, 1.0);
  b.Add(a, 2, 2.0);
  b.Add(c, 1, 3.0);
  Sample more[] = {{5, 5.0}, {6, 6.0}};
  b.Add(c, more);
  ASSERT_EQ(b.entries().size(), 2u);
  EXPECT_EQ(b.entries()[0].samples.size(), 2u);
  EXPECT_EQ(b.entries()[1].samples.size(), 3u);
  EXPECT_EQ(b.num_samples(), 5u);
  // Entries view one shared sample array; a copy views its own.
  for (int i = 0; i < 1000; ++i) b.Add(SeriesRef(i % 7 + 1), i, i);
  WriteBatch copy = b;
  b.Clear();
  ASSERT_EQ(copy.entries().size(), 1002u);
  EXPECT_EQ(copy.entries()[1].samples[2].v, 6.0);
  EXPECT_EQ(copy.entries()[1001].ref, SeriesRef(999 % 7 + 1));
  EXPECT_EQ(copy.entries()[1001].samples.size(), 1u);
  EXPECT_EQ(copy.entries()[1001].samples[0].t, 999);
  b = copy;
  copy.Clear();
  EXPECT_EQ(b.entries()[500].samples[0].v, 498.0);
  b.Clear();
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace tidemark::storage
