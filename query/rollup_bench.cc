// Downsampling benchmark: a 30-day dashboard query over the IoT fleet (storage/iot_dataset.h,
// five series per device at 10 s, devices spread over 10 sites) answered from rollup tiers vs
// forced raw, and the on-disk bytes per sample of each tier. The store lives in a temporary
// directory on the real file system; loading it (day by day: append, seal, build rollups, then
// compact) happens once, before the first benchmark, and is not timed.
//
//   BENCH_DEVICES (default 100 = 500 series) and BENCH_DAYS (default 30) size the dataset.
//   BENCH_STORE=<dir> keeps the loaded store in <dir> and reuses it on the next run (same
//   devices and days, same build of the storage format), for profiling the queries alone.
//   build/release/query/query_rollup_bench --benchmark_min_time=1x
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "query/engine.h"
#include "storage/base/clock.h"
#include "storage/base/log.h"
#include "storage/iot_dataset.h"
#include "storage/storage.h"

namespace tidemark::query {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kStart = 1'761'955'200'000;  // 2025-11-01T00:00:00Z

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoi(v) : fallback;
}

uint64_t DirBytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

struct Fleet {
  std::filesystem::path dir;
  base::FakeClock clock{kStart};
  std::unique_ptr<storage::Storage> store;
  int devices = 0, days = 0;
  uint64_t samples = 0;

  bool keep = false;

  Fleet() {
    devices = EnvInt("BENCH_DEVICES", 100);
    days = EnvInt("BENCH_DAYS", 30);
    const char* kept = std::getenv("BENCH_STORE");
    keep = kept != nullptr && *kept != '\0';
    dir = keep ? std::filesystem::path(kept)
               : std::filesystem::temp_directory_path() /
                     ("tidemark_rollup_bench_" + std::to_string(::getpid()));
    const std::filesystem::path loaded = dir / "loaded";
    const bool reuse = keep && std::filesystem::exists(loaded);
    if (!reuse) std::filesystem::remove_all(dir);
    storage::StorageOptions o;
    o.clock = &clock;
    o.maintenance_interval_ms = 0;
    o.wal_sync = storage::SyncPolicy::kInterval;
    o.retention_ms = (days + 10) * kDay;
    o.tiers = {{5 * 60'000, 365 * kDay, 0}, {kHour, 5 * 365 * kDay, 0}};
    auto opened = storage::Storage::Open(o, dir.string());
    if (!opened.ok()) {
      std::cerr << opened.status().ToString() << "\n";
      std::abort();
    }
    store = std::move(*opened);
    if (reuse) {
      clock.Set(kStart + days * kDay);
      samples = static_cast<uint64_t>(devices) * 5 * 8640 * days;
      return;
    }
    for (int d = 0; d < days; ++d) LoadDay(d);
    Check(store->Compact());
    if (keep) std::ofstream(loaded) << devices << " devices, " << days << " days\n";
  }
  ~Fleet() {
    store.reset();
    if (!keep) std::filesystem::remove_all(dir);
  }
  static void Check(const base::Status& s) {
    if (s.ok()) return;
    std::cerr << s.ToString() << "\n";
    std::abort();
  }
  void LoadDay(int d) {
    const int64_t day_start = kStart + d * kDay;
    clock.Set(day_start + kDay);
    for (int dev = 0; dev < devices; ++dev) {
      storage::WriteBatch batch;
      for (auto& s : storage::testing::MakeIotDevice(dev, day_start, 8640)) {
        storage::Labels labels({{"__name__", std::string(s.labels.Get("__name__"))},
                                {"device", std::string(s.labels.Get("device"))},
                                {"site", "site-" + std::to_string(dev % 10)}});
        samples += s.samples.size();
        batch.Add(labels, s.samples);
      }
      Check(store->Append(batch));
    }
    Check(store->Seal(day_start + kDay));
    Check(store->BuildRollups());
  }
};

// Built on first use; destroyed (its directory removed) at exit.
Fleet& TheFleet() {
  static const bool quiet = [] {
    base::SetLogLevel(base::LogLevel::kWarn);
    return true;
  }();
  (void)quiet;
  static Fleet fleet;
  return fleet;
}

void Dashboard(benchmark::State& state, const std::string& query) {
  Fleet& f = TheFleet();
  const bool raw = state.range(0) == 1;
  QuerierFactory factory = [&f](int64_t mint, int64_t maxt) {
    return f.store->NewQuerier(mint, maxt);
  };
  Engine engine;
  QueryInfo info;
  size_t points = 0;
  for (auto _ : state) {
    auto r = engine.RangeQuery(factory, query, kStart + kHour, kStart + f.days * kDay, kHour,
                               QueryOptions{raw}, &info);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    points = 0;
    for (const auto& s : std::get<Matrix>(*r)) points += s.points.size();
  }
  state.SetLabel(info.TierSummary());
  state.counters["points"] = static_cast<double>(points);
  state.counters["series"] = static_cast<double>(f.devices * 5);
  state.counters["days"] = f.days;
}

void BM_AvgBySiteSelector(benchmark::State& state) {
  Dashboard(state, "avg by (site) (temperature_celsius)");
}
void BM_AvgBySiteOverTime(benchmark::State& state) {
  Dashboard(state, "avg by (site) (avg_over_time(temperature_celsius[1h]))");
}
void BM_RateBySite(benchmark::State& state) {
  Dashboard(state, "sum by (site) (rate(energy_kwh_total[1h]))");
}
// Arg 0: automatic tier choice (the 1h tier answers); 1: tier=raw.
BENCHMARK(BM_AvgBySiteSelector)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AvgBySiteOverTime)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RateBySite)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Bytes per sample. Raw: the partition directories after compaction, per stored sample. Each
// tier per bucket and per raw sample it covers, three ways: `block` the encoded blocks alone,
// `table` LevelDB's table files (after snappy, with rewritten versions not yet compacted away),
// `dir` everything in the tier's directories (tables, unflushed logs, manifests).
void BM_TierBytes(benchmark::State& state) {
  Fleet& f = TheFleet();
  for (auto _ : state) benchmark::DoNotOptimize(f.store->Stats());
  const storage::StorageStats st = f.store->Stats();
  const uint64_t raw_bytes = DirBytes(f.dir / "partitions" / "raw");
  const double samples = static_cast<double>(f.samples);
  state.counters["raw_samples"] = samples;
  state.counters["raw_bytes_per_sample"] = static_cast<double>(raw_bytes) / samples;
  for (const auto& t : st.tiers) {
    const double buckets = static_cast<double>(t.buckets);
    state.counters[t.name + "_buckets"] = buckets;
    const std::pair<const char*, uint64_t> sizes[] = {
        {"block", t.block_bytes},
        {"table", t.bytes},
        {"dir", DirBytes(f.dir / "rollups" / t.name)}};
    for (const auto& [what, bytes] : sizes) {
      const std::string key = t.name + "_" + what;
      state.counters[key + "_per_bucket"] = static_cast<double>(bytes) / buckets;
      state.counters[key + "_per_raw_sample"] = static_cast<double>(bytes) / samples;
    }
  }
}
BENCHMARK(BM_TierBytes)->Iterations(1);

}  // namespace
}  // namespace tidemark::query

BENCHMARK_MAIN();
