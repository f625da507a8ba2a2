// HttpServer: serves a Router over HTTP/1.1 with Boost.Beast. All of Beast stays inside
// http_server.cc so the rest of the code base compiles without it.
//
// Network I/O runs on a pool of io_context threads, each connection on its own strand; handlers
// run on a separate worker pool so a slow query never stalls reads and writes. Connections are
// kept alive; reading a request (including idle keep-alive time) and writing a response are
// bounded by timeouts; bodies over the limit get 413, oversized headers 431, malformed requests
// 400 — as JSON, after which that connection closes and the server goes on serving.
// Start and Shutdown are called from one controlling thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/base/status.h"
#include "web/http_metrics.h"
#include "web/router.h"

namespace tidemark::web {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS picks a free port; see HttpServer::port()
  int io_threads = 2;
  int worker_threads = 2;
  int64_t read_timeout_ms = 30'000;
  int64_t write_timeout_ms = 30'000;
  uint64_t max_body_bytes = 32ULL << 20;
  uint32_t max_header_bytes = 64 << 10;
  int64_t shutdown_timeout_ms = 15'000;
};

class HttpServer {
 public:
  // `router` and `metrics` (which may be null) must outlive the server.
  HttpServer(HttpServerOptions options, const Router* router, HttpMetrics* metrics);
  ~HttpServer();  // shuts down if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. Fails with a message naming the address and cause,
  // e.g. "cannot listen on 127.0.0.1:9201: Address already in use".
  base::Status Start();
  // The bound port (useful when options.port was 0). Valid after a successful Start.
  uint16_t port() const;

  // Stops accepting, closes idle connections, lets in-flight requests finish and send their
  // responses (up to shutdown_timeout_ms), then stops every thread. Idempotent.
  void Shutdown();

  // Defined in http_server.cc; public only so the connection code there can name it.
  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::web
