// Tier selection through the HTTP APIs: query_range and the Grafana JSON /query say which tier
// answered, accept tier=raw to force raw samples, and reject other tier values with a JSON error.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "storage/storage.h"
#include "tests/support/temp_storage.h"
#include "web/grafana_json_api.h"
#include "web/prom_api.h"

namespace tidemark::web {
namespace {

using nlohmann::json;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kNow = 472'222 * kHour;  // 2023-11-14T22:00:00Z, a whole hour

storage::StorageOptions WithTiers() {
  storage::StorageOptions o;
  o.tiers = {{5 * 60'000, 365LL * 24 * kHour, 0}, {kHour, 5 * 365LL * 24 * kHour, 0}};
  return o;
}

std::string Iso(int64_t ms) {
  const std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

class RollupApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    storage::WriteBatch batch;
    for (int64_t t = kNow - 6 * kHour, i = 0; t <= kNow; t += 10'000, ++i) {
      for (const char* site : {"north", "south"}) {
        batch.Add(storage::Labels{{"__name__", "temp"}, {"site", site}}, t,
                  static_cast<double>(i % 97) * 0.5);
      }
    }
    ASSERT_TRUE(store_->Append(batch).ok());
    store_.clock().Set(kNow + 4 * kHour);
    ASSERT_TRUE(store_->RunMaintenance().ok());
    auto queriers = [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); };
    RegisterPrometheusApi(router_, {query::EngineOptions{}, queriers, &store_.clock()});
    GrafanaJsonDeps deps;
    deps.queriers = queriers;
    deps.clock = &store_.clock();
    RegisterGrafanaJsonApi(router_, deps);
  }
  void TearDown() override { ASSERT_TRUE(store_->Close().ok()); }

  json Get(const std::string& target, int want_status = 200) {
    Response r = router_.Dispatch(Request::Make(Method::kGet, target));
    EXPECT_EQ(r.status, want_status) << r.body;
    return json::parse(r.body);
  }
  json Post(const std::string& path, const json& body, int want_status = 200) {
    Response r = router_.Dispatch(Request::Make(Method::kPost, path, body.dump()));
    EXPECT_EQ(r.status, want_status) << r.body;
    return json::parse(r.body);
  }
  static std::string Range(const std::string& query, int64_t step_s) {
    return "/api/v1/query_range?query=" + query +
           "&start=" + std::to_string(kNow / 1000 - 5 * 3600) +
           "&end=" + std::to_string(kNow / 1000) + "&step=" + std::to_string(step_s);
  }
  json GrafanaBody(const json& payload) {
    return {{"range", {{"from", Iso(kNow - 5 * kHour)}, {"to", Iso(kNow)}}},
            {"intervalMs", kHour},
            {"maxDataPoints", 1000},
            {"targets",
             json::array(
                 {{{"target", "avg by (site) (temp)"}, {"refId", "A"}, {"payload", payload}}})}};
  }

  tidemark::testing::TempStorage store_{kNow, WithTiers()};
  Router router_;
};

TEST_F(RollupApiTest, QueryRangeSaysWhichTierAnsweredAndTierRawForcesRaw) {
  const std::string q = "max_over_time(temp%5B15m%5D)";
  const json tier = Get(Range(q, 300));
  ASSERT_EQ(tier["status"], "success") << tier;
  EXPECT_EQ(tier["data"]["tier"], "5m");
  ASSERT_EQ(tier["warnings"].size(), 1u);
  EXPECT_NE(tier["warnings"][0].get<std::string>().find("rollup tier 5m"), std::string::npos);
  const json raw = Get(Range(q, 300) + "&tier=raw");
  EXPECT_EQ(raw["data"]["tier"], "raw");
  EXPECT_FALSE(raw.contains("warnings"));
  ASSERT_EQ(raw["data"]["result"].size(), 2u);
  EXPECT_EQ(raw["data"]["result"], tier["data"]["result"]);
  EXPECT_EQ(Get(Range(q, 300) + "&tier=auto")["data"]["tier"], "5m");
  EXPECT_EQ(Get(Range("avg_over_time(temp%5B1h%5D)", 3600))["data"]["tier"], "1h");
  EXPECT_EQ(Get(Range(q, 420))["data"]["tier"], "raw");  // 7m steps fit no tier
}

TEST_F(RollupApiTest, BadTierParameterIsAJsonError) {
  const json error = Get(Range("temp", 300) + "&tier=5m", 400);
  EXPECT_EQ(error["status"], "error");
  EXPECT_EQ(error["errorType"], "bad_data");
  EXPECT_NE(error["error"].get<std::string>().find("tier"), std::string::npos) << error;
  // The server keeps answering.
  EXPECT_EQ(Get(Range("temp", 300))["data"]["tier"], "5m");
}

TEST_F(RollupApiTest, GrafanaJsonQueryUsesIntervalMsToPickTheTier) {
  const json tier = Post("/grafana/json/query", GrafanaBody(json::object()));
  ASSERT_EQ(tier.size(), 2u) << tier;
  EXPECT_EQ(tier[0]["meta"]["custom"]["tier"], "1h");
  ASSERT_TRUE(tier[0]["meta"].contains("notices"));
  EXPECT_EQ(tier[0]["meta"]["notices"][0]["severity"], "info");
  const json raw = Post("/grafana/json/query", GrafanaBody({{"tier", "raw"}}));
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_EQ(raw[0]["meta"]["custom"]["tier"], "raw");
  EXPECT_FALSE(raw[0]["meta"].contains("notices"));
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(raw[i]["fields"], tier[i]["fields"]);
  json body = GrafanaBody(json::object());
  body["tier"] = "raw";
  EXPECT_EQ(Post("/grafana/json/query", body)[0]["meta"]["custom"]["tier"], "raw");
  body["tier"] = "fast";
  const json error = Post("/grafana/json/query", body, 400);
  EXPECT_NE(error.dump().find("tier"), std::string::npos) << error;
}

}  // namespace
}  // namespace tidemark::web
