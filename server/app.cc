#include "server/app.h"

#include "query/engine.h"
#include "server/admin_api.h"
#include "server/http_ingest.h"
#include "server/metrics_collectors.h"
#include "storage/base/log.h"
#include "web/export_api.h"
#include "web/prom_api.h"
#include "web/status_api.h"

namespace tidemark::server {

App::App(config::Config config) : config_(std::move(config)) {}

App::~App() { Stop(); }

web::HttpServerOptions App::HttpOptions() const {
  const config::ServerConfig& s = config_.server;
  web::HttpServerOptions options;
  options.host = s.listen.host;
  options.port = s.listen.port;
  options.io_threads = s.io_threads;
  options.worker_threads = s.worker_threads;
  options.read_timeout_ms = s.read_timeout_ms;
  options.write_timeout_ms = s.write_timeout_ms;
  options.max_body_bytes = s.max_body_bytes;
  options.shutdown_timeout_ms = s.shutdown_timeout_ms;
  return options;
}

storage::StorageOptions App::StorageOptions() const {
  const config::StorageConfig& c = config_.storage;
  storage::StorageOptions options;
  options.retention_ms = c.retention_ms;
  options.max_future_skew_ms = c.max_future_ms;
  options.wal_sync = c.wal_sync == config::WalSync::kEveryBatch ? storage::SyncPolicy::kEveryBatch
                                                                : storage::SyncPolicy::kInterval;
  options.wal_sync_interval_ms = c.wal_sync_interval_ms;
  options.head_memory_limit_bytes = c.head_memory_limit_bytes;
  options.max_series = config_.ingest.limits.max_series;
  return options;
}

base::Status App::CreateAlerting() {
  alerting::AlertingDeps deps;
  deps.query = [this, engine = query::Engine(query::EngineOptions{})](std::string_view expr,
                                                                      int64_t time_ms) {
    return engine.InstantQuery(
        [this](int64_t mint, int64_t maxt) { return storage_->NewQuerier(mint, maxt); }, expr,
        time_ms);
  };
  deps.writer = [this](const storage::WriteBatch& batch) { return storage_->Append(batch); };
  deps.clock = base::SystemClock::Default();
  auto created = alerting::AlertingService::Create(config_, std::move(deps));
  if (!created.ok()) return created.status();
  alerting_ = std::move(created).value();
  metrics_.AddCollectable(alerting_->MakeCollector());
  return base::Status::Ok();
}

base::Status App::Start() {
  auto lock = DataDirLock::Acquire(config_.storage.data_dir);
  if (!lock.ok()) return lock.status();
  data_dir_ = std::move(lock).value();
  auto opened = storage::Storage::Open(StorageOptions(), config_.storage.data_dir);
  if (!opened.ok()) return opened.status().WithContext("cannot open storage");
  storage_ = std::move(opened).value();
  auto letters = ingest::DeadLetters::Open(config_.storage.data_dir + "/deadletters", {});
  if (!letters.ok()) return letters.status();
  dead_letters_ = std::move(letters).value();
  series_cache_ = std::make_unique<SeriesCache>(storage_.get());
  metrics_.AddCollectable(MakeStorageCollector(storage_.get()));
  metrics_.AddCollectable(MakeDeadLetterCollector(dead_letters_.get()));

  const config::AuthConfig& auth = config_.server.auth;
  router_ = std::make_unique<web::Router>(
      web::AuthSettings{auth.username, auth.password, auth.bearer_token}, &metrics_);
  web::RegisterStatusRoutes(*router_, {&metrics_, [this] { return ready_.load(); }});
  RegisterAdminRoutes(*router_, storage_.get(), base::SystemClock::Default());
  web::RegisterExportRoutes(
      *router_, [this](int64_t mint, int64_t maxt) { return storage_->NewQuerier(mint, maxt); });
  web::RegisterPrometheusApi(
      *router_, {query::EngineOptions{},
                 [this](int64_t mint, int64_t maxt) { return storage_->NewQuerier(mint, maxt); },
                 base::SystemClock::Default()});
  if (config_.ingest.http.enabled) {
    const config::IngestLimitsConfig& configured = config_.ingest.limits;
    ingest::DecodeLimits limits;
    limits.max_line_bytes = config_.ingest.http.max_line_bytes;
    limits.max_labels_per_series = static_cast<size_t>(configured.max_labels_per_series);
    limits.max_label_name_bytes = configured.max_label_name_bytes;
    limits.max_label_value_bytes = configured.max_label_value_bytes;
    RegisterHttpIngestRoutes(
        *router_, {storage_.get(), base::SystemClock::Default(), limits,
                   config_.server.max_body_bytes, dead_letters_.get(), series_cache_.get()});
  }

  TM_RETURN_IF_ERROR(CreateAlerting());
  alerting_->RegisterRoutes(*router_);

  http_ = std::make_unique<web::HttpServer>(HttpOptions(), router_.get(), &metrics_);
  TM_RETURN_IF_ERROR(http_->Start());
  TM_RETURN_IF_ERROR(alerting_->Start(http_->port()));
  ready_ = true;
  return base::Status::Ok();
}

void App::Stop() {
  ready_ = false;
  // Alerting stops before HTTP (its routes stay valid until the server is gone) and before
  // storage, which its last evaluation writes to.
  if (alerting_) alerting_->Stop();
  if (http_) {
    http_->Shutdown();
    http_.reset();
  }
  alerting_.reset();
  series_cache_.reset();
  if (storage_) {
    if (auto status = storage_->Close(); !status.ok()) {
      TM_LOG(kError) << "closing storage: " << status.message();
    }
    storage_.reset();
  }
  dead_letters_.reset();
  data_dir_.reset();
}

base::Status App::Reload() {
  if (!alerting_) return base::Status::FailedPrecondition("not started");
  return alerting_->Reload();
}

uint16_t App::http_port() const { return http_ ? http_->port() : 0; }

}  // namespace tidemark::server
