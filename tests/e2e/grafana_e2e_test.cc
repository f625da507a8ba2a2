// End-to-end tests of the Grafana integration against the real tidemark binary: demo-fleet data
// written over HTTP line protocol, then read back through the JSON data source's /query
// (timeserie, table, ad hoc filter, annotation) with the values checked, and every query of the
// provisioned dashboards in scripts/grafana/dashboards run against it.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/tidemark_process.h"

namespace tidemark::testing {
namespace {

using nlohmann::json;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

const char* const kSites[] = {"north", "south", "harbor"};
const char* const kRooms[] = {"lobby", "office", "kitchen", "server_room"};
const char* const kDevices[] = {"hvac", "fridge", "oven", "washer", "lighting"};

std::string SourceDir() {
  const char* dir = std::getenv("TIDEMARK_SOURCE_DIR");
  return dir ? dir : ".";
}

// The fleet's values, so the test can compute what each query must answer.
double Temperature(int site, int room, int minute) { return 18 + 2 * site + room + 0.1 * minute; }
double Power(int site, int device) { return 100.0 * (device + 1) + 10 * site; }

class GrafanaE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* binary = std::getenv("TIDEMARK_BINARY");
    ASSERT_TRUE(binary != nullptr && std::filesystem::exists(binary));
    dir_ = MakeTempDir("tidemark_grafana_e2e_");
    ASSERT_FALSE(dir_.empty());
    std::ofstream(dir_ + "/config.yaml") << "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n"
                                         << "  data_dir: " << dir_ << "/data\n";
    server_ = Subprocess::Start({binary, "--config", dir_ + "/config.yaml"});
    ASSERT_TRUE(server_);
    port_ = WaitForListeningPort(server_.get());
    ASSERT_NE(port_, 0) << server_->Output();
    const int64_t wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    now_ = wall / kMinute * kMinute;
    WriteFleet();
  }
  void TearDown() override {
    if (server_) {
      server_->Signal(SIGTERM);
      const auto code = server_->Wait(30'000);
      EXPECT_TRUE(code.has_value() && *code == 0) << server_->Output();
    }
    std::filesystem::remove_all(dir_);
  }

  void Write(const std::string& lines) {
    auto reply = Fetch(port_, "POST", "/write?precision=ms", lines);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->status, 204) << reply->body;
  }

  // Two hours of room readings a minute apart, 50 hours of hourly meter readings, and motion
  // events 1 to 3 days old (written last, as the late data they are).
  void WriteFleet() {
    for (int minute = 0; minute <= 120; ++minute) {
      std::ostringstream lines;
      const int64_t t = now_ - (120 - minute) * kMinute;
      for (int s = 0; s < 3; ++s) {
        for (int r = 0; r < 4; ++r) {
          const std::string tags = std::string(",site=") + kSites[s] + ",room=" + kRooms[r];
          lines << "temperature" << tags << " celsius=" << Temperature(s, r, minute) << " " << t
                << "\nhumidity" << tags << " percent=" << 40 + r << " " << t << "\nwater_flow"
                << tags << " lpm=" << (r == 2 ? 3.5 : 0.5) << " " << t << "\n";
          for (int d = 0; d < 5; ++d) {
            lines << "power" << tags << ",device=" << kDevices[d] << " watts=" << Power(s, d) << " "
                  << t << "\n";
          }
        }
      }
      Write(lines.str());
    }
    std::ostringstream meters;
    for (int hour = 0; hour <= 50; ++hour) {
      for (int s = 0; s < 3; ++s) {
        const int64_t t = now_ - (50 - hour) * kHour;
        meters << "energy,site=" << kSites[s] << ",meter=main kwh_total=" << 1000 + 2.5 * hour
               << " " << t << "\nwater,site=" << kSites[s]
               << ",meter=main m3_total=" << 50 + 0.1 * hour << " " << t << "\n";
      }
    }
    Write(meters.str());
    std::ostringstream motion;
    for (int k = 0; k < 12; ++k) {
      for (int s = 0; s < 3; ++s) {
        for (int r = 0; r < 4; ++r) {
          motion << "motion,site=" << kSites[s] << ",room=" << kRooms[r] << " detected=1 "
                 << MotionTime(k) << "\n";
        }
      }
    }
    Write(motion.str());
  }
  int64_t MotionTime(int k) const { return now_ - kDay - k * 2 * kHour; }

  json PostJson(const std::string& path, const json& body, int status = 200) {
    auto reply = Fetch(port_, "POST", path, body.dump(), "Content-Type: application/json\r\n");
    EXPECT_TRUE(reply.has_value());
    if (!reply) return json();
    EXPECT_EQ(reply->status, status) << path << " " << body << "\n" << reply->body;
    EXPECT_EQ(reply->Header("access-control-allow-origin"), "*");
    return json::parse(reply->body, nullptr, false);
  }

  // A Prometheus API call (POST form, as Grafana sends it); the parsed body.
  json PromQuery(const std::string& path, const std::string& form, int* status) {
    auto reply =
        Fetch(port_, "POST", path, form, "Content-Type: application/x-www-form-urlencoded\r\n");
    EXPECT_TRUE(reply.has_value());
    if (!reply) return json();
    *status = reply->status;
    return json::parse(reply->body, nullptr, false);
  }

  static json Range(int64_t from, int64_t to) {
    return {{"from", from}, {"to", to}, {"raw", {{"from", "now-1h"}, {"to", "now"}}}};
  }

  std::string dir_;
  std::unique_ptr<Subprocess> server_;
  uint16_t port_ = 0;
  int64_t now_ = 0;
};

TEST_F(GrafanaE2ETest, JsonQueryTimeserieTableAdHocAndAnnotationValues) {
  json body = {{"range", Range(now_ - 10 * kMinute, now_)},
               {"intervalMs", kMinute},
               {"maxDataPoints", 500},
               {"targets",
                {{{"refId", "A"}, {"target", R"(temperature_celsius{site="north",room="lobby"})"}},
                 {{"refId", "B"}, {"target", "sum by (site) (power_watts)"}, {"type", "table"}},
                 {{"refId", "C"}, {"target", "avg(temperature_celsius)"}}}},
               {"adhocFilters", json::array()}};
  json answer = PostJson("/grafana/json/query", body);
  ASSERT_EQ(answer.size(), 3u) << answer;
  const json& points = answer[0]["datapoints"];
  ASSERT_EQ(points.size(), 11u);
  for (int i = 0; i <= 10; ++i) {
    EXPECT_NEAR(points[i][0].get<double>(), Temperature(0, 0, 110 + i), 1e-9);
    EXPECT_EQ(points[i][1].get<int64_t>(), now_ - (10 - i) * kMinute);
  }
  const json& table = answer[1];
  EXPECT_EQ(table["refId"], "B");
  ASSERT_EQ(table["rows"].size(), 3u);
  for (const json& row : table["rows"]) {
    const int s = row[1] == "north" ? 0 : row[1] == "south" ? 1 : 2;
    double expected = 0;
    for (int d = 0; d < 5; ++d) expected += 4 * Power(s, d);
    EXPECT_EQ(row[0].get<int64_t>(), now_);
    EXPECT_DOUBLE_EQ(row[2].get<double>(), expected);
  }
  // The ad hoc filter narrows avg() to south's kitchen.
  EXPECT_EQ(answer[2]["refId"], "C");
  body["targets"] = {body["targets"][2]};
  body["adhocFilters"] = {{{"key", "site"}, {"operator", "="}, {"value", "south"}},
                          {{"key", "room"}, {"operator", "=~"}, {"value", "kit.*"}}};
  answer = PostJson("/grafana/json/query", body);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_NEAR(answer[0]["datapoints"][10][0].get<double>(), Temperature(1, 2, 120), 1e-9);

  // Late motion events as annotations, one event each at its own (days-old) time.
  const json annotations =
      PostJson("/grafana/json/query", {{"range", Range(now_ - 3 * kDay, now_)},
                                       {"intervalMs", kMinute},
                                       {"targets",
                                        {{{"refId", "Anno"},
                                          {"target", "last_over_time(motion_detected[59s])"},
                                          {"payload", {{"site", "harbor"}, {"room", "lobby"}}}}}}});
  ASSERT_EQ(annotations.size(), 1u);
  const json& rows = annotations[0]["rows"];
  ASSERT_EQ(rows.size(), 12u) << annotations;
  for (int k = 0; k < 12; ++k) {
    EXPECT_EQ(rows[11 - k][0].get<int64_t>(), MotionTime(k));
    EXPECT_TRUE(rows[11 - k][1].is_null());
    EXPECT_EQ(rows[11 - k][4], "room=lobby,site=harbor");
  }
  // SimpleJSON at the root and the server keeps serving after bad input.
  EXPECT_EQ(PostJson("/query", json::parse(R"({"targets":[{"target":"rate(","refId":"A"}]})"),
                     400)["error"]["code"],
            "BAD_QUERY");
  EXPECT_EQ(PostJson("/search", {{"target", "water"}}), (json{"water_flow_lpm", "water_m3_total"}));
  auto health = Fetch(port_, "GET", "/grafana/json/");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
}

// Grafana's variable interpolation for the "All" selection the dashboards use.
std::string Interpolate(std::string text) {
  for (auto [from, to] : {std::pair{"$__rate_interval", "1m"},
                          {"$__interval", "1m"},
                          {"$site", ".*"},
                          {"$room", ".*"}}) {
    for (size_t pos; (pos = text.find(from)) != std::string::npos;)
      text.replace(pos, strlen(from), to);
  }
  return text;
}

json LoadDashboard(const std::string& name) {
  std::ifstream in(SourceDir() + "/scripts/grafana/dashboards/" + name);
  EXPECT_TRUE(in.good()) << name;
  json dashboard = json::parse(in, nullptr, false);
  EXPECT_FALSE(dashboard.is_discarded()) << name << " is not valid JSON";
  EXPECT_TRUE(dashboard["panels"].is_array());
  return dashboard;
}

int64_t DurationMs(const std::string& text) {
  const int64_t n = std::stoll(text.substr(0, text.size() - 1));
  switch (text.back()) {
    case 'd':
      return n * kDay;
    case 'h':
      return n * kHour;
    default:
      return n * kMinute;
  }
}

bool HasValue(const json& result) {
  for (const json& series : result) {
    if (series.contains("value") || !series["values"].empty()) return true;
  }
  return false;
}

TEST_F(GrafanaE2ETest, EveryDemoFleetPanelQueryReturnsData) {
  const json dashboard = LoadDashboard("demo-fleet.json");
  int queries = 0;
  for (const json& panel : dashboard["panels"]) {
    const int64_t span = panel.contains("timeFrom") ? DurationMs(panel["timeFrom"]) : 6 * kHour;
    const int64_t step = std::max<int64_t>(
        span / 300, panel.contains("interval") ? DurationMs(panel["interval"]) : kMinute);
    for (const json& target : panel["targets"]) {
      SCOPED_TRACE(panel["title"].get<std::string>());
      ++queries;
      if (target["datasource"]["type"] == "simpod-json-datasource") {
        json request = target;
        request["target"] = Interpolate(target["target"]);
        for (auto& [key, value] : request["payload"].items()) value = Interpolate(value);
        const json answer = PostJson("/grafana/json/query",
                                     {{"range", Range(now_ - span, now_)}, {"targets", {request}}});
        ASSERT_EQ(answer.size(), 1u);
        EXPECT_FALSE(answer[0]["rows"].empty()) << answer;
        continue;
      }
      const std::string expr = UrlEncode(Interpolate(target["expr"]));
      int status = 0;
      const json answer =
          target.value("instant", false)
              ? PromQuery("/api/v1/query", "query=" + expr + "&time=" + std::to_string(now_ / 1000),
                          &status)
              : PromQuery("/api/v1/query_range",
                          "query=" + expr + "&start=" + std::to_string((now_ - span) / 1000) +
                              "&end=" + std::to_string(now_ / 1000) +
                              "&step=" + std::to_string(step / 1000),
                          &status);
      ASSERT_EQ(status, 200) << answer;
      EXPECT_TRUE(HasValue(answer["data"]["result"])) << target["expr"] << "\n" << answer;
    }
  }
  for (const json& annotation : dashboard["annotations"]["list"]) {
    if (!annotation.contains("target")) continue;
    ++queries;
    json target = annotation["target"];
    target["target"] = Interpolate(target["target"]);
    const json answer = PostJson(
        "/grafana/json/query",
        {{"range", Range(now_ - 3 * kDay, now_)}, {"intervalMs", kMinute}, {"targets", {target}}});
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_EQ(answer[0]["refId"], "Anno");
    // Every room at every site reports 12 late events.
    EXPECT_EQ(answer[0]["rows"].size(), 12u * 12u);
  }
  for (const json& variable : dashboard["templating"]["list"]) {
    ++queries;
    json answer = PostJson("/search", {{"target", Interpolate(variable["definition"])}});
    EXPECT_FALSE(answer.empty()) << variable["definition"];
  }
  EXPECT_GE(queries, 13);
}

// Queries over the MQTT and Kafka sources return data only when those sources run.
bool NeedsIngestSources(const std::string& expr) {
  return expr.find("tidemark_mqtt_") != std::string::npos ||
         expr.find("tidemark_kafka_") != std::string::npos;
}

// Every query is valid PromQL; once Tidemark's own /metrics is stored (as self-monitoring will
// do), every panel not about MQTT or Kafka shows data, so no metric name is misspelt.
TEST_F(GrafanaE2ETest, EveryTidemarkDashboardQueryIsValidAndShowsOwnMetrics) {
  Fetch(port_, "POST", "/write", "not line protocol");  // one dead letter
  for (int round = 0; round < 2; ++round) {
    if (round > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    int status = 0;
    PromQuery("/api/v1/query_range", "query=up&start=1&end=2&step=1", &status);
    auto exposition = Fetch(port_, "GET", "/metrics");
    ASSERT_TRUE(exposition.has_value());
    auto imported = Fetch(port_, "POST", "/api/v1/import/prometheus", exposition->body);
    ASSERT_TRUE(imported.has_value());
    ASSERT_EQ(imported->status, 204) << imported->body;
  }
  const json dashboard = LoadDashboard("tidemark.json");
  int queries = 0;
  int with_data = 0;
  for (const json& panel : dashboard["panels"]) {
    SCOPED_TRACE(panel["title"].get<std::string>());
    for (const json& target : panel["targets"]) {
      ++queries;
      int status = 0;
      const json answer =
          PromQuery("/api/v1/query", "query=" + UrlEncode(Interpolate(target["expr"])), &status);
      EXPECT_EQ(status, 200) << target["expr"] << "\n" << answer;
      EXPECT_EQ(answer["status"], "success");
      if (NeedsIngestSources(target["expr"])) continue;
      EXPECT_TRUE(HasValue(answer["data"]["result"])) << "no data for " << target["expr"];
      ++with_data;
    }
  }
  EXPECT_GE(queries, 16);
  EXPECT_GE(with_data, 20);
}

}  // namespace
}  // namespace tidemark::testing
