// Prometheus' own remote_write client pointed at Tidemark, unchanged: Debian's prometheus
// scrapes Tidemark's /metrics and remote-writes the samples back into Tidemark, and the test
// reads them out through /api/v1/export.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"

namespace tidemark::testing {
namespace {

TEST(PrometheusRemoteWriteTest, PrometheusRemoteWritesIntoTidemark) {
  const char* binary = std::getenv("TIDEMARK_BINARY");
  ASSERT_NE(binary, nullptr);
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/prometheus")) << "scripts/setup.sh installs it";
  const std::string dir = MakeTempDir("tidemark_promrw_");

  auto tidemark =
      Subprocess::Start({binary, "--listen", "127.0.0.1:0", "--data-dir", dir + "/tidemark"});
  ASSERT_TRUE(tidemark);
  const uint16_t listening = WaitForListeningPort(tidemark.get());
  ASSERT_NE(listening, 0) << tidemark->Output();
  const std::string tm_port = std::to_string(listening);

  const uint16_t prom_port = PickFreePort();
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n"
      << "scrape_configs:\n  - job_name: tidemark\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << tm_port << "']\n"
      << "remote_write:\n  - url: http://127.0.0.1:" << tm_port << "/api/v1/write\n"
      << "    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms}\n";
  auto prometheus =
      Subprocess::Start({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                         "--storage.tsdb.path=" + dir + "/prometheus",
                         "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)});
  ASSERT_TRUE(prometheus);

  // `up` for the scrape of Tidemark arrives once Prometheus has scraped and flushed a batch.
  nlohmann::json up;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = Fetch(static_cast<uint16_t>(std::stoi(tm_port)), "GET",
                       "/api/v1/export?match[]=up%7Bjob%3D%22tidemark%22%7D");
    if (reply && reply->status == 200 && !reply->body.empty()) {
      up = nlohmann::json::parse(reply->body.substr(0, reply->body.find('\n')));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_FALSE(up.is_null()) << "no remote-written samples arrived\n" << prometheus->Output();
  EXPECT_EQ(up["metric"]["instance"], "127.0.0.1:" + tm_port);
  EXPECT_EQ(up["values"][0], 1.0);

  auto build_info = Fetch(static_cast<uint16_t>(std::stoi(tm_port)), "GET",
                          "/api/v1/export?match[]=tidemark_build_info");
  ASSERT_TRUE(build_info.has_value());
  EXPECT_NE(build_info->body.find("\"job\":\"tidemark\""), std::string::npos) << build_info->body;

  prometheus->Signal(SIGTERM);
  EXPECT_TRUE(prometheus->Wait(30'000).has_value());
  tidemark->Signal(SIGTERM);
  auto code = tidemark->Wait(30'000);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(tidemark->Output().find("dead letter"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tidemark::testing
