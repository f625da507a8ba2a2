#include "server/ingest/kafka_metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "web/metric_family.h"

namespace tidemark::server::ingest {

void KafkaMetrics::AddTopic(const std::string& topic, const KafkaTopicCounts& delta) {
  std::lock_guard lock(mu_);
  KafkaTopicCounts& counts = topics_[topic];
  counts.records += delta.records;
  counts.samples += delta.samples;
  counts.bytes += delta.bytes;
  counts.decode_errors += delta.decode_errors;
  counts.dead_letter_records += delta.dead_letter_records;
}

void KafkaMetrics::SetLag(std::map<TopicPartition, int64_t> lag) {
  std::lock_guard lock(mu_);
  lag_ = std::move(lag);
}

void KafkaMetrics::SetPausedPartitions(size_t paused) {
  std::lock_guard lock(mu_);
  paused_ = paused;
}

void KafkaMetrics::CountRebalance() {
  std::lock_guard lock(mu_);
  ++rebalances_;
}

void KafkaMetrics::CountBackpressurePause() {
  std::lock_guard lock(mu_);
  ++backpressure_pauses_;
}

std::map<std::string, KafkaTopicCounts> KafkaMetrics::topics() const {
  std::lock_guard lock(mu_);
  return topics_;
}

std::map<TopicPartition, int64_t> KafkaMetrics::lag() const {
  std::lock_guard lock(mu_);
  return lag_;
}

size_t KafkaMetrics::paused_partitions() const {
  std::lock_guard lock(mu_);
  return paused_;
}

uint64_t KafkaMetrics::rebalances() const {
  std::lock_guard lock(mu_);
  return rebalances_;
}

uint64_t KafkaMetrics::backpressure_pauses() const {
  std::lock_guard lock(mu_);
  return backpressure_pauses_;
}

namespace {

// librdkafka reports offsets it does not know as negative logical offsets (-1001 and the like).
int64_t Offset(const nlohmann::json& partition, const char* key) {
  auto it = partition.find(key);
  if (it == partition.end() || !it->is_number_integer()) return -1;
  return it->get<int64_t>();
}

// The first offset the group has not yet written: stored, else committed, else the log start.
int64_t Progress(const nlohmann::json& partition) {
  for (const char* key : {"stored_offset", "committed_offset", "lo_offset"}) {
    if (int64_t offset = Offset(partition, key); offset >= 0) return offset;
  }
  return -1;
}

}  // namespace

std::map<TopicPartition, int64_t> ConsumerLagFromStatistics(
    std::string_view json, const std::set<TopicPartition>& assigned) {
  std::map<TopicPartition, int64_t> lag;
  const nlohmann::json stats = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!stats.is_object() || !stats.contains("topics") || !stats["topics"].is_object()) return lag;
  for (const auto& [topic, body] : stats["topics"].items()) {
    if (!body.is_object() || !body.contains("partitions")) continue;
    for (const auto& [id, partition] : body["partitions"].items()) {
      char* end = nullptr;
      const long number = std::strtol(id.c_str(), &end, 10);
      if (end == id.c_str() || *end != '\0' || number < 0) continue;
      TopicPartition key{topic, static_cast<int32_t>(number)};
      if (!assigned.contains(key) || !partition.is_object()) continue;
      const int64_t high = Offset(partition, "hi_offset");
      const int64_t progress = Progress(partition);
      if (high < 0 || progress < 0) continue;
      lag[key] = std::max<int64_t>(0, high - progress);
    }
  }
  return lag;
}

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using web::AddSample;
using web::NewFamily;

class KafkaCollector final : public prometheus::Collectable {
 public:
  explicit KafkaCollector(std::shared_ptr<KafkaMetrics> metrics) : metrics_(std::move(metrics)) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out = TopicFamilies();
    MetricFamily lag = NewFamily("tidemark_kafka_consumer_lag",
                                 "Records in an assigned partition not yet written to the store "
                                 "(high watermark minus stored offset).",
                                 MetricType::Gauge);
    for (const auto& [key, value] : metrics_->lag()) {
      AddSample(&lag, static_cast<double>(value),
                {{"partition", std::to_string(key.second)}, {"topic", key.first}});
    }
    out.push_back(std::move(lag));
    MetricFamily paused =
        NewFamily("tidemark_kafka_paused_partitions",
                  "Partitions paused because the store pushed back.", MetricType::Gauge);
    AddSample(&paused, static_cast<double>(metrics_->paused_partitions()));
    out.push_back(std::move(paused));
    MetricFamily pauses = NewFamily("tidemark_kafka_backpressure_pauses_total",
                                    "Times partitions were paused because the store pushed back.",
                                    MetricType::Counter);
    AddSample(&pauses, static_cast<double>(metrics_->backpressure_pauses()));
    out.push_back(std::move(pauses));
    MetricFamily rebalances =
        NewFamily("tidemark_kafka_rebalances_total",
                  "Consumer group rebalances (assignments and revocations).", MetricType::Counter);
    AddSample(&rebalances, static_cast<double>(metrics_->rebalances()));
    out.push_back(std::move(rebalances));
    return out;
  }

 private:
  std::vector<MetricFamily> TopicFamilies() const {
    const auto C = MetricType::Counter;
    MetricFamily records = NewFamily("tidemark_kafka_records_total", "Kafka records consumed.", C);
    MetricFamily samples =
        NewFamily("tidemark_kafka_samples_total", "Samples from Kafka stored.", C);
    MetricFamily bytes = NewFamily("tidemark_kafka_bytes_total", "Kafka record value bytes.", C);
    MetricFamily errors =
        NewFamily("tidemark_kafka_decode_errors_total",
                  "Lines or records of Kafka payloads that could not be decoded.", C);
    MetricFamily letters = NewFamily("tidemark_kafka_dead_letter_records_total",
                                     "Records produced to the dead-letter topic.", C);
    for (const auto& [topic, counts] : metrics_->topics()) {
      const std::vector<ClientMetric::Label> labels = {{"topic", topic}};
      AddSample(&records, static_cast<double>(counts.records), labels);
      AddSample(&samples, static_cast<double>(counts.samples), labels);
      AddSample(&bytes, static_cast<double>(counts.bytes), labels);
      AddSample(&errors, static_cast<double>(counts.decode_errors), labels);
      AddSample(&letters, static_cast<double>(counts.dead_letter_records), labels);
    }
    return {std::move(records), std::move(samples), std::move(bytes), std::move(errors),
            std::move(letters)};
  }

  std::shared_ptr<KafkaMetrics> metrics_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> MakeKafkaCollector(std::shared_ptr<KafkaMetrics> metrics) {
  return std::make_shared<KafkaCollector>(std::move(metrics));
}

}  // namespace tidemark::server::ingest
