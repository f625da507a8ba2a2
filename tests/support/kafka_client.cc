#include "tests/support/kafka_client.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>

namespace tidemark::testing {
namespace {

rd_kafka_t* NewClient(rd_kafka_type_t type, const std::map<std::string, std::string>& properties,
                      rd_kafka_conf_t* conf = nullptr) {
  if (conf == nullptr) conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "kafka test client: %s\n", error);
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_t* client = rd_kafka_new(type, conf, error, sizeof(error));
  if (client == nullptr) {
    std::fprintf(stderr, "kafka test client: %s\n", error);
    rd_kafka_conf_destroy(conf);
  }
  return client;
}

void CountFailure(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    auto* error = static_cast<std::string*>(opaque);
    if (error->empty()) *error = rd_kafka_err2str(message->err);
  }
}

KafkaRecord ToRecord(const rd_kafka_message_t& message) {
  KafkaRecord record;
  if (message.key != nullptr)
    record.key.assign(static_cast<const char*>(message.key), message.key_len);
  record.value.assign(static_cast<const char*>(message.payload), message.len);
  record.partition = message.partition;
  record.offset = message.offset;
  record.timestamp_ms = rd_kafka_message_timestamp(&message, nullptr);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers[name] = std::string(static_cast<const char*>(value), size);
    }
  }
  return record;
}

}  // namespace

std::optional<MockKafkaCluster> StartMockKafkaCluster(const std::vector<std::string>& topics) {
  const char* binary = std::getenv("TIDEMARK_KAFKA_MOCK_CLUSTER");
  if (binary == nullptr || !std::filesystem::exists(binary)) {
    std::fprintf(stderr, "TIDEMARK_KAFKA_MOCK_CLUSTER is not a built binary\n");
    return std::nullopt;
  }
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), topics.begin(), topics.end());
  MockKafkaCluster cluster;
  cluster.process = Subprocess::Start(argv);
  if (!cluster.process) return std::nullopt;
  static const std::regex kBootstrap(R"(bootstrap=(\S+))");
  auto line = cluster.process->WaitForLine(kBootstrap, 10'000);
  if (!line) {
    std::fprintf(stderr, "mock cluster did not start:\n%s\n", cluster.process->Output().c_str());
    return std::nullopt;
  }
  std::smatch match;
  std::regex_search(*line, match, kBootstrap);
  cluster.bootstrap = match[1];
  return cluster;
}

std::string ProduceRecords(const std::string& bootstrap, const std::string& topic,
                           const std::vector<KafkaRecord>& records) {
  std::string error;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_dr_msg_cb(conf, CountFailure);
  rd_kafka_conf_set_opaque(conf, &error);
  rd_kafka_t* producer =
      NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}}, conf);
  if (producer == nullptr) return "cannot create producer";
  for (const KafkaRecord& record : records) {
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_PARTITION(record.partition < 0 ? RD_KAFKA_PARTITION_UA : record.partition),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_KEY(record.key.empty() ? nullptr : record.key.data(), record.key.size()),
          RD_KAFKA_V_TIMESTAMP(record.timestamp_ms), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer, 50);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && error.empty()) error = rd_kafka_err2str(err);
  }
  if (rd_kafka_flush(producer, 30'000) != RD_KAFKA_RESP_ERR_NO_ERROR && error.empty()) {
    error = "produce: flush timed out";
  }
  rd_kafka_destroy(producer);
  return error;
}

std::vector<KafkaRecord> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                   int partitions, size_t count, int timeout_ms) {
  std::vector<KafkaRecord> records;
  rd_kafka_t* consumer = NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                       {"group.id", "tidemark-test-reader"},
                                                       {"enable.auto.commit", "false"}});
  if (consumer == nullptr) return records;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(consumer, list);
  rd_kafka_topic_partition_list_destroy(list);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (records.size() < count && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) records.push_back(ToRecord(*message));
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return records;
}

std::map<int32_t, int64_t> CommittedOffsets(const std::string& bootstrap, const std::string& group,
                                            const std::string& topic, int partitions) {
  std::map<int32_t, int64_t> offsets;
  rd_kafka_t* consumer =
      NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap}, {"group.id", group}});
  if (consumer == nullptr) return offsets;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  if (rd_kafka_committed(consumer, list, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) offsets[list->elems[i].partition] = list->elems[i].offset;
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(consumer);
  return offsets;
}

}  // namespace tidemark::testing
