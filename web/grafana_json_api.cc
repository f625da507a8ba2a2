// Route registration for the Grafana JSON data sources, the health check, and the answers every
// handler shares (JSON success, JSON errors, series names).
#include "web/grafana_json_api.h"

#include "web/grafana_json_internal.h"

namespace tidemark::web {
namespace grafana {
namespace {

// simPod prints "<statusText>: <code>. <message>" from this body; SimpleJSON only checks 200.
Response HandleHealth(const Request&, const GrafanaJsonDeps& deps) {
  if (deps.is_ready && !deps.is_ready()) {
    return JsonError(503, "STORAGE_UNAVAILABLE", "Tidemark is starting or stopping");
  }
  return Response::Text(200, "ok");
}

std::string RouteName(std::string_view endpoint) {
  std::string name = "grafana_json";
  if (endpoint.empty()) return name;
  name += '_';
  for (char c : endpoint) name += c == '-' ? '_' : c;
  return name;
}

}  // namespace

void AddRoute(Router& router, const GrafanaJsonDeps& deps, const std::string& base,
              std::string_view endpoint, GrafanaHandler handler) {
  router.Add({Method::kPost}, base + "/" + std::string(endpoint), RouteName(endpoint),
             [deps, handler](const Request& request) { return handler(request, deps); });
}

std::string SeriesName(const storage::Labels& labels, std::string_view fallback) {
  if (labels.empty()) return std::string(fallback);
  return labels.ToString();
}

json LabelsObject(const storage::Labels& labels) {
  json out = json::object();
  for (const auto& label : labels) {
    if (label.name != storage::kMetricNameLabel) out[label.name] = label.value;
  }
  return out;
}

Response JsonOk(const json& body) {
  // Label values written by clients may hold invalid UTF-8; replace it rather than fail.
  return Response::Json(200, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

Response JsonError(int status, std::string_view code, std::string_view message) {
  const json body = {{"message", message}, {"error", {{"code", code}, {"message", message}}}};
  return Response::Json(status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

Response BadRequest(std::string_view message) { return JsonError(400, "BAD_REQUEST", message); }

Response EngineError(const base::Status& status) {
  switch (query::ErrorTypeOf(status)) {
    case query::ErrorType::kBadData:
      return JsonError(400, "BAD_QUERY", status.message());
    case query::ErrorType::kExecution:
      return JsonError(422, "EXECUTION", status.message());
    case query::ErrorType::kTimeout:
      return JsonError(503, "TIMEOUT", status.message());
    case query::ErrorType::kCanceled:
      return JsonError(499, "CANCELED", status.message());
    default:
      return JsonError(500, "INTERNAL", status.message());
  }
}

}  // namespace grafana

void RegisterGrafanaJsonApi(Router& router, GrafanaJsonDeps deps) {
  using namespace grafana;  // NOLINT: the handlers of this API
  std::string base = deps.base_path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto health = [deps](const Request& r) { return HandleHealth(r, deps); };
  const std::vector<Method> get_post = {Method::kGet, Method::kPost};
  router.Add(get_post, base.empty() ? "/" : base, "grafana_json", health);
  if (!base.empty()) router.Add(get_post, base + "/", "grafana_json", health);
  // The base path serves both plugins.
  AddRoute(router, deps, base, "search", HandleSearch);
  AddRoute(router, deps, base, "query", HandleQuery);
  AddRoute(router, deps, base, "annotations", HandleAnnotations);
  AddRoute(router, deps, base, "tag-keys", HandleTagKeys);
  AddRoute(router, deps, base, "tag-values", HandleTagValues);
  AddRoute(router, deps, base, "metrics", HandleMetrics);
  AddRoute(router, deps, base, "metric-payload-options", HandleMetricPayloadOptions);
  AddRoute(router, deps, base, "variable", HandleVariable);
  if (base.empty()) return;
  // The root keeps the SimpleJSON paths, none of which another route uses.
  router.Add(get_post, "/", "grafana_json", health);
  AddRoute(router, deps, "", "search", HandleSearch);
  AddRoute(router, deps, "", "query", HandleQuery);
  AddRoute(router, deps, "", "annotations", HandleAnnotations);
  AddRoute(router, deps, "", "tag-keys", HandleTagKeys);
  AddRoute(router, deps, "", "tag-values", HandleTagValues);
}

}  // namespace tidemark::web
