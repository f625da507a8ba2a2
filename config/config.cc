#include "config/config.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/ingest_sources.h"
#include "config/yaml_reader.h"
#include "storage/base/log.h"

namespace tidemark::config {
namespace {

using base::Result;
using base::Status;

void ReadAuth(YamlReader& r, AuthConfig* auth) {
  r.String("username", &auth->username);
  r.String("password", &auth->password);
  r.String("bearer_token", &auth->bearer_token);
}

void ReadServer(YamlReader& r, ServerConfig* server) {
  r.Parsed<ListenAddress>("listen", &server->listen,
                          [](const std::string& s) { return ParseListenAddress(s); });
  r.Int("io_threads", 1, 256, &server->io_threads);
  r.Int("worker_threads", 1, 256, &server->worker_threads);
  r.Duration("read_timeout", &server->read_timeout_ms);
  r.Duration("write_timeout", &server->write_timeout_ms);
  r.ByteSize("max_body_size", &server->max_body_bytes);
  r.Duration("shutdown_timeout", &server->shutdown_timeout_ms);
  r.Map("auth", [&](YamlReader& a) { ReadAuth(a, &server->auth); });
}

Result<WalSync> ParseWalSync(const std::string& text) {
  if (text == "every_batch") return WalSync::kEveryBatch;
  if (text == "interval") return WalSync::kInterval;
  return Status::InvalidArgument("expected every_batch or interval, got \"" + text + "\"");
}

// A resolution must divide a day (the raw partition length, so a bucket never spans two) and
// appear once.
std::string CheckTier(const StorageTierConfig& t, const std::vector<StorageTierConfig>& before) {
  constexpr int64_t kDay = 86'400'000;
  if (t.resolution_ms <= 0 || kDay % t.resolution_ms != 0) {
    return "resolution must be set and divide 1d (e.g. 1m, 5m, 1h)";
  }
  if (t.retention_ms <= 0) return "retention must be set and > 0";
  for (const auto& b : before) {
    if (b.resolution_ms == t.resolution_ms) return "resolution listed twice";
  }
  return "";
}

void ReadStorage(YamlReader& r, StorageConfig* storage) {
  r.String("data_dir", &storage->data_dir);
  r.Duration("retention", &storage->retention_ms);
  if (r.Has("tiers")) storage->tiers.clear();
  r.MapListChecked("tiers", [&](YamlReader& t) {
    StorageTierConfig tier;
    t.Duration("resolution", &tier.resolution_ms);
    t.Duration("retention", &tier.retention_ms);
    std::string problem = CheckTier(tier, storage->tiers);
    if (problem.empty()) storage->tiers.push_back(tier);
    return problem;
  });
  r.Parsed<WalSync>("wal_sync", &storage->wal_sync, ParseWalSync);
  r.Duration("wal_sync_interval", &storage->wal_sync_interval_ms);
  r.ByteSize("head_memory_limit", &storage->head_memory_limit_bytes);
  r.Duration("max_future", &storage->max_future_ms);
}

void ReadLimits(YamlReader& r, IngestLimitsConfig* limits) {
  r.Int("max_labels_per_series", 1, 10'000, &limits->max_labels_per_series);
  r.ByteSize("max_label_name_length", &limits->max_label_name_bytes);
  r.ByteSize("max_label_value_length", &limits->max_label_value_bytes);
  int64_t max_series = static_cast<int64_t>(limits->max_series);
  r.Int("max_series", 1, int64_t{1} << 40, &max_series);
  limits->max_series = static_cast<uint64_t>(max_series);
}

void ReadIngest(YamlReader& r, IngestConfig* ingest) {
  r.Map("limits", [&](YamlReader& l) { ReadLimits(l, &ingest->limits); });
  r.Map("http", [&](YamlReader& h) {
    h.Bool("enabled", &ingest->http.enabled);
    h.ByteSize("max_line_size", &ingest->http.max_line_bytes);
  });
  r.Map("mqtt", [&](YamlReader& m) { ReadMqtt(m, &ingest->mqtt); });
  r.Map("kafka", [&](YamlReader& k) { ReadKafka(k, &ingest->kafka); });
}

void ReadHttpNotifiers(YamlReader& r, const std::string& key, std::vector<HttpNotifier>* out) {
  r.MapList(key, [&](YamlReader& n) {
    HttpNotifier notifier;
    n.String("url", &notifier.url);
    n.Duration("timeout", &notifier.timeout_ms);
    out->push_back(std::move(notifier));
  });
}

void ReadNotifiers(YamlReader& r, NotifiersConfig* notifiers) {
  ReadHttpNotifiers(r, "alertmanagers", &notifiers->alertmanagers);
  ReadHttpNotifiers(r, "webhooks", &notifiers->webhooks);
  r.MapList("mqtt", [&](YamlReader& n) {
    MqttNotifier notifier;
    n.String("broker", &notifier.broker);
    n.String("topic", &notifier.topic);
    n.Int("qos", 0, 2, &notifier.qos);
    n.Bool("retain", &notifier.retain);
    n.String("client_id", &notifier.client_id);
    n.String("username", &notifier.username);
    n.String("password", &notifier.password);
    notifiers->mqtt.push_back(std::move(notifier));
  });
}

void ReadAlerting(YamlReader& r, AlertingConfig* alerting) {
  r.Duration("evaluation_interval", &alerting->evaluation_interval_ms);
  r.StringMap("external_labels", &alerting->external_labels);
  r.String("external_url", &alerting->external_url);
  r.Duration("resend_delay", &alerting->resend_delay_ms);
  r.Duration("for_outage_tolerance", &alerting->for_outage_tolerance_ms);
  r.Duration("for_grace_period", &alerting->for_grace_period_ms);
  r.Int("queue_capacity", 1, 10'000'000, &alerting->queue_capacity);
  if (alerting->evaluation_interval_ms <= 0) {
    r.Fail("evaluation_interval", "must be greater than 0");
  }
}

Result<std::string> ParseLogLevelName(const std::string& text) {
  base::LogLevel level;
  if (!base::ParseLogLevel(text, &level)) {
    return Status::InvalidArgument("expected debug, info, warn or error, got \"" + text + "\"");
  }
  return text;
}

void ReadTop(YamlReader& r, Config* config) {
  r.Parsed<std::string>("log_level", &config->log_level, ParseLogLevelName);
  r.Map("server", [&](YamlReader& s) { ReadServer(s, &config->server); });
  r.Map("storage", [&](YamlReader& s) { ReadStorage(s, &config->storage); });
  r.Map("query", [&](YamlReader& q) {
    q.Map("result_cache", [&](YamlReader& c) {
      c.Bool("enabled", &config->query.result_cache.enabled);
      c.ByteSize("max_size", &config->query.result_cache.max_bytes);
    });
  });
  r.Map("ingest", [&](YamlReader& i) { ReadIngest(i, &config->ingest); });
  r.StringList("rule_files", &config->rule_files);
  r.Map("notifiers", [&](YamlReader& n) { ReadNotifiers(n, &config->notifiers); });
  r.Map("self_monitoring", [&](YamlReader& m) {
    m.Bool("enabled", &config->self_monitoring.enabled);
    m.Duration("interval", &config->self_monitoring.interval_ms);
  });
  r.Map("alerting", [&](YamlReader& a) { ReadAlerting(a, &config->alerting); });
  r.Finish();
}

}  // namespace

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Config> LoadString(std::string_view yaml, std::string source, const EnvLookup& env) {
  Config config;
  config.source = source;
  LoadContext ctx{std::move(source), &env};
  TM_RETURN_IF_ERROR(ReadYamlDocument(yaml, ctx, [&](YamlReader& r) { ReadTop(r, &config); }));
  return config;
}

Result<Config> LoadFile(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::NotFound("cannot read config file " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read config file " + path);
  return LoadString(text.str(), path, env);
}

Result<Config> LoadDefaults(const EnvLookup& env) {
  return LoadString(DefaultConfigYaml(), "<embedded>", env);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid listen address \"" + std::string(text) + "\": " + why);
  };
  ListenAddress address;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [ipv6]:port");
    }
    address.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected host:port");
    if (colon > 0) address.host = std::string(text.substr(0, colon));
    if (address.host.find(':') != std::string::npos) return bad("put IPv6 hosts in brackets");
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  address.port = static_cast<uint16_t>(port);
  return address;
}

Result<PayloadFormat> ParsePayloadFormat(std::string_view text) {
  if (text == "influx") return PayloadFormat::kInflux;
  if (text == "json") return PayloadFormat::kJson;
  if (text == "plain") return PayloadFormat::kPlain;
  if (text == "prometheus") return PayloadFormat::kPrometheus;
  return Status::InvalidArgument("expected influx, json, plain or prometheus, got \"" +
                                 std::string(text) + "\"");
}

}  // namespace tidemark::config
