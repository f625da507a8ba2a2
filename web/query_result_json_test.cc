// QueryResultBody must write exactly what the JSON document tree it replaced dumped: the
// reference below builds that tree with nlohmann::json, as the handlers did.
#include "web/query_result_json.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace tidemark::web {
namespace {

using nlohmann::json;

json RefTime(int64_t ms) {
  if (ms % 1000 == 0) return ms / 1000;
  return static_cast<double>(ms) / 1000.0;
}
// Prometheus' sample value formatting from the standard library alone, independent of
// query::WriteSampleValue: the shortest round trip, in exponent form when 0 < |v| < 1e-6 or
// |v| >= 1e21 (Go's 'e', -1), else in fixed notation (Go's 'f', -1).
std::string RefFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  const double a = std::fabs(v);
  const auto format =
      a != 0 && (a < 1e-6 || a >= 1e21) ? std::chars_format::scientific : std::chars_format::fixed;
  char buf[512];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v, format).ptr);
}
json RefPoint(int64_t t, double v) { return json::array({RefTime(t), RefFloat(v)}); }
json RefLabels(const storage::Labels& labels) {
  json out = json::object();
  for (const auto& l : labels) out[l.name] = l.value;
  return out;
}

std::string Reference(const query::Value& value, const std::optional<std::string>& tier,
                      const std::vector<std::string>& warnings) {
  json result = json::array();
  if (const auto* s = std::get_if<query::Scalar>(&value)) {
    result = RefPoint(s->t, s->v);
  } else if (const auto* text = std::get_if<query::String>(&value)) {
    result = json::array({RefTime(text->t), text->v});
  } else if (const auto* vec = std::get_if<query::Vector>(&value)) {
    for (const auto& smp : *vec) {
      result.push_back({{"metric", RefLabels(smp.metric)}, {"value", RefPoint(smp.t, smp.v)}});
    }
  } else if (const auto* m = std::get_if<query::Matrix>(&value)) {
    for (const auto& series : *m) {
      json values = json::array();
      for (const auto& p : series.points) values.push_back(RefPoint(p.t, p.v));
      result.push_back({{"metric", RefLabels(series.metric)}, {"values", values}});
    }
  }
  json data = {{"resultType", query::ValueTypeApiName(query::TypeOf(value))}, {"result", result}};
  if (tier) data["tier"] = *tier;
  json body = {{"status", "success"}, {"data", data}};
  if (!warnings.empty()) body["warnings"] = warnings;
  return body.dump();
}

const storage::Labels kOdd(
    {{"__name__", "m"}, {"Upper", "x"}, {"q", "say \"hi\"\\ \n\t\x01 ünï /"}, {"z", ""}});

TEST(QueryResultJsonTest, MatrixEqualsTheDocumentTree) {
  const double inf = std::numeric_limits<double>::infinity();
  query::Matrix m = {
      {kOdd, {{1'700'000'000'000, 1.5}, {1'700'000'000'250, -0.0}, {-1500, NAN}}},
      {storage::Labels({{"a", "b"}}), {{0, inf}, {1, -inf}, {999, 1e300}, {1000, 5e-324}}},
      {storage::Labels(), {{2000, 123456789.125}}},
  };
  EXPECT_EQ(QueryResultBody(m, "5m+raw", {"answered from rollup tier 5m"}),
            Reference(m, "5m+raw", {"answered from rollup tier 5m"}));
  EXPECT_EQ(QueryResultBody(query::Matrix{}, "raw", {}), Reference(query::Matrix{}, "raw", {}));
}

// A dashboard-sized answer: times on a 5 m grid (and a few off it, negative ones included),
// values that are means of decimal readings, whole numbers, zeros and tiny and huge values, so
// every path of the float and time writers lands in one body, and the buffer has to grow.
TEST(QueryResultJsonTest, LargeMatrixEqualsTheDocumentTree) {
  query::Matrix m;
  for (int s = 0; s < 40; ++s) {
    query::Series series{storage::Labels({{"site", "site-" + std::to_string(s)}}), {}};
    for (int i = 0; i < 200; ++i) {
      double sum = 0;
      for (int d = 0; d < 50; ++d) sum += std::round((20 + std::sin(s * 7.0 + d + i) * 3) * 1000);
      const double values[] = {sum / 50'000, static_cast<double>(i), 0.0, -0.0, 1e-9 * i, 3e17 * i};
      const int64_t t = i % 17 == 0 ? -1'000 * i - 250 : 1'795'305'750'000 + i * 300'000;
      series.points.push_back({t, values[(s + i) % 6] * (i % 2 == 0 ? 1 : -1)});
    }
    m.push_back(std::move(series));
  }
  EXPECT_EQ(QueryResultBody(m, "raw", {}), Reference(m, "raw", {}));
}

TEST(QueryResultJsonTest, VectorScalarAndStringEqualTheDocumentTree) {
  query::Vector v = {{kOdd, 1'700'000'000'001, 0.1}, {storage::Labels(), 5000, 42}};
  EXPECT_EQ(QueryResultBody(v, std::nullopt, {}), Reference(v, std::nullopt, {}));
  query::Value s = query::Scalar{1'700'000'000'000, 3.25};
  EXPECT_EQ(QueryResultBody(s, std::nullopt, {}), Reference(s, std::nullopt, {}));
  query::Value text = query::String{12'345, "a \"quoted\" string"};
  EXPECT_EQ(QueryResultBody(text, std::nullopt, {}), Reference(text, std::nullopt, {}));
}

TEST(QueryResultJsonTest, StringListEqualsTheDocumentTree) {
  auto reference = [](const std::vector<std::string>& data,
                      const std::vector<std::string>& warnings) {
    json body = {{"status", "success"}, {"data", data}};
    if (!warnings.empty()) body["warnings"] = warnings;
    return body.dump();
  };
  const std::vector<std::string> odd = {"", "a", "say \"hi\"\\ \n\t\x01 ünï /", "z"};
  EXPECT_EQ(StringListBody(odd, {}), reference(odd, {}));
  EXPECT_EQ(StringListBody(odd, {"results truncated due to limit"}),
            reference(odd, {"results truncated due to limit"}));
  EXPECT_EQ(StringListBody({}, {}), reference({}, {}));
}

}  // namespace
}  // namespace tidemark::web
