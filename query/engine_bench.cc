// Engine benchmarks over an in-memory Querier: 200 series (10 groups) scraped every 15s for 6h;
// instant and range (6h at 60s) queries that stress selectors, rate windows, aggregation,
// vector matching and sorting.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include "query/engine.h"
#include "query/memory_querier.h"

namespace tidemark::query {
namespace {

constexpr int64_t kSpan = 6 * 3'600'000;

const std::vector<MemorySeries>& BenchData() {
  static const auto* data = [] {
    auto* d = new std::vector<MemorySeries>();
    for (int i = 0; i < 200; ++i) {
      const std::string g = std::to_string(i % 10);
      MemorySeries c{
          storage::Labels{
              {"__name__", "requests_total"}, {"instance", std::to_string(i)}, {"group", g}},
          {}};
      MemorySeries t{
          storage::Labels{
              {"__name__", "temperature"}, {"instance", std::to_string(i)}, {"group", g}},
          {}};
      for (int64_t ts = 0; ts <= kSpan; ts += 15'000) {
        c.samples.push_back({ts, static_cast<double>(ts / 1000 * (i % 7 + 1))});
        t.samples.push_back({ts, 20 + std::sin(static_cast<double>(ts + i) / 1e6)});
      }
      d->push_back(std::move(c));
      d->push_back(std::move(t));
    }
    return d;
  }();
  return *data;
}

void RunRange(benchmark::State& state, const char* query) {
  const Engine engine;
  const QuerierFactory f = MemoryQuerier::Factory(&BenchData());
  for (auto _ : state) {
    auto r = engine.RangeQuery(f, query, 0, kSpan, 60'000);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r);
  }
}

void RunInstant(benchmark::State& state, const char* query) {
  const Engine engine;
  const QuerierFactory f = MemoryQuerier::Factory(&BenchData());
  for (auto _ : state) {
    auto r = engine.InstantQuery(f, query, kSpan);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK_CAPTURE(RunInstant, rate_sum, "sum by (group) (rate(requests_total[5m]))");
BENCHMARK_CAPTURE(RunInstant, topk, "topk(5, temperature)");
BENCHMARK_CAPTURE(RunRange, selector, "temperature");
BENCHMARK_CAPTURE(RunRange, rate_sum, "sum by (group) (rate(requests_total[5m]))");
BENCHMARK_CAPTURE(RunRange, avg_over_time, "avg_over_time(temperature[1h])");
BENCHMARK_CAPTURE(RunRange, one_to_one, "temperature / on(instance) requests_total");
BENCHMARK_CAPTURE(RunRange, group_left,
                  "temperature * on(group) group_left() sum by (group) (temperature)");
BENCHMARK_CAPTURE(RunRange, subquery, "max_over_time(rate(requests_total[5m])[30m:1m])");

}  // namespace
}  // namespace tidemark::query

BENCHMARK_MAIN();
