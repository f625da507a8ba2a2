// Internal to the Grafana JSON API: request parsing shared by its handler files (time ranges,
// ad hoc filters, payload matchers, step choice, rewriting an expression with extra matchers),
// the JSON error and success answers, and the per-file route registration.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"
#include "storage/labels.h"
#include "storage/matcher.h"
#include "web/grafana_json_api.h"

namespace tidemark::web::grafana {

using nlohmann::json;

// Names the plugins list are capped at this many (sorted, so the first ones).
inline constexpr size_t kMaxListed = 1000;
// An annotation query produces at most this many events.
inline constexpr size_t kMaxAnnotations = 10'000;
// Without intervalMs or maxDataPoints, a range is cut into about this many steps.
inline constexpr int64_t kDefaultPoints = 1000;
// Request bodies may nest arrays and objects this deep (Grafana's nest about six levels).
inline constexpr int kMaxBodyDepth = 64;
// The range used when a request has none (Grafana's default dashboard range).
inline constexpr int64_t kDefaultRangeMs = 6 * 3600 * 1000;

struct TimeRange {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
};

// The body as JSON; an empty body is {}. InvalidArgument when it is not JSON or not an object.
base::Result<json> ParseBody(const Request& request);

// body[key] = {from, to, raw}: ISO-8601 strings or epoch-ms numbers. Absent: the last 6 hours.
base::Result<TimeRange> ParseRange(const json& body, std::string_view key, base::Clock* clock);

// Ad hoc filters from "filters" and "adhocFilters" ([{key, operator, value}]) as matchers.
// Operators =, !=, =~, !~, and =| / !=| (one of "values"); others are InvalidArgument.
base::Result<std::vector<storage::Matcher>> ParseFilters(const json& body);

// A simPod payload object as matchers: a plain string value is `=`, a string with regex syntax
// ("(a|b)", ".*", "web\\.1") is `=~`, a "{a,b}" glob or a JSON array is `=~` over the
// alternatives; empty values, keys that are not label names, the reserved keys "format" and
// "tier" and
// `skip` are ignored.
base::Result<std::vector<storage::Matcher>> PayloadMatchers(const json& payload,
                                                            std::string_view skip = "");

// `expr` with `matchers` added to every series selector in it (printed back as PromQL).
base::Result<std::string> AddMatchers(std::string_view expr,
                                      const std::vector<storage::Matcher>& matchers);

// The step for a range: max(intervalMs, range / maxDataPoints), at least 1 ms and coarse enough
// for `max_points` points.
int64_t PickStep(const json& body, const TimeRange& range, int64_t max_points);

// An anchored regex matching exactly one of `values`.
std::string AlternationRegex(const std::vector<std::string>& values);
bool IsLabelName(std::string_view name);

// `metric{a="b"}`, or `fallback` for an empty label set.
std::string SeriesName(const storage::Labels& labels, std::string_view fallback);
// The labels as a JSON object, without __name__.
json LabelsObject(const storage::Labels& labels);

// The string at body[key] or "" (non-strings included).
std::string StringField(const json& body, std::string_view key);
// The number at body[key] or 0.
int64_t IntField(const json& body, std::string_view key);

Response JsonOk(const json& body);
// {"message": m, "error": {"code": c, "message": m}} with `status`.
Response JsonError(int status, std::string_view code, std::string_view message);
Response BadRequest(std::string_view message);
// An engine or storage error with the status its Prometheus error type carries.
Response EngineError(const base::Status& status);

// Route registration per handler file; `base` is "" for the root.
using GrafanaHandler = Response (*)(const Request&, const GrafanaJsonDeps&);
void AddRoute(Router& router, const GrafanaJsonDeps& deps, const std::string& base,
              std::string_view endpoint, GrafanaHandler handler);

Response HandleQuery(const Request& request, const GrafanaJsonDeps& deps);
Response HandleAnnotations(const Request& request, const GrafanaJsonDeps& deps);
Response HandleSearch(const Request& request, const GrafanaJsonDeps& deps);
Response HandleMetrics(const Request& request, const GrafanaJsonDeps& deps);
Response HandleMetricPayloadOptions(const Request& request, const GrafanaJsonDeps& deps);
Response HandleVariable(const Request& request, const GrafanaJsonDeps& deps);
Response HandleTagKeys(const Request& request, const GrafanaJsonDeps& deps);
Response HandleTagValues(const Request& request, const GrafanaJsonDeps& deps);

// Annotation events for an annotation query over `range`: "#alerts [words]" asks the alert
// source for state changes whose title, text or tags contain every word; anything else is PromQL
// (with `matchers` added) whose non-empty steps become events, consecutive steps of a series
// merged into one region. Each event is {time, timeEnd?, title, text, tags[]}, sorted by time.
base::Result<json> AnnotationEvents(std::string_view query,
                                    const std::vector<storage::Matcher>& matchers,
                                    const TimeRange& range, int64_t step,
                                    const GrafanaJsonDeps& deps);

}  // namespace tidemark::web::grafana
