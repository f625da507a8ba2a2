// The Prometheus API routes that list series, label names and label values (Grafana's metric
// browser and variables), plus metadata and exemplars, which Tidemark answers empty.
#include <algorithm>
#include <cctype>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "web/api_params.h"
#include "web/api_response.h"
#include "web/prom_api_internal.h"
#include "web/query_result_json.h"

namespace tidemark::web {
namespace {

using nlohmann::json;

struct ListRequest {
  int64_t mint = std::numeric_limits<int64_t>::min() / 2;
  int64_t maxt = std::numeric_limits<int64_t>::max() / 2;
  std::vector<std::vector<storage::Matcher>> sets;  // empty: no match[] given
  size_t limit = 0;                                 // 0: no limit
};

// Reads start, end, match[] and limit; on failure fills `error`.
bool ParseListRequest(const Params& params, ListRequest* out, Response* error) {
  for (auto [name, bound] : {std::pair{"start", &out->mint}, std::pair{"end", &out->maxt}}) {
    const std::string text = ParamValue(params, name);
    if (text.empty()) continue;
    auto parsed = ParseTime(text);
    if (!parsed.ok()) {
      *error = ApiError("bad_data", "invalid parameter \"" + std::string(name) +
                                        "\": " + parsed.status().message());
      return false;
    }
    *bound = *parsed;
  }
  auto sets = ParseSelectors(ParamValues(params, "match[]"));
  if (!sets.ok()) {
    *error = ApiError("bad_data", "invalid parameter \"match[]\": " + sets.status().message());
    return false;
  }
  out->sets = std::move(sets).value();
  for (const auto& set : out->sets) {
    if (!HasNonEmptyMatcher(set)) {
      *error = ApiError("bad_data", "match[] must contain at least one non-empty matcher");
      return false;
    }
  }
  if (const std::string limit = ParamValue(params, "limit"); !limit.empty()) {
    try {
      out->limit = std::stoul(limit);
    } catch (const std::exception&) {
      *error = ApiError("bad_data", "invalid parameter \"limit\": cannot parse \"" + limit + "\"");
      return false;
    }
  }
  return true;
}

// Sorted, de-duplicated union of what `list` returns per matcher set (or once with none). The
// querier's lists are sorted already: one set (the usual request) is passed through, several are
// merged, without a tree of strings either way.
template <typename ListFn>
base::Result<std::vector<std::string>> Union(const ListRequest& request, ListFn list) {
  const std::vector<std::vector<storage::Matcher>> none = {{}};
  std::vector<std::string> all;
  for (const auto& set : request.sets.empty() ? none : request.sets) {
    auto values = list(set);
    if (!values.ok()) return values.status();
    if (all.empty()) {
      all = std::move(values).value();
      continue;
    }
    std::vector<std::string> merged;
    merged.reserve(all.size() + values->size());
    std::merge(std::make_move_iterator(all.begin()), std::make_move_iterator(all.end()),
               std::make_move_iterator(values->begin()), std::make_move_iterator(values->end()),
               std::back_inserter(merged));
    all = std::move(merged);
  }
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

Response ListAnswer(base::Result<std::vector<std::string>> values, size_t limit) {
  if (!values.ok()) return ApiError("internal", values.status().message());
  std::vector<std::string> warnings;
  if (limit > 0 && values->size() > limit) {
    values->resize(limit);
    warnings.push_back("results truncated due to limit");
  }
  return Response::Json(200, StringListBody(*values, warnings));
}

Response HandleSeries(const Request& request, const PrometheusApiDeps& deps) {
  const Params params = request.FormParams();
  if (ParamValues(params, "match[]").empty()) {
    return ApiError("bad_data", "no match[] parameter provided");
  }
  ListRequest list;
  Response error;
  if (!ParseListRequest(params, &list, &error)) return error;
  auto querier = deps.queriers(list.mint, list.maxt);
  std::set<storage::Labels> seen;
  json data = json::array();
  for (const auto& set : list.sets) {
    auto series = querier->Select(set);
    while (series->Next()) {
      if (!seen.insert(series->labels()).second) continue;
      json labels = json::object();
      for (const auto& label : series->labels()) labels[label.name] = label.value;
      data.push_back(std::move(labels));
    }
    if (!series->status().ok()) return ApiError("internal", series->status().message());
  }
  return ApiSuccess(data);
}

Response HandleLabels(const Request& request, const PrometheusApiDeps& deps) {
  ListRequest list;
  Response error;
  if (!ParseListRequest(request.FormParams(), &list, &error)) return error;
  auto querier = deps.queriers(list.mint, list.maxt);
  return ListAnswer(Union(list, [&](const auto& set) { return querier->LabelNames(set); }),
                    list.limit);
}

bool ValidLabelName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

Response HandleLabelValues(const Request& request, const PrometheusApiDeps& deps) {
  constexpr std::string_view kPrefix = "/api/v1/label/";
  constexpr std::string_view kSuffix = "/values";
  std::string_view path = request.path;
  if (path.size() <= kPrefix.size() + kSuffix.size() ||
      path.substr(path.size() - kSuffix.size()) != kSuffix) {
    return ApiError("not_found", "no route for " + request.path);
  }
  const std::string name(
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
  if (!ValidLabelName(name)) return ApiError("bad_data", "invalid label name: \"" + name + "\"");
  ListRequest list;
  Response error;
  if (!ParseListRequest(request.FormParams(), &list, &error)) return error;
  auto querier = deps.queriers(list.mint, list.maxt);
  return ListAnswer(Union(list, [&](const auto& set) { return querier->LabelValues(name, set); }),
                    list.limit);
}

}  // namespace

void RegisterPrometheusMetadataApi(Router& router, const PrometheusApiDeps& deps) {
  const std::vector<Method> get_post = {Method::kGet, Method::kPost};
  router.Add(get_post, "/api/v1/series", "series",
             [deps](const Request& r) { return HandleSeries(r, deps); });
  router.Add(get_post, "/api/v1/labels", "labels",
             [deps](const Request& r) { return HandleLabels(r, deps); });
  router.AddPrefix(get_post, "/api/v1/label/", "label_values",
                   [deps](const Request& r) { return HandleLabelValues(r, deps); });
  router.Add(get_post, "/api/v1/metadata", "metadata",
             [](const Request&) { return ApiSuccess(json::object()); });
  router.Add(get_post, "/api/v1/query_exemplars", "query_exemplars",
             [](const Request&) { return ApiSuccess(json::array()); });
}

}  // namespace tidemark::web
