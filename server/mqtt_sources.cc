#include "server/mqtt_sources.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include "server/payload_spec.h"

namespace tidemark::server {
namespace {

int Seconds(int64_t ms) { return static_cast<int>(std::max<int64_t>(1, (ms + 999) / 1000)); }

base::Result<ingest::MqttSourceOptions> OptionsOf(const config::MqttSubscription& sub,
                                                  const ingest::DecodeLimits& limits) {
  ingest::MqttSourceOptions o;
  o.name = sub.name;
  auto broker = ingest::ParseBrokerAddress(sub.broker);
  if (!broker.ok()) return broker.status();
  o.broker = *broker;
  o.topic = sub.topic;
  o.qos = sub.qos;
  auto payload = MakePayloadSpec(sub.payload);
  if (!payload.ok()) return payload.status();
  o.payload = std::move(payload).value();
  auto topic_template = ingest::TopicTemplate::Parse(sub.topic_template);
  if (!topic_template.ok()) return topic_template.status();
  o.topic_template = std::move(topic_template).value();
  o.client_id = sub.client_id;
  o.clean_session = sub.clean_session;
  o.protocol_version = sub.protocol_version;
  o.keepalive_s = Seconds(sub.keepalive_ms);
  o.reconnect_min_delay_s = Seconds(sub.reconnect_min_delay_ms);
  o.reconnect_max_delay_s = std::max(o.reconnect_min_delay_s, Seconds(sub.reconnect_max_delay_ms));
  o.username = sub.username;
  o.password = sub.password;
  o.tls_ca_file = sub.tls.ca_file;
  o.tls_cert_file = sub.tls.cert_file;
  o.tls_key_file = sub.tls.key_file;
  o.tls_insecure = sub.tls.insecure;
  o.limits = limits;
  return o;
}

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class MqttCollector final : public prometheus::Collectable {
 public:
  explicit MqttCollector(std::vector<const ingest::MqttSource*> sources)
      : sources_(std::move(sources)) {}

  std::vector<MetricFamily> Collect() const override {
    using Stats = ingest::MqttSourceStats;
    const auto C = MetricType::Counter;
    std::vector<MetricFamily> families = {
        Family("tidemark_mqtt_messages_total", "MQTT messages received.", C,
               [](const Stats& s) { return s.messages; }),
        Family("tidemark_mqtt_bytes_total", "MQTT payload bytes received.", C,
               [](const Stats& s) { return s.bytes; }),
        Family("tidemark_mqtt_samples_total", "Samples stored from MQTT messages.", C,
               [](const Stats& s) { return s.samples; }),
        Family("tidemark_mqtt_decode_errors_total",
               "MQTT messages with at least one rejected line or record.", C,
               [](const Stats& s) { return s.decode_errors; }),
        Family("tidemark_mqtt_store_retries_total",
               "Appends retried because the store pushed back.", C,
               [](const Stats& s) { return s.store_retries; }),
        Family("tidemark_mqtt_reconnects_total", "Connections lost and re-established.", C,
               [](const Stats& s) { return s.disconnects; }),
        Family("tidemark_mqtt_connected", "1 while the subscription's session is up.",
               MetricType::Gauge, [](const Stats& s) { return s.connected ? 1 : 0; }),
    };
    return families;
  }

 private:
  template <typename Value>
  MetricFamily Family(std::string name, std::string help, MetricType type, Value value) const {
    MetricFamily family{std::move(name), std::move(help), type, {}};
    for (const ingest::MqttSource* source : sources_) {
      ClientMetric metric;
      metric.label = {{"subscription", source->name()}};
      const double v = static_cast<double>(value(source->Stats()));
      if (type == MetricType::Counter) {
        metric.counter.value = v;
      } else {
        metric.gauge.value = v;
      }
      family.metric.push_back(std::move(metric));
    }
    return family;
  }

  std::vector<const ingest::MqttSource*> sources_;
};

}  // namespace

ingest::DecodeLimits DecodeLimitsOf(const config::Config& config) {
  const config::IngestLimitsConfig& configured = config.ingest.limits;
  ingest::DecodeLimits limits;
  limits.max_line_bytes = config.ingest.http.max_line_bytes;
  limits.max_labels_per_series = static_cast<size_t>(configured.max_labels_per_series);
  limits.max_label_name_bytes = configured.max_label_name_bytes;
  limits.max_label_value_bytes = configured.max_label_value_bytes;
  return limits;
}

base::Result<std::vector<std::unique_ptr<ingest::MqttSource>>> MakeMqttSources(
    const config::Config& config, ingest::IngestSink* sink, base::Clock* clock) {
  std::vector<std::unique_ptr<ingest::MqttSource>> sources;
  for (const config::MqttSubscription& sub : config.ingest.mqtt) {
    auto options = OptionsOf(sub, DecodeLimitsOf(config));
    if (!options.ok()) return options.status().WithContext("mqtt subscription " + sub.name);
    auto source = ingest::MqttSource::Create(std::move(options).value(), sink, clock);
    if (!source.ok()) return source.status();
    sources.push_back(std::move(source).value());
  }
  return sources;
}

std::shared_ptr<prometheus::Collectable> MakeMqttCollector(
    std::vector<const ingest::MqttSource*> sources) {
  return std::make_shared<MqttCollector>(std::move(sources));
}

}  // namespace tidemark::server
