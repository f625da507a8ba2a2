// kafka_produce: loads a line-protocol file into a Kafka topic as records of N lines each, for
// benchmarks (kcat would make one record per line). Lines go to a partition chosen by their series
// key (the text before the first space), as a device-keyed IoT pipeline does, so each series
// stays in time order.
//
//   kafka_produce BOOTSTRAP TOPIC FILE LINES_PER_RECORD PARTITIONS [librdkafka key=value ...]
//
// Prints "records=R lines=L bytes=B seconds=S" once every record is delivered; exit 1 on any
// delivery failure.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "kafka_produce: %s\n", message.c_str());
  return 1;
}

void OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) ++*static_cast<uint64_t*>(opaque);
}

bool Produce(rd_kafka_t* producer, const char* topic, int32_t partition, const std::string& value) {
  for (;;) {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      std::fprintf(stderr, "kafka_produce: %s\n", rd_kafka_err2str(err));
      return false;
    }
    rd_kafka_poll(producer, 10);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    return Fail("usage: BOOTSTRAP TOPIC FILE LINES_PER_RECORD PARTITIONS [key=value ...]");
  }
  const char* topic = argv[2];
  const long lines_per_record = std::atol(argv[4]);
  const int partitions = std::atoi(argv[5]);
  if (lines_per_record <= 0 || partitions <= 0) return Fail("counts must be positive");
  std::ifstream in(argv[3]);
  if (!in) return Fail(std::string("cannot read ") + argv[3]);

  uint64_t failed = 0;
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_conf_set_opaque(conf, &failed);
  rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], error, sizeof(error));
  rd_kafka_conf_set(conf, "linger.ms", "20", error, sizeof(error));
  for (int i = 6; i < argc; ++i) {
    const std::string setting = argv[i];
    const size_t eq = setting.find('=');
    if (eq == std::string::npos) return Fail("expected key=value: " + setting);
    if (rd_kafka_conf_set(conf, setting.substr(0, eq).c_str(), setting.substr(eq + 1).c_str(),
                          error, sizeof(error)) != RD_KAFKA_CONF_OK) {
      return Fail(error);
    }
  }
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (producer == nullptr) return Fail(error);

  const auto start = std::chrono::steady_clock::now();
  uint64_t records = 0, lines = 0, bytes = 0;
  std::vector<std::string> values(partitions);
  std::vector<long> in_record(partitions, 0);
  auto send = [&](int32_t p) {
    if (!Produce(producer, topic, p, values[p])) return false;
    bytes += values[p].size();
    ++records;
    values[p].clear();
    in_record[p] = 0;
    return true;
  };
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view series(line.data(), std::min(line.find(' '), line.size()));
    const int32_t p = static_cast<int32_t>(std::hash<std::string_view>{}(series) % partitions);
    values[p] += line;
    values[p] += '\n';
    ++lines;
    if (++in_record[p] == lines_per_record && !send(p)) return 1;
  }
  for (int32_t p = 0; p < partitions; ++p) {
    if (!values[p].empty() && !send(p)) return 1;
  }
  if (rd_kafka_flush(producer, 120'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Fail("flush timed out");
  rd_kafka_destroy(producer);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("records=%llu lines=%llu bytes=%llu seconds=%.3f\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(lines),
              static_cast<unsigned long long>(bytes), seconds);
  if (failed > 0) return Fail(std::to_string(failed) + " deliveries failed");
  return 0;
}
