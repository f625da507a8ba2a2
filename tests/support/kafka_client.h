// Kafka test clients: start the mock cluster (tests/support/kafka_mock_cluster, path in
// $TIDEMARK_KAFKA_MOCK_CLUSTER), produce records, read a topic back with headers, and read a
// group's committed offsets — all real Kafka protocol clients (librdkafka) against a real Kafka
// protocol server. Blocking; each call uses its own client, so calls may come from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace tidemark::testing {

struct KafkaRecord {
  std::string key;
  std::string value;
  int32_t partition = -1;    // -1: the partitioner chooses (produce); the source partition (read)
  int64_t offset = -1;       // set when read
  int64_t timestamp_ms = 0;  // 0: the producer's clock (produce); the record's timestamp (read)
  std::map<std::string, std::string> headers;
};

struct MockKafkaCluster {
  std::unique_ptr<Subprocess> process;
  std::string bootstrap;
};

// Starts the mock cluster with topics given as "name:partitions"; nullopt (with the reason on
// stderr) when the binary is missing or does not come up.
std::optional<MockKafkaCluster> StartMockKafkaCluster(const std::vector<std::string>& topics);

// Produces every record and waits for all deliveries; returns "" or the first error.
std::string ProduceRecords(const std::string& bootstrap, const std::string& topic,
                           const std::vector<KafkaRecord>& records);

// Reads `topic` (all `partitions`) from the beginning until `count` records arrived or
// `timeout_ms` passed, without joining a group.
std::vector<KafkaRecord> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                   int partitions, size_t count, int timeout_ms);

// The offsets `group` has committed for partitions 0..partitions-1 of `topic` (negative when
// none); empty on error.
std::map<int32_t, int64_t> CommittedOffsets(const std::string& bootstrap, const std::string& group,
                                            const std::string& topic, int partitions);

}  // namespace tidemark::testing
