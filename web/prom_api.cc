#include "web/prom_api.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "query/parser.h"
#include "query/printer.h"
#include "storage/base/units.h"
#include "web/api_params.h"
#include "web/api_response.h"
#include "web/prom_api_internal.h"
#include "web/query_result_json.h"

namespace tidemark::web {
namespace {

Response EngineError(const base::Status& status) {
  return ApiError(query::ErrorTypeName(query::ErrorTypeOf(status)), status.message());
}

Response InvalidParam(std::string_view name, const base::Status& status) {
  return ApiError("bad_data",
                  "invalid parameter \"" + std::string(name) + "\": " + status.message());
}

// Said whenever a rollup tier answered, so dashboards show that data is downsampled.
std::string TierWarning(const query::QueryInfo& info) {
  return "answered from rollup tier " + info.TierSummary() +
         " (buckets of raw samples; add tier=raw to read raw samples only)";
}

// The engine for one request: the configured limits, with the request's timeout= if lower.
bool RequestEngine(const Params& params, const PrometheusApiDeps& deps,
                   query::EngineOptions* options, Response* error) {
  *options = deps.engine;
  const std::string timeout = ParamValue(params, "timeout");
  if (timeout.empty()) return true;
  auto parsed = ParseDurationParam(timeout);
  if (!parsed.ok()) {
    *error = InvalidParam("timeout", parsed.status());
    return false;
  }
  options->timeout_ms = std::min(options->timeout_ms, *parsed);
  return true;
}

// The result cache for this request: none when disabled or when the request says nocache=1.
query::ResultCache* RequestCache(const Params& params, const PrometheusApiDeps& deps) {
  const std::string nocache = ParamValue(params, "nocache");
  return nocache == "1" || nocache == "true" ? nullptr : deps.cache.get();
}

Response HandleQuery(const Request& request, const PrometheusApiDeps& deps) {
  const Params params = request.FormParams();
  int64_t time = deps.clock->NowMillis();
  if (const std::string text = ParamValue(params, "time"); !text.empty()) {
    auto parsed = ParseTime(text);
    if (!parsed.ok()) return InvalidParam("time", parsed.status());
    time = *parsed;
  }
  query::EngineOptions options;
  Response error;
  if (!RequestEngine(params, deps, &options, &error)) return error;
  const query::Engine engine(options);
  const std::string text = ParamValue(params, "query");
  query::ResultCache* cache = RequestCache(params, deps);
  auto value = cache != nullptr ? cache->InstantQuery(engine, deps.queriers, text, time)
                                : engine.InstantQuery(deps.queriers, text, time);
  if (!value.ok()) return EngineError(value.status());
  return Response::Json(200, QueryResultBody(*value, std::nullopt, {}));
}

Response HandleQueryRange(const Request& request, const PrometheusApiDeps& deps) {
  const Params params = request.FormParams();
  auto start = ParseTime(ParamValue(params, "start"));
  if (!start.ok()) return InvalidParam("start", start.status());
  auto end = ParseTime(ParamValue(params, "end"));
  if (!end.ok()) return InvalidParam("end", end.status());
  if (*end < *start) {
    return InvalidParam(
        "end", base::Status::InvalidArgument("end timestamp must not be before start time"));
  }
  auto step = ParseDurationParam(ParamValue(params, "step"));
  if (!step.ok()) return InvalidParam("step", step.status());
  if (*step <= 0) {
    return InvalidParam("step", base::Status::InvalidArgument(
                                    "zero or negative query resolution step widths are not "
                                    "accepted. Try a positive integer"));
  }
  int64_t span = 0;
  if (__builtin_sub_overflow(*end, *start, &span) ||
      span / *step > deps.engine.max_points_per_series) {
    return ApiError("bad_data",
                    "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing "
                    "the query resolution (?step=XX)");
  }
  query::EngineOptions options;
  Response error;
  if (!RequestEngine(params, deps, &options, &error)) return error;
  query::QueryOptions query_options;
  const std::string tier = ParamValue(params, "tier");
  if (tier == "raw") {
    query_options.force_raw = true;
  } else if (!tier.empty() && tier != "auto") {
    return InvalidParam(
        "tier", base::Status::InvalidArgument("expected raw or auto, got \"" + tier + "\""));
  }
  query::QueryInfo info;
  const query::Engine engine(options);
  const std::string text = ParamValue(params, "query");
  query::ResultCache* cache = RequestCache(params, deps);
  auto value = cache != nullptr ? cache->RangeQuery(engine, deps.queriers, text, *start, *end,
                                                    *step, query_options, &info)
                                : engine.RangeQuery(deps.queriers, text, *start, *end, *step,
                                                    query_options, &info);
  if (!value.ok()) return EngineError(value.status());
  std::vector<std::string> warnings;
  if (!info.rollup_resolutions.empty()) warnings.push_back(TierWarning(info));
  return Response::Json(200, QueryResultBody(*value, info.TierSummary(), warnings));
}

Response HandleFormatQuery(const Request& request) {
  auto expr = query::ParseExpr(ParamValue(request.FormParams(), "query"));
  if (!expr.ok()) return InvalidParam("query", expr.status());
  return ApiSuccess(query::FormatExpr(**expr));
}

}  // namespace

base::Result<int64_t> ParseDurationParam(std::string_view text) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    if (!std::isfinite(seconds) || std::fabs(seconds) * 1000 > 9.2e18) {
      return base::Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                           "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  }
  auto parsed = base::ParseDuration(text);
  if (parsed.ok()) return parsed;
  return base::Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                       "\" to a valid duration");
}

void RegisterPrometheusApi(Router& router, PrometheusApiDeps deps) {
  const std::vector<Method> get_post = {Method::kGet, Method::kPost};
  router.Add(get_post, "/api/v1/query", "query",
             [deps](const Request& r) { return HandleQuery(r, deps); });
  router.Add(get_post, "/api/v1/query_range", "query_range",
             [deps](const Request& r) { return HandleQueryRange(r, deps); });
  router.Add(get_post, "/api/v1/format_query", "format_query", HandleFormatQuery);
  RegisterPrometheusMetadataApi(router, deps);
}

}  // namespace tidemark::web
