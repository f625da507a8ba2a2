#include "tests/support/tidemark_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/http_client.h"

namespace tidemark::testing {

std::string UrlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

TidemarkProcess::TidemarkProcess(std::string dir, std::string extra_yaml, std::string storage_keys)
    : dir_(std::move(dir)), config_path_(dir_ + "/config.yaml") {
  std::ofstream(config_path_) << "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  data_dir: "
                              << dir_ << "/data\n"
                              << storage_keys << extra_yaml;
}

TidemarkProcess::~TidemarkProcess() {
  if (process_) Kill();
}

std::string TidemarkBinary() {
  const char* path = std::getenv("TIDEMARK_BINARY");
  return path ? path : "";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool WaitFor(const std::function<bool()>& done, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

uint16_t StartTidemark(const std::vector<std::string>& args, std::unique_ptr<Subprocess>* process) {
  const std::string binary = TidemarkBinary();
  if (binary.empty()) {
    ADD_FAILURE() << "TIDEMARK_BINARY is not set";
    return 0;
  }
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  *process = Subprocess::Start(argv);
  if (!*process) return 0;
  const uint16_t port = WaitForListeningPort(process->get());
  if (port == 0) ADD_FAILURE() << "tidemark did not start:\n" << (*process)->Output();
  return port;
}

bool StopTidemark(Subprocess* process) {
  process->Signal(SIGTERM);
  const std::optional<int> code = process->Wait(30'000);
  const std::string output = process->Output();
  const bool clean = code.has_value() && *code == 0 &&
                     output.find("stopped cleanly") != std::string::npos &&
                     output.find("Sanitizer") == std::string::npos;
  if (!clean) ADD_FAILURE() << "tidemark did not stop cleanly:\n" << output;
  return clean;
}

bool TidemarkProcess::Start() {
  port_ = StartTidemark({"--config", config_path_}, &process_);
  return port_ != 0;
}

bool TidemarkProcess::Stop() {
  if (!process_) return false;
  const bool clean = StopTidemark(process_.get());
  process_.reset();
  return clean;
}

void TidemarkProcess::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->Wait(30'000);
  process_.reset();
}

std::optional<ExportedSeries> TidemarkProcess::Export(const std::string& selector) const {
  auto reply = Fetch(port_, "GET", "/api/v1/export?match[]=" + UrlEncode(selector));
  if (!reply || reply->status != 200) return std::nullopt;
  ExportedSeries series;
  std::istringstream lines(reply->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const auto json = nlohmann::json::parse(line);
    auto& samples = series[json["metric"].dump()];
    for (size_t i = 0; i < json["timestamps"].size(); ++i) {
      const auto& v = json["values"][i];
      samples.emplace_back(json["timestamps"][i].get<int64_t>(),
                           v.is_number() ? v.get<double>() : std::nan(""));
    }
  }
  return series;
}

std::optional<double> TidemarkProcess::Metric(const std::string& metric,
                                              const std::string& contains) const {
  auto reply = Fetch(port_, "GET", "/metrics");
  if (!reply || reply->status != 200) return std::nullopt;
  std::istringstream lines(reply->body);
  std::string line;
  std::optional<double> sum;
  while (std::getline(lines, line)) {
    if (line.rfind(metric, 0) != 0 || line.find(contains) == std::string::npos) continue;
    const char next = line.size() > metric.size() ? line[metric.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    sum = sum.value_or(0) + std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace tidemark::testing
