// The demo end to end: config/demo.yaml, the real mosquitto broker and tools/fleet's simulator;
// every fleet series must arrive, with the motion events at their late timestamps.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/tidemark_process.h"

namespace tidemark::testing {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

TEST(DemoTest, FleetSeriesAppearWithinSeconds) {
  const std::string dir = MakeTempDir("tidemark_demo_");
  ASSERT_FALSE(dir.empty());
  MosquittoBroker broker(dir);
  ASSERT_TRUE(broker.Start());
  setenv("MQTT_PORT", std::to_string(broker.port()).c_str(), 1);
  setenv("TIDEMARK_LISTEN", "127.0.0.1:0", 1);
  setenv("TIDEMARK_DATA_DIR", (dir + "/data").c_str(), 1);
  setenv("TIDEMARK_RULES", (Env("TIDEMARK_SOURCE_DIR") + "/config/rules").c_str(), 1);
  auto server = Subprocess::Start(
      {Env("TIDEMARK_BINARY"), "--config", Env("TIDEMARK_SOURCE_DIR") + "/config/demo.yaml"});
  ASSERT_TRUE(server);
  const uint16_t port = WaitForListeningPort(server.get());
  ASSERT_NE(port, 0) << server->Output();

  auto fleet =
      Subprocess::Start({Env("TIDEMARK_FLEET"), "--broker", broker.url(), "--interval", "1"});
  ASSERT_TRUE(fleet);
  const std::set<std::string> expected = {
      "energy_kwh_total",     "humidity_percent",    "motion_detected", "power_watts",
      "sensor_battery_volts", "temperature_celsius", "water_flow_lpm",  "water_m3_total"};
  std::set<std::string> names;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (names != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto reply = Fetch(port, "GET", "/api/v1/label/__name__/values");
    ASSERT_TRUE(reply.has_value());
    names.clear();
    const auto body = nlohmann::json::parse(reply->body);
    for (const auto& name : body["data"]) {
      if (expected.count(name)) names.insert(name);
    }
  }
  EXPECT_EQ(names, expected) << server->Output();

  // Three sites of four rooms, each with a climate sensor. A tick's messages are stored in
  // batches as they arrive, so the first count may be read while a tick is still being stored.
  std::string sensors;
  while (sensors != "12" && std::chrono::steady_clock::now() < deadline) {
    auto temperatures = Fetch(port, "GET", "/api/v1/query?query=count(temperature_celsius)");
    ASSERT_TRUE(temperatures.has_value());
    const auto result = nlohmann::json::parse(temperatures->body)["data"]["result"];
    sensors = result.empty() ? "" : result[0]["value"][1].get<std::string>();
    if (sensors != "12") std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(sensors, "12");
  // Motion events carry their own times, one to three days back.
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto motion =
      Fetch(port, "GET",
            "/api/v1/export?match[]=motion_detected&start=" + std::to_string(now_s - 4 * 86400) +
                "&end=" + std::to_string(now_s));
  ASSERT_TRUE(motion.has_value());
  const auto first = nlohmann::json::parse(motion->body.substr(0, motion->body.find('\n')));
  const int64_t event_ms = first["timestamps"][0];
  EXPECT_LE(event_ms, (now_s - 86400) * 1000);
  EXPECT_GE(event_ms, (now_s - 3 * 86400 - 60) * 1000);
  EXPECT_TRUE(first["metric"].contains("gateway"));

  // The example rules are loaded and evaluated against the fleet.
  auto rules = Fetch(port, "GET", "/api/v1/rules");
  ASSERT_TRUE(rules.has_value());
  const auto groups = nlohmann::json::parse(rules->body)["data"]["groups"];
  ASSERT_EQ(groups.size(), 2u) << rules->body;
  EXPECT_EQ(groups[1]["name"], "fleet-alerts");

  fleet->Signal(SIGTERM);
  EXPECT_EQ(fleet->Wait(10'000), 0);
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(30'000), 0) << server->Output();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tidemark::testing
