// Grafana's JSON data sources over the PromQL engine: the legacy SimpleJSON plugin
// (grafana-simple-json-datasource) and simPod's JSON data source (simpod-json-datasource), as
// ../shared/protocols/grafana-protocols.md §1–§3 describes their wire format.
//
// Routes, all POST with JSON bodies except the health check (GET or POST):
//   <base>, <base>/                     health (200 "ok"; 503 with {"error":{code,message}} when
//                                       the server is not ready)
//   <base>/search                       SimpleJSON: metric names (or a variable query)
//   <base>/query                        both: timeserie/table targets, simPod frames, refId "Anno"
//   <base>/annotations                  SimpleJSON: annotation events
//   <base>/metrics                      simPod: metric names with their labels as payloads
//   <base>/metric-payload-options       simPod: the values of one payload (label)
//   <base>/variable                     simPod: template-variable options
//   <base>/tag-keys, <base>/tag-values  both: ad hoc filter keys and values
// The SimpleJSON routes (/, /search, /query, /annotations, /tag-keys, /tag-values) are also
// served at the root; simPod's POST /metrics is not, because GET /metrics is the exposition.
//
// A target is a metric name or any PromQL expression, evaluated by the same engine as
// /api/v1/query_range; ad hoc filters and simPod payload values become label matchers on every
// selector of the expression. Times are epoch milliseconds everywhere. Errors are JSON,
// {"message": "...", "error": {"code": "...", "message": "..."}}, which both plugins and
// Grafana's error display read.
//
// Thread-safe: handlers share nothing mutable; the deps' functions must be safe to call from
// several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "query/engine.h"
#include "query/result_cache.h"
#include "storage/base/clock.h"
#include "web/router.h"

namespace tidemark::web {

// One annotation from an alert state change, e.g. a rule going firing (time_ms) and resolving
// (time_end_ms), or a single transition (time_end_ms == 0).
struct AlertAnnotation {
  int64_t time_ms = 0;
  int64_t time_end_ms = 0;  // 0: a point in time, not a region
  std::string title;
  std::string text;
  std::vector<std::string> tags;
};

// The alert state-change annotations overlapping [from_ms, to_ms].
using AlertAnnotationSource = std::function<std::vector<AlertAnnotation>(int64_t, int64_t)>;

struct GrafanaJsonDeps {
  query::EngineOptions engine;     // the same limits as the Prometheus API
  query::QuerierFactory queriers;  // opens readers over [mint, maxt]
  base::Clock* clock = nullptr;    // "now" for requests without a range
  // Where both plugins are mounted; the data source URL is http://<host>:<port><base_path>.
  std::string base_path = "/grafana/json";
  // Answers the annotation query "#alerts [words]"; unset until alerting runs.
  AlertAnnotationSource alert_annotations;
  // Health of the server; unset means always healthy.
  std::function<bool()> is_ready;
  // When set, series (range) and table (instant) targets are answered through it, as the
  // Prometheus API's are.
  std::shared_ptr<query::ResultCache> cache;
};

void RegisterGrafanaJsonApi(Router& router, GrafanaJsonDeps deps);

}  // namespace tidemark::web
