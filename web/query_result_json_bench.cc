// Benchmarks of what a cached dashboard range query costs on top of the HTTP floor: writing the
// JSON body (QueryResultBody) and answering from the result cache. The shape is the fleet
// benchmark's avg_by_site_all_6h row: 20 series of 73 points (6 h at 5 m), values that are means
// of decimal readings, so most need 15-17 significant digits.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include "query/engine.h"
#include "query/memory_querier.h"
#include "query/result_cache.h"
#include "web/query_result_json.h"

namespace tidemark::web {
namespace {

constexpr int64_t kStep = 300'000;
constexpr int64_t kStart = 1'795'305'750'000;
constexpr int kSites = 20;
constexpr int kSteps = 73;

// A mean of 50 readings with three decimals, as avg by (site) yields.
double SiteMean(int site, int step) {
  double sum = 0;
  for (int d = 0; d < 50; ++d) {
    sum += std::round((20 + std::sin(site * 7.0 + d * 0.3 + step * 0.01) * 3) * 1000) / 1000;
  }
  return sum / 50;
}

query::Matrix SiteMatrix() {
  query::Matrix m;
  for (int s = 0; s < kSites; ++s) {
    query::Series series;
    series.metric = storage::Labels{{"site", "site-" + std::to_string(100 + s).substr(1)}};
    for (int i = 0; i < kSteps; ++i) series.points.push_back({kStart + i * kStep, SiteMean(s, i)});
    m.push_back(std::move(series));
  }
  return m;
}

void BM_QueryResultBody(benchmark::State& state) {
  const query::Value value = SiteMatrix();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = QueryResultBody(value, std::string("raw"), {});
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_QueryResultBody);

// The raw series behind SiteMatrix: 20 sites x 50 devices, one sample a minute over 6 h.
const std::vector<query::MemorySeries>& FleetData() {
  static const auto* data = [] {
    auto* d = new std::vector<query::MemorySeries>();
    for (int s = 0; s < kSites; ++s) {
      for (int dev = 0; dev < 50; ++dev) {
        query::MemorySeries series{
            storage::Labels{{"__name__", "iot_temperature"},
                            {"device", "dev-" + std::to_string(10000 + s * 50 + dev).substr(1)},
                            {"site", "site-" + std::to_string(100 + s).substr(1)}},
            {}};
        for (int64_t t = kStart - 600'000; t <= kStart + kSteps * kStep; t += 60'000) {
          const double v = 20 + std::sin(static_cast<double>(t / 60'000 + dev) * 0.01) * 3;
          series.samples.push_back({t, std::round(v * 1000) / 1000});
        }
        d->push_back(std::move(series));
      }
    }
    return d;
  }();
  return *data;
}

void BM_ResultCacheHit(benchmark::State& state) {
  const query::Engine engine;
  const query::QuerierFactory factory = query::MemoryQuerier::Factory(&FleetData());
  query::ResultCache cache(query::ResultCacheOptions{},
                           query::CacheFreshness{[] { return INT64_MAX; },
                                                 [](std::string_view) { return uint64_t{0}; }});
  const int64_t end = kStart + (kSteps - 1) * kStep;
  const char* q = "avg by (site) (iot_temperature)";
  auto warm = cache.RangeQuery(engine, factory, q, kStart, end, kStep, {}, nullptr);
  if (!warm.ok()) state.SkipWithError(warm.status().message().c_str());
  for (auto _ : state) {
    query::QueryInfo info;
    auto r = cache.RangeQuery(engine, factory, q, kStart, end, kStep, {}, &info);
    benchmark::DoNotOptimize(r);
  }
  if (cache.Stats().misses != 1) state.SkipWithError("expected hits only");
}
BENCHMARK(BM_ResultCacheHit);

}  // namespace
}  // namespace tidemark::web

BENCHMARK_MAIN();
