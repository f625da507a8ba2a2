// KafkaMetrics: what the Kafka source counts, exposed on /metrics — records, samples, bytes and
// decode errors per topic, consumer lag per assigned topic/partition (the first number a Kafka
// operator looks at), paused partitions, rebalances, dead-letter records produced.
//
// The poll thread updates it; the HTTP scrape reads it through MakeKafkaCollector. The collector
// shares ownership, so it stays valid after the source is stopped. Thread-safe (one mutex).
#pragma once

#include <prometheus/collectable.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace tidemark::server::ingest {

using TopicPartition = std::pair<std::string, int32_t>;

// Per-topic throughput counters.
struct KafkaTopicCounts {
  uint64_t records = 0;
  uint64_t samples = 0;  // samples the store accepted
  uint64_t bytes = 0;    // record value bytes
  uint64_t decode_errors = 0;
  uint64_t dead_letter_records = 0;  // records produced to the dead-letter topic
};

class KafkaMetrics {
 public:
  void AddTopic(const std::string& topic, const KafkaTopicCounts& delta);
  // Replaces the lag of every assigned partition (partitions no longer assigned disappear).
  void SetLag(std::map<TopicPartition, int64_t> lag);
  void SetPausedPartitions(size_t paused);
  void CountRebalance();
  void CountBackpressurePause();

  std::map<std::string, KafkaTopicCounts> topics() const;
  std::map<TopicPartition, int64_t> lag() const;
  size_t paused_partitions() const;
  uint64_t rebalances() const;
  uint64_t backpressure_pauses() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, KafkaTopicCounts> topics_;
  std::map<TopicPartition, int64_t> lag_;
  size_t paused_ = 0;
  uint64_t rebalances_ = 0;
  uint64_t backpressure_pauses_ = 0;
};

// The lag of each `assigned` partition from a librdkafka statistics JSON document
// (`statistics.interval.ms`): high watermark minus the offset the source has stored (what it has
// written), else the group's committed offset, else the log start. Partitions whose high
// watermark is not known yet are left out. Malformed JSON yields an empty map.
std::map<TopicPartition, int64_t> ConsumerLagFromStatistics(
    std::string_view json, const std::set<TopicPartition>& assigned);

std::shared_ptr<prometheus::Collectable> MakeKafkaCollector(std::shared_ptr<KafkaMetrics> metrics);

}  // namespace tidemark::server::ingest
