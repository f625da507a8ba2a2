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

// A downsampling tier: rollup buckets of `resolution_ms` kept for `retention_ms`.
struct StorageTierConfig {
  int64_t resolution_ms = 0;
  int64_t retention_ms = 0;
};

struct StorageConfig {
  std::string data_dir = "./data";
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;  // raw samples
  // storage.tiers; an empty list disables downsampling.
  std::vector<StorageTierConfig> tiers = {{5 * 60'000, 365LL * 24 * 3600 * 1000},
                                          {3600'000, 5 * 365LL * 24 * 3600 * 1000}};
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

// A JSON mapping as configured; server/ maps it onto ingest::JsonMapping, where each field is
// documented. Paths are dotted keys with [index] steps; "$." starts at the document root.
struct JsonValueConfig {
  std::string path;
  std::string metric;
};

struct JsonLabelConfig {
  std::string name;
  std::string path;   // read from the JSON, or
  std::string value;  // a constant when path is empty
};

struct JsonMappingConfig {
  std::string records;
  std::string name;
  std::string name_path;
  std::vector<JsonValueConfig> values;
  std::string values_object;
  std::string names_array;
  std::string values_array;
  std::string timestamp_path;
  // arrival | auto | s | ms | us | ns | rfc3339 | a layout such as "YYYY-MM-DD HH:MM:SS"
  std::string timestamp_format = "arrival";
  std::vector<JsonLabelConfig> labels;
  std::string labels_object;
};

// How one source's payloads become samples; shared by MQTT subscriptions and Kafka topics.
struct PayloadConfig {
  PayloadFormat format = PayloadFormat::kInflux;
  // Line protocol timestamp precision: ns, us, ms or s.
  std::string precision = "ns";
  // The metric name for plain values (and the JSON mapping's default), when the topic does not
  // name it.
  std::string metric;
  JsonMappingConfig json;
  // Constant labels added to every series of this source.
  std::map<std::string, std::string> labels;
};

struct MqttTlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;  // skip the server host-name check (self-signed test brokers)
};

struct MqttSubscription {
  std::string name;
  std::string broker;  // mqtt://host[:1883], mqtts://host[:8883] (tcp:// and ssl:// also accepted)
  std::string topic;   // filter, with + and #
  int qos = 1;
  PayloadConfig payload;
  // Labels from topic segments, e.g. "sensors/{site}/{device}/{metric}"; {metric} names the
  // metric, {_} skips a segment.
  std::string topic_template;
  std::string client_id;       // empty: "tidemark-<name>"
  bool clean_session = false;  // false: the broker queues QoS 1/2 messages while we are away
  int protocol_version = 4;    // 4 = MQTT 3.1.1, 5 = MQTT 5
  int64_t keepalive_ms = 30'000;
  int64_t reconnect_min_delay_ms = 500;
  int64_t reconnect_max_delay_ms = 30'000;
  std::string username;
  std::string password;
  MqttTlsConfig tls;
};

struct KafkaTopic {
  std::string name;  // a topic name, or a regex when it starts with "^"
  PayloadConfig payload;
};

struct KafkaConfig {
  std::vector<std::string> brokers;
  std::string group_id = "tidemark";
  std::vector<KafkaTopic> topics;
  // Rejected records are produced here (with the reason in headers) when set.
  std::string dead_letter_topic;
  // How long a partition stays paused when the store pushes back, before it is retried.
  int64_t backpressure_pause_ms = 1000;
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

// The query result cache (query/result_cache.h) of /api/v1/query_range and /api/v1/query (and
// the Grafana JSON data sources).
struct QueryCacheConfig {
  bool enabled = true;
  uint64_t max_bytes = 256ULL << 20;
};

struct QueryConfig {
  QueryCacheConfig result_cache;
};

// Tidemark storing its own /metrics, so its health is queryable like any series.
struct SelfMonitoringConfig {
  bool enabled = true;
  int64_t interval_ms = 15'000;
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
  QueryConfig query;
  IngestConfig ingest;
  std::vector<std::string> rule_files;
  NotifiersConfig notifiers;
  SelfMonitoringConfig self_monitoring;
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
