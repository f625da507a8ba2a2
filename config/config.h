// Tidemark's configuration as plain structs, and the loader that builds them from YAML.
//
// Only this folder knows YAML. The loader rejects unknown keys and values of the wrong type with
// one-line errors of the form "file:line: key.path: what is wrong". Defaults below are the ones
// documented in config/tidemark.yaml, which is also embedded in the binary (DefaultConfigYaml).
// Everything here is a value type; loading is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"

namespace tidemark::config {

struct ListenAddress {
  std::string host = "0.0.0.0";
  uint16_t port = 9201;
  std::string ToString() const;  // "host:port", IPv6 hosts in brackets
};

struct AuthConfig {
  std::string username;
  std::string password;
  std::string bearer_token;
  bool enabled() const { return !username.empty() || !bearer_token.empty(); }
};

struct ServerConfig {
  ListenAddress listen;
  int io_threads = 2;
  int worker_threads = 2;
  int64_t read_timeout_ms = 30'000;
  int64_t write_timeout_ms = 30'000;
  uint64_t max_body_bytes = 32ULL << 20;
  int64_t shutdown_timeout_ms = 15'000;
  AuthConfig auth;
};

enum class WalSync { kEveryBatch, kInterval };

struct StorageConfig {
  std::string data_dir = "./data";
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;
  WalSync wal_sync = WalSync::kEveryBatch;
  int64_t wal_sync_interval_ms = 1000;
  uint64_t head_memory_limit_bytes = 1ULL << 30;
  int64_t max_future_ms = 10 * 60 * 1000;
};

// Payload formats a source may carry.
enum class PayloadFormat { kInflux, kJson, kPlain, kPrometheus };

struct IngestLimitsConfig {
  int max_labels_per_series = 64;
  uint64_t max_label_name_bytes = 256;
  uint64_t max_label_value_bytes = 4096;
  uint64_t max_series = 5'000'000;
};

struct HttpIngestConfig {
  bool enabled = true;
  uint64_t max_line_bytes = 64 << 10;
};

struct MqttSubscription {
  std::string name;
  std::string broker;
  std::string topic;
  int qos = 1;
  PayloadFormat format = PayloadFormat::kInflux;
  std::string client_id;
  std::string username;
  std::string password;
};

struct KafkaTopic {
  std::string name;
  PayloadFormat format = PayloadFormat::kInflux;
};

struct KafkaConfig {
  std::vector<std::string> brokers;
  std::string group_id = "tidemark";
  std::vector<KafkaTopic> topics;
  std::map<std::string, std::string> properties;
};

struct IngestConfig {
  IngestLimitsConfig limits;
  HttpIngestConfig http;
  std::vector<MqttSubscription> mqtt;
  KafkaConfig kafka;
};

struct HttpNotifier {
  std::string url;
  int64_t timeout_ms = 10'000;
};

struct MqttNotifier {
  std::string broker;
  std::string topic;
  int qos = 1;
  bool retain = false;
  std::string client_id;  // "" = tidemark-alerts-<pid>
  std::string username;
  std::string password;
};

struct NotifiersConfig {
  std::vector<HttpNotifier> alertmanagers;
  std::vector<HttpNotifier> webhooks;
  std::vector<MqttNotifier> mqtt;
};

// Rule evaluation and notification settings (Prometheus' flag defaults).
struct AlertingConfig {
  int64_t evaluation_interval_ms = 60'000;
  std::map<std::string, std::string> external_labels;
  std::string external_url;  // "" = http://<hostname>:<port>
  int64_t resend_delay_ms = 60'000;
  int64_t for_outage_tolerance_ms = 3'600'000;
  int64_t for_grace_period_ms = 600'000;
  int queue_capacity = 10'000;
};

struct Config {
  std::string log_level = "info";
  ServerConfig server;
  StorageConfig storage;
  IngestConfig ingest;
  std::vector<std::string> rule_files;
  NotifiersConfig notifiers;
  AlertingConfig alerting;
  // Where this configuration came from: a file path, or "<embedded>".
  std::string source;
};

// Looks up an environment variable for ${NAME} substitution; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
// The process environment.
EnvLookup ProcessEnv();

// The default configuration file, compiled into the binary.
std::string_view DefaultConfigYaml();

// Parses YAML text; `source` names it in error messages.
base::Result<Config> LoadString(std::string_view yaml, std::string source,
                                const EnvLookup& env = ProcessEnv());
// Reads and parses a file. A missing or unreadable file is an error naming the path and cause.
base::Result<Config> LoadFile(const std::string& path, const EnvLookup& env = ProcessEnv());
// The embedded defaults.
base::Result<Config> LoadDefaults(const EnvLookup& env = ProcessEnv());

// Parses "host:port", "[v6]:port" or ":port" (host 0.0.0.0). Port 0 asks the OS for a free port.
base::Result<ListenAddress> ParseListenAddress(std::string_view text);
// Parses "influx", "json", "plain" or "prometheus".
base::Result<PayloadFormat> ParsePayloadFormat(std::string_view text);

}  // namespace tidemark::config
