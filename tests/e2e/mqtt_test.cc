// End-to-end tests of MQTT ingest: the real Debian mosquitto broker and the real tidemark binary
// on loopback; messages published with mosquitto_pub and read back through /api/v1/export.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/tidemark_process.h"

namespace tidemark::testing {
namespace {

class MqttE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("tidemark_mqtt_");
    ASSERT_FALSE(dir_.empty());
    broker_ = std::make_unique<MosquittoBroker>(dir_);
    ASSERT_TRUE(broker_->Start());
  }
  void TearDown() override {
    server_.reset();
    broker_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Starts tidemark with `ingest_yaml` (the ingest section's body, indented two spaces).
  bool StartServer(const std::string& ingest_yaml, const std::string& storage_keys = "") {
    server_ = std::make_unique<TidemarkProcess>(dir_, "ingest:\n" + ingest_yaml, storage_keys);
    return server_->Start();
  }

  // Waits until the subscription's session is up, so that what is published next is seen.
  bool WaitConnected(const std::string& subscription) {
    return WaitFor(
        [&] {
          auto up =
              server_->Metric("tidemark_mqtt_connected", "subscription=\"" + subscription + "\"");
          return up && *up == 1;
        },
        15'000);
  }

  // Waits until `selector` has `samples` samples in all.
  bool WaitSamples(const std::string& selector, size_t samples, int timeout_ms = 20'000) {
    return WaitFor(
        [&] {
          auto series = server_->Export(selector);
          if (!series) return false;
          size_t n = 0;
          for (const auto& [name, values] : *series) n += values.size();
          return n >= samples;
        },
        timeout_ms);
  }

  std::string dir_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<TidemarkProcess> server_;
};

std::string Subscription(const std::string& name, const std::string& url, const std::string& body) {
  return "    - name: " + name + "\n      broker: \"" + url + "\"\n" + body;
}

TEST_F(MqttE2ETest, EveryPayloadFormatIsStoredAsPublished) {
  const std::string url = broker_->url();
  ASSERT_TRUE(StartServer(
      "  mqtt:\n    subscriptions:\n" +
      Subscription("lp", url, "      topic: \"lp/#\"\n      precision: ms\n") +
      Subscription("json", url,
                   "      topic: \"fleet/+/+/climate\"\n"
                   "      topic_template: \"fleet/{site}/{room}/{_}\"\n"
                   "      format: json\n"
                   "      json:\n"
                   "        values: [{path: t, metric: temperature_celsius},"
                   " {path: h, metric: humidity_percent}]\n"
                   "        timestamp: {path: ts, format: ms}\n") +
      Subscription("plain", url,
                   "      topic: \"plain/#\"\n"
                   "      topic_template: \"plain/{site}/{device}/{metric}\"\n"
                   "      format: plain\n      protocol: \"5\"\n      labels: {building: hq}\n") +
      Subscription("prom", url,
                   "      topic: \"prom/+\"\n      topic_template: \"prom/{device}\"\n"
                   "      format: prometheus\n")));
  for (const char* name : {"lp", "json", "plain", "prom"}) ASSERT_TRUE(WaitConnected(name));

  const int64_t t0 = NowMs() - 60'000;
  const std::string ts0 = std::to_string(t0), ts1 = std::to_string(t0 + 1000);
  ASSERT_TRUE(broker_->Publish("lp/north", "env,site=north temperature=21.5,humidity=40i " + ts0 +
                                               "\nenv,site=north temperature=-0.25 " + ts1));
  ASSERT_TRUE(broker_->Publish("fleet/south/lobby/climate",
                               "{\"t\": 19.5, \"h\": 51, \"ts\": " + ts0 + "}"));
  const int64_t before_plain = NowMs();
  ASSERT_TRUE(broker_->Publish("plain/harbor/pump-1/power_watts", "1234.5"));
  ASSERT_TRUE(broker_->Publish("prom/gw-7", "boot_count 3 " + ts0 + "\nup 1 " + ts1 + "\n"));

  ASSERT_TRUE(
      WaitSamples("{__name__=~\"env_.*|temperature_celsius|humidity_percent|power_watts|"
                  "boot_count|up\"}",
                  8))
      << server_->Output();
  const int64_t after_plain = NowMs();
  auto series = server_->Export(
      "{__name__=~\"env_.*|temperature_celsius|humidity_percent|"
      "boot_count|up\"}");
  ASSERT_TRUE(series.has_value());
  const ExportedSeries expected = {
      {R"({"__name__":"boot_count","device":"gw-7"})", {{t0, 3}}},
      {R"({"__name__":"env_humidity","site":"north"})", {{t0, 40}}},
      {R"({"__name__":"env_temperature","site":"north"})", {{t0, 21.5}, {t0 + 1000, -0.25}}},
      {R"({"__name__":"humidity_percent","room":"lobby","site":"south"})", {{t0, 51}}},
      {R"({"__name__":"temperature_celsius","room":"lobby","site":"south"})", {{t0, 19.5}}},
      {R"({"__name__":"up","device":"gw-7"})", {{t0 + 1000, 1}}},
  };
  EXPECT_EQ(*series, expected);

  // A plain value is stamped on arrival.
  auto power = server_->Export("power_watts");
  ASSERT_TRUE(power.has_value());
  const auto& samples =
      power->at(R"({"__name__":"power_watts","building":"hq","device":"pump-1","site":"harbor"})");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].second, 1234.5);
  EXPECT_GE(samples[0].first, before_plain - 1000);
  EXPECT_LE(samples[0].first, after_plain);

  EXPECT_EQ(server_->Metric("tidemark_mqtt_messages_total", "subscription=\"lp\""), 1);
  EXPECT_EQ(server_->Metric("tidemark_mqtt_samples_total", "subscription=\"lp\""), 3);
  EXPECT_EQ(server_->Metric("tidemark_mqtt_samples_total", "subscription=\"json\""), 2);
  EXPECT_TRUE(server_->Stop());
}

TEST_F(MqttE2ETest, MalformedPayloadsGoToDeadLettersWhileGoodOnesAreStored) {
  const std::string url = broker_->url();
  ASSERT_TRUE(StartServer(
      "  mqtt:\n    subscriptions:\n" +
      Subscription("lp", url, "      topic: \"lp/#\"\n      precision: s\n") +
      Subscription("plain", url,
                   "      topic: \"plain/#\"\n      topic_template: \"plain/{device}/{metric}\"\n"
                   "      format: plain\n")));
  ASSERT_TRUE(WaitConnected("lp"));
  ASSERT_TRUE(WaitConnected("plain"));
  const std::string t = std::to_string(NowMs() / 1000 - 10);
  ASSERT_TRUE(broker_->Publish("lp/mixed", "room,id=1 temp=20 " + t + "\nroom,id=2 temp=oops " + t +
                                               "\nroom,id=3 temp=22 " + t));
  ASSERT_TRUE(broker_->Publish("plain/dev-1/level", "not a number"));
  ASSERT_TRUE(broker_->Publish("plain/too/many/segments", "1"));
  ASSERT_TRUE(broker_->Publish("plain/dev-1/level", "7"));

  ASSERT_TRUE(WaitSamples("{__name__=~\"room_temp|level\"}", 3)) << server_->Output();
  auto stored = server_->Export("{__name__=~\"room_temp|level\"}");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->size(), 3u);
  EXPECT_EQ(stored->count(R"({"__name__":"room_temp","id":"2"})"), 0u);

  ASSERT_TRUE(WaitFor(
      [&] {
        auto reply = Fetch(server_->port(), "GET", "/api/v1/deadletters?source=mqtt");
        return reply && nlohmann::json::parse(reply->body)["data"].size() == 3;
      },
      10'000));
  auto reply = Fetch(server_->port(), "GET", "/api/v1/deadletters?source=mqtt");
  const auto letters = nlohmann::json::parse(reply->body)["data"];
  std::multiset<std::string> seen;
  for (const auto& letter : letters) {
    seen.insert(letter["origin"].get<std::string>() + " " + letter["reason"].get<std::string>() +
                " " + letter["raw"].get<std::string>());
  }
  EXPECT_EQ(seen,
            (std::multiset<std::string>{"lp/mixed invalid_field_value room,id=2 temp=oops " + t,
                                        "plain/dev-1/level invalid_value not a number",
                                        "plain/too/many/segments topic_mismatch 1"}));
  EXPECT_EQ(server_->Metric("tidemark_mqtt_decode_errors_total"), 3);
  EXPECT_TRUE(server_->Stop());
}

// With QoS 1 and a persistent session, a tidemark killed with SIGKILL mid-stream loses nothing:
// what it acknowledged was in the WAL, and what it had not the broker delivers again.
class MqttCrashTest : public MqttE2ETest, public ::testing::WithParamInterface<std::string> {};

TEST_P(MqttCrashTest, KilledMidStreamLosesNoAcknowledgedMessage) {
  const std::string ingest =
      "  mqtt:\n    subscriptions:\n" + Subscription("seq", broker_->url(),
                                                     "      topic: \"seq/#\"\n      precision: ms\n"
                                                     "      client_id: tidemark-crash-test\n"
                                                     "      protocol: \"" +
                                                         GetParam() + "\"\n");
  // The interval policy is enough here: a killed process's writes are in the page cache.
  const std::string storage = "  wal_sync: interval\n";
  ASSERT_TRUE(StartServer(ingest, storage));
  ASSERT_TRUE(WaitConnected("seq"));

  constexpr int kMessages = 30'000;
  const int64_t t0 = NowMs() - 3'600'000;
  std::vector<std::string> lines;
  for (int i = 0; i < kMessages; ++i) {
    lines.push_back("seq value=" + std::to_string(i) + " " + std::to_string(t0 + i));
  }
  bool published = false;
  std::thread publisher([&] { published = broker_->PublishLines("seq/a", lines); });
  ASSERT_TRUE(WaitFor(
      [&] { return server_->Metric("tidemark_mqtt_samples_total").value_or(0) >= 1000; }, 30'000));
  const double stored_before_kill = server_->Metric("tidemark_mqtt_samples_total").value_or(0);
  server_->Kill();
  ASSERT_LT(stored_before_kill, kMessages) << "the kill must come mid-stream";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server_ = std::make_unique<TidemarkProcess>(dir_, "ingest:\n" + ingest, storage);
  ASSERT_TRUE(server_->Start());
  publisher.join();
  ASSERT_TRUE(published);

  ASSERT_TRUE(WaitSamples("seq_value", kMessages, 60'000)) << server_->Output();
  auto series = server_->Export("seq_value");
  ASSERT_TRUE(series.has_value());
  ASSERT_EQ(series->size(), 1u);
  const auto& samples = series->begin()->second;
  ASSERT_EQ(samples.size(), static_cast<size_t>(kMessages)) << "a message was lost or doubled";
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(samples[i], (std::pair<int64_t, double>{t0 + i, i})) << "at message " << i;
  }
  EXPECT_TRUE(server_->Stop());
}

INSTANTIATE_TEST_SUITE_P(ProtocolVersions, MqttCrashTest, ::testing::Values("3.1.1", "5"),
                         [](const auto& info) { return info.param == "5" ? "Mqtt5" : "Mqtt311"; });

// A broker that is down when tidemark starts, and one that goes away later, are both waited out.
TEST_F(MqttE2ETest, ReconnectsWhenTheBrokerComesBack) {
  broker_->Stop();
  ASSERT_TRUE(StartServer("  mqtt:\n    subscriptions:\n" +
                          Subscription("r", broker_->url(),
                                       "      topic: \"r/#\"\n      precision: ms\n"
                                       "      reconnect_min_delay: 1s\n"
                                       "      reconnect_max_delay: 2s\n")));
  EXPECT_EQ(server_->Metric("tidemark_mqtt_connected"), 0);
  ASSERT_TRUE(broker_->Start());
  ASSERT_TRUE(WaitConnected("r")) << server_->Output();
  const int64_t t0 = NowMs() - 10'000;
  ASSERT_TRUE(broker_->Publish("r/1", "r v=1 " + std::to_string(t0)));
  ASSERT_TRUE(WaitSamples("r_v", 1));

  broker_->Kill();
  ASSERT_TRUE(WaitFor([&] { return server_->Metric("tidemark_mqtt_connected") == 0; }, 10'000));
  ASSERT_TRUE(broker_->Start());
  ASSERT_TRUE(WaitConnected("r")) << server_->Output();
  ASSERT_TRUE(broker_->Publish("r/1", "r v=2 " + std::to_string(t0 + 1)));
  ASSERT_TRUE(WaitSamples("r_v", 2)) << server_->Output();
  EXPECT_GE(server_->Metric("tidemark_mqtt_reconnects_total").value_or(0), 1);
  EXPECT_TRUE(server_->Stop());
}

// A CA, and a server and a client certificate it signed, made with the openssl command.
bool MakeCertificates(const std::string& dir) {
  const std::string script =
      "set -e; cd " + dir +
      "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca"
      " -keyout ca.key -out ca.crt 2>/dev/null;"
      " for who in server client; do"
      " openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout $who.key -out $who.csr"
      " 2>/dev/null;"
      " printf 'subjectAltName=IP:127.0.0.1' > $who.ext;"
      " openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
      " -extfile $who.ext -out $who.crt 2>/dev/null; done";
  return RunToExit({"/bin/sh", "-c", script}, 60'000).exit_code == 0;
}

// TLS with a private CA and a client certificate the broker requires.
TEST_F(MqttE2ETest, ConnectsOverTlsWithAClientCertificate) {
  ASSERT_TRUE(MakeCertificates(dir_));
  const uint16_t tls_port = PickFreePort();
  broker_->Stop();
  broker_ = std::make_unique<MosquittoBroker>(
      dir_, "listener " + std::to_string(tls_port) + " 127.0.0.1\ncafile " + dir_ +
                "/ca.crt\ncertfile " + dir_ + "/server.crt\nkeyfile " + dir_ +
                "/server.key\nrequire_certificate true\n");
  ASSERT_TRUE(broker_->Start());
  ASSERT_TRUE(
      StartServer("  mqtt:\n    subscriptions:\n" +
                  Subscription("tls", "mqtts://127.0.0.1:" + std::to_string(tls_port),
                               "      topic: \"secure/#\"\n      precision: ms\n"
                               "      tls:\n        ca_file: " +
                                   dir_ + "/ca.crt\n        cert_file: " + dir_ +
                                   "/client.crt\n        key_file: " + dir_ + "/client.key\n")));
  ASSERT_TRUE(WaitConnected("tls")) << server_->Output() << broker_->Output();
  const int64_t t = NowMs() - 5000;
  ASSERT_TRUE(broker_->Publish("secure/a", "vault door=1 " + std::to_string(t)));
  ASSERT_TRUE(WaitSamples("vault_door", 1)) << server_->Output();
  EXPECT_TRUE(server_->Stop());
}

// A broker that refuses anonymous clients: the right password connects, a wrong one never does.
TEST_F(MqttE2ETest, AuthenticatesWithUsernameAndPassword) {
  broker_->Stop();
  broker_ = std::make_unique<MosquittoBroker>(dir_, "", "tidemark", "s3cret");
  ASSERT_TRUE(broker_->Start());
  ASSERT_TRUE(StartServer(
      "  mqtt:\n    subscriptions:\n" +
      Subscription("good", broker_->url(),
                   "      topic: \"auth/#\"\n      precision: ms\n"
                   "      username: tidemark\n      password: s3cret\n") +
      Subscription("bad", broker_->url(),
                   "      topic: \"auth/#\"\n      username: tidemark\n      password: wrong\n")));
  ASSERT_TRUE(WaitConnected("good")) << server_->Output();
  ASSERT_TRUE(broker_->Publish("auth/a", "door open=1 " + std::to_string(NowMs() - 1000)));
  ASSERT_TRUE(WaitSamples("door_open", 1)) << server_->Output();
  EXPECT_EQ(server_->Metric("tidemark_mqtt_connected", "subscription=\"bad\""), 0);
  EXPECT_EQ(server_->Metric("tidemark_mqtt_messages_total", "subscription=\"bad\""), 0);
  EXPECT_NE(server_->Output().find("refused"), std::string::npos) << server_->Output();
  EXPECT_TRUE(server_->Stop());
}

}  // namespace
}  // namespace tidemark::testing
