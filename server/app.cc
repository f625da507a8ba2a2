#include "server/app.h"

#include "query/engine.h"
#include "server/admin_api.h"
#include "server/http_ingest.h"
#include "server/kafka_setup.h"
#include "server/metrics_collectors.h"
#include "server/mqtt_sources.h"
#include "storage/base/log.h"
#include "web/export_api.h"
#include "web/grafana_json_api.h"
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
  for (const config::StorageTierConfig& t : c.tiers) {
    options.tiers.push_back({t.resolution_ms, t.retention_ms, /*partition_ms=*/0});
  }
  return options;
}

// The range and instant query result cache over this store's late-write generations; null when
// disabled.
std::shared_ptr<query::ResultCache> App::MakeResultCache() {
  const config::QueryCacheConfig& c = config_.query.result_cache;
  if (!c.enabled) return nullptr;
  query::CacheFreshness freshness{
      [this] { return storage_->SettledHorizon(); },
      [this](std::string_view name) { return storage_->LateWriteGeneration(name); }};
  auto cache = std::make_shared<query::ResultCache>(query::ResultCacheOptions{c.max_bytes},
                                                    std::move(freshness));
  metrics_.AddCollectable(MakeResultCacheCollector(cache));
  return cache;
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

// Alert state changes as Grafana annotations: one per change, titled with the alert and the
// transition, tagged with the alert name and the new state.
std::vector<web::AlertAnnotation> App::AlertAnnotations(int64_t from_ms, int64_t to_ms) const {
  std::vector<web::AlertAnnotation> out;
  if (!alerting_) return out;
  for (const alerting::StateChange& change : alerting_->StateChanges(from_ms, to_ms)) {
    web::AlertAnnotation a;
    a.time_ms = change.time_ms;
    a.title = change.alert_name + ": " + std::string(alerting::AlertStateName(change.from)) +
              " → " + std::string(alerting::AlertStateName(change.to));
    a.text = change.labels.ToString();
    a.tags = {change.alert_name, std::string(alerting::AlertStateName(change.to))};
    out.push_back(std::move(a));
  }
  return out;
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
  // One result cache for both APIs: a Grafana panel and a Prometheus client asking the same
  // query share its entries.
  std::shared_ptr<query::ResultCache> cache = MakeResultCache();
  web::RegisterPrometheusApi(
      *router_, {query::EngineOptions{},
                 [this](int64_t mint, int64_t maxt) { return storage_->NewQuerier(mint, maxt); },
                 base::SystemClock::Default(), cache});
  web::RegisterGrafanaJsonApi(
      *router_, {query::EngineOptions{},
                 [this](int64_t mint, int64_t maxt) { return storage_->NewQuerier(mint, maxt); },
                 base::SystemClock::Default(), "/grafana/json",
                 [this](int64_t from, int64_t to) { return AlertAnnotations(from, to); },
                 [this] { return ready_.load(); }, cache});
  if (config_.ingest.http.enabled) {
    RegisterHttpIngestRoutes(
        *router_, {storage_.get(), base::SystemClock::Default(), DecodeLimitsOf(config_),
                   config_.server.max_body_bytes, dead_letters_.get(), series_cache_.get()});
  }

  TM_RETURN_IF_ERROR(CreateAlerting());
  alerting_->RegisterRoutes(*router_);

  http_ = std::make_unique<web::HttpServer>(HttpOptions(), router_.get(), &metrics_);
  TM_RETURN_IF_ERROR(http_->Start());
  TM_RETURN_IF_ERROR(alerting_->Start(http_->port()));
  TM_RETURN_IF_ERROR(StartSources());
  ready_ = true;
  return base::Status::Ok();
}

// MQTT and Kafka start last, once everything they write into and are watched through is up.
base::Status App::StartSources() {
  ingest_sink_ = std::make_unique<ingest::IngestSink>(storage_.get(), dead_letters_.get());
  auto mqtt = MakeMqttSources(config_, ingest_sink_.get(), base::SystemClock::Default());
  if (!mqtt.ok()) return mqtt.status();
  mqtt_sources_ = std::move(mqtt).value();
  std::vector<const ingest::MqttSource*> watched;
  for (const auto& source : mqtt_sources_) {
    source->Start();
    watched.push_back(source.get());
  }
  if (!watched.empty()) metrics_.AddCollectable(MakeMqttCollector(std::move(watched)));
  TM_RETURN_IF_ERROR(StartKafka());
  if (config_.self_monitoring.enabled) {
    config::ListenAddress bound = config_.server.listen;
    bound.port = http_->port();
    self_monitor_ = std::make_unique<SelfMonitor>(
        [this] { return metrics_.Exposition(); }, ingest_sink_.get(), base::SystemClock::Default(),
        bound.ToString(), config_.self_monitoring.interval_ms);
    self_monitor_->Start();
  }
  return base::Status::Ok();
}

base::Status App::StartKafka() {
  if (!KafkaEnabled(config_)) return base::Status::Ok();
  auto options = MakeKafkaSourceOptions(config_);
  if (!options.ok()) return options.status();
  auto kafka = ingest::KafkaSource::Start(std::move(options).value(),
                                          ingest::IngestSink(storage_.get(), dead_letters_.get()),
                                          series_cache_.get(), base::SystemClock::Default());
  if (!kafka.ok()) return kafka.status();
  kafka_ = std::move(kafka).value();
  metrics_.AddCollectable(ingest::MakeKafkaCollector(kafka_->metrics()));
  return base::Status::Ok();
}

void App::Stop() {
  ready_ = false;
  kafka_.reset();  // ingest stops first: it finishes its batch and commits what was written
  for (auto& source : mqtt_sources_) source->RequestStop();  // all at once, then join each
  for (auto& source : mqtt_sources_) source->Stop();
  if (self_monitor_) self_monitor_->Stop();
  // Alerting stops before HTTP (its routes stay valid until the server is gone) and before
  // storage, which its last evaluation writes to.
  if (alerting_) alerting_->Stop();
  if (http_) {
    http_->Shutdown();
    http_.reset();
  }
  // Only now that /metrics is no longer served can the sources its collectors read go.
  mqtt_sources_.clear();
  self_monitor_.reset();
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
