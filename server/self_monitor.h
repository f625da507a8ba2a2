// SelfMonitor: Tidemark scraping itself. Every interval it renders its own /metrics exposition
// and stores it like any other Prometheus text, with job="tidemark" and instance=<listen
// address>, so dashboards and alert rules (ingest rates, Kafka lag, dead letters, WAL and disk)
// query Tidemark's health with the same PromQL as the fleet's, without a second server.
// Start and Stop from one thread; the scrape runs on the monitor's own thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "server/ingest/sink.h"
#include "storage/base/clock.h"

namespace tidemark::server {

class SelfMonitor {
 public:
  // `exposition` returns the text of /metrics; `sink` and `clock` must outlive the monitor.
  SelfMonitor(std::function<std::string()> exposition, ingest::IngestSink* sink, base::Clock* clock,
              std::string instance, int64_t interval_ms);
  ~SelfMonitor();

  void Start();
  void Stop();
  // One scrape, now; returns the samples stored. Used by the loop and by tests.
  uint64_t ScrapeOnce();

 private:
  void Loop();

  const std::function<std::string()> exposition_;
  ingest::IngestSink* const sink_;
  base::Clock* const clock_;
  const std::string instance_;
  const int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tidemark::server
