#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "config/yaml_reader.h"

namespace tidemark::config {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string ErrorOf(std::string_view yaml, const EnvLookup& env = FakeEnv({})) {
  auto result = LoadString(yaml, "test.yaml", env);
  EXPECT_FALSE(result.ok()) << "expected an error for:\n" << yaml;
  return result.ok() ? "" : result.status().message();
}

TEST(ConfigTest, EmbeddedDefaultsParseAndMatchStructDefaults) {
  auto loaded = LoadDefaults(FakeEnv({}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Config defaults;
  EXPECT_EQ(loaded->source, "<embedded>");
  EXPECT_EQ(loaded->log_level, defaults.log_level);
  EXPECT_EQ(loaded->server.listen.ToString(), defaults.server.listen.ToString());
  EXPECT_EQ(loaded->server.max_body_bytes, defaults.server.max_body_bytes);
  EXPECT_EQ(loaded->server.read_timeout_ms, defaults.server.read_timeout_ms);
  EXPECT_EQ(loaded->server.shutdown_timeout_ms, defaults.server.shutdown_timeout_ms);
  EXPECT_EQ(loaded->storage.data_dir, defaults.storage.data_dir);
  EXPECT_EQ(loaded->storage.retention_ms, defaults.storage.retention_ms);
  ASSERT_EQ(loaded->storage.tiers.size(), defaults.storage.tiers.size());
  for (size_t i = 0; i < defaults.storage.tiers.size(); ++i) {
    EXPECT_EQ(loaded->storage.tiers[i].resolution_ms, defaults.storage.tiers[i].resolution_ms);
    EXPECT_EQ(loaded->storage.tiers[i].retention_ms, defaults.storage.tiers[i].retention_ms);
  }
  EXPECT_EQ(loaded->storage.wal_sync, defaults.storage.wal_sync);
  EXPECT_EQ(loaded->storage.head_memory_limit_bytes, defaults.storage.head_memory_limit_bytes);
  EXPECT_EQ(loaded->storage.max_future_ms, defaults.storage.max_future_ms);
  EXPECT_EQ(loaded->query.result_cache.enabled, defaults.query.result_cache.enabled);
  EXPECT_EQ(loaded->query.result_cache.max_bytes, defaults.query.result_cache.max_bytes);
  EXPECT_EQ(loaded->ingest.http.max_line_bytes, defaults.ingest.http.max_line_bytes);
  EXPECT_EQ(loaded->ingest.limits.max_labels_per_series,
            defaults.ingest.limits.max_labels_per_series);
  EXPECT_EQ(loaded->ingest.limits.max_label_name_bytes,
            defaults.ingest.limits.max_label_name_bytes);
  EXPECT_EQ(loaded->ingest.limits.max_label_value_bytes,
            defaults.ingest.limits.max_label_value_bytes);
  EXPECT_EQ(loaded->ingest.limits.max_series, defaults.ingest.limits.max_series);
  EXPECT_EQ(loaded->ingest.kafka.group_id, defaults.ingest.kafka.group_id);
  EXPECT_FALSE(loaded->server.auth.enabled());
  EXPECT_EQ(loaded->self_monitoring.enabled, defaults.self_monitoring.enabled);
  EXPECT_EQ(loaded->self_monitoring.interval_ms, defaults.self_monitoring.interval_ms);
  EXPECT_EQ(loaded->alerting.evaluation_interval_ms, defaults.alerting.evaluation_interval_ms);
  EXPECT_EQ(loaded->alerting.external_labels, defaults.alerting.external_labels);
  EXPECT_EQ(loaded->alerting.external_url, defaults.alerting.external_url);
  EXPECT_EQ(loaded->alerting.resend_delay_ms, defaults.alerting.resend_delay_ms);
  EXPECT_EQ(loaded->alerting.for_outage_tolerance_ms, defaults.alerting.for_outage_tolerance_ms);
  EXPECT_EQ(loaded->alerting.for_grace_period_ms, defaults.alerting.for_grace_period_ms);
  EXPECT_EQ(loaded->alerting.queue_capacity, defaults.alerting.queue_capacity);
}

TEST(ConfigTest, ShippedFileEqualsEmbeddedDefaults) {
  const char* source_dir = std::getenv("TIDEMARK_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr);
  std::ifstream in(std::string(source_dir) + "/config/tidemark.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, DefaultConfigYaml());
}

TEST(ConfigTest, ReadsEverySection) {
  auto loaded = LoadString(R"(
log_level: debug
server:
  listen: "127.0.0.1:9999"
  io_threads: 3
  read_timeout: 5s
  max_body_size: 1MiB
  auth: {username: admin, password: "${PW}"}
storage:
  data_dir: /var/lib/tidemark
  retention: 90d
  wal_sync: interval
  wal_sync_interval: 200ms
  tiers: [{resolution: 10m, retention: 2y}]
ingest:
  limits: {max_labels_per_series: 10, max_label_value_length: 1KiB, max_series: 1000}
  mqtt:
    subscriptions:
      - {name: sensors, broker: "mqtt://localhost:1883", topic: "sensors/#", qos: 0, format: json}
  kafka:
    brokers: ["k1:9092", "k2:9092"]
    topics: [{name: telemetry, format: prometheus}]
    properties: {security.protocol: SASL_SSL, sasl.mechanisms: GSSAPI}
rule_files: [rules/*.yml]
notifiers:
  alertmanagers: [{url: "http://localhost:9093", timeout: 3s}]
  mqtt: [{broker: "mqtt://localhost", topic: alerts, retain: true}]
)",
                           "full.yaml", FakeEnv({{"PW", "s3cret"}}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Config& c = *loaded;
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.server.listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.listen.port, 9999);
  EXPECT_EQ(c.server.io_threads, 3);
  EXPECT_EQ(c.server.read_timeout_ms, 5000);
  EXPECT_EQ(c.server.max_body_bytes, 1u << 20);
  EXPECT_EQ(c.server.auth.password, "s3cret");
  EXPECT_TRUE(c.server.auth.enabled());
  EXPECT_EQ(c.storage.retention_ms, 90LL * 86400 * 1000);
  EXPECT_EQ(c.storage.wal_sync, WalSync::kInterval);
  EXPECT_EQ(c.storage.wal_sync_interval_ms, 200);
  ASSERT_EQ(c.storage.tiers.size(), 1u);  // replaces the default tiers
  EXPECT_EQ(c.storage.tiers[0].resolution_ms, 600'000);
  EXPECT_EQ(c.storage.tiers[0].retention_ms, 2 * 365LL * 86400 * 1000);
  EXPECT_EQ(c.ingest.limits.max_labels_per_series, 10);
  EXPECT_EQ(c.ingest.limits.max_label_value_bytes, 1024u);
  EXPECT_EQ(c.ingest.limits.max_series, 1000u);
  ASSERT_EQ(c.ingest.mqtt.size(), 1u);
  EXPECT_EQ(c.ingest.mqtt[0].topic, "sensors/#");
  EXPECT_EQ(c.ingest.mqtt[0].qos, 0);
  EXPECT_EQ(c.ingest.mqtt[0].payload.format, PayloadFormat::kJson);
  EXPECT_EQ(c.ingest.kafka.brokers.size(), 2u);
  EXPECT_EQ(c.ingest.kafka.topics.at(0).payload.format, PayloadFormat::kPrometheus);
  EXPECT_EQ(c.ingest.kafka.properties.at("sasl.mechanisms"), "GSSAPI");
  EXPECT_EQ(c.rule_files.at(0), "rules/*.yml");
  EXPECT_EQ(c.notifiers.alertmanagers.at(0).timeout_ms, 3000);
  EXPECT_TRUE(c.notifiers.mqtt.at(0).retain);
}

TEST(ConfigTest, StorageTiersAreValidatedAndCanBeDisabled) {
  auto none = LoadString("storage:\n  tiers: []\n", "t.yaml", FakeEnv({}));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->storage.tiers.empty());
  EXPECT_EQ(
      ErrorOf("storage:\n  tiers:\n    - {resolution: 7m, retention: 1y}\n"),
      "test.yaml:3: storage.tiers[0]: resolution must be set and divide 1d (e.g. 1m, 5m, 1h)");
  EXPECT_EQ(ErrorOf("storage:\n  tiers:\n    - {resolution: 5m}\n"),
            "test.yaml:3: storage.tiers[0]: retention must be set and > 0");
  EXPECT_EQ(ErrorOf("storage:\n  tiers:\n    - {resolution: 5m, retention: 1y}\n"
                    "    - {resolution: 5m, retention: 2y}\n"),
            "test.yaml:4: storage.tiers[1]: resolution listed twice");
  EXPECT_EQ(ErrorOf("storage:\n  tiers:\n    - {resolution: 5m, retension: 1y}\n"),
            "test.yaml:3: storage.tiers[0].retension: unknown key \"retension\" (did you mean "
            "\"retention\"?)");
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndSuggests) {
  const std::string error = ErrorOf("server:\n  listen: \":1\"\n  lisen: \":2\"\n");
  EXPECT_EQ(error, "test.yaml:3: server.lisen: unknown key \"lisen\" (did you mean \"listen\"?)");
}

TEST(ConfigTest, UnknownTopLevelKey) {
  EXPECT_EQ(ErrorOf("log_level: info\n\nstorag:\n  data_dir: x\n"),
            "test.yaml:3: storag: unknown key \"storag\" (did you mean \"storage\"?)");
}

TEST(ConfigTest, UnknownKeyInsideListItem) {
  const std::string error =
      ErrorOf("ingest:\n  mqtt:\n    subscriptions:\n      - topic: a\n        qso: 1\n");
  EXPECT_EQ(error,
            "test.yaml:5: ingest.mqtt.subscriptions[0].qso: unknown key \"qso\" (did you mean "
            "\"qos\"?)");
}

TEST(ConfigTest, WrongTypesNameTheKey) {
  EXPECT_EQ(ErrorOf("server:\n  io_threads: many\n"),
            "test.yaml:2: server.io_threads: expected an integer, got \"many\"");
  EXPECT_EQ(ErrorOf("server:\n  io_threads: 0\n"),
            "test.yaml:2: server.io_threads: must be between 1 and 256, got 0");
  EXPECT_EQ(ErrorOf("server: [1, 2]\n"),
            "test.yaml:1: server: expected a mapping of keys, got a list");
  EXPECT_EQ(ErrorOf("server:\n  listen:\n    host: x\n"),
            "test.yaml:3: server.listen: expected a single value, got a mapping");
  EXPECT_EQ(ErrorOf("ingest:\n  http:\n    enabled: yes please\n"),
            "test.yaml:3: ingest.http.enabled: expected true or false, got \"yes please\"");
  EXPECT_EQ(ErrorOf("storage:\n  retention: 30 days\n"),
            "test.yaml:2: storage.retention: invalid duration \"30 days\": unknown or missing "
            "unit (use ms, s, m, h, d, w, y)");
  EXPECT_EQ(ErrorOf("storage:\n  wal_sync: sometimes\n"),
            "test.yaml:2: storage.wal_sync: expected every_batch or interval, got \"sometimes\"");
  EXPECT_EQ(ErrorOf("log_level: loud\n"),
            "test.yaml:1: log_level: expected debug, info, warn or error, got \"loud\"");
  EXPECT_EQ(ErrorOf("rule_files: one.yml\n"),
            "test.yaml:1: rule_files: expected a list of strings, got a scalar");
}

TEST(ConfigTest, InvalidYamlSyntaxNamesLine) {
  const std::string error = ErrorOf("log_level: info\nserver: {listen: \":1\"\n");
  EXPECT_EQ(error.rfind("test.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find("invalid YAML"), std::string::npos) << error;
}

TEST(ConfigTest, MissingEnvironmentVariableIsAnError) {
  EXPECT_EQ(ErrorOf("server:\n  auth:\n    bearer_token: ${TOKEN}\n"),
            "test.yaml:3: server.auth.bearer_token: environment variable TOKEN is not set (write "
            "${TOKEN:-default} to give a fallback)");
}

TEST(ConfigTest, EnvironmentSubstitution) {
  const EnvLookup env = FakeEnv({{"HOST", "db"}, {"PORT", "7000"}});
  EXPECT_EQ(*SubstituteEnv("${HOST}:${PORT}", env), "db:7000");
  EXPECT_EQ(*SubstituteEnv("${MISSING:-fallback}", env), "fallback");
  EXPECT_EQ(*SubstituteEnv("${HOST:-fallback}", env), "db");
  EXPECT_EQ(*SubstituteEnv("cost $$5 and $x", env), "cost $5 and $x");
  EXPECT_FALSE(SubstituteEnv("${HOST", env).ok());
  auto loaded = LoadString("server:\n  listen: \"${HOST}:${PORT}\"\n", "e.yaml", env);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->server.listen.port, 7000);
}

TEST(ConfigTest, MissingFileIsAClearError) {
  auto loaded = LoadFile("/nonexistent/tidemark.yaml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            "cannot read config file /nonexistent/tidemark.yaml: No such file or directory");
}

TEST(ConfigTest, LoadFileUsesPathInErrors) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "tidemark_config_test.yaml").string();
  {
    std::ofstream out(path);
    out << "storage:\n  data_dir: /tmp/x\n  retension: 1d\n";
  }
  auto loaded = LoadFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(
      loaded.status().message(),
      path + ":3: storage.retension: unknown key \"retension\" (did you mean \"retention\"?)");
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  auto loaded = LoadString("", "empty.yaml", FakeEnv({}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->server.listen.port, 9201);
}

TEST(ListenAddressTest, ParsesForms) {
  EXPECT_EQ(ParseListenAddress("127.0.0.1:80")->ToString(), "127.0.0.1:80");
  EXPECT_EQ(ParseListenAddress(":9201")->host, "0.0.0.0");
  EXPECT_EQ(ParseListenAddress("[::1]:0")->ToString(), "[::1]:0");
  EXPECT_EQ(ParseListenAddress("localhost:65535")->port, 65535);
  for (const char* bad : {"", "9201", "host:", "host:70000", "host:12ab", "::1:80", "[::1]80"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

TEST(EditDistanceTest, CountsEdits) {
  EXPECT_EQ(EditDistance("listen", "lisen"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("same", "same"), 0u);
}

TEST(ConfigTest, ReadsNotifiersAndAlertingSettings) {
  auto loaded = LoadString(R"(
rule_files: ["rules/*.yml"]
notifiers:
  alertmanagers: [{url: "http://am:9093", timeout: 5s}]
  webhooks: [{url: "http://hook:8080/x"}]
  mqtt: [{broker: "mqtt://b:1883", topic: "alerts/{{ .Labels.alertname }}", qos: 2, retain: true,
          username: bob, password: "${PW}"}]
alerting:
  evaluation_interval: 15s
  external_labels: {fleet: demo}
  resend_delay: 2m
  queue_capacity: 50
)",
                           "test.yaml", FakeEnv({{"PW", "secret"}}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->rule_files, std::vector<std::string>{"rules/*.yml"});
  EXPECT_EQ(loaded->notifiers.alertmanagers[0].timeout_ms, 5'000);
  EXPECT_EQ(loaded->notifiers.webhooks[0].timeout_ms, 10'000);
  const MqttNotifier& mqtt = loaded->notifiers.mqtt[0];
  EXPECT_EQ(mqtt.topic, "alerts/{{ .Labels.alertname }}");
  EXPECT_EQ(mqtt.qos, 2);
  EXPECT_TRUE(mqtt.retain);
  EXPECT_EQ(mqtt.password, "secret");
  EXPECT_EQ(loaded->alerting.evaluation_interval_ms, 15'000);
  EXPECT_EQ(loaded->alerting.external_labels.at("fleet"), "demo");
  EXPECT_EQ(loaded->alerting.resend_delay_ms, 120'000);
  EXPECT_EQ(loaded->alerting.queue_capacity, 50);
  EXPECT_EQ(ErrorOf("alerting:\n  evaluation_interval: 0s\n"),
            "test.yaml:2: alerting.evaluation_interval: must be greater than 0");
  EXPECT_EQ(ErrorOf("alerting:\n  queue_capacity: 0\n"),
            "test.yaml:2: alerting.queue_capacity: must be between 1 and 10000000, got 0");
}

}  // namespace
}  // namespace tidemark::config
