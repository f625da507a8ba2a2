#include "server/metrics_collectors.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "web/metric_family.h"

namespace tidemark::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using web::AddSample;
using web::NewFamily;

MetricFamily Single(std::string name, std::string help, MetricType type, double value) {
  MetricFamily family = NewFamily(std::move(name), std::move(help), type);
  AddSample(&family, value);
  return family;
}

class StorageCollector final : public prometheus::Collectable {
 public:
  explicit StorageCollector(const storage::Storage* storage) : storage_(storage) {}
  std::vector<MetricFamily> Collect() const override {
    const storage::StorageStats s = storage_->Stats();
    const auto G = MetricType::Gauge;
    const auto C = MetricType::Counter;
    std::vector<MetricFamily> out = {
        Single("tidemark_storage_series", "Series known to the store.", G, s.series),
        Single("tidemark_storage_head_series", "Series with samples in the in-memory head.", G,
               s.head_series),
        Single("tidemark_storage_head_memory_bytes", "Memory used by the head.", G,
               s.head_memory_bytes),
        Single("tidemark_storage_samples_appended_total", "Samples stored.", C, s.samples_appended),
        Single("tidemark_storage_out_of_order_samples_total",
               "Samples that arrived older than their series' newest sample.", C,
               s.out_of_order_samples),
        Single("tidemark_storage_partitions", "Time partitions on disk.", G, s.partitions),
        Single("tidemark_storage_sealed_samples", "Samples sealed into partitions.", G,
               s.sealed_samples),
        Single("tidemark_storage_sealed_bytes", "Bytes of sealed chunks.", G, s.sealed_bytes),
        Single("tidemark_storage_appends_refused_total",
               "Appends refused because the head was over its memory limit.", C,
               s.appends_refused_memory),
        Single("tidemark_wal_bytes_written_total", "Bytes appended to the write-ahead log.", C,
               s.wal.bytes_written),
        Single("tidemark_wal_group_commits_total",
               "WAL file appends, each covering one or more concurrent writes.", C,
               s.wal.group_commits),
        Single("tidemark_wal_syncs_total", "WAL fsyncs.", C, s.wal.syncs),
        Single("tidemark_wal_write_errors_total", "Failed WAL writes.", C, s.wal.write_errors),
    };
    MetricFamily rejected = NewFamily("tidemark_storage_rejected_samples_total",
                                      "Samples the store refused, by reason.", C);
    AddSample(&rejected, s.rejected_too_old, {{"reason", "too_old"}});
    AddSample(&rejected, s.rejected_too_new, {{"reason", "too_new"}});
    AddSample(&rejected, s.rejected_invalid_labels, {{"reason", "invalid_labels"}});
    AddSample(&rejected, s.rejected_series_limit, {{"reason", "series_limit"}});
    out.push_back(std::move(rejected));
    AddTierFamilies(s, &out);
    return out;
  }

 private:
  // One family per measure, one sample per downsampling tier (label tier="5m", ...).
  static void AddTierFamilies(const storage::StorageStats& s, std::vector<MetricFamily>* out) {
    using Get = double (*)(const storage::RollupTierStats&);
    struct Measure {
      const char* name;
      const char* help;
      MetricType type;
      Get get;
    };
    const Measure measures[] = {
        {"tidemark_rollup_series", "Series with stored rollup buckets, by tier.", MetricType::Gauge,
         [](const storage::RollupTierStats& t) { return static_cast<double>(t.series); }},
        {"tidemark_rollup_buckets", "Stored rollup buckets, by tier.", MetricType::Gauge,
         [](const storage::RollupTierStats& t) { return static_cast<double>(t.buckets); }},
        {"tidemark_rollup_bytes", "Approximate on-disk size of a tier.", MetricType::Gauge,
         [](const storage::RollupTierStats& t) { return static_cast<double>(t.bytes); }},
        {"tidemark_rollup_pending_buckets",
         "Buckets marked dirty by sealed raw data and not yet rebuilt, by tier.", MetricType::Gauge,
         [](const storage::RollupTierStats& t) { return static_cast<double>(t.pending_buckets); }},
        {"tidemark_rollup_lag_seconds",
         "Age of the oldest bucket waiting to be rebuilt (0 when none), by tier.",
         MetricType::Gauge,
         [](const storage::RollupTierStats& t) { return static_cast<double>(t.lag_ms) / 1000; }},
        {"tidemark_rollup_buckets_built_total", "Rollup buckets built since start, by tier.",
         MetricType::Counter,
         [](const storage::RollupTierStats& t) { return static_cast<double>(t.buckets_built); }},
        {"tidemark_rollup_partitions", "Partitions of a tier on disk.", MetricType::Gauge,
         [](const storage::RollupTierStats& t) { return static_cast<double>(t.partitions); }},
        {"tidemark_rollup_partitions_dropped_total",
         "Partitions of a tier deleted by its retention since start.", MetricType::Counter,
         [](const storage::RollupTierStats& t) {
           return static_cast<double>(t.partitions_dropped);
         }},
    };
    for (const Measure& m : measures) {
      MetricFamily family = NewFamily(m.name, m.help, m.type);
      for (const auto& tier : s.tiers) AddSample(&family, m.get(tier), {{"tier", tier.name}});
      out->push_back(std::move(family));
    }
  }

  const storage::Storage* storage_;
};

class DeadLetterCollector final : public prometheus::Collectable {
 public:
  explicit DeadLetterCollector(const ingest::DeadLetters* letters) : letters_(letters) {}
  std::vector<MetricFamily> Collect() const override {
    MetricFamily total = NewFamily("tidemark_dead_letters_total",
                                   "Rejected lines, records or payloads, by source and reason.",
                                   MetricType::Counter);
    for (const auto& [key, count] : letters_->Counts()) {
      AddSample(&total, static_cast<double>(count),
                {{"reason", key.second}, {"source", key.first}});
    }
    return {std::move(total),
            Single("tidemark_dead_letters_dropped_total",
                   "Dead letters deleted to stay within the disk budget.", MetricType::Counter,
                   static_cast<double>(letters_->dropped()))};
  }

 private:
  const ingest::DeadLetters* letters_;
};

class ResultCacheCollector final : public prometheus::Collectable {
 public:
  explicit ResultCacheCollector(std::shared_ptr<const query::ResultCache> cache)
      : cache_(std::move(cache)) {}
  std::vector<MetricFamily> Collect() const override {
    const query::ResultCacheStats s = cache_->Stats();
    const auto C = MetricType::Counter;
    const auto G = MetricType::Gauge;
    return {
        Single("tidemark_query_cache_hits_total",
               "Range and instant queries answered wholly or partly from the result cache.", C,
               s.hits),
        Single("tidemark_query_cache_partial_hits_total",
               "Cache hits that also evaluated the steps after the cached ones.", C,
               s.partial_hits),
        Single("tidemark_query_cache_misses_total",
               "Cacheable range and instant queries evaluated in full.", C, s.misses),
        Single("tidemark_query_cache_bypassed_total",
               "Queries the cache cannot serve (@ modifiers, negative offsets).", C, s.bypassed),
        Single("tidemark_query_cache_invalidations_total",
               "Cache entries dropped because samples arrived late into their range.", C,
               s.invalidations),
        Single("tidemark_query_cache_evictions_total",
               "Cache entries dropped to stay within the memory bound.", C, s.evictions),
        Single("tidemark_query_cache_entries", "Entries in the result cache.", G, s.entries),
        Single("tidemark_query_cache_bytes", "Estimated memory held by the result cache.", G,
               s.bytes),
    };
  }

 private:
  std::shared_ptr<const query::ResultCache> cache_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> MakeResultCacheCollector(
    std::shared_ptr<const query::ResultCache> cache) {
  return std::make_shared<ResultCacheCollector>(std::move(cache));
}

std::shared_ptr<prometheus::Collectable> MakeStorageCollector(const storage::Storage* storage) {
  return std::make_shared<StorageCollector>(storage);
}

std::shared_ptr<prometheus::Collectable> MakeDeadLetterCollector(
    const ingest::DeadLetters* dead_letters) {
  return std::make_shared<DeadLetterCollector>(dead_letters);
}

}  // namespace tidemark::server
