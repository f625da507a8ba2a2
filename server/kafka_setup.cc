#include "server/kafka_setup.h"

#include "server/payload_spec.h"

namespace tidemark::server {

bool KafkaEnabled(const config::Config& config) { return !config.ingest.kafka.brokers.empty(); }

base::Result<ingest::KafkaSourceOptions> MakeKafkaSourceOptions(const config::Config& config) {
  const config::KafkaConfig& kafka = config.ingest.kafka;
  ingest::KafkaSourceOptions options;
  options.brokers = kafka.brokers;
  options.group_id = kafka.group_id;
  options.dead_letter_topic = kafka.dead_letter_topic;
  options.backpressure_pause_ms = kafka.backpressure_pause_ms;
  options.properties = kafka.properties;
  for (const config::KafkaTopic& topic : kafka.topics) {
    auto spec = MakePayloadSpec(topic.payload);
    if (!spec.ok()) return spec.status().WithContext("ingest.kafka.topics: " + topic.name);
    options.topics.push_back({topic.name, std::move(spec).value()});
  }
  const config::IngestLimitsConfig& limits = config.ingest.limits;
  // A Kafka record may carry many lines; each line obeys the same limit as an HTTP write.
  options.limits.max_line_bytes = config.ingest.http.max_line_bytes;
  options.limits.max_labels_per_series = static_cast<size_t>(limits.max_labels_per_series);
  options.limits.max_label_name_bytes = limits.max_label_name_bytes;
  options.limits.max_label_value_bytes = limits.max_label_value_bytes;
  return options;
}

}  // namespace tidemark::server
