// /api/v1/rules, /api/v1/alerts and POST /-/reload in Prometheus' shapes, through the Router.
#include "server/alerting/alerting_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/alerting/alerting_test_util.h"
#include "server/alerting/go_format.h"

namespace tidemark::server::alerting {
namespace {

using nlohmann::json;

class AlertingApiTest : public AlertingFixture {
 protected:
  void SetUp() override {
    AlertingFixture::SetUp();
    path_ = WriteRules(kRules);
    manager_ = NewManager();
    ASSERT_TRUE(manager_->Load({path_}).ok());
    RegisterAlertingRoutes(router_, manager_.get(), [this] { return manager_->Load({path_}); });
  }

  json Get(const std::string& target, int expected_status = 200) {
    web::Response response = router_.Dispatch(web::Request::Make(web::Method::kGet, target));
    EXPECT_EQ(response.status, expected_status) << response.body;
    return json::parse(response.body);
  }

  static constexpr char kRules[] = R"(groups:
  - name: fleet
    interval: 30s
    rules:
      - record: site:power_watts:sum
        expr: sum by (site) (power_watts)
      - alert: RoomOverheating
        expr: temperature_celsius > 30
        for: 10m
        keep_firing_for: 5m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.room }} hot"}
)";
  std::string path_;
  std::unique_ptr<RuleManager> manager_;
  web::Router router_;
};

TEST_F(AlertingApiTest, RulesAndAlertsInPrometheusShapes) {
  store_.clock().Set(t0_);
  Sample({{"__name__", "temperature_celsius"}, {"room", "kitchen"}}, 32.5);
  EvalAt(*manager_, t0_);

  const json rules = Get("/api/v1/rules");
  EXPECT_EQ(rules["status"], "success");
  ASSERT_EQ(rules["data"]["groups"].size(), 1u);
  const json& group = rules["data"]["groups"][0];
  EXPECT_EQ(group["name"], "fleet");
  EXPECT_EQ(group["file"], path_);
  EXPECT_EQ(group["interval"], 30.0);
  EXPECT_EQ(group["limit"], 0);
  EXPECT_EQ(group["lastEvaluation"], Rfc3339(t0_, 9, false));
  EXPECT_TRUE(group["evaluationTime"].is_number());
  ASSERT_EQ(group["rules"].size(), 2u);
  const json& recording = group["rules"][0];
  EXPECT_EQ(recording["type"], "recording");
  EXPECT_EQ(recording["name"], "site:power_watts:sum");
  EXPECT_EQ(recording["query"], "sum by (site) (power_watts)");
  EXPECT_EQ(recording["health"], "ok");
  EXPECT_EQ(recording["labels"], json::object());
  const json& alerting = group["rules"][1];
  EXPECT_EQ(alerting["type"], "alerting");
  EXPECT_EQ(alerting["state"], "pending");
  EXPECT_EQ(alerting["duration"], 600.0);
  EXPECT_EQ(alerting["keepFiringFor"], 300.0);
  EXPECT_EQ(alerting["labels"], json({{"severity", "page"}}));
  EXPECT_EQ(alerting["annotations"], json({{"summary", "{{ $labels.room }} hot"}}));
  ASSERT_EQ(alerting["alerts"].size(), 1u);
  const json expected_alert = {
      {"labels", {{"alertname", "RoomOverheating"}, {"room", "kitchen"}, {"severity", "page"}}},
      {"annotations", {{"summary", "kitchen hot"}}},
      {"state", "pending"},
      {"activeAt", Rfc3339(t0_, 9, false)},
      {"value", "3.25e+01"}};
  EXPECT_EQ(alerting["alerts"][0], expected_alert);

  const json alerts = Get("/api/v1/alerts");
  EXPECT_EQ(alerts["data"]["alerts"], json::array({expected_alert}));

  const json only_record = Get("/api/v1/rules?type=record");
  ASSERT_EQ(only_record["data"]["groups"][0]["rules"].size(), 1u);
  EXPECT_EQ(only_record["data"]["groups"][0]["rules"][0]["type"], "recording");
  const json excluded = Get("/api/v1/rules?type=alert&exclude_alerts=true");
  EXPECT_FALSE(excluded["data"]["groups"][0]["rules"][0].contains("alerts"));
  EXPECT_TRUE(Get("/api/v1/rules?rule_group[]=other")["data"]["groups"].empty());
  EXPECT_EQ(Get("/api/v1/rules?type=bogus", 400)["errorType"], "bad_data");
}

TEST_F(AlertingApiTest, ReloadEndpointKeepsOldRulesOnError) {
  web::Response ok = router_.Dispatch(web::Request::Make(web::Method::kPost, "/-/reload"));
  EXPECT_EQ(ok.status, 200);
  WriteRules("groups:\n  - name: fleet\n    rules:\n      - alert: X\n");
  web::Response bad = router_.Dispatch(web::Request::Make(web::Method::kPost, "/-/reload"));
  EXPECT_EQ(bad.status, 500);
  const json body = json::parse(bad.body);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["error"], "failed to reload rules: " + path_ +
                               ":4: groups[0].rules[0].expr: field 'expr' must be set in rule");
  EXPECT_EQ(Get("/api/v1/rules")["data"]["groups"][0]["rules"].size(), 2u);
}

}  // namespace
}  // namespace tidemark::server::alerting
