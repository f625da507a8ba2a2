// TidemarkProcess: the real tidemark binary (TIDEMARK_BINARY) started for an end-to-end test
// with a config file of the test's making, on a free loopback port; plus readers for what tests
// check afterwards (exported series, a metric's value). Not thread-safe; one test thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/subprocess.h"

namespace tidemark::testing {

// Series (as their labels' JSON text) to (timestamp ms, value) pairs.
using ExportedSeries = std::map<std::string, std::vector<std::pair<int64_t, double>>>;

class TidemarkProcess {
 public:
  // `dir` holds config.yaml and data/; the server section (127.0.0.1:0) and storage.data_dir
  // are written ahead of `extra_yaml`, which must not repeat those sections. `storage_keys` are
  // more lines of the storage section, indented two spaces ("  wal_sync: interval\n").
  TidemarkProcess(std::string dir, std::string extra_yaml, std::string storage_keys = "");
  ~TidemarkProcess();

  // Starts the server and waits for it to listen; false (with a test failure) if it did not.
  bool Start();
  // SIGTERM and wait; false unless it exited 0.
  bool Stop();
  // SIGKILL: a crash.
  void Kill();

  uint16_t port() const { return port_; }
  Subprocess* process() { return process_.get(); }
  std::string Output() const { return process_ ? process_->Output() : ""; }

  // GET /api/v1/export for `selector` (URL-encoded here); nullopt on transport or HTTP failure.
  std::optional<ExportedSeries> Export(const std::string& selector) const;
  // Sum of the values of every sample of `metric` on /metrics whose line contains `contains`.
  std::optional<double> Metric(const std::string& metric, const std::string& contains = "") const;

 private:
  std::string dir_;
  std::string config_path_;
  std::unique_ptr<Subprocess> process_;
  uint16_t port_ = 0;
};

// The path of the tidemark binary under test ($TIDEMARK_BINARY), or "" when unset.
std::string TidemarkBinary();
// Wall-clock time in Unix milliseconds, as the server stamps arrival times.
int64_t NowMs();
// Polls `done` every 50 ms until it returns true or `timeout_ms` passes; then `done`'s last answer.
bool WaitFor(const std::function<bool()>& done, int timeout_ms = 20'000);

// Starts the tidemark binary (TIDEMARK_BINARY) with `args` and waits for it to listen: the bound
// port, or 0 with a test failure carrying the server's output.
uint16_t StartTidemark(const std::vector<std::string>& args, std::unique_ptr<Subprocess>* process);
// SIGTERM and wait up to 30 s; false, with a test failure and the output, unless the server exited
// 0 after logging "stopped cleanly" and no sanitizer reported anything.
bool StopTidemark(Subprocess* process);

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& text);

}  // namespace tidemark::testing
