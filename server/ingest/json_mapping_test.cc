#include "server/ingest/json_mapping.h"

#include <gtest/gtest.h>

#include "server/ingest/decode_test_util.h"
#include "server/ingest/time_formats.h"

namespace tidemark::server::ingest {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

DecodeOutput Decode(std::string_view payload, const JsonMapping& mapping,
                    const JsonContext& context = {}) {
  DecodeOutput out;
  DecodeJson(payload, mapping, context, kNow, {}, &out);
  return out;
}

TEST(JsonMappingTest, TelegrafJsonOutputBatch) {
  JsonMapping mapping;
  mapping.records = "metrics";
  mapping.name_path = "name";
  mapping.values_object = "fields";
  mapping.labels_object = "tags";
  mapping.timestamp_path = "timestamp";
  mapping.timestamp_format = JsonTimeFormat::kEpochS;
  auto out = Decode(R"({"metrics":[
      {"fields":{"usage_idle":99.5,"usage_user":0.25,"state":"ok"},"name":"cpu",
       "tags":{"cpu":"cpu0","host":"edge-1"},"timestamp":1458229140},
      {"fields":{"free":1024},"name":"mem","tags":{"host":"edge-1"},"timestamp":1458229150}]})",
                    mapping);
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  auto flat = Flatten(out);
  ASSERT_EQ(flat.size(), 3u);
  EXPECT_EQ(flat.at("cpu_usage_idle{cpu=\"cpu0\", host=\"edge-1\"}")[0],
            (std::pair<int64_t, double>{1458229140000, 99.5}));
  EXPECT_EQ(flat.at("mem_free{host=\"edge-1\"}")[0].first, 1458229150000);
  EXPECT_EQ(out.skipped_string_fields, 1u);
}

TEST(JsonMappingTest, NameValueTimestampRecords) {
  JsonMapping mapping;
  mapping.name_path = "m_name";
  mapping.values = {{"m_value", ""}};
  mapping.timestamp_path = "m_timestamp";
  mapping.timestamp_format = JsonTimeFormat::kEpochAuto;
  JsonContext context{{{"device", "boiler-7"}}, ""};
  auto out = Decode(R"([{"m_name":"water_temp","m_value":61.5,"m_timestamp":1600000000123},
                        {"m_name":"pressure","m_value":"1.8","m_timestamp":1600000000}])",
                    mapping, context);
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  auto flat = Flatten(out);
  EXPECT_EQ(flat.at("water_temp{device=\"boiler-7\"}")[0],
            (std::pair<int64_t, double>{1600000000123, 61.5}));
  EXPECT_EQ(flat.at("pressure{device=\"boiler-7\"}")[0],
            (std::pair<int64_t, double>{1600000000000, 1.8}));
}

TEST(JsonMappingTest, ParallelMeasurementArrays) {
  JsonMapping mapping;
  mapping.names_array = "measurements";
  mapping.values_array = "values";
  mapping.timestamp_path = "timestamp(s)";
  mapping.timestamp_format = JsonTimeFormat::kEpochS;
  mapping.labels = {{"device", "device", ""}};
  auto out = Decode(R"js({"device":"th-12","timestamp(s)":1600000000,
                          "measurements":["temperature","humidity"],"values":[21.5,40]})js",
                    mapping);
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  auto flat = Flatten(out);
  EXPECT_EQ(flat.at("temperature{device=\"th-12\"}")[0].second, 21.5);
  EXPECT_EQ(flat.at("humidity{device=\"th-12\"}")[0],
            (std::pair<int64_t, double>{1600000000000, 40}));

  auto mismatched =
      Decode(R"js({"device":"x","timestamp(s)":1,"measurements":["a"],"values":[]})js", mapping);
  ASSERT_EQ(mismatched.rejected.size(), 1u);
  EXPECT_EQ(mismatched.rejected[0].reason, "invalid_record");
}

TEST(JsonMappingTest, StationDocumentWithStringNumbersAndLayoutTimes) {
  JsonMapping mapping;
  mapping.records = "data";
  mapping.name = "water_level_m";
  mapping.values = {{"v", ""}};
  mapping.timestamp_path = "t";
  mapping.timestamp_format = JsonTimeFormat::kLayout;
  mapping.timestamp_layout = "YYYY-MM-DD HH:MM";
  mapping.labels = {{"station", "$.metadata.id", ""},
                    {"station_name", "$.metadata.name", ""},
                    {"source", "", "noaa"}};
  auto out =
      Decode(R"({"metadata":{"id":"8454000","name":"Providence","lat":"41.8071","lon":"-71.4012"},
      "data":[{"t":"2020-09-24 04:18","v":"0.597","s":"0.003","f":"1,0,0,0","q":"p"},
              {"t":"2020-09-24 04:24","v":"0.612","s":"0.003","f":"0,0,0,0","q":"p"},
              {"t":"2020-09-24 04:30","v":"","s":"","f":"","q":""},
              {"t":"yesterday","v":"0.5"}]})",
             mapping);
  auto flat = Flatten(out);
  const auto& level =
      flat.at("water_level_m{source=\"noaa\", station=\"8454000\", station_name=\"Providence\"}");
  ASSERT_EQ(level.size(), 2u);
  EXPECT_EQ(level[0], (std::pair<int64_t, double>{1600921080000, 0.597}));
  EXPECT_EQ(level[1].first, 1600921440000);
  ASSERT_EQ(out.rejected.size(), 2u);
  EXPECT_EQ(out.rejected[0].position, 3u);
  EXPECT_EQ(out.rejected[0].reason, "invalid_value");
  EXPECT_EQ(out.rejected[1].reason, "invalid_timestamp");
  EXPECT_NE(out.rejected[1].raw.find("yesterday"), std::string::npos);
}

TEST(JsonMappingTest, FlatRecordWithLabelsFromTopic) {
  JsonMapping mapping;
  mapping.values_object = ".";
  JsonContext context{{{"building", "b1"}, {"floor", "2"}}, ""};
  auto out =
      Decode(R"({"TH1": 21.4, "HVAC1": 37.0, "note": "ok", "door": true})", mapping, context);
  ASSERT_TRUE(out.rejected.empty());
  auto flat = Flatten(out);
  ASSERT_EQ(flat.size(), 3u);
  EXPECT_EQ(flat.at("TH1{building=\"b1\", floor=\"2\"}")[0],
            (std::pair<int64_t, double>{kNow, 21.4}));
  EXPECT_EQ(flat.at("HVAC1{building=\"b1\", floor=\"2\"}")[0].second, 37.0);
  EXPECT_EQ(flat.at("door{building=\"b1\", floor=\"2\"}")[0].second, 1.0);
}

TEST(JsonMappingTest, DefaultMetricFromTransport) {
  JsonMapping mapping;
  mapping.values = {{"reading.value", ""}};
  mapping.timestamp_path = "reading.at";
  mapping.timestamp_format = JsonTimeFormat::kRfc3339;
  JsonContext context{{}, "temperature_celsius"};
  auto out = Decode(R"({"reading":{"value":-3.5,"at":"2026-01-02T03:04:05.678+01:00"}})", mapping,
                    context);
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  EXPECT_EQ(Flatten(out).at("temperature_celsius")[0],
            (std::pair<int64_t, double>{1767319445678, -3.5}));
}

TEST(JsonMappingTest, BadPayloadsAndRecords) {
  JsonMapping mapping;
  mapping.name_path = "name";
  mapping.values = {{"value", ""}};
  EXPECT_EQ(Decode("{not json", mapping).rejected.at(0).reason, "invalid_json");
  EXPECT_EQ(Decode("", mapping).rejected.at(0).reason, "invalid_json");
  EXPECT_EQ(Decode(R"({"value":1})", mapping).rejected.at(0).reason, "missing_name");
  EXPECT_EQ(Decode(R"({"name":"x","value":"high"})", mapping).rejected.at(0).reason,
            "invalid_value");
  EXPECT_EQ(Decode(R"({"name":"x"})", mapping).rejected.at(0).reason, "no_values");
  auto mixed = Decode(R"([{"name":"a","value":1},{"name":"b","value":[1]},{"name":"c","value":3}])",
                      mapping);
  EXPECT_EQ(Flatten(mixed).size(), 2u);
  ASSERT_EQ(mixed.rejected.size(), 1u);
  EXPECT_EQ(mixed.rejected[0].position, 2u);
  JsonMapping records;
  records.records = "items";
  EXPECT_EQ(Decode(R"({"items":{}})", records).rejected.at(0).reason, "invalid_record");
  auto huge = Decode(R"({"name":"big","value":1e308})", mapping);
  EXPECT_EQ(Flatten(huge).at("big")[0].second, 1e308);
  auto bad_utf8 = Decode("{\"name\":\"m\",\"value\":1,\"x\":\"\xC3\x28\"}", mapping);
  EXPECT_EQ(bad_utf8.rejected.at(0).reason, "invalid_json");
}

TEST(TimeFormatsTest, Rfc3339AndLayouts) {
  EXPECT_EQ(*base::ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*base::ParseRfc3339("2020-09-24T04:18:00Z"), 1600921080000);
  EXPECT_EQ(*base::ParseRfc3339("2020-09-24T06:18:00.25+02:00"), 1600921080250);
  EXPECT_EQ(*base::ParseRfc3339("2020-09-24t04:18:00.123456789z"), 1600921080123);
  EXPECT_FALSE(base::ParseRfc3339("2020-09-24 04:18").ok());
  EXPECT_FALSE(base::ParseRfc3339("2021-02-29T00:00:00Z").ok());
  EXPECT_FALSE(base::ParseRfc3339("2020-13-01T00:00:00Z").ok());
  EXPECT_EQ(*ParseLayout("2020-09-24 04:18", "YYYY-MM-DD HH:MM"), 1600921080000);
  EXPECT_EQ(*ParseLayout("24/09/2020 04:18:30.5", "DD/MM/YYYY HH:MM:SS.fff"), 1600921110500);
  EXPECT_FALSE(ParseLayout("2020-09-24", "YYYY-MM-DD HH:MM").ok());
  EXPECT_EQ(base::DaysFromCivil(2000, 3, 1), 11017);
}

TEST(TimeFormatsTest, EpochUnits) {
  EXPECT_EQ(*EpochToMillis(1600000000, EpochUnit::kAuto), 1600000000000);
  EXPECT_EQ(*EpochToMillis(1600000000.5, EpochUnit::kAuto), 1600000000500);
  EXPECT_EQ(*EpochToMillis(1600000000123, EpochUnit::kAuto), 1600000000123);
  EXPECT_EQ(*EpochToMillis(1600000000123456.0, EpochUnit::kAuto), 1600000000123);
  EXPECT_EQ(*EpochToMillis(1.6e18, EpochUnit::kAuto), 1600000000000);
  EXPECT_EQ(*EpochToMillis(5, EpochUnit::kMilliseconds), 5);
  EXPECT_FALSE(EpochToMillis(1e300, EpochUnit::kSeconds).has_value());
}

}  // namespace
}  // namespace tidemark::server::ingest
