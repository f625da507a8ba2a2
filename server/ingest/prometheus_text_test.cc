#include "server/ingest/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "server/ingest/decode_test_util.h"
#include "server/ingest/plain_value.h"

namespace tidemark::server::ingest {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

DecodeOutput Decode(std::string_view payload, DecodeLimits limits = {}) {
  DecodeOutput out;
  DecodePrometheusText(payload, kNow, limits, &out);
  return out;
}

TEST(PrometheusTextTest, ParsesExposition) {
  auto out = Decode(
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\",}    3 1395066363000\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
      "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
      "job:rate5m{} NaN\n");
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  auto flat = Flatten(out);
  EXPECT_EQ(flat.at("http_requests_total{code=\"200\", method=\"post\"}")[0],
            (std::pair<int64_t, double>{1395066363000, 1027}));
  EXPECT_EQ(flat.at("http_requests_total{code=\"400\", method=\"post\"}")[0].second, 3);
  EXPECT_EQ(flat.at("metric_without_timestamp_and_labels")[0],
            (std::pair<int64_t, double>{kNow, 12.47}));
  EXPECT_EQ(flat.at("something_weird{problem=\"division by zero\"}")[0].first, -3982045);
  EXPECT_TRUE(std::isinf(flat.at("something_weird{problem=\"division by zero\"}")[0].second));
  EXPECT_TRUE(std::isnan(flat.at("job:rate5m")[0].second));
  bool found_escaped = false;
  for (const auto& entry : out.batch.entries()) {
    if (entry.labels.Get("path") == "C:\\DIR\\FILE.TXT") {
      EXPECT_EQ(entry.labels.Get("error"), "Cannot find file:\n\"FILE.TXT\"");
      found_escaped = true;
    }
  }
  EXPECT_TRUE(found_escaped);
}

TEST(PrometheusTextTest, BadLinesRejectedAlone) {
  auto out = Decode(
      "ok 1\n"
      "1bad 2\n"
      "m{a=\"x\" 3\n"
      "m{a=x} 4\n"
      "m{a=\"\\q\"} 5\n"
      "m seven\n"
      "m 1 later\n"
      "m 1 2 3\n"
      "ok 2 1000\n");
  auto flat = Flatten(out);
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat.at("ok").size(), 2u);
  std::vector<std::string> reasons;
  for (const auto& r : out.rejected) reasons.push_back(std::to_string(r.position) + ":" + r.reason);
  EXPECT_EQ(reasons,
            (std::vector<std::string>{"2:invalid_metric_name", "3:invalid_label", "4:invalid_label",
                                      "5:invalid_label", "6:invalid_value", "7:invalid_timestamp",
                                      "8:invalid_line"}));
}

TEST(PrometheusTextTest, ValueSyntax) {
  double v = 0;
  EXPECT_TRUE(ParsePrometheusValue("-Inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  EXPECT_TRUE(ParsePrometheusValue("+1.5e-3", &v));
  EXPECT_EQ(v, 0.0015);
  EXPECT_TRUE(ParsePrometheusValue("nan", &v));
  EXPECT_FALSE(ParsePrometheusValue("", &v));
  EXPECT_FALSE(ParsePrometheusValue("0x10", &v));
  EXPECT_FALSE(ParsePrometheusValue("infinity and beyond", &v));
}

TEST(PlainValueTest, NumbersAndSwitchStates) {
  const storage::Labels series{{"__name__", "temperature"}, {"room", "kitchen"}};
  DecodeOutput out;
  DecodePlainValue(" 21.5\n", series, kNow, {}, &out);
  DecodePlainValue("on", series, kNow + 1, {}, &out);
  DecodePlainValue("NaN", series, kNow + 2, {}, &out);
  DecodePlainValue("", series, kNow + 3, {}, &out);
  DecodePlainValue("{\"v\":1}", series, kNow + 4, {}, &out);
  auto samples = Flatten(out).at("temperature{room=\"kitchen\"}");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0], (std::pair<int64_t, double>{kNow, 21.5}));
  EXPECT_EQ(samples[1].second, 1);
  EXPECT_TRUE(std::isnan(samples[2].second));
  ASSERT_EQ(out.rejected.size(), 2u);
  EXPECT_EQ(out.rejected[0].message, "empty payload");
  EXPECT_EQ(out.rejected[1].raw, "{\"v\":1}");
}

}  // namespace
}  // namespace tidemark::server::ingest
