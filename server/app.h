// App: the whole server assembled from a Config — data directory, storage, HTTP routes and
// server — with the start and stop order in one place (stop: ingest → alerting → HTTP → storage).
// Start and Stop are called from the main thread only.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "config/config.h"
#include "query/result_cache.h"
#include "server/alerting/service.h"
#include "server/data_dir.h"
#include "server/ingest/dead_letters.h"
#include "server/ingest/kafka_source.h"
#include "server/ingest/mqtt_source.h"
#include "server/ingest/sink.h"
#include "server/self_monitor.h"
#include "server/series_cache.h"
#include "storage/base/status.h"
#include "storage/storage.h"
#include "web/grafana_json_api.h"
#include "web/http_metrics.h"
#include "web/http_server.h"
#include "web/router.h"

namespace tidemark::server {

class App {
 public:
  explicit App(config::Config config);
  ~App();

  // Opens the data directory and starts serving. Errors name the cause in one line.
  base::Status Start();
  // Graceful stop: readiness off, in-flight requests finish, then everything closes.
  void Stop();

  uint16_t http_port() const;
  // Re-reads the rule files (SIGHUP); on error the running rules stay and the error is returned.
  base::Status Reload();
  // Alerting, for wiring e.g. alert state changes into Grafana annotations; null before Start.
  alerting::AlertingService* alerting() { return alerting_.get(); }

 private:
  web::HttpServerOptions HttpOptions() const;
  storage::StorageOptions StorageOptions() const;
  base::Status StartSources();
  base::Status StartKafka();
  base::Status CreateAlerting();
  std::shared_ptr<query::ResultCache> MakeResultCache();
  std::vector<web::AlertAnnotation> AlertAnnotations(int64_t from_ms, int64_t to_ms) const;

  config::Config config_;
  std::unique_ptr<DataDirLock> data_dir_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<server::ingest::DeadLetters> dead_letters_;
  std::unique_ptr<SeriesCache> series_cache_;
  std::unique_ptr<ingest::IngestSink> ingest_sink_;
  std::vector<std::unique_ptr<ingest::MqttSource>> mqtt_sources_;
  std::unique_ptr<SelfMonitor> self_monitor_;
  web::HttpMetrics metrics_;
  std::unique_ptr<web::Router> router_;
  std::unique_ptr<alerting::AlertingService> alerting_;
  std::unique_ptr<web::HttpServer> http_;
  std::unique_ptr<ingest::KafkaSource> kafka_;
  std::atomic<bool> ready_{false};
};

}  // namespace tidemark::server
