// End-to-end tests of Kafka ingest: a Kafka cluster from librdkafka's mock-cluster API (a real
// Kafka protocol server, tests/support/kafka_mock_cluster), the real tidemark binary consuming it,
// records produced by a real librdkafka producer, and the result read back through
// /api/v1/export, /api/v1/deadletters, /metrics and the dead-letter topic.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/kafka_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/tidemark_process.h"

namespace tidemark::testing {
namespace {

// A series (its labels as canonical JSON) → its samples, timestamp → value.
using Samples = std::map<std::string, std::map<int64_t, double>>;

// The value of one exposition line ("name{labels} value"); -1 when absent.
double Metric(uint16_t port, const std::string& series) {
  auto reply = Fetch(port, "GET", "/metrics");
  if (!reply || reply->status != 200) return -1;
  const std::string& body = reply->body;
  for (size_t pos = body.find(series + " "); pos != std::string::npos;
       pos = body.find(series + " ", pos + 1)) {
    if (pos == 0 || body[pos - 1] == '\n') return std::atof(body.c_str() + pos + series.size());
  }
  return -1;
}

double TopicMetric(uint16_t port, const std::string& name, const std::string& topic) {
  return Metric(port, name + "{topic=\"" + topic + "\"}");
}

// Every sample the server has for `selector`, through /api/v1/export.
Samples Export(uint16_t port, const std::string& selector) {
  Samples samples;
  std::string escaped;
  for (char c : selector) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      escaped += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", static_cast<unsigned char>(c));
      escaped += hex;
    }
  }
  auto reply = Fetch(port, "GET", "/api/v1/export?match[]=" + escaped);
  if (!reply || reply->status != 200) {
    ADD_FAILURE() << "export failed";
    return samples;
  }
  size_t start = 0;
  while (start < reply->body.size()) {
    size_t end = reply->body.find('\n', start);
    if (end == std::string::npos) end = reply->body.size();
    const auto line = nlohmann::json::parse(reply->body.substr(start, end - start));
    start = end + 1;
    auto& series = samples[line["metric"].dump()];
    for (size_t i = 0; i < line["values"].size(); ++i) {
      series[line["timestamps"][i].get<int64_t>()] = line["values"][i].get<double>();
    }
  }
  return samples;
}

std::string SeriesKey(const std::map<std::string, std::string>& labels) {
  return nlohmann::json(labels).dump();
}

class KafkaE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(TidemarkBinary()))
        << "TIDEMARK_BINARY not built: " << TidemarkBinary();
    dir_ = MakeTempDir("tidemark_kafka_");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    if (cluster_.process) {
      cluster_.process->Signal(SIGTERM);
      cluster_.process->Wait(10'000);
    }
    std::filesystem::remove_all(dir_);
  }

  void StartCluster(const std::vector<std::string>& topics) {
    auto cluster = StartMockKafkaCluster(topics);
    ASSERT_TRUE(cluster.has_value());
    cluster_ = std::move(*cluster);
  }

  // A config consuming `topics_yaml` (the list under ingest.kafka.topics) as `group`; an empty
  // `topics_yaml` configures no Kafka at all.
  std::string WriteConfig(const std::string& name, const std::string& topics_yaml,
                          const std::string& group = "tidemark-test",
                          const std::string& extra_kafka = "",
                          const std::string& extra_storage = "") {
    std::string text = "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  data_dir: " + dir_ + "/" +
                       name + "\n" + extra_storage +
                       // Only the records under test go into the store (one test sizes the head
                       // for them alone).
                       "self_monitoring:\n  enabled: false\n";
    if (!topics_yaml.empty()) {
      text += "ingest:\n  kafka:\n    brokers: [\"" + cluster_.bootstrap +
              "\"]\n    group_id: " + group + "\n" + extra_kafka + "    topics:\n" + topics_yaml +
              "    properties:\n"
              "      session.timeout.ms: \"6000\"\n"
              "      heartbeat.interval.ms: \"500\"\n"
              "      statistics.interval.ms: \"500\"\n"
              "      auto.commit.interval.ms: \"100\"\n";
    }
    const std::string path = dir_ + "/" + name + ".yaml";
    std::ofstream(path) << text;
    return path;
  }

  uint16_t Start(const std::string& config, std::unique_ptr<Subprocess>* process) {
    return StartTidemark({"--config", config}, process);
  }

  void StopCleanly(Subprocess* process) { EXPECT_TRUE(StopTidemark(process)); }

  std::string dir_;
  MockKafkaCluster cluster_;
};

TEST_F(KafkaE2ETest, EveryFormatExportsExactlyWhatWasProduced) {
  StartCluster({"lp:2", "js:1", "pl:1", "pr:1"});
  const int64_t t0 = (NowMs() - 600'000) / 1000 * 1000;
  std::vector<KafkaRecord> lp, js, pl, pr;
  Samples expected;
  for (int i = 0; i < 5; ++i) {
    const int64_t t = t0 + i * 1000;
    const double temp = 20 + i * 0.5, hum = 40 + i, south = 10 + i * 0.25;
    lp.push_back({"",
                  "env,site=north temperature=" + std::to_string(temp) +
                      ",humidity=" + std::to_string(40 + i) + "i " + std::to_string(t) + "\n" +
                      "env,site=south temperature=" + std::to_string(south) + " " +
                      std::to_string(t) + "\n",
                  i % 2});
    expected[SeriesKey({{"__name__", "env_temperature"}, {"site", "north"}})][t] = temp;
    expected[SeriesKey({{"__name__", "env_humidity"}, {"site", "north"}})][t] = hum;
    expected[SeriesKey({{"__name__", "env_temperature"}, {"site", "south"}})][t] = south;

    js.push_back({"", nlohmann::json{{"room", "r1"}, {"ts", t}, {"temp", 21.0 + i}}.dump()});
    expected[SeriesKey({{"__name__", "room_temp"}, {"room", "r1"}})][t] = 21.0 + i;

    KafkaRecord plain{"", std::to_string(3.5 + i * 0.25)};
    plain.timestamp_ms = t;  // a plain value takes the record's time
    pl.push_back(plain);
    expected[SeriesKey({{"__name__", "boiler_pressure"}, {"site", "west"}})][t] = 3.5 + i * 0.25;

    pr.push_back({"", "meter_kwh_total{meter=\"m1\"} " + std::to_string(100 + i * 10) + " " +
                          std::to_string(t) + "\nmeter_kwh_total{meter=\"m2\"} " +
                          std::to_string(7 * i) + " " + std::to_string(t) + "\n"});
    expected[SeriesKey({{"__name__", "meter_kwh_total"}, {"meter", "m1"}})][t] = 100 + i * 10;
    expected[SeriesKey({{"__name__", "meter_kwh_total"}, {"meter", "m2"}})][t] = 7 * i;
  }
  for (const auto& [topic, records] :
       {std::pair{"lp", &lp}, std::pair{"js", &js}, std::pair{"pl", &pl}, std::pair{"pr", &pr}}) {
    ASSERT_EQ(ProduceRecords(cluster_.bootstrap, topic, *records), "") << topic;
  }
  const std::string config = WriteConfig("data",
                                         "      - {name: lp, format: influx, precision: ms}\n"
                                         "      - name: js\n"
                                         "        format: json\n"
                                         "        json:\n"
                                         "          values: [{path: temp, metric: room_temp}]\n"
                                         "          timestamp: {path: ts, format: ms}\n"
                                         "          labels: [{name: room, path: room}]\n"
                                         "      - name: \"^p[l]$\"\n"
                                         "        format: plain\n"
                                         "        metric: boiler_pressure\n"
                                         "        labels: {site: west}\n"
                                         "      - {name: pr, format: prometheus}\n");
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(config, &server);
  ASSERT_NE(port, 0);
  const std::map<std::string, double> samples_per_topic = {
      {"lp", 15}, {"js", 5}, {"pl", 5}, {"pr", 10}};
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& [topic, n] : samples_per_topic) {
          if (TopicMetric(port, "tidemark_kafka_samples_total", topic) != n) return false;
        }
        return true;
      },
      30'000))
      << server->Output();
  EXPECT_EQ(TopicMetric(port, "tidemark_kafka_records_total", "lp"), 5);
  EXPECT_EQ(TopicMetric(port, "tidemark_kafka_decode_errors_total", "lp"), 0);
  EXPECT_GT(TopicMetric(port, "tidemark_kafka_bytes_total", "pr"), 0);
  EXPECT_EQ(Export(port, "{__name__=~\"env_.*|room_temp|boiler_pressure|meter_kwh_total\"}"),
            expected);
  // Everything was written, so once the statistics come round every partition shows no lag.
  EXPECT_TRUE(WaitFor(
      [&] {
        return Metric(port, "tidemark_kafka_consumer_lag{partition=\"1\",topic=\"lp\"}") == 0 &&
               Metric(port, "tidemark_kafka_consumer_lag{partition=\"0\",topic=\"pr\"}") == 0;
      },
      10'000));
  StopCleanly(server.get());
}

TEST_F(KafkaE2ETest, MalformedRecordsGoToDeadLettersAndTheDeadLetterTopic) {
  StartCluster({"meters:1", "meters.dlq:1"});
  const int64_t t = (NowMs() - 60'000) / 1000 * 1000;
  const std::string ts = " " + std::to_string(t);
  const std::vector<KafkaRecord> records = {
      {"dev-1", "power,dev=1 watts=10" + ts + "\n"},
      {"dev-2", "power,dev=2 watts=20" + ts + "\npower,dev=2 watts=oops" + ts + "\n"},
      {"dev-3", "complete garbage"},
      {"dev-4", "power,dev=4 watts=40" + ts + "\n"},
  };
  ASSERT_EQ(ProduceRecords(cluster_.bootstrap, "meters", records), "");
  const std::string config =
      WriteConfig("data", "      - {name: meters, format: influx, precision: ms}\n",
                  "tidemark-test", "    dead_letter_topic: meters.dlq\n");
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(config, &server);
  ASSERT_NE(port, 0);
  ASSERT_TRUE(WaitFor(
      [&] { return TopicMetric(port, "tidemark_kafka_records_total", "meters") == 4; }, 30'000))
      << server->Output();
  EXPECT_EQ(TopicMetric(port, "tidemark_kafka_samples_total", "meters"), 3);
  EXPECT_EQ(TopicMetric(port, "tidemark_kafka_decode_errors_total", "meters"), 2);
  EXPECT_EQ(TopicMetric(port, "tidemark_kafka_dead_letter_records_total", "meters"), 2);
  const Samples expected = {{SeriesKey({{"__name__", "power_watts"}, {"dev", "1"}}), {{t, 10}}},
                            {SeriesKey({{"__name__", "power_watts"}, {"dev", "2"}}), {{t, 20}}},
                            {SeriesKey({{"__name__", "power_watts"}, {"dev", "4"}}), {{t, 40}}}};
  EXPECT_EQ(Export(port, "power_watts"), expected);

  auto letters = Fetch(port, "GET", "/api/v1/deadletters?source=kafka");
  ASSERT_TRUE(letters.has_value());
  const auto body = nlohmann::json::parse(letters->body);
  ASSERT_EQ(body["data"].size(), 2u) << letters->body;
  std::set<std::string> raw;
  for (const auto& letter : body["data"]) {
    EXPECT_EQ(letter["origin"], "meters");
    raw.insert(letter["raw"].get<std::string>());
  }
  EXPECT_EQ(raw, (std::set<std::string>{"power,dev=2 watts=oops" + ts, "complete garbage"}));

  const std::vector<KafkaRecord> dead = ReadTopic(cluster_.bootstrap, "meters.dlq", 1, 2, 15'000);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].key, "dev-2");
  EXPECT_EQ(dead[0].value, records[1].value);  // the whole record, unchanged
  EXPECT_EQ(dead[0].headers.at("tidemark-source-topic"), "meters");
  EXPECT_EQ(dead[0].headers.at("tidemark-source-partition"), "0");
  EXPECT_EQ(dead[0].headers.at("tidemark-source-offset"), "1");
  EXPECT_EQ(dead[0].headers.at("tidemark-reason"), "invalid_field_value");
  EXPECT_EQ(dead[1].key, "dev-3");
  EXPECT_EQ(dead[1].value, "complete garbage");
  EXPECT_EQ(dead[1].headers.at("tidemark-source-offset"), "2");
  EXPECT_FALSE(dead[1].headers.at("tidemark-reason").empty());
  StopCleanly(server.get());
}

// One record per (partition, index): line protocol whose series names the record, so every
// record's sample can be found in the stores afterwards.
std::vector<KafkaRecord> NumberedRecords(int first, int count, int partitions, int64_t t) {
  std::vector<KafkaRecord> records;
  for (int k = first; k < first + count; ++k) {
    records.push_back({"",
                       "job,rec=" + std::to_string(k) + " done=" + std::to_string(k) + " " +
                           std::to_string(t + k) + "\n",
                       k % partitions});
  }
  return records;
}

TEST_F(KafkaE2ETest, TwoInstancesShareTheGroupAndStoreEveryRecordExactlyOnce) {
  constexpr int kPartitions = 6;
  StartCluster({"jobs:" + std::to_string(kPartitions)});
  const int64_t t = (NowMs() - 60'000) / 1000 * 1000;
  const std::string topics = "      - {name: jobs, format: influx, precision: ms}\n";
  std::unique_ptr<Subprocess> a, b;
  const uint16_t port_a = Start(WriteConfig("a", topics, "shared"), &a);
  ASSERT_NE(port_a, 0);
  ASSERT_EQ(ProduceRecords(cluster_.bootstrap, "jobs", NumberedRecords(0, 60, kPartitions, t)), "");
  ASSERT_TRUE(WaitFor(
      [&] { return TopicMetric(port_a, "tidemark_kafka_records_total", "jobs") == 60; }, 30'000))
      << a->Output();

  // librdkafka's mock cluster refuses every offset commit while a rebalance is under way (a real
  // broker accepts the current generation's commit in onPartitionsRevoked), so A's commit on
  // revoke cannot land there: wait for its auto-commit before B joins, or B re-reads a partition.
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto committed = CommittedOffsets(cluster_.bootstrap, "shared", "jobs", kPartitions);
        if (committed.size() != kPartitions) return false;
        for (const auto& [partition, offset] : committed) {
          if (offset != 60 / kPartitions) return false;
        }
        return true;
      },
      30'000))
      << a->Output();

  // B joins: the group rebalances and B starts at A's committed offsets.
  const uint16_t port_b = Start(WriteConfig("b", topics, "shared"), &b);
  ASSERT_NE(port_b, 0);
  auto lag_series = [](uint16_t port) {
    int n = 0;
    for (int p = 0; p < kPartitions; ++p) {
      if (Metric(port, "tidemark_kafka_consumer_lag{partition=\"" + std::to_string(p) +
                           "\",topic=\"jobs\"}") >= 0) {
        ++n;
      }
    }
    return n;
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        return lag_series(port_b) > 0 && lag_series(port_a) + lag_series(port_b) == kPartitions;
      },
      40'000))
      << a->Output() << b->Output();
  EXPECT_GE(Metric(port_a, "tidemark_kafka_rebalances_total"), 2);

  ASSERT_EQ(ProduceRecords(cluster_.bootstrap, "jobs", NumberedRecords(60, 60, kPartitions, t)),
            "");
  auto records = [&](uint16_t port) {
    return std::max(0.0, TopicMetric(port, "tidemark_kafka_records_total", "jobs"));
  };
  ASSERT_TRUE(WaitFor([&] { return records(port_a) + records(port_b) >= 120; }, 30'000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // room for any replay to show
  EXPECT_EQ(records(port_a) + records(port_b), 120);
  EXPECT_GT(records(port_b), 0);

  // Every record is in exactly one of the two stores.
  std::map<int, int> stored;
  for (uint16_t port : {port_a, port_b}) {
    for (const auto& [series, samples] : Export(port, "job_done")) {
      const int k = std::stoi(nlohmann::json::parse(series)["rec"].get<std::string>());
      ASSERT_EQ(samples.size(), 1u);
      EXPECT_EQ(samples.begin()->first, t + k);
      EXPECT_EQ(samples.begin()->second, k);
      ++stored[k];
    }
  }
  ASSERT_EQ(stored.size(), 120u);
  for (const auto& [k, times] : stored) EXPECT_EQ(times, 1) << "record " << k;
  StopCleanly(b.get());
  StopCleanly(a.get());
}

TEST_F(KafkaE2ETest, KillNineDuringIngestKeepsEveryCommittedRecord) {
  constexpr int kPartitions = 3, kRecords = 150, kLines = 400;
  StartCluster({"crash:" + std::to_string(kPartitions)});
  const int64_t t = (NowMs() - 3'600'000) / 1000 * 1000;
  std::vector<KafkaRecord> produced;
  for (int k = 0; k < kRecords; ++k) {
    std::string value;
    for (int j = 0; j < kLines; ++j) {
      value += "crash,rec=" + std::to_string(k) + " v=" + std::to_string(k * 1000 + j) + " " +
               std::to_string(t + j * 1000) + "\n";
    }
    produced.push_back({"", std::move(value), k % kPartitions});
  }
  const std::string topics = "      - {name: crash, format: influx, precision: ms}\n";
  const std::string with_kafka = WriteConfig("data", topics, "crash-group");
  std::unique_ptr<Subprocess> server;
  uint16_t port = Start(with_kafka, &server);
  ASSERT_NE(port, 0);
  // A first third, written and committed...
  const std::vector<KafkaRecord> first(produced.begin(), produced.begin() + kRecords / 3);
  ASSERT_EQ(ProduceRecords(cluster_.bootstrap, "crash", first), "");
  auto committed_total = [&] {
    int64_t total = 0;
    for (const auto& [p, offset] :
         CommittedOffsets(cluster_.bootstrap, "crash-group", "crash", kPartitions)) {
      total += std::max<int64_t>(0, offset);
    }
    return total;
  };
  ASSERT_TRUE(WaitFor([&] { return committed_total() == kRecords / 3; }, 30'000))
      << server->Output();
  // ... then the rest arrives in bursts, and the server is killed while it ingests them.
  std::thread producer([&] {
    for (int k = kRecords / 3; k < kRecords; k += 10) {
      const std::vector<KafkaRecord> burst(produced.begin() + k, produced.begin() + k + 10);
      EXPECT_EQ(ProduceRecords(cluster_.bootstrap, "crash", burst), "");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const bool midway = WaitFor(
      [&] {
        return TopicMetric(port, "tidemark_kafka_records_total", "crash") >= kRecords * 2 / 3;
      },
      30'000);
  server->Signal(SIGKILL);
  producer.join();
  ASSERT_TRUE(midway);
  ASSERT_TRUE(server->Wait(10'000).has_value());
  // Which record sits at which (partition, offset), as Kafka stored them.
  std::map<std::pair<int32_t, int64_t>, int> record_at;
  for (const KafkaRecord& r :
       ReadTopic(cluster_.bootstrap, "crash", kPartitions, kRecords, 20'000)) {
    record_at[{r.partition, r.offset}] = std::stoi(r.value.substr(r.value.find("rec=") + 4));
  }
  ASSERT_EQ(record_at.size(), static_cast<size_t>(kRecords));

  // What the group committed before the kill must all be in the store, read without Kafka.
  const std::map<int32_t, int64_t> committed =
      CommittedOffsets(cluster_.bootstrap, "crash-group", "crash", kPartitions);
  ASSERT_EQ(committed.size(), static_cast<size_t>(kPartitions));
  std::set<int> must_have;
  for (const auto& [at, k] : record_at) {
    if (at.second < committed.at(at.first)) must_have.insert(k);
  }
  EXPECT_GE(must_have.size(), static_cast<size_t>(kRecords / 3));
  const std::string offline = dir_ + "/offline.yaml";  // the same data, no Kafka
  std::ofstream(offline) << "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  data_dir: " << dir_
                         << "/data\n";
  port = Start(offline, &server);
  ASSERT_NE(port, 0);
  Samples after_crash = Export(port, "crash_v");
  for (int k : must_have) {
    const auto it =
        after_crash.find(SeriesKey({{"__name__", "crash_v"}, {"rec", std::to_string(k)}}));
    ASSERT_NE(it, after_crash.end()) << "committed record " << k << " is missing";
    EXPECT_EQ(it->second.size(), static_cast<size_t>(kLines)) << "record " << k;
  }
  StopCleanly(server.get());

  // Back on Kafka: the rest is replayed from the committed offsets, nothing twice.
  port = Start(with_kafka, &server);
  ASSERT_NE(port, 0);
  const double remaining = kRecords - static_cast<double>(must_have.size());
  ASSERT_TRUE(WaitFor(
      [&] {
        return remaining == 0 ||
               TopicMetric(port, "tidemark_kafka_records_total", "crash") >= remaining;
      },
      30'000));
  const Samples all = Export(port, "crash_v");
  ASSERT_EQ(all.size(), static_cast<size_t>(kRecords));
  for (int k = 0; k < kRecords; ++k) {
    const auto& samples = all.at(SeriesKey({{"__name__", "crash_v"}, {"rec", std::to_string(k)}}));
    ASSERT_EQ(samples.size(), static_cast<size_t>(kLines)) << "record " << k;
    EXPECT_EQ(samples.begin()->second, k * 1000);
    EXPECT_EQ(samples.rbegin()->second, k * 1000 + kLines - 1);
  }
  std::printf("kill -9 after %zu of %d records committed\n", must_have.size(), kRecords);
  StopCleanly(server.get());
}

TEST_F(KafkaE2ETest, FullStorePausesPartitionsAndLosesNothing) {
  constexpr int kRecords = 40, kLines = 500;
  StartCluster({"burst:2"});
  // Three days old, so that sealing (which frees the head) takes it at once.
  const int64_t t = (NowMs() - 3 * 86'400'000) / 1000 * 1000;
  std::vector<KafkaRecord> records;
  for (int k = 0; k < kRecords; ++k) {
    std::string value;
    for (int j = 0; j < kLines; ++j) {
      value += "burst,rec=" + std::to_string(k) + " v=" + std::to_string(j) + " " +
               std::to_string(t + j * 1000) + "\n";
    }
    records.push_back({"", std::move(value), k % 2});
  }
  const std::string config =
      WriteConfig("data", "      - {name: burst, format: influx, precision: ms}\n", "burst-group",
                  "    backpressure_pause: 200ms\n", "  head_memory_limit: 1KiB\n");
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(config, &server);
  ASSERT_NE(port, 0);
  // Bursts, each one append: after the first the head is over its limit until sealed.
  for (int k = 0; k < kRecords; k += 5) {
    const std::vector<KafkaRecord> burst(records.begin() + k, records.begin() + k + 5);
    ASSERT_EQ(ProduceRecords(cluster_.bootstrap, "burst", burst), "");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (k == 0) {
      ASSERT_TRUE(WaitFor(
          [&] { return TopicMetric(port, "tidemark_kafka_samples_total", "burst") == 5 * kLines; },
          30'000));
    }
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        return TopicMetric(port, "tidemark_kafka_samples_total", "burst") == kRecords * kLines;
      },
      60'000))
      << server->Output();
  EXPECT_GT(Metric(port, "tidemark_kafka_backpressure_pauses_total"), 0)
      << "head bytes: " << Metric(port, "tidemark_storage_head_memory_bytes");
  EXPECT_GT(Metric(port, "tidemark_storage_appends_refused_total"), 0);
  EXPECT_EQ(Metric(port, "tidemark_kafka_paused_partitions"), 0);
  const Samples stored = Export(port, "burst_v");
  ASSERT_EQ(stored.size(), static_cast<size_t>(kRecords));
  for (const auto& [series, samples] : stored) EXPECT_EQ(samples.size(), kLines) << series;
  StopCleanly(server.get());
}

TEST_F(KafkaE2ETest, StopsPromptlyWhenTheBrokersAreGone) {
  StartCluster({"gone:1"});
  const int64_t t = (NowMs() - 60'000) / 1000 * 1000;
  ASSERT_EQ(ProduceRecords(cluster_.bootstrap, "gone", {{"", "up v=1 " + std::to_string(t)}}), "");
  std::unique_ptr<Subprocess> server;
  const uint16_t port =
      Start(WriteConfig("data", "      - {name: gone, format: influx, precision: ms}\n"), &server);
  ASSERT_NE(port, 0);
  ASSERT_TRUE(WaitFor(
      [&] { return TopicMetric(port, "tidemark_kafka_samples_total", "gone") == 1; }, 30'000));
  cluster_.process->Signal(SIGKILL);
  cluster_.process->Wait(10'000);
  cluster_.process.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  StopCleanly(server.get());  // no commit or group leave can complete: both are bounded
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST_F(KafkaE2ETest, AnUnknownLibrdkafkaPropertyStopsStartupWithOneLine) {
  const std::string config = dir_ + "/bad.yaml";
  std::ofstream(config) << "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  data_dir: " << dir_
                        << "/data\ningest:\n  kafka:\n    brokers: [\"127.0.0.1:1\"]\n"
                        << "    topics: [{name: t}]\n"
                        << "    properties: {sasl.mechanisms: PLAIN, securty.protocol: SASL_SSL}\n";
  auto run = RunToExit({TidemarkBinary(), "--config", config});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("ingest.kafka.properties: securty.protocol"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("Sanitizer"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace tidemark::testing
