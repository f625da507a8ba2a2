#include "query/result_cache.h"

#include <algorithm>

#include "query/parser.h"

namespace tidemark::query {
namespace {

// (start mod step) in [0, step): queries with equal keys put their steps on one grid.
int64_t Phase(int64_t start, int64_t step) { return ((start % step) + step) % step; }

std::string CacheKey(std::string_view query, int64_t start, int64_t step, bool force_raw) {
  std::string key(query);
  key += '\0';
  key += std::to_string(step);
  key += '/';
  key += std::to_string(Phase(start, step));
  key += force_raw ? "/raw" : "/auto";
  return key;
}

// The last step of the grid through `start` that is at or before `t` (may precede start).
int64_t LastStepAtOrBefore(int64_t start, int64_t step, int64_t t) {
  if (t >= start) return start + (t - start) / step * step;
  return start - ((start - t + step - 1) / step) * step;
}

std::string InstantKey(std::string_view query, int64_t time) {
  std::string key(query);
  key += '\0';
  key += '@';  // range keys continue with a digit
  key += std::to_string(time);
  return key;
}

size_t LabelsBytes(const storage::Labels& labels) {
  size_t bytes = 0;
  for (const auto& l : labels) bytes += 2 * sizeof(std::string) + l.name.size() + l.value.size();
  return bytes;
}

size_t ValueBytes(const Value& value) {
  size_t bytes = sizeof(Value);
  if (const auto* m = std::get_if<Matrix>(&value)) {
    for (const Series& s : *m) {
      bytes += sizeof(Series) + s.points.size() * sizeof(Point) + LabelsBytes(s.metric);
    }
  } else if (const auto* v = std::get_if<Vector>(&value)) {
    for (const Sample& s : *v) bytes += sizeof(Sample) + LabelsBytes(s.metric);
  }
  return bytes;
}

// The points of `m` within [from, to], dropping series left empty.
Matrix Clip(const Matrix& m, int64_t from, int64_t to) {
  Matrix out;
  for (const Series& s : m) {
    auto lo = std::lower_bound(s.points.begin(), s.points.end(), from,
                               [](const Point& p, int64_t t) { return p.t < t; });
    auto hi =
        std::upper_bound(lo, s.points.end(), to, [](int64_t t, const Point& p) { return t < p.t; });
    if (lo != hi) out.push_back(Series{s.metric, std::vector<Point>(lo, hi)});
  }
  return out;
}

// Merges two label-sorted matrices whose points for equal labels are all earlier in `early`.
Matrix MergeSorted(Matrix early, Matrix late) {
  Matrix out;
  out.reserve(early.size() + late.size());
  size_t i = 0, j = 0;
  while (i < early.size() || j < late.size()) {
    if (j == late.size() || (i < early.size() && early[i].metric < late[j].metric)) {
      out.push_back(std::move(early[i++]));
    } else if (i == early.size() || late[j].metric < early[i].metric) {
      out.push_back(std::move(late[j++]));
    } else {
      Series s = std::move(early[i++]);
      Series& tail = late[j++];
      s.points.insert(s.points.end(), tail.points.begin(), tail.points.end());
      out.push_back(std::move(s));
    }
  }
  return out;
}

void MergeInfo(const QueryInfo& from, QueryInfo* into) {
  auto& r = into->rollup_resolutions;
  r.insert(r.end(), from.rollup_resolutions.begin(), from.rollup_resolutions.end());
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  into->raw = into->raw || from.raw;
}

}  // namespace

ResultCache::ResultCache(ResultCacheOptions options, CacheFreshness freshness)
    : options_(options), freshness_(std::move(freshness)) {}

ResultCache::Generations ResultCache::ReadGenerations(const std::vector<std::string>& names) const {
  Generations out;
  out.reserve(names.size());
  for (const std::string& name : names) out.emplace_back(name, freshness_.generation(name));
  return out;
}

bool ResultCache::Lookup(const std::string& key, int64_t raw_horizon, Entry* out) {
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) return false;
  Entry& e = *found->second;
  bool valid = e.start - e.lookbehind_ms > raw_horizon;
  for (const auto& [name, gen] : e.generations) valid = valid && freshness_.generation(name) == gen;
  if (!valid) {
    ++stats_.invalidations;
    bytes_ -= e.bytes;
    lru_.erase(found->second);
    index_.erase(found);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, found->second);
  *out = e;
  return true;
}

void ResultCache::Store(Entry entry) {
  entry.bytes = sizeof(Entry) + 2 * entry.key.size() + ValueBytes(*entry.value);
  if (entry.bytes > options_.max_bytes / 8) return;
  std::lock_guard lock(mu_);
  if (auto found = index_.find(entry.key); found != index_.end()) {
    bytes_ -= found->second->bytes;
    lru_.erase(found->second);
    index_.erase(found);
  }
  bytes_ += entry.bytes;
  lru_.push_front(std::move(entry));
  index_.emplace(lru_.front().key, lru_.begin());
  EvictLocked();
}

void ResultCache::EvictLocked() {
  while (bytes_ > options_.max_bytes && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

std::optional<CachePlan> ResultCache::Plan(const Engine& engine, std::string_view query) {
  auto expr = ParseExpr(query);
  if (!expr.ok()) return std::nullopt;
  const EngineOptions& eo = engine.options();
  CachePlan plan = PlanCaching(**expr, eo.lookback_delta_ms, eo.default_subquery_step_ms);
  if (plan.cacheable) return plan;
  std::lock_guard lock(mu_);
  ++stats_.bypassed;
  return std::nullopt;
}

base::Result<Value> ResultCache::InstantQuery(const Engine& engine, const QuerierFactory& factory,
                                              std::string_view query, int64_t time_ms,
                                              const std::atomic<bool>* cancel) {
  // Horizon before generations, both before evaluation, as for range queries.
  const int64_t horizon = freshness_.settled_horizon();
  if (time_ms > horizon) return engine.InstantQuery(factory, query, time_ms, cancel);
  const std::optional<CachePlan> plan = Plan(engine, query);
  if (!plan) return engine.InstantQuery(factory, query, time_ms, cancel);
  Generations generations = ReadGenerations(plan->metric_names);
  const int64_t raw_horizon = factory(time_ms, time_ms)->RawHorizon();
  const std::string key = InstantKey(query, time_ms);
  Entry cached;
  if (Lookup(key, raw_horizon, &cached)) {
    std::lock_guard lock(mu_);
    ++stats_.hits;
    return *cached.value;
  }
  auto value = engine.InstantQuery(factory, query, time_ms, cancel);
  if (!value.ok()) return value;
  {
    std::lock_guard lock(mu_);
    ++stats_.misses;
  }
  if (time_ms - plan->lookbehind_ms > raw_horizon) {
    Entry entry;
    entry.key = key;
    entry.start = entry.end = time_ms;
    entry.lookbehind_ms = plan->lookbehind_ms;
    entry.value = std::make_shared<const Value>(*value);
    entry.generations = std::move(generations);
    Store(std::move(entry));
  }
  return value;
}

ResultCacheStats ResultCache::Stats() const {
  std::lock_guard lock(mu_);
  ResultCacheStats out = stats_;
  out.entries = lru_.size();
  out.bytes = bytes_;
  return out;
}

base::Result<Value> ResultCache::RangeQuery(const Engine& engine, const QuerierFactory& factory,
                                            std::string_view query, int64_t start_ms,
                                            int64_t end_ms, int64_t step_ms,
                                            const QueryOptions& options, QueryInfo* info,
                                            const std::atomic<bool>* cancel) {
  auto direct = [&] {
    return engine.RangeQuery(factory, query, start_ms, end_ms, step_ms, options, info, cancel);
  };
  if (step_ms <= 0 || end_ms < start_ms ||
      (end_ms - start_ms) / step_ms + 1 > engine.options().max_points_per_series) {
    return direct();  // the engine's error
  }
  const std::optional<CachePlan> planned = Plan(engine, query);
  if (!planned) return direct();
  const CachePlan& plan = *planned;
  // Horizon before generations, both before evaluation: a late write this query cannot see
  // bumps a generation after the snapshot (storage/late_writes.h).
  const int64_t horizon = freshness_.settled_horizon();
  Generations generations = ReadGenerations(plan.metric_names);
  const int64_t raw_horizon = factory(start_ms, start_ms)->RawHorizon();
  const int64_t last = LastStepAtOrBefore(start_ms, step_ms, end_ms);
  const std::string key = CacheKey(query, start_ms, step_ms, options.force_raw);

  Entry cached;
  const bool usable = Lookup(key, raw_horizon, &cached) && cached.start <= start_ms &&
                      cached.end + step_ms >= start_ms;
  Matrix result;
  QueryInfo result_info;
  if (usable) {
    result = Clip(std::get<Matrix>(*cached.value), start_ms, std::min(last, cached.end));
    result_info = cached.info;
    if (last > cached.end) {
      QueryInfo tail_info;
      auto tail = engine.RangeQuery(factory, query, cached.end + step_ms, last, step_ms, options,
                                    &tail_info, cancel);
      if (!tail.ok()) return tail.status();
      result = MergeSorted(std::move(result), std::get<Matrix>(std::move(*tail)));
      MergeInfo(tail_info, &result_info);
    }
  } else {
    auto full =
        engine.RangeQuery(factory, query, start_ms, last, step_ms, options, &result_info, cancel);
    if (!full.ok()) return full.status();
    result = std::get<Matrix>(std::move(*full));
  }
  {
    std::lock_guard lock(mu_);
    if (!usable) ++stats_.misses;
    if (usable) ++stats_.hits;
    if (usable && last > cached.end) ++stats_.partial_hits;
  }
  const int64_t settled = LastStepAtOrBefore(start_ms, step_ms, std::min(last, horizon));
  const bool nothing_new = usable && cached.end >= settled;
  if (!nothing_new && settled >= start_ms && start_ms - plan.lookbehind_ms > raw_horizon) {
    Entry entry;
    entry.key = key;
    entry.start = start_ms;
    entry.end = settled;
    entry.lookbehind_ms = plan.lookbehind_ms;
    entry.value =
        std::make_shared<const Value>(settled >= last ? result : Clip(result, start_ms, settled));
    entry.info = result_info;
    entry.generations = std::move(generations);
    Store(std::move(entry));
  }
  if (info != nullptr) *info = result_info;
  return Value(std::move(result));
}

}  // namespace tidemark::query
