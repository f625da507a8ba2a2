// HttpMetrics: the prometheus-cpp registry behind /metrics, with the HTTP request families and
// the process collector registered.
//
// Other modules' metrics join through AddCollectable. Exposition() renders every collectable in
// the Prometheus text format (0.0.4). Thread-safe: observations and exposition may run on any
// thread concurrently.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::web {

class HttpMetrics {
 public:
  HttpMetrics();

  // Counts one answered request and its duration. `handler` is a route name from a fixed set.
  void ObserveRequest(std::string_view handler, int status, double seconds);
  // Counts connections accepted and currently open.
  void ConnectionOpened();
  void ConnectionClosed();

  prometheus::Registry& registry() { return *registry_; }
  // Adds a collectable (e.g. another module's registry) to the exposition; kept alive here.
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);
  std::string Exposition() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Counter& connections_total_;
  prometheus::Gauge& connections_open_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
};

// Collects process_* metrics from /proc/self at scrape time: CPU seconds, resident and virtual
// memory, open and max file descriptors, start time.
std::shared_ptr<prometheus::Collectable> MakeProcessCollector();

}  // namespace tidemark::web
