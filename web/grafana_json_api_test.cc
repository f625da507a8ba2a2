// The Grafana JSON API's behaviour with values: steps, ranges, tables, ad hoc filters, payloads,
// annotations (PromQL runs and alert state changes), lookups, mounting and errors.
#include "web/grafana_json_api.h"

#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "storage/storage.h"
#include "tests/support/temp_storage.h"

namespace tidemark::web {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'700'000'040'000;  // a multiple of a minute
constexpr int64_t kMinute = 60'000;

std::string Iso(int64_t ms) {
  const std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buffer) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
}

json Range(int64_t from, int64_t to) {
  return {{"from", Iso(from)}, {"to", Iso(to)}, {"raw", {{"from", "now-1h"}, {"to", "now"}}}};
}

class GrafanaJsonApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    storage::WriteBatch batch;
    // One sample a minute for the last hour: temperature = room base + minutes since start.
    for (int i = 0; i <= 60; ++i) {
      const int64_t t = kNow - 60 * kMinute + i * kMinute;
      for (auto [site, base] : {std::pair{"north", 20.0}, {"south", 25.0}}) {
        for (const char* room : {"lobby", "kitchen"}) {
          batch.Add(
              storage::Labels{{"__name__", "temperature_celsius"}, {"site", site}, {"room", room}},
              t, base + i);
        }
      }
      // Motion in two runs: minutes 10..12 and minute 40.
      if ((i >= 10 && i <= 12) || i == 40) {
        batch.Add(storage::Labels{{"__name__", "motion"}, {"site", "north"}, {"room", "lobby"}}, t,
                  1);
      }
    }
    ASSERT_TRUE(store_->Append(batch).ok());
    deps_.queriers = [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); };
    deps_.clock = &store_.clock();
    deps_.alert_annotations = [this](int64_t from, int64_t to) {
      alert_calls_.push_back({from, to});
      return std::vector<AlertAnnotation>{
          {kNow - 30 * kMinute,
           kNow - 20 * kMinute,
           "HighTemperature firing",
           "north/lobby above 40",
           {"alertname=HighTemperature", "severity=page"}},
          {kNow - 5 * kMinute, 0, "DoorOpen pending", "", {"alertname=DoorOpen"}}};
    };
    RegisterGrafanaJsonApi(router_, deps_);
  }
  void TearDown() override { ASSERT_TRUE(store_->Close().ok()); }

  Response Post(const std::string& path, const json& body) {
    return router_.Dispatch(Request::Make(Method::kPost, path, body.dump()));
  }
  json PostOk(const std::string& path, const json& body) {
    Response response = Post(path, body);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body);
  }
  // A /query body over the last hour at a one-minute step.
  static json QueryBody(json targets) {
    return {{"range", Range(kNow - 60 * kMinute, kNow)},
            {"intervalMs", kMinute},
            {"maxDataPoints", 100},
            {"targets", std::move(targets)}};
  }

  tidemark::testing::TempStorage store_{kNow};
  GrafanaJsonDeps deps_;
  std::vector<std::pair<int64_t, int64_t>> alert_calls_;
  Router router_;
};

TEST_F(GrafanaJsonApiTest, TimeserieAtTheRequestedStepInMilliseconds) {
  const json answer =
      PostOk("/grafana/json/query",
             QueryBody({{{"target", "temperature_celsius{site=\"north\", room=\"lobby\"}"},
                         {"refId", "A"},
                         {"type", "timeserie"}},
                        {{"target", "max(temperature_celsius)"}, {"refId", "B"}}}));
  ASSERT_EQ(answer.size(), 2u) << answer;
  EXPECT_EQ(answer[0]["refId"], "A");
  EXPECT_EQ(answer[0]["target"], "temperature_celsius{room=\"lobby\", site=\"north\"}");
  EXPECT_EQ(answer[0]["tags"], (json{{"room", "lobby"}, {"site", "north"}}));
  const json& points = answer[0]["datapoints"];
  ASSERT_EQ(points.size(), 61u);
  EXPECT_EQ(points[0], json::array({20.0, kNow - 60 * kMinute}));
  EXPECT_EQ(points[60], json::array({80.0, kNow}));
  EXPECT_EQ(answer[1]["refId"], "B");
  EXPECT_EQ(answer[1]["target"], "max(temperature_celsius)");
  EXPECT_EQ(answer[1]["datapoints"][60], json::array({85.0, kNow}));
}

TEST_F(GrafanaJsonApiTest, StepIsTheCoarserOfIntervalAndMaxDataPoints) {
  json body = QueryBody(
      {{{"target", "temperature_celsius{site=\"north\",room=\"lobby\"}"}, {"refId", "A"}}});
  body["maxDataPoints"] = 7;  // 60 min / 7 points: a step of 514286 ms beats intervalMs
  json points = PostOk("/query", body)[0]["datapoints"];
  ASSERT_EQ(points.size(), 7u);
  EXPECT_EQ(points[1][1].get<int64_t>() - points[0][1].get<int64_t>(), 514286);
  body.erase("maxDataPoints");
  body["intervalMs"] = 10 * kMinute;
  points = PostOk("/query", body)[0]["datapoints"];
  ASSERT_EQ(points.size(), 7u);
  EXPECT_EQ(points[6], json::array({80.0, kNow}));
}

TEST_F(GrafanaJsonApiTest, SimPodTargetsGetDataFrames) {
  const json answer = PostOk(
      "/grafana/json/query",
      QueryBody({{{"target", "temperature_celsius"},
                  {"refId", "T"},
                  {"payload", {{"site", "south"}, {"room", json::array({"lobby", "nowhere"})}}}}}));
  ASSERT_EQ(answer.size(), 1u) << answer;
  const json& frame = answer[0];
  EXPECT_EQ(frame["refId"], "T");
  EXPECT_EQ(frame["name"], "temperature_celsius{room=\"lobby\", site=\"south\"}");
  EXPECT_EQ(frame["fields"][0]["name"], "Time");
  EXPECT_EQ(frame["fields"][0]["values"][0], kNow - 60 * kMinute);
  EXPECT_EQ(frame["fields"][1]["labels"], (json{{"room", "lobby"}, {"site", "south"}}));
  EXPECT_EQ(frame["fields"][1]["values"][60], 85.0);
}

TEST_F(GrafanaJsonApiTest, PayloadValuesAcceptRegexAndGlobAlternations) {
  for (const std::string rooms : {"(lobby|kitchen)", "{lobby,kitchen}"}) {
    const json answer = PostOk("/grafana/json/query",
                               QueryBody({{{"target", "temperature_celsius"},
                                           {"refId", "A"},
                                           {"payload", {{"site", "north"}, {"room", rooms}}}}}));
    EXPECT_EQ(answer.size(), 2u) << rooms;
  }
}

TEST_F(GrafanaJsonApiTest, TableIsAnInstantQueryAtTheRangeEnd) {
  const json answer =
      PostOk("/query", QueryBody({{{"target", "temperature_celsius{room=\"kitchen\"} - 50"},
                                   {"refId", "K"},
                                   {"type", "table"}}}));
  ASSERT_EQ(answer.size(), 1u);
  const json& table = answer[0];
  EXPECT_EQ(table["type"], "table");
  EXPECT_EQ(table["refId"], "K");
  EXPECT_EQ(table["columns"], json::parse(R"([{"text":"Time","type":"time"},
      {"text":"room","type":"string"},{"text":"site","type":"string"},
      {"text":"Value","type":"number"}])"));
  EXPECT_EQ(table["rows"], (json::array({json::array({kNow, "kitchen", "north", 30.0}),
                                         json::array({kNow, "kitchen", "south", 35.0})})));
  // simPod has no "Format as": payload format=table asks for the same.
  const json simpod = PostOk("/query", QueryBody({{{"target", "count(temperature_celsius)"},
                                                   {"refId", "C"},
                                                   {"payload", {{"format", "table"}}}}}));
  EXPECT_EQ(simpod[0]["rows"], (json::array({json::array({kNow, 4.0})})));
}

TEST_F(GrafanaJsonApiTest, SettledSeriesAndTablesComeFromTheResultCache) {
  storage::Storage* st = store_.get();
  GrafanaJsonDeps deps = deps_;
  deps.cache = std::make_shared<query::ResultCache>(
      query::ResultCacheOptions{},
      query::CacheFreshness{[st] { return st->SettledHorizon(); },
                            [st](std::string_view n) { return st->LateWriteGeneration(n); }});
  Router cached;
  RegisterGrafanaJsonApi(cached, deps);
  // Ends ten minutes ago, before the settle horizon.
  const json body = {
      {"range", Range(kNow - 60 * kMinute, kNow - 10 * kMinute)},
      {"intervalMs", kMinute},
      {"maxDataPoints", 100},
      {"targets",
       {{{"target", "avg by (site) (temperature_celsius)"}, {"refId", "A"}},
        {{"target", "topk(1, temperature_celsius)"}, {"refId", "B"}, {"type", "table"}}}}};
  auto post = [&] {
    return cached.Dispatch(Request::Make(Method::kPost, "/grafana/json/query", body.dump())).body;
  };
  const std::string first = post();
  EXPECT_EQ(first, Post("/grafana/json/query", body).body);  // as without a cache
  EXPECT_EQ(post(), first);
  EXPECT_EQ(deps.cache->Stats().misses, 2u);
  EXPECT_EQ(deps.cache->Stats().hits, 2u);
}

TEST_F(GrafanaJsonApiTest, AdHocFiltersBecomeMatchersOnEverySelector) {
  json body = QueryBody(
      {{{"target", "sum(temperature_celsius) / count(temperature_celsius)"}, {"refId", "A"}}});
  body["adhocFilters"] = {{{"key", "site"}, {"operator", "="}, {"value", "south"}}};
  EXPECT_EQ(PostOk("/query", body)[0]["datapoints"][60][0], 85.0);
  body.erase("adhocFilters");
  body["filters"] = {{{"key", "site"}, {"operator", "!~"}, {"value", "s.*"}},
                     {{"key", "room"}, {"operator", "=|"}, {"values", {"kitchen", "x"}}}};
  EXPECT_EQ(PostOk("/query", body)[0]["datapoints"][60][0], 80.0);
  body["filters"] = {{{"key", "site"}, {"operator", "<"}, {"value", "5"}}};
  Response bad = Post("/query", body);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(json::parse(bad.body)["message"].get<std::string>().find("operator \"<\""),
            std::string::npos);
}

TEST_F(GrafanaJsonApiTest, AnnotationsMergeRunsOfStepsIntoRegions) {
  // last_over_time over less than a step sees each sample at one step only, so runs are exact
  // (a bare `motion` would stretch each event over the 5-minute lookback).
  const json body = {{"range", Range(kNow - 60 * kMinute, kNow)},
                     {"annotation", {{"name", "motion"}, {"query", "last_over_time(motion[59s])"}}},
                     {"intervalMs", kMinute},
                     {"maxDataPoints", 61}};
  const json events = PostOk("/annotations", body);
  ASSERT_EQ(events.size(), 2u) << events;
  EXPECT_EQ(events[0]["time"], kNow - 50 * kMinute);
  EXPECT_EQ(events[0]["timeEnd"], kNow - 48 * kMinute);
  // last_over_time keeps the metric name, as in Prometheus.
  EXPECT_EQ(events[0]["title"], "motion{room=\"lobby\", site=\"north\"}");
  EXPECT_EQ(events[0]["tags"], (json{"room=lobby", "site=north"}));
  EXPECT_EQ(events[0]["annotation"]["name"], "motion");
  EXPECT_EQ(events[1]["time"], kNow - 20 * kMinute);
  EXPECT_FALSE(events[1].contains("timeEnd"));
  // simPod: the same through /query with refId Anno, as an annotation table.
  const json table =
      PostOk("/grafana/json/query", QueryBody({{{"target", "last_over_time(motion[59s])"},
                                                {"refId", "Anno"},
                                                {"payload", json::object()}}}));
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table[0]["refId"], "Anno");
  EXPECT_EQ(table[0]["rows"][0], (json::array({kNow - 50 * kMinute, kNow - 48 * kMinute,
                                               "motion{room=\"lobby\", site=\"north\"}", "value 1",
                                               "room=lobby,site=north"})));
  EXPECT_EQ(table[0]["rows"][1][1], nullptr);
}

TEST_F(GrafanaJsonApiTest, AlertStateChangesAreAnnotations) {
  json body = {{"range", Range(kNow - 60 * kMinute, kNow)},
               {"annotation", {{"name", "alerts"}, {"query", "#alerts"}}}};
  json events = PostOk("/annotations", body);
  ASSERT_EQ(events.size(), 2u);
  ASSERT_EQ(alert_calls_.size(), 1u);  // asked once, for the request's range
  EXPECT_EQ(alert_calls_[0], (std::pair{kNow - 60 * kMinute, kNow}));
  EXPECT_EQ(events[0]["time"], kNow - 30 * kMinute);
  EXPECT_EQ(events[0]["timeEnd"], kNow - 20 * kMinute);
  EXPECT_EQ(events[0]["tags"], (json{"alertname=HighTemperature", "severity=page"}));
  EXPECT_FALSE(events[1].contains("timeEnd"));
  body["annotation"]["query"] = "#alerts severity=PAGE";
  events = PostOk("/annotations", body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["title"], "HighTemperature firing");
  // simPod asks through /query with refId Anno.
  const json table = PostOk("/grafana/json/query",
                            QueryBody({{{"refId", "Anno"}, {"target", "#alerts DoorOpen"}}}));
  ASSERT_EQ(table[0]["rows"].size(), 1u);
  EXPECT_EQ(
      table[0]["rows"][0],
      (json::array({kNow - 5 * kMinute, nullptr, "DoorOpen pending", "", "alertname=DoorOpen"})));

  Router without_alerting;
  GrafanaJsonDeps deps = deps_;
  deps.alert_annotations = nullptr;
  RegisterGrafanaJsonApi(without_alerting, deps);
  Response response =
      without_alerting.Dispatch(Request::Make(Method::kPost, "/annotations", body.dump()));
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("alerting is not running"), std::string::npos);
}

TEST_F(GrafanaJsonApiTest, SearchMetricsAndVariables) {
  storage::WriteBatch batch;
  for (int i = 0; i < 1005; ++i) {
    batch.Add(storage::Labels{{"__name__", "bulk_" + std::to_string(10000 + i)}}, kNow, 1);
  }
  ASSERT_TRUE(store_->Append(batch).ok());
  EXPECT_EQ(PostOk("/search", {{"target", "temp"}}), (json{"temperature_celsius"}));
  const json all = PostOk("/search", {{"target", ""}});
  ASSERT_EQ(all.size(), 1000u);
  EXPECT_EQ(all[0], "bulk_10000");
  EXPECT_EQ(PostOk("/search", {{"target", "label_values(temperature_celsius, site)"}}),
            (json{"north", "south"}));
  EXPECT_EQ(PostOk("/search", {{"target", "label_names(motion)"}}), (json{"room", "site"}));
  EXPECT_EQ(
      PostOk("/grafana/json/variable",
             {{"payload", {{"target", "label_values(temperature_celsius{site=\"north\"},room)"}}}}),
      json::parse(R"([{"__text":"kitchen","__value":"kitchen"},
                            {"__text":"lobby","__value":"lobby"}])"));
  EXPECT_EQ(PostOk("/grafana/json/metrics", {{"metric", "mot"}}), json::parse(R"([{"label":"motion",
      "value":"motion","payloads":[{"label":"room","name":"room","type":"multi-select"},
      {"label":"site","name":"site","type":"multi-select"}]}])"));
  EXPECT_EQ(PostOk("/grafana/json/tag-keys", json::object()), json::parse(R"([
      {"type":"string","text":"room"},{"type":"string","text":"site"}])"));
  EXPECT_EQ(Post("/grafana/json/tag-values", json::object()).status, 400);
}

TEST_F(GrafanaJsonApiTest, MountedWithAndWithoutTrailingSlash) {
  for (const std::string path : {"/grafana/json", "/grafana/json/", "/"}) {
    EXPECT_EQ(router_.Dispatch(Request::Make(Method::kGet, path)).status, 200) << path;
    EXPECT_EQ(router_.Dispatch(Request::Make(Method::kPost, path)).status, 200) << path;
  }
  EXPECT_EQ(router_.Dispatch(Request::Make(Method::kGet, "/grafana/json/query")).status, 405);
  // simPod's /metrics lives only under the base path; the root one is the exposition's.
  EXPECT_EQ(Post("/metrics", json::object()).status, 404);
  EXPECT_EQ(Post("/grafana/json/metrics", json::object()).status, 200);
  GrafanaJsonDeps deps = deps_;
  deps.base_path = "/api/grafana/json/";
  Router other;
  RegisterGrafanaJsonApi(other, deps);
  EXPECT_EQ(other.Dispatch(Request::Make(Method::kGet, "/api/grafana/json")).status, 200);
  EXPECT_EQ(other.Dispatch(Request::Make(Method::kPost, "/api/grafana/json/query", "{}")).status,
            200);
}

TEST_F(GrafanaJsonApiTest, BadInputIsAJsonErrorGrafanaCanShow) {
  auto error = [&](const std::string& path, const std::string& body, int status) {
    Response response = router_.Dispatch(Request::Make(Method::kPost, path, body));
    EXPECT_EQ(response.status, status) << path << " " << body;
    const json parsed = json::parse(response.body, nullptr, false);
    EXPECT_TRUE(parsed.is_object()) << response.body;
    EXPECT_EQ(parsed["message"], parsed["error"]["message"]);
    return parsed["message"].get<std::string>();
  };
  EXPECT_EQ(error("/query", "{not json", 400), "request body is not valid JSON");
  EXPECT_EQ(error("/query", "[1]", 400), "request body must be a JSON object");
  EXPECT_EQ(error("/query", std::string(100'000, '[') + std::string(100'000, ']'), 400),
            "request body nests deeper than 64 levels");
  EXPECT_EQ(error("/query", R"({"range":{"from":1e300},"targets":[]})", 400),
            "range.from is out of range");
  EXPECT_EQ(error("/query", R"({"targets":5})", 400), "targets must be an array");
  EXPECT_EQ(error("/query", R"({"targets":[{"target":"sum(x","refId":"A"}]})", 400),
            "query A (sum(x): 1:6: parse error: unclosed left parenthesis");
  EXPECT_EQ(error("/query", R"({"range":{"from":"yesterday"},"targets":[]})", 400),
            "range.from must be an ISO-8601 time or epoch milliseconds, got \"yesterday\"");
  json reversed = QueryBody({{{"target", "x"}, {"refId", "A"}}});
  reversed["range"] = {{"from", "2030-01-01T00:00:00Z"}, {"to", "2020-01-01T00:00:00Z"}};
  EXPECT_EQ(error("/query", reversed.dump(), 400), "range.from is after range.to");
  EXPECT_EQ(
      error("/query", R"({"targets":[{"target":"temperature_celsius[5m]","refId":"A"}]})", 400)
          .find("query A"),
      0u);
  EXPECT_EQ(error("/annotations", R"({"annotation":{"query":" "}})", 400),
            "the annotation query is empty: enter a PromQL expression or #alerts");
  EXPECT_EQ(error("/grafana/json/metric-payload-options", R"({"metric":"x"})", 400),
            "name must be a label name, got \"\"");
  // Unknown fields, hidden targets and the editor's "select metric" prompt are ignored.
  EXPECT_EQ(PostOk("/query", {{"surprise", {{"a", 1}}},
                              {"targets",
                               {{{"target", "select metric"}, {"refId", "A"}},
                                {{"target", "x"}, {"refId", "B"}, {"hide", true}}}}}),
            json::array());
}

}  // namespace
}  // namespace tidemark::web
