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

// Walks the selected series one after another, handing out ~64 KiB of lines per call, so an
// export of any size holds one series at a time in memory.
class ExportStream {
 public:
  ExportStream(std::unique_ptr<storage::Querier> querier,
               std::vector<std::vector<storage::Matcher>> sets)
      : querier_(std::move(querier)), sets_(std::move(sets)) {}

  StreamStep Next(std::string* chunk) {
    constexpr size_t kChunkBytes = 64 << 10;
    while (chunk->size() < kChunkBytes) {
      if (!series_) {
        if (next_set_ == sets_.size()) return StreamStep::kDone;
        series_ = querier_->Select(sets_[next_set_++]);
      }
      if (!series_->Next()) {
        if (!series_->status().ok()) return StreamStep::kFailed;
        series_.reset();
        continue;
      }
      // Only several match[] sets can select a series twice.
      if (sets_.size() > 1 && !seen_.insert(series_->labels()).second) continue;
      *chunk += SeriesLine(series_->labels(), *series_->Samples());
    }
    return StreamStep::kMore;
  }

 private:
  std::unique_ptr<storage::Querier> querier_;
  std::vector<std::vector<storage::Matcher>> sets_;
  size_t next_set_ = 0;
  std::unique_ptr<storage::SeriesSet> series_;
  std::set<storage::Labels> seen_;
};

Response HandleExport(const Request& request, const QuerierFactory& queriers) {
  const Params params = request.FormParams();
  const std::vector<std::string> selectors = ParamValues(params, "match[]");
  if (selectors.empty()) return ApiError("bad_data", "no match[] parameter provided");
  auto sets = ParseSelectors(selectors);
  if (!sets.ok()) {
    return ApiError("bad_data", "invalid parameter \"match[]\": " + sets.status().message());
  }
  for (const auto& set : *sets) {
    if (!HasNonEmptyMatcher(set)) {
      return ApiError("bad_data", "match[] must contain at least one non-empty matcher");
    }
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
  auto stream = std::make_shared<ExportStream>(queriers(mint, maxt), std::move(sets).value());
  Response response = Response::Text(200, "", "application/stream+json");
  response.stream = [stream](std::string* chunk) { return stream->Next(chunk); };
  return response;
}

}  // namespace

void RegisterExportRoutes(Router& router, QuerierFactory queriers) {
  router.Add({Method::kGet, Method::kPost}, "/api/v1/export", "export",
             [queriers = std::move(queriers)](const Request& request) {
               return HandleExport(request, queriers);
             });
}

}  // namespace tidemark::web
