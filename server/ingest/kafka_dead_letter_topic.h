// KafkaDeadLetterTopic: produces rejected Kafka records, unchanged (value and key), to the
// configured dead-letter topic, with headers saying why and where they came from:
// tidemark-reason, tidemark-error, tidemark-source-topic, tidemark-source-partition,
// tidemark-source-offset.
//
// Delivery is confirmed before the source stores the offsets of the records (Flush), so the
// dead-letter topic gets every rejected record at least once. Not thread-safe: the Kafka poll
// thread owns it.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>

#include "server/ingest/kafka_options.h"
#include "storage/base/status.h"

namespace tidemark::server::ingest {

class KafkaDeadLetterTopic {
 public:
  static base::Result<std::unique_ptr<KafkaDeadLetterTopic>> Open(
      const KafkaSourceOptions& options);
  ~KafkaDeadLetterTopic();
  KafkaDeadLetterTopic(const KafkaDeadLetterTopic&) = delete;
  KafkaDeadLetterTopic& operator=(const KafkaDeadLetterTopic&) = delete;

  // Queues `record` with the reason; fails when librdkafka refuses it even after waiting for
  // room in its queue.
  base::Status Produce(const rd_kafka_message_t& record, const std::string& reason,
                       const std::string& error);
  // Waits until everything queued is delivered; fails on a timeout or a failed delivery since the
  // last Flush.
  base::Status Flush(int timeout_ms);
  // Serves delivery reports without waiting.
  void Poll();

 private:
  KafkaDeadLetterTopic(rd_kafka_t* producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

  rd_kafka_t* producer_;
  std::string topic_;
  uint64_t failed_ = 0;  // deliveries that failed since the last Flush
  std::string last_error_;
};

}  // namespace tidemark::server::ingest
