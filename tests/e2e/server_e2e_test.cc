// End-to-end tests of the tidemark binary: started as a real process on a free loopback port,
// driven over real sockets, stopped with SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/tidemark_process.h"

namespace tidemark::testing {
namespace {

// Lines logged at error level; a failure must be exactly one, with no crash report beside it.
int ErrorLines(const std::string& text) {
  if (text.find("Sanitizer") != std::string::npos || text.find("terminate") != std::string::npos) {
    return -1;
  }
  int lines = 0;
  size_t pos = 0;
  while ((pos = text.find(" error ", pos)) != std::string::npos) {
    ++lines;
    ++pos;
  }
  return lines;
}

class ServerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(TidemarkBinary()))
        << "TIDEMARK_BINARY not built: " << TidemarkBinary();
    dir_ = MakeTempDir("tidemark_e2e_");
    ASSERT_FALSE(dir_.empty());
    config_path_ = dir_ + "/config.yaml";
    WriteConfig(
        "server:\n  listen: \"127.0.0.1:0\"\n  max_body_size: 1KiB\nstorage:\n  data_dir: " + dir_ +
        "/data\n"
        // These tests count exactly what they stored; Tidemark's own metrics would add to it.
        "self_monitoring:\n  enabled: false\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteConfig(const std::string& text) { std::ofstream(config_path_) << text; }

  // Starts the server and waits for its "listening" line; returns the bound port or 0.
  uint16_t Start(std::unique_ptr<Subprocess>* process, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--config", config_path_};
    args.insert(args.end(), extra.begin(), extra.end());
    return StartTidemark(args, process);
  }

  void StopCleanly(Subprocess* process) { EXPECT_TRUE(StopTidemark(process)); }

  std::string dir_;
  std::string config_path_;
};

TEST_F(ServerE2ETest, ServesOperationalEndpointsAndStopsOnSigterm) {
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(&server);
  ASSERT_NE(port, 0);
  EXPECT_NE(server->Output().find("data_dir=" + dir_ + "/data"), std::string::npos);
  EXPECT_NE(server->Output().find("config=" + config_path_), std::string::npos);

  auto healthy = Fetch(port, "GET", "/-/healthy");
  ASSERT_TRUE(healthy.has_value());
  EXPECT_EQ(healthy->status, 200);
  auto ready = Fetch(port, "GET", "/-/ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 200);

  auto info = Fetch(port, "GET", "/api/v1/status/buildinfo");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, 200);
  EXPECT_EQ(info->Header("content-type"), "application/json");
  const auto body = nlohmann::json::parse(info->body);
  EXPECT_EQ(body["status"], "success");
  EXPECT_TRUE(body["data"]["version"].is_string());

  auto missing = Fetch(port, "GET", "/api/v1/nothing");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["errorType"], "not_found");

  auto preflight = Fetch(port, "OPTIONS", "/api/v1/query", "",
                         "Origin: http://grafana:3000\r\nAccess-Control-Request-Method: POST\r\n");
  ASSERT_TRUE(preflight.has_value());
  EXPECT_EQ(preflight->status, 200);
  EXPECT_EQ(preflight->Header("access-control-allow-origin"), "*");

  auto oversized = Fetch(port, "POST", "/api/v1/status/buildinfo", std::string(4096, 'x'));
  ASSERT_TRUE(oversized.has_value());
  EXPECT_EQ(oversized->status, 413);

  Connection garbage(port);
  ASSERT_TRUE(garbage.SendRaw("NOT HTTP AT ALL\r\n\r\n"));
  auto rejected = garbage.ReadReply();
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->status, 400);

  auto metrics = Fetch(port, "GET", "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->status, 200);
  for (const char* expected :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "tidemark_http_requests_total{code=\"200\",handler=\"buildinfo\"} 1",
        "tidemark_http_requests_total{code=\"404\",handler=\"not_found\"} 1",
        "tidemark_http_requests_total{code=\"413\",handler=\"invalid_request\"} 1",
        "tidemark_http_requests_total{code=\"400\",handler=\"invalid_request\"} 1",
        "tidemark_build_info{"}) {
    EXPECT_NE(metrics->body.find(expected), std::string::npos) << expected;
  }
  StopCleanly(server.get());
}

TEST_F(ServerE2ETest, WritesLineProtocolAndKeepsDeadLettersAcrossRestart) {
  std::unique_ptr<Subprocess> server;
  uint16_t port = Start(&server);
  ASSERT_NE(port, 0);
  auto written =
      Fetch(port, "POST", "/write?db=x&precision=s", "room,id=1 temp=21.5\nroom,id=2 temp=oops\n");
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(written->status, 400);
  EXPECT_NE(written->body.find("partial write"), std::string::npos);
  auto metrics = Fetch(port, "GET", "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("tidemark_storage_samples_appended_total 1"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find(
                "tidemark_dead_letters_total{reason=\"invalid_field_value\",source=\"http\"} 1"),
            std::string::npos);
  StopCleanly(server.get());

  port = Start(&server);
  ASSERT_NE(port, 0);
  auto letters = Fetch(port, "GET", "/api/v1/deadletters");
  ASSERT_TRUE(letters.has_value());
  const auto body = nlohmann::json::parse(letters->body);
  ASSERT_EQ(body["data"].size(), 1u);
  EXPECT_EQ(body["data"][0]["raw"], "room,id=2 temp=oops");
  StopCleanly(server.get());
}

TEST_F(ServerE2ETest, WrittenSamplesExportExactly) {
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(&server);
  ASSERT_NE(port, 0);
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  const std::string t0 = std::to_string(now_s - 60);
  const std::string t1 = std::to_string(now_s - 30);
  auto influx = Fetch(port, "POST", "/write?db=x&precision=s",
                      "env,site=north temperature=21.7,humidity=40i " + t0 + "\n" +
                          "env,site=north temperature=-0.1,humidity=41i " + t1 + "\n");
  ASSERT_TRUE(influx.has_value());
  ASSERT_EQ(influx->status, 204) << influx->body;
  auto text = Fetch(port, "POST", "/api/v1/import/prometheus",
                    "meter_kwh_total{meter=\"m1\"} 1234.5 " + t0 + "000\n" +
                        "meter_kwh_total{meter=\"m1\"} NaN " + t1 + "000\n");
  ASSERT_TRUE(text.has_value());
  ASSERT_EQ(text->status, 204) << text->body;

  auto flushed = Fetch(port, "POST", "/internal/force_flush");
  ASSERT_TRUE(flushed.has_value());
  EXPECT_EQ(flushed->status, 204) << flushed->body;
  auto exported =
      Fetch(port, "GET", "/api/v1/export?match[]=%7Bsite%3D%22north%22%7D&match[]=meter_kwh_total");
  ASSERT_TRUE(exported.has_value());
  ASSERT_EQ(exported->status, 200);
  const std::string expected =
      "{\"metric\":{\"__name__\":\"env_humidity\",\"site\":\"north\"},\"values\":[40.0,41.0],"
      "\"timestamps\":[" +
      t0 + "000," + t1 +
      "000]}\n"
      "{\"metric\":{\"__name__\":\"env_temperature\",\"site\":\"north\"},\"values\":[21.7,-0.1],"
      "\"timestamps\":[" +
      t0 + "000," + t1 +
      "000]}\n"
      "{\"metric\":{\"__name__\":\"meter_kwh_total\",\"meter\":\"m1\"},\"values\":[1234.5,\"NaN\"],"
      "\"timestamps\":[" +
      t0 + "000," + t1 + "000]}\n";
  EXPECT_EQ(exported->body, expected);
  auto metrics = Fetch(port, "GET", "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("tidemark_storage_sealed_samples 6"), std::string::npos)
      << "force_flush must have sealed all six samples";
  StopCleanly(server.get());
}

TEST_F(ServerE2ETest, RollupTiersAnswerAlignedQueriesAndReportTheirState) {
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(&server);
  ASSERT_NE(port, 0);
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  const int64_t end_s = now_s / 300 * 300;  // a whole 5 minutes
  // One write per minute of data: the test server takes bodies of at most 1 KiB.
  for (int64_t minute = end_s - 1800; minute <= end_s; minute += 60) {
    std::string lines;
    for (int64_t t = minute; t < minute + 60 && t <= end_s; t += 10) {
      lines += "pump,site=north flow=" + std::to_string(t % 17) + " " + std::to_string(t) + "\n";
    }
    auto written = Fetch(port, "POST", "/write?precision=s", lines);
    ASSERT_TRUE(written.has_value());
    ASSERT_EQ(written->status, 204) << written->body;
  }
  auto flushed = Fetch(port, "POST", "/internal/force_flush");
  ASSERT_TRUE(flushed.has_value());
  ASSERT_EQ(flushed->status, 204) << flushed->body;

  auto status = Fetch(port, "GET", "/api/v1/status/tiers");
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(status->status, 200) << status->body;
  const auto tiers = nlohmann::json::parse(status->body)["data"]["tiers"];
  ASSERT_EQ(tiers.size(), 2u) << status->body;  // the default 5m and 1h tiers
  EXPECT_EQ(tiers[0]["tier"], "5m");
  EXPECT_EQ(tiers[0]["series"], 1);
  EXPECT_EQ(tiers[0]["buckets"], 7) << "30 minutes of data and the sample at its start";
  EXPECT_EQ(tiers[0]["pendingBuckets"], 0);
  EXPECT_EQ(tiers[1]["tier"], "1h");

  auto metrics = Fetch(port, "GET", "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("tidemark_rollup_buckets{tier=\"5m\"} 7"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("tidemark_rollup_lag_seconds{tier=\"1h\"} 0"), std::string::npos);

  const std::string range = "/api/v1/query_range?query=max_over_time(pump_flow%5B5m%5D)&start=" +
                            std::to_string(end_s - 1500) + "&end=" + std::to_string(end_s) +
                            "&step=300";
  auto tier = Fetch(port, "GET", range);
  auto raw = Fetch(port, "GET", range + "&tier=raw");
  ASSERT_TRUE(tier.has_value() && raw.has_value());
  const auto tier_body = nlohmann::json::parse(tier->body);
  const auto raw_body = nlohmann::json::parse(raw->body);
  EXPECT_EQ(tier_body["data"]["tier"], "5m") << tier->body;
  EXPECT_EQ(tier_body["warnings"].size(), 1u);
  EXPECT_EQ(raw_body["data"]["tier"], "raw");
  EXPECT_EQ(tier_body["data"]["result"], raw_body["data"]["result"]);
  EXPECT_EQ(tier_body["data"]["result"][0]["values"].size(), 6u);
  StopCleanly(server.get());
}

TEST_F(ServerE2ETest, PromtoolQueriesTidemarkAsARealClient) {
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(&server);
  ASSERT_NE(port, 0);
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  std::string lines;
  for (int i = 0; i < 10; ++i) {
    lines += "boiler,site=north temp_c=" + std::to_string(60 + i) + " " +
             std::to_string(now_s - 90 + i * 10) + "\n";
  }
  auto written = Fetch(port, "POST", "/write?precision=s", lines);
  ASSERT_TRUE(written.has_value());
  ASSERT_EQ(written->status, 204) << written->body;
  const std::string url = "http://127.0.0.1:" + std::to_string(port);

  RunResult instant = RunToExit({"/usr/bin/promtool", "query", "instant", "-o", "json", url,
                                 "max_over_time(boiler_temp_c[5m])"});
  ASSERT_EQ(instant.exit_code, 0) << instant.output;
  const auto vector = nlohmann::json::parse(instant.output);
  ASSERT_EQ(vector.size(), 1u) << instant.output;
  EXPECT_EQ(vector[0]["metric"]["site"], "north");
  EXPECT_EQ(vector[0]["value"][1], "69");

  RunResult range = RunToExit({"/usr/bin/promtool", "query", "range", "-o", "json", "--start",
                               std::to_string(now_s - 60), "--end", std::to_string(now_s), "--step",
                               "30s", url, "boiler_temp_c"});
  ASSERT_EQ(range.exit_code, 0) << range.output;
  const auto matrix = nlohmann::json::parse(range.output);
  ASSERT_EQ(matrix.size(), 1u);
  EXPECT_EQ(matrix[0]["values"].size(), 3u) << range.output;

  RunResult series = RunToExit(
      {"/usr/bin/promtool", "query", "series", "-o", "json", "--match", "{site=\"north\"}", url});
  ASSERT_EQ(series.exit_code, 0) << series.output;
  EXPECT_NE(series.output.find("boiler_temp_c"), std::string::npos);

  RunResult labels = RunToExit({"/usr/bin/promtool", "query", "labels", "-o", "json", url, "site"});
  ASSERT_EQ(labels.exit_code, 0) << labels.output;
  EXPECT_NE(labels.output.find("north"), std::string::npos) << labels.output;

  RunResult bad = RunToExit({"/usr/bin/promtool", "query", "instant", url, "sum(boiler_temp_c"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("unclosed left parenthesis"), std::string::npos) << bad.output;
  StopCleanly(server.get());
}

TEST_F(ServerE2ETest, RunsOnEmbeddedDefaultsWithFlagOverrides) {
  std::unique_ptr<Subprocess> server;
  const std::string data = dir_ + "/flagdata";
  server = Subprocess::Start(
      {TidemarkBinary(), "--listen", "127.0.0.1:0", "--data-dir", data, "--log-level", "debug"});
  ASSERT_TRUE(server);
  auto line = server->WaitForLine(std::regex("listening on http://127.0.0.1:"), 30'000);
  ASSERT_TRUE(line.has_value()) << server->Output();
  EXPECT_NE(line->find("config=<embedded>"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(data + "/LOCK"));
  StopCleanly(server.get());
}

TEST_F(ServerE2ETest, SecondServerOnSameDataDirIsRefused) {
  std::unique_ptr<Subprocess> first;
  ASSERT_NE(Start(&first), 0);
  RunResult second = RunToExit({TidemarkBinary(), "--config", config_path_});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(ErrorLines(second.output), 1) << second.output;
  EXPECT_NE(second.output.find("in use by another running tidemark"), std::string::npos);
  StopCleanly(first.get());
}

TEST_F(ServerE2ETest, TakenPortIsOneLineError) {
  std::unique_ptr<Subprocess> first;
  const uint16_t port = Start(&first);
  ASSERT_NE(port, 0);
  RunResult second = RunToExit({TidemarkBinary(), "--config", config_path_, "--data-dir",
                                dir_ + "/other", "--listen", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(ErrorLines(second.output), 1) << second.output;
  EXPECT_NE(second.output.find("cannot listen on 127.0.0.1:" + std::to_string(port) +
                               ": Address already in use"),
            std::string::npos)
      << second.output;
  StopCleanly(first.get());
}

TEST_F(ServerE2ETest, BadConfigIsOneLineErrorWithFileAndLine) {
  WriteConfig("server:\n  lisen: \":1\"\n");
  RunResult result = RunToExit({TidemarkBinary(), "--config", config_path_});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(ErrorLines(result.output), 1) << result.output;
  EXPECT_NE(result.output.find(config_path_ + ":2: server.lisen: unknown key \"lisen\""),
            std::string::npos)
      << result.output;
}

TEST_F(ServerE2ETest, MissingConfigAndBlockedDataDirAreOneLineErrors) {
  RunResult missing = RunToExit({TidemarkBinary(), "--config", dir_ + "/absent.yaml"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(ErrorLines(missing.output), 1) << missing.output;
  EXPECT_NE(missing.output.find("cannot read config file " + dir_ + "/absent.yaml"),
            std::string::npos);

  std::ofstream(dir_ + "/blocker") << "a file, not a directory";
  RunResult blocked =
      RunToExit({TidemarkBinary(), "--config", config_path_, "--data-dir", dir_ + "/blocker/data"});
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_EQ(ErrorLines(blocked.output), 1) << blocked.output;
  EXPECT_NE(blocked.output.find("data directory " + dir_ + "/blocker/data: cannot create it"),
            std::string::npos)
      << blocked.output;
}

TEST_F(ServerE2ETest, CheckConfigVersionAndBadFlags) {
  RunResult good = RunToExit({TidemarkBinary(), "--check-config", config_path_});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(good.output, config_path_ + ": OK\n");

  WriteConfig("storage:\n  retention: forever\n");
  RunResult bad = RunToExit({TidemarkBinary(), "--check-config", config_path_});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find(config_path_ + ":2: storage.retention: invalid duration"),
            std::string::npos)
      << bad.output;

  RunResult version = RunToExit({TidemarkBinary(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind("tidemark ", 0), 0u) << version.output;

  RunResult flag = RunToExit({TidemarkBinary(), "--no-such-flag"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_EQ(ErrorLines(flag.output), 1) << flag.output;
}

TEST_F(ServerE2ETest, ShippedConfigIsValid) {
  const char* source = std::getenv("TIDEMARK_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  RunResult result = RunToExit(
      {TidemarkBinary(), "--check-config", std::string(source) + "/config/tidemark.yaml"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(ServerE2ETest, StoresItsOwnMetricsForQueries) {
  WriteConfig("server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  data_dir: " + dir_ +
              "/data\nself_monitoring:\n  interval: 200ms\n");
  std::unique_ptr<Subprocess> server;
  const uint16_t port = Start(&server);
  ASSERT_NE(port, 0);
  const std::string selector = "/api/v1/export?match[]=tidemark_http_requests_total";
  std::string body;
  for (int attempt = 0; attempt < 100 && body.find("\"job\":\"tidemark\"") == std::string::npos;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto exported = Fetch(port, "GET", selector);
    ASSERT_TRUE(exported.has_value());
    body = exported->body;
  }
  EXPECT_NE(body.find("\"instance\":\"127.0.0.1:" + std::to_string(port) + "\""), std::string::npos)
      << body;
  EXPECT_NE(body.find("\"handler\":\"export\""), std::string::npos) << body;
  StopCleanly(server.get());
}

}  // namespace
}  // namespace tidemark::testing
