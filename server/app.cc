#include "server/app.h"

#include "storage/base/log.h"
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

base::Status App::Start() {
  auto lock = DataDirLock::Acquire(config_.storage.data_dir);
  if (!lock.ok()) return lock.status();
  data_dir_ = std::move(lock).value();

  const config::AuthConfig& auth = config_.server.auth;
  router_ = std::make_unique<web::Router>(
      web::AuthSettings{auth.username, auth.password, auth.bearer_token}, &metrics_);
  web::RegisterStatusRoutes(*router_, {&metrics_, [this] { return ready_.load(); }});

  http_ = std::make_unique<web::HttpServer>(HttpOptions(), router_.get(), &metrics_);
  TM_RETURN_IF_ERROR(http_->Start());
  ready_ = true;
  return base::Status::Ok();
}

void App::Stop() {
  ready_ = false;
  if (http_) {
    http_->Shutdown();
    http_.reset();
  }
  data_dir_.reset();
}

uint16_t App::http_port() const { return http_ ? http_->port() : 0; }

}  // namespace tidemark::server
