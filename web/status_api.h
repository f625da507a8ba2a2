// The operational routes: /-/healthy, /-/ready, /metrics and /api/v1/status/buildinfo.
// Registration happens once at startup; the handlers are thread-safe.
#pragma once

#include <functional>

#include "web/http_metrics.h"
#include "web/router.h"

namespace tidemark::web {

struct StatusApiDeps {
  HttpMetrics* metrics = nullptr;  // required
  std::function<bool()> is_ready;  // true once the store is open and until shutdown begins
};

void RegisterStatusRoutes(Router& router, StatusApiDeps deps);

}  // namespace tidemark::web
