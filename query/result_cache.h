// ResultCache: a cache of range query results over settled time, as VictoriaMetrics' rollup
// result cache. For a key (query text, step, start modulo step, tier choice) it keeps the series
// computed for the steps at or before the store's settle horizon (steps old enough that only a
// late write can change them). A later query with the same key takes the cached steps and
// evaluates only the steps after them, so a dashboard refresh that shifts its window computes
// just the new tail, and a repeated window computes nothing.
//
// Never stale: an entry records the store's late-write generations of the metrics its selectors
// name (the global one when a selector names no metric), read before evaluation; a lookup that
// finds any of them moved drops the entry. Entries whose steps look back past the raw retention
// horizon are neither stored nor served. Queries whose steps are not independent of the query
// range (`@` modifiers, negative offsets) bypass the cache.
//
// Memory is bounded by max_bytes (an estimate of the series, points and key held), least
// recently used entries evicted first; a result larger than max_bytes / 8 is not stored.
//
// Instant queries (InstantQuery) at a settled time are cached whole under (query text, time), the
// answer kept as the engine gave it (order included: topk, sort), with the same staleness rules.
//
// Thread-safe: one mutex guards the index; evaluation runs outside it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"

namespace tidemark::query {

// What the store tells the cache about late writes (storage::Storage::SettledHorizon and
// LateWriteGeneration).
struct CacheFreshness {
  // Steps at or before this (ms) may be cached.
  std::function<int64_t()> settled_horizon;
  // The late-write generation of a metric name; "" for the generation bumped by every late write.
  std::function<uint64_t(std::string_view metric_name)> generation;
};

struct ResultCacheOptions {
  size_t max_bytes = 256ULL << 20;
};

struct ResultCacheStats {
  uint64_t hits = 0;           // queries answered wholly or partly from an entry
  uint64_t partial_hits = 0;   // of those, queries that also evaluated steps after the entry
  uint64_t misses = 0;         // cacheable queries evaluated in full
  uint64_t bypassed = 0;       // queries that could not use the cache (`@`, negative offset, or a
                               // range-vector or string result)
  uint64_t invalidations = 0;  // entries dropped because of a late write or retention
  uint64_t evictions = 0;      // entries dropped to stay within max_bytes
  uint64_t entries = 0;
  uint64_t bytes = 0;
};

// How a parsed query depends on time and metrics (result_cache_plan.cc).
struct CachePlan {
  bool cacheable = false;
  // How far before a step's time (ms) the samples it depends on may lie.
  int64_t lookbehind_ms = 0;
  // Metric names of the selectors, sorted and unique; "" stands for a selector without one.
  std::vector<std::string> metric_names;
};
CachePlan PlanCaching(const Expr& expr, int64_t lookback_ms, int64_t default_subquery_step_ms);

class ResultCache {
 public:
  ResultCache(ResultCacheOptions options, CacheFreshness freshness);

  // As Engine::RangeQuery (same answers, errors and QueryInfo), served from the cache where it
  // can be.
  base::Result<Value> RangeQuery(const Engine& engine, const QuerierFactory& querier_factory,
                                 std::string_view query, int64_t start_ms, int64_t end_ms,
                                 int64_t step_ms, const QueryOptions& options, QueryInfo* info,
                                 const std::atomic<bool>* cancel = nullptr);

  // As Engine::InstantQuery (same answers and errors), served from the cache when `time_ms` is
  // at or before the settle horizon. Later times go straight to the engine without being
  // counted: their answer may still change without a late write.
  base::Result<Value> InstantQuery(const Engine& engine, const QuerierFactory& querier_factory,
                                   std::string_view query, int64_t time_ms,
                                   const std::atomic<bool>* cancel = nullptr);

  ResultCacheStats Stats() const;

 private:
  struct Entry {
    std::string key;
    int64_t start = 0;  // first and last cached step
    int64_t end = 0;
    int64_t lookbehind_ms = 0;
    // Range entries: a Matrix sorted by labels, points within [start, end]. Instant entries
    // (start == end): the engine's answer.
    std::shared_ptr<const Value> value;
    QueryInfo info;
    std::vector<std::pair<std::string, uint64_t>> generations;
    size_t bytes = 0;
  };
  using Generations = std::vector<std::pair<std::string, uint64_t>>;

  Generations ReadGenerations(const std::vector<std::string>& names) const;
  // The plan of `query` when it can be cached (counting a bypass otherwise); nullopt also for a
  // query that does not parse, which the engine then rejects.
  std::optional<CachePlan> Plan(const Engine& engine, std::string_view query);
  // A copy of the entry under `key` if it is still valid (dropping it otherwise).
  bool Lookup(const std::string& key, int64_t raw_horizon, Entry* out);
  void Store(Entry entry);
  void EvictLocked();

  const ResultCacheOptions options_;
  const CacheFreshness freshness_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
  ResultCacheStats stats_;
};

}  // namespace tidemark::query
