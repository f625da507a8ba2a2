// Alerting end to end: the tidemark binary evaluates a rule over data written to it and notifies
// a real prometheus-alertmanager, a test webhook receiver (down at first, then back) and a real
// mosquitto broker with a mosquitto_sub subscriber; then the alert resolves everywhere. Reload
// through POST /-/reload and SIGHUP, with a broken file in between.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/http_receiver.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/subprocess.h"
#include "tests/support/tidemark_process.h"

namespace tidemark::testing {
namespace {

using nlohmann::json;

json GetJson(uint16_t port, const std::string& target) {
  auto reply = Fetch(port, "GET", target);
  if (!reply || reply->status != 200) return json();
  return json::parse(reply->body, nullptr, false);
}

constexpr char kRules[] = R"(groups:
  - name: water
    interval: 1s
    rules:
      - alert: WaterLeak
        expr: water_flow_lpm > 5
        for: 2s
        labels:
          severity: critical
        annotations:
          summary: "Water flowing in {{ $labels.room }} at {{ $value }} l/min"
)";

class AlertingE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(TidemarkBinary()))
        << "TIDEMARK_BINARY not built: " << TidemarkBinary();
    dir_ = MakeTempDir("tidemark_alerting_e2e_");
    rules_path_ = dir_ + "/rules.yml";
    std::ofstream(rules_path_) << kRules;
    StartAlertmanager();
    broker_ = std::make_unique<MosquittoBroker>(dir_);
    ASSERT_TRUE(broker_->Start());
  }
  void TearDown() override {
    if (alertmanager_) {
      alertmanager_->Signal(SIGTERM);
      alertmanager_->Wait(10'000);
    }
    std::filesystem::remove_all(dir_);
  }

  void StartAlertmanager() {
    am_port_ = PickFreePort();
    const std::string conf = dir_ + "/alertmanager.yml";
    std::ofstream(conf) << "route:\n  receiver: \"null\"\n  group_wait: 1s\n"
                        << "receivers:\n  - name: \"null\"\n";
    alertmanager_ = Subprocess::Start({"/usr/bin/prometheus-alertmanager", "--config.file=" + conf,
                                       "--storage.path=" + dir_ + "/am",
                                       "--web.listen-address=127.0.0.1:" + std::to_string(am_port_),
                                       "--cluster.listen-address="});
    ASSERT_NE(alertmanager_, nullptr);
    ASSERT_TRUE(WaitFor([&] {
      auto reply = Fetch(am_port_, "GET", "/-/ready");
      return reply && reply->status == 200;
    })) << alertmanager_->Output();
  }

  uint16_t StartTidemark(uint16_t webhook_port, const std::string& alerting_extra = "") {
    const std::string config = dir_ + "/tidemark.yaml";
    std::ofstream(config)
        << "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  data_dir: " << dir_ << "/data\n"
        << "rule_files: [\"" << rules_path_ << "\"]\n"
        << "notifiers:\n"
        << "  alertmanagers: [{url: \"http://127.0.0.1:" << am_port_ << "\", timeout: 5s}]\n"
        << "  webhooks: [{url: \"http://127.0.0.1:" << webhook_port << "/hook\", timeout: 2s}]\n"
        << "  mqtt: [{broker: \"" << broker_->url()
        << "\", topic: \"alerts/{{ .Labels.alertname }}/{{ $labels.room }}\", qos: 1}]\n"
        << "alerting:\n  evaluation_interval: 1s\n  external_labels: {fleet: demo}\n"
        << alerting_extra;
    return tidemark::testing::StartTidemark({"--config", config}, &tidemark_);
  }

  void WriteFlow(uint16_t port, double lpm) {
    const std::string line =
        "water,site=hq,room=bath flow_lpm=" + std::to_string(lpm) + " " + std::to_string(NowMs());
    auto reply = Fetch(port, "POST", "/write?precision=ms", line);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->status, 204) << reply->body;
  }

  // The WaterLeak alerts Alertmanager lists as active.
  std::vector<json> AlertmanagerAlerts() {
    std::vector<json> out;
    json alerts = GetJson(am_port_, "/api/v2/alerts");
    if (!alerts.is_array()) return out;
    for (const json& a : alerts) {
      if (a["labels"].value("alertname", "") == "WaterLeak") out.push_back(a);
    }
    return out;
  }

  std::string TidemarkState(uint16_t port) {
    json alerts = GetJson(port, "/api/v1/alerts");
    if (!alerts.is_object() || alerts["data"]["alerts"].empty()) return "none";
    return alerts["data"]["alerts"][0]["state"];
  }

  std::string dir_;
  std::string rules_path_;
  uint16_t am_port_ = 0;
  std::unique_ptr<Subprocess> alertmanager_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<Subprocess> tidemark_;
};

TEST_F(AlertingE2ETest, FiringAndResolvedReachAlertmanagerWebhookAndMqtt) {
  auto subscriber =
      Subprocess::Start({"/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p",
                         std::to_string(broker_->port()), "-t", "alerts/#", "-v", "-q", "1"});
  ASSERT_NE(subscriber, nullptr);
  const uint16_t webhook_port = PickFreePort();  // nobody listens there yet
  const uint16_t port = StartTidemark(webhook_port);
  ASSERT_NE(port, 0);

  WriteFlow(port, 12);
  ASSERT_TRUE(WaitFor([&] { return TidemarkState(port) == "pending"; }, 10'000))
      << tidemark_->Output();
  ASSERT_TRUE(WaitFor([&] { return TidemarkState(port) == "firing"; }, 10'000));
  json api_alert = GetJson(port, "/api/v1/alerts")["data"]["alerts"][0];
  EXPECT_EQ(api_alert["labels"]["room"], "bath");
  EXPECT_EQ(api_alert["annotations"]["summary"], "Water flowing in bath at 12 l/min");
  EXPECT_EQ(api_alert["value"], "1.2e+01");
  const json rules = GetJson(port, "/api/v1/rules");
  EXPECT_EQ(rules["data"]["groups"][0]["rules"][0]["state"], "firing");
  const json series = GetJson(port, "/api/v1/query?query=ALERTS%7Balertstate%3D%22firing%22%7D");
  ASSERT_EQ(series["data"]["result"].size(), 1u) << series.dump();
  EXPECT_EQ(series["data"]["result"][0]["metric"]["alertname"], "WaterLeak");

  // Alertmanager lists it as active, with our labels plus the external label.
  ASSERT_TRUE(WaitFor([&] { return AlertmanagerAlerts().size() == 1; })) << tidemark_->Output();
  const json am_alert = AlertmanagerAlerts()[0];
  EXPECT_EQ(am_alert["status"]["state"], "active");
  EXPECT_EQ(am_alert["labels"]["fleet"], "demo");
  EXPECT_EQ(am_alert["labels"]["severity"], "critical");
  EXPECT_NE(am_alert["generatorURL"].get<std::string>().find(":" + std::to_string(port) +
                                                             "/graph?g0.expr=water_flow_lpm"),
            std::string::npos);

  // MQTT: the subscriber got the alert on the templated topic.
  auto message = subscriber->WaitForLine(std::regex("^alerts/WaterLeak/bath .*firing.*"), 10'000);
  ASSERT_TRUE(message.has_value()) << subscriber->Output();

  // The webhook receiver was down: delivery failed and was counted; it comes back and receives.
  ASSERT_TRUE(WaitFor([&] {
    auto metrics = Fetch(port, "GET", "/metrics");
    return metrics &&
           std::regex_search(
               metrics->body,
               std::regex(
                   R"(tidemark_notifications_errors_total\{notifier="webhook"[^}]*\} [1-9])"));
  }));
  HttpReceiver webhook;
  ASSERT_TRUE(webhook.Start(webhook_port));
  ASSERT_TRUE(webhook.WaitForRequests(1, 20'000)) << tidemark_->Output();
  json hook = json::parse(webhook.Requests()[0].body);
  EXPECT_EQ(hook["status"], "firing");
  EXPECT_EQ(hook["alerts"][0]["labels"]["alertname"], "WaterLeak");

  // The flow stops: resolved at Alertmanager (no longer active long before its endsAt of +4m),
  // at the webhook and over MQTT.
  WriteFlow(port, 0);
  ASSERT_TRUE(WaitFor([&] { return TidemarkState(port) == "none"; }, 10'000));
  ASSERT_TRUE(WaitFor([&] { return AlertmanagerAlerts().empty(); })) << tidemark_->Output();
  ASSERT_TRUE(WaitFor([&] {
    for (const ReceivedRequest& r : webhook.Requests()) {
      if (json::parse(r.body)["status"] == "resolved") return true;
    }
    return false;
  }));
  EXPECT_TRUE(subscriber->WaitForLine(std::regex("^alerts/WaterLeak/bath .*resolved.*"), 10'000));

  // Grafana's JSON data source shows the state changes as annotations.
  const std::time_t now = std::time(nullptr);
  char from[32], to[32];
  const std::time_t from_time = now - 3600, to_time = now + 60;
  std::strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%S.000Z", std::gmtime(&from_time));
  std::strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%S.000Z", std::gmtime(&to_time));
  auto annotations =
      Fetch(port, "POST", "/grafana/json/annotations",
            json{{"range", {{"from", from}, {"to", to}}},
                 {"annotation", {{"name", "alerts"}, {"query", "#alerts WaterLeak"}}}}
                .dump());
  ASSERT_TRUE(annotations.has_value());
  ASSERT_EQ(annotations->status, 200) << annotations->body;
  std::set<std::string> titles;
  for (const json& a : json::parse(annotations->body)) titles.insert(a["title"].get<std::string>());
  EXPECT_TRUE(titles.count("WaterLeak: pending → firing")) << annotations->body;
  EXPECT_TRUE(titles.count("WaterLeak: firing → inactive")) << annotations->body;

  subscriber->Signal(SIGTERM);
  subscriber->Wait(5'000);
  tidemark_->Signal(SIGTERM);
  auto code = tidemark_->Wait(30'000);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << tidemark_->Output();
}

TEST_F(AlertingE2ETest, ReloadKeepsOldRulesOnABrokenFileAndPicksUpGoodOnes) {
  const uint16_t port = StartTidemark(PickFreePort());
  ASSERT_NE(port, 0);
  auto rule_names = [&] {
    std::vector<std::string> names;
    json rules = GetJson(port, "/api/v1/rules");
    for (const json& g : rules["data"]["groups"]) {
      for (const json& r : g["rules"]) names.push_back(r["name"]);
    }
    return names;
  };
  EXPECT_EQ(rule_names(), std::vector<std::string>{"WaterLeak"});

  std::ofstream(rules_path_) << "groups:\n  - name: water\n    rules:\n      - alert: Broken\n"
                                "        expr: water_flow_lpm >\n";
  auto reload = Fetch(port, "POST", "/-/reload");
  ASSERT_TRUE(reload.has_value());
  EXPECT_EQ(reload->status, 500);
  const json error = json::parse(reload->body);
  EXPECT_EQ(error["status"], "error");
  EXPECT_NE(error["error"].get<std::string>().find(rules_path_ + ":5: rule \"Broken\""),
            std::string::npos)
      << error.dump();
  EXPECT_EQ(rule_names(), std::vector<std::string>{"WaterLeak"});

  std::ofstream(rules_path_) << std::string(kRules) +
                                    "      - record: water:flow:sum\n"
                                    "        expr: sum(water_flow_lpm)\n";
  tidemark_->Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return rule_names().size() == 2; })) << tidemark_->Output();
  // The log line follows the swap, so wait for it rather than read the output once.
  EXPECT_TRUE(tidemark_->WaitForLine(std::regex("rules reloaded"), 10'000).has_value());

  tidemark_->Signal(SIGTERM);
  auto code = tidemark_->Wait(30'000);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << tidemark_->Output();
}

TEST_F(AlertingE2ETest, BrokenRuleFileAtStartupIsOneErrorLine) {
  std::ofstream(rules_path_) << "groups:\n  - name: water\n    rules:\n      - alert: X\n";
  std::ofstream(dir_ + "/tidemark.yaml")
      << "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  data_dir: " << dir_ << "/data\n"
      << "rule_files: [\"" << rules_path_ << "\"]\n";
  RunResult run = RunToExit({TidemarkBinary(), "--config", dir_ + "/tidemark.yaml"}, 30'000);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find(rules_path_ + ":4: groups[0].rules[0].expr: field 'expr' must be set"),
            std::string::npos)
      << run.output;
  RunResult check =
      RunToExit({TidemarkBinary(), "--check-config", dir_ + "/tidemark.yaml"}, 30'000);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find(rules_path_ + ":4:"), std::string::npos) << check.output;

  std::ofstream(rules_path_) << kRules;
  check = RunToExit({TidemarkBinary(), "--check-config", dir_ + "/tidemark.yaml"}, 30'000);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("OK (1 rules)"), std::string::npos) << check.output;
}

// A restart does not start `for` over: the binary reads ALERTS_FOR_STATE back from its own
// store, and only the downtime is added to the alert's activeAt.
TEST_F(AlertingE2ETest, RestartRestoresPendingTimerFromStorage) {
  std::ofstream(rules_path_) << "groups:\n  - name: water\n    interval: 1s\n    rules:\n"
                                "      - alert: SlowLeak\n        expr: water_flow_lpm > 5\n"
                                "        for: 1h\n";
  const std::string grace = "  for_grace_period: 0s\n";
  uint16_t port = StartTidemark(PickFreePort(), grace);
  ASSERT_NE(port, 0);
  WriteFlow(port, 12);
  ASSERT_TRUE(WaitFor([&] { return TidemarkState(port) == "pending"; }, 10'000));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  tidemark_->Signal(SIGTERM);
  ASSERT_EQ(tidemark_->Wait(30'000), std::optional<int>(0)) << tidemark_->Output();
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));

  port = StartTidemark(PickFreePort(), grace);
  ASSERT_NE(port, 0);
  ASSERT_TRUE(WaitFor([&] { return TidemarkState(port) == "pending"; }, 10'000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto reply = Fetch(port, "GET", "/api/v1/export?match[]=ALERTS_FOR_STATE");
  ASSERT_TRUE(reply.has_value());
  const json line = json::parse(reply->body.substr(0, reply->body.find('\n')));
  const auto& t = line["timestamps"];
  const auto& v = line["values"];
  // The evaluation before the stop and the first one after the restart: the widest gap.
  size_t gap = 1;
  for (size_t i = 1; i < t.size(); ++i) {
    if (t[i].get<int64_t>() - t[i - 1].get<int64_t>() >
        t[gap].get<int64_t>() - t[gap - 1].get<int64_t>()) {
      gap = i;
    }
  }
  ASSERT_GT(t.size(), gap);
  const int64_t down_at = t[gap - 1].get<int64_t>();
  const int64_t back_at = t[gap].get<int64_t>();
  const double before = v[gap - 1].get<double>();
  EXPECT_GE(back_at - down_at, 3000);
  EXPECT_EQ(v[gap].get<double>(), before + static_cast<double>((back_at - down_at) / 1000))
      << line.dump();
  EXPECT_LT(v[gap].get<double>(), static_cast<double>(back_at / 1000) - 1)
      << "activeAt must not restart at the restart time";
  tidemark_->Signal(SIGTERM);
  EXPECT_EQ(tidemark_->Wait(30'000), std::optional<int>(0));
}

}  // namespace
}  // namespace tidemark::testing
