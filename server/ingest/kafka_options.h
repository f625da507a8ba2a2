// What the Kafka source needs to run, already mapped from the YAML by server/: brokers, group,
// topics with their payload specs, the dead-letter topic, the back-pressure pause and librdkafka
// properties passed through unchanged. Also the librdkafka configurations built from it and the
// topic → payload spec lookup. Value types and pure functions; TopicRouter is not thread-safe
// (the poll thread owns it).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/ingest/decode.h"
#include "server/ingest/payload.h"
#include "storage/base/status.h"

namespace tidemark::server::ingest {

struct KafkaTopicSpec {
  std::string name;  // a topic name, or a regex (as librdkafka reads it) when it starts with '^'
  PayloadSpec payload;
};

struct KafkaSourceOptions {
  std::vector<std::string> brokers;  // bootstrap brokers, host:port
  std::string group_id = "tidemark";
  std::vector<KafkaTopicSpec> topics;
  std::string dead_letter_topic;  // empty: rejected records only go to the local dead letters
  int64_t backpressure_pause_ms = 1000;
  // librdkafka properties (security.protocol, sasl.*, ssl.*, ...), applied after our defaults so
  // they win — except enable.auto.offset.store, which must stay false for at-least-once.
  std::map<std::string, std::string> properties;
  DecodeLimits limits;
  // One store append covers at most this many records or bytes of one topic.
  size_t max_batch_records = 1000;
  size_t max_batch_bytes = 16 << 20;
};

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// The consumer's configuration: our defaults (group, earliest reset for a new group, statistics
// every 5 s for the lag metric, manual offset store), then the user's properties. Fails on a
// property librdkafka does not accept, naming it.
base::Result<ConfPtr> MakeConsumerConf(const KafkaSourceOptions& options);
// The dead-letter producer's configuration: brokers and the user's properties, so security
// settings apply to it too.
base::Result<ConfPtr> MakeProducerConf(const KafkaSourceOptions& options);

// Finds the spec of a consumed topic: exact names first, then regexes in configuration order.
class TopicRouter {
 public:
  // Fails on a regex std::regex cannot compile.
  static base::Result<TopicRouter> Make(const std::vector<KafkaTopicSpec>& topics);
  // Null when no spec matches. `topics` passed to Make must outlive the router.
  const KafkaTopicSpec* Find(const std::string& topic);

 private:
  std::unordered_map<std::string, const KafkaTopicSpec*> exact_;
  std::vector<std::pair<std::regex, const KafkaTopicSpec*>> patterns_;
  std::unordered_map<std::string, const KafkaTopicSpec*> cache_;
};

}  // namespace tidemark::server::ingest
