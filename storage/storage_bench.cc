// Storage benchmarks: append throughput, query scan speed, WAL replay speed at open, and head
// memory per active series. Data lives in a temporary directory on the real file system.
// Append and scan rates are per CPU-second of the process (i.e. per core, including the kernel
// time of WAL writes); WAL replay is wall-clock.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "storage/base/clock.h"
#include "storage/base/log.h"
#include "storage/iot_dataset.h"
#include "storage/storage.h"

namespace tidemark::storage {
namespace {

constexpr int64_t kStart = 1'763'769'600'000;
constexpr int64_t kInterval = 10'000;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/tidemark_bench_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::vector<Labels> MakeSeries(int n) {
  std::vector<Labels> out;
  out.reserve(n);
  const char* metrics[] = {"temperature_celsius", "humidity_percent", "energy_kwh_total",
                           "battery_percent", "motion"};
  for (int i = 0; i < n; ++i) {
    out.push_back(Labels({{"__name__", metrics[i % 5]},
                          {"device", "dev-" + std::to_string(i / 5)},
                          {"site", "site-" + std::to_string(i % 17)}}));
  }
  return out;
}

StorageOptions BenchOptions(base::Clock* clock, SyncPolicy sync) {
  StorageOptions o;
  o.clock = clock;
  o.maintenance_interval_ms = 0;
  o.wal_sync = sync;
  o.wal_sync_interval_ms = 1000;
  o.head_memory_limit_bytes = 8ULL << 30;
  o.max_future_skew_ms = 400LL * 86'400'000;
  return o;
}

// 10k series, one sample each per Append (a scrape), 10 s apart: arg 0 = sync policy
// (0 every batch, 1 interval).
void BM_AppendScrape10kSeries(benchmark::State& state) {
  base::SetLogLevel(base::LogLevel::kWarn);
  TempDir dir;
  base::FakeClock clock(kStart);
  auto sync = state.range(0) == 0 ? SyncPolicy::kEveryBatch : SyncPolicy::kInterval;
  auto storage = std::move(*Storage::Open(BenchOptions(&clock, sync), dir.path));
  auto series = MakeSeries(10'000);
  int64_t round = 0, samples = 0;
  WriteBatch b;
  for (auto _ : state) {
    state.PauseTiming();
    b.Clear();  // the batch is built and freed outside the timed region
    for (size_t i = 0; i < series.size(); ++i) {
      b.Add(series[i], kStart + round * kInterval, static_cast<double>((i + round) % 300) / 10);
    }
    state.ResumeTiming();
    if (!storage->Append(b).ok()) state.SkipWithError("append failed");
    samples += static_cast<int64_t>(series.size());
    ++round;
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["wal_group_commits"] = static_cast<double>(storage->Stats().wal.group_commits);
}
BENCHMARK(BM_AppendScrape10kSeries)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Same scrape shape, with series refs resolved once up front (what an ingest cache would do).
void BM_AppendScrape10kSeriesByRef(benchmark::State& state) {
  base::SetLogLevel(base::LogLevel::kWarn);
  TempDir dir;
  base::FakeClock clock(kStart);
  auto storage = std::move(*Storage::Open(BenchOptions(&clock, SyncPolicy::kInterval), dir.path));
  std::vector<SeriesRef> refs;
  for (const auto& l : MakeSeries(10'000)) refs.push_back(*storage->GetSeriesRef(l));
  int64_t round = 0, samples = 0;
  WriteBatch b;
  for (auto _ : state) {
    state.PauseTiming();
    b.Clear();
    for (size_t i = 0; i < refs.size(); ++i) {
      b.Add(refs[i], kStart + round * kInterval, static_cast<double>((i + round) % 300) / 10);
    }
    state.ResumeTiming();
    if (!storage->Append(b).ok()) state.SkipWithError("append failed");
    samples += static_cast<int64_t>(refs.size());
    ++round;
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AppendScrape10kSeriesByRef)->Unit(benchmark::kMillisecond);

// 10k series, 360 samples (1 h at 10 s) per series per Append: bulk ingest of regular data.
void BM_AppendBulk10kSeries(benchmark::State& state) {
  base::SetLogLevel(base::LogLevel::kWarn);
  TempDir dir;
  base::FakeClock clock(kStart);
  auto storage = std::move(*Storage::Open(BenchOptions(&clock, SyncPolicy::kEveryBatch), dir.path));
  auto series = MakeSeries(10'000);
  int64_t hour = 0, samples = 0;
  std::vector<Sample> run(360);
  WriteBatch b;
  for (auto _ : state) {
    state.PauseTiming();
    b.Clear();
    for (size_t i = 0; i < series.size(); ++i) {
      for (int k = 0; k < 360; ++k) {
        run[k] = {kStart + (hour * 360 + k) * kInterval, static_cast<double>((i + k) % 300) / 10};
      }
      b.Add(series[i], run);
    }
    state.ResumeTiming();
    if (!storage->Append(b).ok()) state.SkipWithError("append failed");
    samples += static_cast<int64_t>(b.num_samples());
    ++hour;
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AppendBulk10kSeries)->Unit(benchmark::kMillisecond)->Iterations(6);

// Query scan over sealed IoT data: 1000 series x 24 h at 10 s, everything in partitions.
void BM_QueryScanSealed(benchmark::State& state) {
  base::SetLogLevel(base::LogLevel::kWarn);
  TempDir dir;
  base::FakeClock clock(kStart + 2 * 86'400'000);
  auto storage = std::move(*Storage::Open(BenchOptions(&clock, SyncPolicy::kInterval), dir.path));
  for (int d = 0; d < 200; ++d) {
    WriteBatch b;
    for (auto& s : testing::MakeIotDevice(d, kStart, 8640)) b.Add(s.labels, s.samples);
    if (!storage->Append(b).ok()) state.SkipWithError("append failed");
  }
  if (!storage->Seal(kStart + 86'400'000).ok()) state.SkipWithError("seal failed");
  if (!storage->Compact().ok()) state.SkipWithError("compact failed");
  int64_t samples = 0;
  for (auto _ : state) {
    auto q = storage->NewQuerier(kStart, kStart + 86'400'000);
    auto set = q->Select({Matcher::Regex("__name__", ".+")});
    while (set->Next()) {
      auto it = set->Samples();
      double sum = 0;
      while (it->Next()) sum += it->At().v;
      benchmark::DoNotOptimize(sum);
      samples += 8640;
    }
  }
  auto st = storage->Stats();
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["sealed_bytes_per_sample"] =
      static_cast<double>(st.sealed_bytes) / static_cast<double>(st.sealed_samples);
}
BENCHMARK(BM_QueryScanSealed)->Unit(benchmark::kMillisecond);

// Args: series count, samples per series. Writes the samples, closes, then measures the reopen
// (WAL replay). Also reports head and registry memory per active series (with one sample per
// series that is the fixed overhead of an active series).
void BM_WalReplay(benchmark::State& state) {
  base::SetLogLevel(base::LogLevel::kWarn);
  const int n = static_cast<int>(state.range(0));
  const int per_series = static_cast<int>(state.range(1));
  TempDir dir;
  base::FakeClock clock(kStart + 2 * 3'600'000);
  auto opts = BenchOptions(&clock, SyncPolicy::kInterval);
  double head_bytes_per_series = 0, registry_bytes_per_series = 0;
  {
    auto storage = std::move(*Storage::Open(opts, dir.path));
    auto series = MakeSeries(n);
    std::vector<Sample> run(per_series);
    for (int base = 0; base < n; base += 10'000) {
      WriteBatch b;
      for (int i = base; i < std::min(n, base + 10'000); ++i) {
        for (int k = 0; k < per_series; ++k) {
          run[k] = {kStart + k * kInterval, static_cast<double>((i + k) % 300) / 10};
        }
        b.Add(series[i], run);
      }
      if (!storage->Append(b).ok()) state.SkipWithError("append failed");
    }
    auto st = storage->Stats();
    head_bytes_per_series = static_cast<double>(st.head_memory_bytes) / n;
    registry_bytes_per_series = static_cast<double>(st.registry_memory_bytes) / n;
  }
  for (auto _ : state) {
    auto storage = Storage::Open(opts, dir.path);
    if (!storage.ok()) state.SkipWithError("open failed");
    state.PauseTiming();
    storage->reset();
    state.ResumeTiming();
  }
  state.counters["head_B_per_series"] = head_bytes_per_series;
  state.counters["registry_B_per_series"] = registry_bytes_per_series;
  state.counters["replayed_samples_per_s"] =
      benchmark::Counter(static_cast<double>(n) * 120 * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WalReplay)
    ->Args({100'000, 120})
    ->Args({100'000, 1})
    ->Args({1'000'000, 120})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

}  // namespace
}  // namespace tidemark::storage

BENCHMARK_MAIN();
