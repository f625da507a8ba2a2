#include <gtest/gtest.h>

#include "config/config.h"

namespace tidemark::config {
namespace {

EnvLookup NoEnv() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

TEST(IngestSourcesConfigTest, ReadsAFullMqttSubscription) {
  auto loaded = LoadString(R"(
ingest:
  mqtt:
    subscriptions:
      - broker: "mqtts://broker.example:8883"
        topic: "fleet/+/+/climate"
        topic_template: "fleet/{site}/{room}/{_}"
        format: json
        json:
          name: climate
          values: [{path: temperature, metric: temperature_celsius}]
          timestamp: {path: ts, format: rfc3339}
          labels: [{name: gateway, path: "$.gw"}, {name: fw, value: "2.1"}]
        labels: {building: hq}
        clean_session: true
        protocol: "5"
        keepalive: 10s
        tls: {ca_file: /etc/ca.pem, insecure: true}
)",
                           "t.yaml", NoEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const MqttSubscription& s = loaded->ingest.mqtt.at(0);
  EXPECT_EQ(s.name, "fleet/+/+/climate");
  EXPECT_EQ(s.topic_template, "fleet/{site}/{room}/{_}");
  EXPECT_EQ(s.qos, 1);
  EXPECT_TRUE(s.clean_session);
  EXPECT_EQ(s.protocol_version, 5);
  EXPECT_EQ(s.keepalive_ms, 10'000);
  EXPECT_EQ(s.tls.ca_file, "/etc/ca.pem");
  EXPECT_TRUE(s.tls.insecure);
  EXPECT_EQ(s.payload.json.values.at(0).metric, "temperature_celsius");
  EXPECT_EQ(s.payload.json.timestamp_format, "rfc3339");
  EXPECT_EQ(s.payload.json.labels.at(0).path, "$.gw");
  EXPECT_EQ(s.payload.json.labels.at(1).value, "2.1");
  EXPECT_EQ(s.payload.labels.at("building"), "hq");
}

TEST(IngestSourcesConfigTest, DefaultsKeepASessionTheBrokerCanQueueFor) {
  auto loaded = LoadString("ingest: {mqtt: {subscriptions: [{broker: \"mqtt://h\", topic: t}]}}",
                           "t.yaml", NoEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const MqttSubscription& s = loaded->ingest.mqtt.at(0);
  EXPECT_FALSE(s.clean_session);
  EXPECT_EQ(s.qos, 1);
  EXPECT_EQ(s.protocol_version, 4);
  EXPECT_EQ(s.payload.format, PayloadFormat::kInflux);
}

TEST(IngestSourcesConfigTest, RejectsIncompleteOrContradictorySubscriptions) {
  auto error = [](const std::string& yaml) {
    auto loaded = LoadString(yaml, "t.yaml", NoEnv());
    return loaded.ok() ? std::string() : loaded.status().message();
  };
  EXPECT_EQ(error("ingest:\n  mqtt:\n    subscriptions:\n      - {topic: a}\n"),
            "t.yaml:4: ingest.mqtt.subscriptions[0]: broker is required");
  EXPECT_EQ(
      error("ingest:\n  mqtt:\n    subscriptions:\n      - {broker: \"http://x\", topic: a}\n"),
      "t.yaml:4: ingest.mqtt.subscriptions[0].broker: expected mqtt://host[:port] or "
      "mqtts://host[:port], got \"http://x\"");
  EXPECT_NE(error("ingest:\n  mqtt:\n    subscriptions:\n      - {broker: \"mqtt://x\", topic: a}\n"
                  "      - {broker: \"mqtt://x\", topic: a}\n")
                .find("duplicate subscription name \"a\""),
            std::string::npos);
  EXPECT_NE(error("ingest:\n  mqtt:\n    subscriptions:\n      - {broker: \"mqtt://x\", topic: a, "
                  "json: {timestamp: {format: weekly}}}\n")
                .find("expected arrival, auto"),
            std::string::npos);
  EXPECT_NE(error("ingest:\n  mqtt:\n    subscriptions:\n      - {broker: \"mqtt://x\", topic: a, "
                  "qos: 2}\n")
                .find("subscriptions[0].qos"),
            std::string::npos);
  EXPECT_NE(error("ingest:\n  kafka:\n    topics: [{format: json}]\n").find("name is required"),
            std::string::npos);
}

TEST(IngestSourcesConfigTest, ReadsKafkaTopicsAndPassThroughProperties) {
  auto loaded = LoadString(R"(
ingest:
  kafka:
    brokers: ["k1:9092"]
    topics:
      - {name: "^telemetry\\..*", format: influx, precision: ms}
      - {name: meters, format: plain, metric: meter_reading, labels: {site: north}}
    dead_letter_topic: tidemark-dlq
    backpressure_pause: 250ms
    properties: {security.protocol: SASL_SSL, sasl.kerberos.service.name: kafka}
)",
                           "t.yaml", NoEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const KafkaConfig& k = loaded->ingest.kafka;
  EXPECT_EQ(k.topics.at(0).name, "^telemetry\\..*");
  EXPECT_EQ(k.topics.at(0).payload.precision, "ms");
  EXPECT_EQ(k.topics.at(1).payload.metric, "meter_reading");
  EXPECT_EQ(k.dead_letter_topic, "tidemark-dlq");
  EXPECT_EQ(k.backpressure_pause_ms, 250);
  EXPECT_EQ(k.properties.at("sasl.kerberos.service.name"), "kafka");
}

}  // namespace
}  // namespace tidemark::config
