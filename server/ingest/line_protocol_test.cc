#include "server/ingest/line_protocol.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <map>
#include <random>

#include "server/ingest/decode_test_util.h"

namespace tidemark::server::ingest {
namespace {

using storage::Labels;

constexpr int64_t kNow = 1'700'000'000'000;

DecodeOutput Decode(std::string_view payload, Precision precision = Precision::kNanoseconds,
                    DecodeLimits limits = {}) {
  DecodeOutput out;
  DecodeLineProtocol(payload, precision, kNow, limits, &out);
  return out;
}

TEST(LineProtocolTest, MapsMeasurementFieldAndTagsToSeries) {
  auto out = Decode(
      "weather,location=us-midwest,season=summer temperature=82,humidity=71.5 "
      "1465839830100400200\n");
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  auto flat = Flatten(out);
  ASSERT_EQ(flat.size(), 2u);
  const auto& temp = flat.at("weather_temperature{location=\"us-midwest\", season=\"summer\"}");
  ASSERT_EQ(temp.size(), 1u);
  EXPECT_EQ(temp[0].first, 1465839830100);
  EXPECT_EQ(temp[0].second, 82.0);
  EXPECT_EQ(flat.at("weather_humidity{location=\"us-midwest\", season=\"summer\"}")[0].second,
            71.5);
}

TEST(LineProtocolTest, FieldTypes) {
  auto out = Decode("m i=-42i,u=18446744073709551615u,f=-1.5e3,t=t,T=TRUE,F=false,s=\"text\" 0");
  ASSERT_TRUE(out.rejected.empty());
  auto flat = Flatten(out);
  EXPECT_EQ(flat.at("m_i")[0].second, -42.0);
  EXPECT_EQ(flat.at("m_u")[0].second, 18446744073709551615.0);
  EXPECT_EQ(flat.at("m_f")[0].second, -1500.0);
  EXPECT_EQ(flat.at("m_t")[0].second, 1.0);
  EXPECT_EQ(flat.at("m_T")[0].second, 1.0);
  EXPECT_EQ(flat.at("m_F")[0].second, 0.0);
  EXPECT_EQ(flat.count("m_s"), 0u);
  EXPECT_EQ(out.skipped_string_fields, 1u);
}

TEST(LineProtocolTest, EscapingRules) {
  auto out = Decode(
      "cpu\\,01\\ x,host=serv\\ er\\=1,path=a\\,b val\\ ue=1,msg=\"say \\\"hi\\\", a b=c\",x=2 "
      "5000000");
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  auto flat = Flatten(out);
  ASSERT_EQ(flat.count("cpu_01_x_val_ue{host=\"serv er=1\", path=\"a,b\"}"), 1u)
      << flat.begin()->first;
  EXPECT_EQ(flat.at("cpu_01_x_x{host=\"serv er=1\", path=\"a,b\"}")[0],
            (std::pair<int64_t, double>{5, 2}));
  EXPECT_EQ(out.skipped_string_fields, 1u);
}

TEST(LineProtocolTest, BackslashBeforeOrdinaryCharacterIsLiteral) {
  auto out = Decode("m,dir=C:\\temp v=1 0");
  ASSERT_TRUE(out.rejected.empty());
  EXPECT_EQ(Flatten(out).count("m_v{dir=\"C:\\\\temp\"}"), 1u) << Flatten(out).begin()->first;
}

TEST(LineProtocolTest, Precisions) {
  struct Case {
    Precision precision;
    const char* line;
    int64_t want_ms;
  };
  for (const Case& c :
       {Case{Precision::kNanoseconds, "m v=1 1500000001", 1500},
        Case{Precision::kMicroseconds, "m v=1 1500001", 1500},
        Case{Precision::kMilliseconds, "m v=1 1500", 1500},
        Case{Precision::kSeconds, "m v=1 2", 2000}, Case{Precision::kMinutes, "m v=1 2", 120000},
        Case{Precision::kHours, "m v=1 1", 3600000},
        Case{Precision::kNanoseconds, "m v=1 -1", -1}}) {
    auto out = Decode(c.line, c.precision);
    ASSERT_TRUE(out.rejected.empty()) << c.line;
    EXPECT_EQ(Flatten(out).at("m_v")[0].first, c.want_ms) << c.line;
  }
  EXPECT_EQ(*ParsePrecision(""), Precision::kNanoseconds);
  EXPECT_EQ(*ParsePrecision("us"), Precision::kMicroseconds);
  EXPECT_EQ(*ParsePrecision("u"), Precision::kMicroseconds);
  EXPECT_FALSE(ParsePrecision("fortnight").has_value());
}

TEST(LineProtocolTest, MissingTimestampUsesArrivalTime) {
  auto out = Decode("m v=1\nm v=2   \n");
  ASSERT_TRUE(out.rejected.empty());
  auto samples = Flatten(out).at("m_v");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].first, kNow);
  EXPECT_EQ(samples[1].second, 2.0);
}

TEST(LineProtocolTest, CommentsBlankLinesAndCrlf) {
  auto out = Decode("# a comment\r\n\r\n   \nm v=1 1000000\r\n\tm v=2 2000000\r\n");
  ASSERT_TRUE(out.rejected.empty()) << out.rejected[0].message;
  EXPECT_EQ(Flatten(out).at("m_v").size(), 2u);
}

TEST(LineProtocolTest, BadLinesAreRejectedAloneWithReasons) {
  const std::string payload =
      "good v=1 1000000\n"
      "no_fields_here\n"
      "m,tag v=1\n"
      "m v=abc\n"
      "m v=1 notanumber\n"
      "m v=\"unterminated\n"
      "m v=1i2\n"
      "m v=99999999999999999999i\n"
      "m v=inf\n"
      "m v=1e309\n"
      "m v=1 1 extra\n"
      ",t=1 v=1\n"
      "m,t= v=1\n"
      "m v=\n"
      "good v=2 2000000\n";
  auto out = Decode(payload);
  auto flat = Flatten(out);
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat.at("good_v").size(), 2u);
  std::vector<std::string> reasons;
  for (const auto& r : out.rejected) reasons.push_back(std::to_string(r.position) + ":" + r.reason);
  EXPECT_EQ(reasons,
            (std::vector<std::string>{
                "2:invalid_line", "3:invalid_tag", "4:invalid_field_value", "5:invalid_timestamp",
                "6:invalid_field_value", "7:invalid_field_value", "8:invalid_field_value",
                "9:invalid_field_value", "10:invalid_field_value", "11:invalid_line",
                "12:invalid_line", "13:invalid_tag", "14:invalid_field_value"}));
  EXPECT_EQ(out.rejected[1].raw, "m,tag v=1");
  EXPECT_EQ(out.rejected[2].message, "field \"v\" has an invalid value \"abc\"");
}

TEST(LineProtocolTest, HugeFiniteNumbersAreKept) {
  auto out = Decode("m a=1.7976931348623157e308,b=-9223372036854775808i,c=4.9e-324 0");
  ASSERT_TRUE(out.rejected.empty());
  auto flat = Flatten(out);
  EXPECT_EQ(flat.at("m_a")[0].second, 1.7976931348623157e308);
  EXPECT_EQ(flat.at("m_b")[0].second, -9223372036854775808.0);
  EXPECT_GT(flat.at("m_c")[0].second, 0.0);
}

TEST(LineProtocolTest, LimitsRejectWithReasons) {
  DecodeLimits limits;
  limits.max_line_bytes = 40;
  limits.max_labels_per_series = 3;
  limits.max_label_value_bytes = 8;
  auto out = Decode(
      "m,a=1,b=2,c=3 v=1 0\n"
      "m,a=123456789 v=1 0\n"
      "m v=1 0 " +
          std::string(40, ' ') +
          "\n"
          "m,a=1 v=1 0\n",
      Precision::kNanoseconds, limits);
  ASSERT_EQ(out.rejected.size(), 3u);
  EXPECT_EQ(out.rejected[0].reason, "too_many_labels");
  EXPECT_EQ(out.rejected[1].reason, "label_value_too_long");
  EXPECT_EQ(out.rejected[2].reason, "line_too_long");
  EXPECT_EQ(out.batch.num_samples(), 1u);
}

TEST(LineProtocolTest, InvalidUtf8InTagValueIsRejected) {
  auto out = Decode("m,t=\xC3\x28 v=1 0\nm,t=caf\xC3\xA9 v=2 0\n");
  ASSERT_EQ(out.rejected.size(), 1u);
  EXPECT_EQ(out.rejected[0].reason, "invalid_utf8");
  EXPECT_EQ(Flatten(out).count("m_v{t=\"caf\xC3\xA9\"}"), 1u);
}

TEST(LineProtocolTest, EmptyAndWhitespacePayloads) {
  EXPECT_TRUE(Decode("").batch.empty());
  EXPECT_TRUE(Decode("\n\n  \n").rejected.empty());
}

// A resolver backed by a map, handing out refs 1, 2, 3... and counting calls.
class MapResolver : public SeriesResolver {
 public:
  storage::SeriesRef Lookup(std::string_view key) override {
    ++lookups;
    auto it = refs.find(std::string(key));
    return it == refs.end() ? 0 : it->second;
  }
  storage::SeriesRef Learn(std::string_view key, const storage::Labels& labels) override {
    learned[std::string(key)] = labels.ToString();
    const storage::SeriesRef next = refs.size() + 1;
    return refs.emplace(std::string(key), next).first->second;
  }
  std::map<std::string, storage::SeriesRef> refs;
  std::map<std::string, std::string> learned;
  int lookups = 0;
};

TEST(LineProtocolTest, ResolverServesKnownSeriesByRef) {
  MapResolver resolver;
  const std::string payload = "m\\ x,host=a\\ b v=1,w=2i,s=\"text\" 5000000\n";
  DecodeOutput first;
  DecodeLineProtocol(payload, Precision::kNanoseconds, kNow, {}, &first, &resolver);
  ASSERT_EQ(resolver.learned.size(), 2u);
  EXPECT_EQ(resolver.learned.at(std::string("m\\ x,host=a\\ b\0v", 16)), "m_x_v{host=\"a b\"}");
  for (const auto& entry : first.batch.entries()) EXPECT_NE(entry.ref, 0u);

  DecodeOutput second;
  DecodeLineProtocol(payload + "m\\ x,host=a\\ b v=3,new=4 6000000\n", Precision::kNanoseconds,
                     kNow, {}, &second, &resolver);
  EXPECT_EQ(resolver.learned.size(), 3u) << "only the new field is learned";
  ASSERT_EQ(second.batch.num_samples(), 4u);
  EXPECT_EQ(second.skipped_string_fields, 1u);
  std::vector<std::pair<storage::SeriesRef, double>> by_ref;
  for (const auto& entry : second.batch.entries()) {
    ASSERT_NE(entry.ref, 0u);
    for (const auto& sample : entry.samples) by_ref.emplace_back(entry.ref, sample.v);
  }
  EXPECT_EQ(by_ref,
            (std::vector<std::pair<storage::SeriesRef, double>>{{1, 1}, {2, 2}, {1, 3}, {3, 4}}));
}

TEST(LineProtocolTest, ResolverDoesNotHideBadLines) {
  MapResolver resolver;
  DecodeOutput warm;
  DecodeLineProtocol("m,t=1 v=1 0\n", Precision::kNanoseconds, kNow, {}, &warm, &resolver);
  DecodeOutput out;
  DecodeLineProtocol("m,t=1 v=oops 0\nm,t=1 v=2 1 trailing\n", Precision::kNanoseconds, kNow, {},
                     &out, &resolver);
  EXPECT_TRUE(out.batch.empty());
  ASSERT_EQ(out.rejected.size(), 2u);
  EXPECT_EQ(out.rejected[0].reason, "invalid_field_value");
  EXPECT_EQ(out.rejected[1].reason, "invalid_line");
}

// Every sample of a decode as "labels t v", with refs mapped back to the labels they were
// learned for, so a resolver-assisted decode compares with a plain one.
std::vector<std::string> Rows(const DecodeOutput& out, const MapResolver* resolver) {
  std::map<storage::SeriesRef, std::string> names;
  if (resolver != nullptr) {
    for (const auto& [key, ref] : resolver->refs) names[ref] = resolver->learned.at(key);
  }
  std::vector<std::string> rows;
  for (const auto& entry : out.batch.entries()) {
    const std::string name = entry.ref != 0 ? names.at(entry.ref) : entry.labels.ToString();
    for (const auto& sample : entry.samples) {
      rows.push_back(name + " " + std::to_string(sample.t) + " " +
                     std::to_string(std::bit_cast<uint64_t>(sample.v)));
    }
  }
  for (const auto& r : out.rejected) rows.push_back("rejected " + r.reason + " " + r.message);
  rows.push_back("strings " + std::to_string(out.skipped_string_fields));
  return rows;
}

TEST(LineProtocolTest, ResolverPathDecodesLikeThePlainPath) {
  const std::string payload =
      "m,t=a v=1.5,w=-2i,s=\"x\",b=true 1795240960000000000\n"
      "m,t=a v=-0,w=9223372036854775807i 1795240960000000001\n"
      "m,t=a v=1e3,w=3u,s=\"a \\\" b\" -1\n"
      "m,t=a v=.5,w=0i   1795240960000000002  \n"
      "m,t=a v=1.,w=1i 9223372036854775807\n"
      "m,t=a v=2 9223372036854775808\n"
      "m,t=a v=2 1 2\n"
      "m,t=a v=nan 1\n"
      "m,t=a v=\"open 1\n"
      "m,t=a v=3,w=4i\n"
      "m\\ x,t=b\\,c v=0.000000000000001,w\\ 2=5i 7\n";
  DecodeOutput plain;
  DecodeLineProtocol(payload, Precision::kNanoseconds, kNow, {}, &plain);
  MapResolver resolver;
  DecodeOutput warm, known;
  DecodeLineProtocol(payload, Precision::kNanoseconds, kNow, {}, &warm, &resolver);
  DecodeLineProtocol(payload, Precision::kNanoseconds, kNow, {}, &known, &resolver);
  EXPECT_EQ(Rows(warm, &resolver), Rows(plain, nullptr));
  EXPECT_EQ(Rows(known, &resolver), Rows(plain, nullptr));
  EXPECT_GT(resolver.lookups, 0);
}

// The decoder's own number parsing must give what std::from_chars gives, bit for bit.
TEST(LineProtocolTest, FloatValuesMatchFromChars) {
  std::vector<std::string> texts = {"0",
                                    "-0",
                                    "0.0",
                                    "-0.0",
                                    "1.",
                                    "0.1",
                                    "-3992.241",
                                    "007.50",
                                    "+2.5",
                                    "1e3",
                                    "123456789012345",
                                    "1234567890123456",
                                    "999999999999999.9",
                                    "0.000000000000001",
                                    "9007199254740993",
                                    "-.5"};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string text = rng() % 2 ? "-" : "";
    const int digits = 1 + static_cast<int>(rng() % 18);
    const int point = static_cast<int>(rng() % (digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == point && d > 0) text += '.';
      text += static_cast<char>('0' + rng() % 10);
    }
    texts.push_back(text);
  }
  for (const std::string& text : texts) {
    auto out = Decode("m v=" + text + " 0");
    ASSERT_TRUE(out.rejected.empty()) << text;
    ASSERT_EQ(out.batch.num_samples(), 1u) << text;
    const std::string_view ref_text = text[0] == '+' ? std::string_view(text).substr(1) : text;
    double expected = 0;
    std::from_chars(ref_text.data(), ref_text.data() + ref_text.size(), expected);
    EXPECT_EQ(std::bit_cast<uint64_t>(out.batch.entries()[0].samples[0].v),
              std::bit_cast<uint64_t>(expected))
        << text;
  }
}

TEST(LineProtocolTest, TimestampsAtTheInt64Limits) {
  auto t = [](std::string_view text) {
    auto out = Decode("m v=1 " + std::string(text), Precision::kMilliseconds);
    return out.rejected.empty() ? std::to_string(out.batch.entries()[0].samples[0].t)
                                : out.rejected[0].reason;
  };
  EXPECT_EQ(t("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(t("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(t("9223372036854775808"), "invalid_timestamp");
  EXPECT_EQ(t("-9223372036854775809"), "invalid_timestamp");
  EXPECT_EQ(t("99999999999999999999"), "invalid_timestamp");
  EXPECT_EQ(t("0001795240960000"), "1795240960000");
  EXPECT_EQ(t("-0"), "0");
  EXPECT_EQ(t("1.5"), "invalid_timestamp");
  EXPECT_EQ(t("+5"), "invalid_timestamp");
}

TEST(Utf8Test, Validates) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x8C\x8A"));  // a wave emoji
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x8C"));     // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));         // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));     // surrogate
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(SanitizeTest, PrometheusAlphabet) {
  EXPECT_EQ(SanitizeMetricName("cpu.usage-idle:rate"), "cpu_usage_idle:rate");
  EXPECT_EQ(SanitizeLabelName("host:name"), "host_name");
  EXPECT_EQ(SanitizeLabelName("1st"), "_1st");
}

}  // namespace
}  // namespace tidemark::server::ingest
