#include "storage/base/units.h"

#include <gtest/gtest.h>

namespace tidemark::base {
namespace {

TEST(DurationTest, ParsesPrometheusDurations) {
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("30s"), 30000);
  EXPECT_EQ(*ParseDuration("5m"), 300000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(*ParseDuration("2d"), 172800000);
  EXPECT_EQ(*ParseDuration("1w"), 604800000);
  EXPECT_EQ(*ParseDuration("1y"), 31536000000);
  EXPECT_EQ(*ParseDuration("1m1s1ms"), 61001);
}

TEST(DurationTest, RejectsMalformed) {
  for (const char* bad :
       {"", "5", "m", "5x", "1s1m", "1m1m", "-5s", "1.5h", "99999999999999999999y"}) {
    auto result = ParseDuration(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_NE(result.status().message().find("invalid duration"), std::string::npos);
    }
  }
}

TEST(DurationTest, FormatsRoundTrip) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{500}, int64_t{61001}, int64_t{5400000},
                     int64_t{31536000000 + 86400000}}) {
    auto parsed = ParseDuration(FormatDuration(ms));
    ASSERT_TRUE(parsed.ok()) << FormatDuration(ms);
    EXPECT_EQ(*parsed, ms);
  }
  EXPECT_EQ(FormatDuration(5400000), "1h30m");
}

TEST(ByteSizeTest, ParsesUnits) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("10B"), 10u);
  EXPECT_EQ(*ParseByteSize("2KB"), 2000u);
  EXPECT_EQ(*ParseByteSize("64MiB"), 64u << 20);
  EXPECT_EQ(*ParseByteSize("1GiB"), 1u << 30);
  EXPECT_FALSE(ParseByteSize("12 MB").ok());
  EXPECT_FALSE(ParseByteSize("MB").ok());
  EXPECT_FALSE(ParseByteSize("1PB").ok());
  EXPECT_FALSE(ParseByteSize("99999999999TiB").ok());
}

}  // namespace
}  // namespace tidemark::base
