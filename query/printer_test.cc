#include "query/printer.h"

#include <gtest/gtest.h>

#include <limits>

#include "query/parser.h"

namespace tidemark::query {
namespace {

std::string Format(const std::string& query) {
  auto expr = ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query << ": " << expr.status().message();
  return expr.ok() ? FormatExpr(**expr) : "";
}

// Expected texts are what Debian's Prometheus 2.42 returned from /api/v1/format_query for the
// same inputs.
TEST(PrinterTest, MatchesPrometheusFormatQuery) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sum(rate(foo[5m]))by(job)", "sum by (job) (rate(foo[5m]))"},
      {"a+on(x)group_left(y)b", "a + on (x) group_left (y) b"},
      {"-x offset 5m", "-x offset 5m"},
      {"x{b=\"1\",a=~\"2\"}[1h30m] @ 123 offset -1d",
       "x{a=~\"2\",b=\"1\"}[1h30m] @ 123.000 offset -1d"},
      {"topk(5,x) > bool 1e6", "topk(5, x) > bool 1e+06"},
      {"\"str\\n\"", "\"str\\n\""},
      {"x[5m:]", "x[5m:]"},
      {"rate(x[5m:1m] offset 1w)", "rate(x[5m:1m] offset 1w)"},
      {"sum without(a,b)(x)", "sum without (a, b) (x)"},
      {"1234567", "1.234567e+06"},
      {"0.00001", "1e-05"},
      {"{__name__=\"up\",job=\"a\"}", "{__name__=\"up\",job=\"a\"}"},
      {"count_values(\"v\", x)", "count_values(\"v\", x)"},
      {"(x)", "(x)"},
      {"x @ start()", "x @ start()"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Format(input), want) << input;
}

TEST(PrinterTest, FormattedQueriesParseBackToTheSameText) {
  for (const char* query :
       {"histogram_quantile(0.9, sum by (le) (rate(http_bucket{job=~\"a|b\"}[5m])))",
        "label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\")", "x and ignoring (a) y",
        "max_over_time(deriv(x[1h:5m])[1d:] @ end())", "-(1 + 2) ^ 3 % 4 / 5"}) {
    const std::string once = Format(query);
    EXPECT_EQ(Format(once), once) << query;
  }
}

TEST(PrinterTest, GoNumberAndStringForms) {
  EXPECT_EQ(GoFloatString(1), "1");
  EXPECT_EQ(GoFloatString(0.5), "0.5");
  EXPECT_EQ(GoFloatString(123456), "123456");
  EXPECT_EQ(GoFloatString(0.0001), "0.0001");
  EXPECT_EQ(GoFloatString(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(GoFloatString(1e100), "1e+100");
  EXPECT_EQ(GoFloatString(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(GoFloatString(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(GoQuote("a\"b\\c\x01"), "\"a\\\"b\\\\c\\x01\"");
}

}  // namespace
}  // namespace tidemark::query
