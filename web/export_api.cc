#include "web/export_api.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "web/api_params.h"
#include "web/api_response.h"

namespace tidemark::web {
namespace {

// Insertion-ordered, so lines read metric, values, timestamps as VictoriaMetrics writes them.
using json = nlohmann::ordered_json;

json ValueJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}

std::string SeriesLine(const storage::Labels& labels, storage::SampleIterator& samples) {
  json metric = json::object();
  for (const auto& label : labels) metric[label.name] = label.value;
  json values = json::array();
  json timestamps = json::array();
  while (samples.Next()) {
    const storage::Sample s = samples.At();
    values.push_back(ValueJson(s.v));
    timestamps.push_back(s.t);
  }
  const json line = {{"metric", metric}, {"values", values}, {"timestamps", timestamps}};
  return line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Response HandleExport(const Request& request, const QuerierFactory& queriers) {
  const Params params = request.FormParams();
  const std::vector<std::string> selectors = ParamValues(params, "match[]");
  if (selectors.empty()) return ApiError("bad_data", "no match[] parameter provided");
  auto sets = ParseSelectors(selectors);
  if (!sets.ok()) {
    return ApiError("bad_data", "invalid parameter \"match[]\": " + sets.status().message());
  }
  int64_t mint = std::numeric_limits<int64_t>::min() / 2;
  int64_t maxt = std::numeric_limits<int64_t>::max() / 2;
  for (auto [name, bound] : {std::pair{"start", &mint}, std::pair{"end", &maxt}}) {
    const std::string text = ParamValue(params, name);
    if (text.empty()) continue;
    auto parsed = ParseTime(text);
    if (!parsed.ok()) {
      return ApiError("bad_data", "invalid parameter \"" + std::string(name) +
                                      "\": " + parsed.status().message());
    }
    *bound = *parsed;
  }
  std::unique_ptr<storage::Querier> querier = queriers(mint, maxt);
  std::set<storage::Labels> seen;
  std::string body;
  for (const auto& matchers : *sets) {
    auto series = querier->Select(matchers);
    while (series->Next()) {
      if (!seen.insert(series->labels()).second) continue;
      body += SeriesLine(series->labels(), *series->Samples());
    }
    if (!series->status().ok()) return ApiError("internal", series->status().message());
  }
  return Response::Text(200, std::move(body), "application/stream+json");
}

}  // namespace

void RegisterExportRoutes(Router& router, QuerierFactory queriers) {
  router.Add({Method::kGet, Method::kPost}, "/api/v1/export", "export",
             [queriers = std::move(queriers)](const Request& request) {
               return HandleExport(request, queriers);
             });
}

}  // namespace tidemark::web
