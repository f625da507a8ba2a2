#include "server/self_monitor.h"

#include "server/ingest/payload.h"
#include "storage/base/log.h"

namespace tidemark::server {

SelfMonitor::SelfMonitor(std::function<std::string()> exposition, ingest::IngestSink* sink,
                         base::Clock* clock, std::string instance, int64_t interval_ms)
    : exposition_(std::move(exposition)),
      sink_(sink),
      clock_(clock),
      instance_(std::move(instance)),
      interval_ms_(interval_ms) {}

SelfMonitor::~SelfMonitor() { Stop(); }

void SelfMonitor::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void SelfMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t SelfMonitor::ScrapeOnce() {
  ingest::PayloadSpec spec;
  spec.format = ingest::PayloadFormat::kPrometheus;
  ingest::TransportContext context{{{"job", "tidemark"}, {"instance", instance_}}, ""};
  const int64_t now = clock_->NowMillis();
  ingest::DecodeOutput decoded;
  ingest::DecodePayload(spec, exposition_(), context, now, ingest::DecodeLimits{}, &decoded);
  storage::AppendReport report;
  base::Status status = sink_->Write("self", "/metrics", now, decoded, &report);
  if (!status.ok()) {
    TM_LOG(kWarn) << "self-monitoring scrape not stored: " << status.message();
    return 0;
  }
  return report.accepted;
}

void SelfMonitor::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    try {
      ScrapeOnce();
    } catch (const std::exception& e) {  // a scrape must never take the process down
      TM_LOG(kWarn) << "self-monitoring scrape failed: " << e.what();
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
  }
}

}  // namespace tidemark::server
