// kafka_mock_cluster: a Kafka cluster of three brokers from librdkafka's mock-cluster API — a real
// Kafka protocol server on 127.0.0.1, in memory — for tests and benchmarks.
//
//   kafka_mock_cluster [--brokers N] [TOPIC:PARTITIONS ...]
//
// Creates the topics, prints "bootstrap=HOST:PORT,..." on stdout and runs until SIGTERM or
// SIGINT. Topics produced to without being created get librdkafka's mock default partitions.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "kafka_mock_cluster: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals before librdkafka starts its threads, so only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  int brokers = 3;
  int first_topic = 1;
  if (argc > 2 && std::strcmp(argv[1], "--brokers") == 0) {
    brokers = std::atoi(argv[2]);
    first_topic = 3;
  }
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (handle == nullptr) return Fail(error);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (cluster == nullptr) return Fail("cannot create the mock cluster");
  for (int i = first_topic; i < argc; ++i) {
    const std::string spec = argv[i];
    const size_t colon = spec.rfind(':');
    if (colon == std::string::npos) return Fail("topic must be NAME:PARTITIONS: " + spec);
    const std::string name = spec.substr(0, colon);
    const int partitions = std::atoi(spec.c_str() + colon + 1);
    if (partitions <= 0) return Fail("bad partition count: " + spec);
    if (rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, /*replication=*/1);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Fail("creating " + name + ": " + rd_kafka_err2str(err));
    }
  }
  std::printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  int received = 0;
  sigwait(&stop, &received);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
