// Prometheus' HTTP query API over the PromQL engine, as Grafana's Prometheus data source and
// promtool call it:
//   /api/v1/query, /api/v1/query_range             (GET and POST form)
//   /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values
//   /api/v1/format_query (the query as Prometheus prints it)
//   /api/v1/metadata (empty: no metric metadata is stored), /api/v1/query_exemplars (empty)
// Parameters come from the URL and a form body, merged; times are float seconds or RFC 3339;
// steps and timeouts are durations or float seconds. Envelopes, error types, messages and status
// codes follow Prometheus 2.42. Thread-safe: handlers share nothing mutable.
#pragma once

#include <memory>

#include "query/engine.h"
#include "query/result_cache.h"
#include "storage/base/clock.h"
#include "web/router.h"

namespace tidemark::web {

struct PrometheusApiDeps {
  query::EngineOptions engine;     // limits; a request's timeout= may only lower the timeout
  query::QuerierFactory queriers;  // opens readers over [mint, maxt]
  base::Clock* clock = nullptr;    // "now" for queries without time=
  // Serves query_range from cached settled steps, and query at a settled time from cached
  // answers, when set; a request with nocache=1 (or true) bypasses it.
  std::shared_ptr<query::ResultCache> cache;
};

void RegisterPrometheusApi(Router& router, PrometheusApiDeps deps);

// Float seconds ("15", "0.5") or a duration ("15s", "1m30s"), in milliseconds.
base::Result<int64_t> ParseDurationParam(std::string_view text);

}  // namespace tidemark::web
