// Notifiers against real peers: a test HTTP receiver (webhook and Alertmanager wire format, going
// down and coming back) and Debian's mosquitto broker with a mosquitto_sub subscriber.
#include "server/alerting/notifier.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/http_receiver.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/subprocess.h"

namespace tidemark::server::alerting {
namespace {

using nlohmann::json;

constexpr int64_t kStart = 1714579200000;  // 2024-05-01T16:00:00Z

Notification Firing(const std::string& room) {
  Notification n;
  n.labels = storage::Labels({{"alertname", "RoomOverheating"}, {"room", room}, {"site", "hq"}});
  n.annotations = {{"summary", room + " is hot"}};
  n.starts_at_ms = kStart;
  n.ends_at_ms = kStart + 240'000;
  n.generator_url = "http://tm:9201/graph?g0.expr=x&g0.tab=1";
  return n;
}

NotifierOptions FastRetries() {
  NotifierOptions options;
  options.initial_backoff_ms = 100;
  options.max_backoff_ms = 400;
  options.max_attempts = 20;
  options.timeout_ms = 2'000;
  return options;
}

TEST(NotifierTest, AlertmanagerBodyIsAPostableAlertsArray) {
  testing::HttpReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  auto notifier = AlertmanagerNotifier::Create(
      "http://127.0.0.1:" + std::to_string(receiver.port()), FastRetries());
  ASSERT_TRUE(notifier.ok()) << notifier.status().ToString();
  (*notifier)->Start();
  Notification resolved = Firing("lab");
  resolved.resolved = true;
  resolved.ends_at_ms = kStart + 61'500;
  (*notifier)->Enqueue({Firing("kitchen"), resolved});
  ASSERT_TRUE(receiver.WaitForRequests(1, 10'000));
  const testing::ReceivedRequest request = receiver.Requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/api/v2/alerts");
  EXPECT_EQ(request.content_type, "application/json");
  const json body = json::parse(request.body);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(body[0], json::parse(R"({"labels":{"alertname":"RoomOverheating","room":"kitchen",
    "site":"hq"},"annotations":{"summary":"kitchen is hot"},"startsAt":"2024-05-01T16:00:00.000Z",
    "endsAt":"2024-05-01T16:04:00.000Z","generatorURL":"http://tm:9201/graph?g0.expr=x&g0.tab=1"})"));
  EXPECT_EQ(body[1]["endsAt"], "2024-05-01T16:01:01.500Z");
  (*notifier)->Stop();
  EXPECT_EQ((*notifier)->counters().sent.load(), 2u);
}

TEST(NotifierTest, WebhookRetriesWhileTheReceiverIsDownAndDeliversWhenItReturns) {
  const uint16_t port = testing::PickFreePort();
  auto notifier =
      WebhookNotifier::Create("http://127.0.0.1:" + std::to_string(port) + "/hook", FastRetries());
  ASSERT_TRUE(notifier.ok());
  (*notifier)->Start();
  (*notifier)->Enqueue({Firing("kitchen")});
  for (int i = 0; i < 100 && (*notifier)->counters().failed_attempts.load() < 2; ++i) {
    ::usleep(50'000);
  }
  EXPECT_GE((*notifier)->counters().failed_attempts.load(), 2u) << "nobody listens yet";
  EXPECT_EQ((*notifier)->counters().sent.load(), 0u);

  testing::HttpReceiver receiver;
  ASSERT_TRUE(receiver.Start(port));
  ASSERT_TRUE(receiver.WaitForRequests(1, 10'000));
  const testing::ReceivedRequest request = receiver.Requests()[0];
  EXPECT_EQ(request.path, "/hook");
  const json body = json::parse(request.body);
  EXPECT_EQ(body["status"], "firing");
  EXPECT_EQ(body["version"], "1");
  ASSERT_EQ(body["alerts"].size(), 1u);
  EXPECT_EQ(body["alerts"][0]["status"], "firing");
  EXPECT_EQ(body["alerts"][0]["labels"]["room"], "kitchen");
  (*notifier)->Stop();
  EXPECT_EQ((*notifier)->counters().sent.load(), 1u);
  EXPECT_EQ((*notifier)->counters().dropped.load(), 0u);
}

TEST(NotifierTest, ErrorStatusIsRetriedThenDroppedAndCounted) {
  testing::HttpReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  receiver.set_status(500);
  NotifierOptions options = FastRetries();
  options.max_attempts = 3;
  auto notifier = WebhookNotifier::Create(
      "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook", options);
  ASSERT_TRUE(notifier.ok());
  (*notifier)->Start();
  (*notifier)->Enqueue({Firing("kitchen"), Firing("lab")});
  for (int i = 0; i < 200 && (*notifier)->counters().dropped.load() < 2; ++i) ::usleep(20'000);
  EXPECT_EQ((*notifier)->counters().dropped.load(), 2u);
  EXPECT_EQ((*notifier)->counters().failed_attempts.load(), 3u);
  EXPECT_EQ((*notifier)->counters().sent.load(), 0u);
}

TEST(NotifierTest, FullQueueDropsTheOldestAndCountsThem) {
  NotifierOptions options;
  options.queue_capacity = 3;
  auto notifier = WebhookNotifier::Create("http://127.0.0.1:1/hook", options);
  ASSERT_TRUE(notifier.ok());
  for (int i = 0; i < 5; ++i) (*notifier)->Enqueue({Firing("room" + std::to_string(i))});
  EXPECT_EQ((*notifier)->queue_length(), 3u);
  EXPECT_EQ((*notifier)->counters().dropped.load(), 2u);
}

TEST(NotifierTest, BadUrlsAreRejected) {
  auto https = WebhookNotifier::Create("https://example.com/hook", {});
  ASSERT_FALSE(https.ok());
  EXPECT_EQ(https.status().message(),
            "https is not supported for notifiers, use http://: https://example.com/hook");
  EXPECT_FALSE(AlertmanagerNotifier::Create("localhost:9093", {}).ok());
  EXPECT_FALSE(MqttNotifier::Create({"mqtt://h:1883", "a/{{ nosuch }}", 1, false, ""}, {}).ok());
  EXPECT_FALSE(MqttNotifier::Create({"ws://h:1883", "a", 1, false, ""}, {}).ok());
}

TEST(NotifierTest, MqttPublishesEachAlertOnItsTopicWithRetain) {
  const std::string dir = testing::MakeTempDir("tidemark_notifier_mqtt_");
  auto broker = std::make_unique<testing::MosquittoBroker>(dir);
  ASSERT_TRUE(broker->Start());
  auto subscriber = testing::Subprocess::Start({"/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p",
                                                std::to_string(broker->port()), "-t", "alerts/#",
                                                "-v", "-q", "1"});
  ASSERT_NE(subscriber, nullptr);
  ::usleep(300'000);  // let the subscription settle before publishing
  auto notifier = MqttNotifier::Create(
      {broker->url(), "alerts/{{ .Labels.site }}/{{ $labels.room }}", 1, true, ""}, FastRetries());
  ASSERT_TRUE(notifier.ok()) << notifier.status().ToString();
  (*notifier)->Start();
  (*notifier)->Enqueue({Firing("kitchen")});
  auto line = subscriber->WaitForLine(std::regex("^alerts/hq/kitchen \\{.*"), 10'000);
  ASSERT_TRUE(line.has_value()) << subscriber->Output();
  const json message = json::parse(line->substr(line->find(' ') + 1));
  EXPECT_EQ(message["status"], "firing");
  EXPECT_EQ(message["labels"]["alertname"], "RoomOverheating");
  (*notifier)->Stop();
  EXPECT_EQ((*notifier)->counters().sent.load(), 1u);
  subscriber->Signal(SIGTERM);
  subscriber->Wait(5'000);

  // Retained: a subscriber that arrives later still gets the alert.
  testing::RunResult late = testing::RunToExit({"/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p",
                                                std::to_string(broker->port()), "-t",
                                                "alerts/hq/kitchen", "-C", "1", "-W", "5"});
  EXPECT_EQ(late.exit_code, 0) << late.output;
  EXPECT_NE(late.output.find("\"RoomOverheating\""), std::string::npos);
  broker.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tidemark::server::alerting
