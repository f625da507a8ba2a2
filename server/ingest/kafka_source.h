// KafkaSource: consumes the configured topics as one member of a Kafka consumer group (librdkafka's
// high-level consumer, one poll thread) and writes every record through the IngestSink.
//
// Delivery: at least once, without loss. The offset of a record is stored (and later committed,
// by auto-commit or on revocation/shutdown) only after Storage::Append accepted its samples; a
// replay after a crash rewrites identical (series, timestamp) samples, which the store
// deduplicates. When the store pushes back (ResourceExhausted) or fails, the partitions of the
// failed batch are paused for `backpressure_pause_ms` and rewound to their first unwritten record
// — nothing is dropped and nothing is committed past it. Rebalances commit what was written before
// giving partitions up. Records with decode errors keep their good samples, go to the local dead
// letters and, when configured, unchanged to the dead-letter topic.
//
// Thread-safety: Start, Stop and the destructor from one owning thread; metrics() from any thread.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/ingest/decode.h"
#include "server/ingest/kafka_dead_letter_topic.h"
#include "server/ingest/kafka_metrics.h"
#include "server/ingest/kafka_options.h"
#include "server/ingest/sink.h"
#include "storage/base/clock.h"
#include "storage/base/status.h"

namespace tidemark::server::ingest {

class KafkaSource {
 public:
  // Creates the consumer (and the dead-letter producer), subscribes and starts the poll thread.
  // Fails on a configuration librdkafka rejects; broker trouble is not an error here (the client
  // keeps reconnecting and logs why). `resolver` may be null; `clock` must outlive the source.
  static base::Result<std::unique_ptr<KafkaSource>> Start(KafkaSourceOptions options,
                                                          IngestSink sink, SeriesResolver* resolver,
                                                          const base::Clock* clock);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Finishes the batch in hand, commits what was written, leaves the group. Idempotent; takes at
  // most ~8 s (commit 3 s, leave 5 s) even when the brokers are gone.
  void Stop();

  const std::shared_ptr<KafkaMetrics>& metrics() const { return metrics_; }

 private:
  struct MessageDeleter {
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
  };
  using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

  KafkaSource(KafkaSourceOptions options, IngestSink sink, SeriesResolver* resolver,
              const base::Clock* clock);
  base::Status Open();

  void Run();
  void RunOnce();
  void Shutdown();
  // Polls up to a batch of records into pending_.
  void Collect();
  void Accept(MessagePtr message);
  void ProcessPending();
  // Decodes and writes the records of one topic; stores their offsets once written.
  void ProcessTopic(const std::string& topic, const std::vector<rd_kafka_message_t*>& records);
  base::Status SendDeadLetters(const std::vector<std::pair<rd_kafka_message_t*, Rejected>>& bad);
  void StoreOffsets(const std::vector<rd_kafka_message_t*>& records);
  // Pauses the partitions of `records` and rewinds each to its first record in the list.
  void BackOff(const std::vector<rd_kafka_message_t*>& records, const base::Status& why);
  void ResumeDue();
  void UpdatePausedMetric();

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static int OnStatistics(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
  void Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void Assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
  void Revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative);

  const KafkaSourceOptions options_;
  IngestSink sink_;
  SeriesResolver* resolver_;
  const base::Clock* clock_;
  TopicRouter router_;
  std::shared_ptr<KafkaMetrics> metrics_ = std::make_shared<KafkaMetrics>();

  rd_kafka_t* consumer_ = nullptr;
  std::unique_ptr<KafkaDeadLetterTopic> dead_letter_topic_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool closed_ = false;  // the consumer left its group (set by the poll thread before it ends)

  // Poll-thread state.
  std::vector<MessagePtr> pending_;
  std::set<TopicPartition> assigned_;
  std::map<TopicPartition, int64_t> paused_until_ms_;
  int64_t last_error_log_ms_ = 0;
};

}  // namespace tidemark::server::ingest
