#include "server/ingest/payload.h"

#include <gtest/gtest.h>

#include "server/ingest/decode_test_util.h"

namespace tidemark::server::ingest {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

DecodeOutput Decode(const PayloadSpec& spec, std::string_view payload,
                    const TransportContext& transport) {
  DecodeOutput out;
  DecodePayload(spec, payload, transport, kNow, DecodeLimits{}, &out);
  return out;
}

TEST(PayloadTest, PlainValueTakesItsNameAndLabelsFromTheTopic) {
  PayloadSpec spec;
  spec.format = PayloadFormat::kPlain;
  spec.labels = {{"building", "hq"}};
  DecodeOutput out = Decode(spec, "21.5", {{{"site", "north"}}, "temperature-c"});
  EXPECT_EQ(Flatten(out),
            (FlatSamples{{"temperature_c{building=\"hq\", site=\"north\"}", {{kNow, 21.5}}}}));
}

TEST(PayloadTest, PlainValueWithoutAnyMetricNameIsRejectedWithTheReason) {
  PayloadSpec spec;
  spec.format = PayloadFormat::kPlain;
  DecodeOutput out = Decode(spec, "1", {});
  EXPECT_TRUE(out.batch.empty());
  ASSERT_EQ(out.rejected.size(), 1u);
  EXPECT_EQ(out.rejected[0].reason, "no_metric_name");
}

TEST(PayloadTest, LineProtocolKeepsItsOwnTagsOverTopicLabels) {
  PayloadSpec spec;
  spec.format = PayloadFormat::kInflux;
  spec.precision = Precision::kSeconds;
  DecodeOutput out = Decode(spec, "power,site=south watts=5 1700000000\nbad line\n",
                            {{{"site", "north"}, {"room", "lab"}}, ""});
  EXPECT_EQ(Flatten(out),
            (FlatSamples{{"power_watts{room=\"lab\", site=\"south\"}", {{1'700'000'000'000, 5}}}}));
  EXPECT_EQ(out.rejected_total, 1u);
}

TEST(PayloadTest, PrometheusTextGetsTopicLabels) {
  PayloadSpec spec;
  spec.format = PayloadFormat::kPrometheus;
  DecodeOutput out = Decode(spec, "up 1\n", {{{"device", "gw-1"}}, ""});
  EXPECT_EQ(Flatten(out), (FlatSamples{{"up{device=\"gw-1\"}", {{kNow, 1}}}}));
}

TEST(PayloadTest, JsonMappingUsesTheTopicMetricAsDefaultName) {
  PayloadSpec spec;
  spec.format = PayloadFormat::kJson;
  spec.json.values_object = ".";
  DecodeOutput out = Decode(spec, R"({"temp": 20, "hum": 40})", {{{"room", "a"}}, "climate"});
  EXPECT_EQ(Flatten(out), (FlatSamples{{"climate_hum{room=\"a\"}", {{kNow, 40}}},
                                       {"climate_temp{room=\"a\"}", {{kNow, 20}}}}));
}

TEST(PayloadTest, AddedLabelsStillObeyTheLimits) {
  PayloadSpec spec;
  spec.format = PayloadFormat::kPrometheus;
  DecodeLimits limits;
  limits.max_labels_per_series = 2;
  DecodeOutput out;
  DecodePayload(spec, "up{a=\"1\"} 1\n", {{{"b", "2"}}, ""}, kNow, limits, &out);
  EXPECT_TRUE(out.batch.empty());
  EXPECT_EQ(out.rejected_total, 1u);
}

}  // namespace
}  // namespace tidemark::server::ingest
