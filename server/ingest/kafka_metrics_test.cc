#include "server/ingest/kafka_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace tidemark::server::ingest {
namespace {

// The shape librdkafka's statistics callback emits (STATISTICS.md), cut to the fields we read.
constexpr std::string_view kStatistics = R"({
  "name": "tidemark#consumer-1", "type": "consumer",
  "topics": {
    "telemetry": {"topic": "telemetry", "partitions": {
      "0": {"partition": 0, "hi_offset": 120, "lo_offset": 0, "stored_offset": 100,
            "committed_offset": 90, "consumer_lag": 30},
      "1": {"partition": 1, "hi_offset": 50, "lo_offset": 5, "stored_offset": -1001,
            "committed_offset": 20, "consumer_lag": 30},
      "2": {"partition": 2, "hi_offset": 80, "lo_offset": 10, "stored_offset": -1001,
            "committed_offset": -1001, "consumer_lag": -1},
      "3": {"partition": 3, "hi_offset": -1001, "lo_offset": -1001, "stored_offset": -1001,
            "committed_offset": -1001, "consumer_lag": -1},
      "4": {"partition": 4, "hi_offset": 999, "stored_offset": 0},
      "-1": {"partition": -1, "hi_offset": -1}
    }}
  }
})";

TEST(KafkaLag, PrefersStoredThenCommittedThenLogStart) {
  const std::set<TopicPartition> assigned = {
      {"telemetry", 0}, {"telemetry", 1}, {"telemetry", 2}, {"telemetry", 3}};
  const auto lag = ConsumerLagFromStatistics(kStatistics, assigned);
  const std::map<TopicPartition, int64_t> expected = {
      {{"telemetry", 0}, 20}, {{"telemetry", 1}, 30}, {{"telemetry", 2}, 70}};
  EXPECT_EQ(lag, expected);  // 3: no watermark yet; 4: not assigned to us
}

TEST(KafkaLag, MalformedStatisticsGiveNothing) {
  const std::set<TopicPartition> assigned = {{"telemetry", 0}};
  EXPECT_TRUE(ConsumerLagFromStatistics("{not json", assigned).empty());
  EXPECT_TRUE(ConsumerLagFromStatistics(R"({"topics": []})", assigned).empty());
  EXPECT_TRUE(
      ConsumerLagFromStatistics(R"({"topics": {"telemetry": {"partitions": {"0": 5}}}})", assigned)
          .empty());
}

TEST(KafkaCollector, ExposesTheNamesDashboardsUse) {
  auto metrics = std::make_shared<KafkaMetrics>();
  metrics->AddTopic("telemetry", {3, 300, 4096, 1, 1});
  metrics->AddTopic("telemetry", {2, 200, 1024, 0, 0});
  metrics->SetLag({{{"telemetry", 2}, 17}});
  metrics->SetPausedPartitions(1);
  metrics->CountRebalance();
  auto collector = MakeKafkaCollector(metrics);
  metrics.reset();  // the collector keeps what it reads alive
  const std::string text = prometheus::TextSerializer().Serialize(collector->Collect());
  for (const char* expected : {
           "tidemark_kafka_records_total{topic=\"telemetry\"} 5",
           "tidemark_kafka_samples_total{topic=\"telemetry\"} 500",
           "tidemark_kafka_bytes_total{topic=\"telemetry\"} 5120",
           "tidemark_kafka_decode_errors_total{topic=\"telemetry\"} 1",
           "tidemark_kafka_dead_letter_records_total{topic=\"telemetry\"} 1",
           "tidemark_kafka_consumer_lag{partition=\"2\",topic=\"telemetry\"} 17",
           "tidemark_kafka_paused_partitions 1",
           "tidemark_kafka_rebalances_total 1",
           "tidemark_kafka_backpressure_pauses_total 0",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

}  // namespace
}  // namespace tidemark::server::ingest
